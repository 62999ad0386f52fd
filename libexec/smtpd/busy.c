/*
 * busy.c — is this server flooded with connections?
 *
 * Each session on port 25 or 587/465 holds a write lock on one byte of
 * STATE/sessions.MODE, the lowest byte no other session holds: an open
 * file description lock (F_OFD_SETLK), which the kernel drops when the
 * process ends, however it ends.  When byte busy_sessions - 1 is held,
 * that many sessions were open at once and the one holding it still is:
 * the server is busy.  A busy server closes a session whose client has
 * kept it waiting busy_timeout seconds (421 4.4.2), as Postfix does under
 * stress, so idle or slow connections cannot hold every handler the
 * socket unit allows for command_timeout while real mail waits.
 *
 * Cost: an open(2) and one fcntl(2) per session below this one when a
 * session starts, and one fcntl(2) per busy_timeout a client is idle.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "session.h"
#include "poison.h"

static bool
busy_lock(int fd, unsigned byte, int cmd, struct flock *fl)
{
	*fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET,
	    .l_start = (off_t)byte, .l_len = 1 };
	return fcntl(fd, cmd, fl) == 0;
}

int
busy_join(const struct conf *conf, const char *mode, unsigned *slot)
{
	char	 path[PATH_MAX];
	struct flock fl;
	unsigned i;
	int	 fd;

	*slot = UINT_MAX;
	if (conf->busy_sessions == 0)
		return -1;
	if (snprintf(path, sizeof(path), "%s/sessions.%s", conf->state,
	    mode) >= (int)sizeof(path))
		return -1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		log_error("cannot open the session table", path, errno);
		return -1;
	}
	for (i = 0; i < conf->busy_sessions; i++)
		if (busy_lock(fd, i, F_OFD_SETLK, &fl)) {
			*slot = i;
			break;
		}
	return fd;	/* UINT_MAX: beyond the mark, no byte of its own */
}

bool
busy_now(void *ctx)
{
	const struct session *s = ctx;
	struct flock fl;

	if (s->busy_fd == -1)
		return false;
	if (s->busy_slot == s->conf->busy_sessions - 1)
		return true;	/* the mark is this session's own */
	if (!busy_lock(s->busy_fd, s->conf->busy_sessions - 1, F_OFD_GETLK,
	    &fl))
		return false;
	/* F_UNLCK: no other session holds the mark */
	return fl.l_type != F_UNLCK;
}
