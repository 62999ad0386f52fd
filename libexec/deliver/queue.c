/*
 * queue.c — the runner's side of the spool: find the due messages, lock
 * them, load envelope and state; afterwards settle each one: record the
 * outcome, queue the DSNs owed, remove what is finished.
 *
 * Locking: flock(LOCK_EX | LOCK_NB) on the queue file, held for the whole
 * pass (the writer process forked by remote.c shares it).  A second runner
 * skips locked messages, so no recipient is delivered by two runners.  A
 * file may be unlinked by the runner that held it just before we got the
 * lock: st_nlink == 0 then, and it is skipped.  kill -9 releases the lock;
 * targets whose result was not yet written stay queued and are delivered
 * again (a possible duplicate, never a loss: the spool promise).
 *
 * The state file is written without fsync: losing it in a crash repeats
 * deliveries, which the promise allows, and saves a sync per message.  A
 * DSN, being a new message, goes through spool_commit (fsynced) before
 * the original is removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "names.h"
#include "poison.h"

#define QUEUE_HEAD_READ	65536

int
deliver_read_message(struct dmsg *m, size_t max, char **out, size_t *len)
{
	size_t	 want = m->size < max ? (size_t)m->size : max, got = 0;
	char	*p;

	if ((p = malloc(want + 1)) == NULL)
		return -1;
	while (got < want) {
		ssize_t	 r = pread(m->fd, p + got, want - got,
		    (off_t)(m->env.header_len + got));

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(p);
			if (r == 0)
				errno = EIO;
			return -1;
		}
		got += (size_t)r;
	}
	p[got] = '\0';
	*out = p;
	*len = got;
	return 0;
}

/* The domain of the message's From: header field, lower case; "" if none. */
static void
queue_from_domain(const char *h, size_t n, char *out, size_t outsz)
{
	size_t	 i = 0;

	out[0] = '\0';
	while (i < n) {
		const char *line = h + i, *nl;
		size_t	 len;

		nl = memchr(line, '\n', n - i);
		len = nl ? (size_t)(nl - line) : n - i;
		if (len == 0 || (len == 1 && line[0] == '\r'))
			return;		/* end of the header */
		if (len > 5 && strncasecmp(line, "From:", 5) == 0) {
			const char *at = NULL, *e, *p;
			size_t	 o = 0;

			/* the last '@' of the field's first line, up to '>' */
			for (p = line + 5; p < line + len; p++)
				if (*p == '@')
					at = p;
			if (at == NULL)
				return;
			for (e = at + 1; e < line + len && *e != '>' &&
			    *e != ' ' && *e != '\r' && *e != ',' && *e != ')';
			    e++)
				if (o + 1 < outsz)
					out[o++] = (char)((*e >= 'A' &&
					    *e <= 'Z') ? *e + 32 : *e);
			out[o] = '\0';
			return;
		}
		i += len + (nl ? 1 : 0);
	}
}

/*
 * The local domain whose keys sign mail from dom: dom itself, else the
 * nearest local domain above it.  Cron's mail from root@mx.example.org
 * (sendmail's login@hostname) is signed as example.org, which DMARC's
 * relaxed alignment accepts for the From: domain mx.example.org.
 */
static const struct users_domain *
queue_sign_domain(const struct users *u, const char *dom)
{
	const struct users_domain *d;
	const char *p = dom;

	while ((d = users_domain(u, p)) == NULL) {
		if ((p = strchr(p, '.')) == NULL || strchr(++p, '.') == NULL)
			return NULL;	/* never a top-level domain alone */
	}
	return d;
}

/*
 * Mail that left through submission or the local sendmail is signed with
 * the keys of its From: domain (or of the local domain above it) when
 * that domain has any; mail that only passes through (forwarding) is not
 * signed as its author's domain.
 */
