/*
 * fuzz_dkim.c — DKIM canonicalisation (dkim.h).
 *
 * The input is a message.  Its header section is found at once and octet
 * by octet (the two must agree), split into fields (which must tile the
 * section exactly), each field canonicalised both ways, the default h=
 * list chosen and its header data built, and a DKIM-Signature field
 * formatted with it.  The body goes through both body canonicalisers at
 * once and in pieces whose sizes come from the input (the outputs must be
 * equal), and the canonical forms must have the shape RFC 6376 3.4 gives
 * them: CRLF line ends only, no trailing empty lines, and for relaxed no
 * tab, no run of spaces and no space before a line end.
 */
#include "fuzz.h"
#include "buf.h"
#include "dkim.h"
#include "poison.h"

static void
collect(void *ctx, const void *p, size_t n)
{
	FUZZ_CHECK(buf_add(ctx, p, n) == 0);
}

/* Every LF of s[0..n) follows a CR. */
static bool
crlf_only(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			return false;
	return true;
}

static void
check_body(enum dkim_canon c, const char *p, size_t n, size_t seed)
{
	static struct dkim_body b;
	struct buf whole, parts;
	size_t	 i, step;

	buf_init(&whole, 4 * n + 16);
	buf_init(&parts, 4 * n + 16);
	dkim_body_init(&b, c, collect, &whole);
	dkim_body_update(&b, p, n);
	dkim_body_final(&b);
	dkim_body_init(&b, c, collect, &parts);
	for (i = 0; i < n; i += step) {
		step = 1 + (seed + i) % 13;
		if (step > n - i)
			step = n - i;
		dkim_body_update(&b, p + i, step);
	}
	dkim_body_final(&b);
	FUZZ_CHECK(whole.len == parts.len &&
	    (whole.len == 0 || memcmp(whole.data, parts.data, whole.len) == 0));
	FUZZ_CHECK(b.length == parts.len);
	if (whole.len == 0) {
		FUZZ_CHECK(c == DKIM_RELAXED);
		goto out;
	}
	FUZZ_CHECK(crlf_only(whole.data, whole.len));
	FUZZ_CHECK(whole.len >= 2 &&
	    memcmp(whole.data + whole.len - 2, "\r\n", 2) == 0);
	if (whole.len >= 4)
		FUZZ_CHECK(memcmp(whole.data + whole.len - 4, "\r\n\r\n", 4) != 0);
	if (c == DKIM_RELAXED) {
		FUZZ_CHECK(memchr(whole.data, '\t', whole.len) == NULL);
		for (i = 1; i < whole.len; i++) {
			FUZZ_CHECK(!(whole.data[i] == ' ' &&
			    whole.data[i - 1] == ' '));
			FUZZ_CHECK(!(whole.data[i] == '\r' &&
			    whole.data[i - 1] == ' ' && i + 1 < whole.len &&
			    whole.data[i + 1] == '\n'));
		}
	} else if (n > 0)
		/* simple keeps every octet but line ends and trailing lines */
		FUZZ_CHECK(whole.len <= 2 * n + 2);
out:
	buf_free(&whole);
	buf_free(&parts);
}

static void
check_field(const struct dkim_field *f)
{
	struct buf s, r;
	size_t	 i;

	buf_init(&s, 2 * f->rawlen + 16);
	buf_init(&r, 2 * f->rawlen + 16);
	FUZZ_CHECK(dkim_canon_header(DKIM_SIMPLE, f->raw, f->rawlen, &s) == 0);
	FUZZ_CHECK(dkim_canon_header(DKIM_RELAXED, f->raw, f->rawlen, &r) == 0);
	FUZZ_CHECK(crlf_only(s.data, s.len));
	/* without the field's own line end */
	FUZZ_CHECK(s.len == 0 || s.data[s.len - 1] != '\n');
	FUZZ_CHECK(r.len <= f->rawlen);
	/* a malformed name is copied as it is: such a field is never signed */
	if (f->namelen == 0)
		goto out;
	/* relaxed: one line, single spaces, none at the end */
	for (i = 0; i < r.len; i++) {
		FUZZ_CHECK(r.data[i] != '\n' && r.data[i] != '\t');
		if (i > 0)
			FUZZ_CHECK(!(r.data[i] == ' ' && r.data[i - 1] == ' '));
	}
	FUZZ_CHECK(r.len == 0 || r.data[r.len - 1] != ' ');
	FUZZ_CHECK(r.len > f->namelen && r.data[f->namelen] == ':');
	for (i = 0; i < f->namelen; i++)
		FUZZ_CHECK(!(r.data[i] >= 'A' && r.data[i] <= 'Z'));
	FUZZ_CHECK(r.len == f->namelen + 1 || r.data[f->namelen + 1] != ' ');
out:
	buf_free(&s);
	buf_free(&r);
}

