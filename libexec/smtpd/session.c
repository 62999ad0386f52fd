/*
 * session.c — the SMTP server state machine (RFC 5321 §3, §4.1).
 *
 * Each verb has a row in session_commands: a check that says whether it may
 * run now (returning the reply that refuses it) and an action.  Replies come
 * from the reply table by name.  Extensions: PIPELINING (RFC 2920), SIZE
 * (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC 6531), ENHANCEDSTATUSCODES
 * (RFC 2034), CHUNKING (RFC 3030), DSN (RFC 3461).
 *
 * What it leaves to others: parsing (smtpcmd.c, addr.c), content checks
 * (msg.c), durability (spool.c), who is local (users.c).
 *
 * The local mode (local.c) differs in who may do what: no TLS, no AUTH,
 * the peer named by its credentials, any recipient, its own senders.
 *
 * Invariants: a message is acknowledged with 250 only after spool_commit
 * succeeded; any other end of DATA/BDAT aborts the spool transaction, so
 * nothing half-received is ever queued.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "msg.h"
#include "session.h"
#include "poison.h"

/* How much of an over-long line we read and drop before hanging up. */
#define SESSION_SKIP_MAX	(64 * 1024)
/* The command line buffer: the longest verb limit plus CRLF. */
#define SESSION_LINE_MAX	(SMTP_AUTH_LINE_MAX + 2)

static char session_line[SESSION_LINE_MAX + 1];

static const struct {
	const char		*name;
	enum session_mode	 mode;
} session_modes[] = {
	{ "mx", MODE_MX },
	{ "submission", MODE_SUBMISSION },
	{ "submissions", MODE_SUBMISSIONS },
	{ "local", MODE_LOCAL },
};

bool
session_mode_parse(const char *s, enum session_mode *m)
{
	for (size_t i = 0; i < sizeof(session_modes) / sizeof(session_modes[0]);
	    i++)
		if (strcmp(s, session_modes[i].name) == 0) {
			*m = session_modes[i].mode;
			return true;
		}
	return false;
}

static const char *
session_mode_name(enum session_mode m)
{
	for (size_t i = 0; i < sizeof(session_modes) / sizeof(session_modes[0]);
	    i++)
		if (session_modes[i].mode == m)
			return session_modes[i].name;
	return "?";
}

/* --- replies ------------------------------------------------------------ */

void
session_write(struct session *s, const char *text, size_t n)
{
	if (io_write(&s->io, text, n) != IO_OK || io_write(&s->io, "\r\n",
	    2) != IO_OK) {
		s->done = true;
		s->end_reason = "write failed";
	}
}

/* Send a reply from the table, with optional extra text after it. */
void
session_reply_extra(struct session *s, enum reply_id id, const char *extra)
{
	char	 text[512];
	size_t	 n;

	n = reply_format(id, extra, text, sizeof(text));
	session_write(s, text, n);
	if (reply_get(id)->code >= 500)
		s->errors++;
	if (reply_get(id)->code == 421) {
		s->done = true;
		if (s->end_reason == NULL)
			s->end_reason = "closed with 421";
	}
}

void
session_reply(struct session *s, enum reply_id id)
{
	session_reply_extra(s, id, NULL);
}

/* "550 5.1.1" for logs. */
const char *
session_code(enum reply_id id, char *out, size_t outsz)
{
	const struct reply *r = reply_get(id);

	(void)snprintf(out, outsz, "%d %s", r->code, r->ecode ? r->ecode : "");
	return out;
}

/* Reply and log a refusal. */
void
session_refuse(struct session *s, const char *cmd, enum reply_id id,
    const char *reason)
{
	char	 code[32];

	log_reject(cmd, session_code(id, code, sizeof(code)), reason);
	session_reply(s, id);
}

/* --- the transaction ---------------------------------------------------- */

void
session_abort_message(struct session *s)
{
	if (s->tx_open) {
		spool_abort(s->tx);
		s->tx_open = false;
	}
	s->in_bdat = false;
}

void
session_reset(struct session *s)
{
	session_abort_message(s);
	s->in_mail = false;
	memset(&s->mail, 0, sizeof(s->mail));
	s->spf_hdr[0] = '\0';
	free(s->rcpt);
	s->rcpt = NULL;
	s->nrcpt = 0;
	s->rcpt_tried = 0;
}

