/*
 * tls.c — the TLS plugin's sessions: GnuTLS server and client sides over
 * a non-blocking socket, exported as tambo_tls_ops (see tls.h, the
 * contract).  Loaded by tls_load() (libexec/common/tlsload.c) only when a
 * session needs TLS, so plain sessions never map GnuTLS.
 *
 * Leaves to others: certificates (creds.c), the ticket key (ticket.c),
 * waiting for input between records (io.c polls the fd, asking pending()
 * first), and every SMTP matter (what to answer when TLS fails).
 *
 * Protocol choices: TLS 1.2 and 1.3 only (RFC 8996, RFC 9325), ECDHE key
 * exchange and AEAD ciphers only, the server's order of preference;
 * renegotiation refused; no client certificates asked for.  Everything
 * is freed and key material wiped on every path.
 *
 * The client side (delivery to MX hosts, RFC 3207 and RFC 7435) takes
 * GnuTLS's NORMAL set for TLS 1.2 and 1.3: an old cipher is still better
 * than the plaintext an opportunistic client would fall back to.  The
 * certificate is checked after the handshake, not during it
 * (gnutls_certificate_verify_peers3 with the server name, RFC 6125), so
 * that a policy that does not require verification can go on and log
 * the result.  The trust store is loaded once per process and shared by
 * its client sessions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "plugin.h"
#include "tls.h"
#include "poison.h"

/*
 * NORMAL minus what RFC 9325 advises against: no TLS 1.0/1.1 (nor SSL3),
 * no CBC modes (and so no RC4, 3DES or CBC-SHA1), no static-RSA or DHE
 * key exchange.  Every client of the last decade has one of these.
 */
#define PRIO_BASE	"NORMAL:-VERS-ALL:+VERS-TLS1.3%s" \
	":-CIPHER-ALL:+AES-128-GCM:+AES-256-GCM:+CHACHA20-POLY1305" \
	":+AES-128-CCM:+AES-256-CCM:-MAC-ALL:+AEAD" \
	":-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%%SERVER_PRECEDENCE"

#define PRIO_CLIENT	"NORMAL:-VERS-ALL:+VERS-TLS1.3%s"

#define SNI_MAX		253
#define WHY_MAX		256

struct tls {
	gnutls_session_t		 s;
	gnutls_certificate_credentials_t creds;
	gnutls_priority_t		 prio;
	int				 fd;
	int				 timeout_ms;
	int				 idle_ms;	/* idle_cut: */
	bool				(*idle_cut)(void *);
	void				*idle_ctx;
	bool				 cut;	/* idle_cut said so */
	bool				 done;	/* handshake finished */
	int				 last;	/* last GnuTLS error */
	char				 sni[SNI_MAX + 1];
	/* client sessions */
	bool				 client;
	bool				 verified;
	char				 name[SNI_MAX + 1]; /* to verify */
	char				 why[WHY_MAX];
};

/* The client trust anchors, loaded once (see tls_client_creds). */
static gnutls_certificate_credentials_t tlsp_client_creds;
static char tlsp_client_ca[PATH_MAX];	/* "" for the system's */

static void (*tlsp_log)(const char *, const char *, int);

void
tlsp_log_error(const char *what, const char *detail, int err)
{
	if (tlsp_log != NULL)
		tlsp_log(what, detail, err);
}

static void
tls_set_log(void (*fn)(const char *, const char *, int))
{
	tlsp_log = fn;
}

void
tlsp_free_wiped(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}

