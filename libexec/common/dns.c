/*
 * dns.c — MX, A/AAAA, TXT and PTR lookups through glibc's resolver on a
 * private struct __res_state (see dns.h).
 *
 * The configuration's `resolver =` servers replace /etc/resolv.conf's in
 * that private state only: IPv4 servers go in nsaddr_list, IPv6 servers in
 * the _u._ext.nsaddrs extension with nsaddr_list[i].sin_family = 0, the
 * layout glibc's own resolv.conf loader uses (glibc 2.26 and later), so
 * res_nsend copies the IPv4 ones and uses the IPv6 ones as they are, and
 * res_nclose frees both.
 *
 * res_nquery sends the question (UDP, TCP after a truncated answer) and
 * maps the rcode to h_errno; answers are walked with ns_initparse and
 * ns_parserr, names expanded with ns_name_uncompress.  Only TXT
 * character-strings (RFC 1035 3.3.14) are split here, within the RR's
 * rdata bounds.  RFC 5321 5.1 (MX order), RFC 7505 (null MX), RFC 3596
 * (AAAA, ip6.arpa), RFC 1035 3.5 (in-addr.arpa).
 */
#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <errno.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "poison.h"

/* Room for any answer over TCP (RFC 1035 4.2.2: a 16-bit length). */
#define DNS_ANSWER_MAX	65536
#define DNS_TIMEOUT	5
#define DNS_TRIES	2

struct dns {
	struct __res_state res;
	uint64_t	 rnd;		/* xorshift state: MX tie order */
	unsigned char	 answer[DNS_ANSWER_MAX];
};

static void
dns_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Drop the trailing dot of an absolute name; the root stays "". */
static void
dns_strip_dot(char *s)
{
	size_t	 n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[n - 1] = '\0';
}

/* Replace the private state's servers with the configuration's. */
static int
dns_set_servers(struct dns *d, const struct conf *c)
{
	res_state r = &d->res;
	int	 i;

	for (i = 0; i < MAXNS; i++) {
		if (i < r->nscount) {
			free(r->_u._ext.nsaddrs[i]);
			r->_u._ext.nsaddrs[i] = NULL;
		}
		r->_u._ext.nssocks[i] = -1;
	}
	r->nscount = 0;
	r->_u._ext.nscount = 0;		/* res_nsend makes its copies */
	for (i = 0; i < (int)c->nresolvers && i < MAXNS; i++) {
		const struct conf_resolver *cr = &c->resolvers[i];
		struct sockaddr_in *sin = &r->nsaddr_list[i];
		struct sockaddr_in6 *sin6;

		memset(sin, 0, sizeof(*sin));
		if (inet_pton(AF_INET, cr->addr, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(cr->port);
		} else {
			if ((sin6 = calloc(1, sizeof(*sin6))) == NULL)
				return -1;
			if (inet_pton(AF_INET6, cr->addr, &sin6->sin6_addr) !=
			    1) {
				free(sin6);
				errno = EINVAL;
				return -1;
			}
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons(cr->port);
			sin->sin_family = 0;	/* "see _u._ext.nsaddrs" */
			r->_u._ext.nsaddrs[i] = sin6;
		}
		r->nscount = i + 1;
	}
	return 0;
}

struct dns *
dns_open(const struct conf *c, unsigned timeout_s)
{
	struct dns *d;
	int	 saved;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if (res_ninit(&d->res) == -1) {
		free(d);
		errno = EIO;
		return NULL;
	}
	if (c != NULL && c->nresolvers > 0 && dns_set_servers(d, c) == -1) {
		saved = errno;
		res_nclose(&d->res);
		free(d);
		errno = saved;
		return NULL;
	}
	if (timeout_s == 0)
		timeout_s = DNS_TIMEOUT;
	d->res.retrans = (int)(timeout_s > 300 ? 300 : timeout_s);
	d->res.retry = DNS_TRIES;
	/* Names are absolute: no search list, no default domain. */
	d->res.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	if (getrandom(&d->rnd, sizeof(d->rnd), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(d->rnd))
		d->rnd = (uint64_t)(uintptr_t)d ^ 0x9e3779b97f4a7c15ULL;
	if (d->rnd == 0)
		d->rnd = 1;
	return d;
}

void
dns_close(struct dns *d)
{
	if (d == NULL)
		return;
	res_nclose(&d->res);
	free(d);
}

static uint64_t
dns_random(struct dns *d)
{
	d->rnd ^= d->rnd << 13;
	d->rnd ^= d->rnd >> 7;
	d->rnd ^= d->rnd << 17;
	return d->rnd;
}

/*
 * Ask for name/type; on DNS_OK the message is parsed into *msg.  An answer
 * with no record of the type (only CNAMEs, say) is left for the caller to
 * call NODATA.
 */
static enum dns_result
dns_query(struct dns *d, const char *name, ns_type type, ns_msg *msg)
{
	int	 n;

	if (name[0] == '\0' || strlen(name) > ADDR_DOMAIN_MAX)
		return DNS_NXDOMAIN;
	n = res_nquery(&d->res, name, ns_c_in, type, d->answer,
	    (int)sizeof(d->answer));
	if (n < 0) {
		switch (d->res.res_h_errno) {
		case HOST_NOT_FOUND:
			return DNS_NXDOMAIN;
		case NO_DATA:
			return DNS_NODATA;
		default:	/* TRY_AGAIN, NO_RECOVERY (REFUSED), ours */
			return DNS_TEMP;
		}
	}
	if ((size_t)n > sizeof(d->answer))
		return DNS_TEMP;	/* would not fit */
	if (ns_initparse(d->answer, n, msg) == -1)
		return DNS_TEMP;
	return DNS_OK;
}

/* Expand a domain name inside msg at p into out (lower case, no dot). */
static bool
dns_name(const ns_msg *msg, const unsigned char *p, char *out, size_t outsz)
{
	if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), p, out,
	    outsz) == -1)
		return false;
	dns_lower(out);
	if (strcmp(out, ".") == 0)
		out[0] = '\0';
	dns_strip_dot(out);
	return true;
}

