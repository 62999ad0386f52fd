/*
 * remote.c — hand the smtp targets to `remote --batch` processes and read
 * back one result per recipient (tambo-remote(8) has the protocol).
 *
 * Targets are grouped by destination: the recipient domain, or the route
 * that serves it (all domains behind `route *` share one).  A destination
 * is served by up to destination_concurrency processes, each taking a
 * share of its messages, and at most delivery_processes run at once.
 * Each process gets a writer: a forked copy of this runner that writes
 * the jobs (and runs dkimsign where mail is to be signed) into the
 * process's stdin, so a large message never blocks the runner, which
 * only polls the results.  Several messages to one destination thus go
 * over one connection.
 *
 * The runner alone updates the state: results arrive as lines on the
 * remote's stdout (and on the writer's own pipe when it could not even
 * give a job to the remote, for instance when signing failed).  A target
 * without a result when its process ends stays queued (temporary).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "num.h"
#include "progpath.h"
#include "poison.h"

#define RESULT_LINE_MAX	2048
/* A destination gets another process for every so many messages. */
#define MSGS_PER_PROCESS	16

struct item {
	size_t	 m, t;
	bool	 answered;
};

struct dest {
	char	 key[ADDR_DOMAIN_MAX + 2];	/* domain or route */
	char	 domain[ADDR_DOMAIN_MAX + 1];	/* remote's argument */
	struct item *items;
	size_t	 n, cap;
};

struct slot {
	struct dest	*d;
	size_t		 from, to;	/* items[from..to) */
	pid_t		 remote, writer;
	int		 out, note;	/* remote's stdout, writer's notes */
	char		 obuf[RESULT_LINE_MAX], nbuf[RESULT_LINE_MAX];
	size_t		 olen, nlen;
};

static struct runner *R;

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int	 c;

	if (x->m != y->m)
		return x->m < y->m ? -1 : 1;
	c = strcmp(queue_target_from(&R->msgs[x->m], &R->msgs[x->m].qs.t[x->t]),
	    queue_target_from(&R->msgs[y->m], &R->msgs[y->m].qs.t[y->t]));
	if (c != 0)
		return c;
	return x->t < y->t ? -1 : x->t > y->t;
}

static int
dest_add(struct dest **ds, size_t *nd, size_t *cap, const char *key,
    const char *domain, struct item it)
{
	struct dest *d = NULL;
	size_t	 i;

	for (i = *nd; i > 0; i--)
		if (strcmp((*ds)[i - 1].key, key) == 0) {
			d = &(*ds)[i - 1];
			break;
		}
	if (d == NULL) {
		if (*nd == *cap) {
			size_t	 nc = *cap ? *cap * 2 : 16;
			struct dest *n = reallocarray(*ds, nc, sizeof(**ds));

			if (n == NULL)
				return -1;
			*ds = n;
			*cap = nc;
		}
		d = &(*ds)[(*nd)++];
		memset(d, 0, sizeof(*d));
		(void)snprintf(d->key, sizeof(d->key), "%s", key);
		(void)snprintf(d->domain, sizeof(d->domain), "%s", domain);
	}
	if (d->n == d->cap) {
		size_t	 nc = d->cap ? d->cap * 2 : 16;
		struct item *n = reallocarray(d->items, nc, sizeof(*n));

		if (n == NULL)
			return -1;
		d->items = n;
		d->cap = nc;
	}
	d->items[d->n++] = it;
	return 0;
}

/* --- the writer (a forked child) ------------------------------------- */

