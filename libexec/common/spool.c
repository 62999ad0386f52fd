/*
 * spool.c — durable queue files (see spool.h and tambo-spool(5)).
 *
 * The file is written in tmp/ with O_EXCL and O_NOFOLLOW, fsynced,
 * renamed into queue/, and queue/ is fsynced: only then is the message
 * ours (qmail's and dma's discipline).  The envelope is text, one
 * "key value" line each, so a person can read it and later versions can add
 * keys that older readers skip.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "num.h"
#include "spool.h"
#include "poison.h"

#define SPOOL_MAGIC "tambo-queue 1"

int
spool_open(struct spool *sp, const char *dir)
{
	int	saved;

	sp->tmpfd = sp->queuefd = sp->newfd = -1;
	if ((size_t)snprintf(sp->dir, sizeof(sp->dir), "%s", dir) >=
	    sizeof(sp->dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd == -1)
		return -1;
	sp->tmpfd = openat(sp->dirfd, "tmp",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	sp->queuefd = openat(sp->dirfd, "queue",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sp->tmpfd == -1 || sp->queuefd == -1) {
		saved = errno;
		spool_close(sp);
		errno = saved;
		return -1;
	}
	/* optional: without it new mail waits for the timer */
	sp->newfd = openat(sp->dirfd, "new",
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return 0;
}

void
spool_close(struct spool *sp)
{
	if (sp->tmpfd != -1)
		(void)close(sp->tmpfd);
	if (sp->queuefd != -1)
		(void)close(sp->queuefd);
	if (sp->newfd != -1)
		(void)close(sp->newfd);
	if (sp->dirfd != -1)
		(void)close(sp->dirfd);
	sp->dirfd = sp->tmpfd = sp->queuefd = sp->newfd = -1;
}

int
spool_new_clear(struct spool *sp)
{
	struct dirent *e;
	DIR	*d;
	int	 fd, n = 0, err = 0;

	if (sp->newfd == -1)
		return 0;
	if ((fd = dup(sp->newfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		err = errno;
		(void)close(fd);
		errno = err;
		return -1;
	}
	rewinddir(d);
	while ((e = readdir(d)) != NULL) {
		if (!spool_id_valid(e->d_name))
			continue;
		if (unlinkat(sp->newfd, e->d_name, 0) == 0)
			n++;
		else if (errno != ENOENT)
			err = errno;
	}
	(void)closedir(d);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return n;
}

void
spool_new_id(char id[SPOOL_ID_LEN + 1])
{
	struct timeval tv;
	unsigned char rnd[3] = { 0, 0, 0 };
	unsigned long long usec;

	(void)gettimeofday(&tv, NULL);
	usec = (unsigned long long)tv.tv_sec * 1000000ULL +
	    (unsigned long long)tv.tv_usec;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		/* Uniqueness still holds through O_EXCL and retries. */
		rnd[0] = (unsigned char)getpid();
		rnd[1] = (unsigned char)(getpid() >> 8);
	}
	(void)snprintf(id, SPOOL_ID_LEN + 1, "%013llX%05X",
	    usec & 0xFFFFFFFFFFFFFULL,
	    ((unsigned)rnd[0] << 12 | (unsigned)rnd[1] << 4 |
	    (unsigned)(rnd[2] & 0x0f)) & 0xFFFFF);
}

bool
spool_id_valid(const char *name)
{
	size_t i;

	for (i = 0; i < SPOOL_ID_LEN; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'A' && name[i] <= 'F')))
			return false;
	return name[SPOOL_ID_LEN] == '\0';
}

bool
spool_errno_full(int e)
{
	return e == ENOSPC || e == EDQUOT || e == EFBIG;
}

static const char *
spool_notify_str(unsigned n, char *out, size_t outsz)
{
	size_t	 o = 0;
	static const struct { unsigned bit; const char *name; } names[] = {
		{ SMTP_NOTIFY_NEVER, "NEVER" },
		{ SMTP_NOTIFY_SUCCESS, "SUCCESS" },
		{ SMTP_NOTIFY_FAILURE, "FAILURE" },
		{ SMTP_NOTIFY_DELAY, "DELAY" },
	};

	out[0] = '\0';
	if (n == 0)
		return "-";
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(n & names[i].bit))
			continue;
		o += (size_t)snprintf(out + o, outsz - o, "%s%s",
		    o ? "," : "", names[i].name);
		if (o >= outsz)
			break;
	}
	return out;
}

