/* responder.c: FastCGI/CGI request loop (see responder.h). */
#include "responder.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "version.h"
#include <fcgiapp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Per-connection state of the FastCGI reader. */
struct fcgi_conn {
	FCGX_Request *rq;
	int timeout_set;       /* SO_RCVTIMEO is on the connection */
};

static int body_timeout_ms(void)
{
	const struct config *c = config_get();
	return (int)(c ? c->body_read_timeout_seconds * 1000 : 20000);
}

/*
 * Body bytes as they come: what libfcgi holds already, else one wait for the next bytes
 * (never for the whole n, which a trickling client could stretch to hours). A read that
 * waits BODY_READ_TIMEOUT_SECONDS without a byte fails with errno EAGAIN (SO_RCVTIMEO).
 */
static ssize_t fcgi_read(void *ctx, char *buf, size_t n)
{
	struct fcgi_conn *fc = ctx;
	FCGX_Stream *in = fc->rq->in;
	long avail;
	int got, more;

	if (n > 65536)
		n = 65536;
	avail = (long)(in->stop - in->rdNext);
	if (avail > 0)
		return FCGX_GetStr(buf, (int)((size_t)avail < n ? (size_t)avail : n), in);
	if (!fc->timeout_set) {      /* only once a read may wait: a small body is often all here */
		int ms = body_timeout_ms();
		struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
		setsockopt(fc->rq->ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		fc->timeout_set = 1;
	}
	got = FCGX_GetStr(buf, 1, in);
	if (got == 0) {
		if (FCGX_GetError(in) == 0)
			return 0;
		errno = FCGX_GetError(in) > 0 ? FCGX_GetError(in) : EIO;
		return -1;
	}
	avail = (long)(in->stop - in->rdNext);
	if (avail > 0 && n > 1) {
		more = FCGX_GetStr(buf + 1, (int)((size_t)avail < n - 1 ? (size_t)avail : n - 1), in);
		got += more > 0 ? more : 0;
	}
	return got;
}

static int fcgi_write(void *ctx, const char *buf, size_t n)
{
	FCGX_Request *rq = ((struct fcgi_conn *)ctx)->rq;
	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;
		if (FCGX_PutStr(buf, chunk, rq->out) != chunk)
			return -1;
		buf += chunk;
		n -= (size_t)chunk;
	}
	return 0;
}

/* Plain CGI: stdin as it comes, waiting at most BODY_READ_TIMEOUT_SECONDS for a byte. */
static ssize_t cgi_read(void *ctx, char *buf, size_t n)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	int rc;

	(void)ctx;
	do
		rc = poll(&p, 1, body_timeout_ms());
	while (rc < 0 && errno == EINTR);
	if (rc == 0) {
		errno = ETIMEDOUT;
		return -1;
	}
	return read(0, buf, n);
}

static int cgi_write(void *ctx, const char *buf, size_t n)
{
	(void)ctx;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

void responder_handle(struct http_io *io, const struct route *t, size_t n)
{
	struct exchange x;
	struct timespec t0, t1;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (exchange_init(&x, io) == 0)
		route_dispatch(&x, t, n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	if (x.out.status >= 500)
		log_error("%s %.*s -> %d (%ld ms)", x.in.method_str, (int)x.in.path_len, x.in.uri ? x.in.uri : "",
		    x.out.status, ms);
	exchange_free(&x);
}

#define DRAIN_CHECK_MS 200   /* wait for more stdin once the answer is out */

/* Read what is left of the request's stdin, a few reads of what is there at most: 1 when its
 * end was seen (a bodiless request's end record usually came with the params), else 0. A
 * short receive timeout keeps a slow client's unread body from holding the process here. */
static int stdin_drained(struct fcgi_conn *fc, int body_done)
{
	struct timeval tv = { 0, DRAIN_CHECK_MS * 1000 };
	char buf[8192];
	int i;

	if (FCGX_HasSeenEOF(fc->rq->in))
		return FCGX_GetError(fc->rq->in) == 0;
	/* After a body read to its end only the server's end record is left: no client can
	 * hold it back, so no short timeout (a system call saved per request). */
	if (!body_done) {
		setsockopt(fc->rq->ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		fc->timeout_set = 1;
	}
	for (i = 0; i < 8 && !FCGX_HasSeenEOF(fc->rq->in); i++)
		if (fcgi_read(fc, buf, sizeof(buf)) <= 0)
			break;
	return FCGX_HasSeenEOF(fc->rq->in) && FCGX_GetError(fc->rq->in) == 0;
}

#define LINGER_MS 2000   /* longest wait for the web server to stop sending, after the answer */

/* Plain CGI: read what is left of stdin for at most LINGER_MS, so the web server, still
 * writing a body the answer refused, does not meet a closed pipe (Apache's mod_cgid then
 * breaks the response), while a client sending slowly cannot keep the process. */
static void cgi_linger(void)
{
	struct timespec t0, t;
	char buf[16384];
	long left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = LINGER_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0 || read(0, buf, sizeof(buf)) <= 0)
			break;
	}
}

/*
 * End a connection whose request body was not read to its end (refused, timed out): send
 * the answer and the end of the request, stop writing, and read what the web server still
 * sends for at most LINGER_MS in all, then close. libfcgi's own linger waits as long as
 * bytes keep coming, so a client trickling a body would hold the process for as long as it
 * likes; closing at once instead would reset the connection before the server read the answer.
 */
static void close_bounded(FCGX_Request *rq)
{
	struct timespec t0, t;
	char buf[16384];
	long left;

	FCGX_FClose(rq->err);
	FCGX_FClose(rq->out);
	if (shutdown(rq->ipcFd, SHUT_WR) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			struct pollfd p = { .fd = rq->ipcFd, .events = POLLIN };
			clock_gettime(CLOCK_MONOTONIC, &t);
			left = LINGER_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
			if (left <= 0 || poll(&p, 1, (int)left) <= 0 || read(rq->ipcFd, buf, sizeof(buf)) <= 0)
				break;
		}
	}
	FCGX_Detach(rq);
}

