/*
 * passwd.h — password hashes (yescrypt through libcrypt).
 *
 * Kept apart from users.c so that only the programs that hash or check
 * passwords link libcrypt.
 */
#ifndef TAMBO_PASSWD_H
#define TAMBO_PASSWD_H

#include <stddef.h>

#define PASSWD_HASH_MAX	256
#define PASSWD_MAX	1024	/* longest password accepted */

/* Hash a password with a fresh salt.  0, or -1 with errno. */
int	passwd_hash(const char *password, char *out, size_t outsz);

/*
 * Check a password against a hash: 1 match, 0 no match, -1 error.  With
 * hash NULL (no such user) the same work is done against a fixed hash, so
 * the time taken does not tell whether the user exists.
 */
int	passwd_verify(const char *password, const char *hash);

#endif
