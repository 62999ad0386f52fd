/*
 * dsn.c — unit tests for libexec/common/dsn.c: the fields of RFC 3464
 * reports (table-driven: failures, delays, success reports, RET=HDRS,
 * size limits, 8-bit and SMTPUTF8 originals, RFC 6533 address forms,
 * cleaning and folding of what comes from outside), the invariants of
 * every report (CRLF, 998-octet lines, ASCII header, one boundary that
 * occurs nowhere else), a boundary chosen around collisions, unique
 * Message-IDs, refusals of bad parameters and a full buffer.
 *
 * With DSN_DUMP_DIR set, each case's report, original and expectations
 * are written there (NN.dsn, NN.orig, NN.meta) for
 * tests/integration/dsn_check.py to check with Python's email package.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsn.h"
#include "tap.h"

#define HOST	"mx.example.test"
#define ID	"18A2B3C4D5E6F70812"
#define NOW	INT64_C(1700000000)
#define MAXR	3
#define MAXW	20

struct rc {
	enum dsn_action	 a;
	const char	*final, *orcpt, *status, *mta, *diag;
	int64_t		 last, until;
};

struct dsn_case {
	const char	*name;
	const char	*from;
	const char	*envid;
	enum smtp_ret	 ret;
	bool		 utf8;
	const char	*msg;
	size_t		 msglen;	/* 0: strlen */
	size_t		 max_returned;
	struct rc	 r[MAXR];
	const char	*want[MAXW];	/* whole lines, in this order */
	const char	*has[MAXW];	/* substrings */
	const char	*hasnt[MAXW];	/* substrings that must be absent */
	const char	*ret_type;	/* the third part's type or NULL */
};

#define MSG_PLAIN \
	"Received: from client.example (client.example [192.0.2.1])\r\n" \
	"\tby mx.example.test (tambo) with ESMTPSA id 18A2B3C4D5E6F70812;\r\n" \
	"\tTue, 14 Nov 2023 19:26:40 +0000\r\n" \
	"From: Alice <alice@example.test>\r\n" \
	"To: Bob <bob@example.org>\r\n" \
	"Subject: lunch\r\n" \
	"Message-ID: <orig.1@example.test>\r\n" \
	"Date: Tue, 14 Nov 2023 19:26:39 +0000\r\n" \
	"\r\n" \
	"Shall we have lunch on Friday?\r\n" \
	"\r\n" \
	"-- \r\nAlice\r\n"

