/*
 * smtpreply.h — the client side of SMTP replies (RFC 5321 4.2, RFC 2034
 * enhanced status codes) and of the EHLO keywords (RFC 5321 4.1.1.1 and
 * the extensions' RFCs).
 *
 * I/O-free: the caller reads a reply line by line (without its CRLF) and
 * feeds each to smtpreply_feed until it says the reply is complete; unit
 * tests and the fuzzer call it directly.  The reply keeps its code, its
 * enhanced code and its text made fit for a log line and for the delivery
 * runner's result lines: printable ASCII only, the lines joined with
 * " / ", at most SMTPREPLY_TEXT_MAX bytes.
 */
#ifndef TAMBO_SMTPREPLY_H
#define TAMBO_SMTPREPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SMTPREPLY_TEXT_MAX	400	/* the joined text, in octets */
#define SMTPREPLY_ECODE_MAX	11	/* "5.123.123" and a spare */
#define SMTPREPLY_LINES_MAX	256	/* lines in one reply, then ETOOMANY */

enum smtpreply_result {
	SMTPREPLY_MORE,		/* a continuation line ("250-"): read on */
	SMTPREPLY_DONE,		/* the last line: the reply is complete */
	SMTPREPLY_ESYNTAX,	/* not a reply line, or a code that changed */
	SMTPREPLY_ETOOMANY,	/* more than SMTPREPLY_LINES_MAX lines */
};

struct smtp_reply {
	int		 code;		/* 0 before the first line */
	/* RFC 3463 code of the first line that has one of the reply's
	 * class, "" when none does. */
	char		 ecode[SMTPREPLY_ECODE_MAX + 1];
	char		 text[SMTPREPLY_TEXT_MAX + 1];
	size_t		 textlen;
	unsigned	 nlines;
	bool		 done;
};

/* The EHLO keywords a client acts on. */
#define SMTPEXT_PIPELINING	0x0001	/* RFC 2920 */
#define SMTPEXT_SIZE		0x0002	/* RFC 1870 */
#define SMTPEXT_8BITMIME	0x0004	/* RFC 6152 */
#define SMTPEXT_SMTPUTF8	0x0008	/* RFC 6531 */
#define SMTPEXT_DSN		0x0010	/* RFC 3461 */
#define SMTPEXT_STARTTLS	0x0020	/* RFC 3207 */
#define SMTPEXT_AUTH		0x0040	/* RFC 4954 */
#define SMTPEXT_AUTH_PLAIN	0x0080	/* AUTH lists PLAIN (RFC 4616) */
#define SMTPEXT_ENHANCED	0x0100	/* RFC 2034 ENHANCEDSTATUSCODES */
#define SMTPEXT_CHUNKING	0x0200	/* RFC 3030 */

struct smtp_ext {
	unsigned	 flags;		/* SMTPEXT_* */
	uint64_t	 size;		/* SIZE's value; 0: no fixed maximum */
};

/* Start an empty reply (also to reuse one). */
void	smtpreply_init(struct smtp_reply *);

/*
 * Add one line, s[0..n) without CRLF (a trailing CR is ignored).  A line
 * is three digits, the first 2-5 and the second 0-5, then "-" (more to
 * come), " " or nothing (the last line); every line of a reply carries
 * the same code.  On SMTPREPLY_MORE or SMTPREPLY_DONE *text and *textlen
 * (when not NULL) are the line's text after the code and separator, in s
 * (the EHLO keyword parser's input).  After SMTPREPLY_DONE the reply is
 * complete; feeding it more is a bug the function refuses with
 * SMTPREPLY_ESYNTAX.  After an error the reply is unusable.
 */
enum smtpreply_result smtpreply_feed(struct smtp_reply *, const char *s,
	    size_t n, const char **text, size_t *textlen);

/*
 * A complete reply's class: 2 (success; also 3, the intermediate
 * replies 334 and 354), 4 (transient) or 5 (permanent).
 */
int	smtpreply_class(const struct smtp_reply *);

/*
 * The enhanced status code to report: the reply's own, else one made
 * from the class ("2.0.0", "4.0.0", "5.0.0").
 */
const char *smtpreply_ecode(const struct smtp_reply *);

/*
 * Fill a reply with our own words (a synthesized code for the result
 * lines: 451 4.4.1 when no server said anything, say); text is cleaned
 * and cut as a server's would be.
 */
void	smtpreply_set(struct smtp_reply *, int code, const char *ecode,
	    const char *text);

/* Start an empty set of keywords. */
void	smtpreply_ext_init(struct smtp_ext *);

/*
 * Take one line of an EHLO reply (its text, as smtpreply_feed gave it;
 * the first line, the greeting name, is the caller's to skip).  Keywords
 * are matched without regard to case; unknown ones are ignored, as are
 * malformed parameters (a SIZE that is not a number counts as no limit).
 */
void	smtpreply_ext_line(struct smtp_ext *, const char *text, size_t n);

/* True when s looks like an RFC 3463 code "C.S.D" of class 2, 4 or 5. */
bool	smtpreply_ecode_valid(const char *s, size_t n);

#endif
