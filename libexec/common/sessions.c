/*
 * sessions.c — the session tables (sessions.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "conf.h"
#include "sessions.h"
#include "poison.h"

static bool
sessions_lock(int fd, unsigned b, int cmd, struct flock *fl)
{
	*fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET,
	    .l_start = (off_t)b, .l_len = 1 };
	return fcntl(fd, cmd, fl) == 0;
}

int
sessions_open(const char *state, const char *mode, bool join)
{
	char	 path[PATH_MAX];

	if (conf_pathf(path, "%s/sessions.%s", state, mode) == -1)
		return -1;
	return join ? open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600) : open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

int
sessions_take(int fd, unsigned n)
{
	struct flock fl;
	unsigned b;

	for (b = 0; b < n; b++)
		if (sessions_lock(fd, b, F_OFD_SETLK, &fl))
			return (int)b;
	return -1;
}

bool
sessions_held(int fd, unsigned b)
{
	struct flock fl;

	/* F_UNLCK: free, or held by this open file description */
	return sessions_lock(fd, b, F_OFD_GETLK, &fl) && fl.l_type != F_UNLCK;
}
