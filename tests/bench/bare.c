/* bare.c: the cheapest possible FastCGI responder (200, application/json, "{}"), the floor tests/bench/run compares the real responders with. */
#include <fcgiapp.h>
#include <signal.h>

/* Built by tests/bench/run (gcc -O2 bare.c -lfcgi), not by make: it is a yardstick, not part
 * of the service. It reads no body, looks at no parameter and holds no state, so what it
 * costs is what lighttpd + libfcgi + one process switch cost per request. */
int main(void)
{
	static const char answer[] =
		"Status: 200 OK\r\n"
		"Content-Type: application/json\r\n"
		"\r\n"
		"{}";
	FCGX_Request rq;

	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&rq, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&rq) >= 0) {
		FCGX_PutStr(answer, (int)(sizeof answer - 1), rq.out);
		FCGX_Finish_r(&rq);
	}
	return 0;
}
