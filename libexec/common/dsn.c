/*
 * dsn.c — delivery status notifications (see dsn.h).
 *
 * RFC 3464 section 2 (the message/delivery-status fields, in the order of
 * its grammar), RFC 6522 (multipart/report), RFC 3461 4.3, 4.4 and 6.2
 * (RET, ENVID and ORCPT as they come back in a report), RFC 6533 (the
 * utf-8 address type, message/global-delivery-status, message/global and
 * message/global-headers), RFC 3834 5 (Auto-Submitted), RFC 5322 2.1.1
 * and 3.3 (line limits, dates), RFC 2046 5.1.1 (the boundary).
 *
 * What comes from elsewhere (addresses, a remote server's reply, the
 * envelope id) is cleaned before it is written: its own line breaks
 * become spaces, other control characters and octets the part may not
 * carry become "?" (an address gets RFC 6533's \x{HEX} form instead),
 * and long values are folded (fields) or wrapped (text) so that no line
 * exceeds 998 octets.  The text and delivery-status parts are composed
 * first, so that the boundary can be chosen to occur in no part.  The
 * returned message is copied as it is, its line ends made CRLF; only its
 * header goes back when the whole may not (RET=HDRS, a delay or success
 * report, over max_returned, a line over 998 octets or a NUL byte).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dsn.h"
#include "msg.h"
#include "num.h"
#include "poison.h"

#define DSN_FIELD_WIDTH	78	/* fold fields here, where there is a space */
#define DSN_TEXT_WIDTH	72	/* wrap the human-readable text here */
#define DSN_DATE_MAX	40
#define DSN_BOUNDARY_MAX 70	/* RFC 2046 5.1.1 */
#define DSN_MSGID_MAX	250	/* an original Message-ID we refer to */
#define DSN_ID_MAX	SPOOL_ID_LEN
#define DSN_DATE_LAST	INT64_C(253402300799)	/* 9999-12-31 23:59:59 */

struct dsn_ctx {
	const struct dsn_params *p;
	bool		 global;	/* RFC 6533: UTF-8 allowed */
	bool		 failed, delayed, done;	/* recipients' kinds */
	int64_t		 retry_until;	/* latest Will-Retry-Until */
	const char	*ret;		/* what of the original goes back */
	size_t		 retlen;
	bool		 ret_full;	/* the message, not its header */
	char		 id[DSN_ID_MAX + 1];
	char		 boundary[DSN_BOUNDARY_MAX + 1];
	struct buf	 text;		/* the human-readable part */
	struct buf	 status;	/* the delivery-status part */
	struct buf	 line;		/* a paragraph being composed */
	struct buf	 tmp;		/* a value being cleaned */
};

/* Per process: a random seed and a serial make ids and boundaries unique. */
static uint32_t	 dsn_seed;
static uint32_t	 dsn_serial;
static pid_t	 dsn_seed_pid;	/* a forked child seeds anew */

static const char *const dsn_action_names[] = {
	[DSN_FAILED] = "failed",
	[DSN_DELAYED] = "delayed",
	[DSN_DELIVERED] = "delivered",
	[DSN_RELAYED] = "relayed",
	[DSN_EXPANDED] = "expanded",
};

/*
 * What an enhanced status code means, in words (RFC 3463 3, RFC 7505 4.2,
 * RFC 6531 3.7.5).
 */
static const struct {
	const char	*code;		/* "subject.detail" */
	const char	*text;
} dsn_reasons[] = {
	{ "1.1", "The mailbox does not exist." },
	{ "1.2", "The recipient's domain does not exist or takes no mail." },
	{ "1.3", "The recipient address is not valid." },
	{ "1.10", "The recipient's domain says that it takes no mail." },
	{ "2.1", "The mailbox is disabled." },
	{ "2.2", "The mailbox is full." },
	{ "2.3", "The message is larger than the mailbox accepts." },
	{ "3.4", "The message is too big for the receiving system." },
	{ "4.1", "The receiving server did not answer." },
	{ "4.2", "The connection to the receiving server broke off." },
	{ "4.3", "The destination could not be looked up in the DNS." },
	{ "4.4", "No way to reach the destination was found." },
	{ "4.6", "The message was going round in a loop." },
	{ "4.7", "The message could not be delivered in time and has "
	    "expired." },
	{ "6.7", "The receiving server cannot take an address with non-ASCII "
	    "characters." },
	{ "7.1", "The receiving side refused the message." },
};

/* By the subject alone, when the detail is not listed above. */
static const char *const dsn_subjects[] = {
	[1] = "There is a problem with the address.",
	[2] = "There is a problem with the mailbox.",
	[3] = "There is a problem with the receiving mail system.",
	[4] = "There is a network or routing problem.",
	[5] = "There was a mail protocol problem.",
	[6] = "There is a problem with the message content.",
	[7] = "It was refused for a security or policy reason.",
};

