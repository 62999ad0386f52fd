/*
 * expand.c — from envelope recipients to delivery targets.
 *
 * A recipient outside our domains is one smtp target.  One of ours is
 * looked up the way the SMTP handler accepted it (users.h: users first,
 * then aliases, then the suffix/drop-character form, postmaster, "*"):
 * a user becomes a Maildir (or mailbox_command) target; an alias its
 * targets, each an address (looked up again: aliases may nest, to a depth
 * of ALIAS_DEPTH_MAX and never through the same address twice), a bare
 * local part of the same domain, or "| command".  An SRS address of ours
 * (a bounce to mail we forwarded) goes back to the original sender.
 *
 * Forwarding to another domain rewrites the envelope sender with SRS
 * (srs.h) so that the receiver's SPF check sees our domain, unless the
 * sender is <> or already one of ours.  The message itself is not
 * touched: the author's DKIM signature survives.
 *
 * The expansion is done once, on a message's first pass, and kept in the
 * state file: later changes to the aliases do not move mail already
 * accepted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "deliver.h"
#include "log.h"
#include "poison.h"

#define ALIAS_DEPTH_MAX	8
#define ALIAS_LINE_MAX	8192

struct expand {
	struct runner	*r;
	struct dmsg	*m;
	unsigned	 orig;
	size_t		 hits;		/* targets reached, new or not */
	char		 seen[ALIAS_DEPTH_MAX + 1][ADDR_PATH_MAX + 1];
	size_t		 nseen;
};

/* Add a target unless the same one is there already. */
static struct qstate_target *
expand_add(struct expand *x, enum qstate_kind kind, const char *addr,
    const char *from)
{
	struct qstate *q = &x->m->qs;
	struct qstate_target *t;
	size_t	 i;

	x->hits++;
	for (i = 0; i < q->n; i++)
		if (q->t[i].kind == kind && strcasecmp(q->t[i].addr,
		    addr) == 0 && strcmp(q->t[i].from, from) == 0)
			return &q->t[i];
	if ((t = qstate_add(q, x->orig, kind, addr)) == NULL)
		return NULL;
	(void)snprintf(t->from, sizeof(t->from), "%s", from);
	return t;
}

static void
expand_fail(struct expand *x, const char *addr, const char *enh,
    const char *text)
{
	struct qstate_target *t;

	if ((t = expand_add(x, QK_SMTP, addr, "-")) == NULL)
		return;
	t->status = QS_FAILED;
	t->code = 550;
	t->time = x->r->now;
	(void)snprintf(t->enh, sizeof(t->enh), "%s", enh);
	(void)snprintf(t->text, sizeof(t->text), "%s", text);
	log_bounced(addr, NULL, 550, enh, NULL, text);
}

static int
expand_srs_load(struct runner *r)
{
	if (r->srs_ok == 0) {
		if (srs_load(&r->srs, r->conf.state) == -1) {
			log_error("cannot load the SRS key", r->conf.state,
			    errno);
			r->srs_ok = -1;
		} else
			r->srs_ok = 1;
	}
	return r->srs_ok == 1 ? 0 : -1;
}

/*
 * The sender for a forward from local domain fwd: "-" (unchanged) or an
 * SRS address.  -1 when the SRS key cannot be had (try later).
 */
static int
expand_forward_from(struct expand *x, const char *fwd, char *out,
    size_t outsz)
{
	struct runner *r = x->r;
	const struct spool_envelope *e = &x->m->env;
	const char *at = strrchr(e->from, '@');

	(void)snprintf(out, outsz, "-");
	if (e->from[0] == '\0' || at == NULL ||
	    users_domain(&r->users, at + 1) != NULL)
		return 0;
	if (expand_srs_load(r) == -1)
		return -1;
	if (!srs_forward(&r->srs, e->from, r->conf.srs_domain[0] ?
	    r->conf.srs_domain : fwd, r->now, out, outsz))
		(void)snprintf(out, outsz, "-");	/* too long for SRS */
	return 0;
}

static int expand_address(struct expand *, const char *, size_t depth,
	    const char *via);

/* The targets of one alias line, from local domain dom. */
static int
expand_alias(struct expand *x, const char *targets,
    const struct users_domain *dom, size_t depth)
{
	size_t	 n = strlen(targets), pos = 0, start, len;
	enum users_target kind;
	char	 addr[ADDR_PATH_MAX + 1], cmd[QSTATE_ADDR_MAX];
	int	 w;

	while ((kind = users_alias_next(targets, n, &pos, &start, &len)) !=
	    USERS_TARGET_END) {
		if (kind == USERS_TARGET_PIPE) {
			if (len == 0 || len >= sizeof(cmd)) {
				expand_fail(x, x->m->env.rcpt[x->orig].addr,
				    "5.3.5", len == 0 ? "bad alias: empty "
				    "command" : "bad alias: command too long");
				return 0;
			}
			memcpy(cmd, targets + start, len);
			cmd[len] = '\0';
			if (expand_add(x, QK_PIPE, cmd, "-") == NULL)
				expand_fail(x, x->m->env.rcpt[x->orig].addr,
				    "5.3.5", "bad alias: cannot add the "
				    "command");
			return 0;
		}
		if (memchr(targets + start, '@', len) == NULL)
			w = snprintf(addr, sizeof(addr), "%.*s@%s", (int)len,
			    targets + start, dom->name);
		else
			w = snprintf(addr, sizeof(addr), "%.*s", (int)len,
			    targets + start);
		if (w < 0 || (size_t)w >= sizeof(addr)) {
			log_warn("bad address in an alias", "too long");
			continue;
		}
		if (expand_address(x, addr, depth + 1, dom->name) == -1)
			return -1;
	}
	return 0;
}

