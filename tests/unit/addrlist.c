/*
 * addrlist.c — unit tests for libexec/common/addrlist.c: the addresses of
 * RFC 5322 address lists (3.4), as sendmail -t takes them from To:, Cc:
 * and Bcc:, with display names, comments, groups, quoting and folding.
 *
 * Every input is parsed from a heap copy of exactly its length, so that
 * AddressSanitizer sees a read past the end.
 */
#include <stdlib.h>
#include <string.h>

#include "addrlist.h"
#include "tap.h"

struct collect {
	char	 out[4096];	/* addresses joined with "|" */
	size_t	 len;
	int	 stop_after;	/* 0: never */
	int	 count;
};

static int
collect_fn(const char *s, size_t n, void *ctx)
{
	struct collect *c = ctx;

	if (n == 0 || c->len + n + 2 > sizeof(c->out))
		abort();
	if (c->len > 0)
		c->out[c->len++] = '|';
	memcpy(c->out + c->len, s, n);
	c->len += n;
	c->out[c->len] = '\0';
	return ++c->count == c->stop_after;
}

static const struct list_case {
	const char	*in;
	enum addrlist_result want;
	const char	*out;
} list_cases[] = {
	{ "", ADDRLIST_OK, "" },
	{ "   ", ADDRLIST_OK, "" },
	{ "a@b.example", ADDRLIST_OK, "a@b.example" },
	{ "root", ADDRLIST_OK, "root" },
	{ " a@b.example , c@d.example ", ADDRLIST_OK,
	    "a@b.example|c@d.example" },
	{ "a@b.example,,c@d.example,", ADDRLIST_OK,
	    "a@b.example|c@d.example" },
	{ "Bob <bob@b.example>", ADDRLIST_OK, "bob@b.example" },
	{ "\"Doe, John\" <jd@b.example>, x@y.example", ADDRLIST_OK,
	    "jd@b.example|x@y.example" },
	{ "\"Doe: John\" <jd@b.example>", ADDRLIST_OK, "jd@b.example" },
	{ "\"a \\\"q\\\" b\" <q@b.example>", ADDRLIST_OK, "q@b.example" },
	{ "a@b.example (Bob, the builder)", ADDRLIST_OK, "a@b.example" },
	{ "(lead) a@b.example", ADDRLIST_OK, "a@b.example" },
	{ "a@b.example (nested (comment) here)", ADDRLIST_OK, "a@b.example" },
	{ "a(c)@b.example", ADDRLIST_OK, "a@b.example" },
	{ "Bob <bob@b.example> (work)", ADDRLIST_OK, "bob@b.example" },
	{ "< bob@b.example >", ADDRLIST_OK, "bob@b.example" },
	{ "<bob@b.example>", ADDRLIST_OK, "bob@b.example" },
	{ "<>", ADDRLIST_OK, "" },
	{ "\"john doe\"@b.example", ADDRLIST_OK, "\"john doe\"@b.example" },
	{ "Q <\"a,b\"@b.example>", ADDRLIST_OK, "\"a,b\"@b.example" },
	{ "a@[IPv6:2001:db8::1], b@c.example", ADDRLIST_OK,
	    "a@[IPv6:2001:db8::1]|b@c.example" },
	{ "undisclosed-recipients:;", ADDRLIST_OK, "" },
	{ "team: a@b.example, Carol <c@d.example>;, e@f.example",
	    ADDRLIST_OK, "a@b.example|c@d.example|e@f.example" },
	{ "\"Team\": a@b.example;", ADDRLIST_OK, "a@b.example" },
	{ "Bob\r\n <bob@b.example>,\r\n\tcarol@d.example", ADDRLIST_OK,
	    "bob@b.example|carol@d.example" },
	{ "J\xc3\xb6rg <j@b.example>", ADDRLIST_OK, "j@b.example" },
	{ "j\xc3\xb6rg@b\xc3\xbc.example", ADDRLIST_OK,
	    "j\xc3\xb6rg@b\xc3\xbc.example" },
	{ "a\\b@c.example", ADDRLIST_OK, "a\\b@c.example" },
	/* refused */
	{ "\"unterminated <a@b.example>", ADDRLIST_ESYNTAX, "" },
	{ "Bob <bob@b.example", ADDRLIST_ESYNTAX, "" },
	{ "a@b.example (open", ADDRLIST_ESYNTAX, "" },
	{ "a@b.example, c@d.example (open", ADDRLIST_ESYNTAX,
	    "a@b.example" },
	{ "a@b.example>", ADDRLIST_ESYNTAX, "" },
	{ "a@b.example)", ADDRLIST_ESYNTAX, "" },
	{ "<a@b.example> trailing", ADDRLIST_ESYNTAX, "" },
	{ "<a@b.example> <c@d.example>", ADDRLIST_ESYNTAX, "" },
	{ "<a<b@c.example>", ADDRLIST_ESYNTAX, "" },
	{ "John Doe jd@b.example", ADDRLIST_ESYNTAX, "" },
	{ "a@[2001:db8::1", ADDRLIST_ESYNTAX, "" },
	{ "\"a\\", ADDRLIST_ESYNTAX, "" },
	{ "ok@b.example, bad one", ADDRLIST_ESYNTAX, "ok@b.example" },
};