static void
dsn_seed_init(void)
{
	pid_t	 pid = getpid();

	if (dsn_seed_pid == pid)
		return;
	if (getrandom(&dsn_seed, sizeof(dsn_seed), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(dsn_seed))
		/* Uniqueness within the process still holds by the serial. */
		dsn_seed = (uint32_t)pid * 2654435761u ^ (uint32_t)time(NULL);
	dsn_seed_pid = pid;
}

/* An RFC 5322 date-time in UTC. */
static void
dsn_date(int64_t t, char out[DSN_DATE_MAX])
{
	static const char days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm tm;
	time_t	 tt;

	if (t < 0)
		t = 0;
	if (t > DSN_DATE_LAST)
		t = DSN_DATE_LAST;
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		(void)snprintf(out, DSN_DATE_MAX,
		    "Thu, 01 Jan 1970 00:00:00 +0000");
		return;
	}
	(void)snprintf(out, DSN_DATE_MAX, "%s, %02d %s %04d %02d:%02d:%02d "
	    "+0000", days[tm.tm_wday], tm.tm_mday % 100, months[tm.tm_mon],
	    (tm.tm_year + 1900) % 10000, tm.tm_hour % 100, tm.tm_min % 100,
	    tm.tm_sec % 100);
}

/*
 * The length (2 to 4) of the valid UTF-8 sequence at s[0..n), with its
 * code point in *cp; 0 when there is none (overlong forms, surrogates
 * and values over U+10FFFF are not valid).
 */
static size_t
dsn_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t	 len, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Printable ASCII only (spaces allowed)? */
static bool
dsn_printable(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* Printable ASCII or valid UTF-8, and no control characters? */
static bool
dsn_printable_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t	 i, len;
	uint32_t cp;

	for (i = 0; i < n; i += len) {
		len = 1;
		if (u[i] >= 0x80) {
			if ((len = dsn_utf8(u + i, n - i, &cp)) == 0 ||
			    cp < 0xa0)
				return false;
		} else if (u[i] < 0x20 || u[i] == 0x7f)
			return false;
	}
	return true;
}

/*
 * Append s[0..n) cleaned for a field or the text: each run of line
 * breaks and tabs becomes one space, other control characters "?", and
 * so do octets over 0x7f unless utf8 allows them and they form valid
 * UTF-8.
 */
static int
dsn_clean(struct buf *out, const char *s, size_t n, bool utf8)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t	 i = 0, start = 0, len;
	uint32_t cp;
	int	 r = 0;

	if (n == 0)
		return 0;
	while (i < n) {
		if (u[i] >= 0x20 && u[i] < 0x7f) {
			i++;
			continue;
		}
		r |= buf_add(out, s + start, i - start);
		if (u[i] == '\r' || u[i] == '\n' || u[i] == '\t') {
			/* a multi-line reply's lines joined by one space */
			r |= buf_addc(out, ' ');
			while (i < n &&
			    (u[i] == '\r' || u[i] == '\n' || u[i] == '\t'))
				i++;
		} else if (u[i] >= 0x80 && utf8 &&
		    (len = dsn_utf8(u + i, n - i, &cp)) > 0 && cp >= 0xa0) {
			r |= buf_add(out, s + i, len);
			i += len;
		} else {
			r |= buf_addc(out, '?');
			i++;
		}
		start = i;
	}
	r |= buf_add(out, s + start, n - start);
	return r ? -1 : 0;
}

/*
 * Append an address the way RFC 3464 and RFC 6533 want it: printable
 * ASCII as it is ("rfc822"); otherwise the "utf-8" type, with the address
 * as it is in a global report, or in utf-8-addr-xtext form (\x{HEX} for
 * all but plain ASCII, RFC 6533 3) in an ASCII one.  With typed, the
 * type and "; " come first.
 */
static int
dsn_addr(struct buf *out, const char *a, bool global, bool typed)
{
	const unsigned char *u = (const unsigned char *)a;
	size_t	 n = strlen(a), i, len;
	uint32_t cp;
	int	 r = 0;

	if (dsn_printable(a, n)) {
		if (typed)
			r |= buf_addstr(out, "rfc822; ");
		r |= buf_add(out, a, n);
		return r ? -1 : 0;
	}
	if (typed)
		r |= buf_addstr(out, "utf-8; ");
	if (global && dsn_printable_utf8(a, n)) {
		r |= buf_add(out, a, n);
		return r ? -1 : 0;
	}
	for (i = 0; i < n; i += len) {
		len = 1;
		if (u[i] > 0x20 && u[i] < 0x7f && u[i] != '+' && u[i] != '=' &&
		    u[i] != '\\')
			r |= buf_addc(out, a[i]);
		else if (u[i] < 0x80)
			r |= buf_printf(out, "\\x{%02X}", u[i]);
		else if ((len = dsn_utf8(u + i, n - i, &cp)) > 0)
			r |= buf_printf(out, "\\x{%02X}", (unsigned)cp);
		else {
			len = 1;
			r |= buf_addstr(out, "\\x{FFFD}");
		}
	}
	return r ? -1 : 0;
}

/*
 * Decode RFC 3461 xtext ("+XX" for an octet) into out[0..outsz); false
 * when it is malformed or does not fit.
 */
static bool
dsn_xtext_decode(const char *s, size_t n, char *out, size_t outsz,
    size_t *outlen)
{
	size_t	 i, o = 0;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (o >= outsz)
			return false;
		if (s[i] != '+') {
			out[o++] = s[i];
			continue;
		}
		if (n - i < 3 || (hi = num_hexval(s[i + 1])) < 0 ||
		    (lo = num_hexval(s[i + 2])) < 0)
			return false;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	*outlen = o;
	return true;
}

