/*
 * spf.c — unit tests for libexec/common/spf.c: the record parser (terms,
 * qualifiers, CIDR lengths, modifiers, syntax errors), macro expansion
 * (RFC 7208 7.4's examples, IPv6, escapes, the 253-octet cut) and
 * check_host() against an in-memory zone: every mechanism, include and
 * redirect semantics, none / neutral / pass / fail / softfail / temperror
 * / permerror, IPv4-mapped addresses, and the limits of 4.6.4 (10 lookups,
 * 2 void lookups, 10 MX hosts) just below and just above.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"
#include "tap.h"

/* --- parsing --------------------------------------------------------------- */

static const struct parse_case {
	const char	*text;
	int		 ok;		/* 1 parses, 0 does not */
	size_t		 nterms;
	const char	*note;
} parse_cases[] = {
	{ "v=spf1", 1, 0, "empty record" },
	{ "v=spf1 -all", 1, 1, "-all" },
	{ "V=SPF1 +ALL", 1, 1, "any case" },
	{ "v=spf1   -all   ", 1, 1, "several spaces" },
	{ "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all", 1, 3, "ip4 ip6" },
	{ "v=spf1 ip4:192.0.2.1 ip6:2001:db8::1", 1, 2, "no CIDR" },
	{ "v=spf1 ip4:192.0.2.0/0 ip6:::/0", 1, 2, "/0" },
	{ "v=spf1 ip4:192.0.2.0/33", 0, 0, "ip4 /33" },
	{ "v=spf1 ip4:192.0.2.0/024", 0, 0, "leading zero" },
	{ "v=spf1 ip4:192.0.2.0/", 0, 0, "empty CIDR" },
	{ "v=spf1 ip4:192.0.2", 0, 0, "three octets" },
	{ "v=spf1 ip4:2001:db8::1", 0, 0, "IPv6 in ip4" },
	{ "v=spf1 ip6:192.0.2.1", 0, 0, "IPv4 in ip6" },
	{ "v=spf1 ip6:2001:db8::/129", 0, 0, "ip6 /129" },
	{ "v=spf1 ip4", 0, 0, "ip4 alone" },
	{ "v=spf1 a mx a/24 mx//64 a/24//64", 1, 5, "dual CIDR" },
	{ "v=spf1 a:example.org/24//64", 1, 1, "a:domain/cidr" },
	{ "v=spf1 a:example.org/24/64", 0, 0, "one slash too few" },
	{ "v=spf1 a/33", 0, 0, "a/33" },
	{ "v=spf1 mx:%{d}/24", 1, 1, "macro then CIDR" },
	{ "v=spf1 include:_spf.example.org", 1, 1, "include" },
	{ "v=spf1 include:", 0, 0, "include: empty" },
	{ "v=spf1 include", 0, 0, "include alone" },
	{ "v=spf1 include:example", 0, 0, "one-label domain" },
	{ "v=spf1 include:example.123", 0, 0, "numeric top label" },
	{ "v=spf1 include:example.org.", 1, 1, "trailing dot" },
	{ "v=spf1 include:-x.org", 1, 1, "only the top label is checked" },
	{ "v=spf1 include:example.-org", 0, 0, "top label with a dash first" },
	{ "v=spf1 exists:%{i}.%{v}.arpa._spf.example.org", 1, 1, "exists" },
	{ "v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d}", 1, 1, "macro last" },
	{ "v=spf1 exists:%{c}.example.org", 0, 0, "%{c} outside exp" },
	{ "v=spf1 exists:%{d0}.example.org", 0, 0, "zero transformer" },
	{ "v=spf1 exists:%{x}.example.org", 0, 0, "unknown macro letter" },
	{ "v=spf1 exists:%{d.example.org", 0, 0, "unclosed macro" },
	{ "v=spf1 a:exa%mple.org", 0, 0, "bare %" },
	{ "v=spf1 a:exa%%mple.org", 1, 1, "%%" },
	{ "v=spf1 redirect=_spf.example.org", 1, 0, "redirect" },
	{ "v=spf1 redirect=a.example redirect=b.example", 0, 0,
	    "redirect twice" },
	{ "v=spf1 exp=explain.example.org -all", 1, 1, "exp" },
	{ "v=spf1 exp=a.example exp=b.example", 0, 0, "exp twice" },
	{ "v=spf1 foo=bar -all", 1, 1, "unknown modifier skipped" },
	{ "v=spf1 foo=%{c} -all", 1, 1, "unknown modifier, exp macros" },
	{ "v=spf1 foo=%{ -all", 0, 0, "unknown modifier, bad macro" },
	{ "v=spf1 -foo=bar", 0, 0, "qualified modifier" },
	{ "v=spf1 foo:bar", 0, 0, "unknown mechanism" },
	{ "v=spf1 all:x", 0, 0, "all with an argument" },
	{ "v=spf1 ptr ptr:example.org", 1, 2, "ptr" },
	{ "v=spf1 ptr/24", 0, 0, "ptr with CIDR" },
	{ "v=spf1 ~all ?all +all -all", 1, 4, "qualifiers" },
	{ "v=spf1 --all", 0, 0, "two qualifiers" },
	{ "v=spf1 -", 0, 0, "a qualifier alone" },
	{ "v=spf10", 0, 0, "v=spf10" },
	{ "v=spf2.0/pra -all", 0, 0, "Sender ID" },
	{ "spf1 -all", 0, 0, "no v=" },
	{ "", 0, 0, "empty" },
};

