/*
 * srs.c — tambo srs: make and check SRS addresses (srs.h) by hand, with
 * the instance's key, for an operator following a bounce back and for
 * tests.
 *
 *   srs forward [--now SECONDS] SENDER DOMAIN   the envelope sender that
 *                                               forwarding from DOMAIN uses
 *   srs reverse [--now SECONDS] ADDRESS         the original sender of a
 *                                               bounce to an SRS address
 *
 * --now replaces the clock, to make or check old addresses: a Unix time,
 * or with a sign, seconds from now (-2592000 is 30 days ago).
 * The key is STATE/srs.key, created when missing as the delivery runner
 * and the SMTP handler would.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "addr.h"
#include "conf.h"
#include "num.h"
#include "srs.h"
#include "tambo.h"
#include "poison.h"

static int
srs_usage(void)
{
	tambo_err("usage: srs forward [--now SECONDS] SENDER DOMAIN\n"
	    "       srs reverse [--now SECONDS] ADDRESS");
	return EX_USAGE;
}

static int
srs_key(const char *dir, struct srs *srs)
{
	struct conf conf;
	char	 err[512];

	if (conf_load(dir, &conf, err, sizeof(err)) == -1) {
		tambo_err("%s", err);
		return EX_CONFIG;
	}
	if (srs_load(srs, conf.state) == -1) {
		tambo_err("%s/srs.key: %s", conf.state, strerror(errno));
		return EX_IOERR;
	}
	return EX_OK;
}

static int
srs_cmd_forward(struct srs *srs, const char *sender, const char *fwd,
    int64_t now)
{
	char	 out[ADDR_PATH_MAX + 1];

	if (!srs_forward(srs, sender, fwd, now, out, sizeof(out))) {
		tambo_err("%s: cannot be rewritten for %s", sender, fwd);
		return EX_DATAERR;
	}
	(void)printf("%s\n", out);
	return EX_OK;
}

static int
srs_cmd_reverse(struct srs *srs, const char *address, int64_t now)
{
	struct addr a;
	enum srs_result r;
	const char *local = address;
	char	 out[ADDR_PATH_MAX + 1];

	/* a whole address, or its local part alone */
	if (strchr(address, '@') != NULL) {
		if (addr_parse_mailbox(address, strlen(address), ADDR_OPT_UTF8,
		    &a) != ADDR_OK) {
			tambo_err("%s: not an address", address);
			return EX_DATAERR;
		}
		local = a.local;
	}
	if ((r = srs_verify(srs, local, now, out, sizeof(out))) != SRS_OK) {
		tambo_err("%s: %s", address, srs_strerror(r));
		return EX_DATAERR;
	}
	(void)printf("%s\n", out);
	return EX_OK;
}

int
cmd_srs(const char *dir, int argc, char **argv)
{
	struct srs srs;
	int64_t	 now = (int64_t)time(NULL);
	uint64_t v;
	int	 i = 1, rc;

	if (argc < 1)
		return srs_usage();
	if (i + 1 < argc && strcmp(argv[i], "--now") == 0) {
		const char *t = argv[i + 1];
		int	 sign = *t == '-' ? -1 : *t == '+' ? 1 : 0;

		if (!num_parse_str(t + (sign != 0), INT32_MAX, &v)) {
			tambo_err("--now: not a time: %s", t);
			return EX_USAGE;
		}
		now = sign == 0 ? (int64_t)v : now + sign * (int64_t)v;
		i += 2;
	}
	if (strcmp(argv[0], "forward") == 0 && argc - i == 2) {
		if ((rc = srs_key(dir, &srs)) != EX_OK)
			return rc;
		rc = srs_cmd_forward(&srs, argv[i], argv[i + 1], now);
	} else if (strcmp(argv[0], "reverse") == 0 && argc - i == 1) {
		if ((rc = srs_key(dir, &srs)) != EX_OK)
			return rc;
		rc = srs_cmd_reverse(&srs, argv[i], now);
	} else
		return srs_usage();
	explicit_bzero(&srs, sizeof(srs));
	return rc;
}