static int is_unix_socket(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 && ss.ss_family == AF_UNIX;
}

/*
 * FILES_FCGI_CHILDREN=N (1..64): the process started by the web server (lighttpd with
 * max-procs 1, see httpd-conf/lighttpd/responder.conf.in) loads and relocates every library
 * once, then forks N children that accept on the same FastCGI socket, and only watches them.
 * The pages written at load time (libcrypto's, libpq's, GnuTLS's, Kerberos's relocations:
 * about 1 MiB per process) stay shared among the children instead of being copied into each
 * separately started process (docs/performance.md, memory). The children open their own
 * database connection on their first request; the parent never serves, so it holds none.
 */
#define CHILDREN_MAX 64

static int children_wanted(void)
{
	const char *v = getenv("FILES_FCGI_CHILDREN");
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0 || n > CHILDREN_MAX) {
		log_error("FILES_FCGI_CHILDREN=%s: want 0..%d; serving in this process", v, CHILDREN_MAX);
		return 0;
	}
	return (int)n;
}

/* fork one child: 0 in the child (signal mask restored), its pid in the parent, -1 on failure. */
static pid_t spawn_child(pid_t parent, const sigset_t *mask)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	sigprocmask(SIG_SETMASK, mask, NULL);
	/* die with the parent, even when it is killed without a chance to stop us */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(0);
	return 0;
}

/*
 * Fork n children and watch them: returns 0 in each child (which then serves), or, in the
 * parent, 1 once SIGTERM, SIGINT or SIGHUP came and the children are gone. A child that
 * exits is replaced, at most one per second. The parent takes its signals synchronously
 * (blocked, sigwaitinfo), so a stop that comes at any moment is never missed.
 */
static int prefork(int n)
{
	pid_t kids[CHILDREN_MAX], parent = getpid(), pid;
	sigset_t set, old;
	int i, st, sig, live = 0;

	signal(SIGCHLD, SIG_DFL);       /* an inherited SIG_IGN would reap them unseen */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	for (i = 0; i < n; i++) {
		if ((kids[i] = spawn_child(parent, &old)) == 0)
			return 0;
		if (kids[i] < 0)
			log_error("fork: %s", strerror(errno));
		else
			live++;
	}
	for (sig = 0; live > 0 && sig != SIGTERM && sig != SIGINT && sig != SIGHUP;) {
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			for (i = 0; i < n && kids[i] != pid; i++)
				;
			if (i == n)
				continue;
			live--;
			log_error("child %d ended (%s %d): starting another", (int)pid,
			    WIFSIGNALED(st) ? "signal" : "status",
			    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			sleep(1);       /* a stop meanwhile stays pending */
			if ((kids[i] = spawn_child(parent, &old)) == 0)
				return 0;
			if (kids[i] > 0)
				live++;
		}
		if (live > 0 && (sig = sigwaitinfo(&set, NULL)) < 0)
			sig = 0;        /* EINTR: look again */
	}
	for (i = 0; i < n; i++)
		if (kids[i] > 0)
			kill(kids[i], SIGTERM);
	while (waitpid(-1, &st, 0) > 0 || errno == EINTR)
		;
	return 1;
}

static int listen_fd = -1;          /* the FastCGI listening socket; -1 under plain CGI */
static int (*after_hook)(int last);

