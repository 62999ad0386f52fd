/*
 * fuzz_aliastargets.c — the targets of an alias value (users_alias_next,
 * users.h), the one reading the delivery runner and `tambo alias` share.
 *
 * Whatever the bytes: the walk ends within n + 1 calls; every target lies
 * inside the value, is not empty (a command may be), has no blank at
 * either end and, unless it is a command, no comma; targets come in
 * order without overlapping; a command is the last and runs to the end of
 * the value but for trailing blanks.  Joining the targets again with ", "
 * (a command as "| command") and splitting that gives the same targets.
 */
#include "fuzz.h"
#include "users.h"
#include "poison.h"

#define TARGETS_MAX	4096

struct piece {
	enum users_target kind;
	size_t		 start, len;
};

static size_t
walk(const char *v, size_t n, struct piece *p, size_t max)
{
	size_t	 pos = 0, k = 0, calls = 0, prev_end = 0;
	enum users_target kind;

	while ((kind = users_alias_next(v, n, &pos, &p[k].start,
	    &p[k].len)) != USERS_TARGET_END) {
		FUZZ_CHECK(++calls <= n + 1);
		FUZZ_CHECK(k < max);
		p[k].kind = kind;
		FUZZ_CHECK(p[k].start >= prev_end && p[k].start <= n &&
		    p[k].len <= n - p[k].start);
		prev_end = p[k].start + p[k].len;
		if (p[k].len > 0) {
			FUZZ_CHECK(v[p[k].start] != ' ' &&
			    v[p[k].start] != '\t');
			FUZZ_CHECK(v[prev_end - 1] != ' ' &&
			    v[prev_end - 1] != '\t');
		}
		if (kind == USERS_TARGET_ADDRESS) {
			FUZZ_CHECK(p[k].len > 0);
			FUZZ_CHECK(memchr(v + p[k].start, ',', p[k].len) ==
			    NULL);
			FUZZ_CHECK(v[p[k].start] != '|');
		} else {
			FUZZ_CHECK(kind == USERS_TARGET_PIPE);
			FUZZ_CHECK(pos == n);
			for (size_t i = prev_end; i < n; i++)
				FUZZ_CHECK(v[i] == ' ' || v[i] == '\t');
		}
		k++;
	}
	FUZZ_CHECK(users_alias_next(v, n, &pos, &p[k < max ? k : 0].start,
	    &p[k < max ? k : 0].len) == USERS_TARGET_END);
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct piece a[TARGETS_MAX + 1], b[TARGETS_MAX + 1];
	static char joined[3 * TARGETS_MAX + 8192];
	const char *v = (const char *)data;
	size_t	 na, nb, i, o = 0;

	if (size > 2048)
		return 0;
	na = walk(v, size, a, TARGETS_MAX);
	for (i = 0; i < na; i++) {
		if (i > 0) {
			memcpy(joined + o, ", ", 2);
			o += 2;
		}
		if (a[i].kind == USERS_TARGET_PIPE) {
			memcpy(joined + o, "| ", 2);
			o += 2;
		}
		memcpy(joined + o, v + a[i].start, a[i].len);
		o += a[i].len;
	}
	nb = walk(joined, o, b, TARGETS_MAX);
	FUZZ_CHECK(nb == na);
	for (i = 0; i < na; i++) {
		FUZZ_CHECK(b[i].kind == a[i].kind && b[i].len == a[i].len);
		FUZZ_CHECK(memcmp(joined + b[i].start, v + a[i].start,
		    a[i].len) == 0);
	}
	return 0;
}
