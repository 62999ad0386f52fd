/*
 * addr.h — mail addresses: RFC 5321 paths, RFC 6531 UTF-8, IDNA domains.
 *
 * The parsers take bytes and return results; they do no I/O, so unit tests
 * and fuzzers reach them directly.  This is the only module that includes
 * libidn2.
 *
 * A parsed address keeps the mailbox as the client spelled it (to be sent
 * on unchanged), the local part with quoting removed (for lookups), the
 * domain as given, and flags for the forms a relay must never honour:
 * source routes, the %-hack, bang paths, "@" inside a quoted local part,
 * address literals and trailing-dot domains.  Those forms parse, so that
 * the caller can refuse them with a relay reply rather than a syntax error.
 */
#ifndef TAMBO_ADDR_H
#define TAMBO_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#define ADDR_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_PATH_MAX	256	/* RFC 5321 4.5.3.1.3 */

/* Flags describing a parsed address. */
#define ADDR_NULL		0x0001	/* <> */
#define ADDR_NODOMAIN		0x0002	/* <postmaster> */
#define ADDR_ROUTE		0x0004	/* <@a,@b:user@dom> */
#define ADDR_QUOTED		0x0008	/* "local"@dom */
#define ADDR_LITERAL		0x0010	/* user@[192.0.2.1] */
#define ADDR_UTF8		0x0020	/* non-ASCII anywhere */
#define ADDR_TRAILING_DOT	0x0040	/* user@dom. */
#define ADDR_PERCENT		0x0080	/* user%other@dom */
#define ADDR_BANG		0x0100	/* host!user@dom */
#define ADDR_QUOTED_AT		0x0200	/* "a@b"@dom */
/* The forms that ask for relaying through us. */
#define ADDR_RELAY_TRICKS (ADDR_ROUTE | ADDR_LITERAL | ADDR_TRAILING_DOT | \
	ADDR_PERCENT | ADDR_BANG | ADDR_QUOTED_AT)

/* Options for the parsers. */
#define ADDR_OPT_NULL		0x01	/* <> allowed (MAIL FROM) */
#define ADDR_OPT_POSTMASTER	0x02	/* <postmaster> allowed (RCPT TO) */
#define ADDR_OPT_UTF8		0x04	/* SMTPUTF8 in effect */

enum addr_result {
	ADDR_OK,
	ADDR_ESYNTAX,		/* not an address */
	ADDR_ETOOLONG,		/* a part exceeds its RFC 5321 limit */
	ADDR_EUTF8,		/* non-ASCII without SMTPUTF8 */
	ADDR_EDOMAIN,		/* domain fails IDNA2008/UTS#46 */
};

struct addr {
	unsigned flags;
	char	 mailbox[ADDR_PATH_MAX + 1];	/* local@domain as given; "" for <> */
	char	 local[ADDR_LOCAL_MAX + 1];	/* unquoted */
	char	 domain[ADDR_DOMAIN_MAX + 1];	/* as given, "" if none */
};

/*
 * Parse an RFC 5321 Path ("<...>") at the start of s[0..n).  *used is set
 * to the number of bytes taken (up to and including '>').
 */
enum addr_result addr_parse_path(const char *s, size_t n, unsigned opts,
	    struct addr *, size_t *used);

/* Parse a bare mailbox "local@domain" that fills all of s[0..n). */
enum addr_result addr_parse_mailbox(const char *s, size_t n, unsigned opts,
	    struct addr *);

/*
 * Normalise a domain for comparison: IDNA2008 with UTS#46 mapping,
 * non-transitional, to lower-case A-labels.  A trailing dot is kept out.
 * Returns false for a domain that is not valid.
 */
bool	addr_domain_normalize(const char *in, char *out, size_t outsz);

/* True for well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
bool	addr_utf8_valid(const void *, size_t);

/*
 * True for a syntactically valid RFC 5321 Domain or address literal.
 * Lenient where clients in the wild are: underscores and one trailing dot
 * are tolerated in a HELO name.
 */
bool	addr_helo_valid(const char *, size_t, bool utf8);

/* A short English description of a result, for logs. */
const char *addr_strerror(enum addr_result);

#endif
