/*
 * fuzz_conf.c — tambo.conf lines (conf.h, conf_parse).
 *
 * The input is a configuration file.  The callback checks what conf.h
 * promises of each pair (NUL-terminated, trimmed, key not empty) and
 * records it; a plain second reading of the format in this file must find
 * the same pairs and the same bad line.  A key "stop" makes the callback
 * refuse, so the "callback said no" path is covered too.
 */
#include "buf.h"
#include "conf.h"
#include "fuzz.h"
#include "poison.h"

#define LINE_MAX_OCTETS	4095	/* conf.h: a longer line is bad */

struct pairs {
	struct buf	 b;	/* key NUL value NUL ... */
	size_t		 count;
};

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
record(const char *key, const char *val, void *ctx)
{
	struct pairs *pp = ctx;
	size_t	 kl, vl;

	FUZZ_CHECK(key != NULL && val != NULL);
	kl = strlen(key);
	vl = strlen(val);
	FUZZ_CHECK(kl > 0 && kl <= LINE_MAX_OCTETS && vl < LINE_MAX_OCTETS);
	FUZZ_CHECK(!blank(key[0]) && !blank(key[kl - 1]));
	FUZZ_CHECK(vl == 0 || (!blank(val[0]) && !blank(val[vl - 1])));
	FUZZ_CHECK(key[0] != '#' && strchr(key, '=') == NULL);
	FUZZ_CHECK(strchr(key, '\n') == NULL && strchr(val, '\n') == NULL);
	FUZZ_CHECK(buf_add(&pp->b, key, kl + 1) == 0);
	FUZZ_CHECK(buf_add(&pp->b, val, vl + 1) == 0);
	pp->count++;
	return strcmp(key, "stop") == 0 ? 1 : 0;
}

/*
 * The format, read plainly: lines end at LF (one CR before it dropped);
 * blank lines and "#" comments are skipped; otherwise "key = value".
 */
static size_t
ref_parse(const char *t, size_t n, struct pairs *pp)
{
	size_t	 pos = 0, lineno = 0;

	while (pos < n) {
		const char *line = t + pos, *nl, *eq;
		size_t	 len, k0, k1, v0, v1;

		lineno++;
		nl = memchr(line, '\n', n - pos);
		len = nl ? (size_t)(nl - line) : n - pos;
		pos += len + (nl ? 1 : 0);
		if (len > LINE_MAX_OCTETS || memchr(line, '\0', len) != NULL)
			return lineno;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		for (k0 = 0; k0 < len && blank(line[k0]); k0++)
			;
		if (k0 == len || line[k0] == '#')
			continue;
		if ((eq = memchr(line + k0, '=', len - k0)) == NULL)
			return lineno;
		for (k1 = (size_t)(eq - line); k1 > k0 && blank(line[k1 - 1]);
		    k1--)
			;
		if (k1 == k0)
			return lineno;
		for (v0 = (size_t)(eq - line) + 1; v0 < len &&
		    blank(line[v0]); v0++)
			;
		for (v1 = len; v1 > v0 && blank(line[v1 - 1]); v1--)
			;
		FUZZ_CHECK(buf_add(&pp->b, line + k0, k1 - k0) == 0);
		FUZZ_CHECK(buf_addc(&pp->b, '\0') == 0);
		FUZZ_CHECK(buf_add(&pp->b, line + v0, v1 - v0) == 0);
		FUZZ_CHECK(buf_addc(&pp->b, '\0') == 0);
		pp->count++;
		if (k1 - k0 == 4 && memcmp(line + k0, "stop", 4) == 0)
			return lineno;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct pairs got, want;
	size_t	 bad, ref;

	/* conf_load refuses bigger files before parsing. */
	if (size > CONF_FILE_MAX)
		return 0;
	buf_init(&got.b, 2 * size + 16);
	got.count = 0;
	buf_init(&want.b, 2 * size + 16);
	want.count = 0;

	bad = conf_parse(text, size, record, &got);
	ref = ref_parse(text, size, &want);
	FUZZ_CHECK(bad == ref);
	FUZZ_CHECK(got.count == want.count);
	FUZZ_CHECK(got.b.len == want.b.len);
	FUZZ_CHECK(got.b.len == 0 ||
	    memcmp(got.b.data, want.b.data, got.b.len) == 0);

	buf_free(&got.b);
	buf_free(&want.b);
	return 0;
}