static void
test_parse(void)
{
	struct spf_record rec;
	const char *text;
	char	 err[256];
	size_t	 i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		int	 r = spf_parse(c->text, strlen(c->text), &rec, err,
		    sizeof(err));

		if (c->ok) {
			ok(r == 0 && rec.nterms == c->nterms, "parse %s: "
			    "\"%s\" (%zu terms)", c->note, c->text, c->nterms);
			if (r != 0)
				diag("error: %s", err);
		} else
			ok(r == -1 && err[0] != '\0', "refuse %s: \"%s\" (%s)",
			    c->note, c->text, err);
	}

	text = "v=spf1 -ip4:192.0.2.0/24 ~a:ex.org/28//60 ?mx "
	    "redirect=r.example exp=e.example";
	if (spf_parse(text, strlen(text), &rec, err, sizeof(err)) != 0)
		bail_out("parse", err);
	is_int(rec.nterms, 3, "three mechanisms");
	is_int(rec.terms[0].mech, SPF_IP4, "ip4");
	is_int(rec.terms[0].qualifier, SPF_FAIL, "- is fail");
	is_int(rec.terms[0].cidr4, 24, "/24");
	ok(memcmp(rec.terms[0].addr, "\xc0\x00\x02\x00", 4) == 0,
	    "the address");
	is_int(rec.terms[1].mech, SPF_A, "a");
	is_int(rec.terms[1].qualifier, SPF_SOFTFAIL, "~ is softfail");
	is_mem(rec.terms[1].spec, rec.terms[1].speclen, "ex.org", 6,
	    "its domain-spec");
	is_int(rec.terms[1].cidr4, 28, "ip4 CIDR");
	is_int(rec.terms[1].cidr6, 60, "ip6 CIDR");
	is_mem(rec.terms[1].text, rec.terms[1].textlen, "~a:ex.org/28//60",
	    16, "the term's text");
	is_int(rec.terms[2].qualifier, SPF_NEUTRAL, "? is neutral");
	is_int(rec.terms[2].cidr4, 32, "default /32");
	is_int(rec.terms[2].cidr6, 128, "default /128");
	ok(rec.terms[2].speclen == 0, "mx without a domain");
	is_mem(rec.redirect, rec.redirectlen, "r.example", 9, "redirect");
	is_mem(rec.exp, rec.explen, "e.example", 9, "exp");

	ok(spf_is_record("v=spf1", 6), "v=spf1 is a record");
	ok(spf_is_record("v=spf1 a", 8), "v=spf1 a is a record");
	ok(!spf_is_record("v=spf1a", 7), "v=spf1a is not");
	ok(!spf_is_record("v=spf", 5), "v=spf is not");
	ok(!spf_is_record("v=DKIM1; p=", 11), "DKIM is not");
}

