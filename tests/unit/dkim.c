/*
 * dkim.c — DKIM canonicalisation and signature fields (dkim.h): the
 * examples of RFC 6376 3.4.5, the body hashes of RFC 6376 Appendix A and
 * RFC 8463 Appendix A, the header data of RFC 8463 A.3, the end of the
 * header section as input arrives, field splitting, the choice of fields
 * (oversigning), bottom-up selection (5.4.2), and folding.  The body
 * canonicaliser must give the same octets whatever the pieces it is fed
 * in and whatever the line ends (LF or CRLF).
 */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "dkim.h"
#include "sha256.h"
#include "tap.h"

static void
collect(void *ctx, const void *p, size_t n)
{
	if (buf_add(ctx, p, n) == -1)
		bail_out("buf_add", "collect");
}

/* The canonical body of s fed in pieces of step octets (0: at once). */
static void
body_canon(enum dkim_canon c, const char *s, size_t n, size_t step,
    struct buf *out)
{
	struct dkim_body *b = malloc(sizeof(*b));
	size_t	 i;

	if (b == NULL)
		bail_out("malloc", NULL);
	buf_reset(out);
	dkim_body_init(b, c, collect, out);
	if (step == 0)
		dkim_body_update(b, s, n);
	else
		for (i = 0; i < n; i += step)
			dkim_body_update(b, s + i, n - i < step ? n - i : step);
	dkim_body_final(b);
	free(b);
}

static const struct {
	const char	*in;
	const char	*simple;
	const char	*relaxed;
} bodies[] = {
	/* RFC 6376 3.4.5 */
	{ " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n", " C\r\nD E\r\n" },
	{ "", "\r\n", "" },
	{ "\r\n", "\r\n", "" },
	{ "\r\n\r\n\r\n", "\r\n", "" },
	{ "  \t \r\n \r\n", "  \t \r\n \r\n", "" },
	{ "no end", "no end\r\n", "no end\r\n" },
	{ "a\r\n\r\nb", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n" },
	{ "a\n\nb\n\n\n", "a\r\n\r\nb\r\n", "a\r\n\r\nb\r\n" },
	{ "mixed\r\nends\nhere\r\n", "mixed\r\nends\r\nhere\r\n",
	    "mixed\r\nends\r\nhere\r\n" },
	{ "a\rb\r\n", "a\rb\r\n", "a\rb\r\n" },
	{ "a \rb\r\n", "a \rb\r\n", "a \rb\r\n" },
	{ "end\r", "end\r\n", "end\r\n" },
	{ "\r\r\n", "\r\r\n", "\r\r\n" },
	{ "x\r\n\r", "x\r\n", "x\r\n" },
	{ "\t lead\r\n", "\t lead\r\n", " lead\r\n" },
	{ "tab\there \r\n  \r\nx  \r\n \r\n", "tab\there \r\n  \r\nx  \r\n \r\n",
	    "tab here\r\n\r\nx\r\n" },
	{ "8bit \xc3\xa9t\xc3\xa9\r\n\x00nul\r\n",
	    "8bit \xc3\xa9t\xc3\xa9\r\n\x00nul\r\n",
	    "8bit \xc3\xa9t\xc3\xa9\r\n\x00nul\r\n" },
};

static void
test_bodies(void)
{
	struct buf got;
	size_t	 i, n, steps[] = { 0, 1, 2, 3, 7 }, k;

	buf_init(&got, 1 << 20);
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		const char *in = bodies[i].in;

		/* the NUL case: its length from the simple form */
		n = strlen(in);
		if (i == sizeof(bodies) / sizeof(bodies[0]) - 1)
			n = 18;
		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			size_t	 wl;

			body_canon(DKIM_SIMPLE, in, n, steps[k], &got);
			wl = i == sizeof(bodies) / sizeof(bodies[0]) - 1 ? 18 :
			    strlen(bodies[i].simple);
			is_mem(got.data, got.len, bodies[i].simple, wl,
			    "simple body %zu, pieces of %zu", i, steps[k]);
			body_canon(DKIM_RELAXED, in, n, steps[k], &got);
			wl = i == sizeof(bodies) / sizeof(bodies[0]) - 1 ? 18 :
			    strlen(bodies[i].relaxed);
			is_mem(got.data, got.len, bodies[i].relaxed, wl,
			    "relaxed body %zu, pieces of %zu", i, steps[k]);
		}
	}
	buf_free(&got);
}

