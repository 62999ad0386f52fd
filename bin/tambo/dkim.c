/*
 * dkim.c — tambo dkim keygen: DKIM keys for a domain, and the DNS
 * records that publish them.
 *
 *   dkim keygen DOMAIN [--selector S] [--type ed25519|rsa] [--bits N]
 *
 * The keys themselves are made by libexec dkimsign --keygen (GnuTLS
 * lives there, not in this command), into
 * DIR/domains/<domain>/dkim/<selector>.key; a key is never replaced.
 * Without --type both an RSA and an Ed25519 key are made, as RFC 8463 6
 * advises (receivers that know Ed25519 check it, the others RSA), with
 * selectors named by the date (YYYYMMDD) or by --selector, followed by
 * "r" and "e".
 *
 * Permissions: the dkim directory 0750 and each key 0640 with group
 * tambo-dkim when that group exists (only the delivery service, which
 * runs dkimsign, is given it), else the key stays 0600 (whoever made it).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "dkim.h"
#include "num.h"
#include "progpath.h"
#include "tambo.h"
#include "users.h"
#include "poison.h"

#define DKIM_GROUP	"tambo-dkim"
#define DKIM_TXT_MAX	4096

static int
dkim_usage(void)
{
	tambo_err("usage: dkim keygen DOMAIN [--selector S] "
	    "[--type ed25519|rsa] [--bits N]");
	return EX_USAGE;
}

/*
 * Run dkimsign with args; its standard output into out (outsz > 0) when
 * out is not NULL.  Returns its exit status, or -1.
 */
