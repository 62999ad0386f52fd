/*
 * smtpcmd.h — parsing SMTP command lines (RFC 5321 §4.1, with the ESMTP
 * parameters of RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 6531 SMTPUTF8,
 * RFC 3461 DSN, RFC 3030 BDAT and RFC 4954 AUTH).
 *
 * I/O-free: a line (without its CRLF) goes in, a verb and its parsed
 * arguments come out.  Policy (is this command allowed now, is this
 * recipient ours) belongs to the caller.  The parsed structures copy what
 * they keep, so the line may be reused afterwards.
 */
#ifndef TAMBO_SMTPCMD_H
#define TAMBO_SMTPCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define SMTP_LINE_MAX		512	/* RFC 5321 4.5.3.1.4, with CRLF */
#define SMTP_MAIL_LINE_MAX	(SMTP_LINE_MAX + 26 + 100 + 500)
					/* + SIZE, RET/ENVID, AUTH= */
#define SMTP_RCPT_LINE_MAX	(SMTP_LINE_MAX + 500)	/* + NOTIFY/ORCPT */
#define SMTP_AUTH_LINE_MAX	12288	/* RFC 4954 4 */
#define SMTP_TEXT_LINE_MAX	1000	/* RFC 5321 4.5.3.1.6, with CRLF */
#define SMTP_ENVID_MAX		100	/* RFC 3461 4.4 */
#define SMTP_ORCPT_MAX		500	/* RFC 3461 4.2 */

enum smtp_verb {
	SMTP_HELO,
	SMTP_EHLO,
	SMTP_MAIL,
	SMTP_RCPT,
	SMTP_DATA,
	SMTP_BDAT,
	SMTP_RSET,
	SMTP_NOOP,
	SMTP_QUIT,
	SMTP_VRFY,
	SMTP_EXPN,
	SMTP_HELP,
	SMTP_STARTTLS,
	SMTP_AUTH,
	SMTP_HTTP,		/* GET, POST, CONNECT, ...: not a mail client */
	SMTP_UNKNOWN,
	SMTP_VERB_COUNT
};

struct smtp_cmd {
	enum smtp_verb	 verb;
	const char	*name;	/* the verb's canonical name */
	const char	*arg;	/* after the verb and one space; "" if none */
	size_t		 arglen;
};

enum smtpcmd_result {
	SMTPCMD_OK,
	SMTPCMD_ESYNTAX,	/* 501 5.5.4 */
	SMTPCMD_ETOOLONG,	/* 500 5.5.2: over the verb's line limit */
	SMTPCMD_EADDR,		/* address trouble: see .addr_error */
	SMTPCMD_EPARAM,		/* 501 5.5.4: bad parameter value */
	SMTPCMD_EPARAM_UNKNOWN,	/* 555 5.5.4 */
	SMTPCMD_EPARAM_SIZE,	/* 552 5.3.4: SIZE= over the limit */
};

/* Which ESMTP parameters the caller has advertised. */
#define SMTPCMD_EXT_SIZE	0x01
#define SMTPCMD_EXT_8BITMIME	0x02
#define SMTPCMD_EXT_SMTPUTF8	0x04
#define SMTPCMD_EXT_DSN		0x08
#define SMTPCMD_EXT_AUTH	0x10

enum smtp_body { SMTP_BODY_NONE, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME };
enum smtp_ret { SMTP_RET_NONE, SMTP_RET_FULL, SMTP_RET_HDRS };

#define SMTP_NOTIFY_NEVER	0x01
#define SMTP_NOTIFY_SUCCESS	0x02
#define SMTP_NOTIFY_FAILURE	0x04
#define SMTP_NOTIFY_DELAY	0x08

struct smtp_mail {
	struct addr	 from;
	uint64_t	 size;		/* 0 when not given */
	enum smtp_body	 body;
	enum smtp_ret	 ret;
	bool		 smtputf8;
	char		 envid[SMTP_ENVID_MAX + 1];	/* xtext as sent */
	char		 auth[ADDR_PATH_MAX + 1];	/* AUTH= as sent */
	enum addr_result addr_error;
};

struct smtp_rcpt {
	struct addr	 to;
	unsigned	 notify;	/* SMTP_NOTIFY_*, 0 when not given */
	char		 orcpt[SMTP_ORCPT_MAX + 1];	/* "type;xtext" */
	enum addr_result addr_error;
};

/*
 * Split a command line into verb and argument.  Verbs are matched without
 * regard to case.  Fails (SMTPCMD_ESYNTAX) only for an empty line; an
 * unknown verb is SMTP_UNKNOWN.  Per-verb line limits are checked here.
 */
enum smtpcmd_result smtpcmd_parse(const char *line, size_t n,
	    struct smtp_cmd *);

/*
 * Parse the argument of MAIL ("FROM:<path> params").  ext says which
 * parameters are accepted; max_size is the SIZE limit (0: none).
 */
enum smtpcmd_result smtpcmd_mail(const char *arg, size_t n, unsigned ext,
	    uint64_t max_size, struct smtp_mail *);

/*
 * Parse the argument of RCPT ("TO:<path> params").  utf8 is true when the
 * transaction's MAIL carried SMTPUTF8.
 */
enum smtpcmd_result smtpcmd_rcpt(const char *arg, size_t n, unsigned ext,
	    bool utf8, struct smtp_rcpt *);

/*
 * Parse the argument of BDAT ("size [LAST]").
 */
enum smtpcmd_result smtpcmd_bdat(const char *arg, size_t n, uint64_t *size,
	    bool *last);

/*
 * Parse a NOTIFY value ("NEVER", or a list of SUCCESS, FAILURE, DELAY;
 * RFC 3461 4.1) into SMTP_NOTIFY_* bits; SMTPCMD_EPARAM when malformed.
 * The spool's envelope reader uses it too.
 */
enum smtpcmd_result smtpcmd_notify(const char *v, size_t n, unsigned *out);

/* True when s[0..n) is RFC 3461 xtext. */
bool	smtpcmd_xtext_valid(const char *s, size_t n);

#endif
