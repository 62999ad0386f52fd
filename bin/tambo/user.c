/*
 * user.c — tambo user: accounts in domains/<domain>/users.
 *
 *   user add ADDRESS          user list [DOMAIN]
 *   user del ADDRESS          user passwd ADDRESS
 *   user authenticate ADDRESS
 *
 * Passwords come from a prompt without echo, from the first line of stdin
 * with --password-stdin, or (warned against: it shows in ps and shell
 * history) from --password=X.  Files are rewritten atomically and keep
 * their permissions.  The first user of a domain also becomes its
 * postmaster alias when there is none.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <termios.h>
#include <unistd.h>

#include "addr.h"
#include "atomic.h"
#include "buf.h"
#include "conf.h"
#include "passwd.h"
#include "tambo.h"
#include "users.h"
#include "poison.h"

enum pw_source { PW_PROMPT, PW_STDIN, PW_ARG };

static int
read_line(FILE *f, char *out, size_t outsz)
{
	size_t	 n;

	if (fgets(out, (int)outsz, f) == NULL)
		return -1;
	n = strlen(out);
	if (n > 0 && out[n - 1] != '\n' && !feof(f)) {
		explicit_bzero(out, outsz);
		errno = EMSGSIZE;
		return -1;
	}
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
	return 0;
}

static int
prompt(const char *what, char *out, size_t outsz)
{
	struct termios old, noecho;
	FILE	*tty;
	int	 r;

	if ((tty = fopen("/dev/tty", "r+e")) == NULL)
		return -1;
	(void)fprintf(tty, "%s", what);
	(void)fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
	}
	r = read_line(tty, out, outsz);
	(void)tcsetattr(fileno(tty), TCSAFLUSH, &old);
	(void)fputc('\n', tty);
	(void)fclose(tty);
	return r;
}

static int
get_password(enum pw_source src, const char *arg, bool confirm, char *out,
    size_t outsz)
{
	char	 again[PASSWD_MAX + 2];

	switch (src) {
	case PW_ARG:
		if (arg == NULL || strlen(arg) >= outsz)
			return -1;
		memcpy(out, arg, strlen(arg) + 1);
		return 0;
	case PW_STDIN:
		return read_line(stdin, out, outsz);
	case PW_PROMPT:
		if (prompt("Password: ", out, outsz) == -1)
			return -1;
		if (!confirm)
			return 0;
		if (prompt("Again: ", again, sizeof(again)) == -1)
			return -1;
		if (strcmp(out, again) != 0) {
			explicit_bzero(again, sizeof(again));
			tambo_err("the passwords differ");
			errno = EINVAL;
			return -1;
		}
		explicit_bzero(again, sizeof(again));
		return 0;
	}
	return -1;
}

/*
 * Rewrite the users file: drop the line for local (if any) and, when
 * hash is not NULL, append "local:hash".  *found says whether it was
 * there; *others counts the other users.
 */
static int
users_rewrite(const char *path, const char *local, const char *hash,
    bool *found, size_t *others)
{
	struct buf out;
	char	*text = NULL, *line, *next;
	size_t	 len = 0;
	int	 r;

	*found = false;
	*others = 0;
	if (conf_read_file(path, USERS_FILE_MAX, &text, &len) == -1 &&
	    errno != ENOENT)
		return -1;
	buf_init(&out, USERS_FILE_MAX + PASSWD_HASH_MAX + ADDR_LOCAL_MAX + 4);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		char	*colon;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		colon = strchr(line, ':');
		if (colon != NULL && line[0] != '#' &&
		    (size_t)(colon - line) == strlen(local) &&
		    strncasecmp(line, local, strlen(local)) == 0) {
			*found = true;
			continue;
		}
		if (colon != NULL && line[0] != '#')
			(*others)++;
		(void)buf_printf(&out, "%s\n", line);
	}
	if (hash != NULL)
		(void)buf_printf(&out, "%s:%s\n", local, hash);
	if (text != NULL) {
		explicit_bzero(text, len);
		free(text);
	}
	r = atomic_write(path, out.data ? out.data : "", out.len, 0640);
	buf_free(&out);
	return r;
}

