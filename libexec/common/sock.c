/*
 * sock.c — the activated connection (see sock.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "num.h"
#include "sock.h"
#include "poison.h"

int
sock_listen_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	uint64_t p, n;
	int	 fd = -1;

	if (pid != NULL && fds != NULL && num_parse_str(pid, INT32_MAX, &p) &&
	    num_parse_str(fds, 1024, &n) && (pid_t)p == getpid() && n >= 1) {
		fd = SOCK_LISTEN_FDS_START;
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	}
	(void)unsetenv("LISTEN_PID");
	(void)unsetenv("LISTEN_FDS");
	(void)unsetenv("LISTEN_FDNAMES");
	return fd;
}

void
sock_peer(int fd, char *addr, size_t addrsz, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	*port = 0;
	(void)snprintf(addr, addrsz, "local");
	if (getpeername(fd, (struct sockaddr *)&ss, &len) == -1)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		(void)inet_ntop(AF_INET, &in->sin_addr, addr, (socklen_t)addrsz);
		*port = ntohs(in->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			(void)inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12],
			    addr, (socklen_t)addrsz);
		else
			(void)inet_ntop(AF_INET6, &in6->sin6_addr, addr,
			    (socklen_t)addrsz);
		*port = ntohs(in6->sin6_port);
	}
}

void
sock_nodelay(int fd)
{
	int	 one = 1;

	/* fails harmlessly (ENOTSOCK, EOPNOTSUPP) on pipes and AF_UNIX */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int
sock_nonblock(int fd)
{
	int	fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}
