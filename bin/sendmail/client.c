/*
 * client.c — sendmail as an SMTP client of the local socket (RFC 5321
 * 3.3, 4.1; the server is `smtpd --mode local`, tambo-sendmail(8)), and
 * the byte relay of -bs.
 *
 * The dialogue is the plain one, a command and its reply at a time:
 * EHLO localhost, MAIL, one RCPT per recipient, DATA with the message
 * dot-stuffed (RFC 5321 4.5.2), QUIT.  The server's name from its EHLO
 * reply is the domain of bare addresses and of the header fields added.
 * Replies are read with smtpreply.h; what they mean for the exit status:
 *
 *   no connection, lost connection, timeout, a 4xx    EX_TEMPFAIL
 *   5xx to a RCPT (the others still get the message)  EX_NOUSER
 *   5xx at the end of the message                     EX_DATAERR
 *   5xx to the greeting, EHLO, MAIL or DATA           EX_UNAVAILABLE
 *
 * Every refusal is printed on stderr with the server's reply.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "io.h"
#include "sendmail.h"
#include "smtpreply.h"
#include "sock.h"
#include "poison.h"

#define SM_REPLY_LINE_MAX	2048

struct sm_client {
	struct io	 io;
	bool		 verbose;
	bool		 lost;		/* the connection is gone */
	struct smtp_reply r;
	struct smtp_ext	 ext;
	bool		 ehlo;		/* collect EHLO keywords and name */
	char		 name[ADDR_DOMAIN_MAX + 1];	/* from EHLO */
	char		 cmd[SMTP_LINE_MAX + 600];	/* the last command */
};

/* A few random bits for the pauses between attempts. */
static unsigned
sm_jitter(void)
{
	unsigned v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (unsigned)getpid() * 2654435761u;
	return v;
}

/* One connection attempt; see sm_connect. */
static enum sm_connect
sm_connect_once(const struct sockaddr_un *sun, int timeout_ms, int *fd)
{
	struct pollfd pfd;
	char	 b;
	ssize_t	 n;
	int	 s, saved, r;

	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return SM_CONNECT_ERROR;
	while (connect(s, (const struct sockaddr *)sun, sizeof(*sun)) == -1) {
		if (errno == EINTR)
			continue;
		saved = errno;
		(void)close(s);
		errno = saved;
		if (saved == EAGAIN)	/* the listen backlog is full */
			return SM_BUSY;
		return saved == ENOENT || saved == ECONNREFUSED ||
		    saved == ENOTDIR ? SM_NO_SERVER : SM_CONNECT_ERROR;
	}
	/* The greeting's first byte, left for the dialogue to read. */
	pfd.fd = s;
	pfd.events = POLLIN;
	while ((r = poll(&pfd, 1, timeout_ms)) == -1 && errno == EINTR)
		;
	if (r == 1) {
		while ((n = recv(s, &b, 1, MSG_PEEK)) == -1 && errno == EINTR)
			;
		if (n == 0 || (n == -1 && errno == ECONNRESET)) {
			/* accepted and closed at once: at its limit */
			(void)close(s);
			errno = ECONNRESET;
			return SM_BUSY;
		}
	}
	*fd = s;	/* a timeout or an error: the dialogue reports it */
	return SM_CONNECTED;
}

enum sm_connect
sm_connect(const char *path, int timeout_ms, int *fd)
{
	struct sockaddr_un sun;
	enum sm_connect c;
	int	 wait_ms = SM_BUSY_FIRST_MS, waited = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return SM_CONNECT_ERROR;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	while ((c = sm_connect_once(&sun, timeout_ms, fd)) == SM_BUSY &&
	    waited < SM_BUSY_WAIT_MS) {
		/* between half and all of the step, so that the clients
		 * turned away together do not all come back together */
		int	 pause = wait_ms / 2 + (int)(sm_jitter() %
		    (unsigned)(wait_ms / 2 + 1));

		(void)poll(NULL, 0, pause);
		waited += pause;
		if (wait_ms < 1000)
			wait_ms *= 2;
	}
	return c;
}

/* Print the last reply as a refusal of what. */
static void
sm_refused(const struct sm_client *c, const char *what)
{
	sm_err("%s: %d %s%s%s", what, c->r.code, c->r.ecode,
	    c->r.ecode[0] ? " " : "", c->r.text);
}

