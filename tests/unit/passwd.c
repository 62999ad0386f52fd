/*
 * passwd.c — unit tests for libexec/common/passwd.c: yescrypt hashes that
 * verify, wrong passwords and unusable hashes that do not, and the
 * constant-work path for a user that does not exist.
 *
 * Each hash or check costs about 0.1 s (yescrypt's default cost), so the
 * cases are few.
 */
#include <string.h>

#include "passwd.h"
#include "tap.h"

#define PW	"correct h\xc3\xb6rse"	/* UTF-8 on purpose */

static void
test_hash_verify(void)
{
	char	 h1[PASSWD_HASH_MAX], h2[PASSWD_HASH_MAX], small[10];

	is_int(passwd_hash(PW, h1, sizeof(h1)), 0, "hash");
	ok(strncmp(h1, "$y$", 3) == 0, "a yescrypt hash: %.12s...", h1);
	ok(strlen(h1) > 20 && strlen(h1) < PASSWD_HASH_MAX, "a sane length");
	ok(strchr(h1, ':') == NULL && strchr(h1, '\n') == NULL,
	    "no ':' or newline (users file format)");
	is_int(passwd_verify(PW, h1), 1, "the password verifies");
	is_int(passwd_verify("correct horse", h1), 0,
	    "an ASCII look-alike does not");

	is_int(passwd_hash(PW, h2, sizeof(h2)), 0, "hash again");
	ok(strcmp(h1, h2) != 0, "a fresh salt each time");

	is_int(passwd_hash(PW, small, sizeof(small)), -1,
	    "hash into a small buffer");
}

static void
test_unusable(void)
{
	is_int(passwd_verify("secret", NULL), 0, "no such user: 0");
	is_int(passwd_verify("secret", ""), 0, "empty hash: 0");
	is_int(passwd_verify("secret", "*"), 0, "locked (*): 0");
	is_int(passwd_verify("secret", "!"), 0, "locked (!): 0");
	is_int(passwd_verify("secret", "!$y$j9T$abc$def"), 0,
	    "locked hash: 0");
	is_int(passwd_verify("secret", "$y$garbage"), 0, "garbage: 0");
	is_int(passwd_verify("secret", "secret"), 0,
	    "plaintext in the hash field: 0");
}

int
main(void)
{
	test_hash_verify();
	test_unusable();
	return done_testing();
}
