/*
 * tls.h — TLS for tambo's programs: the server side for the connection
 * handler, STARTTLS on ports 25 and 587 (RFC 3207) and implicit TLS on 465
 * (RFC 8314); the client side for delivery (remote), STARTTLS to MX hosts
 * and relays with the certificate checked against the system trust store
 * (RFC 6125 names, RFC 7435 opportunistic security).
 *
 * GnuTLS costs a handler about 4.4 ms of start-up (PERFORMANCE.md), so it is
 * not linked into smtpd.  The TLS code is a plugin, tls.so, installed next
 * to the programs (build/libexec/tambo/tls.so, /usr/libexec/tambo/tls.so)
 * and built from libexec/tls/; tls_load() opens it the first time a session
 * needs TLS.  This header is all a program sees: no GnuTLS types leak out.
 *
 * A session, in order:
 *
 *	ops = tls_load(NULL, err, sizeof(err));		once per process
 *	t = ops->server_new(&params, fd, err, sizeof(err));
 *	if (t == NULL)		answer 454 4.7.0, log err, stay in plaintext
 *	220 2.0.0 Ready to start TLS (STARTTLS only), drop buffered input
 *	if (ops->handshake(t, err, sizeof(err)) == -1)
 *		log err, ops->free(t), close the connection
 *	io_set_transport(&io, &ops->io, t);
 *	... the SMTP dialogue through io ...
 *	ops->bye(t);  ops->free(t);
 *
 * A client session is the same with client_new() in place of server_new()
 * (after the server's "220 Ready to start TLS", or right after connect
 * for implicit TLS); the handshake does not fail on a certificate that
 * does not verify: verified() says afterwards whether it did and why not,
 * and the caller's policy decides.
 *
 * Errors: functions that take err/errsz fill it with one line of text
 * (NUL-terminated, truncated to fit) when they fail, and never exit or
 * abort on bad input, bad files or a hostile peer.  Credential trouble
 * (a folder that cannot be used) is reported through log_error() as the
 * plugin goes; tls_load() wires the plugin to this program's log.c.
 *
 * Threads: none.  One process, one connection, one struct tls at a time is
 * the intended use, though several may coexist.
 */
#ifndef TAMBO_TLS_H
#define TAMBO_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "io.h"

/* Bumped whenever struct tls_ops or the params structures change. */
#define TLS_ABI		4u

/* The plugin's file name, looked for in the running program's directory. */
#define TLS_PLUGIN	"tls.so"

/* A session ticket master key is replaced when it is older than this. */
#define TLS_TICKET_KEY_MAX_AGE	(12 * 3600)

struct tls;		/* one TLS session, opaque */

struct tls_server_params {
	/* CONFDIR/certs: one folder per certificate, each holding
	 * fullchain.pem (leaf first) and privkey.pem (unencrypted PEM:
	 * PKCS#8, PKCS#1 or SEC1), the layout acme.sh and chasquid use;
	 * acme.sh's NAME_ecc folders work as they are. */
	const char	*certs_dir;
	/* Folders named hostname or hostname_SUFFIX are loaded first: their
	 * certificates are the default when the client sends no SNI or one
	 * that matches nothing.  Case does not matter.  NULL: none. */
	const char	*hostname;
	/* STATE/tls-ticket.key, shared by all handlers, or NULL for no
	 * session tickets (no resumption). */
	const char	*ticket_key;
	int		 min_version;	/* 13: TLS 1.3 only; else 1.2 and 1.3 */
	int		 timeout_ms;	/* the handshake, bye; <= 0: 60 s */
	/* As struct io's: when idle_cut is set, a handshake that has waited
	 * idle_ms for the client is given up when idle_cut(idle_ctx) says
	 * so (the error says "idle while busy"); asked once per idle_ms. */
	int		 idle_ms;
	bool		(*idle_cut)(void *ctx);
	void		*idle_ctx;
};

struct tls_client_params {
	/* A PEM file of trust anchors that replaces the system trust store
	 * (tests, private relays); NULL: the system's.  The trust store is
	 * loaded by the first client session of a process and kept for the
	 * next ones (loading it costs more than a handshake). */
	const char	*ca_file;
	int		 min_version;	/* 13: TLS 1.3 only; else 1.2 and 1.3 */
	int		 timeout_ms;	/* the handshake, bye; <= 0: 60 s */
};

/* What an operator is shown of a certificate (cert_info). */
struct tls_cert_info {
	char		 names[512];	/* DNS names, space-separated, else
					 * the CN; "" when it has neither */
	int64_t		 not_before;	/* Unix time; -1 when not set */
	int64_t		 not_after;
};

struct tls_ops {
	unsigned	 abi;		/* TLS_ABI of the plugin */

