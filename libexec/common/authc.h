/*
 * authc.h — asking the password checker (tambo-authd(8)) over its Unix
 * socket, the client side of authreq.h.
 *
 * One connection per question, one deadline for the whole exchange
 * (connect, request, answer).  Anything but a clear answer — no socket,
 * nobody listening, a timeout, a closed or garbled connection — is
 * AUTHC_UNAVAILABLE, and the caller checks the password itself.
 */
#ifndef TAMBO_AUTHC_H
#define TAMBO_AUTHC_H

#define AUTHC_TIMEOUT_MS	2000	/* the default for the whole exchange */

enum authc_result {
	AUTHC_OK,		/* the password is right */
	AUTHC_FAIL,		/* wrong password or no such user */
	AUTHC_TEMP,		/* authd could not tell (its own trouble) */
	AUTHC_UNAVAILABLE,	/* no answer; errno says why */
};

/*
 * Ask the authd listening on the Unix socket path whether pass is user's
 * password; client is the SMTP client's address for authd's log.  Within
 * timeout_ms milliseconds.  With AUTHC_UNAVAILABLE errno is connect(2)'s
 * (ENOENT, ECONNREFUSED, EACCES, ...), ETIMEDOUT, ECONNRESET (closed
 * without an answer), EPROTO (not an answer) or EINVAL (a field authd
 * would not take).  The copy of the password made for the request is
 * wiped before returning.
 */
enum authc_result authc_check(const char *path, const char *user,
	    const char *pass, const char *client, int timeout_ms);

#endif
