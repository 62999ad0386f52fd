/*
 * fuzz_addrlist.c — RFC 5322 address lists (addrlist.h).
 *
 * The input is a header field body or a sendmail argument.  Every address
 * handed on is non-empty, at most ADDRLIST_ADDR_MAX octets, does not start
 * with white space, and holds no "<" or ">" outside quotes and brackets;
 * a callback that never stops never gets ADDRLIST_ESTOP; stopping after the
 * first address gives ESTOP exactly when there was one, and the same
 * first address.
 */
#include "fuzz.h"
#include "addrlist.h"
#include "poison.h"

struct fuzz_al {
	size_t	 count;
	size_t	 stop_at;	/* 0: never */
	char	 first[ADDRLIST_ADDR_MAX];
	size_t	 firstlen;
};

static void
fuzz_al_check(const char *s, size_t n)
{
	size_t	 i;
	char	 close = 0;

	FUZZ_CHECK(n > 0 && n <= ADDRLIST_ADDR_MAX);
	FUZZ_CHECK(s[0] != ' ' && s[0] != '\t' && s[0] != '\r' &&
	    s[0] != '\n');
	for (i = 0; i < n; i++) {
		if (close != 0) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == close)
				close = 0;
			continue;
		}
		if (s[i] == '"')
			close = '"';
		else if (s[i] == '[')
			close = ']';
		else
			FUZZ_CHECK(s[i] != '<' && s[i] != '>');
	}
}

static int
fuzz_al_fn(const char *s, size_t n, void *ctx)
{
	struct fuzz_al *x = ctx;

	fuzz_al_check(s, n);
	if (x->count++ == 0) {
		memcpy(x->first, s, n);
		x->firstlen = n;
	}
	return x->stop_at != 0 && x->count == x->stop_at;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct fuzz_al all, one;
	enum addrlist_result r, r1;

	memset(&all, 0, sizeof(all));
	r = addrlist_parse(s, size, fuzz_al_fn, &all);
	FUZZ_CHECK(r == ADDRLIST_OK || r == ADDRLIST_ESYNTAX);
	memset(&one, 0, sizeof(one));
	one.stop_at = 1;
	r1 = addrlist_parse(s, size, fuzz_al_fn, &one);
	if (all.count > 0) {
		FUZZ_CHECK(r1 == ADDRLIST_ESTOP && one.count == 1);
		FUZZ_CHECK(one.firstlen == all.firstlen &&
		    memcmp(one.first, all.first, all.firstlen) == 0);
	} else
		FUZZ_CHECK(r1 == r && one.count == 0);
	return 0;
}
