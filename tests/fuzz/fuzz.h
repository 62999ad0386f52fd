/*
 * fuzz.h — what the fuzz targets share.
 *
 * Each tests/fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput, the libFuzzer
 * entry point.  It is linked either with libFuzzer (clang -fsanitize=fuzzer,
 * tests/fuzz/run-libfuzzer.sh) or with replay.c, a plain main() that runs
 * it over files, so `make check` replays the corpora with gcc too.
 *
 * A target calls only I/O-free library functions and checks what they
 * promise in their headers; a broken promise is a bug, reported with
 * FUZZ_CHECK (file:line, then abort, which both drivers treat as a crash).
 */
#ifndef TAMBO_FUZZ_H
#define TAMBO_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond) do {						\
	if (!(cond))							\
		fuzz_fail(__FILE__, __LINE__, #cond);			\
} while (0)

static inline _Noreturn void
fuzz_fail(const char *file, int line, const char *what)
{
	(void)fprintf(stderr, "%s:%d: broken invariant: %s\n", file, line,
	    what);
	abort();
}

/*
 * Bugs already reported and not yet fixed have their checks relaxed, so
 * that fuzzing looks for new bugs rather than finding these again; each
 * relaxation names its bug, and its inputs are kept in
 * tests/fuzz/crashes/TARGET/.  With TAMBO_FUZZ_STRICT set in the
 * environment nothing is relaxed: fuzz.t replays the crashes that way, as
 * TODO tests.  The fix of a bug removes its relaxation.
 */
static inline bool
fuzz_strict(void)
{
	static int strict = -1;

	if (strict == -1)
		strict = getenv("TAMBO_FUZZ_STRICT") != NULL;
	return strict;
}

/* True when s[] holds a NUL within its sz bytes (a C string that fits). */
static inline bool
fuzz_cstr_in(const char *s, size_t sz)
{
	return memchr(s, '\0', sz) != NULL;
}

static inline bool
fuzz_has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/*
 * The promises of a struct addr that addr_parse_path or addr_parse_mailbox
 * (called with opts) returned ADDR_OK for (addr.h).
 */
static inline void
fuzz_check_addr(const struct addr *a, unsigned opts)
{
	size_t	 mlen, llen, dlen;

	FUZZ_CHECK(fuzz_cstr_in(a->mailbox, sizeof(a->mailbox)));
	FUZZ_CHECK(fuzz_cstr_in(a->local, sizeof(a->local)));
	FUZZ_CHECK(fuzz_cstr_in(a->domain, sizeof(a->domain)));
	mlen = strlen(a->mailbox);
	llen = strlen(a->local);
	dlen = strlen(a->domain);
	/* A path with its <> must fit in ADDR_PATH_MAX (RFC 5321 4.5.3.1.3). */
	FUZZ_CHECK(mlen + 2 <= ADDR_PATH_MAX);
	FUZZ_CHECK(llen <= ADDR_LOCAL_MAX);
	FUZZ_CHECK(dlen <= ADDR_DOMAIN_MAX);

	if (a->flags & ADDR_NULL) {
		FUZZ_CHECK(opts & ADDR_OPT_NULL);
		FUZZ_CHECK(a->flags == ADDR_NULL);
		FUZZ_CHECK(mlen == 0 && llen == 0 && dlen == 0);
		return;
	}
	/* Only a quoted local part may be empty: ""@example.org. */
	FUZZ_CHECK(mlen > 0 && (llen > 0 || (a->flags & ADDR_QUOTED)));
	if (a->flags & ADDR_NODOMAIN) {
		FUZZ_CHECK(opts & ADDR_OPT_POSTMASTER);
		FUZZ_CHECK(dlen == 0);
		FUZZ_CHECK(strcasecmp(a->local, "postmaster") == 0);
		FUZZ_CHECK(!(a->flags & (ADDR_QUOTED | ADDR_LITERAL |
		    ADDR_TRAILING_DOT)));
	} else
		FUZZ_CHECK(dlen > 0);
	if (!(opts & ADDR_OPT_UTF8))
		FUZZ_CHECK(!(a->flags & ADDR_UTF8));
	/* ADDR_UTF8 says "non-ASCII in the mailbox", and it is UTF-8. */
	FUZZ_CHECK(!!(a->flags & ADDR_UTF8) == fuzz_has_8bit(a->mailbox, mlen));
	if (a->flags & ADDR_UTF8)
		FUZZ_CHECK(addr_utf8_valid(a->mailbox, mlen));
	FUZZ_CHECK(!!(a->flags & ADDR_PERCENT) ==
	    (memchr(a->local, '%', llen) != NULL));
	FUZZ_CHECK(!!(a->flags & ADDR_BANG) ==
	    (memchr(a->local, '!', llen) != NULL));
	if (a->flags & ADDR_QUOTED_AT) {
		FUZZ_CHECK(a->flags & ADDR_QUOTED);
		FUZZ_CHECK(memchr(a->local, '@', llen) != NULL);
	}
	if (a->flags & ADDR_QUOTED)
		FUZZ_CHECK(a->mailbox[0] == '"');
	if (a->flags & ADDR_LITERAL) {
		FUZZ_CHECK(!(a->flags & ADDR_TRAILING_DOT));
		FUZZ_CHECK(dlen >= 3 && a->domain[0] == '[' &&
		    a->domain[dlen - 1] == ']');
	}
	if (a->flags & ADDR_TRAILING_DOT)
		FUZZ_CHECK(dlen > 0 && a->domain[dlen - 1] == '.');
	else if (dlen > 0)
		FUZZ_CHECK(a->domain[dlen - 1] != '.');

	/* The mailbox is the local part as spelled, "@", the domain. */
	if (a->flags & ADDR_NODOMAIN)
		FUZZ_CHECK(strcmp(a->mailbox, a->local) == 0);
	else {
		FUZZ_CHECK(mlen > dlen + 1);
		FUZZ_CHECK(a->mailbox[mlen - dlen - 1] == '@');
		FUZZ_CHECK(memcmp(a->mailbox + mlen - dlen, a->domain,
		    dlen) == 0);
		if (!(a->flags & ADDR_QUOTED))
			FUZZ_CHECK(mlen - dlen - 1 == llen &&
			    memcmp(a->mailbox, a->local, llen) == 0);
	}
	/* A domain that parses (not a literal) also normalises. */
	if (dlen > 0 && !(a->flags & ADDR_LITERAL)) {
		char	 norm[ADDR_DOMAIN_MAX + 1];

		FUZZ_CHECK(addr_domain_normalize(a->domain, norm,
		    sizeof(norm)));
		FUZZ_CHECK(norm[0] != '\0' &&
		    norm[strlen(norm) - 1] != '.');
	}
}

/* Two results of the same parse must agree field by field. */
static inline bool
fuzz_addr_equal(const struct addr *a, const struct addr *b)
{
	return a->flags == b->flags && strcmp(a->mailbox, b->mailbox) == 0 &&
	    strcmp(a->local, b->local) == 0 &&
	    strcmp(a->domain, b->domain) == 0;
}

#endif
