/*
 * key.c — DKIM private keys through GnuTLS (nettle underneath).
 *
 * RFC 6376 3.3.1 (rsa-sha256: RSASSA-PKCS1-v1_5 with SHA-256), 3.6.1 (the
 * key record: v=DKIM1; k=; p= the SubjectPublicKeyInfo in base64), RFC
 * 8301 3.2 (RSA keys of 1024 bits at the very least; tambo wants 2048),
 * RFC 8463 3 and 4 (ed25519-sha256: the signature is PureEdDSA over the
 * SHA-256 hash of the header data, not over the data itself; p= is the
 * raw 32-octet public key).
 *
 * Keys are PEM files, PKCS#8 as written by dkimsign --keygen and by
 * openssl genpkey, or PKCS#1 RSA.  Key bytes are wiped after the import.
 * GnuTLS API up to 3.7.3 only (Ubuntu 22.04).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "b64.h"
#include "conf.h"
#include "dkimsign.h"
#include "log.h"
#include "poison.h"

/* The DER SubjectPublicKeyInfo of an Ed25519 key, before the key itself. */
static const unsigned char dk_ed25519_spki[] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
};

static void
dk_key_log(int prio, const char *path, const char *reason, const char *detail)
{
	struct logline l;

	log_start(&l, prio, prio <= LOG_ERR ? "error" : "warning");
	log_str(&l, "what", "dkim key");
	log_str(&l, "file", path);
	log_str(&l, "reason", reason);
	if (detail != NULL)
		log_str(&l, "detail", detail);
	log_emit(&l);
}

const char *
dk_alg_name(enum dk_alg a)
{
	return a == DK_ED25519 ? "ed25519-sha256" : "rsa-sha256";
}

void
dk_key_free(struct dk_key *k)
{
	if (k->pk != NULL)
		gnutls_privkey_deinit(k->pk);
	k->pk = NULL;
}

int
dk_key_load(struct dk_key *k, const char *path, bool allow_small)
{
	gnutls_datum_t d;
	struct stat st;
	char	*text = NULL, why[128];
	size_t	 len;
	unsigned bits = 0;
	int	 r, alg;

	k->pk = NULL;
	if (conf_read_file(path, DK_KEYFILE_MAX, &text, &len) == -1) {
		dk_key_log(LOG_ERR, path, "cannot read", strerror(errno));
		return EX_TEMPFAIL;
	}
	if (stat(path, &st) == 0 && (st.st_mode & S_IROTH))
		dk_key_log(LOG_WARNING, path, "readable by all users", NULL);
	if ((r = gnutls_privkey_init(&k->pk)) < 0) {
		explicit_bzero(text, len);
		free(text);
		dk_key_log(LOG_ERR, path, "gnutls", gnutls_strerror(r));
		return EX_TEMPFAIL;
	}
	d.data = (unsigned char *)text;
	d.size = (unsigned)len;
	r = gnutls_privkey_import_x509_raw(k->pk, &d, GNUTLS_X509_FMT_PEM,
	    NULL, 0);
	explicit_bzero(text, len);
	free(text);
	if (r < 0) {
		dk_key_log(LOG_ERR, path, "not a PEM private key",
		    gnutls_strerror(r));
		goto fail;
	}
	alg = gnutls_privkey_get_pk_algorithm(k->pk, &bits);
	if (alg == GNUTLS_PK_RSA) {
		k->alg = DK_RSA;
		k->bits = bits;
		if (bits < (allow_small ? DK_RSA_WEAK_MIN : DK_RSA_MIN) ||
		    bits > DK_RSA_MAX) {
			(void)snprintf(why, sizeof(why), "RSA key of %u bits "
			    "(%u to %u wanted)", bits, DK_RSA_MIN, DK_RSA_MAX);
			dk_key_log(LOG_ERR, path, why, NULL);
			goto fail;
		}
	} else if (alg == GNUTLS_PK_EDDSA_ED25519) {
		k->alg = DK_ED25519;
		k->bits = 256;
	} else {
		dk_key_log(LOG_ERR, path, "not an RSA or Ed25519 key",
		    alg < 0 ? gnutls_strerror(alg) :
		    gnutls_pk_get_name((gnutls_pk_algorithm_t)alg));
		goto fail;
	}
	return EX_OK;
fail:
	dk_key_free(k);
	return EX_TEMPFAIL;
}

