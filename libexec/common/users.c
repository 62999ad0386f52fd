/*
 * users.c — local domains, users and aliases (see users.h).
 *
 * The files are small and read when needed, so an edit takes effect on the
 * next connection without a reload.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "users.h"
#include "poison.h"

static int
users_cmp(const void *a, const void *b)
{
	const struct users_domain *x = a, *y = b;

	return strcmp(x->dirname, y->dirname);
}

int
users_open(struct users *u, const struct conf *c)
{
	char	 path[PATH_MAX];
	DIR	*d;
	struct dirent *e;

	u->conf = c;
	u->domains = NULL;
	u->ndomains = 0;
	if (conf_pathf(path, "%s/domains", c->dir) == -1)
		return -1;
	if ((d = opendir(path)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((e = readdir(d)) != NULL) {
		struct users_domain *nd;
		size_t	 len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len > ADDR_DOMAIN_MAX ||
		    (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN &&
		    e->d_type != DT_LNK))
			continue;	/* a README beside the domains */
		if (u->ndomains >= USERS_DOMAINS_MAX)
			break;
		nd = reallocarray(u->domains, u->ndomains + 1, sizeof(*nd));
		if (nd == NULL) {
			(void)closedir(d);
			users_close(u);
			errno = ENOMEM;
			return -1;
		}
		u->domains = nd;
		nd = &u->domains[u->ndomains];
		if (!addr_domain_normalize(e->d_name, nd->name,
		    sizeof(nd->name)))
			continue;	/* not a domain: ignore */
		memcpy(nd->dirname, e->d_name, len + 1);
		u->ndomains++;
	}
	(void)closedir(d);
	/* "The first local domain" must not depend on readdir order. */
	if (u->ndomains > 1)
		qsort(u->domains, u->ndomains, sizeof(*u->domains), users_cmp);
	return 0;
}

void
users_close(struct users *u)
{
	free(u->domains);
	u->domains = NULL;
	u->ndomains = 0;
}

const struct users_domain *
users_domain(const struct users *u, const char *domain)
{
	char	 norm[ADDR_DOMAIN_MAX + 1];
	size_t	 i;

	if (!addr_domain_normalize(domain, norm, sizeof(norm)))
		return NULL;
	for (i = 0; i < u->ndomains; i++)
		if (strcmp(u->domains[i].name, norm) == 0)
			return &u->domains[i];
	return NULL;
}

const struct users_domain *
users_postmaster_domain(const struct users *u)
{
	const char *h = u->conf->hostname;
	size_t	 i;

	if (u->ndomains == 0)
		return NULL;
	for (; h != NULL; h = (h = strchr(h, '.')) ? h + 1 : NULL)
		for (i = 0; i < u->ndomains; i++)
			if (strcmp(u->domains[i].name, h) == 0)
				return &u->domains[i];
	return &u->domains[0];
}

int
users_file_get(const char *path, const char *key, char sep, char *out,
    size_t outsz)
{
	char	*text, *line, *next;
	size_t	 len, klen = strlen(key);
	int	 found = 0;

	if (conf_read_file(path, USERS_FILE_MAX, &text, &len) == -1)
		return errno == ENOENT ? 0 : -1;
	for (line = text; line != NULL && !found; line = next) {
		char	*p, *end, *val, *vend;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		if ((end = strchr(p, sep)) == NULL)
			continue;
		val = end + 1;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - p) != klen || strncasecmp(p, key, klen) != 0)
			continue;
		found = 1;
		if (out == NULL)
			break;
		while (*val == ' ' || *val == '\t')
			val++;
		vend = val + strlen(val);
		while (vend > val && (vend[-1] == ' ' || vend[-1] == '\t' ||
		    vend[-1] == '\r'))
			vend--;
		if ((size_t)(vend - val) >= outsz) {
			errno = ENAMETOOLONG;
			found = -1;
			break;
		}
		memcpy(out, val, (size_t)(vend - val));
		out[vend - val] = '\0';
	}
	free(text);
	return found;
}

int
users_file_has(const char *path, const char *key, char sep)
{
	return users_file_get(path, key, sep, NULL, 0);
}

void
users_canonical_local(const struct conf *c, const char *local, char *out,
    size_t outsz)
{
	size_t	 i, o = 0;

	for (i = 0; local[i] != '\0' && o + 1 < outsz; i++) {
		unsigned char ch = (unsigned char)local[i];

		if (c->suffix_separators[0] != '\0' &&
		    strchr(c->suffix_separators, ch) != NULL && o > 0)
			break;
		if (c->drop_characters[0] != '\0' &&
		    strchr(c->drop_characters, ch) != NULL)
			continue;
		out[o++] = (char)tolower(ch);
	}
	out[o] = '\0';
}

