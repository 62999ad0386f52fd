/*
 * msg.c — unit tests for libexec/common/msg.c: the streaming content
 * checks (RFC 5321 2.3.8 bare CR/LF, 4.5.3.1.6 line length, 6.3 loops;
 * NUL, size) fed in one piece, byte by byte and in odd chunks, and the
 * shape of the Received: header (RFC 5321 4.4).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msg.h"
#include "tap.h"

/* Feed s[0..n) in pieces of chunk octets (0: one piece), then end. */
static unsigned
check_chunked(const char *s, size_t n, size_t chunk, uint64_t max_size,
    unsigned max_received, unsigned *received)
{
	struct msg_check c;
	size_t	 off = 0;

	msg_check_init(&c, max_size, max_received);
	if (chunk == 0)
		chunk = n ? n : 1;
	while (off < n) {
		size_t	 take = n - off < chunk ? n - off : chunk;

		(void)msg_check_feed(&c, s + off, take);
		off += take;
	}
	if (received != NULL)
		*received = c.received;
	return msg_check_end(&c);
}

static const struct check_case {
	const char	*in;
	size_t		 len;	/* 0: strlen */
	uint64_t	 max_size;
	unsigned	 max_received;
	unsigned	 want;
	const char	*what;
} check_cases[] = {
	{ "", 0, 0, 100, 0, "empty" },
	{ "\r\n", 0, 0, 100, 0, "one empty line" },
	{ "Subject: x\r\n\r\nbody\r\n", 0, 0, 100, 0, "clean" },
	{ "From: a@b\r\nTo: c@d\r\nSubject: hi\r\n\r\nline 1\r\n\r\n"
	    "line 3\r\n", 0, 0, 100, 0, "clean, several lines" },
	{ "body without header\r\n", 0, 0, 100, 0, "no header" },
	{ "last line without CRLF", 0, 0, 100, 0, "no final CRLF" },
	{ "8bit \xc3\xa9\xff\x80\r\n", 0, 0, 100, 0, "8-bit octets" },
	/* bare LF and bare CR (SMTP smuggling) */
	{ "a\nb\r\n", 0, 0, 100, MSG_BARE_LF, "bare LF" },
	{ "a\r\nb\n", 0, 0, 100, MSG_BARE_LF, "bare LF at the end" },
	{ "\n", 0, 0, 100, MSG_BARE_LF, "only LF" },
	{ "a\r\n\n.\n", 0, 0, 100, MSG_BARE_LF, "LF.LF" },
	{ "a\r\n.\n\r\n", 0, 0, 100, MSG_BARE_LF, "CRLF.LF" },
	{ "a\rb\r\n", 0, 0, 100, MSG_BARE_LF, "bare CR" },
	{ "a\r\r\n", 0, 0, 100, MSG_BARE_LF, "CR CR LF" },
	{ "a\r\n.\r\r\n", 0, 0, 100, MSG_BARE_LF, "CRLF.CRCRLF" },
	{ "a\n\r", 0, 0, 100, MSG_BARE_LF, "LF CR" },
	{ "abc\r", 0, 0, 100, MSG_BARE_LF, "CR at the very end" },
	{ "\r", 0, 0, 100, MSG_BARE_LF, "only CR" },
	/* NUL */
	{ "a\0b\r\n", 5, 0, 100, MSG_NUL, "NUL" },
	{ "\0", 1, 0, 100, MSG_NUL, "only NUL" },
	{ "a\r\n\0", 4, 0, 100, MSG_NUL, "NUL at the end" },
	{ "a\0\n", 3, 0, 100, MSG_NUL | MSG_BARE_LF, "NUL and bare LF" },
	/* size */
	{ "0123456789", 0, 10, 100, 0, "size at the limit" },
	{ "0123456789A", 0, 10, 100, MSG_TOO_BIG, "size over the limit" },
	{ "01234\r\n789", 0, 10, 100, 0, "CRLF counts: at the limit" },
	{ "01234\r\n789A", 0, 10, 100, MSG_TOO_BIG, "CRLF counts: over" },
	{ "0123456789A", 0, 0, 100, 0, "no limit" },
	/* Received: loops */
	{ "Received: a\r\nReceived: b\r\n\r\nx\r\n", 0, 0, 2, 0,
	    "2 Received, max 2" },
	{ "Received: a\r\nReceived: b\r\nReceived: c\r\n\r\nx\r\n", 0, 0, 2,
	    MSG_LOOP, "3 Received, max 2" },
	{ "received: a\r\nRECEIVED: b\r\nReCeIvEd: c\r\n\r\n", 0, 0, 2,
	    MSG_LOOP, "case-insensitive" },
	{ "Received:a\r\nReceived:b\r\nReceived:c\r\n\r\n", 0, 0, 2,
	    MSG_LOOP, "no space after the colon" },
	{ "Received: a\r\n", 0, 0, 0, MSG_LOOP, "max 0" },
	{ "Subject: x\r\nReceived: a\r\nTo: y\r\nReceived: b\r\n"
	    "Received: c\r\n\r\n", 0, 0, 2, MSG_LOOP, "among other fields" },
	{ "Received: a\r\n\r\nReceived: b\r\nReceived: c\r\n", 0, 0, 2, 0,
	    "in the body: not counted" },
	{ "\r\nReceived: a\r\nReceived: b\r\nReceived: c\r\n", 0, 0, 2, 0,
	    "empty header: all body" },
	{ "X-Received: a\r\nX-Received: b\r\nX-Received: c\r\n\r\n", 0, 0, 2,
	    0, "X-Received: not counted" },
	{ "Received: a\r\n\tReceived: b\r\n Received: c\r\n\r\n", 0, 0, 1, 0,
	    "folded continuation: not counted" },
	{ "Received\r\nReceived\r\nReceived\r\n\r\n", 0, 0, 2, 0,
	    "no colon: not counted" },
	{ "Receive: a\r\nReceive: b\r\nReceive: c\r\n\r\n", 0, 0, 2, 0,
	    "Receive: not counted" },
	{ "Subject: Received: a\r\nSubject: Received: b\r\n\r\n", 0, 0, 0, 0,
	    "inside another field: not counted" },
};

