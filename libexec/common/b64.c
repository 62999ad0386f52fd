/*
 * b64.c — strict base64 (see b64.h).
 */
#include <assert.h>
#include <string.h>

#include "b64.h"
#include "poison.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

bool
b64_decode(const char *s, size_t n, unsigned char *out, size_t outsz,
    size_t *len)
{
	size_t	 i, o = 0;

	*len = 0;
	if (n % 4 != 0 || outsz < B64_DECODED_MAX(n))
		return false;
	for (i = 0; i < n; i += 4) {
		int	 v[4], k, pad = 0;
		unsigned long w;

		for (k = 0; k < 4; k++) {
			unsigned char c = (unsigned char)s[i + (size_t)k];

			if (c == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[k] = b64_value(c)) < 0)
				return false;
		}
		w = (unsigned long)v[0] << 18 | (unsigned long)v[1] << 12 |
		    (unsigned long)v[2] << 6 | (unsigned long)v[3];
		/* Canonical: the bits under the padding are zero. */
		if ((pad == 1 && (w & 0xff)) || (pad == 2 && (w & 0xffff)))
			return false;
		out[o++] = (unsigned char)(w >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(w >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)w;
	}
	*len = o;
	return true;
}

void
b64_encode(const void *p, size_t n, char *out, size_t outsz)
{
	const unsigned char *s = p;
	size_t	 i, o = 0;

	assert(outsz >= B64_ENCODED_SIZE(n));
	for (i = 0; i + 2 < n; i += 3) {
		unsigned long w = (unsigned long)s[i] << 16 |
		    (unsigned long)s[i + 1] << 8 | s[i + 2];

		out[o++] = b64_alphabet[(w >> 18) & 63];
		out[o++] = b64_alphabet[(w >> 12) & 63];
		out[o++] = b64_alphabet[(w >> 6) & 63];
		out[o++] = b64_alphabet[w & 63];
	}
	if (i < n) {
		unsigned long w = (unsigned long)s[i] << 16 |
		    (i + 1 < n ? (unsigned long)s[i + 1] << 8 : 0);

		out[o++] = b64_alphabet[(w >> 18) & 63];
		out[o++] = b64_alphabet[(w >> 12) & 63];
		out[o++] = i + 1 < n ? b64_alphabet[(w >> 6) & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
}
