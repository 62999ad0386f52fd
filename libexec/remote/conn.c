/*
 * conn.c — a connection ready for mail: TCP connect with a time limit,
 * the greeting, EHLO (HELO when EHLO is refused), STARTTLS (RFC 3207)
 * by the destination's TLS policy, implicit TLS for "smtps" routes
 * (RFC 8314), AUTH PLAIN (RFC 4954, RFC 4616) for relays that want it.
 *
 * The addresses of the destination are tried in order (RFC 5321 5.1):
 * on a failed connect, a time-out, a greeting or EHLO that is not 2xx,
 * or TLS that the policy requires and cannot have, the next one.  Under
 * the "may" policy a failed TLS handshake is retried once on the same
 * address in plaintext (RFC 7435: anything is better than no mail).
 *
 * What it leaves to others: the mail transaction (xfer.c), the order of
 * the addresses (dest.c), TLS itself (the plugin, tls.h; loaded only when
 * a server offers STARTTLS).  Every reply is read with a bound on the
 * line (SMTPREPLY_TEXT_MAX of it is kept) and the RFC 5321 4.5.3.2 time
 * limits (remote_steps).  After "220" to STARTTLS any plaintext the
 * server sent is dropped before the handshake.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "b64.h"
#include "log.h"
#include "remote.h"
#include "sock.h"
#include "poison.h"

/* An over-long reply line is read and dropped up to this much. */
#define CONN_SKIP_MAX	(64 * 1024)
/* A command line: the longest is AUTH PLAIN with its base64. */
#define CONN_CMD_MAX	(SMTP_AUTH_LINE_MAX + 2)
/* "user:password" */
#define CONN_AUTH_MAX	2048

const struct remote_step_info remote_steps[STEP_COUNT] = {
	[STEP_GREETING] = { "greeting", 300 },
	[STEP_EHLO] = { "EHLO", 300 },
	[STEP_STARTTLS] = { "STARTTLS", 300 },
	[STEP_AUTH] = { "AUTH", 300 },
	[STEP_RSET] = { "RSET", 300 },
	[STEP_MAIL] = { "MAIL FROM", 300 },
	[STEP_RCPT] = { "RCPT TO", 300 },
	[STEP_DATA] = { "DATA", 120 },
	[STEP_BLOCK] = { "the message", 180 },
	[STEP_FINAL] = { "end of data", 600 },
	[STEP_QUIT] = { "QUIT", 10 },
};

enum try_result {
	TRY_OK,
	TRY_NEXT,	/* this address failed: the next one */
	TRY_PLAIN,	/* TLS failed under "may": again without */
};

static char conn_line[CONN_CMD_MAX + 1];

