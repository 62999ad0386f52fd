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
users_file_has(const char *path, const char *key, char sep)
{
	char	*text, *line, *next;
	size_t	 len, klen = strlen(key);
	int	 found = 0;

	if (conf_read_file(path, USERS_FILE_MAX, &text, &len) == -1)
		return errno == ENOENT ? 0 : -1;
	for (line = text; line != NULL && !found; line = next) {
		char	*p, *end;

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
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if ((size_t)(end - p) == klen && strncasecmp(p, key, klen) == 0)
			found = 1;
	}
	free(text);
	return found;
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

/* 1 found, 0 not, -1 error: look the key up in users, then aliases. */
static int
users_find(const struct users *u, const struct users_domain *d,
    const char *key, enum users_result *res)
{
	char	 path[PATH_MAX];
	int	 r;

	if (conf_pathf(path, "%s/domains/%s/users", u->conf->dir,
	    d->dirname) == -1)
		return -1;
	if ((r = users_file_has(path, key, ':')) != 0) {
		*res = USERS_USER;
		return r;
	}
	if (conf_pathf(path, "%s/domains/%s/aliases", u->conf->dir,
	    d->dirname) == -1)
		return -1;
	if ((r = users_file_has(path, key, ':')) != 0) {
		*res = USERS_ALIAS;
		return r;
	}
	return 0;
}

enum users_result
users_lookup(const struct users *u, const struct addr *a)
{
	const struct users_domain *d;
	enum users_result res;
	char	 canon[ADDR_LOCAL_MAX + 1];
	int	 r;

	if (a->flags & ADDR_NODOMAIN) {
		if ((d = users_postmaster_domain(u)) == NULL)
			return USERS_NOT_LOCAL;
	} else if ((a->flags & ADDR_LITERAL) ||
	    (d = users_domain(u, a->domain)) == NULL)
		return USERS_NOT_LOCAL;

	if ((r = users_find(u, d, a->local, &res)) != 0)
		return r < 0 ? USERS_TEMP : res;
	users_canonical_local(u->conf, a->local, canon, sizeof(canon));
	if (strcasecmp(canon, a->local) != 0 &&
	    (r = users_find(u, d, canon, &res)) != 0)
		return r < 0 ? USERS_TEMP : res;
	if (strcasecmp(a->local, "postmaster") == 0)
		return USERS_POSTMASTER;
	{
		char	 path[PATH_MAX];

		if (conf_pathf(path, "%s/domains/%s/aliases", u->conf->dir,
		    d->dirname) == -1)
			return USERS_TEMP;
		if ((r = users_file_has(path, "*", ':')) != 0)
			return r < 0 ? USERS_TEMP : USERS_CATCHALL;
	}
	return USERS_UNKNOWN;
}
