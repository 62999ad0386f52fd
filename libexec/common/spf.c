/*
 * spf.c — SPF records read and evaluated (see spf.h), RFC 7208: record
 * syntax (4.5, 4.6, 12), mechanisms (5), modifiers (6), macros (7),
 * check_host() (4) with the processing limits of 4.6.4.
 *
 * The parser keeps pointers into the record's text; nothing here does I/O
 * except through the caller's struct spf_dns.  An IPv4-mapped IPv6 <ip>
 * is evaluated as the IPv4 address it maps (5.6's note).  Each level of
 * include/redirect gets its own heap frame (record text and terms), so
 * the depth (at most SPF_LOOKUPS_MAX + 1) costs no stack.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"
#include "poison.h"

#define SPF_NAME_MAX	253	/* 4.8: longer expansions lose labels */
#define SPF_DELIMS	".-+,/_="

static bool
spf_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
spf_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
spf_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
spf_ieq(const char *s, size_t n, const char *lit)
{
	size_t	 i;

	if (n != strlen(lit))
		return false;
	for (i = 0; i < n; i++)
		if (spf_lower((unsigned char)s[i]) != lit[i])
			return false;
	return true;
}

static void spf_err(char *err, size_t errsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
spf_err(char *err, size_t errsz, const char *fmt, ...)
{
	va_list	 ap;

	if (errsz == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

bool
spf_is_record(const char *text, size_t n)
{
	return n >= 6 && spf_ieq(text, 6, "v=spf1") &&
	    (n == 6 || text[6] == ' ');
}

/*
 * The length of a macro-expand at s[0..n) ("%{...}", "%%", "%_", "%-"),
 * 0 when it is not one.  In a domain-spec (explain false) the letters
 * c, r and t are refused.
 */
static size_t
spf_macro_len(const char *s, size_t n, bool explain)
{
	size_t	 i;
	int	 l;

	if (n < 2 || s[0] != '%')
		return 0;
	if (s[1] == '%' || s[1] == '_' || s[1] == '-')
		return 2;
	if (s[1] != '{' || n < 4)
		return 0;
	l = spf_lower((unsigned char)s[2]);
	if (strchr("slodipvh", l) == NULL &&
	    !(explain && strchr("crt", l) != NULL))
		return 0;
	i = 3;
	if (i < n && spf_digit(s[i])) {
		if (s[i] == '0')
			return 0;	/* 7.3: nonzero */
		while (i < n && spf_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'r' || s[i] == 'R'))
		i++;
	while (i < n && s[i] != '\0' && strchr(SPF_DELIMS, s[i]) != NULL)
		i++;
	if (i >= n || s[i] != '}')
		return 0;
	return i + 1;
}

/* A macro-string (7.1): visible characters, "%" only in a macro. */
static bool
spf_macro_string(const char *s, size_t n, bool explain)
{
	size_t	 i = 0, m;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if ((m = spf_macro_len(s + i, n - i, explain)) == 0)
				return false;
			i += m;
		} else if (c >= 0x21 && c <= 0x7e)
			i++;
		else
			return false;
	}
	return true;
}

/*
 * A domain-spec (4.6.1): a macro-string ending in a macro or in a
 * toplabel ("." toplabel ["."]): the last label not all digits.
 */
static bool
spf_domain_spec(const char *s, size_t n)
{
	size_t	 end = n, start, i;
	bool	 alpha = false, dash = false;

	if (n == 0 || !spf_macro_string(s, n, false))
		return false;
	if (s[n - 1] == '}')
		return true;
	if (s[end - 1] == '.')
		end--;
	start = end;
	while (start > 0 && s[start - 1] != '.')
		start--;
	if (start == 0 || start == end)
		return false;	/* one label, or an empty one */
	if (s[start] == '-' || s[end - 1] == '-')
		return false;
	for (i = start; i < end; i++) {
		if (spf_alpha(s[i]))
			alpha = true;
		else if (s[i] == '-')
			dash = true;
		else if (!spf_digit(s[i]))
			return false;
	}
	return alpha || dash;
}

/* The end of a domain-spec at s[0..n): the first "/" outside a macro. */
static size_t
spf_spec_end(const char *s, size_t n)
{
	size_t	 i = 0, m;

	while (i < n && s[i] != '/') {
		if (s[i] == '%' && (m = spf_macro_len(s + i, n - i, false)) > 0)
			i += m;
		else
			i++;
	}
	return i;
}

/* "/" followed by a decimal of at most max, no leading zero (12). */
static bool
spf_cidr(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t	 i;

	if (n == 0 || n > 3 || (s[0] == '0' && n > 1))
		return false;
	for (i = 0; i < n; i++) {
		if (!spf_digit(s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

/* [ "/" ip4-cidr ] [ "//" ip6-cidr ] at s[0..n). */
static bool
spf_dual_cidr(const char *s, size_t n, struct spf_term *t)
{
	const char *dd;
	size_t	 v4len;

	if (n == 0)
		return true;
	if (s[0] != '/')
		return false;
	if (n >= 2 && s[1] == '/')
		return spf_cidr(s + 2, n - 2, 128, &t->cidr6);
	dd = NULL;
	for (v4len = 1; v4len + 1 < n; v4len++)
		if (s[v4len] == '/' && s[v4len + 1] == '/') {
			dd = s + v4len;
			break;
		}
	if (dd == NULL)
		return spf_cidr(s + 1, n - 1, 32, &t->cidr4);
	return spf_cidr(s + 1, v4len - 1, 32, &t->cidr4) &&
	    spf_cidr(dd + 2, n - v4len - 2, 128, &t->cidr6);
}

/* ip4:ADDR[/N] or ip6:ADDR[/N]; a at the value after the colon. */
static bool
spf_ip_term(const char *a, size_t n, bool v6, struct spf_term *t)
{
	char	 buf[INET6_ADDRSTRLEN + 1];
	const char *slash = memchr(a, '/', n);
	size_t	 alen = slash ? (size_t)(slash - a) : n;

	if (alen == 0 || alen >= sizeof(buf) || memchr(a, '\0', alen) != NULL)
		return false;
	memcpy(buf, a, alen);
	buf[alen] = '\0';
	if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, t->addr) != 1)
		return false;
	if (slash == NULL)
		return true;
	return spf_cidr(slash + 1, n - alen - 1, v6 ? 128 : 32,
	    v6 ? &t->cidr6 : &t->cidr4);
}

static int
spf_term_parse(const char *s, size_t n, struct spf_record *rec, char *err,
    size_t errsz)
{
	static const struct {
		const char	*name;
		enum spf_mech	 mech;
	} mechs[] = {
		{ "all", SPF_ALL }, { "include", SPF_INCLUDE }, { "a", SPF_A },
		{ "mx", SPF_MX }, { "ptr", SPF_PTR }, { "ip4", SPF_IP4 },
		{ "ip6", SPF_IP6 }, { "exists", SPF_EXISTS },
	};
	struct spf_term *t;
	const char *p = s, *rest;
	size_t	 m = n, namelen, restlen, i, e;
	enum spf_result q = SPF_PASS;
	bool	 qualified = false;

	switch (s[0]) {
	case '+': q = SPF_PASS; qualified = true; break;
	case '-': q = SPF_FAIL; qualified = true; break;
	case '~': q = SPF_SOFTFAIL; qualified = true; break;
	case '?': q = SPF_NEUTRAL; qualified = true; break;
	default: break;
	}
	if (qualified) {
		p++;
		m--;
	}
	if (m == 0 || !spf_alpha(p[0]))
		goto bad;
	for (namelen = 1; namelen < m; namelen++) {
		char	 c = p[namelen];

		if (!spf_alpha(c) && !spf_digit(c) && c != '-' && c != '_' &&
		    c != '.')
			break;
	}
	rest = p + namelen;
	restlen = m - namelen;

	/* A modifier: name=macro-string (6, 4.6.1). */
	if (restlen > 0 && rest[0] == '=') {
		if (qualified)
			goto bad;
		rest++;
		restlen--;
		if (spf_ieq(p, namelen, "redirect") ||
		    spf_ieq(p, namelen, "exp")) {
			bool	 redir = p[0] == 'r' || p[0] == 'R';

			if (!spf_domain_spec(rest, restlen))
				goto bad;
			if ((redir ? rec->redirect : rec->exp) != NULL) {
				spf_err(err, errsz, "%s twice",
				    redir ? "redirect" : "exp");
				return -1;
			}
			if (redir) {
				rec->redirect = rest;
				rec->redirectlen = restlen;
			} else {
				rec->exp = rest;
				rec->explen = restlen;
			}
			return 0;
		}
		/* Unknown modifiers are ignored, if well formed (6). */
		if (!spf_macro_string(rest, restlen, true))
			goto bad;
		return 0;
	}

	for (i = 0; i < sizeof(mechs) / sizeof(mechs[0]); i++)
		if (spf_ieq(p, namelen, mechs[i].name))
			break;
	if (i == sizeof(mechs) / sizeof(mechs[0])) {
		spf_err(err, errsz, "unknown mechanism \"%.*s\"",
		    (int)(n > 64 ? 64 : n), s);
		return -1;
	}
	if (rec->nterms == SPF_TERMS_MAX) {
		spf_err(err, errsz, "more than %d terms", SPF_TERMS_MAX);
		return -1;
	}
	t = &rec->terms[rec->nterms];
	memset(t, 0, sizeof(*t));
	t->text = s;
	t->textlen = n;
	t->mech = mechs[i].mech;
	t->qualifier = q;
	t->cidr4 = 32;
	t->cidr6 = 128;

	switch (t->mech) {
	case SPF_ALL:
		if (restlen != 0)
			goto bad;
		break;
	case SPF_INCLUDE:
	case SPF_EXISTS:
		if (restlen < 2 || rest[0] != ':' ||
		    !spf_domain_spec(rest + 1, restlen - 1))
			goto bad;
		t->spec = rest + 1;
		t->speclen = restlen - 1;
		break;
	case SPF_A:
	case SPF_MX:
	case SPF_PTR:
		if (restlen > 0 && rest[0] == ':') {
			e = spf_spec_end(rest + 1, restlen - 1);
			if (!spf_domain_spec(rest + 1, e))
				goto bad;
			t->spec = rest + 1;
			t->speclen = e;
			rest += 1 + e;
			restlen -= 1 + e;
		}
		if (t->mech == SPF_PTR ? restlen != 0 :
		    !spf_dual_cidr(rest, restlen, t))
			goto bad;
		break;
	case SPF_IP4:
	case SPF_IP6:
		if (restlen < 2 || rest[0] != ':' ||
		    !spf_ip_term(rest + 1, restlen - 1, t->mech == SPF_IP6, t))
			goto bad;
		break;
	}
	rec->nterms++;
	return 0;
bad:
	spf_err(err, errsz, "bad term \"%.*s\"", (int)(n > 64 ? 64 : n), s);
	return -1;
}

int
spf_parse(const char *text, size_t n, struct spf_record *rec, char *err,
    size_t errsz)
{
	size_t	 i, start;

	memset(rec, 0, sizeof(*rec));
	if (errsz > 0)
		err[0] = '\0';
	if (!spf_is_record(text, n)) {
		spf_err(err, errsz, "not an SPF record (v=spf1)");
		return -1;
	}
	i = 6;
	while (i < n) {
		if (text[i] == ' ') {
			i++;
			continue;
		}
		start = i;
		while (i < n && text[i] != ' ')
			i++;
		if (spf_term_parse(text + start, i - start, rec, err,
		    errsz) == -1)
			return -1;
	}
	return 0;
}

/* --- macros (7) ----------------------------------------------------------- */

/* An IPv4-mapped IPv6 address as the IPv4 it maps; others as they are. */
static void
spf_unmap(const struct dns_addr *in, struct dns_addr *out)
{
	*out = *in;
	if (in->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&in->u.v6)) {
		memset(out, 0, sizeof(*out));
		out->family = AF_INET;
		memcpy(&out->u.v4, in->u.v6.s6_addr + 12, 4);
	}
}

/* The value of macro letter l (lower case) into out. */
static bool
spf_macro_value(int l, const struct spf_macro_ctx *mc, char *out,
    size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	const char *at, *v = NULL;
	struct dns_addr ip;
	size_t	 i, o = 0;
	int	 len;

	at = mc->sender != NULL ? strrchr(mc->sender, '@') : NULL;
	switch (l) {
	case 's':
		v = mc->sender != NULL ? mc->sender : "";
		break;
	case 'l':
		if (at == NULL || at == mc->sender)
			v = "postmaster";	/* 4.3 */
		else {
			len = snprintf(out, outsz, "%.*s",
			    (int)(at - mc->sender), mc->sender);
			return len >= 0 && (size_t)len < outsz;
		}
		break;
	case 'o':
		v = at != NULL ? at + 1 : mc->domain;
		break;
	case 'd':
		v = mc->domain;
		break;
	case 'h':
		v = mc->helo != NULL && mc->helo[0] != '\0' ? mc->helo :
		    mc->domain;
		break;
	case 'p':
		v = "unknown";		/* 7.3: validation not performed */
		break;
	case 'v':
	case 'i':
		if (mc->ip == NULL)
			return false;
		spf_unmap(mc->ip, &ip);
		if (l == 'v') {
			v = ip.family == AF_INET ? "in-addr" : "ip6";
			break;
		}
		if (ip.family == AF_INET)
			return inet_ntop(AF_INET, &ip.u.v4, out,
			    (socklen_t)outsz) != NULL;
		if (outsz < 64)
			return false;
		for (i = 0; i < 16; i++) {
			out[o++] = hex[ip.u.v6.s6_addr[i] >> 4];
			out[o++] = '.';
			out[o++] = hex[ip.u.v6.s6_addr[i] & 0xf];
			out[o++] = '.';
		}
		out[o - 1] = '\0';
		return true;
	default:
		return false;
	}
	len = snprintf(out, outsz, "%s", v != NULL ? v : "");
	return len >= 0 && (size_t)len < outsz;
}

/* Append src[0..n) to out at *o, URL-escaped when esc (7.3). */
static bool
spf_append(char *out, size_t outsz, size_t *o, const char *src, size_t n,
    bool esc)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t	 i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		bool	 plain = !esc || spf_alpha(c) || spf_digit(c) ||
		    c == '-' || c == '.' || c == '_' || c == '~';

		if (*o + (plain ? 1 : 3) >= outsz)
			return false;
		if (plain)
			out[(*o)++] = (char)c;
		else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[c >> 4];
			out[(*o)++] = hex[c & 0xf];
		}
	}
	return true;
}