int
spool_envelope_format(const struct spool_envelope *e, struct buf *b)
{
	static const char *bodies[] = { "-", "7BIT", "8BITMIME" };
	static const char *rets[] = { "-", "FULL", "HDRS" };
	int	 r = 0;
	size_t	 i;

	r |= buf_printf(b, "%s\n", SPOOL_MAGIC);
	r |= buf_printf(b, "id %s\n", e->id);
	r |= buf_printf(b, "arrival %lld\n", (long long)e->arrival);
	r |= buf_printf(b, "client %s\n", e->client);
	if (e->helo[0] != '\0')
		r |= buf_printf(b, "helo %s\n", e->helo);
	r |= buf_printf(b, "protocol %s\n", e->protocol);
	if (e->auth[0] != '\0')
		r |= buf_printf(b, "auth %s\n", e->auth);
	r |= buf_printf(b, "from <%s>\n", e->from);
	r |= buf_printf(b, "body %s\n", bodies[e->body]);
	r |= buf_printf(b, "ret %s\n", rets[e->ret]);
	r |= buf_printf(b, "smtputf8 %s\n", e->smtputf8 ? "yes" : "no");
	if (e->envid[0] != '\0')
		r |= buf_printf(b, "envid %s\n", e->envid);
	for (i = 0; i < e->nrcpt; i++) {
		const struct spool_rcpt *rc = &e->rcpt[i];
		char	 nb[64];

		r |= buf_printf(b, "rcpt notify=%s orcpt=%s <%s>\n",
		    spool_notify_str(rc->notify, nb, sizeof(nb)),
		    rc->orcpt[0] ? rc->orcpt : "-", rc->addr);
	}
	return r ? -1 : 0;
}

