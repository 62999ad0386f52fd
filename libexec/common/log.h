/*
 * log.h — one line per event, key=value fields, on stderr.
 *
 * Lines start with a syslog priority prefix "<N>" which the journal
 * understands (sd-daemon(3)), then the session id (sid=) of a handler or the
 * queue id (id=) of spool work, then event=NAME and the event's fields.
 * Values with spaces, quotes or bytes outside printable ASCII are quoted and
 * escaped, so a client can never forge a field or a line.  A line is written
 * with one write(2) so concurrent processes do not interleave.
 *
 * The event functions below fix the field names; programs use them rather
 * than building lines by hand.  No message bodies, no passwords.
 */
#ifndef TAMBO_LOG_H
#define TAMBO_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#define LOG_LINE_MAX 2048

struct logline {
	char	 buf[LOG_LINE_MAX];
	size_t	 len;
};

/* Name the program (used only when no session id is set). */
void	log_open(const char *program);
/* Set the session id that leads every following line ("sid=..."). */
void	log_set_session(const char *sid);
/* Or the queue id, for work on one queued message ("id=...").  NULL
 * (for either) clears it: lines then name the program. */
void	log_set_queue_id(const char *id);

void	log_start(struct logline *, int prio, const char *event);
void	log_str(struct logline *, const char *key, const char *val);
void	log_mem(struct logline *, const char *key, const void *val, size_t n);
void	log_num(struct logline *, const char *key, unsigned long long val);
void	log_emit(struct logline *);

/* A free-form diagnostic: event=error plus a message and errno text. */
void	log_error(const char *what, const char *detail, int err);
/* A free-form warning (configuration trouble, ...). */
void	log_warn(const char *what, const char *detail);

/*
 * Reading a line back (tambo status, test-send): the value of key in a
 * line these functions made (after an optional "<N>" prefix), unquoted
 * and unescaped, into out[outsz], cut to fit and NUL-terminated; false
 * when the line has no such field.  The first field of that name counts.
 * No I/O.
 */
bool	log_field(const char *line, const char *key, char *out, size_t outsz);

/* Handler events. */
void	log_connect(const char *mode, const char *client, unsigned port);
void	log_helo(const char *verb, const char *name);
void	log_mail(const char *from, const char *reply);
void	log_rcpt(const char *to, const char *reply);
void	log_reject(const char *cmd, const char *reply, const char *reason);
void	log_auth(const char *client, const char *mech, const char *user,
	    const char *result);
void	log_tls(const char *desc, const char *sni, int resumed);
void	log_queued(const char *id, const char *from, size_t nrcpt,
	    unsigned long long size);
void	log_disconnect(const char *reason, unsigned messages,
	    unsigned errors, unsigned long long ms);

/*
 * Delivery events (remote, deliver).  relay is "HOST[ADDRESS]:PORT" or
 * NULL when no server was reached; tls is "TLS1.3 TLS_AES_...", "none",
 * or NULL when unknown.
 */
/* A connection attempt that failed: why, and the next step. */
void	log_attempt(const char *relay, const char *error);
/*
 * A connection ready for mail: the TLS in use ("none" for plaintext) and
 * whether the server's certificate verified ("yes", "no", or NULL
 * without TLS) and, when not, why.
 */
void	log_relay(const char *relay, const char *tls, const char *verified,
	    const char *why);
/* A recipient's outcome: delivered, deferred (try again) or bounced. */
void	log_delivered(const char *to, const char *relay, int code,
	    const char *dsn, const char *tls, const char *text);
void	log_deferred(const char *to, const char *relay, int code,
	    const char *dsn, const char *tls, const char *text);
void	log_bounced(const char *to, const char *relay, int code,
	    const char *dsn, const char *tls, const char *text);

#endif
