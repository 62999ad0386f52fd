/*
 * envelope.c — the commands that build the envelope: EHLO/HELO (with the
 * extensions offered), MAIL and RCPT (RFC 5321 4.1.1.1-4.1.1.3), and the
 * policy behind them: who may relay (authenticated and local users only),
 * which recipients are ours (users.c), which senders a user owns (users.c;
 * local.c for the local mode).  On port 25, bounces to SRS addresses are
 * accepted only when they verify (srs.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "session.h"
#include "srs.h"
#include "poison.h"

void
run_helo(struct session *s, const struct smtp_cmd *c)
{
	bool	 ehlo = c->verb == SMTP_EHLO;
	char	 line[512];

	/* Trailing spaces are common; anything after the name is not. */
	size_t	 n = c->arglen;

	while (n > 0 && c->arg[n - 1] == ' ')
		n--;
	if (n == 0 || memchr(c->arg, ' ', n) != NULL ||
	    !addr_helo_valid(c->arg, n, true)) {
		session_refuse(s, c->name, REPLY_HELO_SYNTAX, "bad helo name");
		return;
	}
	session_reset(s);
	memcpy(s->helo, c->arg, n);
	s->helo[n] = '\0';
	s->greeted = true;
	s->esmtp = ehlo;
	log_helo(c->name, s->helo);
	if (!ehlo) {
		(void)snprintf(line, sizeof(line), "250 %s", s->conf->hostname);
		session_write(s, line, strlen(line));
		return;
	}
	(void)snprintf(line, sizeof(line), "250-%s", s->conf->hostname);
	session_write(s, line, strlen(line));
	session_write(s, "250-PIPELINING", 14);
	(void)snprintf(line, sizeof(line), "250-SIZE %llu",
	    (unsigned long long)s->conf->max_message_size);
	session_write(s, line, strlen(line));
	session_write(s, "250-8BITMIME", 12);
	session_write(s, "250-SMTPUTF8", 12);
	session_write(s, "250-ENHANCEDSTATUSCODES", 23);
	session_write(s, "250-CHUNKING", 12);
	if (!s->tls && s->mode != MODE_SUBMISSIONS && s->mode != MODE_LOCAL &&
	    session_tls_offered(s))
		session_write(s, "250-STARTTLS", 12);
	if (session_auth_offered(s))
		session_write(s, "250-AUTH PLAIN LOGIN", 20);
	session_write(s, "250 DSN", 7);
}

static enum reply_id
session_addr_reply(enum addr_result r, bool sender)
{
	if (r == ADDR_EUTF8)
		return REPLY_NEED_SMTPUTF8;
	return sender ? REPLY_SENDER_SYNTAX : REPLY_RCPT_SYNTAX;
}

static enum reply_id
session_param_reply(enum smtpcmd_result r)
{
	switch (r) {
	case SMTPCMD_ETOOLONG:
		return REPLY_LINE_TOO_LONG;
	case SMTPCMD_EPARAM_UNKNOWN:
		return REPLY_PARAM_UNKNOWN;
	case SMTPCMD_EPARAM_SIZE:
		return REPLY_SIZE_EXCEEDED;
	case SMTPCMD_EPARAM:
		return REPLY_PARAM_SYNTAX;
	default:
		return REPLY_SYNTAX;
	}
}

void
run_mail(struct session *s, const struct smtp_cmd *c)
{
	enum smtpcmd_result r;
	enum reply_id id;
	char	 code[32];

	r = smtpcmd_mail(c->arg, c->arglen, session_extensions(s),
	    s->conf->max_message_size, &s->mail);
	if (r != SMTPCMD_OK) {
		id = r == SMTPCMD_EADDR ?
		    session_addr_reply(s->mail.addr_error, true) :
		    session_param_reply(r);
		log_mail(s->mail.from.mailbox[0] ? s->mail.from.mailbox :
		    "?", session_code(id, code, sizeof(code)));
		session_reply(s, id);
		memset(&s->mail, 0, sizeof(s->mail));
		return;
	}
	if (s->mode == MODE_LOCAL &&
	    (id = session_local_sender(s, &s->mail.from)) != REPLY_OK) {
		char	 who[SESSION_LOGIN_MAX + 32];

		log_mail(s->mail.from.mailbox[0] ? s->mail.from.mailbox : "<>",
		    session_code(id, code, sizeof(code)));
		(void)snprintf(who, sizeof(who), "(local user %s)",
		    s->peer_user[0] ? s->peer_user : "unknown");
		session_reply_extra(s, id, who);
		memset(&s->mail, 0, sizeof(s->mail));
		return;
	}
	if (s->authed) {
		int	 may = users_may_send(&s->users, s->auth_user,
		    s->mail.from.mailbox);

		if (may != 1) {
			id = may < 0 ? REPLY_LOCAL_ERROR :
			    REPLY_SENDER_NOT_OWNED;
			log_mail(s->mail.from.mailbox, session_code(id, code,
			    sizeof(code)));
			session_reply(s, id);
			memset(&s->mail, 0, sizeof(s->mail));
			return;
		}
	}
	if ((id = session_spf(s)) != REPLY_OK) {
		log_mail(s->mail.from.mailbox[0] ? s->mail.from.mailbox : "<>",
		    session_code(id, code, sizeof(code)));
		session_reply(s, id);
		memset(&s->mail, 0, sizeof(s->mail));
		s->spf_hdr[0] = '\0';
		return;
	}
	s->in_mail = true;
	log_mail(s->mail.from.mailbox, session_code(REPLY_MAIL_OK, code,
	    sizeof(code)));
	session_reply(s, REPLY_MAIL_OK);
}

