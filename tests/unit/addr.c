/*
 * addr.c — unit tests for libexec/common/addr.c: RFC 5321 paths (with the
 * RFC 6531 UTF-8 extension and the relay-trick flags), domain
 * normalisation (IDNA2008/UTS#46 through libidn2), UTF-8 validation and
 * HELO arguments.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

#define N	ADDR_OPT_NULL
#define P	ADDR_OPT_POSTMASTER
#define U	ADDR_OPT_UTF8

static const struct path_case {
	const char	*in;
	unsigned	 opts;
	enum addr_result want;
	unsigned	 flags;		/* checked for ADDR_OK */
	const char	*mailbox;
	const char	*local;
	const char	*domain;
	size_t		 used;		/* 0: all of in */
} path_cases[] = {
	/* plain */
	{ "<user@example.com>", 0, ADDR_OK, 0,
	    "user@example.com", "user", "example.com", 0 },
	{ "<a@b>", 0, ADDR_OK, 0, "a@b", "a", "b", 0 },
	{ "<User.Name+tag@Sub.Example.COM>", 0, ADDR_OK, 0,
	    "User.Name+tag@Sub.Example.COM", "User.Name+tag",
	    "Sub.Example.COM", 0 },
	{ "<#$&'*+-/=?^_`{|}~@example.com>", 0, ADDR_OK, 0,
	    "#$&'*+-/=?^_`{|}~@example.com", "#$&'*+-/=?^_`{|}~",
	    "example.com", 0 },
	{ "<x@a-b.c-d.example>", 0, ADDR_OK, 0,
	    "x@a-b.c-d.example", "x", "a-b.c-d.example", 0 },
	{ "<x@123.example>", 0, ADDR_OK, 0,
	    "x@123.example", "x", "123.example", 0 },
	{ "<postmaster@example.com>", 0, ADDR_OK, 0,
	    "postmaster@example.com", "postmaster", "example.com", 0 },
	/* used: the path ends at '>' */
	{ "<user@example.com> SIZE=100", 0, ADDR_OK, 0,
	    "user@example.com", "user", "example.com", 18 },
	{ "<a@b.example>>", 0, ADDR_OK, 0, "a@b.example", "a", "b.example",
	    13 },
	/* quoted local parts */
	{ "<\"john doe\"@example.com>", 0, ADDR_OK, ADDR_QUOTED,
	    "\"john doe\"@example.com", "john doe", "example.com", 0 },
	{ "<\"a\\\"b\"@example.com>", 0, ADDR_OK, ADDR_QUOTED,
	    "\"a\\\"b\"@example.com", "a\"b", "example.com", 0 },
	{ "<\"a\\\\b\"@example.com>", 0, ADDR_OK, ADDR_QUOTED,
	    "\"a\\\\b\"@example.com", "a\\b", "example.com", 0 },
	{ "<\"\"@example.com>", 0, ADDR_OK, ADDR_QUOTED,
	    "\"\"@example.com", "", "example.com", 0 },
	{ "<\"a.b..c\"@example.com>", 0, ADDR_OK, ADDR_QUOTED,
	    "\"a.b..c\"@example.com", "a.b..c", "example.com", 0 },
	/* the null sender, MAIL only */
	{ "<>", N, ADDR_OK, ADDR_NULL, "", "", "", 2 },
	{ "<> SIZE=1", N, ADDR_OK, ADDR_NULL, "", "", "", 2 },
	{ "<>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<>", P | U, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	/* <postmaster>, RCPT only (RFC 5321 4.5.1) */
	{ "<postmaster>", P, ADDR_OK, ADDR_NODOMAIN,
	    "postmaster", "postmaster", "", 0 },
	{ "<PostMaster>", P, ADDR_OK, ADDR_NODOMAIN,
	    "PostMaster", "PostMaster", "", 0 },
	{ "<postmaster> NOTIFY=NEVER", P, ADDR_OK, ADDR_NODOMAIN,
	    "postmaster", "postmaster", "", 12 },
	{ "<postmaster>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<postmaster>", N | U, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<\"postmaster\">", P, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<webmaster>", P, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	/* UTF-8 (RFC 6531): only with SMTPUTF8 */
	{ "<j\xc3\xb6rg@b\xc3\xbc" "cher.example>", U, ADDR_OK, ADDR_UTF8,
	    "j\xc3\xb6rg@b\xc3\xbc" "cher.example", "j\xc3\xb6rg",
	    "b\xc3\xbc" "cher.example", 0 },
	{ "<j\xc3\xb6rg@b\xc3\xbc" "cher.example>", 0, ADDR_EUTF8, 0,
	    NULL, NULL, NULL, 0 },
	{ "<j\xc3\xb6rg@example.com>", U, ADDR_OK, ADDR_UTF8,
	    "j\xc3\xb6rg@example.com", "j\xc3\xb6rg", "example.com", 0 },
	{ "<j\xc3\xb6rg@example.com>", N | P, ADDR_EUTF8, 0,
	    NULL, NULL, NULL, 0 },
	{ "<user@b\xc3\xbc" "cher.example>", U, ADDR_OK, ADDR_UTF8,
	    "user@b\xc3\xbc" "cher.example", "user", "b\xc3\xbc" "cher.example",
	    0 },
	{ "<user@b\xc3\xbc" "cher.example>", 0, ADDR_EUTF8, 0,
	    NULL, NULL, NULL, 0 },
	{ "<\"j\xc3\xb6rg m\"@example.com>", U, ADDR_OK,
	    ADDR_UTF8 | ADDR_QUOTED, "\"j\xc3\xb6rg m\"@example.com",
	    "j\xc3\xb6rg m", "example.com", 0 },
	{ "<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
	    "\xe5\x91\x8a>", U, ADDR_OK, ADDR_UTF8,
	    "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
	    "\xe5\x91\x8a", "\xe7\x94\xa8\xe6\x88\xb7",
	    "\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf\xe5\x91\x8a", 0 },
	/* malformed UTF-8 is a syntax error, with or without SMTPUTF8 */
	{ "<j\xc3(rg@example.com>", U, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<j\xc0\xafrg@example.com>", U, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	{ "<j\xed\xa0\x80rg@example.com>", U, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	/* a U-label that IDNA2008 refuses (U+1F4A9) */
	{ "<u@\xf0\x9f\x92\xa9.example>", U, ADDR_EDOMAIN, 0,
	    NULL, NULL, NULL, 0 },
	/* relay tricks: they parse, and say so */
	{ "<@a.example,@b.example:user@c.example>", 0, ADDR_OK, ADDR_ROUTE,
	    "user@c.example", "user", "c.example", 0 },
	{ "<@a.example:user@c.example>", 0, ADDR_OK, ADDR_ROUTE,
	    "user@c.example", "user", "c.example", 0 },
	{ "<@a.example,@b.example:user@c.example> X=1", 0, ADDR_OK,
	    ADDR_ROUTE, "user@c.example", "user", "c.example", 38 },
	{ "<u%x.example@d.example>", 0, ADDR_OK, ADDR_PERCENT,
	    "u%x.example@d.example", "u%x.example", "d.example", 0 },
	{ "<a!b@d.example>", 0, ADDR_OK, ADDR_BANG,
	    "a!b@d.example", "a!b", "d.example", 0 },
	{ "<x!u%y@d.example>", 0, ADDR_OK, ADDR_BANG | ADDR_PERCENT,
	    "x!u%y@d.example", "x!u%y", "d.example", 0 },
	{ "<\"a@b\"@d.example>", 0, ADDR_OK, ADDR_QUOTED | ADDR_QUOTED_AT,
	    "\"a@b\"@d.example", "a@b", "d.example", 0 },
	{ "<\"u%x\"@d.example>", 0, ADDR_OK, ADDR_QUOTED | ADDR_PERCENT,
	    "\"u%x\"@d.example", "u%x", "d.example", 0 },
	{ "<u@[192.0.2.1]>", 0, ADDR_OK, ADDR_LITERAL,
	    "u@[192.0.2.1]", "u", "[192.0.2.1]", 0 },
	{ "<u@[IPv6:2001:db8::1]>", 0, ADDR_OK, ADDR_LITERAL,
	    "u@[IPv6:2001:db8::1]", "u", "[IPv6:2001:db8::1]", 0 },
	{ "<u@d.example.>", 0, ADDR_OK, ADDR_TRAILING_DOT,
	    "u@d.example.", "u", "d.example.", 0 },
	{ "<u@d.example.> SIZE=1", 0, ADDR_OK, ADDR_TRAILING_DOT,
	    "u@d.example.", "u", "d.example.", 14 },
	/* syntax errors */
	{ "", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<", N, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ ">", N, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "user@example.com", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@example.com", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "user@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ " <user@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "< user@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@example.com >", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user @example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<us er@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@exa mple.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@example.com@example.org>", 0, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	{ "<.user@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user.@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<us..er@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@example..com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@.example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@-example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@example-.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@exa_mple.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@example.com..>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<us(er@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<us,er@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<us\\er@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<us\x01" "er@example.com>", 0, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	{ "<us\ter@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<us\x7f" "er@example.com>", 0, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	{ "<us\rer@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<\"us\x01" "er\"@example.com>", 0, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	{ "<\"us\x7f" "er\"@example.com>", 0, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	{ "<\"us\\\x01" "er\"@example.com>", 0, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	{ "<\"unterminated@example.com>", 0, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	{ "<\"unterminated\\\">", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<\"ab\"cd@example.com>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<\"ab\">", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@[]>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@[192.0.2.1>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@[192.0 .2.1]>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@[1[2]>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@[192.0.2.1]x>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<@a.example.:u@d.example>", 0, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	{ "<@a.example,u@d.example>", 0, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	{ "<@a.example,@:u@d.example>", 0, ADDR_ESYNTAX, 0,
	    NULL, NULL, NULL, 0 },
	{ "<@:u@d.example>", 0, ADDR_ESYNTAX, 0, NULL, NULL, NULL, 0 },
	{ "<user@xn--zzzz-zzzz.example>", 0, ADDR_EDOMAIN, 0,
	    NULL, NULL, NULL, 0 },
};

/*
 * Parse from a heap copy of exactly n octets, so that AddressSanitizer
 * sees any read past the end.
 */
static enum addr_result
parse_exact(const char *s, size_t n, unsigned opts, struct addr *a,
    size_t *used)
{
	enum addr_result r;
	char	*copy;

	if ((copy = malloc(n ? n : 1)) == NULL)
		abort();
	memcpy(copy, s, n);
	r = addr_parse_path(copy, n, opts, a, used);
	free(copy);
	return r;
}

static void
test_path_table(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
		const struct path_case *c = &path_cases[i];
		struct addr a;
		enum addr_result r;
		size_t	 used = 12345;

		r = parse_exact(c->in, strlen(c->in), c->opts, &a, &used);
		is_int(r, c->want, "path %zu \"%s\" opts %u: %s", i, c->in,
		    c->opts, addr_strerror(c->want));
		if (c->want == ADDR_OK && r == ADDR_OK) {
			is_int(a.flags, c->flags, "path %zu flags", i);
			is_str(a.mailbox, c->mailbox, "path %zu mailbox", i);
			is_str(a.local, c->local, "path %zu local", i);
			is_str(a.domain, c->domain, "path %zu domain", i);
			is_int(used, c->used ? c->used : strlen(c->in),
			    "path %zu used", i);
		}
	}
}

/* Fill out with n copies of c; returns out. */
static char *
rep(char *out, char c, size_t n)
{
	memset(out, c, n);
	out[n] = '\0';
	return out;
}

/* A domain of exactly n octets: 50-octet labels joined by dots. */
static char *
domain_of(char *out, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		out[i] = (i % 51 == 50) ? '.' : 'd';
	if (n > 0 && out[n - 1] == '.')
		out[n - 1] = 'e';
	out[n] = '\0';
	return out;
}

static enum addr_result
parse_parts(const char *local, const char *domain, unsigned opts,
    struct addr *a)
{
	char	 path[2048];
	size_t	 used;
	int	 n;

	n = snprintf(path, sizeof(path), "<%s@%s>", local, domain);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ADDR_ESYNTAX;
	return addr_parse_path(path, (size_t)n, opts, a, &used);
}

static void
test_limits(void)
{
	char	 local[200], quoted[200], dom[600];
	struct addr a;

	/* RFC 5321 4.5.3.1.1: 64 octets of local part */
	is_int(parse_parts(rep(local, 'l', 64), "example.com", 0, &a),
	    ADDR_OK, "local part of 64 octets");
	is_int(strlen(a.local), 64, "all 64 kept");
	is_int(parse_parts(rep(local, 'l', 65), "example.com", 0, &a),
	    ADDR_ETOOLONG, "local part of 65 octets");
	is_int(parse_parts(rep(local, 'l', 150), "example.com", 0, &a),
	    ADDR_ETOOLONG, "local part of 150 octets");
	quoted[0] = '"';
	rep(quoted + 1, 'q', 65);
	quoted[66] = '"';
	quoted[67] = '\0';
	is_int(parse_parts(quoted, "example.com", 0, &a), ADDR_ETOOLONG,
	    "quoted local part of 65 octets inside the quotes");

	/* RFC 5321 4.5.3.1.2: 255 octets of domain */
	is_int(parse_parts("u", domain_of(dom, 256), 0, &a), ADDR_ETOOLONG,
	    "domain of 256 octets");
	is_int(parse_parts("u", domain_of(dom, 300), 0, &a), ADDR_ETOOLONG,
	    "domain of 300 octets");
	is_int(parse_parts("u", domain_of(dom, 255), 0, &a), ADDR_ETOOLONG,
	    "domain of 255 octets: the path is over 256");
	/* RFC 5321 4.5.3.1.3: 256 octets of path, brackets included */
	is_int(parse_parts(rep(local, 'l', 64), domain_of(dom, 189), 0, &a),
	    ADDR_OK, "mailbox of 254 octets (path 256)");
	is_int(strlen(a.mailbox), 254, "mailbox of 254 octets kept");
	is_int(parse_parts(rep(local, 'l', 64), domain_of(dom, 190), 0, &a),
	    ADDR_ETOOLONG, "mailbox of 255 octets (path 257)");
	/* RFC 1035: 63 octets per label */
	rep(dom, 'x', 63);
	memcpy(dom + 63, ".example", sizeof(".example"));
	is_int(parse_parts("u", dom, 0, &a), ADDR_OK, "label of 63 octets");
	rep(dom, 'x', 64);
	memcpy(dom + 64, ".example", sizeof(".example"));
	ok(parse_parts("u", dom, 0, &a) != ADDR_OK, "label of 64 octets");
}

static void
test_path_unterminated(void)
{
	/* n, not a NUL, ends the input */
	static const char s[] = "<user@example.com>";
	struct addr a;
	size_t	 used, n;

	for (n = 0; n < sizeof(s) - 1; n++)
		ok(parse_exact(s, n, N | P | U, &a, &used) != ADDR_OK,
		    "prefix of %zu octets of a path is not a path", n);
	is_int(addr_parse_path(s, sizeof(s) - 1, 0, &a, &used), ADDR_OK,
	    "the whole path");
}

static const struct mailbox_case {
	const char	*in;
	unsigned	 opts;
	enum addr_result want;
	unsigned	 flags;
} mailbox_cases[] = {
	{ "user@example.com", 0, ADDR_OK, 0 },
	{ "\"a b\"@example.com", 0, ADDR_OK, ADDR_QUOTED },
	{ "u@[192.0.2.1]", 0, ADDR_OK, ADDR_LITERAL },
	{ "postmaster", P, ADDR_OK, ADDR_NODOMAIN },
	{ "postmaster", 0, ADDR_ESYNTAX, 0 },
	{ "j\xc3\xb6rg@example.com", U, ADDR_OK, ADDR_UTF8 },
	{ "j\xc3\xb6rg@example.com", 0, ADDR_EUTF8, 0 },
	{ "", 0, ADDR_ESYNTAX, 0 },
	{ "<user@example.com>", 0, ADDR_ESYNTAX, 0 },
	{ "user@example.com ", 0, ADDR_ESYNTAX, 0 },
	{ "user@example.com>", 0, ADDR_ESYNTAX, 0 },
	{ "user@", 0, ADDR_ESYNTAX, 0 },
	{ "@example.com", 0, ADDR_ESYNTAX, 0 },
};

static void
test_mailbox_table(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(mailbox_cases) / sizeof(mailbox_cases[0]);
	    i++) {
		const struct mailbox_case *c = &mailbox_cases[i];
		struct addr a;
		enum addr_result r;

		r = addr_parse_mailbox(c->in, strlen(c->in), c->opts, &a);
		is_int(r, c->want, "mailbox %zu \"%s\"", i, c->in);
		if (r == ADDR_OK && c->want == ADDR_OK) {
			is_int(a.flags, c->flags, "mailbox %zu flags", i);
			is_str(a.mailbox, c->in, "mailbox %zu kept as given",
			    i);
		}
	}
}

static const struct norm_case {
	const char	*in;
	const char	*want;	/* NULL: refused */
} norm_cases[] = {
	{ "example.com", "example.com" },
	{ "EXAMPLE.COM", "example.com" },
	{ "Mail.Example.Com", "mail.example.com" },
	{ "example.com.", "example.com" },
	{ "Example.Com.", "example.com" },
	{ "localhost", "localhost" },
	{ "a-b.example", "a-b.example" },
	{ "B\xc3\xbc" "cher.Example", "xn--bcher-kva.example" },
	{ "b\xc3\xbc" "cher.example", "xn--bcher-kva.example" },
	{ "B\xc3\x9c" "CHER.EXAMPLE", "xn--bcher-kva.example" },
	{ "b\xc3\xbc" "cher.example.", "xn--bcher-kva.example" },
	{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
	{ "XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example" },
	{ "Xn--Bcher-Kva.Example", "xn--bcher-kva.example" },
	{ "xn--mnchen-3ya.de", "xn--mnchen-3ya.de" },
	{ "m\xc3\xbcnchen.de", "xn--mnchen-3ya.de" },
	/* IDNA2008 non-transitional: sharp s stays */
	{ "fa\xc3\x9f.de", "xn--fa-hia.de" },
	{ "xn--fa-hia.de", "xn--fa-hia.de" },
	{ "\xe4\xbe\x8b\xe5\xad\x90.example", "xn--fsqu00a.example" },
	/* refused */
	{ "", NULL },
	{ ".", NULL },
	{ "..", NULL },
	{ ".example.com", NULL },
	{ "example..com", NULL },
	{ "-a.example", NULL },
	{ "a-.example", NULL },
	{ "a_b.example", NULL },
	{ "exa mple.com", NULL },
	{ "[192.0.2.1]", NULL },
	{ "user@example.com", NULL },
	{ "xn--zzzz-zzzz.example", NULL },
	{ "xn--zzzz.example", NULL },
	{ "xn--.example", NULL },
	{ "xn--a-.example", NULL },
	{ "xn--b\xc3\xbc" "cher.example", NULL },
	{ "b\xc3(cher.example", NULL },
	{ "\xf0\x9f\x92\xa9.example", NULL },
};

static void
test_normalize_table(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(norm_cases) / sizeof(norm_cases[0]); i++) {
		const struct norm_case *c = &norm_cases[i];
		char	 out[ADDR_DOMAIN_MAX + 1];
		bool	 r;

		memset(out, 'X', sizeof(out));
		r = addr_domain_normalize(c->in, out, sizeof(out));
		if (c->want == NULL) {
			ok(!r, "normalize %zu \"%s\" refused", i, c->in);
			continue;
		}
		if (ok(r, "normalize %zu \"%s\" accepted", i, c->in))
			is_str(out, c->want, "normalize %zu \"%s\"", i, c->in);
	}
}

static void
test_normalize_misc(void)
{
	char	 a[ADDR_DOMAIN_MAX + 1], b[ADDR_DOMAIN_MAX + 1];
	char	 dom[600], small[8];

	ok(addr_domain_normalize("B\xc3\xbc" "cher.Example", a, sizeof(a)) &&
	    addr_domain_normalize("xn--bcher-kva.example", b, sizeof(b)) &&
	    strcmp(a, b) == 0, "U-label and A-label forms compare equal");

	ok(addr_domain_normalize(domain_of(dom, 253), a, sizeof(a)),
	    "domain of 253 octets");
	ok(!addr_domain_normalize(domain_of(dom, 254), a, sizeof(a)),
	    "domain of 254 octets");
	ok(!addr_domain_normalize(domain_of(dom, 400), a, sizeof(a)),
	    "domain of 400 octets");

	ok(addr_domain_normalize("abc.de", small, sizeof(small)),
	    "fits in 8 octets");
	is_str(small, "abc.de", "small output");
	ok(!addr_domain_normalize("abcd.efgh", small, sizeof(small)),
	    "does not fit in 8 octets");
	ok(!addr_domain_normalize("b\xc3\xbc" "cher.example", small,
	    sizeof(small)), "A-label does not fit in 8 octets");

	ok(!addr_domain_normalize("example.com..", a, sizeof(a)),
	    "normalize \"example.com..\" refused");
	/* UTS#46 maps these to nothing: no domain is left (found by fuzzing) */
	ok(!addr_domain_normalize("\xc2\xad", a, sizeof(a)),
	    "normalize U+00AD alone refused");
	ok(!addr_domain_normalize("\xe2\x80\x8b", a, sizeof(a)),
	    "normalize U+200B alone refused");
	ok(!addr_domain_normalize("a\xe3\x80\x82", a, sizeof(a)),
	    "normalize a + U+3002 (a trailing dot after mapping) refused");

	/*
	 * An A-label must decode to a valid U-label (RFC 5891 5.4): xn--a is
	 * U+0080, xn--ls8h is U+1F4A9, both DISALLOWED in IDNA2008.
	 */
	ok(!addr_domain_normalize("xn--a.example", a, sizeof(a)),
	    "normalize \"xn--a.example\" (U+0080) refused");
	ok(!addr_domain_normalize("xn--ls8h.example", a, sizeof(a)),
	    "normalize \"xn--ls8h.example\" (U+1F4A9) refused");
}

static const struct utf8_case {
	const char	*s;
	size_t		 n;	/* 0: strlen */
	bool		 want;
	const char	*what;
} utf8_cases[] = {
	{ "", 0, true, "empty" },
	{ "plain ascii", 0, true, "ASCII" },
	{ "a\0b", 3, true, "ASCII NUL" },
	{ "\x7f", 0, true, "DEL" },
	{ "\xc2\x80", 0, true, "U+0080" },
	{ "\xc3\xa9", 0, true, "U+00E9" },
	{ "\xdf\xbf", 0, true, "U+07FF" },
	{ "\xe0\xa0\x80", 0, true, "U+0800" },
	{ "\xe2\x82\xac", 0, true, "U+20AC" },
	{ "\xed\x9f\xbf", 0, true, "U+D7FF" },
	{ "\xee\x80\x80", 0, true, "U+E000" },
	{ "\xef\xbf\xbf", 0, true, "U+FFFF" },
	{ "\xf0\x90\x80\x80", 0, true, "U+10000" },
	{ "\xf0\x9f\x92\xa9", 0, true, "U+1F4A9" },
	{ "\xf4\x8f\xbf\xbf", 0, true, "U+10FFFF" },
	{ "j\xc3\xb6rg@b\xc3\xbc" "cher.example", 0, true, "mixed" },
	/* overlongs */
	{ "\xc0\x80", 0, false, "overlong NUL (2)" },
	{ "\xc0\xaf", 0, false, "overlong / (2)" },
	{ "\xc1\xbf", 0, false, "overlong U+007F (2)" },
	{ "\xe0\x80\x80", 0, false, "overlong NUL (3)" },
	{ "\xe0\x80\xaf", 0, false, "overlong / (3)" },
	{ "\xe0\x9f\xbf", 0, false, "overlong U+07FF (3)" },
	{ "\xf0\x80\x80\x80", 0, false, "overlong NUL (4)" },
	{ "\xf0\x8f\xbf\xbf", 0, false, "overlong U+FFFF (4)" },
	/* surrogates */
	{ "\xed\xa0\x80", 0, false, "U+D800" },
	{ "\xed\xad\xbf", 0, false, "U+DB7F" },
	{ "\xed\xb0\x80", 0, false, "U+DC00" },
	{ "\xed\xbf\xbf", 0, false, "U+DFFF" },
	{ "\xed\xa0\xbd\xed\xb2\xa9", 0, false, "CESU-8 pair" },
	/* beyond U+10FFFF */
	{ "\xf4\x90\x80\x80", 0, false, "U+110000" },
	{ "\xf5\x80\x80\x80", 0, false, "lead F5" },
	{ "\xf7\xbf\xbf\xbf", 0, false, "U+1FFFFF" },
	{ "\xf8\x88\x80\x80\x80", 0, false, "5-octet form" },
	{ "\xfc\x84\x80\x80\x80\x80", 0, false, "6-octet form" },
	{ "\xfe", 0, false, "FE" },
	{ "\xff", 0, false, "FF" },
	/* truncated */
	{ "\xc3", 0, false, "2-octet, 1 given" },
	{ "\xe2\x82", 0, false, "3-octet, 2 given" },
	{ "\xe2", 0, false, "3-octet, 1 given" },
	{ "\xf0\x9f\x92", 0, false, "4-octet, 3 given" },
	{ "abc\xc3", 0, false, "truncated at the end" },
	{ "\xc3\xa9\xe2\x82\xac\xf0\x9f\x92\xa9", 8, false,
	    "n cuts the last character" },
	{ "\xc3" "a", 0, false, "2-octet, ASCII follows" },
	{ "\xe2\x82" "a", 0, false, "3-octet, ASCII follows" },
	/* stray and bad continuations */
	{ "\x80", 0, false, "lone continuation" },
	{ "a\xbf" "b", 0, false, "continuation after ASCII" },
	{ "\xc3\xa9\xa9", 0, false, "extra continuation" },
	{ "\xc3\x28", 0, false, "bad second octet" },
	{ "\xe2\x28\xa1", 0, false, "bad second octet (3)" },
	{ "\xe2\x82\x28", 0, false, "bad third octet" },
	{ "\xf0\x28\x8c\xbc", 0, false, "bad second octet (4)" },
	{ "\xf0\x9f\x92\x28", 0, false, "bad fourth octet" },
	{ "\xc3\xc3\xa9", 0, false, "lead where continuation expected" },
};

static void
test_utf8_table(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
		const struct utf8_case *c = &utf8_cases[i];
		size_t	 n = c->n ? c->n : strlen(c->s);

		is_int(addr_utf8_valid(c->s, n), c->want, "utf8 %zu: %s", i,
		    c->what);
	}
}

static const struct helo_case {
	const char	*in;
	bool		 utf8;
	bool		 want;
} helo_cases[] = {
	{ "example.com", false, true },
	{ "mail.example.com", false, true },
	{ "MAIL.EXAMPLE.COM", false, true },
	{ "localhost", false, true },
	{ "a", false, true },
	{ "1.example", false, true },
	{ "[192.0.2.1]", false, true },
	{ "[IPv6:2001:db8::1]", false, true },
	{ "under_score.example.com", false, true },	/* tolerated */
	{ "_dmarc.example.com", false, true },
	{ "b\xc3\xbc" "cher.example", true, true },
	{ "b\xc3\xbc" "cher.example", false, false },
	{ "b\xc3(cher.example", true, false },
	{ "", false, false },
	{ ".", false, false },
	{ ".example.com", false, false },
	{ "example..com", false, false },
	{ "-x.example", false, false },
	{ "x-.example", false, false },
	{ "exa mple.com", false, false },
	{ "example.com ", false, false },
	{ " example.com", false, false },
	{ "exa\tmple.com", false, false },
	{ "user@example.com", false, false },
	{ "<example.com>", false, false },
	{ "[192.0.2.1", false, false },
	{ "192.0.2.1]", false, false },
	{ "[]", false, false },
	{ "[192.0.2.1]x", false, false },
	{ "[192.0 .2.1]", false, false },
	{ "example.com:25", false, false },
	{ "exa/mple.com", false, false },
};

static void
test_helo_table(void)
{
	char	 dom[600], label[80];
	size_t	 i;

	for (i = 0; i < sizeof(helo_cases) / sizeof(helo_cases[0]); i++) {
		const struct helo_case *c = &helo_cases[i];

		is_int(addr_helo_valid(c->in, strlen(c->in), c->utf8), c->want,
		    "helo %zu \"%s\" utf8 %d", i, c->in, c->utf8);
	}
	ok(addr_helo_valid(domain_of(dom, 255), 255, false),
	    "helo of 255 octets");
	ok(!addr_helo_valid(domain_of(dom, 256), 256, false),
	    "helo of 256 octets");
	rep(label, 'x', 64);
	ok(!addr_helo_valid(label, 64, false), "helo label of 64 octets");
	ok(addr_helo_valid("example.com", 7, false),
	    "n, not NUL, ends the name");

	/* Tolerated, as clients in the wild send it (addr.h). */
	ok(addr_helo_valid("example.com.", 12, false),
	    "helo \"example.com.\" tolerated");
}

static void
test_strerror(void)
{
	static const enum addr_result all[] = { ADDR_OK, ADDR_ESYNTAX,
	    ADDR_ETOOLONG, ADDR_EUTF8, ADDR_EDOMAIN };
	size_t	 i, j;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *s = addr_strerror(all[i]);

		ok(s != NULL && s[0] != '\0' && strcmp(s, "unknown") != 0,
		    "strerror %d: \"%s\"", (int)all[i], s ? s : "(null)");
		for (j = 0; j < i; j++)
			ok(strcmp(s, addr_strerror(all[j])) != 0,
			    "strerror %d differs from %d", (int)all[i],
			    (int)all[j]);
	}
}

int
main(void)
{
	test_path_table();
	test_limits();
	test_path_unterminated();
	test_mailbox_table();
	test_normalize_table();
	test_normalize_misc();
	test_utf8_table();
	test_helo_table();
	test_strerror();
	return done_testing();
}
