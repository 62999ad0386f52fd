/*
 * reply.c — the reply table (RFC 5321 §4.2, RFC 3463, RFC 2034).
 *
 * Texts say what happened and, where it helps the sender's postmaster, why.
 * Temporary codes (4xx) are used for our own trouble so that mail is never
 * refused for good because of us.
 */
#include <assert.h>
#include <stdio.h>
#include <sysexits.h>

#include "reply.h"
#include "poison.h"

#define R(id, code, ecode, text) [id] = { #id, code, ecode, text }

static const struct reply reply_table[REPLY_COUNT] = {
	R(REPLY_BYE, 221, "2.0.0", "Bye"),
	R(REPLY_OK, 250, "2.0.0", "Ok"),
	R(REPLY_MAIL_OK, 250, "2.1.0", "Sender ok"),
	R(REPLY_RCPT_OK, 250, "2.1.5", "Recipient ok"),
	R(REPLY_QUEUED, 250, "2.0.0", "Ok: queued as"),
	R(REPLY_DATA_GO, 354, NULL, "End data with <CR><LF>.<CR><LF>"),
	R(REPLY_BDAT_OK, 250, "2.0.0", "Ok: octets received"),
	R(REPLY_VRFY, 252, "2.5.0",
	    "Cannot VRFY user, but will accept message and attempt delivery"),
	R(REPLY_HELP, 214, "2.0.0",
	    "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP"),
	R(REPLY_NOT_AVAILABLE, 421, "4.3.0",
	    "Service not available, try again later"),
	R(REPLY_TIMEOUT, 421, "4.4.2", "Timeout waiting for input, closing"),
	R(REPLY_BUSY_TIMEOUT, 421, "4.4.2",
	    "Server busy and this session idle, closing; try again later"),
	R(REPLY_SESSION_LIMIT, 421, "4.4.2", "Session time limit exceeded"),
	R(REPLY_TOO_MANY_ERRORS, 421, "4.7.0", "Too many errors, closing"),
	R(REPLY_NOT_SMTP, 421, "4.7.0", "This is an SMTP server, closing"),
	R(REPLY_LINE_TOO_LONG, 500, "5.5.2", "Line too long"),
	R(REPLY_LINE_FLOOD, 421, "4.7.0", "Line far too long, closing"),
	R(REPLY_BARE_LF, 500, "5.5.2",
	    "Bare CR or LF refused, lines must end with CRLF"),
	R(REPLY_NUL, 500, "5.5.2", "NUL byte in command refused"),
	R(REPLY_UNKNOWN_CMD, 500, "5.5.2", "Command unrecognized"),
	R(REPLY_SYNTAX, 501, "5.5.4", "Syntax error in parameters or arguments"),
	R(REPLY_HELO_SYNTAX, 501, "5.5.4",
	    "HELO/EHLO needs a domain name or an address literal"),
	R(REPLY_NOT_IMPLEMENTED, 502, "5.5.1", "Command not implemented"),
	R(REPLY_NEED_HELO, 503, "5.5.1", "Send EHLO or HELO first"),
	R(REPLY_NESTED_MAIL, 503, "5.5.1", "Nested MAIL command"),
	R(REPLY_NEED_MAIL, 503, "5.5.1", "Need MAIL command first"),
	R(REPLY_NEED_RCPT, 503, "5.5.1", "Need RCPT before DATA"),
	R(REPLY_NO_VALID_RCPT, 554, "5.5.1", "No valid recipients"),
	R(REPLY_BDAT_MIX, 503, "5.5.1", "DATA and BDAT cannot be mixed"),
	R(REPLY_BDAT_SYNTAX, 421, "4.5.0",
	    "Bad BDAT size, the chunk cannot be skipped: closing"),
	R(REPLY_PARAM_UNKNOWN, 555, "5.5.4",
	    "Parameter not recognized or not implemented"),
	R(REPLY_PARAM_SYNTAX, 501, "5.5.4", "Invalid parameter syntax"),
	R(REPLY_SENDER_SYNTAX, 501, "5.1.7", "Bad sender address syntax"),
	R(REPLY_RCPT_SYNTAX, 501, "5.1.3", "Bad recipient address syntax"),
	R(REPLY_NEED_SMTPUTF8, 553, "5.6.7",
	    "Non-ASCII address requires the SMTPUTF8 parameter"),
	R(REPLY_SIZE_EXCEEDED, 552, "5.3.4",
	    "Message size exceeds fixed maximum message size"),
	R(REPLY_NO_SUCH_USER, 550, "5.1.1", "No such user here"),
	R(REPLY_RELAY_DENIED, 554, "5.7.1", "Relay access denied"),
	R(REPLY_ROUTING_DENIED, 554, "5.7.1",
	    "Source routes, %-hack, bang paths and literals are not relayed"),
	R(REPLY_TOO_MANY_RCPTS, 452, "4.5.3", "Too many recipients"),
	R(REPLY_LOOP, 554, "5.4.6", "Too many Received headers: mail loop"),
	R(REPLY_DATA_BARE_LF, 554, "5.6.0",
	    "Bare CR or LF in message refused (RFC 5321 section 2.3.8)"),
	R(REPLY_DATA_NUL, 554, "5.6.0", "NUL byte in message refused"),
	R(REPLY_DATA_LONG_LINE, 554, "5.6.0",
	    "Message line longer than 998 octets refused (RFC 5322 2.1.1)"),
	R(REPLY_DATA_HEADER, 554, "5.6.0", "Malformed message header"),
	R(REPLY_DISK_FULL, 452, "4.3.1", "Insufficient system storage"),
	R(REPLY_STARTTLS_GO, 220, "2.0.0", "Ready to start TLS"),
	R(REPLY_TLS_UNAVAILABLE, 454, "4.7.0",
	    "TLS not available due to temporary reason"),
	R(REPLY_TLS_ACTIVE, 503, "5.5.1", "TLS already active"),
	R(REPLY_NEED_TLS, 530, "5.7.0", "Must issue a STARTTLS command first"),
	R(REPLY_AUTH_REQUIRED, 530, "5.7.0", "Authentication required"),
	R(REPLY_AUTH_OK, 235, "2.7.0", "Authentication successful"),
	R(REPLY_AUTH_FAILED, 535, "5.7.8",
	    "Authentication credentials invalid"),
	R(REPLY_AUTH_MECH, 504, "5.5.4", "Unrecognized authentication type"),
	R(REPLY_AUTH_ALREADY, 503, "5.5.1", "Already authenticated"),
	R(REPLY_AUTH_IN_MAIL, 503, "5.5.1", "AUTH not allowed during a transaction"),
	R(REPLY_AUTH_BASE64, 501, "5.5.2", "Cannot decode the response"),
	R(REPLY_AUTH_CANCELLED, 501, "5.0.0", "Authentication cancelled"),
	R(REPLY_AUTH_NEEDS_TLS, 538, "5.7.11",
	    "Encryption required for requested authentication mechanism"),
	R(REPLY_AUTH_THROTTLED, 454, "4.7.0",
	    "Too many failed authentications, try again later"),
	R(REPLY_AUTH_TEMP, 454, "4.7.0", "Temporary authentication failure"),
	R(REPLY_SENDER_NOT_OWNED, 550, "5.7.1",
	    "Sender address not owned by the authenticated user"),
	R(REPLY_SPF_FAIL, 550, "5.7.23",
	    "SPF validation failed: the sender's domain does not allow "
	    "this host to send its mail"),
	R(REPLY_SPF_TEMP, 451, "4.7.24",
	    "SPF validation error: the sender's SPF record could not be "
	    "read, try again later"),
	R(REPLY_PERMANENT, 554, "5.3.0", "Permanent failure in processing"),
	R(REPLY_LOCAL_ERROR, 451, "4.3.0",
	    "Local error in processing, try again later"),
};