static const struct dsn_case cases[] = {
	{ "failed, remote 5.1.1, ENVID, ORCPT, RET=FULL",
	    "alice@example.test", "QQ+2B314159", SMTP_RET_FULL, false,
	    MSG_PLAIN, 0, 0,
	    { { DSN_FAILED, "bob@example.org", "rfc822;bob@example.org",
		"5.1.1", "mx.example.org",
		"550 5.1.1 <bob@example.org>: no such user", NOW - 1000, 0 } },
	    { "To: <alice@example.test>",
	      "Subject: Undelivered Mail Returned to Sender",
	      "Date: Tue, 14 Nov 2023 22:13:20 +0000",
	      "In-Reply-To: <orig.1@example.test>",
	      "References: <orig.1@example.test>",
	      "Auto-Submitted: auto-replied",
	      "MIME-Version: 1.0",
	      "Content-Type: multipart/report; report-type=delivery-status;",
	      "Content-Transfer-Encoding: 7bit",
	      "Content-Type: text/plain; charset=us-ascii",
	      "Content-Type: message/delivery-status",
	      "Original-Envelope-Id: QQ+314159",
	      "Reporting-MTA: dns; mx.example.test",
	      "Arrival-Date: Tue, 14 Nov 2023 19:26:40 +0000",
	      "X-Tambo-Queue-ID: " ID,
	      "X-Tambo-Sender: rfc822; alice@example.test",
	      "Original-Recipient: rfc822;bob@example.org",
	      "Final-Recipient: rfc822; bob@example.org",
	      "Action: failed",
	      "Status: 5.1.1" },
	    { "\r\nRemote-MTA: dns; mx.example.org\r\n"
	      "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: no such "
	      "user\r\nLast-Attempt-Date: Tue, 14 Nov 2023 21:56:40 +0000\r\n",
	      "This is the mail system at mx.example.test.",
	      "Your message could not be delivered to one or more of its "
		  "recipients.",
	      "The mailbox does not exist.",
	      "\r\nContent-Type: message/rfc822\r\n\r\n" MSG_PLAIN "\r\n--",
	      "<postmaster@mx.example.test>" },
	    { "Content-Transfer-Encoding: 8bit", "Will-Retry-Until",
	      "Not delivered yet" },
	    "message/rfc822" },
	{ "failed, RET=HDRS: the header only",
	    "alice@example.test", "", SMTP_RET_HDRS, false,
	    MSG_PLAIN, 0, 0,
	    { { DSN_FAILED, "bob@example.org", NULL, "5.2.2", "mx.example.org",
		"552 5.2.2 mailbox full", 0, 0 } },
	    { "Status: 5.2.2",
	      "Diagnostic-Code: smtp; 552 5.2.2 mailbox full",
	      "Content-Description: Undelivered Message Headers",
	      "Content-Type: text/rfc822-headers" },
	    { "The mailbox is full.",
	      "Date: Tue, 14 Nov 2023 19:26:39 +0000\r\n\r\n--",
	      "The header of the message is attached" },
	    { "Shall we have lunch", "Original-Envelope-Id",
	      "Original-Recipient", "Last-Attempt-Date" },
	    "text/rfc822-headers" },
	{ "failed, over max_returned: the header only",
	    "alice@example.test", "", SMTP_RET_NONE, false,
	    MSG_PLAIN, 0, 300,
	    { { DSN_FAILED, "bob@example.org", NULL, "5.1.1", NULL,
		"550 5.1.1 no such user", 0, 0 } },
	    { "Diagnostic-Code: smtp; 550 5.1.1 no such user",
	      "Content-Type: text/rfc822-headers",
	      "Received: from client.example (client.example [192.0.2.1])",
	      "From: Alice <alice@example.test>" },
	    { "\r\nSubject: lunch\r\nMessage-ID: <orig.1@example.test>\r\n"
	      "\r\n--",
	      "Reason: 550 5.1.1 no such" },
	    { "Shall we have lunch", "Date: Tue, 14 Nov 2023 19:26:39",
	      "Remote-MTA" },
	    "text/rfc822-headers" },
	{ "delayed: warning with Will-Retry-Until",
	    "alice@example.test", "", SMTP_RET_FULL, false,
	    MSG_PLAIN, 0, 0,
	    { { DSN_DELAYED, "bob@example.org", NULL, "4.4.1", NULL,
		"connect to mx.example.org[192.0.2.25]:25: Connection "
		"timed out", NOW - 60, NOW + 432000 } },
	    { "Subject: Delayed Mail (still being retried)",
	      "Action: delayed",
	      "Status: 4.4.1",
	      "Diagnostic-Code: X-tambo; connect to "
		  "mx.example.org[192.0.2.25]:25: Connection\r\n timed out",
	      "Last-Attempt-Date: Tue, 14 Nov 2023 22:12:20 +0000",
	      "Will-Retry-Until: Sun, 19 Nov 2023 22:13:20 +0000",
	      "Content-Type: text/rfc822-headers" },
	    { "This is a warning only",
	      "keeps trying until Sun, 19 Nov 2023 22:13:20 +0000, and",
	      "The receiving server did not answer. Reason: connect",
	      "Connection timed out. Still trying" },
	    { "Shall we have lunch", "Undelivered Mail" },
	    "text/rfc822-headers" },
	{ "success: delivered, relayed, expanded",
	    "alice@example.test", "ENV1", SMTP_RET_FULL, false,
	    MSG_PLAIN, 0, 0,
	    { { DSN_DELIVERED, "carol@example.test",
		"rfc822;carol@example.test", "2.0.0", NULL, NULL, NOW, 0 },
	      { DSN_RELAYED, "dave@example.net", NULL, "2.0.0",
		"mx.example.net", "250 2.0.0 Ok: queued as 4Xyz", NOW, 0 },
	      { DSN_EXPANDED, "list@example.test", NULL, "2.0.0", NULL, NULL,
		NOW, 0 } },
	    { "Subject: Successful Mail Delivery Report",
	      "Original-Envelope-Id: ENV1",
	      "Final-Recipient: rfc822; carol@example.test",
	      "Action: delivered",
	      "Status: 2.0.0",
	      "Final-Recipient: rfc822; dave@example.net",
	      "Action: relayed",
	      "Remote-MTA: dns; mx.example.net",
	      "Diagnostic-Code: smtp; 250 2.0.0 Ok: queued as 4Xyz",
	      "Final-Recipient: rfc822; list@example.test",
	      "Action: expanded",
	      "Content-Description: Message Headers",
	      "Content-Type: text/rfc822-headers" },
	    { "delivery report you asked for",
	      "<carol@example.test>: delivered to the mailbox.",
	      "<dave@example.net>: handed on to the server mx.example.net",
	      "<list@example.test>: delivered to an alias" },
	    { "Shall we have lunch", "Will-Retry-Until", "postmaster@",
	      "Delivered:" },
	    "text/rfc822-headers" },
	{ "mixed: failed, delayed and delivered, with headings",
	    "alice@example.test", "", SMTP_RET_NONE, false,
	    MSG_PLAIN, 0, 0,
	    { { DSN_DELIVERED, "carol@example.test", NULL, "2.0.0", NULL,
		NULL, 0, 0 },
	      { DSN_DELAYED, "erin@example.com", NULL, "4.2.2",
		"mx.example.com", "452 4.2.2 over quota", NOW, NOW + 3600 },
	      { DSN_FAILED, "bob@example.org", NULL, "5.7.1", "mx.example.org",
		"554 5.7.1 rejected by policy", NOW, 0 } },
	    { "Subject: Undelivered Mail Returned to Sender",
	      "Could not be delivered:",
	      "Not delivered yet, still trying:",
	      "Delivered:",
	      "Action: delivered",
	      "Action: delayed",
	      "Will-Retry-Until: Tue, 14 Nov 2023 23:13:20 +0000",
	      "Action: failed",
	      "Status: 5.7.1",
	      "Content-Type: message/rfc822" },
	    { "Could not be delivered:\r\n\r\n<bob@example.org>",
	      "The receiving side refused the message.",
	      "Delivery to the other recipients went through",
	      "Shall we have lunch" },
	    { "This is a warning only" },
	    "message/rfc822" },
	{ "8-bit original: message/rfc822 with 8bit, the report 7bit",
	    "alice@example.test", "", SMTP_RET_FULL, false,
	    "From: alice@example.test\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\nun caf\xc3\xa9 cr\xc3\xa8me"
	    "\r\n", 0, 0,
	    { { DSN_FAILED, "bob@example.org", NULL, "5.1.1", "mx.example.org",
		"550 5.1.1 unknown \xc3\xa9l\xc3\xa8ve", 0, 0 } },
	    { "Content-Transfer-Encoding: 8bit",
	      "Content-Type: text/plain; charset=us-ascii",
	      "Content-Type: message/delivery-status",
	      "Diagnostic-Code: smtp; 550 5.1.1 unknown ??l??ve",
	      "Content-Type: message/rfc822" },
	    { "\r\nContent-Type: message/rfc822\r\n"
	      "Content-Transfer-Encoding: 8bit\r\n\r\n",
	      "un caf\xc3\xa9 cr\xc3\xa8me\r\n" },
	    { "message/global" },
	    "message/rfc822" },
	{ "SMTPUTF8 original: global report (RFC 6533)",
	    "j\xc3\xb6rg@b\xc3\xbc" "cher.example", "", SMTP_RET_FULL, true,
	    "From: J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc" "cher.example>\r\n"
	    "To: \xc3\xb1" "and\xc3\xba@example.org\r\n"
	    "Subject: \xc2\xa1hola!\r\n\r\nhola\r\n", 0, 0,
	    { { DSN_FAILED, "\xc3\xb1" "and\xc3\xba@example.org",
		"utf-8;\xc3\xb1" "and\xc3\xba@example.org", "5.1.1",
		"mx.example.org", "550 5.1.1 no such user", 0, 0 },
	      { DSN_FAILED, "ascii@example.org", NULL, "5.1.1",
		"mx.example.org", "550 5.1.1 no such user", 0, 0 } },
	    { "To: <j\xc3\xb6rg@b\xc3\xbc" "cher.example>",
	      "Content-Transfer-Encoding: 8bit",
	      "Content-Type: text/plain; charset=utf-8",
	      "Content-Type: message/global-delivery-status",
	      "X-Tambo-Sender: utf-8; j\xc3\xb6rg@b\xc3\xbc" "cher.example",
	      "Original-Recipient: utf-8;\xc3\xb1" "and\xc3\xba@example.org",
	      "Final-Recipient: utf-8; \xc3\xb1" "and\xc3\xba@example.org",
	      "Final-Recipient: rfc822; ascii@example.org",
	      "Content-Type: message/global" },
	    { "<\xc3\xb1" "and\xc3\xba@example.org>:",
	      "\r\n\r\nhola\r\n\r\n--" },
	    { "message/rfc822", "message/delivery-status\r\n",
	      "\\x{" },
	    "message/global" },
	{ "non-ASCII recipient in an ASCII report: utf-8-addr-xtext",
	    "alice@example.test", "", SMTP_RET_HDRS, false,
	    MSG_PLAIN, 0, 0,
	    { { DSN_FAILED, "\xc3\xb1" "and\xc3\xba+x=y@example.org", NULL,
		"5.6.7", "mx.example.org",
		"553 5.6.7 non-ASCII addresses are not permitted", 0, 0 } },
	    { "Content-Transfer-Encoding: 7bit",
	      "Content-Type: text/plain; charset=us-ascii",
	      "Content-Type: message/delivery-status",
	      "Final-Recipient: utf-8; \\x{F1}and\\x{FA}\\x{2B}x\\x{3D}"
		"y@example.org",
	      "Status: 5.6.7" },
	    { "<\\x{F1}and\\x{FA}\\x{2B}x\\x{3D}y@example.org>:",
	      "The receiving server cannot\r\n    take an address" },
	    { "\xc3", "message/global" },
	    "text/rfc822-headers" },
	{ "diagnostic with line breaks and control characters",
	    "alice@example.test", "", SMTP_RET_HDRS, false,
	    MSG_PLAIN, 0, 0,
	    { { DSN_FAILED, "bob@example.org", NULL, "5.7.1", "mx.example.org",
		"550-5.7.1 first line\r\n550-5.7.1 second\tline\n"
		"550 5.7.1 bell\a and del\x7f end\r\n", 0, 0 } },
	    { "Diagnostic-Code: smtp; 550-5.7.1 first line 550-5.7.1 second "
		"line 550 5.7.1\r\n bell? and del? end" },
	    { "bell? and del? end.\r\n" },
	    { "\a", "\x7f", "\t line" },
	    "text/rfc822-headers" },
	{ "bad status codes and diagnostic types",
	    "alice@example.test", "", SMTP_RET_HDRS, false,
	    MSG_PLAIN, 0, 0,
	    { { DSN_FAILED, "a@example.org", NULL, "9.9", NULL,
		"mailbox is full; try later", 0, 0 },
	      { DSN_DELIVERED, "b@example.org", NULL, "5.1.1", NULL,
		"x-unix; delivered by the pipe", 0, 0 },
	      { DSN_FAILED, "c@example.org", NULL, "2.0.0", NULL,
		"SMTP;  421 4.4.2 lost connection", 0, 0 } },
	    { "Final-Recipient: rfc822; a@example.org",
	      "Status: 5.0.0",
	      "Diagnostic-Code: X-tambo; mailbox is full; try later",
	      "Final-Recipient: rfc822; b@example.org",
	      "Status: 2.0.0",
	      "Diagnostic-Code: x-unix; delivered by the pipe",
	      "Final-Recipient: rfc822; c@example.org",
	      "Status: 5.0.0",
	      "Diagnostic-Code: SMTP; 421 4.4.2 lost connection" },
	    { "<a@example.org>: Reason: mailbox is full; try later.\r\n",
	      "<c@example.org>: Reason: 421 4.4.2 lost connection.\r\n" },
	    { "Status: 9.9", "Status: 5.1.1", "Reason: SMTP" },
	    "text/rfc822-headers" },
	{ "LF line ends in the original become CRLF",
	    "alice@example.test", "", SMTP_RET_FULL, false,
	    "From: alice@example.test\nSubject: lf only\n\nline one\nline two",
	    0, 0,
	    { { DSN_FAILED, "bob@example.org", NULL, "5.1.1", NULL, NULL, 0,
		0 } },
	    { "Content-Type: message/rfc822" },
	    { "\r\n\r\nFrom: alice@example.test\r\nSubject: lf only\r\n\r\n"
	      "line one\r\nline two\r\n\r\n--",
	      "<bob@example.org>: The mailbox does not exist.\r\n" },
	    { "Diagnostic-Code", "Remote-MTA", "In-Reply-To" },
	    "message/rfc822" },
	{ "a body line over 998 octets: the header only",
	    "alice@example.test", "", SMTP_RET_FULL, false,
	    NULL, 0, 0,	/* filled in by long_body() */
	    { { DSN_FAILED, "bob@example.org", NULL, "5.1.1", NULL, NULL, 0,
		0 } },
	    { "Content-Type: text/rfc822-headers",
	      "Subject: long body" },
	    { "The header of the message is attached" },
	    { "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "short" },
	    "text/rfc822-headers" },
	{ "a header line over 998 octets is folded",
	    "alice@example.test", "", SMTP_RET_HDRS, false,
	    NULL, 0, 0,	/* filled in by long_header() */
	    { { DSN_FAILED, "bob@example.org", NULL, "5.1.1", NULL, NULL, 0,
		0 } },
	    { "Content-Type: text/rfc822-headers",
	      "Subject: long header" },
	    { "\r\n yyyyyyyy" },
	    { "Shall we" },
	    "text/rfc822-headers" },
	{ "ENVID and ORCPT that decode to control characters stay xtext",
	    "alice@example.test", "A+0AB", SMTP_RET_HDRS, false,
	    MSG_PLAIN, 0, 0,
	    { { DSN_FAILED, "bob@example.org", "rfc822;bob+0D+0A@example.org",
		"5.1.1", NULL, NULL, 0, 0 },
	      { DSN_FAILED, "carol@example.org",
		"rfc822;alias+2Bcarol@example.test", "5.1.1", NULL, NULL, 0,
		0 } },
	    { "Original-Envelope-Id: A+0AB",
	      "Original-Recipient: rfc822;bob+0D+0A@example.org",
	      "Original-Recipient: rfc822;alias+carol@example.test" },
	    { "<carol@example.org> (sent to <alias+carol@example.test>):" },
	    { "A\nB" },
	    "text/rfc822-headers" },
	{ "no original: two parts",
	    "alice@example.test", "", SMTP_RET_FULL, false,
	    "", 0, 0,
	    { { DSN_FAILED, "bob@example.org", NULL, "5.1.1", NULL, NULL, 0,
		0 } },
	    { "Action: failed" },
	    { "Status: 5.1.1\r\n\r\n--" },
	    { "rfc822-headers", "message/rfc822", "In-Reply-To",
	      "is attached" },
	    NULL },
	{ "quoted local part in the sender and a recipient",
	    "\"john  doe\"@example.test", "", SMTP_RET_HDRS, false,
	    "Subject: no message id\r\n\r\nbody\r\n", 0, 0,
	    { { DSN_FAILED, "\"jane doe\"@example.org", NULL, "5.1.1", NULL,
		NULL, 0, 0 } },
	    { "To: <\"john  doe\"@example.test>",
	      "X-Tambo-Sender: rfc822; \"john  doe\"@example.test",
	      "Final-Recipient: rfc822; \"jane doe\"@example.org" },
	    { "<\"jane doe\"@example.org>:" },
	    { "In-Reply-To", "References" },
	    "text/rfc822-headers" },
	{ "a NUL in the body: the header only",
	    "alice@example.test", "", SMTP_RET_FULL, false,
	    "Subject: nul\r\n\r\na\0b\r\n", 18, 0,
	    { { DSN_FAILED, "bob@example.org", NULL, "5.1.1", NULL, NULL, 0,
		0 } },
	    { "Content-Type: text/rfc822-headers", "Subject: nul" },
	    { "Subject: nul\r\n\r\n--" },
	    { "a?b" },
	    "text/rfc822-headers" },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static char	*long_body_msg, *long_header_msg;

static void
make_long(void)
{
	static const char bh[] = "From: alice@example.test\r\n"
	    "Subject: long body\r\n\r\nshort\r\n";
	static const char hh[] = "From: alice@example.test\r\n"
	    "Subject: long header\r\nX-Long: ";
	size_t	 n;

	n = sizeof(bh) - 1;
	if ((long_body_msg = malloc(n + 1200 + 3)) == NULL ||
	    (long_header_msg = malloc(sizeof(hh) - 1 + 2500 + 20)) == NULL)
		bail_out("malloc", NULL);
	memcpy(long_body_msg, bh, n);
	memset(long_body_msg + n, 'x', 1200);
	memcpy(long_body_msg + n + 1200, "\r\n", 3);
	n = sizeof(hh) - 1;
	memcpy(long_header_msg, hh, n);
	memset(long_header_msg + n, 'y', 2500);
	memcpy(long_header_msg + n + 2500, "\r\n\r\nbody\r\n", 11);
}

static const char *
case_msg(const struct dsn_case *c, size_t *len)
{
	const char *m = c->msg;

	if (m == NULL)
		m = strstr(c->name, "body") ? long_body_msg : long_header_msg;
	*len = c->msglen ? c->msglen : strlen(m);
	return m;
}

/* Build a case's report into b (initialised by the caller). */
static int
build(const struct dsn_case *c, struct spool_envelope *env,
    struct dsn_rcpt *r, struct buf *b)
{
	struct dsn_params p;
	size_t	 i, n;

	memset(env, 0, sizeof(*env));
	memcpy(env->id, ID, sizeof(ID));
	env->arrival = NOW - 10000;
	(void)snprintf(env->from, sizeof(env->from), "%s", c->from);
	(void)snprintf(env->envid, sizeof(env->envid), "%s", c->envid);
	env->ret = c->ret;
	env->smtputf8 = c->utf8;
	memset(&p, 0, sizeof(p));
	for (n = 0; n < MAXR && c->r[n].final != NULL; n++) {
		r[n].final = c->r[n].final;
		r[n].orcpt = c->r[n].orcpt;
		r[n].action = c->r[n].a;
		r[n].status = c->r[n].status;
		r[n].remote_mta = c->r[n].mta;
		r[n].diagnostic = c->r[n].diag;
		r[n].last_attempt = c->r[n].last;
		r[n].will_retry_until = c->r[n].until;
	}
	p.hostname = HOST;
	p.now = NOW;
	p.env = env;
	p.rcpt = r;
	p.nrcpt = n;
	p.msg = case_msg(c, &i);
	p.msglen = i;
	p.max_returned = c->max_returned;
	return dsn_build(&p, b);
}

/* The boundary parameter of the top-level Content-Type. */
static bool
get_boundary(const char *s, size_t n, char *out, size_t outsz)
{
	const char *p = memmem(s, n, "boundary=\"", 10), *q;

	if (p == NULL)
		return false;
	p += 10;
	if ((q = memchr(p, '"', n - (size_t)(p - s))) == NULL ||
	    (size_t)(q - p) >= outsz)
		return false;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return true;
}

/* Count lines equal to line. */
static size_t
count_lines(const char *s, size_t n, const char *line)
{
	size_t	 i = 0, ll = strlen(line), k = 0;
	const char *e;

	while (i < n) {
		e = memmem(s + i, n - i, "\r\n", 2);
		if (e == NULL)
			e = s + n;
		if ((size_t)(e - (s + i)) == ll && memcmp(s + i, line, ll) == 0)
			k++;
		i = (size_t)(e - s) + 2;
	}
	return k;
}

/* What every report must be, whatever the case. */
static void
check_invariants(const char *name, const char *s, size_t n, bool global,
    const char *orig, size_t origlen, size_t nparts)
{
	char	 bnd[128], line[160];
	const char *hend;
	size_t	 i, col = 0, longest = 0;
	bool	 crlf = true, ascii = true;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r') {
			if (i + 1 >= n || s[i + 1] != '\n')
				crlf = false;
			continue;
		}
		if (s[i] == '\n') {
			if (i == 0 || s[i - 1] != '\r')
				crlf = false;
			col = 0;
			continue;
		}
		if (++col > longest)
			longest = col;
	}
	ok(crlf, "%s: CRLF line ends only", name);
	ok(longest <= 998, "%s: no line over 998 octets (%zu)", name, longest);
	ok(n > 2 && memcmp(s + n - 2, "\r\n", 2) == 0, "%s: ends with CRLF",
	    name);
	ok(strncmp(s, "From: Mail Delivery System <MAILER-DAEMON@" HOST
	    ">\r\n", 59) == 0, "%s: From: MAILER-DAEMON@" HOST, name);
	hend = memmem(s, n, "\r\n\r\n", 4);
	ok(hend != NULL, "%s: header ends", name);
	if (hend == NULL)
		return;
	for (i = 0; i < (size_t)(hend - s); i++)
		if ((unsigned char)s[i] >= 0x80)
			ascii = false;
	if (!global)
		ok(ascii, "%s: header is ASCII", name);
	ok(memmem(s, (size_t)(hend - s), "\r\nMessage-ID: <" ID ".", 17) !=
	    NULL && memmem(s, (size_t)(hend - s), ".DSN@" HOST ">\r\n", 22) !=
	    NULL, "%s: Message-ID <" ID "....DSN@" HOST ">", name);
	ok(memmem(s, (size_t)(hend - s), "\r\nAuto-Submitted: auto-replied\r\n",
	    32) != NULL, "%s: Auto-Submitted: auto-replied", name);
	if (!ok(get_boundary(s, (size_t)(hend - s), bnd, sizeof(bnd)),
	    "%s: boundary parameter", name))
		return;
	ok(strlen(bnd) <= 70, "%s: boundary of at most 70 characters", name);
	(void)snprintf(line, sizeof(line), "--%s", bnd);
	is_int(count_lines(s, n, line), nparts, "%s: %zu parts", name, nparts);
	(void)snprintf(line, sizeof(line), "--%s--", bnd);
	is_int(count_lines(s, n, line), 1, "%s: one close delimiter", name);
	ok(n >= strlen(line) + 2 && memcmp(s + n - strlen(line) - 2, line,
	    strlen(line)) == 0, "%s: the close delimiter ends it", name);
	ok(origlen == 0 || memmem(orig, origlen, bnd, strlen(bnd)) == NULL,
	    "%s: boundary not in the original", name);
}

