/*
 * authd — the password checker for the submission handlers, with a memory
 * of recent successful logins.
 *
 *   authd [-C dir] [--idle seconds]
 *
 * Each submission connection is a new smtpd process, so without authd
 * each AUTH pays a whole yescrypt check (passwd.c).  authd is started by
 * its socket (Accept=no: one process gets the listening socket through
 * LISTEN_FDS), answers the handlers one request at a time (authreq.h),
 * and exits after a while without requests; systemd starts it again on
 * the next connection.
 *
 * The check is smtpd's (users_password_hash, passwd_verify: an unknown
 * user costs what a known one does).  After a right password, an HMAC of
 * user and password under a key made at start-up is remembered with the
 * identity of the users file (authcache.h); the same user, password and
 * file are then answered without yescrypt for AUTHCACHE_TTL seconds.
 * Wrong passwords are never remembered: each costs the whole check.
 * Only root and authd's own user may ask (SO_PEERCRED, unix(7)); the
 * process cannot be traced or dumped (PR_SET_DUMPABLE, prctl(2)), and the
 * key and the cache are wiped when it exits.
 *
 * What it leaves to smtpd: the SMTP dialogue, throttling of failures per
 * client, the AUTH log lines that fail2ban reads (RFC 4954).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "authcache.h"
#include "authreq.h"
#include "conf.h"
#include "io.h"
#include "log.h"
#include "num.h"
#include "passwd.h"
#include "sock.h"
#include "users.h"
#include "poison.h"

#define AUTHD_IDLE		60	/* seconds without a request, then exit */
#define AUTHD_IDLE_MAX		86400
#define AUTHD_IO_MS		2000	/* a client's whole request and answer */

struct authd {
	const char	*dir;
	struct conf	 conf;
	bool		 conf_ok;
	struct authcache cache;
	uid_t		 uid;		/* ours; root may ask too */
	unsigned long long requests, cached, refused;
};

static volatile sig_atomic_t authd_stop;

static void
usage(void)
{
	(void)fprintf(stderr, "usage: authd [-C dir] [--idle seconds]\n");
	exit(EX_USAGE);
}

static void
authd_signal(int sig)
{
	(void)sig;
	authd_stop = 1;
}

/* Seconds of CLOCK_BOOTTIME: monotonic, and counts a suspended machine. */
static int64_t
authd_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) == -1)
		return io_now_ms() / 1000;
	return (int64_t)ts.tv_sec;
}

static int64_t
authd_now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool
authd_conf(struct authd *d)
{
	char	 err[512];

	if (d->conf_ok)
		return true;
	if (conf_load(conf_dir(d->dir), &d->conf, err, sizeof(err)) == -1) {
		log_error("configuration", err, 0);
		return false;
	}
	d->conf_ok = true;
	return true;
}

/*
 * The identity of the users file a password of user would be checked
 * against (users_password_hash's file); false when there is none.
 */
static bool
authd_users_file(const struct users *u, const char *user,
    struct authcache_file *f)
{
	struct stat st;
	char	 path[PATH_MAX];

	if (users_password_file(u, user, path) != 1 || stat(path, &st) == -1)
		return false;
	authcache_file_of(&st, f);
	return true;
}

/* Check a password as smtpd does, with the cache in front. */
static enum authresp
authd_verify(struct authd *d, const struct authreq *r, bool *cached)
{
	struct users	 u;
	struct authcache_file f;
	char		 hash[PASSWD_HASH_MAX];
	bool		 have_file;
	int		 found, ok;
	int64_t		 now = authd_now();

	*cached = false;
	if (!authd_conf(d))
		return AUTHRESP_TEMP;
	if (users_open(&u, &d->conf) == -1) {
		log_error("cannot read the domains", d->conf.dir, errno);
		return AUTHRESP_TEMP;
	}
	/* Before the hash is read: a file replaced in between is a miss. */
	have_file = authd_users_file(&u, r->user, &f);
	if (have_file && authcache_lookup(&d->cache, r->user, r->pass, &f,
	    now)) {
		users_close(&u);
		*cached = true;
		return AUTHRESP_OK;
	}
	found = users_password_hash(&u, r->user, hash, sizeof(hash));
	if (found < 0) {
		log_error("cannot read users", r->user, errno);
		users_close(&u);
		return AUTHRESP_TEMP;
	}
	ok = passwd_verify(r->pass, found ? hash : NULL);
	explicit_bzero(hash, sizeof(hash));
	users_close(&u);
	if (ok < 0) {
		log_error("cannot check a password", r->user, errno);
		return AUTHRESP_TEMP;
	}
	if (ok == 1 && found == 1) {
		if (have_file)
			authcache_insert(&d->cache, r->user, r->pass, &f, now);
		return AUTHRESP_OK;
	}
	return AUTHRESP_FAIL;
}

