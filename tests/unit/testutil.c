/* testutil.c: what the Check unit test programs share (see testutil.h). */
#include "testutil.h"
#include <stdio.h>
#include <stdlib.h>

int tu_shared_path(const char *prog, const char *rel, char *out, size_t outlen)
{
	const char *shared = getenv("SHARED_DIR");
	int n;

	if (shared == NULL || shared[0] == '\0') {
		fprintf(stderr, "%s: SHARED_DIR is not set; it must name the directory holding testdata/ (make check sets it)\n", prog);
		return -1;
	}
	n = snprintf(out, outlen, "%s%s", shared, rel);
	if (n < 0 || (size_t)n >= outlen) {
		fprintf(stderr, "%s: SHARED_DIR is too long\n", prog);
		return -1;
	}
	return 0;
}

int tu_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}
