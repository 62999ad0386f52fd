/*
 * subload: submission load — parallel STARTTLS + AUTH PLAIN sessions.
 *
 *   subload [-s SESSIONS] [-m MESSAGES] [-M PER-CONNECTION] [-l SIZE]
 *           [-T SECONDS] [-w SECONDS] [-r RETRIES] [-n SNI] -u USER
 *           -p PASSWORD -f FROM -t RCPT HOST PORT
 *
 * SESSIONS threads (20) each run sessions one after another until
 * MESSAGES (2000) have been sent: connect, 220, EHLO, STARTTLS, TLS
 * handshake (GnuTLS, SNI name SNI, certificate not verified: the client's
 * CPU is the servers' CPU on a small machine), EHLO, AUTH PLAIN with an
 * initial response, then PER-CONNECTION (1) times MAIL, RCPT, DATA with a
 * SIZE-byte message (4096), then QUIT and its 221.  No pipelining, no TLS
 * session resumption: every session pays a full handshake, as a mail
 * client that keeps no tickets does.  A 4xx reply after the final dot
 * ends the session as a failure, unless -r allows that many retries per
 * message: then the same message is sent again in the same session after
 * a pause of RETRY_PAUSE_MS (100 ms; its latency runs from its first MAIL).
 *
 * Prints one line of key=value fields on stdout (times in milliseconds):
 *   messages  accepted messages (a 250 after the final dot)
 *   failed    messages not accepted (a session that broke counts its
 *             messages not yet sent as failed too)
 *   deferred  4xx replies after the final dot that were retried (-r)
 *   seconds   wall time of the whole run; rate = messages / seconds
 *   msg_p50, msg_p99    per message: from sending MAIL to the 250 after
 *                       the final dot
 *   sess_p50, sess_p99  per session: from connect to the 221 after QUIT
 *   tls_p50   the STARTTLS command and the handshake
 *   auth_p50  AUTH to its 235
 * Percentiles are nearest-rank over the successful messages/sessions.
 *
 * Bounded: every read and write waits at most -w seconds (30); no session
 * starts after -T seconds (300), and the whole program is killed by an
 * alarm 2 * -w seconds after that.  The first few errors go to stderr
 * with the server's reply.  Exit status: 0 when every message was
 * accepted, 1 otherwise.
 */

#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#define SESSIONS_MAX	1000
#define MESSAGES_MAX	1000000L
#define SIZE_MAX_BODY	(16L * 1024 * 1024)
#define REPLY_MAX	4096	/* bytes kept of one reply */
#define ERRORS_SHOWN	10
#define RETRY_PAUSE_MS	100

struct opts {
	struct sockaddr_in sin;
	long	 sessions, messages, per_conn, size;
	long	 deadline, io_timeout;	/* seconds */
	long	 retries;		/* per message, after a 4xx at the dot */
	const char *sni, *user, *password, *from, *rcpt;
};

static struct opts o = {
	.sessions = 20, .messages = 2000, .per_conn = 1, .size = 4096,
	.deadline = 300, .io_timeout = 30, .sni = "mx.example.test",
};

static gnutls_certificate_credentials_t creds;
static char	*message;	/* the DATA payload, dot-terminated */
static size_t	 message_len;
static char	*auth_line;	/* "AUTH PLAIN base64\r\n" */
static double	 t_start;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long	 next_session, n_sessions;	/* under mu */
static long	 n_ok, n_failed, n_errors, n_deferred;	/* under mu */
static double	*msg_times, *sess_times, *tls_times, *auth_times;
static long	 n_msg_times, n_sess_times, n_tls_times, n_auth_times;

