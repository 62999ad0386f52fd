/*
 * auth.c — SMTP AUTH (RFC 4954) with PLAIN (RFC 4616) and LOGIN, on
 * submission ports and only under TLS.
 *
 * Passwords are checked against the users files (yescrypt, passwd.c); an
 * unknown user costs the same work as a known one.  Failures are counted
 * per client address across processes (throttle.c): the client waits
 * longer after each, then is refused for a while.  Each attempt is logged
 * with the client address on the line, for fail2ban.  Passwords are wiped
 * as soon as they are checked and never logged.
 *
 * The check itself is first asked of the password checker on auth_socket
 * (tambo-authd(8), authc.h), which remembers recent successful logins so
 * that a client connecting again does not pay the whole yescrypt cost;
 * when it does not answer in time, or cannot tell, the handler checks the
 * password itself.  Throttling and logging stay here either way.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "authc.h"
#include "b64.h"
#include "log.h"
#include "passwd.h"
#include "session.h"
#include "throttle.h"
#include "poison.h"

#define AUTH_SESSION_FAILURES	3	/* then the connection is closed */
#define AUTH_RESPONSE_MAX	(SMTP_AUTH_LINE_MAX + 2)

struct auth_creds {
	char	 user[ADDR_PATH_MAX + 1];
	char	 pass[PASSWD_MAX + 1];
};

static void
auth_wipe(struct auth_creds *cr)
{
	explicit_bzero(cr, sizeof(*cr));
}

/*
 * Get one base64 response: the initial response when given, else a 334
 * challenge and the client's line.  Returns REPLY_OK with the decoded
 * bytes, or the refusal; *ended is set when the session must end.
 */
static enum reply_id
auth_response(struct session *s, const char *initial, const char *challenge,
    unsigned char *out, size_t outsz, size_t *len, bool *ended)
{
	char	 line[AUTH_RESPONSE_MAX + 1];
	const char *text;
	size_t	 n;

	*ended = false;
	if (initial != NULL) {
		text = initial;
		n = strlen(initial);
	} else {
		char	 c[64];

		(void)snprintf(c, sizeof(c), "334 %s", challenge);
		session_write(s, c, strlen(c));
		if (!session_read_line(s, line, sizeof(line) - 1, &n)) {
			*ended = true;
			return REPLY_AUTH_CANCELLED;
		}
		line[n] = '\0';
		text = line;
		if (n == 1 && line[0] == '*')
			return REPLY_AUTH_CANCELLED;
	}
	/* "=" is an empty initial response (RFC 4954 4) */
	if (n == 1 && text[0] == '=') {
		*len = 0;
		return REPLY_OK;
	}
	if (B64_DECODED_MAX(n) > outsz ||
	    !b64_decode(text, n, out, outsz, len)) {
		explicit_bzero(line, sizeof(line));
		return REPLY_AUTH_BASE64;
	}
	explicit_bzero(line, sizeof(line));
	return REPLY_OK;
}

/* PLAIN: [authzid] NUL authcid NUL passwd (RFC 4616 2). */
static enum reply_id
auth_plain(struct session *s, const char *initial, struct auth_creds *cr,
    bool *ended)
{
	unsigned char buf[B64_DECODED_MAX(AUTH_RESPONSE_MAX)];
	const unsigned char *authz, *authc, *pw, *end;
	enum reply_id id;
	size_t	 len;

	id = auth_response(s, initial, "", buf, sizeof(buf), &len, ended);
	if (id != REPLY_OK)
		return id;
	end = buf + len;
	authz = buf;
	authc = memchr(authz, '\0', len);
	pw = authc ? memchr(authc + 1, '\0', (size_t)(end - authc - 1)) : NULL;
	if (authc == NULL || pw == NULL ||
	    memchr(pw + 1, '\0', (size_t)(end - pw - 1)) != NULL) {
		explicit_bzero(buf, sizeof(buf));
		return REPLY_AUTH_BASE64;
	}
	authc++;
	pw++;
	if ((size_t)(pw - 1 - authc) >= sizeof(cr->user) ||
	    (size_t)(end - pw) >= sizeof(cr->pass)) {
		explicit_bzero(buf, sizeof(buf));
		return REPLY_AUTH_FAILED;
	}
	memcpy(cr->user, authc, (size_t)(pw - 1 - authc));
	cr->user[pw - 1 - authc] = '\0';
	memcpy(cr->pass, pw, (size_t)(end - pw));
	cr->pass[end - pw] = '\0';
	/* Acting for someone else is not offered. */
	if (authc - 1 != authz && ((size_t)(authc - 1 - authz) !=
	    strlen(cr->user) || strncasecmp((const char *)authz, cr->user,
	    strlen(cr->user)) != 0)) {
		explicit_bzero(buf, sizeof(buf));
		return REPLY_AUTH_FAILED;
	}
	explicit_bzero(buf, sizeof(buf));
	return REPLY_OK;
}

