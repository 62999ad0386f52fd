/*
 * addr.c — RFC 5321 §4.1.2 paths and mailboxes, RFC 6531 §3.3 UTF-8
 * extensions, and domain normalisation with libidn2 (IDNA2008, UTS#46).
 *
 * The grammar is followed closely; the deviations are deliberate and
 * flagged: a trailing dot on the domain parses (flag ADDR_TRAILING_DOT) so
 * that it can be refused as a relay attempt.  Length limits are RFC 5321
 * §4.5.3.1.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <idn2.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "log.h"
#include "poison.h"

/*
 * libidn2 is loaded the first time a domain needs it (non-ASCII, or an
 * A-label to check): most sessions never do, and loading it (with
 * libunistring) costs every handler's start-up about half a millisecond
 * (PERFORMANCE.md).
 */
static int (*addr_idn2_ascii)(const char *, char **, int);
static void (*addr_idn2_release)(void *);

static bool
addr_idn2_load(void)
{
	static int	 state;	/* 0 not tried, 1 loaded, -1 failed */
	void		*h;

	if (state != 0)
		return state == 1;
	state = -1;
	if ((h = dlopen("libidn2.so.0", RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_error("cannot load libidn2", dlerror(), 0);
		return false;
	}
	*(void **)&addr_idn2_ascii = dlsym(h, "idn2_to_ascii_8z");
	*(void **)&addr_idn2_release = dlsym(h, "idn2_free");
	if (addr_idn2_ascii == NULL || addr_idn2_release == NULL) {
		log_error("libidn2 lacks idn2_to_ascii_8z", dlerror(), 0);
		return false;
	}
	state = 1;	/* the handle stays open for the process's life */
	return true;
}

static int
addr_idn2_to_ascii(const char *in, char **out, int flags)
{
	if (!addr_idn2_load())
		return IDN2_MALLOC;
	return addr_idn2_ascii(in, out, flags);
}

static void
addr_idn2_free(void *p)
{
	addr_idn2_release(p);
}

static bool
addr_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;	/* UTF-8, checked separately */
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
addr_letdig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

bool
addr_utf8_valid(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t	 i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t	 len, k;
		unsigned long cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return false;
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static bool
addr_has_8bit(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/*
 * Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str],
 * or a U-label under SMTPUTF8 (its IDNA validity is checked by libidn2
 * when the domain is normalised).  Returns the length of the domain found
 * at s, or 0; a trailing "." is counted and reported in *dot.
 */
static size_t
addr_scan_domain(const char *s, size_t n, bool *dot)
{
	size_t	 i = 0, label;

	*dot = false;
	for (;;) {
		label = 0;
		while (i < n && (addr_letdig((unsigned char)s[i]) ||
		    s[i] == '-' || (unsigned char)s[i] >= 0x80)) {
			i++;
			label++;
		}
		if (label == 0 || label > 63 || s[i - label] == '-' ||
		    s[i - 1] == '-')
			return 0;
		if (i < n && s[i] == '.') {
			i++;
			if (i == n || s[i] == '>' || s[i] == ' ') {
				*dot = true;
				return i;
			}
			continue;
		}
		return i;
	}
}

/* "[" ... "]" — IPv4, "IPv6:" or a General-address-literal; loosely. */
static size_t
addr_scan_literal(const char *s, size_t n)
{
	size_t i;

	if (n < 3 || s[0] != '[')
		return 0;
	for (i = 1; i < n && s[i] != ']'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126 || c == '[' || c == '\\')
			return 0;
	}
	if (i >= n || i == 1)
		return 0;
	return i + 1;
}

/* Parse Mailbox = Local-part "@" (Domain / address-literal). */
static enum addr_result
addr_scan_mailbox(const char *s, size_t n, unsigned opts, struct addr *a,
    size_t *used)
{
	size_t	 i = 0, lp = 0, d;
	bool	 dot;

	if (n > 0 && s[0] == '"') {
		a->flags |= ADDR_QUOTED;
		for (i = 1; i < n && s[i] != '"'; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '\\') {
				if (++i >= n)
					return ADDR_ESYNTAX;
				c = (unsigned char)s[i];
				if (c < 32 || c > 126)
					return ADDR_ESYNTAX;
			} else if (c < 32 || c == 127)
				return ADDR_ESYNTAX;
			if (lp >= ADDR_LOCAL_MAX)
				return ADDR_ETOOLONG;
			if (c == '@')
				a->flags |= ADDR_QUOTED_AT;
			a->local[lp++] = (char)c;
		}
		if (i >= n)
			return ADDR_ESYNTAX;
		i++;	/* closing quote */
		if (i > ADDR_LOCAL_MAX + 2 + 32)
			return ADDR_ETOOLONG;
	} else {
		bool	 prevdot = true;

		for (i = 0; i < n && s[i] != '@' && s[i] != '>'; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '.') {
				if (prevdot)
					return ADDR_ESYNTAX;
				prevdot = true;
			} else if (addr_atext(c))
				prevdot = false;
			else
				return ADDR_ESYNTAX;
			if (lp >= ADDR_LOCAL_MAX)
				return ADDR_ETOOLONG;
			a->local[lp++] = (char)c;
		}
		if (lp == 0 || prevdot)
			return ADDR_ESYNTAX;
	}
	a->local[lp] = '\0';
	if (memchr(a->local, '%', lp) != NULL)
		a->flags |= ADDR_PERCENT;
	if (memchr(a->local, '!', lp) != NULL)
		a->flags |= ADDR_BANG;

	if (i >= n || s[i] != '@') {
		/* RFC 5321 4.5.1: "Postmaster" without a domain, RCPT only. */
		if ((opts & ADDR_OPT_POSTMASTER) && !(a->flags & ADDR_QUOTED) &&
		    strcasecmp(a->local, "postmaster") == 0) {
			a->flags |= ADDR_NODOMAIN;
			a->domain[0] = '\0';
			*used = i;
			return ADDR_OK;
		}
		return ADDR_ESYNTAX;
	}
	i++;
	if (i < n && s[i] == '[') {
		d = addr_scan_literal(s + i, n - i);
		a->flags |= ADDR_LITERAL;
	} else {
		d = addr_scan_domain(s + i, n - i, &dot);
		if (dot)
			a->flags |= ADDR_TRAILING_DOT;
	}
	if (d == 0)
		return ADDR_ESYNTAX;
	if (d > ADDR_DOMAIN_MAX)
		return ADDR_ETOOLONG;
	memcpy(a->domain, s + i, d);
	a->domain[d] = '\0';
	*used = i + d;
	return ADDR_OK;
}

static enum addr_result
addr_finish(const char *mb, size_t n, unsigned opts, struct addr *a)
{
	if (n > ADDR_PATH_MAX - 2)
		return ADDR_ETOOLONG;
	if (addr_has_8bit(mb, n)) {
		if (!addr_utf8_valid(mb, n))
			return ADDR_ESYNTAX;
		a->flags |= ADDR_UTF8;
		if (!(opts & ADDR_OPT_UTF8))
			return ADDR_EUTF8;
	}
	memcpy(a->mailbox, mb, n);
	a->mailbox[n] = '\0';
	if (a->domain[0] != '\0' && !(a->flags & ADDR_LITERAL)) {
		char norm[ADDR_DOMAIN_MAX + 1];

		if (!addr_domain_normalize(a->domain, norm, sizeof(norm)))
			return ADDR_EDOMAIN;
	}
	return ADDR_OK;
}

enum addr_result
addr_parse_path(const char *s, size_t n, unsigned opts, struct addr *a,
    size_t *used)
{
	enum addr_result r;
	size_t	 i = 1, mbstart, mblen;

	memset(a, 0, sizeof(*a));
	if (n < 2 || s[0] != '<')
		return ADDR_ESYNTAX;
	if (s[1] == '>') {
		if (!(opts & ADDR_OPT_NULL))
			return ADDR_ESYNTAX;
		a->flags = ADDR_NULL;
		*used = 2;
		return ADDR_OK;
	}
	if (s[1] == '@') {
		/* A-d-l: At-domain *( "," At-domain ) ":" */
		a->flags |= ADDR_ROUTE;
		for (;;) {
			bool	dot;
			size_t	d;

			if (i >= n || s[i] != '@')
				return ADDR_ESYNTAX;
			i++;
			d = addr_scan_domain(s + i, n - i, &dot);
			if (d == 0 || dot)
				return ADDR_ESYNTAX;
			i += d;
			if (i < n && s[i] == ',') {
				i++;
				continue;
			}
			if (i < n && s[i] == ':') {
				i++;
				break;
			}
			return ADDR_ESYNTAX;
		}
	}
	mbstart = i;
	r = addr_scan_mailbox(s + i, n - i, opts, a, &mblen);
	if (r != ADDR_OK)
		return r;
	i += mblen;
	if (i >= n || s[i] != '>')
		return ADDR_ESYNTAX;
	r = addr_finish(s + mbstart, mblen, opts, a);
	if (r != ADDR_OK)
		return r;
	*used = i + 1;
	return ADDR_OK;
}

enum addr_result
addr_parse_mailbox(const char *s, size_t n, unsigned opts, struct addr *a)
{
	enum addr_result r;
	size_t	 used;

	memset(a, 0, sizeof(*a));
	r = addr_scan_mailbox(s, n, opts, a, &used);
	if (r != ADDR_OK)
		return r;
	if (used != n)
		return ADDR_ESYNTAX;
	return addr_finish(s, n, opts, a);
}

bool
addr_domain_normalize(const char *in, char *out, size_t outsz)
{
	size_t	 n = strlen(in), i;
	char	*ascii = NULL, *tmp;
	bool	 dot;
	int	 rc;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n > ADDR_DOMAIN_MAX - 2 || n + 1 > outsz)
		return false;
	if (!addr_has_8bit(in, n)) {
		if (addr_scan_domain(in, n, &dot) != n || dot)
			return false;
		for (i = 0; i < n; i++)
			out[i] = (char)tolower((unsigned char)in[i]);
		out[n] = '\0';
		if (strstr(out, "xn--") == NULL)
			return true;
		/*
		 * An A-label must stand for a valid U-label (RFC 5891 5.4):
		 * libidn2 decodes and checks it against IDNA2008.
		 */
		rc = addr_idn2_to_ascii(out, &ascii, IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK)
			return false;
		addr_idn2_free(ascii);
		return true;
	}
	if (!addr_utf8_valid(in, n))
		return false;
	if ((tmp = strndup(in, n)) == NULL)
		return false;
	rc = addr_idn2_to_ascii(tmp, &ascii,
	    IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	free(tmp);
	if (rc != IDN2_OK)
		return false;
	n = strlen(ascii);
	/* UTS#46 may map every character away (U+00AD, U+200B): nothing left */
	if (n == 0 || n + 1 > outsz || addr_scan_domain(ascii, n, &dot) != n ||
	    dot) {
		addr_idn2_free(ascii);
		return false;
	}
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)ascii[i]);
	out[n] = '\0';
	addr_idn2_free(ascii);
	return true;
}

