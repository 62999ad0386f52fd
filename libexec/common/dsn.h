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
 *
 * The report has octets over 0x7f only when the returned original has
 * them or the original was SMTPUTF8 (UTF-8 addresses): queue it with
 * BODY=8BITMIME when it has any, and with SMTPUTF8 when env->smtputf8 is
 * set (its header then may hold a UTF-8 To: address).
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
	const char	*status;	/* enhanced code, "5.1.1"; one that is
					 * malformed or does not fit the
					 * action becomes X.0.0 */
	const char	*remote_mta;	/* host name, or NULL */
	const char	*diagnostic;	/* "550 5.1.1 no such user" (an SMTP
					 * reply, lines may be CRLF-joined:
					 * type smtp), "smtp; ..." or
					 * "X-type; ..." as given, other text
					 * (type X-tambo), or NULL */
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
	size_t		 max_returned;	/* return at most this much of msg
					 * (0: no limit): the header only
					 * when msg is larger, env->ret is
					 * HDRS, no recipient failed (delay
					 * and success reports) or msg has a
					 * line over 998 octets or a NUL; a
					 * header over the limit is cut at a
					 * field */
};

/*
 * Build the report: a multipart/report; report-type=delivery-status with
 * a human-readable text/plain part (what happened, per recipient, in
 * plain words), a message/delivery-status part (per-message fields:
 * Reporting-MTA, Original-Envelope-Id, Arrival-Date; per recipient:
 * Original-Recipient, Final-Recipient, Action, Status, Remote-MTA,
 * Diagnostic-Code, Last-Attempt-Date, Will-Retry-Until) and the original
 * message as message/rfc822 or its header as text/rfc822-headers.
 * Subject says "Undelivered Mail Returned to Sender" (any recipient
 * failed), "Delayed Mail (still being retried)" (any delayed) or
 * "Successful Mail Delivery Report".  Header fields: From: MAILER-DAEMON@
 * hostname (with a display name), To: the original sender, Date (now, in
 * UTC), Message-ID <QUEUEID.NOW.RANDOM.SERIAL.DSN@message_id_domain>
 * (unique per call), In-Reply-To and References (the original's
 * Message-ID), Auto-Submitted: auto-replied (RFC 3834), MIME-Version.
 * The per-message fields add X-Tambo-Queue-ID and X-Tambo-Sender.  An
 * SMTPUTF8 original gets message/global-delivery-status and
 * message/global or message/global-headers (RFC 6533); a non-ASCII
 * address is reported with the utf-8 address type.  Without a msg (msglen
 * 0) the report has two parts.  The report is appended to b.  Returns 0;
 * -1 with errno EMSGSIZE or ENOMEM when b is full (b is left as it was),
 * EINVAL without a hostname, a sender, a recipient or a final address.
 */
int	dsn_build(const struct dsn_params *, struct buf *b);

#endif