/*
 * The value of an xtext parameter for a report field: decoded when that
 * gives printable text (RFC 3464 2.2.1 and 2.3.1 carry the value itself),
 * as it was sent (xtext is ASCII) otherwise.
 */
static int
dsn_xtext_value(struct buf *out, const char *s, size_t n, bool global)
{
	char	 dec[SMTP_ORCPT_MAX + 1];
	size_t	 dlen;

	if (dsn_xtext_decode(s, n, dec, sizeof(dec), &dlen) &&
	    (dsn_printable(dec, dlen) ||
	    (global && dsn_printable_utf8(dec, dlen))))
		return dsn_clean(out, dec, dlen, global);
	return dsn_clean(out, s, n, false);
}

/*
 * Append first, then the clean text s[0..n) broken at spaces into lines
 * of at most width octets where it can be and never more than
 * MSG_LINE_MAX, continuation lines starting with indent; then CRLF.  With
 * indent " " this is RFC 5322 folding: unfolding gives back s (but for a
 * word longer than a line, which is cut and so gains a space).
 */
static int
dsn_wrap(struct buf *out, const char *first, const char *indent,
    size_t width, const char *s, size_t n)
{
	size_t	 col, i = 0, sp, wl, take, ilen = strlen(indent);
	bool	 content = false;
	int	 r = 0;

	if (s == NULL)
		s = "";
	r |= buf_addstr(out, first);
	col = strlen(first);
	while (i < n) {
		for (sp = 0; i + sp < n && s[i + sp] == ' '; sp++)
			;
		i += sp;
		if (i == n)
			break;
		for (wl = 0; i + wl < n && s[i + wl] != ' '; wl++)
			;
		if (!content)
			sp = 0;
		else if (col + sp + wl > width) {
			r |= buf_addstr(out, "\r\n");
			r |= buf_addstr(out, indent);
			col = ilen;
			sp--;
		}
		for (; sp > 0; sp--) {
			if (col >= MSG_LINE_MAX) {
				r |= buf_addstr(out, "\r\n");
				r |= buf_addstr(out, indent);
				col = ilen;
			}
			r |= buf_addc(out, ' ');
			col++;
		}
		/* A word longer than a line is cut, not inside a character. */
		while (col + wl > MSG_LINE_MAX) {
			take = col < MSG_LINE_MAX ? MSG_LINE_MAX - col : 0;
			while (take > 0 &&
			    ((unsigned char)s[i + take] & 0xc0) == 0x80)
				take--;
			r |= buf_add(out, s + i, take);
			r |= buf_addstr(out, "\r\n");
			r |= buf_addstr(out, indent);
			i += take;
			wl -= take;
			col = ilen;
		}
		r |= buf_add(out, s + i, wl);
		col += wl;
		i += wl;
		content = true;
	}
	r |= buf_addstr(out, "\r\n");
	return r ? -1 : 0;
}

/* A field "Name: value" with the value cleaned and folded. */
static int
dsn_field(struct dsn_ctx *c, struct buf *out, const char *name,
    const char *v, size_t n)
{
	buf_reset(&c->tmp);
	if (dsn_clean(&c->tmp, v, n, c->global) == -1)
		return -1;
	return dsn_wrap(out, name, " ", DSN_FIELD_WIDTH, c->tmp.data,
	    c->tmp.len);
}

/* A field whose value is a typed address ("rfc822; a@b"). */
static int
dsn_field_addr(struct dsn_ctx *c, struct buf *out, const char *name,
    const char *a)
{
	buf_reset(&c->tmp);
	if (dsn_addr(&c->tmp, a, c->global, true) == -1)
		return -1;
	/* An address may hold spaces (quoted): never fold it. */
	return dsn_wrap(out, name, " ", MSG_LINE_MAX, c->tmp.data,
	    c->tmp.len);
}

/* Append a paragraph of the text: c->line, cleaned and wrapped. */
static int
dsn_para(struct dsn_ctx *c, const char *indent)
{
	buf_reset(&c->tmp);
	if (dsn_clean(&c->tmp, c->line.data ? c->line.data : "", c->line.len,
	    c->global) == -1)
		return -1;
	buf_reset(&c->line);
	return dsn_wrap(&c->text, "", indent, DSN_TEXT_WIDTH,
	    c->tmp.data ? c->tmp.data : "", c->tmp.len);
}

/* Is s an enhanced status code (RFC 3463 2) that fits the action? */
static bool
dsn_status_valid(const char *s, enum dsn_action a)
{
	size_t	 i, k;

	if (s == NULL)
		return false;
	switch (s[0]) {
	case '2':
		if (a == DSN_FAILED || a == DSN_DELAYED)
			return false;
		break;
	case '4':
		if (a != DSN_FAILED && a != DSN_DELAYED)
			return false;
		break;
	case '5':
		if (a != DSN_FAILED)
			return false;
		break;
	default:
		return false;
	}
	i = 1;
	for (k = 0; k < 2; k++) {
		size_t	 d;

		if (s[i++] != '.')
			return false;
		for (d = 0; s[i] >= '0' && s[i] <= '9'; d++)
			i++;
		if (d < 1 || d > 3)
			return false;
	}
	return s[i] == '\0';
}

