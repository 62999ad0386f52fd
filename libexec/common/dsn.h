/*
 * dsn.h — delivery status notifications (RFC 3464, RFC 3461, RFC 6522):
 * the bounce, delay warning or success report that goes back to a
 * message's envelope sender.
 *
 * I/O-free: the caller gives the original envelope, one entry per
 * recipient to report, and the original message's bytes (it may pass only
 * the header); dsn_build writes a whole RFC 5322 message, CRLF line ends,
 * into a struct buf.  The caller queues it with the spool module, from the
 * null sender <> to the original sender, and never builds a DSN for a
 * message whose sender is <> (RFC 5321 6.1; the caller's rule).
 */
#ifndef TAMBO_DSN_H
#define TAMBO_DSN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "spool.h"

enum dsn_action {
	DSN_FAILED,
	DSN_DELAYED,
	DSN_DELIVERED,		/* to a final mailbox (local) */
	DSN_RELAYED,		/* to a server that did not promise DSNs */
	DSN_EXPANDED,		/* alias expansion (RFC 3464 2.3.3) */
};

struct dsn_rcpt {
	const char	*final;		/* Final-Recipient mailbox */
	const char	*orcpt;		/* "rfc822;xtext" as kept, or NULL */
	enum dsn_action	 action;
	const char	*status;	/* enhanced code, "5.1.1" */
	const char	*remote_mta;	/* host name, or NULL */
	const char	*diagnostic;	/* "550 5.1.1 no such user", or NULL */
	int64_t		 last_attempt;	/* Unix time, 0 if none */
	int64_t		 will_retry_until; /* for DSN_DELAYED, else 0 */
};

struct dsn_params {
	const char	*hostname;	/* Reporting-MTA, From: MAILER-DAEMON@ */
	const char	*message_id_domain; /* for Message-ID; hostname if NULL */
	int64_t		 now;		/* Date: and the id */
	const struct spool_envelope *env; /* original: from, envid, arrival,
					   * ret, id */
	const struct dsn_rcpt *rcpt;
	size_t		 nrcpt;
	const char	*msg;		/* the original message (or only its
					 * header), CRLF or LF */
	size_t		 msglen;
	size_t		 max_returned;	/* return at most this much of msg:
					 * the header only when msg is larger
					 * or env->ret is HDRS */
};

/*
 * Build the report: a multipart/report; report-type=delivery-status with
 * a human-readable text/plain part (what happened, per recipient, in
 * plain words), a message/delivery-status part (per-message fields:
 * Reporting-MTA, Original-Envelope-Id, Arrival-Date; per recipient:
 * Original-Recipient, Final-Recipient, Action, Status, Remote-MTA,
 * Diagnostic-Code, Last-Attempt-Date, Will-Retry-Until) and the original
 * message as message/rfc822 or its header as text/rfc822-headers.
 * Subject says "Undelivered Mail Returned to Sender", "Delayed Mail (still
 * being retried)" or "Successful Mail Delivery Report".  Header fields:
 * From: MAILER-DAEMON@hostname (with a display name), To: the original
 * sender, Date, Message-ID, Auto-Submitted: auto-replied (RFC 3834),
 * MIME-Version.  An SMTPUTF8 original gets message/global-delivery-status
 * and message/global (RFC 6533).  Returns 0, -1 when b is full.
 */
int	dsn_build(const struct dsn_params *, struct buf *b);

#endif
