/*
 * fsyncbench: the durable-write ceiling of a disk, as tambo's spool uses it.
 *
 * One writer, for about SECONDS seconds (default 2): create a 4 KiB file
 * in DIR/tmp with O_EXCL, write it, fsync it, rename it into DIR/queue and
 * fsync DIR/queue -- the sequence a handler runs before its 250 reply to
 * DATA (DESIGN.md, "the spool promise").  Prints the number of such writes
 * per second on stdout, then removes the files it made (not timed).
 *
 * Usage: fsyncbench DIR [SECONDS]
 * Exit status: 0, or 1 on any error (with a message on stderr).
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILE_SIZE	4096
#define MAX_WRITES	1000000L	/* a bound whatever the disk does */
#define PATH_MAX_LEN	4096

static double
now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		perror("fsyncbench: clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
path_make(char *buf, size_t size, const char *dir, const char *sub, long n)
{
	int len;

	if (n < 0)
		len = snprintf(buf, size, "%s/%s", dir, sub);
	else
		len = snprintf(buf, size, "%s/%s/%ld", dir, sub, n);
	if (len < 0 || (size_t)len >= size) {
		fprintf(stderr, "fsyncbench: path too long\n");
		exit(1);
	}
}

static void
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			perror("fsyncbench: write");
			exit(1);
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void
one_write(const char *dir, int queue_fd, long n, const char *data)
{
	char tmp[PATH_MAX_LEN], dst[PATH_MAX_LEN];
	int fd;

	path_make(tmp, sizeof(tmp), dir, "tmp", n);
	path_make(dst, sizeof(dst), dir, "queue", n);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1) {
		perror("fsyncbench: open");
		exit(1);
	}
	write_all(fd, data, FILE_SIZE);
	if (fsync(fd) == -1) {
		perror("fsyncbench: fsync file");
		exit(1);
	}
	if (close(fd) == -1) {
		perror("fsyncbench: close");
		exit(1);
	}
	if (rename(tmp, dst) == -1) {
		perror("fsyncbench: rename");
		exit(1);
	}
	if (fsync(queue_fd) == -1) {
		perror("fsyncbench: fsync directory");
		exit(1);
	}
}

int
main(int argc, char **argv)
{
	char path[PATH_MAX_LEN], data[FILE_SIZE];
	const char *dir;
	double seconds = 2.0, start, elapsed;
	long n, i;
	int queue_fd;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: fsyncbench DIR [SECONDS]\n");
		return 1;
	}
	dir = argv[1];
	if (argc == 3) {
		char *end;

		seconds = strtod(argv[2], &end);
		if (*end != '\0' || !(seconds > 0.0 && seconds <= 60.0)) {
			fprintf(stderr, "fsyncbench: SECONDS: 0 < s <= 60\n");
			return 1;
		}
	}
	umask(077);
	path_make(path, sizeof(path), dir, "tmp", -1);
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		perror("fsyncbench: mkdir tmp");
		return 1;
	}
	path_make(path, sizeof(path), dir, "queue", -1);
	if (mkdir(path, 0700) == -1 && errno != EEXIST) {
		perror("fsyncbench: mkdir queue");
		return 1;
	}
	queue_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (queue_fd == -1) {
		perror("fsyncbench: open queue");
		return 1;
	}
	for (i = 0; i < FILE_SIZE; i++)
		data[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);

	start = now();
	elapsed = 0.0;
	for (n = 0; n < MAX_WRITES && elapsed < seconds; n++) {
		one_write(dir, queue_fd, n, data);
		elapsed = now() - start;
	}
	printf("%.1f\n", (double)n / elapsed);

	for (i = 0; i < n; i++) {
		path_make(path, sizeof(path), dir, "queue", i);
		if (unlink(path) == -1)
			perror("fsyncbench: unlink");	/* not worth failing */
	}
	(void)close(queue_fd);	/* read-only descriptor: nothing to lose */
	return 0;
}