static const char *
dsn_status(const struct dsn_rcpt *r)
{
	if (dsn_status_valid(r->status, r->action))
		return r->status;
	switch (r->action) {
	case DSN_FAILED:
		return "5.0.0";
	case DSN_DELAYED:
		return "4.0.0";
	default:
		return "2.0.0";
	}
}

/* The words for a status code, or NULL. */
static const char *
dsn_reason(const char *status)
{
	const char *sd = status + 2;	/* "subject.detail" */
	size_t	 i;

	for (i = 0; i < sizeof(dsn_reasons) / sizeof(dsn_reasons[0]); i++)
		if (strcmp(sd, dsn_reasons[i].code) == 0)
			return dsn_reasons[i].text;
	if (sd[0] >= '1' && sd[0] <= '7' && sd[1] == '.')
		return dsn_subjects[sd[0] - '0'];
	return NULL;
}

/*
 * Split a diagnostic into its RFC 3464 2.3.6 type and text: "smtp; ..."
 * or "X-...; ..." as given, an SMTP reply ("550 ...") as smtp, anything
 * else as our own (X-tambo).
 */
static void
dsn_diag_split(const char *d, char *type, size_t typesz, const char **text)
{
	size_t	 i;

	for (i = 0; i < 40 && ((d[i] >= 'A' && d[i] <= 'Z') ||
	    (d[i] >= 'a' && d[i] <= 'z') || (d[i] >= '0' && d[i] <= '9') ||
	    d[i] == '-'); i++)
		;
	if (i < typesz && d[i] == ';' && (
	    (i == 4 && strncasecmp(d, "smtp", 4) == 0) ||
	    (i > 2 && strncasecmp(d, "x-", 2) == 0))) {
		memcpy(type, d, i);
		type[i] = '\0';
		for (i++; d[i] == ' ' || d[i] == '\t'; i++)
			;
		*text = d + i;
		return;
	}
	*text = d;
	if (d[0] >= '2' && d[0] <= '5' && d[1] >= '0' && d[1] <= '9' &&
	    d[2] >= '0' && d[2] <= '9' &&
	    (d[3] == ' ' || d[3] == '-' || d[3] == '\0'))
		(void)snprintf(type, typesz, "smtp");
	else
		(void)snprintf(type, typesz, "X-tambo");
}

/* The per-message fields (RFC 3464 2.2), in the grammar's order. */
static int
dsn_status_message(struct dsn_ctx *c)
{
	const struct spool_envelope *e = c->p->env;
	char	 date[DSN_DATE_MAX];
	int	 r = 0;

	if (e->envid[0] != '\0') {
		buf_reset(&c->tmp);
		r |= dsn_xtext_value(&c->tmp, e->envid, strlen(e->envid),
		    c->global);
		r |= dsn_wrap(&c->status, "Original-Envelope-Id: ", " ",
		    DSN_FIELD_WIDTH, c->tmp.data ? c->tmp.data : "",
		    c->tmp.len);
	}
	r |= dsn_field(c, &c->status, "Reporting-MTA: dns; ",
	    c->p->hostname, strlen(c->p->hostname));
	if (e->arrival > 0) {
		dsn_date(e->arrival, date);
		r |= buf_printf(&c->status, "Arrival-Date: %s\r\n", date);
	}
	r |= buf_printf(&c->status, "X-Tambo-Queue-ID: %s\r\n", c->id);
	r |= dsn_field_addr(c, &c->status, "X-Tambo-Sender: ", e->from);
	return r ? -1 : 0;
}

/* One recipient's fields (RFC 3464 2.3), after the blank line. */
static int
dsn_status_rcpt(struct dsn_ctx *c, const struct dsn_rcpt *rc)
{
	char	 date[DSN_DATE_MAX], type[48];
	const char *semi, *text;
	int	 r = 0;

	r |= buf_addstr(&c->status, "\r\n");
	if (rc->orcpt != NULL && rc->orcpt[0] != '\0') {
		buf_reset(&c->tmp);
		if ((semi = strchr(rc->orcpt, ';')) != NULL) {
			r |= dsn_clean(&c->tmp, rc->orcpt,
			    (size_t)(semi - rc->orcpt), false);
			r |= buf_addc(&c->tmp, ';');
			r |= dsn_xtext_value(&c->tmp, semi + 1,
			    strlen(semi + 1), c->global);
		} else {
			r |= buf_addstr(&c->tmp, "rfc822;");
			r |= dsn_xtext_value(&c->tmp, rc->orcpt,
			    strlen(rc->orcpt), c->global);
		}
		r |= dsn_wrap(&c->status, "Original-Recipient: ", " ",
		    MSG_LINE_MAX, c->tmp.data ? c->tmp.data : "", c->tmp.len);
	}
	r |= dsn_field_addr(c, &c->status, "Final-Recipient: ", rc->final);
	r |= buf_printf(&c->status, "Action: %s\r\n",
	    dsn_action_names[rc->action]);
	r |= buf_printf(&c->status, "Status: %s\r\n", dsn_status(rc));
	if (rc->remote_mta != NULL && rc->remote_mta[0] != '\0')
		r |= dsn_field(c, &c->status, "Remote-MTA: dns; ",
		    rc->remote_mta, strlen(rc->remote_mta));
	if (rc->diagnostic != NULL && rc->diagnostic[0] != '\0') {
		dsn_diag_split(rc->diagnostic, type, sizeof(type), &text);
		buf_reset(&c->line);
		r |= buf_printf(&c->line, "Diagnostic-Code: %s; ", type);
		buf_reset(&c->tmp);
		r |= dsn_clean(&c->tmp, text, strlen(text), c->global);
		if (r == 0)
			r |= dsn_wrap(&c->status, c->line.data, " ",
			    DSN_FIELD_WIDTH, c->tmp.data ? c->tmp.data : "",
			    c->tmp.len);
		buf_reset(&c->line);
	}
	if (rc->last_attempt > 0) {
		dsn_date(rc->last_attempt, date);
		r |= buf_printf(&c->status, "Last-Attempt-Date: %s\r\n", date);
	}
	if (rc->action == DSN_DELAYED && rc->will_retry_until > 0) {
		dsn_date(rc->will_retry_until, date);
		r |= buf_printf(&c->status, "Will-Retry-Until: %s\r\n", date);
	}
	return r ? -1 : 0;
}

