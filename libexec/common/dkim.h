/*
 * dkim.h — the byte work of a DKIM signer (RFC 6376), without I/O or
 * cryptography: finding the header section, splitting it into fields,
 * the simple and relaxed canonicalisations of header fields (3.4.1,
 * 3.4.2) and of the body (3.4.3, 3.4.4, as a streaming state machine),
 * the choice of fields to sign and oversign (5.4, 5.4.2, 8.15), and the
 * DKIM-Signature field itself, its tags folded into lines (3.5).
 *
 * Line ends: a message may come with CRLF or bare LF line ends.  Both end
 * a line here (a CR alone is an ordinary byte), and the canonical forms
 * always use CRLF, as the message will have on the wire.  Hashing and
 * signing are the caller's (libexec/dkimsign).
 */
#ifndef TAMBO_DKIM_H
#define TAMBO_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The header section is held in memory up to this size. */
#define DKIM_HEADER_MAX		(1024 * 1024)
/* A DKIM-Signature field is folded to lines of at most this many octets. */
#define DKIM_FOLD_WIDTH		78
/* Canonical body octets collected before they go to the output function. */
#define DKIM_BODY_OBUF		16384

enum dkim_canon {
	DKIM_SIMPLE,
	DKIM_RELAXED,
};

/*
 * Parse a c= value: "relaxed/relaxed", "simple/relaxed", ... or a single
 * word, which is the header canonicalisation with a simple body (3.5).
 */
bool	dkim_canon_parse(const char *s, enum dkim_canon *header,
	    enum dkim_canon *body);
const char *dkim_canon_name(enum dkim_canon);

/*
 * Find the end of the header section, the first empty line, in p[0..n) as
 * the message arrives.  *scan remembers how far the search went (set it
 * to 0 before the first call, and call again with more of the message in
 * p).  When the empty line is found, returns true with *hdrlen, the
 * octets of the fields (their line ends included), and *bodyoff, where
 * the body starts (after the empty line).  A message that ends without an
 * empty line is all header: the caller takes n for both then.
 */
bool	dkim_header_end(const char *p, size_t n, size_t *scan,
	    size_t *hdrlen, size_t *bodyoff);

/* One header field, pointing into the header section. */
struct dkim_field {
	const char	*name;		/* without white space before ':' */
	size_t		 namelen;	/* 0: not a well-formed field */
	const char	*raw;		/* the field, continuation lines */
	size_t		 rawlen;	/* and line ends included */
};

/*
 * The field at *off in the header section h[0..n), and *off moved past
 * it; false at the end.  A field is a line and the lines after it that
 * start with a space or a tab.  A line without a colon, or with bytes
 * outside RFC 5322 ftext in the name, is a field with namelen 0 (never
 * signed).
 */
bool	dkim_field_next(const char *h, size_t n, size_t *off,
	    struct dkim_field *);

/* How many fields named name (any case) the header section holds. */
size_t	dkim_field_count(const char *h, size_t n, const char *name);

/*
 * Append the canonical form of one field raw[0..n) to out, without a
 * final CRLF: simple keeps it as it is (line ends made CRLF); relaxed
 * lowers the name, unfolds, makes each run of white space one space and
 * drops white space at the end and around the colon.  -1 (errno from
 * buf_add) when out is full.
 */
int	dkim_canon_header(enum dkim_canon, const char *raw, size_t n,
	    struct buf *out);

/*
 * The default h= list for a header section (RFC 6376 5.4.1): From, the
 * recipient, subject, date, identity, thread, MIME, List-* and Resent-*
 * fields that the message has, each once per field; the ones a forger
 * would add or repeat (From, To, Cc, Subject, Date, Message-ID, Reply-To,
 * In-Reply-To, References, Sender, MIME and content fields) once more,
 * so that a field added later breaks the signature (5.4.2, 8.15).
 * Appends the names, colon-separated, in lower case, to out.
 */
int	dkim_headers_choose(const char *h, size_t n, struct buf *out);

/*
 * Check an h= list given by hand: field names separated by colons, with
 * optional white space around them.  True when it is well formed and
 * names From (5.4: From must be signed).
 */
bool	dkim_hlist_valid(const char *list);

/*
 * Append the canonical header data for an h= list to out: for each name
 * in the list, the next field of that name from the bottom up (5.4.2),
 * canonicalised, with CRLF; a name with no field left adds nothing.
 */
int	dkim_headers_canon(enum dkim_canon, const char *h, size_t n,
	    const char *hlist, struct buf *out);

/*
 * A DNS name for d= or s=: labels of letters, digits and hyphens (not at
 * either end), 1 to 63 octets each, joined by dots, at most 253 octets.
 */
bool	dkim_name_valid(const char *);

/* Receives canonical body octets. */
typedef void (*dkim_out_fn)(void *ctx, const void *, size_t);

/*
 * The body canonicaliser: the body goes in as it arrives, in pieces of any
 * size; its canonical form comes out through fn in order.  Empty lines are
 * held back until a line with content follows them, so those at the end
 * are dropped; a last line without a line end gets CRLF; an empty body is
 * CRLF (simple) or nothing (relaxed).
 */
struct dkim_body {
	enum dkim_canon	 canon;
	dkim_out_fn	 fn;
	void		*ctx;
	uint64_t	 empty;		/* empty lines held back */
	uint64_t	 length;	/* canonical octets given to fn */
	bool		 cr;		/* the last byte was a CR */
	bool		 wsp;		/* relaxed: white space held back */
	bool		 inline_;	/* the line so far has content */
	size_t		 olen;
	unsigned char	 obuf[DKIM_BODY_OBUF];
};

void	dkim_body_init(struct dkim_body *, enum dkim_canon, dkim_out_fn,
	    void *ctx);
void	dkim_body_update(struct dkim_body *, const void *, size_t);
/* The end of the body: the last octets go to fn. */
void	dkim_body_final(struct dkim_body *);

/* What goes into a DKIM-Signature field besides b=. */
struct dkim_sig {
	const char	*algo;		/* "rsa-sha256", "ed25519-sha256" */
	enum dkim_canon	 hcanon, bcanon;
	const char	*domain;	/* d= */
	const char	*selector;	/* s= */
	const char *const *tags;	/* more "tag=value", after d= */
	size_t		 ntags;
	uint64_t	 t;		/* t= */
	uint64_t	 x;		/* x=, 0 for none */
	const char	*hlist;		/* h= */
	const char	*bh;		/* bh=, base64 */
};

/*
 * Append "DKIM-Signature: v=1; a=...; ...; b=" to out: the tags in the
 * order v a c d (tags) s t x h bh b, folded with eol followed by a space
 * before lines grow past DKIM_FOLD_WIDTH.  This text, canonicalised, ends
 * the data that is signed (3.7).
 */
int	dkim_sig_format(struct buf *out, const struct dkim_sig *,
	    const char *eol);

/* Append the b= value (base64), folded likewise, and a final eol. */
int	dkim_sig_add_b(struct buf *out, const char *b64, const char *eol);

#endif