/* Read one request: AUTHREQ_OK, or AUTHREQ_BAD with *why for the log. */
static enum authreq_result
authd_read(int fd, struct authreq *r, int64_t deadline, const char **why)
{
	unsigned char buf[AUTHREQ_MAX];
	enum authreq_result res = AUTHREQ_SHORT;
	size_t	 got = 0;
	ssize_t	 n;
	int	 ready;

	*why = "malformed request";
	while (res == AUTHREQ_SHORT) {
		if (got == sizeof(buf)) {
			res = AUTHREQ_BAD;
			break;
		}
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n > 0) {
			got += (size_t)n;
			res = authreq_decode(buf, got, r);
			continue;
		}
		if (n == 0) {
			*why = "closed before the end of the request";
			res = AUTHREQ_BAD;
		} else if (errno == EAGAIN || errno == EINTR) {
			if ((ready = io_poll_until(fd, POLLIN, deadline)) > 0)
				continue;
			*why = ready == 0 ? "timeout" : "poll failed";
			res = AUTHREQ_BAD;
		} else {
			*why = "read failed";
			res = AUTHREQ_BAD;
		}
	}
	explicit_bzero(buf, sizeof(buf));
	return res;
}

static void
authd_answer(int fd, enum authresp res, int64_t deadline)
{
	const char *line;
	size_t	 len, sent = 0;
	ssize_t	 n;

	line = authresp_line(res, &len);
	while (sent < len) {
		n = send(fd, line + sent, len - sent, MSG_NOSIGNAL);
		if (n > 0) {
			sent += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR) &&
		    io_poll_until(fd, POLLOUT, deadline) > 0)
			continue;
		/* the client has gone: it falls back to its own check */
		return;
	}
}

static void
authd_log_refused(const struct ucred *cr)
{
	struct logline l;

	log_start(&l, LOG_WARNING, "auth-refused");
	log_num(&l, "uid", (unsigned long long)cr->uid);
	log_num(&l, "pid", (unsigned long long)cr->pid);
	log_emit(&l);
}

static void
authd_log_check(const struct authreq *r, enum authresp res, bool cached,
    int64_t us)
{
	struct logline l;

	log_start(&l, LOG_INFO, "auth-check");
	log_str(&l, "client", r->client);
	log_str(&l, "user", r->user);
	log_str(&l, "result", authresp_name(res));
	log_str(&l, "cached", cached ? "yes" : "no");
	log_num(&l, "us", (unsigned long long)(us < 0 ? 0 : us));
	log_emit(&l);
}

/* One connection: who asks, the request, the check, the answer. */
static void
authd_serve(struct authd *d, int fd)
{
	struct authreq	 r;
	struct ucred	 cr;
	socklen_t	 len = sizeof(cr);
	enum authresp	 res;
	const char	*why;
	bool		 cached;
	int64_t		 deadline = io_now_ms() + AUTHD_IO_MS, t0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    len != sizeof(cr)) {
		log_error("cannot read the peer's credentials", NULL, errno);
		return;
	}
	if (cr.uid != 0 && cr.uid != d->uid) {
		d->refused++;
		authd_log_refused(&cr);
		return;
	}
	memset(&r, 0, sizeof(r));
	if (authd_read(fd, &r, deadline, &why) != AUTHREQ_OK) {
		authreq_wipe(&r);
		log_warn("bad request", why);
		return;
	}
	t0 = authd_now_us();
	res = authd_verify(d, &r, &cached);
	d->requests++;
	if (cached)
		d->cached++;
	/* logged first: when the client has its answer, the line is there */
	authd_log_check(&r, res, cached, authd_now_us() - t0);
	authreq_wipe(&r);
	authd_answer(fd, res, deadline);
}

