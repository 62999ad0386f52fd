/*
 * dkimsign — the DKIM signing filter (tambo-dkimsign(8)).
 *
 *   dkimsign [-C dir] -d DOMAIN -s SELECTOR -k KEYFILE [-d -s -k ...]
 *            [-c canon] [-x seconds] [-t time] [-h list] < msg > signed
 *   dkimsign [-C dir] --domain-keys DOMAIN < msg > signed
 *   dkimsign --public-key KEYFILE
 *   dkimsign --keygen rsa|ed25519 [--bits N] KEYFILE
 *
 * A filter in the sense of DESIGN.md: message on standard input, result
 * on standard output, exit 0, 75 (try later: our keys, our I/O) or
 * another code (the message cannot be signed).  Each -d/-s/-k triple, or
 * each key of the domain, is one signature of the same pass (RFC 8463 6:
 * RSA and Ed25519 side by side).  main parses options and finds keys;
 * sign.c does the message, key.c the cryptography.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "addr.h"
#include "conf.h"
#include "dkim.h"
#include "dkimsign.h"
#include "log.h"
#include "num.h"
#include "users.h"
#include "poison.h"

enum {
	OPT_DOMAIN_KEYS = 256,
	OPT_PUBLIC_KEY,
	OPT_KEYGEN,
	OPT_BITS,
	OPT_TAG,
	OPT_ALLOW_SMALL,
	OPT_HELP,
};

static const struct option dk_longopts[] = {
	{ "domain-keys", required_argument, NULL, OPT_DOMAIN_KEYS },
	{ "public-key", required_argument, NULL, OPT_PUBLIC_KEY },
	{ "keygen", required_argument, NULL, OPT_KEYGEN },
	{ "bits", required_argument, NULL, OPT_BITS },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "allow-small-rsa", no_argument, NULL, OPT_ALLOW_SMALL },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int
usage(void)
{
	(void)fputs("usage: dkimsign [-C dir] -d domain -s selector -k keyfile "
	    "[-d -s -k ...]\n"
	    "           [-c canon] [-x seconds] [-t time] [-h list] "
	    "[--tag tag=value] < msg\n"
	    "       dkimsign [-C dir] --domain-keys domain < msg\n"
	    "       dkimsign --public-key keyfile\n"
	    "       dkimsign --keygen rsa|ed25519 [--bits n] keyfile\n",
	    stderr);
	return EX_USAGE;
}

static int
dk_config_error(const char *what, const char *path, const char *reason)
{
	struct logline l;

	log_start(&l, LOG_ERR, "error");
	log_str(&l, "what", what);
	log_str(&l, "file", path);
	log_str(&l, "reason", reason);
	log_emit(&l);
	return EX_TEMPFAIL;
}

static int
dk_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The signers for --domain-keys: every file NAME.key in
 * DIR/domains/<domain>/dkim, in name order; the selector is the file name without ".key".
 */
