/*
 * b64.h — base64 (RFC 4648 §4) for SMTP AUTH (RFC 4954).
 *
 * I/O-free.  The decoder is strict: the standard alphabet only, padding
 * required, no white space, no bits left over in the last character —
 * SASL exchanges have a single canonical form.
 */
#ifndef TAMBO_B64_H
#define TAMBO_B64_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes needed to decode n characters (an upper bound). */
#define B64_DECODED_MAX(n)	((n) / 4 * 3 + 3)
/* Characters needed to encode n bytes, plus the NUL. */
#define B64_ENCODED_SIZE(n)	(((n) + 2) / 3 * 4 + 1)

/*
 * Decode s[0..n) into out (outsz >= B64_DECODED_MAX(n)); the length is
 * stored in *len.  false for anything that is not canonical base64.
 */
bool	b64_decode(const char *s, size_t n, unsigned char *out, size_t outsz,
	    size_t *len);

/* Encode p[0..n) into out (outsz >= B64_ENCODED_SIZE(n)), NUL-terminated. */
void	b64_encode(const void *p, size_t n, char *out, size_t outsz);

#endif