static void
dump(const char *dir, size_t k, const struct dsn_case *c, const char *s,
    size_t n)
{
	char	 path[4096];
	const char *m;
	size_t	 ml, i;
	FILE	*f;

	tap_pathf(path, sizeof(path), "%s/%02zu.dsn", dir, k);
	if ((f = fopen(path, "we")) == NULL || fwrite(s, 1, n, f) != n ||
	    fclose(f) == EOF)
		bail_out("dump", path);
	m = case_msg(c, &ml);
	tap_pathf(path, sizeof(path), "%s/%02zu.orig", dir, k);
	if ((f = fopen(path, "we")) == NULL || (ml > 0 &&
	    fwrite(m, 1, ml, f) != ml) || fclose(f) == EOF)
		bail_out("dump", path);
	tap_pathf(path, sizeof(path), "%s/%02zu.meta", dir, k);
	if ((f = fopen(path, "we")) == NULL)
		bail_out("dump", path);
	fprintf(f, "name\t%s\nhostname\t%s\nfrom\t%s\nenvid\t%d\n"
	    "global\t%d\nreturn\t%s\nmax_returned\t%zu\n", c->name, HOST,
	    c->from, c->envid[0] != '\0', c->utf8,
	    c->ret_type == NULL ? "none" :
	    strstr(c->ret_type, "header") ? "headers" : "full",
	    c->max_returned);
	for (i = 0; i < MAXR && c->r[i].final != NULL; i++)
		fprintf(f, "rcpt\t%s\t%d\t%d\t%d\t%s\n",
		    c->r[i].a == DSN_FAILED ? "failed" :
		    c->r[i].a == DSN_DELAYED ? "delayed" :
		    c->r[i].a == DSN_DELIVERED ? "delivered" :
		    c->r[i].a == DSN_RELAYED ? "relayed" : "expanded",
		    c->r[i].orcpt != NULL, c->r[i].diag != NULL,
		    c->r[i].mta != NULL, c->r[i].final);
	if (fclose(f) == EOF)
		bail_out("dump", path);
}