int
tlsp_read_file(const char *path, size_t max, unsigned char **buf,
    size_t *len)
{
	struct stat	 st;
	unsigned char	*b;
	size_t		 got = 0;
	int		 fd, e;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return errno;
	if (fstat(fd, &st) == -1) {
		e = errno;
		(void)close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode)) {
		(void)close(fd);
		return EINVAL;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > max) {
		(void)close(fd);
		return EFBIG;
	}
	/* one byte more than the size: a file that grew is seen as such */
	if ((b = malloc((size_t)st.st_size + 2)) == NULL) {
		e = errno;
		(void)close(fd);
		return e;
	}
	for (;;) {
		ssize_t	n = read(fd, b + got, (size_t)st.st_size + 1 - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			e = errno;
			(void)close(fd);
			tlsp_free_wiped(b, (size_t)st.st_size + 2);
			return e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			/* changing under us (being rewritten): try later */
			(void)close(fd);
			tlsp_free_wiped(b, (size_t)st.st_size + 2);
			return EAGAIN;
		}
	}
	(void)close(fd);
	b[got] = '\0';
	*buf = b;
	*len = got;
	return 0;
}

static void
seterr(char *err, size_t errsz, const char *what, int r)
{
	if (err == NULL || errsz == 0)
		return;
	if (r == GNUTLS_E_FATAL_ALERT_RECEIVED ||
	    r == GNUTLS_E_WARNING_ALERT_RECEIVED)
		(void)snprintf(err, errsz, "%s: %s (%s)", what,
		    gnutls_strerror(r), "peer's alert");
	else
		(void)snprintf(err, errsz, "%s: %s", what, gnutls_strerror(r));
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait until the fd is ready for what GnuTLS was doing, at most until
 * deadline, and, with idle_cut, asking it once per idle_ms waited (t->cut
 * set when it says to give up).  0, or -1 with errno ETIMEDOUT or poll's
 * error.
 */
static int
tls_wait(struct tls *t, int64_t deadline)
{
	struct pollfd pfd;
	int64_t	 left;
	bool	 idle;
	int	 r;

	pfd.fd = t->fd;
	pfd.events = gnutls_record_get_direction(t->s) ? POLLOUT : POLLIN;
	for (;;) {
		if ((left = deadline - now_ms()) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		idle = t->idle_cut != NULL && t->idle_ms > 0 &&
		    t->idle_ms < left;
		if (idle)
			left = t->idle_ms;
		r = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r > 0)
			return 0;
		if (!idle || t->idle_cut(t->idle_ctx)) {
			t->cut = idle;
			errno = ETIMEDOUT;
			return -1;
		}
	}
}

static void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	if (t->s != NULL)
		gnutls_deinit(t->s);	/* wipes the session's secrets */
	if (t->prio != NULL)
		gnutls_priority_deinit(t->prio);
	if (t->creds != NULL)
		gnutls_certificate_free_credentials(t->creds);
	explicit_bzero(t, sizeof(*t));
	free(t);
}

/*
 * The session itself, for either side: priorities (a GnuTLS priority
 * string), non-blocking, no SIGPIPE, the certificate credentials.
 * -1 with err filled.
 */
static int
tls_session_init(struct tls *t, unsigned flags, const char *prio,
    gnutls_certificate_credentials_t creds, char *err, size_t errsz)
{
	const char *errpos = NULL;
	int	 r;

	if ((r = gnutls_priority_init(&t->prio, prio, &errpos)) < 0) {
		t->prio = NULL;
		seterr(err, errsz, "tls priorities", r);
		return -1;
	}
	if ((r = gnutls_init(&t->s, flags | GNUTLS_NONBLOCK |
	    GNUTLS_NO_SIGNAL)) < 0) {
		t->s = NULL;
		seterr(err, errsz, "tls session", r);
		return -1;
	}
	if ((r = gnutls_priority_set(t->s, t->prio)) < 0) {
		seterr(err, errsz, "tls priorities", r);
		return -1;
	}
	if ((r = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE,
	    creds)) < 0) {
		seterr(err, errsz, "tls credentials", r);
		return -1;
	}
	return 0;
}

