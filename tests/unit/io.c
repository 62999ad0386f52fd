/*
 * io.c — unit tests for libexec/common/io.c on a socketpair: lines with
 * and without their end, lines longer than the maximum, EOF, the per-read
 * timeout and the session deadline, the idle cut (and no timeout at
 * all), discarding input, output flushed
 * before a read waits (and held while input is buffered, for pipelining),
 * a transport with data of its own, and write errors.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "tap.h"

static struct io io;	/* 32 KiB of buffers: not on the stack */
static int sv[2];	/* sv[0] ours, sv[1] the peer's */

static void
pair(int timeout_ms, int64_t deadline_ms)
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		bail_out("socketpair", strerror(errno));
	io_init(&io, sv[0], sv[0], timeout_ms, deadline_ms);
}

static void
unpair(void)
{
	(void)close(sv[0]);
	if (sv[1] != -1)
		(void)close(sv[1]);
}

static void
peer_send(const char *s)
{
	size_t	 n = strlen(s);

	if (write(sv[1], s, n) != (ssize_t)n)
		bail_out("peer write", strerror(errno));
}

/* What the peer can read now, without waiting; -1 for nothing. */
static ssize_t
peer_recv(char *buf, size_t n)
{
	ssize_t	 r = recv(sv[1], buf, n - 1, MSG_DONTWAIT);

	buf[r > 0 ? r : 0] = '\0';
	return r;
}

/* Read a line into a C string; returns the result. */
static enum io_result
line(char *dst, size_t max, bool *eol)
{
	enum io_result r;
	size_t	 len = 0;

	r = io_readline(&io, dst, max, &len, eol);
	dst[len] = '\0';
	return r;
}

static void
test_lines(void)
{
	char	 buf[64];
	bool	 eol;

	pair(1000, 0);
	peer_send("HELO x\r\nMAIL FROM:<a@b>\r\nabc\ndef");
	is_int(line(buf, 63, &eol), IO_OK, "line 1");
	is_str(buf, "HELO x\r\n", "line 1 with its CRLF");
	ok(eol, "line 1 has its end");
	is_int(io_buffered(&io), 24, "the rest is buffered");
	is_int(line(buf, 63, &eol), IO_OK, "line 2");
	is_str(buf, "MAIL FROM:<a@b>\r\n", "line 2");
	is_int(line(buf, 63, &eol), IO_OK, "bare LF line");
	is_str(buf, "abc\n", "bare LF line comes as it is");
	ok(eol, "bare LF ends a line");
	(void)shutdown(sv[1], SHUT_WR);
	is_int(line(buf, 63, &eol), IO_OK, "last line without LF");
	is_str(buf, "def", "last line without LF");
	ok(!eol, "last line without LF: no end");
	is_int(line(buf, 63, &eol), IO_EOF, "then EOF");
	is_str(buf, "", "EOF: nothing");
	is_int(line(buf, 63, &eol), IO_EOF, "EOF again");
	unpair();

	/* EOF at once */
	pair(1000, 0);
	(void)close(sv[1]);
	sv[1] = -1;
	is_int(line(buf, 63, &eol), IO_EOF, "EOF with no input");
	unpair();
}

static void
test_long(void)
{
	char	 buf[64];
	bool	 eol;

	pair(1000, 0);
	peer_send("0123456789abcdef\r\n012345678\n0123456789\n");
	is_int(line(buf, 10, &eol), IO_OK, "long line: first piece");
	is_str(buf, "0123456789", "long line: max octets");
	ok(!eol, "long line: not the end");
	is_int(line(buf, 10, &eol), IO_OK, "long line: the rest");
	is_str(buf, "abcdef\r\n", "long line: the rest");
	ok(eol, "long line: the rest has the end");
	is_int(line(buf, 10, &eol), IO_OK, "line of exactly max with LF");
	is_str(buf, "012345678\n", "line of exactly max");
	ok(eol, "line of exactly max: has the end");
	is_int(line(buf, 10, &eol), IO_OK, "line of max + 1");
	is_str(buf, "0123456789", "line of max + 1: max octets");
	ok(!eol, "line of max + 1: no end yet");
	is_int(line(buf, 10, &eol), IO_OK, "line of max + 1: the LF");
	is_str(buf, "\n", "line of max + 1: only the LF left");
	ok(eol, "line of max + 1: the end");
	unpair();
}