/* A full stop for a sentence that has none. */
static const char *
dsn_stop(const char *s, size_t n)
{
	return n > 0 && strchr(".!?", s[n - 1]) != NULL ? "" : ".";
}

/* The text's entry for one recipient: address, then what happened. */
static int
dsn_text_rcpt(struct dsn_ctx *c, const struct dsn_rcpt *rc)
{
	char	 dec[SMTP_ORCPT_MAX + 1], date[DSN_DATE_MAX], type[48];
	const char *semi, *why, *status = dsn_status(rc);
	const char *mta = rc->remote_mta != NULL && rc->remote_mta[0] != '\0' ?
	    rc->remote_mta : NULL;
	const char *diag = rc->diagnostic != NULL &&
	    rc->diagnostic[0] != '\0' ? rc->diagnostic : NULL;
	size_t	 dlen = 0;
	int	 r = 0;

	buf_reset(&c->line);
	r |= buf_addc(&c->line, '<');
	r |= dsn_addr(&c->line, rc->final, c->global, false);
	r |= buf_addc(&c->line, '>');
	/* The address the sender wrote, when an alias led elsewhere. */
	if (rc->orcpt != NULL && (semi = strchr(rc->orcpt, ';')) != NULL &&
	    dsn_xtext_decode(semi + 1, strlen(semi + 1), dec, sizeof(dec) - 1,
	    &dlen) && dlen > 0) {
		dec[dlen] = '\0';
		if (strlen(dec) == dlen && strcasecmp(dec, rc->final) != 0) {
			r |= buf_addstr(&c->line, " (sent to <");
			r |= dsn_addr(&c->line, dec, c->global, false);
			r |= buf_addstr(&c->line, ">)");
		}
	}
	r |= buf_addstr(&c->line, ": ");
	switch (rc->action) {
	case DSN_FAILED:
	case DSN_DELAYED:
		if ((why = dsn_reason(status)) != NULL)
			r |= buf_printf(&c->line, "%s ", why);
		if (diag != NULL) {
			dsn_diag_split(diag, type, sizeof(type), &diag);
			for (dlen = strlen(diag); dlen > 0 &&
			    strchr(" \t\r\n", diag[dlen - 1]) != NULL; dlen--)
				;
		}
		if (mta != NULL && diag != NULL)
			r |= buf_printf(&c->line, "The server %s said: %.*s%s",
			    mta, (int)dlen, diag, dsn_stop(diag, dlen));
		else if (diag != NULL)
			r |= buf_printf(&c->line, "Reason: %.*s%s", (int)dlen,
			    diag, dsn_stop(diag, dlen));
		else if (mta != NULL)
			r |= buf_printf(&c->line, "(at the server %s, "
			    "status %s)", mta, status);
		else if (why == NULL)
			r |= buf_printf(&c->line, "%s (status %s).",
			    rc->action == DSN_FAILED ? "Delivery failed" :
			    "Not delivered yet", status);
		if (rc->action == DSN_DELAYED && rc->will_retry_until > 0) {
			dsn_date(rc->will_retry_until, date);
			r |= buf_printf(&c->line, " Still trying until %s.",
			    date);
		}
		break;
	case DSN_DELIVERED:
		r |= buf_addstr(&c->line, "delivered to the mailbox.");
		break;
	case DSN_RELAYED:
		r |= buf_printf(&c->line, "handed on to %s%s, which does not "
		    "send delivery reports; there will be no further report "
		    "for this recipient.", mta != NULL ? "the server " :
		    "the next mail server", mta != NULL ? mta : "");
		break;
	case DSN_EXPANDED:
		r |= buf_addstr(&c->line, "delivered to an alias, which passed "
		    "the message on to its own list of recipients.");
		break;
	}
	if (r != 0)
		return -1;
	if (dsn_para(c, "    ") == -1)
		return -1;
	return buf_addstr(&c->text, "\r\n");
}

/* Is the recipient in a group: 0 failed, 1 delayed, 2 done? */
static int
dsn_group(enum dsn_action a)
{
	return a == DSN_FAILED ? 0 : a == DSN_DELAYED ? 1 : 2;
}

