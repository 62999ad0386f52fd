/*
 * srs.h — the Sender Rewriting Scheme for forwarded mail.
 *
 * When tambo forwards mail for one of its domains (an alias to a Gmail
 * mailbox, say), the receiver checks SPF against the envelope sender's
 * domain, which has not authorised tambo's addresses.  So the envelope
 * sender is rewritten to an address in the forwarding domain:
 *
 *	SRS0=HHHH=TT=orig-domain=orig-local@forwarding-domain
 *
 * HHHH is a keyed hash (HMAC-SHA256 with the key in STATE/srs.key, the
 * first 4 characters of its base32) over TT, orig-domain and orig-local
 * (lower-cased); TT is the day number modulo 1024 in two base32
 * characters.  A bounce to such an address is accepted on port 25 only
 * while the hash verifies and TT is at most SRS_MAX_AGE_DAYS old, and is
 * then returned to orig-local@orig-domain.  The form is that of the
 * widely used libsrs2/postsrsd, so the addresses look familiar.  An
 * address that is already SRS0 is rewritten to SRS1 form is not needed:
 * a forwarding hop re-wraps it as SRS0 of the whole address (simpler,
 * still reversible by us).
 */
#ifndef TAMBO_SRS_H
#define TAMBO_SRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define SRS_KEY_LEN		32	/* octets of secret */
#define SRS_MAX_AGE_DAYS	21

struct srs {
	unsigned char	 key[SRS_KEY_LEN];
};

/*
 * Load STATEDIR/srs.key (hex, 64 digits and a newline), creating it with
 * fresh random bytes (mode 0600, O_EXCL, fsync) when missing.  -1 with
 * errno when it can neither read nor create one.
 */
int	srs_load(struct srs *, const char *statedir);

/*
 * Rewrite sender (a mailbox "local@domain") for forwarding from domain
 * fwd; now is the Unix time.  The result goes to out (ADDR_PATH_MAX + 1).
 * false when the result would not fit in a path (RFC 5321 4.5.3.1.3):
 * the caller then forwards with the original sender.
 */
bool	srs_forward(const struct srs *, const char *sender, const char *fwd,
	    int64_t now, char *out, size_t outsz);

/*
 * Is local (the local part of a recipient in one of our domains) an SRS0
 * address we made and that has not expired?  On success the original
 * sender is written to out.  Case-insensitive, as mail systems may
 * change the case of local parts.
 */
bool	srs_reverse(const struct srs *, const char *local, int64_t now,
	    char *out, size_t outsz);

/* Does local start with "SRS0=" or "SRS1=" (any case)? */
bool	srs_is_srs(const char *local);

#endif
