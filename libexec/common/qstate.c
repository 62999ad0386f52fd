/*
 * qstate.c — the delivery state file of a queued message (see qstate.h,
 * tambo-spool(5)).
 *
 * The parser is I/O-free and tolerant of unknown keys, like the envelope
 * reader; qstate_read and qstate_write are the only I/O.  A state file is
 * written by one runner at a time (the flock on the queue file), so the
 * temporary name need not be unique.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "num.h"
#include "qstate.h"
#include "poison.h"

static const char *status_names[] = { "queued", "delivered", "failed",
    "bounced", "passed" };
#define NSTATUS	(sizeof(status_names) / sizeof(status_names[0]))
static const char *kind_names[] = { "smtp", "maildir", "pipe", "mda" };

const char *
qstate_status_name(enum qstate_status s)
{
	return status_names[s];
}

const char *
qstate_kind_name(enum qstate_kind k)
{
	return kind_names[k];
}

void
qstate_init(struct qstate *q)
{
	memset(q, 0, sizeof(*q));
}

void
qstate_free(struct qstate *q)
{
	free(q->t);
	qstate_init(q);
}

struct qstate_target *
qstate_add(struct qstate *q, unsigned orig, enum qstate_kind kind,
    const char *addr)
{
	struct qstate_target *t;
	size_t	 len = strlen(addr);

	if (q->n == QSTATE_TARGETS_MAX || len >= QSTATE_ADDR_MAX)
		return NULL;
	if (q->n == q->cap) {
		size_t	 ncap = q->cap ? q->cap * 2 : 8;
		struct qstate_target *nt;

		if (ncap > QSTATE_TARGETS_MAX)
			ncap = QSTATE_TARGETS_MAX;
		if ((nt = reallocarray(q->t, ncap, sizeof(*nt))) == NULL)
			return NULL;
		q->t = nt;
		q->cap = ncap;
	}
	t = &q->t[q->n++];
	memset(t, 0, sizeof(*t));
	t->orig = orig;
	t->status = QS_QUEUED;
	t->kind = kind;
	memcpy(t->addr, addr, len + 1);
	t->from[0] = '-';
	return t;
}

size_t
qstate_pending(const struct qstate *q)
{
	size_t	 i, n = 0;

	for (i = 0; i < q->n; i++)
		if (q->t[i].status == QS_QUEUED)
			n++;
	return n;
}

int64_t
qstate_backoff(unsigned attempts)
{
	static const int64_t steps[] = { 60, 300, 900, 1800, 3600 };

	if (attempts == 0)
		return 0;
	if (attempts <= sizeof(steps) / sizeof(steps[0]))
		return steps[attempts - 1];
	return 7200;
}

/* One field, %XX-escaped; "-" for empty. */
static int
qstate_field(struct buf *b, const char *s)
{
	const unsigned char *p;
	int	 r = 0;

	if (*s == '\0')
		return buf_addc(b, '-');
	if (strcmp(s, "-") == 0)
		return buf_addstr(b, "%2D");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= ' ' || *p == '%' || *p == 0x7f)
			r |= buf_printf(b, "%%%02X", *p);
		else
			r |= buf_addc(b, (char)*p);
	}
	return r;
}

int
qstate_format(const struct qstate *q, struct buf *b)
{
	size_t	 i;
	int	 r = 0;

	r |= buf_printf(b, "%s\nattempts %u\nnext %lld\nwarned %d\n",
	    QSTATE_MAGIC, q->attempts, (long long)q->next, q->warned ? 1 : 0);
	for (i = 0; i < q->n; i++) {
		const struct qstate_target *t = &q->t[i];
		char	 num[32];

		r |= buf_printf(b, "t %u %s %s ", t->orig,
		    status_names[t->status], kind_names[t->kind]);
		r |= qstate_field(b, t->addr);
		r |= buf_addc(b, ' ');
		r |= t->from[0] == '-' && t->from[1] == '\0' ?
		    buf_addc(b, '-') : qstate_field(b, t->from[0] ? t->from :
		    "<>");
		(void)snprintf(num, sizeof(num), " %lld %u ",
		    (long long)t->time, t->code);
		r |= buf_addstr(b, num);
		r |= qstate_field(b, t->enh);
		r |= buf_addc(b, ' ');
		r |= qstate_field(b, t->host);
		r |= buf_addc(b, ' ');
		r |= qstate_field(b, t->text);
		r |= buf_addc(b, '\n');
	}
	return r ? -1 : 0;
}