const struct reply *
reply_get(enum reply_id id)
{
	assert(id < REPLY_COUNT);
	return &reply_table[id];
}

size_t
reply_format(enum reply_id id, const char *extra, char *out, size_t outsz)
{
	const struct reply *r = reply_get(id);
	int	n;

	if (r->ecode != NULL)
		n = snprintf(out, outsz, "%d %s %s%s%s", r->code, r->ecode,
		    r->text, extra ? " " : "", extra ? extra : "");
	else
		n = snprintf(out, outsz, "%d %s%s%s", r->code, r->text,
		    extra ? " " : "", extra ? extra : "");
	if (n < 0 || outsz == 0)
		return 0;
	return (size_t)n < outsz ? (size_t)n : outsz - 1;
}

enum reply_id
reply_from_sysexit(int status)
{
	switch (status) {
	case EX_OK:
		return REPLY_OK;
	case EX_NOUSER:
		return REPLY_NO_SUCH_USER;
	case EX_NOPERM:
		return REPLY_RELAY_DENIED;
	case EX_DATAERR:
		return REPLY_DATA_HEADER;
	case EX_USAGE:
		return REPLY_SYNTAX;
	case EX_TEMPFAIL:	/* the filter contract's "try later" */
	case EX_IOERR:
	case EX_OSERR:
	case EX_OSFILE:
	case EX_CANTCREAT:
	case EX_SOFTWARE:
	case EX_CONFIG:		/* our own trouble is never permanent */
		return REPLY_LOCAL_ERROR;
	default:
		return REPLY_PERMANENT;
	}
}