static void
test_check_table(void)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 7 };
	size_t	 i, k;

	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		const struct check_case *c = &check_cases[i];
		size_t	 n = c->len ? c->len : strlen(c->in);
		unsigned whole;

		whole = check_chunked(c->in, n, 0, c->max_size,
		    c->max_received, NULL);
		is_int(whole, c->want, "check %zu: %s", i, c->what);
		for (k = 1; k < sizeof(chunks) / sizeof(chunks[0]); k++)
			is_int(check_chunked(c->in, n, chunks[k], c->max_size,
			    c->max_received, NULL), whole,
			    "check %zu in pieces of %zu as in one", i,
			    chunks[k]);
	}
}

static void
test_lines(void)
{
	static char m[4096];
	unsigned received;

	/* 998 octets then CRLF: fine (RFC 5322 2.1.1) */
	memset(m, 'x', 998);
	memcpy(m + 998, "\r\n", 2);
	is_int(check_chunked(m, 1000, 0, 0, 100, NULL), 0, "998-octet line");
	is_int(check_chunked(m, 1000, 1, 0, 100, NULL), 0,
	    "998-octet line, byte by byte");
	is_int(check_chunked(m, 998, 0, 0, 100, NULL), 0,
	    "998 octets without CRLF");
	/* 999 octets */
	memset(m, 'x', 999);
	memcpy(m + 999, "\r\n", 2);
	is_int(check_chunked(m, 1001, 0, 0, 100, NULL), MSG_LONG_LINE,
	    "999-octet line");
	is_int(check_chunked(m, 1001, 1, 0, 100, NULL), MSG_LONG_LINE,
	    "999-octet line, byte by byte");
	is_int(check_chunked(m, 999, 0, 0, 100, NULL), MSG_LONG_LINE,
	    "999 octets without CRLF");
	/* the count starts again on each line */
	memset(m, 'x', 998);
	memcpy(m + 998, "\r\n", 2);
	memset(m + 1000, 'y', 998);
	memcpy(m + 1998, "\r\n", 2);
	is_int(check_chunked(m, 2000, 0, 0, 100, NULL), 0,
	    "two 998-octet lines");
	is_int(check_chunked(m, 2000, 13, 0, 100, NULL), 0,
	    "two 998-octet lines, in pieces of 13");
	m[1999] = 'z';
	m[2000] = '\r';
	m[2001] = '\n';
	is_int(check_chunked(m, 2002, 0, 0, 100, NULL), MSG_BARE_LF |
	    MSG_LONG_LINE, "CR without LF does not end a line");
	/* 4000 octets, several flags */
	memset(m, 'x', sizeof(m));
	m[10] = '\0';
	m[20] = '\n';
	is_int(check_chunked(m, sizeof(m), 0, 1000, 100, NULL),
	    MSG_NUL | MSG_BARE_LF | MSG_LONG_LINE | MSG_TOO_BIG,
	    "all at once");

	/* the count of Received: fields */
	is_int(check_chunked("Received: a\r\nreceived: b\r\n\r\n"
	    "Received: c\r\n", 41, 1, 0, 100, &received), 0, "count: clean");
	is_int(received, 2, "count: 2 in the header");
}

static void
test_reply(void)
{
	static const struct {
		unsigned	 flags;
		enum reply_id	 want;
	} cases[] = {
		{ 0, REPLY_OK },
		{ MSG_BARE_LF, REPLY_DATA_BARE_LF },
		{ MSG_NUL, REPLY_DATA_NUL },
		{ MSG_LONG_LINE, REPLY_DATA_LONG_LINE },
		{ MSG_TOO_BIG, REPLY_SIZE_EXCEEDED },
		{ MSG_LOOP, REPLY_LOOP },
		{ MSG_BARE_LF | MSG_NUL | MSG_LONG_LINE | MSG_TOO_BIG |
		    MSG_LOOP, REPLY_DATA_BARE_LF },
		{ MSG_NUL | MSG_LOOP, REPLY_DATA_NUL },
		{ MSG_TOO_BIG | MSG_LONG_LINE, REPLY_SIZE_EXCEEDED },
		{ MSG_LONG_LINE | MSG_LOOP, REPLY_DATA_LONG_LINE },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why = msg_check_reason(cases[i].flags);

		is_int(msg_check_reply(cases[i].flags), cases[i].want,
		    "reply for flags %#x", cases[i].flags);
		ok(why != NULL && why[0] != '\0', "reason for %#x: %s",
		    cases[i].flags, why ? why : "(null)");
		if (cases[i].flags != 0)
			is_int(reply_get(msg_check_reply(cases[i].flags))->code
			    / 100, 5, "flags %#x refuse the message",
			    cases[i].flags);
	}
	is_str(msg_check_reason(0), "ok", "reason for 0");
}

