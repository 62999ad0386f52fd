/*
 * alias.c — tambo alias: the aliases of the local domains, in
 * domains/<domain>/aliases (tambo-domains(5)).
 *
 *   alias add ADDRESS TARGET...     alias del ADDRESS [TARGET...]
 *   alias list [DOMAIN]
 *
 * The file is read by the rules of users.c, which the SMTP handler and the
 * delivery runner use: blanks before a key are skipped, a line whose first
 * other character is "#" is a comment, a line without ":" is ignored, the
 * key is the text before the first ":" (blanks trimmed, any ASCII case),
 * and the first line of a key is the only one that counts.  The targets
 * are split as expand.c splits them: at commas, except that a pipe
 * ("| command") takes the rest of its line, so it stays last and a line
 * holds one.
 *
 * add and del edit only the first line of the key, rewritten as
 * "key: target, target" with its key, leading blanks and line end as
 * they were; every other byte of the file is kept.  A whole del removes
 * every line of the key, so that no shadowed line comes back to life.
 * A target must lead somewhere (a user, an alias, postmaster, a
 * catch-all, another domain or a command) and not straight back to the
 * alias itself.  Files are written with atomic_write and keep their mode,
 * group and owner; the domain's directory is locked (flock) around the
 * read and the write so that two commands do not lose each other's
 * change.
 *
 * Addresses: RFC 5321 4.1.2, RFC 6531 (UTF-8), IDNA2008 domains stored
 * as A-labels; postmaster (RFC 5321 4.5.1) is an alias like any other.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "addr.h"
#include "atomic.h"
#include "buf.h"
#include "conf.h"
#include "qstate.h"
#include "tambo.h"
#include "users.h"
#include "poison.h"

/* expand.c reads a line's targets into 8192 octets with the NUL. */
#define ALIAS_VALUE_MAX		8191
/* Room for "| command" (the runner's limit), or local@domain. */
#define ALIAS_TARGET_MAX	(QSTATE_ADDR_MAX + 2)

struct alias_cmd {
	struct conf	 conf;
	struct users	 users;
	const struct users_domain *dom;
	char		 key[ADDR_LOCAL_MAX + 1];	/* or "*" */
	char		 shown[ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2]; /* key@dom */
	char		 path[PATH_MAX];		/* aliases */
	char		 upath[PATH_MAX];		/* users */
};

/* Targets of one line, as written (a pipe as "| command"). */
struct alias_targets {
	char	**v;
	size_t	  n;
};

/* Where a line's key and value lie, as users_file_get sees them. */
struct alias_entry {
	size_t	 key, keylen;
	size_t	 colon;		/* offset of the ':' */
	size_t	 val, vallen;	/* blanks and a CR trimmed */
};

static bool
alias_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/*
 * Is line[0..n) an entry?  The rules of users_file_get: blanks skipped,
 * "#" a comment, the key before the first ':'.
 */
static bool
alias_entry_parse(const char *line, size_t n, struct alias_entry *e)
{
	const char *colon;
	size_t	 p = 0, end, v, ve;

	while (p < n && alias_blank(line[p]))
		p++;
	if (p == n || line[p] == '#')
		return false;
	if ((colon = memchr(line + p, ':', n - p)) == NULL)
		return false;
	e->colon = (size_t)(colon - line);
	end = e->colon;
	while (end > p && alias_blank(line[end - 1]))
		end--;
	e->key = p;
	e->keylen = end - p;
	v = e->colon + 1;
	while (v < n && alias_blank(line[v]))
		v++;
	ve = n;
	while (ve > v && (alias_blank(line[ve - 1]) || line[ve - 1] == '\r'))
		ve--;
	e->val = v;
	e->vallen = ve - v;
	return true;
}

static bool
alias_key_is(const char *line, const struct alias_entry *e, const char *key)
{
	return e->keylen == strlen(key) &&
	    strncasecmp(line + e->key, key, e->keylen) == 0;
}

static void
alias_targets_free(struct alias_targets *t)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* Insert a copy of s[0..n) at position at.  -1 (errno) on failure. */
static int
alias_targets_insert(struct alias_targets *t, size_t at, const char *s,
    size_t n)
{
	char	**nv, *copy;

	if ((copy = strndup(s, n)) == NULL)
		return -1;
	if ((nv = reallocarray(t->v, t->n + 1, sizeof(*nv))) == NULL) {
		free(copy);
		return -1;
	}
	t->v = nv;
	memmove(t->v + at + 1, t->v + at, (t->n - at) * sizeof(*t->v));
	t->v[at] = copy;
	t->n++;
	return 0;
}

