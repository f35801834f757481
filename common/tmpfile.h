/* tmpfile.h: anonymous temp files (form file fields, the S3 upload spool). */
#ifndef FILES_TMPFILE_H
#define FILES_TMPFILE_H

/* The directory temp files go to: $TMPDIR when it is an absolute path, else "/tmp". */
const char *tmpfile_dir(void);
/*
 * A read/write temp file in tmpfile_dir() that no name points to: O_TMPFILE, else mkstemp
 * ("<tag>.XXXXXX") and unlink. Gone when closed. The fd (close-on-exec), or -1 with errno set;
 * nothing is logged.
 */
int tmpfile_anon(const char *tag);

#endif
