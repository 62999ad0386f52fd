/*
 * sha256.c — SHA-256 against the FIPS 180-2 / NIST examples (the million
 * "a" included), padding at every block boundary, input fed in pieces of
 * every size, and HMAC-SHA256 against the RFC 4231 test cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "tap.h"

static void
hex(const unsigned char *p, size_t n, char *out)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		(void)snprintf(out + 2 * i, 3, "%02x", p[i]);
	out[2 * n] = '\0';
}

static size_t
unhex(const char *s, unsigned char *out, size_t outsz)
{
	size_t	 n = strlen(s) / 2, i;
	unsigned v;

	if (n > outsz)
		bail_out("test vector too long", s);
	for (i = 0; i < n; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			bail_out("bad hex in test vector", s);
		out[i] = (unsigned char)v;
	}
	return n;
}

static const struct {
	const char	*msg;
	const char	*digest;
} fips[] = {
	{ "",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abc",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
	  "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};

/*
 * Lengths around the padding's boundaries (56 octets leave no room for the
 * length in the same block); message octet i is (7 i + 3) mod 256.  The
 * digests come from an independent implementation.
 */
static const struct {
	size_t		 len;
	const char	*digest;
} edges[] = {
	{ 55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b" },
	{ 56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27" },
	{ 57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73" },
	{ 63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055" },
	{ 64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241" },
	{ 65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e" },
	{ 119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e" },
	{ 120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5" },
	{ 127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07" },
	{ 128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6" },
};

/* RFC 4231 4.2-4.8; keys and data in hex. */
static const struct {
	const char	*key;
	const char	*data;
	const char	*mac;		/* case 5 is truncated to 128 bits */
} rfc4231[] = {
	{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
	  "4869205468657265",
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "4a656665",
	  "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
	  "dddddddddddddddddddddddddddddddddddd",
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "0102030405060708090a0b0c0d0e0f10111213141516171819",
	  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
	  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
	  "546573742057697468205472756e636174696f6e",
	  "a3b6167473100ee06e0c796c2955552b" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaa",
	  "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a"
	  "65204b6579202d2048617368204b6579204669727374",
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "aaaaaa",
	  "5468697320697320612074657374207573696e672061206c6172676572207468"
	  "616e20626c6f636b2d73697a65206b657920616e642061206c61726765722074"
	  "68616e20626c6f636b2d73697a6520646174612e20546865206b6579206e6565"
	  "647320746f20626520686173686564206265666f7265206265696e6720757365"
	  "642062792074686520484d414320616c676f726974686d2e",
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_fips(void)
{
	unsigned char d[SHA256_DIGEST_LEN];
	char	 h[2 * SHA256_DIGEST_LEN + 1];
	size_t	 i;

	for (i = 0; i < NITEMS(fips); i++) {
		sha256_digest(fips[i].msg, strlen(fips[i].msg), d);
		hex(d, sizeof(d), h);
		is_str(h, fips[i].digest, "FIPS 180-2 example of %zu octets",
		    strlen(fips[i].msg));
	}
}

static void
test_million(void)
{
	struct sha256 s;
	unsigned char d[SHA256_DIGEST_LEN], a[1000];
	char	 h[2 * SHA256_DIGEST_LEN + 1];
	size_t	 i;

	/* in 1000-octet pieces, which straddle the block boundaries */
	memset(a, 'a', sizeof(a));
	sha256_init(&s);
	for (i = 0; i < 1000; i++)
		sha256_update(&s, a, sizeof(a));
	sha256_final(&s, d);
	hex(d, sizeof(d), h);
	is_str(h, "cdc76e5c9914fb9281a1c7e284d73e67"
	    "f1809a48a497200e046d39ccc7112cd0", "one million \"a\"");
}

static void
test_edges(void)
{
	unsigned char msg[256], d[SHA256_DIGEST_LEN];
	char	 h[2 * SHA256_DIGEST_LEN + 1];
	size_t	 i;

	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 7 + 3);
	for (i = 0; i < NITEMS(edges); i++) {
		sha256_digest(msg, edges[i].len, d);
		hex(d, sizeof(d), h);
		is_str(h, edges[i].digest, "%zu octets (padding boundary)",
		    edges[i].len);
	}
}

/* Any split of the input gives the one-shot digest. */
static void
test_pieces(void)
{
	unsigned char msg[300], one[SHA256_DIGEST_LEN], d[SHA256_DIGEST_LEN];
	struct sha256 s;
	size_t	 len, step, off, bad = 0, runs = 0;

	for (len = 0; len < sizeof(msg); len++)
		msg[len] = (unsigned char)(len * 31 + 11);
	for (len = 0; len <= sizeof(msg); len += 13) {
		sha256_digest(msg, len, one);
		for (step = 1; step <= 130; step++) {
			sha256_init(&s);
			for (off = 0; off < len; off += step)
				sha256_update(&s, msg + off,
				    len - off < step ? len - off : step);
			sha256_update(&s, msg, 0);
			sha256_final(&s, d);
			runs++;
			if (memcmp(d, one, sizeof(d)) != 0)
				bad++;
		}
	}
	ok(bad == 0, "pieces of 1 to 130 octets agree with one call "
	    "(%zu runs, %zu differ)", runs, bad);
}

static void
test_hmac(void)
{
	unsigned char key[256], data[256], mac[SHA256_DIGEST_LEN];
	struct sha256_hmac m;
	char	 h[2 * SHA256_DIGEST_LEN + 1];
	size_t	 i, kl, dl, want;

	for (i = 0; i < NITEMS(rfc4231); i++) {
		kl = unhex(rfc4231[i].key, key, sizeof(key));
		dl = unhex(rfc4231[i].data, data, sizeof(data));
		want = strlen(rfc4231[i].mac) / 2;
		sha256_hmac(key, kl, data, dl, mac);
		hex(mac, want, h);
		is_str(h, rfc4231[i].mac, "RFC 4231 test case %zu", i + 1);

		/* the same in two pieces */
		sha256_hmac_init(&m, key, kl);
		sha256_hmac_update(&m, data, dl / 3);
		sha256_hmac_update(&m, data + dl / 3, dl - dl / 3);
		sha256_hmac_final(&m, mac);
		hex(mac, want, h);
		is_str(h, rfc4231[i].mac, "RFC 4231 test case %zu in pieces",
		    i + 1);
	}
	/* A key of exactly one block is used as it is, not hashed. */
	memset(key, 0x42, SHA256_BLOCK_LEN);
	sha256_hmac(key, SHA256_BLOCK_LEN, "x", 1, mac);
	{
		unsigned char k2[SHA256_DIGEST_LEN], mac2[SHA256_DIGEST_LEN];

		sha256_digest(key, SHA256_BLOCK_LEN, k2);
		sha256_hmac(k2, sizeof(k2), "x", 1, mac2);
		ok(memcmp(mac, mac2, sizeof(mac)) != 0,
		    "a 64-octet key is not hashed");
		sha256_digest(key, SHA256_BLOCK_LEN + 1, k2);
		sha256_hmac(key, SHA256_BLOCK_LEN + 1, "x", 1, mac);
		sha256_hmac(k2, sizeof(k2), "x", 1, mac2);
		ok(memcmp(mac, mac2, sizeof(mac)) == 0,
		    "a 65-octet key is hashed first");
	}
	/* The context is wiped by final. */
	sha256_hmac_init(&m, "secret", 6);
	sha256_hmac_final(&m, mac);
	{
		static const struct sha256_hmac zero;

		ok(memcmp(&m, &zero, sizeof(m)) == 0,
		    "hmac final wipes the context");
	}
}

int
main(void)
{
	test_fips();
	test_million();
	test_edges();
	test_pieces();
	test_hmac();
	return done_testing();
}