int responder_queued(void)
{
	struct pollfd p = { .fd = listen_fd, .events = POLLIN };

	return listen_fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void finish_queued(void)
{
	after_hook(1);
}

void responder_after(int (*fn)(int last))
{
	after_hook = fn;
	route_finish_queued = fn ? finish_queued : NULL;
}

/*
 * With an after hook, a stop (SIGTERM from the web server or the pre-fork parent) ends the
 * loop once the current request is answered, after the hook's last run: libfcgi's own
 * handler would only end it in its blocking accept, which this loop replaces with poll.
 */
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void catch_stops(void)
{
	static const int sigs[] = { SIGTERM, SIGUSR1, SIGINT, SIGHUP };
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sa.sa_flags = SA_RESTART;       /* poll still returns EINTR: the loop looks then */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/*
 * With an after hook, the listening socket is non-blocking: accept is tried first, and when
 * no connection is there (or a sibling took it) the wait is in poll, for at most the time
 * the hook asked for (its work is due then). The milliseconds the hook wants now.
 */
static int wait_for_request(int ms)
{
	struct pollfd p = { .fd = listen_fd, .events = POLLIN };
	int r;

	while (!stop_requested && (r = poll(&p, 1, ms > 0 ? ms : -1)) != 1) {
		if (r < 0 && errno != EINTR)
			break;          /* let accept report what is wrong */
		if (r == 0)
			ms = after_hook(0);
	}
	return ms;
}

int responder_main(const char *name, const struct route *t, size_t n)
{
	FCGX_Request rq;
	struct fcgi_conn fc;
	struct http_io io;
	int unix_listen, children, rc, wait_ms = 0;
	char why[256];

	log_set_program(name);
	config_init_or_die();
	if (route_check(t, n, why, sizeof(why)) != 0) {
		log_error("route table: %s", why);
		return 78;
	}
	signal(SIGPIPE, SIG_IGN);
	if (after_hook)
		catch_stops();      /* before FCGX_Init, which leaves a handler in place */
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
		io.body_done = 0;
		responder_handle(&io, t, n);
		fflush(stdout);
		if (after_hook)
			after_hook(1);
		cgi_linger();
		db_close();
		return 0;
	}
	if (FCGX_InitRequest(&rq, 0, 0) != 0) {
		log_error("FCGX_InitRequest failed");
		return 1;
	}
	/* accepted connections have the listening socket's family */
	unix_listen = is_unix_socket(0);
	listen_fd = 0;
	if (after_hook)
		fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
	if ((children = children_wanted()) > 0) {
		db_prefork();
		/* the parent, stopped: it ends as a signal would have ended it before (no exit
		 * handlers; it served nothing) */
		if (prefork(children) != 0)
			_exit(0);
	}
	while (!stop_requested) {
		rc = FCGX_Accept_r(&rq);
		/* (without a hook, libfcgi's stop may end its accept with a stale EAGAIN: an end too) */
		if (after_hook && (rc == -EAGAIN || rc == -EWOULDBLOCK)) {
			wait_ms = wait_for_request(wait_ms);
			continue;
		}
		if (rc < 0)
			break;
		fc.rq = &rq;
		fc.timeout_set = 0;
		io.read = fcgi_read;
		io.write = fcgi_write;
		io.ctx = &fc;
		io.envp = rq.envp;
		io.body_done = 0;
		responder_handle(&io, t, n);
		/* libfcgi closes with shutdown(), then reads until the web server closes its end
		 * (a wake-up and three system calls per request), so that nothing the server
		 * still sends meets a closed socket: that would reset the connection (a Unix
		 * socket too), and Apache then answers 503. Once the request's stdin has been
		 * read to its end the server sends nothing more, and a plain close is safe. */
		if (stdin_drained(&fc, io.body_done)) {
			if (unix_listen)
				FCGX_Detach(&rq);
		} else {
			close_bounded(&rq);
		}
		FCGX_Finish_r(&rq);
		if (rq.keepConnection && rq.ipcFd >= 0) {
			struct timeval none = { 0, 0 };   /* the next request may idle: no timeout */
			setsockopt(rq.ipcFd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
		}
		/* a kept connection's next request is read in libfcgi's blocking read: nothing may wait */
		if (after_hook)
			wait_ms = after_hook(rq.ipcFd >= 0);
	}
	if (after_hook)
		after_hook(1);
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

/* libpq loads GnuTLS (through libldap), whose constructor initialises it in every process
 * that maps it: about 120 kB of heap in each responder, for LDAP over TLS that no
 * responder uses. GnuTLS skips that constructor when the program defines this function
 * (its GNUTLS_SKIP_GLOBAL_INIT, spelled out here: no GnuTLS header is needed); a library
 * that does use GnuTLS calls gnutls_global_init() itself, as libldap and librtmp do. */
int _gnutls_global_init_skip(void);
int _gnutls_global_init_skip(void)
{
	return 1;
}