/* Undo qstate_field into out[outsz]; false when malformed or too long. */
static bool
qstate_unescape(const char *s, size_t n, char *out, size_t outsz)
{
	size_t	 i, o = 0;

	if (n == 1 && s[0] == '-') {
		out[0] = '\0';
		return true;
	}
	for (i = 0; i < n; i++) {
		int	 c = (unsigned char)s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return false;
			hi = num_hexval((unsigned char)s[i + 1]);
			lo = num_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return false;
			c = hi * 16 + lo;
			i += 2;
		}
		if (o + 1 >= outsz)
			return false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return true;
}

/* Split the next space-separated field off *p (within end). */
static bool
qstate_next(const char **p, const char *end, const char **f, size_t *n)
{
	const char *s = *p, *sp;

	if (s >= end)
		return false;
	sp = memchr(s, ' ', (size_t)(end - s));
	*f = s;
	*n = sp ? (size_t)(sp - s) : (size_t)(end - s);
	*p = sp ? sp + 1 : end;
	return *n > 0;
}

static int
qstate_parse_target(const char *p, const char *end, struct qstate *q)
{
	struct qstate_target *t;
	const char *f[10];
	size_t	 n[10], i;
	uint64_t v;
	char	 addr[QSTATE_ADDR_MAX];
	enum qstate_kind kind;

	for (i = 0; i < 10; i++)
		if (!qstate_next(&p, end, &f[i], &n[i]))
			return -1;
	if (p != end)
		return -1;
	for (i = 0; i < 4; i++)
		if (n[2] == strlen(kind_names[i]) &&
		    memcmp(f[2], kind_names[i], n[2]) == 0)
			break;
	if (i == 4)
		return -1;
	kind = (enum qstate_kind)i;
	if (!qstate_unescape(f[3], n[3], addr, sizeof(addr)) ||
	    !num_parse(f[0], n[0], QSTATE_TARGETS_MAX, &v))
		return -1;
	if ((t = qstate_add(q, (unsigned)v, kind, addr)) == NULL)
		return -1;
	for (i = 0; i < NSTATUS; i++)
		if (n[1] == strlen(status_names[i]) &&
		    memcmp(f[1], status_names[i], n[1]) == 0)
			break;
	if (i == NSTATUS)
		return -1;
	t->status = (enum qstate_status)i;
	if (n[4] == 1 && f[4][0] == '-')
		memcpy(t->from, "-", 2);
	else if (!qstate_unescape(f[4], n[4], t->from, sizeof(t->from)))
		return -1;
	else if (strcmp(t->from, "<>") == 0)
		t->from[0] = '\0';
	if (!num_parse(f[5], n[5], INT64_MAX, &v))
		return -1;
	t->time = (int64_t)v;
	if (!num_parse(f[6], n[6], 999, &v))
		return -1;
	t->code = (unsigned)v;
	if (!qstate_unescape(f[7], n[7], t->enh, sizeof(t->enh)) ||
	    !qstate_unescape(f[8], n[8], t->host, sizeof(t->host)) ||
	    !qstate_unescape(f[9], n[9], t->text, sizeof(t->text)))
		return -1;
	return 0;
}