/* The socket, non-blocking (shared by all its descriptors). */
static int
tls_set_fd(struct tls *t, int fd, char *err, size_t errsz)
{
	int	 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)) {
		(void)snprintf(err, errsz, "tls: fd %d: %s", fd,
		    strerror(errno));
		return -1;
	}
	gnutls_transport_set_int(t->s, fd);
	return 0;
}

static struct tls *
tls_server_new(const struct tls_server_params *p, int fd, char *err,
    size_t errsz)
{
	struct tls	*t;
	unsigned char	 key[TLSP_TICKET_KEY_SIZE];
	char		 prio[sizeof(PRIO_BASE) + 32];
	int		 r;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		(void)snprintf(err, errsz, "tls: %s", strerror(errno));
		return NULL;
	}
	t->fd = fd;
	t->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : 60 * 1000;
	t->idle_ms = p->idle_ms;
	t->idle_cut = p->idle_cut;
	t->idle_ctx = p->idle_ctx;

	if ((r = gnutls_certificate_allocate_credentials(&t->creds)) < 0) {
		t->creds = NULL;
		seterr(err, errsz, "tls credentials", r);
		goto fail;
	}
	gnutls_certificate_set_flags(t->creds,
	    GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);	/* creds.c checks */
	if (tlsp_creds_load(t->creds, p->certs_dir, p->hostname, err,
	    errsz) <= 0)
		goto fail;

	(void)snprintf(prio, sizeof(prio), PRIO_BASE,
	    p->min_version >= 13 ? "" : ":+VERS-TLS1.2");
	if (tls_session_init(t, GNUTLS_SERVER, prio, t->creds, err,
	    errsz) == -1)
		goto fail;
	gnutls_certificate_server_set_request(t->s, GNUTLS_CERT_IGNORE);

	if (p->ticket_key != NULL && tlsp_ticket_key(p->ticket_key, key) == 0) {
		gnutls_datum_t d = { key, sizeof(key) };

		/* GnuTLS copies the key into the session */
		if ((r = gnutls_session_ticket_enable_server(t->s, &d)) < 0)
			tlsp_log_error("tls ticket key", gnutls_strerror(r), 0);
		explicit_bzero(key, sizeof(key));
	}

	if (tls_set_fd(t, fd, err, errsz) == -1)
		goto fail;
	return t;
fail:
	tls_free(t);
	return NULL;
}

/* Keep the SNI name if it looks like a DNS name; lower-cased. */
static void
tls_keep_sni(struct tls *t)
{
	char		 name[SNI_MAX + 2];
	size_t		 len = sizeof(name), i;
	unsigned	 type;

	t->sni[0] = '\0';
	if (gnutls_server_name_get(t->s, name, &len, &type, 0) < 0 ||
	    type != GNUTLS_NAME_DNS || len == 0 || len > SNI_MAX)
		return;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.'))
			return;
		t->sni[i] = (char)c;
	}
	t->sni[len] = '\0';
}

/* A client's verdict on the server's certificate, kept in t. */
static void
tls_check_peer(struct tls *t)
{
	gnutls_datum_t	 out = { NULL, 0 };
	unsigned	 status = 0;
	int		 r;

	t->verified = false;
	t->why[0] = '\0';
	r = gnutls_certificate_verify_peers3(t->s, t->name, &status);
	if (r < 0) {
		(void)snprintf(t->why, sizeof(t->why), "%s",
		    gnutls_strerror(r));
		return;
	}
	if (status == 0) {
		t->verified = true;
		return;
	}
	if (gnutls_certificate_verification_status_print(status,
	    gnutls_certificate_type_get(t->s), &out, 0) < 0 ||
	    out.data == NULL) {
		(void)snprintf(t->why, sizeof(t->why), "not verified "
		    "(status 0x%x)", status);
		return;
	}
	(void)snprintf(t->why, sizeof(t->why), "%.*s", (int)out.size,
	    (const char *)out.data);
	gnutls_free(out.data);
}