/* A long body: more than one output buffer, long lines, every piece size. */
static void
test_long_body(void)
{
	struct buf crlf, lf, a, b;
	size_t	 i;

	buf_init(&crlf, 1 << 22);
	buf_init(&lf, 1 << 22);
	buf_init(&a, 1 << 22);
	buf_init(&b, 1 << 22);
	for (i = 0; i < 3000; i++) {
		(void)buf_printf(&crlf, "line %zu  with\t tabs %*s\r\n", i,
		    (int)(i % 97), "");
		(void)buf_printf(&lf, "line %zu  with\t tabs %*s\n", i,
		    (int)(i % 97), "");
		if (i % 500 == 0) {
			(void)buf_add(&crlf, "\r\n\r\n", 4);
			(void)buf_add(&lf, "\n\n", 2);
		}
	}
	for (i = 0; i < 100000; i++) {		/* one 100 000-octet line */
		(void)buf_addc(&crlf, (char)('a' + i % 26));
		(void)buf_addc(&lf, (char)('a' + i % 26));
	}
	(void)buf_add(&crlf, "\r\n\r\n\r\n", 6);
	(void)buf_add(&lf, "\n\n\n", 3);
	body_canon(DKIM_RELAXED, crlf.data, crlf.len, 0, &a);
	body_canon(DKIM_RELAXED, lf.data, lf.len, 4093, &b);
	is_mem(b.data, b.len, a.data, a.len,
	    "relaxed: LF body in pieces = CRLF body at once (%zu octets)",
	    a.len);
	body_canon(DKIM_SIMPLE, crlf.data, crlf.len, 0, &a);
	body_canon(DKIM_SIMPLE, lf.data, lf.len, 65536, &b);
	is_mem(b.data, b.len, a.data, a.len,
	    "simple: LF body in pieces = CRLF body at once");
	ok(a.len == crlf.len - 4, "simple: only the trailing empty lines go");
	buf_free(&crlf);
	buf_free(&lf);
	buf_free(&a);
	buf_free(&b);
}

static void
body_hash(enum dkim_canon c, const char *s, char *out, size_t outsz)
{
	struct buf b;
	unsigned char d[SHA256_DIGEST_LEN];

	buf_init(&b, 1 << 20);
	body_canon(c, s, strlen(s), 5, &b);
	sha256_digest(b.data != NULL ? b.data : "", b.len, d);
	b64_encode(d, sizeof(d), out, outsz);
	buf_free(&b);
}

static void
test_body_hashes(void)
{
	char	 h[B64_ENCODED_SIZE(32)];

	body_hash(DKIM_SIMPLE, "", h, sizeof(h));
	is_str(h, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
	    "empty body, simple: the hash of CRLF");
	body_hash(DKIM_RELAXED, "", h, sizeof(h));
	is_str(h, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
	    "empty body, relaxed: the hash of nothing");
	/* RFC 6376 A.2: simple; RFC 8463 A.3: relaxed, with two spaces */
	body_hash(DKIM_SIMPLE, "Hi.\r\n\r\nWe lost the game. Are you hungry "
	    "yet?\r\n\r\nJoe.\r\n", h, sizeof(h));
	is_str(h, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=",
	    "RFC 6376 A.2 bh= (simple)");
	body_hash(DKIM_RELAXED, "Hi.\n\nWe lost the game.  Are you hungry "
	    "yet?\n\nJoe.\n\n\n", h, sizeof(h));
	is_str(h, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=",
	    "RFC 8463 A.3 bh= (relaxed; LF line ends, empty lines added)");
}

static void
test_header_end(void)
{
	static const struct {
		const char	*in;
		bool		 found;
		size_t		 hdrlen, bodyoff;
	} v[] = {
		{ "A: b\r\n\r\nbody", true, 6, 8 },
		{ "A: b\n\nbody", true, 5, 6 },
		{ "\r\nbody", true, 0, 2 },
		{ "\nbody", true, 0, 1 },
		{ "A: b\r\n \r\nC: d\r\n\r\n", true, 15, 17 },
		{ "A: b\r\nC: d\r\n", false, 0, 0 },
		{ "A: b\r\n\r", false, 0, 0 },
		{ "A: b\r\n\rX\r\n\n", true, 10, 11 },
		{ "A: b", false, 0, 0 },
		{ "", false, 0, 0 },
	};
	size_t	 i, k, scan, hl, bo;
	bool	 f;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t	 n = strlen(v[i].in);

		scan = 0;
		hl = bo = 0;
		f = dkim_header_end(v[i].in, n, &scan, &hl, &bo);
		ok(f == v[i].found && (!f || (hl == v[i].hdrlen &&
		    bo == v[i].bodyoff)), "header end %zu at once", i);
		/* the same, one octet more at each call */
		scan = 0;
		f = false;
		for (k = 0; k <= n && !f; k++)
			f = dkim_header_end(v[i].in, k, &scan, &hl, &bo);
		ok(f == v[i].found && (!f || (hl == v[i].hdrlen &&
		    bo == v[i].bodyoff)), "header end %zu octet by octet", i);
	}
}

