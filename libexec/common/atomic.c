/*
 * atomic.c — temp file + fsync + rename + fsync of the directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "poison.h"

static int
atomic_fsync_dir(const char *path)
{
	char	 copy[PATH_MAX];
	int	 fd, r;

	if ((size_t)snprintf(copy, sizeof(copy), "%s", path) >= sizeof(copy)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	r = fsync(fd);
	(void)close(fd);
	return r;
}

int
atomic_write(const char *path, const void *data, size_t len, mode_t mode)
{
	char	 tmp[PATH_MAX];
	struct stat st;
	unsigned char rnd[4] = { 0, 0, 0, 0 };
	const char *p = data;
	size_t	 off = 0;
	int	 fd, saved;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd[0] = (unsigned char)getpid();
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%02x%02x%02x%02x", path,
	    rnd[0], rnd[1], rnd[2], rnd[3]) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1)
		return -1;
	if (stat(path, &st) == 0) {
		if (fchown(fd, (uid_t)-1, st.st_gid) == -1 && errno != EPERM)
			goto fail;
		if (fchmod(fd, st.st_mode & 07777) == -1)
			goto fail;
	} else if (fchmod(fd, mode) == -1)
		goto fail;
	while (off < len) {
		ssize_t	n = write(fd, p + off, len - off);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	return atomic_fsync_dir(path);
fail:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	(void)unlink(tmp);
	errno = saved;
	return -1;
}