static int
dkim_run(char *const args[], char *out, size_t outsz)
{
	char	 prog[PATH_MAX];
	int	 fds[2] = { -1, -1 }, st;
	size_t	 got = 0;
	ssize_t	 r;
	pid_t	 pid;

	if (progpath_libexec("dkimsign", prog, sizeof(prog)) == -1) {
		tambo_err("dkimsign: %s", strerror(errno));
		return -1;
	}
	if (out != NULL && pipe2(fds, O_CLOEXEC) == -1) {
		tambo_err("pipe: %s", strerror(errno));
		return -1;
	}
	(void)fflush(stdout);
	if ((pid = fork()) == -1) {
		tambo_err("fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		if (out != NULL && dup2(fds[1], STDOUT_FILENO) == -1)
			_exit(EX_OSERR);
		(void)execv(prog, args);
		(void)fprintf(stderr, "tambo: %s: %s\n", prog, strerror(errno));
		_exit(EX_UNAVAILABLE);
	}
	if (out != NULL) {
		(void)close(fds[1]);
		fds[1] = -1;
		for (;;) {
			r = read(fds[0], out + got, outsz - 1 - got);
			if (r == -1 && errno == EINTR)
				continue;
			if (r <= 0)
				break;
			got += (size_t)r;
			if (got == outsz - 1)
				break;
		}
		out[got] = '\0';
		(void)close(fds[0]);
		fds[0] = -1;
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			tambo_err("waitpid: %s", strerror(errno));
			return -1;
		}
	if (!WIFEXITED(st)) {
		tambo_err("%s: killed by signal %d", prog, WTERMSIG(st));
		return -1;
	}
	return WEXITSTATUS(st);
fail:
	if (fds[0] != -1)
		(void)close(fds[0]);
	if (fds[1] != -1)
		(void)close(fds[1]);
	return -1;
}

/*
 * Let group tambo-dkim read path (mode when it could, else keep it
 * private).  1: given to the group, 0: left as it was, -1: error.
 */
static int
dkim_give(const char *path, mode_t group_mode)
{
	struct group *gr;

	errno = 0;
	if ((gr = getgrnam(DKIM_GROUP)) == NULL)
		return 0;
	if (chown(path, (uid_t)-1, gr->gr_gid) == -1) {
		if (errno == EPERM) {
			tambo_err("%s: cannot give it to group %s (not "
			    "root?): %s", path, DKIM_GROUP, strerror(errno));
			return 0;
		}
		return -1;
	}
	if (chmod(path, group_mode) == -1)
		return -1;
	return 1;
}

int
cmd_dkim(const char *dir, int argc, char **argv)
{
	struct {
		const char	*type;
		char		 selector[ADDR_DOMAIN_MAX + 1];
		char		 path[PATH_MAX];
	} keys[2];
	char	 norm[ADDR_DOMAIN_MAX + 1], kdir[PATH_MAX], bits[16];
	char	 date[16], txt[DKIM_TXT_MAX], name[2 * ADDR_DOMAIN_MAX + 16];
	const char *domain = NULL, *selector = NULL, *type = NULL;
	const char *dname = NULL;
	struct conf c;
	struct users u;
	const struct users_domain *d;
	struct tm tm;
	time_t	 now;
	uint64_t v;
	size_t	 nkeys, i;
	int	 k, rc, given;

	bits[0] = '\0';
	if (argc < 1 || strcmp(argv[0], "keygen") != 0)
		return dkim_usage();
	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--selector") == 0 && k + 1 < argc)
			selector = argv[++k];
		else if (strcmp(argv[k], "--type") == 0 && k + 1 < argc)
			type = argv[++k];
		else if (strcmp(argv[k], "--bits") == 0 && k + 1 < argc) {
			if (!num_parse_str(argv[++k], 65536, &v))
				return dkim_usage();
			(void)snprintf(bits, sizeof(bits), "%llu",
			    (unsigned long long)v);
		} else if (domain == NULL && argv[k][0] != '-')
			domain = argv[k];
		else
			return dkim_usage();
	}
	if (domain == NULL)
		return dkim_usage();
	if (type != NULL && strcmp(type, "rsa") != 0 &&
	    strcmp(type, "ed25519") != 0)
		return dkim_usage();
	if (bits[0] != '\0' && type != NULL && strcmp(type, "rsa") != 0) {
		tambo_err("--bits is for RSA keys");
		return EX_USAGE;
	}
	if (!addr_domain_normalize(domain, norm, sizeof(norm)) ||
	    strchr(domain, '/') != NULL || domain[0] == '.') {
		tambo_err("%s: not a valid domain name", domain);
		return EX_DATAERR;
	}

	/* the domain's directory, as init made it */
	conf_defaults(&c);
	(void)snprintf(c.dir, sizeof(c.dir), "%s", dir);
	if (users_open(&u, &c) == -1) {
		tambo_err("%s/domains: %s", dir, strerror(errno));
		return EX_TEMPFAIL;
	}
	if ((d = users_domain(&u, domain)) != NULL &&
	    conf_pathf(kdir, "%s/domains/%s/dkim", dir, d->dirname) == 0)
		dname = d->dirname;
	users_close(&u);
	if (dname == NULL) {
		tambo_err("%s: not a domain of this server (tambo init %s "
		    "adds it)", domain, domain);
		return EX_DATAERR;
	}

	/* the selectors */
	now = time(NULL);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y%m%d", &tm) == 0) {
		tambo_err("the date: %s", strerror(errno));
		return EX_OSERR;
	}
	if (selector == NULL)
		selector = date;
	nkeys = 0;
	if (type == NULL || strcmp(type, "rsa") == 0)
		keys[nkeys++].type = "rsa";
	if (type == NULL || strcmp(type, "ed25519") == 0)
		keys[nkeys++].type = "ed25519";
	for (i = 0; i < nkeys; i++) {
		/* a selector given with --type is used as it is */
		if (type != NULL && selector != date)
			(void)snprintf(keys[i].selector,
			    sizeof(keys[i].selector), "%s", selector);
		else if (snprintf(keys[i].selector, sizeof(keys[i].selector),
		    "%s%c", selector, keys[i].type[0]) >=
		    (int)sizeof(keys[i].selector))
			keys[i].selector[0] = '\0';
		if (!dkim_name_valid(keys[i].selector) ||
		    strlen(keys[i].selector) > 63) {
			tambo_err("%s: not a valid selector (letters, digits, "
			    "hyphens)", selector);
			return EX_USAGE;
		}
		if (conf_pathf(keys[i].path, "%s/%s.key", kdir,
		    keys[i].selector) == -1) {
			tambo_err("%s: %s", kdir, strerror(errno));
			return EX_CANTCREAT;
		}
		if (access(keys[i].path, F_OK) == 0) {
			tambo_err("%s exists: choose another --selector",
			    keys[i].path);
			return EX_CANTCREAT;
		}
	}

	if (mkdir(kdir, 0750) == -1 && errno != EEXIST) {
		tambo_err("%s: %s", kdir, strerror(errno));
		return EX_CANTCREAT;
	}
	if (dkim_give(kdir, 0750) == -1) {
		tambo_err("%s: %s", kdir, strerror(errno));
		return EX_CANTCREAT;
	}
	for (i = 0; i < nkeys; i++) {
		char	*args[7];
		int	 a = 0;

		args[a++] = (char *)(uintptr_t)"dkimsign";
		args[a++] = (char *)(uintptr_t)"--keygen";
		args[a++] = (char *)(uintptr_t)keys[i].type;
		if (bits[0] != '\0' && strcmp(keys[i].type, "rsa") == 0) {
			args[a++] = (char *)(uintptr_t)"--bits";
			args[a++] = bits;
		}
		args[a++] = keys[i].path;
		args[a] = NULL;
		if ((rc = dkim_run(args, NULL, 0)) != EX_OK)
			return rc == -1 ? EX_OSERR : rc;
		if ((given = dkim_give(keys[i].path, 0640)) == -1) {
			tambo_err("%s: %s", keys[i].path, strerror(errno));
			return EX_CANTCREAT;
		}
		printf("tambo: %s: %s key, selector %s%s\n", keys[i].path,
		    strcmp(keys[i].type, "rsa") == 0 ? "RSA" : "Ed25519",
		    keys[i].selector, given ? ", readable by group "
		    DKIM_GROUP : "");
	}

	printf("; publish in the DNS zone of %s:\n", norm);
	for (i = 0; i < nkeys; i++) {
		char	*args[] = { (char *)(uintptr_t)"dkimsign",
		    (char *)(uintptr_t)"--public-key", keys[i].path, NULL };
		size_t	 n;

		if ((rc = dkim_run(args, txt, sizeof(txt))) != EX_OK) {
			tambo_err("%s: no public key", keys[i].path);
			return rc == -1 ? EX_OSERR : rc;
		}
		n = strlen(txt);
		while (n > 0 && (txt[n - 1] == '\n' || txt[n - 1] == '\r'))
			txt[--n] = '\0';
		(void)snprintf(name, sizeof(name), "%s._domainkey.%s",
		    keys[i].selector, norm);
		dns_print_txt(name, txt);
	}
	return EX_OK;
}