static void
test_cases(const char *dumpdir)
{
	struct spool_envelope env;
	struct dsn_rcpt r[MAXR];
	struct buf b;
	char	 pat[1200];
	const char *m;
	size_t	 i, j, ml, off;

	for (i = 0; i < NCASES; i++) {
		const struct dsn_case *c = &cases[i];
		const char *at;

		buf_init(&b, 1 << 20);
		if (!ok(build(c, &env, r, &b) == 0, "%s: built", c->name)) {
			buf_free(&b);
			continue;
		}
		m = case_msg(c, &ml);
		check_invariants(c->name, b.data, b.len, c->utf8, m, ml,
		    c->ret_type != NULL ? 3 : 2);
		/* the wanted lines, in order */
		off = 0;
		for (j = 0; j < MAXW && c->want[j] != NULL; j++) {
			tap_pathf(pat, sizeof(pat), "\r\n%s\r\n", c->want[j]);
			at = memmem(b.data + off, b.len - off, pat,
			    strlen(pat));
			if (!ok(at != NULL, "%s: line \"%s\"", c->name,
			    c->want[j]))
				diag("after offset %zu", off);
			else
				off = (size_t)(at - b.data) + 2;
		}
		for (j = 0; j < MAXW && c->has[j] != NULL; j++)
			ok(memmem(b.data, b.len, c->has[j], strlen(c->has[j]))
			    != NULL, "%s: has \"%s\"", c->name, c->has[j]);
		for (j = 0; j < MAXW && c->hasnt[j] != NULL; j++)
			ok(memmem(b.data, b.len, c->hasnt[j],
			    strlen(c->hasnt[j])) == NULL,
			    "%s: has no \"%s\"", c->name, c->hasnt[j]);
		if (c->ret_type != NULL) {
			tap_pathf(pat, sizeof(pat), "\r\nContent-Type: %s\r\n",
			    c->ret_type);
			ok(memmem(b.data, b.len, pat, strlen(pat)) != NULL,
			    "%s: returned as %s", c->name, c->ret_type);
		}
		if (dumpdir != NULL)
			dump(dumpdir, i, c, b.data, b.len);
		buf_free(&b);
	}
}

