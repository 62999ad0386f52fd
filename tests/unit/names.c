/*
 * names.c — unit tests for libexec/common/names.c: the names of a
 * directory, sorted, filtered by keep() or by the leading dot; read from
 * the start whatever the directory descriptor's offset; the descriptor
 * left open; an error with errno and nothing kept.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "names.h"
#include "tap.h"

static char dir[PATH_MAX];

static void
touch(const char *name)
{
	char	 path[PATH_MAX];

	tap_pathf(path, sizeof(path), "%s/%s", dir, name);
	tap_write_file(path, "");
}

/* The names joined with spaces, for comparing with one string. */
static const char *
joined(const struct names *ns)
{
	static char buf[4096];
	size_t	 i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < ns->n && o < sizeof(buf); i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s",
		    i ? " " : "", ns->v[i]);
	return buf;
}

static bool
keep_key(int dirfd, const char *name, void *arg)
{
	size_t	 n = strlen(name);

	(*(int *)arg)++;
	return dirfd >= 0 && n > 4 && strcmp(name + n - 4, ".key") == 0;
}

static void
test_read(void)
{
	struct names ns;
	struct dirent *de;
	DIR	*d;
	int	 fd, calls = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		bail_out(dir, strerror(errno));
	ok(names_read(fd, NULL, NULL, &ns) == 0 && ns.n == 0 &&
	    ns.v == NULL, "an empty directory: no names");
	names_free(&ns);

	touch("zeta.key");
	touch("alpha");
	touch(".hidden.key");
	touch("Beta.key");
	touch("mid.pem");
	ok(names_read(fd, NULL, NULL, &ns) == 0 && strcmp(joined(&ns),
	    "Beta.key alpha mid.pem zeta.key") == 0,
	    "no keep(): every name but the dot ones, in strcmp order (%s)",
	    joined(&ns));
	names_free(&ns);
	ok(ns.v == NULL && ns.n == 0, "names_free leaves it empty");

	ok(names_read(fd, keep_key, &calls, &ns) == 0 && strcmp(joined(&ns),
	    ".hidden.key Beta.key zeta.key") == 0,
	    "keep() decides alone, dot names too (%s)", joined(&ns));
	ok(calls == 7, "keep() is asked once per entry, . and .. included "
	    "(%d)", calls);
	names_free(&ns);

	/* A descriptor read to its end still gives every name. */
	if ((d = fdopendir(dup(fd))) == NULL)
		bail_out("fdopendir", strerror(errno));
	while ((de = readdir(d)) != NULL)
		;
	ok(names_read(fd, NULL, NULL, &ns) == 0 && ns.n == 4,
	    "read from the start after another reader reached the end");
	names_free(&ns);
	(void)closedir(d);
	ok(fcntl(fd, F_GETFD) != -1, "the directory descriptor stays open");
	(void)close(fd);
}

static void
test_errors(void)
{
	struct names ns = { .v = (char **)1, .n = 9 };
	char	 path[PATH_MAX];
	int	 fd;

	tap_pathf(path, sizeof(path), "%s/alpha", dir);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		bail_out(path, strerror(errno));
	errno = 0;
	ok(names_read(fd, NULL, NULL, &ns) == -1 && errno == ENOTDIR &&
	    ns.v == NULL && ns.n == 0,
	    "a file, not a directory: -1 with ENOTDIR, nothing kept");
	(void)close(fd);
	errno = 0;
	ok(names_read(-1, NULL, NULL, &ns) == -1 && errno == EBADF &&
	    ns.n == 0, "a closed descriptor: -1 with EBADF");
}

int
main(void)
{
	tap_tmpdir(dir, sizeof(dir), "names");
	test_read();
	test_errors();
	tap_rmtree(dir);
	return done_testing();
}