struct conn {
	int	 fd;
	gnutls_session_t tls;		/* NULL before STARTTLS */
	char	 buf[REPLY_MAX];
	size_t	 len, off;
	char	 reply[REPLY_MAX];	/* the last reply, for errors */
	size_t	 reply_len;
};

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail here */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
report(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	long n;

	pthread_mutex_lock(&mu);
	n = ++n_errors;
	pthread_mutex_unlock(&mu);
	if (n > ERRORS_SHOWN)
		return;
	flockfile(stderr);
	fprintf(stderr, "subload: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (c != NULL && c->reply_len > 0)
		fprintf(stderr, " (reply: %.*s)", (int)c->reply_len, c->reply);
	fputc('\n', stderr);
	funlockfile(stderr);
}

static void
record(double *v, long *n, double ms)
{
	pthread_mutex_lock(&mu);
	v[(*n)++] = ms;
	pthread_mutex_unlock(&mu);
}

/* ------------------------------------------------------------------ I/O */

static int
conn_write(struct conn *c, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n;

		if (c->tls != NULL) {
			n = gnutls_record_send(c->tls, s, len);
			if (n == GNUTLS_E_INTERRUPTED)
				continue;
			if (n < 0) {
				report(c, "TLS write: %s",
				    gnutls_strerror((int)n));
				return -1;
			}
		} else {
			n = write(c->fd, s, len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				report(c, "write: %s", strerror(errno));
				return -1;
			}
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
conn_fill(struct conn *c)
{
	double t0;
	ssize_t n;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	if (c->len == sizeof(c->buf)) {
		report(c, "reply line too long");
		return -1;
	}
	t0 = now();
	for (;;) {
		if (c->tls != NULL) {
			n = gnutls_record_recv(c->tls, c->buf + c->len,
			    sizeof(c->buf) - c->len);
			if (n == GNUTLS_E_INTERRUPTED)
				continue;
			/*
			 * GNUTLS_E_AGAIN: either SO_RCVTIMEO expired or a
			 * TLS 1.3 post-handshake message (a session ticket)
			 * was handled and no data came with it: try again
			 * until the timeout has passed.
			 */
			if (n == GNUTLS_E_AGAIN &&
			    now() - t0 < (double)o.io_timeout)
				continue;
			if (n == GNUTLS_E_AGAIN) {
				report(c, "TLS read: timed out");
				return -1;
			}
			if (n < 0) {
				report(c, "TLS read: %s",
				    gnutls_strerror((int)n));
				return -1;
			}
		} else {
			n = read(c->fd, c->buf + c->len,
			    sizeof(c->buf) - c->len);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1) {
				report(c, "read: %s", errno == EAGAIN ?
				    "timed out" : strerror(errno));
				return -1;
			}
		}
		if (n == 0) {
			report(c, "connection closed by the server");
			return -1;
		}
		c->len += (size_t)n;
		return 0;
	}
}

/*
 * Read one whole reply (lines until one with a space after the code) into
 * c->reply, line ends of the last line removed.  0, or -1 on an I/O error
 * or a malformed line (reported).
 */
static int
reply_read(struct conn *c, const char *what)
{
	c->reply_len = 0;
	for (;;) {
		char *nl;
		size_t ll;
		bool last;

		nl = memchr(c->buf + c->off, '\n', c->len - c->off);
		if (nl == NULL) {
			if (conn_fill(c) == -1) {
				report(NULL, "  ... while waiting for the "
				    "reply to %s", what);
				return -1;
			}
			continue;
		}
		ll = (size_t)(nl - (c->buf + c->off)) + 1;
		if (c->reply_len + ll <= sizeof(c->reply)) {
			memcpy(c->reply + c->reply_len, c->buf + c->off, ll);
			c->reply_len += ll;
		}
		if (ll < 5 || (c->buf[c->off + 3] != ' ' &&
		    c->buf[c->off + 3] != '-')) {
			c->off += ll;
			report(c, "%s: malformed reply line", what);
			return -1;
		}
		last = c->buf[c->off + 3] == ' ';
		c->off += ll;
		if (last)
			break;
	}
	while (c->reply_len > 0 && (c->reply[c->reply_len - 1] == '\n' ||
	    c->reply[c->reply_len - 1] == '\r'))
		c->reply_len--;
	return 0;
}

/* Read one whole reply and check its code (3 digits). */
static int
reply_expect(struct conn *c, const char *code, const char *what)
{
	if (reply_read(c, what) == -1)
		return -1;
	if (memcmp(c->reply, code, 3) != 0) {
		report(c, "%s: expected %s", what, code);
		return -1;
	}
	return 0;
}

static int
command(struct conn *c, const char *line, const char *code, const char *what)
{
	return conn_write(c, line, strlen(line)) == -1 ? -1 :
	    reply_expect(c, code, what);
}

static int
starttls(struct conn *c)
{
	int r;

	if (command(c, "STARTTLS\r\n", "220", "STARTTLS") == -1)
		return -1;
	if (c->off != c->len) {
		report(c, "data after the STARTTLS reply");
		return -1;
	}
	c->off = c->len = 0;
	if ((r = gnutls_init(&c->tls, GNUTLS_CLIENT)) < 0) {
		c->tls = NULL;
		report(NULL, "gnutls_init: %s", gnutls_strerror(r));
		return -1;
	}
	if ((r = gnutls_set_default_priority(c->tls)) < 0 ||
	    (r = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
	    creds)) < 0 ||
	    (r = gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, o.sni,
	    strlen(o.sni))) < 0) {
		report(NULL, "TLS set-up: %s", gnutls_strerror(r));
		return -1;
	}
	/* The socket's SO_RCVTIMEO/SO_SNDTIMEO bound the handshake too. */
	gnutls_transport_set_int(c->tls, c->fd);
	do {
		r = gnutls_handshake(c->tls);
	} while (r == GNUTLS_E_INTERRUPTED);
	if (r < 0) {
		report(NULL, "TLS handshake: %s", gnutls_strerror(r));
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- sessions */

static int
connect_to(void)
{
	struct timeval tv = { .tv_sec = o.io_timeout, .tv_usec = 0 };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		report(NULL, "socket: %s", strerror(errno));
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1) {
		report(NULL, "setsockopt: %s", strerror(errno));
		(void)close(fd);	/* already failing */
		return -1;
	}
	/* With SO_SNDTIMEO set, connect is bounded too. */
	if (connect(fd, (const struct sockaddr *)&o.sin, sizeof(o.sin)) == -1) {
		report(NULL, "connect: %s", strerror(errno));
		(void)close(fd);	/* already failing */
		return -1;
	}
	return fd;
}

/* One session with count messages; returns the messages accepted. */
static long
session(long count)
{
	struct conn *c;
	char	 line[1100];
	double	 t0, t1 = 0.0;
	long	 done = 0, i, tries = 0;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		report(NULL, "out of memory");
		return 0;
	}
	t0 = now();
	if ((c->fd = connect_to()) == -1)
		goto out;
	if (reply_expect(c, "220", "the greeting") == -1 ||
	    command(c, "EHLO client.test\r\n", "250", "EHLO") == -1)
		goto out;
	t1 = now();
	if (starttls(c) == -1)
		goto out;
	record(tls_times, &n_tls_times, (now() - t1) * 1000.0);
	if (command(c, "EHLO client.test\r\n", "250", "EHLO after TLS") == -1)
		goto out;
	t1 = now();
	if (command(c, auth_line, "235", "AUTH PLAIN") == -1)
		goto out;
	record(auth_times, &n_auth_times, (now() - t1) * 1000.0);
	for (i = 0; i < count; i++) {
		if (tries == 0)
			t1 = now();	/* a retried message: from its first MAIL */
		(void)snprintf(line, sizeof(line), "MAIL FROM:<%s>\r\n", o.from);
		if (command(c, line, "250", "MAIL") == -1)
			goto out;
		(void)snprintf(line, sizeof(line), "RCPT TO:<%s>\r\n", o.rcpt);
		if (command(c, line, "250", "RCPT") == -1 ||
		    command(c, "DATA\r\n", "354", "DATA") == -1 ||
		    conn_write(c, message, message_len) == -1)
			goto out;
		if (reply_read(c, "the final dot") == -1)
			goto out;
		if (c->reply[0] == '4' && tries < o.retries) {
			/* Try later: the same message again, after a pause. */
			struct timespec ts = { 0, RETRY_PAUSE_MS * 1000000L };

			tries++;
			pthread_mutex_lock(&mu);
			n_deferred++;
			pthread_mutex_unlock(&mu);
			(void)nanosleep(&ts, NULL);	/* EINTR: shorter */
			i--;
			continue;
		}
		if (memcmp(c->reply, "250", 3) != 0) {
			report(c, "the final dot: expected 250");
			goto out;
		}
		record(msg_times, &n_msg_times, (now() - t1) * 1000.0);
		done++;
		tries = 0;
	}
	if (command(c, "QUIT\r\n", "221", "QUIT") == -1)
		goto out;
	record(sess_times, &n_sess_times, (now() - t0) * 1000.0);
out:
	if (c->tls != NULL) {
		if (done == count)	/* a clean end: say so, do not wait */
			(void)gnutls_bye(c->tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c->tls);
	}
	if (c->fd >= 0)
		(void)close(c->fd);	/* nothing pending worth an error */
	free(c);
	return done;
}

