/*
 * names.h — the names in a directory, sorted: the queue's ids for the
 * runner and for tambo queue, the certificate folders and DKIM keys for
 * tambo status.
 */
#ifndef TAMBO_NAMES_H
#define TAMBO_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct names {
	char	**v;	/* n strings, sorted with strcmp */
	size_t	  n;
};

/*
 * The entries of the directory open on dirfd (left open, read from its
 * start) that keep(dirfd, name, arg) accepts; keep NULL takes every name
 * not starting with a dot.  0, or -1 with errno (nothing kept).
 */
int	names_read(int dirfd, bool (*keep)(int, const char *, void *),
	    void *arg, struct names *out);

void	names_free(struct names *);

#endif