/*
 * One address: via is the local domain whose alias led here (NULL for an
 * envelope recipient).
 */
static int
expand_address(struct expand *x, const char *mailbox, size_t depth,
    const char *via)
{
	struct runner *r = x->r;
	const struct users_domain *dom;
	struct addr a;
	char	 val[ALIAS_LINE_MAX], from[ADDR_PATH_MAX + 1];
	size_t	 i;

	if (depth > ALIAS_DEPTH_MAX) {
		expand_fail(x, mailbox, "5.4.6", "alias nesting too deep "
		    "(a loop?)");
		return 0;
	}
	for (i = 0; i < x->nseen; i++)
		if (strcasecmp(x->seen[i], mailbox) == 0)
			return 0;	/* a loop: this address is handled */
	if (x->nseen <= ALIAS_DEPTH_MAX)
		(void)snprintf(x->seen[x->nseen++], sizeof(x->seen[0]), "%s",
		    mailbox);

	if (addr_parse_mailbox(mailbox, strlen(mailbox), ADDR_OPT_UTF8,
	    &a) != ADDR_OK) {
		if (via != NULL) {
			log_warn("bad address in an alias", mailbox);
			return 0;
		}
		expand_fail(x, mailbox, "5.1.3", "bad recipient address");
		return 0;
	}
	if (!(a.flags & (ADDR_LITERAL | ADDR_NODOMAIN)) &&
	    (dom = users_domain(&r->users, a.domain)) != NULL &&
	    srs_is_srs(a.local)) {
		char	 orig[ADDR_PATH_MAX + 1];

		if (expand_srs_load(r) == -1)
			return -1;
		if (!srs_reverse(&r->srs, a.local, r->now, orig,
		    sizeof(orig))) {
			expand_fail(x, mailbox, "5.1.1",
			    "invalid or expired SRS address");
			return 0;
		}
		return expand_add(x, QK_SMTP, orig, "-") ? 0 : -1;
	}
	switch (users_resolve(&r->users, &a, val, sizeof(val), &dom)) {
	case USERS_NOT_LOCAL:
		if (via == NULL)
			return expand_add(x, QK_SMTP, mailbox, "-") ? 0 : -1;
		if (expand_forward_from(x, via, from, sizeof(from)) == -1)
			return -1;
		return expand_add(x, QK_SMTP, mailbox, from) ? 0 : -1;
	case USERS_USER: {
		char	 box[ADDR_PATH_MAX + 1];

		for (i = 0; val[i] != '\0'; i++)
			if (val[i] >= 'A' && val[i] <= 'Z')
				val[i] = (char)(val[i] + 32);
		if ((size_t)snprintf(box, sizeof(box), "%s@%s", val,
		    dom->name) >= sizeof(box)) {
			expand_fail(x, mailbox, "5.1.3", "address too long");
			return 0;
		}
		return expand_add(x, r->conf.mailbox_command[0] ? QK_MDA :
		    QK_MAILDIR, box, "-") ? 0 : -1;
	}
	case USERS_ALIAS:
	case USERS_CATCHALL:
		return expand_alias(x, val, dom, depth);
	case USERS_POSTMASTER: {
		char	 box[ADDR_PATH_MAX + 1];

		if ((size_t)snprintf(box, sizeof(box), "postmaster@%s",
		    dom->name) >= sizeof(box))
			return -1;
		return expand_add(x, r->conf.mailbox_command[0] ? QK_MDA :
		    QK_MAILDIR, box, "-") ? 0 : -1;
	}
	case USERS_UNKNOWN:
		expand_fail(x, mailbox, "5.1.1", "no such user here");
		return 0;
	case USERS_TEMP:
	default:
		log_error("cannot read the users or aliases", mailbox, errno);
		return -1;
	}
}

int
expand_message(struct runner *r, struct dmsg *m)
{
	struct expand x;
	size_t	 i;

	if (!r->users_ok) {
		if (users_open(&r->users, &r->conf) == -1) {
			log_error("cannot read the local domains", r->conf.dir,
			    errno);
			return -1;
		}
		r->users_ok = true;
	}
	qstate_free(&m->qs);
	for (i = 0; i < m->env.nrcpt; i++) {
		memset(&x, 0, sizeof(x));
		x.r = r;
		x.m = m;
		x.orig = (unsigned)i;
		if (expand_address(&x, m->env.rcpt[i].addr, 0, NULL) == -1) {
			qstate_free(&m->qs);
			return -1;
		}
		/* Aliases that only lead back to themselves: no mailbox at
		 * all.  Say so rather than drop the mail. */
		if (x.hits == 0)
			expand_fail(&x, m->env.rcpt[i].addr, "5.4.6",
			    "aliases lead to no final recipient (a loop?)");
	}
	m->qs.expanded = true;
	m->changed = true;
	return 0;
}
