/*
 * addrlist.h — the addresses in an RFC 5322 address-list (3.4): the
 * bodies of To:, Cc: and Bcc: header fields, and sendmail's recipient
 * arguments ("bob, Carol <carol@example.org>").
 *
 * I/O-free: text in, one callback per address out, so unit tests and the
 * fuzzer reach it directly.  What comes out is each mailbox's addr-spec
 * as written, with display names, comments, group names and white space
 * taken away; a quoted local part keeps its quotes.  Nothing is checked
 * beyond the list's structure: the caller parses each address
 * (addr_parse_mailbox) and adds a domain to a bare local part if it likes.
 *
 * Accepted: mailboxes ("a@b", "Name <a@b>", "\"Q, Name\" <a@b> (note)"),
 * groups ("team: a@b, c@d;", "undisclosed-recipients:;"), folded text
 * (CR, LF and tabs count as spaces), empty elements (",,").
 * Refused (ADDRLIST_ESYNTAX): an unterminated quoted string, comment or
 * angle address; ">" or a second "<" outside one; text after an angle
 * address; white space inside a bare address; an address of more than
 * ADDRLIST_ADDR_MAX octets.
 */
#ifndef TAMBO_ADDRLIST_H
#define TAMBO_ADDRLIST_H

#include <stddef.h>

#define ADDRLIST_ADDR_MAX	1024	/* one address, octets */
#define ADDRLIST_DEPTH_MAX	64	/* nested comments */

enum addrlist_result {
	ADDRLIST_OK,
	ADDRLIST_ESYNTAX,	/* not an address list */
	ADDRLIST_ESTOP,		/* the callback asked to stop */
};

/* Called with each address, s[0..n) (not NUL-terminated, n > 0). */
typedef int (*addrlist_fn)(const char *s, size_t n, void *ctx);

/*
 * Call fn for each address of s[0..n), in order.  fn returns 0 to go on,
 * non-zero to stop (ADDRLIST_ESTOP).  On ADDRLIST_ESYNTAX the addresses
 * before the fault have been handed to fn already.
 */
enum addrlist_result addrlist_parse(const char *s, size_t n, addrlist_fn fn,
	    void *ctx);

#endif
