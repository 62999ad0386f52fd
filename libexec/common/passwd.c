/*
 * passwd.c — yescrypt hashing and constant-time checking (see passwd.h).
 *
 * The cost is libcrypt's default for yescrypt ("$y$j9T$": N = 4096 blocks,
 * about 4 MiB and a few tens of milliseconds per check): expensive enough
 * to slow an offline guesser, cheap enough for a submission handler.
 */
#include <crypt.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "passwd.h"
#include "poison.h"

/* A valid yescrypt hash of a random, discarded password. */
static const char passwd_dummy[] =
    "$y$j9T$PKTTn1OUqt6ZFfqcM0a5s.$Ij8lu/Zh6NUAMnCDCSNg9Wa9JYLIeE8aUX4be4sB/j1";

int
passwd_hash(const char *password, char *out, size_t outsz)
{
	char	 setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int	 saved;

	if (crypt_gensalt_rn("$y$", 0, NULL, 0, setting,
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