enum dns_result
dns_mx(struct dns *d, const char *domain, struct dns_mx out[DNS_MX_MAX],
    size_t *n, bool *null_mx)
{
	ns_msg	 msg;
	ns_rr	 rr;
	enum dns_result r;
	size_t	 i, j, k, count, nnull = 0;
	uint64_t keys[DNS_MX_MAX];

	*n = 0;
	*null_mx = false;
	if ((r = dns_query(d, domain, ns_t_mx, &msg)) != DNS_OK)
		return r;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		struct dns_mx mx;

		if (ns_parserr(&msg, ns_s_an, (int)i, &rr) == -1)
			return DNS_TEMP;
		if (ns_rr_type(rr) != ns_t_mx || ns_rr_class(rr) != ns_c_in)
			continue;
		if (ns_rr_rdlen(rr) < 3)
			return DNS_TEMP;
		mx.pref = (uint16_t)ns_get16(ns_rr_rdata(rr));
		if (!dns_name(&msg, ns_rr_rdata(rr) + 2, mx.host,
		    sizeof(mx.host)))
			return DNS_TEMP;
		if (mx.host[0] == '\0') {
			nnull++;
			continue;
		}
		if (*n == DNS_MX_MAX)
			continue;
		/* Ties in random order: sort by (pref, random key). */
		keys[*n] = ((uint64_t)mx.pref << 48) |
		    (dns_random(d) >> 16);
		out[(*n)++] = mx;
	}
	if (*n == 0 && nnull > 0) {
		*null_mx = true;	/* RFC 7505 3 */
		return DNS_OK;
	}
	if (*n == 0)
		return DNS_NODATA;
	for (j = 1; j < *n; j++) {
		struct dns_mx t = out[j];
		uint64_t kt = keys[j];

		for (k = j; k > 0 && keys[k - 1] > kt; k--) {
			out[k] = out[k - 1];
			keys[k] = keys[k - 1];
		}
		out[k] = t;
		keys[k] = kt;
	}
	return DNS_OK;
}

