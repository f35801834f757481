/* testutil.h: what the Check unit test programs share: the vector directory and running a suite. */
#ifndef FILES_TESTUTIL_H
#define FILES_TESTUTIL_H
#include <stddef.h>
#include <check.h>

/*
 * out = $SHARED_DIR (the directory holding testdata/: tests/ by default, see Makefile.am)
 * followed by rel. 0 ok; -1 after telling stderr, as prog, that SHARED_DIR is
 * unset or too long for outlen bytes. No guessed default: missing vectors must fail the run.
 */
int tu_shared_path(const char *prog, const char *rel, char *out, size_t outlen);
/* Run every test of s (CK_NORMAL) and free the runner, s with it. The number of failed tests. */
int tu_run(Suite *s);

#endif