/* A remote reply of 450 octets and a word of 1500 fold below 998. */
static void
test_long_diagnostic(void)
{
	struct dsn_case c = cases[1];
	struct spool_envelope env;
	struct dsn_rcpt r[MAXR];
	struct buf b, got, want;
	char	 diagtext[4000];
	const char *p;
	size_t	 i, k, n = 0;

	buf_init(&got, 8192);
	buf_init(&want, 8192);
	(void)buf_addstr(&want, "Diagnostic-Code: smtp; ");
	for (i = 0; i < 9; i++) {
		n += (size_t)snprintf(diagtext + n, sizeof(diagtext) - n,
		    "550-5.7.1 line %zu of a long reply from a remote server "
		    "that says a lot\r\n", i);
		(void)buf_printf(&want, "550-5.7.1 line %zu of a long reply "
		    "from a remote server that says a lot ", i);
	}
	n += (size_t)snprintf(diagtext + n, sizeof(diagtext) - n,
	    "550 5.7.1 see https://example.org/");
	(void)buf_addstr(&want, "550 5.7.1 see https://example.org/");
	memset(diagtext + n, 'z', 1500);
	n += 1500;
	diagtext[n] = '\0';
	for (i = 0; i < 1500; i++)
		(void)buf_addc(&want, 'z');
	c.r[0].diag = diagtext;
	c.r[0].status = "5.7.1";
	buf_init(&b, 1 << 20);
	ok(build(&c, &env, r, &b) == 0, "long diagnostic: built");
	check_invariants("long diagnostic", b.data, b.len, false, MSG_PLAIN,
	    strlen(MSG_PLAIN), 3);
	p = memmem(b.data, b.len, "\r\nDiagnostic-Code: smtp; ", 25);
	if (!ok(p != NULL, "long diagnostic: field present"))
		goto out;
	/* Unfold: drop each CRLF that a space follows. */
	for (p += 2; p < b.data + b.len; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			if (p[2] != ' ')
				break;
			p++;
			continue;
		}
		(void)buf_addc(&got, *p);
	}
	ok(memmem(b.data, b.len, "\r\n zzzz", 7) != NULL &&
	    memmem(b.data, b.len, "lot\r\n 550-5.7.1 line 4", 22) != NULL,
	    "long diagnostic: folded between words, and in the long word");
	for (k = 0; k < want.len && k < got.len &&
	    got.data[k] == want.data[k]; k++)
		;
	ok(got.len == want.len + 1 && got.data[k] == ' ' &&
	    strcmp(got.data + k + 1, want.data + k) == 0,
	    "long diagnostic: unfolds to the reply, lines joined, the long "
	    "word cut once");
	if (got.len != want.len + 1)
		diag("got %zu octets, want %zu + 1", got.len, want.len);