static int
tls_handshake(struct tls *t, char *err, size_t errsz)
{
	int64_t	 deadline = now_ms() + t->timeout_ms;
	int	 r;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	for (;;) {
		r = gnutls_handshake(t->s);
		if (r == GNUTLS_E_SUCCESS)
			break;
		t->last = r;
		if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
			if (tls_wait(t, deadline) == -1) {
				(void)snprintf(err, errsz,
				    "tls handshake: %s", t->cut ?
				    "idle while busy" : errno == ETIMEDOUT ?
				    "timed out" : strerror(errno));
				return -1;
			}
			continue;
		}
		if (!gnutls_error_is_fatal(r) && now_ms() < deadline)
			continue;	/* a warning alert, say */
		if (r == GNUTLS_E_FATAL_ALERT_RECEIVED) {
			(void)snprintf(err, errsz,
			    "tls handshake: %s sent alert: %s",
			    t->client ? "server" : "client",
			    gnutls_alert_get_name(gnutls_alert_get(t->s)));
		} else if (r == GNUTLS_E_PREMATURE_TERMINATION ||
		    r == GNUTLS_E_PULL_ERROR || r == GNUTLS_E_PUSH_ERROR) {
			seterr(err, errsz, "tls handshake: connection lost", r);
		} else {
			seterr(err, errsz, "tls handshake", r);
			/* tell the client why, best effort (non-blocking) */
			(void)gnutls_alert_send_appropriate(t->s, r);
		}
		return -1;
	}
	t->done = true;
	t->last = 0;
	if (t->client)
		tls_check_peer(t);
	else
		tls_keep_sni(t);
	return 0;
}

static ssize_t
tls_read(void *ctx, void *buf, size_t n)
{
	struct tls *t = ctx;
	ssize_t	 r;

	for (;;) {
		r = gnutls_record_recv(t->s, buf, n);
		if (r >= 0)
			return r;
		switch (r) {
		case GNUTLS_E_AGAIN:
			errno = EAGAIN;
			return -1;
		case GNUTLS_E_INTERRUPTED:
			errno = EINTR;
			return -1;
		case GNUTLS_E_REHANDSHAKE:
			/* a TLS 1.2 client asking to renegotiate: no */
			(void)gnutls_alert_send(t->s, GNUTLS_AL_WARNING,
			    GNUTLS_A_NO_RENEGOTIATION);
			continue;
		case GNUTLS_E_PREMATURE_TERMINATION:
		case GNUTLS_E_PULL_ERROR:
			t->last = (int)r;
			errno = ECONNRESET;
			return -1;
		default:
			t->last = (int)r;
			if (!gnutls_error_is_fatal((int)r))
				continue;	/* a warning alert */
			errno = EIO;
			return -1;
		}
	}
}

static ssize_t
tls_write(void *ctx, const void *buf, size_t n)
{
	struct tls *t = ctx;
	ssize_t	 r;

	r = gnutls_record_send(t->s, buf, n);
	if (r >= 0)
		return r;
	switch (r) {
	case GNUTLS_E_AGAIN:
		errno = EAGAIN;
		return -1;
	case GNUTLS_E_INTERRUPTED:
		errno = EINTR;
		return -1;
	case GNUTLS_E_PUSH_ERROR:
		t->last = (int)r;
		errno = EPIPE;
		return -1;
	default:
		t->last = (int)r;
		errno = EIO;
		return -1;
	}
}

static size_t
tls_pending(void *ctx)
{
	struct tls *t = ctx;

	return gnutls_record_check_pending(t->s);
}

static const char *
tls_error(struct tls *t)
{
	if (t->last == 0)
		return "";
	if (t->last == GNUTLS_E_FATAL_ALERT_RECEIVED ||
	    t->last == GNUTLS_E_WARNING_ALERT_RECEIVED)
		return gnutls_alert_get_name(gnutls_alert_get(t->s));
	return gnutls_strerror(t->last);
}