/* Read a whole reply: its code, or -1 (said why) when the link is lost. */
static int
sm_reply(struct sm_client *c)
{
	char	 line[SM_REPLY_LINE_MAX];
	const char *text;
	size_t	 len, tlen;
	bool	 eol;
	enum io_result res;
	enum smtpreply_result r;

	smtpreply_init(&c->r);
	for (;;) {
		res = io_readline(&c->io, line, sizeof(line), &len, &eol);
		if (res != IO_OK || !eol) {
			sm_err("%s: %s", c->cmd[0] ? c->cmd : "greeting",
			    res == IO_TIMEOUT ? "no reply from the mail server"
			    : res == IO_OK ? "reply line too long" :
			    "connection to the mail server lost");
			c->lost = true;
			return -1;
		}
		len -= len >= 2 && line[len - 2] == '\r' ? 2 : 1;
		if (c->verbose)
			(void)fprintf(stderr, "<<< %.*s\n", (int)len, line);
		r = smtpreply_feed(&c->r, line, len, &text, &tlen);
		if (r != SMTPREPLY_MORE && r != SMTPREPLY_DONE) {
			sm_err("%s: not an SMTP reply: %.*s", c->cmd[0] ?
			    c->cmd : "greeting", (int)(len > 200 ? 200 : len),
			    line);
			c->lost = true;
			return -1;
		}
		if (c->ehlo && c->r.nlines == 1) {
			const char *sp = memchr(text, ' ', tlen);
			size_t	 w = sp != NULL ? (size_t)(sp - text) : tlen;

			if (w > 0 && w < sizeof(c->name) && text[0] != '[' &&
			    addr_helo_valid(text, w, false)) {
				memcpy(c->name, text, w);
				c->name[w] = '\0';
			}
		} else if (c->ehlo)
			smtpreply_ext_line(&c->ext, text, tlen);
		if (r == SMTPREPLY_DONE)
			return c->r.code;
	}
}