out:
	buf_free(&b);
	buf_free(&got);
	buf_free(&want);
}

/* Failing calls leave the buffer as it was. */
static void
test_full_buffer(void)
{
	struct spool_envelope env;
	struct dsn_rcpt r[MAXR];
	struct buf b;
	size_t	 need, max, bad = 0;

	buf_init(&b, 1 << 20);
	if (build(&cases[0], &env, r, &b) == -1)
		bail_out("build", NULL);
	need = b.len;
	buf_free(&b);
	for (max = 0; max < need; max += max < 64 || max + 64 > need ? 1 : 61) {
		buf_init(&b, max);
		errno = 0;
		if (build(&cases[0], &env, r, &b) != -1 || errno != EMSGSIZE ||
		    b.len != 0)
			bad++;
		buf_free(&b);
	}
	is_int(bad, 0, "every capacity under %zu octets: -1, EMSGSIZE, "
	    "buffer empty", need);
	buf_init(&b, need);
	is_int(build(&cases[0], &env, r, &b), 0, "capacity %zu: built", need);
	is_int(b.len, need, "the same length");
	buf_free(&b);
	/* appended after what is there; on failure that stays */
	buf_init(&b, need + 5);
	(void)buf_addstr(&b, "KEEP\n");
	is_int(build(&cases[0], &env, r, &b), 0, "appended: built");
	ok(strncmp(b.data, "KEEP\nFrom: ", 11) == 0, "appended after KEEP");
	buf_free(&b);
	buf_init(&b, need + 4);
	(void)buf_addstr(&b, "KEEP\n");
	is_int(build(&cases[0], &env, r, &b), -1, "appended: too long");
	is_str(b.data, "KEEP\n", "appended: the buffer as it was");
	buf_free(&b);
}