int
spool_begin(struct spool *sp, struct spool_envelope *env, struct spool_tx *tx)
{
	struct buf hdr;
	int	 tries, saved;

	tx->sp = sp;
	tx->fd = -1;
	tx->err = 0;
	tx->size = 0;
	tx->blen = 0;
	for (tries = 0; tries < 10; tries++) {
		spool_new_id(env->id);
		tx->fd = openat(sp->tmpfd, env->id,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (tx->fd != -1 || errno != EEXIST)
			break;
	}
	if (tx->fd == -1)
		return -1;
	memcpy(tx->id, env->id, sizeof(tx->id));
	/* Root (an operator's enqueue or sendmail) writes files the
	 * spool's owner, who runs the delivery, can read. */
	if (geteuid() == 0) {
		struct stat st;

		if (fstat(sp->dirfd, &st) == -1 || (st.st_uid != 0 &&
		    fchown(tx->fd, st.st_uid, st.st_gid) == -1)) {
			saved = errno;
			spool_abort(tx);
			errno = saved;
			return -1;
		}
	}
	buf_init(&hdr, SPOOL_ENVELOPE_MAX);
	if (spool_envelope_format(env, &hdr) == -1 ||
	    buf_addc(&hdr, '\n') == -1) {
		saved = errno;
		buf_free(&hdr);
		spool_abort(tx);
		errno = saved;
		return -1;
	}
	spool_write(tx, hdr.data, hdr.len);
	tx->size = 0;	/* the envelope does not count */
	buf_free(&hdr);
	if (tx->err != 0) {
		saved = tx->err;
		spool_abort(tx);
		errno = saved;
		return -1;
	}
	return 0;
}

static void
spool_drain(struct spool_tx *tx)
{
	size_t	off = 0;

	while (off < tx->blen && tx->err == 0) {
		ssize_t	n = write(tx->fd, tx->obuf + off, tx->blen - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			tx->err = n == 0 ? EIO : errno;
			break;
		}
		off += (size_t)n;
	}
	tx->blen = 0;
}

void
spool_write(struct spool_tx *tx, const void *p, size_t n)
{
	const char *s = p;

	tx->size += n;
	if (tx->err != 0)
		return;
	while (n > 0) {
		size_t	take = sizeof(tx->obuf) - tx->blen;

		if (take == 0) {
			spool_drain(tx);
			if (tx->err != 0)
				return;
			continue;
		}
		if (take > n)
			take = n;
		memcpy(tx->obuf + tx->blen, s, take);
		tx->blen += take;
		s += take;
		n -= take;
	}
}

int
spool_commit(struct spool_tx *tx)
{
	int	 saved;

	spool_drain(tx);
	if (tx->err == 0 && fsync(tx->fd) == -1)
		tx->err = errno;
	if (tx->err == 0 && close(tx->fd) == -1)
		tx->err = errno;
	else if (tx->err != 0)
		(void)close(tx->fd);
	tx->fd = -1;
	if (tx->err == 0 && renameat(tx->sp->tmpfd, tx->id, tx->sp->queuefd,
	    tx->id) == -1)
		tx->err = errno;
	if (tx->err == 0 && fsync(tx->sp->queuefd) == -1) {
		/*
		 * The rename happened but may not be durable: say no, so the
		 * client retries; a duplicate beats a loss.
		 */
		tx->err = errno;
		return -1;
	}
	if (tx->err != 0) {
		saved = tx->err;
		(void)unlinkat(tx->sp->tmpfd, tx->id, 0);
		errno = saved;
		return -1;
	}
	/* the new-mail mark, for tambo-deliver.path; best effort */
	if (tx->sp->newfd != -1 && (saved = openat(tx->sp->newfd, tx->id,
	    O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) != -1)
		(void)close(saved);
	return 0;
}

void
spool_abort(struct spool_tx *tx)
{
	if (tx->fd != -1) {
		(void)close(tx->fd);
		tx->fd = -1;
	}
	(void)unlinkat(tx->sp->tmpfd, tx->id, 0);
}

/* --- reading ------------------------------------------------------------ */

/* "-" (none given) or what RCPT's NOTIFY= accepts. */
static int
spool_notify_parse(const char *s, size_t n, unsigned *out)
{
	*out = 0;
	if (n == 1 && s[0] == '-')
		return 0;
	return smtpcmd_notify(s, n, out) == SMTPCMD_OK ? 0 : -1;
}

/* Copy value v[0..n) into dst[dstsz] if it fits. */
static int
spool_copy(char *dst, size_t dstsz, const char *v, size_t n)
{
	if (n >= dstsz || memchr(v, '\0', n) != NULL)
		return -1;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* "<addr>" -> addr */
static int
spool_bracketed(char *dst, size_t dstsz, const char *v, size_t n)
{
	if (n < 2 || v[0] != '<' || v[n - 1] != '>')
		return -1;
	return spool_copy(dst, dstsz, v + 1, n - 2);
}

static int
spool_rcpt_parse(const char *v, size_t n, struct spool_rcpt *rc)
{
	size_t	 i = 0;

	memset(rc, 0, sizeof(*rc));
	/* key=value tokens, then the <address> taking the rest */
	while (i < n && v[i] != '<') {
		size_t	 start = i, eq;

		while (i < n && v[i] != ' ')
			i++;
		for (eq = start; eq < i && v[eq] != '='; eq++)
			;
		if (eq == i)
			return -1;
		if (eq - start == 6 && memcmp(v + start, "notify", 6) == 0) {
			if (spool_notify_parse(v + eq + 1, i - eq - 1,
			    &rc->notify) == -1)
				return -1;
		} else if (eq - start == 5 &&
		    memcmp(v + start, "orcpt", 5) == 0) {
			if (!(i - eq - 1 == 1 && v[eq + 1] == '-') &&
			    spool_copy(rc->orcpt, sizeof(rc->orcpt),
			    v + eq + 1, i - eq - 1) == -1)
				return -1;
		}	/* unknown keys: skipped */
		while (i < n && v[i] == ' ')
			i++;
	}
	return spool_bracketed(rc->addr, sizeof(rc->addr), v + i, n - i);
}

int
spool_envelope_parse(const char *p, size_t n, struct spool_envelope *e)
{
	size_t	 pos = 0, cap = 0;
	bool	 first = true;
	uint64_t v;

	memset(e, 0, sizeof(*e));
	while (pos < n) {
		const char *line = p + pos, *nl, *sp, *val;
		size_t	 len, klen, vlen;

		nl = memchr(line, '\n', n - pos);
		if (nl == NULL)
			goto bad;	/* no empty line before the message */
		len = (size_t)(nl - line);
		pos += len + 1;
		if (len == 0) {
			if (first || e->id[0] == '\0')
				goto bad;
			e->header_len = pos;
			return 0;
		}
		if (first) {
			if (len != strlen(SPOOL_MAGIC) ||
			    memcmp(line, SPOOL_MAGIC, len) != 0)
				goto bad;
			first = false;
			continue;
		}
		sp = memchr(line, ' ', len);
		klen = sp ? (size_t)(sp - line) : len;
		val = sp ? sp + 1 : line + len;
		vlen = sp ? len - klen - 1 : 0;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
		if (KEY("id")) {
			if (spool_copy(e->id, sizeof(e->id), val, vlen) == -1 ||
			    !spool_id_valid(e->id))
				goto bad;
		} else if (KEY("arrival")) {
			if (!num_parse(val, vlen, INT64_MAX, &v))
				goto bad;
			e->arrival = (int64_t)v;
		} else if (KEY("client")) {
			if (spool_copy(e->client, sizeof(e->client), val,
			    vlen) == -1)
				goto bad;
		} else if (KEY("helo")) {
			if (spool_copy(e->helo, sizeof(e->helo), val,
			    vlen) == -1)
				goto bad;
		} else if (KEY("protocol")) {
			if (spool_copy(e->protocol, sizeof(e->protocol), val,
			    vlen) == -1)
				goto bad;
		} else if (KEY("auth")) {
			if (spool_copy(e->auth, sizeof(e->auth), val,
			    vlen) == -1)
				goto bad;
		} else if (KEY("from")) {
			if (spool_bracketed(e->from, sizeof(e->from), val,
			    vlen) == -1)
				goto bad;
		} else if (KEY("body")) {
			e->body = vlen == 8 && memcmp(val, "8BITMIME", 8) == 0 ?
			    SMTP_BODY_8BITMIME : vlen == 4 &&
			    memcmp(val, "7BIT", 4) == 0 ? SMTP_BODY_7BIT :
			    SMTP_BODY_NONE;
		} else if (KEY("ret")) {
			e->ret = vlen == 4 && memcmp(val, "FULL", 4) == 0 ?
			    SMTP_RET_FULL : vlen == 4 &&
			    memcmp(val, "HDRS", 4) == 0 ? SMTP_RET_HDRS :
			    SMTP_RET_NONE;
		} else if (KEY("smtputf8")) {
			e->smtputf8 = vlen == 3 && memcmp(val, "yes", 3) == 0;
		} else if (KEY("envid")) {
			if (spool_copy(e->envid, sizeof(e->envid), val,
			    vlen) == -1)
				goto bad;
		} else if (KEY("rcpt")) {
			if (e->nrcpt >= SPOOL_RCPT_MAX)
				goto bad;
			if (e->nrcpt == cap) {
				struct spool_rcpt *nr;

				cap = cap ? cap * 2 : 4;
				nr = reallocarray(e->rcpt, cap, sizeof(*nr));
				if (nr == NULL)
					goto bad;
				e->rcpt = nr;
			}
			if (spool_rcpt_parse(val, vlen,
			    &e->rcpt[e->nrcpt]) == -1)
				goto bad;
			e->nrcpt++;
		}	/* unknown keys: a later version's; skipped */
#undef KEY
	}
bad:
	spool_envelope_free(e);
	return -1;
}

void
spool_envelope_free(struct spool_envelope *e)
{
	free(e->rcpt);
	e->rcpt = NULL;
	e->nrcpt = 0;
}

int
spool_read(struct spool *sp, const char *id, struct spool_envelope *e,
    uint64_t *msgsize)
{
	struct stat st;
	char	*p;
	size_t	 want, got = 0;
	int	 fd, saved;

	if (!spool_id_valid(id)) {
		errno = EINVAL;
		return -1;
	}
	fd = openat(sp->queuefd, id, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	want = (size_t)st.st_size < SPOOL_ENVELOPE_MAX ?
	    (size_t)st.st_size : SPOOL_ENVELOPE_MAX;
	if ((p = malloc(want + 1)) == NULL) {
		(void)close(fd);
		errno = ENOMEM;
		return -1;
	}
	while (got < want) {
		ssize_t	n = read(fd, p + got, want - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	(void)close(fd);
	if (spool_envelope_parse(p, got, e) == -1) {
		free(p);
		errno = EBADMSG;
		return -1;
	}
	free(p);
	*msgsize = (uint64_t)st.st_size - e->header_len;
	return 0;
}

int
spool_become_owner(const char *dir)
{
	struct stat st;
	struct group *g;
	gid_t	 groups[2];
	size_t	 ng = 0;

	if (geteuid() != 0)
		return 0;
	if (stat(dir, &st) == -1)
		return -1;
	if (st.st_uid == 0)
		return 0;
	groups[ng++] = st.st_gid;
	if ((g = getgrnam("tambo-dkim")) != NULL)
		groups[ng++] = g->gr_gid;
	if (setgroups(ng, groups) == -1 || setgid(st.st_gid) == -1 ||
	    setuid(st.st_uid) == -1)
		return -1;
	return 0;
}