static void
alias_targets_remove(struct alias_targets *t, size_t at)
{
	free(t->v[at]);
	memmove(t->v + at, t->v + at + 1, (t->n - at - 1) * sizeof(*t->v));
	t->n--;
}

/* The command of a pipe target s[0..n) ("|" first), blanks trimmed;
 * its length in *cl. */
static const char *
alias_pipe_cmd(const char *s, size_t n, size_t *cl)
{
	size_t	 b = 1;

	while (b < n && alias_blank(s[b]))
		b++;
	while (n > b && alias_blank(s[n - 1]))
		n--;
	*cl = n - b;
	return s + b;
}

/*
 * Split a value into its targets by users_alias_next, the runner's
 * reading; a pipe is kept as "| command" ("|" when the command is empty).
 */
static int
alias_split(const char *val, size_t n, struct alias_targets *t)
{
	enum users_target kind;
	char	*piped;
	size_t	 pos = 0, start, len;
	int	 r;

	t->v = NULL;
	t->n = 0;
	while ((kind = users_alias_next(val, n, &pos, &start, &len)) !=
	    USERS_TARGET_END) {
		if (kind == USERS_TARGET_ADDRESS) {
			if (alias_targets_insert(t, t->n, val + start,
			    len) == -1)
				return -1;
			continue;
		}
		if (len == 0)	/* an empty command, as written */
			return alias_targets_insert(t, t->n, "|", 1);
		if ((piped = malloc(len + 3)) == NULL)
			return -1;
		memcpy(piped, "| ", 2);
		memcpy(piped + 2, val + start, len);
		r = alias_targets_insert(t, t->n, piped, len + 2);
		free(piped);
		return r;
	}
	return 0;
}

static bool
alias_is_pipe(const char *s)
{
	return s[0] == '|';
}

/*
 * A target in a form to compare: "local@domain" with the domain
 * normalised (a bare local part is of domain dom).
 */
static void
alias_ident(const char *s, const char *dom, char *out, size_t outsz)
{
	const char *at = strrchr(s, '@');
	char	 norm[ADDR_DOMAIN_MAX + 1];

	if (at == NULL)
		(void)snprintf(out, outsz, "%s@%s", s, dom);
	else if (addr_domain_normalize(at + 1, norm, sizeof(norm)))
		(void)snprintf(out, outsz, "%.*s@%s", (int)(at - s), s, norm);
	else
		(void)snprintf(out, outsz, "%s", s);
}

/* The same target?  Addresses ignore ASCII case, as expand.c does. */
static bool
alias_same(const char *a, const char *b, const char *dom)
{
	char	 ia[ALIAS_VALUE_MAX + ADDR_DOMAIN_MAX + 2];
	char	 ib[ALIAS_VALUE_MAX + ADDR_DOMAIN_MAX + 2];
	const char *ca, *cb;
	size_t	 na, nb;

	if (alias_is_pipe(a) || alias_is_pipe(b)) {
		if (!alias_is_pipe(a) || !alias_is_pipe(b))
			return false;
		ca = alias_pipe_cmd(a, strlen(a), &na);
		cb = alias_pipe_cmd(b, strlen(b), &nb);
		return na == nb && memcmp(ca, cb, na) == 0;
	}
	alias_ident(a, dom, ia, sizeof(ia));
	alias_ident(b, dom, ib, sizeof(ib));
	return strcasecmp(ia, ib) == 0;
}

static int
alias_join(const struct alias_targets *t, struct buf *b)
{
	size_t	 i;

	for (i = 0; i < t->n; i++)
		if (buf_printf(b, "%s%s", i > 0 ? ", " : "", t->v[i]) == -1)
			return -1;
	return 0;
}

enum alias_reach {
	REACH_OK,
	REACH_LOOP,	/* straight back to the alias being edited */
	REACH_UNKNOWN,	/* no user, alias or catch-all takes it */
	REACH_TEMP,	/* a file could not be read */
};

