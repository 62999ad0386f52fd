/*
 * dest.c — where mail for a domain goes: a configured route (a relay,
 * tambo.conf(5) "route"), else the domain's MX hosts (RFC 5321 5.1):
 * hosts in order of preference, the implicit MX when there is no MX
 * record, no delivery at all for a null MX (RFC 7505); each host's
 * addresses IPv6 first unless ip_preference says otherwise.
 *
 * The lookups are made once per process (dest_resolve), whatever the
 * number of jobs: a batch to one destination shares them.  Failures
 * become the outcome of every recipient (fail_status): NXDOMAIN and a
 * null MX are permanent, everything else temporary.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "log.h"
#include "remote.h"
#include "poison.h"

static void
dest_fail(struct dest *d, enum rcpt_status st, int code, const char *ecode,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void
dest_fail(struct dest *d, enum rcpt_status st, int code, const char *ecode,
    const char *fmt, ...)
{
	char	 text[SMTPREPLY_TEXT_MAX + 1];
	va_list	 ap;

	va_start(ap, fmt);
	(void)vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	d->fail_status = st;
	smtpreply_set(&d->fail, code, ecode, text);
	memcpy(d->fail_host, "-", 2);
}

static enum conf_tls
dest_policy(enum conf_tls t)
{
	return t == CONF_TLS_DEFAULT ? CONF_TLS_MAY : t;
}

void
dest_init(struct dest *d, const struct conf *conf, const char *domain)
{
	const struct conf_route *route;
	const char *ca;
	size_t	 n = strlen(domain);

	memset(d, 0, sizeof(*d));
	d->conf = conf;
	d->fail_status = RCPT_PENDING;
	if ((ca = getenv("TAMBO_TLS_CA_FILE")) != NULL && ca[0] != '\0')
		d->ca_file = ca;
	if (n >= 2 && domain[0] == '[' && domain[n - 1] == ']' &&
	    n < sizeof(d->domain))
		memcpy(d->domain, domain, n + 1);
	else if (!addr_domain_normalize(domain, d->domain,
	    sizeof(d->domain))) {
		(void)snprintf(d->domain, sizeof(d->domain), "%.*s",
		    (int)(sizeof(d->domain) - 1), domain);
		dest_fail(d, RCPT_PERM, 550, "5.1.2", "bad destination "
		    "domain %.200s", domain);
		return;
	}
	if ((route = conf_route_find(conf, d->domain)) != NULL) {
		d->mx = false;
		d->tls = dest_policy(route->tls);
		d->auth = route->auth[0] != '\0' ? route->auth : NULL;
	} else {
		d->mx = true;
		d->tls = dest_policy(conf_tls_find(conf, d->domain));
	}
}

static bool
dest_add(struct dest *d, const char *host, const struct dns_addr *a,
    uint16_t port)
{
	struct target *t;

	if (d->ntargets == REMOTE_TARGETS_MAX)
		return false;
	t = &d->targets[d->ntargets++];
	memset(t, 0, sizeof(*t));
	(void)snprintf(t->host, sizeof(t->host), "%s", host);
	t->addr = *a;
	dns_addr_format(a, t->addrtext, sizeof(t->addrtext));
	t->port = port;
	return true;
}

/* The addresses of one host, in the configured order, as targets. */
static enum dns_result
dest_host(struct dest *d, struct dns *dns, const char *host, uint16_t port)
{
	struct dns_addr	 addrs[DNS_ADDR_MAX];
	enum dns_result	 r;
	size_t		 n = 0, i;
	int		 pref = d->conf->ip_preference, family, pass;

	if (dns_addr_parse(host, &addrs[0])) {
		if ((pref == -4 && addrs[0].family != AF_INET) ||
		    (pref == -6 && addrs[0].family != AF_INET6))
			return DNS_NODATA;
		(void)dest_add(d, host, &addrs[0], port);
		return DNS_OK;
	}
	family = pref == -4 ? AF_INET : pref == -6 ? AF_INET6 : AF_UNSPEC;
	if ((r = dns_addrs(dns, host, family, addrs, &n)) != DNS_OK)
		return r;
	/* AF_UNSPEC gives AAAA first; ip_preference = ipv4 wants A first */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			bool	 v4 = addrs[i].family == AF_INET;

			if (v4 != (pass == 0 ? pref == 4 || pref == -4 :
			    !(pref == 4 || pref == -4)))
				continue;
			if (!dest_add(d, host, &addrs[i], port))
				return DNS_OK;
		}
	return n > 0 ? DNS_OK : DNS_NODATA;
}