static int
dk_domain_keys(const char *dir, const char *domain, struct dk_signer *sg,
    size_t *n)
{
	char	 norm[ADDR_DOMAIN_MAX + 1], dname[ADDR_DOMAIN_MAX + 1];
	char	 kdir[PATH_MAX], *names[DK_SIGNERS_MAX];
	struct conf c;
	struct users u;
	const struct users_domain *d;
	struct dirent *e;
	DIR	*dp;
	size_t	 i, count = 0;
	int	 rc = EX_TEMPFAIL;

	if (!addr_domain_normalize(domain, norm, sizeof(norm)) ||
	    strchr(domain, '/') != NULL || domain[0] == '.') {
		(void)fprintf(stderr, "dkimsign: %s: not a domain name\n",
		    domain);
		return EX_USAGE;
	}
	/* the directory as it is spelt on disk */
	(void)snprintf(dname, sizeof(dname), "%s", norm);
	conf_defaults(&c);
	(void)snprintf(c.dir, sizeof(c.dir), "%s", dir);
	if (users_open(&u, &c) == 0) {
		if ((d = users_domain(&u, domain)) != NULL)
			(void)snprintf(dname, sizeof(dname), "%s", d->dirname);
		users_close(&u);
	}
	if (conf_pathf(kdir, "%s/domains/%s/dkim", dir, dname) == -1)
		return dk_config_error("dkim keys", dir, strerror(errno));
	if ((dp = opendir(kdir)) == NULL)
		return dk_config_error("dkim keys", kdir, strerror(errno));
	while ((errno = 0, e = readdir(dp)) != NULL) {
		size_t	 len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len <= 4 ||
		    strcmp(e->d_name + len - 4, ".key") != 0)
			continue;
		if (count == DK_SIGNERS_MAX) {
			(void)dk_config_error("dkim keys", kdir,
			    "too many keys");
			goto out;
		}
		if ((names[count] = strndup(e->d_name, len - 4)) == NULL) {
			(void)dk_config_error("dkim keys", kdir,
			    strerror(errno));
			goto out;
		}
		count++;
	}
	if (errno != 0) {
		(void)dk_config_error("dkim keys", kdir, strerror(errno));
		goto out;
	}
	if (count == 0) {
		(void)dk_config_error("dkim keys", kdir, "no *.key file");
		goto out;
	}
	qsort(names, count, sizeof(names[0]), dk_name_cmp);
	for (i = 0; i < count; i++) {
		if (!dkim_name_valid(names[i])) {
			char	 bad[PATH_MAX];

			if (conf_pathf(bad, "%s/%s.key", kdir, names[i]) == -1)
				(void)snprintf(bad, sizeof(bad), "%s", kdir);
			(void)dk_config_error("dkim keys", bad,
			    "not a valid selector name");
			goto out;
		}
		(void)snprintf(sg[i].domain, sizeof(sg[i].domain), "%s", norm);
		(void)snprintf(sg[i].selector, sizeof(sg[i].selector), "%s",
		    names[i]);
		if (conf_pathf(sg[i].path, "%s/%s.key", kdir, names[i]) ==
		    -1) {
			(void)dk_config_error("dkim keys", kdir,
			    strerror(errno));
			goto out;
		}
	}
	*n = count;
	rc = EX_OK;
out:
	for (i = 0; i < count; i++)
		free(names[i]);
	(void)closedir(dp);
	return rc;
}

/* --tag: only tags dkimsign does not write itself. */
static bool
dk_tag_valid(const char *t)
{
	const char *p;

	if ((t[0] != 'i' && t[0] != 'q') || t[1] != '=' || t[2] == '\0')
		return false;
	for (p = t + 2; *p != '\0'; p++)
		if (*p <= ' ' || *p > '~' || *p == ';')
			return false;
	return true;
}