/* Message-ID and boundary differ per call; collisions are avoided. */
static void
test_unique(void)
{
	struct dsn_case c = cases[0];
	struct spool_envelope env;
	struct dsn_rcpt r[MAXR];
	struct buf b1, b2, msg;
	char	 bnd1[128], bnd2[128], prefix[128], *dot;
	const char *id1, *id2;
	unsigned long serial;
	int	 k;

	buf_init(&b1, 1 << 20);
	buf_init(&b2, 1 << 20);
	buf_init(&msg, 1 << 20);
	if (build(&c, &env, r, &b1) == -1 || build(&c, &env, r, &b2) == -1)
		bail_out("build", NULL);
	id1 = strstr(b1.data, "\r\nMessage-ID: ");
	id2 = strstr(b2.data, "\r\nMessage-ID: ");
	ok(id1 != NULL && id2 != NULL && strncmp(id1, id2,
	    (size_t)(strchr(id1 + 2, '\r') - id1)) != 0,
	    "two reports: different Message-IDs");
	ok(get_boundary(b1.data, b1.len, bnd1, sizeof(bnd1)) &&
	    get_boundary(b2.data, b2.len, bnd2, sizeof(bnd2)) &&
	    strcmp(bnd1, bnd2) != 0, "two reports: different boundaries");
	/* The next candidates, planted in the returned message. */
	if ((dot = strrchr(bnd2, '.')) == NULL)
		bail_out("boundary form", bnd2);
	serial = strtoul(dot + 1, NULL, 16);
	*dot = '\0';
	(void)snprintf(prefix, sizeof(prefix), "%s", bnd2);
	(void)buf_addstr(&msg, "Subject: collide\r\n\r\n");
	for (k = 0; k < 6; k++)
		(void)buf_printf(&msg, "--%s.%08lX\r\n", prefix,
		    (serial + 1 + (unsigned long)k) & 0xffffffffUL);
	c.msg = msg.data;
	buf_reset(&b1);
	ok(build(&c, &env, r, &b1) == 0, "collisions: built");
	check_invariants("collisions", b1.data, b1.len, false, msg.data,
	    msg.len, 3);
	ok(get_boundary(b1.data, b1.len, bnd1, sizeof(bnd1)) &&
	    strncmp(bnd1, prefix, strlen(prefix)) == 0 &&
	    strtoul(strrchr(bnd1, '.') + 1, NULL, 16) > serial + 6,
	    "collisions: a later candidate was taken (%s)", bnd1);
	buf_free(&b1);
	buf_free(&b2);
	buf_free(&msg);
}

static uint32_t rnd_state = 2463534242u;

static uint32_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Random octets, NUL-terminated, biased to what breaks reports. */
static void
rnd_fill(char *s, size_t n)
{
	static const char special[] = "\r\n\t +=\\;<>\"\x80\xc3\xa9\xff.@-";
	size_t	 i;

	for (i = 0; i < n; i++) {
		uint32_t v = rnd();

		s[i] = v % 3 == 0 ? special[v / 3 % (sizeof(special) - 1)] :
		    v % 3 == 1 ? (char)(' ' + v / 3 % 95) :
		    (char)(v / 3 % 255 + 1);
	}
	s[n] = '\0';
}

/*
 * CRLF only, lines of 998 at most, an ASCII header but for To: when not
 * SMTPUTF8, a boundary not in the original, one close delimiter.
 */
