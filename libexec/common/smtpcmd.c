/*
 * smtpcmd.c — SMTP command line parsing (see smtpcmd.h).
 *
 * RFC 5321 §4.1.1 (verbs), §4.1.2 (paths, via addr.c), §4.1.3 and the
 * Mail-parameters / Rcpt-parameters grammar; RFC 1870 §3, RFC 6152,
 * RFC 6531 §3.4, RFC 3461 §4.1-§4.4, RFC 3030 §2, RFC 4954 §5.
 *
 * Deviation, deliberate: one or more spaces are tolerated between "FROM:"
 * and the path, as many clients send them.
 */
#include <string.h>
#include <strings.h>

#include "num.h"
#include "smtpcmd.h"
#include "poison.h"

static const struct {
	const char	*name;
	enum smtp_verb	 verb;
	size_t		 maxlen;	/* line limit without CRLF */
} smtpcmd_verbs[] = {
	{ "HELO", SMTP_HELO, SMTP_LINE_MAX - 2 },
	{ "EHLO", SMTP_EHLO, SMTP_LINE_MAX - 2 },
	{ "MAIL", SMTP_MAIL, SMTP_MAIL_LINE_MAX - 2 },
	{ "RCPT", SMTP_RCPT, SMTP_RCPT_LINE_MAX - 2 },
	{ "DATA", SMTP_DATA, SMTP_LINE_MAX - 2 },
	{ "BDAT", SMTP_BDAT, SMTP_LINE_MAX - 2 },
	{ "RSET", SMTP_RSET, SMTP_LINE_MAX - 2 },
	{ "NOOP", SMTP_NOOP, SMTP_LINE_MAX - 2 },
	{ "QUIT", SMTP_QUIT, SMTP_LINE_MAX - 2 },
	{ "VRFY", SMTP_VRFY, SMTP_LINE_MAX - 2 },
	{ "EXPN", SMTP_EXPN, SMTP_LINE_MAX - 2 },
	{ "HELP", SMTP_HELP, SMTP_LINE_MAX - 2 },
	{ "STARTTLS", SMTP_STARTTLS, SMTP_LINE_MAX - 2 },
	{ "AUTH", SMTP_AUTH, SMTP_AUTH_LINE_MAX - 2 },
	{ "GET", SMTP_HTTP, SMTP_AUTH_LINE_MAX },
	{ "POST", SMTP_HTTP, SMTP_AUTH_LINE_MAX },
	{ "HEAD", SMTP_HTTP, SMTP_AUTH_LINE_MAX },
	{ "PUT", SMTP_HTTP, SMTP_AUTH_LINE_MAX },
	{ "CONNECT", SMTP_HTTP, SMTP_AUTH_LINE_MAX },
	{ "USER", SMTP_HTTP, SMTP_AUTH_LINE_MAX },
};

enum smtpcmd_result
smtpcmd_parse(const char *line, size_t n, struct smtp_cmd *cmd)
{
	size_t	 vlen, i;

	cmd->verb = SMTP_UNKNOWN;
	cmd->name = "UNKNOWN";
	cmd->arg = "";
	cmd->arglen = 0;
	for (vlen = 0; vlen < n && line[vlen] != ' '; vlen++)
		;
	if (vlen == 0)
		return SMTPCMD_ESYNTAX;
	for (i = 0; i < sizeof(smtpcmd_verbs) / sizeof(smtpcmd_verbs[0]); i++) {
		if (strlen(smtpcmd_verbs[i].name) != vlen ||
		    strncasecmp(line, smtpcmd_verbs[i].name, vlen) != 0)
			continue;
		cmd->verb = smtpcmd_verbs[i].verb;
		cmd->name = smtpcmd_verbs[i].name;
		if (vlen < n) {
			cmd->arg = line + vlen + 1;
			cmd->arglen = n - vlen - 1;
		}
		if (n > smtpcmd_verbs[i].maxlen)
			return SMTPCMD_ETOOLONG;
		return SMTPCMD_OK;
	}
	if (n > SMTP_LINE_MAX - 2)
		return SMTPCMD_ETOOLONG;
	return SMTPCMD_OK;
}

bool
smtpcmd_xtext_valid(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			if (n - i < 3)
				return false;
			for (int k = 1; k <= 2; k++) {
				char h = s[i + (size_t)k];

				if (!((h >= '0' && h <= '9') ||
				    (h >= 'A' && h <= 'F')))
					return false;
			}
			i += 2;
		} else if (c < 33 || c > 126 || c == '=')
			return false;
	}
	return true;
}