/*
 * Where a lookup of local@td lands, in the order of users_resolve:
 * users, aliases, the canonical form, postmaster, the catch-all.
 */
static enum alias_reach
alias_reach(const struct alias_cmd *c, const struct users_domain *td,
    const char *local)
{
	char	 keys[2][ADDR_LOCAL_MAX + 1], up[PATH_MAX], ap[PATH_MAX];
	bool	 same = td == c->dom;
	size_t	 n = 1, i;
	int	 r;

	(void)snprintf(keys[0], sizeof(keys[0]), "%s", local);
	users_canonical_local(&c->conf, local, keys[1], sizeof(keys[1]));
	if (strcasecmp(keys[0], keys[1]) != 0)
		n = 2;
	if (conf_pathf(up, "%s/domains/%s/users", c->conf.dir,
	    td->dirname) == -1 || conf_pathf(ap, "%s/domains/%s/aliases",
	    c->conf.dir, td->dirname) == -1)
		return REACH_TEMP;
	for (i = 0; i < n; i++) {
		if ((r = users_file_has(up, keys[i], ':')) != 0)
			return r < 0 ? REACH_TEMP : REACH_OK;
		if (same && strcasecmp(keys[i], c->key) == 0)
			return REACH_LOOP;
		if ((r = users_file_has(ap, keys[i], ':')) != 0)
			return r < 0 ? REACH_TEMP : REACH_OK;
	}
	if (strcasecmp(local, "postmaster") == 0)
		return REACH_OK;
	if (same && strcmp(c->key, "*") == 0)
		return REACH_LOOP;
	if ((r = users_file_has(ap, "*", ':')) != 0)
		return r < 0 ? REACH_TEMP : REACH_OK;
	return REACH_UNKNOWN;
}

/*
 * Check a TARGET argument and write it as it goes in the file: "| cmd",
 * a bare local part, or local@domain in A-labels.  EX_OK or an exit code
 * (the message printed).
 */
static int
alias_target(const struct alias_cmd *c, const char *arg, char *out,
    size_t outsz)
{
	const struct users_domain *td;
	char	 mbox[ADDR_PATH_MAX + 1], norm[ADDR_DOMAIN_MAX + 1];
	const char *p = arg, *cmd;
	struct addr a;
	bool	 bare;
	size_t	 n;

	while (alias_blank(*p))
		p++;
	if (*p == '|') {
		cmd = alias_pipe_cmd(p, strlen(p), &n);
		if (n == 0) {
			tambo_err("%s: an empty command", arg);
			return EX_DATAERR;
		}
		if (memchr(cmd, '\n', n) != NULL ||
		    memchr(cmd, '\r', n) != NULL) {
			tambo_err("%s: a command must be one line", arg);
			return EX_DATAERR;
		}
		if (n >= QSTATE_ADDR_MAX) {
			tambo_err("%s: a command may have at most %d octets",
			    arg, QSTATE_ADDR_MAX - 1);
			return EX_DATAERR;
		}
		(void)snprintf(out, outsz, "| %.*s", (int)n, cmd);
		return EX_OK;
	}
	bare = strchr(p, '@') == NULL;
	if (bare && (size_t)snprintf(mbox, sizeof(mbox), "%s@%s", p,
	    c->dom->name) >= sizeof(mbox)) {
		tambo_err("%s: too long for a local part", arg);
		return EX_DATAERR;
	}
	if (addr_parse_mailbox(bare ? mbox : p, strlen(bare ? mbox : p),
	    ADDR_OPT_UTF8, &a) != ADDR_OK ||
	    (a.flags & (ADDR_RELAY_TRICKS | ADDR_QUOTED | ADDR_NODOMAIN |
	    ADDR_NULL)) || strchr(a.local, ',') != NULL) {
		tambo_err("%s: not a plain address, local part or | command",
		    arg);
		return EX_DATAERR;
	}
	if (!addr_domain_normalize(a.domain, norm, sizeof(norm))) {
		tambo_err("%s: not a valid domain name", a.domain);
		return EX_DATAERR;
	}
	td = bare ? c->dom : users_domain(&c->users, a.domain);
	if (td != NULL) {
		switch (alias_reach(c, td, a.local)) {
		case REACH_OK:
			break;
		case REACH_LOOP:
			tambo_err("%s: %s would lead back to itself", c->shown,
			    arg);
			return EX_DATAERR;
		case REACH_UNKNOWN:
			tambo_err("%s@%s: no such user or alias", a.local,
			    td->dirname);
			return EX_NOUSER;
		case REACH_TEMP:
		default:
			tambo_err("%s: cannot read the users or aliases: %s",
			    td->dirname, strerror(errno));
			return EX_IOERR;
		}
	}
	if (bare)
		(void)snprintf(out, outsz, "%s", a.local);
	else
		(void)snprintf(out, outsz, "%s@%s", a.local, norm);
	return EX_OK;
}