static void
test_split(void)
{
	char	 buf[64];
	bool	 eol;
	pid_t	 pid;
	int	 status;

	/* the line arrives in three pieces, 20 ms apart */
	pair(1000, 0);
	fflush(stdout);
	if ((pid = fork()) == -1)
		bail_out("fork", strerror(errno));
	if (pid == 0) {
		static const struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (write(sv[1], "HEL", 3) != 3 ||
		    nanosleep(&ts, NULL) == -1 ||
		    write(sv[1], "O x\r", 4) != 4 ||
		    nanosleep(&ts, NULL) == -1 ||
		    write(sv[1], "\nQUIT\r\n", 7) != 7)
			_exit(1);
		_exit(0);
	}
	is_int(line(buf, 63, &eol), IO_OK, "line in pieces");
	is_str(buf, "HELO x\r\n", "line in pieces, whole");
	ok(eol, "line in pieces: the end");
	is_int(line(buf, 63, &eol), IO_OK, "next line");
	is_str(buf, "QUIT\r\n", "next line");
	(void)waitpid(pid, &status, 0);
	unpair();
}

static void
test_timeout(void)
{
	char	 buf[64];
	bool	 eol;
	int64_t	 t0, dt;

	/* per-read timeout */
	pair(50, 0);
	t0 = io_now_ms();
	is_int(line(buf, 63, &eol), IO_TIMEOUT, "no input: IO_TIMEOUT");
	dt = io_now_ms() - t0;
	ok(dt >= 45 && dt < 1000, "after about 50 ms (%lld)", (long long)dt);
	unpair();

	/* a partial line, then silence */
	pair(50, 0);
	peer_send("HEL");
	is_int(line(buf, 63, &eol), IO_TIMEOUT, "partial line: IO_TIMEOUT");
	unpair();

	/* the session deadline comes first */
	t0 = io_now_ms();
	pair(5000, t0 + 60);
	is_int(line(buf, 63, &eol), IO_DEADLINE, "deadline: IO_DEADLINE");
	dt = io_now_ms() - t0;
	ok(dt >= 50 && dt < 1000, "after about 60 ms (%lld)", (long long)dt);
	unpair();

	/* a deadline already past */
	t0 = io_now_ms();
	pair(5000, t0 - 1);
	is_int(line(buf, 63, &eol), IO_DEADLINE, "past deadline");
	ok(io_now_ms() - t0 < 100, "past deadline: at once");
	unpair();

	/* the timeout comes before a far deadline */
	pair(50, io_now_ms() + 100000);
	is_int(line(buf, 63, &eol), IO_TIMEOUT, "timeout before deadline");
	unpair();

	/* buffered input is returned even after the deadline */
	pair(5000, io_now_ms() + 30);
	peer_send("A\r\nB\r\n");
	is_int(line(buf, 63, &eol), IO_OK, "read before the deadline");
	{
		static const struct timespec ts = { 0, 40 * 1000 * 1000 };

		(void)nanosleep(&ts, NULL);
	}
	is_int(line(buf, 63, &eol), IO_OK, "buffered line after deadline");
	is_str(buf, "B\r\n", "buffered line after deadline");
	is_int(line(buf, 63, &eol), IO_DEADLINE, "then the deadline");
	unpair();
}

static int idle_asked;
static int idle_cut_after;	/* cut when asked this many times */

static bool
idle_cut(void *ctx)
{
	(void)ctx;
	return ++idle_asked >= idle_cut_after;
}