/* --- macros ---------------------------------------------------------------- */

static const struct expand_case {
	const char	*spec;
	const char	*ip;
	const char	*want;		/* NULL: refused */
} expand_cases[] = {
	/* RFC 7208 7.4 */
	{ "%{s}", "192.0.2.3", "strong-bad@email.example.com" },
	{ "%{o}", "192.0.2.3", "email.example.com" },
	{ "%{d}", "192.0.2.3", "email.example.com" },
	{ "%{d4}", "192.0.2.3", "email.example.com" },
	{ "%{d3}", "192.0.2.3", "email.example.com" },
	{ "%{d2}", "192.0.2.3", "example.com" },
	{ "%{d1}", "192.0.2.3", "com" },
	{ "%{dr}", "192.0.2.3", "com.example.email" },
	{ "%{d2r}", "192.0.2.3", "example.email" },
	{ "%{l}", "192.0.2.3", "strong-bad" },
	{ "%{l-}", "192.0.2.3", "strong.bad" },
	{ "%{lr}", "192.0.2.3", "strong-bad" },
	{ "%{lr-}", "192.0.2.3", "bad.strong" },
	{ "%{l1r-}", "192.0.2.3", "strong" },
	{ "%{ir}.%{v}._spf.%{d2}", "192.0.2.3",
	    "3.2.0.192.in-addr._spf.example.com" },
	{ "%{lr-}.lp._spf.%{d2}", "192.0.2.3",
	    "bad.strong.lp._spf.example.com" },
	{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "192.0.2.3",
	    "bad.strong.lp.3.2.0.192.in-addr._spf.example.com" },
	{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "192.0.2.3",
	    "3.2.0.192.in-addr.strong.lp._spf.example.com" },
	{ "%{d2}.trusted-domains.example.net", "192.0.2.3",
	    "example.com.trusted-domains.example.net" },
	{ "%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01",
	    "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2"
	    ".ip6._spf.example.com" },
	/* ours */
	{ "%{i}.x.example", "::ffff:192.0.2.3", "192.0.2.3.x.example" },
	{ "%{v}.x.example", "::ffff:192.0.2.3", "in-addr.x.example" },
	{ "%{h}.x.example", "192.0.2.3", "mx.example.net.x.example" },
	{ "%{p}.x.example", "192.0.2.3", "unknown.x.example" },
	{ "%{S}.x.example", "192.0.2.3",
	    "strong-bad%40email.example.com.x.example" },
	{ "%{D}.x.example", "192.0.2.3", "email.example.com.x.example" },
	{ "a%%b.x.example", "192.0.2.3", "a%b.x.example" },
	{ "%{d2.}.x.example", "192.0.2.3", "example.com.x.example" },
	{ "%{d9}", "192.0.2.3", "email.example.com" },
	{ "Upper.Example", "192.0.2.3", "upper.example" },
	{ "trailing.example.", "192.0.2.3", "trailing.example" },
	{ "a%_b.example", "192.0.2.3", NULL },		/* a space */
	{ "a..example", "192.0.2.3", NULL },
	{ ".example", "192.0.2.3", NULL },
	{ "%{c}.example", "192.0.2.3", NULL },
	{ "%{r}.example", "192.0.2.3", NULL },
	{ "%{t}.example", "192.0.2.3", NULL },
	{ "%", "192.0.2.3", NULL },
};