/* "AES-128-GCM" -> "AES_128_GCM" appended to out at *len. */
static void
cat_name(char *out, size_t outsz, size_t *len, const char *s)
{
	for (; s != NULL && *s != '\0' && *len + 1 < outsz; s++)
		out[(*len)++] = *s == '-' ? '_' : *s;
	out[*len] = '\0';
}

/*
 * IANA cipher suite names (GnuTLS 3.7.4's gnutls_ciphersuite_get() is
 * too new): TLS 1.3 "TLS_<cipher>_<hash>"; TLS 1.2
 * "TLS_<kx>_WITH_<cipher>[_<hash>]", the hash being the PRF's for AEAD
 * suites except CCM ones, whose names carry none, and the MAC's else.
 */
static void
tls_suite_name(struct tls *t, char *out, size_t outsz)
{
	gnutls_cipher_algorithm_t c = gnutls_cipher_get(t->s);
	gnutls_mac_algorithm_t	 m = gnutls_mac_get(t->s);
	const char		*cn = gnutls_cipher_get_name(c);
	const char		*hash;
	size_t			 len = 0;
	bool			 ccm;

	out[0] = '\0';
	cat_name(out, outsz, &len, "TLS_");
	if (gnutls_protocol_get_version(t->s) != GNUTLS_TLS1_3) {
		cat_name(out, outsz, &len,
		    gnutls_kx_get_name(gnutls_kx_get(t->s)));
		cat_name(out, outsz, &len, "_WITH_");
	}
	cat_name(out, outsz, &len, cn);
	ccm = cn != NULL && strstr(cn, "-CCM") != NULL;
	if (m == GNUTLS_MAC_AEAD) {
		if (ccm && gnutls_protocol_get_version(t->s) != GNUTLS_TLS1_3)
			return;
		hash = gnutls_digest_get_name(gnutls_prf_hash_get(t->s));
	} else if (m == GNUTLS_MAC_SHA1)
		hash = "SHA";
	else
		hash = gnutls_mac_get_name(m);
	cat_name(out, outsz, &len, "_");
	cat_name(out, outsz, &len, hash);
}

static void
tls_describe(struct tls *t, char *out, size_t outsz)
{
	char	 suite[96];
	const char *v;

	if (outsz == 0)
		return;
	out[0] = '\0';
	if (!t->done)
		return;
	v = gnutls_protocol_get_name(gnutls_protocol_get_version(t->s));
	tls_suite_name(t, suite, sizeof(suite));
	(void)snprintf(out, outsz, "%s %s", v != NULL ? v : "unknown", suite);
}

static bool
tls_resumed(struct tls *t)
{
	return t->done && gnutls_session_is_resumed(t->s) != 0;
}

static const char *
tls_sni(struct tls *t)
{
	return t->sni;
}

static void
tls_bye(struct tls *t)
{
	int64_t	 deadline = now_ms() + t->timeout_ms;
	int	 r;

	if (!t->done)
		return;
	for (;;) {
		r = gnutls_bye(t->s, GNUTLS_SHUT_WR);
		if (r != GNUTLS_E_AGAIN && r != GNUTLS_E_INTERRUPTED)
			return;		/* sent, or nothing more to do */
		if (tls_wait(t, deadline) == -1)
			return;
	}
}

/*
 * The trust anchors for client sessions: ca_file's, or the system's.  The
 * first set loaded is kept for the life of the process; a session that
 * asks for another gets its own, in *own, freed with the session.
 */
