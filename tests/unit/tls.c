/*
 * tls.c — unit tests for the TLS plugin (libexec/tls/, through tls.h and
 * libexec/common/tlsload.c).
 *
 * Certificates come from tests/lib/mkcerts.sh at run time (a CA, RSA and
 * ECDSA certificates for mx.example.test, ECDSA for other.example).  Each
 * case runs the server side in a child process on one end of a
 * socketpair, its stderr (the plugin's log lines) in a file, and a GnuTLS
 * client here on the other end: protocol versions, SNI and key-type
 * selection, cipher suite names, echo through io.c with the transport,
 * pending(), clean close, resumption across processes through the shared
 * ticket key file and that file's life (replacement, races), broken
 * certificate folders, folder order, renewal on disk, renegotiation,
 * timeouts and garbage.  Under ASan each server child runs a leak check
 * before it exits.
 *
 * The plugin: $TAMBO_BUILD/libexec/tambo/tls.so, else ../../libexec/tambo/
 * next to this program.  Skipped (not failed) without certtool.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "io.h"
#include "tls.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_LSAN 1
#endif
#endif
#ifdef TEST_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#define HOST	"mx.example.test"
#define OTHER	"other.example"
#define PEND	"0123456789ABCDEFGHIJ"	/* one record, read 5 then 15 */
#define BIG	(48 * 1024)

static const struct tls_ops *ops;
static char top[PATH_MAX];	/* a temporary directory */
static char pki[PATH_MAX];	/* mkcerts.sh output */
static char certs[PATH_MAX];	/* pki/certs */
static char cafile[PATH_MAX];

/* --- the server, in a child --------------------------------------------- */

enum srv_mode {
	SRV_ECHO,	/* handshake, pending check, echo lines until QUIT */
	SRV_HS,		/* handshake only */
	SRV_NEW,	/* server_new only */
};

struct srv {
	/* in */
	const char	*certs_dir;
	const char	*ticket;
	int		 min_version;
	int		 timeout_ms;
	enum srv_mode	 mode;
	bool		 linger;	/* srv_finish waits for the exit */
	/* out */
	pid_t		 pid;
	int		 fd;		/* the client's end */
	int		 res;		/* results pipe, read end */
	char		 logpath[PATH_MAX];
	bool		 new_ok, hs_ok, echo_ok, clean;
	char		 err[512], desc[128], sni[300], pre[64];
	int		 resumed;
	long		 pend1, pend2;
	long		 hs_ms;
	char		 log[8192];
};

static void
emit(int fd, const char *key, const char *val)
{
	char	 line[1024];
	int	 n = snprintf(line, sizeof(line), "%s %s\n", key, val);

	if (n > 0 && (size_t)n < sizeof(line))
		(void)!write(fd, line, (size_t)n);
}

static void
emitn(int fd, const char *key, long v)
{
	char	 num[32];

	(void)snprintf(num, sizeof(num), "%ld", v);
	emit(fd, key, num);
}

static void
child_exit(int code)
{
#ifdef TEST_LSAN
	if (__lsan_do_recoverable_leak_check() != 0)
		code = 99;
#endif
	_exit(code);
}

/* Read exactly n bytes through the transport, polling on EAGAIN. */
static bool
srv_read_exact(struct tls *t, int fd, char *buf, size_t n)
{
	size_t	 got = 0;

	while (got < n) {
		ssize_t	r = ops->io.read(t, buf + got, n - got);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r == -1 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (poll(&pfd, 1, 5000) != 1)
				return false;
			continue;
		}
		return false;
	}
	return true;
}

static void
srv_child(struct srv *s, int fd, int res)
{
	static struct io io;
	struct tls_server_params p = {
		.certs_dir = s->certs_dir,
		.hostname = HOST,
		.ticket_key = s->ticket,
		.min_version = s->min_version,
		.timeout_ms = s->timeout_ms,
	};
	struct tls *t;
	struct timespec a, b;
	char	 err[512], buf[1024];
	size_t	 len;
	bool	 eol;
	enum io_result r;

	t = ops->server_new(&p, fd, err, sizeof(err));
	emitn(res, "new", t != NULL);
	if (t == NULL) {
		emit(res, "err", err);
		child_exit(0);
	}
	ops->describe(t, buf, sizeof(buf));
	emit(res, "pre", buf[0] == '\0' && ops->sni(t)[0] == '\0' &&
	    !ops->resumed(t) ? "empty" : buf);
	if (s->mode == SRV_NEW) {
		ops->free(t);
		child_exit(0);
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &a);
	if (ops->handshake(t, err, sizeof(err)) == -1) {
		(void)clock_gettime(CLOCK_MONOTONIC, &b);
		emitn(res, "hs", 0);
		emit(res, "err", err);
		emitn(res, "hs_ms", (b.tv_sec - a.tv_sec) * 1000 +
		    (b.tv_nsec - a.tv_nsec) / 1000000);
		ops->free(t);
		child_exit(0);
	}
	emitn(res, "hs", 1);
	ops->describe(t, buf, sizeof(buf));
	emit(res, "desc", buf);
	emit(res, "sni", ops->sni(t));
	emitn(res, "resumed", ops->resumed(t));
	if (s->mode == SRV_HS) {
		ops->bye(t);
		ops->free(t);
		child_exit(0);
	}

	/* one 20-byte record: after reading 5, 15 are pending */
	if (srv_read_exact(t, fd, buf, 5)) {
		emitn(res, "pend1", (long)ops->io.pending(t));
		if (srv_read_exact(t, fd, buf + 5, 15) &&
		    memcmp(buf, PEND, 20) == 0)
			emitn(res, "pend2", (long)ops->io.pending(t));
	}

	/* echo lines through io.c until QUIT */
	io_init(&io, fd, fd, 5000, 0);
	io_set_transport(&io, &ops->io, t);
	for (;;) {
		r = io_readline(&io, buf, sizeof(buf), &len, &eol);
		if (r != IO_OK) {
			emit(res, "err", ops->error(t));
			break;
		}
		if (len == 6 && memcmp(buf, "QUIT\r\n", 6) == 0) {
			if (io_write(&io, "BYE\r\n", 5) == IO_OK &&
			    io_flush(&io) == IO_OK)
				emitn(res, "echo", 1);
			ops->bye(t);
			break;
		}
		if (io_write(&io, buf, len) != IO_OK) {
			emit(res, "ioerr", ops->error(t));
			break;
		}
	}
	ops->free(t);
	child_exit(0);
}

