/*
 * dns.c — tambo dns: the DNS records a domain needs, printed, and checked
 * against what the DNS says.
 *
 *   dns records DOMAIN   zone-file lines to publish: MX, A/AAAA of the
 *                        host, SPF, one DKIM TXT per key, DMARC, and the
 *                        PTR each address needs (at the hosting provider)
 *   dns check DOMAIN     one line per item, OK / WRONG / MISSING, with what
 *                        was found and what was expected
 *
 * This host is tambo.conf's hostname and its addresses (addresses =, else
 * the global-scope addresses of the interfaces).  DKIM public keys come
 * from `LIBEXEC/dkimsign --public-key KEYFILE` for every
 * domains/DOMAIN/dkim/SELECTOR.key, so the value printed is exactly what
 * the signer's key needs.  check asks the DNS through dns.h (so resolver =
 * applies) and evaluates SPF with spf.h.
 *
 * RFC 5321 5.1 (MX), RFC 7208 (SPF), RFC 6376 3.6 (DKIM key records),
 * RFC 7489 6.3 and 6.6.3 (DMARC records), RFC 1035 3.5 / RFC 3596 2.5
 * (reverse names).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "dns.h"
#include "progpath.h"
#include "spf.h"
#include "tambo.h"
#include "poison.h"

#define DNS_TTL		3600
#define DKIM_KEYS_MAX	32
#define DKIM_SEL_MAX	63
#define SHOW_MAX	120	/* octets of a found record shown */

/*
 * The DMARC record `records` proposes: quarantine what fails, reports to
 * the domain's postmaster.  Mail from this host passes through DKIM and
 * SPF alignment, so only forgeries are affected.
 */
#define DMARC_DEFAULT	"v=DMARC1; p=quarantine; rua=mailto:postmaster@%s"

struct dkim_key {
	char	 selector[DKIM_SEL_MAX + 1];
	char	 path[PATH_MAX];
	char	 txt[DNS_TXT_LEN];	/* "v=DKIM1; k=...; p=..." */
};

struct host {
	char		 name[ADDR_DOMAIN_MAX + 1];
	size_t		 naddrs;
	struct dns_addr	 addrs[CONF_ADDRESSES_MAX];
};

struct check {
	unsigned	 ok, bad, temp;
};

static struct conf conf;
static struct dkim_key keys[DKIM_KEYS_MAX];
static char txt[DNS_TXT_MAX][DNS_TXT_LEN];

/* --- this host -------------------------------------------------------------- */

