/*
 * spfdns.c — spf.h's DNS on dns.h's resolver (spf_dns_resolver).  Apart
 * from spf.c, so that a user of spf.c with its own DNS (a fuzz target)
 * does not bring in the resolver.
 */
#include "dns.h"
#include "spf.h"
#include "poison.h"

static enum dns_result
spfdns_txt(void *ctx, const char *name, char out[DNS_TXT_MAX][DNS_TXT_LEN],
    size_t *n)
{
	return dns_txt(ctx, name, out, n);
}

static enum dns_result
spfdns_addrs(void *ctx, const char *host, int family,
    struct dns_addr out[DNS_ADDR_MAX], size_t *n)
{
	return dns_addrs(ctx, host, family, out, n);
}

static enum dns_result
spfdns_mx(void *ctx, const char *domain, struct dns_mx out[DNS_MX_MAX],
    size_t *n, bool *null_mx)
{
	return dns_mx(ctx, domain, out, n, null_mx);
}

struct spf_dns
spf_dns_resolver(struct dns *d)
{
	return (struct spf_dns){ d, spfdns_txt, spfdns_addrs, spfdns_mx };
}
