/* responder.c: FastCGI/CGI request loop (see responder.h). */
#include "responder.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "version.h"
#include <fcgiapp.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static ssize_t fcgi_read(void *ctx, char *buf, size_t n)
{
	FCGX_Request *rq = ctx;
	int got = FCGX_GetStr(buf, n > 65536 ? 65536 : (int)n, rq->in);
	if (got == 0 && FCGX_GetError(rq->in) != 0)
		return -1;
	return got;
}

static int fcgi_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request *rq = ctx;
	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;
		if (FCGX_PutStr(buf, chunk, rq->out) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

static ssize_t cgi_read(void *ctx, char *buf, size_t n)
{
	size_t got = fread(buf, 1, n, stdin);
	(void)ctx;
	if (got == 0 && ferror(stdin))
		return -1;
	return (ssize_t)got;
}

static int cgi_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

void responder_handle(struct http_io *io, const struct route *t, size_t n)
{
	struct http_request r;
	struct timespec t0, t1;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (http_request_init(&r, io) == 0)
		route_dispatch(&r, t, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (r.status >= 500)
		log_error("%s %.*s -> %d (%ld ms)", r.method_str, (int)r.path_len, r.uri ? r.uri : "", r.status, ms);
	http_request_free(&r);
}

/* Read what is left of the request's stdin, up to a few reads: 1 when its end was seen
 * (a bodiless request's end record usually came with the params), else 0. */
static int stdin_drained(FCGX_Request *rq)
{
	char buf[8192];
	int i;

	for (i = 0; i < 8 && !FCGX_HasSeenEOF(rq->in); i++)
		if (FCGX_GetStr(buf, sizeof(buf), rq->in) <= 0)
			break;
	return FCGX_HasSeenEOF(rq->in) && FCGX_GetError(rq->in) == 0;
}

static int is_unix_socket(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_UNIX;
}

int responder_main(const char *name, const struct route *t, size_t n)
{
	FCGX_Request rq;
	struct http_io io;
	int unix_listen;

	log_set_program(name);
	config_init_or_die();
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0) {
		log_error("FCGX_Init failed");
		return 1;
	}
	if (FCGX_IsCGI()) {
		/* Plain CGI: one request from the environment and stdio, then exit. */
		io.read = cgi_read;
		io.write = cgi_write;
		io.ctx = NULL;
		io.envp = environ;
		responder_handle(&io, t, n);
		fflush(stdout);
		db_close();
		return 0;
	}
	if (FCGX_InitRequest(&rq, 0, 0) != 0) {
		log_error("FCGX_InitRequest failed");
		return 1;
	}
	/* accepted connections have the listening socket's family */
	unix_listen = is_unix_socket(0);
	while (FCGX_Accept_r(&rq) >= 0) {
		io.read = fcgi_read;
		io.write = fcgi_write;
		io.ctx = &rq;
		io.envp = rq.envp;
		responder_handle(&io, t, n);
		/* libfcgi closes with shutdown(), then reads until the web server closes its end
		 * (a wake-up and three system calls per request), so that nothing the server
		 * still sends meets a closed socket: that would reset the connection (a Unix
		 * socket too), and Apache then answers 503. Once the request's stdin has been
		 * read to its end the server sends nothing more, and a plain close is safe. */
		if (unix_listen && stdin_drained(&rq))
			FCGX_Detach(&rq);
		FCGX_Finish_r(&rq);
	}
	db_close();
	return 0;
}

/* glibc calls .init_array functions with main's arguments, before main: every responder
 * answers --version here, whatever its main(void) sets up first (configuration, storage). */
static void version_early(int argc, char **argv, char **envp)
{
	if (files_version_requested(argc, argv))
		_exit(fflush(stdout) == 0 ? 0 : 1);
}
__attribute__((section(".init_array"), used))
static void (*const version_early_entry)(int, char **, char **) = version_early;