static bool
random_ok(const struct buf *b, bool utf8, const char *msg, size_t msglen)
{
	const char *hend = memmem(b->data, b->len, "\r\n\r\n", 4);
	char	 bnd[128], line[160];
	size_t	 j, col = 0;

	if (hend == NULL)
		return false;
	for (j = 0; j < b->len; j++) {
		if (b->data[j] == '\r' && (j + 1 == b->len ||
		    b->data[j + 1] != '\n'))
			return false;
		if (b->data[j] == '\n' && (j == 0 || b->data[j - 1] != '\r'))
			return false;
		col = b->data[j] == '\r' || b->data[j] == '\n' ? 0 : col + 1;
		if (col > 998)
			return false;
		if (!utf8 && b->data + j < hend &&
		    (unsigned char)b->data[j] >= 0x80 &&
		    strncmp(b->data + j - col + 1, "To: ", 4) != 0)
			return false;
	}
	if (!get_boundary(b->data, (size_t)(hend - b->data), bnd,
	    sizeof(bnd)) ||
	    memmem(msg, msglen, bnd, strlen(bnd)) != NULL)
		return false;
	(void)snprintf(line, sizeof(line), "--%s--", bnd);
	return count_lines(b->data, b->len, line) == 1;
}

/* Whatever comes in, the invariants hold (seeded, so repeatable). */
static void
test_random(void)
{
	static char final[MAXR][300], orcpt[MAXR][300], diag[MAXR][2200];
	static char mta[MAXR][80], msg[6000], envid[SMTP_ENVID_MAX + 1];
	struct spool_envelope env;
	struct dsn_rcpt r[MAXR];
	struct dsn_params p;
	struct buf b;
	size_t	 i, k, n, bad = 0, built = 0;

	for (i = 0; i < 400; i++) {
		memset(&env, 0, sizeof(env));
		memcpy(env.id, ID, sizeof(ID));
		rnd_fill(env.from, 1 + rnd() % 60);
		rnd_fill(envid, rnd() % SMTP_ENVID_MAX);
		memcpy(env.envid, envid, sizeof(envid));
		env.ret = (enum smtp_ret)(rnd() % 3);
		env.smtputf8 = rnd() % 2;
		env.arrival = rnd();
		n = 1 + rnd() % MAXR;
		for (k = 0; k < n; k++) {
			rnd_fill(final[k], 1 + rnd() % 280);
			rnd_fill(orcpt[k], rnd() % 280);
			rnd_fill(diag[k], rnd() % 2100);
			rnd_fill(mta[k], rnd() % 70);
			r[k].final = final[k];
			r[k].orcpt = rnd() % 2 ? orcpt[k] : NULL;
			r[k].action = (enum dsn_action)(rnd() % 5);
			r[k].status = rnd() % 2 ? "4.4.7" : mta[k];
			r[k].remote_mta = rnd() % 2 ? mta[k] : NULL;
			r[k].diagnostic = rnd() % 4 ? diag[k] : NULL;
			r[k].last_attempt = rnd();
			r[k].will_retry_until = rnd();
		}
		rnd_fill(msg, rnd() % (sizeof(msg) - 1));
		memset(&p, 0, sizeof(p));
		p.hostname = HOST;
		p.now = NOW;
		p.env = &env;
		p.rcpt = r;
		p.nrcpt = n;
		p.msg = msg;
		p.msglen = strlen(msg);
		p.max_returned = rnd() % 2 ? 0 : rnd() % 6000;
		buf_init(&b, 1 << 20);
		if (dsn_build(&p, &b) == 0) {
			built++;
			if (!random_ok(&b, env.smtputf8, msg, p.msglen))
				bad++;
		}
		buf_free(&b);
	}
	is_int(bad, 0, "random inputs: %zu reports, CRLF, lines of 998 at "
	    "most, ASCII header, one close delimiter", built);
	is_int(built, 400, "random inputs: all built");
}

static void
test_refusals(void)
{
	struct spool_envelope env;
	struct dsn_rcpt r = { .final = "bob@example.org",
	    .action = DSN_FAILED, .status = "5.1.1" };
	struct dsn_params p;
	struct buf b;

	memset(&env, 0, sizeof(env));
	memcpy(env.from, "a@example.test", sizeof("a@example.test"));
	memset(&p, 0, sizeof(p));
	p.hostname = HOST;
	p.env = &env;
	p.rcpt = &r;
	p.nrcpt = 1;
	buf_init(&b, 1 << 20);
	ok(dsn_build(&p, &b) == 0 && b.len > 0, "minimal parameters: built");
	buf_reset(&b);
	env.from[0] = '\0';
	errno = 0;
	ok(dsn_build(&p, &b) == -1 && errno == EINVAL && b.len == 0,
	    "null sender: EINVAL");
	env.from[0] = 'a';
	p.nrcpt = 0;
	errno = 0;
	ok(dsn_build(&p, &b) == -1 && errno == EINVAL, "no recipient: EINVAL");
	p.nrcpt = 1;
	p.hostname = "";
	errno = 0;
	ok(dsn_build(&p, &b) == -1 && errno == EINVAL, "no hostname: EINVAL");
	p.hostname = HOST;
	r.final = "";
	errno = 0;
	ok(dsn_build(&p, &b) == -1 && errno == EINVAL,
	    "empty final recipient: EINVAL");
	buf_free(&b);
}

int
main(void)
{
	const char *dumpdir = getenv("DSN_DUMP_DIR");

	make_long();
	test_cases(dumpdir != NULL && dumpdir[0] != '\0' ? dumpdir : NULL);
	test_long_diagnostic();
	test_full_buffer();
	test_unique();
	test_random();
	test_refusals();
	free(long_body_msg);
	free(long_header_msg);
	return done_testing();
}