int
qstate_parse(const char *s, size_t len, struct qstate *q)
{
	const char *p = s, *end = s + len;
	bool	 first = true;

	qstate_init(q);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end, *sp;
		size_t	 klen;
		uint64_t v;

		if (first) {
			if ((size_t)(le - p) != strlen(QSTATE_MAGIC) ||
			    memcmp(p, QSTATE_MAGIC, (size_t)(le - p)) != 0)
				goto bad;
			first = false;
			p = nl ? nl + 1 : end;
			continue;
		}
		sp = memchr(p, ' ', (size_t)(le - p));
		klen = sp ? (size_t)(sp - p) : (size_t)(le - p);
		sp = sp ? sp + 1 : le;
		if (klen == 1 && p[0] == 't') {
			if (qstate_parse_target(sp, le, q) == -1)
				goto bad;
		} else if (klen == 8 && memcmp(p, "attempts", 8) == 0) {
			if (!num_parse(sp, (size_t)(le - sp), 1000000, &v))
				goto bad;
			q->attempts = (unsigned)v;
		} else if (klen == 4 && memcmp(p, "next", 4) == 0) {
			if (!num_parse(sp, (size_t)(le - sp), INT64_MAX, &v))
				goto bad;
			q->next = (int64_t)v;
		} else if (klen == 6 && memcmp(p, "warned", 6) == 0) {
			if (!num_parse(sp, (size_t)(le - sp), 1, &v))
				goto bad;
			q->warned = v == 1;
		}
		/* Unknown keys: a later version's; skipped. */
		p = nl ? nl + 1 : end;
	}
	if (first)
		goto bad;
	q->expanded = true;
	return 0;
bad:
	qstate_free(q);
	errno = EBADMSG;
	return -1;
}

int
qstate_read(int queuefd, const char *id, struct qstate *q)
{
	char	 name[64], *text = NULL;
	size_t	 len = 0, cap = 0;
	int	 fd, saved;

	(void)snprintf(name, sizeof(name), "%s.state", id);
	if ((fd = openat(queuefd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1) {
		if (errno != ENOENT)
			return -1;
		qstate_init(q);
		return 1;
	}
	for (;;) {
		ssize_t	 r;

		if (len + 4096 > cap) {
			char	*nt;

			if (cap >= QSTATE_FILE_MAX) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap ? cap * 2 : 16384;
			if ((nt = realloc(text, cap)) == NULL)
				goto fail;
			text = nt;
		}
		r = read(fd, text + len, cap - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	(void)close(fd);
	if (qstate_parse(text, len, q) == -1) {
		free(text);
		errno = EBADMSG;
		return -1;
	}
	free(text);
	return 0;
fail:
	saved = errno;
	free(text);
	(void)close(fd);
	errno = saved;
	return -1;
}

int
qstate_write(int queuefd, const char *id, const struct qstate *q,
    bool durable)
{
	struct buf b;
	char	 tmp[64], name[64];
	size_t	 off = 0;
	int	 fd, saved;

	(void)snprintf(tmp, sizeof(tmp), ".%s.state.tmp", id);
	(void)snprintf(name, sizeof(name), "%s.state", id);
	buf_init(&b, QSTATE_FILE_MAX);
	if (qstate_format(q, &b) == -1) {
		buf_free(&b);
		errno = EFBIG;
		return -1;
	}
	fd = openat(queuefd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		goto fail;
	if (geteuid() == 0) {	/* `tambo queue bounce` as root */
		struct stat st;

		if (fstat(queuefd, &st) == -1 || (st.st_uid != 0 &&
		    fchown(fd, st.st_uid, st.st_gid) == -1))
			goto fail_fd;
	}
	while (off < b.len) {
		ssize_t	 w = write(fd, b.data + off, b.len - off);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			goto fail_fd;
		off += (size_t)w;
	}
	if (durable && fsync(fd) == -1)
		goto fail_fd;
	if (close(fd) == -1) {
		fd = -1;
		goto fail_fd;
	}
	fd = -1;
	if (renameat(queuefd, tmp, queuefd, name) == -1)
		goto fail_fd;
	if (durable && fsync(queuefd) == -1)
		goto fail;
	buf_free(&b);
	return 0;
fail_fd:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	(void)unlinkat(queuefd, tmp, 0);
	errno = saved;
fail:
	saved = errno;
	buf_free(&b);
	errno = saved;
	return -1;
}