static int
w_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t	 w = write(fd, c, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Copy len octets from fd at off (pread) to out. */
static int
w_copy(int out, int fd, off_t off, uint64_t len)
{
	char	 b[65536];

	while (len > 0) {
		size_t	 want = len < sizeof(b) ? (size_t)len : sizeof(b);
		ssize_t	 r = pread(fd, b, want, off);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (w_all(out, b, (size_t)r) == -1)
			return -1;
		off += r;
		len -= (uint64_t)r;
	}
	return 0;
}

/*
 * Sign message m: dkimsign reads the queue file from the message's start
 * and writes to a memory file.  Returns its fd and size, or -1 with the
 * reason in why.
 */
static int
w_sign(struct dmsg *m, uint64_t *size, char *why, size_t whysz)
{
	char	 prog[PATH_MAX];
	int	 in, out, status;
	pid_t	 pid;
	struct stat st;

	if (progpath_libexec("dkimsign", prog, sizeof(prog)) == -1) {
		(void)snprintf(why, whysz, "dkimsign: %s", strerror(errno));
		return -1;
	}
	if ((in = openat(R->sp.queuefd, m->id, O_RDONLY | O_CLOEXEC)) ==
	    -1 || lseek(in, (off_t)m->env.header_len, SEEK_SET) == -1) {
		(void)snprintf(why, whysz, "queue file: %s", strerror(errno));
		if (in != -1)
			(void)close(in);
		return -1;
	}
	if ((out = memfd_create("signed", MFD_CLOEXEC)) == -1) {
		(void)snprintf(why, whysz, "memfd: %s", strerror(errno));
		(void)close(in);
		return -1;
	}
	if ((pid = fork()) == -1) {
		(void)snprintf(why, whysz, "fork: %s", strerror(errno));
		(void)close(in);
		(void)close(out);
		return -1;
	}
	if (pid == 0) {
		if (dup2(in, 0) == -1 || dup2(out, 1) == -1)
			_exit(EX_OSERR);
		execl(prog, "dkimsign", "-C", R->conf.dir, "--domain-keys",
		    m->sign_domain, (char *)NULL);
		_exit(EX_TEMPFAIL);
	}
	(void)close(in);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		(void)snprintf(why, whysz, "DKIM signing failed (dkimsign %s "
		    "%d)", WIFEXITED(status) ? "exit" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
		(void)close(out);
		return -1;
	}
	if (fstat(out, &st) == -1) {
		(void)snprintf(why, whysz, "memfd: %s", strerror(errno));
		(void)close(out);
		return -1;
	}
	*size = (uint64_t)st.st_size;
	return out;
}

static void
w_note_fail(int note, struct dmsg *m, struct item *its, size_t n,
    const char *why)
{
	char	 line[RESULT_LINE_MAX];
	size_t	 i;
	int	 len;

	for (i = 0; i < n; i++) {
		len = snprintf(line, sizeof(line),
		    "result %s %s temp 451 4.3.0 - %s\n", m->id,
		    m->qs.t[its[i].t].addr, why);
		if (len > 0 && (size_t)len < sizeof(line))
			(void)w_all(note, line, (size_t)len);
	}
	len = snprintf(line, sizeof(line), "end %s\n", m->id);
	(void)w_all(note, line, (size_t)len);
}

/* Write the jobs of items[0..n) (sorted by message, then sender). */
static void
w_run(int in, int note, struct item *its, size_t n)
{
	size_t	 i = 0;
	int	 signfd = -1;
	size_t	 signm = SIZE_MAX;
	uint64_t signsize = 0;

	while (i < n) {
		struct dmsg *m = &R->msgs[its[i].m];
		const char *from = queue_target_from(m, &m->qs.t[its[i].t]);
		size_t	 j = i, k;
		struct buf b;
		int	 src = m->fd;
		off_t	 off = (off_t)m->env.header_len;
		uint64_t size = m->size;
		char	 why[256];

		while (j < n && its[j].m == its[i].m && strcmp(from,
		    queue_target_from(m, &m->qs.t[its[j].t])) == 0)
			j++;
		if (m->sign) {
			if (signm != its[i].m) {
				if (signfd != -1)
					(void)close(signfd);
				signm = its[i].m;
				signfd = w_sign(m, &signsize, why,
				    sizeof(why));
				if (signfd == -1) {
					struct logline l;

					log_set_queue_id(m->id);
					log_start(&l, LOG_ERR, "dkim");
					log_str(&l, "status", "failed");
					log_str(&l, "why", why);
					log_emit(&l);
				}
			}
			if (signfd == -1) {
				w_note_fail(note, m, its + i, j - i,
				    "DKIM signing failed; see the log");
				i = j;
				continue;
			}
			src = signfd;
			off = 0;
			size = signsize;
		}
		buf_init(&b, 1 << 24);
		(void)buf_printf(&b, "job %s\nmail %s", m->id,
		    from[0] ? from : "<>");
		if (m->env.body == SMTP_BODY_8BITMIME)
			(void)buf_addstr(&b, " body=8bitmime");
		if (m->env.smtputf8)
			(void)buf_addstr(&b, " smtputf8");
		if (m->env.ret != SMTP_RET_NONE)
			(void)buf_addstr(&b, m->env.ret == SMTP_RET_FULL ?
			    " ret=full" : " ret=hdrs");
		if (m->env.envid[0] != '\0')
			(void)buf_printf(&b, " envid=%s", m->env.envid);
		(void)buf_addc(&b, '\n');
		for (k = i; k < j; k++) {
			const struct qstate_target *t = &m->qs.t[its[k].t];
			const struct spool_rcpt *o = t->orig <
			    m->env.nrcpt ? &m->env.rcpt[t->orig] : NULL;

			(void)buf_printf(&b, "rcpt %s", t->addr);
			if (o != NULL && o->notify != 0) {
				char	 nb[64] = "";

				if (o->notify & SMTP_NOTIFY_NEVER)
					(void)snprintf(nb, sizeof(nb),
					    "never");
				else
					(void)snprintf(nb, sizeof(nb),
					    "%s%s%s",
					    o->notify & SMTP_NOTIFY_SUCCESS ?
					    "success," : "",
					    o->notify & SMTP_NOTIFY_FAILURE ?
					    "failure," : "",
					    o->notify & SMTP_NOTIFY_DELAY ?
					    "delay," : "");
				nb[strlen(nb) - (nb[strlen(nb) - 1] == ',')] =
				    '\0';
				(void)buf_printf(&b, " notify=%s", nb);
			}
			if (o != NULL && o->orcpt[0] != '\0')
				(void)buf_printf(&b, " orcpt=%s", o->orcpt);
			(void)buf_addc(&b, '\n');
		}
		(void)buf_printf(&b, "data %llu\n", (unsigned long long)size);
		if (w_all(in, b.data, b.len) == -1 ||
		    w_copy(in, src, off, size) == -1) {
			buf_free(&b);
			break;	/* the remote is gone: results say the rest */
		}
		buf_free(&b);
		i = j;
	}
	if (signfd != -1)
		(void)close(signfd);
}

/* --- the runner side -------------------------------------------------- */

static int
slot_start(struct slot *s)
{
	int	 in[2], out[2], note[2];
	char	 prog[PATH_MAX];

	s->out = s->note = -1;
	s->remote = s->writer = -1;
	s->olen = s->nlen = 0;
	if (progpath_libexec("remote", prog, sizeof(prog)) == -1)
		return -1;
	if (pipe2(in, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(out, O_CLOEXEC) == -1) {
		(void)close(in[0]);
		(void)close(in[1]);
		return -1;
	}
	if (pipe2(note, O_CLOEXEC) == -1) {
		(void)close(in[0]);
		(void)close(in[1]);
		(void)close(out[0]);
		(void)close(out[1]);
		return -1;
	}
	if ((s->remote = fork()) == 0) {
		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1)
			_exit(EX_OSERR);
		execl(prog, "remote", "-C", R->conf.dir, "--batch",
		    s->d->domain, (char *)NULL);
		_exit(EX_TEMPFAIL);
	}
	if (s->remote != -1 && (s->writer = fork()) == 0) {
		(void)close(in[0]);
		(void)close(out[0]);
		(void)close(out[1]);
		(void)close(note[0]);
		w_run(in[1], note[1], s->d->items + s->from, s->to - s->from);
		_exit(0);
	}
	(void)close(in[0]);
	(void)close(in[1]);
	(void)close(out[1]);
	(void)close(note[1]);
	s->out = out[0];
	s->note = note[0];
	if (s->remote == -1 || s->writer == -1) {
		log_error("cannot start a delivery process", s->d->domain,
		    errno);
		if (s->remote > 0)
			(void)kill(s->remote, SIGTERM);
	}
	return 0;
}

static struct dmsg *
find_msg(const char *id)
{
	size_t	 lo = 0, hi = R->nmsgs;

	while (lo < hi) {
		size_t	 mid = (lo + hi) / 2;
		int	 c = strcmp(R->msgs[mid].id, id);

		if (c == 0)
			return &R->msgs[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The item of slot s for target t of m that still waits for a result. */
static struct item *
slot_item(const struct slot *s, const struct dmsg *m, size_t t)
{
	size_t	 i;

	for (i = s->from; i < s->to; i++) {
		struct item *it = &s->d->items[i];

		if (&R->msgs[it->m] == m && it->t == t && !it->answered)
			return it;
	}
	return NULL;
}

/* "result ID ADDRESS STATUS CODE ENHANCED HOST TEXT..." or "end ID". */
static void
handle_line(struct slot *s, char *line)
{
	static char empty[1];
	char	*f[6], *p, *text = empty;
	struct dmsg *m;
	struct item *it;
	size_t	 i, nf;
	uint64_t code;

	if (strncmp(line, "end ", 4) == 0) {
		if ((m = find_msg(line + 4)) != NULL && m->inflight == 0)
			queue_settle(R, m);
		return;
	}
	if (strncmp(line, "result ", 7) != 0)
		return;
	p = line + 7;
	for (nf = 0; nf < 6; nf++) {
		f[nf] = p;
		if ((p = strchr(p, ' ')) == NULL) {
			nf++;
			break;
		}
		*p++ = '\0';
		if (nf == 5)
			text = p;
	}
	if (nf < 6)
		return;
	if ((m = find_msg(f[0])) == NULL)
		return;
	for (i = 0; i < m->qs.n; i++) {
		struct qstate_target *t = &m->qs.t[i];
		char	 st;

		if (t->kind != QK_SMTP || t->status != QS_QUEUED ||
		    strcmp(t->addr, f[1]) != 0 ||
		    (it = slot_item(s, m, i)) == NULL)
			continue;
		if (strcmp(f[2], "delivered") == 0)
			st = 'd';
		else if (strcmp(f[2], "passed") == 0)
			st = 'h';
		else if (strcmp(f[2], "perm") == 0)
			st = 'p';
		else
			st = 't';
		if (!num_parse_str(f[3], 999, &code))
			code = 0;
		queue_result(R, m, t, st, (unsigned)code, f[4], f[5], text);
		it->answered = true;
		if (m->inflight > 0)
			m->inflight--;
		break;
	}
}

static int
slot_read(struct slot *s, int *fd, char *buf, size_t *len)
{
	ssize_t	 r = read(*fd, buf + *len, RESULT_LINE_MAX - 1 - *len);
	char	*nl;

	if (r == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (r <= 0) {
		(void)close(*fd);
		*fd = -1;
		return 0;
	}
	*len += (size_t)r;
	buf[*len] = '\0';
	while ((nl = memchr(buf, '\n', *len)) != NULL) {
		size_t	 used = (size_t)(nl - buf) + 1;

		*nl = '\0';
		handle_line(s, buf);
		memmove(buf, buf + used, *len - used);
		*len -= used;
		buf[*len] = '\0';
	}
	if (*len == RESULT_LINE_MAX - 1)
		*len = 0;	/* an overlong line: dropped */
	return 0;
}

/* The process ended: whatever got no result stays queued. */
static void
slot_finish(struct slot *s)
{
	size_t	 i;
	int	 status;

	if (s->remote > 0)
		while (waitpid(s->remote, &status, 0) == -1 && errno == EINTR)
			;
	if (s->writer > 0)
		while (waitpid(s->writer, &status, 0) == -1 && errno == EINTR)
			;
	for (i = s->from; i < s->to; i++) {
		struct dmsg *m = &R->msgs[s->d->items[i].m];
		struct qstate_target *t = &m->qs.t[s->d->items[i].t];

		if (!s->d->items[i].answered) {
			s->d->items[i].answered = true;
			queue_result(R, m, t, 't', 451, "4.3.0", "-",
			    "delivery process ended without a result");
			if (m->inflight > 0)
				m->inflight--;
		}
		if (m->inflight == 0 && m->changed)
			queue_settle(R, m);
	}
}

void
remote_run(struct runner *r)
{
	struct dest *ds = NULL;
	struct slot *slots = NULL, **run = NULL;
	size_t	 nd = 0, dcap = 0, nslots = 0, scap = 0, next = 0, nrun = 0;
	size_t	 i, j, maxrun = r->conf.delivery_processes;

	R = r;
	for (i = 0; i < r->nmsgs; i++) {
		struct dmsg *m = &r->msgs[i];

		for (j = 0; j < m->qs.n; j++) {
			struct qstate_target *t = &m->qs.t[j];
			const struct conf_route *rt;
			char	 dom[ADDR_DOMAIN_MAX + 1];
			const char *at;
			size_t	 k;

			if (t->kind != QK_SMTP || t->status != QS_QUEUED)
				continue;
			at = strrchr(t->addr, '@');
			(void)snprintf(dom, sizeof(dom), "%s", at ? at + 1 :
			    r->conf.hostname);
			for (k = 0; dom[k] != '\0'; k++)
				if (dom[k] >= 'A' && dom[k] <= 'Z')
					dom[k] = (char)(dom[k] + 32);
			rt = conf_route_find(&r->conf, dom);
			if (dest_add(&ds, &nd, &dcap, rt ? rt->domain : dom,
			    dom, (struct item){ i, j, false }) == -1) {
				log_error("out of memory", "destinations",
				    ENOMEM);
				goto out;
			}
		}
	}
	/* Slots: each destination's messages shared among its processes. */
	for (i = 0; i < nd; i++) {
		struct dest *d = &ds[i];
		size_t	 nm = 0, per, nproc, start = 0;

		qsort(d->items, d->n, sizeof(*d->items), item_cmp);
		for (j = 0; j < d->n; j++)
			if (j == 0 || d->items[j].m != d->items[j - 1].m)
				nm++;
		nproc = (nm + MSGS_PER_PROCESS - 1) / MSGS_PER_PROCESS;
		if (nproc > r->conf.destination_concurrency)
			nproc = r->conf.destination_concurrency;
		if (nproc == 0)
			nproc = 1;
		per = (nm + nproc - 1) / nproc;
		while (start < d->n) {
			size_t	 end = start, cnt = 0;

			while (end < d->n && (cnt < per || d->items[end].m ==
			    d->items[end - 1].m)) {
				if (end == start || d->items[end].m !=
				    d->items[end - 1].m)
					cnt++;
				if (cnt > per)
					break;
				end++;
			}
			if (nslots == scap) {
				size_t	 nc = scap ? scap * 2 : 16;
				struct slot *ns = reallocarray(slots, nc,
				    sizeof(*ns));

				if (ns == NULL)
					goto out;
				slots = ns;
				scap = nc;
			}
			memset(&slots[nslots], 0, sizeof(slots[0]));
			slots[nslots].d = d;
			slots[nslots].from = start;
			slots[nslots].to = end;
			slots[nslots].out = slots[nslots].note = -1;
			for (j = start; j < end; j++)
				r->msgs[d->items[j].m].inflight++;
			nslots++;
			start = end;
		}
	}
	if ((run = calloc(maxrun, sizeof(*run))) == NULL)
		goto out;
	if (maxrun > 256)
		maxrun = 256;	/* two descriptors each in pfd[512] */
	while (next < nslots || nrun > 0) {
		struct pollfd pfd[512];
		size_t	 np = 0;

		while (nrun < maxrun && next < nslots) {
			if (slot_start(&slots[next]) == -1) {
				log_error("cannot start a delivery process",
				    slots[next].d->domain, errno);
				slot_finish(&slots[next]);
				next++;
				continue;
			}
			run[nrun++] = &slots[next++];
		}
		for (i = 0; i < nrun && np + 2 <= 512; i++) {
			if (run[i]->out != -1) {
				pfd[np].fd = run[i]->out;
				pfd[np++].events = POLLIN;
			}
			if (run[i]->note != -1) {
				pfd[np].fd = run[i]->note;
				pfd[np++].events = POLLIN;
			}
		}
		if (np > 0 && poll(pfd, (nfds_t)np, -1) == -1 &&
		    errno != EINTR)
			break;
		for (i = 0; i < nrun; i++) {
			struct slot *s = run[i];
			size_t	 k;

			for (k = 0; k < np; k++) {
				if (pfd[k].revents == 0)
					continue;
				if (pfd[k].fd == s->out && s->out != -1)
					(void)slot_read(s, &s->out, s->obuf,
					    &s->olen);
				else if (pfd[k].fd == s->note &&
				    s->note != -1)
					(void)slot_read(s, &s->note, s->nbuf,
					    &s->nlen);
			}
		}
		for (i = 0; i < nrun;) {
			if (run[i]->out == -1 && run[i]->note == -1) {
				slot_finish(run[i]);
				run[i] = run[--nrun];
			} else
				i++;
		}
	}
out:
	free(run);
	free(slots);
	for (i = 0; i < nd; i++)
		free(ds[i].items);
	free(ds);
}
