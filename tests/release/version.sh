#!/bin/sh
# make check: every program make install installs answers --version with configure.ac's
# version (FILES_VERSION), and does not under a web server (GATEWAY_INTERFACE set), where a
# CGI query without '=' arrives as arguments. FILES_PROGRAMS: the built programs.
set -u
fail=0
if [ -z "${FILES_VERSION:-}" ] || [ -z "${FILES_PROGRAMS:-}" ]; then
	echo "FILES_VERSION/FILES_PROGRAMS unset"; exit 99
fi
for p in $FILES_PROGRAMS; do
	name=${p##*/}
	want="$name (sartiq-files) $FILES_VERSION"
	got=$(env -u GATEWAY_INTERFACE -u FILES_CONFIG timeout 10 "./$p" --version </dev/null 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] || [ "$got" != "$want" ]; then
		echo "FAIL $p --version: exit $rc, printed '$got', want '$want'"; fail=1
	else
		echo "ok   $p --version: $got"
	fi
	# As a CGI (GATEWAY_INTERFACE set) --version is a query, never answered with the version.
	if [ "${p#fcgi-bin/}" != "$p" ]; then
		got=$(env GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=GET REQUEST_URI=/x SCRIPT_NAME=/x \
		      QUERY_STRING=--version FILES_CONFIG=/nonexistent timeout 10 "./$p" --version </dev/null 2>&1)
		case $got in
		*"(sartiq-files)"*) echo "FAIL $p as CGI answered --version"; fail=1 ;;
		*) echo "ok   $p as CGI: no version" ;;
		esac
	fi
done
exit $fail