int
dk_key_sign(const struct dk_key *k, const void *data, size_t len, char *out,
    size_t outsz)
{
	unsigned char digest[32];
	gnutls_datum_t d, sig = { NULL, 0 };
	int	 r;

	if (k->alg == DK_ED25519) {
		/* RFC 8463 3: Ed25519 signs the SHA-256 of the header data */
		if ((r = gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len,
		    digest)) < 0)
			goto fail;
		d.data = digest;
		d.size = sizeof(digest);
		r = gnutls_privkey_sign_data2(k->pk, GNUTLS_SIGN_EDDSA_ED25519,
		    0, &d, &sig);
	} else {
		d.data = (unsigned char *)(uintptr_t)data;
		d.size = (unsigned)len;
		r = gnutls_privkey_sign_data2(k->pk, GNUTLS_SIGN_RSA_SHA256, 0,
		    &d, &sig);
	}
	if (r < 0)
		goto fail;
	if (outsz < B64_ENCODED_SIZE(sig.size)) {
		gnutls_free(sig.data);
		log_error("dkim sign", "signature too long", 0);
		return EX_SOFTWARE;
	}
	b64_encode(sig.data, sig.size, out, outsz);
	gnutls_free(sig.data);
	return EX_OK;
fail:
	log_error("dkim sign", gnutls_strerror(r), 0);
	return EX_TEMPFAIL;
}

int
dk_key_print_public(const char *path)
{
	struct dk_key k;
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t der = { NULL, 0 };
	char	*b64 = NULL;
	const unsigned char *p;
	size_t	 n, sz;
	int	 r, rc = EX_TEMPFAIL;

	/* any size: the record of an old small key is worth seeing */
	if ((rc = dk_key_load(&k, path, true)) != EX_OK)
		return rc;
	rc = EX_TEMPFAIL;
	if ((r = gnutls_pubkey_init(&pub)) < 0 ||
	    (r = gnutls_pubkey_import_privkey(pub, k.pk, 0, 0)) < 0 ||
	    (r = gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &der)) < 0) {
		dk_key_log(LOG_ERR, path, "no public key", gnutls_strerror(r));
		goto out;
	}
	p = der.data;
	n = der.size;
	if (k.alg == DK_ED25519) {
		/* RFC 8463 4.2: the bare key, not the SubjectPublicKeyInfo */
		if (n != sizeof(dk_ed25519_spki) + 32 ||
		    memcmp(p, dk_ed25519_spki, sizeof(dk_ed25519_spki)) != 0) {
			dk_key_log(LOG_ERR, path, "unexpected Ed25519 key "
			    "encoding", NULL);
			goto out;
		}
		p += sizeof(dk_ed25519_spki);
		n = 32;
	}
	sz = B64_ENCODED_SIZE(n);
	if ((b64 = malloc(sz)) == NULL) {
		log_error("dkim public key", NULL, errno);
		goto out;
	}
	b64_encode(p, n, b64, sz);
	if (printf("v=DKIM1; k=%s; p=%s\n", k.alg == DK_ED25519 ? "ed25519" :
	    "rsa", b64) < 0 || fflush(stdout) == EOF) {
		log_error("dkim public key", "stdout", errno);
		goto out;
	}
	rc = EX_OK;
out:
	free(b64);
	gnutls_free(der.data);
	if (pub != NULL)
		gnutls_pubkey_deinit(pub);
	dk_key_free(&k);
	return rc;
}

static int
dk_write_new(const char *path, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t	 w;
	int	 fd, saved;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		return -1;
	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	(void)unlink(path);
	errno = saved;
	return -1;
}

int
dk_key_generate(const char *type, unsigned bits, const char *path)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_pk_algorithm_t alg;
	int	 r, rc = EX_SOFTWARE;

	if (strcmp(type, "rsa") == 0) {
		alg = GNUTLS_PK_RSA;
		if (bits == 0)
			bits = DK_RSA_MIN;
		if (bits < DK_RSA_MIN || bits > DK_RSA_MAX) {
			(void)fprintf(stderr, "dkimsign: RSA keys have %u to "
			    "%u bits\n", DK_RSA_MIN, DK_RSA_MAX);
			return EX_USAGE;
		}
	} else if (strcmp(type, "ed25519") == 0) {
		alg = GNUTLS_PK_EDDSA_ED25519;
		bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519);
	} else {
		(void)fprintf(stderr, "dkimsign: key type rsa or ed25519\n");
		return EX_USAGE;
	}
	if (access(path, F_OK) == 0) {
		(void)fprintf(stderr, "dkimsign: %s exists; not replaced\n",
		    path);
		return EX_CANTCREAT;
	}
	if ((r = gnutls_x509_privkey_init(&key)) < 0 ||
	    (r = gnutls_x509_privkey_generate(key, alg, bits, 0)) < 0 ||
	    (r = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM,
	    NULL, GNUTLS_PKCS_PLAIN, &pem)) < 0) {
		(void)fprintf(stderr, "dkimsign: key generation: %s\n",
		    gnutls_strerror(r));
		goto out;
	}
	if (dk_write_new(path, pem.data, pem.size) == -1) {
		(void)fprintf(stderr, "dkimsign: %s: %s\n", path,
		    strerror(errno));
		rc = EX_CANTCREAT;
		goto out;
	}
	rc = EX_OK;
out:
	if (pem.data != NULL) {
		explicit_bzero(pem.data, pem.size);
		gnutls_free(pem.data);
	}
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rc;
}
