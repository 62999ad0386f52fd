/*
 * fuzz_spf.c — SPF records (spf.h).
 *
 * The input is one TXT record's text.  spf_parse reads it, and what it
 * returns is checked against spf.h's promises (terms and specs inside the
 * text, CIDR lengths in range, qualifiers); each term's domain-spec is
 * expanded for an IPv4 and an IPv6 address.  Then spf_check evaluates it
 * against an in-memory DNS where every name's TXT record is the input
 * itself (so include and redirect recurse into it), addresses and MX
 * hosts are made up from the name, and one name in eight fails
 * temporarily: whatever the record says, the evaluation stays within the
 * limits of RFC 7208 4.6.4 and ends with one of the seven results.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include "fuzz.h"
#include "spf.h"
#include "poison.h"

static char record[DNS_TXT_LEN];
static unsigned calls;

static unsigned
name_hash(const char *s)
{
	unsigned h = 5381;

	while (*s != '\0')
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static enum dns_result
fz_txt(void *ctx, const char *name, char out[DNS_TXT_MAX][DNS_TXT_LEN],
    size_t *n)
{
	(void)ctx;
	calls++;
	*n = 0;
	FUZZ_CHECK(fuzz_cstr_in(name, ADDR_DOMAIN_MAX + 1));
	if (name_hash(name) % 8 == 7)
		return DNS_TEMP;
	memcpy(out[0], record, sizeof(record));
	*n = 1;
	return DNS_OK;
}

static enum dns_result
fz_addrs(void *ctx, const char *name, int family,
    struct dns_addr out[DNS_ADDR_MAX], size_t *n)
{
	unsigned h = name_hash(name);

	(void)ctx;
	calls++;
	*n = 0;
	FUZZ_CHECK(fuzz_cstr_in(name, ADDR_DOMAIN_MAX + 1));
	FUZZ_CHECK(family == AF_INET || family == AF_INET6);
	switch (h % 4) {
	case 0:
		return DNS_NXDOMAIN;
	case 1:
		return DNS_NODATA;
	default:
		break;
	}
	memset(&out[0], 0, sizeof(out[0]));
	out[0].family = family;
	if (family == AF_INET) {
		uint32_t a = htonl(0xc0000200u | (h & 0xff));

		memcpy(&out[0].u.v4, &a, 4);
	} else {
		out[0].u.v6.s6_addr[0] = 0x20;
		out[0].u.v6.s6_addr[1] = 0x01;
		out[0].u.v6.s6_addr[2] = 0x0d;
		out[0].u.v6.s6_addr[3] = 0xb8;
		out[0].u.v6.s6_addr[15] = (unsigned char)h;
	}
	*n = 1;
	return DNS_OK;
}

static enum dns_result
fz_mx(void *ctx, const char *name, struct dns_mx out[DNS_MX_MAX], size_t *n,
    bool *null_mx)
{
	unsigned h = name_hash(name), i;

	(void)ctx;
	calls++;
	*n = 0;
	*null_mx = false;
	if (h % 5 == 0)
		return DNS_NXDOMAIN;
	if (h % 5 == 1) {
		*null_mx = true;
		return DNS_OK;
	}
	/* up to 12 hosts: over the 10 of 4.6.4 sometimes */
	for (i = 0; i < h % 13 && i < DNS_MX_MAX; i++) {
		out[i].pref = (uint16_t)i;
		(void)snprintf(out[i].host, sizeof(out[i].host), "h%u.%.200s",
		    i, name);
		(*n)++;
	}
	return *n > 0 ? DNS_OK : DNS_NODATA;
}

static bool
inside(const char *p, size_t n, const char *base, size_t size)
{
	return p >= base && n <= size && (size_t)(p - base) <= size - n;
}