/* The human-readable part (RFC 3464 5 wants it helpful). */
static int
dsn_text(struct dsn_ctx *c)
{
	static const char *const headings[3] = {
		"Could not be delivered:",
		"Not delivered yet, still trying:",
		"Delivered:",
	};
	const char *host = c->p->hostname;
	char	 date[DSN_DATE_MAX];
	size_t	 i;
	int	 g, groups = c->failed + c->delayed + c->done, r = 0;

	r |= buf_printf(&c->line, "This is the mail system at %s.", host);
	r |= dsn_para(c, "");
	r |= buf_addstr(&c->text, "\r\n");
	if (c->failed) {
		r |= buf_printf(&c->line, "Your message could not be "
		    "delivered to one or more of its recipients. The reasons "
		    "are given below.%s", c->retlen == 0 ? "" :
		    c->ret_full ? " The message is attached to this report." :
		    " The header of the message is attached to this report.");
		r |= dsn_para(c, "");
		r |= buf_addstr(&c->text, "\r\n");
	}
	if (c->delayed) {
		if (!c->failed) {
			r |= buf_addstr(&c->line, "This is a warning only: "
			    "you need not send your message again.");
			r |= dsn_para(c, "");
			r |= buf_addstr(&c->text, "\r\n");
		}
		r |= buf_addstr(&c->line, "Delivery to some recipients is "
		    "taking longer than it should. The mail system keeps "
		    "trying");
		if (c->retry_until > 0) {
			dsn_date(c->retry_until, date);
			r |= buf_printf(&c->line, " until %s", date);
		}
		r |= buf_addstr(&c->line, ", and will write to you again if "
		    "it has to give up.");
		r |= dsn_para(c, "");
		r |= buf_addstr(&c->text, "\r\n");
	}
	if (c->done) {
		r |= buf_addstr(&c->line, c->failed || c->delayed ?
		    "Delivery to the other recipients went through, as you "
		    "asked to be told." :
		    "This is the delivery report you asked for: your message "
		    "went through to the recipients below.");
		r |= dsn_para(c, "");
		r |= buf_addstr(&c->text, "\r\n");
	}
	for (g = 0; g < 3; g++) {
		bool	 heading = groups > 1;

		for (i = 0; i < c->p->nrcpt; i++) {
			if (dsn_group(c->p->rcpt[i].action) != g)
				continue;
			if (heading) {
				r |= buf_printf(&c->text, "%s\r\n\r\n",
				    headings[g]);
				heading = false;
			}
			r |= dsn_text_rcpt(c, &c->p->rcpt[i]);
		}
	}
	if (c->failed || c->delayed) {
		r |= buf_printf(&c->line, "If you need help, write to "
		    "<postmaster@%s> and include this report. You may delete "
		    "the copy of your own message from it first.", host);
		r |= dsn_para(c, "");
	}
	return r ? -1 : 0;
}

/* Where the header ends: the offset of the empty line (or n). */
static size_t
dsn_header_len(const char *m, size_t n)
{
	const char *nl;
	size_t	 i = 0;

	while (i < n) {
		if (m[i] == '\n' || (m[i] == '\r' && i + 1 < n &&
		    m[i + 1] == '\n'))
			return i;
		if ((nl = memchr(m + i, '\n', n - i)) == NULL)
			return n;
		i = (size_t)(nl - m) + 1;
	}
	return n;
}

/*
 * The header cut to at most max octets at the start of a field, so that
 * no field is returned in part.
 */
static size_t
dsn_header_cut(const char *m, size_t n, size_t max)
{
	const char *nl;
	size_t	 i = 0, cut = 0;

	if (n <= max)
		return n;
	while (i <= max && i < n) {
		if (m[i] != ' ' && m[i] != '\t')
			cut = i;
		if ((nl = memchr(m + i, '\n', n - i)) == NULL)
			break;
		i = (size_t)(nl - m) + 1;
	}
	return cut;
}

/* No NUL and no line over MSG_LINE_MAX (any of CRLF, LF, CR ends one)? */
static bool
dsn_copyable(const char *s, size_t n)
{
	size_t	 i, col = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '\0')
			return false;
		if (s[i] == '\r' || s[i] == '\n')
			col = 0;
		else if (++col > MSG_LINE_MAX)
			return false;
	}
	return true;
}

/*
 * Append s[0..n) with every line end (CRLF, LF or CR) made CRLF and a
 * final one added.  With fold (a header returned as text) overlong lines
 * are folded and NUL bytes become "?"; without it the caller has made
 * sure there are none.
 */
static int
dsn_copy(struct buf *b, const char *s, size_t n, bool fold)
{
	size_t	 i = 0, j, k, take, first;
	int	 r = 0;

	while (i < n) {
		for (j = i; j < n && s[j] != '\r' && s[j] != '\n'; j++)
			;
		if (!fold)
			r |= buf_add(b, s + i, j - i);
		else {
			for (k = i; k < j; k += take) {
				take = j - k;
				if (k > i) {
					r |= buf_addstr(b, "\r\n ");
					if (take > MSG_LINE_MAX - 1)
						take = MSG_LINE_MAX - 1;
				} else if (take > MSG_LINE_MAX)
					take = MSG_LINE_MAX;
				first = b->len;
				r |= buf_add(b, s + k, take);
				for (; r == 0 && first < b->len; first++)
					if (b->data[first] == '\0')
						b->data[first] = '?';
			}
		}
		r |= buf_addstr(b, "\r\n");
		if (j + 1 < n && s[j] == '\r' && s[j + 1] == '\n')
			j++;
		i = j + 1;
	}
	return r ? -1 : 0;
}