/* Fork the server; s->fd is then the client's end. */
static void
srv_start(struct srv *s)
{
	int	 sv[2], pp[2], logfd;

	if (s->timeout_ms == 0)
		s->timeout_ms = 10000;
	if (s->min_version == 0)
		s->min_version = 12;
	tap_pathf(s->logpath, sizeof(s->logpath), "%s/server.log", top);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1 ||
	    pipe2(pp, O_CLOEXEC) == -1)
		bail_out("socketpair", strerror(errno));
	if ((logfd = open(s->logpath, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600)) == -1)
		bail_out(s->logpath, strerror(errno));
	fflush(stdout);
	if ((s->pid = fork()) == -1)
		bail_out("fork", strerror(errno));
	if (s->pid == 0) {
		int	 fd;

		(void)dup2(logfd, STDERR_FILENO);
		/* only our own ends: earlier sessions' pipes must see EOF */
		for (fd = 3; fd < 1024; fd++)
			if (fd != sv[1] && fd != pp[1])
				(void)close(fd);
		srv_child(s, sv[1], pp[1]);
	}
	(void)close(logfd);
	(void)close(sv[1]);
	(void)close(pp[1]);
	s->fd = sv[0];
	s->res = pp[0];
}

static void
srv_field(struct srv *s, const char *key, const char *val)
{
#define SET(k, dst)	if (strcmp(key, k) == 0) \
		(void)snprintf(dst, sizeof(dst), "%s", val)
	SET("err", s->err);
	SET("desc", s->desc);
	SET("sni", s->sni);
	SET("pre", s->pre);
#undef SET
	if (strcmp(key, "new") == 0)
		s->new_ok = strcmp(val, "1") == 0;
	if (strcmp(key, "hs") == 0)
		s->hs_ok = strcmp(val, "1") == 0;
	if (strcmp(key, "echo") == 0)
		s->echo_ok = true;
	if (strcmp(key, "resumed") == 0)
		s->resumed = strtol(val, NULL, 10) != 0;
	if (strcmp(key, "pend1") == 0)
		s->pend1 = strtol(val, NULL, 10);
	if (strcmp(key, "pend2") == 0)
		s->pend2 = strtol(val, NULL, 10);
	if (strcmp(key, "hs_ms") == 0)
		s->hs_ms = strtol(val, NULL, 10);
}