static void
check_record(const char *text, size_t size, const struct spf_record *rec)
{
	struct spf_macro_ctx mc;
	struct dns_addr ip4, ip6;
	char	 out[ADDR_DOMAIN_MAX + 1], err[256];
	size_t	 i;

	FUZZ_CHECK(spf_is_record(text, size));
	FUZZ_CHECK(rec->nterms <= SPF_TERMS_MAX);
	if (rec->redirect != NULL)
		FUZZ_CHECK(rec->redirectlen > 0 && inside(rec->redirect,
		    rec->redirectlen, text, size));
	if (rec->exp != NULL)
		FUZZ_CHECK(rec->explen > 0 && inside(rec->exp, rec->explen,
		    text, size));
	memset(&ip4, 0, sizeof(ip4));
	ip4.family = AF_INET;
	FUZZ_CHECK(inet_pton(AF_INET, "192.0.2.3", &ip4.u.v4) == 1);
	memset(&ip6, 0, sizeof(ip6));
	ip6.family = AF_INET6;
	FUZZ_CHECK(inet_pton(AF_INET6, "2001:db8::cb01", &ip6.u.v6) == 1);
	mc.sender = "strong-bad@email.example.com";
	mc.domain = "email.example.com";
	mc.helo = NULL;
	for (i = 0; i < rec->nterms; i++) {
		const struct spf_term *t = &rec->terms[i];

		FUZZ_CHECK(t->textlen > 0 && inside(t->text, t->textlen, text,
		    size));
		FUZZ_CHECK(t->mech <= SPF_EXISTS);
		FUZZ_CHECK(t->qualifier == SPF_PASS ||
		    t->qualifier == SPF_FAIL ||
		    t->qualifier == SPF_SOFTFAIL ||
		    t->qualifier == SPF_NEUTRAL);
		FUZZ_CHECK(t->cidr4 <= 32 && t->cidr6 <= 128);
		if (t->mech == SPF_INCLUDE || t->mech == SPF_EXISTS)
			FUZZ_CHECK(t->speclen > 0);
		if (t->speclen == 0)
			continue;
		FUZZ_CHECK(inside(t->spec, t->speclen, t->text, t->textlen));
		mc.ip = (i & 1) ? &ip6 : &ip4;
		if (spf_expand(t->spec, t->speclen, &mc, out, sizeof(out), err,
		    sizeof(err)) == 0) {
			size_t	 len = strlen(out);

			FUZZ_CHECK(len > 0 && len <= 253);
			FUZZ_CHECK(out[0] != '.' && out[len - 1] != '.');
			FUZZ_CHECK(strstr(out, "..") == NULL);
		} else
			FUZZ_CHECK(fuzz_cstr_in(err, sizeof(err)) &&
			    err[0] != '\0');
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct spf_record rec;
	struct spf_dns dns = { NULL, fz_txt, fz_addrs, fz_mx };
	struct spf_outcome out;
	struct dns_addr ip;
	const char *text = (const char *)data;
	char	 err[256];
	size_t	 len;
	int	 r;

	r = spf_parse(text, size, &rec, err, sizeof(err));
	if (r == 0)
		check_record(text, size, &rec);
	else {
		FUZZ_CHECK(r == -1);
		FUZZ_CHECK(fuzz_cstr_in(err, sizeof(err)) && err[0] != '\0');
	}

	/* As the DNS would hand it over: NUL-terminated, at most 4095. */
	len = size < sizeof(record) - 1 ? size : sizeof(record) - 1;
	memcpy(record, data, len);
	record[len] = '\0';
	memset(&ip, 0, sizeof(ip));
	ip.family = (size & 1) ? AF_INET6 : AF_INET;
	if (ip.family == AF_INET)
		FUZZ_CHECK(inet_pton(AF_INET, "192.0.2.7", &ip.u.v4) == 1);
	else
		FUZZ_CHECK(inet_pton(AF_INET6, "2001:db8::7", &ip.u.v6) == 1);
	calls = 0;
	(void)spf_check(&dns, &ip, "fuzz.example", NULL, "helo.example",
	    &out);
	FUZZ_CHECK(out.result <= SPF_PERMERROR);
	FUZZ_CHECK(fuzz_cstr_in(out.why, sizeof(out.why)));
	FUZZ_CHECK(out.lookups <= SPF_LOOKUPS_MAX + 1);
	FUZZ_CHECK(out.voids <= SPF_VOIDS_MAX + 1);
	/* the first TXT, then per term at most an MX and 10 hosts */
	FUZZ_CHECK(calls <= 1 + (SPF_LOOKUPS_MAX + 1) * (SPF_MX_MAX + 2));
	return 0;
}
