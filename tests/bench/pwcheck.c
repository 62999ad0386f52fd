/*
 * pwcheck: the CPU cost of one password check.
 *
 *   pwcheck crypt N HASH          crypt_r (libcrypt) of the password read
 *                                 from stdin against HASH (say tambo's
 *                                 yescrypt hash from a users file), N times
 *   pwcheck sasl N CONFDIR USER   Cyrus SASL as Postfix's smtpd uses it:
 *                                 per check a new server connection for
 *                                 service "smtp" with the application
 *                                 name "smtpd" (so CONFDIR/smtpd.conf
 *                                 chooses the password store), AUTH PLAIN
 *                                 with USER and the password from stdin
 *                                 as initial response, and its disposal
 *
 * (Built only with -DWITH_SASL -lsasl2 for the sasl mode.)  Every check
 * must succeed.  Prints "CPU-MS WALL-MS": the mean CPU time (user +
 * system) and the mean wall time of one check, in milliseconds.  Exit
 * status 0, or 1 with a message on stderr.
 */

#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#ifdef WITH_SASL
#include <sasl/sasl.h>
#endif

#define MAX_RUNS	10000L
#define PASSWORD_MAX	256

static double
cpu_now(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) == -1) {
		perror("pwcheck: getrusage");
		exit(1);
	}
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

static double
wall_now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);	/* cannot fail here */
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
check_crypt(const char *password, const char *hash)
{
	static struct crypt_data cd;	/* about 32 KiB: not on the stack */
	const char *h;

	memset(&cd, 0, sizeof(cd));
	h = crypt_r(password, hash, &cd);
	if (h == NULL || h[0] == '*' || strcmp(h, hash) != 0) {
		fprintf(stderr, "pwcheck: the password does not match\n");
		return -1;
	}
	return 0;
}

#ifdef WITH_SASL
static const char *sasl_dir;

static int
sasl_confpath(void *ctx, const char **path)
{
	(void)ctx;
	*path = sasl_dir;
	return SASL_OK;
}

static int
check_sasl(const char *user, const char *password)
{
	char	 ir[2 + 2 * PASSWORD_MAX];
	const char *out;
	unsigned outlen, irlen;
	sasl_conn_t *conn;
	size_t	 ul = strlen(user), pl = strlen(password);
	int	 r;

	if (ul > PASSWORD_MAX || pl > PASSWORD_MAX)
		return -1;
	ir[0] = '\0';
	memcpy(ir + 1, user, ul);
	ir[1 + ul] = '\0';
	memcpy(ir + 2 + ul, password, pl);
	irlen = (unsigned)(2 + ul + pl);
	r = sasl_server_new("smtp", "postfix.bench.test", NULL, NULL, NULL,
	    NULL, 0, &conn);
	if (r != SASL_OK) {
		fprintf(stderr, "pwcheck: sasl_server_new: %s\n",
		    sasl_errstring(r, NULL, NULL));
		return -1;
	}
	r = sasl_server_start(conn, "PLAIN", ir, irlen, &out, &outlen);
	if (r != SASL_OK) {
		fprintf(stderr, "pwcheck: PLAIN: %s\n", sasl_errdetail(conn));
		sasl_dispose(&conn);
		return -1;
	}
	sasl_dispose(&conn);
	return 0;
}
#endif

static void
usage(void)
{
	fprintf(stderr, "usage: pwcheck crypt N HASH < password\n"
#ifdef WITH_SASL
	    "       pwcheck sasl N CONFDIR USER < password\n"
#endif
	    );
	exit(1);
}

int
main(int argc, char **argv)
{
	char	 password[PASSWORD_MAX + 2];
	double	 c0, w0;
	long	 n, i;
	char	*end;
	int	 sasl;
	size_t	 len;

	if (argc < 4)
		usage();
	sasl = strcmp(argv[1], "sasl") == 0;
	if (!sasl && strcmp(argv[1], "crypt") != 0)
		usage();
	if ((sasl && argc != 5) || (!sasl && argc != 4))
		usage();
	errno = 0;
	n = strtol(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > MAX_RUNS) {
		fprintf(stderr, "pwcheck: N: 1 to %ld\n", MAX_RUNS);
		return 1;
	}
	if (fgets(password, sizeof(password), stdin) == NULL) {
		fprintf(stderr, "pwcheck: no password on stdin\n");
		return 1;
	}
	len = strcspn(password, "\r\n");
	password[len] = '\0';
#ifdef WITH_SASL
	if (sasl) {
		static const sasl_callback_t cb[] = {
			/* void (*)(void) in between: the generic function type */
			{ SASL_CB_GETCONFPATH,
			    (int (*)(void))(void (*)(void))sasl_confpath,
			    NULL },
			{ SASL_CB_LIST_END, NULL, NULL },
		};
		int r;

		sasl_dir = argv[3];
		if ((r = sasl_server_init(cb, "smtpd")) != SASL_OK) {
			fprintf(stderr, "pwcheck: sasl_server_init: %s\n",
			    sasl_errstring(r, NULL, NULL));
			return 1;
		}
		/* One check before timing: plugins and the store open. */
		if (check_sasl(argv[4], password) == -1)
			return 1;
	}
#else
	if (sasl)
		usage();
#endif
	c0 = cpu_now();
	w0 = wall_now();
	for (i = 0; i < n; i++) {
#ifdef WITH_SASL
		if (sasl) {
			if (check_sasl(argv[4], password) == -1)
				return 1;
			continue;
		}
#endif
		if (check_crypt(password, argv[3]) == -1)
			return 1;
	}
	printf("%.3f %.3f\n", (cpu_now() - c0) * 1000.0 / (double)n,
	    (wall_now() - w0) * 1000.0 / (double)n);
	explicit_bzero(password, sizeof(password));
#ifdef WITH_SASL
	if (sasl)
		sasl_done();
#endif
	return 0;
}
