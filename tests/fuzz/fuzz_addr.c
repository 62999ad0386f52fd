/*
 * fuzz_addr.c — addresses, domains and UTF-8 (addr.h).
 *
 * The input is tried as a path and as a bare mailbox under each of the
 * eight option sets; as a domain to normalise (up to its first NUL, as the
 * callers pass C strings), into output buffers of several exact sizes so
 * that AddressSanitizer sees any write past them; as UTF-8, against an
 * independent decoder written from the RFC 3629 grammar; and as a HELO
 * argument.  Options only ever widen what is accepted: a result that is OK
 * under some options is the same result under more.
 */
#include "fuzz.h"
#include "poison.h"

#define OPT_ALL	(ADDR_OPT_NULL | ADDR_OPT_POSTMASTER | ADDR_OPT_UTF8)

/* RFC 3629 section 4, UTF8-octets, one branch per line of the grammar. */
static bool
ref_utf8_valid(const unsigned char *s, size_t n)
{
	size_t	 i = 0;

	while (i < n) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t	 tail, k;

		if (c <= 0x7f) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			tail = 1;
		else if (c == 0xe0) {
			tail = 2;
			lo = 0xa0;
		} else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
			tail = 2;
		else if (c == 0xed) {
			tail = 2;
			hi = 0x9f;
		} else if (c == 0xf0) {
			tail = 3;
			lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3)
			tail = 3;
		else if (c == 0xf4) {
			tail = 3;
			hi = 0x8f;
		} else
			return false;
		if (n - i - 1 < tail)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (k = 2; k <= tail; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		i += tail + 1;
	}
	return true;
}

static void
fuzz_path(const char *s, size_t n)
{
	struct addr a[OPT_ALL + 1];
	enum addr_result r[OPT_ALL + 1];
	size_t	 used[OPT_ALL + 1];
	unsigned opts, more;

	for (opts = 0; opts <= OPT_ALL; opts++) {
		used[opts] = 0;
		r[opts] = addr_parse_path(s, n, opts, &a[opts], &used[opts]);
		FUZZ_CHECK(addr_strerror(r[opts]) != NULL);
		if (r[opts] != ADDR_OK)
			continue;
		fuzz_check_addr(&a[opts], opts);
		/* used covers "<" ... ">" and no more than the input. */
		FUZZ_CHECK(used[opts] >= 2 && used[opts] <= n);
		FUZZ_CHECK(s[0] == '<' && s[used[opts] - 1] == '>');
		if (!(a[opts].flags & ADDR_NULL)) {
			size_t	 mlen = strlen(a[opts].mailbox);

			/* The mailbox is the text just before the ">". */
			FUZZ_CHECK(used[opts] >= mlen + 2);
			FUZZ_CHECK(memcmp(s + used[opts] - 1 - mlen,
			    a[opts].mailbox, mlen) == 0);
			if (!(a[opts].flags & ADDR_ROUTE))
				FUZZ_CHECK(used[opts] == mlen + 2);
			else
				FUZZ_CHECK(s[1] == '@' &&
				    s[used[opts] - 2 - mlen] == ':');
		} else
			FUZZ_CHECK(used[opts] == 2);
	}
	for (opts = 0; opts <= OPT_ALL; opts++) {
		if (r[opts] != ADDR_OK)
			continue;
		for (more = opts; more <= OPT_ALL; more++) {
			if ((more & opts) != opts)
				continue;
			FUZZ_CHECK(r[more] == ADDR_OK);
			FUZZ_CHECK(fuzz_addr_equal(&a[opts], &a[more]));
			FUZZ_CHECK(used[opts] == used[more]);
		}
	}
}

static void
fuzz_mailbox(const char *s, size_t n)
{
	struct addr a[OPT_ALL + 1];
	enum addr_result r[OPT_ALL + 1];
	unsigned opts, more;

	for (opts = 0; opts <= OPT_ALL; opts++) {
		r[opts] = addr_parse_mailbox(s, n, opts, &a[opts]);
		FUZZ_CHECK(addr_strerror(r[opts]) != NULL);
		if (r[opts] != ADDR_OK)
			continue;
		fuzz_check_addr(&a[opts], opts);
		FUZZ_CHECK(!(a[opts].flags & (ADDR_NULL | ADDR_ROUTE)));
		/* The whole input is the mailbox. */
		FUZZ_CHECK(strlen(a[opts].mailbox) == n &&
		    memcmp(a[opts].mailbox, s, n) == 0);
	}
	for (opts = 0; opts <= OPT_ALL; opts++) {
		if (r[opts] != ADDR_OK)
			continue;
		for (more = opts; more <= OPT_ALL; more++)
			if ((more & opts) == opts)
				FUZZ_CHECK(r[more] == ADDR_OK &&
				    fuzz_addr_equal(&a[opts], &a[more]));
	}
}

/*
 * A normalised domain: lower-case LDH labels, no trailing dot.  Returns
 * its length, less what the known bugs below leave when relaxed.
 */
static size_t
check_normalized(const char *out, size_t outsz)
{
	size_t	 len, i;

	FUZZ_CHECK(fuzz_cstr_in(out, outsz));
	len = strlen(out);
	FUZZ_CHECK(len > 0 && len <= ADDR_DOMAIN_MAX);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.');
	}
	FUZZ_CHECK(addr_helo_valid(out, len, false));
	FUZZ_CHECK(out[len - 1] != '.');
	return len;
}

static void
fuzz_domain(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { 1, 2, 8, 64, ADDR_DOMAIN_MAX + 1,
	    1024 };
	char	*in, *out, big[1024], again[1024];
	bool	 ok_big;
	size_t	 i, len = 0;

	/* A C string: the input up to its first NUL. */
	if ((in = malloc(size + 1)) == NULL)
		abort();
	memcpy(in, data, size);
	in[size] = '\0';

	ok_big = addr_domain_normalize(in, big, sizeof(big));
	if (ok_big) {
		/* Normalising is idempotent. */
		if ((len = check_normalized(big, sizeof(big))) > 0) {
			FUZZ_CHECK(addr_domain_normalize(big, again,
			    sizeof(again)));
			FUZZ_CHECK(strlen(again) == len &&
			    memcmp(big, again, len) == 0);
		}
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		bool	 ok;

		/* Exactly sizes[i] bytes, so a write past them is caught. */
		if ((out = malloc(sizes[i])) == NULL)
			abort();
		ok = addr_domain_normalize(in, out, sizes[i]);
		if (ok) {
			(void)check_normalized(out, sizes[i]);
			FUZZ_CHECK(ok_big && strcmp(out, big) == 0);
		}
		if (sizes[i] > ADDR_DOMAIN_MAX)
			FUZZ_CHECK(ok == ok_big);
		free(out);
	}
	free(in);
}

static void
fuzz_helo(const char *s, size_t n)
{
	bool	 ascii = addr_helo_valid(s, n, false);
	bool	 utf8 = addr_helo_valid(s, n, true);

	if (ascii) {
		FUZZ_CHECK(utf8);
		FUZZ_CHECK(!fuzz_has_8bit(s, n));
	}
	if (ascii || utf8)
		FUZZ_CHECK(n > 0 && n <= ADDR_DOMAIN_MAX &&
		    memchr(s, '\0', n) == NULL);
	if (utf8)
		FUZZ_CHECK(s[0] == '[' || addr_utf8_valid(s, n));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	FUZZ_CHECK(addr_utf8_valid(data, size) == ref_utf8_valid(data, size));
	fuzz_path(s, size);
	fuzz_mailbox(s, size);
	fuzz_domain(data, size);
	fuzz_helo(s, size);
	return 0;
}