static void
test_fields(void)
{
	const char *h = " lead\r\nFrom: a\r\nSubject : two\r\n\tlines\r\n"
	    "bad line\r\nX y: z\r\nTo:b";
	struct dkim_field f;
	size_t	 off = 0, n = strlen(h);

	ok(dkim_field_next(h, n, &off, &f) && f.namelen == 0 &&
	    f.rawlen == 7, "a continuation line first: a nameless field");
	ok(dkim_field_next(h, n, &off, &f) && f.namelen == 4 &&
	    strncmp(f.name, "From", 4) == 0 && f.rawlen == 9, "From");
	ok(dkim_field_next(h, n, &off, &f) && f.namelen == 7 &&
	    strncmp(f.name, "Subject", 7) == 0 && f.rawlen == 23,
	    "Subject with space before the colon, folded");
	ok(dkim_field_next(h, n, &off, &f) && f.namelen == 0,
	    "a line without a colon: nameless");
	ok(dkim_field_next(h, n, &off, &f) && f.namelen == 0,
	    "a name with a space: nameless");
	ok(dkim_field_next(h, n, &off, &f) && f.namelen == 2 && f.rawlen == 4,
	    "last field without a line end");
	ok(!dkim_field_next(h, n, &off, &f), "end");
	is_int(dkim_field_count(h, n, "FROM"), 1, "count From");
	is_int(dkim_field_count(h, n, "x y"), 0, "count X y: none");
}

static void
test_header_canon(void)
{
	static const struct {
		const char	*in;
		const char	*simple;
		const char	*relaxed;
	} v[] = {
		/* RFC 6376 3.4.5 */
		{ "A: X\r\n", "A: X", "a:X" },
		{ "B : Y\t\r\n\tZ  \r\n", "B : Y\t\r\n\tZ  ", "b:Y Z" },
		{ "Subject:  \t \r\n", "Subject:  \t ", "subject:" },
		{ "Subject: x\n \n", "Subject: x\r\n ", "subject:x" },
		{ "To: a,\n  b\n", "To: a,\r\n  b", "to:a, b" },
		{ "Date:x", "Date:x", "date:x" },
		{ "X-8: \xc3\xa9  \xc3\xa9\r\n", "X-8: \xc3\xa9  \xc3\xa9",
		    "x-8:\xc3\xa9 \xc3\xa9" },
	};
	struct buf b;
	size_t	 i;

	buf_init(&b, 4096);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		buf_reset(&b);
		ok(dkim_canon_header(DKIM_SIMPLE, v[i].in, strlen(v[i].in),
		    &b) == 0, "simple %zu", i);
		is_mem(b.data, b.len, v[i].simple, strlen(v[i].simple),
		    "simple header %zu", i);
		buf_reset(&b);
		ok(dkim_canon_header(DKIM_RELAXED, v[i].in, strlen(v[i].in),
		    &b) == 0, "relaxed %zu", i);
		is_mem(b.data, b.len, v[i].relaxed, strlen(v[i].relaxed),
		    "relaxed header %zu", i);
	}
	buf_free(&b);
}

static void
test_choose(void)
{
	const char *h = "Received: x\r\nFrom: a\r\nTo: b\r\nto: c\r\n"
	    "Subject: s\r\nX-Mailer: m\r\nList-Id: l\r\nMIME-Version: 1.0\r\n";
	struct buf b;

	buf_init(&b, 4096);
	ok(dkim_headers_choose(h, strlen(h), &b) == 0, "choose");
	is_str(b.data, "from:from:subject:subject:to:to:to:mime-version:"
	    "mime-version:list-id", "present fields, oversigned, no Received");
	buf_free(&b);
}