/*
 * The ADDRESS argument: local@domain or *@domain, the domain local, and
 * for add not a user.  Fills c->dom, c->key, c->shown and the paths.
 */
static int
alias_address(struct alias_cmd *c, const char *address, bool adding)
{
	const char *domain;
	struct addr a;
	size_t	 i;
	int	 r;

	if (strncmp(address, "*@", 2) == 0) {
		domain = address + 2;
		memcpy(c->key, "*", 2);
	} else {
		if (addr_parse_mailbox(address, strlen(address),
		    ADDR_OPT_UTF8, &a) != ADDR_OK ||
		    (a.flags & (ADDR_RELAY_TRICKS | ADDR_QUOTED)) ||
		    strchr(a.local, ':') != NULL || a.local[0] == '#' ||
		    strcmp(a.local, "*") == 0) {
			tambo_err("%s: not a plain address (local@domain "
			    "or *@domain)", address);
			return EX_DATAERR;
		}
		for (i = 0; a.local[i] != '\0'; i++)
			c->key[i] = (char)((a.local[i] >= 'A' &&
			    a.local[i] <= 'Z') ? a.local[i] - 'A' + 'a' :
			    a.local[i]);
		c->key[i] = '\0';
		domain = a.domain;
	}
	if ((c->dom = users_domain(&c->users, domain)) == NULL) {
		tambo_err("%s: not a local domain (no %s/domains/%s/); run: "
		    "tambo init %s", domain, c->conf.dir, domain, domain);
		return EX_NOUSER;
	}
	(void)snprintf(c->shown, sizeof(c->shown), "%s@%s", c->key,
	    c->dom->dirname);
	if (conf_pathf(c->path, "%s/domains/%s/aliases", c->conf.dir,
	    c->dom->dirname) == -1 || conf_pathf(c->upath,
	    "%s/domains/%s/users", c->conf.dir, c->dom->dirname) == -1) {
		tambo_err("%s: path too long", c->dom->dirname);
		return EX_DATAERR;
	}
	/* del may still clean up a line written by hand */
	if (adding && (r = users_file_has(c->upath, c->key, ':')) != 0) {
		if (r < 0) {
			tambo_err("%s: %s", c->upath, strerror(errno));
			return EX_IOERR;
		}
		tambo_err("%s is a user: the users file comes first and an "
		    "alias of that name would never be used", c->shown);
		return EX_DATAERR;
	}
	return EX_OK;
}

/* Lock the domain's directory for the read-modify-write; -1 on error. */
static int
alias_lock(const struct alias_cmd *c)
{
	char	 path[PATH_MAX];
	int	 fd;

	if (conf_pathf(path, "%s/domains/%s", c->conf.dir,
	    c->dom->dirname) == -1)
		return -1;
	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			(void)close(fd);
			return -1;
		}
	}
	return fd;
}

/* Write the new file, keeping the old one's owner (atomic_write keeps
 * mode and group); a new file gets the group of its directory. */
static int
alias_write(const struct alias_cmd *c, const struct buf *out)
{
	struct stat old, dir;
	char	 dpath[PATH_MAX];
	bool	 existed;

	existed = stat(c->path, &old) == 0;
	if (atomic_write(c->path, out->data ? out->data : "", out->len,
	    0640) == -1)
		return -1;
	if (geteuid() != 0)
		return 0;
	if (existed)
		return old.st_uid == 0 ? 0 :
		    chown(c->path, old.st_uid, old.st_gid);
	if (conf_pathf(dpath, "%s/domains/%s", c->conf.dir,
	    c->dom->dirname) == -1 || stat(dpath, &dir) == -1)
		return -1;
	return chown(c->path, (uid_t)-1, dir.st_gid);
}

