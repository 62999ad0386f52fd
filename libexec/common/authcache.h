/*
 * authcache.h — the password checker's memory of recent successful logins
 * (tambo-authd(8)).  I/O-free; the time is a parameter.
 *
 * An entry is HMAC-SHA256(key, user NUL password) under a key that lives
 * only in the process (the caller makes it random), the identity of the
 * users file the password was checked against, and when it was checked.
 * A lookup succeeds only for the same user and password, the same users
 * file (device, inode, size, modification and change times: any edit or
 * replacement of the file forgets its entries) and an entry younger than
 * the time to live.  Failures are never stored: the caller inserts only
 * after a password verified against its hash.
 *
 * Entries are kept in the order they were made, so the oldest is dropped
 * when the cache is full and the expired ones leave from the front.  The
 * time must not go backwards between calls (a monotonic clock); an entry
 * from the future counts as expired.
 */
#ifndef TAMBO_AUTHCACHE_H
#define TAMBO_AUTHCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "sha256.h"

#define AUTHCACHE_TTL		600	/* seconds an entry is believed */
#define AUTHCACHE_MAX		10000	/* entries; then the oldest goes */
#define AUTHCACHE_KEY_LEN	32

/* What tells one version of a users file from another. */
struct authcache_file {
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
	struct timespec	 ctime;
};

struct authcache_entry {
	unsigned char	 mac[SHA256_DIGEST_LEN];
	struct authcache_file file;
	int64_t		 when;		/* the caller's clock, seconds */
	bool		 live;		/* false: forgotten, slot not reused yet */
};

struct authcache {
	unsigned char	 key[AUTHCACHE_KEY_LEN];
	struct authcache_entry *e;	/* a ring of cap slots */
	size_t		 cap, head, used;	/* used: slots from head on */
	int64_t		 ttl;
};

/*
 * Set up an empty cache of cap entries (1 or more) whose entries live ttl
 * seconds, keyed with key (AUTHCACHE_KEY_LEN octets, copied).  0, or -1
 * (errno ENOMEM, or EINVAL for cap 0).
 */
int	authcache_init(struct authcache *, const unsigned char *key,
	    size_t cap, int64_t ttl);

/* Wipe the key and every entry and free the memory. */
void	authcache_free(struct authcache *);

/* The identity of a users file from its stat(2). */
void	authcache_file_of(const struct stat *, struct authcache_file *);

/*
 * Was this password checked right for this user against this version of
 * the users file less than ttl seconds before now?  An entry for the
 * user and password that no longer holds (another file version, expired)
 * is forgotten.
 */
bool	authcache_lookup(struct authcache *, const char *user,
	    const char *pass, const struct authcache_file *, int64_t now);

/*
 * Remember that the password was checked right against that file at now,
 * replacing an older entry for the same user and password; the oldest
 * entry goes when the cache is full.
 */
void	authcache_insert(struct authcache *, const char *user,
	    const char *pass, const struct authcache_file *, int64_t now);

/* How many entries are live (for logs and tests). */
size_t	authcache_count(const struct authcache *);

#endif
