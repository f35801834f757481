/* version.h: the --version answer every program shares (responders, files-admin, files-cron). */
#ifndef FILES_VERSION_H
#define FILES_VERSION_H

/*
 * If argv[1] is "--version", print "NAME (sartiq-files) VERSION" (NAME: argv[0]'s last
 * component, VERSION: configure.ac's) on stdout and return 1; else return 0. Never under a
 * web server (GATEWAY_INTERFACE set): a CGI server passes a query without '=' as arguments,
 * so "?--version" must not reach this.
 */
int files_version_requested(int argc, char *const argv[]);

#endif
