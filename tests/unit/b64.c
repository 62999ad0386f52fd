/*
 * b64.c — base64 round trips, RFC 4648 §10 vectors, and what the strict
 * decoder refuses.
 */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "tap.h"

static const struct {
	const char	*plain;
	const char	*enc;
} vectors[] = {		/* RFC 4648 10 */
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

static const char *bad[] = {
	"Zg",		/* no padding */
	"Zg=",		/* short padding */
	"Zh==",		/* bits under the padding */
	"Zm9=",		/* bits under the padding */
	"Z===",		/* too much padding */
	"=Zg=",		/* padding first */
	"Zg==Zg==",	/* padding in the middle */
	"Zm9v\n",	/* white space */
	"Zm 9v",
	"Zm9v-_==",	/* base64url alphabet */
	"Zm9\x80",
};

int
main(void)
{
	unsigned char out[64];
	char	 enc[64];
	size_t	 i, len;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const char *p = vectors[i].plain, *e = vectors[i].enc;

		b64_encode(p, strlen(p), enc, sizeof(enc));
		is_str(enc, e, "encode \"%s\"", p);
		ok(b64_decode(e, strlen(e), out, sizeof(out), &len) &&
		    len == strlen(p) && memcmp(out, p, len) == 0,
		    "decode \"%s\"", e);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!b64_decode(bad[i], strlen(bad[i]), out, sizeof(out), &len),
		    "refuse \"%s\"", bad[i]);
	/* AUTH PLAIN's NULs survive */
	ok(b64_decode("AGFsaWNlAHNlY3JldA==", 20, out, sizeof(out), &len) &&
	    len == 13 && memcmp(out, "\0alice\0secret", 13) == 0,
	    "PLAIN response with NULs");
	ok(!b64_decode("Zm9vYmFy", 8, out, 5, &len), "output too small");
	/* every byte value round-trips */
	{
		unsigned char all[256], back[B64_DECODED_MAX(344)];
		char	 e[B64_ENCODED_SIZE(256)];

		for (i = 0; i < 256; i++)
			all[i] = (unsigned char)i;
		for (size_t n = 0; n <= 256; n += 37) {
			b64_encode(all, n, e, sizeof(e));
			ok(b64_decode(e, strlen(e), back, sizeof(back), &len) &&
			    len == n && memcmp(back, all, n) == 0,
			    "round trip of %zu bytes", n);
		}
	}
	return done_testing();
}
