/*
 * sha256.c — SHA-256 (FIPS 180-4 6.2) and HMAC (RFC 2104), see sha256.h.
 *
 * The message schedule and compression follow the standard's text one to
 * one; words are read and written big-endian byte by byte, so the code is
 * the same on every host.  Padding (FIPS 180-4 5.1.1): a 1 bit, zeros, and
 * the length in bits as 64 bits, ending on a block boundary.
 */
#include <string.h>

#include "sha256.h"
#include "poison.h"

static const uint32_t sha256_k[64] = {	/* FIPS 180-4 4.2.2 */
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t
sha256_rotr(uint32_t x, unsigned n)
{
	return x >> n | x << (32 - n);
}

/* One 512-bit block into the hash value (FIPS 180-4 6.2.2). */
static void
sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	unsigned t;

	for (t = 0; t < 16; t++)
		w[t] = (uint32_t)p[4 * t] << 24 | (uint32_t)p[4 * t + 1] << 16 |
		    (uint32_t)p[4 * t + 2] << 8 | (uint32_t)p[4 * t + 3];
	for (t = 16; t < 64; t++) {
		uint32_t s0 = sha256_rotr(w[t - 15], 7) ^
		    sha256_rotr(w[t - 15], 18) ^ w[t - 15] >> 3;
		uint32_t s1 = sha256_rotr(w[t - 2], 17) ^
		    sha256_rotr(w[t - 2], 19) ^ w[t - 2] >> 10;

		w[t] = s1 + w[t - 7] + s0 + w[t - 16];
	}
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	f = h[5];
	g = h[6];
	hh = h[7];
	for (t = 0; t < 64; t++) {
		t1 = hh + (sha256_rotr(e, 6) ^ sha256_rotr(e, 11) ^
		    sha256_rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[t] +
		    w[t];
		t2 = (sha256_rotr(a, 2) ^ sha256_rotr(a, 13) ^
		    sha256_rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
	explicit_bzero(w, sizeof(w));
}

void
sha256_init(struct sha256 *s)
{
	static const uint32_t iv[8] = {		/* FIPS 180-4 5.3.3 */
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memset(s, 0, sizeof(*s));
	memcpy(s->h, iv, sizeof(iv));
}

void
sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t	 take;

	s->len += n;
	if (s->fill > 0) {
		take = SHA256_BLOCK_LEN - s->fill;
		if (take > n)
			take = n;
		memcpy(s->block + s->fill, p, take);
		s->fill += take;
		p += take;
		n -= take;
		if (s->fill < SHA256_BLOCK_LEN)
			return;
		sha256_block(s->h, s->block);
		s->fill = 0;
	}
	for (; n >= SHA256_BLOCK_LEN; p += SHA256_BLOCK_LEN,
	    n -= SHA256_BLOCK_LEN)
		sha256_block(s->h, p);
	if (n > 0) {
		memcpy(s->block, p, n);
		s->fill = n;
	}
}

void
sha256_final(struct sha256 *s, unsigned char *digest)
{
	uint64_t bits = s->len * 8;
	unsigned i;

	s->block[s->fill++] = 0x80;
	if (s->fill > SHA256_BLOCK_LEN - 8) {
		memset(s->block + s->fill, 0, SHA256_BLOCK_LEN - s->fill);
		sha256_block(s->h, s->block);
		s->fill = 0;
	}
	memset(s->block + s->fill, 0, SHA256_BLOCK_LEN - 8 - s->fill);
	for (i = 0; i < 8; i++)
		s->block[SHA256_BLOCK_LEN - 1 - i] =
		    (unsigned char)(bits >> (8 * i));
	sha256_block(s->h, s->block);
	for (i = 0; i < 8; i++) {
		digest[4 * i] = (unsigned char)(s->h[i] >> 24);
		digest[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
		digest[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
		digest[4 * i + 3] = (unsigned char)s->h[i];
	}
	explicit_bzero(s, sizeof(*s));
}

void
sha256_digest(const void *p, size_t n, unsigned char *digest)
{
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, p, n);
	sha256_final(&s, digest);
}

/* RFC 2104 2: H(K ^ opad, H(K ^ ipad, text)). */
void
sha256_hmac_init(struct sha256_hmac *m, const void *key, size_t keylen)
{
	unsigned char k[SHA256_BLOCK_LEN], pad[SHA256_BLOCK_LEN];
	size_t	 i;

	memset(k, 0, sizeof(k));
	if (keylen > SHA256_BLOCK_LEN)
		sha256_digest(key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < SHA256_BLOCK_LEN; i++)
		pad[i] = k[i] ^ 0x36;
	sha256_init(&m->inner);
	sha256_update(&m->inner, pad, sizeof(pad));
	for (i = 0; i < SHA256_BLOCK_LEN; i++)
		pad[i] = k[i] ^ 0x5c;
	sha256_init(&m->outer);
	sha256_update(&m->outer, pad, sizeof(pad));
	explicit_bzero(k, sizeof(k));
	explicit_bzero(pad, sizeof(pad));
}

void
sha256_hmac_update(struct sha256_hmac *m, const void *p, size_t n)
{
	sha256_update(&m->inner, p, n);
}

void
sha256_hmac_final(struct sha256_hmac *m, unsigned char *mac)
{
	unsigned char inner[SHA256_DIGEST_LEN];

	sha256_final(&m->inner, inner);
	sha256_update(&m->outer, inner, sizeof(inner));
	sha256_final(&m->outer, mac);
	explicit_bzero(inner, sizeof(inner));
	explicit_bzero(m, sizeof(*m));
}

void
sha256_hmac(const void *key, size_t keylen, const void *p, size_t n,
    unsigned char *mac)
{
	struct sha256_hmac m;

	sha256_hmac_init(&m, key, keylen);
	sha256_hmac_update(&m, p, n);
	sha256_hmac_final(&m, mac);
}