/* xtext where bytes >= 0x80 (valid UTF-8, checked apart) also pass. */
static bool
smtpcmd_xtext_valid_utf8(const char *s, size_t n)
{
	size_t	 i = 0, start;

	while (i < n) {
		if ((unsigned char)s[i] >= 0x80) {
			i++;
			continue;
		}
		for (start = i; i < n && (unsigned char)s[i] < 0x80; i++)
			;
		if (!smtpcmd_xtext_valid(s + start, i - start))
			return false;
	}
	return true;
}

/* A parameter: keyword [ "=" value ]. */
struct smtpcmd_param {
	const char	*key;
	size_t		 keylen;
	const char	*val;	/* NULL when there is no "=" */
	size_t		 vallen;
};

static bool
smtpcmd_keyword_is(const struct smtpcmd_param *p, const char *k)
{
	return p->keylen == strlen(k) && strncasecmp(p->key, k, p->keylen) == 0;
}

static bool
smtpcmd_value_is(const struct smtpcmd_param *p, const char *v)
{
	return p->val != NULL && p->vallen == strlen(v) &&
	    strncasecmp(p->val, v, p->vallen) == 0;
}

/*
 * Walk " key[=value]" tokens from s[0..n).  Calls fn for each; stops at
 * the first result other than SMTPCMD_OK.
 */
typedef enum smtpcmd_result (*smtpcmd_param_fn)(const struct smtpcmd_param *,
    void *);

static enum smtpcmd_result
smtpcmd_params(const char *s, size_t n, smtpcmd_param_fn fn, void *ctx)
{
	size_t	 i = 0;

	while (i < n) {
		struct smtpcmd_param p;
		enum smtpcmd_result r;
		size_t	 start, k;

		if (s[i] != ' ')
			return SMTPCMD_ESYNTAX;
		while (i < n && s[i] == ' ')
			i++;
		if (i == n)
			break;	/* trailing spaces: tolerated */
		start = i;
		while (i < n && s[i] != ' ')
			i++;
		memset(&p, 0, sizeof(p));
		p.key = s + start;
		for (k = start; k < i && s[k] != '='; k++)
			;
		p.keylen = k - start;
		if (k < i) {
			p.val = s + k + 1;
			p.vallen = i - k - 1;
			if (p.vallen == 0)
				return SMTPCMD_EPARAM;
		}
		if (p.keylen == 0)
			return SMTPCMD_ESYNTAX;
		for (k = 0; k < p.keylen; k++) {
			unsigned char c = (unsigned char)p.key[k];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || (c == '-' && k > 0)))
				return SMTPCMD_ESYNTAX;
		}
		for (k = 0; k < p.vallen; k++) {
			unsigned char c = (unsigned char)p.val[k];

			/* esmtp-value; UTF-8 allowed by RFC 6531 */
			if (c < 33 || c == '=' || c == 127)
				return SMTPCMD_EPARAM;
		}
		if ((r = fn(&p, ctx)) != SMTPCMD_OK)
			return r;
	}
	return SMTPCMD_OK;
}

/* "FROM:" or "TO:" then optional spaces; returns the offset of the path. */
static bool
smtpcmd_prefix(const char *arg, size_t n, const char *prefix, size_t *off)
{
	size_t	 pl = strlen(prefix), i;

	if (n < pl || strncasecmp(arg, prefix, pl) != 0)
		return false;
	for (i = pl; i < n && arg[i] == ' '; i++)
		;
	*off = i;
	return true;
}

struct smtpcmd_mail_ctx {
	struct smtp_mail *m;
	unsigned	 ext;
	uint64_t	 max_size;
	unsigned	 seen;
};

#define SEEN_SIZE	0x01
#define SEEN_BODY	0x02
#define SEEN_UTF8	0x04
#define SEEN_RET	0x08
#define SEEN_ENVID	0x10
#define SEEN_AUTH	0x20
#define SEEN_NOTIFY	0x40
#define SEEN_ORCPT	0x80

static enum smtpcmd_result
smtpcmd_once(unsigned *seen, unsigned bit)
{
	if (*seen & bit)
		return SMTPCMD_EPARAM;	/* duplicate parameter */
	*seen |= bit;
	return SMTPCMD_OK;
}