static void *
worker(void *arg)
{
	(void)arg;
	for (;;) {
		long s, count, done;

		pthread_mutex_lock(&mu);
		s = next_session < n_sessions ? next_session++ : -1;
		pthread_mutex_unlock(&mu);
		if (s < 0)
			break;
		count = o.messages - s * o.per_conn;
		if (count > o.per_conn)
			count = o.per_conn;
		if (now() - t_start > (double)o.deadline) {
			report(NULL, "time limit (%ld s) reached", o.deadline);
			pthread_mutex_lock(&mu);
			n_failed += count;
			pthread_mutex_unlock(&mu);
			continue;
		}
		done = session(count);
		pthread_mutex_lock(&mu);
		n_ok += done;
		n_failed += count - done;
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

/* ---------------------------------------------------------------- setup */

static char *
base64(const unsigned char *in, size_t len)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out, *p;
	size_t i;

	if ((out = malloc((len + 2) / 3 * 4 + 1)) == NULL)
		return NULL;
	for (i = 0, p = out; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;

		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		*p++ = a[(v >> 18) & 63];
		*p++ = a[(v >> 12) & 63];
		*p++ = i + 1 < len ? a[(v >> 6) & 63] : '=';
		*p++ = i + 2 < len ? a[v & 63] : '=';
	}
	*p = '\0';
	return out;
}

static int
make_auth_line(void)
{
	size_t ul = strlen(o.user), pl = strlen(o.password), n;
	unsigned char *raw;
	char *b;

	if (ul > 255 || pl > 255)
		return -1;
	n = 1 + ul + 1 + pl;
	if ((raw = malloc(n)) == NULL)
		return -1;
	raw[0] = '\0';
	memcpy(raw + 1, o.user, ul);
	raw[1 + ul] = '\0';
	memcpy(raw + 2 + ul, o.password, pl);
	b = base64(raw, n);
	free(raw);
	if (b == NULL || (auth_line = malloc(strlen(b) + 16)) == NULL) {
		free(b);
		return -1;
	}
	(void)snprintf(auth_line, strlen(b) + 16, "AUTH PLAIN %s\r\n", b);
	free(b);
	return 0;
}

/* Headers, then 76-character lines of text up to o.size bytes, then ".". */
static int
make_message(void)
{
	size_t cap = (size_t)o.size + 1024, len;
	char *m;
	int n;

	if ((m = malloc(cap)) == NULL)
		return -1;
	n = snprintf(m, cap, "From: <%s>\r\nTo: <%s>\r\n"
	    "Subject: submission benchmark\r\n"
	    "Message-ID: <subload.%ld@client.test>\r\n"
	    "Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\n",
	    o.from, o.rcpt, (long)getpid());
	if (n < 0 || (size_t)n >= cap) {
		free(m);
		return -1;
	}
	len = (size_t)n;
	while (len + 78 <= (size_t)o.size) {
		memset(m + len, 'a' + (char)(len % 26), 76);
		memcpy(m + len + 76, "\r\n", 2);
		len += 78;
	}
	memcpy(m + len, ".\r\n", 3);
	message = m;
	message_len = len + 3;
	return 0;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile p (0..100) of v[0..n), n > 0; sorts v. */
static double
percentile(double *v, long n, double p)
{
	long k;

	if (n == 0)
		return 0.0;
	qsort(v, (size_t)n, sizeof(*v), compare_double);
	k = (long)((p / 100.0) * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

static long
number(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < lo || n > hi) {
		fprintf(stderr, "subload: %s: %ld to %ld\n", what, lo, hi);
		exit(1);
	}
	return n;
}

static void
usage(void)
{
	fprintf(stderr, "usage: subload [-s sessions] [-m messages] "
	    "[-M per-connection] [-l size]\n"
	    "               [-T seconds] [-w seconds] [-r retries] "
	    "[-n sni] -u user -p password\n"
	    "               -f from -t rcpt host port\n");
	exit(1);
}

static void
on_alarm(int sig)
{
	static const char msg[] = "subload: hard time limit, giving up\n";

	(void)sig;
	(void)write(2, msg, sizeof(msg) - 1);	/* exiting anyway */
	_exit(1);
}

int
main(int argc, char **argv)
{
	pthread_t *th;
	double	 secs;
	long	 i;
	int	 ch, r;

	while ((ch = getopt(argc, argv, "s:m:M:l:T:w:r:n:u:p:f:t:")) != -1) {
		switch (ch) {
		case 's': o.sessions = number(optarg, 1, SESSIONS_MAX, "-s"); break;
		case 'm': o.messages = number(optarg, 1, MESSAGES_MAX, "-m"); break;
		case 'M': o.per_conn = number(optarg, 1, MESSAGES_MAX, "-M"); break;
		case 'l': o.size = number(optarg, 256, SIZE_MAX_BODY, "-l"); break;
		case 'T': o.deadline = number(optarg, 1, 86400, "-T"); break;
		case 'w': o.io_timeout = number(optarg, 1, 3600, "-w"); break;
		case 'r': o.retries = number(optarg, 0, 1000, "-r"); break;
		case 'n': o.sni = optarg; break;
		case 'u': o.user = optarg; break;
		case 'p': o.password = optarg; break;
		case 'f': o.from = optarg; break;
		case 't': o.rcpt = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || o.user == NULL || o.password == NULL ||
	    o.from == NULL || o.rcpt == NULL)
		usage();
	if (strlen(o.from) > 256 || strlen(o.rcpt) > 256) {
		fprintf(stderr, "subload: addresses too long\n");
		return 1;
	}
	o.sin.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[0], &o.sin.sin_addr) != 1) {
		fprintf(stderr, "subload: host: an IPv4 address\n");
		return 1;
	}
	o.sin.sin_port = htons((unsigned short)number(argv[1], 1, 65535,
	    "port"));

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	alarm((unsigned)(o.deadline + 2 * o.io_timeout));

	n_sessions = (o.messages + o.per_conn - 1) / o.per_conn;
	msg_times = calloc((size_t)o.messages, sizeof(double));
	sess_times = calloc((size_t)n_sessions, sizeof(double));
	tls_times = calloc((size_t)n_sessions, sizeof(double));
	auth_times = calloc((size_t)n_sessions, sizeof(double));
	th = calloc((size_t)o.sessions, sizeof(*th));
	if (msg_times == NULL || sess_times == NULL || tls_times == NULL ||
	    auth_times == NULL || th == NULL || make_message() == -1 ||
	    make_auth_line() == -1) {
		fprintf(stderr, "subload: set-up failed (memory?)\n");
		return 1;
	}
	if ((r = gnutls_global_init()) < 0 ||
	    (r = gnutls_certificate_allocate_credentials(&creds)) < 0) {
		fprintf(stderr, "subload: GnuTLS: %s\n", gnutls_strerror(r));
		return 1;
	}

	t_start = now();
	for (i = 0; i < o.sessions; i++) {
		if ((r = pthread_create(&th[i], NULL, worker, NULL)) != 0) {
			fprintf(stderr, "subload: pthread_create: %s\n",
			    strerror(r));
			return 1;
		}
	}
	for (i = 0; i < o.sessions; i++)
		(void)pthread_join(th[i], NULL);	/* workers return NULL */
	secs = now() - t_start;

	printf("messages=%ld failed=%ld deferred=%ld seconds=%.2f "
	    "rate=%.1f "
	    "msg_p50=%.1f msg_p99=%.1f sess_p50=%.1f sess_p99=%.1f "
	    "tls_p50=%.1f auth_p50=%.1f\n",
	    n_ok, n_failed, n_deferred, secs, (double)n_ok / secs,
	    percentile(msg_times, n_msg_times, 50),
	    percentile(msg_times, n_msg_times, 99),
	    percentile(sess_times, n_sess_times, 50),
	    percentile(sess_times, n_sess_times, 99),
	    percentile(tls_times, n_tls_times, 50),
	    percentile(auth_times, n_auth_times, 50));
	if (n_errors > ERRORS_SHOWN)
		fprintf(stderr, "subload: %ld errors in all\n", n_errors);
	gnutls_certificate_free_credentials(creds);
	gnutls_global_deinit();
	free(th);
	free(msg_times);
	free(sess_times);
	free(tls_times);
	free(auth_times);
	free(message);
	explicit_bzero(auth_line, strlen(auth_line));
	free(auth_line);
	return n_failed == 0 && n_ok == o.messages ? 0 : 1;
}
