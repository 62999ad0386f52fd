/*
 * smtpreply.c — SMTP replies as a client reads them (RFC 5321 4.2,
 * 4.2.1 multi-line replies, 4.5.3.1.5 reply line length), RFC 2034/3463
 * enhanced status codes, and the EHLO keywords of RFC 5321 4.1.1.1,
 * RFC 1870 (SIZE), RFC 2920, RFC 6152, RFC 6531, RFC 3461, RFC 3207,
 * RFC 4954 and RFC 3030.
 *
 * I/O-free (see smtpreply.h).  What it leaves to the caller: reading the
 * lines with a bound, deciding what a code means for the mail.
 *
 * Invariants: textlen <= SMTPREPLY_TEXT_MAX and text[textlen] == '\0';
 * text holds only printable ASCII; ecode is "" or a valid code whose
 * class is the reply's.
 */
#include <string.h>
#include <strings.h>

#include "num.h"
#include "smtpreply.h"
#include "poison.h"

#define JOIN	" / "

void
smtpreply_init(struct smtp_reply *r)
{
	r->code = 0;
	r->ecode[0] = '\0';
	r->text[0] = '\0';
	r->textlen = 0;
	r->nlines = 0;
	r->done = false;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1 to 3 digits; how many were taken (0: none or more than 3). */
static size_t
digits(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n && is_digit(s[i]); i++)
		if (i == 3)
			return 0;
	return i;
}

bool
smtpreply_ecode_valid(const char *s, size_t n)
{
	size_t	 a, b;

	if (n < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return false;
	if ((a = digits(s + 2, n - 2)) == 0 || 2 + a >= n || s[2 + a] != '.')
		return false;
	b = digits(s + 3 + a, n - 3 - a);
	return b != 0 && 3 + a + b == n;
}

/* Append s[0..n) to the text, cleaned, within SMTPREPLY_TEXT_MAX. */
static void
text_add(struct smtp_reply *r, const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n && r->textlen < SMTPREPLY_TEXT_MAX; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t')
			c = ' ';
		else if (c < 0x20 || c >= 0x7f)
			c = '?';
		r->text[r->textlen++] = (char)c;
	}
	r->text[r->textlen] = '\0';
}

/* One line's text: its enhanced code taken off, joined to the rest. */
static void
text_line(struct smtp_reply *r, const char *s, size_t n)
{
	size_t	 e;

	for (e = 0; e < n && s[e] != ' '; e++)
		;
	if (e > 0 && e <= SMTPREPLY_ECODE_MAX &&
	    smtpreply_ecode_valid(s, e) && s[0] - '0' == r->code / 100) {
		if (r->ecode[0] == '\0') {
			memcpy(r->ecode, s, e);
			r->ecode[e] = '\0';
		}
		s += e;
		n -= e;
		while (n > 0 && *s == ' ') {
			s++;
			n--;
		}
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0)
		return;
	if (r->textlen > 0)
		text_add(r, JOIN, strlen(JOIN));
	text_add(r, s, n);
}

enum smtpreply_result
smtpreply_feed(struct smtp_reply *r, const char *s, size_t n,
    const char **text, size_t *textlen)
{
	uint64_t code;
	bool	 last;

	if (r->done)
		return SMTPREPLY_ESYNTAX;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n < 3 || !num_parse(s, 3, 599, &code) || s[0] < '2' ||
	    s[1] > '5')
		return SMTPREPLY_ESYNTAX;
	if (n == 3 || s[3] == ' ')
		last = true;
	else if (s[3] == '-')
		last = false;
	else
		return SMTPREPLY_ESYNTAX;
	if (r->nlines > 0 && (int)code != r->code)
		return SMTPREPLY_ESYNTAX;
	if (r->nlines == SMTPREPLY_LINES_MAX)
		return SMTPREPLY_ETOOMANY;
	r->code = (int)code;
	r->nlines++;
	s += n == 3 ? 3 : 4;
	n -= n == 3 ? 3 : 4;
	if (text != NULL)
		*text = s;
	if (textlen != NULL)
		*textlen = n;
	text_line(r, s, n);
	r->done = last;
	return last ? SMTPREPLY_DONE : SMTPREPLY_MORE;
}

int
smtpreply_class(const struct smtp_reply *r)
{
	int	 c = r->code / 100;

	return c == 3 ? 2 : c;
}

const char *
smtpreply_ecode(const struct smtp_reply *r)
{
	if (r->ecode[0] != '\0')
		return r->ecode;
	switch (smtpreply_class(r)) {
	case 2:
		return "2.0.0";
	case 4:
		return "4.0.0";
	default:
		return "5.0.0";
	}
}

void
smtpreply_set(struct smtp_reply *r, int code, const char *ecode,
    const char *text)
{
	size_t	 n = ecode != NULL ? strlen(ecode) : 0;

	smtpreply_init(r);
	r->code = code;
	if (n > 0 && n <= SMTPREPLY_ECODE_MAX && smtpreply_ecode_valid(ecode,
	    n) && ecode[0] - '0' == code / 100)
		memcpy(r->ecode, ecode, n + 1);
	if (text != NULL)
		text_add(r, text, strlen(text));
	r->nlines = 1;
	r->done = true;
}

void
smtpreply_ext_init(struct smtp_ext *e)
{
	e->flags = 0;
	e->size = 0;
}

static bool
word_is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && strncasecmp(s, lit, n) == 0;
}

static const struct {
	const char	*name;
	unsigned	 flag;
} smtpreply_keywords[] = {
	{ "PIPELINING", SMTPEXT_PIPELINING },
	{ "SIZE", SMTPEXT_SIZE },
	{ "8BITMIME", SMTPEXT_8BITMIME },
	{ "SMTPUTF8", SMTPEXT_SMTPUTF8 },
	{ "DSN", SMTPEXT_DSN },
	{ "STARTTLS", SMTPEXT_STARTTLS },
	{ "AUTH", SMTPEXT_AUTH },
	{ "ENHANCEDSTATUSCODES", SMTPEXT_ENHANCED },
	{ "CHUNKING", SMTPEXT_CHUNKING },
};

void
smtpreply_ext_line(struct smtp_ext *e, const char *s, size_t n)
{
	size_t	 i, k, w;
	unsigned flag = 0;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\r'))
		n--;
	for (k = 0; k < n && s[k] != ' '; k++)
		;
	for (i = 0; i < sizeof(smtpreply_keywords) /
	    sizeof(smtpreply_keywords[0]); i++)
		if (word_is(s, k, smtpreply_keywords[i].name))
			flag = smtpreply_keywords[i].flag;
	if (flag == 0)
		return;
	e->flags |= flag;
	/* the parameters, separated by spaces */
	while (k < n) {
		while (k < n && s[k] == ' ')
			k++;
		for (w = k; w < n && s[w] != ' '; w++)
			;
		if (w == k)
			break;
		if (flag == SMTPEXT_SIZE) {
			uint64_t v;

			/* "SIZE" alone, "SIZE 0" or garbage: no limit */
			e->size = num_parse(s + k, w - k, UINT64_MAX, &v) ?
			    v : 0;
		} else if (flag == SMTPEXT_AUTH && word_is(s + k, w - k,
		    "PLAIN"))
			e->flags |= SMTPEXT_AUTH_PLAIN;
		k = w;
	}
}