static enum smtpcmd_result
smtpcmd_mail_param(const struct smtpcmd_param *p, void *vctx)
{
	struct smtpcmd_mail_ctx *c = vctx;
	struct smtp_mail *m = c->m;

	if ((c->ext & SMTPCMD_EXT_SIZE) && smtpcmd_keyword_is(p, "SIZE")) {
		if (smtpcmd_once(&c->seen, SEEN_SIZE) != SMTPCMD_OK ||
		    p->val == NULL ||
		    !num_parse(p->val, p->vallen, UINT64_MAX, &m->size))
			return SMTPCMD_EPARAM;
		if (c->max_size != 0 && m->size > c->max_size)
			return SMTPCMD_EPARAM_SIZE;
		return SMTPCMD_OK;
	}
	if ((c->ext & SMTPCMD_EXT_8BITMIME) && smtpcmd_keyword_is(p, "BODY")) {
		if (smtpcmd_once(&c->seen, SEEN_BODY) != SMTPCMD_OK)
			return SMTPCMD_EPARAM;
		if (smtpcmd_value_is(p, "7BIT"))
			m->body = SMTP_BODY_7BIT;
		else if (smtpcmd_value_is(p, "8BITMIME"))
			m->body = SMTP_BODY_8BITMIME;
		else
			return SMTPCMD_EPARAM;
		return SMTPCMD_OK;
	}
	if ((c->ext & SMTPCMD_EXT_SMTPUTF8) &&
	    smtpcmd_keyword_is(p, "SMTPUTF8")) {
		/* Repeated is harmless, and Python's smtplib repeats it. */
		if (p->val != NULL)
			return SMTPCMD_EPARAM;
		m->smtputf8 = true;
		return SMTPCMD_OK;
	}
	if ((c->ext & SMTPCMD_EXT_DSN) && smtpcmd_keyword_is(p, "RET")) {
		if (smtpcmd_once(&c->seen, SEEN_RET) != SMTPCMD_OK)
			return SMTPCMD_EPARAM;
		if (smtpcmd_value_is(p, "FULL"))
			m->ret = SMTP_RET_FULL;
		else if (smtpcmd_value_is(p, "HDRS"))
			m->ret = SMTP_RET_HDRS;
		else
			return SMTPCMD_EPARAM;
		return SMTPCMD_OK;
	}
	if ((c->ext & SMTPCMD_EXT_DSN) && smtpcmd_keyword_is(p, "ENVID")) {
		if (smtpcmd_once(&c->seen, SEEN_ENVID) != SMTPCMD_OK ||
		    p->val == NULL || p->vallen > SMTP_ENVID_MAX ||
		    !smtpcmd_xtext_valid(p->val, p->vallen))
			return SMTPCMD_EPARAM;
		memcpy(m->envid, p->val, p->vallen);
		m->envid[p->vallen] = '\0';
		return SMTPCMD_OK;
	}
	if ((c->ext & SMTPCMD_EXT_AUTH) && smtpcmd_keyword_is(p, "AUTH")) {
		if (smtpcmd_once(&c->seen, SEEN_AUTH) != SMTPCMD_OK ||
		    p->val == NULL || p->vallen > ADDR_PATH_MAX ||
		    !(smtpcmd_value_is(p, "<>") ||
		    smtpcmd_xtext_valid(p->val, p->vallen)))
			return SMTPCMD_EPARAM;
		memcpy(m->auth, p->val, p->vallen);
		m->auth[p->vallen] = '\0';
		return SMTPCMD_OK;
	}
	return SMTPCMD_EPARAM_UNKNOWN;
}

enum smtpcmd_result
smtpcmd_mail(const char *arg, size_t n, unsigned ext, uint64_t max_size,
    struct smtp_mail *m)
{
	struct smtpcmd_mail_ctx ctx;
	enum smtpcmd_result r;
	size_t	 off, used;

	memset(m, 0, sizeof(*m));
	if (!smtpcmd_prefix(arg, n, "FROM:", &off))
		return SMTPCMD_ESYNTAX;
	m->addr_error = addr_parse_path(arg + off, n - off,
	    ADDR_OPT_NULL | ADDR_OPT_UTF8, &m->from, &used);
	if (m->addr_error != ADDR_OK)
		return SMTPCMD_EADDR;
	ctx.m = m;
	ctx.ext = ext;
	ctx.max_size = max_size;
	ctx.seen = 0;
	off += used;
	if ((r = smtpcmd_params(arg + off, n - off, smtpcmd_mail_param,
	    &ctx)) != SMTPCMD_OK)
		return r;
	if ((m->from.flags & ADDR_UTF8) && !m->smtputf8) {
		m->addr_error = ADDR_EUTF8;
		return SMTPCMD_EADDR;
	}
	return SMTPCMD_OK;
}

struct smtpcmd_rcpt_ctx {
	struct smtp_rcpt *r;
	unsigned	 ext;
	unsigned	 seen;
};