static void
test_expand(void)
{
	struct spf_macro_ctx mc;
	struct dns_addr ip;
	char	 out[ADDR_DOMAIN_MAX + 1], err[256], spec[600];
	size_t	 i;
	int	 r;

	mc.sender = "strong-bad@email.example.com";
	mc.domain = "email.example.com";
	mc.helo = "mx.example.net";
	mc.ip = &ip;
	for (i = 0; i < sizeof(expand_cases) / sizeof(expand_cases[0]); i++) {
		const struct expand_case *c = &expand_cases[i];

		if (!dns_addr_parse(c->ip, &ip))
			bail_out("dns_addr_parse", c->ip);
		r = spf_expand(c->spec, strlen(c->spec), &mc, out, sizeof(out),
		    err, sizeof(err));
		if (c->want == NULL) {
			ok(r == -1, "expand refuses \"%s\" (%s)", c->spec,
			    err);
			continue;
		}
		ok(r == 0, "expand \"%s\"", c->spec);
		if (r == 0)
			is_str(out, c->want, "  gives %s", c->want);
		else
			diag("error: %s", err);
	}

	/* 4.8: labels go from the left until 253 octets are left. */
	if (!dns_addr_parse("192.0.2.3", &ip))
		bail_out("dns_addr_parse", "192.0.2.3");
	for (i = 0; i < 5; i++) {
		memset(spec + i * 61, (int)('a' + i), 60);
		spec[i * 61 + 60] = i < 4 ? '.' : '\0';
	}
	mc.domain = spec;
	r = spf_expand("%{d}", 4, &mc, out, sizeof(out), err, sizeof(err));
	ok(r == 0 && strlen(out) == 4 * 60 + 3 && out[0] == 'b',
	    "a 304-octet expansion keeps its last four labels (%zu)",
	    r == 0 ? strlen(out) : 0);
	mc.domain = "email.example.com";
	mc.sender = "nolocal.example";
	r = spf_expand("%{l}.x.example", 14, &mc, out, sizeof(out), err,
	    sizeof(err));
	is_str(r == 0 ? out : err, "postmaster.x.example",
	    "a sender without a local part: postmaster (4.3)");
}

/* --- check_host against an in-memory zone ---------------------------------- */

struct rr {
	const char	*name;
	const char	*type;		/* TXT A AAAA MX TEMP */
	const char	*value;
};

