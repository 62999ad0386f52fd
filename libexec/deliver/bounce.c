/*
 * bounce.c — queue a delivery status notification (RFC 3464) to a
 * message's envelope sender: the report is built by dsn.c and committed
 * to the spool like any message, from <> (so a report that cannot be
 * delivered is never reported in turn), before the original's state says
 * the DSN is done.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deliver.h"
#include "dsn.h"
#include "log.h"
#include "poison.h"

/* The original is returned whole up to this size, else its header. */
#define BOUNCE_RETURN_MAX	(256 * 1024)
#define BOUNCE_MAX		(BOUNCE_RETURN_MAX + 1024 * 1024)

int
bounce_send(struct runner *r, struct dmsg *m, size_t *idx, size_t n,
    int kind)
{
	struct dsn_rcpt *dr;
	struct dsn_params p;
	struct spool_envelope env;
	struct spool_rcpt rc;
	struct spool_tx tx;
	struct buf b;
	char	*msg = NULL;
	size_t	 len = 0, i;
	int	 rv = -1;

	if ((dr = calloc(n, sizeof(*dr))) == NULL)
		return -1;
	/* The header and a little more: dsn.c returns the header only
	 * when the message is larger than max_returned. */
	if (deliver_read_message(m, BOUNCE_RETURN_MAX + 1, &msg, &len) == -1) {
		free(dr);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct qstate_target *t = &m->qs.t[idx[i]];
		const struct spool_rcpt *o = t->orig < m->env.nrcpt ?
		    &m->env.rcpt[t->orig] : NULL;
		char	*d;

		dr[i].final = t->kind == QK_SMTP ? t->addr :
		    (o ? o->addr : t->addr);
		dr[i].orcpt = o && o->orcpt[0] ? o->orcpt : NULL;
		dr[i].action = kind == BOUNCE_FAILED ? DSN_FAILED :
		    kind == BOUNCE_DELAYED ? DSN_DELAYED :
		    t->kind == QK_SMTP ? DSN_RELAYED : DSN_DELIVERED;
		dr[i].status = t->enh[0] ? t->enh : kind == BOUNCE_FAILED ?
		    "5.0.0" : kind == BOUNCE_DELAYED ? "4.0.0" : "2.0.0";
		dr[i].remote_mta = t->kind == QK_SMTP && t->host[0] ?
		    t->host : NULL;
		d = NULL;
		if (t->code != 0 || t->text[0] != '\0') {
			size_t	 dl = strlen(t->text) + 32;

			const char *enh = t->enh[0] ? t->enh : dr[i].status;
			size_t	 el = strlen(enh);
			bool	 has = strncmp(t->text, enh, el) == 0 &&
			    (t->text[el] == ' ' || t->text[el] == '\0');

			/* The remote's text usually starts with its
			 * enhanced code already. */
			if ((d = malloc(dl)) != NULL)
				(void)snprintf(d, dl, "%u %s%s%s",
				    t->code ? t->code : (kind ==
				    BOUNCE_FAILED ? 550u : 451u),
				    has ? "" : enh, has ? "" : " ",
				    t->text);
		}
		dr[i].diagnostic = d;
		dr[i].last_attempt = t->time;
		dr[i].will_retry_until = kind == BOUNCE_DELAYED ?
		    m->env.arrival + (int64_t)r->conf.queue_lifetime : 0;
	}
	memset(&p, 0, sizeof(p));
	p.hostname = r->conf.hostname;
	p.now = r->now;
	p.env = &m->env;
	p.rcpt = dr;
	p.nrcpt = n;
	p.msg = msg;
	p.msglen = len;
	p.max_returned = BOUNCE_RETURN_MAX;
	buf_init(&b, BOUNCE_MAX);
	if (dsn_build(&p, &b) == -1) {
		log_error("cannot build the DSN", m->id, EFBIG);
		goto out;
	}

	memset(&env, 0, sizeof(env));
	memset(&rc, 0, sizeof(rc));
	env.arrival = r->now;
	(void)snprintf(env.client, sizeof(env.client), "local");
	(void)snprintf(env.helo, sizeof(env.helo), "%s", r->conf.hostname);
	(void)snprintf(env.protocol, sizeof(env.protocol), "local");
	env.from[0] = '\0';
	env.body = SMTP_BODY_8BITMIME;
	env.smtputf8 = m->env.smtputf8;
	(void)snprintf(rc.addr, sizeof(rc.addr), "%s", m->env.from);
	rc.notify = SMTP_NOTIFY_NEVER;
	env.rcpt = &rc;
	env.nrcpt = 1;
	if (spool_begin(&r->sp, &env, &tx) == -1) {
		log_error("cannot queue the DSN", m->id, errno);
		goto out;
	}
	spool_write(&tx, b.data, b.len);
	if (spool_commit(&tx) == -1) {
		log_error("cannot queue the DSN", m->id, errno);
		goto out;
	}
	{
		struct logline l;

		log_set_queue_id(m->id);
		log_start(&l, LOG_NOTICE, "dsn");
		log_str(&l, "kind", kind == BOUNCE_FAILED ? "failure" :
		    kind == BOUNCE_DELAYED ? "delay" : "success");
		log_str(&l, "to", m->env.from);
		log_str(&l, "dsn_id", env.id);
		log_num(&l, "recipients", n);
		log_emit(&l);
	}
	rv = 0;
out:
	for (i = 0; i < n; i++)
		free((char *)(uintptr_t)dr[i].diagnostic);
	free(dr);
	free(msg);
	buf_free(&b);
	return rv;
}
