/*
 * authcache.c — recent successful logins, in memory only (see
 * authcache.h).
 *
 * What is kept cannot be turned back into a password without the key,
 * and the key never leaves the process: a copy of the cache alone is no
 * offline oracle.  Entries are compared in constant time so that how long
 * a lookup takes does not depend on how much of a stored MAC matched.
 * The ring is scanned whole on each lookup: at AUTHCACHE_MAX entries that
 * is a few hundred microseconds, against tens of milliseconds for one
 * yescrypt check.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "authcache.h"
#include "poison.h"

int
authcache_init(struct authcache *c, const unsigned char *key, size_t cap,
    int64_t ttl)
{
	memset(c, 0, sizeof(*c));
	if (cap == 0) {
		errno = EINVAL;
		return -1;
	}
	if ((c->e = calloc(cap, sizeof(*c->e))) == NULL)
		return -1;
	memcpy(c->key, key, sizeof(c->key));
	c->cap = cap;
	c->ttl = ttl;
	return 0;
}

void
authcache_free(struct authcache *c)
{
	if (c->e != NULL) {
		explicit_bzero(c->e, c->cap * sizeof(*c->e));
		free(c->e);
	}
	explicit_bzero(c, sizeof(*c));
}

void
authcache_file_of(const struct stat *st, struct authcache_file *f)
{
	memset(f, 0, sizeof(*f));
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = st->st_size;
	f->mtime = st->st_mtim;
	f->ctime = st->st_ctim;
}

static bool
authcache_same_file(const struct authcache_file *a,
    const struct authcache_file *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime.tv_sec == b->mtime.tv_sec &&
	    a->mtime.tv_nsec == b->mtime.tv_nsec &&
	    a->ctime.tv_sec == b->ctime.tv_sec &&
	    a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static bool
authcache_equal(const unsigned char *a, const unsigned char *b)
{
	unsigned char d = 0;
	size_t	 i;

	for (i = 0; i < SHA256_DIGEST_LEN; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void
authcache_mac(const struct authcache *c, const char *user, const char *pass,
    unsigned char *mac)
{
	struct sha256_hmac h;

	sha256_hmac_init(&h, c->key, sizeof(c->key));
	sha256_hmac_update(&h, user, strlen(user) + 1);	/* with its NUL */
	sha256_hmac_update(&h, pass, strlen(pass));
	sha256_hmac_final(&h, mac);
}

static bool
authcache_expired(const struct authcache *c, const struct authcache_entry *e,
    int64_t now)
{
	return now < e->when || now - e->when >= c->ttl;
}

static void
authcache_forget(struct authcache_entry *e)
{
	explicit_bzero(e, sizeof(*e));
}

/* Drop forgotten and expired entries from the front of the ring. */
static void
authcache_trim(struct authcache *c, int64_t now)
{
	struct authcache_entry *e;

	while (c->used > 0) {
		e = &c->e[c->head];
		if (e->live && !authcache_expired(c, e, now))
			break;
		authcache_forget(e);
		c->head = (c->head + 1) % c->cap;
		c->used--;
	}
}

/* The live entry with this MAC, or NULL. */
static struct authcache_entry *
authcache_find(struct authcache *c, const unsigned char *mac)
{
	struct authcache_entry *e, *found = NULL;
	size_t	 i;

	for (i = 0; i < c->used; i++) {
		e = &c->e[(c->head + i) % c->cap];
		if (e->live && authcache_equal(e->mac, mac))
			found = e;
	}
	return found;
}

bool
authcache_lookup(struct authcache *c, const char *user, const char *pass,
    const struct authcache_file *f, int64_t now)
{
	unsigned char mac[SHA256_DIGEST_LEN];
	struct authcache_entry *e;
	bool	 hit = false;

	authcache_trim(c, now);
	authcache_mac(c, user, pass, mac);
	if ((e = authcache_find(c, mac)) != NULL) {
		if (authcache_same_file(&e->file, f) &&
		    !authcache_expired(c, e, now))
			hit = true;
		else
			authcache_forget(e);
	}
	explicit_bzero(mac, sizeof(mac));
	return hit;
}

void
authcache_insert(struct authcache *c, const char *user, const char *pass,
    const struct authcache_file *f, int64_t now)
{
	unsigned char mac[SHA256_DIGEST_LEN];
	struct authcache_entry *e;

	authcache_trim(c, now);
	authcache_mac(c, user, pass, mac);
	if ((e = authcache_find(c, mac)) != NULL)
		authcache_forget(e);
	if (c->used == c->cap) {
		authcache_forget(&c->e[c->head]);
		c->head = (c->head + 1) % c->cap;
		c->used--;
	}
	e = &c->e[(c->head + c->used) % c->cap];
	memcpy(e->mac, mac, sizeof(e->mac));
	e->file = *f;
	e->when = now;
	e->live = true;
	c->used++;
	explicit_bzero(mac, sizeof(mac));
}

size_t
authcache_count(const struct authcache *c)
{
	size_t	 i, n = 0;

	for (i = 0; i < c->used; i++)
		if (c->e[(c->head + i) % c->cap].live)
			n++;
	return n;
}
