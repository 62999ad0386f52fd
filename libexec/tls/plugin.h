/*
 * plugin.h — what the files of the TLS plugin (tls.so) share.  Nothing
 * here is seen outside the plugin: it is built with -fvisibility=hidden
 * and exports only tambo_tls_ops (tls.c).
 */
#ifndef TAMBO_TLS_PLUGIN_H
#define TAMBO_TLS_PLUGIN_H

#include <stddef.h>

#include <gnutls/gnutls.h>

#include "tls.h"

#define TLSP_EXPORT	__attribute__((visibility("default")))

#define TLSP_CHAIN_MAX		8		/* certificates in a fullchain.pem */
#define TLSP_FOLDERS_MAX	64		/* folders read under certs/ */
#define TLSP_FILE_MAX		(256 * 1024)	/* a PEM file */
#define TLSP_TICKET_KEY_SIZE	64		/* GnuTLS 3.6+ master key */

/* log_error() of the program that loaded us, or nothing before set_log. */
void	tlsp_log_error(const char *what, const char *detail, int err);

/*
 * Read a whole regular file of at most max bytes into a new buffer (with
 * a NUL after the data, not counted).  0, or an errno value (EFBIG when
 * too big).  Release with tlsp_free_wiped().
 */
int	tlsp_read_file(const char *path, size_t max, unsigned char **buf,
	    size_t *len);
/* explicit_bzero then free; NULL is allowed. */
void	tlsp_free_wiped(void *, size_t);

/*
 * Add every usable folder of dir to creds (creds.c).  Returns how many
 * certificates were added (0: err says why, naming dir) or -1 when creds
 * is no longer usable (out of memory; err filled).
 */
int	tlsp_creds_load(gnutls_certificate_credentials_t creds,
	    const char *dir, const char *hostname, char *err, size_t errsz);

/*
 * The shared session-ticket master key from path, made or replaced when
 * missing, broken or older than TLS_TICKET_KEY_MAX_AGE (ticket.c).
 * 0 with key filled, or -1 (logged): run without tickets.
 */
int	tlsp_ticket_key(const char *path,
	    unsigned char key[TLSP_TICKET_KEY_SIZE]);

/* info.c: tls_ops.cert_info and key_info (tls.h). */
int	tlsp_cert_info(const char *pem, size_t len, struct tls_cert_info *,
	    char *err, size_t errsz);
int	tlsp_key_info(const char *pem, size_t len, char *type, size_t typesz,
	    char *err, size_t errsz);

#endif
