/*
 * tap.h — a minimal TAP producer for the C unit tests (run by prove).
 *
 *   ok(cond, "name %d", i);   is_int(got, want, "name");
 *   is_str(got, want, "name");   is_mem(got, gotlen, want, wantlen, "name");
 *   diag("note %s", x);   done_testing();
 *
 * Helpers for tests on disk: tap_tmpdir() makes a private directory under
 * $TMPDIR, tap_pathf() formats a path (bailing out rather than truncate),
 * tap_write_file() creates a file, tap_rmtree() removes what a test made.
 *
 * A known bug is asserted as it should behave, between todo("why") and
 * todo_end(): its failure is reported as "not ok ... # TODO why", which
 * prove does not count against the suite, and it shows up as a bonus
 * ("TODO passed") once the bug is fixed.
 */
#ifndef TAMBO_TAP_H
#define TAMBO_TAP_H

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_n, tap_failed;
static const char *tap_todo;

static void tap_vok(int cond, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void
tap_vok(int cond, const char *fmt, va_list ap)
{
	char	 name[1024];
	const unsigned char *p;

	tap_n++;
	if (!cond && tap_todo == NULL)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	/* one line, and no "#" that would read as a directive */
	(void)vsnprintf(name, sizeof(name), fmt, ap);
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p == '#')
			fputs("\\#", stdout);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	if (tap_todo != NULL)
		printf(" # TODO %s", tap_todo);
	putchar('\n');
}

static int ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), unused));
static int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vok(cond, fmt, ap);
	va_end(ap);
	return cond;
}

/* A comment line in the TAP stream. */
static void diag(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), unused));
static void
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Tests until todo_end() assert a known bug's correct behaviour. */
static void todo(const char *why) __attribute__((unused));
static void
todo(const char *why)
{
	tap_todo = why;
}

static void todo_end(void) __attribute__((unused));
static void
todo_end(void)
{
	tap_todo = NULL;
}

#define is_int(got, want, ...) do {					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	if (!ok(g_ == w_, __VA_ARGS__))					\
		printf("#   got %lld, want %lld\n", g_, w_);		\
} while (0)

/* Print p[0..n) escaped, so that a diagnostic stays on one line. */
static void tap_escaped(const void *p, size_t n) __attribute__((unused));
static void
tap_escaped(const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t	 i;

	if (s == NULL) {
		fputs("(null)", stdout);
		return;
	}
	putchar('"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			printf("\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] >= 0x7f)
			printf("\\x%02x", s[i]);
		else
			putchar(s[i]);
	}
	putchar('"');
}

static void tap_got_want(const void *g, size_t gl, const void *w, size_t wl)
    __attribute__((unused));
static void
tap_got_want(const void *g, size_t gl, const void *w, size_t wl)
{
	fputs("#   got ", stdout);
	tap_escaped(g, gl);
	printf(" (%zu)\n#  want ", gl);
	tap_escaped(w, wl);
	printf(" (%zu)\n", wl);
}

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (!ok(g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0,	\
	    __VA_ARGS__))						\
		tap_got_want(g_, g_ ? strlen(g_) : 0, w_,		\
		    w_ ? strlen(w_) : 0);				\
} while (0)

/* Byte strings that may hold NULs or lack a terminator. */
#define is_mem(got, glen, want, wlen, ...) do {				\
	const void *g_ = (got), *w_ = (want);				\
	size_t gl_ = (glen), wl_ = (wlen);				\
	if (!ok(gl_ == wl_ && (gl_ == 0 || memcmp(g_, w_, gl_) == 0),	\
	    __VA_ARGS__))						\
		tap_got_want(g_, gl_, w_, wl_);				\
} while (0)

/* Stop the whole test program: the harness reports it. */
static void bail_out(const char *why, const char *detail)
    __attribute__((noreturn, unused));
static void
bail_out(const char *why, const char *detail)
{
	printf("Bail out! %s%s%s\n", why, detail ? ": " : "",
	    detail ? detail : "");
	fflush(stdout);
	exit(255);
}

static void tap_pathf(char *out, size_t outsz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), unused));
static void
tap_pathf(char *out, size_t outsz, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(out, outsz, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outsz)
		bail_out("path too long", fmt);
}

/* A new private directory, $TMPDIR/tambo-NAME.XXXXXX, into out. */
static void tap_tmpdir(char *out, size_t outsz, const char *name)
    __attribute__((unused));
static void
tap_tmpdir(char *out, size_t outsz, const char *name)
{
	const char *t = getenv("TMPDIR");

	tap_pathf(out, outsz, "%s/tambo-%s.XXXXXX",
	    t != NULL && t[0] != '\0' ? t : "/tmp", name);
	if (mkdtemp(out) == NULL)
		bail_out("mkdtemp", strerror(errno));
}

/* Create (or truncate) path with the given text. */
static void tap_write_file(const char *path, const char *text)
    __attribute__((unused));
static void
tap_write_file(const char *path, const char *text)
{
	FILE	*f;

	if ((f = fopen(path, "w")) == NULL)
		bail_out(path, strerror(errno));
	if (fputs(text, f) == EOF || fclose(f) == EOF)
		bail_out(path, "write failed");
}

static int
tap_rm_one(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return 0;
}

/* Remove a directory a test made, and all below it. */
static void tap_rmtree(const char *dir) __attribute__((unused));
static void
tap_rmtree(const char *dir)
{
	(void)nftw(dir, tap_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int done_testing(void) __attribute__((unused));
static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