int
main(int argc, char **argv)
{
	struct dk_signer sg[DK_SIGNERS_MAX];
	struct dk_opts o;
	const char *dir = NULL, *domain_keys = NULL, *public_key = NULL;
	const char *keygen = NULL;
	size_t	 nd = 0, ns = 0, nk = 0, n = 0, i;
	uint64_t v;
	unsigned bits = 0;
	bool	 have_t = false;
	int	 ch, rc;

	log_open("dkimsign");
	/* a reader that went away is an error to report, not a signal */
	(void)signal(SIGPIPE, SIG_IGN);
	memset(sg, 0, sizeof(sg));
	memset(&o, 0, sizeof(o));
	o.hcanon = o.bcanon = DKIM_RELAXED;
	while ((ch = getopt_long(argc, argv, "C:d:s:k:c:x:t:h:", dk_longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			dir = optarg;
			break;
		case 'd':
			if (nd == DK_SIGNERS_MAX ||
			    !addr_domain_normalize(optarg, sg[nd].domain,
			    sizeof(sg[nd].domain)) ||
			    !dkim_name_valid(sg[nd].domain)) {
				(void)fprintf(stderr, "dkimsign: -d %s: not a "
				    "domain name (or too many)\n", optarg);
				return EX_USAGE;
			}
			nd++;
			break;
		case 's':
			if (ns == DK_SIGNERS_MAX || !dkim_name_valid(optarg)) {
				(void)fprintf(stderr, "dkimsign: -s %s: not a "
				    "selector (or too many)\n", optarg);
				return EX_USAGE;
			}
			(void)snprintf(sg[ns].selector,
			    sizeof(sg[ns].selector), "%s", optarg);
			ns++;
			break;
		case 'k':
			if (nk == DK_SIGNERS_MAX || strlen(optarg) >=
			    sizeof(sg[nk].path))
				return usage();
			(void)snprintf(sg[nk].path, sizeof(sg[nk].path), "%s",
			    optarg);
			nk++;
			break;
		case 'c':
			if (!dkim_canon_parse(optarg, &o.hcanon, &o.bcanon)) {
				(void)fprintf(stderr, "dkimsign: -c %s: "
				    "simple or relaxed, header/body\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'x':
			if (!num_parse_str(optarg, UINT32_MAX, &v) || v == 0)
				return usage();
			o.expire = v;
			break;
		case 't':
			if (!num_parse_str(optarg, UINT32_MAX * 4ULL, &v))
				return usage();
			o.t = v;
			have_t = true;
			break;
		case 'h':
			if (!dkim_hlist_valid(optarg)) {
				(void)fprintf(stderr, "dkimsign: -h %s: field "
				    "names separated by colons, From among "
				    "them\n", optarg);
				return EX_USAGE;
			}
			o.hlist = optarg;
			break;
		case OPT_TAG:
			if (o.ntags == DK_TAGS_MAX || !dk_tag_valid(optarg)) {
				(void)fprintf(stderr, "dkimsign: --tag %s: "
				    "i=VALUE or q=VALUE\n", optarg);
				return EX_USAGE;
			}
			o.tags[o.ntags++] = optarg;
			break;
		case OPT_ALLOW_SMALL:
			o.allow_small = true;
			break;
		case OPT_DOMAIN_KEYS:
			domain_keys = optarg;
			break;
		case OPT_PUBLIC_KEY:
			public_key = optarg;
			break;
		case OPT_KEYGEN:
			keygen = optarg;
			break;
		case OPT_BITS:
			if (!num_parse_str(optarg, 65536, &v))
				return usage();
			bits = (unsigned)v;
			break;
		case OPT_HELP:
			(void)usage();
			return EX_OK;
		default:
			return usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (public_key != NULL) {
		if (argc != 0 || keygen != NULL || domain_keys != NULL || nd)
			return usage();
		return dk_key_print_public(public_key);
	}
	if (keygen != NULL) {
		if (argc != 1 || domain_keys != NULL || nd)
			return usage();
		return dk_key_generate(keygen, bits, argv[0]);
	}
	if (argc != 0 || bits != 0)
		return usage();
	if (domain_keys != NULL) {
		if (nd || ns || nk)
			return usage();
		if ((rc = dk_domain_keys(conf_dir(dir), domain_keys, sg, &n)) !=
		    EX_OK)
			return rc;
	} else {
		if (nd == 0 || nd != ns || nd != nk)
			return usage();
		n = nd;
	}
	if (!have_t)
		o.t = (uint64_t)time(NULL);

	rc = EX_OK;
	for (i = 0; i < n && rc == EX_OK; i++) {
		rc = dk_key_load(&sg[i].key, sg[i].path, o.allow_small);
		sg[i].loaded = rc == EX_OK;
	}
	if (rc == EX_OK)
		rc = dk_sign(sg, n, &o);
	for (i = 0; i < n; i++)
		if (sg[i].loaded)
			dk_key_free(&sg[i].key);
	return rc;
}