/* Any octet over 0x7f? */
static bool
dsn_8bit(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* Choose what of the original goes back (RFC 3461 4.3, RFC 3464 2). */
static void
dsn_returned(struct dsn_ctx *c)
{
	const struct dsn_params *p = c->p;
	size_t	 hlen;

	c->ret = p->msg;
	c->retlen = 0;
	c->ret_full = false;
	if (p->msg == NULL || p->msglen == 0)
		return;
	if (c->failed && p->env->ret != SMTP_RET_HDRS &&
	    (p->max_returned == 0 || p->msglen <= p->max_returned) &&
	    dsn_copyable(p->msg, p->msglen)) {
		c->retlen = p->msglen;
		c->ret_full = true;
		return;
	}
	hlen = dsn_header_len(p->msg, p->msglen);
	if (p->max_returned > 0)
		hlen = dsn_header_cut(p->msg, hlen, p->max_returned);
	c->retlen = hlen;
}

/*
 * The original's Message-ID, for In-Reply-To and References: only a
 * plain "<...>" of printable ASCII on the field's first line.
 */
static bool
dsn_orig_msgid(const char *h, size_t n, char out[DSN_MSGID_MAX + 1])
{
	const char *nl;
	size_t	 i = 0, j, k, len;

	while (i < n) {
		nl = memchr(h + i, '\n', n - i);
		len = nl != NULL ? (size_t)(nl - h) - i : n - i;
		if (len > 11 && strncasecmp(h + i, "message-id:", 11) == 0) {
			for (j = i + 11; j < i + len &&
			    (h[j] == ' ' || h[j] == '\t'); j++)
				;
			for (k = j; k < i + len && h[k] > 0x20 &&
			    (unsigned char)h[k] < 0x7f; k++)
				;
			if (k - j >= 5 && k - j <= DSN_MSGID_MAX &&
			    h[j] == '<' && h[k - 1] == '>' &&
			    memchr(h + j, '@', k - j) != NULL &&
			    memchr(h + j + 1, '<', k - j - 1) == NULL &&
			    memchr(h + j, '>', k - j - 1) == NULL) {
				memcpy(out, h + j, k - j);
				out[k - j] = '\0';
				return true;
			}
			return false;
		}
		if (nl == NULL)
			break;
		i = (size_t)(nl - h) + 1;
	}
	return false;
}

static bool
dsn_contains(const struct buf *b, const char *s, size_t n)
{
	return b->len > 0 && memmem(b->data, b->len, s, n) != NULL;
}

/* A boundary that occurs in none of the parts (RFC 2046 5.1.1). */
static void
dsn_boundary(struct dsn_ctx *c)
{
	size_t	 n;

	for (;;) {
		(void)snprintf(c->boundary, sizeof(c->boundary),
		    "=_%s.%" PRIX64 ".%08" PRIX32 ".%08" PRIX32, c->id,
		    (uint64_t)(c->p->now > 0 ? c->p->now : 0), dsn_seed,
		    dsn_serial++);
		n = strlen(c->boundary);
		if (!dsn_contains(&c->text, c->boundary, n) &&
		    !dsn_contains(&c->status, c->boundary, n) &&
		    (c->retlen == 0 ||
		    memmem(c->ret, c->retlen, c->boundary, n) == NULL))
			return;
	}
}

/* The whole message, from the composed parts, into b. */
static int
dsn_write(struct dsn_ctx *c, struct buf *b)
{
	const struct dsn_params *p = c->p;
	const char *dom = p->message_id_domain != NULL &&
	    p->message_id_domain[0] != '\0' ? p->message_id_domain :
	    p->hostname;
	char	 date[DSN_DATE_MAX], msgid[DSN_MSGID_MAX + 1];
	bool	 text8 = dsn_8bit(c->text.data, c->text.len);
	bool	 status8 = dsn_8bit(c->status.data, c->status.len);
	bool	 ret8 = dsn_8bit(c->ret, c->retlen);
	int	 r = 0;

	buf_reset(&c->tmp);
	r |= dsn_clean(&c->tmp, p->hostname, strlen(p->hostname), false);
	if (r == 0)
		r |= buf_printf(b, "From: Mail Delivery System "
		    "<MAILER-DAEMON@%s>\r\n", c->tmp.data);
	buf_reset(&c->tmp);
	r |= buf_addc(&c->tmp, '<');
	r |= dsn_addr(&c->tmp, p->env->from, c->global, false);
	r |= buf_addc(&c->tmp, '>');
	r |= dsn_wrap(b, "To: ", " ", MSG_LINE_MAX, c->tmp.data, c->tmp.len);
	r |= buf_printf(b, "Subject: %s\r\n", c->failed ?
	    "Undelivered Mail Returned to Sender" : c->delayed ?
	    "Delayed Mail (still being retried)" :
	    "Successful Mail Delivery Report");
	dsn_date(p->now, date);
	r |= buf_printf(b, "Date: %s\r\n", date);
	buf_reset(&c->tmp);
	r |= buf_printf(&c->tmp, "<%s.%" PRIX64 ".%08" PRIX32 ".%08" PRIX32
	    ".DSN@", c->id, (uint64_t)(p->now > 0 ? p->now : 0), dsn_seed,
	    dsn_serial++);
	r |= dsn_clean(&c->tmp, dom, strlen(dom), false);
	r |= buf_addc(&c->tmp, '>');
	if (r == 0)
		r |= dsn_wrap(b, "Message-ID: ", " ", MSG_LINE_MAX,
		    c->tmp.data, c->tmp.len);
	if (p->msg != NULL &&
	    dsn_orig_msgid(p->msg, dsn_header_len(p->msg, p->msglen), msgid))
		r |= buf_printf(b, "In-Reply-To: %s\r\nReferences: %s\r\n",
		    msgid, msgid);
	r |= buf_addstr(b, "Auto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\r\n");
	r |= buf_printf(b, "\tboundary=\"%s\"\r\n", c->boundary);
	r |= buf_printf(b, "Content-Transfer-Encoding: %s\r\n\r\n",
	    text8 || status8 || ret8 ? "8bit" : "7bit");
	r |= buf_addstr(b, "This is a delivery status report in MIME format "
	    "(RFC 3464).\r\n\r\n");

	r |= buf_printf(b, "--%s\r\n", c->boundary);
	r |= buf_printf(b, "Content-Description: Notification\r\n"
	    "Content-Type: text/plain; charset=%s\r\n%s\r\n",
	    text8 ? "utf-8" : "us-ascii",
	    text8 ? "Content-Transfer-Encoding: 8bit\r\n" : "");
	r |= buf_add(b, c->text.data, c->text.len);

	r |= buf_printf(b, "\r\n--%s\r\n", c->boundary);
	r |= buf_printf(b, "Content-Description: Delivery report\r\n"
	    "Content-Type: message/%sdelivery-status\r\n%s\r\n",
	    c->global ? "global-" : "",
	    status8 ? "Content-Transfer-Encoding: 8bit\r\n" : "");
	r |= buf_add(b, c->status.data, c->status.len);

	if (c->retlen > 0) {
		r |= buf_printf(b, "\r\n--%s\r\n", c->boundary);
		r |= buf_printf(b, "Content-Description: %s%s\r\n"
		    "Content-Type: %s\r\n%s\r\n",
		    c->failed || c->delayed ? "Undelivered " : "",
		    c->ret_full ? "Message" : "Message Headers",
		    c->ret_full ? (c->global ? "message/global" :
		    "message/rfc822") : (c->global ? "message/global-headers" :
		    "text/rfc822-headers"),
		    ret8 ? "Content-Transfer-Encoding: 8bit\r\n" : "");
		r |= dsn_copy(b, c->ret, c->retlen, !c->ret_full);
	}
	r |= buf_printf(b, "\r\n--%s--\r\n", c->boundary);
	return r ? -1 : 0;
}

int
dsn_build(const struct dsn_params *p, struct buf *b)
{
	struct dsn_ctx c;
	size_t	 i, k, saved = b->len;
	int	 r = 0, saved_errno;

	if (p->hostname == NULL || p->hostname[0] == '\0' || p->env == NULL ||
	    p->env->from[0] == '\0' || p->rcpt == NULL || p->nrcpt == 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < p->nrcpt; i++)
		if (p->rcpt[i].final == NULL || p->rcpt[i].final[0] == '\0' ||
		    (unsigned)p->rcpt[i].action > DSN_EXPANDED) {
			errno = EINVAL;
			return -1;
		}
	dsn_seed_init();
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.global = p->env->smtputf8 ||
	    !dsn_printable(p->env->from, strlen(p->env->from));
	for (i = 0; i < p->nrcpt; i++) {
		switch (dsn_group(p->rcpt[i].action)) {
		case 0:
			c.failed = true;
			break;
		case 1:
			c.delayed = true;
			if (p->rcpt[i].will_retry_until > c.retry_until)
				c.retry_until = p->rcpt[i].will_retry_until;
			break;
		default:
			c.done = true;
			break;
		}
	}
	for (i = k = 0; p->env->id[i] != '\0' && k < DSN_ID_MAX; i++)
		if ((p->env->id[i] >= '0' && p->env->id[i] <= '9') ||
		    (p->env->id[i] >= 'A' && p->env->id[i] <= 'Z') ||
		    (p->env->id[i] >= 'a' && p->env->id[i] <= 'z'))
			c.id[k++] = p->env->id[i];
	if (k == 0)
		c.id[k++] = '0';
	c.id[k] = '\0';
	buf_init(&c.text, b->max);
	buf_init(&c.status, b->max);
	buf_init(&c.line, b->max);
	buf_init(&c.tmp, b->max);
	dsn_returned(&c);

	r |= dsn_text(&c);
	r |= dsn_status_message(&c);
	for (i = 0; r == 0 && i < p->nrcpt; i++)
		r |= dsn_status_rcpt(&c, &p->rcpt[i]);
	if (r == 0) {
		dsn_boundary(&c);
		r = dsn_write(&c, b);
	}
	saved_errno = errno;
	buf_free(&c.text);
	buf_free(&c.status);
	buf_free(&c.line);
	buf_free(&c.tmp);
	if (r != 0) {
		/* Leave b as it was. */
		b->len = saved;
		if (b->data != NULL)
			b->data[saved] = '\0';
		errno = saved_errno;
		return -1;
	}
	return 0;
}