/* One key: the users file, then the aliases file. */
static enum users_result
users_resolve_key(const struct users *u, const struct users_domain *d,
    const char *key, char *out, size_t outsz)
{
	char	 path[PATH_MAX];
	int	 r;

	if (conf_pathf(path, "%s/domains/%s/users", u->conf->dir,
	    d->dirname) == -1)
		return USERS_TEMP;
	if ((r = users_file_has(path, key, ':')) != 0) {
		if (r < 0)
			return USERS_TEMP;
		if (out != NULL)
			(void)snprintf(out, outsz, "%s", key);
		return USERS_USER;
	}
	if (conf_pathf(path, "%s/domains/%s/aliases", u->conf->dir,
	    d->dirname) == -1)
		return USERS_TEMP;
	if ((r = users_file_get(path, key, ':', out, outsz)) != 0)
		return r < 0 ? USERS_TEMP : USERS_ALIAS;
	return USERS_UNKNOWN;
}

enum users_result
users_resolve(const struct users *u, const struct addr *a, char *out,
    size_t outsz, const struct users_domain **dom)
{
	const struct users_domain *d;
	enum users_result res;
	char	 canon[ADDR_LOCAL_MAX + 1], path[PATH_MAX];
	int	 r;

	*dom = NULL;
	if (a->flags & ADDR_NODOMAIN) {
		if ((d = users_postmaster_domain(u)) == NULL)
			return USERS_NOT_LOCAL;
	} else if ((a->flags & ADDR_LITERAL) ||
	    (d = users_domain(u, a->domain)) == NULL)
		return USERS_NOT_LOCAL;
	*dom = d;
	if ((res = users_resolve_key(u, d, a->local, out, outsz)) !=
	    USERS_UNKNOWN)
		return res;
	users_canonical_local(u->conf, a->local, canon, sizeof(canon));
	if (strcasecmp(canon, a->local) != 0 &&
	    (res = users_resolve_key(u, d, canon, out, outsz)) !=
	    USERS_UNKNOWN)
		return res;
	if (strcasecmp(a->local, "postmaster") == 0)
		return USERS_POSTMASTER;
	if (conf_pathf(path, "%s/domains/%s/aliases", u->conf->dir,
	    d->dirname) == -1)
		return USERS_TEMP;
	if ((r = users_file_get(path, "*", ':', out, outsz)) != 0)
		return r < 0 ? USERS_TEMP : USERS_CATCHALL;
	return USERS_UNKNOWN;
}

enum users_result
users_lookup(const struct users *u, const struct addr *a)
{
	const struct users_domain *d;

	return users_resolve(u, a, NULL, 0, &d);
}

/* Split "local@domain" and find the domain: NULL when not ours. */
static const struct users_domain *
users_split(const struct users *u, const char *address, struct addr *a)
{
	if (addr_parse_mailbox(address, strlen(address), ADDR_OPT_UTF8,
	    a) != ADDR_OK || (a->flags & (ADDR_RELAY_TRICKS | ADDR_QUOTED)))
		return NULL;
	return users_domain(u, a->domain);
}

/* The users file of address, with the parsed address in *a. */
static int
users_password_path(const struct users *u, const char *address,
    struct addr *a, char path[PATH_MAX])
{
	const struct users_domain *d;

	if ((d = users_split(u, address, a)) == NULL)
		return 0;
	return conf_pathf(path, "%s/domains/%s/users", u->conf->dir,
	    d->dirname) == -1 ? -1 : 1;
}

int
users_password_file(const struct users *u, const char *address,
    char path[PATH_MAX])
{
	struct addr a;

	return users_password_path(u, address, &a, path);
}

int
users_password_hash(const struct users *u, const char *address, char *hash,
    size_t hashsz)
{
	struct addr a;
	char	 path[PATH_MAX], *text, *line, *next;
	size_t	 len, ll;
	int	 found = 0, r;

	if ((r = users_password_path(u, address, &a, path)) != 1)
		return r;
	if (conf_read_file(path, USERS_FILE_MAX, &text, &len) == -1)
		return errno == ENOENT ? 0 : -1;
	ll = strlen(a.local);
	for (line = text; line != NULL && !found; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		char	*h, *end;

		while (*line == ' ' || *line == '\t')
			line++;
		if (strncasecmp(line, a.local, ll) != 0)
			continue;
		for (h = line + ll; *h == ' ' || *h == '\t'; h++)
			;
		if (*h++ != ':')
			continue;
		while (*h == ' ' || *h == '\t')
			h++;
		/* a file edited elsewhere may end its lines in CRLF */
		end = h + strlen(h);
		while (end > h && (end[-1] == '\r' || end[-1] == ' ' ||
		    end[-1] == '\t'))
			*--end = '\0';
		if ((size_t)(end - h) < hashsz) {
			memcpy(hash, h, (size_t)(end - h) + 1);
			found = 1;
		}
	}
	explicit_bzero(text, len);
	free(text);
	return found;
}