static void
queue_sign_decide(struct runner *r, struct dmsg *m)
{
	const struct users_domain *d;
	char	 dom[ADDR_DOMAIN_MAX + 1], path[PATH_MAX], *head;
	size_t	 len;
	DIR	*dir;
	struct dirent *de;

	m->sign = false;
	if (m->env.auth[0] == '\0' && strcmp(m->env.client, "local") != 0)
		return;
	if (!r->users_ok)
		return;
	if (deliver_read_message(m, QUEUE_HEAD_READ, &head, &len) == -1)
		return;
	queue_from_domain(head, len, dom, sizeof(dom));
	free(head);
	if (dom[0] == '\0' || (d = queue_sign_domain(&r->users, dom)) == NULL)
		return;
	if (conf_pathf(path, "%s/domains/%s/dkim", r->conf.dir,
	    d->dirname) == -1 || (dir = opendir(path)) == NULL)
		return;
	while ((de = readdir(dir)) != NULL) {
		size_t	 n = strlen(de->d_name);

		if (n > 4 && de->d_name[0] != '.' &&
		    strcmp(de->d_name + n - 4, ".key") == 0) {
			m->sign = true;
			(void)snprintf(m->sign_domain, sizeof(m->sign_domain),
			    "%s", d->dirname);
			break;
		}
	}
	(void)closedir(dir);
}