enum alias_verb { ALIAS_ADD, ALIAS_DEL };

/* Apply add or del to the targets of the alias's line. */
static int
alias_change(const struct alias_cmd *c, enum alias_verb verb,
    struct alias_targets *cur, char **args, size_t nargs, bool *changed)
{
	size_t	 i, j, at;

	*changed = false;
	for (i = 0; i < nargs; i++) {
		for (j = 0; j < cur->n; j++)
			if (alias_same(cur->v[j], args[i], c->dom->name))
				break;
		if (verb == ALIAS_DEL) {
			if (j == cur->n) {
				tambo_err("%s: %s is not one of its targets",
				    c->shown, args[i]);
				return EX_NOUSER;
			}
			alias_targets_remove(cur, j);
			*changed = true;
			continue;
		}
		if (j < cur->n) {
			tambo_err("%s: %s is already a target", c->shown,
			    args[i]);
			continue;
		}
		at = cur->n;
		if (cur->n > 0 && alias_is_pipe(cur->v[cur->n - 1])) {
			if (alias_is_pipe(args[i])) {
				tambo_err("%s: a line holds one command (it "
				    "takes the rest of the line); del %s first",
				    c->shown, cur->v[cur->n - 1]);
				return EX_DATAERR;
			}
			at = cur->n - 1;
		}
		if (alias_targets_insert(cur, at, args[i],
		    strlen(args[i])) == -1) {
			tambo_err("%s", strerror(errno));
			return EX_OSERR;
		}
		*changed = true;
	}
	return EX_OK;
}

/*
 * add (nargs > 0) or del of the alias c->key: read the file, change the
 * key's first line, drop or append lines, write it back.
 */
static int
alias_edit(const struct alias_cmd *c, enum alias_verb verb, char **args,
    size_t nargs)
{
	struct alias_targets cur = { NULL, 0 };
	struct alias_entry e, first = { 0, 0, 0, 0, 0 };
	struct buf out, val;
	char	*text = NULL;
	size_t	 len = 0, off, next, lend, fstart = 0, nlines = 0;
	bool	 found = false, changed = false, drop;
	int	 rc = EX_OK, lock;

	if ((lock = alias_lock(c)) == -1) {
		tambo_err("%s/domains/%s: %s", c->conf.dir, c->dom->dirname,
		    strerror(errno));
		return EX_IOERR;
	}
	buf_init(&out, USERS_FILE_MAX);
	buf_init(&val, ALIAS_VALUE_MAX);
	if (conf_read_file(c->path, USERS_FILE_MAX, &text, &len) == -1 &&
	    errno != ENOENT) {
		tambo_err("%s: %s", c->path, strerror(errno));
		rc = EX_IOERR;
		goto done;
	}
	if (text != NULL && strlen(text) != len) {
		tambo_err("%s: holds a NUL byte; fix it by hand", c->path);
		rc = EX_DATAERR;
		goto done;
	}
	/* The first line of the key is the one the server reads. */
	for (off = 0; off < len; off = next) {
		const char *nl = memchr(text + off, '\n', len - off);

		lend = nl != NULL ? (size_t)(nl - text) : len;
		next = nl != NULL ? lend + 1 : len;
		nlines++;
		if (!alias_entry_parse(text + off, lend - off, &e) ||
		    !alias_key_is(text + off, &e, c->key))
			continue;
		if (found) {
			if (verb == ALIAS_ADD || nargs > 0)
				tambo_err("warning: %s line %zu: another "
				    "line for %s, which the server does not "
				    "read", c->path, nlines, c->key);
			continue;
		}
		found = true;
		first = e;
		fstart = off;
	}
	if (!found && verb == ALIAS_DEL) {
		tambo_err("%s: no such alias", c->shown);
		rc = EX_NOUSER;
		goto done;
	}
	if (found && alias_split(text + fstart + first.val, first.vallen,
	    &cur) == -1) {
		tambo_err("%s", strerror(errno));
		rc = EX_OSERR;
		goto done;
	}
	if ((rc = alias_change(c, verb, &cur, args, nargs,
	    &changed)) != EX_OK)
		goto done;
	if (verb == ALIAS_DEL && nargs == 0)
		changed = true;
	if (!changed)
		goto done;
	/* An alias with no target would accept mail it cannot deliver. */
	drop = cur.n == 0 || (verb == ALIAS_DEL && nargs == 0);
	if (!drop && alias_join(&cur, &val) == -1) {
		tambo_err("%s: the targets would exceed %d octets", c->shown,
		    ALIAS_VALUE_MAX);
		rc = EX_DATAERR;
		goto done;
	}
	for (off = 0; off < len; off = next) {
		const char *nl = memchr(text + off, '\n', len - off);
		int	 r;

		lend = nl != NULL ? (size_t)(nl - text) : len;
		next = nl != NULL ? lend + 1 : len;
		if (off == fstart && found) {
			if (drop)
				continue;
			r = buf_add(&out, text + off, first.colon + 1);
			if (r == 0)
				r = buf_printf(&out, " %s%s%s", val.data,
				    lend > off && text[lend - 1] == '\r' ?
				    "\r" : "", nl != NULL ? "\n" : "");
		} else if (drop && found && alias_entry_parse(text + off,
		    lend - off, &e) && alias_key_is(text + off, &e, c->key))
			continue;	/* a shadowed line of a removed key */
		else
			r = buf_add(&out, text + off, next - off);
		if (r == -1)
			goto toolong;
	}
	if (!found) {
		if (len > 0 && text[len - 1] != '\n' &&
		    buf_addc(&out, '\n') == -1)
			goto toolong;
		if (buf_printf(&out, "%s: %s\n", c->key, val.data) == -1)
			goto toolong;
	}
	if (alias_write(c, &out) == -1) {
		tambo_err("%s: %s", c->path, strerror(errno));
		rc = EX_IOERR;
	}
	goto done;
toolong:
	tambo_err("%s: would exceed %d MiB", c->path,
	    USERS_FILE_MAX / (1024 * 1024));
	rc = EX_DATAERR;
done:
	alias_targets_free(&cur);
	buf_free(&val);
	buf_free(&out);
	free(text);
	(void)close(lock);	/* releases the flock */
	return rc;
}