/* Is AUTH offered now?  Submission ports, under TLS, not yet done. */
bool
session_auth_offered(const struct session *s)
{
	return (s->mode == MODE_SUBMISSION || s->mode == MODE_SUBMISSIONS) &&
	    s->tls && !s->authed;
}

unsigned
session_extensions(const struct session *s)
{
	if (!s->esmtp)
		return 0;
	return SMTPCMD_EXT_SIZE | SMTPCMD_EXT_8BITMIME |
	    SMTPCMD_EXT_SMTPUTF8 | SMTPCMD_EXT_DSN |
	    (s->authed || session_auth_offered(s) ? SMTPCMD_EXT_AUTH : 0);
}

/* The "with" of Received: (RFC 3848, RFC 6531 3.7.3). */
static const char *
session_protocol(const struct session *s)
{
	static const char *names[2][2][2][2] = {
		/* [esmtp][utf8][tls][auth] */
		{ { { "SMTP", "SMTP" }, { "SMTPS", "SMTPS" } },
		  { { "SMTP", "SMTP" }, { "SMTPS", "SMTPS" } } },
		{ { { "ESMTP", "ESMTPA" }, { "ESMTPS", "ESMTPSA" } },
		  { { "UTF8SMTP", "UTF8SMTPA" }, { "UTF8SMTPS", "UTF8SMTPSA" } } },
	};

	return names[s->esmtp][s->mail.smtputf8][s->tls][s->authed];
}

/*
 * Open the spool file and write the envelope and Received: header.
 * Returns REPLY_OK or the reply that refuses the message.
 */
enum reply_id
session_begin_message(struct session *s)
{
	struct spool_envelope env;
	struct msg_trace tr;
	struct buf hdr;
	int	 saved;

	if (!s->spool_ok) {
		if (spool_open(&s->spool, s->conf->spool) == -1) {
			log_error("cannot open spool", s->conf->spool, errno);
			return REPLY_LOCAL_ERROR;
		}
		s->spool_ok = true;
	}
	memset(&env, 0, sizeof(env));
	env.arrival = (int64_t)time(NULL);
	(void)snprintf(env.client, sizeof(env.client), "%s", s->client);
	(void)snprintf(env.helo, sizeof(env.helo), "%s", s->helo);
	(void)snprintf(env.protocol, sizeof(env.protocol), "%s",
	    session_protocol(s));
	if (s->authed)
		memcpy(env.auth, s->auth_user, sizeof(env.auth));
	else if (s->mode == MODE_LOCAL)
		(void)snprintf(env.auth, sizeof(env.auth), "%s", s->peer_user);
	memcpy(env.from, s->mail.from.mailbox, sizeof(env.from));
	env.body = s->mail.body;
	env.ret = s->mail.ret;
	env.smtputf8 = s->mail.smtputf8;
	memcpy(env.envid, s->mail.envid, sizeof(env.envid));
	env.nrcpt = s->nrcpt;
	env.rcpt = s->rcpt;
	if (spool_begin(&s->spool, &env, s->tx) == -1) {
		saved = errno;
		log_error("cannot create spool file", s->conf->spool, saved);
		return spool_errno_full(saved) ? REPLY_DISK_FULL :
		    REPLY_LOCAL_ERROR;
	}
	s->tx_open = true;

	memset(&tr, 0, sizeof(tr));
	tr.helo = s->helo;
	tr.client = strcmp(s->client, "local") == 0 ? NULL : s->client;
	tr.hostname = s->conf->hostname;
	tr.protocol = session_protocol(s);
	tr.id = env.id;
	tr.rcpt = s->nrcpt == 1 ? s->rcpt[0].addr : NULL;
	tr.tls = s->tls ? s->tls_desc : NULL;
	tr.when = env.arrival;
	buf_init(&hdr, 4096);
	if (buf_add(&hdr, s->spf_hdr, strlen(s->spf_hdr)) == -1 ||
	    msg_received(&tr, &hdr) == -1 || (s->mode == MODE_LOCAL &&
	    session_local_received(s, &hdr) == -1)) {
		buf_free(&hdr);
		session_abort_message(s);
		return REPLY_LOCAL_ERROR;
	}
	spool_write(s->tx, hdr.data, hdr.len);
	buf_free(&hdr);
	s->tx->size = 0;	/* our header does not count against SIZE */
	msg_check_init(s->check, s->conf->max_message_size,
	    s->conf->max_received);
	return REPLY_OK;
}

