/*
 * smtpreply.c — unit tests for libexec/common/smtpreply.c: replies as a
 * client reads them (RFC 5321 4.2 single and multi-line replies, codes
 * that change between lines, garbage), RFC 2034 enhanced codes taken off
 * the text, the text cleaned, joined and cut at SMTPREPLY_TEXT_MAX, and
 * the EHLO keywords with their parameters.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "smtpreply.h"
#include "tap.h"

/* Feed lines separated by '\n'; the last result. */
static enum smtpreply_result
feed_all(struct smtp_reply *r, const char *lines)
{
	enum smtpreply_result res = SMTPREPLY_ESYNTAX;
	const char *p = lines, *nl;

	smtpreply_init(r);
	for (;;) {
		nl = strchr(p, '\n');
		res = smtpreply_feed(r, p, nl ? (size_t)(nl - p) : strlen(p),
		    NULL, NULL);
		if (res != SMTPREPLY_MORE || nl == NULL)
			return res;
		p = nl + 1;
	}
}

static const struct {
	const char	*lines;
	enum smtpreply_result res;
	int		 code;
	const char	*ecode;		/* as reported by smtpreply_ecode */
	const char	*text;
} cases[] = {
	{ "250 OK", SMTPREPLY_DONE, 250, "2.0.0", "OK" },
	{ "250 2.1.5 Ok", SMTPREPLY_DONE, 250, "2.1.5", "Ok" },
	{ "250", SMTPREPLY_DONE, 250, "2.0.0", "" },
	{ "250 ", SMTPREPLY_DONE, 250, "2.0.0", "" },
	{ "250 2.0.0", SMTPREPLY_DONE, 250, "2.0.0", "" },
	{ "250 OK\r", SMTPREPLY_DONE, 250, "2.0.0", "OK" },
	{ "550 5.1.1 <x@y>: Recipient address rejected", SMTPREPLY_DONE,
	    550, "5.1.1", "<x@y>: Recipient address rejected" },
	/* the enhanced code must be of the reply's class */
	{ "550 4.1.1 odd", SMTPREPLY_DONE, 550, "5.0.0", "4.1.1 odd" },
	{ "451 4.7.1 Try  again  ", SMTPREPLY_DONE, 451, "4.7.1",
	    "Try  again" },
	{ "421 4.3.2 closing", SMTPREPLY_DONE, 421, "4.3.2", "closing" },
	{ "354 End data with <CR><LF>.<CR><LF>", SMTPREPLY_DONE, 354,
	    "2.0.0", "End data with <CR><LF>.<CR><LF>" },
	{ "550-5.7.1 first\n550-5.7.1 second\n550 5.7.1 third",
	    SMTPREPLY_DONE, 550, "5.7.1", "first / second / third" },
	{ "450-first\n450-\n450 last", SMTPREPLY_DONE, 450, "4.0.0",
	    "first / last" },
	{ "250-a\n251 b", SMTPREPLY_ESYNTAX, 0, NULL, NULL },
	{ "2500 x", SMTPREPLY_ESYNTAX, 0, NULL, NULL },
	{ "25", SMTPREPLY_ESYNTAX, 0, NULL, NULL },
	{ "", SMTPREPLY_ESYNTAX, 0, NULL, NULL },
	{ "abc def", SMTPREPLY_ESYNTAX, 0, NULL, NULL },
	{ "150 no", SMTPREPLY_ESYNTAX, 0, NULL, NULL },
	{ "190 no", SMTPREPLY_ESYNTAX, 0, NULL, NULL },
	{ "260 no", SMTPREPLY_ESYNTAX, 0, NULL, NULL },
	{ "650 no", SMTPREPLY_ESYNTAX, 0, NULL, NULL },
	{ "-250 no", SMTPREPLY_ESYNTAX, 0, NULL, NULL },
	{ "250_x", SMTPREPLY_ESYNTAX, 0, NULL, NULL },
	{ "250-more", SMTPREPLY_MORE, 250, NULL, NULL },
	/* control characters and 8-bit bytes become '?', tabs spaces */
	{ "550 bad\x01" "byte\xc3\xa9\tend", SMTPREPLY_DONE, 550, "5.0.0",
	    "bad?byte?? end" },
	{ "550 5.1.10 null MX", SMTPREPLY_DONE, 550, "5.1.10", "null MX" },
	{ "550 5.1234.1 x", SMTPREPLY_DONE, 550, "5.0.0", "5.1234.1 x" },
	{ "550 5.1. x", SMTPREPLY_DONE, 550, "5.0.0", "5.1. x" },
};