/* Collect the child's results; returns its exit status (99: leaks). */
static int
srv_finish(struct srv *s)
{
	char	 buf[8192];
	size_t	 got = 0;
	ssize_t	 n;
	char	*line, *nl, *sp;
	int	 status = 0, fd;
	bool	 waited = false;

	if (s->linger) {
		/* the child gives up on its own: keep our end open */
		(void)waitpid(s->pid, &status, 0);
		waited = true;
	}
	(void)close(s->fd);
	s->pend1 = s->pend2 = -1;
	while (got < sizeof(buf) - 1 &&
	    (n = read(s->res, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	(void)close(s->res);
	for (line = buf; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
		*nl = '\0';
		if ((sp = strchr(line, ' ')) == NULL)
			continue;
		*sp = '\0';
		srv_field(s, line, sp + 1);
	}
	if (!waited)
		(void)waitpid(s->pid, &status, 0);
	s->log[0] = '\0';
	if ((fd = open(s->logpath, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, s->log, sizeof(s->log) - 1);
		s->log[n > 0 ? n : 0] = '\0';
		(void)close(fd);
	}
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* --- the client, here ---------------------------------------------------- */

struct cli {
	/* in */
	const char	*prio;
	const char	*sni;		/* NULL: none */
	const char	*verify_name;	/* NULL: sni */
	gnutls_datum_t	 resume;	/* session data, or empty */
	bool		 garbage;	/* send plaintext instead of a hello */
	bool		 reneg;		/* ask to renegotiate (TLS 1.2) */
	/* out */
	bool		 hs_ok, verified, echo_ok, big_ok, clean, resumed;
	bool		 reneg_refused;
	char		 err[256];
	char		 cn[256];
	int		 pk;
	gnutls_datum_t	 peer;		/* DER of the server's certificate */
	gnutls_datum_t	 saved;		/* session data for resumption */
};

static void
cli_free(struct cli *c)
{
	gnutls_free(c->peer.data);
	gnutls_free(c->saved.data);
	c->peer.data = c->saved.data = NULL;
	c->peer.size = c->saved.size = 0;
}

static bool
cli_send(gnutls_session_t s, const void *p, size_t n)
{
	const char *b = p;

	while (n > 0) {
		ssize_t	r = gnutls_record_send(s, b, n);

		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

/* Receive exactly n bytes; false on error, EOF or a timeout. */
static bool
cli_recv(gnutls_session_t s, void *p, size_t n)
{
	char	*b = p;

	while (n > 0) {
		ssize_t	r = gnutls_record_recv(s, b, n);

		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r <= 0)
			return false;
		b += r;
		n -= (size_t)r;
	}
	return true;
}

static void
cli_peer(struct cli *c, gnutls_session_t s)
{
	const gnutls_datum_t *pc;
	gnutls_x509_crt_t crt;
	unsigned	 n = 0, status = 1;
	size_t		 len = sizeof(c->cn);
	const char	*name = c->verify_name ? c->verify_name : c->sni;

	if (gnutls_certificate_verify_peers3(s, name ? name : HOST,
	    &status) == 0 && status == 0)
		c->verified = true;
	if ((pc = gnutls_certificate_get_peers(s, &n)) == NULL || n == 0)
		return;
	if (gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &pc[0], GNUTLS_X509_FMT_DER) == 0) {
		if (gnutls_x509_crt_get_dn_by_oid(crt,
		    GNUTLS_OID_X520_COMMON_NAME, 0, 0, c->cn, &len) < 0)
			c->cn[0] = '\0';
		c->pk = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
		(void)gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER,
		    &c->peer);
	}
	gnutls_x509_crt_deinit(crt);
}

static void
cli_run(struct cli *c, int fd)
{
	gnutls_certificate_credentials_t cred = NULL;
	gnutls_session_t s = NULL;
	static char big[BIG], back[BIG];
	char	 line[16];
	size_t	 i;
	int	 r;

	if (c->garbage) {
		(void)!write(fd, "EHLO client.example\r\n", 21);
		(void)shutdown(fd, SHUT_WR);
		return;
	}
	if (gnutls_certificate_allocate_credentials(&cred) < 0 ||
	    gnutls_certificate_set_x509_trust_file(cred, cafile,
	    GNUTLS_X509_FMT_PEM) != 1 ||
	    gnutls_init(&s, GNUTLS_CLIENT) < 0)
		bail_out("client set-up", NULL);
	if ((r = gnutls_priority_set_direct(s, c->prio, NULL)) < 0)
		bail_out("client priority", gnutls_strerror(r));
	(void)gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	if (c->sni != NULL)
		(void)gnutls_server_name_set(s, GNUTLS_NAME_DNS, c->sni,
		    strlen(c->sni));
	if (c->resume.size > 0)
		(void)gnutls_session_set_data(s, c->resume.data,
		    c->resume.size);
	gnutls_transport_set_int(s, fd);
	gnutls_handshake_set_timeout(s, 10000);
	gnutls_record_set_timeout(s, 10000);
	do
		r = gnutls_handshake(s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0) {
		(void)snprintf(c->err, sizeof(c->err), "%s", gnutls_strerror(r));
		goto out;
	}
	c->hs_ok = true;
	c->resumed = gnutls_session_is_resumed(s) != 0;
	cli_peer(c, s);

	if (!cli_send(s, PEND, 20) || !cli_send(s, "hello\r\n", 7) ||
	    !cli_recv(s, line, 7))
		goto out;
	c->echo_ok = memcmp(line, "hello\r\n", 7) == 0;
	if (c->reneg) {
		/* the server must answer no_renegotiation and carry on */
		do
			r = gnutls_handshake(s);
		while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
		c->reneg_refused = r == GNUTLS_E_WARNING_ALERT_RECEIVED &&
		    gnutls_alert_get(s) == GNUTLS_A_NO_RENEGOTIATION;
	}
	/* 48 KiB of 64-byte lines, in records of up to 16 KiB */
	for (i = 0; i < BIG; i++)
		big[i] = (i % 64 == 62) ? '\r' : (i % 64 == 63) ? '\n' :
		    (char)('a' + (i / 64 + i) % 26);
	if (!cli_send(s, big, BIG) || !cli_recv(s, back, BIG))
		goto out;
	c->big_ok = memcmp(big, back, BIG) == 0;
	/* the TLS 1.3 tickets arrived with the data: now worth saving */
	(void)gnutls_session_get_data2(s, &c->saved);
	if (!cli_send(s, "QUIT\r\n", 6) || !cli_recv(s, line, 5) ||
	    memcmp(line, "BYE\r\n", 5) != 0)
		goto out;
	do
		r = (int)gnutls_record_recv(s, line, sizeof(line));
	while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
	c->clean = r == 0;		/* close_notify */
out:
	if (s != NULL)
		gnutls_deinit(s);
	if (cred != NULL)
		gnutls_certificate_free_credentials(cred);
}

/* One session: server in a child, client here. */
static int
session(struct srv *s, struct cli *c)
{
	srv_start(s);
	cli_run(c, s->fd);
	return srv_finish(s);
}

/* --- helpers ------------------------------------------------------------- */

static void
run_cmd(const char *sh, const char *arg)
{
	pid_t	 pid;
	int	 status;

	fflush(stdout);
	if ((pid = fork()) == -1)
		bail_out("fork", strerror(errno));
	if (pid == 0) {
		int	 null = open("/dev/null", O_WRONLY);

		if (null != -1)
			(void)dup2(null, STDOUT_FILENO);
		execl("/bin/sh", "sh", sh, arg, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		bail_out("failed", sh);
}

static void
copy_file(const char *from, const char *to)
{
	char	 buf[65536];
	ssize_t	 n;
	int	 in, out;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		bail_out(from, strerror(errno));
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1)
		bail_out(to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			bail_out(to, strerror(errno));
	(void)close(in);
	(void)close(out);
}

/* A folder name/ under dir with the given files (NULL: leave out). */
static void
make_folder(const char *dir, const char *name, const char *chain,
    const char *key)
{
	char	 d[PATH_MAX], f[PATH_MAX];

	tap_pathf(d, sizeof(d), "%s/%s", dir, name);
	if (mkdir(d, 0700) == -1 && errno != EEXIST)
		bail_out(d, strerror(errno));
	if (chain != NULL) {
		tap_pathf(f, sizeof(f), "%s/fullchain.pem", d);
		copy_file(chain, f);
	}
	if (key != NULL) {
		tap_pathf(f, sizeof(f), "%s/privkey.pem", d);
		copy_file(key, f);
	}
}

static bool
file_equal_der(const char *pemfile, const gnutls_datum_t *der)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t	 pem = { NULL, 0 }, out = { NULL, 0 };
	bool		 eq = false;

	if (gnutls_load_file(pemfile, &pem) < 0)
		return false;
	if (gnutls_x509_crt_init(&crt) == 0) {
		if (gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) ==
		    0 && gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER,
		    &out) == 0)
			eq = der->size == out.size &&
			    memcmp(der->data, out.data, out.size) == 0;
		gnutls_x509_crt_deinit(crt);
	}
	gnutls_free(out.data);
	gnutls_free(pem.data);
	return eq;
}

static bool
find_up(char *out, size_t outsz, const char *start, const char *rel)
{
	char	 dir[PATH_MAX];
	char	*slash;
	int	 i;

	(void)snprintf(dir, sizeof(dir), "%s", start);
	for (i = 0; i < 6; i++) {
		tap_pathf(out, outsz, "%s/%s", dir, rel);
		if (access(out, R_OK) == 0)
			return true;
		if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
			return false;
		*slash = '\0';
	}
	return false;
}

/* --- the cases ----------------------------------------------------------- */

#define NORMAL13	"NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define NORMAL12	"NORMAL:-VERS-ALL:+VERS-TLS1.2"

static void
test_load(const char *plugin)
{
	char	 err[512];

	ok(tls_load(NULL, err, sizeof(err)) == NULL &&
	    strstr(err, "tests/unit/" TLS_PLUGIN) != NULL,
	    "tls_load(NULL) looks next to the program: %s", err);
	ok(tls_load("/nonexistent/tls.so", err, sizeof(err)) == NULL &&
	    strstr(err, "/nonexistent/tls.so") != NULL,
	    "tls_load of a missing file fails, naming it");
	ops = tls_load(plugin, err, sizeof(err));
	if (ops == NULL)
		bail_out("tls_load", err);
	ok(ops->abi == TLS_ABI, "plugin ABI");
	ok(tls_load("/nonexistent/tls.so", err, sizeof(err)) == ops,
	    "later tls_load calls return the loaded plugin");
	ops->free(NULL);
	ok(1, "free(NULL) is harmless");
}

static const struct version_case {
	const char	*prio;
	int		 min_version;
	bool		 ok;
	const char	*desc;
	const char	*name;
} version_cases[] = {
	{ NORMAL13, 12, true, "TLS1.3 TLS_AES_128_GCM_SHA256", "TLS 1.3" },
	{ NORMAL12, 12, true, "TLS1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
	    "TLS 1.2" },
	{ "NORMAL", 13, true, "TLS1.3 TLS_AES_128_GCM_SHA256",
	    "TLS 1.3 with min_version 13" },
	{ NORMAL12, 13, false, NULL, "TLS 1.2 refused with min_version 13" },
	{ "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0", 12, false, NULL,
	    "TLS 1.1 and 1.0 refused" },
	{ NORMAL12 ":-CIPHER-ALL:+AES-128-CBC:+AES-256-CBC"
	    ":-MAC-ALL:+SHA1:+SHA256", 12, false, NULL,
	    "TLS 1.2 with only CBC suites refused" },
	{ NORMAL12 ":-KX-ALL:+RSA", 12, false, NULL,
	    "TLS 1.2 static-RSA key exchange refused" },
	{ NORMAL13 ":-CIPHER-ALL:+AES-256-GCM", 12, true,
	    "TLS1.3 TLS_AES_256_GCM_SHA384", "TLS 1.3 AES-256-GCM name" },
	{ NORMAL13 ":-CIPHER-ALL:+CHACHA20-POLY1305", 12, true,
	    "TLS1.3 TLS_CHACHA20_POLY1305_SHA256", "TLS 1.3 ChaCha20 name" },
	{ NORMAL12 ":-CIPHER-ALL:+CHACHA20-POLY1305", 12, true,
	    "TLS1.2 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
	    "TLS 1.2 ChaCha20 name" },
	{ NORMAL12 ":-CIPHER-ALL:+AES-256-GCM", 12, true,
	    "TLS1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
	    "TLS 1.2 AES-256-GCM name" },
	{ NORMAL12 ":-CIPHER-ALL:+AES-128-CCM", 12, true,
	    "TLS1.2 TLS_ECDHE_ECDSA_WITH_AES_128_CCM", "TLS 1.2 CCM name" },
	{ NORMAL12 ":-KX-ALL:+ECDHE-RSA", 12, true,
	    "TLS1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	    "TLS 1.2 ECDHE-RSA name" },
};

static void
test_versions(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(version_cases) / sizeof(version_cases[0]);
	    i++) {
		const struct version_case *vc = &version_cases[i];
		struct srv s = { .certs_dir = certs,
		    .min_version = vc->min_version, .mode = SRV_HS };
		struct cli c = { .prio = vc->prio, .sni = HOST };
		int	 st = session(&s, &c);

		if (vc->ok) {
			ok(s.hs_ok && c.hs_ok && c.verified && st == 0,
			    "%s: handshake", vc->name);
			is_str(s.desc, vc->desc, "%s: describe", vc->name);
		} else {
			ok(!s.hs_ok && !c.hs_ok && s.err[0] != '\0' &&
			    st == 0, "%s: server says %s", vc->name, s.err);
		}
		cli_free(&c);
	}
}

static void
test_echo(void)
{
	struct srv s = { .certs_dir = certs, .mode = SRV_ECHO };
	struct cli c = { .prio = "NORMAL", .sni = HOST };
	int	 st = session(&s, &c);

	ok(s.new_ok && s.hs_ok && c.hs_ok, "echo session: handshake");
	is_str(s.pre, "empty", "before the handshake: no description, SNI "
	    "or resumption");
	ok(c.verified, "client verifies the chain and the name");
	is_str(c.cn, HOST, "certificate for " HOST);
	is_int(c.pk, GNUTLS_PK_ECDSA, "ECDSA preferred when the client "
	    "takes both");
	is_str(s.sni, HOST, "sni()");
	is_int(s.pend1, 15, "pending() after reading 5 of a 20-byte record");
	is_int(s.pend2, 0, "pending() after reading the rest");
	ok(c.echo_ok, "a line echoes through io.c and the transport");
	ok(c.big_ok, "48 KiB echo in many records both ways");
	ok(s.echo_ok && c.clean, "bye() sends close_notify: the client sees "
	    "a clean close");
	is_int(s.resumed, 0, "not resumed without a ticket");
	is_int(st, 0, "server child exits cleanly (no leaks under ASan)");
	cli_free(&c);
}

static void
test_renegotiation(void)
{
	struct srv s = { .certs_dir = certs, .mode = SRV_ECHO };
	struct cli c = { .prio = NORMAL12, .sni = HOST, .reneg = true };

	is_int(session(&s, &c), 0, "renegotiation attempt (TLS 1.2): server "
	    "exits cleanly");
	ok(c.reneg_refused, "renegotiation refused with no_renegotiation");
	/* what follows is the client's business: GnuTLS's own client
	 * sends a record the server then rejects, ending the session */
	ok(s.echo_ok || s.err[0] != '\0', "server ends or goes on, no crash "
	    "(%s)", s.err[0] != '\0' ? s.err : "went on");
	cli_free(&c);
}

static void
test_sni(void)
{
	static const struct sni_case {
		const char	*sni;
		const char	*prio;
		const char	*cn;
		int		 pk;
		const char	*want_sni;
		const char	*name;
	} cases[] = {
		{ OTHER, "NORMAL", OTHER, GNUTLS_PK_ECDSA, OTHER,
		    "SNI other.example" },
		{ "OTHER.Example", "NORMAL", HOST, GNUTLS_PK_ECDSA, OTHER,
		    "SNI matching is exact in GnuTLS: upper case gets the "
		    "default (sni() lower-cases)" },
		{ NULL, "NORMAL", HOST, GNUTLS_PK_ECDSA, "",
		    "no SNI: the hostname's certificate" },
		{ "unknown.example", "NORMAL", HOST, GNUTLS_PK_ECDSA,
		    "unknown.example", "unknown SNI: the hostname's" },
		{ HOST, NORMAL13 ":-SIGN-ALL:+SIGN-RSA-PSS-RSAE-SHA256"
		    ":+SIGN-RSA-SHA256", HOST, GNUTLS_PK_RSA, HOST,
		    "RSA-only TLS 1.3 client gets the RSA certificate" },
		{ HOST, NORMAL12 ":-KX-ALL:+ECDHE-RSA", HOST, GNUTLS_PK_RSA,
		    HOST, "ECDHE-RSA-only TLS 1.2 client gets the RSA "
		    "certificate" },
		{ OTHER, NORMAL13 ":-SIGN-ALL:+SIGN-RSA-PSS-RSAE-SHA256"
		    ":+SIGN-RSA-SHA256", HOST, GNUTLS_PK_RSA, OTHER,
		    "RSA-only client asking for other.example (ECDSA only) "
		    "gets the default RSA" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct srv s = { .certs_dir = certs, .mode = SRV_HS };
		struct cli c = { .prio = cases[i].prio, .sni = cases[i].sni,
		    .verify_name = cases[i].cn };

		(void)session(&s, &c);
		ok(c.hs_ok && c.verified && strcmp(c.cn, cases[i].cn) == 0 &&
		    c.pk == cases[i].pk, "%s (cn %s, %s)", cases[i].name, c.cn,
		    gnutls_pk_get_name((gnutls_pk_algorithm_t)c.pk));
		is_str(s.sni, cases[i].want_sni, "%s: sni()", cases[i].name);
		cli_free(&c);
	}
}

/*
 * The hostname's folders come first whatever their names sort as, so
 * they are the default; within them ECDSA before RSA.
 */
static void
test_order(void)
{
	char	 dir[PATH_MAX], f[PATH_MAX], g[PATH_MAX];
	struct srv s;
	struct cli c;

	tap_pathf(dir, sizeof(dir), "%s/certs-order", top);
	if (mkdir(dir, 0700) == -1)
		bail_out(dir, strerror(errno));
	/* other.example's ECDSA certificate, in a folder sorting first */
	tap_pathf(f, sizeof(f), "%s/" OTHER "/fullchain.pem", certs);
	tap_pathf(g, sizeof(g), "%s/" OTHER "/privkey.pem", certs);
	make_folder(dir, "aaa.example", f, g);
	tap_pathf(f, sizeof(f), "%s/" HOST "/fullchain.pem", certs);
	tap_pathf(g, sizeof(g), "%s/" HOST "/privkey.pem", certs);
	make_folder(dir, "MX.Example.Test", f, g);	/* case ignored */

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	s.certs_dir = dir;
	s.mode = SRV_HS;
	c.prio = "NORMAL";
	c.verify_name = HOST;
	(void)session(&s, &c);
	ok(c.hs_ok && strcmp(c.cn, HOST) == 0 && c.pk == GNUTLS_PK_RSA,
	    "no SNI: the hostname's RSA certificate beats another name's "
	    "ECDSA (cn %s)", c.cn);
	cli_free(&c);

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	s.certs_dir = dir;
	s.mode = SRV_HS;
	c.prio = "NORMAL";
	c.sni = OTHER;
	(void)session(&s, &c);
	ok(c.hs_ok && strcmp(c.cn, OTHER) == 0,
	    "SNI still finds the other name in any folder (cn %s)", c.cn);
	cli_free(&c);
}

static void
key_info(const char *path, struct stat *st, unsigned char key[64],
    bool *ok64)
{
	int	 fd;

	*ok64 = false;
	memset(st, 0, sizeof(*st));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, st) == 0 && read(fd, key, 64) == 64)
		*ok64 = true;
	(void)close(fd);
}

static void
age_file(const char *path, time_t secs)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - secs;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (utimensat(AT_FDCWD, path, ts, 0) == -1)
		bail_out(path, strerror(errno));
}

static void
test_resumption(void)
{
	static const char *prios[] = { NORMAL13, NORMAL12 };
	char	 state[PATH_MAX], key[PATH_MAX];
	unsigned char k1[64], k2[64];
	struct stat st;
	bool	 ok64;
	size_t	 i;

	tap_pathf(state, sizeof(state), "%s/state", top);
	tap_pathf(key, sizeof(key), "%s/tls-ticket.key", state);
	if (mkdir(state, 0700) == -1)
		bail_out(state, strerror(errno));

	for (i = 0; i < 2; i++) {
		struct srv s1 = { .certs_dir = certs, .ticket = key };
		struct srv s2 = { .certs_dir = certs, .ticket = key };
		struct cli c1 = { .prio = prios[i], .sni = HOST };
		struct cli c2 = { .prio = prios[i], .sni = HOST };

		(void)session(&s1, &c1);
		ok(c1.hs_ok && !c1.resumed && c1.saved.size > 0,
		    "%s: first session, ticket received", prios[i]);
		c2.resume = c1.saved;
		(void)session(&s2, &c2);
		ok(s2.hs_ok && s2.resumed == 1 && c2.resumed,
		    "%s: second server process resumes it", prios[i]);
		ok(c2.echo_ok && c2.big_ok && c2.clean,
		    "%s: resumed session carries data", prios[i]);
		if (i == 0)
			is_str(s2.desc, "TLS1.3 TLS_AES_128_GCM_SHA256",
			    "resumed session's describe()");
		cli_free(&c1);
		cli_free(&c2);
	}

	key_info(key, &st, k1, &ok64);
	ok(ok64 && st.st_size == 64 && (st.st_mode & 0777) == 0600,
	    "ticket key file: 64 bytes, mode 0600");

	/* a key older than 12 hours is replaced; old tickets then fail */
	{
		struct srv s1 = { .certs_dir = certs, .ticket = key };
		struct srv s2 = { .certs_dir = certs, .ticket = key };
		struct cli c1 = { .prio = NORMAL13, .sni = HOST };
		struct cli c2 = { .prio = NORMAL13, .sni = HOST };

		(void)session(&s1, &c1);
		age_file(key, TLS_TICKET_KEY_MAX_AGE + 60);
		c2.resume = c1.saved;
		(void)session(&s2, &c2);
		key_info(key, &st, k2, &ok64);
		ok(ok64 && memcmp(k1, k2, 64) != 0 &&
		    time(NULL) - st.st_mtime < 60 &&
		    (st.st_mode & 0777) == 0600,
		    "a 12-hour-old key is replaced by a new 0600 one");
		ok(s2.hs_ok && c2.hs_ok && !s2.resumed,
		    "a ticket under the replaced key: full handshake");
		cli_free(&c1);
		cli_free(&c2);
	}

	/* a key file of the wrong mode or size is replaced */
	if (chmod(key, 0644) == -1)
		bail_out(key, strerror(errno));
	{
		struct srv s = { .certs_dir = certs, .ticket = key,
		    .mode = SRV_NEW };

		srv_start(&s);
		(void)srv_finish(&s);
		key_info(key, &st, k1, &ok64);
		ok(s.new_ok && ok64 && (st.st_mode & 0777) == 0600 &&
		    memcmp(k1, k2, 64) != 0,
		    "a key file of mode 0644 is replaced");
		ok(strstr(s.log, "tls ticket key") != NULL,
		    "and that is logged");
	}
	tap_write_file(key, "short");
	{
		struct srv s = { .certs_dir = certs, .ticket = key,
		    .mode = SRV_NEW };

		srv_start(&s);
		(void)srv_finish(&s);
		key_info(key, &st, k2, &ok64);
		ok(s.new_ok && ok64 && st.st_size == 64,
		    "a truncated key file is replaced");
	}
}

/*
 * Handlers racing to replace a stale key all end up with the one key on
 * disk: a ticket from each resumes with a later process.
 */
static void
test_ticket_race(void)
{
	enum { N = 6 };
	char	 key[PATH_MAX], state[PATH_MAX];
	struct srv s[N];
	struct cli c[N];
	int	 i, resumed = 0, done = 0;
	struct dirent *e;
	DIR	*d;
	int	 leftovers = 0;

	tap_pathf(state, sizeof(state), "%s/state", top);
	tap_pathf(key, sizeof(key), "%s/tls-ticket.key", state);
	age_file(key, TLS_TICKET_KEY_MAX_AGE + 60);
	memset(s, 0, sizeof(s));
	memset(c, 0, sizeof(c));
	/* all N children run server_new at once, then wait in handshake */
	for (i = 0; i < N; i++) {
		s[i].certs_dir = certs;
		s[i].ticket = key;
		s[i].mode = SRV_ECHO;
		srv_start(&s[i]);
		/* srv_start reuses one log path: fine, unused here */
	}
	for (i = 0; i < N; i++) {
		c[i].prio = NORMAL13;
		c[i].sni = HOST;
		cli_run(&c[i], s[i].fd);
		(void)srv_finish(&s[i]);
		done += c[i].hs_ok && c[i].saved.size > 0;
	}
	is_int(done, N, "%d racing handlers all served", N);
	for (i = 0; i < N; i++) {
		struct srv s2 = { .certs_dir = certs, .ticket = key,
		    .mode = SRV_HS };
		struct cli c2 = { .prio = NORMAL13, .sni = HOST };

		c2.resume = c[i].saved;
		(void)session(&s2, &c2);
		resumed += s2.resumed == 1;
		cli_free(&c2);
		cli_free(&c[i]);
	}
	is_int(resumed, N, "tickets from all racing handlers resume later: "
	    "one key");
	if ((d = opendir(state)) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (strstr(e->d_name, ".tmp.") != NULL)
				leftovers++;
		(void)closedir(d);
	}
	is_int(leftovers, 0, "no temporary files left behind");
}

static void
test_broken(void)
{
	char	 dir[PATH_MAX], f[PATH_MAX], g[PATH_MAX], h[PATH_MAX];
	struct srv s;
	struct cli c;

	/* a missing certs directory */
	tap_pathf(dir, sizeof(dir), "%s/no-such-certs", top);
	memset(&s, 0, sizeof(s));
	s.certs_dir = dir;
	s.mode = SRV_NEW;
	srv_start(&s);
	(void)srv_finish(&s);
	ok(!s.new_ok && strstr(s.err, dir) != NULL,
	    "missing certs dir: server_new fails naming it (%s)", s.err);

	/* good folders plus broken ones */
	tap_pathf(dir, sizeof(dir), "%s/certs2", top);
	if (mkdir(dir, 0700) == -1)
		bail_out(dir, strerror(errno));
	tap_pathf(f, sizeof(f), "%s/" HOST "/fullchain.pem", certs);
	tap_pathf(g, sizeof(g), "%s/" HOST "/privkey.pem", certs);
	make_folder(dir, HOST, f, g);
	tap_pathf(f, sizeof(f), "%s/" OTHER "/fullchain.pem", certs);
	tap_pathf(g, sizeof(g), "%s/" OTHER "/privkey.pem", certs);
	make_folder(dir, OTHER, f, g);
	tap_pathf(h, sizeof(h), "%s/spare/ecc.key", pki);
	make_folder(dir, "mismatch.example", f, h);
	make_folder(dir, "nokey.example", f, NULL);
	make_folder(dir, "badpem.example", NULL, g);
	tap_pathf(h, sizeof(h), "%s/badpem.example/fullchain.pem", dir);
	tap_write_file(h, "-----BEGIN CERTIFICATE-----\nnot*base64!\n"
	    "-----END CERTIFICATE-----\n");
	make_folder(dir, "badkey.example", f, NULL);
	tap_pathf(h, sizeof(h), "%s/badkey.example/privkey.pem", dir);
	tap_write_file(h, "-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n");
	make_folder(dir, "empty.example", NULL, NULL);
	tap_pathf(h, sizeof(h), "%s/stray-file", dir);
	tap_write_file(h, "not a folder\n");

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	s.certs_dir = dir;
	s.mode = SRV_HS;
	c.prio = "NORMAL";
	c.sni = OTHER;
	(void)session(&s, &c);
	ok(s.new_ok && c.hs_ok && strcmp(c.cn, OTHER) == 0,
	    "broken folders skipped, the good ones serve (cn %s)", c.cn);
	tap_pathf(h, sizeof(h), "%s/badpem.example/fullchain.pem", dir);
	ok(strstr(s.log, h) != NULL && strstr(s.log, "bad certificate PEM"),
	    "bad PEM logged with its file");
	tap_pathf(h, sizeof(h), "%s/mismatch.example/privkey.pem", dir);
	ok(strstr(s.log, h) != NULL && strstr(s.log, "does not match"),
	    "key not matching its certificate logged with its file");
	tap_pathf(h, sizeof(h), "%s/nokey.example/privkey.pem", dir);
	ok(strstr(s.log, h) != NULL &&
	    strstr(s.log, "No such file or directory"),
	    "missing key logged with its file");
	tap_pathf(h, sizeof(h), "%s/badkey.example/privkey.pem", dir);
	ok(strstr(s.log, h) != NULL && strstr(s.log, "bad private key"),
	    "bad key PEM logged with its file");
	tap_pathf(h, sizeof(h), "%s/empty.example/fullchain.pem", dir);
	ok(strstr(s.log, h) != NULL, "empty folder logged");
	ok(strstr(s.log, "stray-file") == NULL, "plain files are ignored");
	ok(strncmp(s.log, "<3>", 3) == 0 &&
	    strstr(s.log, "event=error") != NULL,
	    "lines come from log_error");
	cli_free(&c);

	/* the mismatched key really is skipped: other.example is served
	 * only by its own folder */
	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	s.certs_dir = dir;
	s.mode = SRV_HS;
	c.prio = "NORMAL";
	c.sni = "mismatch.example";
	c.verify_name = HOST;
	(void)session(&s, &c);
	ok(c.hs_ok && strcmp(c.cn, HOST) == 0,
	    "nothing served from the mismatched folder");
	cli_free(&c);

	/* nothing usable at all */
	tap_pathf(dir, sizeof(dir), "%s/certs3", top);
	if (mkdir(dir, 0700) == -1)
		bail_out(dir, strerror(errno));
	make_folder(dir, "mismatch.example", f, g);	/* other's chain */
	tap_pathf(h, sizeof(h), "%s/spare/rsa.key", pki);
	make_folder(dir, "mismatch.example", NULL, h);
	memset(&s, 0, sizeof(s));
	s.certs_dir = dir;
	s.mode = SRV_NEW;
	srv_start(&s);
	(void)srv_finish(&s);
	ok(!s.new_ok && strstr(s.err, dir) != NULL &&
	    strstr(s.err, "no usable certificate") != NULL,
	    "no usable certificate: server_new fails (%s)", s.err);
}

/* Files replaced on disk are served by the next server_new. */
static void
test_renewal(void)
{
	char	 dir[PATH_MAX], f[PATH_MAX], g[PATH_MAX];
	char	 nf[PATH_MAX], nk[PATH_MAX], tmp[PATH_MAX];
	struct srv s;
	struct cli c;

	tap_pathf(dir, sizeof(dir), "%s/certs4", top);
	if (mkdir(dir, 0700) == -1)
		bail_out(dir, strerror(errno));
	tap_pathf(f, sizeof(f), "%s/" HOST "_ecc/fullchain.pem", certs);
	tap_pathf(g, sizeof(g), "%s/" HOST "_ecc/privkey.pem", certs);
	make_folder(dir, HOST "_ecc", f, g);

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	s.certs_dir = dir;
	s.mode = SRV_HS;
	c.prio = "NORMAL";
	c.sni = HOST;
	(void)session(&s, &c);
	ok(c.hs_ok && file_equal_der(f, &c.peer), "before renewal: the "
	    "old certificate");
	cli_free(&c);

	/* acme.sh-style: new files copied over the old ones */
	tap_pathf(nf, sizeof(nf), "%s/spare/ecc.pem", pki);
	tap_pathf(nk, sizeof(nk), "%s/spare/ecc.key", pki);
	tap_pathf(tmp, sizeof(tmp), "%s/" HOST "_ecc/fullchain.pem", dir);
	copy_file(nf, tmp);
	tap_pathf(tmp, sizeof(tmp), "%s/" HOST "_ecc/privkey.pem", dir);
	copy_file(nk, tmp);

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	s.certs_dir = dir;
	s.mode = SRV_HS;
	c.prio = "NORMAL";
	c.sni = HOST;
	(void)session(&s, &c);
	ok(c.hs_ok && file_equal_der(nf, &c.peer),
	    "after renewal on disk: the next session serves the new one");
	cli_free(&c);
}

static void
test_hostile(void)
{
	struct srv s;
	struct cli c;

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	s.certs_dir = certs;
	s.mode = SRV_HS;
	s.timeout_ms = 300;
	s.linger = true;
	srv_start(&s);
	is_int(srv_finish(&s), 0, "silent client: server exits");
	ok(!s.hs_ok && strstr(s.err, "timed out") != NULL,
	    "silent client: handshake times out (%s)", s.err);
	ok(s.hs_ms >= 250 && s.hs_ms < 2000,
	    "after about timeout_ms (%ld ms)", s.hs_ms);

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	s.certs_dir = certs;
	s.mode = SRV_HS;
	c.garbage = true;
	is_int(session(&s, &c), 0, "plaintext instead of a ClientHello: "
	    "no crash");
	ok(!s.hs_ok && s.err[0] != '\0', "and an error: %s", s.err);

	memset(&s, 0, sizeof(s));
	s.certs_dir = certs;
	s.mode = SRV_HS;
	srv_start(&s);
	(void)shutdown(s.fd, SHUT_RDWR);
	is_int(srv_finish(&s), 0, "client gone before the hello: no crash");
	ok(!s.hs_ok && strstr(s.err, "tls handshake") != NULL,
	    "and an error: %s", s.err);
}

int
main(void)
{
	char	 exe[PATH_MAX], plugin[PATH_MAX], mk[PATH_MAX], *slash;
	const char *b = getenv("TAMBO_BUILD");
	ssize_t	 n;

	(void)signal(SIGPIPE, SIG_IGN);
	alarm(300);		/* a hang is a failure, not a stuck suite */
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		bail_out("readlink", strerror(errno));
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	if (b != NULL && b[0] != '\0')
		tap_pathf(plugin, sizeof(plugin), "%s/libexec/tambo/%s", b,
		    TLS_PLUGIN);
	else
		tap_pathf(plugin, sizeof(plugin), "%s/../../libexec/tambo/%s",
		    exe, TLS_PLUGIN);
	if (access("/usr/bin/certtool", X_OK) != 0 &&
	    access("/usr/local/bin/certtool", X_OK) != 0) {
		printf("1..0 # SKIP certtool (gnutls-bin) not installed\n");
		return 0;
	}
	if (!find_up(mk, sizeof(mk), exe, "tests/lib/mkcerts.sh") &&
	    !find_up(mk, sizeof(mk), ".", "tests/lib/mkcerts.sh"))
		bail_out("tests/lib/mkcerts.sh not found", NULL);

	tap_tmpdir(top, sizeof(top), "tls");
	tap_pathf(pki, sizeof(pki), "%s/pki", top);
	run_cmd(mk, pki);
	tap_pathf(certs, sizeof(certs), "%s/certs", pki);
	tap_pathf(cafile, sizeof(cafile), "%s/ca.pem", pki);

	test_load(plugin);
	test_versions();
	test_echo();
	test_renegotiation();
	test_sni();
	test_order();
	test_resumption();
	test_ticket_race();
	test_broken();
	test_renewal();
	test_hostile();

	tap_rmtree(top);
	return done_testing();
}
