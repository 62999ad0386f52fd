/*
 * sha256.h — SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104).
 *
 * Small and I/O-free, so that the handler and the delivery runner can key
 * their SRS hashes (srs.h) without loading a crypto library.  Not meant
 * for bulk data: DKIM signing uses GnuTLS's hashes.
 *
 * A context is filled with *_init, fed any number of times with *_update
 * and read once with *_final, which wipes it (keys and partial blocks are
 * secrets).  The one-shot functions do all three.
 */
#ifndef TAMBO_SHA256_H
#define TAMBO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN	32	/* octets of a digest */
#define SHA256_BLOCK_LEN	64	/* octets of a block */

struct sha256 {
	uint32_t	 h[8];
	uint64_t	 len;		/* octets fed so far */
	unsigned char	 block[SHA256_BLOCK_LEN];
	size_t		 fill;		/* octets in block */
};

struct sha256_hmac {
	struct sha256	 inner;
	struct sha256	 outer;
};

void	sha256_init(struct sha256 *);
void	sha256_update(struct sha256 *, const void *, size_t);
/* Write the digest (SHA256_DIGEST_LEN octets) and wipe the context. */
void	sha256_final(struct sha256 *, unsigned char *digest);
/* The digest of p[0..n). */
void	sha256_digest(const void *p, size_t n, unsigned char *digest);

/* A key longer than a block is hashed first (RFC 2104 2). */
void	sha256_hmac_init(struct sha256_hmac *, const void *key,
	    size_t keylen);
void	sha256_hmac_update(struct sha256_hmac *, const void *, size_t);
/* Write the MAC (SHA256_DIGEST_LEN octets) and wipe the context. */
void	sha256_hmac_final(struct sha256_hmac *, unsigned char *mac);
/* The MAC of p[0..n) under key. */
void	sha256_hmac(const void *key, size_t keylen, const void *p, size_t n,
	    unsigned char *mac);

#endif