static void
test_cases(void)
{
	struct smtp_reply r;
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum smtpreply_result res = feed_all(&r, cases[i].lines);

		is_int(res, cases[i].res, "case %zu: result", i);
		if (cases[i].res != SMTPREPLY_DONE)
			continue;
		is_int(r.code, cases[i].code, "case %zu: code", i);
		is_str(smtpreply_ecode(&r), cases[i].ecode,
		    "case %zu: enhanced code", i);
		is_str(r.text, cases[i].text, "case %zu: text", i);
		is_int(r.textlen, strlen(cases[i].text), "case %zu: textlen",
		    i);
	}
}

static void
test_feed(void)
{
	struct smtp_reply r;
	const char *text = NULL;
	size_t	 tlen = 0, i;
	char	 line[64];

	smtpreply_init(&r);
	is_int(smtpreply_feed(&r, "250-mx.example Hello", 20, &text, &tlen),
	    SMTPREPLY_MORE, "first line of a multi-line reply");
	is_mem(text, tlen, "mx.example Hello", 16, "its text");
	is_int(smtpreply_feed(&r, "250 SIZE 1000", 13, &text, &tlen),
	    SMTPREPLY_DONE, "last line");
	is_mem(text, tlen, "SIZE 1000", 9, "its text");
	is_int(r.nlines, 2, "two lines");
	ok(r.done, "done");
	is_int(smtpreply_feed(&r, "250 again", 9, NULL, NULL),
	    SMTPREPLY_ESYNTAX, "a complete reply takes no more lines");

	smtpreply_init(&r);
	for (i = 0; i < SMTPREPLY_LINES_MAX; i++)
		if (smtpreply_feed(&r, "250-x", 5, NULL, NULL) !=
		    SMTPREPLY_MORE)
			break;
	is_int(i, SMTPREPLY_LINES_MAX, "SMTPREPLY_LINES_MAX lines taken");
	is_int(smtpreply_feed(&r, "250-x", 5, NULL, NULL), SMTPREPLY_ETOOMANY,
	    "then ETOOMANY");
	ok(r.textlen <= SMTPREPLY_TEXT_MAX && r.text[r.textlen] == '\0',
	    "text within its bound");

	/* long texts are cut at SMTPREPLY_TEXT_MAX */
	smtpreply_init(&r);
	memset(line, 'a', sizeof(line));
	memcpy(line, "550-", 4);
	for (i = 0; i < 20; i++)
		(void)smtpreply_feed(&r, line, sizeof(line), NULL, NULL);
	is_int(r.textlen, SMTPREPLY_TEXT_MAX, "long text cut at the maximum");
	is_int(strlen(r.text), SMTPREPLY_TEXT_MAX, "and NUL-terminated");
	ok(strstr(r.text, " / ") != NULL, "lines joined with \" / \"");

	/* the enhanced code of the first line that has one */
	ok(feed_all(&r, "550-no code here\n550 5.2.2 full") == SMTPREPLY_DONE &&
	    strcmp(r.ecode, "5.2.2") == 0, "ecode from a later line");
	is_str(r.text, "no code here / full", "text without the code");
}