static int
host_load(struct host *h)
{
	struct ifaddrs *ifa, *i;
	struct dns_addr a;
	size_t	 k, j;

	(void)snprintf(h->name, sizeof(h->name), "%s", conf.hostname);
	h->naddrs = 0;
	for (k = 0; k < conf.naddresses; k++)
		if (dns_addr_parse(conf.addresses[k], &h->addrs[h->naddrs]))
			h->naddrs++;
	if (conf.naddresses > 0)
		return 0;
	if (getifaddrs(&ifa) == -1) {
		tambo_err("getifaddrs: %s", strerror(errno));
		return -1;
	}
	for (i = ifa; i != NULL && h->naddrs < CONF_ADDRESSES_MAX;
	    i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		memset(&a, 0, sizeof(a));
		if (i->ifa_addr->sa_family == AF_INET) {
			a.family = AF_INET;
			memcpy(&a.u.v4, &((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr, sizeof(a.u.v4));
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(&a.u.v6, &((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr, sizeof(a.u.v6));
		} else
			continue;
		if (!dns_addr_global(&a))
			continue;
		for (j = 0; j < h->naddrs; j++)
			if (memcmp(&h->addrs[j], &a, sizeof(a)) == 0)
				break;
		if (j == h->naddrs)
			h->addrs[h->naddrs++] = a;
	}
	freeifaddrs(ifa);
	return 0;
}

/* in-addr.arpa or ip6.arpa name of an address (RFC 1035 3.5, 3596 2.5). */
static void
reverse_name(const struct dns_addr *a, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b;
	size_t	 o = 0;
	int	 i;

	if (a->family == AF_INET) {
		b = (const unsigned char *)&a->u.v4;
		(void)snprintf(out, outsz, "%u.%u.%u.%u.in-addr.arpa", b[3],
		    b[2], b[1], b[0]);
		return;
	}
	b = a->u.v6.s6_addr;
	for (i = 15; i >= 0 && o + 4 < outsz; i--) {
		out[o++] = hex[b[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[b[i] >> 4];
		out[o++] = '.';
	}
	(void)snprintf(out + o, outsz - o, "ip6.arpa");
}

/* --- DKIM keys ------------------------------------------------------------- */

static bool
selector_valid(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || n > DKIM_SEL_MAX || s[0] == '.' || s[n - 1] == '.' ||
	    s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		char	 c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.'))
			return false;
		if (c == '.' && s[i + 1] == '.')
			return false;
	}
	return true;
}

/* `dkimsign --public-key path`: its one line of output into out. */
static int
dkim_public(const char *path, char *out, size_t outsz)
{
	char	 prog[PATH_MAX], *nl;
	size_t	 got = 0;
	ssize_t	 r;
	pid_t	 pid;
	int	 p[2], st;

	if (progpath_libexec("dkimsign", prog, sizeof(prog)) == -1) {
		tambo_err("dkimsign: %s", strerror(errno));
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		tambo_err("pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		tambo_err("fork: %s", strerror(errno));
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	}
	if (pid == 0) {
		char	 opt[] = "--public-key", *argv[4];
		char	 keyarg[PATH_MAX];

		(void)snprintf(keyarg, sizeof(keyarg), "%s", path);
		argv[0] = prog;
		argv[1] = opt;
		argv[2] = keyarg;
		argv[3] = NULL;
		if (dup2(p[1], STDOUT_FILENO) == -1)
			_exit(EX_OSERR);
		execv(prog, argv);
		(void)fprintf(stderr, "tambo: %s: %s\n", prog,
		    strerror(errno));
		_exit(EX_UNAVAILABLE);
	}
	(void)close(p[1]);
	/* Read it all, keeping what fits, so the child never blocks. */
	for (;;) {
		char	 junk[512];

		if (got + 1 < outsz)
			r = read(p[0], out + got, outsz - 1 - got);
		else
			r = read(p[0], junk, sizeof(junk));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (got + 1 < outsz)
			got += (size_t)r;
	}
	out[got] = '\0';
	(void)close(p[0]);
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			tambo_err("waitpid: %s", strerror(errno));
			return -1;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		tambo_err("%s --public-key %s failed (status %d)", prog, path,
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
		return -1;
	}
	if ((nl = strchr(out, '\n')) != NULL)
		*nl = '\0';
	if (out[0] == '\0' || nl == NULL) {
		tambo_err("%s --public-key %s: no record printed", prog, path);
		return -1;
	}
	return 0;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dkim_key *)a)->selector,
	    ((const struct dkim_key *)b)->selector);
}

/* The keys of domains/DOMAIN/dkim/, sorted by selector; -1 on error. */
static int
dkim_keys(const char *domain, size_t *n)
{
	char	 dir[PATH_MAX];
	DIR	*d;
	struct dirent *e;
	int	 rc = 0;
	size_t	 i;

	*n = 0;
	if (conf_pathf(dir, "%s/domains/%s/dkim", conf.dir, domain) == -1)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		tambo_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t	 len = strlen(e->d_name);
		struct dkim_key *k;

		if (len <= 4 || strcmp(e->d_name + len - 4, ".key") != 0 ||
		    e->d_name[0] == '.')
			continue;
		if (!selector_valid(e->d_name, len - 4)) {
			tambo_err("%s/%s: not a DKIM selector name, skipped",
			    dir, e->d_name);
			continue;
		}
		if (*n == DKIM_KEYS_MAX) {
			tambo_err("%s: more than %d keys; the rest skipped",
			    dir, DKIM_KEYS_MAX);
			break;
		}
		k = &keys[(*n)++];
		memcpy(k->selector, e->d_name, len - 4);
		k->selector[len - 4] = '\0';
		if (conf_pathf(k->path, "%s/%s", dir, e->d_name) == -1) {
			(*n)--;
			rc = -1;
		}
	}
	(void)closedir(d);
	qsort(keys, *n, sizeof(keys[0]), key_cmp);
	for (i = 0; i < *n; i++)
		if (dkim_public(keys[i].path, keys[i].txt,
		    sizeof(keys[i].txt)) == -1) {
			keys[i].txt[0] = '\0';
			rc = -1;
		}
	return rc;
}

/*
 * The value of tag in a tag-list ("a=b; c=d", RFC 6376 3.2) into out,
 * whitespace removed.  false when absent.
 */
static bool
tag_get(const char *rec, const char *tag, char *out, size_t outsz)
{
	size_t	 tl = strlen(tag), o;
	const char *p = rec, *end, *q;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		q = p;
		while (q < end && *q != '=' && *q != ' ' && *q != '\t')
			q++;
		if ((size_t)(q - p) == tl && strncasecmp(p, tag, tl) == 0) {
			while (q < end && (*q == ' ' || *q == '\t'))
				q++;
			if (q < end && *q == '=') {
				for (q++, o = 0; q < end && o + 1 < outsz; q++)
					if (*q != ' ' && *q != '\t' &&
					    *q != '\r' && *q != '\n')
						out[o++] = *q;
				out[o] = '\0';
				return true;
			}
		}
		p = *end == ';' ? end + 1 : end;
	}
	return false;
}

/* --- records ----------------------------------------------------------------- */

void
dns_print_txt(const char *name, const char *value)
{
	size_t	 n = strlen(value), i, k;

	printf("%s.\t%d\tIN\tTXT\t", name, DNS_TTL);
	for (i = 0; i < n || i == 0; i += 255) {
		printf("%s\"", i > 0 ? " " : "");
		for (k = i; k < n && k < i + 255; k++) {
			if (value[k] == '"' || value[k] == '\\')
				putchar('\\');
			putchar(value[k]);
		}
		putchar('"');
		if (n == 0)
			break;
	}
	putchar('\n');
}

/*
 * The SPF record for name: the domain's, or the host name's own (for its
 * HELO and for mail from login@hostname, RFC 7208 2.3), which without
 * known addresses says "a" rather than "mx".
 */
static void
spf_expected(const struct host *h, const char *name, char *out,
    size_t outsz)
{
	char	 a[INET6_ADDRSTRLEN];
	size_t	 i, o;

	o = (size_t)snprintf(out, outsz, "v=spf1");
	if (h->naddrs == 0)
		o += (size_t)snprintf(out + o, outsz - o, " %s",
		    strcasecmp(name, h->name) == 0 ? "a" : "mx");
	for (i = 0; i < h->naddrs && o < outsz; i++) {
		dns_addr_format(&h->addrs[i], a, sizeof(a));
		o += (size_t)snprintf(out + o, outsz - o, " %s:%s",
		    h->addrs[i].family == AF_INET ? "ip4" : "ip6", a);
	}
	if (o < outsz)
		(void)snprintf(out + o, outsz - o, " -all");
}

static int
dns_records(const char *domain, const struct host *h, size_t nkeys)
{
	char	 a[INET6_ADDRSTRLEN], name[ADDR_DOMAIN_MAX + 80];
	char	 value[DNS_TXT_LEN];
	size_t	 i;

	printf("; DNS records for %s, sent from %s (tambo dns records)\n",
	    domain, h->name);
	printf("%s.\t%d\tIN\tMX\t10 %s.\n", domain, DNS_TTL, h->name);
	if (h->naddrs == 0)
		printf("; no public address found: set addresses = in "
		    "tambo.conf for the A/AAAA, SPF and PTR records\n");
	for (i = 0; i < h->naddrs; i++) {
		dns_addr_format(&h->addrs[i], a, sizeof(a));
		printf("%s.\t%d\tIN\t%s\t%s\n", h->name, DNS_TTL,
		    h->addrs[i].family == AF_INET ? "A" : "AAAA", a);
	}
	spf_expected(h, domain, value, sizeof(value));
	dns_print_txt(domain, value);
	if (strcasecmp(h->name, domain) != 0) {
		printf("; the host name's own, for its HELO and for mail from "
		    "login@%s (cron):\n", h->name);
		spf_expected(h, h->name, value, sizeof(value));
		dns_print_txt(h->name, value);
	}
	if (nkeys == 0)
		printf("; no DKIM keys in domains/%s/dkim: make them with "
		    "tambo dkim keygen %s\n", domain, domain);
	for (i = 0; i < nkeys; i++) {
		(void)snprintf(name, sizeof(name), "%.63s._domainkey.%s",
		    keys[i].selector, domain);
		if (keys[i].txt[0] == '\0')
			printf("; %s: no public key (dkimsign failed)\n", name);
		else
			dns_print_txt(name, keys[i].txt);
	}
	(void)snprintf(name, sizeof(name), "_dmarc.%s", domain);
	(void)snprintf(value, sizeof(value), DMARC_DEFAULT, domain);
	dns_print_txt(name, value);
	if (h->naddrs > 0)
		printf("; reverse DNS, set at the provider of each address:\n");
	for (i = 0; i < h->naddrs; i++) {
		reverse_name(&h->addrs[i], name, sizeof(name));
		printf("%s.\t%d\tIN\tPTR\t%s.\n", name, DNS_TTL, h->name);
	}
	return fflush(stdout) == EOF ? EX_IOERR : EX_OK;
}

/* --- check --------------------------------------------------------------------- */

/* Text from the DNS made printable and short for one line. */
static void
show(const char *in, char *out, size_t outsz)
{
	size_t	 i, o = 0, n = strlen(in);

	for (i = 0; i < n && o + 4 < outsz && o < SHOW_MAX; i++)
		out[o++] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	if (i < n && o + 4 <= outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static void report(struct check *, const char *status, const char *item,
    const char *found, const char *expected);

static void
report(struct check *c, const char *status, const char *item,
    const char *found, const char *expected)
{
	if (strcmp(status, "OK") == 0)
		c->ok++;
	else
		c->bad++;
	printf("%-7s  %s  found: %s  expected: %s\n", status, item, found,
	    expected);
}

static const char *
dns_failed(struct check *c, enum dns_result r)
{
	if (r == DNS_TEMP)
		c->temp++;
	return r == DNS_TEMP ? "no answer (temporary DNS failure)" :
	    r == DNS_NXDOMAIN ? "nothing (no such name)" : "nothing";
}

static void
check_mx(struct dns *d, const char *domain, const struct host *h,
    struct check *c)
{
	struct dns_mx mx[DNS_MX_MAX];
	char	 item[ADDR_DOMAIN_MAX + 8], found[512];
	size_t	 n, i, o = 0;
	bool	 null_mx, hit = false;
	enum dns_result r;

	(void)snprintf(item, sizeof(item), "MX %s", domain);
	r = dns_mx(d, domain, mx, &n, &null_mx);
	if (r != DNS_OK) {
		report(c, "MISSING", item, dns_failed(c, r), h->name);
		return;
	}
	if (null_mx) {
		report(c, "WRONG", item, "null MX (\"0 .\": no mail)",
		    h->name);
		return;
	}
	found[0] = '\0';
	for (i = 0; i < n; i++) {
		if (strcmp(mx[i].host, h->name) == 0)
			hit = true;
		if (o < sizeof(found))
			o += (size_t)snprintf(found + o, sizeof(found) - o,
			    "%s%u %s", i > 0 ? ", " : "", mx[i].pref,
			    mx[i].host);
	}
	report(c, hit ? "OK" : "WRONG", item, found, h->name);
}

static bool
has_addr(const struct dns_addr *list, size_t n, const struct dns_addr *a)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (list[i].family == a->family && (a->family == AF_INET ?
		    memcmp(&list[i].u.v4, &a->u.v4, 4) == 0 :
		    memcmp(&list[i].u.v6, &a->u.v6, 16) == 0))
			return true;
	return false;
}

static void
addrs_text(const struct dns_addr *list, size_t n, char *out, size_t outsz)
{
	char	 a[INET6_ADDRSTRLEN];
	size_t	 i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o < outsz; i++) {
		dns_addr_format(&list[i], a, sizeof(a));
		o += (size_t)snprintf(out + o, outsz - o, "%s%s",
		    i > 0 ? ", " : "", a);
	}
}

/* The host's name resolves to each of its addresses. */
static void
check_host(struct dns *d, const struct host *h, struct check *c)
{
	struct dns_addr got[DNS_ADDR_MAX];
	char	 item[ADDR_DOMAIN_MAX + 64], a[INET6_ADDRSTRLEN], found[512];
	size_t	 i, n;
	enum dns_result r;

	if (h->naddrs == 0) {
		report(c, "MISSING", "addresses", "no public address on this "
		    "host", "addresses = in tambo.conf");
		return;
	}
	for (i = 0; i < h->naddrs; i++) {
		const struct dns_addr *ad = &h->addrs[i];

		dns_addr_format(ad, a, sizeof(a));
		(void)snprintf(item, sizeof(item), "%s %s",
		    ad->family == AF_INET ? "A" : "AAAA", h->name);
		r = dns_addrs(d, h->name, ad->family, got, &n);
		if (r != DNS_OK) {
			report(c, "MISSING", item, dns_failed(c, r), a);
			continue;
		}
		addrs_text(got, n, found, sizeof(found));
		report(c, has_addr(got, n, ad) ? "OK" : "WRONG", item, found,
		    a);
	}
}

/* Each address has a PTR naming the host, which resolves back (FCrDNS). */
static void
check_ptr(struct dns *d, const struct host *h, struct check *c)
{
	static char names[DNS_ADDR_MAX][ADDR_DOMAIN_MAX + 1];
	struct dns_addr got[DNS_ADDR_MAX];
	char	 item[ADDR_DOMAIN_MAX + 64], a[INET6_ADDRSTRLEN];
	char	 found[1024], fwd[512], expected[ADDR_DOMAIN_MAX + 80];
	size_t	 i, k, n, nf, o;
	enum dns_result r, rf;
	bool	 named, confirmed;

	for (i = 0; i < h->naddrs; i++) {
		const struct dns_addr *ad = &h->addrs[i];

		dns_addr_format(ad, a, sizeof(a));
		(void)snprintf(item, sizeof(item), "PTR %s", a);
		(void)snprintf(expected, sizeof(expected),
		    "%s, which resolves back to %s", h->name, a);
		r = dns_ptr(d, ad, names, &n);
		if (r != DNS_OK) {
			report(c, "MISSING", item, dns_failed(c, r), expected);
			continue;
		}
		named = confirmed = false;
		found[0] = '\0';
		for (k = 0, o = 0; k < n && o < sizeof(found); k++)
			o += (size_t)snprintf(found + o, sizeof(found) - o,
			    "%s%s", k > 0 ? ", " : "", names[k]);
		for (k = 0; k < n; k++) {
			if (strcmp(names[k], h->name) != 0)
				continue;
			named = true;
			rf = dns_addrs(d, names[k], ad->family, got, &nf);
			if (rf == DNS_OK && has_addr(got, nf, ad)) {
				confirmed = true;
				break;
			}
			o = strlen(found);
			if (rf == DNS_OK) {
				addrs_text(got, nf, fwd, sizeof(fwd));
				(void)snprintf(found + o, sizeof(found) - o,
				    " (not forward-confirmed: %s resolves to "
				    "%s)", names[k], fwd);
			} else
				(void)snprintf(found + o, sizeof(found) - o,
				    " (not forward-confirmed: %s has %s)",
				    names[k], dns_failed(c, rf));
		}
		report(c, named && confirmed ? "OK" : "WRONG", item, found,
		    expected);
	}
}

static void
check_spf(struct dns *d, const char *domain, const struct host *h,
    struct check *c)
{
	struct spf_dns sd = spf_dns_resolver(d);
	static struct spf_record rec;
	struct spf_outcome out;
	char	 item[ADDR_DOMAIN_MAX + 64], a[INET6_ADDRSTRLEN];
	char	 expected[DNS_TXT_LEN], found[SHOW_MAX + 8], why[512];
	char	 sender[ADDR_DOMAIN_MAX + 16], err[256];
	size_t	 n, i, nspf = 0, which = 0;
	enum dns_result r;

	spf_expected(h, domain, expected, sizeof(expected));
	(void)snprintf(item, sizeof(item), "SPF %s", domain);
	r = dns_txt(d, domain, txt, &n);
	if (r != DNS_OK) {
		report(c, "MISSING", item, dns_failed(c, r), expected);
		return;
	}
	for (i = 0; i < n; i++)
		if (spf_is_record(txt[i], strlen(txt[i])) && nspf++ == 0)
			which = i;
	if (nspf == 0) {
		report(c, "MISSING", item, "no v=spf1 record", expected);
		return;
	}
	if (nspf > 1) {
		(void)snprintf(why, sizeof(why), "%zu v=spf1 records (RFC "
		    "7208 4.5: a permanent error)", nspf);
		report(c, "WRONG", item, why, "exactly one");
		return;
	}
	show(txt[which], found, sizeof(found));
	if (spf_parse(txt[which], strlen(txt[which]), &rec, err,
	    sizeof(err)) == -1) {
		(void)snprintf(why, sizeof(why), "%s (%s)", found, err);
		report(c, "WRONG", item, why, expected);
		return;
	}
	report(c, "OK", item, found, "one v=spf1 record");

	(void)snprintf(sender, sizeof(sender), "postmaster@%s", domain);
	for (i = 0; i < h->naddrs; i++) {
		dns_addr_format(&h->addrs[i], a, sizeof(a));
		(void)snprintf(item, sizeof(item), "SPF %s %s", domain, a);
		(void)spf_check(&sd, &h->addrs[i], domain, sender, h->name,
		    &out);
		if (out.result == SPF_TEMPERROR)
			c->temp++;
		(void)snprintf(why, sizeof(why), "%s (%s; %u of %d DNS lookups)",
		    spf_result_name(out.result), out.why, out.lookups,
		    SPF_LOOKUPS_MAX);
		report(c, out.result == SPF_PASS ? "OK" : "WRONG", item, why,
		    "pass");
	}
}

static void
dkim_summary(const char *rec, char *out, size_t outsz)
{
	char	 k[32], p[DNS_TXT_LEN];
	size_t	 pl;

	if (!tag_get(rec, "k", k, sizeof(k)))
		(void)snprintf(k, sizeof(k), "rsa");
	if (!tag_get(rec, "p", p, sizeof(p))) {
		show(rec, out, outsz);
		return;
	}
	pl = strlen(p);
	if (pl > 24)
		(void)snprintf(out, outsz, "k=%s; p=%.10s...%s", k, p,
		    p + pl - 10);
	else
		(void)snprintf(out, outsz, "k=%s; p=%s", k, p[0] ? p :
		    "(empty: revoked)");
}

static void
check_dkim(struct dns *d, const char *domain, size_t nkeys,
    struct check *c)
{
	static char wantp[DNS_TXT_LEN], gotp[DNS_TXT_LEN];
	char	 name[ADDR_DOMAIN_MAX + 80], item[ADDR_DOMAIN_MAX + 96];
	char	 wantk[32], gotk[32], found[512], expected[320], one[128];
	size_t	 i, j, n, o;
	bool	 any, match;
	enum dns_result r;

	if (nkeys == 0) {
		(void)snprintf(item, sizeof(item), "DKIM %s", domain);
		(void)snprintf(expected, sizeof(expected), "a key (tambo dkim "
		    "keygen %s)", domain);
		report(c, "MISSING", item, "no keys in the configuration",
		    expected);
		return;
	}
	for (i = 0; i < nkeys; i++) {
		(void)snprintf(name, sizeof(name), "%.63s._domainkey.%s",
		    keys[i].selector, domain);
		(void)snprintf(item, sizeof(item), "DKIM %s", name);
		dkim_summary(keys[i].txt, expected, sizeof(expected));
		if (!tag_get(keys[i].txt, "k", wantk, sizeof(wantk)))
			(void)snprintf(wantk, sizeof(wantk), "rsa");
		if (!tag_get(keys[i].txt, "p", wantp, sizeof(wantp))) {
			report(c, "WRONG", item, "the key on disk: no public "
			    "key (tambo-dkimsign --public-key failed)",
			    "a readable key");
			continue;
		}
		r = dns_txt(d, name, txt, &n);
		if (r != DNS_OK) {
			report(c, "MISSING", item, dns_failed(c, r), expected);
			continue;
		}
		any = match = false;
		found[0] = '\0';
		for (j = 0, o = 0; j < n && !match; j++) {
			if (!tag_get(txt[j], "p", gotp, sizeof(gotp)))
				continue;	/* not a key record */
			any = true;
			if (!tag_get(txt[j], "k", gotk, sizeof(gotk)))
				(void)snprintf(gotk, sizeof(gotk), "rsa");
			match = strcasecmp(gotk, wantk) == 0 &&
			    strcmp(gotp, wantp) == 0;
			dkim_summary(txt[j], one, sizeof(one));
			if (match)
				(void)snprintf(found, sizeof(found), "%s",
				    one);
			else if (o < sizeof(found))
				o += (size_t)snprintf(found + o,
				    sizeof(found) - o, "%s%s",
				    o > 0 ? ", " : "", one);
		}
		if (!any)
			report(c, "MISSING", item, "no DKIM key record",
			    expected);
		else
			report(c, match ? "OK" : "WRONG", item, found,
			    expected);
	}
}

/* RFC 7489 6.3: v=DMARC1 first, then p= none, quarantine or reject. */
static void
check_dmarc(struct dns *d, const char *domain, struct check *c)
{
	char	 name[ADDR_DOMAIN_MAX + 8], item[ADDR_DOMAIN_MAX + 16];
	char	 expected[ADDR_DOMAIN_MAX + 64], found[SHOW_MAX + 8];
	char	 p[64], why[512];
	size_t	 n, i, ndmarc = 0, which = 0;
	enum dns_result r;

	(void)snprintf(name, sizeof(name), "_dmarc.%s", domain);
	(void)snprintf(item, sizeof(item), "DMARC %s", name);
	(void)snprintf(expected, sizeof(expected), DMARC_DEFAULT, domain);
	r = dns_txt(d, name, txt, &n);
	if (r != DNS_OK) {
		report(c, "MISSING", item, dns_failed(c, r), expected);
		return;
	}
	for (i = 0; i < n; i++) {
		const char *s = txt[i];

		while (*s == ' ' || *s == '\t')
			s++;
		/* "v=DMARC1" exactly as the first tag, then ";" or end */
		if (strncmp(s, "v=DMARC1", 8) == 0) {
			s += 8;
			while (*s == ' ' || *s == '\t')
				s++;
			if ((*s == ';' || *s == '\0') && ndmarc++ == 0)
				which = i;
		}
	}
	if (ndmarc == 0) {
		report(c, "MISSING", item, n > 0 ? "no v=DMARC1 record "
		    "(v=DMARC1 must come first)" : "nothing", expected);
		return;
	}
	show(txt[which], found, sizeof(found));
	if (ndmarc > 1) {
		(void)snprintf(why, sizeof(why), "%zu DMARC records (RFC 7489 "
		    "6.6.3: none applies)", ndmarc);
		report(c, "WRONG", item, why, "exactly one");
		return;
	}
	if (!tag_get(txt[which], "p", p, sizeof(p)) ||
	    (strcmp(p, "none") != 0 && strcmp(p, "quarantine") != 0 &&
	    strcmp(p, "reject") != 0)) {
		(void)snprintf(why, sizeof(why), "%s (p= must be none, "
		    "quarantine or reject)", found);
		report(c, "WRONG", item, why, expected);
		return;
	}
	report(c, "OK", item, found,
	    "v=DMARC1 first, p=none, quarantine or reject");
}

static int
dns_check(const char *domain, const struct host *h, size_t nkeys,
    bool keys_ok)
{
	struct check c = { 0, 0, 0 };
	struct dns *d;

	if ((d = dns_open(&conf, 0)) == NULL) {
		tambo_err("resolver: %s", strerror(errno));
		return EX_TEMPFAIL;
	}
	check_mx(d, domain, h, &c);
	check_host(d, h, &c);
	check_spf(d, domain, h, &c);
	if (strcasecmp(h->name, domain) != 0)
		check_spf(d, h->name, h, &c);
	check_dkim(d, domain, nkeys, &c);
	check_dmarc(d, domain, &c);
	check_ptr(d, h, &c);
	dns_close(d);
	if (fflush(stdout) == EOF)
		return EX_IOERR;
	if (c.temp > 0)
		return EX_TEMPFAIL;
	return c.bad == 0 && keys_ok ? EX_OK : 1;
}

int
cmd_dns(const char *dir, int argc, char **argv)
{
	static struct host h;
	char	 err[512], domain[ADDR_DOMAIN_MAX + 1], path[PATH_MAX];
	size_t	 nkeys;
	bool	 records, keys_ok;

	if (argc != 2 || (strcmp(argv[0], "records") != 0 &&
	    strcmp(argv[0], "check") != 0)) {
		(void)fputs("usage: tambo [-C dir] dns records|check DOMAIN\n",
		    stderr);
		return EX_USAGE;
	}
	records = argv[0][0] == 'r';
	if (conf_load(dir, &conf, err, sizeof(err)) == -1) {
		tambo_err("%s", err);
		return EX_CONFIG;
	}
	if (!addr_domain_normalize(argv[1], domain, sizeof(domain)) ||
	    strchr(domain, '.') == NULL) {
		tambo_err("%s: not a valid domain name", argv[1]);
		return EX_DATAERR;
	}
	if (conf_pathf(path, "%s/domains/%s", conf.dir, domain) == -1 ||
	    access(path, F_OK) == -1) {
		tambo_err("%s: not a domain of this server (no %s)", domain,
		    path);
		return EX_DATAERR;
	}
	if (host_load(&h) == -1)
		return EX_OSERR;
	if (h.naddrs == 0)
		tambo_err("no public address found: set addresses = in "
		    "tambo.conf");
	keys_ok = dkim_keys(domain, &nkeys) == 0;
	if (records) {
		int	 rc = dns_records(domain, &h, nkeys);

		return rc == EX_OK && !keys_ok ? EX_UNAVAILABLE : rc;
	}
	return dns_check(domain, &h, nkeys, keys_ok);
}