static const struct rr zone[] = {
	{ "example.org", "TXT",
	    "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all" },
	{ "example.org", "TXT", "google-site-verification=xyz" },
	{ "a.example", "TXT", "v=spf1 a -all" },
	{ "a.example", "A", "192.0.2.10" },
	{ "a.example", "AAAA", "2001:db8::10" },
	{ "acidr.example", "TXT", "v=spf1 a:a.example/24//64 -all" },
	{ "mx.example", "TXT", "v=spf1 mx ~all" },
	{ "mx.example", "MX", "10 mail.mx.example" },
	{ "mx.example", "MX", "20 mail2.mx.example" },
	{ "mail.mx.example", "A", "192.0.2.20" },
	{ "mail2.mx.example", "AAAA", "2001:db8::20" },
	{ "inc.example", "TXT", "v=spf1 include:example.org ?all" },
	{ "incnone.example", "TXT", "v=spf1 include:nospf.example -all" },
	{ "incbad.example", "TXT", "v=spf1 include:bad.example -all" },
	{ "inctemp.example", "TXT", "v=spf1 include:temp.example -all" },
	{ "redir.example", "TXT", "v=spf1 redirect=example.org" },
	{ "redirnone.example", "TXT", "v=spf1 redirect=nospf.example" },
	{ "redirall.example", "TXT", "v=spf1 -all redirect=example.org" },
	{ "redirmacro.example", "TXT", "v=spf1 redirect=a.%{d1}" },
	{ "nospf.example", "A", "192.0.2.99" },
	{ "nospf.example", "TXT", "v=DKIM1; p=abc" },
	{ "two.example", "TXT", "v=spf1 -all" },
	{ "two.example", "TXT", "v=spf1 +all" },
	{ "bad.example", "TXT", "v=spf1 foo -all" },
	{ "neutral.example", "TXT", "v=spf1 ip4:203.0.113.1" },
	{ "temp.example", "TEMP", "" },
	{ "exists.example", "TXT",
	    "v=spf1 exists:%{ir}.allow.exists.example -all" },
	{ "5.2.0.192.allow.exists.example", "A", "127.0.0.2" },
	{ "loop.example", "TXT", "v=spf1 include:loop.example -all" },
	{ "ten.example", "TXT", "v=spf1 a:a.example a:a.example a:a.example "
	    "a:a.example a:a.example a:a.example a:a.example a:a.example "
	    "a:a.example a:a.example -all" },
	{ "eleven.example", "TXT", "v=spf1 a:a.example a:a.example "
	    "a:a.example a:a.example a:a.example a:a.example a:a.example "
	    "a:a.example a:a.example a:a.example a:a.example -all" },
	{ "chain1.example", "TXT", "v=spf1 include:chain2.example -all" },
	{ "chain2.example", "TXT", "v=spf1 mx:mx.example ptr a:a.example "
	    "redirect=chain3.example" },
	{ "chain3.example", "TXT", "v=spf1 ip4:192.0.2.77 -all" },
	{ "voids2.example", "TXT", "v=spf1 a:v1.missing.example "
	    "mx:v2.missing.example -all" },
	{ "voids3.example", "TXT", "v=spf1 a:v1.missing.example "
	    "mx:v2.missing.example exists:v3.missing.example -all" },
	{ "mx10.example", "TXT", "v=spf1 mx -all" },
	{ "mx11.example", "TXT", "v=spf1 mx -all" },
	{ "mx10.example", "MX", "1 h1.mx.example" },
	{ "mx10.example", "MX", "2 h2.mx.example" },
	{ "mx10.example", "MX", "3 h3.mx.example" },
	{ "mx10.example", "MX", "4 h4.mx.example" },
	{ "mx10.example", "MX", "5 h5.mx.example" },
	{ "mx10.example", "MX", "6 h6.mx.example" },
	{ "mx10.example", "MX", "7 h7.mx.example" },
	{ "mx10.example", "MX", "8 h8.mx.example" },
	{ "mx10.example", "MX", "9 h9.mx.example" },
	{ "mx10.example", "MX", "10 mail.mx.example" },
	{ "mx11.example", "MX", "1 h1.mx.example" },
	{ "mx11.example", "MX", "2 h2.mx.example" },
	{ "mx11.example", "MX", "3 h3.mx.example" },
	{ "mx11.example", "MX", "4 h4.mx.example" },
	{ "mx11.example", "MX", "5 h5.mx.example" },
	{ "mx11.example", "MX", "6 h6.mx.example" },
	{ "mx11.example", "MX", "7 h7.mx.example" },
	{ "mx11.example", "MX", "8 h8.mx.example" },
	{ "mx11.example", "MX", "9 h9.mx.example" },
	{ "mx11.example", "MX", "10 h10.mx.example" },
	{ "mx11.example", "MX", "11 mail.mx.example" },
	{ "ptr.example", "TXT", "v=spf1 ptr -all" },
	{ "nullmx.example", "TXT", "v=spf1 mx -all" },
	{ "nullmx.example", "MX", "0 ." },
	{ "aaaa.example", "TXT", "v=spf1 a:a.example//128 -all" },
	{ "cased.example", "TXT", "V=SPF1 IP4:192.0.2.1 -ALL" },
};

static int lookups;		/* queries the evaluation asked */

static bool
zone_has(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		if (strcmp(zone[i].name, name) == 0)
			return true;
	return false;
}

static bool
zone_temp(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		if (strcmp(zone[i].name, name) == 0 &&
		    strcmp(zone[i].type, "TEMP") == 0)
			return true;
	return false;
}

static enum dns_result
zone_txt(void *ctx, const char *name, char out[DNS_TXT_MAX][DNS_TXT_LEN],
    size_t *n)
{
	size_t	 i;

	(void)ctx;
	lookups++;
	*n = 0;
	if (zone_temp(name))
		return DNS_TEMP;
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++)
		if (strcmp(zone[i].name, name) == 0 &&
		    strcmp(zone[i].type, "TXT") == 0 && *n < DNS_TXT_MAX)
			(void)snprintf(out[(*n)++], DNS_TXT_LEN, "%s",
			    zone[i].value);
	return *n > 0 ? DNS_OK : zone_has(name) ? DNS_NODATA : DNS_NXDOMAIN;
}