/*
 * The SRS key (srs.h), loaded at the session's first SRS recipient: a
 * process serves one connection, so this is once per session.  1 loaded,
 * -1 it could not be, 0 not yet.
 */
static struct srs session_srs;
static int	 session_srs_state;

/*
 * On port 25, a recipient in one of our domains whose local part is SRS
 * is a bounce to an address we made when forwarding (srs.h).  It is
 * accepted if it verifies, whatever the users and aliases say, and
 * refused otherwise, so that a catch-all does not take in forged bounces.
 * *why gets the verdict for the log.  REPLY_COUNT for other recipients.
 * "%" and "!" may be part of the original sender it encodes.
 */
static enum reply_id
session_rcpt_srs(struct session *s, const struct addr *a, const char **why)
{
	enum srs_result r;
	char	 orig[ADDR_PATH_MAX + 1];

	if (s->mode != MODE_MX || (a->flags & ADDR_NODOMAIN) ||
	    (a->flags & ADDR_RELAY_TRICKS & ~(ADDR_PERCENT | ADDR_BANG)) ||
	    !srs_is_srs(a->local) || users_domain(&s->users, a->domain) == NULL)
		return REPLY_COUNT;
	if (session_srs_state == 0) {
		session_srs_state = 1;
		if (srs_load(&session_srs, s->conf->state) == -1) {
			log_error("cannot load the SRS key", s->conf->state,
			    errno);
			session_srs_state = -1;
		}
	}
	if (session_srs_state == -1) {
		*why = "no key";
		return REPLY_LOCAL_ERROR;
	}
	r = srs_verify(&session_srs, a->local, (int64_t)time(NULL), orig,
	    sizeof(orig));
	*why = srs_strerror(r);
	return r == SRS_OK ? REPLY_RCPT_OK : REPLY_NO_SUCH_USER;
}

/* log_rcpt, with the SRS verdict when there is one. */
static void
session_log_rcpt(const char *to, const char *reply, const char *srs)
{
	struct logline l;

	if (srs == NULL) {
		log_rcpt(to, reply);
		return;
	}
	log_start(&l, reply[0] == '2' ? LOG_INFO : LOG_NOTICE, "rcpt");
	log_str(&l, "to", to);
	log_str(&l, "reply", reply);
	log_str(&l, "srs", srs);
	log_emit(&l);
}

/*
 * Is this recipient acceptable here?  REPLY_RCPT_OK or the refusal; *srs
 * is set for an SRS recipient (session_rcpt_srs).
 */
static enum reply_id
session_rcpt_policy(struct session *s, const struct addr *a,
    const char **srs)
{
	enum reply_id id;

	if ((id = session_rcpt_srs(s, a, srs)) != REPLY_COUNT)
		return id;
	if (a->flags & ADDR_RELAY_TRICKS)
		return REPLY_ROUTING_DENIED;
	switch (users_lookup(&s->users, a)) {
	case USERS_NOT_LOCAL:
		/* an authenticated or local user may send anywhere */
		return s->authed || s->mode == MODE_LOCAL ? REPLY_RCPT_OK :
		    REPLY_RELAY_DENIED;
	case USERS_UNKNOWN:
		return REPLY_NO_SUCH_USER;
	case USERS_TEMP:
		log_error("cannot read users or aliases", a->domain, errno);
		return REPLY_LOCAL_ERROR;
	case USERS_USER:
	case USERS_ALIAS:
	case USERS_CATCHALL:
	case USERS_POSTMASTER:
		break;
	}
	return REPLY_RCPT_OK;
}

/*
 * What makes two recipients the same mailbox: the local part as users.c
 * matches it (case, drop characters, suffix) and the normalised domain.
 */