/* The end of a message: refuse it, or commit it and say so. */
void
session_end_message(struct session *s, const char *cmd)
{
	unsigned flags = msg_check_end(s->check);
	enum reply_id id;
	char	 qid[SPOOL_ID_LEN + 1];

	if (flags != 0) {
		id = msg_check_reply(flags);
		session_abort_message(s);
		session_refuse(s, cmd, id, msg_check_reason(flags));
		session_reset(s);
		return;
	}
	memcpy(qid, s->tx->id, sizeof(qid));
	s->tx_open = false;
	if (spool_commit(s->tx) == -1) {
		int	 saved = errno;

		log_error("cannot commit spool file", qid, saved);
		session_refuse(s, cmd, spool_errno_full(saved) ?
		    REPLY_DISK_FULL : REPLY_LOCAL_ERROR, "spool commit failed");
		session_reset(s);
		return;
	}
	log_queued(qid, s->mail.from.mailbox, s->nrcpt, s->check->size);
	s->messages++;
	session_reply_extra(s, REPLY_QUEUED, qid);
	session_reset(s);
}

/* --- checks: may this command run now? ----------------------------------- */

typedef enum reply_id (*session_check_fn)(struct session *);
typedef void (*session_run_fn)(struct session *, const struct smtp_cmd *);

static enum reply_id
check_any(struct session *s)
{
	(void)s;
	return REPLY_OK;
}

static enum reply_id
check_mail(struct session *s)
{
	if (!s->greeted)
		return REPLY_NEED_HELO;
	if (s->in_mail)
		return REPLY_NESTED_MAIL;
	if (s->mode == MODE_SUBMISSION || s->mode == MODE_SUBMISSIONS) {
		if (!s->tls)
			return REPLY_NEED_TLS;
		if (!s->authed)
			return REPLY_AUTH_REQUIRED;
	}
	return REPLY_OK;
}

static enum reply_id
check_rcpt(struct session *s)
{
	if (!s->in_mail)
		return REPLY_NEED_MAIL;
	if (s->in_bdat)
		return REPLY_BDAT_MIX;
	return REPLY_OK;
}

enum reply_id
check_data(struct session *s)
{
	if (s->in_bdat)
		return REPLY_BDAT_MIX;
	if (!s->in_mail)
		return REPLY_NEED_MAIL;
	if (s->nrcpt == 0)
		return s->rcpt_tried > 0 ? REPLY_NO_VALID_RCPT :
		    REPLY_NEED_RCPT;
	return REPLY_OK;
}

/* --- actions ------------------------------------------------------------- */

static void
run_rset(struct session *s, const struct smtp_cmd *c)
{
	(void)c;
	session_reset(s);
	session_reply(s, REPLY_OK);
}

static void
run_noop(struct session *s, const struct smtp_cmd *c)
{
	(void)c;
	session_reply(s, REPLY_OK);
}

static void
run_quit(struct session *s, const struct smtp_cmd *c)
{
	(void)c;
	session_reply(s, REPLY_BYE);
	s->done = true;
	s->end_reason = "quit";
}

static void
run_vrfy(struct session *s, const struct smtp_cmd *c)
{
	if (c->arglen == 0) {
		session_refuse(s, c->name, REPLY_SYNTAX, "VRFY without argument");
		return;
	}
	session_reply(s, REPLY_VRFY);	/* never says who exists */
}

static void
run_help(struct session *s, const struct smtp_cmd *c)
{
	(void)c;
	session_reply(s, REPLY_HELP);
}

static void
run_not_implemented(struct session *s, const struct smtp_cmd *c)
{
	session_refuse(s, c->name, REPLY_NOT_IMPLEMENTED, "not implemented");
}

static void
run_http(struct session *s, const struct smtp_cmd *c)
{
	session_refuse(s, c->name, REPLY_NOT_SMTP, "HTTP or POP command");
}

static void
run_unknown(struct session *s, const struct smtp_cmd *c)
{
	session_refuse(s, c->name, REPLY_UNKNOWN_CMD, "unknown command");
}