/* One %{...} at m[0..n) appended to out (7.3's transformers). */
static bool
spf_macro_expand(const char *m, size_t n, const struct spf_macro_ctx *mc,
    char *out, size_t outsz, size_t *o)
{
	char	 val[1024], delims[8];
	const char *parts[256];
	size_t	 plen[256], np = 0, i = 3, keep = 0, first, k, nd = 0;
	bool	 rev = false, esc = spf_alpha(m[2]) && m[2] <= 'Z';
	const char *p, *end;

	if (!spf_macro_value(spf_lower((unsigned char)m[2]), mc, val,
	    sizeof(val)))
		return false;
	while (i < n && spf_digit(m[i])) {
		keep = keep * 10 + (size_t)(m[i] - '0');
		if (keep > 256)
			keep = 256;
		i++;
	}
	if (i < n && (m[i] == 'r' || m[i] == 'R')) {
		rev = true;
		i++;
	}
	while (i < n && m[i] != '}') {
		if (nd < sizeof(delims) - 1 && memchr(delims, m[i], nd) == NULL)
			delims[nd++] = m[i];
		i++;
	}
	if (nd == 0)
		delims[nd++] = '.';
	delims[nd] = '\0';
	/* split on any delimiter */
	p = val;
	end = val + strlen(val);
	for (;;) {
		const char *q = p;

		while (q < end && strchr(delims, *q) == NULL)
			q++;
		if (np == sizeof(parts) / sizeof(parts[0]))
			return false;
		parts[np] = p;
		plen[np++] = (size_t)(q - p);
		if (q >= end)
			break;
		p = q + 1;
	}
	if (rev)
		for (k = 0; k < np / 2; k++) {
			const char *tp = parts[k];
			size_t	 tl = plen[k];

			parts[k] = parts[np - 1 - k];
			plen[k] = plen[np - 1 - k];
			parts[np - 1 - k] = tp;
			plen[np - 1 - k] = tl;
		}
	first = keep > 0 && keep < np ? np - keep : 0;
	for (k = first; k < np; k++) {
		if (k > first && !spf_append(out, outsz, o, ".", 1, false))
			return false;
		if (!spf_append(out, outsz, o, parts[k], plen[k], esc))
			return false;
	}
	return true;
}