static void
test_hlist(void)
{
	static const struct {
		const char	*list;
		bool		 valid;
	} v[] = {
		{ "from", true },
		{ "From:to", true },
		{ "from : to : subject", true },
		{ "to:subject", false },
		{ "", false },
		{ "from:", false },
		{ ":from", false },
		{ "from::to", false },
		{ "from;to", false },
		{ "fr om", false },
	};
	size_t	 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ok(dkim_hlist_valid(v[i].list) == v[i].valid, "h= \"%s\" %s",
		    v[i].list, v[i].valid ? "valid" : "refused");
}

static void
test_headers_canon(void)
{
	const char *h = "Received: top\r\nFrom: x\r\nReceived: bottom\r\n"
	    "Subject:  A \r\n\tB\r\n";
	const char *rfc8463 =
	    "From: Joe SixPack <joe@football.example.com>\r\n"
	    "To: Suzie Q <suzie@shopping.example.net>\r\n"
	    "Subject: Is dinner ready?\r\n"
	    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n";
	struct buf b;

	buf_init(&b, 4096);
	ok(dkim_headers_canon(DKIM_RELAXED, h, strlen(h),
	    "received:from:received:received:subject", &b) == 0, "canon");
	is_str(b.data, "received:bottom\r\nfrom:x\r\nreceived:top\r\n"
	    "subject:A B\r\n", "bottom up; a name once too often adds nothing");
	buf_reset(&b);
	ok(dkim_headers_canon(DKIM_SIMPLE, h, strlen(h), "Subject : FROM",
	    &b) == 0, "canon simple");
	is_str(b.data, "Subject:  A \r\n\tB\r\nFrom: x\r\n",
	    "simple: as written; names match in any case");
	buf_reset(&b);
	ok(dkim_headers_canon(DKIM_RELAXED, rfc8463, strlen(rfc8463),
	    "from : to : subject : date : message-id : from : subject : date",
	    &b) == 0, "RFC 8463 A.3 header data");
	is_str(b.data, "from:Joe SixPack <joe@football.example.com>\r\n"
	    "to:Suzie Q <suzie@shopping.example.net>\r\n"
	    "subject:Is dinner ready?\r\n"
	    "date:Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	    "message-id:<20030712040037.46341.5F8J@football.example.com>\r\n",
	    "RFC 8463 A.3: the fields signed, relaxed");
	buf_free(&b);
}

