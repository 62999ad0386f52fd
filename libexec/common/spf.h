/*
 * spf.h — Sender Policy Framework (RFC 7208): does a domain's SPF record
 * authorise an address to send its mail?  Used by `tambo dns check`.
 *
 * Two layers.  spf_parse reads one record's text into terms (mechanisms
 * all, include, a, mx, ptr, ip4, ip6, exists with their qualifiers and
 * CIDR lengths; modifiers redirect and exp; unknown modifiers are skipped
 * as 6 says) and spf_expand expands a domain-spec's macros (7); both are
 * I/O-free.  spf_check is check_host() (4): it asks the DNS through the
 * caller's callbacks only, so a test or a fuzzer hands it an in-memory
 * zone and `tambo dns check` hands it dns.h's lookups.
 *
 * Limits of 4.6.4: at most 10 terms that cause DNS lookups (include, a,
 * mx, ptr, exists, redirect) in the whole evaluation, at most 10 MX hosts
 * per mx, at most 2 void lookups (NXDOMAIN or no records): beyond them the
 * result is permerror.  ptr is discouraged (5.5) and never matches here;
 * it still counts as a lookup.  exp is parsed and never fetched: no
 * explanation is needed to say pass or fail.
 */
#ifndef TAMBO_SPF_H
#define TAMBO_SPF_H

#include <stdbool.h>
#include <stddef.h>

#include "dns.h"

#define SPF_TERMS_MAX		128	/* mechanisms and modifiers */
#define SPF_LOOKUPS_MAX		10	/* RFC 7208 4.6.4 */
#define SPF_VOIDS_MAX		2	/* RFC 7208 4.6.4 */
#define SPF_MX_MAX		10	/* hosts per mx, 4.6.4 */
#define SPF_WHY_MAX		256

enum spf_result {
	SPF_NONE,		/* no SPF record */
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,		/* the DNS failed: try later */
	SPF_PERMERROR,		/* a broken record or a limit passed */
};

enum spf_mech {
	SPF_ALL,
	SPF_INCLUDE,
	SPF_A,
	SPF_MX,
	SPF_PTR,
	SPF_IP4,
	SPF_IP6,
	SPF_EXISTS,
};

/*
 * One mechanism.  spec points into the text given to spf_parse (a
 * domain-spec with its macros unexpanded; speclen 0: none, the current
 * domain).  cidr4/cidr6 are the prefix lengths (32/128 when not given).
 */
struct spf_term {
	const char	*text;		/* the whole term, for messages */
	size_t		 textlen;
	enum spf_mech	 mech;
	enum spf_result	 qualifier;	/* PASS, FAIL, SOFTFAIL or NEUTRAL */
	const char	*spec;
	size_t		 speclen;
	unsigned	 cidr4, cidr6;
	unsigned char	 addr[16];	/* ip4 (4 octets) or ip6 */
};

struct spf_record {
	size_t		 nterms;
	struct spf_term	 terms[SPF_TERMS_MAX];
	const char	*redirect;	/* NULL when absent */
	size_t		 redirectlen;
	const char	*exp;		/* NULL when absent */
	size_t		 explen;
};

/*
 * True when text[0..n) is an SPF version 1 record: "v=spf1" (any case)
 * alone or followed by a space (4.5).
 */
bool	spf_is_record(const char *text, size_t n);

/*
 * Parse an SPF record (text[0..n), starting with "v=spf1").  Returns 0, or
 * -1 with the reason in err (a syntax error: permerror, 4.6).  rec points
 * into text, which must outlive it.
 */
int	spf_parse(const char *text, size_t n, struct spf_record *rec,
	    char *err, size_t errsz);

/* What the macros of 7.3 refer to. */
struct spf_macro_ctx {
	const struct dns_addr *ip;	/* <ip> */
	const char	*sender;	/* <sender>, local@domain */
	const char	*domain;	/* <domain>, the current domain */
	const char	*helo;		/* HELO/EHLO name */
};

/*
 * Expand the macros of a domain-spec spec[0..n) into out (7.3, 7.4):
 * %{s l o d i p v h} with digit and r transformers and delimiters, %%,
 * %_ and %-; c, r and t are refused (exp only).  A result over 253
 * octets loses labels on the left (4.8).  The result must be a domain
 * name (labels of 1..63 octets, no empty label).  Returns 0, or -1 with
 * err set (permerror).
 */
int	spf_expand(const char *spec, size_t n, const struct spf_macro_ctx *,
	    char *out, size_t outsz, char *err, size_t errsz);

/*
 * The DNS, as the caller provides it: the same contract as dns.h's
 * functions of the same names (ctx is the caller's, e.g. a struct dns *).
 */
struct spf_dns {
	void		*ctx;
	enum dns_result	(*txt)(void *ctx, const char *name,
			    char out[DNS_TXT_MAX][DNS_TXT_LEN], size_t *n);
	enum dns_result	(*addrs)(void *ctx, const char *host, int family,
			    struct dns_addr out[DNS_ADDR_MAX], size_t *n);
	enum dns_result	(*mx)(void *ctx, const char *domain,
			    struct dns_mx out[DNS_MX_MAX], size_t *n,
			    bool *null_mx);
};

/* The DNS of dns.h's resolver d (spfdns.c). */
struct spf_dns spf_dns_resolver(struct dns *d);

struct spf_outcome {
	enum spf_result	 result;
	unsigned	 lookups;	/* terms that caused DNS lookups */
	unsigned	 voids;		/* void lookups */
	/* the matching mechanism ("ip6:2001:db8::/32 in example.org"),
	 * or what went wrong for temperror and permerror */
	char		 why[SPF_WHY_MAX];
};

/*
 * check_host(ip, domain, sender) of RFC 7208 4: the SPF result for mail
 * from sender ("postmaster@DOMAIN", say) sent by ip, domain's policy
 * evaluated with its includes and redirects.  helo may be NULL.  The
 * result is also in out->result.  Memory for the evaluation comes from
 * malloc; none left allocated (no memory: temperror).
 */
enum spf_result spf_check(const struct spf_dns *, const struct dns_addr *ip,
	    const char *domain, const char *sender, const char *helo,
	    struct spf_outcome *out);

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror" */
const char *spf_result_name(enum spf_result);

#endif