void
conn_init(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Close at once: no QUIT, no close_notify. */
static void
conn_drop(struct conn *c)
{
	if (c->tls != NULL) {
		c->ops->free(c->tls);
		c->tls = NULL;
	}
	io_set_transport(&c->io, NULL, NULL);
	if (c->fd != -1)
		(void)close(c->fd);
	c->fd = -1;
}

void
conn_close(struct conn *c, bool polite)
{
	struct smtp_reply r;

	if (c->fd == -1)
		return;
	if (polite && conn_cmd(c, "QUIT") &&
	    conn_reply(c, STEP_QUIT, &r, NULL) == 0 && c->fd != -1 &&
	    c->tls != NULL)
		c->ops->bye(c->tls);
	conn_drop(c);
}

bool
conn_cmd(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (c->fd == -1)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(conn_line, sizeof(conn_line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(conn_line) - 2) {
		(void)snprintf(c->err, sizeof(c->err), "command too long");
		conn_drop(c);
		return false;
	}
	memcpy(conn_line + n, "\r\n", 2);
	if (io_write(&c->io, conn_line, (size_t)n + 2) != IO_OK) {
		(void)snprintf(c->err, sizeof(c->err), "lost connection "
		    "with %s while sending a command: %s", c->relay,
		    strerror(c->io.err != 0 ? c->io.err : EIO));
		conn_drop(c);
		return false;
	}
	return true;
}

static const char *
conn_io_what(enum io_result r, int err)
{
	switch (r) {
	case IO_EOF:
		return "connection closed";
	case IO_TIMEOUT:
	case IO_DEADLINE:
		return "timed out";
	default:
		return strerror(err != 0 ? err : EIO);
	}
}

int
conn_reply(struct conn *c, enum remote_step step, struct smtp_reply *r,
    struct smtp_ext *ext)
{
	char	 line[SMTP_TEXT_LINE_MAX + 1], skip[1024];
	enum io_result res;
	enum smtpreply_result fr;
	const char *text;
	size_t	 len, tlen, skipped;
	bool	 eol;

	smtpreply_init(r);
	if (ext != NULL)
		smtpreply_ext_init(ext);
	if (c->fd == -1)
		return -1;
	c->io.timeout_ms = (int)remote_steps[step].seconds * 1000;
	do {
		res = io_readline(&c->io, line, sizeof(line), &len, &eol);
		for (skipped = 0; res == IO_OK && !eol &&
		    skipped < CONN_SKIP_MAX; skipped += tlen)
			res = io_readline(&c->io, skip, sizeof(skip), &tlen,
			    &eol);
		if (res != IO_OK || !eol) {
			(void)snprintf(c->err, sizeof(c->err), "lost "
			    "connection with %s while waiting for the reply "
			    "to %s: %s", c->relay, remote_steps[step].name,
			    !eol && res == IO_OK ? "reply line too long" :
			    conn_io_what(res, c->io.err));
			conn_drop(c);
			return -1;
		}
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			len--;
		fr = smtpreply_feed(r, line, len, &text, &tlen);
		if (fr == SMTPREPLY_ESYNTAX || fr == SMTPREPLY_ETOOMANY) {
			(void)snprintf(c->err, sizeof(c->err), "protocol "
			    "error from %s in the reply to %s: %s", c->relay,
			    remote_steps[step].name, fr == SMTPREPLY_ESYNTAX ?
			    "not an SMTP reply" : "too many lines");
			conn_drop(c);
			return -1;
		}
		if (ext != NULL && r->nlines > 1)
			smtpreply_ext_line(ext, text, tlen);
	} while (fr == SMTPREPLY_MORE);
	if (r->code == 421) {
		/* RFC 5321 3.8: the server is closing the channel */
		(void)snprintf(c->err, sizeof(c->err), "%s closed the "
		    "connection: %s", c->relay, r->text);
		conn_drop(c);
	}
	return 0;
}

/* A non-blocking connect within timeout_s; the fd, or -1 with err. */
static int
conn_tcp(const struct target *t, unsigned timeout_s, char *err,
    size_t errsz)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct sockaddr	*sa;
	socklen_t	 salen;
	struct pollfd	 pfd;
	int		 fd, e = 0, r;
	socklen_t	 elen = sizeof(e);
	int64_t		 deadline;

	deadline = io_now_ms() + (int64_t)timeout_s * 1000;
	if (t->addr.family == AF_INET6) {
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_addr = t->addr.u.v6;
		s6.sin6_port = htons(t->port);
		sa = (struct sockaddr *)&s6;
		salen = sizeof(s6);
	} else {
		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_addr = t->addr.u.v4;
		s4.sin_port = htons(t->port);
		sa = (struct sockaddr *)&s4;
		salen = sizeof(s4);
	}
	fd = socket(t->addr.family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd == -1) {
		(void)snprintf(err, errsz, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(fd, sa, salen) == -1) {
		if (errno != EINPROGRESS && errno != EINTR) {
			(void)snprintf(err, errsz, "%s", strerror(errno));
			(void)close(fd);
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		for (;;) {
			int64_t	 left = deadline - io_now_ms();

			if (left <= 0) {
				r = 0;
				break;
			}
			r = poll(&pfd, 1, left > 600000 ? 600000 : (int)left);
			if (r == -1 && errno == EINTR)
				continue;
			if (r != 0)
				break;
		}
		if (r == 0) {
			(void)snprintf(err, errsz, "connection timed out");
			(void)close(fd);
			return -1;
		}
		if (r == -1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e,
		    &elen) == -1 || e != 0) {
			(void)snprintf(err, errsz, "%s",
			    strerror(r == -1 || e == 0 ? errno : e));
			(void)close(fd);
			return -1;
		}
	}
	sock_nodelay(fd);
	return fd;
}

static void
conn_fail(struct dest *d, const struct target *t, bool reached, int code,
    const char *ecode, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* The outcome if this address is the last one tried. */
static void
conn_fail(struct dest *d, const struct target *t, bool reached, int code,
    const char *ecode, const char *fmt, ...)
{
	char	 text[SMTPREPLY_TEXT_MAX + 1];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (code < 400 || code >= 500)
		code = 451;	/* every address failed: try again later */
	smtpreply_set(&d->fail, code, ecode, text);
	(void)snprintf(d->fail_host, sizeof(d->fail_host), "%s",
	    reached ? t->host : "-");
}

/* A server's refusal as the failure, then close politely. */
static enum try_result
conn_fail_reply(struct dest *d, struct conn *c, const struct smtp_reply *r,
    const char *ecode, const char *step)
{
	conn_fail(d, c->target, true, r->code, ecode, "%s said: %d %s (in "
	    "reply to %s)", c->relay, r->code, r->text, step);
	log_attempt(c->relay, d->fail.text);
	conn_close(c, true);
	return TRY_NEXT;
}

/* The connection was lost: c->err says how. */
static enum try_result
conn_fail_lost(struct dest *d, struct conn *c, const char *ecode)
{
	conn_fail(d, c->target, true, 451, ecode, "%s", c->err);
	log_attempt(c->relay, c->err);
	conn_drop(c);
	return TRY_NEXT;
}

/*
 * EHLO, or HELO when EHLO gets 5xx (RFC 5321 3.2).  TRY_OK with the
 * server's keywords in c->ext.
 */
static enum try_result
conn_ehlo(struct dest *d, struct conn *c)
{
	struct smtp_reply r;

	if (!conn_cmd(c, "EHLO %s", d->conf->hostname) ||
	    conn_reply(c, STEP_EHLO, &r, &c->ext) == -1)
		return conn_fail_lost(d, c, "4.4.1");
	if (smtpreply_class(&r) == 2)
		return TRY_OK;
	if (smtpreply_class(&r) == 4)
		return conn_fail_reply(d, c, &r, "4.4.1", "EHLO");
	smtpreply_ext_init(&c->ext);
	if (!conn_cmd(c, "HELO %s", d->conf->hostname) ||
	    conn_reply(c, STEP_EHLO, &r, NULL) == -1)
		return conn_fail_lost(d, c, "4.4.1");
	if (smtpreply_class(&r) != 2)
		return conn_fail_reply(d, c, &r, "4.4.1", "HELO");
	return TRY_OK;
}

/*
 * The TLS handshake on the connection.  TRY_OK; TRY_PLAIN when TLS could
 * not be had and the policy allows plaintext; else TRY_NEXT.
 */
static enum try_result
conn_tls(struct dest *d, struct conn *c)
{
	struct tls_client_params p;
	char	 err[512], why[256];
	bool	 required = d->tls >= CONF_TLS_ENCRYPT;

	if (c->ops == NULL && (c->ops = tls_load(NULL, err, sizeof(err))) ==
	    NULL) {
		log_error("cannot load TLS", err, 0);
		goto failed;
	}
	memset(&p, 0, sizeof(p));
	p.ca_file = d->ca_file;
	p.min_version = 12;
	p.timeout_ms = (int)remote_steps[STEP_STARTTLS].seconds * 1000;
	/* plaintext sent after the server's 220 is not to be trusted */
	(void)io_discard_input(&c->io);
	if ((c->tls = c->ops->client_new(&p, c->fd, c->target->host, err,
	    sizeof(err))) == NULL)
		goto failed;
	if (c->ops->handshake(c->tls, err, sizeof(err)) == -1) {
		c->ops->free(c->tls);
		c->tls = NULL;
		goto failed;
	}
	io_set_transport(&c->io, &c->ops->io, c->tls);
	c->ops->describe(c->tls, c->tlsdesc, sizeof(c->tlsdesc));
	c->verified = c->ops->verified(c->tls, why, sizeof(why));
	if (!c->verified && d->tls >= CONF_TLS_VERIFY) {
		conn_fail(d, c->target, true, 451, "4.7.5", "certificate of "
		    "%s not verified: %s", c->relay, why);
		log_attempt(c->relay, d->fail.text);
		conn_close(c, true);
		return TRY_NEXT;
	}
	if (!c->verified)
		(void)snprintf(c->err, sizeof(c->err), "%s", why);
	return TRY_OK;
failed:
	if (!required) {
		log_attempt(c->relay, err);
		(void)snprintf(c->err, sizeof(c->err), "%s", err);
		conn_drop(c);
		return TRY_PLAIN;
	}
	conn_fail(d, c->target, true, 451, "4.7.5", "TLS with %s failed: %s",
	    c->relay, err);
	log_attempt(c->relay, d->fail.text);
	conn_drop(c);
	return TRY_NEXT;
}

/* STARTTLS when the policy and the server allow, then EHLO again. */
static enum try_result
conn_starttls(struct dest *d, struct conn *c)
{
	struct smtp_reply r;
	enum try_result tr;

	if (d->tls == CONF_TLS_NONE || c->target->plaintext)
		return TRY_OK;
	if (!(c->ext.flags & SMTPEXT_STARTTLS)) {
		if (d->tls < CONF_TLS_ENCRYPT)
			return TRY_OK;
		conn_fail(d, c->target, true, 451, "4.7.4", "%s does not "
		    "offer STARTTLS, which the TLS policy requires",
		    c->relay);
		log_attempt(c->relay, d->fail.text);
		conn_close(c, true);
		return TRY_NEXT;
	}
	if (!conn_cmd(c, "STARTTLS") ||
	    conn_reply(c, STEP_STARTTLS, &r, NULL) == -1)
		return conn_fail_lost(d, c, "4.4.1");
	if (smtpreply_class(&r) != 2) {
		if (d->tls < CONF_TLS_ENCRYPT)
			return TRY_OK;
		return conn_fail_reply(d, c, &r, "4.7.4", "STARTTLS");
	}
	if ((tr = conn_tls(d, c)) != TRY_OK)
		return tr;
	return conn_ehlo(d, c);
}

/* AUTH PLAIN with the route's "user:password" file (RFC 4616). */
static enum try_result
conn_auth(struct dest *d, struct conn *c)
{
	struct smtp_reply r;
	char	*file = NULL, *colon, raw[CONN_AUTH_MAX + 2];
	char	 enc[B64_ENCODED_SIZE(CONN_AUTH_MAX + 2)];
	char	 user[ADDR_PATH_MAX + 1];
	size_t	 len = 0, ulen, plen;
	bool	 sent;

	if (d->auth == NULL)
		return TRY_OK;
	if (c->tls == NULL) {
		/* never: conf.c makes auth= imply tls=encrypt */
		conn_fail(d, c->target, true, 451, "4.7.0", "no AUTH "
		    "without TLS");
		conn_close(c, true);
		return TRY_NEXT;
	}
	if (conf_read_file(d->auth, CONN_AUTH_MAX, &file, &len) == -1) {
		conn_fail(d, c->target, true, 451, "4.7.0", "credentials "
		    "for %s unreadable: %s", c->target->host,
		    strerror(errno));
		log_error("auth file", d->auth, errno);
		conn_close(c, true);
		return TRY_NEXT;
	}
	while (len > 0 && (file[len - 1] == '\n' || file[len - 1] == '\r'))
		file[--len] = '\0';
	if ((colon = memchr(file, ':', len)) == NULL || colon == file ||
	    (size_t)(colon - file) > ADDR_PATH_MAX) {
		explicit_bzero(file, len);
		free(file);
		conn_fail(d, c->target, true, 451, "4.7.0", "credentials "
		    "for %s: expected user:password", c->target->host);
		log_error("auth file: expected user:password", d->auth, 0);
		conn_close(c, true);
		return TRY_NEXT;
	}
	ulen = (size_t)(colon - file);
	plen = len - ulen - 1;
	memcpy(user, file, ulen);
	user[ulen] = '\0';
	/* authzid (empty) NUL authcid NUL passwd */
	raw[0] = '\0';
	memcpy(raw + 1, file, ulen);
	raw[1 + ulen] = '\0';
	memcpy(raw + 2 + ulen, colon + 1, plen);
	b64_encode(raw, ulen + plen + 2, enc, sizeof(enc));
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(file, len);
	free(file);
	sent = conn_cmd(c, "AUTH PLAIN %s", enc);
	explicit_bzero(enc, sizeof(enc));
	explicit_bzero(conn_line, sizeof(conn_line));
	if (!sent || conn_reply(c, STEP_AUTH, &r, NULL) == -1) {
		explicit_bzero(c->io.wbuf, sizeof(c->io.wbuf));
		return conn_fail_lost(d, c, "4.7.0");
	}
	explicit_bzero(c->io.wbuf, sizeof(c->io.wbuf));
	if (r.code != 235) {
		log_auth(c->relay, "PLAIN", user, "failed");
		return conn_fail_reply(d, c, &r, "4.7.8", "AUTH");
	}
	log_auth(c->relay, "PLAIN", user, "ok");
	return TRY_OK;
}

/* One address: connect and make the connection ready for mail. */
static enum try_result
conn_try(struct dest *d, struct conn *c, struct target *t)
{
	struct smtp_reply r;
	enum try_result tr;
	char	 err[256];
	int	 fd;

	(void)snprintf(c->relay, sizeof(c->relay), "%s[%s]:%u", t->host,
	    t->addrtext, t->port);
	c->target = t;
	c->tls = NULL;
	c->verified = false;
	c->transactions = 0;
	c->need_rset = false;
	c->err[0] = '\0';
	memcpy(c->tlsdesc, "none", 5);
	smtpreply_ext_init(&c->ext);
	if ((fd = conn_tcp(t, d->conf->connect_timeout, err,
	    sizeof(err))) == -1) {
		conn_fail(d, t, false, 451, "4.4.1", "connect to %s: %s",
		    c->relay, err);
		log_attempt(c->relay, d->fail.text);
		return TRY_NEXT;
	}
	c->fd = fd;
	io_init(&c->io, fd, fd, 1000, 0);
	if (d->tls == CONF_TLS_SMTPS && (tr = conn_tls(d, c)) != TRY_OK)
		return TRY_NEXT;	/* smtps is never plaintext */
	if (conn_reply(c, STEP_GREETING, &r, NULL) == -1)
		return conn_fail_lost(d, c, "4.4.1");
	if (smtpreply_class(&r) != 2)
		return conn_fail_reply(d, c, &r, "4.4.1", "the greeting");
	if ((tr = conn_ehlo(d, c)) != TRY_OK)
		return tr;
	if (d->tls != CONF_TLS_SMTPS && (tr = conn_starttls(d, c)) != TRY_OK)
		return tr;
	if ((tr = conn_auth(d, c)) != TRY_OK)
		return tr;
	log_relay(c->relay, c->tlsdesc, c->tls == NULL ? NULL :
	    c->verified ? "yes" : "no", c->tls != NULL && !c->verified ?
	    c->err : NULL);
	c->err[0] = '\0';
	return TRY_OK;
}

int
conn_open(struct dest *d, struct conn *c)
{
	size_t	 i;

	if (c->fd != -1)
		return 0;
	for (i = 0; i < d->ntargets; i++) {
		switch (conn_try(d, c, &d->targets[i])) {
		case TRY_OK:
			return 0;
		case TRY_PLAIN:
			d->targets[i].plaintext = true;
			i--;	/* the same address, without TLS */
			break;
		case TRY_NEXT:
			break;
		}
	}
	if (d->ntargets == 0)
		conn_fail(d, NULL, false, 451, "4.4.1", "no address to try");
	/* no address worked: the next jobs get this too, without trying */
	d->fail_status = RCPT_TEMP;
	return -1;
}
