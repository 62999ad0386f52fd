/*
 * busy.c — is this server flooded with connections?
 *
 * Each session on port 25 or 587/465 holds one byte of its mode's session
 * table (sessions.h), the lowest byte free.  When byte busy_sessions - 1
 * is held, that many sessions were open at once and the one holding it
 * still is: the server is busy.  A busy server closes a session whose
 * client has kept it waiting busy_timeout seconds (421 4.4.2), as Postfix
 * does under stress, so idle or slow connections cannot hold every
 * handler the socket unit allows for command_timeout while real mail
 * waits.
 *
 * Cost: an open(2) and one fcntl(2) per session below this one when a
 * session starts, and one fcntl(2) per busy_timeout a client is idle.
 */
#include <errno.h>

#include "log.h"
#include "session.h"
#include "sessions.h"
#include "poison.h"

int
busy_join(const struct conf *conf, const char *mode, int *slot)
{
	int	 fd;

	*slot = -1;
	if (conf->busy_sessions == 0)
		return -1;
	if ((fd = sessions_open(conf->state, mode, true)) == -1) {
		log_error("cannot open the session table", conf->state,
		    errno);
		return -1;
	}
	*slot = sessions_take(fd, conf->busy_sessions);	/* -1: beyond */
	return fd;
}

bool
busy_now(void *ctx)
{
	const struct session *s = ctx;
	unsigned mark = s->conf->busy_sessions - 1;

	if (s->busy_fd == -1)
		return false;
	/* a byte of this session's own does not show as held */
	return (s->busy_slot >= 0 && (unsigned)s->busy_slot == mark) ||
	    sessions_held(s->busy_fd, mark);
}
