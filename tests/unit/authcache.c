/*
 * authcache.c — the password checker's memory of successful logins
 * (authcache.h), with the time as a parameter: hits for the same user,
 * password and users file only; expiry; any change of the file's identity
 * forgets; the oldest entry goes when full; another key, another cache.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authcache.h"
#include "tap.h"

static const unsigned char key1[AUTHCACHE_KEY_LEN] = "0123456789abcdef0123456789abcde";
static const unsigned char key2[AUTHCACHE_KEY_LEN] = "another key, another cache....";

static struct authcache_file
file_v(unsigned v)
{
	struct authcache_file f;

	memset(&f, 0, sizeof(f));
	f.dev = 8;
	f.ino = 1234;
	f.size = 100;
	f.mtime.tv_sec = 1700000000;
	f.mtime.tv_nsec = (long)v;
	f.ctime = f.mtime;
	return f;
}

static void
test_basics(void)
{
	struct authcache c;
	struct authcache_file f = file_v(1), g;
	int64_t	 t = 1000;

	ok(authcache_init(&c, key1, 16, AUTHCACHE_TTL) == 0, "init");
	ok(!authcache_lookup(&c, "u@example.test", "pw", &f, t),
	    "empty: no hit");
	authcache_insert(&c, "u@example.test", "pw", &f, t);
	is_int(authcache_count(&c), 1, "one entry");
	ok(authcache_lookup(&c, "u@example.test", "pw", &f, t + 1),
	    "same user, password and file: hit");
	ok(!authcache_lookup(&c, "u@example.test", "pW", &f, t + 1),
	    "another password: no hit");
	ok(!authcache_lookup(&c, "u@example.test", "pw ", &f, t + 1),
	    "a password one octet longer: no hit");
	ok(!authcache_lookup(&c, "v@example.test", "pw", &f, t + 1),
	    "another user: no hit");
	/* "u" + NUL + "xpw" is not "ux" + NUL + "pw" */
	authcache_insert(&c, "ux", "pw", &f, t);
	ok(!authcache_lookup(&c, "u", "xpw", &f, t + 1),
	    "the user's end is marked: no hit across the boundary");
	ok(authcache_lookup(&c, "u@example.test", "pw",
	    &f, t + AUTHCACHE_TTL - 1), "hit until the time to live");
	ok(!authcache_lookup(&c, "u@example.test", "pw",
	    &f, t + AUTHCACHE_TTL), "expired at the time to live");
	is_int(authcache_count(&c), 0, "expired entries are gone");

	/* any change of the users file forgets */
	authcache_insert(&c, "u@example.test", "pw", &f, t);
	g = f;
	g.mtime.tv_nsec++;
	ok(!authcache_lookup(&c, "u@example.test", "pw", &g, t + 1),
	    "file modified within the same second: no hit");
	ok(!authcache_lookup(&c, "u@example.test", "pw", &f, t + 2),
	    "and the entry is forgotten, even for the old version");
	authcache_insert(&c, "u@example.test", "pw", &f, t);
	g = f;
	g.ino++;
	ok(!authcache_lookup(&c, "u@example.test", "pw", &g, t + 1),
	    "file replaced (another inode): no hit");
	authcache_insert(&c, "u@example.test", "pw", &f, t);
	g = f;
	g.size++;
	ok(!authcache_lookup(&c, "u@example.test", "pw", &g, t + 1),
	    "another size: no hit");
	authcache_insert(&c, "u@example.test", "pw", &f, t);
	g = f;
	g.ctime.tv_sec++;
	ok(!authcache_lookup(&c, "u@example.test", "pw", &g, t + 1),
	    "another change time (chmod, link): no hit");
	authcache_insert(&c, "u@example.test", "pw", &f, t);
	g = f;
	g.dev++;
	ok(!authcache_lookup(&c, "u@example.test", "pw", &g, t + 1),
	    "another device: no hit");

	/* an entry from the future (a clock gone back) is no hit */
	authcache_insert(&c, "w@example.test", "pw", &f, t + 100);
	ok(!authcache_lookup(&c, "w@example.test", "pw", &f, t + 50),
	    "an entry from the future: no hit");

	/* inserting again replaces */
	authcache_insert(&c, "r@example.test", "pw", &f, t + 200);
	authcache_insert(&c, "r@example.test", "pw", &f, t + 300);
	is_int(authcache_count(&c), 1,
	    "the same login inserted twice is one entry");
	ok(authcache_lookup(&c, "r@example.test", "pw", &f,
	    t + 200 + AUTHCACHE_TTL + 1), "and it lives from the later time");
	authcache_free(&c);
	ok(c.e == NULL && c.key[0] == 0, "free wipes the key");
}

static void
test_full(void)
{
	struct authcache c;
	struct authcache_file f = file_v(1);
	char	 user[32];
	unsigned i, hits = 0;

	ok(authcache_init(&c, key1, 100, AUTHCACHE_TTL) == 0, "init 100");
	for (i = 0; i < 150; i++) {
		(void)snprintf(user, sizeof(user), "u%u@example.test", i);
		authcache_insert(&c, user, "pw", &f, 1000 + i);
	}
	is_int(authcache_count(&c), 100, "full at its capacity");
	for (i = 0; i < 150; i++) {
		(void)snprintf(user, sizeof(user), "u%u@example.test", i);
		if (authcache_lookup(&c, user, "pw", &f, 1200))
			hits += i >= 50 ? 1 : 1000;
	}
	is_int(hits, 100, "the 50 oldest went, the 100 newest stay");
	/* expiry from the front frees room in order */
	ok(!authcache_lookup(&c, "u60@example.test", "pw", &f,
	    1060 + AUTHCACHE_TTL), "u60 expires at its time");
	ok(authcache_lookup(&c, "u61@example.test", "pw", &f,
	    1060 + AUTHCACHE_TTL), "u61 a second later");
	is_int(authcache_count(&c), 89, "the expired ones left the ring");
	authcache_free(&c);

	ok(authcache_init(&c, key1, 0, AUTHCACHE_TTL) == -1,
	    "a cache of no entries is refused");
}

static void
test_keys(void)
{
	struct authcache a, b;
	struct authcache_file f = file_v(2);

	ok(authcache_init(&a, key1, 4, AUTHCACHE_TTL) == 0 &&
	    authcache_init(&b, key2, 4, AUTHCACHE_TTL) == 0, "two caches");
	authcache_insert(&a, "u@example.test", "a-password", &f, 10);
	authcache_insert(&b, "u@example.test", "a-password", &f, 10);
	ok(memcmp(a.e[0].mac, b.e[0].mac, sizeof(a.e[0].mac)) != 0,
	    "another key, another MAC for the same login");
	ok(memmem(a.e, 4 * sizeof(*a.e), "a-password", 10) == NULL &&
	    memmem(a.e, 4 * sizeof(*a.e), "u@example", 9) == NULL,
	    "neither password nor user is in the cache");
	authcache_free(&a);
	authcache_free(&b);
}

int
main(void)
{
	test_basics();
	test_full();
	test_keys();
	return done_testing();
}