int
spf_expand(const char *spec, size_t n, const struct spf_macro_ctx *mc,
    char *out, size_t outsz, char *err, size_t errsz)
{
	char	 buf[2048];
	size_t	 i = 0, o = 0, m, start, len, lab;

	if (!spf_macro_string(spec, n, false)) {
		spf_err(err, errsz, "bad domain-spec \"%.*s\"",
		    (int)(n > 64 ? 64 : n), spec);
		return -1;
	}
	while (i < n) {
		if (spec[i] != '%') {
			if (!spf_append(buf, sizeof(buf), &o, spec + i, 1,
			    false))
				goto toolong;
			i++;
			continue;
		}
		m = spf_macro_len(spec + i, n - i, false);
		if (spec[i + 1] == '%' || spec[i + 1] == '_' ||
		    spec[i + 1] == '-') {
			const char *lit = spec[i + 1] == '%' ? "%" :
			    spec[i + 1] == '_' ? " " : "%20";

			if (!spf_append(buf, sizeof(buf), &o, lit, strlen(lit),
			    false))
				goto toolong;
		} else if (!spf_macro_expand(spec + i, m, mc, buf, sizeof(buf),
		    &o))
			goto toolong;
		i += m;
	}
	buf[o] = '\0';
	len = o;
	if (len > 0 && buf[len - 1] == '.')
		buf[--len] = '\0';
	/* 4.8: drop labels on the left until it fits */
	start = 0;
	while (len - start > SPF_NAME_MAX) {
		const char *dot = memchr(buf + start, '.', len - start);

		if (dot == NULL)
			break;
		start = (size_t)(dot - buf) + 1;
	}
	len -= start;
	if (len == 0 || len > SPF_NAME_MAX || len >= outsz) {
		spf_err(err, errsz, "domain-spec \"%.*s\" expands to no name",
		    (int)(n > 64 ? 64 : n), spec);
		return -1;
	}
	/* labels of 1..63 octets, no spaces */
	for (i = start, lab = 0; i < start + len; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '.') {
			if (lab == 0)
				goto badname;
			lab = 0;
		} else if (c <= 0x20 || c >= 0x7f || ++lab > 63)
			goto badname;
	}
	if (lab == 0)
		goto badname;
	for (i = 0; i < len; i++)
		out[i] = (char)spf_lower((unsigned char)buf[start + i]);
	out[len] = '\0';
	return 0;
