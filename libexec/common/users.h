/*
 * users.h — the local domains, their users and aliases (DESIGN.md):
 *
 *   DIR/domains/<domain>/users     user:hash lines
 *   DIR/domains/<domain>/aliases   local: target, target   ("*" catch-all)
 *
 * A domain directory may be named by its U-labels or A-labels; names
 * compare after IDNA normalisation (addr_domain_normalize).  Local parts
 * compare without regard to ASCII case, first as given, then with the
 * configured drop characters removed and the suffix after a separator
 * ("user+tag") cut off.  postmaster is always local (RFC 5321 4.5.1).
 */
#ifndef TAMBO_USERS_H
#define TAMBO_USERS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "addr.h"
#include "conf.h"

#define USERS_DOMAINS_MAX	4096
#define USERS_FILE_MAX		(8 * 1024 * 1024)

enum users_result {
	USERS_NOT_LOCAL,	/* the domain is not ours */
	USERS_USER,		/* a user with a password */
	USERS_ALIAS,		/* an alias (or postmaster's) */
	USERS_CATCHALL,		/* only "*" matched */
	USERS_POSTMASTER,	/* postmaster with no alias or user */
	USERS_UNKNOWN,		/* our domain, no such user */
	USERS_TEMP,		/* could not read the configuration */
};

struct users_domain {
	char	 name[ADDR_DOMAIN_MAX + 1];	/* normalised */
	char	 dirname[ADDR_DOMAIN_MAX + 1];	/* as on disk */
};

struct users {
	const struct conf	*conf;
	struct users_domain	*domains;
	size_t			 ndomains;
};

/* Read the list of local domains.  -1 (errno set) when it cannot. */
int	users_open(struct users *, const struct conf *);
void	users_close(struct users *);

/* The local domain matching a domain as written (NULL if none). */
const struct users_domain *users_domain(const struct users *,
	    const char *domain);

/*
 * The domain whose postmaster a bare <postmaster> reaches (RFC 5321
 * 4.5.1): the local domain that is the hostname or its parent, else the
 * first in byte order.  NULL when there is no local domain.
 */
const struct users_domain *users_postmaster_domain(const struct users *);

/*
 * Classify a recipient.  An address without a domain (<postmaster>) is
 * taken as postmaster of users_postmaster_domain.
 */
enum users_result users_lookup(const struct users *, const struct addr *);

/*
 * Does the file have an entry whose key (text before sep) equals key,
 * ignoring ASCII case?  1 yes, 0 no, -1 error (errno; ENOENT reads as 0).
 * Lines may be "#" comments.
 */
int	users_file_has(const char *path, const char *key, char sep);

/*
 * The users file that holds the password of "local@domain": 1 (path set),
 * 0 when the domain is not ours, -1 (errno) when the path does not fit.
 */
int	users_password_file(const struct users *, const char *address,
	    char path[PATH_MAX]);

/*
 * The password hash of a user given as "local@domain": 1 found (hash
 * copied), 0 no such user, -1 error.
 */
int	users_password_hash(const struct users *, const char *address,
	    char *hash, size_t hashsz);

/*
 * May the authenticated user (local@domain) use this envelope sender?
 * Yes for <> and for the user's own address (in any case, with any
 * suffix); otherwise DIR/domains/<user's domain>/senders decides, with
 * lines "user: pattern, pattern" where a pattern is an address,
 * "*@domain" or "*".  1 yes, 0 no, -1 error.
 */
int	users_may_send(const struct users *, const char *user,
	    const char *from);

/*
 * Like users_file_has, and copy the value after sep (spaces trimmed) to
 * out (when not NULL).  1, 0, or -1 (ENAMETOOLONG: did not fit).
 */
int	users_file_get(const char *path, const char *key, char sep,
	    char *out, size_t outsz);

/*
 * Resolve a recipient one step, for delivery: USERS_USER (out: the user's
 * key as found, lower case), USERS_ALIAS or USERS_CATCHALL (out: the
 * alias's targets as written), USERS_POSTMASTER (no user, no alias),
 * USERS_UNKNOWN, USERS_NOT_LOCAL or USERS_TEMP.  *dom is the local domain.
 * out may be NULL (outsz 0): then only the class is wanted, which is
 * users_lookup.
 */
enum users_result users_resolve(const struct users *, const struct addr *,
	    char *out, size_t outsz, const struct users_domain **dom);

/* What users_alias_next found. */
enum users_target {
	USERS_TARGET_END,	/* no more targets */
	USERS_TARGET_ADDRESS,	/* an address or a bare local part */
	USERS_TARGET_PIPE,	/* "| command": the command, maybe empty */
};

/*
 * The targets of an alias value v[0..n) (tambo-domains(5)), one per
 * call, starting with *pos 0: commas separate them, blanks (space, tab)
 * around each are trimmed and empty ones skipped; a target that starts
 * with '|' is a command that takes the rest of the value, commas
 * included, and is the last.  The target is v[*start .. *start + *len),
 * for a pipe the command without the '|', trimmed.  The one reading of
 * the grammar for the delivery runner and `tambo alias`; no I/O.
 */
enum users_target users_alias_next(const char *v, size_t n, size_t *pos,
	    size_t *start, size_t *len);

/* Copy the local part for lookup: lower-case, drops, suffix cut. */
void	users_canonical_local(const struct conf *, const char *local,
	    char *out, size_t outsz);

#endif
