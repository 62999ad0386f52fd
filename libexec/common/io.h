/*
 * io.h — a connection's buffered, bounded, timed input and output.
 *
 * Every read is bounded (the caller's maximum) and timed (a per-read
 * timeout and a deadline for the whole session).  Output is collected and
 * sent when the reader is about to wait for input, so pipelined commands
 * (RFC 2920) get their replies in one packet.  The transport is plain file
 * descriptors until a TLS layer installs itself with io_set_transport; the
 * reader then asks the transport for data it already holds before polling.
 */
#ifndef TAMBO_IO_H
#define TAMBO_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define IO_RBUF_SIZE	16384
#define IO_WBUF_SIZE	16384

enum io_result {
	IO_OK,
	IO_EOF,		/* the peer closed the connection */
	IO_TIMEOUT,	/* no input within the per-read timeout */
	IO_DEADLINE,	/* the session's time is up */
	IO_ERROR,	/* read or write failed; errno kept in io->err */
};

struct io_transport {
	/* Like read(2)/write(2); -1 with errno EAGAIN when it would block. */
	ssize_t	(*read)(void *ctx, void *buf, size_t n);
	ssize_t	(*write)(void *ctx, const void *buf, size_t n);
	/* Bytes the transport holds that the fd will not signal. */
	size_t	(*pending)(void *ctx);
};

struct io {
	int		 rfd, wfd;
	const struct io_transport *t;	/* NULL: plain read/write */
	void		*tctx;
	int		 timeout_ms;	/* per read or write */
	int64_t		 deadline_ms;	/* monotonic; 0: none */
	/* When set, a wait is cut after idle_ms when idle_cut(idle_ctx)
	 * says so (IO_TIMEOUT, cut set); asked once per idle_ms waited. */
	int		 idle_ms;
	bool		(*idle_cut)(void *ctx);
	void		*idle_ctx;
	bool		 cut;
	int		 err;
	size_t		 rpos, rlen;
	size_t		 wlen;
	unsigned char	 rbuf[IO_RBUF_SIZE];
	unsigned char	 wbuf[IO_WBUF_SIZE];
};

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t	io_now_ms(void);

/*
 * Wait for events (POLLIN, POLLOUT) on fd until deadline (io_now_ms
 * time): 1 ready, 0 timed out, -1 with errno.
 */
int	io_poll_until(int fd, short events, int64_t deadline);

/* Set up on two descriptors (they may be the same) with plain I/O. */
void	io_init(struct io *, int rfd, int wfd, int timeout_ms,
	    int64_t deadline_ms);
void	io_set_transport(struct io *, const struct io_transport *, void *ctx);

/*
 * Read up to and including the next LF, storing at most max bytes in dst.
 * On IO_OK, *len bytes were stored and *eol says whether they end with
 * LF; when it is false the line was longer than max and its remainder is
 * still to be read (the next call continues with it).
 */
enum io_result io_readline(struct io *, char *dst, size_t max, size_t *len,
	    bool *eol);

/* Read between 1 and max bytes (what is buffered, or one read). */
enum io_result io_read(struct io *, void *dst, size_t max, size_t *len);

/* Queue output; flushes when the buffer fills.  Returns IO_OK or error. */
enum io_result io_write(struct io *, const void *, size_t);
enum io_result io_flush(struct io *);

/* Drop unread input; returns how many bytes were dropped. */
size_t	io_discard_input(struct io *);
/* Bytes already received and not yet read by the caller. */
size_t	io_buffered(const struct io *);

#endif
