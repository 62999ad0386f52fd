/*
 * creds.c — the server certificates: every folder of CONFDIR/certs, each
 * with fullchain.pem and privkey.pem (see tls.h), into one GnuTLS
 * certificate credentials structure.
 *
 * Read afresh by each handler, so renewals on disk need no reload.  A
 * folder that cannot be used is skipped with a log line; the others still
 * count.  GnuTLS chooses among the loaded certificates per session: the
 * first one whose names (subjectAltName DNS names, else the CN) equal the
 * SNI exactly and whose key the client can verify, else the first whose
 * key the client can verify.  So the order we add them in matters: the
 * hostname's folders first (the default), and ECDSA/EdDSA before RSA
 * within a rank (smaller, cheaper handshakes for clients that take both).
 *
 * GnuTLS's own key/certificate check signs and verifies a message, which
 * costs an RSA private-key operation per folder per session; we set
 * GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH and compare the key IDs (SHA-256
 * of the SubjectPublicKeyInfo) of the certificate and of the public half
 * of the private key instead, which is what catches a key that belongs
 * to another certificate.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include "plugin.h"
#include "poison.h"

#define SKIPPED	"tls certificate skipped"

struct folder {
	char		 name[NAME_MAX + 1];
	int		 rank;		/* 0: the hostname's; 1: the others */
	bool		 ecc;		/* not RSA: offered first */
	unsigned	 nchain;	/* 0: not loaded */
	gnutls_pcert_st	 chain[TLSP_CHAIN_MAX];
	gnutls_privkey_t key;
};

static void
folder_clear(struct folder *f)
{
	unsigned i;

	for (i = 0; i < f->nchain; i++)
		gnutls_pcert_deinit(&f->chain[i]);
	f->nchain = 0;
	if (f->key != NULL)
		gnutls_privkey_deinit(f->key);	/* GnuTLS wipes key material */
	f->key = NULL;
}

/* hostname, or hostname_SUFFIX (acme.sh's NAME_ecc), case-insensitively. */
static int
folder_rank(const char *name, const char *hostname)
{
	size_t	 n;

	if (hostname == NULL || (n = strlen(hostname)) == 0)
		return 1;
	if (strncasecmp(name, hostname, n) != 0)
		return 1;
	return name[n] == '\0' || name[n] == '_' ? 0 : 1;
}

static int
folder_cmp(const void *a, const void *b)
{
	const struct folder *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank - y->rank;
	if (x->ecc != y->ecc)
		return x->ecc ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
skip(const char *path, const char *why, int gnutls_err)
{
	char	 detail[PATH_MAX + 256];

	(void)snprintf(detail, sizeof(detail), "%s: %s%s%s", path, why,
	    gnutls_err != 0 ? ": " : "",
	    gnutls_err != 0 ? gnutls_strerror(gnutls_err) : "");
	tlsp_log_error(SKIPPED, detail, 0);
}

static bool
path_join(char *out, size_t outsz, const char *dir, const char *name,
    const char *file)
{
	int	 n = snprintf(out, outsz, "%s/%s/%s", dir, name, file);

	return n >= 0 && (size_t)n < outsz;
}

/*
 * Whether key is the private half of pub.  0 with *match set, or a
 * GnuTLS error.
 */
static int
key_matches(gnutls_pubkey_t pub, gnutls_privkey_t key, bool *match)
{
	gnutls_pubkey_t	 kpub = NULL;
	unsigned char	 a[64], b[64];
	size_t		 alen = sizeof(a), blen = sizeof(b);
	int		 r;

	*match = false;
	if ((r = gnutls_pubkey_init(&kpub)) < 0)
		return r;
	if ((r = gnutls_pubkey_import_privkey(kpub, key, 0, 0)) < 0)
		goto out;
	if ((r = gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a,
	    &alen)) < 0)
		goto out;
	if ((r = gnutls_pubkey_get_key_id(kpub, GNUTLS_KEYID_USE_SHA256, b,
	    &blen)) < 0)
		goto out;
	*match = alen == blen && memcmp(a, b, alen) == 0;
	r = 0;
out:
	gnutls_pubkey_deinit(kpub);
	return r;
}