static void
test_names(void)
{
	ok(dkim_name_valid("example.com"), "example.com");
	ok(dkim_name_valid("20261123r"), "dated selector");
	ok(dkim_name_valid("sel.sub"), "selector with a dot");
	ok(dkim_name_valid("xn--bcher-kva.example"), "A-labels");
	ok(!dkim_name_valid(""), "empty");
	ok(!dkim_name_valid("a..b"), "empty label");
	ok(!dkim_name_valid("-a"), "hyphen first");
	ok(!dkim_name_valid("a-"), "hyphen last");
	ok(!dkim_name_valid("a/b"), "slash");
	ok(!dkim_name_valid("a b"), "space");
	ok(!dkim_name_valid("a."), "trailing dot");
	ok(!dkim_name_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaa"), "label of 64");
}

/* Remove folding (eol followed by a space) and check the line lengths. */
static bool
unfold(const char *s, const char *eol, char *out, size_t outsz,
    size_t *longest)
{
	size_t	 el = strlen(eol), o = 0, line = 0;

	*longest = 0;
	while (*s != '\0') {
		if (strncmp(s, eol, el) == 0 && (s[el] == ' ' ||
		    s[el] == '\0')) {
			if (line > *longest)
				*longest = line;
			line = 0;
			s += el;
			continue;
		}
		if (o + 1 >= outsz)
			return false;
		out[o++] = *s++;
		line++;
	}
	if (line > *longest)
		*longest = line;
	out[o] = '\0';
	return true;
}

static void
test_sig(void)
{
	static const char *tags[] = { "i=@football.example.com", "q=dns/txt" };
	struct dkim_sig s;
	struct buf b, c;
	char	 flat[2048], nows[2048];
	size_t	 longest = 0, i, k;
	const char *b64 = "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D"
	    "11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==";

	memset(&s, 0, sizeof(s));
	s.algo = "ed25519-sha256";
	s.hcanon = s.bcanon = DKIM_RELAXED;
	s.domain = "football.example.com";
	s.selector = "brisbane";
	s.tags = tags;
	s.ntags = 2;
	s.t = 1528637909;
	s.hlist = "from : to : subject : date : message-id : from : subject "
	    ": date";
	s.bh = "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=";
	buf_init(&b, 8192);
	buf_init(&c, 8192);
	ok(dkim_sig_format(&b, &s, "\r\n") == 0, "format");
	/* relaxed: the data signed is the same whatever the folding */
	ok(dkim_canon_header(DKIM_RELAXED, b.data, b.len, &c) == 0,
	    "canonicalise the field");
	is_str(c.data, "dkim-signature:v=1; a=ed25519-sha256; "
	    "c=relaxed/relaxed; d=football.example.com; "
	    "i=@football.example.com; q=dns/txt; s=brisbane; t=1528637909; "
	    "h=from : to : subject : date : message-id : from : subject : "
	    "date; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=; b=",
	    "RFC 8463 A.3 field, as signed");
	ok(dkim_sig_add_b(&b, b64, "\r\n") == 0, "add b=");
	ok(unfold(b.data, "\r\n", flat, sizeof(flat), &longest) &&
	    longest <= DKIM_FOLD_WIDTH, "lines of at most %d octets (%zu)",
	    DKIM_FOLD_WIDTH, longest);
	ok(b.len > 2 && strcmp(b.data + b.len - 2, "\r\n") == 0,
	    "ends with the line end");
	ok(strstr(flat, "b=/gCrinpcQ") != NULL && strstr(flat, "Dw==") != NULL,
	    "b= present");

	/* default h= with no spaces, LF line ends, x= */
	buf_reset(&b);
	s.tags = NULL;
	s.ntags = 0;
	s.x = 1528637909 + 86400;
	s.hlist = "from:from:reply-to:reply-to:subject:subject:date:date:"
	    "message-id:message-id:to:to:cc:cc:mime-version:mime-version:"
	    "content-type:content-type:list-unsubscribe";
	ok(dkim_sig_format(&b, &s, "\n") == 0 &&
	    dkim_sig_add_b(&b, b64, "\n") == 0, "format with LF");
	ok(strstr(b.data, "\r") == NULL, "no CR when the message has LF");
	ok(unfold(b.data, "\n", flat, sizeof(flat), &longest) &&
	    longest <= DKIM_FOLD_WIDTH, "lines of at most %d octets (%zu)",
	    DKIM_FOLD_WIDTH, longest);
	ok(strstr(flat, "t=1528637909; x=1528724309;") != NULL, "t= and x=");
	for (i = 0, k = 0; flat[i] != '\0'; i++)	/* FWS in h= is allowed */
		if (flat[i] != ' ')
			nows[k++] = flat[i];
	nows[k] = '\0';
	ok(strstr(nows, "h=from:from:reply-to:reply-to:subject:subject:date:"
	    "date:message-id:message-id:to:to:cc:cc:mime-version:mime-version:"
	    "content-type:content-type:list-unsubscribe;") != NULL,
	    "h= intact once unfolded, less its white space");
	buf_reset(&c);
	ok(dkim_canon_header(DKIM_SIMPLE, b.data, b.len, &c) == 0 &&
	    strstr(c.data, "\r\n") != NULL && strstr(c.data, "\n ") != NULL,
	    "simple canonicalisation keeps the folds, as CRLF");
	buf_free(&b);
	buf_free(&c);
}

static void
test_canon_parse(void)
{
	enum dkim_canon h, b;

	ok(dkim_canon_parse("relaxed/simple", &h, &b) && h == DKIM_RELAXED &&
	    b == DKIM_SIMPLE, "relaxed/simple");
	ok(dkim_canon_parse("simple/relaxed", &h, &b) && h == DKIM_SIMPLE &&
	    b == DKIM_RELAXED, "simple/relaxed");
	ok(dkim_canon_parse("relaxed", &h, &b) && h == DKIM_RELAXED &&
	    b == DKIM_SIMPLE, "relaxed alone: simple body (3.5)");
	ok(!dkim_canon_parse("relaxed/", &h, &b), "refuse relaxed/");
	ok(!dkim_canon_parse("nofws", &h, &b), "refuse nofws");
	ok(!dkim_canon_parse("simple/relaxed/x", &h, &b), "refuse a/b/c");
}

int
main(void)
{
	test_canon_parse();
	test_bodies();
	test_long_body();
	test_body_hashes();
	test_header_end();
	test_fields();
	test_header_canon();
	test_choose();
	test_hlist();
	test_headers_canon();
	test_names();
	test_sig();
	return done_testing();
}