static enum dns_result
dns_addrs_one(struct dns *d, const char *host, int family,
    struct dns_addr *out, size_t max, size_t *n)
{
	ns_msg	 msg;
	ns_rr	 rr;
	enum dns_result r;
	size_t	 i, count;
	ns_type	 type = family == AF_INET ? ns_t_a : ns_t_aaaa;
	size_t	 len = family == AF_INET ? 4 : 16;

	*n = 0;
	if ((r = dns_query(d, host, type, &msg)) != DNS_OK)
		return r;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count && *n < max; i++) {
		struct dns_addr *a = &out[*n];

		if (ns_parserr(&msg, ns_s_an, (int)i, &rr) == -1)
			return DNS_TEMP;
		if (ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in)
			continue;
		if (ns_rr_rdlen(rr) != len)
			return DNS_TEMP;
		memset(a, 0, sizeof(*a));
		a->family = family;
		if (family == AF_INET)
			memcpy(&a->u.v4, ns_rr_rdata(rr), 4);
		else
			memcpy(&a->u.v6, ns_rr_rdata(rr), 16);
		(*n)++;
	}
	return *n > 0 ? DNS_OK : DNS_NODATA;
}

enum dns_result
dns_addrs(struct dns *d, const char *host, int family,
    struct dns_addr out[DNS_ADDR_MAX], size_t *n)
{
	enum dns_result r6, r4;
	size_t	 n6 = 0, n4 = 0;

	*n = 0;
	if (family == AF_INET || family == AF_INET6)
		return dns_addrs_one(d, host, family, out, DNS_ADDR_MAX, n);
	if (family != AF_UNSPEC)
		return DNS_NODATA;
	r6 = dns_addrs_one(d, host, AF_INET6, out, DNS_ADDR_MAX, &n6);
	r4 = dns_addrs_one(d, host, AF_INET, out + n6, DNS_ADDR_MAX - n6,
	    &n4);
	*n = n6 + n4;
	if (*n > 0)
		return DNS_OK;
	if (r6 == DNS_TEMP || r4 == DNS_TEMP)
		return DNS_TEMP;
	if (r6 == DNS_NXDOMAIN && r4 == DNS_NXDOMAIN)
		return DNS_NXDOMAIN;
	return DNS_NODATA;
}

enum dns_result
dns_txt(struct dns *d, const char *name, char out[DNS_TXT_MAX][DNS_TXT_LEN],
    size_t *n)
{
	ns_msg	 msg;
	ns_rr	 rr;
	enum dns_result r;
	size_t	 i, count, seen = 0;

	*n = 0;
	if ((r = dns_query(d, name, ns_t_txt, &msg)) != DNS_OK)
		return r;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count; i++) {
		const unsigned char *p, *end;
		size_t	 len = 0;
		bool	 fits = true;

		if (ns_parserr(&msg, ns_s_an, (int)i, &rr) == -1)
			return DNS_TEMP;
		if (ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in)
			continue;
		seen++;
		if (*n == DNS_TXT_MAX)
			continue;
		/* <length><octets>, repeated to the end of the rdata */
		p = ns_rr_rdata(rr);
		end = p + ns_rr_rdlen(rr);
		while (p < end) {
			size_t	 sl = *p++;

			if (sl > (size_t)(end - p))
				return DNS_TEMP;
			if (len + sl >= DNS_TXT_LEN)
				fits = false;
			else {
				memcpy(out[*n] + len, p, sl);
				len += sl;
			}
			p += sl;
		}
		if (!fits)
			continue;
		out[*n][len] = '\0';
		(*n)++;
	}
	/* Only over-long records: the name has TXT data we cannot use. */
	return seen > 0 ? DNS_OK : DNS_NODATA;
}

