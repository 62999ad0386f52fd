/*
 * fuzz_msgcheck.c — the streaming message checker (msg.h).
 *
 * The input is message content.  Its first byte picks where to split it,
 * its second the size limit and the Received: limit.  It is fed in one
 * piece, in two pieces split there, and a byte at a time: the checker
 * keeps state across pieces, so all three must give the same flags and
 * size.  The flags are also compared with a second, deliberately plain
 * reading of the rules in msg.h (lines, then the header block).
 */
#include "fuzz.h"
#include "msg.h"
#include "poison.h"

/* The flags msg_check_end reports, computed from the whole message. */
static unsigned
ref_flags(const unsigned char *s, size_t n, uint64_t max_size,
    unsigned max_received)
{
	unsigned flags = 0, received = 0;
	bool	 in_header = true;
	size_t	 start = 0, i;

	if (max_size != 0 && n > max_size)
		flags |= MSG_TOO_BIG;
	if (memchr(s, '\0', n) != NULL)
		flags |= MSG_NUL;
	for (i = 0; i < n; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			flags |= MSG_BARE_LF;
		if (s[i] == '\r' && (i + 1 == n || s[i + 1] != '\n'))
			flags |= MSG_BARE_LF;
	}
	/* A line ends at LF; a CR just before it is not part of the line. */
	for (i = 0; i <= n; i++) {
		size_t	 len;

		if (i < n && s[i] != '\n')
			continue;
		if (i == n) {
			/* The unfinished last line: only its length counts. */
			len = n - start;
			if (len > 0 && s[n - 1] == '\r')
				len--;
			if (len > MSG_LINE_MAX)
				flags |= MSG_LONG_LINE;
			break;
		}
		len = i - start;
		if (len > 0 && s[i - 1] == '\r')
			len--;
		if (len > MSG_LINE_MAX)
			flags |= MSG_LONG_LINE;
		if (in_header) {
			if (len == 0)
				in_header = false;
			else if (len >= 9 &&
			    strncasecmp((const char *)s + start, "received:",
			    9) == 0 && memchr(s + start, '\0', 9) == NULL &&
			    ++received > max_received)
				flags |= MSG_LOOP;
		}
		start = i + 1;
	}
	return flags;
}

static void
check_result(const struct msg_check *c, unsigned flags, size_t n)
{
	FUZZ_CHECK(c->size == n);
	FUZZ_CHECK((flags & ~(unsigned)(MSG_BARE_LF | MSG_NUL | MSG_LONG_LINE |
	    MSG_TOO_BIG | MSG_LOOP)) == 0);
	FUZZ_CHECK((msg_check_reply(flags) == REPLY_OK) == (flags == 0));
	FUZZ_CHECK(msg_check_reason(flags) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msg_check whole, split, bytes;
	unsigned fw, fs, fb, fr, want;
	uint64_t max_size = 0;
	unsigned max_received = 100;
	size_t	 cut = 0, i;

	if (size > 0)
		cut = (size_t)(((uint64_t)size * data[0]) / 255);
	if (size > 1) {
		/* Low bits: the loop limit; high bits: a limit near size. */
		max_received = data[1] & 3;
		if (data[1] & 0x80)
			max_size = size + (data[1] & 0x40 ? 0 : 1) -
			    ((data[1] >> 2) & 1);
	}

	msg_check_init(&whole, max_size, max_received);
	fw = msg_check_feed(&whole, data, size);
	FUZZ_CHECK(fw == whole.flags);
	fw = msg_check_end(&whole);
	check_result(&whole, fw, size);

	msg_check_init(&split, max_size, max_received);
	fs = msg_check_feed(&split, data, cut);
	fs = msg_check_feed(&split, data + cut, size - cut);
	fs = msg_check_end(&split);
	check_result(&split, fs, size);
	FUZZ_CHECK(fs == fw);

	msg_check_init(&bytes, max_size, max_received);
	fb = 0;
	for (i = 0; i < size && i < 8192; i++) {
		unsigned f = msg_check_feed(&bytes, data + i, 1);

		/* Flags only accumulate. */
		FUZZ_CHECK((f & fb) == fb);
		fb = f;
	}
	if (i == size) {
		fb = msg_check_end(&bytes);
		check_result(&bytes, fb, size);
		FUZZ_CHECK(fb == fw);
	}

	/* An empty feed changes nothing. */
	FUZZ_CHECK(msg_check_feed(&whole, data, 0) == fw);

	/*
	 * The plain reading.  A bare CR inside a line is counted but not
	 * kept, so after one the checker may misjudge a header's name or a
	 * line's length; that only matters once the message is refused for
	 * the bare CR, which is reported first (msg_check_reply).
	 */
	fr = ref_flags(data, size, max_size, max_received);
	want = fr;
	if (fr & MSG_BARE_LF) {
		unsigned loose = MSG_LOOP | MSG_LONG_LINE;

		want = (fr & ~loose) | (fw & loose);
	}
	FUZZ_CHECK(fw == want);
	return 0;
}