/* Same mailbox as the user's, by the rules of RCPT matching? */
static bool
users_same(const struct users *u, const struct addr *x, const struct addr *y)
{
	char	 a[ADDR_LOCAL_MAX + 1], b[ADDR_LOCAL_MAX + 1];
	char	 da[ADDR_DOMAIN_MAX + 1], db[ADDR_DOMAIN_MAX + 1];

	users_canonical_local(u->conf, x->local, a, sizeof(a));
	users_canonical_local(u->conf, y->local, b, sizeof(b));
	return strcmp(a, b) == 0 &&
	    addr_domain_normalize(x->domain, da, sizeof(da)) &&
	    addr_domain_normalize(y->domain, db, sizeof(db)) &&
	    strcmp(da, db) == 0;
}

int
users_may_send(const struct users *u, const char *user, const char *from)
{
	const struct users_domain *d;
	struct addr ua, fa;
	char	 path[PATH_MAX], *text, *line, *next;
	char	 fdom[ADDR_DOMAIN_MAX + 1];
	size_t	 len, ll;
	int	 ok = 0;

	if (from[0] == '\0')
		return 1;	/* <>: bounces, vacation notices */
	if ((d = users_split(u, user, &ua)) == NULL)
		return 0;
	if (addr_parse_mailbox(from, strlen(from), ADDR_OPT_UTF8,
	    &fa) != ADDR_OK || (fa.flags & ADDR_LITERAL) ||
	    !addr_domain_normalize(fa.domain, fdom, sizeof(fdom)))
		return 0;
	if (users_same(u, &ua, &fa))
		return 1;
	if (conf_pathf(path, "%s/domains/%s/senders", u->conf->dir,
	    d->dirname) == -1)
		return -1;
	if (conf_read_file(path, USERS_FILE_MAX, &text, &len) == -1)
		return errno == ENOENT ? 0 : -1;
	ll = strlen(ua.local);
	for (line = text; line != NULL && !ok; line = next) {
		char	*pat, *end;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '#' || strncasecmp(line, ua.local, ll) != 0 ||
		    line[ll] != ':')
			continue;
		for (pat = line + ll + 1; pat != NULL && !ok; pat = end) {
			char	 pdom[ADDR_DOMAIN_MAX + 1];
			struct addr pa;

			if ((end = strchr(pat, ',')) != NULL)
				*end++ = '\0';
			while (*pat == ' ' || *pat == '\t')
				pat++;
			len = strlen(pat);
			while (len > 0 && (pat[len - 1] == ' ' ||
			    pat[len - 1] == '\t' || pat[len - 1] == '\r'))
				pat[--len] = '\0';
			if (strcmp(pat, "*") == 0)
				ok = 1;
			else if (strncmp(pat, "*@", 2) == 0)
				ok = addr_domain_normalize(pat + 2, pdom,
				    sizeof(pdom)) && strcmp(pdom, fdom) == 0;
			else if (addr_parse_mailbox(pat, len, ADDR_OPT_UTF8,
			    &pa) == ADDR_OK)
				ok = users_same(u, &pa, &fa);
		}
	}
	free(text);
	return ok;
}

static bool
users_blank(char c)
{
	return c == ' ' || c == '\t';
}

enum users_target
users_alias_next(const char *v, size_t n, size_t *pos, size_t *start,
    size_t *len)
{
	size_t	 s, e;

	while (*pos < n) {
		s = *pos;
		while (s < n && users_blank(v[s]))
			s++;
		if (s < n && v[s] == '|') {
			s++;
			while (s < n && users_blank(v[s]))
				s++;
			e = n;
			while (e > s && users_blank(v[e - 1]))
				e--;
			*pos = n;
			*start = s;
			*len = e - s;
			return USERS_TARGET_PIPE;
		}
		for (e = s; e < n && v[e] != ','; e++)
			;
		*pos = e < n ? e + 1 : n;
		while (e > s && users_blank(v[e - 1]))
			e--;
		if (e > s) {
			*start = s;
			*len = e - s;
			return USERS_TARGET_ADDRESS;
		}
	}
	return USERS_TARGET_END;
}