/* in-addr.arpa (RFC 1035 3.5) or ip6.arpa nibbles (RFC 3596 2.5). */
static bool
dns_reverse_name(const struct dns_addr *a, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b;
	size_t	 i, o = 0;
	int	 len;

	if (a->family == AF_INET) {
		b = (const unsigned char *)&a->u.v4;
		len = snprintf(out, outsz, "%u.%u.%u.%u.in-addr.arpa",
		    b[3], b[2], b[1], b[0]);
		return len > 0 && (size_t)len < outsz;
	}
	if (a->family != AF_INET6 || outsz < 16 * 4 + sizeof("ip6.arpa"))
		return false;
	b = (const unsigned char *)&a->u.v6;
	for (i = 16; i-- > 0;) {
		out[o++] = hex[b[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[b[i] >> 4];
		out[o++] = '.';
	}
	memcpy(out + o, "ip6.arpa", sizeof("ip6.arpa"));
	return true;
}

enum dns_result
dns_ptr(struct dns *d, const struct dns_addr *a,
    char out[DNS_ADDR_MAX][ADDR_DOMAIN_MAX + 1], size_t *n)
{
	char	 qname[ADDR_DOMAIN_MAX + 1];
	ns_msg	 msg;
	ns_rr	 rr;
	enum dns_result r;
	size_t	 i, count;

	*n = 0;
	if (!dns_reverse_name(a, qname, sizeof(qname)))
		return DNS_NXDOMAIN;
	if ((r = dns_query(d, qname, ns_t_ptr, &msg)) != DNS_OK)
		return r;
	count = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < count && *n < DNS_ADDR_MAX; i++) {
		if (ns_parserr(&msg, ns_s_an, (int)i, &rr) == -1)
			return DNS_TEMP;
		if (ns_rr_type(rr) != ns_t_ptr || ns_rr_class(rr) != ns_c_in)
			continue;
		if (!dns_name(&msg, ns_rr_rdata(rr), out[*n],
		    ADDR_DOMAIN_MAX + 1))
			return DNS_TEMP;
		if (out[*n][0] != '\0')
			(*n)++;
	}
	return *n > 0 ? DNS_OK : DNS_NODATA;
}

void
dns_addr_format(const struct dns_addr *a, char *out, size_t outsz)
{
	const void *src = a->family == AF_INET ? (const void *)&a->u.v4 :
	    (const void *)&a->u.v6;

	if (outsz == 0)
		return;
	if ((a->family != AF_INET && a->family != AF_INET6) ||
	    inet_ntop(a->family, src, out, (socklen_t)outsz) == NULL)
		(void)snprintf(out, outsz, "?");
}

bool
dns_addr_parse(const char *s, struct dns_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &a->u.v4) == 1) {
		a->family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, &a->u.v6) == 1) {
		a->family = AF_INET6;
		return true;
	}
	memset(a, 0, sizeof(*a));
	return false;
}

/* Public unicast: not loopback, link-local, private, ULA, shared,
 * documentation or multicast space. */
bool
dns_addr_global(const struct dns_addr *a)
{
	const unsigned char *b;

	if (a->family == AF_INET) {
		b = (const unsigned char *)&a->u.v4;
		return !(b[0] == 0 || b[0] == 10 || b[0] == 127 ||
		    b[0] >= 224 ||
		    (b[0] == 100 && (b[1] & 0xc0) == 64) ||
		    (b[0] == 169 && b[1] == 254) ||
		    (b[0] == 172 && (b[1] & 0xf0) == 16) ||
		    (b[0] == 192 && b[1] == 168) ||
		    (b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2)) ||
		    (b[0] == 198 && (b[1] & 0xfe) == 18) ||
		    (b[0] == 198 && b[1] == 51 && b[2] == 100) ||
		    (b[0] == 203 && b[1] == 0 && b[2] == 113));
	}
	b = a->u.v6.s6_addr;
	/* 2000::/3 only, less 2001:db8::/32 */
	return (b[0] & 0xe0) == 0x20 &&
	    !(b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8);
}

const char *
dns_result_name(enum dns_result r)
{
	switch (r) {
	case DNS_OK:
		return "ok";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_NODATA:
		return "nodata";
	case DNS_TEMP:
		return "temporary failure";
	}
	return "unknown";
}
