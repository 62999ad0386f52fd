/*
 * authreq.h — the password checker's protocol (tambo-authd(8)): requests
 * and answers as bytes, no I/O, so unit tests and fuzzers reach them.
 *
 * One request per connection on a Unix stream socket.  The client sends
 *
 *   "tambo-auth1" NUL user NUL password NUL client NUL
 *
 * where user is the login as the client gave it (1 to AUTHREQ_USER_MAX
 * octets), password 0 to AUTHREQ_PASS_MAX octets, client the SMTP
 * client's address for the log (1 to AUTHREQ_CLIENT_MAX printable ASCII
 * characters, no space); none holds a NUL.  Nothing follows the last NUL.
 * The server answers with one line, "ok\n", "fail\n" or "temp\n" (try
 * later: the server's own trouble), and closes the connection.  A server
 * that will not answer (a peer it does not serve, a malformed request)
 * closes the connection without a line.
 */
#ifndef TAMBO_AUTHREQ_H
#define TAMBO_AUTHREQ_H

#include <stddef.h>

#include "addr.h"
#include "passwd.h"

#define AUTHREQ_TAG		"tambo-auth1"
#define AUTHREQ_USER_MAX	ADDR_PATH_MAX
#define AUTHREQ_PASS_MAX	PASSWD_MAX
#define AUTHREQ_CLIENT_MAX	63
/* The longest request, every field at its maximum. */
#define AUTHREQ_MAX	(sizeof(AUTHREQ_TAG) + AUTHREQ_USER_MAX + 1 + \
	AUTHREQ_PASS_MAX + 1 + AUTHREQ_CLIENT_MAX + 1)
/* The longest answer line ("fail\n", "temp\n"). */
#define AUTHRESP_MAX	5

struct authreq {
	char	 user[AUTHREQ_USER_MAX + 1];
	char	 pass[AUTHREQ_PASS_MAX + 1];
	char	 client[AUTHREQ_CLIENT_MAX + 1];
};

enum authreq_result {
	AUTHREQ_OK,		/* a whole request (or answer) */
	AUTHREQ_SHORT,		/* a valid beginning: read more */
	AUTHREQ_BAD,		/* not the protocol: close */
};

enum authresp {
	AUTHRESP_OK,		/* the password is right */
	AUTHRESP_FAIL,		/* wrong password or no such user */
	AUTHRESP_TEMP,		/* the server could not tell */
};

/*
 * Write a request into out[0..outsz); returns its length, or 0 when a
 * field is empty where it may not be, too long, holds a NUL (it cannot:
 * C strings) or a client address that is not printable ASCII, or when
 * out is too small (AUTHREQ_MAX always suffices).  out holds the password:
 * the caller wipes it.
 */
size_t	authreq_encode(const char *user, const char *pass, const char *client,
	    void *out, size_t outsz);

/*
 * Decode in[0..n), the bytes received so far.  AUTHREQ_OK: r holds the
 * three fields, NUL-terminated (the caller wipes r with authreq_wipe);
 * AUTHREQ_SHORT: in is the beginning of a valid request; AUTHREQ_BAD
 * otherwise, also when bytes follow a whole request.  r may be written
 * to whatever the result.
 */
enum authreq_result authreq_decode(const void *in, size_t n,
	    struct authreq *r);

/* Wipe a request (it holds a password). */
void	authreq_wipe(struct authreq *r);

/* The answer line for a result ("ok\n", ...) and its length. */
const char *authresp_line(enum authresp, size_t *len);

/*
 * Decode an answer from in[0..n): AUTHREQ_OK with *res set, AUTHREQ_SHORT
 * (a beginning of one of the lines), or AUTHREQ_BAD.
 */
enum authreq_result authresp_decode(const void *in, size_t n,
	    enum authresp *res);

/* "ok", "fail", "temp": for logs. */
const char *authresp_name(enum authresp);

#endif