static enum dns_result
zone_addrs(void *ctx, const char *name, int family,
    struct dns_addr out[DNS_ADDR_MAX], size_t *n)
{
	size_t	 i;

	(void)ctx;
	lookups++;
	*n = 0;
	if (zone_temp(name))
		return DNS_TEMP;
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (strcmp(zone[i].name, name) != 0)
			continue;
		if (!((family != AF_INET6 && strcmp(zone[i].type, "A") == 0) ||
		    (family != AF_INET && strcmp(zone[i].type, "AAAA") == 0)))
			continue;
		if (!dns_addr_parse(zone[i].value, &out[*n]))
			bail_out("zone address", zone[i].value);
		(*n)++;
	}
	return *n > 0 ? DNS_OK : zone_has(name) ? DNS_NODATA : DNS_NXDOMAIN;
}

static enum dns_result
zone_mx(void *ctx, const char *name, struct dns_mx out[DNS_MX_MAX],
    size_t *n, bool *null_mx)
{
	size_t	 i;
	unsigned pref;
	char	 host[ADDR_DOMAIN_MAX + 1];

	(void)ctx;
	lookups++;
	*n = 0;
	*null_mx = false;
	if (zone_temp(name))
		return DNS_TEMP;
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (strcmp(zone[i].name, name) != 0 ||
		    strcmp(zone[i].type, "MX") != 0)
			continue;
		if (sscanf(zone[i].value, "%u %255s", &pref, host) != 2)
			bail_out("zone MX", zone[i].value);
		if (strcmp(host, ".") == 0) {
			*null_mx = true;
			continue;
		}
		out[*n].pref = (uint16_t)pref;
		(void)snprintf(out[*n].host, sizeof(out[*n].host), "%s", host);
		(*n)++;
	}
	if (*n > 0)
		*null_mx = false;
	if (*n > 0 || *null_mx)
		return DNS_OK;
	return zone_has(name) ? DNS_NODATA : DNS_NXDOMAIN;
}

