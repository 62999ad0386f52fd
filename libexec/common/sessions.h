/*
 * sessions.h — the session tables: STATE/sessions.MODE, one byte per open
 * SMTP session, held with an open file description lock (F_OFD_SETLK)
 * that the kernel drops when the handler ends, however it ends.  The
 * handlers join a table (smtpd's busy.c); tambo status counts it.  The
 * file itself stays empty: the locks lie past its end.
 */
#ifndef TAMBO_SESSIONS_H
#define TAMBO_SESSIONS_H

#include <stdbool.h>

/* Open MODE's table in the state directory: created for a handler that
 * joins it (join), read-only for one that counts.  -1 with errno. */
int	sessions_open(const char *state, const char *mode, bool join);

/* Take the lowest byte below n that no other session holds; the byte, or
 * -1 when all of them are held. */
int	sessions_take(int fd, unsigned n);

/* Whether another open file description holds byte b. */
bool	sessions_held(int fd, unsigned b);

#endif
