/*
 * dkimsign.h — the parts of libexec/tambo/dkimsign (tambo-dkimsign(8)).
 *
 *   key.c    private keys through GnuTLS: load, sign, public key record,
 *            generation
 *   sign.c   one message: read, canonicalise and hash as it passes, sign,
 *            write the signatures and the message unchanged
 *   main.c   options, the keys of a domain, exit statuses
 *
 * Functions return sysexits(3) codes; what went wrong is logged where it
 * happened (log.h), naming the file.
 */
#ifndef TAMBO_DKIMSIGN_H
#define TAMBO_DKIMSIGN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gnutls/abstract.h>

#include "addr.h"
#include "dkim.h"

#define DK_SIGNERS_MAX	8	/* signatures in one pass */
#define DK_TAGS_MAX	4	/* --tag */
#define DK_KEYFILE_MAX	(64 * 1024)
#define DK_RSA_MIN	2048u
#define DK_RSA_WEAK_MIN	1024	/* with --allow-small-rsa, test vectors */
#define DK_RSA_MAX	4096u	/* RFC 8301 3.2: what verifiers must take */

enum dk_alg {
	DK_RSA,
	DK_ED25519,
};

struct dk_key {
	gnutls_privkey_t pk;
	enum dk_alg	 alg;
	unsigned	 bits;
};

/* One signature to make: d=, s= and the key. */
struct dk_signer {
	char		 domain[ADDR_DOMAIN_MAX + 1];
	char		 selector[ADDR_DOMAIN_MAX + 1];
	char		 path[PATH_MAX];
	struct dk_key	 key;
	bool		 loaded;
};

/* What applies to every signature of the pass. */
struct dk_opts {
	enum dkim_canon	 hcanon, bcanon;
	uint64_t	 t;		/* t= */
	uint64_t	 expire;	/* seconds after t for x=; 0: none */
	const char	*hlist;		/* -h, or NULL: dkim_headers_choose */
	const char	*tags[DK_TAGS_MAX];
	size_t		 ntags;
	bool		 allow_small;	/* RSA keys from 1024 bits */
};

/* The a= name of an algorithm. */
const char *dk_alg_name(enum dk_alg);

/*
 * Load the private key at path (PEM: PKCS#8, or PKCS#1 for RSA).  EX_OK,
 * or EX_TEMPFAIL with a log line naming the file and the reason.
 */
int	dk_key_load(struct dk_key *, const char *path, bool allow_small);
void	dk_key_free(struct dk_key *);

/*
 * Sign the canonical header data (RFC 6376 3.7): RSASSA-PKCS1-v1_5 with
 * SHA-256, or Ed25519 over the SHA-256 of the data (RFC 8463 3).  The
 * signature in base64 goes to out (outsz >= B64_ENCODED_SIZE(512)).
 */
int	dk_key_sign(const struct dk_key *, const void *data, size_t len,
	    char *out, size_t outsz);

/* Print the DNS TXT value for the key at path: "v=DKIM1; k=...; p=...". */
int	dk_key_print_public(const char *path);

/* Write a new key to path (O_EXCL, mode 0600): "rsa" or "ed25519". */
int	dk_key_generate(const char *type, unsigned bits, const char *path);

/*
 * Sign the message on standard input with each signer and write the
 * DKIM-Signature fields, then the message as it came, to standard output.
 */
int	dk_sign(struct dk_signer *, size_t nsigners, const struct dk_opts *);

#endif
