/*
 * buf.c — unit tests for libexec/common/buf.c: appending, the hard
 * maximum (EMSGSIZE, buffer unchanged), printf growth, consume, reset,
 * wipe and free.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "tap.h"

static void
test_add(void)
{
	struct buf b;

	buf_init(&b, 1024);
	ok(b.data == NULL && b.len == 0 && b.max == 1024, "init: empty");
	is_int(buf_add(&b, "hello", 5), 0, "add");
	is_int(b.len, 5, "add: len");
	is_str(b.data, "hello", "add: NUL-terminated");
	is_int(buf_addc(&b, ' '), 0, "addc");
	is_int(buf_addstr(&b, "world"), 0, "addstr");
	is_str(b.data, "hello world", "addc + addstr");
	is_int(buf_add(&b, "", 0), 0, "add nothing");
	is_int(b.len, 11, "add nothing: len");
	is_int(buf_add(&b, "a\0b", 3), 0, "add a NUL");
	is_int(b.len, 14, "add a NUL: len counts it");
	ok(memcmp(b.data + 11, "a\0b", 4) == 0, "add a NUL: kept, and a NUL "
	    "after");
	ok(b.cap >= b.len + 1, "cap leaves room for the NUL");
	buf_free(&b);
	ok(b.data == NULL && b.len == 0 && b.cap == 0 && b.max == 1024,
	    "free: empty again, max kept");
	is_int(buf_addstr(&b, "again"), 0, "reuse after free");
	is_str(b.data, "again", "reuse after free: contents");
	buf_free(&b);

	buf_init(&b, 64);
	is_int(buf_add(&b, "", 0), 0, "add nothing to a new buffer");
	ok(b.data == NULL || b.data[0] == '\0', "still a C string");
	buf_free(&b);
}

static const struct max_case {
	size_t		 max;
	const char	*first;		/* fills the buffer */
	const char	*more;		/* then this */
	int		 want;
} max_cases[] = {
	{ 10, "0123456789", "", 0 },
	{ 10, "0123456789", "x", -1 },
	{ 10, "012345678", "x", 0 },
	{ 10, "012345678", "xy", -1 },
	{ 10, "", "0123456789A", -1 },
	{ 0, "", "x", -1 },
	{ 0, "", "", 0 },
	{ 1, "", "x", 0 },
	{ 1, "x", "y", -1 },
	{ 255, "", "", 0 },
	{ 256, "", "", 0 },
	{ 257, "", "", 0 },
};

static void
test_max(void)
{
	size_t	 i;
	char	 big[600];

	memset(big, 'b', sizeof(big));
	for (i = 0; i < sizeof(max_cases) / sizeof(max_cases[0]); i++) {
		const struct max_case *c = &max_cases[i];
		struct buf b;
		size_t	 len;
		int	 r;

		buf_init(&b, c->max);
		if (c->first[0] != '\0')
			(void)buf_addstr(&b, c->first);
		len = b.len;
		errno = 0;
		r = buf_addstr(&b, c->more);
		is_int(r, c->want, "max %zu: \"%s\" + \"%s\"", c->max,
		    c->first, c->more);
		if (r == -1) {
			is_int(errno, EMSGSIZE, "max %zu: EMSGSIZE", c->max);
			is_int(b.len, len, "max %zu: len unchanged", c->max);
			ok(len == 0 || strcmp(b.data, c->first) == 0,
			    "max %zu: contents unchanged", c->max);
		}
		ok(b.len <= b.max, "max %zu: len <= max", c->max);
		ok(b.cap <= b.max + 1, "max %zu: cap <= max + 1", c->max);
		/* fill to the brim */
		buf_reset(&b);
		is_int(buf_add(&b, big, c->max), 0, "max %zu: fill", c->max);
		errno = 0;
		is_int(buf_addc(&b, 'x'), -1, "max %zu: addc past full",
		    c->max);
		is_int(errno, EMSGSIZE, "max %zu: addc EMSGSIZE", c->max);
		errno = 0;
		is_int(buf_printf(&b, "%d", 1), -1, "max %zu: printf past full",
		    c->max);
		is_int(errno, EMSGSIZE, "max %zu: printf EMSGSIZE", c->max);
		is_int(b.len, c->max, "max %zu: still full", c->max);
		buf_free(&b);
	}
}

static void
test_overflow(void)
{
	struct buf b;

	/* sizes that would wrap: refused before anything is read */
	buf_init(&b, 100);
	(void)buf_addstr(&b, "abc");
	errno = 0;
	is_int(buf_add(&b, "x", SIZE_MAX), -1, "add SIZE_MAX octets");
	is_int(errno, EMSGSIZE, "add SIZE_MAX: EMSGSIZE");
	is_int(buf_add(&b, "x", SIZE_MAX - 2), -1, "add SIZE_MAX - 2 octets");
	is_int(buf_add(&b, "x", 98), -1, "add one over max");
	is_str(b.data, "abc", "unchanged");
	buf_free(&b);
}

