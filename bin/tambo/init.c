/*
 * init.c — tambo init: a working configuration directory in one step.
 *
 * With the default directory the spool and state are the system ones
 * (/var/spool/tambo, /var/lib/tambo, made by tmpfiles.d); with any other
 * directory they live inside it, so a test or a trial instance is one
 * directory that can be thrown away.  Running it again for another domain
 * adds that domain and leaves the rest alone.
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "atomic.h"
#include "buf.h"
#include "conf.h"
#include "tambo.h"
#include "users.h"
#include "poison.h"

static int
mkdir_p(const char *path, mode_t mode)
{
	char	 tmp[PATH_MAX];
	size_t	 i, n = strlen(path);

	if (n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, mode) == -1 && errno != EEXIST)
			return -1;
		tmp[i] = i < n ? '/' : '\0';
	}
	return 0;
}

/*
 * The handlers run as user tambo: what they must read belongs to group
 * tambo when that group exists (it does once sysusers.d has run).
 */
static int
give_to_group(const char *path)
{
	struct group *gr = getgrnam("tambo");

	if (gr == NULL || geteuid() != 0)
		return 0;
	return chown(path, (uid_t)-1, gr->gr_gid);
}

/* Create path with text unless it exists; 1 created, 0 kept, -1 error. */
static int
write_new(const char *path, const char *text, mode_t mode)
{
	if (access(path, F_OK) == 0)
		return 0;	/* keep what the operator has */
	if (atomic_write(path, text, strlen(text), mode) == -1 ||
	    give_to_group(path) == -1)
		return -1;
	return 1;
}

static void
default_hostname(const char *domain, char *out, size_t outsz)
{
	char	 host[ADDR_DOMAIN_MAX + 1];

	if (gethostname(host, sizeof(host) - 1) == 0 &&
	    strchr(host, '.') != NULL &&
	    addr_domain_normalize(host, out, outsz))
		return;
	(void)snprintf(out, outsz, "%s", domain);
}

int
cmd_init(const char *dir, int argc, char **argv)
{
	char	 path[PATH_MAX], hostname[ADDR_DOMAIN_MAX + 1];
	char	 norm[ADDR_DOMAIN_MAX + 1];
	const char *domain = NULL, *host = NULL;
	char	 dname[ADDR_DOMAIN_MAX + 1];
	struct buf conf;
	bool	 system_dir = strcmp(dir, CONF_DEFAULT_DIR) == 0;
	int	 i, created;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--hostname") == 0 && i + 1 < argc)
			host = argv[++i];
		else if (domain == NULL && argv[i][0] != '-')
			domain = argv[i];
		else {
			tambo_err("usage: init DOMAIN [--hostname NAME]");
			return EX_USAGE;
		}
	}
	if (domain == NULL) {
		tambo_err("usage: init DOMAIN [--hostname NAME]");
		return EX_USAGE;
	}
	if (!addr_domain_normalize(domain, norm, sizeof(norm)) ||
	    strchr(domain, '/') != NULL || domain[0] == '.') {
		tambo_err("%s: not a valid domain name", domain);
		return EX_DATAERR;
	}
	if (host != NULL) {
		if (!addr_domain_normalize(host, hostname, sizeof(hostname))) {
			tambo_err("%s: not a valid host name", host);
			return EX_DATAERR;
		}
	} else
		default_hostname(norm, hostname, sizeof(hostname));
	/* The directory is named as typed, in lower case. */
	for (i = 0; domain[i] != '\0' && (size_t)i < sizeof(dname) - 1; i++)
		dname[i] = (char)((domain[i] >= 'A' && domain[i] <= 'Z') ?
		    domain[i] - 'A' + 'a' : domain[i]);
	dname[i] = '\0';

	/* The same domain spelt differently is the same directory. */
	{
		struct conf c;
		struct users u;
		const struct users_domain *d;

		conf_defaults(&c);
		(void)snprintf(c.dir, sizeof(c.dir), "%s", dir);
		if (users_open(&u, &c) == 0) {
			if ((d = users_domain(&u, domain)) != NULL)
				(void)snprintf(dname, sizeof(dname), "%s",
				    d->dirname);
			users_close(&u);
		}
	}
	if (conf_pathf(path, "%s/domains", dir) == -1 ||
	    mkdir_p(path, 0750) == -1 || give_to_group(dir) == -1 ||
	    give_to_group(path) == -1 ||
	    conf_pathf(path, "%s/domains/%s", dir, dname) == -1 ||
	    mkdir_p(path, 0750) == -1 || give_to_group(path) == -1) {
		tambo_err("%s: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}

	buf_init(&conf, 65536);
	(void)buf_printf(&conf,
	    "# tambo.conf — see tambo.conf(5)\n"
	    "hostname = %s\n", hostname);
	if (system_dir)
		(void)buf_printf(&conf,
		    "spool = /var/spool/tambo\n"
		    "state = /var/lib/tambo\n");
	else
		(void)buf_printf(&conf,
		    "# relative paths are inside this directory\n"
		    "spool = spool\n"
		    "state = state\n");
	(void)buf_printf(&conf,
	    "max_message_size = 36700160\n"
	    "max_recipients = 100\n");
	(void)snprintf(path, sizeof(path), "%s/tambo.conf", dir);
	if ((created = write_new(path, conf.data, 0640)) == -1) {
		buf_free(&conf);
		tambo_err("%s: %s", path, strerror(errno));
		return EX_CANTCREAT;
	}
	buf_free(&conf);

	if (conf_pathf(path, "%s/domains/%s/users", dir, dname) == -1 ||
	    write_new(path, "", 0640) == -1)
		goto fail;
	if (conf_pathf(path, "%s/domains/%s/aliases", dir, dname) == -1 ||
	    write_new(path,
	    "# local: target, target — see tambo-domains(5)\n"
	    "# postmaster is added here with the domain's first user.\n"
	    "# *: you@example.org forwards everything else.\n", 0640) == -1)
		goto fail;
	if (!system_dir) {
		static const char *sub[] = { "spool/tmp", "spool/queue",
		    "spool/new", "state" };

		for (i = 0; (size_t)i < sizeof(sub) / sizeof(sub[0]); i++) {
			(void)snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
			if (mkdir_p(path, 0750) == -1)
				goto fail;
		}
	}
	if (created)
		(void)printf("tambo: %s ready in %s (hostname %s)\n", dname,
		    dir, hostname);
	else
		(void)printf("tambo: %s ready in %s (tambo.conf kept as it "
		    "was)\n", dname, dir);
	return EX_OK;
fail:
	tambo_err("%s: %s", path, strerror(errno));
	return EX_CANTCREAT;
}