static void
dest_route(struct dest *d, struct dns *dns)
{
	const struct conf_route *route = conf_route_find(d->conf, d->domain);
	uint16_t port = route->port;
	enum dns_result r;

	if (port == 0)
		port = d->tls == CONF_TLS_SMTPS ? 465 : 25;
	r = dest_host(d, dns, route->host, port);
	if (r != DNS_OK)
		dest_fail(d, RCPT_TEMP, 451, "4.4.3", "relay host %s: %s",
		    route->host, dns_result_name(r));
}

static void
dest_mx(struct dest *d, struct dns *dns)
{
	struct dns_mx	 mx[DNS_MX_MAX];
	enum dns_result	 r;
	size_t		 n = 0, i;
	bool		 null_mx = false, temp = false;
	uint16_t	 port = d->conf->mx_port != 0 ? d->conf->mx_port : 25;

	if (d->domain[0] == '[') {
		char	 lit[ADDR_DOMAIN_MAX + 1];
		size_t	 len = strlen(d->domain) - 2;
		const char *a = d->domain + 1;
		struct dns_addr da;

		if (strncasecmp(a, "IPv6:", 5) == 0) {
			a += 5;
			len -= 5;
		}
		(void)snprintf(lit, sizeof(lit), "%.*s", (int)len, a);
		if (!dns_addr_parse(lit, &da) ||
		    dest_host(d, dns, lit, port) != DNS_OK)
			dest_fail(d, RCPT_PERM, 550, "5.1.2", "bad address "
			    "literal %s", d->domain);
		return;
	}
	r = dns_mx(dns, d->domain, mx, &n, &null_mx);
	switch (r) {
	case DNS_TEMP:
		dest_fail(d, RCPT_TEMP, 451, "4.4.3", "MX lookup for %s: %s",
		    d->domain, dns_result_name(r));
		return;
	case DNS_NXDOMAIN:
		dest_fail(d, RCPT_PERM, 550, "5.1.2", "domain %s does not "
		    "exist", d->domain);
		return;
	case DNS_NODATA:
		/* RFC 5321 5.1: the domain itself, preference 0 */
		(void)snprintf(mx[0].host, sizeof(mx[0].host), "%s",
		    d->domain);
		mx[0].pref = 0;
		n = 1;
		break;
	case DNS_OK:
		if (null_mx || n == 0) {
			dest_fail(d, RCPT_PERM, 556, "5.1.10", "domain %s "
			    "accepts no mail (null MX)", d->domain);
			return;
		}
		break;
	}
	for (i = 0; i < n; i++) {
		r = dest_host(d, dns, mx[i].host, port);
		if (r == DNS_TEMP) {
			temp = true;
			log_attempt(mx[i].host, "address lookup: temporary "
			    "failure");
		} else if (r != DNS_OK)
			log_attempt(mx[i].host, "no address");
	}
	if (d->ntargets > 0)
		return;
	if (temp)
		dest_fail(d, RCPT_TEMP, 451, "4.4.3", "address lookup for "
		    "the mail hosts of %s: temporary failure", d->domain);
	else
		dest_fail(d, RCPT_PERM, 550, "5.4.4", "no address for "
		    "the mail hosts of %s", d->domain);
}

void
dest_resolve(struct dest *d)
{
	struct dns *dns;

	if (d->resolved)
		return;
	d->resolved = true;
	if (d->fail_status != RCPT_PENDING)
		return;
	if ((dns = dns_open(d->conf, 0)) == NULL) {
		dest_fail(d, RCPT_TEMP, 451, "4.4.3", "resolver: %s",
		    strerror(errno));
		return;
	}
	if (d->mx)
		dest_mx(d, dns);
	else
		dest_route(d, dns);
	dns_close(dns);
}
