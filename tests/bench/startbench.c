/*
 * startbench: what one short session costs, measured serially.
 *
 *   startbench smtp N HOST PORT    N serial SMTP sessions: connect, read
 *                                  the 220 greeting, send QUIT, read the
 *                                  221 reply and wait for the server to
 *                                  close the connection.
 *   startbench exec N PROGRAM [ARG...]
 *                                  N serial fork + exec + exit + wait of
 *                                  PROGRAM: the floor under any handler
 *                                  that is started per connection.
 *
 * Prints the median wall time of one session in milliseconds on stdout;
 * the exec mode adds a second number, the mean CPU time (user + system)
 * of one child in milliseconds.
 * Every read has a timeout (READ_TIMEOUT seconds) so a silent server
 * cannot hang the benchmark.  With N = 1 the smtp mode doubles as a
 * readiness probe.  Exit status: 0, or 1 on any error (message on stderr).
 */

#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS	100000L
#define READ_TIMEOUT	10	/* seconds */
#define REPLY_MAX	4096	/* bytes kept of one SMTP reply */

static double
now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1) {
		perror("startbench: clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, long n)
{
	qsort(v, (size_t)n, sizeof(*v), compare_double);
	if (n % 2 == 1)
		return v[n / 2];
	return (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/*
 * Read one whole SMTP reply (the last line has a space after the code)
 * and check its code.  Returns 0, or -1 with a message on stderr.
 */
static int
reply_read(int fd, const char *code)
{
	char buf[REPLY_MAX];
	size_t len = 0, line = 0;

	for (;;) {
		ssize_t n;
		size_t i;

		if (len == sizeof(buf)) {
			fprintf(stderr, "startbench: reply too long\n");
			return -1;
		}
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			perror("startbench: read reply");
			return -1;
		}
		if (n == 0) {
			fprintf(stderr, "startbench: connection closed "
			    "while waiting for %s\n", code);
			return -1;
		}
		for (i = len, len += (size_t)n; i < len; i++) {
			if (buf[i] != '\n')
				continue;
			if (i - line < 4 || memcmp(buf + line, code, 3) != 0) {
				fprintf(stderr, "startbench: expected %s, "
				    "got: %.*s\n", code, (int)(i - line),
				    buf + line);
				return -1;
			}
			if (buf[line + 3] == ' ')
				return 0;
			line = i + 1;
		}
	}
}

static int
write_all(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			perror("startbench: write");
			return -1;
		}
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
smtp_session(const struct sockaddr_in *sin)
{
	struct timeval tv = { .tv_sec = READ_TIMEOUT, .tv_usec = 0 };
	char rest[256];
	ssize_t n;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		perror("startbench: socket");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1) {
		perror("startbench: setsockopt");
		goto fail;
	}
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1) {
		perror("startbench: connect");
		goto fail;
	}
	if (reply_read(fd, "220") == -1 || write_all(fd, "QUIT\r\n") == -1 ||
	    reply_read(fd, "221") == -1)
		goto fail;
	/* The session ends when the server has closed its side. */
	while ((n = read(fd, rest, sizeof(rest))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			perror("startbench: waiting for close");
			goto fail;
		}
		fprintf(stderr, "startbench: data after 221\n");
		goto fail;
	}
	(void)close(fd);	/* nothing written is pending */
	return 0;
fail:
	(void)close(fd);	/* already failing */
	return -1;
}

static int
exec_once(char **argv)
{
	pid_t pid;
	int status;

	pid = fork();
	if (pid == -1) {
		perror("startbench: fork");
		return -1;
	}
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			perror("startbench: waitpid");
			return -1;
		}
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "startbench: %s failed (status %d)\n",
		    argv[0], status);
		return -1;
	}
	return 0;
}

static long
count_parse(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > MAX_RUNS) {
		fprintf(stderr, "startbench: N: 1 to %ld\n", MAX_RUNS);
		exit(1);
	}
	return n;
}

static void
usage(void)
{
	fprintf(stderr, "usage: startbench smtp N HOST PORT\n"
	    "       startbench exec N PROGRAM [ARG...]\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	double *times, t0;
	long n, i;
	int smtp;

	if (argc < 4)
		usage();
	smtp = strcmp(argv[1], "smtp") == 0;
	if (!smtp && strcmp(argv[1], "exec") != 0)
		usage();
	n = count_parse(argv[2]);
	if (smtp) {
		long port;
		char *end;

		if (argc != 5)
			usage();
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		if (inet_pton(AF_INET, argv[3], &sin.sin_addr) != 1) {
			fprintf(stderr, "startbench: HOST: an IPv4 address\n");
			return 1;
		}
		errno = 0;
		port = strtol(argv[4], &end, 10);
		if (errno != 0 || *end != '\0' || port < 1 || port > 65535) {
			fprintf(stderr, "startbench: bad PORT\n");
			return 1;
		}
		sin.sin_port = htons((unsigned short)port);
	}
	times = calloc((size_t)n, sizeof(*times));
	if (times == NULL) {
		perror("startbench: calloc");
		return 1;
	}
	for (i = 0; i < n; i++) {
		int r;

		t0 = now();
		r = smtp ? smtp_session(&sin) : exec_once(argv + 3);
		if (r == -1) {
			fprintf(stderr, "startbench: run %ld of %ld failed\n",
			    i + 1, n);
			free(times);
			return 1;
		}
		times[i] = (now() - t0) * 1000.0;
	}
	if (smtp) {
		printf("%.3f\n", median(times, n));
	} else {
		struct rusage ru;

		if (getrusage(RUSAGE_CHILDREN, &ru) == -1) {
			perror("startbench: getrusage");
			free(times);
			return 1;
		}
		printf("%.3f %.3f\n", median(times, n),
		    ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
		    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) /
		    1e6) * 1000.0 / (double)n);
	}
	free(times);
	return 0;
}