static int
add_postmaster(const char *aliases, const char *local)
{
	struct buf out;
	char	*text = NULL;
	size_t	 len = 0;
	int	 r;

	r = users_file_has(aliases, "postmaster", ':');
	if (r != 0)
		return r < 0 ? -1 : 0;
	if (conf_read_file(aliases, USERS_FILE_MAX, &text, &len) == -1 &&
	    errno != ENOENT)
		return -1;
	buf_init(&out, USERS_FILE_MAX + 128);
	if (text != NULL)
		(void)buf_add(&out, text, len);
	if (out.len > 0 && out.data[out.len - 1] != '\n')
		(void)buf_addc(&out, '\n');
	(void)buf_printf(&out, "postmaster: %s\n", local);
	free(text);
	r = atomic_write(aliases, out.data, out.len, 0640);
	buf_free(&out);
	return r;
}

int
cmd_user(const char *dir, int argc, char **argv)
{
	struct conf conf;
	struct users users;
	const struct users_domain *d;
	struct addr a;
	enum pw_source src = PW_PROMPT;
	const char *verb, *address = NULL, *pwarg = NULL;
	char	 err[512], path[PATH_MAX], local[ADDR_LOCAL_MAX + 1];
	char	 pw[PASSWD_MAX + 2], hash[PASSWD_HASH_MAX];
	bool	 found;
	size_t	 others, i;
	int	 k, rc = EX_OK;

	if (argc < 1)
		goto usage;
	verb = argv[0];
	for (k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--password-stdin") == 0)
			src = PW_STDIN;
		else if (strncmp(argv[k], "--password=", 11) == 0) {
			src = PW_ARG;
			pwarg = argv[k] + 11;
		} else if (address == NULL && argv[k][0] != '-')
			address = argv[k];
		else
			goto usage;
	}
	if (conf_load(dir, &conf, err, sizeof(err)) == -1) {
		tambo_err("%s", err);
		return EX_CONFIG;
	}
	if (users_open(&users, &conf) == -1) {
		tambo_err("%s/domains: %s", dir, strerror(errno));
		return EX_CONFIG;
	}
	if (strcmp(verb, "list") == 0) {
		for (i = 0; i < users.ndomains; i++) {
			char	*text, *line, *next;
			size_t	 len;

			if (address != NULL &&
			    users_domain(&users, address) != &users.domains[i])
				continue;
			(void)snprintf(path, sizeof(path), "%s/domains/%s/users",
			    dir, users.domains[i].dirname);
			if (conf_read_file(path, USERS_FILE_MAX, &text,
			    &len) == -1)
				continue;
			for (line = text; line && *line; line = next) {
				char	*colon;

				next = strchr(line, '\n');
				if (next != NULL)
					*next++ = '\0';
				if (line[0] == '#' ||
				    (colon = strchr(line, ':')) == NULL)
					continue;
				*colon = '\0';
				(void)printf("%s@%s\n", line,
				    users.domains[i].dirname);
			}
			explicit_bzero(text, len);
			free(text);
		}
		users_close(&users);
		return EX_OK;
	}
	if (address == NULL)
		goto usage_close;
	if (addr_parse_mailbox(address, strlen(address), ADDR_OPT_UTF8,
	    &a) != ADDR_OK || (a.flags & (ADDR_RELAY_TRICKS | ADDR_QUOTED)) ||
	    strchr(a.local, ':') != NULL) {
		tambo_err("%s: not a plain address (local@domain)", address);
		users_close(&users);
		return EX_DATAERR;
	}
	if ((d = users_domain(&users, a.domain)) == NULL) {
		tambo_err("%s: not a local domain; run: tambo init %s",
		    a.domain, a.domain);
		users_close(&users);
		return EX_DATAERR;
	}
	for (i = 0; a.local[i] != '\0'; i++)
		local[i] = (char)((a.local[i] >= 'A' && a.local[i] <= 'Z') ?
		    a.local[i] - 'A' + 'a' : a.local[i]);
	local[i] = '\0';
	(void)snprintf(path, sizeof(path), "%s/domains/%s/users", dir,
	    d->dirname);

	if (src == PW_ARG && strcmp(verb, "del") != 0)
		tambo_err("warning: --password shows the password to other "
		    "users (ps) and in shell history; use --password-stdin");
	if (strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0) {
		bool	 adding = verb[0] == 'a';
		int	 has = users_file_has(path, local, ':');

		if (has < 0) {
			tambo_err("%s: %s", path, strerror(errno));
			rc = EX_IOERR;
		} else if (adding && has) {
			tambo_err("%s: user exists (use: user passwd)", address);
			rc = EX_DATAERR;
		} else if (!adding && !has) {
			tambo_err("%s: no such user", address);
			rc = EX_NOUSER;
		} else if (get_password(src, pwarg, true, pw, sizeof(pw)) == -1 ||
		    pw[0] == '\0' || strlen(pw) > PASSWD_MAX) {
			tambo_err("no usable password given");
			rc = EX_DATAERR;
		} else if (passwd_hash(pw, hash, sizeof(hash)) == -1) {
			tambo_err("cannot hash the password: %s",
			    strerror(errno));
			rc = EX_SOFTWARE;
		} else if (users_rewrite(path, local, hash, &found,
		    &others) == -1) {
			tambo_err("%s: %s", path, strerror(errno));
			rc = EX_IOERR;
		} else if (adding && others == 0) {
			(void)snprintf(path, sizeof(path),
			    "%s/domains/%s/aliases", dir, d->dirname);
			if (add_postmaster(path, local) == -1) {
				tambo_err("%s: %s", path, strerror(errno));
				rc = EX_IOERR;
			}
		}
	} else if (strcmp(verb, "del") == 0) {
		if (users_rewrite(path, local, NULL, &found, &others) == -1) {
			tambo_err("%s: %s", path, strerror(errno));
			rc = EX_IOERR;
		} else if (!found) {
			tambo_err("%s: no such user", address);
			rc = EX_NOUSER;
		}
	} else if (strcmp(verb, "authenticate") == 0) {
		char	*text, *line, *next;
		size_t	 len;
		const char *h = NULL;

		if (get_password(src, pwarg, false, pw, sizeof(pw)) == -1) {
			tambo_err("no password given");
			rc = EX_DATAERR;
		} else if (conf_read_file(path, USERS_FILE_MAX, &text,
		    &len) == -1) {
			/* no users file: the same work, the same answer */
			(void)passwd_verify(pw, NULL);
			rc = EX_NOPERM;
		} else {
			for (line = text; line && *line && !h; line = next) {
				next = strchr(line, '\n');
				if (next != NULL)
					*next++ = '\0';
				if (strncasecmp(line, local, strlen(local)) == 0 &&
				    line[strlen(local)] == ':')
					h = line + strlen(local) + 1;
			}
			rc = passwd_verify(pw, h) == 1 ? EX_OK : EX_NOPERM;
			explicit_bzero(text, len);
			free(text);
		}
		(void)printf("%s\n", rc == EX_OK ? "Authentication succeeded" :
		    "Authentication failed");
	} else {
		users_close(&users);
		goto usage;
	}
	explicit_bzero(pw, sizeof(pw));
	users_close(&users);
	return rc;
usage_close:
	users_close(&users);
usage:
	tambo_err("usage: user add|del|passwd|authenticate ADDRESS "
	    "[--password-stdin], user list [DOMAIN]");
	return EX_USAGE;
}