static gnutls_certificate_credentials_t
tls_client_creds(const char *ca_file, gnutls_certificate_credentials_t *own,
    char *err, size_t errsz)
{
	gnutls_certificate_credentials_t c;
	const char *want = ca_file != NULL ? ca_file : "";
	int	 r;

	*own = NULL;
	if (tlsp_client_creds != NULL && strcmp(tlsp_client_ca, want) == 0)
		return tlsp_client_creds;
	if ((r = gnutls_certificate_allocate_credentials(&c)) < 0) {
		seterr(err, errsz, "tls credentials", r);
		return NULL;
	}
	if (ca_file != NULL)
		r = gnutls_certificate_set_x509_trust_file(c, ca_file,
		    GNUTLS_X509_FMT_PEM);
	else
		r = gnutls_certificate_set_x509_system_trust(c);
	if (r < 0) {
		(void)snprintf(err, errsz, "tls trust anchors %s: %s",
		    ca_file != NULL ? ca_file : "(system)", gnutls_strerror(r));
		gnutls_certificate_free_credentials(c);
		return NULL;
	}
	if (r == 0)
		tlsp_log_error("tls trust anchors", ca_file != NULL ? ca_file :
		    "system trust store: no certificate", 0);
	if (tlsp_client_creds == NULL &&
	    strlen(want) < sizeof(tlsp_client_ca)) {
		tlsp_client_creds = c;
		(void)snprintf(tlsp_client_ca, sizeof(tlsp_client_ca), "%s",
		    want);
		return c;
	}
	*own = c;
	return c;
}

static bool
is_ip(const char *s)
{
	unsigned char	 a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

static struct tls *
tls_client_new(const struct tls_client_params *p, int fd,
    const char *server_name, char *err, size_t errsz)
{
	gnutls_certificate_credentials_t creds;
	struct tls	*t;
	char		 prio[sizeof(PRIO_CLIENT) + 32];
	size_t		 n;
	int		 r;

	if (err != NULL && errsz > 0)
		err[0] = '\0';
	n = server_name != NULL ? strlen(server_name) : 0;
	if (n == 0 || n > SNI_MAX) {
		(void)snprintf(err, errsz, "tls: bad server name");
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		(void)snprintf(err, errsz, "tls: %s", strerror(errno));
		return NULL;
	}
	t->client = true;
	t->fd = fd;
	t->timeout_ms = p->timeout_ms > 0 ? p->timeout_ms : 60 * 1000;
	memcpy(t->name, server_name, n + 1);
	if ((creds = tls_client_creds(p->ca_file, &t->creds, err, errsz)) ==
	    NULL)
		goto fail;
	(void)snprintf(prio, sizeof(prio), PRIO_CLIENT,
	    p->min_version >= 13 ? "" : ":+VERS-TLS1.2");
	if (tls_session_init(t, GNUTLS_CLIENT, prio, creds, err, errsz) == -1)
		goto fail;
	/* RFC 6066 3: no IP addresses in SNI */
	if (!is_ip(t->name) && (r = gnutls_server_name_set(t->s,
	    GNUTLS_NAME_DNS, t->name, n)) < 0) {
		seterr(err, errsz, "tls server name", r);
		goto fail;
	}
	if (tls_set_fd(t, fd, err, errsz) == -1)
		goto fail;
	return t;
fail:
	tls_free(t);
	return NULL;
}

static bool
tls_verified(struct tls *t, char *why, size_t whysz)
{
	bool	 ok = t->client && t->done && t->verified;

	if (why != NULL && whysz > 0)
		(void)snprintf(why, whysz, "%s", ok ? "" :
		    !t->client ? "not a client session" :
		    !t->done ? "no handshake" : t->why);
	return ok;
}

TLSP_EXPORT const struct tls_ops tambo_tls_ops = {
	.abi = TLS_ABI,
	.cert_info = tlsp_cert_info,
	.key_info = tlsp_key_info,
	.server_new = tls_server_new,
	.handshake = tls_handshake,
	.io = {
		.read = tls_read,
		.write = tls_write,
		.pending = tls_pending,
	},
	.error = tls_error,
	.describe = tls_describe,
	.resumed = tls_resumed,
	.sni = tls_sni,
	.bye = tls_bye,
	.free = tls_free,
	.set_log = tls_set_log,
	.client_new = tls_client_new,
	.verified = tls_verified,
};