bool
addr_helo_valid(const char *s, size_t n, bool utf8)
{
	bool	 dot;
	size_t	 i;

	if (n == 0 || n > ADDR_DOMAIN_MAX)
		return false;
	if (s[0] == '[')
		return addr_scan_literal(s, n) == n;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Underscores are common in the wild; tolerate them here. */
		if (c == '_')
			continue;
		if (c >= 0x80 && !utf8)
			return false;
	}
	if (utf8 && !addr_utf8_valid(s, n))
		return false;
	/* Check the shape with underscores read as letters. */
	{
		char	copy[ADDR_DOMAIN_MAX + 1];

		memcpy(copy, s, n);
		copy[n] = '\0';
		for (i = 0; i < n; i++)
			if (copy[i] == '_')
				copy[i] = 'x';
		return addr_scan_domain(copy, n, &dot) == n;
	}
}

const char *
addr_strerror(enum addr_result r)
{
	switch (r) {
	case ADDR_OK:
		return "ok";
	case ADDR_ESYNTAX:
		return "address syntax";
	case ADDR_ETOOLONG:
		return "address too long";
	case ADDR_EUTF8:
		return "non-ASCII address without SMTPUTF8";
	case ADDR_EDOMAIN:
		return "invalid domain (IDNA)";
	}
	return "unknown";
}
