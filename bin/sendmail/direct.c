/*
 * direct.c — the fallback when no server listens on the local socket:
 * the message goes straight into the spool (spool.h, tambo-spool(5)),
 * as enqueue(8) puts it there.  Only a caller that may write the spool
 * gets here (root, the tambo user, or whoever owns a test instance).
 *
 * What the server would check is checked here too: recipient syntax, no
 * relay tricks, unknown users of the local domains (EX_NOUSER for those,
 * the others still get the message), and the content checks of msg.h
 * (size, NUL, long lines, bare CR, mail loops).  The host name is the
 * configuration's.  The spool promise holds: success only after
 * spool_commit.  When root writes a spool it does not own, the file is
 * given to the spool's owner, so that the delivery runner can read it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "sendmail.h"
#include "spool.h"
#include "users.h"
#include "poison.h"

/* Keep the recipients a server would accept; count the others. */
static int
sm_direct_rcpts(const struct conf *conf, const struct sm_opts *o,
    const struct sm_env *e, struct spool_envelope *env, size_t *refused)
{
	struct users u;
	struct addr a;
	size_t	 i;
	int	 rc = EX_OK;

	if (users_open(&u, conf) == -1) {
		sm_err("%s: cannot read the local domains: %s", conf->dir,
		    strerror(errno));
		return EX_TEMPFAIL;
	}
	if ((env->rcpt = calloc(e->nrcpt, sizeof(*env->rcpt))) == NULL) {
		users_close(&u);
		sm_err("out of memory");
		return EX_TEMPFAIL;
	}
	for (i = 0; i < e->nrcpt && rc == EX_OK; i++) {
		const char *why = NULL;

		if (addr_parse_mailbox(e->rcpt[i], strlen(e->rcpt[i]),
		    ADDR_OPT_UTF8, &a) != ADDR_OK ||
		    (a.flags & ADDR_RELAY_TRICKS))
			why = "source routes, %-hack, bang paths and literals "
			    "are not relayed";
		else {
			switch (users_lookup(&u, &a)) {
			case USERS_UNKNOWN:
				why = "no such user here";
				break;
			case USERS_TEMP:
				sm_err("<%s>: cannot read users or aliases: %s",
				    e->rcpt[i], strerror(errno));
				rc = EX_TEMPFAIL;
				continue;
			default:
				break;
			}
		}
		if (why != NULL) {
			sm_err("<%s>: %s", e->rcpt[i], why);
			(*refused)++;
			continue;
		}
		memcpy(env->rcpt[env->nrcpt].addr, e->rcpt[i],
		    sizeof(env->rcpt[0].addr));
		env->rcpt[env->nrcpt].notify = o->notify;
		env->rcpt[env->nrcpt].state = SPOOL_RCPT_QUEUED;
		env->nrcpt++;
	}
	users_close(&u);
	return rc;
}

/* Feed a piece to the checker and the spool file. */
static void
sm_direct_write(struct spool_tx *tx, struct msg_check *check,
    const char *p, size_t n)
{
	if (n > 0 && msg_check_feed(check, p, n) == 0)
		spool_write(tx, p, n);
}

int
sm_direct(const struct conf *conf, const struct sm_opts *o,
    const struct sm_user *u, const struct sm_list *args, struct sm_msg *m)
{
	static struct spool_tx tx;
	struct spool_envelope env;
	struct spool sp;
	struct sm_env e;
	struct msg_check check;
	struct msg_trace tr;
	struct buf added, hdr;
	size_t	 refused = 0;
	unsigned flags;
	int	 rc;

	memset(&env, 0, sizeof(env));
	buf_init(&added, 64 * 1024);
	buf_init(&hdr, 4096);
	sp.dirfd = -1;
	if ((rc = sm_envelope(o, u, args, &m->hdr_rcpt, conf->hostname,
	    &e)) != EX_OK)
		goto out;
	if ((rc = sm_direct_rcpts(conf, o, &e, &env, &refused)) != EX_OK)
		goto out;
	if (env.nrcpt == 0) {
		rc = EX_NOUSER;
		goto out;
	}
	if ((rc = sm_added(m, o, u, &e, conf->hostname, &added)) != EX_OK)
		goto out;
	if (spool_open(&sp, conf->spool) == -1) {
		sm_err("%s: %s", conf->spool, strerror(errno));
		rc = EX_TEMPFAIL;
		goto out;
	}
	env.arrival = (int64_t)time(NULL);
	(void)snprintf(env.client, sizeof(env.client), "local");
	(void)snprintf(env.protocol, sizeof(env.protocol), "local");
	(void)snprintf(env.auth, sizeof(env.auth), "%s", u->login);
	memcpy(env.from, e.from, sizeof(env.from));
	env.body = o->body != SMTP_BODY_NONE ? o->body : m->eightbit ?
	    SMTP_BODY_8BITMIME : SMTP_BODY_NONE;
	env.ret = o->ret;
	env.smtputf8 = e.utf8;
	memcpy(env.envid, o->envid, sizeof(env.envid));
	if (spool_begin(&sp, &env, &tx) == -1) {
		sm_err("%s: %s", conf->spool, strerror(errno));
		rc = EX_TEMPFAIL;
		goto out;
	}
	memset(&tr, 0, sizeof(tr));
	tr.hostname = conf->hostname;
	tr.protocol = "local";
	tr.id = env.id;
	tr.rcpt = env.nrcpt == 1 ? env.rcpt[0].addr : NULL;
	tr.when = env.arrival;
	if (msg_received(&tr, &hdr) == -1) {
		spool_abort(&tx);
		sm_err("out of memory");
		rc = EX_TEMPFAIL;
		goto out;
	}
	spool_write(&tx, hdr.data, hdr.len);
	tx.size = 0;
	msg_check_init(&check, conf->max_message_size, conf->max_received);
	sm_direct_write(&tx, &check, m->head.data, m->head.len);
	sm_direct_write(&tx, &check, added.data, added.len);
	sm_direct_write(&tx, &check, "\r\n", 2);
	if (m->all.len > m->body)
		sm_direct_write(&tx, &check, m->all.data + m->body,
		    m->all.len - m->body);
	if ((flags = msg_check_end(&check)) != 0) {
		spool_abort(&tx);
		sm_err("message refused: %s", msg_check_reason(flags));
		rc = EX_DATAERR;
		goto out;
	}
	if (spool_commit(&tx) == -1) {
		sm_err("%s: %s", conf->spool, strerror(errno));
		rc = EX_TEMPFAIL;
		goto out;
	}
	if (o->verbose)
		(void)fprintf(stderr, "sendmail: queued as %s (written to %s "
		    "directly)\n", env.id, conf->spool);
	rc = refused > 0 ? EX_NOUSER : EX_OK;
out:
	if (sp.dirfd != -1)
		spool_close(&sp);
	free(env.rcpt);
	sm_env_free(&e);
	buf_free(&added);
	buf_free(&hdr);
	return rc;
}
