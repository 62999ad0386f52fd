/*
 * names.c — the names in a directory, sorted (names.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "names.h"
#include "poison.h"

/*
 * gcc 12's -fanalyzer (make analyze) loses a pointer stored into an array
 * that lives in the heap and calls it leaked (names_add, names_read).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif

static int
names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
names_free(struct names *ns)
{
	size_t	 i;

	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	ns->v = NULL;
	ns->n = 0;
}

/* Append a copy of name; -1 with errno. */
static int
names_add(struct names *ns, size_t *cap, const char *name)
{
	char	*s, **nv;

	if ((s = strdup(name)) == NULL)
		return -1;
	if (ns->n == *cap) {
		size_t	 ncap = *cap ? *cap * 2 : 64;

		if ((nv = reallocarray(ns->v, ncap, sizeof(*nv))) == NULL) {
			free(s);
			return -1;
		}
		ns->v = nv;
		*cap = ncap;
	}
	ns->v[ns->n++] = s;
	return 0;
}

int
names_read(int dirfd, bool (*keep)(int, const char *, void *), void *arg,
    struct names *out)
{
	struct dirent *de;
	DIR	*d;
	size_t	 cap = 0;
	int	 fd, e;

	out->v = NULL;
	out->n = 0;
	if ((fd = dup(dirfd)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		e = errno;
		(void)close(fd);
		errno = e;
		return -1;
	}
	rewinddir(d);	/* the dup shares its offset with dirfd */
	while ((de = readdir(d)) != NULL) {
		if (keep != NULL ? !keep(dirfd, de->d_name, arg) :
		    de->d_name[0] == '.')
			continue;
		if (names_add(out, &cap, de->d_name) == -1) {
			e = errno;
			(void)closedir(d);
			names_free(out);
			errno = e;
			return -1;
		}
	}
	(void)closedir(d);
	if (out->n > 1)
		qsort(out->v, out->n, sizeof(*out->v), names_cmp);
	return 0;
}