	/*
	 * Load the credentials and set up a server session on fd (a
	 * connected socket; also the fd under inetd, where 0 and 1 are the
	 * same socket).  Puts fd in non-blocking mode (O_NONBLOCK is shared
	 * by every descriptor of the socket) and does no I/O on it.
	 *
	 * Every folder of certs_dir is read now, so a certificate renewed
	 * on disk is used by the next session without any reload.  A folder
	 * that cannot be used (file missing or unreadable, bad PEM, more
	 * than 8 certificates, key not matching the certificate) is skipped
	 * with a log_error line naming the file and the reason.  ECDSA and
	 * RSA certificates for the same names can sit side by side: GnuTLS
	 * picks by SNI (exact name) and by what the client can verify.
	 *
	 * Trouble with the ticket key file is logged and the session runs
	 * without tickets.
	 *
	 * Returns NULL with err filled when no certificate at all could be
	 * loaded (err names certs_dir), or on resource trouble; the caller
	 * then answers 454 4.7.0 and carries on in plaintext.  The result is
	 * the caller's, to release with free().
	 */
	struct tls *(*server_new)(const struct tls_server_params *, int fd,
		    char *err, size_t errsz);

	/*
	 * The TLS handshake, bounded by timeout_ms in all (poll(2) on fd).
	 * Returns 0, or -1 with err ("timeout", the peer's alert, ...); after
	 * -1 the session is dead: free() it and close the connection.
	 */
	int	(*handshake)(struct tls *, char *err, size_t errsz);

	/*
	 * The io.h transport; ctx is the struct tls *.  Use after a
	 * successful handshake.
	 * read: bytes read; 0 when the peer sent close_notify; -1 with
	 *   errno EAGAIN (no whole record yet: poll fd), EINTR, ECONNRESET
	 *   (closed without close_notify) or EIO (any other TLS error; see
	 *   error()).  Renegotiation requests are refused and skipped.
	 * write: bytes sent (at most one record's worth), or -1 with errno
	 *   EAGAIN (poll fd for POLLOUT, then call again with the same
	 *   arguments, as io_flush does), EINTR, EPIPE or EIO.
	 * pending: decrypted bytes held that poll(2) on fd will not signal.
	 */
	struct io_transport io;

	/* The last TLS error as text, "" if none: for the log line after
	 * read or write failed. */
	const char *(*error)(struct tls *);

	/*
	 * After the handshake: "TLS1.3 TLS_AES_256_GCM_SHA384", the protocol
	 * version and the IANA name of the cipher suite, for the log and the
	 * Received: header (RFC 8314 4.3).  Always NUL-terminated; "" before
	 * the handshake.
	 */
	void	(*describe)(struct tls *, char *out, size_t outsz);
	/* Whether the session was resumed from a ticket. */
	bool	(*resumed)(struct tls *);
	/* The SNI name the client sent, lower-cased, if it is a plausible
	 * DNS name (letters, digits, '-', '_', '.', at most 253 bytes); ""
	 * otherwise or when there was none.  Valid until free(). */
	const char *(*sni)(struct tls *);

	/* Send close_notify, best effort, within timeout_ms; no reply is
	 * awaited.  The fd stays open: closing it is the caller's job. */
	void	(*bye)(struct tls *);
	/* Wipe and release everything; NULL is allowed.  Does not close fd. */
	void	(*free)(struct tls *);

	/* Where the plugin logs credential trouble; set by tls_load(). */
	void	(*set_log)(void (*log_error)(const char *what,
		    const char *detail, int err));

	/*
	 * Set up a client session on fd (a connected socket; put in
	 * non-blocking mode; no I/O done).  server_name is the name the
	 * certificate must carry (the MX host or relay name, RFC 7672 and
	 * RFC 6125 matching, wildcards in the left-most label only); it is
	 * sent as SNI (RFC 6066) unless it is an IP address, which is then
	 * matched against the certificate's IP addresses.  NULL with err
	 * filled when the trust store or the session cannot be set up.
	 */
	struct tls *(*client_new)(const struct tls_client_params *, int fd,
		    const char *server_name, char *err, size_t errsz);

	/*
	 * After a client handshake: whether the server's certificate chain
	 * verified against the trust anchors and carries server_name.
	 * When it did not, why (one line, "" when verified) is copied into
	 * why[0..whysz).  false before the handshake and for a server
	 * session.
	 */
	bool	(*verified)(struct tls *, char *why, size_t whysz);

	/*
	 * For `tambo status`, not for sessions.  cert_info: the names and
	 * validity of the first certificate in pem[0..len) (a fullchain.pem:
	 * the server's own).  key_info: the algorithm of the PEM private key
	 * in pem[0..len) (PKCS#8, PKCS#1 or SEC1, unencrypted) into type:
	 * "rsa-2048", "ed25519", or GnuTLS's name of another algorithm
	 * ("ECDSA"); the caller wipes pem.  Both return 0, or -1 with err
	 * filled.
	 */
	int	(*cert_info)(const char *pem, size_t len,
		    struct tls_cert_info *, char *err, size_t errsz);
	int	(*key_info)(const char *pem, size_t len, char *type,
		    size_t typesz, char *err, size_t errsz);
};

/*
 * Open the plugin: path, or when path is NULL TLS_PLUGIN in the libexec
 * directory of the running program (progpath.h), so an installed smtpd
 * finds the installed plugin and a built one the built one.  Checks the
 * plugin's ABI and points its logging at log_error().  The plugin stays
 * loaded; later calls return the same ops.  NULL with err filled when it
 * cannot be loaded (missing, unloadable, wrong ABI).  The only dlopen in
 * the static library.
 */
const struct tls_ops *tls_load(const char *path, char *err, size_t errsz);

#endif