/*
 * TODO bug: buf_init(&b, SIZE_MAX) ("no limit") makes buf_reserve clamp
 * the capacity to max + 1, which wraps to 0: realloc(p, 0), cap 0, and
 * the copy writes past the allocation.  Run in a child so that the
 * overflow cannot take this program down.
 */
static void
test_unlimited(void)
{
	pid_t	 pid;
	int	 status = 0, fd;

	fflush(stdout);
	if ((pid = fork()) == -1)
		bail_out("fork", strerror(errno));
	if (pid == 0) {
		struct buf b;

		/* a sanitizer's report here is expected: keep it quiet */
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			(void)dup2(fd, STDERR_FILENO);
		buf_init(&b, SIZE_MAX);
		if (buf_addstr(&b, "no limit at all, but still a string") !=
		    0 || b.cap < b.len + 1)
			_exit(1);
		_exit(0);
	}
	(void)waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "a buffer with max SIZE_MAX holds a string");
}

static void
test_printf(void)
{
	struct buf b;
	char	 want[8];
	size_t	 i;
	bool	 same = true;

	buf_init(&b, 1 << 20);
	for (i = 0; i < 1000; i++)
		if (buf_printf(&b, "%04zu,", i) != 0)
			same = false;
	ok(same, "1000 printfs");
	is_int(b.len, 5000, "printf growth: len");
	for (i = 0; i < 1000 && same; i++) {
		(void)snprintf(want, sizeof(want), "%04zu,", i);
		if (memcmp(b.data + 5 * i, want, 5) != 0)
			same = false;
	}
	ok(same, "printf growth: contents in order");
	ok(b.data[b.len] == '\0' && b.cap > b.len, "printf: NUL after");
	buf_reset(&b);
	is_int(buf_printf(&b, "%0*d", 100000, 7), 0, "one printf of 100000");
	is_int(b.len, 100000, "one printf of 100000: len");
	ok(b.data[0] == '0' && b.data[99999] == '7' && b.data[100000] == '\0',
	    "one printf of 100000: contents");
	buf_reset(&b);
	is_int(buf_printf(&b, "%s", ""), 0, "printf of nothing");
	is_int(b.len, 0, "printf of nothing: len");
	is_int(buf_printf(&b, "%s=%d %c", "k", -5, 'z'), 0, "printf mixed");
	is_str(b.data, "k=-5 z", "printf mixed: contents");
	buf_free(&b);

	/* exactly to the maximum, then one past */
	buf_init(&b, 6);
	is_int(buf_printf(&b, "%s", "abcdef"), 0, "printf to max");
	is_str(b.data, "abcdef", "printf to max: contents");
	buf_reset(&b);
	(void)buf_addstr(&b, "ab");
	is_int(buf_printf(&b, "%s", "cdefg"), -1, "printf past max");
	is_str(b.data, "ab", "printf past max: unchanged");
	buf_free(&b);
}

static void
test_consume(void)
{
	struct buf b;
	size_t	 cap, i;
	bool	 zero = true;

	buf_init(&b, 100);
	(void)buf_addstr(&b, "abcdef");
	buf_consume(&b, 0);
	is_str(b.data, "abcdef", "consume 0");
	buf_consume(&b, 2);
	is_str(b.data, "cdef", "consume 2");
	is_int(b.len, 4, "consume 2: len");
	buf_consume(&b, 4);
	is_int(b.len, 0, "consume all");
	is_str(b.data, "", "consume all: empty string");
	(void)buf_addstr(&b, "xyz");
	buf_consume(&b, 50);
	is_int(b.len, 0, "consume more than len");

	(void)buf_addstr(&b, "secret");
	cap = b.cap;
	buf_reset(&b);
	ok(b.len == 0 && b.data[0] == '\0' && b.cap == cap,
	    "reset keeps the memory");
	(void)buf_addstr(&b, "password");
	buf_wipe(&b);
	for (i = 0; i < b.cap; i++)
		if (b.data[i] != '\0')
			zero = false;
	ok(b.len == 0 && zero, "wipe zeroes the whole capacity");
	(void)buf_addstr(&b, "after");
	is_str(b.data, "after", "usable after wipe");
	buf_free(&b);
	buf_wipe(&b);
	buf_reset(&b);
	ok(b.data == NULL && b.len == 0, "wipe and reset of a freed buffer");
}

int
main(void)
{
	test_add();
	test_max();
	test_overflow();
	test_unlimited();
	test_printf();
	test_consume();
	return done_testing();
}