/* One line of alias list. */
struct alias_item {
	char	*key;
	char	*targets;
};

static int
alias_item_cmp(const void *a, const void *b)
{
	const struct alias_item *x = a, *y = b;
	int	 r;

	if ((r = strcasecmp(x->key, y->key)) != 0)
		return r;
	return strcmp(x->key, y->key);
}

/* Print the aliases of one domain, sorted by local part. */
static int
alias_list_domain(const struct conf *conf, const struct users_domain *d)
{
	struct alias_item *items = NULL, *ni;
	struct alias_targets t;
	struct alias_entry e;
	struct buf val;
	char	 path[PATH_MAX], *text = NULL;
	size_t	 len, off, next, lend, n = 0, i;
	int	 rc = EX_OK;

	if (conf_pathf(path, "%s/domains/%s/aliases", conf->dir,
	    d->dirname) == -1)
		return EX_DATAERR;
	if (conf_read_file(path, USERS_FILE_MAX, &text, &len) == -1) {
		if (errno == ENOENT)
			return EX_OK;
		tambo_err("%s: %s", path, strerror(errno));
		return EX_IOERR;
	}
	buf_init(&val, USERS_FILE_MAX);
	len = strlen(text);	/* the server stops at a NUL too */
	for (off = 0; off < len; off = next) {
		const char *nl = memchr(text + off, '\n', len - off);

		lend = nl != NULL ? (size_t)(nl - text) : len;
		next = nl != NULL ? lend + 1 : len;
		if (!alias_entry_parse(text + off, lend - off, &e))
			continue;
		for (i = 0; i < n; i++)
			if (strlen(items[i].key) == e.keylen &&
			    strncasecmp(items[i].key, text + off + e.key,
			    e.keylen) == 0)
				break;
		if (i < n)
			continue;	/* shadowed by an earlier line */
		buf_reset(&val);
		if (alias_split(text + off + e.val, e.vallen, &t) == -1 ||
		    alias_join(&t, &val) == -1 ||
		    (ni = reallocarray(items, n + 1, sizeof(*items))) == NULL) {
			alias_targets_free(&t);
			tambo_err("%s", strerror(errno));
			rc = EX_OSERR;
			break;
		}
		alias_targets_free(&t);
		items = ni;
		items[n].key = strndup(text + off + e.key, e.keylen);
		items[n].targets = strdup(val.data ? val.data : "");
		if (items[n].key == NULL || items[n].targets == NULL) {
			free(items[n].key);
			free(items[n].targets);
			tambo_err("%s", strerror(errno));
			rc = EX_OSERR;
			break;
		}
		n++;
	}
	if (n > 1)
		qsort(items, n, sizeof(*items), alias_item_cmp);
	for (i = 0; i < n; i++) {
		if (rc == EX_OK)
			(void)printf("%s@%s:%s%s\n", items[i].key,
			    d->dirname, items[i].targets[0] ? " " : "",
			    items[i].targets);
		free(items[i].key);
		free(items[i].targets);
	}
	free(items);
	buf_free(&val);
	free(text);
	return rc;
}