enum smtpcmd_result
smtpcmd_notify(const char *v, size_t n, unsigned *out)
{
	size_t	 i = 0;

	*out = 0;
	while (i < n) {
		size_t	 start = i;
		unsigned bit;

		while (i < n && v[i] != ',')
			i++;
		if (i - start == 5 && strncasecmp(v + start, "NEVER", 5) == 0)
			bit = SMTP_NOTIFY_NEVER;
		else if (i - start == 7 &&
		    strncasecmp(v + start, "SUCCESS", 7) == 0)
			bit = SMTP_NOTIFY_SUCCESS;
		else if (i - start == 7 &&
		    strncasecmp(v + start, "FAILURE", 7) == 0)
			bit = SMTP_NOTIFY_FAILURE;
		else if (i - start == 5 &&
		    strncasecmp(v + start, "DELAY", 5) == 0)
			bit = SMTP_NOTIFY_DELAY;
		else
			return SMTPCMD_EPARAM;
		if (*out & bit)
			return SMTPCMD_EPARAM;
		*out |= bit;
		if (i < n && ++i == n)
			return SMTPCMD_EPARAM;	/* trailing comma */
	}
	/* NEVER stands alone (RFC 3461 4.1). */
	if ((*out & SMTP_NOTIFY_NEVER) && *out != SMTP_NOTIFY_NEVER)
		return SMTPCMD_EPARAM;
	return *out ? SMTPCMD_OK : SMTPCMD_EPARAM;
}

static enum smtpcmd_result
smtpcmd_rcpt_param(const struct smtpcmd_param *p, void *vctx)
{
	struct smtpcmd_rcpt_ctx *c = vctx;
	struct smtp_rcpt *r = c->r;

	if ((c->ext & SMTPCMD_EXT_DSN) && smtpcmd_keyword_is(p, "NOTIFY")) {
		if (smtpcmd_once(&c->seen, SEEN_NOTIFY) != SMTPCMD_OK ||
		    p->val == NULL)
			return SMTPCMD_EPARAM;
		return smtpcmd_notify(p->val, p->vallen, &r->notify);
	}
	if ((c->ext & SMTPCMD_EXT_DSN) && smtpcmd_keyword_is(p, "ORCPT")) {
		const char *semi;
		size_t	 tl;

		if (smtpcmd_once(&c->seen, SEEN_ORCPT) != SMTPCMD_OK ||
		    p->val == NULL || p->vallen > SMTP_ORCPT_MAX)
			return SMTPCMD_EPARAM;
		semi = memchr(p->val, ';', p->vallen);
		if (semi == NULL || semi == p->val)
			return SMTPCMD_EPARAM;
		tl = (size_t)(semi - p->val);
		for (size_t k = 0; k < tl; k++) {
			unsigned char ch = (unsigned char)p->val[k];

			if (!((ch >= 'a' && ch <= 'z') ||
			    (ch >= 'A' && ch <= 'Z') ||
			    (ch >= '0' && ch <= '9') || ch == '-'))
				return SMTPCMD_EPARAM;
		}
		/*
		 * xtext; RFC 6533's utf-8-addr-xtext differs only by also
		 * allowing UTF-8 characters, which xtext_valid refuses.
		 */
		if (tl + 1 == p->vallen ||
		    !addr_utf8_valid(semi + 1, p->vallen - tl - 1) ||
		    !smtpcmd_xtext_valid_utf8(semi + 1, p->vallen - tl - 1))
			return SMTPCMD_EPARAM;
		memcpy(r->orcpt, p->val, p->vallen);
		r->orcpt[p->vallen] = '\0';
		return SMTPCMD_OK;
	}
	return SMTPCMD_EPARAM_UNKNOWN;
}

enum smtpcmd_result
smtpcmd_rcpt(const char *arg, size_t n, unsigned ext, bool utf8,
    struct smtp_rcpt *r)
{
	struct smtpcmd_rcpt_ctx ctx;
	size_t	 off, used;

	memset(r, 0, sizeof(*r));
	if (!smtpcmd_prefix(arg, n, "TO:", &off))
		return SMTPCMD_ESYNTAX;
	r->addr_error = addr_parse_path(arg + off, n - off,
	    ADDR_OPT_POSTMASTER | (utf8 ? ADDR_OPT_UTF8 : 0), &r->to, &used);
	if (r->addr_error != ADDR_OK)
		return SMTPCMD_EADDR;
	ctx.r = r;
	ctx.ext = ext;
	ctx.seen = 0;
	off += used;
	return smtpcmd_params(arg + off, n - off, smtpcmd_rcpt_param, &ctx);
}

enum smtpcmd_result
smtpcmd_bdat(const char *arg, size_t n, uint64_t *size, bool *last)
{
	size_t	 i = 0;

	while (i < n && arg[i] != ' ')
		i++;
	if (!num_parse(arg, i, UINT64_MAX, size))
		return SMTPCMD_ESYNTAX;
	*last = false;
	if (i == n)
		return SMTPCMD_OK;
	if (n - i - 1 == 4 && strncasecmp(arg + i + 1, "LAST", 4) == 0) {
		*last = true;
		return SMTPCMD_OK;
	}
	return SMTPCMD_ESYNTAX;
}
