/*
 * fuzz_srs.c — SRS addresses (srs.h), both ways.
 *
 * The first input byte picks the direction.  Even: the rest is the local
 * part of a recipient, as the handler hands it to srs_verify; whatever
 * verifies is exactly what srs_forward makes for the sender it reverses
 * to (up to case, on a day within SRS_MAX_AGE_DAYS), and a buffer one
 * octet short is refused, not overrun.  Odd: the rest is a sender; when
 * srs_forward rewrites it, the result is a valid SRS0 local part of at
 * most 64 octets that verifies back to the sender (in any case), until
 * it expires.  The key and the clock are fixed, so runs repeat.
 */
#include "fuzz.h"
#include "srs.h"
#include "poison.h"

#define DAY	86400
#define NOW	((int64_t)1700000000)

static struct srs key;

static void
ci_copy(char *dst, const char *src, bool upper)
{
	for (; *src != '\0'; src++, dst++) {
		unsigned char c = (unsigned char)*src;

		if (upper && c >= 'a' && c <= 'z')
			c = (unsigned char)(c - 32);
		else if (!upper && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		*dst = (char)c;
	}
	*dst = '\0';
}

static void
fuzz_verify(const char *local)
{
	char	 out[ADDR_PATH_MAX + 1], fwd[ADDR_PATH_MAX + 1];
	char	 small[ADDR_PATH_MAX + 1];
	enum srs_result r;
	size_t	 n = strlen(local), olen;
	int	 k;
	bool	 found = false;

	r = srs_verify(&key, local, NOW, out, sizeof(out));
	FUZZ_CHECK(r == SRS_OK || r == SRS_EMALFORMED || r == SRS_EHASH ||
	    r == SRS_EEXPIRED);
	FUZZ_CHECK(srs_strerror(r) != NULL);
	FUZZ_CHECK(srs_reverse(&key, local, NOW, small, sizeof(small)) ==
	    (r == SRS_OK));
	if (r != SRS_EMALFORMED)
		FUZZ_CHECK(srs_is_srs(local) && n <= ADDR_LOCAL_MAX);
	if (r != SRS_OK)
		return;
	FUZZ_CHECK(fuzz_cstr_in(out, sizeof(out)));
	olen = strlen(out);
	FUZZ_CHECK(strchr(out, '@') != NULL && olen < n);
	/* one octet short: refused; exactly enough: the same answer */
	FUZZ_CHECK(srs_verify(&key, local, NOW, small, olen) ==
	    SRS_EMALFORMED);
	FUZZ_CHECK(srs_verify(&key, local, NOW, small, olen + 1) == SRS_OK &&
	    strcmp(small, out) == 0);
	/* made on one of the last SRS_MAX_AGE_DAYS + 1 days */
	for (k = 0; k <= SRS_MAX_AGE_DAYS && !found; k++) {
		char	*at;

		if (!srs_forward(&key, out, "fwd.example", NOW - k * DAY, fwd,
		    sizeof(fwd)))
			continue;
		at = strrchr(fwd, '@');
		FUZZ_CHECK(at != NULL);
		*at = '\0';
		found = strcasecmp(fwd, local) == 0;
	}
	FUZZ_CHECK(found);
}

static void
fuzz_forward(const char *sender)
{
	char	 out[ADDR_PATH_MAX + 1], back[ADDR_PATH_MAX + 1];
	char	 flip[ADDR_PATH_MAX + 1], *at;
	size_t	 n;

	if (!srs_forward(&key, sender, "fwd.example", NOW, out, sizeof(out)))
		return;
	FUZZ_CHECK(fuzz_cstr_in(out, sizeof(out)));
	n = strlen(out);
	FUZZ_CHECK(n + 2 <= ADDR_PATH_MAX);
	FUZZ_CHECK(strncmp(out, "SRS0=", 5) == 0 && srs_is_srs(out));
	FUZZ_CHECK(n > 12 && strcmp(out + n - 12, "@fwd.example") == 0);
	/* a valid mailbox for our own parser */
	{
		struct addr a;

		FUZZ_CHECK(addr_parse_mailbox(out, n, ADDR_OPT_UTF8, &a) ==
		    ADDR_OK);
		FUZZ_CHECK(!(a.flags & ADDR_QUOTED));
	}
	at = strrchr(out, '@');
	*at = '\0';
	FUZZ_CHECK(strlen(out) <= ADDR_LOCAL_MAX);
	FUZZ_CHECK(srs_verify(&key, out, NOW, back, sizeof(back)) == SRS_OK);
	FUZZ_CHECK(strcmp(back, sender) == 0);
	ci_copy(flip, out, true);
	FUZZ_CHECK(srs_verify(&key, flip, NOW, back, sizeof(back)) == SRS_OK);
	FUZZ_CHECK(strcasecmp(back, sender) == 0);
	ci_copy(flip, out, false);
	FUZZ_CHECK(srs_verify(&key, flip, NOW + SRS_MAX_AGE_DAYS * DAY, back,
	    sizeof(back)) == SRS_OK);
	FUZZ_CHECK(strcasecmp(back, sender) == 0);
	FUZZ_CHECK(srs_verify(&key, out, NOW + (SRS_MAX_AGE_DAYS + 1) * DAY,
	    back, sizeof(back)) == SRS_EEXPIRED);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 s[1024];
	size_t	 n;

	if (size == 0)
		return 0;
	if (key.key[1] == 0)
		for (n = 0; n < SRS_KEY_LEN; n++)
			key.key[n] = (unsigned char)(n * 37 + 1);
	/* a C string: up to the first NUL */
	for (n = 0; n + 1 < size && n < sizeof(s) - 1 && data[n + 1] != 0;
	    n++)
		s[n] = (char)data[n + 1];
	s[n] = '\0';
	if (data[0] & 1)
		fuzz_forward(s);
	else
		fuzz_verify(s);
	return 0;
}