/* LOGIN: "Username:" then "Password:", each base64. */
static enum reply_id
auth_login(struct session *s, const char *initial, struct auth_creds *cr,
    bool *ended)
{
	unsigned char buf[B64_DECODED_MAX(AUTH_RESPONSE_MAX)];
	enum reply_id id;
	size_t	 len;

	id = auth_response(s, initial, "VXNlcm5hbWU6", buf, sizeof(buf), &len,
	    ended);
	if (id != REPLY_OK)
		return id;
	if (len >= sizeof(cr->user) || memchr(buf, '\0', len) != NULL)
		return REPLY_AUTH_FAILED;
	memcpy(cr->user, buf, len);
	cr->user[len] = '\0';
	id = auth_response(s, NULL, "UGFzc3dvcmQ6", buf, sizeof(buf), &len,
	    ended);
	if (id != REPLY_OK) {
		explicit_bzero(buf, sizeof(buf));
		return id;
	}
	if (len >= sizeof(cr->pass) || memchr(buf, '\0', len) != NULL) {
		explicit_bzero(buf, sizeof(buf));
		return REPLY_AUTH_FAILED;
	}
	memcpy(cr->pass, buf, len);
	cr->pass[len] = '\0';
	explicit_bzero(buf, sizeof(buf));
	return REPLY_OK;
}

/*
 * Ask authd: 1 right, 0 wrong, -1 no answer (the caller checks).  That
 * authd is not there is logged once per process.
 */
static int
auth_ask(const struct session *s, const struct auth_creds *cr)
{
	static bool logged;
	struct logline l;
	const char *why;

	if (s->conf->auth_socket[0] == '\0' || cr->user[0] == '\0')
		return -1;
	switch (authc_check(s->conf->auth_socket, cr->user, cr->pass,
	    s->client, AUTHC_TIMEOUT_MS)) {
	case AUTHC_OK:
		return 1;
	case AUTHC_FAIL:
		return 0;
	case AUTHC_TEMP:
		why = "authd could not check";
		break;
	case AUTHC_UNAVAILABLE:
	default:
		why = strerror(errno);
		break;
	}
	if (!logged) {
		log_start(&l, LOG_INFO, "authd-unavailable");
		log_str(&l, "socket", s->conf->auth_socket);
		log_str(&l, "error", why);
		log_str(&l, "check", "in-process");
		log_emit(&l);
		logged = true;
	}
	return -1;
}

/* Check the password; 1 ok, 0 wrong, -1 our trouble. */
static int
auth_check(struct session *s, const struct auth_creds *cr)
{
	char	 hash[PASSWD_HASH_MAX];
	int	 found, r;

	if ((r = auth_ask(s, cr)) >= 0)
		return r;
	found = users_password_hash(&s->users, cr->user, hash, sizeof(hash));
	if (found < 0)
		return -1;
	r = passwd_verify(cr->pass, found ? hash : NULL);
	explicit_bzero(hash, sizeof(hash));
	return r < 0 ? -1 : r == 1 && found == 1;
}