static void
test_lists(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		const struct list_case *t = &list_cases[i];
		struct collect c;
		size_t	 n = strlen(t->in);
		char	*copy = malloc(n ? n : 1);
		enum addrlist_result r;

		if (copy == NULL)
			abort();
		memcpy(copy, t->in, n);
		memset(&c, 0, sizeof(c));
		r = addrlist_parse(copy, n, collect_fn, &c);
		is_int(r, t->want, "result for [%s]", t->in);
		is_str(c.out, t->out, "addresses of [%s]", t->in);
		free(copy);
	}
}

static void
test_limits(void)
{
	struct collect c;
	char	*s;
	size_t	 n;

	/* An address of exactly the maximum passes, one more does not. */
	n = ADDRLIST_ADDR_MAX;
	if ((s = malloc(n + 3)) == NULL)
		abort();
	s[0] = '<';
	memset(s + 1, 'a', n);
	s[n + 1] = '>';
	memset(&c, 0, sizeof(c));
	is_int(addrlist_parse(s, n + 2, collect_fn, &c), ADDRLIST_OK,
	    "an angle address of ADDRLIST_ADDR_MAX octets");
	is_int(c.len, n, "is handed on whole");
	memset(s + 1, 'a', n + 1);
	s[n + 2] = '>';
	is_int(addrlist_parse(s, n + 3, collect_fn, NULL), ADDRLIST_ESYNTAX,
	    "an angle address over ADDRLIST_ADDR_MAX is refused");
	memset(s, 'a', n);
	memset(&c, 0, sizeof(c));
	is_int(addrlist_parse(s, n, collect_fn, &c), ADDRLIST_OK,
	    "a bare address of ADDRLIST_ADDR_MAX octets");
	is_int(c.len, n, "is handed on whole");
	memset(s, 'a', n + 1);
	is_int(addrlist_parse(s, n + 1, collect_fn, NULL), ADDRLIST_ESYNTAX,
	    "a bare address over ADDRLIST_ADDR_MAX is refused");
	free(s);

	/* A display name may be longer than an address. */
	n = 3 * ADDRLIST_ADDR_MAX;
	if ((s = malloc(n + 16)) == NULL)
		abort();
	memset(s, 'N', n);
	memcpy(s + n, " <a@b.example>", 14);
	memset(&c, 0, sizeof(c));
	is_int(addrlist_parse(s, n + 14, collect_fn, &c), ADDRLIST_OK,
	    "a long display name");
	is_str(c.out, "a@b.example", "its address");
	free(s);

	/* Comments nest up to ADDRLIST_DEPTH_MAX. */
	n = 2 * (ADDRLIST_DEPTH_MAX + 1);
	if ((s = malloc(n)) == NULL)
		abort();
	memset(s, '(', n / 2 - 1);
	memset(s + n / 2 - 1, ')', n / 2 - 1);
	memset(&c, 0, sizeof(c));
	is_int(addrlist_parse(s, n - 2, collect_fn, &c), ADDRLIST_OK,
	    "comments nested %d deep", ADDRLIST_DEPTH_MAX);
	memset(s, '(', n / 2);
	memset(s + n / 2, ')', n / 2);
	is_int(addrlist_parse(s, n, collect_fn, &c), ADDRLIST_ESYNTAX,
	    "comments nested deeper are refused");
	free(s);
}

static void
test_stop(void)
{
	struct collect c;
	const char *in = "a@b.example, c@d.example, e@f.example";

	memset(&c, 0, sizeof(c));
	c.stop_after = 2;
	is_int(addrlist_parse(in, strlen(in), collect_fn, &c), ADDRLIST_ESTOP,
	    "the callback stops the walk");
	is_str(c.out, "a@b.example|c@d.example", "after the second address");
}

int
main(void)
{
	test_lists();
	test_limits();
	test_stop();
	return done_testing();
}
