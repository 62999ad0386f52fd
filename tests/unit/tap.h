/*
 * tap.h — a minimal TAP producer for the C unit tests (run by prove).
 *
 *   ok(cond, "name %d", i);   is_int(got, want, "name");
 *   is_str(got, want, "name");   is_mem(got, gotlen, want, wantlen, "name");
 *   diag("note %s", x);   done_testing();
 *
 * A known bug is asserted as it should behave, between todo("why") and
 * todo_end(): its failure is reported as "not ok ... # TODO why", which
 * prove does not count against the suite, and it shows up as a bonus
 * ("TODO passed") once the bug is fixed.
 */
#ifndef TAMBO_TAP_H
#define TAMBO_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;
static const char *tap_todo;

static void tap_vok(int cond, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static void
tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_n++;
	if (!cond && tap_todo == NULL)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	vprintf(fmt, ap);
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

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (!ok(g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0,	\
	    __VA_ARGS__))						\
		printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", \
		    w_ ? w_ : "(null)");				\
} while (0)

/* Byte strings that may hold NULs or lack a terminator. */
#define is_mem(got, glen, want, wlen, ...) do {				\
	const void *g_ = (got), *w_ = (want);				\
	size_t gl_ = (glen), wl_ = (wlen);				\
	if (!ok(gl_ == wl_ && (gl_ == 0 || memcmp(g_, w_, gl_) == 0),	\
	    __VA_ARGS__))						\
		printf("#   got \"%.*s\" (%zu), want \"%.*s\" (%zu)\n",	\
		    (int)gl_, (const char *)g_, gl_, (int)wl_,		\
		    (const char *)w_, wl_);				\
} while (0)

static int done_testing(void) __attribute__((unused));
static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif
