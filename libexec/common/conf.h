/*
 * conf.h — tambo.conf: "key = value" lines, "#" comments.
 *
 * The parser (conf_parse) is I/O-free and hands each pair to a callback;
 * conf_load reads DIR/tambo.conf into struct conf, resolving relative paths
 * against DIR, so a whole instance can live in one temporary directory.
 * Unknown keys are reported to the caller's log but do not stop the mail.
 */
#ifndef TAMBO_CONF_H
#define TAMBO_CONF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CONF_DEFAULT_DIR	SYSCONFDIR "/tambo"
#define CONF_FILE_MAX		(1024 * 1024)

struct conf {
	char		 dir[PATH_MAX];
	char		 hostname[ADDR_DOMAIN_MAX + 1];
	char		 spool[PATH_MAX];
	char		 state[PATH_MAX];
	uint64_t	 max_message_size;	/* octets */
	unsigned	 max_recipients;
	unsigned	 max_errors;
	unsigned	 command_timeout;	/* seconds */
	unsigned	 session_timeout;	/* seconds */
	unsigned	 max_received;		/* loop detection */
	unsigned	 auth_max_failures;	/* then AUTH refused */
	unsigned	 auth_max_delay;	/* seconds */
	int		 tls_min_mx;		/* 12 or 13 */
	int		 tls_min_submission;
	char		 suffix_separators[16];
	char		 drop_characters[16];
};

/*
 * The configuration directory: the -C argument when not NULL, else
 * $TAMBO_CONFIG_DIR when set and not empty, else CONF_DEFAULT_DIR.
 */
const char *conf_dir(const char *opt);

/* Fill struct conf with the built-in defaults (dir is set by conf_load). */
void	conf_defaults(struct conf *);

typedef int (*conf_fn)(const char *key, const char *val, void *ctx);

/*
 * Parse text[0..n) into key/value pairs (both trimmed, NUL-terminated) for
 * fn.  Returns 0, or the 1-based number of the first bad line (no "=",
 * empty key, a NUL byte, or a line over 4095 octets), or the line where fn
 * returned non-zero.
 */
size_t	conf_parse(const char *text, size_t n, conf_fn fn, void *ctx);

/*
 * Read DIR/tambo.conf.  Returns 0, or -1 with a message in err (a missing
 * file, a bad line, a bad value); a caller treats that as temporary.
 */
int	conf_load(const char *dir, struct conf *, char *err, size_t errsz);

/*
 * Format a path into out[PATH_MAX]; -1 (errno ENAMETOOLONG) when it does
 * not fit, so no caller ever opens a truncated path.
 */
int	conf_pathf(char *out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Read a whole small file into a NUL-terminated heap buffer (max octets). */
int	conf_read_file(const char *path, size_t max, char **out, size_t *len);

#endif