static const struct {
	enum smtp_verb	 verb;
	session_check_fn check;
	session_run_fn	 run;
} session_commands[] = {
	{ SMTP_HELO, check_any, run_helo },
	{ SMTP_EHLO, check_any, run_helo },
	{ SMTP_MAIL, check_mail, run_mail },
	{ SMTP_RCPT, check_rcpt, run_rcpt },
	{ SMTP_DATA, check_data, run_data },
	{ SMTP_BDAT, check_any, run_bdat },	/* must always eat its chunk */
	{ SMTP_RSET, check_any, run_rset },
	{ SMTP_NOOP, check_any, run_noop },
	{ SMTP_QUIT, check_any, run_quit },
	{ SMTP_VRFY, check_any, run_vrfy },
	{ SMTP_EXPN, check_any, run_not_implemented },
	{ SMTP_HELP, check_any, run_help },
	{ SMTP_STARTTLS, check_any, run_starttls },
	{ SMTP_AUTH, check_any, run_auth },
	{ SMTP_HTTP, check_any, run_http },
	{ SMTP_UNKNOWN, check_any, run_unknown },
};

static void
session_dispatch(struct session *s, const char *line, size_t len)
{
	struct smtp_cmd c;
	enum smtpcmd_result r;
	enum reply_id id;

	r = smtpcmd_parse(line, len, &c);
	if (r == SMTPCMD_ESYNTAX) {
		session_refuse(s, "-", REPLY_UNKNOWN_CMD, "empty command");
		return;
	}
	if (r == SMTPCMD_ETOOLONG) {
		session_refuse(s, c.name, REPLY_LINE_TOO_LONG, "command too long");
		return;
	}
	for (size_t i = 0; i < sizeof(session_commands) /
	    sizeof(session_commands[0]); i++) {
		if (session_commands[i].verb != c.verb)
			continue;
		if ((id = session_commands[i].check(s)) != REPLY_OK) {
			session_refuse(s, c.name, id, "out of sequence");
			return;
		}
		session_commands[i].run(s, &c);
		return;
	}
	session_refuse(s, c.name, REPLY_UNKNOWN_CMD, "no handler");
}

enum session_read {
	READ_COMMAND,	/* a well-formed line is in session_line */
	READ_ANSWERED,	/* a bad line, already answered */
	READ_END,	/* the session is over */
};

/*
 * Read one command line.  Lines that are too long, end in a bare LF, hold
 * a bare CR or a NUL are answered here; a flood of one line ends it all.
 */
static enum session_read
session_read_command(struct session *s, size_t *len)
{
	enum io_result res;
	bool	 eol;
	size_t	 n, skipped;

	res = io_readline(&s->io, session_line, SESSION_LINE_MAX, &n, &eol);
	if (res == IO_OK && !eol) {
		/* Too long: drop the rest of it, up to a limit. */
		for (skipped = n; !eol && res == IO_OK &&
		    skipped < SESSION_SKIP_MAX; skipped += n)
			res = io_readline(&s->io, session_line,
			    SESSION_LINE_MAX, &n, &eol);
		if (res == IO_OK && !eol) {
			session_refuse(s, "-", REPLY_LINE_FLOOD, "line flood");
			return READ_END;
		}
		if (res == IO_OK) {
			session_refuse(s, "-", REPLY_LINE_TOO_LONG,
			    "line too long");
			return READ_ANSWERED;
		}
	}
	switch (res) {
	case IO_OK:
		break;
	case IO_EOF:
		s->end_reason = "lost connection";
		return READ_END;
	case IO_TIMEOUT:
		session_reply(s, s->io.cut ? REPLY_BUSY_TIMEOUT : REPLY_TIMEOUT);
		s->end_reason = s->io.cut ? "idle while busy" : "timeout";
		return READ_END;
	case IO_DEADLINE:
		session_reply(s, REPLY_SESSION_LIMIT);
		s->end_reason = "session limit";
		return READ_END;
	case IO_ERROR:
		s->end_reason = "read error";
		return READ_END;
	}
	if (!eol || n < 2 || session_line[n - 2] != '\r' ||
	    memchr(session_line, '\r', n - 2) != NULL) {
		session_refuse(s, "-", REPLY_BARE_LF, "bare CR or LF");
		return READ_ANSWERED;
	}
	n -= 2;
	if (memchr(session_line, '\0', n) != NULL) {
		session_refuse(s, "-", REPLY_NUL, "NUL in command");
		return READ_ANSWERED;
	}
	session_line[n] = '\0';
	*len = n;
	return READ_COMMAND;
}