static void
session_rcpt_key(const struct session *s, const char *mailbox, char *key,
    size_t keysz)
{
	struct addr a;
	char	 local[ADDR_LOCAL_MAX + 1], dom[ADDR_DOMAIN_MAX + 1];

	if (addr_parse_mailbox(mailbox, strlen(mailbox), ADDR_OPT_UTF8,
	    &a) != ADDR_OK || !addr_domain_normalize(a.domain, dom,
	    sizeof(dom))) {
		(void)snprintf(key, keysz, "%s", mailbox);
		return;
	}
	/*
	 * Our own matching rules apply to our domains only: elsewhere
	 * bob+lists@ and bob@ may well be different mailboxes.
	 */
	if (users_domain(&s->users, a.domain) == NULL)
		(void)snprintf(local, sizeof(local), "%s", a.local);
	else if (srs_is_srs(a.local)) {
		/* each SRS address is its own sender: case only */
		size_t	 i;

		for (i = 0; a.local[i] != '\0'; i++)
			local[i] = a.local[i] >= 'A' && a.local[i] <= 'Z' ?
			    (char)(a.local[i] + 32) : a.local[i];
		local[i] = '\0';
	} else
		users_canonical_local(s->conf, a.local, local, sizeof(local));
	if ((size_t)snprintf(key, keysz, "%s@%s", local, dom) >= keysz)
		(void)snprintf(key, keysz, "%s", mailbox);
}

void
run_rcpt(struct session *s, const struct smtp_cmd *c)
{
	struct smtp_rcpt r;
	struct spool_rcpt *nr;
	enum smtpcmd_result pr;
	enum reply_id id;
	char	 code[32], mailbox[ADDR_PATH_MAX + 1];
	char	 key[ADDR_PATH_MAX + 1], other[ADDR_PATH_MAX + 1];
	const char *srs = NULL;
	size_t	 i;

	s->rcpt_tried++;
	pr = smtpcmd_rcpt(c->arg, c->arglen, session_extensions(s),
	    s->mail.smtputf8, &r);
	if (pr != SMTPCMD_OK) {
		id = pr == SMTPCMD_EADDR ?
		    session_addr_reply(r.addr_error, false) :
		    session_param_reply(pr);
		log_rcpt(r.to.mailbox[0] ? r.to.mailbox : "?",
		    session_code(id, code, sizeof(code)));
		session_reply(s, id);
		return;
	}
	if (r.to.flags & ADDR_NODOMAIN) {
		/* <postmaster>: of our main domain (RFC 5321 4.5.1) */
		const struct users_domain *d = users_postmaster_domain(&s->users);

		if (d == NULL || strlen(d->name) + 12 > sizeof(mailbox)) {
			id = REPLY_RELAY_DENIED;
			log_rcpt(r.to.local, session_code(id, code,
			    sizeof(code)));
			session_reply(s, id);
			return;
		}
		/* the A-label form: the client may not speak SMTPUTF8 */
		memcpy(mailbox, "postmaster@", 11);
		memcpy(mailbox + 11, d->name, strlen(d->name) + 1);
	} else
		memcpy(mailbox, r.to.mailbox, sizeof(mailbox));

	id = session_rcpt_policy(s, &r.to, &srs);
	if (id != REPLY_RCPT_OK) {
		session_log_rcpt(mailbox, session_code(id, code, sizeof(code)),
		    srs);
		session_reply(s, id);
		return;
	}
	/* A duplicate (ALICE@, alice+tag@) is accepted and kept once. */
	session_rcpt_key(s, mailbox, key, sizeof(key));
	for (i = 0; i < s->nrcpt; i++) {
		session_rcpt_key(s, s->rcpt[i].addr, other, sizeof(other));
		if (strcmp(key, other) == 0)
			break;
	}
	if (i == s->nrcpt && s->nrcpt >= s->conf->max_recipients) {
		log_rcpt(mailbox, session_code(REPLY_TOO_MANY_RCPTS, code,
		    sizeof(code)));
		session_reply(s, REPLY_TOO_MANY_RCPTS);
		return;
	}
	if (i == s->nrcpt) {
		nr = reallocarray(s->rcpt, s->nrcpt + 1, sizeof(*nr));
		if (nr == NULL) {
			session_reply(s, REPLY_LOCAL_ERROR);
			return;
		}
		s->rcpt = nr;
		nr = &s->rcpt[s->nrcpt++];
		memset(nr, 0, sizeof(*nr));
		memcpy(nr->addr, mailbox, sizeof(nr->addr));
		nr->notify = r.notify;
		memcpy(nr->orcpt, r.orcpt, sizeof(nr->orcpt));
		nr->state = SPOOL_RCPT_QUEUED;
	}
	session_log_rcpt(mailbox, session_code(REPLY_RCPT_OK, code,
	    sizeof(code)), srs);
	session_reply(s, REPLY_RCPT_OK);
}

