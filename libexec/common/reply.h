/*
 * reply.h — every SMTP reply tambo sends, in one table.
 *
 * Code refers to replies by name; the numbers, the RFC 3463 enhanced status
 * codes and the texts live only in reply.c, and a unit test walks the table
 * (class of code and enhanced code agree, texts are printable, no name is
 * missing).  The sysexits(3) -> reply mapping used for filters and local
 * delivery lives there too.
 */
#ifndef TAMBO_REPLY_H
#define TAMBO_REPLY_H

#include <stddef.h>

enum reply_id {
	REPLY_BYE,
	REPLY_OK,
	REPLY_MAIL_OK,
	REPLY_RCPT_OK,
	REPLY_QUEUED,
	REPLY_DATA_GO,
	REPLY_BDAT_OK,
	REPLY_VRFY,
	REPLY_HELP,
	REPLY_NOT_AVAILABLE,
	REPLY_TIMEOUT,
	REPLY_BUSY_TIMEOUT,
	REPLY_SESSION_LIMIT,
	REPLY_TOO_MANY_ERRORS,
	REPLY_NOT_SMTP,
	REPLY_LINE_TOO_LONG,
	REPLY_LINE_FLOOD,
	REPLY_BARE_LF,
	REPLY_NUL,
	REPLY_UNKNOWN_CMD,
	REPLY_SYNTAX,
	REPLY_HELO_SYNTAX,
	REPLY_NOT_IMPLEMENTED,
	REPLY_NEED_HELO,
	REPLY_NESTED_MAIL,
	REPLY_NEED_MAIL,
	REPLY_NEED_RCPT,
	REPLY_NO_VALID_RCPT,
	REPLY_BDAT_MIX,
	REPLY_BDAT_SYNTAX,
	REPLY_PARAM_UNKNOWN,
	REPLY_PARAM_SYNTAX,
	REPLY_SENDER_SYNTAX,
	REPLY_RCPT_SYNTAX,
	REPLY_NEED_SMTPUTF8,
	REPLY_SIZE_EXCEEDED,
	REPLY_NO_SUCH_USER,
	REPLY_RELAY_DENIED,
	REPLY_ROUTING_DENIED,
	REPLY_TOO_MANY_RCPTS,
	REPLY_LOOP,
	REPLY_DATA_BARE_LF,
	REPLY_DATA_NUL,
	REPLY_DATA_LONG_LINE,
	REPLY_DATA_HEADER,
	REPLY_DISK_FULL,
	REPLY_STARTTLS_GO,
	REPLY_TLS_UNAVAILABLE,
	REPLY_TLS_ACTIVE,
	REPLY_NEED_TLS,
	REPLY_AUTH_REQUIRED,
	REPLY_AUTH_OK,
	REPLY_AUTH_FAILED,
	REPLY_AUTH_MECH,
	REPLY_AUTH_ALREADY,
	REPLY_AUTH_IN_MAIL,
	REPLY_AUTH_BASE64,
	REPLY_AUTH_CANCELLED,
	REPLY_AUTH_NEEDS_TLS,
	REPLY_AUTH_THROTTLED,
	REPLY_AUTH_TEMP,
	REPLY_SENDER_NOT_OWNED,
	REPLY_SPF_FAIL,
	REPLY_SPF_TEMP,
	REPLY_PERMANENT,
	REPLY_LOCAL_ERROR,
	REPLY_COUNT
};

struct reply {
	const char	*name;	/* the enum's name, for tests and logs */
	int		 code;	/* RFC 5321 reply code */
	const char	*ecode;	/* RFC 3463 enhanced code, NULL for 354 */
	const char	*text;
};

/* The table entry; id must be < REPLY_COUNT. */
const struct reply *reply_get(enum reply_id);

/*
 * Format "CODE ECODE TEXT[ EXTRA]" (no CRLF) into out; returns the length,
 * truncated to outsz - 1.  extra may be NULL.
 */
size_t	reply_format(enum reply_id, const char *extra, char *out,
	    size_t outsz);

/*
 * The reply for a program's sysexits(3) status (the filter contract):
 * 0 -> REPLY_OK; EX_TEMPFAIL and our own trouble (EX_OSERR, EX_IOERR,
 * EX_CANTCREAT, EX_OSFILE, EX_SOFTWARE, EX_CONFIG) -> REPLY_LOCAL_ERROR;
 * EX_NOUSER, EX_NOPERM, EX_DATAERR, EX_USAGE their own; the rest
 * REPLY_PERMANENT.
 */
enum reply_id reply_from_sysexit(int status);

#endif