/* Send a command and read its reply: the code, or -1. */
static int
sm_command(struct sm_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int
sm_command(struct sm_client *c, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(c->cmd, sizeof(c->cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(c->cmd)) {
		sm_err("command too long: %.60s...", c->cmd);
		return -1;
	}
	if (c->verbose)
		(void)fprintf(stderr, ">>> %s\n", c->cmd);
	if (io_write(&c->io, c->cmd, (size_t)n) != IO_OK ||
	    io_write(&c->io, "\r\n", 2) != IO_OK) {
		sm_err("%s: connection to the mail server lost", c->cmd);
		c->lost = true;
		return -1;
	}
	return sm_reply(c);
}

/* A reply's class as an exit status for a step that must succeed. */
static int
sm_status(struct sm_client *c, int code, const char *what, int perm)
{
	if (code < 0)
		return EX_TEMPFAIL;
	if (code / 100 == 2 || code / 100 == 3)
		return EX_OK;
	sm_refused(c, what);
	return code / 100 == 4 ? EX_TEMPFAIL : perm;
}

/* Send s[0..n), which starts at a line start, dot-stuffed. */
static enum io_result
sm_stuffed(struct io *io, const char *s, size_t n)
{
	enum io_result res = IO_OK;
	size_t	 pos = 0;

	while (pos < n && res == IO_OK) {
		const char *lf = memchr(s + pos, '\n', n - pos);
		size_t	 end = lf ? (size_t)(lf - s) + 1 : n;

		if (s[pos] == '.')
			res = io_write(io, ".", 1);
		if (res == IO_OK)
			res = io_write(io, s + pos, end - pos);
		pos = end;
	}
	return res;
}

/* MAIL FROM with the parameters the options and the message ask for. */
static int
sm_mail(struct sm_client *c, const struct sm_opts *o,
    const struct sm_msg *m, const struct sm_env *e)
{
	char	 params[256] = "";
	size_t	 p = 0;
	enum smtp_body body = o->body;

	if (body == SMTP_BODY_NONE && m->eightbit)
		body = SMTP_BODY_8BITMIME;
	if (body != SMTP_BODY_NONE && (c->ext.flags & SMTPEXT_8BITMIME))
		p += (size_t)snprintf(params + p, sizeof(params) - p,
		    " BODY=%s", body == SMTP_BODY_7BIT ? "7BIT" : "8BITMIME");
	if (e->utf8 && (c->ext.flags & SMTPEXT_SMTPUTF8))
		p += (size_t)snprintf(params + p, sizeof(params) - p,
		    " SMTPUTF8");
	if (c->ext.flags & SMTPEXT_DSN) {
		if (o->ret != SMTP_RET_NONE)
			p += (size_t)snprintf(params + p, sizeof(params) - p,
			    " RET=%s", o->ret == SMTP_RET_FULL ? "FULL" :
			    "HDRS");
		if (o->envid[0] != '\0')
			(void)snprintf(params + p, sizeof(params) - p,
			    " ENVID=%s", o->envid);
	}
	return sm_command(c, "MAIL FROM:<%s>%s", e->from, params);
}

static const char *
sm_notify(unsigned n, char *out, size_t outsz)
{
	(void)snprintf(out, outsz, "%s%s%s%s",
	    n & SMTP_NOTIFY_NEVER ? ",NEVER" : "",
	    n & SMTP_NOTIFY_SUCCESS ? ",SUCCESS" : "",
	    n & SMTP_NOTIFY_FAILURE ? ",FAILURE" : "",
	    n & SMTP_NOTIFY_DELAY ? ",DELAY" : "");
	return out + 1;
}

int
sm_smtp(int fd, const struct conf *conf, const struct sm_opts *o,
    const struct sm_user *u, const struct sm_list *args, struct sm_msg *m)
{
	static struct sm_client c;
	struct sm_env e;
	struct buf added;
	char	 what[ADDR_PATH_MAX + 16], notify[64];
	size_t	 i, accepted = 0, perm = 0, temp = 0;
	int	 code, rc;

	memset(&c, 0, sizeof(c));
	memset(&e, 0, sizeof(e));
	buf_init(&added, 64 * 1024);
	c.verbose = o->verbose;
	(void)sock_nonblock(fd);
	io_init(&c.io, fd, fd, (int)conf->command_timeout * 1000, 0);
	if ((rc = sm_status(&c, sm_reply(&c), "the mail server's greeting",
	    EX_UNAVAILABLE)) != EX_OK)
		goto out;
	smtpreply_ext_init(&c.ext);
	c.ehlo = true;
	code = sm_command(&c, "EHLO localhost");
	c.ehlo = false;
	if ((rc = sm_status(&c, code, "EHLO", EX_UNAVAILABLE)) != EX_OK)
		goto out;
	if (c.name[0] == '\0')
		(void)snprintf(c.name, sizeof(c.name), "%s", conf->hostname);

	if ((rc = sm_envelope(o, u, args, &m->hdr_rcpt, c.name, &e)) != EX_OK)
		goto quit;
	(void)snprintf(what, sizeof(what), "MAIL FROM:<%s>", e.from);
	if ((rc = sm_status(&c, sm_mail(&c, o, m, &e), what,
	    EX_UNAVAILABLE)) != EX_OK)
		goto quit;
	for (i = 0; i < e.nrcpt && !c.lost; i++) {
		if (o->notify != 0 && (c.ext.flags & SMTPEXT_DSN))
			code = sm_command(&c, "RCPT TO:<%s> NOTIFY=%s",
			    e.rcpt[i], sm_notify(o->notify, notify,
			    sizeof(notify)));
		else
			code = sm_command(&c, "RCPT TO:<%s>", e.rcpt[i]);
		if (code / 100 == 2)
			accepted++;
		else if (code / 100 == 5) {
			perm++;
			(void)snprintf(what, sizeof(what), "<%s>", e.rcpt[i]);
			sm_refused(&c, what);
		} else {
			temp++;
			if (code > 0) {
				(void)snprintf(what, sizeof(what), "<%s>",
				    e.rcpt[i]);
				sm_refused(&c, what);
			}
		}
	}
	if (c.lost) {
		rc = EX_TEMPFAIL;
		goto out;
	}
	if (accepted == 0) {
		rc = perm > 0 ? EX_NOUSER : EX_TEMPFAIL;
		goto quit;
	}
	if ((rc = sm_added(m, o, u, &e, c.name, &added)) != EX_OK)
		goto quit;
	if ((rc = sm_status(&c, sm_command(&c, "DATA"), "DATA",
	    EX_UNAVAILABLE)) != EX_OK)
		goto quit;
	if (c.r.code != 354) {
		sm_refused(&c, "DATA");
		rc = EX_UNAVAILABLE;
		goto quit;
	}
	(void)snprintf(c.cmd, sizeof(c.cmd), "end of message");
	if (c.verbose)
		(void)fprintf(stderr, ">>> (message, %zu octets)\n>>> .\n",
		    m->head.len + added.len + 2 + (m->all.len - m->body));
	if (sm_stuffed(&c.io, m->head.data ? m->head.data : "",
	    m->head.len) != IO_OK ||
	    sm_stuffed(&c.io, added.data ? added.data : "", added.len) !=
	    IO_OK || io_write(&c.io, "\r\n", 2) != IO_OK ||
	    sm_stuffed(&c.io, m->all.data ? m->all.data + m->body : "",
	    m->all.len - m->body) != IO_OK ||
	    io_write(&c.io, ".\r\n", 3) != IO_OK) {
		sm_err("sending the message: connection to the mail server "
		    "lost");
		rc = EX_TEMPFAIL;
		goto out;
	}
	if ((rc = sm_status(&c, sm_reply(&c), "the message",
	    EX_DATAERR)) != EX_OK)
		goto quit;
	rc = perm > 0 ? EX_NOUSER : temp > 0 ? EX_TEMPFAIL : EX_OK;
quit:
	if (!c.lost)
		(void)sm_command(&c, "QUIT");
out:
	sm_env_free(&e);
	buf_free(&added);
	return rc;
}

/* Write all of p[0..n) to fd (non-blocking or not). */
static int
sm_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t	 w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int
sm_relay(int fd)
{
	struct pollfd pfd[2];
	char	 buf[16384];
	bool	 in_open = true;
	ssize_t	 n;

	for (;;) {
		pfd[0].fd = in_open ? STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = fd;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			sm_err("poll: %s", strerror(errno));
			return EX_OSERR;
		}
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(fd, buf, sizeof(buf));
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0)	/* the server closed: the session is over */
				return n == 0 ? EX_OK : EX_IOERR;
			if (sm_write_all(STDOUT_FILENO, buf, (size_t)n) == -1)
				return EX_IOERR;
		}
		if (in_open && (pfd[0].revents & (POLLIN | POLLHUP |
		    POLLERR))) {
			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				in_open = false;
				(void)shutdown(fd, SHUT_WR);
				continue;
			}
			if (sm_write_all(fd, buf, (size_t)n) == -1)
				return EX_IOERR;
		}
	}
}