static int
alias_list(struct alias_cmd *c, const char *domain)
{
	const struct users_domain *d = NULL;
	size_t	 i;
	int	 rc = EX_OK, r;

	if (domain != NULL && (d = users_domain(&c->users, domain)) == NULL) {
		tambo_err("%s: not a local domain", domain);
		return EX_NOUSER;
	}
	for (i = 0; i < c->users.ndomains; i++) {
		if (d != NULL && d != &c->users.domains[i])
			continue;
		if ((r = alias_list_domain(&c->conf,
		    &c->users.domains[i])) != EX_OK)
			rc = r;
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		tambo_err("standard output: %s", strerror(errno));
		rc = EX_IOERR;
	}
	return rc;
}

static int
alias_usage(void)
{
	tambo_err("usage: alias add ADDRESS TARGET..., alias del ADDRESS "
	    "[TARGET...], alias list [DOMAIN]");
	return EX_USAGE;
}

int
cmd_alias(const char *dir, int argc, char **argv)
{
	struct alias_cmd c;
	enum alias_verb verb;
	char	 err[512], **targets = NULL;
	size_t	 n = 0;
	int	 i, rc;

	if (argc < 1)
		return alias_usage();
	for (i = 1; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1] != '\0')
			return alias_usage();
	if (strcmp(argv[0], "list") == 0) {
		if (argc > 2)
			return alias_usage();
	} else if (strcmp(argv[0], "add") == 0) {
		if (argc < 3)
			return alias_usage();
	} else if (strcmp(argv[0], "del") == 0) {
		if (argc < 2)
			return alias_usage();
	} else
		return alias_usage();
	memset(&c, 0, sizeof(c));
	if (conf_load(dir, &c.conf, err, sizeof(err)) == -1) {
		tambo_err("%s", err);
		return EX_CONFIG;
	}
	if (users_open(&c.users, &c.conf) == -1) {
		tambo_err("%s/domains: %s", dir, strerror(errno));
		return EX_CONFIG;
	}
	if (argv[0][0] == 'l') {
		rc = alias_list(&c, argc > 1 ? argv[1] : NULL);
		goto out;
	}
	verb = argv[0][0] == 'a' ? ALIAS_ADD : ALIAS_DEL;
	if ((rc = alias_address(&c, argv[1], verb == ALIAS_ADD)) != EX_OK)
		goto out;
	if ((targets = calloc((size_t)argc, sizeof(*targets))) == NULL) {
		tambo_err("%s", strerror(errno));
		rc = EX_OSERR;
		goto out;
	}
	for (i = 2; i < argc; i++) {
		char	 t[ALIAS_TARGET_MAX];
		const char *p = argv[i];

		if (verb == ALIAS_DEL) {
			/* what was written by hand may be removed as is */
			while (alias_blank(*p))
				p++;
			if (*p == '\0') {
				rc = alias_usage();
				goto out;
			}
		} else if ((rc = alias_target(&c, argv[i], t,
		    sizeof(t))) != EX_OK)
			goto out;
		else
			p = t;
		if ((targets[n] = strdup(p)) == NULL) {
			tambo_err("%s", strerror(errno));
			rc = EX_OSERR;
			goto out;
		}
		n++;
	}
	rc = alias_edit(&c, verb, targets, n);
out:
	if (targets != NULL)
		for (i = 0; i < argc; i++)
			free(targets[i]);
	free(targets);
	users_close(&c.users);
	return rc;
}