static void
auth_sleep(unsigned seconds)
{
	struct timespec ts = { .tv_sec = seconds, .tv_nsec = 0 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

void
run_auth(struct session *s, const struct smtp_cmd *c)
{
	struct throttle_state th;
	struct auth_creds cr;
	char	 mech[32], *initial = NULL, arg[AUTH_RESPONSE_MAX + 1];
	enum reply_id id;
	bool	 ended = false;
	size_t	 ml;
	int	 ok;
	int64_t	 now = (int64_t)time(NULL);

	if (s->mode == MODE_MX || s->mode == MODE_LOCAL) {
		session_refuse(s, c->name, REPLY_NOT_IMPLEMENTED,
		    "AUTH on a port without AUTH");
		return;
	}
	if (!s->tls) {
		session_refuse(s, c->name, REPLY_AUTH_NEEDS_TLS,
		    "AUTH before STARTTLS");
		return;
	}
	if (!s->greeted) {
		session_refuse(s, c->name, REPLY_NEED_HELO, "AUTH before EHLO");
		return;
	}
	if (s->authed) {
		session_refuse(s, c->name, REPLY_AUTH_ALREADY, "AUTH twice");
		return;
	}
	if (s->in_mail) {
		session_refuse(s, c->name, REPLY_AUTH_IN_MAIL, "AUTH in MAIL");
		return;
	}
	if (c->arglen == 0 || c->arglen >= sizeof(arg)) {
		session_refuse(s, c->name, REPLY_SYNTAX, "AUTH arguments");
		return;
	}
	memcpy(arg, c->arg, c->arglen);
	arg[c->arglen] = '\0';
	ml = strcspn(arg, " ");
	if (ml >= sizeof(mech)) {
		session_refuse(s, c->name, REPLY_AUTH_MECH, "AUTH mechanism");
		return;
	}
	memcpy(mech, arg, ml);
	mech[ml] = '\0';
	if (arg[ml] == ' ')
		initial = arg + ml + 1;

	if (throttle_load(s->conf->state, s->client, &th) == -1)
		log_error("cannot read the auth throttle", s->conf->state,
		    errno);
	if (!throttle_allowed(&th, now, s->conf->auth_max_failures)) {
		log_auth(s->client, mech, "-", "throttled");
		session_reply(s, REPLY_AUTH_THROTTLED);
		explicit_bzero(arg, sizeof(arg));
		/* no free retries while refused: it ends the session too */
		if (++s->auth_failures >= AUTH_SESSION_FAILURES)
			session_reply(s, REPLY_TOO_MANY_ERRORS);
		return;
	}

	memset(&cr, 0, sizeof(cr));
	if (strcasecmp(mech, "PLAIN") == 0)
		id = auth_plain(s, initial, &cr, &ended);
	else if (strcasecmp(mech, "LOGIN") == 0)
		id = auth_login(s, initial, &cr, &ended);
	else
		id = REPLY_AUTH_MECH;
	explicit_bzero(arg, sizeof(arg));
	if (ended) {		/* answered already, or the session is over */
		auth_wipe(&cr);
		return;
	}
	if (id != REPLY_OK && id != REPLY_AUTH_FAILED) {
		auth_wipe(&cr);
		session_refuse(s, c->name, id, "AUTH exchange");
		return;
	}
	ok = id == REPLY_OK ? auth_check(s, &cr) : 0;
	if (ok < 0) {
		log_error("cannot read users", cr.user, errno);
		log_auth(s->client, mech, cr.user, "tempfail");
		auth_wipe(&cr);
		session_reply(s, REPLY_AUTH_TEMP);
		return;
	}
	if (ok == 1) {
		s->authed = true;
		memcpy(s->auth_user, cr.user, sizeof(s->auth_user));
		log_auth(s->client, mech, cr.user, "ok");
		auth_wipe(&cr);
		th.failures = 0;
		if (throttle_store(s->conf->state, s->client, &th) == -1)
			log_error("cannot clear the auth throttle",
			    s->conf->state, errno);
		session_reply(s, REPLY_AUTH_OK);
		return;
	}
	log_auth(s->client, mech, cr.user[0] ? cr.user : "-", "fail");
	auth_wipe(&cr);
	throttle_fail(&th, now);
	if (throttle_store(s->conf->state, s->client, &th) == -1)
		log_error("cannot record the auth throttle", s->conf->state,
		    errno);
	auth_sleep(throttle_delay(&th, now, s->conf->auth_max_delay));
	session_reply(s, REPLY_AUTH_FAILED);
	if (++s->auth_failures >= AUTH_SESSION_FAILURES)
		session_reply(s, REPLY_TOO_MANY_ERRORS);
}
