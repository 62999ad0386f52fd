/*
 * passwd.c — yescrypt hashing and constant-time checking (see passwd.h).
 *
 * The cost, chosen deliberately: yescrypt cost 4 ("$y$j8T$", 8 MiB of
 * memory per hash).  Measured on the 2-vCPU machines tambo is built for:
 * cost 3 takes about 16 ms of CPU per check, 4 about 31 ms, 5 (libcrypt's
 * default, 16 MiB) about 68 ms, 6 about 165 ms.  What resists offline
 * guessing of a stolen users file is the memory each guess needs: 8 MiB
 * per guess keeps a GPU to a few hundred guesses per second per card, and
 * costs a submission session (one check per connection) about a third of
 * what cost 5 would — the difference between about 60 and 30 logins per
 * second here.  Online guessing is throttled separately (throttle.c).
 * Existing hashes keep their own cost: the hash string carries it.
 */
#include <crypt.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "passwd.h"
#include "poison.h"

#define PASSWD_COST	4

/* A valid hash (at PASSWD_COST) of a random, discarded password. */
static const char passwd_dummy[] =
    "$y$j8T$PKTTn1OUqt6ZFfqcM0a5s.$Sn1aif/PBcISQpvfVAiEHjw8KMfZCLf1S8FpZfOSA9A";

int
passwd_hash(const char *password, char *out, size_t outsz)
{
	char	 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int	 saved;

	if (crypt_gensalt_rn("$y$", PASSWD_COST, NULL, 0, setting,
	    (int)sizeof(setting)) == NULL)
		return -1;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	h = crypt_r(password, setting, cd);
	if (h == NULL || h[0] == '*' || strlen(h) >= outsz) {
		saved = errno ? errno : EINVAL;
		explicit_bzero(cd, sizeof(*cd));
		free(cd);
		errno = saved;
		return -1;
	}
	memcpy(out, h, strlen(h) + 1);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return 0;
}

static bool
passwd_equal(const char *a, const char *b)
{
	size_t	 na = strlen(a), nb = strlen(b), i;
	unsigned char d = (unsigned char)(na != nb);

	for (i = 0; i < na && i < nb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

int
passwd_verify(const char *password, const char *hash)
{
	struct crypt_data *cd;
	const char *h;
	int	 r;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	h = crypt_r(password, hash ? hash : passwd_dummy, cd);
	if (h == NULL || h[0] == '*')
		r = 0;
	else
		r = hash != NULL && passwd_equal(h, hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}
