/*
 * fuzz_logfield.c — reading log lines back (log_field, log.h).
 *
 * The input is split at its first NUL: the part before is a value, the
 * part after a line.  The value is written with log_mem between two other
 * fields by the writer, and log_field must give it back byte for byte (up
 * to a NUL in it, and unless the line was cut), with the next field
 * intact: the writer's quoting and the reader's unquoting agree, and no
 * value can forge a field.  The line, as any text, is read for a few keys
 * into buffers of every small size: the result always fits, is
 * NUL-terminated, and a shorter buffer gives a prefix of the longer one.
 */
#include "fuzz.h"
#include "log.h"
#include "poison.h"

static void
fuzz_roundtrip(const uint8_t *v, size_t n)
{
	struct logline l;
	char	 line[LOG_LINE_MAX + 1], out[LOG_LINE_MAX + 1];
	const uint8_t *nul;
	size_t	 want;

	log_start(&l, LOG_INFO, "fuzz");
	log_str(&l, "k", "x");
	log_mem(&l, "val", v, n);
	log_str(&l, "next", "end");
	if (l.len >= sizeof(l.buf) - 16 - 1)
		return;		/* cut: the end of the value is gone */
	memcpy(line, l.buf, l.len);
	line[l.len] = '\0';
	FUZZ_CHECK(log_field(line, "val", out, sizeof(out)));
	nul = memchr(v, 0, n);
	want = nul != NULL ? (size_t)(nul - v) : n;
	FUZZ_CHECK(strlen(out) == want && memcmp(out, v, want) == 0);
	FUZZ_CHECK(log_field(line, "next", out, sizeof(out)) &&
	    strcmp(out, "end") == 0);
	FUZZ_CHECK(log_field(line, "k", out, sizeof(out)) &&
	    strcmp(out, "x") == 0);
}

static void
fuzz_read(const char *line)
{
	static const char *const keys[] = { "event", "id", "to", "text", "k" };
	char	 big[512], small[16];
	size_t	 i, sz;
	bool	 found;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		memset(big, 'Z', sizeof(big));
		found = log_field(line, keys[i], big, sizeof(big));
		if (found)
			FUZZ_CHECK(fuzz_cstr_in(big, sizeof(big)));
		for (sz = 1; sz <= sizeof(small); sz++) {
			memset(small, 'Z', sizeof(small));
			FUZZ_CHECK(log_field(line, keys[i], small, sz) ==
			    found);
			if (!found)
				continue;
			FUZZ_CHECK(memchr(small, '\0', sz) != NULL);
			FUZZ_CHECK(strncmp(small, big, strlen(small)) == 0);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char line[LOG_LINE_MAX * 2];
	const uint8_t *nul = memchr(data, 0, size);
	size_t	 vlen = nul != NULL ? (size_t)(nul - data) : size, n;

	log_open("fuzz");
	fuzz_roundtrip(data, vlen);
	if (nul == NULL)
		return 0;
	n = size - vlen - 1;
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, nul + 1, n);
	line[n] = '\0';
	fuzz_read(line);
	return 0;
}