/* Open, lock and load one message; 1 loaded and due, 0 skipped, -1 error. */
static int
queue_load(struct runner *r, const char *id, struct dmsg *m)
{
	struct stat st;
	char	*head = NULL;
	size_t	 want, got = 0;
	int	 rs;

	memset(m, 0, sizeof(*m));
	(void)snprintf(m->id, sizeof(m->id), "%s", id);
	m->fd = openat(r->sp.queuefd, id, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (m->fd == -1)
		return errno == ENOENT ? 0 : -1;
	if (flock(m->fd, LOCK_EX | LOCK_NB) == -1)
		goto skip;	/* another runner has it */
	if (fstat(m->fd, &st) == -1)
		goto fail;
	if (st.st_nlink == 0)
		goto skip;	/* finished by the runner before us */
	/* The state first: a message not yet due costs no envelope read. */
	rs = qstate_read(r->sp.queuefd, id, &m->qs);
	if (rs == -1) {
		log_set_queue_id(id);
		log_error("unreadable state file, message left alone", id,
		    errno);
		goto skip;
	}
	m->qs.expanded = rs == 0;
	m->has_state = rs == 0;
	if (m->qs.expanded && qstate_pending(&m->qs) > 0 && !r->flush &&
	    m->qs.next > r->now) {
		qstate_free(&m->qs);
		goto skip;
	}
	want = (uint64_t)st.st_size < SPOOL_ENVELOPE_MAX ?
	    (size_t)st.st_size : SPOOL_ENVELOPE_MAX;
	if ((head = malloc(want + 1)) == NULL)
		goto fail;
	while (got < want) {
		ssize_t	 n = pread(m->fd, head + got, want - got, (off_t)got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	if (spool_envelope_parse(head, got, &m->env) == -1) {
		log_set_queue_id(id);
		log_error("malformed queue file, left alone", id, 0);
		qstate_free(&m->qs);
		goto skip;
	}
	free(head);
	head = NULL;
	m->size = (uint64_t)st.st_size - m->env.header_len;
	if (m->qs.expanded && qstate_pending(&m->qs) == 0) {
		/* All done but not removed (a crash at the end): settle. */
		m->changed = true;
		return 1;
	}
	queue_sign_decide(r, m);
	return 1;
skip:
	free(head);
	(void)close(m->fd);
	m->fd = -1;
	return 0;
fail:
	free(head);
	qstate_free(&m->qs);
	(void)close(m->fd);
	m->fd = -1;
	return -1;
}

/*
 * A queue file worth loading: a message id past r->after.  An orphaned
 * state file, whose message is gone, is removed on the way.
 */
static bool
queue_is_next(int dirfd, const char *name, void *arg)
{
	const struct runner *r = arg;
	char	 base[SPOOL_ID_LEN + 1];

	if (!spool_id_valid(name)) {
		if (strlen(name) == SPOOL_ID_LEN + 6 &&
		    strcmp(name + SPOOL_ID_LEN, ".state") == 0) {
			memcpy(base, name, SPOOL_ID_LEN);
			base[SPOOL_ID_LEN] = '\0';
			if (spool_id_valid(base) && faccessat(dirfd, base,
			    F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
			    errno == ENOENT)
				(void)unlinkat(dirfd, name, 0);
		}
		return false;
	}
	return r->after[0] == '\0' || strcmp(name, r->after) > 0;
}

int
queue_collect(struct runner *r, char **ids, size_t nids, size_t max)
{
	struct names ns = { .v = ids, .n = nids };
	size_t	 i;
	int	 rc = 0;

	r->msgs = NULL;
	r->nmsgs = 0;
	if (nids == 0) {
		if (names_read(r->sp.queuefd, queue_is_next, r, &ns) == -1) {
			log_error("cannot read the queue", r->sp.dir, errno);
			return -1;
		}
		if (ns.n > 0)
			(void)snprintf(r->after, sizeof(r->after), "%s",
			    ns.v[ns.n - 1]);
	}
	if (ns.n > 0 && (r->msgs = calloc(ns.n < max ? ns.n : max,
	    sizeof(*r->msgs))) == NULL)
		rc = -1;
	for (i = 0; rc == 0 && i < ns.n && r->nmsgs < max; i++) {
		if (!spool_id_valid(ns.v[i]))
			continue;
		if (queue_load(r, ns.v[i], &r->msgs[r->nmsgs]) == 1)
			r->nmsgs++;
	}
	if (nids == 0)
		names_free(&ns);
	return rc == 0 ? (int)r->nmsgs : -1;
}

const char *
queue_target_from(const struct dmsg *m, const struct qstate_target *t)
{
	if (t->from[0] == '-' && t->from[1] == '\0')
		return m->env.from;
	return t->from;
}

void
queue_result(struct runner *r, struct dmsg *m, struct qstate_target *t,
    char status, unsigned code, const char *enh, const char *host,
    const char *text)
{
	t->time = r->now;
	t->code = code;
	(void)snprintf(t->enh, sizeof(t->enh), "%s", enh ? enh : "");
	(void)snprintf(t->host, sizeof(t->host), "%s",
	    host && strcmp(host, "-") != 0 ? host : "");
	(void)snprintf(t->text, sizeof(t->text), "%s", text ? text : "");
	if (status == 'd' || status == 'h') {
		/* 'h': handed on with NOTIFY= to a server offering DSN */
		t->status = status == 'h' ? QS_PASSED : QS_DELIVERED;
		r->delivered++;
	} else if (status == 'p') {
		t->status = QS_FAILED;
	} else
		r->deferred++;
	m->changed = true;
}

static bool
queue_wants(const struct dmsg *m, const struct qstate_target *t,
    unsigned bit)
{
	unsigned notify = t->orig < m->env.nrcpt ?
	    m->env.rcpt[t->orig].notify : 0;

	if (notify == 0)	/* RFC 3461 4.1: failure and delay */
		return bit != SMTP_NOTIFY_SUCCESS;
	return (notify & bit) != 0;
}

void
queue_settle(struct runner *r, struct dmsg *m)
{
	size_t	 i, nf = 0, ns = 0, *fail = NULL, *succ = NULL;
	bool	 ok = true;

	if (m->removed)
		return;
	log_set_queue_id(m->id);
	/* Expired: every target still queued fails now. */
	if (qstate_pending(&m->qs) > 0 &&
	    r->now - m->env.arrival >= (int64_t)r->conf.queue_lifetime) {
		for (i = 0; i < m->qs.n; i++) {
			struct qstate_target *t = &m->qs.t[i];
			char	 text[QSTATE_TEXT_MAX];

			if (t->status != QS_QUEUED)
				continue;
			if ((size_t)snprintf(text, sizeof(text),
			    "delivery time expired; last error: %s",
			    t->text[0] ? t->text : "none") >= sizeof(text))
				text[sizeof(text) - 1] = '\0';
			(void)snprintf(t->text, sizeof(t->text), "%s", text);
			(void)snprintf(t->enh, sizeof(t->enh), "4.4.7");
			t->status = QS_FAILED;
			log_bounced(t->addr, t->host[0] ? t->host : NULL,
			    (int)t->code, t->enh, NULL, t->text);
		}
		m->changed = true;
	}
	if ((fail = calloc(m->qs.n + 1, sizeof(*fail))) == NULL ||
	    (succ = calloc(m->qs.n + 1, sizeof(*succ))) == NULL) {
		free(fail);
		return;
	}
	for (i = 0; i < m->qs.n; i++) {
		struct qstate_target *t = &m->qs.t[i];

		if (t->status == QS_FAILED)
			fail[nf++] = i;
	}
	if (nf > 0) {
		size_t	 want = 0;

		for (i = 0; i < nf; i++)
			if (queue_wants(m, &m->qs.t[fail[i]],
			    SMTP_NOTIFY_FAILURE))
				fail[want++] = fail[i];
		/* Never a bounce to the null sender (RFC 5321 6.1). */
		if (want > 0 && m->env.from[0] != '\0' &&
		    bounce_send(r, m, fail, want, BOUNCE_FAILED) == -1)
			ok = false;
		if (ok) {
			for (i = 0; i < m->qs.n; i++)
				if (m->qs.t[i].status == QS_FAILED) {
					m->qs.t[i].status = QS_BOUNCED;
					r->bounced++;
				}
			m->changed = true;
		}
	}
	if (qstate_pending(&m->qs) == 0 && ok) {
		for (i = 0; i < m->qs.n; i++) {
			struct qstate_target *t = &m->qs.t[i];

			if (t->status == QS_DELIVERED &&
			    queue_wants(m, t, SMTP_NOTIFY_SUCCESS))
				succ[ns++] = i;
		}
		if (ns > 0 && m->env.from[0] != '\0' &&
		    bounce_send(r, m, succ, ns, BOUNCE_SUCCESS) == -1)
			log_error("success report not sent", m->id, errno);
		/* The message leaves the queue: delivered or bounced. */
		if (unlinkat(r->sp.queuefd, m->id, 0) == -1 &&
		    errno != ENOENT)
			log_error("cannot remove a finished message", m->id,
			    errno);
		else {
			char	 name[SPOOL_ID_LEN + 8];
			struct logline l;

			(void)snprintf(name, sizeof(name), "%s.state", m->id);
			if (m->has_state)
				(void)unlinkat(r->sp.queuefd, name, 0);
			m->removed = true;
			log_start(&l, LOG_INFO, "removed");
			log_num(&l, "targets", m->qs.n);
			log_emit(&l);
		}
		m->changed = false;
	} else if (m->changed) {
		size_t	 delay = 0;

		m->qs.attempts++;
		m->qs.next = r->now + qstate_backoff(m->qs.attempts);
		if (r->conf.delay_warning > 0 && !m->qs.warned &&
		    m->env.from[0] != '\0' && r->now - m->env.arrival >=
		    (int64_t)r->conf.delay_warning) {
			for (i = 0; i < m->qs.n; i++)
				if (m->qs.t[i].status == QS_QUEUED &&
				    queue_wants(m, &m->qs.t[i],
				    SMTP_NOTIFY_DELAY))
					fail[delay++] = i;
			if (delay == 0 || bounce_send(r, m, fail, delay,
			    BOUNCE_DELAYED) == 0)
				m->qs.warned = true;
		}
		if (qstate_write(r->sp.queuefd, m->id, &m->qs, false) == -1)
			log_error("cannot write the delivery state", m->id,
			    errno);
		else
			m->has_state = true;
		m->changed = false;
	}
	free(fail);
	free(succ);
	log_set_queue_id(NULL);
}

void
queue_release(struct runner *r)
{
	size_t	 i;

	for (i = 0; i < r->nmsgs; i++) {
		struct dmsg *m = &r->msgs[i];

		spool_envelope_free(&m->env);
		qstate_free(&m->qs);
		if (m->fd != -1)
			(void)close(m->fd);
	}
	free(r->msgs);
	r->msgs = NULL;
	r->nmsgs = 0;
}