static const struct check_case {
	const char	*domain;
	const char	*ip;
	enum spf_result	 want;
	const char	*why;		/* a substring of out.why, or NULL */
} check_cases[] = {
	{ "example.org", "192.0.2.5", SPF_PASS, "ip4:192.0.2.0/24" },
	{ "example.org", "198.51.100.1", SPF_FAIL, "-all" },
	{ "example.org", "2001:db8::5", SPF_PASS, "ip6:2001:db8::/32" },
	{ "example.org", "2001:db9::1", SPF_FAIL, NULL },
	{ "example.org", "::ffff:192.0.2.5", SPF_PASS, "ip4" },
	{ "a.example", "192.0.2.10", SPF_PASS, "\"a\" in a.example" },
	{ "a.example", "192.0.2.11", SPF_FAIL, NULL },
	{ "a.example", "2001:db8::10", SPF_PASS, NULL },
	{ "a.example", "2001:db8::11", SPF_FAIL, NULL },
	{ "acidr.example", "192.0.2.99", SPF_PASS, NULL },
	{ "acidr.example", "192.0.3.1", SPF_FAIL, NULL },
	{ "acidr.example", "2001:db8::ffff", SPF_PASS, NULL },
	{ "acidr.example", "2001:db8:1::1", SPF_FAIL, NULL },
	{ "aaaa.example", "2001:db8::10", SPF_PASS, NULL },
	{ "aaaa.example", "192.0.2.10", SPF_PASS, NULL },
	{ "mx.example", "192.0.2.20", SPF_PASS, "mx" },
	{ "mx.example", "2001:db8::20", SPF_PASS, NULL },
	{ "mx.example", "192.0.2.21", SPF_SOFTFAIL, NULL },
	{ "inc.example", "192.0.2.5", SPF_PASS, "in example.org" },
	{ "inc.example", "203.0.113.1", SPF_NEUTRAL, NULL },
	{ "incnone.example", "192.0.2.5", SPF_PERMERROR, "nospf.example" },
	{ "incbad.example", "192.0.2.5", SPF_PERMERROR, "foo" },
	{ "inctemp.example", "192.0.2.5", SPF_TEMPERROR, "temp.example" },
	{ "redir.example", "192.0.2.5", SPF_PASS, NULL },
	{ "redir.example", "203.0.113.1", SPF_FAIL, NULL },
	{ "redirnone.example", "192.0.2.5", SPF_PERMERROR, "redirect" },
	{ "redirall.example", "192.0.2.5", SPF_FAIL, NULL },
	{ "redirmacro.example", "192.0.2.10", SPF_PASS, NULL },
	{ "nospf.example", "192.0.2.5", SPF_NONE, NULL },
	{ "missing.example", "192.0.2.5", SPF_NONE, NULL },
	{ "two.example", "192.0.2.5", SPF_PERMERROR, "2 SPF records" },
	{ "bad.example", "192.0.2.5", SPF_PERMERROR, "unknown mechanism" },
	{ "neutral.example", "192.0.2.5", SPF_NEUTRAL, "no mechanism" },
	{ "neutral.example", "203.0.113.1", SPF_PASS, NULL },
	{ "temp.example", "192.0.2.5", SPF_TEMPERROR, NULL },
	{ "exists.example", "192.0.2.5", SPF_PASS, "exists" },
	{ "exists.example", "192.0.2.6", SPF_FAIL, NULL },
	{ "loop.example", "192.0.2.5", SPF_PERMERROR, "more than 10 DNS" },
	{ "ten.example", "203.0.113.1", SPF_FAIL, NULL },
	{ "eleven.example", "203.0.113.1", SPF_PERMERROR, "more than 10 DNS" },
	{ "chain1.example", "192.0.2.77", SPF_PASS, NULL },
	{ "chain1.example", "192.0.2.78", SPF_FAIL, NULL },
	{ "voids2.example", "192.0.2.5", SPF_FAIL, NULL },
	{ "voids3.example", "192.0.2.5", SPF_PERMERROR, "void" },
	{ "mx10.example", "192.0.2.20", SPF_PASS, NULL },
	{ "mx11.example", "192.0.2.20", SPF_PERMERROR, "MX hosts" },
	{ "ptr.example", "192.0.2.5", SPF_FAIL, NULL },
	{ "nullmx.example", "192.0.2.5", SPF_FAIL, NULL },
	{ "cased.example", "192.0.2.1", SPF_PASS, NULL },
	{ "", "192.0.2.1", SPF_NONE, NULL },
};

static void
test_check(void)
{
	struct spf_dns dns = { NULL, zone_txt, zone_addrs, zone_mx };
	struct spf_outcome out;
	struct dns_addr ip;
	enum spf_result r;
	size_t	 i;

	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *c = &check_cases[i];

		if (!dns_addr_parse(c->ip, &ip))
			bail_out("dns_addr_parse", c->ip);
		lookups = 0;
		r = spf_check(&dns, &ip, c->domain, NULL, "mx.example.net",
		    &out);
		ok(r == c->want && out.result == r, "%s from %s: %s (got %s: "
		    "%s)", c->domain, c->ip, spf_result_name(c->want),
		    spf_result_name(r), out.why);
		if (c->why != NULL)
			ok(strstr(out.why, c->why) != NULL, "  says \"%s\"",
			    c->why);
		/* 4.6.4: never more than 10 + the first TXT, and MX hosts */
		ok(out.lookups <= SPF_LOOKUPS_MAX + 1 && lookups <= 40,
		    "  within the limits (%u terms, %d queries)", out.lookups,
		    lookups);
	}
	memset(&ip, 0, sizeof(ip));
	is_int(spf_check(&dns, &ip, "example.org", NULL, NULL, &out),
	    SPF_PERMERROR, "no address family: permerror");
	is_str(spf_result_name(SPF_NONE), "none", "result name none");
	is_str(spf_result_name(SPF_SOFTFAIL), "softfail",
	    "result name softfail");
	is_str(spf_result_name(SPF_PERMERROR), "permerror",
	    "result name permerror");
}

int
main(void)
{
	test_parse();
	test_expand();
	test_check();
	return done_testing();
}
