/*
 * info.c — what an operator is shown of a certificate or a private key
 * (`tambo status`): the certificate's names and validity (RFC 5280
 * 4.1.2.5, 4.2.1.6), the key's algorithm and size (RFC 8301 for DKIM's
 * RSA, RFC 8463 for Ed25519).  Nothing here is used in a session.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "plugin.h"
#include "tls.h"
#include "poison.h"

/* Append " name" (no separator first) to out; false when it is full. */
static bool
info_append(char *out, size_t outsz, size_t *o, const char *name)
{
	int	 r;

	r = snprintf(out + *o, outsz - *o, "%s%s", *o ? " " : "", name);
	if (r < 0 || (size_t)r >= outsz - *o) {
		out[*o] = '\0';
		return false;
	}
	*o += (size_t)r;
	return true;
}

/* The DNS names of crt's subjectAltName, else its CN, into out. */
static void
info_names(gnutls_x509_crt_t crt, char *out, size_t outsz)
{
	char	 name[256];
	size_t	 o = 0, len;
	unsigned i;
	int	 r;

	out[0] = '\0';
	for (i = 0;; i++) {
		len = sizeof(name);
		r = gnutls_x509_crt_get_subject_alt_name(crt, i, name, &len,
		    NULL);
		if (r == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (r < 0)
			break;
		if (r == GNUTLS_SAN_DNSNAME &&
		    !info_append(out, outsz, &o, name))
			return;
	}
	if (o > 0)
		return;
	len = sizeof(name);
	if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    0, name, &len) == 0)
		(void)snprintf(out, outsz, "%s", name);
}

int
tlsp_cert_info(const char *pem, size_t len, struct tls_cert_info *ci,
    char *err, size_t errsz)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t dat;
	time_t	 t;
	int	 r;

	memset(ci, 0, sizeof(*ci));
	if (len > UINT32_MAX) {
		(void)snprintf(err, errsz, "too big");
		return -1;
	}
	if ((r = gnutls_x509_crt_init(&crt)) < 0) {
		(void)snprintf(err, errsz, "%s", gnutls_strerror(r));
		return -1;
	}
	dat.data = (unsigned char *)(uintptr_t)pem;
	dat.size = (unsigned)len;
	/* PEM: the first certificate of the file */
	if ((r = gnutls_x509_crt_import(crt, &dat, GNUTLS_X509_FMT_PEM)) < 0) {
		gnutls_x509_crt_deinit(crt);
		(void)snprintf(err, errsz, "%s", gnutls_strerror(r));
		return -1;
	}
	info_names(crt, ci->names, sizeof(ci->names));
	t = gnutls_x509_crt_get_activation_time(crt);
	ci->not_before = t == (time_t)-1 ? -1 : (int64_t)t;
	t = gnutls_x509_crt_get_expiration_time(crt);
	ci->not_after = t == (time_t)-1 ? -1 : (int64_t)t;
	gnutls_x509_crt_deinit(crt);
	return 0;
}

int
tlsp_key_info(const char *pem, size_t len, char *type, size_t typesz,
    char *err, size_t errsz)
{
	gnutls_x509_privkey_t key;
	gnutls_datum_t dat;
	unsigned bits = 0;
	int	 r, alg;

	if (len > UINT32_MAX) {
		(void)snprintf(err, errsz, "too big");
		return -1;
	}
	if ((r = gnutls_x509_privkey_init(&key)) < 0) {
		(void)snprintf(err, errsz, "%s", gnutls_strerror(r));
		return -1;
	}
	dat.data = (unsigned char *)(uintptr_t)pem;
	dat.size = (unsigned)len;
	r = gnutls_x509_privkey_import2(key, &dat, GNUTLS_X509_FMT_PEM, NULL,
	    GNUTLS_PKCS_PLAIN);
	if (r < 0) {
		gnutls_x509_privkey_deinit(key);
		(void)snprintf(err, errsz, "not a private key: %s",
		    gnutls_strerror(r));
		return -1;
	}
	alg = gnutls_x509_privkey_get_pk_algorithm2(key, &bits);
	gnutls_x509_privkey_deinit(key);	/* wipes the key */
	if (alg == GNUTLS_PK_RSA)
		(void)snprintf(type, typesz, "rsa-%u", bits);
	else if (alg == GNUTLS_PK_EDDSA_ED25519)
		(void)snprintf(type, typesz, "ed25519");
	else if (alg >= 0 && gnutls_pk_get_name((gnutls_pk_algorithm_t)alg) !=
	    NULL)
		(void)snprintf(type, typesz, "%s",
		    gnutls_pk_get_name((gnutls_pk_algorithm_t)alg));
	else {
		(void)snprintf(err, errsz, "%s", gnutls_strerror(alg));
		return -1;
	}
	return 0;
}
