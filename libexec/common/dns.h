/*
 * dns.h — DNS lookups for delivery and for `tambo dns check`: MX (with the
 * implicit MX and null MX rules of RFC 5321 5.1 and RFC 7505), A/AAAA, TXT
 * and PTR, through glibc's res_nquery on a private resolver state.
 *
 * The servers asked are /etc/resolv.conf's, or the configuration's
 * `resolver =` list (struct conf_resolver: IPv4 or IPv6, any port), which
 * lets tests point tambo at dnsmasq on a loopback port.  Answers are parsed
 * with libresolv's ns_initparse/ns_parserr, never by hand.
 *
 * Names passed in are A-labels (addr.h converts IDNs), lower case, without
 * a trailing dot.  Results are copied into caller arrays with fixed
 * maxima; nothing here allocates after dns_open.
 *
 * Every lookup returns one of enum dns_result.  DNS_TEMP covers SERVFAIL,
 * timeouts, no server reachable and our own trouble (a truncated answer
 * that would not fit); the caller retries later.  DNS_NXDOMAIN and
 * DNS_NODATA are answers, not errors.
 */
#ifndef TAMBO_DNS_H
#define TAMBO_DNS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "conf.h"

#define DNS_MX_MAX	32	/* MX hosts kept, lowest preference first */
#define DNS_ADDR_MAX	32	/* addresses kept per name */
#define DNS_TXT_MAX	16	/* TXT records kept per name */
#define DNS_TXT_LEN	4096	/* one TXT record, its strings joined */

enum dns_result {
	DNS_OK,
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_NODATA,		/* the name exists, no record of the type */
	DNS_TEMP,		/* try later */
};

struct dns;			/* resolver state, opaque */

struct dns_mx {
	uint16_t	 pref;
	char		 host[ADDR_DOMAIN_MAX + 1];	/* lower case, no dot */
};

/* An address of either family; port unused. */
struct dns_addr {
	int		 family;	/* AF_INET or AF_INET6 */
	union {
		struct in_addr	 v4;
		struct in6_addr	 v6;
	}		 u;
};

/*
 * A resolver for the configuration's `resolver =` servers, or for
 * /etc/resolv.conf when there are none.  timeout_s bounds each try (0:
 * 5 s); two tries per server.  NULL with errno on failure.
 */
struct dns *dns_open(const struct conf *, unsigned timeout_s);
void	dns_close(struct dns *);

/*
 * The MX hosts of domain, sorted by preference (ties in random order, RFC
 * 5321 5.1).  NODATA is returned as is: the caller applies the implicit
 * MX rule (the domain itself as the only host).  A null MX (one record,
 * "0 .") gives DNS_OK with *n = 0 and *null_mx set.  CNAMEs are followed
 * by the server.
 */
enum dns_result dns_mx(struct dns *, const char *domain,
	    struct dns_mx out[DNS_MX_MAX], size_t *n, bool *null_mx);

/*
 * The addresses of host: family AF_INET (A), AF_INET6 (AAAA), or
 * AF_UNSPEC for both, AAAA first.  For AF_UNSPEC, DNS_OK when either
 * lookup found addresses; DNS_TEMP when either failed temporarily and
 * the other found none.
 */
enum dns_result dns_addrs(struct dns *, const char *host, int family,
	    struct dns_addr out[DNS_ADDR_MAX], size_t *n);

/*
 * The TXT records of name, each record's character-strings concatenated
 * (RFC 7208 3.3, RFC 6376 3.6.2.2) and NUL-terminated.  A record longer
 * than DNS_TXT_LEN - 1 is skipped.
 */
enum dns_result dns_txt(struct dns *, const char *name,
	    char out[DNS_TXT_MAX][DNS_TXT_LEN], size_t *n);

/* The PTR names of an address (in-addr.arpa / ip6.arpa), lower case. */
enum dns_result dns_ptr(struct dns *, const struct dns_addr *,
	    char out[DNS_ADDR_MAX][ADDR_DOMAIN_MAX + 1], size_t *n);

/* The address as text (inet_ntop) into out[INET6_ADDRSTRLEN]. */
void	dns_addr_format(const struct dns_addr *, char *out, size_t outsz);

/* Parse a numeric IPv4 or IPv6 address (no brackets); false if not one. */
bool	dns_addr_parse(const char *, struct dns_addr *);

/* A public unicast address: not loopback, link-local, private, ULA,
 * shared, documentation or multicast space. */
bool	dns_addr_global(const struct dns_addr *);

/* "ok", "nxdomain", "nodata", "temporary failure": for log lines. */
const char *dns_result_name(enum dns_result);

#endif