/* Load one folder into f; false (logged, f cleared) when it is unusable. */
static bool
folder_load(const char *dir, struct folder *f)
{
	char		 cpath[PATH_MAX], kpath[PATH_MAX];
	unsigned char	*buf = NULL;
	size_t		 len = 0;
	gnutls_datum_t	 d;
	unsigned	 n = TLSP_CHAIN_MAX;
	bool		 match;
	int		 pk, r;

	if (!path_join(cpath, sizeof(cpath), dir, f->name, "fullchain.pem") ||
	    !path_join(kpath, sizeof(kpath), dir, f->name, "privkey.pem")) {
		tlsp_log_error(SKIPPED, f->name, ENAMETOOLONG);
		return false;
	}

	if ((r = tlsp_read_file(cpath, TLSP_FILE_MAX, &buf, &len)) != 0) {
		tlsp_log_error(SKIPPED, cpath, r);
		return false;
	}
	d.data = buf;
	d.size = (unsigned)len;
	r = gnutls_pcert_list_import_x509_raw(f->chain, &n, &d,
	    GNUTLS_X509_FMT_PEM, GNUTLS_X509_CRT_LIST_IMPORT_FAIL_IF_EXCEED |
	    GNUTLS_X509_CRT_LIST_SORT);
	tlsp_free_wiped(buf, len);
	if (r < 0) {
		skip(cpath, r == GNUTLS_E_SHORT_MEMORY_BUFFER ?
		    "more than 8 certificates" : "bad certificate PEM",
		    r == GNUTLS_E_SHORT_MEMORY_BUFFER ? 0 : r);
		return false;
	}
	if (n == 0) {
		skip(cpath, "no certificate", 0);
		return false;
	}
	f->nchain = n;

	if ((r = tlsp_read_file(kpath, TLSP_FILE_MAX, &buf, &len)) != 0) {
		tlsp_log_error(SKIPPED, kpath, r);
		folder_clear(f);
		return false;
	}
	d.data = buf;
	d.size = (unsigned)len;
	if ((r = gnutls_privkey_init(&f->key)) < 0) {
		f->key = NULL;
		tlsp_free_wiped(buf, len);
		skip(kpath, "private key", r);
		folder_clear(f);
		return false;
	}
	r = gnutls_privkey_import_x509_raw(f->key, &d, GNUTLS_X509_FMT_PEM,
	    NULL, 0);
	tlsp_free_wiped(buf, len);
	if (r < 0) {
		skip(kpath, "bad private key PEM (or encrypted)", r);
		folder_clear(f);
		return false;
	}

	if ((r = key_matches(f->chain[0].pubkey, f->key, &match)) < 0) {
		skip(kpath, "cannot compare with the certificate", r);
		folder_clear(f);
		return false;
	}
	if (!match) {
		skip(kpath, "key does not match the certificate in "
		    "fullchain.pem", 0);
		folder_clear(f);
		return false;
	}
	pk = gnutls_pubkey_get_pk_algorithm(f->chain[0].pubkey, NULL);
	f->ecc = pk != GNUTLS_PK_RSA && pk != GNUTLS_PK_RSA_PSS;
	return true;
}

/* The folder names under dir (dot-names skipped) into fs; how many. */
static int
folder_list(const char *dir, struct folder *fs, char *err, size_t errsz)
{
	DIR		*d;
	struct dirent	*e;
	struct stat	 st;
	int		 n = 0;
	bool		 warned = false;

	if ((d = opendir(dir)) == NULL) {
		(void)snprintf(err, errsz, "certificates: %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	while ((errno = 0, e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		/* follows symbolic links: certbot-style trees use them */
		if (fstatat(dirfd(d), e->d_name, &st, 0) == -1 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (n == TLSP_FOLDERS_MAX) {
			if (!warned)
				tlsp_log_error(SKIPPED, "too many folders: "
				    "the rest are ignored", 0);
			warned = true;
			continue;
		}
		(void)snprintf(fs[n].name, sizeof(fs[n].name), "%s",
		    e->d_name);
		n++;
	}
	if (errno != 0) {
		(void)snprintf(err, errsz, "certificates: %s: %s", dir,
		    strerror(errno));
		(void)closedir(d);
		return -1;
	}
	(void)closedir(d);
	return n;
}

int
tlsp_creds_load(gnutls_certificate_credentials_t creds, const char *dir,
    const char *hostname, char *err, size_t errsz)
{
	struct folder	*fs;
	int		 i, n, loaded = 0, added = 0, r;

	if ((fs = calloc(TLSP_FOLDERS_MAX, sizeof(*fs))) == NULL) {
		(void)snprintf(err, errsz, "certificates: %s", strerror(errno));
		return -1;
	}
	if ((n = folder_list(dir, fs, err, errsz)) < 0) {
		free(fs);
		return 0;
	}
	for (i = 0; i < n; i++) {
		fs[i].rank = folder_rank(fs[i].name, hostname);
		if (folder_load(dir, &fs[i]))
			loaded++;
	}
	qsort(fs, (size_t)n, sizeof(*fs), folder_cmp);
	for (i = 0; i < n; i++) {
		if (fs[i].nchain == 0)
			continue;
		r = gnutls_certificate_set_key(creds, NULL, 0, fs[i].chain,
		    (int)fs[i].nchain, fs[i].key);
		if (r < 0) {
			/* creds is "in an undefined state" now: give up */
			(void)snprintf(err, errsz, "certificates: %s/%s: %s",
			    dir, fs[i].name, gnutls_strerror(r));
			added = -1;
			break;
		}
		/* the chain's contents and the key belong to creds now */
		fs[i].nchain = 0;
		fs[i].key = NULL;
		added++;
	}
	for (i = 0; i < n; i++)
		folder_clear(&fs[i]);
	free(fs);
	if (added == 0)
		(void)snprintf(err, errsz, "certificates: %s: no usable "
		    "certificate (%d folder%s, %d loaded)", dir, n,
		    n == 1 ? "" : "s", loaded);
	return added;
}