static void
check_header(const char *h, size_t n)
{
	struct dkim_field f;
	struct dkim_sig sig;
	struct buf list, data, field;
	size_t	 off = 0, prev = 0, from = 0;

	while (dkim_field_next(h, n, &off, &f)) {
		FUZZ_CHECK(f.raw == h + prev && f.rawlen > 0 &&
		    off == prev + f.rawlen);
		FUZZ_CHECK(f.name == f.raw && f.namelen < f.rawlen);
		if (f.namelen == 4 && strncasecmp(f.name, "from", 4) == 0)
			from++;
		check_field(&f);
		prev = off;
	}
	FUZZ_CHECK(off == n);
	FUZZ_CHECK(dkim_field_count(h, n, "from") == from);

	buf_init(&list, 64 * n + 64);
	buf_init(&data, 64 * n + 64);
	buf_init(&field, 1 << 26);
	FUZZ_CHECK(dkim_headers_choose(h, n, &list) == 0);
	if (from == 0) {
		FUZZ_CHECK(list.len == 0 ||
		    strncmp(list.data, "from:from", 9) != 0);
		goto out;
	}
	FUZZ_CHECK(dkim_hlist_valid(list.data));
	FUZZ_CHECK(dkim_headers_canon(DKIM_RELAXED, h, n, list.data,
	    &data) == 0);
	FUZZ_CHECK(crlf_only(data.data, data.len));
	memset(&sig, 0, sizeof(sig));
	sig.algo = "ed25519-sha256";
	sig.domain = "example.org";
	sig.selector = "sel";
	sig.t = 1;
	sig.hlist = list.data;
	sig.bh = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
	FUZZ_CHECK(dkim_sig_format(&field, &sig, "\r\n") == 0);
	FUZZ_CHECK(crlf_only(field.data, field.len));
	FUZZ_CHECK(dkim_sig_add_b(&field, "AAAA", "\r\n") == 0);
	/* the field is a field: the header end is after it, not in it */
	{
		size_t	 scan = 0, hl, bo;

		FUZZ_CHECK(!dkim_header_end(field.data, field.len, &scan, &hl,
		    &bo));
	}
out:
	buf_free(&list);
	buf_free(&data);
	buf_free(&field);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t	 scan = 0, hl = 0, bo = 0, scan2 = 0, hl2 = 0, bo2 = 0, k, step;
	bool	 found, found2 = false;

	found = dkim_header_end(p, size, &scan, &hl, &bo);
	/* as the input arrives: octet by octet, or in pieces when long */
	step = size <= 512 ? 1 : 61;
	for (k = 0; !found2; k += step) {
		if (k > size)
			k = size;
		found2 = dkim_header_end(p, k, &scan2, &hl2, &bo2);
		if (k == size)
			break;
	}
	FUZZ_CHECK(found == found2);
	if (found) {
		FUZZ_CHECK(hl == hl2 && bo == bo2);
		FUZZ_CHECK(hl < bo && bo <= size && bo - hl <= 2);
		FUZZ_CHECK(p[bo - 1] == '\n');
	} else {
		hl = bo = size;
	}
	check_header(p, hl);
	check_body(DKIM_SIMPLE, p + bo, size - bo, size);
	check_body(DKIM_RELAXED, p + bo, size - bo, size);
	return 0;
}
