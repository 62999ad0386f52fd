/*
 * spfcheck.c — the SPF check of mail arriving on port 25 (RFC 7208), at
 * MAIL FROM, for clients at public addresses (spf_check = yes) or for
 * every client (all).  The identity is the MAIL FROM domain, or for the
 * null sender the HELO name (2.4).  "fail" refuses the sender with
 * 550 5.7.23 and "temperror" with 451 4.7.24 (RFC 7372); every other
 * result is accepted and recorded in a Received-SPF: field (9.1) above our
 * Received: field.  Mail forwarded from here to a mailbox elsewhere so
 * never carries a sender whose own domain disowns the host it came from.
 */
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "log.h"
#include "session.h"
#include "spf.h"
#include "poison.h"

/* src made printable ASCII without the characters in bad (a header
 * field's comment cannot hold "()\\", a quoted string '"\\'). */
static void
spfcheck_clean(const char *src, const char *bad, char *out, size_t outsz)
{
	size_t	 i;
	char	 c;

	for (i = 0; (c = src[i]) != '\0' && i + 1 < outsz; i++)
		out[i] = c >= 0x20 && c < 0x7f && strchr(bad, c) == NULL ?
		    c : '?';
	out[i] = '\0';
}

enum reply_id
session_spf(struct session *s)
{
	struct spf_dns sd;
	struct dns *d;
	struct spf_outcome out;
	struct dns_addr ip;
	struct logline l;
	char	 sender[ADDR_PATH_MAX + 16], from[ADDR_PATH_MAX + 1];
	char	 helo[ADDR_DOMAIN_MAX + 1], txt_why[SPF_WHY_MAX];
	const char *domain, *at, *mailbox = s->mail.from.mailbox;
	bool	 use_helo = mailbox[0] == '\0';

	s->spf_hdr[0] = '\0';
	if (s->mode != MODE_MX || s->authed ||
	    s->conf->spf_check == CONF_SPF_NO ||
	    !dns_addr_parse(s->client, &ip) ||
	    (s->conf->spf_check == CONF_SPF_YES && !dns_addr_global(&ip)))
		return REPLY_OK;
	if (use_helo) {
		/* An address literal as HELO has no SPF record. */
		if (s->helo[0] == '\0' || s->helo[0] == '[' ||
		    strchr(s->helo, '.') == NULL)
			return REPLY_OK;
		domain = s->helo;
		(void)snprintf(sender, sizeof(sender), "postmaster@%s",
		    s->helo);
	} else {
		if ((at = strrchr(mailbox, '@')) == NULL || at[1] == '\0')
			return REPLY_OK;
		domain = at + 1;
		(void)snprintf(sender, sizeof(sender), "%s", mailbox);
	}
	if ((d = dns_open(s->conf, 0)) == NULL) {
		out.result = SPF_TEMPERROR;
		(void)snprintf(out.why, sizeof(out.why), "no resolver");
	} else {
		sd = spf_dns_resolver(d);
		(void)spf_check(&sd, &ip, domain, sender,
		    s->helo[0] != '\0' ? s->helo : NULL, &out);
		dns_close(d);
	}

	log_start(&l, out.result == SPF_FAIL || out.result == SPF_TEMPERROR ?
	    LOG_NOTICE : LOG_INFO, "spf");
	log_str(&l, "result", spf_result_name(out.result));
	log_str(&l, "identity", use_helo ? "helo" : "mailfrom");
	log_str(&l, "domain", domain);
	log_str(&l, "client", s->client);
	log_str(&l, "why", out.why);
	log_emit(&l);

	spfcheck_clean(out.why, "()\\", txt_why, sizeof(txt_why));
	spfcheck_clean(sender, "\"\\", from, sizeof(from));
	spfcheck_clean(s->helo, "\"\\();", helo, sizeof(helo));
	(void)snprintf(s->spf_hdr, sizeof(s->spf_hdr),
	    "Received-SPF: %s (%s: %s)\r\n"
	    "\tclient-ip=%s; envelope-from=\"%s\";\r\n"
	    "\thelo=%s; identity=%s; receiver=%s;\r\n",
	    spf_result_name(out.result), s->conf->hostname, txt_why,
	    s->client, from, helo[0] ? helo : "unknown",
	    use_helo ? "helo" : "mailfrom", s->conf->hostname);
	if (out.result == SPF_FAIL)
		return REPLY_SPF_FAIL;
	if (out.result == SPF_TEMPERROR)
		return REPLY_SPF_TEMP;
	return REPLY_OK;
}