static void
test_class_set(void)
{
	struct smtp_reply r;

	smtpreply_set(&r, 451, "4.4.1", "connect to x: refused");
	is_int(r.code, 451, "set: code");
	is_str(smtpreply_ecode(&r), "4.4.1", "set: ecode");
	is_str(r.text, "connect to x: refused", "set: text");
	ok(r.done, "set: complete");
	is_int(smtpreply_class(&r), 4, "451 is class 4");
	smtpreply_set(&r, 556, "4.1.10", "mismatch\n");
	is_str(smtpreply_ecode(&r), "5.0.0",
	    "set: an ecode of another class is dropped");
	is_str(r.text, "mismatch?", "set: text cleaned");
	smtpreply_set(&r, 354, NULL, "go");
	is_int(smtpreply_class(&r), 2, "354 counts as success");
	smtpreply_set(&r, 250, NULL, NULL);
	is_str(r.text, "", "set: no text");
	is_int(smtpreply_class(&r), 2, "250 is class 2");
	smtpreply_set(&r, 554, NULL, NULL);
	is_int(smtpreply_class(&r), 5, "554 is class 5");
}

static void
test_ecode_valid(void)
{
	static const struct {
		const char	*s;
		bool		 valid;
	} v[] = {
		{ "2.0.0", true }, { "4.4.1", true }, { "5.1.10", true },
		{ "5.123.123", true }, { "3.0.0", false }, { "5.0", false },
		{ "5.0.", false }, { "5..0", false }, { "5.1234.0", false },
		{ "5.0.1234", false }, { "x.0.0", false }, { "5-0-0", false },
		{ "", false }, { "50.0.0", false },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(smtpreply_ecode_valid(v[i].s, strlen(v[i].s)),
		    v[i].valid, "ecode_valid(\"%s\")", v[i].s);
}

static void
test_ext(void)
{
	static const struct {
		const char	*line;
		unsigned	 flags;
		unsigned long long size;
	} v[] = {
		{ "PIPELINING", SMTPEXT_PIPELINING, 0 },
		{ "pipelining", SMTPEXT_PIPELINING, 0 },
		{ "SIZE 10240000", SMTPEXT_SIZE, 10240000 },
		{ "SIZE", SMTPEXT_SIZE, 0 },
		{ "SIZE 0", SMTPEXT_SIZE, 0 },
		{ "SIZE lots", SMTPEXT_SIZE, 0 },
		{ "SIZE 99999999999999999999999", SMTPEXT_SIZE, 0 },
		{ "8BITMIME", SMTPEXT_8BITMIME, 0 },
		{ "SMTPUTF8", SMTPEXT_SMTPUTF8, 0 },
		{ "DSN", SMTPEXT_DSN, 0 },
		{ "STARTTLS", SMTPEXT_STARTTLS, 0 },
		{ "STARTTLS\r", SMTPEXT_STARTTLS, 0 },
		{ "AUTH LOGIN PLAIN", SMTPEXT_AUTH | SMTPEXT_AUTH_PLAIN, 0 },
		{ "AUTH CRAM-MD5", SMTPEXT_AUTH, 0 },
		{ "AUTH=PLAIN", 0, 0 },		/* the pre-RFC form: ignored */
		{ "ENHANCEDSTATUSCODES", SMTPEXT_ENHANCED, 0 },
		{ "CHUNKING", SMTPEXT_CHUNKING, 0 },
		{ "XFORWARD NAME ADDR", 0, 0 },
		{ "PIPELININGX", 0, 0 },
		{ "", 0, 0 },
	};
	struct smtp_ext e;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		smtpreply_ext_init(&e);
		smtpreply_ext_line(&e, v[i].line, strlen(v[i].line));
		is_int(e.flags, v[i].flags, "EHLO line \"%s\": flags",
		    v[i].line);
		is_int(e.size, v[i].size, "EHLO line \"%s\": size", v[i].line);
	}
	smtpreply_ext_init(&e);
	smtpreply_ext_line(&e, "PIPELINING", 10);
	smtpreply_ext_line(&e, "SIZE 100", 8);
	smtpreply_ext_line(&e, "STARTTLS", 8);
	is_int(e.flags, SMTPEXT_PIPELINING | SMTPEXT_SIZE | SMTPEXT_STARTTLS,
	    "keywords add up");
	is_int(e.size, 100, "with SIZE's value");
}

int
main(void)
{
	test_cases();
	test_feed();
	test_class_set();
	test_ecode_valid();
	test_ext();
	return done_testing();
}