bool
session_read_line(struct session *s, char *line, size_t max, size_t *len)
{
	size_t	 n = 0;

	switch (session_read_command(s, &n)) {
	case READ_COMMAND:
		break;
	case READ_ANSWERED:
		return false;	/* a bad line ends the exchange */
	case READ_END:
		s->done = true;
		return false;
	}
	if (n > max) {
		session_refuse(s, "-", REPLY_LINE_TOO_LONG, "response too long");
		return false;
	}
	memcpy(line, session_line, n);
	explicit_bzero(session_line, n);	/* it may be a password */
	*len = n;
	return true;
}

void
session_run(const struct conf *conf, enum session_mode mode, int rfd, int wfd,
    const char *client, unsigned port)
{
	/*
	 * One session per process: static, so the large I/O buffers cost
	 * nothing until they are used (no memset of untouched pages).
	 */
	static struct session s;
	static struct spool_tx tx;
	static struct msg_check check;
	char		 line[512];
	int64_t		 now = io_now_ms();

	s.conf = conf;
	s.mode = mode;
	s.tx = &tx;
	s.check = &check;
	s.start_ms = now;
	s.busy_fd = -1;
	s.busy_slot = -1;
	(void)snprintf(s.client, sizeof(s.client), "%s", client);
	s.port = port;
	log_connect(session_mode_name(mode), client, port);

	io_init(&s.io, rfd, wfd, conf ? (int)conf->command_timeout * 1000 :
	    30000, conf ? now + (int64_t)conf->session_timeout * 1000 : 0);
	if (conf == NULL || users_open(&s.users, conf) == -1) {
		if (conf != NULL)
			log_error("cannot read local domains", conf->dir, errno);
		/* On 465 the client expects a TLS handshake, not text. */
		if (mode != MODE_SUBMISSIONS)
			session_reply(&s, REPLY_NOT_AVAILABLE);
		(void)io_flush(&s.io);
		log_disconnect("configuration", 0, 0, 0);
		return;
	}
	/* The local mode serves only peers the kernel can name. */
	if (mode == MODE_LOCAL && !session_local_identify(&s, rfd)) {
		session_reply(&s, REPLY_NOT_AVAILABLE);
		(void)io_flush(&s.io);
		users_close(&s.users);
		log_disconnect("no peer credentials", 0, 0, 0);
		return;
	}
	/* Remote clients only: a flood of them makes the server busy. */
	if (mode != MODE_LOCAL) {
		s.busy_fd = busy_join(conf, session_mode_name(mode),
		    &s.busy_slot);
		if (s.busy_fd != -1) {
			s.io.idle_ms = (int)conf->busy_timeout * 1000;
			s.io.idle_cut = busy_now;
			s.io.idle_ctx = &s;
		}
	}
	if (mode == MODE_SUBMISSIONS && !session_tls_start(&s)) {
		users_close(&s.users);
		log_disconnect(s.end_reason ? s.end_reason : "tls failed", 0,
		    0, (unsigned long long)(io_now_ms() - s.start_ms));
		return;
	}
	(void)snprintf(line, sizeof(line), "220 %s ESMTP tambo",
	    conf->hostname);
	session_write(&s, line, strlen(line));

	while (!s.done) {
		enum session_read r;
		size_t	 len = 0;

		if (s.errors >= conf->max_errors) {
			session_refuse(&s, "-", REPLY_TOO_MANY_ERRORS,
			    "too many errors");
			break;
		}
		r = session_read_command(&s, &len);
		if (r == READ_END)
			break;
		if (r == READ_COMMAND)
			session_dispatch(&s, session_line, len);
	}
	(void)io_flush(&s.io);
	session_tls_end(&s);
	session_reset(&s);
	users_close(&s.users);
	if (s.spool_ok)
		spool_close(&s.spool);
	if (s.busy_fd != -1)
		(void)close(s.busy_fd);
	log_disconnect(s.end_reason ? s.end_reason : "closed", s.messages,
	    s.errors, (unsigned long long)(io_now_ms() - s.start_ms));
}
