/*
 * replay.c — run a fuzz target over files, without libFuzzer.
 *
 *   fuzz_NAME-replay [-v] FILE|DIR ...
 *
 * Each FILE, and each regular file in each DIR (not recursively, in name
 * order), is read into a heap buffer of exactly its size, so that a build
 * with AddressSanitizer catches reads past the end, and handed to
 * LLVMFuzzerTestOneInput once.  This is how `make check` replays the
 * committed corpora with gcc; the TAP side is tests/fuzz/fuzz.t.
 *
 * Quiet on success (-v names each input).  A crash ends the program by its
 * signal, after the name of the input it died on is written to stderr;
 * exit status 2 for an unreadable file or a usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "poison.h"

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define REPLAY_ASAN 1
#else
#define REPLAY_ASAN 0
#endif

#define REPLAY_FILE_MAX	(64 * 1024 * 1024)

static const char *replay_current;	/* the input being run, for a crash */
static bool replay_verbose;

static void
replay_crash(int sig)
{
	const char *what = replay_current ? replay_current : "(none)";

	(void)sig;
	/* async-signal-safe: write(2) only; SA_RESETHAND re-raises. */
	(void)!write(2, "replay: crashed on input ", 25);
	(void)!write(2, what, strlen(what));
	(void)!write(2, "\n", 1);
}

static void
replay_signals(void)
{
	/* AddressSanitizer reports faults itself; abort is ours to name. */
	static const int sigs[] = { SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE };
	struct sigaction sa;
	size_t	 i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = replay_crash;
	sa.sa_flags = (int)SA_RESETHAND;
	(void)sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (REPLAY_ASAN && sigs[i] != SIGABRT)
			continue;
		if (sigaction(sigs[i], &sa, NULL) == -1) {
			perror("replay: sigaction");
			exit(2);
		}
	}
}

static int
replay_file(const char *path)
{
	struct stat st;
	uint8_t	*p;
	size_t	 got = 0;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		(void)fprintf(stderr, "replay: %s: %s\n", path,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > REPLAY_FILE_MAX) {
		(void)fprintf(stderr, "replay: %s: not a regular file of at "
		    "most %d bytes\n", path, REPLAY_FILE_MAX);
		(void)close(fd);
		return -1;
	}
	/* Exactly the input's size; one byte for an empty one, unused. */
	if ((p = malloc(st.st_size > 0 ? (size_t)st.st_size : 1)) == NULL) {
		perror("replay: malloc");
		(void)close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t	 n = read(fd, p + got, (size_t)st.st_size - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			(void)fprintf(stderr, "replay: %s: %s\n", path,
			    n == 0 ? "short read" : strerror(errno));
			free(p);
			(void)close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	(void)close(fd);
	if (replay_verbose)
		(void)fprintf(stderr, "replay: %s\n", path);
	replay_current = path;
	/* The return value is reserved by libFuzzer; always 0 here. */
	(void)LLVMFuzzerTestOneInput(p, got);
	replay_current = NULL;
	free(p);
	return 0;
}

static int
replay_dir_filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Returns the number of inputs run, or -1. */
static long
replay_dir(const char *dir)
{
	struct dirent **names;
	char	 path[4096];
	long	 count = 0;
	int	 n, i, bad = 0;

	if ((n = scandir(dir, &names, replay_dir_filter, alphasort)) == -1) {
		(void)fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct stat st;
		int	 len;

		len = snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name);
		if (len < 0 || (size_t)len >= sizeof(path)) {
			(void)fprintf(stderr, "replay: %s/%s: name too long\n",
			    dir, names[i]->d_name);
			bad = 1;
		} else if (stat(path, &st) == -1) {
			(void)fprintf(stderr, "replay: %s: %s\n", path,
			    strerror(errno));
			bad = 1;
		} else if (S_ISREG(st.st_mode)) {
			if (replay_file(path) == -1)
				bad = 1;
			else
				count++;
		}	/* subdirectories and the like: not inputs */
		free(names[i]);
	}
	free(names);
	return bad ? -1 : count;
}

int
main(int argc, char **argv)
{
	long	 total = 0;
	int	 i, first = 1, bad = 0;

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		replay_verbose = true;
		first = 2;
	}
	if (first >= argc) {
		(void)fprintf(stderr, "usage: %s [-v] file|dir ...\n",
		    argv[0]);
		return 2;
	}
	replay_signals();
	for (i = first; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == -1) {
			(void)fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			bad = 1;
		} else if (S_ISDIR(st.st_mode)) {
			long	 n = replay_dir(argv[i]);

			if (n == -1)
				bad = 1;
			else
				total += n;
		} else if (replay_file(argv[i]) == -1)
			bad = 1;
		else
			total++;
	}
	if (replay_verbose)
		(void)fprintf(stderr, "replay: %ld inputs\n", total);
	return bad ? 2 : 0;
}