/* Every LF after a CR; every continuation line starts with a tab. */
static bool
header_shape(const char *s, size_t n)
{
	size_t	 i;

	if (n < 2 || s[n - 2] != '\r' || s[n - 1] != '\n')
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return false;
		if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
			return false;
		if (s[i] == '\n' && i + 1 < n && s[i + 1] != '\t')
			return false;
	}
	return true;
}

static const struct received_case {
	struct msg_trace t;
	const char	*want;
} received_cases[] = {
	{ { "client.example", "192.0.2.1", "mx.example", "ESMTP",
	    "0123456789ABCDEF01", NULL, NULL, 0 },
	    "Received: from client.example ([192.0.2.1])\r\n"
	    "\tby mx.example (tambo) with ESMTP id 0123456789ABCDEF01;\r\n"
	    "\tThu, 01 Jan 1970 00:00:00 +0000\r\n" },
	{ { "client.example", "192.0.2.1", "mx.example", "ESMTP",
	    "0123456789ABCDEF01", "user@example.com", NULL, 1700000000 },
	    "Received: from client.example ([192.0.2.1])\r\n"
	    "\tby mx.example (tambo) with ESMTP id 0123456789ABCDEF01\r\n"
	    "\tfor <user@example.com>;\r\n"
	    "\tTue, 14 Nov 2023 22:13:20 +0000\r\n" },
	{ { "[2001:db8::1]", "2001:db8::1", "mx.example", "ESMTPS",
	    "0123456789ABCDEF01", NULL, "TLS1.3 TLS_AES_256_GCM_SHA384", 0 },
	    "Received: from [2001:db8::1] ([IPv6:2001:db8::1])\r\n"
	    "\tby mx.example (tambo) with ESMTPS id 0123456789ABCDEF01\r\n"
	    "\t(TLS1.3 TLS_AES_256_GCM_SHA384);\r\n"
	    "\tThu, 01 Jan 1970 00:00:00 +0000\r\n" },
	{ { NULL, "198.51.100.7", "mx.example", "SMTP",
	    "0123456789ABCDEF01", "a@b.example", NULL, 0 },
	    "Received: from unknown ([198.51.100.7])\r\n"
	    "\tby mx.example (tambo) with SMTP id 0123456789ABCDEF01\r\n"
	    "\tfor <a@b.example>;\r\n"
	    "\tThu, 01 Jan 1970 00:00:00 +0000\r\n" },
	{ { NULL, NULL, "mx.example", "local", "0123456789ABCDEF01",
	    NULL, NULL, 0 },
	    "Received: by mx.example (tambo) with local id "
	    "0123456789ABCDEF01;\r\n"
	    "\tThu, 01 Jan 1970 00:00:00 +0000\r\n" },
};

static void
test_received(void)
{
	size_t	 i;
	struct buf b;
	struct msg_trace t;

	/* a fixed zone, so the date is known */
	if (setenv("TZ", "UTC", 1) == -1)
		abort();
	tzset();
	for (i = 0; i < sizeof(received_cases) / sizeof(received_cases[0]);
	    i++) {
		const struct received_case *c = &received_cases[i];
		unsigned received = 0;

		buf_init(&b, 4096);
		is_int(msg_received(&c->t, &b), 0, "received %zu", i);
		is_str(b.data, c->want, "received %zu text", i);
		ok(b.data != NULL && header_shape(b.data, b.len),
		    "received %zu: CRLF endings, folded with tabs", i);
		ok(b.data != NULL && (strstr(b.data, "for <") != NULL) ==
		    (c->t.rcpt != NULL), "received %zu: \"for\" only with a "
		    "recipient", i);
		ok(b.data != NULL && (strstr(b.data, "[IPv6:") != NULL) ==
		    (c->t.client != NULL && strchr(c->t.client, ':') != NULL),
		    "received %zu: [IPv6: only for IPv6", i);
		if (b.data != NULL)
			is_int(check_chunked(b.data, b.len, 0, 0, 1,
			    &received), 0, "received %zu passes the checker",
			    i);
		is_int(received, 1, "received %zu counts as one", i);
		buf_free(&b);
	}

	/* a full buffer */
	t = received_cases[1].t;
	buf_init(&b, 40);
	is_int(msg_received(&t, &b), -1, "received into a small buffer");
	buf_free(&b);
}

int
main(void)
{
	test_check_table();
	test_lines();
	test_reply();
	test_received();
	return done_testing();
}
