/*
 * authc.c — the client of the password checker (see authc.h, authreq.h
 * and tambo-authd(8)).
 *
 * connect(2) on a Unix stream socket waits while the listener's backlog
 * is full, bounded by SO_SNDTIMEO; after it the socket is non-blocking
 * and poll(2) keeps the deadline.  The request holds the password: the
 * buffer is wiped on every path.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "authc.h"
#include "authreq.h"
#include "io.h"
#include "sock.h"
#include "poison.h"

static int
authc_connect(const char *path, int timeout_ms)
{
	struct sockaddr_un sun;
	struct timeval tv;
	size_t	 n = strlen(path);
	int	 fd, saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(sun.sun_path)) {
		errno = n == 0 ? ENOENT : ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, n + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    sock_nonblock(fd) == -1) {
		saved = errno;
		(void)close(fd);
		/* a full backlog until SO_SNDTIMEO */
		errno = saved == EAGAIN ? ETIMEDOUT : saved;
		return -1;
	}
	return fd;
}

/* Send the request and read the answer. */
static enum authc_result
authc_exchange(int fd, const unsigned char *req, size_t reqlen,
    int64_t deadline)
{
	char	 resp[AUTHRESP_MAX];
	enum authresp res;
	size_t	 sent = 0, got = 0;
	ssize_t	 w, r;
	int	 ready;

	while (sent < reqlen) {
		w = send(fd, req + sent, reqlen - sent, MSG_NOSIGNAL);
		if (w > 0) {
			sent += (size_t)w;
			continue;
		}
		if (w == -1 && errno != EAGAIN && errno != EINTR)
			return AUTHC_UNAVAILABLE;
		if ((ready = io_poll_until(fd, POLLOUT, deadline)) <= 0) {
			if (ready == 0)
				errno = ETIMEDOUT;
			return AUTHC_UNAVAILABLE;
		}
	}
	for (;;) {
		r = recv(fd, resp + got, sizeof(resp) - got, 0);
		if (r == 0) {
			errno = got == 0 ? ECONNRESET : EPROTO;
			return AUTHC_UNAVAILABLE;
		}
		if (r > 0) {
			got += (size_t)r;
			switch (authresp_decode(resp, got, &res)) {
			case AUTHREQ_OK:
				return res == AUTHRESP_OK ? AUTHC_OK :
				    res == AUTHRESP_FAIL ? AUTHC_FAIL :
				    AUTHC_TEMP;
			case AUTHREQ_SHORT:
				if (got < sizeof(resp))
					continue;
				break;
			case AUTHREQ_BAD:
				break;
			}
			errno = EPROTO;
			return AUTHC_UNAVAILABLE;
		}
		if (errno != EAGAIN && errno != EINTR)
			return AUTHC_UNAVAILABLE;
		if ((ready = io_poll_until(fd, POLLIN, deadline)) <= 0) {
			if (ready == 0)
				errno = ETIMEDOUT;
			return AUTHC_UNAVAILABLE;
		}
	}
}

enum authc_result
authc_check(const char *path, const char *user, const char *pass,
    const char *client, int timeout_ms)
{
	unsigned char req[AUTHREQ_MAX];
	enum authc_result res = AUTHC_UNAVAILABLE;
	int64_t	 deadline;
	size_t	 reqlen;
	int	 fd, saved;

	if (timeout_ms <= 0)
		timeout_ms = AUTHC_TIMEOUT_MS;
	deadline = io_now_ms() + timeout_ms;
	if ((reqlen = authreq_encode(user, pass, client, req,
	    sizeof(req))) == 0) {
		errno = EINVAL;
		return AUTHC_UNAVAILABLE;
	}
	if ((fd = authc_connect(path, timeout_ms)) != -1) {
		res = authc_exchange(fd, req, reqlen, deadline);
		saved = errno;
		(void)close(fd);
		errno = saved;
	}
	saved = errno;
	explicit_bzero(req, sizeof(req));
	errno = saved;
	return res;
}