static void
test_idle(void)
{
	char	 buf[64];
	bool	 eol;
	int64_t	 t0, dt;

	/* asked every idle_ms; cut the third time */
	pair(5000, 0);
	io.idle_ms = 20;
	io.idle_cut = idle_cut;
	idle_asked = 0;
	idle_cut_after = 3;
	t0 = io_now_ms();
	is_int(line(buf, 63, &eol), IO_TIMEOUT, "idle cut: IO_TIMEOUT");
	dt = io_now_ms() - t0;
	ok(io.cut, "idle cut: cut set");
	is_int(idle_asked, 3, "asked once per idle_ms");
	ok(dt >= 55 && dt < 1000, "after about 60 ms (%lld)", (long long)dt);
	unpair();

	/* never cut: the timeout still ends the wait, cut not set */
	pair(70, 0);
	io.idle_ms = 20;
	io.idle_cut = idle_cut;
	idle_asked = 0;
	idle_cut_after = 1000;
	is_int(line(buf, 63, &eol), IO_TIMEOUT, "not cut: the timeout");
	ok(!io.cut, "not cut: cut not set");
	ok(idle_asked >= 2, "asked meanwhile (%d)", idle_asked);
	unpair();

	/* input before idle_ms: never asked */
	pair(5000, 0);
	io.idle_ms = 1000;
	io.idle_cut = idle_cut;
	idle_asked = 0;
	peer_send("NOOP\r\n");
	is_int(line(buf, 63, &eol), IO_OK, "input: no question");
	is_int(idle_asked, 0, "input: not asked");
	unpair();

	/* no timeout at all (negative): input after a while still comes */
	pair(-1, 0);
	{
		pid_t	 pid = fork();

		if (pid == 0) {
			static const struct timespec ts = { 0, 50 * 1000 * 1000 };

			(void)nanosleep(&ts, NULL);
			peer_send("late\r\n");
			_exit(0);
		}
		is_int(line(buf, 63, &eol), IO_OK, "no timeout: waits for input");
		is_str(buf, "late\r\n", "no timeout: the line");
		(void)waitpid(pid, NULL, 0);
	}
	unpair();
}

static void
test_discard(void)
{
	char	 buf[64];
	bool	 eol;

	pair(50, 0);
	peer_send("a\r\nb\r\nc\r\n");
	is_int(line(buf, 63, &eol), IO_OK, "discard: first line");
	is_int(io_buffered(&io), 6, "discard: 6 octets buffered");
	is_int(io_discard_input(&io), 6, "discard returns 6");
	is_int(io_buffered(&io), 0, "discard: nothing buffered");
	is_int(io_discard_input(&io), 0, "discard again: 0");
	is_int(line(buf, 63, &eol), IO_TIMEOUT, "discard: the rest is gone");
	peer_send("d\r\n");
	is_int(line(buf, 63, &eol), IO_OK, "discard: new input is read");
	is_str(buf, "d\r\n", "discard: new input");
	unpair();
}

static void
test_output(void)
{
	static char big[40000], got[41000];
	char	 buf[64], rbuf[64];
	bool	 eol;
	size_t	 n = 0, i;
	ssize_t	 r;

	/* written output waits until the reader is about to wait */
	pair(50, 0);
	is_int(io_write(&io, "250 ok\r\n", 8), IO_OK, "write a reply");
	ok(peer_recv(rbuf, sizeof(rbuf)) == -1, "not sent yet");
	is_int(line(buf, 63, &eol), IO_TIMEOUT, "read waits");
	is_int(peer_recv(rbuf, sizeof(rbuf)), 8, "flushed before the wait");
	is_str(rbuf, "250 ok\r\n", "the peer sees the reply");
	unpair();

	/* pipelining: no flush while input is buffered */
	pair(50, 0);
	peer_send("A\r\nB\r\n");
	is_int(line(buf, 63, &eol), IO_OK, "pipelined A");
	is_int(io_write(&io, "1\r\n", 3), IO_OK, "reply to A");
	is_int(line(buf, 63, &eol), IO_OK, "pipelined B, buffered");
	ok(peer_recv(rbuf, sizeof(rbuf)) == -1,
	    "reply to A held while B was buffered");
	is_int(io_write(&io, "2\r\n", 3), IO_OK, "reply to B");
	is_int(io_flush(&io), IO_OK, "flush");
	is_int(peer_recv(rbuf, sizeof(rbuf)), 6, "both replies at once");
	is_str(rbuf, "1\r\n2\r\n", "both replies in order");
	is_int(io_flush(&io), IO_OK, "flush with nothing to send");
	unpair();

	/* more than the write buffer */
	pair(1000, 0);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)('A' + i % 23);
	is_int(io_write(&io, big, sizeof(big)), IO_OK, "write 40000 octets");
	is_int(io_flush(&io), IO_OK, "flush 40000 octets");
	while (n < sizeof(got) &&
	    (r = recv(sv[1], got + n, sizeof(got) - n, MSG_DONTWAIT)) > 0)
		n += (size_t)r;
	is_int(n, sizeof(big), "the peer gets 40000 octets");
	ok(n == sizeof(big) && memcmp(got, big, n) == 0, "in order");
	unpair();

	/* io_read: what is buffered, in pieces */
	pair(1000, 0);
	peer_send("hello");
	is_int(io_read(&io, rbuf, 3, &n), IO_OK, "io_read 3");
	is_mem(rbuf, n, "hel", 3, "io_read 3: hel");
	is_int(io_read(&io, rbuf, 10, &n), IO_OK, "io_read the rest");
	is_mem(rbuf, n, "lo", 2, "io_read: lo");
	(void)shutdown(sv[1], SHUT_WR);
	is_int(io_read(&io, rbuf, 10, &n), IO_EOF, "io_read at EOF");
	unpair();
}

