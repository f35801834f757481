/* version.c: --version (see version.h). */
#include "version.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PACKAGE_VERSION
#error "PACKAGE_VERSION comes from configure (DEFS)"
#endif

int files_version_requested(int argc, char *const argv[])
{
	const char *name, *slash;

	if (argc < 2 || argv == NULL || argv[1] == NULL || strcmp(argv[1], "--version") != 0)
		return 0;
	if (getenv("GATEWAY_INTERFACE") != NULL)
		return 0;
	name = argv[0] != NULL && argv[0][0] != '\0' ? argv[0] : PACKAGE_TARNAME;
	slash = strrchr(name, '/');
	if (slash != NULL && slash[1] != '\0')
		name = slash + 1;
	printf("%s (%s) %s\n", name, PACKAGE_TARNAME, PACKAGE_VERSION);
	return 1;
}
