/*
 * sock.h — the connection a handler was started for.
 *
 * systemd's socket activation without libsystemd (PERFORMANCE.md): the
 * protocol is LISTEN_PID (must be our pid), LISTEN_FDS (count) and fd 3
 * onwards (sd_listen_fds(3)).  With Accept=yes the one fd is the accepted
 * connection.  Otherwise (inetd, StandardInput=socket) the connection is
 * fd 0 for reading and fd 1 for writing.
 */
#ifndef TAMBO_SOCK_H
#define TAMBO_SOCK_H

#include <stddef.h>

#define SOCK_LISTEN_FDS_START	3

/*
 * The activated connection fd (3) when LISTEN_PID/LISTEN_FDS name us,
 * else -1.  The variables are removed so children do not inherit them.
 */
int	sock_listen_fd(void);

/*
 * The peer's address as text ("192.0.2.1", "2001:db8::1") and port; for a
 * non-socket (a pipe in tests) or a Unix socket, "local" and 0.
 */
void	sock_peer(int fd, char *addr, size_t addrsz, unsigned *port);

/* Set TCP_NODELAY on a TCP socket; anything else is left alone. */
void	sock_nodelay(int fd);

/* Make fd non-blocking (timeouts are enforced by poll). */
int	sock_nonblock(int fd);

#endif