static bool
authd_key(unsigned char *key, size_t n)
{
	size_t	 got = 0;
	ssize_t	 r;

	while (got < n) {
		r = getrandom(key + got, n - got, 0);
		if (r > 0)
			got += (size_t)r;
		else if (r == -1 && errno != EINTR)
			return false;
	}
	return true;
}

static void
authd_log_exit(const struct authd *d, const char *reason)
{
	struct logline l;

	log_start(&l, LOG_INFO, "authd-exit");
	log_str(&l, "reason", reason);
	log_num(&l, "requests", d->requests);
	log_num(&l, "cached", d->cached);
	log_num(&l, "refused", d->refused);
	log_emit(&l);
}

int
main(int argc, char **argv)
{
	static struct authd d;	/* static: not on a stack that is reused */
	struct sigaction sa;
	struct timespec	 timeout;
	sigset_t	 block, waitmask;
	unsigned char	 key[AUTHCACHE_KEY_LEN];
	const char	*reason = "idle";
	uint64_t	 idle = AUTHD_IDLE;
	int		 i, lfd, fd, r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			d.dir = argv[++i];
		else if (strcmp(argv[i], "--idle") == 0 && i + 1 < argc) {
			if (!num_parse_str(argv[++i], AUTHD_IDLE_MAX, &idle))
				usage();
		} else
			usage();
	}

	(void)umask(077);
	(void)signal(SIGPIPE, SIG_IGN);
	log_open("authd");
	/* No core dumps, no ptrace by other processes of our user. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		log_error("prctl PR_SET_DUMPABLE", NULL, errno);
	if ((lfd = sock_listen_fd()) == -1) {
		log_error("no listening socket (LISTEN_FDS): start authd "
		    "from its socket unit", NULL, 0);
		return EX_USAGE;
	}
	if (sock_nonblock(lfd) == -1) {
		log_error("cannot set the listening socket non-blocking", NULL,
		    errno);
		return EX_OSERR;
	}
	d.uid = geteuid();
	if (!authd_key(key, sizeof(key)) ||
	    authcache_init(&d.cache, key, AUTHCACHE_MAX, AUTHCACHE_TTL) == -1) {
		log_error("cannot set the cache up", NULL, errno);
		explicit_bzero(key, sizeof(key));
		return EX_OSERR;
	}
	explicit_bzero(key, sizeof(key));
	/* Kept out of swap where the limits allow (RLIMIT_MEMLOCK). */
	if (mlock(&d.cache, sizeof(d.cache)) == -1 || mlock(d.cache.e,
	    d.cache.cap * sizeof(*d.cache.e)) == -1)
		log_warn("cannot lock the cache in memory", strerror(errno));
	(void)authd_conf(&d);	/* logged; each request tries again */

	/*
	 * SIGTERM and SIGINT are blocked but while waiting in ppoll, so one
	 * that arrives between two requests is not lost before a long wait.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = authd_signal;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigemptyset(&block);
	(void)sigaddset(&block, SIGTERM);
	(void)sigaddset(&block, SIGINT);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigprocmask(SIG_BLOCK, &block, &waitmask) == -1)
		log_error("signals", NULL, errno);
	timeout.tv_sec = (time_t)idle;
	timeout.tv_nsec = 0;

	while (!authd_stop) {
		struct pollfd pfd = { .fd = lfd, .events = POLLIN };

		r = ppoll(&pfd, 1, idle == 0 ? NULL : &timeout, &waitmask);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			log_error("poll", NULL, errno);
			reason = "error";
			break;
		}
		if (r == 0)
			break;		/* idle: the socket starts us again */
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				continue;
			/* systemd starts a new process for the next client */
			log_error("accept", NULL, errno);
			reason = "error";
			break;
		}
		authd_serve(&d, fd);
		(void)close(fd);
	}
	if (authd_stop)
		reason = "signal";
	authd_log_exit(&d, reason);
	authcache_free(&d.cache);
	explicit_bzero(&d, sizeof(d));
	return strcmp(reason, "error") == 0 ? EX_OSERR : EX_OK;
}