static void
test_write_error(void)
{
	void	(*old)(int);

	old = signal(SIGPIPE, SIG_IGN);
	pair(50, 0);
	(void)close(sv[1]);
	sv[1] = -1;
	is_int(io_write(&io, "221 bye\r\n", 9), IO_OK, "write is buffered");
	is_int(io_flush(&io), IO_ERROR, "flush to a closed peer");
	is_int(io.err, EPIPE, "EPIPE kept in err");
	unpair();
	(void)signal(SIGPIPE, old);
}

/* A transport holding data the descriptor will never signal (as TLS). */
struct fake {
	const char	*data;
	size_t		 len, pos;
	char		 out[64];
	size_t		 outlen;
};

static ssize_t
fake_read(void *ctx, void *buf, size_t n)
{
	struct fake *f = ctx;
	size_t	 take = f->len - f->pos;

	if (take == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (take > n)
		take = n;
	if (take > 4)
		take = 4;	/* small records */
	memcpy(buf, f->data + f->pos, take);
	f->pos += take;
	return (ssize_t)take;
}

static ssize_t
fake_write(void *ctx, const void *buf, size_t n)
{
	struct fake *f = ctx;

	if (n > sizeof(f->out) - f->outlen)
		n = sizeof(f->out) - f->outlen;
	memcpy(f->out + f->outlen, buf, n);
	f->outlen += n;
	return (ssize_t)n;
}

static size_t
fake_pending(void *ctx)
{
	struct fake *f = ctx;

	return f->len - f->pos;
}

static void
test_transport(void)
{
	static const struct io_transport t = { fake_read, fake_write,
	    fake_pending };
	struct fake f = { "EHLO x\r\nQUIT\r\n", 14, 0, "", 0 };
	char	 buf[64];
	bool	 eol;

	/* the fd never becomes readable: each IO_OK is data from f */
	pair(50, 0);
	io_set_transport(&io, &t, &f);
	is_int(line(buf, 63, &eol), IO_OK, "transport: line 1");
	is_str(buf, "EHLO x\r\n", "transport: line 1 from its records");
	is_int(io_write(&io, "250 ok\r\n", 8), IO_OK, "transport: write");
	is_int(line(buf, 63, &eol), IO_OK, "transport: line 2");
	is_str(buf, "QUIT\r\n", "transport: line 2");
	is_mem(f.out, f.outlen, "250 ok\r\n", 8,
	    "transport: output went through it");
	is_int(line(buf, 63, &eol), IO_TIMEOUT,
	    "transport: empty, then the fd is polled");
	unpair();
}

int
main(void)
{
	test_lines();
	test_long();
	test_split();
	test_timeout();
	test_idle();
	test_discard();
	test_output();
	test_write_error();
	test_transport();
	return done_testing();
}
