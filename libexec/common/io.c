/*
 * io.c — bounded, timed connection I/O (see io.h).
 *
 * Invariants: rpos <= rlen <= IO_RBUF_SIZE; wlen <= IO_WBUF_SIZE.  Output
 * is always flushed before the reader waits, so a client never waits for a
 * reply that sits in our buffer.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "poison.h"

int64_t
io_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
io_poll_until(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events, .revents = 0 };
	int64_t	 left;
	int	 r;

	for (;;) {
		left = deadline - io_now_ms();
		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (r == -1 && errno == EINTR)
			continue;
		return r < 0 ? -1 : r > 0;
	}
}

void
io_init(struct io *io, int rfd, int wfd, int timeout_ms, int64_t deadline_ms)
{
	io->rfd = rfd;
	io->wfd = wfd;
	io->t = NULL;
	io->tctx = NULL;
	io->timeout_ms = timeout_ms;
	io->deadline_ms = deadline_ms;
	io->idle_ms = 0;
	io->idle_cut = NULL;
	io->idle_ctx = NULL;
	io->cut = false;
	io->err = 0;
	io->rpos = io->rlen = 0;
	io->wlen = 0;
}

void
io_set_transport(struct io *io, const struct io_transport *t, void *ctx)
{
	io->t = t;
	io->tctx = ctx;
}

/* Wait for fd to be ready; IO_OK, IO_TIMEOUT, IO_DEADLINE or IO_ERROR. */
static enum io_result
io_wait(struct io *io, int fd, short events)
{
	/* a negative timeout_ms: none (end 0) */
	int64_t	 end = io->timeout_ms < 0 ? 0 : io_now_ms() + io->timeout_ms;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		int64_t	 now = io_now_ms(), ms = -1;
		enum { BY_TIMEOUT, BY_DEADLINE, BY_IDLE, BY_CLAMP } by =
		    BY_TIMEOUT;
		int	 r;

		if (end != 0 && (ms = end - now) <= 0)
			return IO_TIMEOUT;
		if (io->deadline_ms != 0) {
			int64_t left = io->deadline_ms - now;

			if (left <= 0)
				return IO_DEADLINE;
			if (ms < 0 || left < ms) {
				ms = left;
				by = BY_DEADLINE;
			}
		}
		if (io->idle_cut != NULL && io->idle_ms > 0 &&
		    (ms < 0 || io->idle_ms < ms)) {
			ms = io->idle_ms;
			by = BY_IDLE;
		}
		if (ms > INT_MAX) {
			ms = INT_MAX;
			by = BY_CLAMP;
		}
		r = poll(&pfd, 1, (int)ms);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			io->err = errno;
			return IO_ERROR;
		}
		if (r > 0)
			return IO_OK;
		if (by == BY_TIMEOUT || by == BY_DEADLINE)
			return by == BY_DEADLINE ? IO_DEADLINE : IO_TIMEOUT;
		if (by == BY_IDLE && io->idle_cut(io->idle_ctx)) {
			io->cut = true;
			return IO_TIMEOUT;
		}
	}
}

static enum io_result
io_fill(struct io *io)
{
	enum io_result res;
	ssize_t	 n;

	if (io->rpos == io->rlen)
		io->rpos = io->rlen = 0;
	else if (io->rpos > 0) {
		memmove(io->rbuf, io->rbuf + io->rpos, io->rlen - io->rpos);
		io->rlen -= io->rpos;
		io->rpos = 0;
	}
	if ((res = io_flush(io)) != IO_OK)
		return res;
	for (;;) {
		if (io->t == NULL || io->t->pending(io->tctx) == 0) {
			if ((res = io_wait(io, io->rfd, POLLIN)) != IO_OK)
				return res;
		}
		if (io->t != NULL)
			n = io->t->read(io->tctx, io->rbuf + io->rlen,
			    sizeof(io->rbuf) - io->rlen);
		else
			n = read(io->rfd, io->rbuf + io->rlen,
			    sizeof(io->rbuf) - io->rlen);
		if (n > 0) {
			io->rlen += (size_t)n;
			return IO_OK;
		}
		if (n == 0)
			return IO_EOF;
		if (errno == EINTR || errno == EAGAIN)
			continue;
		io->err = errno;
		return errno == ECONNRESET ? IO_EOF : IO_ERROR;
	}
}

enum io_result
io_readline(struct io *io, char *dst, size_t max, size_t *len, bool *eol)
{
	enum io_result res;
	size_t	 got = 0;

	*eol = false;
	while (got < max) {
		unsigned char *start, *lf;
		size_t	 avail, take;

		if (io->rpos == io->rlen &&
		    (res = io_fill(io)) != IO_OK) {
			if (res == IO_EOF && got > 0)
				break;	/* a last line without LF */
			*len = got;
			return res;
		}
		start = io->rbuf + io->rpos;
		avail = io->rlen - io->rpos;
		lf = memchr(start, '\n', avail);
		take = lf ? (size_t)(lf - start) + 1 : avail;
		if (take > max - got)
			take = max - got;
		memcpy(dst + got, start, take);
		got += take;
		io->rpos += take;
		if (dst[got - 1] == '\n') {
			*eol = true;
			break;
		}
	}
	*len = got;
	return IO_OK;
}

enum io_result
io_read(struct io *io, void *dst, size_t max, size_t *len)
{
	enum io_result res;
	size_t	 take;

	if (io->rpos == io->rlen && (res = io_fill(io)) != IO_OK)
		return res;
	take = io->rlen - io->rpos;
	if (take > max)
		take = max;
	memcpy(dst, io->rbuf + io->rpos, take);
	io->rpos += take;
	*len = take;
	return IO_OK;
}

enum io_result
io_flush(struct io *io)
{
	size_t	 off = 0;

	while (off < io->wlen) {
		ssize_t	n;
		enum io_result res;

		if (io->t != NULL)
			n = io->t->write(io->tctx, io->wbuf + off,
			    io->wlen - off);
		else
			n = write(io->wfd, io->wbuf + off, io->wlen - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if ((res = io_wait(io, io->wfd, POLLOUT)) != IO_OK)
				return res;
			continue;
		}
		io->err = n == 0 ? EIO : errno;
		io->wlen = 0;
		return IO_ERROR;
	}
	io->wlen = 0;
	return IO_OK;
}

enum io_result
io_write(struct io *io, const void *p, size_t n)
{
	const unsigned char *s = p;
	enum io_result res;

	while (n > 0) {
		size_t	take = sizeof(io->wbuf) - io->wlen;

		if (take == 0) {
			if ((res = io_flush(io)) != IO_OK)
				return res;
			continue;
		}
		if (take > n)
			take = n;
		memcpy(io->wbuf + io->wlen, s, take);
		io->wlen += take;
		s += take;
		n -= take;
	}
	return IO_OK;
}

size_t
io_discard_input(struct io *io)
{
	size_t	n = io->rlen - io->rpos;

	io->rpos = io->rlen = 0;
	return n;
}

size_t
io_buffered(const struct io *io)
{
	return io->rlen - io->rpos;
}
