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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define CONF_DEFAULT_DIR	SYSCONFDIR "/tambo"
#define CONF_FILE_MAX		(1024 * 1024)
#define CONF_RESOLVERS_MAX	3	/* MAXNS of <resolv.h> */
#define CONF_ROUTES_MAX		64
#define CONF_ROUTE_AUTH_MAX	512	/* a route's auth= file path */
#define CONF_TLS_POLICIES_MAX	64
#define CONF_ADDRESSES_MAX	16

/* TLS for outgoing connections, weakest first (tls_policy, route tls=). */
enum conf_tls {
	CONF_TLS_DEFAULT = 0,	/* not set: the default for the destination */
	CONF_TLS_NONE,		/* plaintext only (testing) */
	CONF_TLS_MAY,		/* STARTTLS when offered, any certificate */
	CONF_TLS_ENCRYPT,	/* STARTTLS required, any certificate */
	CONF_TLS_VERIFY,	/* STARTTLS required, verified certificate */
	CONF_TLS_SMTPS,		/* implicit TLS (port 465), verified */
};

/* A DNS server for resolver =: an IPv4 or IPv6 address and a port. */
struct conf_resolver {
	char		 addr[64];	/* numeric, no brackets */
	uint16_t	 port;
};

/*
 * route DOMAIN = HOST[:PORT] [tls=...] [auth=FILE]: mail for DOMAIN (or
 * for every remote domain when DOMAIN is "*") goes to HOST instead of the
 * domain's MX hosts.  HOST is a name (A/AAAA looked up, no MX) or an
 * address in brackets.  auth= names a file holding "user:password" for
 * AUTH PLAIN at the relay; auth is only ever sent over TLS.
 */
struct conf_route {
	char		 domain[ADDR_DOMAIN_MAX + 1];	/* lower case, or "*" */
	char		 host[ADDR_DOMAIN_MAX + 1];
	uint16_t	 port;				/* 0: 25 */
	enum conf_tls	 tls;
	/* "" for none.  Not PATH_MAX: struct conf is on every handler's
	 * stack and 64 routes of PATH_MAX cost it page faults. */
	char		 auth[CONF_ROUTE_AUTH_MAX];
};

/* spf_check = no|yes|all: the SPF check of mail arriving on port 25 */
enum {
	CONF_SPF_NO,		/* never */
	CONF_SPF_YES,		/* clients at public addresses */
	CONF_SPF_ALL,		/* every client, loopback and private too */
};

/* tls_policy DOMAIN = may|encrypt|verify */
struct conf_tls_policy {
	char		 domain[ADDR_DOMAIN_MAX + 1];
	enum conf_tls	 tls;
};

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
	unsigned	 busy_sessions;		/* 0: never busy */
	unsigned	 busy_timeout;		/* seconds, when busy */
	unsigned	 max_received;		/* loop detection */
	unsigned	 auth_max_failures;	/* then AUTH refused */
	unsigned	 auth_max_delay;	/* seconds */
	int		 tls_min_mx;		/* 12 or 13 */
	int		 tls_min_submission;
	char		 suffix_separators[16];
	char		 drop_characters[16];

	/* Delivery (tambo-deliver(8), tambo-remote(8)). */
	uint64_t	 queue_lifetime;	/* seconds; then bounce */
	uint64_t	 delay_warning;		/* seconds; 0: no warning */
	unsigned	 delivery_processes;	/* remote processes at once */
	unsigned	 destination_concurrency; /* per destination */
	unsigned	 connect_timeout;	/* seconds */
	uint16_t	 mx_port;		/* 25; other values for tests */
	char		 local_socket[PATH_MAX];	/* sendmail's socket */
	char		 auth_socket[PATH_MAX];	/* authd's; "": none */
	int		 ip_preference;		/* 6: IPv6 first, 4, -6/-4 only */
	int		 spf_check;		/* CONF_SPF_* */
	char		 srs_domain[ADDR_DOMAIN_MAX + 1]; /* "": the alias's */
	char		 mailbox_command[1024];	/* "": Maildir under state */
	size_t		 nresolvers;
	struct conf_resolver resolvers[CONF_RESOLVERS_MAX];
	/* addresses =: this host's public addresses, numeric, as inet_ntop
	 * writes them (0: none set, tambo dns asks the interfaces) */
	size_t		 naddresses;
	char		 addresses[CONF_ADDRESSES_MAX][64];
	size_t		 nroutes;
	struct conf_route routes[CONF_ROUTES_MAX];
	size_t		 ntls_policies;
	struct conf_tls_policy tls_policies[CONF_TLS_POLICIES_MAX];
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
 * The route for a domain (lower case, A-labels): an exact match, else the
 * "*" route, else NULL (deliver to the domain's MX hosts).
 */
const struct conf_route *conf_route_find(const struct conf *,
	    const char *domain);

/* The TLS policy for a domain: tls_policy, else CONF_TLS_MAY. */
enum conf_tls conf_tls_find(const struct conf *, const char *domain);

/* Parse a duration: digits with an optional s, m, h, d or w suffix. */
bool	conf_duration(const char *, uint64_t max, uint64_t *out);

/*
 * Format a path into out[PATH_MAX]; -1 (errno ENAMETOOLONG) when it does
 * not fit, so no caller ever opens a truncated path.
 */
int	conf_pathf(char *out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Read a whole small file into a NUL-terminated heap buffer (max octets). */
int	conf_read_file(const char *path, size_t max, char **out, size_t *len);

#endif
