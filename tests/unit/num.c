/*
 * num.c — unit tests for libexec/common/num.c, the one integer scanner:
 * decimal digits only, bounded by max, no overflow.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "tap.h"

static const struct num_case {
	const char	*s;
	uint64_t	 max;
	bool		 ok;
	uint64_t	 want;
} num_cases[] = {
	{ "0", UINT64_MAX, true, 0 },
	{ "1", UINT64_MAX, true, 1 },
	{ "42", UINT64_MAX, true, 42 },
	{ "007", UINT64_MAX, true, 7 },
	{ "1000000", UINT64_MAX, true, 1000000 },
	{ "4294967296", UINT64_MAX, true, UINT64_C(4294967296) },
	{ "18446744073709551615", UINT64_MAX, true, UINT64_MAX },
	{ "00000000000000000001", UINT64_MAX, true, 1 },
	{ "09999999999999999999", UINT64_MAX, true,
	    UINT64_C(9999999999999999999) },
	/* overflow */
	{ "18446744073709551616", UINT64_MAX, false, 0 },
	{ "18446744073709551620", UINT64_MAX, false, 0 },
	{ "19000000000000000000", UINT64_MAX, false, 0 },
	{ "99999999999999999999", UINT64_MAX, false, 0 },
	{ "100000000000000000000", UINT64_MAX, false, 0 },
	{ "999999999999999999999999999999", UINT64_MAX, false, 0 },
	/* the maximum */
	{ "100", 100, true, 100 },
	{ "101", 100, false, 0 },
	{ "99", 100, true, 99 },
	{ "1000", 100, false, 0 },
	{ "0", 0, true, 0 },
	{ "00", 0, true, 0 },
	{ "1", 0, false, 0 },
	{ "9", 9, true, 9 },
	{ "10", 9, false, 0 },
	{ "255", 255, true, 255 },
	{ "256", 255, false, 0 },
	{ "65535", 65535, true, 65535 },
	{ "65536", 65535, false, 0 },
	{ "4294967295", UINT32_MAX, true, UINT32_MAX },
	{ "4294967296", UINT32_MAX, false, 0 },
	{ "9223372036854775807", INT64_MAX, true, INT64_MAX },
	{ "9223372036854775808", INT64_MAX, false, 0 },
	{ "18446744073709551614", UINT64_MAX - 1, true, UINT64_MAX - 1 },
	{ "18446744073709551615", UINT64_MAX - 1, false, 0 },
	{ "18446744073709551609", UINT64_MAX - 6, true, UINT64_MAX - 6 },
	{ "18446744073709551610", UINT64_MAX - 6, false, 0 },
	/* not numbers */
	{ "", UINT64_MAX, false, 0 },
	{ "+1", UINT64_MAX, false, 0 },
	{ "-1", UINT64_MAX, false, 0 },
	{ "-0", UINT64_MAX, false, 0 },
	{ " 1", UINT64_MAX, false, 0 },
	{ "1 ", UINT64_MAX, false, 0 },
	{ "\t1", UINT64_MAX, false, 0 },
	{ "1\n", UINT64_MAX, false, 0 },
	{ "1a", UINT64_MAX, false, 0 },
	{ "a1", UINT64_MAX, false, 0 },
	{ "0x10", UINT64_MAX, false, 0 },
	{ "1e3", UINT64_MAX, false, 0 },
	{ "1.0", UINT64_MAX, false, 0 },
	{ "1,000", UINT64_MAX, false, 0 },
	{ "1_000", UINT64_MAX, false, 0 },
	{ "\xd9\xa1", UINT64_MAX, false, 0 },	/* ARABIC-INDIC ONE */
	{ "\xef\xbc\x91", UINT64_MAX, false, 0 }, /* FULLWIDTH DIGIT ONE */
	{ "/", UINT64_MAX, false, 0 },
	{ ":", UINT64_MAX, false, 0 },
};

static void
test_table(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(num_cases) / sizeof(num_cases[0]); i++) {
		const struct num_case *c = &num_cases[i];
		size_t	 n = strlen(c->s);
		uint64_t v = 12345;
		char	*s;
		bool	 r;

		/* exactly n octets, so a read past the end is seen */
		if ((s = malloc(n ? n : 1)) == NULL)
			abort();
		memcpy(s, c->s, n);
		r = num_parse(s, n, c->max, &v);
		free(s);
		is_int(r, c->ok, "num %zu \"%s\" max %llu", i, c->s,
		    (unsigned long long)c->max);
		if (c->ok && r)
			ok(v == c->want, "num %zu value %llu", i,
			    (unsigned long long)c->want);
		if (!c->ok && !r)
			ok(v == 12345, "num %zu: out untouched on failure", i);
		is_int(num_parse_str(c->s, c->max, &v), c->ok,
		    "num_parse_str %zu agrees", i);
	}
}

static void
test_misc(void)
{
	uint64_t v = 0;

	ok(num_parse("123abc", 3, UINT64_MAX, &v) && v == 123,
	    "n, not NUL, ends the number");
	ok(!num_parse("123", 0, UINT64_MAX, &v), "n = 0 is not a number");
	ok(num_parse("5\0" "5", 1, UINT64_MAX, &v) && v == 5,
	    "NUL after n is not read");
	ok(!num_parse("5\0" "5", 3, UINT64_MAX, &v), "NUL inside n");
	ok(num_parse_str("12345", 12345, &v) && v == 12345, "num_parse_str");
	ok(!num_parse_str("", 10, &v), "num_parse_str of \"\"");
}

static void
test_hexval(void)
{
	int	 c, bad = 0;

	ok(num_hexval('0') == 0 && num_hexval('9') == 9, "hex 0-9");
	ok(num_hexval('a') == 10 && num_hexval('F') == 15, "hex a-f, A-F");
	for (c = -128; c < 256; c++)
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')) && num_hexval(c) != -1)
			bad++;
	is_int(bad, 0, "every other value is -1");
}

int
main(void)
{
	test_table();
	test_misc();
	test_hexval();
	return done_testing();
}
