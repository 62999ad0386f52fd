/*
 * atomic.c — unit tests for libexec/common/atomic.c: a new file gets the
 * mode asked for whatever the umask, a replaced file keeps its mode and
 * gets a new inode (a reader holding the old one sees the old contents),
 * and no temporary file is ever left behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "tap.h"

static char dir[PATH_MAX];

/* Entries in dir besides . and .. */
static size_t
entries(void)
{
	DIR	*d;
	struct dirent *e;
	size_t	 n = 0;

	if ((d = opendir(dir)) == NULL)
		return (size_t)-1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	return n;
}

/* Whole contents of path equal want[0..n)? */
static bool
has(const char *path, const char *want, size_t n)
{
	char	 buf[256];
	ssize_t	 r;
	int	 fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return false;
	r = read(fd, buf, sizeof(buf));
	(void)close(fd);
	return r == (ssize_t)n && memcmp(buf, want, n) == 0;
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

static void
test_create(void)
{
	char	 path[PATH_MAX];
	mode_t	 old;

	tap_pathf(path, sizeof(path), "%s/new", dir);
	is_int(atomic_write(path, "hello\n", 6, 0640), 0, "create");
	ok(has(path, "hello\n", 6), "create: contents");
	is_int(mode_of(path), 0640, "create: mode 0640");
	is_int(entries(), 1, "create: no temporary file left");

	/* the mode asked for, not the umask's */
	old = umask(077);
	tap_pathf(path, sizeof(path), "%s/public", dir);
	is_int(atomic_write(path, "x", 1, 0644), 0, "create under umask 077");
	is_int(mode_of(path), 0644, "umask 077: still 0644");
	(void)umask(old);

	tap_pathf(path, sizeof(path), "%s/empty", dir);
	is_int(atomic_write(path, "", 0, 0600), 0, "create empty");
	ok(has(path, "", 0), "create empty: contents");
	is_int(entries(), 3, "three files, no temporaries");
}

static void
test_replace(void)
{
	char	 path[PATH_MAX], buf[16];
	struct stat before, after;
	int	 fd;
	ssize_t	 r;

	tap_pathf(path, sizeof(path), "%s/conf", dir);
	tap_write_file(path, "old contents\n");
	is_int(chmod(path, 0600), 0, "chmod 0600");
	ok(stat(path, &before) == 0, "stat before");
	fd = open(path, O_RDONLY);
	is_int(atomic_write(path, "new\n", 4, 0644), 0, "replace");
	ok(has(path, "new\n", 4), "replace: new contents");
	is_int(mode_of(path), 0600, "replace: keeps mode 0600, not 0644");
	ok(stat(path, &after) == 0 && after.st_ino != before.st_ino,
	    "replace: a new inode (renamed over)");
	r = fd == -1 ? -1 : read(fd, buf, sizeof(buf));
	ok(r == 13 && memcmp(buf, "old contents\n", 13) == 0,
	    "a reader of the old file still sees the old contents");
	if (fd != -1)
		(void)close(fd);

	is_int(chmod(path, 0751), 0, "chmod 0751");
	is_int(atomic_write(path, "again", 5, 0600), 0, "replace again");
	is_int(mode_of(path), 0751, "replace: keeps mode 0751");
	ok(has(path, "again", 5), "replace again: contents");
	is_int(atomic_write(path, "", 0, 0600), 0, "replace with nothing");
	ok(has(path, "", 0), "replace with nothing: empty");
	is_int(entries(), 4, "four files, no temporaries");
}

static void
test_large(void)
{
	static char big[1 << 20];
	char	 path[PATH_MAX];
	struct stat st;
	size_t	 i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	tap_pathf(path, sizeof(path), "%s/big", dir);
	is_int(atomic_write(path, big, sizeof(big), 0600), 0, "write 1 MiB");
	ok(stat(path, &st) == 0 && st.st_size == (off_t)sizeof(big),
	    "1 MiB on disk");
	is_int(unlink(path), 0, "remove it");
}

static void
test_errors(void)
{
	static char longpath[PATH_MAX + 16];
	char	 path[PATH_MAX];

	tap_pathf(path, sizeof(path), "%s/no/such/dir/file", dir);
	errno = 0;
	is_int(atomic_write(path, "x", 1, 0600), -1, "missing directory");
	is_int(errno, ENOENT, "missing directory: ENOENT");

	memset(longpath, 'l', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[PATH_MAX - 4] = '\0';
	errno = 0;
	is_int(atomic_write(longpath, "x", 1, 0600), -1, "path near PATH_MAX");
	is_int(errno, ENAMETOOLONG, "path near PATH_MAX: ENAMETOOLONG");

	/* a directory in the way: the rename fails, the temporary goes */
	tap_pathf(path, sizeof(path), "%s/adir", dir);
	is_int(mkdir(path, 0700), 0, "mkdir adir");
	is_int(atomic_write(path, "x", 1, 0600), -1, "over a directory");
	is_int(entries(), 5, "no temporary left after a failure");
}

int
main(void)
{
	tap_tmpdir(dir, sizeof(dir), "atomic");
	test_create();
	test_replace();
	test_large();
	test_errors();
	tap_rmtree(dir);
	return done_testing();
}
