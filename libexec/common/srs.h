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
 * widely used libsrs2/postsrsd, so the addresses look familiar.  A sender
 * that is already an SRS address is not turned into the SRS1 form: the
 * forwarding hop wraps the whole address in SRS0 again, which is simpler
 * and still reversible by us.
 *
 * Base32 (RFC 4648 6) is case-insensitive, so a hop that changes the case
 * of the local part breaks nothing.  The local part of an SRS address is
 * kept within RFC 5321's 64 octets, because the bounce has to come back
 * through a receiver (ours included) that enforces that limit.
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

/* Why an SRS local part is refused (srs_verify). */
enum srs_result {
	SRS_OK,
	SRS_EMALFORMED,		/* not of the SRS0 form we make */
	SRS_EHASH,		/* the hash does not verify: forged */
	SRS_EEXPIRED,		/* older than SRS_MAX_AGE_DAYS */
};

/*
 * Load STATEDIR/srs.key (hex, 64 digits and a newline), creating it with
 * fresh random bytes (mode 0600, O_EXCL, fsync) when missing.  -1 with
 * errno when it can neither read nor create one (EINVAL: the file does
 * not hold a key).  Two processes creating it at once end up with the
 * same key; run as root, the new file is given to the owner of STATEDIR.
 * The key is a secret: wipe the struct (explicit_bzero) when done.
 */
int	srs_load(struct srs *, const char *statedir);

/*
 * Rewrite sender (a mailbox "local@domain") for forwarding from domain
 * fwd; now is the Unix time.  The result goes to out (ADDR_PATH_MAX + 1).
 * false when the sender cannot be rewritten: the null sender, a quoted
 * local part or an address literal, or a result whose local part would
 * exceed 64 octets (RFC 5321 4.5.3.1.1) or that would not fit in a path
 * (4.5.3.1.3) or in out.  The caller then forwards with the original
 * sender.
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

/* srs_reverse, saying why a local part is refused (for logs). */
enum srs_result srs_verify(const struct srs *, const char *local,
	    int64_t now, char *out, size_t outsz);

/* "ok", "malformed", "bad hash", "expired". */
const char *srs_strerror(enum srs_result);

/* Does local start with "SRS0=" or "SRS1=" (any case)? */
bool	srs_is_srs(const char *local);

#endif