badname:
	spf_err(err, errsz, "domain-spec \"%.*s\" expands to a bad name",
	    (int)(n > 64 ? 64 : n), spec);
	return -1;
toolong:
	spf_err(err, errsz, "domain-spec \"%.*s\" expands too long",
	    (int)(n > 64 ? 64 : n), spec);
	return -1;
}

/* --- check_host (4) ------------------------------------------------------- */

struct spf_eval {
	const struct spf_dns *dns;
	struct dns_addr	 ip;		/* unmapped */
	const char	*sender;
	const char	*helo;
	struct spf_outcome *out;
	char		 txt[DNS_TXT_MAX][DNS_TXT_LEN];
	struct dns_addr	 addrs[DNS_ADDR_MAX];
	struct dns_mx	 mx[DNS_MX_MAX];
};

struct spf_frame {
	char		 domain[ADDR_DOMAIN_MAX + 1];
	char		 text[DNS_TXT_LEN];
	struct spf_record rec;
};

static enum spf_result spf_check_host(struct spf_eval *, const char *);

static enum spf_result
spf_fail(struct spf_eval *ev, enum spf_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum spf_result
spf_fail(struct spf_eval *ev, enum spf_result r, const char *fmt, ...)
{
	va_list	 ap;

	/* Errors end the evaluation: the first one is the last word.
	 * Also the note on a match. */
	va_start(ap, fmt);
	(void)vsnprintf(ev->out->why, sizeof(ev->out->why), fmt, ap);
	va_end(ap);
	return r;
}

static bool
spf_in_net(const struct dns_addr *ip, const void *net, int family,
    unsigned bits)
{
	const unsigned char *a, *b = net;
	unsigned full, rest;

	if (ip->family != family)
		return false;
	a = family == AF_INET ? (const unsigned char *)&ip->u.v4 :
	    ip->u.v6.s6_addr;
	full = bits / 8;
	rest = bits % 8;
	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	return ((a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static bool
spf_count_lookup(struct spf_eval *ev)
{
	return ++ev->out->lookups <= SPF_LOOKUPS_MAX;
}

/* A void lookup (4.6.4): false once there are too many. */
static bool
spf_count_void(struct spf_eval *ev)
{
	return ++ev->out->voids <= SPF_VOIDS_MAX;
}

/* The target of a term: its expanded domain-spec, or the current domain. */
static int
spf_target(struct spf_eval *ev, const char *domain, const char *spec,
    size_t speclen, char out[ADDR_DOMAIN_MAX + 1])
{
	struct spf_macro_ctx mc;
	char	 err[SPF_WHY_MAX];

	if (spec == NULL || speclen == 0) {
		(void)snprintf(out, ADDR_DOMAIN_MAX + 1, "%s", domain);
		return 0;
	}
	mc.ip = &ev->ip;
	mc.sender = ev->sender;
	mc.domain = domain;
	mc.helo = ev->helo;
	if (spf_expand(spec, speclen, &mc, out, ADDR_DOMAIN_MAX + 1, err,
	    sizeof(err)) == -1) {
		(void)spf_fail(ev, SPF_PERMERROR, "%s: %s", domain, err);
		return -1;
	}
	return 0;
}

/*
 * Does one host's address match?  1 yes, 0 no, -1 with the result in *r
 * (temperror, or permerror from the void limit).
 */
static int
spf_match_host(struct spf_eval *ev, const char *host, const struct spf_term *t,
    bool count_void, enum spf_result *r)
{
	enum dns_result dr;
	size_t	 n, i;

	dr = ev->dns->addrs(ev->dns->ctx, host, ev->ip.family, ev->addrs, &n);
	if (dr == DNS_TEMP) {
		*r = spf_fail(ev, SPF_TEMPERROR, "%s: DNS lookup failed",
		    host);
		return -1;
	}
	if (dr != DNS_OK || n == 0) {
		if (count_void && !spf_count_void(ev)) {
			*r = spf_fail(ev, SPF_PERMERROR, "more than %d void "
			    "lookups (at %s)", SPF_VOIDS_MAX, host);
			return -1;
		}
		return 0;
	}
	for (i = 0; i < n && i < DNS_ADDR_MAX; i++) {
		const void *net = ev->addrs[i].family == AF_INET ?
		    (const void *)&ev->addrs[i].u.v4 :
		    (const void *)ev->addrs[i].u.v6.s6_addr;

		if (spf_in_net(&ev->ip, net, ev->addrs[i].family,
		    ev->ip.family == AF_INET ? t->cidr4 : t->cidr6))
			return 1;
	}
	return 0;
}

/* 1: the term matches, 0: it does not, -1: *r is the result. */
static int
spf_match(struct spf_eval *ev, const char *domain, const struct spf_term *t,
    enum spf_result *r)
{
	char	 target[ADDR_DOMAIN_MAX + 1];
	enum dns_result dr;
	enum spf_result sub;
	size_t	 n, i;
	bool	 null_mx;
	int	 m;

	switch (t->mech) {
	case SPF_ALL:
		return 1;
	case SPF_IP4:
		return spf_in_net(&ev->ip, t->addr, AF_INET, t->cidr4);
	case SPF_IP6:
		return spf_in_net(&ev->ip, t->addr, AF_INET6, t->cidr6);
	default:
		break;
	}
	if (!spf_count_lookup(ev)) {
		*r = spf_fail(ev, SPF_PERMERROR, "more than %d DNS lookups "
		    "(at \"%.*s\" in %s)", SPF_LOOKUPS_MAX, (int)t->textlen,
		    t->text, domain);
		return -1;
	}
	if (spf_target(ev, domain, t->spec, t->speclen, target) == -1) {
		*r = SPF_PERMERROR;
		return -1;
	}
	switch (t->mech) {
	case SPF_INCLUDE:
		sub = spf_check_host(ev, target);
		switch (sub) {
		case SPF_PASS:
			return 1;
		case SPF_FAIL:
		case SPF_SOFTFAIL:
		case SPF_NEUTRAL:
			return 0;
		case SPF_TEMPERROR:
			*r = SPF_TEMPERROR;
			return -1;
		case SPF_NONE:
			*r = spf_fail(ev, SPF_PERMERROR, "include:%s in %s: "
			    "no SPF record there", target, domain);
			return -1;
		case SPF_PERMERROR:
			*r = SPF_PERMERROR;
			return -1;
		}
		return 0;
	case SPF_A:
		m = spf_match_host(ev, target, t, true, r);
		return m;
	case SPF_MX:
		dr = ev->dns->mx(ev->dns->ctx, target, ev->mx, &n, &null_mx);
		if (dr == DNS_TEMP) {
			*r = spf_fail(ev, SPF_TEMPERROR, "MX of %s: DNS lookup "
			    "failed", target);
			return -1;
		}
		if (dr != DNS_OK || (n == 0 && !null_mx)) {
			if (!spf_count_void(ev)) {
				*r = spf_fail(ev, SPF_PERMERROR, "more than %d "
				    "void lookups (at MX of %s)",
				    SPF_VOIDS_MAX, target);
				return -1;
			}
			return 0;
		}
		if (n > SPF_MX_MAX) {
			*r = spf_fail(ev, SPF_PERMERROR, "more than %d MX hosts "
			    "for %s", SPF_MX_MAX, target);
			return -1;
		}
		for (i = 0; i < n; i++) {
			char	 host[ADDR_DOMAIN_MAX + 1];

			(void)snprintf(host, sizeof(host), "%s",
			    ev->mx[i].host);
			if ((m = spf_match_host(ev, host, t, false, r)) != 0)
				return m;
		}
		return 0;
	case SPF_PTR:
		return 0;	/* 5.5: not used; never a match here */
	case SPF_EXISTS:
		dr = ev->dns->addrs(ev->dns->ctx, target, AF_INET, ev->addrs,
		    &n);
		if (dr == DNS_TEMP) {
			*r = spf_fail(ev, SPF_TEMPERROR, "exists:%s: DNS "
			    "lookup failed", target);
			return -1;
		}
		if (dr == DNS_OK && n > 0)
			return 1;
		if (!spf_count_void(ev)) {
			*r = spf_fail(ev, SPF_PERMERROR, "more than %d void "
			    "lookups (at exists:%s)", SPF_VOIDS_MAX, target);
			return -1;
		}
		return 0;
	default:
		return 0;
	}
}

/* The one SPF record of domain into f->text: SPF_PASS when found. */
static enum spf_result
spf_fetch(struct spf_eval *ev, struct spf_frame *f)
{
	enum dns_result dr;
	size_t	 n, i, found = 0;

	dr = ev->dns->txt(ev->dns->ctx, f->domain, ev->txt, &n);
	if (dr == DNS_TEMP)
		return spf_fail(ev, SPF_TEMPERROR, "TXT of %s: DNS lookup "
		    "failed", f->domain);
	if (dr != DNS_OK)
		return SPF_NONE;
	for (i = 0; i < n && i < DNS_TXT_MAX; i++) {
		size_t	 len = strnlen(ev->txt[i], DNS_TXT_LEN - 1);

		if (!spf_is_record(ev->txt[i], len))
			continue;
		if (found++ == 0) {
			memcpy(f->text, ev->txt[i], len);
			f->text[len] = '\0';
		}
	}
	if (found == 0)
		return SPF_NONE;
	if (found > 1)
		return spf_fail(ev, SPF_PERMERROR, "%s has %zu SPF records "
		    "(4.5: one at most)", f->domain, found);
	return SPF_PASS;
}

static enum spf_result
spf_check_host(struct spf_eval *ev, const char *domain)
{
	struct spf_frame *f;
	char	 err[SPF_WHY_MAX];
	enum spf_result r;
	size_t	 i;
	bool	 has_all = false;
	int	 m;

	if ((f = malloc(sizeof(*f))) == NULL)
		return spf_fail(ev, SPF_TEMPERROR, "out of memory");
	(void)snprintf(f->domain, sizeof(f->domain), "%s", domain);
	if ((r = spf_fetch(ev, f)) != SPF_PASS)
		goto done;
	if (spf_parse(f->text, strlen(f->text), &f->rec, err,
	    sizeof(err)) == -1) {
		r = spf_fail(ev, SPF_PERMERROR, "%s: %s", f->domain, err);
		goto done;
	}
	for (i = 0; i < f->rec.nterms; i++) {
		const struct spf_term *t = &f->rec.terms[i];

		has_all |= t->mech == SPF_ALL;
		r = SPF_NEUTRAL;
		if ((m = spf_match(ev, f->domain, t, &r)) == -1)
			goto done;
		if (m == 1) {
			r = t->qualifier;
			/* an include's own match says more */
			if (t->mech != SPF_INCLUDE)
				(void)spf_fail(ev, r, "\"%.*s\" in %s",
				    (int)t->textlen, t->text, f->domain);
			goto done;
		}
	}
	r = SPF_NEUTRAL;
	if (f->rec.redirect != NULL && !has_all) {	/* 6.1 */
		char	 target[ADDR_DOMAIN_MAX + 1];

		if (!spf_count_lookup(ev)) {
			r = spf_fail(ev, SPF_PERMERROR, "more than %d DNS "
			    "lookups (at redirect in %s)", SPF_LOOKUPS_MAX,
			    f->domain);
			goto done;
		}
		if (spf_target(ev, f->domain, f->rec.redirect,
		    f->rec.redirectlen, target) == -1) {
			r = SPF_PERMERROR;
			goto done;
		}
		r = spf_check_host(ev, target);
		if (r == SPF_NONE)
			r = spf_fail(ev, SPF_PERMERROR, "redirect=%s in %s: no "
			    "SPF record there", target, f->domain);
		goto done;
	}
	(void)spf_fail(ev, r, "no mechanism matched in %s", f->domain);
done:
	free(f);
	return r;
}

enum spf_result
spf_check(const struct spf_dns *dns, const struct dns_addr *ip,
    const char *domain, const char *sender, const char *helo,
    struct spf_outcome *out)
{
	struct spf_eval *ev;
	char	 sbuf[ADDR_PATH_MAX + 1];

	memset(out, 0, sizeof(*out));
	if ((ev = calloc(1, sizeof(*ev))) == NULL) {
		out->result = SPF_TEMPERROR;
		(void)snprintf(out->why, sizeof(out->why), "out of memory");
		return out->result;
	}
	if (sender == NULL || sender[0] == '\0') {
		(void)snprintf(sbuf, sizeof(sbuf), "postmaster@%s", domain);
		sender = sbuf;
	}
	ev->dns = dns;
	spf_unmap(ip, &ev->ip);
	ev->sender = sender;
	ev->helo = helo;
	ev->out = out;
	if (ev->ip.family != AF_INET && ev->ip.family != AF_INET6)
		out->result = spf_fail(ev, SPF_PERMERROR, "no address");
	else if (domain == NULL || domain[0] == '\0' ||
	    strlen(domain) > ADDR_DOMAIN_MAX)
		out->result = SPF_NONE;		/* 4.3 */
	else
		out->result = spf_check_host(ev, domain);
	if (out->result == SPF_NONE && out->why[0] == '\0')
		(void)snprintf(out->why, sizeof(out->why), "no SPF record");
	free(ev);
	return out->result;
}

const char *
spf_result_name(enum spf_result r)
{
	switch (r) {
	case SPF_NONE:
		return "none";
	case SPF_NEUTRAL:
		return "neutral";
	case SPF_PASS:
		return "pass";
	case SPF_FAIL:
		return "fail";
	case SPF_SOFTFAIL:
		return "softfail";
	case SPF_TEMPERROR:
		return "temperror";
	case SPF_PERMERROR:
		return "permerror";
	}
	return "unknown";
}
