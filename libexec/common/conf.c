/*
 * conf.c — reading tambo.conf (see conf.h and tambo.conf(5)).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "num.h"
#include "throttle.h"
#include "poison.h"

const char *
conf_dir(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	env = getenv("TAMBO_CONFIG_DIR");
	if (env != NULL && env[0] != '\0')
		return env;
	return CONF_DEFAULT_DIR;
}

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	if (gethostname(c->hostname, sizeof(c->hostname) - 1) == -1 ||
	    c->hostname[0] == '\0')
		memcpy(c->hostname, "localhost", sizeof("localhost"));
	(void)snprintf(c->spool, sizeof(c->spool), "/var/spool/tambo");
	(void)snprintf(c->state, sizeof(c->state), "/var/lib/tambo");
	c->max_message_size = 36700160;		/* 35 MiB */
	c->max_recipients = 100;
	c->max_errors = 20;
	c->command_timeout = 300;		/* RFC 5321 4.5.3.2.7 */
	c->session_timeout = 1800;
	c->busy_sessions = 192;			/* 3/4 of MaxConnections= */
	c->busy_timeout = 10;
	c->max_received = 100;
	c->auth_max_failures = THROTTLE_DENY;
	c->auth_max_delay = THROTTLE_DELAY_MAX;
	c->tls_min_mx = 12;
	c->tls_min_submission = 12;
	c->suffix_separators[0] = '+';
	c->queue_lifetime = 5 * 86400;
	c->delay_warning = 0;
	c->delivery_processes = 8;
	c->destination_concurrency = 4;
	c->connect_timeout = 30;
	c->mx_port = 25;
	(void)snprintf(c->local_socket, sizeof(c->local_socket),
	    "/run/tambo/local.sock");
	(void)snprintf(c->auth_socket, sizeof(c->auth_socket),
	    "/run/tambo/auth.sock");
	c->ip_preference = 6;
	c->spf_check = CONF_SPF_YES;
}

bool
conf_duration(const char *s, uint64_t max, uint64_t *out)
{
	size_t	 n = strlen(s);
	uint64_t mul = 1, v;

	if (n > 1) {
		switch (s[n - 1]) {
		case 's': mul = 1; n--; break;
		case 'm': mul = 60; n--; break;
		case 'h': mul = 3600; n--; break;
		case 'd': mul = 86400; n--; break;
		case 'w': mul = 7 * 86400; n--; break;
		default: break;
		}
	}
	if (!num_parse(s, n, max, &v) || v > max / mul)
		return false;
	*out = v * mul;
	return true;
}

const struct conf_route *
conf_route_find(const struct conf *c, const char *domain)
{
	const struct conf_route *star = NULL;
	size_t	 i;

	for (i = 0; i < c->nroutes; i++) {
		if (strcmp(c->routes[i].domain, domain) == 0)
			return &c->routes[i];
		if (strcmp(c->routes[i].domain, "*") == 0)
			star = &c->routes[i];
	}
	return star;
}

enum conf_tls
conf_tls_find(const struct conf *c, const char *domain)
{
	size_t	 i;

	for (i = 0; i < c->ntls_policies; i++)
		if (strcmp(c->tls_policies[i].domain, domain) == 0)
			return c->tls_policies[i].tls;
	return CONF_TLS_MAY;
}

static bool
conf_space(char c)
{
	return c == ' ' || c == '\t';
}

size_t
conf_parse(const char *text, size_t n, conf_fn fn, void *ctx)
{
	size_t	 pos = 0, lineno = 0;

	while (pos < n) {
		char	 line[4096], *key, *val, *eq, *end;
		size_t	 len;
		const char *nl;

		lineno++;
		nl = memchr(text + pos, '\n', n - pos);
		len = nl ? (size_t)(nl - (text + pos)) : n - pos;
		if (len >= sizeof(line) || memchr(text + pos, '\0', len))
			return lineno;
		memcpy(line, text + pos, len);
		line[len] = '\0';
		pos += len + (nl ? 1 : 0);
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';

		key = line;
		while (conf_space(*key))
			key++;
		if (*key == '\0' || *key == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL)
			return lineno;
		val = eq + 1;
		end = eq;
		while (end > key && conf_space(end[-1]))
			end--;
		*end = '\0';
		if (*key == '\0')
			return lineno;
		while (conf_space(*val))
			val++;
		end = val + strlen(val);
		while (end > val && conf_space(end[-1]))
			end--;
		*end = '\0';
		if (fn(key, val, ctx) != 0)
			return lineno;
	}
	return 0;
}

int
conf_pathf(char *out, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX) {
		out[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
conf_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char	*p;
	size_t	 got = 0;
	ssize_t	 r;
	int	 fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
		errno = EFBIG;
		goto fail;
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL)
		goto fail;
	while (got < (size_t)st.st_size) {
		r = read(fd, p + got, (size_t)st.st_size - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			saved = r == 0 ? EIO : errno;
			free(p);
			errno = saved;
			goto fail;
		}
		got += (size_t)r;
	}
	p[got] = '\0';
	(void)close(fd);
	*out = p;
	*len = got;
	return 0;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

struct conf_ctx {
	struct conf	*c;
	char		*err;
	size_t		 errsz;
};

/* A path into dst[dstsz], relative ones resolved against the directory. */
static int
conf_path_n(struct conf_ctx *x, char *dst, size_t dstsz, const char *val)
{
	int	n;

	if (val[0] == '/')
		n = snprintf(dst, dstsz, "%s", val);
	else
		n = snprintf(dst, dstsz, "%s/%s", x->c->dir, val);
	if (n < 0 || (size_t)n >= dstsz) {
		(void)snprintf(x->err, x->errsz, "path too long: %s", val);
		return -1;
	}
	return 0;
}

static int
conf_path(struct conf_ctx *x, char *dst, const char *val)
{
	return conf_path_n(x, dst, PATH_MAX, val);
}

static int
conf_uint(struct conf_ctx *x, const char *key, const char *val,
    uint64_t min, uint64_t max, uint64_t *out)
{
	if (!num_parse_str(val, max, out) || *out < min) {
		(void)snprintf(x->err, x->errsz,
		    "%s: expected a number from %llu to %llu", key,
		    (unsigned long long)min, (unsigned long long)max);
		return -1;
	}
	return 0;
}

static bool
conf_tls_word(const char *w, enum conf_tls *out)
{
	static const struct {
		const char	*name;
		enum conf_tls	 tls;
	} words[] = {
		{ "none", CONF_TLS_NONE }, { "may", CONF_TLS_MAY },
		{ "encrypt", CONF_TLS_ENCRYPT }, { "verify", CONF_TLS_VERIFY },
		{ "smtps", CONF_TLS_SMTPS },
	};
	size_t	 i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(w, words[i].name) == 0) {
			*out = words[i].tls;
			return true;
		}
	return false;
}

/*
 * HOST[:PORT], [ADDRESS]:PORT or a bare IPv6 address in brackets; host
 * gets the name or address without brackets.
 */
static bool
conf_hostport(const char *w, char *host, size_t hostsz, uint16_t *port)
{
	const char *end, *colon;
	uint64_t v;
	size_t	 n;

	*port = 0;
	if (w[0] == '[') {
		if ((end = strchr(w, ']')) == NULL)
			return false;
		n = (size_t)(end - w - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] != '\0' && colon == NULL)
			return false;
		w++;
	} else {
		colon = strrchr(w, ':');
		if (colon != NULL && strchr(w, ':') != colon)
			return false;	/* an IPv6 address needs brackets */
		n = colon ? (size_t)(colon - w) : strlen(w);
	}
	if (n == 0 || n >= hostsz)
		return false;
	memcpy(host, w, n);
	host[n] = '\0';
	if (colon != NULL) {
		if (!num_parse_str(colon + 1, 65535, &v) || v == 0)
			return false;
		*port = (uint16_t)v;
	}
	return true;
}

static int
conf_resolver_set(struct conf_ctx *x, const char *val)
{
	struct conf *c = x->c;
	char	 buf[4096], *w, *save = NULL;

	(void)snprintf(buf, sizeof(buf), "%s", val);
	c->nresolvers = 0;
	for (w = strtok_r(buf, " ,\t", &save); w != NULL;
	    w = strtok_r(NULL, " ,\t", &save)) {
		struct conf_resolver *r;

		if (c->nresolvers == CONF_RESOLVERS_MAX) {
			(void)snprintf(x->err, x->errsz,
			    "resolver: at most %d servers", CONF_RESOLVERS_MAX);
			return -1;
		}
		r = &c->resolvers[c->nresolvers];
		if (!conf_hostport(w, r->addr, sizeof(r->addr), &r->port) ||
		    strspn(r->addr, "0123456789abcdefABCDEF.:") !=
		    strlen(r->addr)) {
			(void)snprintf(x->err, x->errsz,
			    "resolver: expected ADDRESS[:PORT] or "
			    "[IPV6]:PORT: %s", w);
			return -1;
		}
		if (r->port == 0)
			r->port = 53;
		c->nresolvers++;
	}
	return 0;
}

static int
conf_addresses_set(struct conf_ctx *x, const char *val)
{
	struct conf *c = x->c;
	char	 buf[4096], *w, *save = NULL;
	unsigned char bin[16];
	int	 af;

	(void)snprintf(buf, sizeof(buf), "%s", val);
	c->naddresses = 0;
	for (w = strtok_r(buf, " ,\t", &save); w != NULL;
	    w = strtok_r(NULL, " ,\t", &save)) {
		af = strchr(w, ':') != NULL ? AF_INET6 : AF_INET;
		if (inet_pton(af, w, bin) != 1) {
			(void)snprintf(x->err, x->errsz, "addresses: not an "
			    "IPv4 or IPv6 address: %s", w);
			return -1;
		}
		if (c->naddresses == CONF_ADDRESSES_MAX) {
			(void)snprintf(x->err, x->errsz,
			    "addresses: at most %d", CONF_ADDRESSES_MAX);
			return -1;
		}
		if (inet_ntop(af, bin, c->addresses[c->naddresses],
		    sizeof(c->addresses[0])) == NULL) {
			(void)snprintf(x->err, x->errsz, "addresses: %s", w);
			return -1;
		}
		c->naddresses++;
	}
	return 0;
}

static int
conf_domain_key(struct conf_ctx *x, const char *key, const char *rest,
    bool star, char out[ADDR_DOMAIN_MAX + 1])
{
	while (conf_space(*rest))
		rest++;
	if (star && strcmp(rest, "*") == 0) {
		memcpy(out, "*", 2);
		return 0;
	}
	if (!addr_domain_normalize(rest, out, ADDR_DOMAIN_MAX + 1)) {
		(void)snprintf(x->err, x->errsz, "%s: not a domain: %s", key,
		    rest);
		return -1;
	}
	return 0;
}

static int
conf_route_set(struct conf_ctx *x, const char *key, const char *val)
{
	struct conf *c = x->c;
	struct conf_route r;
	char	 buf[4096], *w, *save = NULL;
	size_t	 i;

	memset(&r, 0, sizeof(r));
	if (conf_domain_key(x, "route", key + 5, true, r.domain) == -1)
		return -1;
	(void)snprintf(buf, sizeof(buf), "%s", val);
	w = strtok_r(buf, " \t", &save);
	if (w == NULL || !conf_hostport(w, r.host, sizeof(r.host), &r.port)) {
		(void)snprintf(x->err, x->errsz,
		    "route: expected HOST[:PORT] [tls=...] [auth=FILE]");
		return -1;
	}
	while ((w = strtok_r(NULL, " \t", &save)) != NULL) {
		if (strncmp(w, "tls=", 4) == 0 && conf_tls_word(w + 4, &r.tls))
			continue;
		if (strncmp(w, "auth=", 5) == 0 && w[5] != '\0') {
			if (conf_path_n(x, r.auth, sizeof(r.auth),
			    w + 5) == -1)
				return -1;
			continue;
		}
		(void)snprintf(x->err, x->errsz, "route: unknown option %s", w);
		return -1;
	}
	/* Credentials never travel in plaintext. */
	if (r.auth[0] != '\0' && r.tls < CONF_TLS_ENCRYPT)
		r.tls = CONF_TLS_ENCRYPT;
	for (i = 0; i < c->nroutes; i++)
		if (strcmp(c->routes[i].domain, r.domain) == 0)
			break;
	if (i == CONF_ROUTES_MAX) {
		(void)snprintf(x->err, x->errsz, "route: too many routes");
		return -1;
	}
	c->routes[i] = r;
	if (i == c->nroutes)
		c->nroutes++;
	return 0;
}

static int
conf_tls_policy_set(struct conf_ctx *x, const char *key, const char *val)
{
	struct conf *c = x->c;
	struct conf_tls_policy p;
	size_t	 i;

	if (conf_domain_key(x, "tls_policy", key + 10, false, p.domain) == -1)
		return -1;
	if (!conf_tls_word(val, &p.tls) || p.tls == CONF_TLS_SMTPS) {
		(void)snprintf(x->err, x->errsz,
		    "tls_policy: expected none, may, encrypt or verify");
		return -1;
	}
	for (i = 0; i < c->ntls_policies; i++)
		if (strcmp(c->tls_policies[i].domain, p.domain) == 0)
			break;
	if (i == CONF_TLS_POLICIES_MAX) {
		(void)snprintf(x->err, x->errsz, "tls_policy: too many");
		return -1;
	}
	c->tls_policies[i] = p;
	if (i == c->ntls_policies)
		c->ntls_policies++;
	return 0;
}

static int
conf_set(const char *key, const char *val, void *vctx)
{
	struct conf_ctx	*x = vctx;
	struct conf	*c = x->c;
	uint64_t	 v;

	if (strcmp(key, "hostname") == 0) {
		if (!addr_domain_normalize(val, c->hostname,
		    sizeof(c->hostname))) {
			(void)snprintf(x->err, x->errsz,
			    "hostname: not a domain name: %s", val);
			return -1;
		}
	} else if (strcmp(key, "spool") == 0) {
		return conf_path(x, c->spool, val);
	} else if (strcmp(key, "state") == 0) {
		return conf_path(x, c->state, val);
	} else if (strcmp(key, "max_message_size") == 0) {
		if (conf_uint(x, key, val, 1024, UINT64_C(1) << 40, &v) == -1)
			return -1;
		c->max_message_size = v;
	} else if (strcmp(key, "max_recipients") == 0) {
		if (conf_uint(x, key, val, 1, 10000, &v) == -1)
			return -1;
		c->max_recipients = (unsigned)v;
	} else if (strcmp(key, "max_errors") == 0) {
		if (conf_uint(x, key, val, 1, 1000, &v) == -1)
			return -1;
		c->max_errors = (unsigned)v;
	} else if (strcmp(key, "command_timeout") == 0) {
		if (conf_uint(x, key, val, 1, 86400, &v) == -1)
			return -1;
		c->command_timeout = (unsigned)v;
	} else if (strcmp(key, "session_timeout") == 0) {
		if (conf_uint(x, key, val, 1, 86400, &v) == -1)
			return -1;
		c->session_timeout = (unsigned)v;
	} else if (strcmp(key, "busy_sessions") == 0) {
		if (conf_uint(x, key, val, 0, 65536, &v) == -1)
			return -1;
		c->busy_sessions = (unsigned)v;
	} else if (strcmp(key, "busy_timeout") == 0) {
		if (conf_uint(x, key, val, 1, 86400, &v) == -1)
			return -1;
		c->busy_timeout = (unsigned)v;
	} else if (strcmp(key, "auth_max_failures") == 0) {
		if (conf_uint(x, key, val, 1, 100000, &v) == -1)
			return -1;
		c->auth_max_failures = (unsigned)v;
	} else if (strcmp(key, "auth_max_delay") == 0) {
		if (conf_uint(x, key, val, 0, 300, &v) == -1)
			return -1;
		c->auth_max_delay = (unsigned)v;
	} else if (strcmp(key, "max_received") == 0) {
		if (conf_uint(x, key, val, 1, 1000, &v) == -1)
			return -1;
		c->max_received = (unsigned)v;
	} else if (strcmp(key, "tls_min_version_mx") == 0 ||
	    strcmp(key, "tls_min_version_submission") == 0) {
		int	*dst = key[16] == 'm' ? &c->tls_min_mx :
		    &c->tls_min_submission;

		if (strcmp(val, "1.2") == 0)
			*dst = 12;
		else if (strcmp(val, "1.3") == 0)
			*dst = 13;
		else {
			(void)snprintf(x->err, x->errsz,
			    "%s: expected 1.2 or 1.3", key);
			return -1;
		}
	} else if (strcmp(key, "suffix_separators") == 0 ||
	    strcmp(key, "drop_characters") == 0) {
		char	*dst = key[0] == 's' ? c->suffix_separators :
		    c->drop_characters;

		if (strlen(val) >= sizeof(c->suffix_separators) ||
		    strpbrk(val, "@\"\\ ") != NULL) {
			(void)snprintf(x->err, x->errsz, "%s: bad value", key);
			return -1;
		}
		memcpy(dst, val, strlen(val) + 1);
	} else if (strcmp(key, "queue_lifetime") == 0 ||
	    strcmp(key, "delay_warning") == 0) {
		if (!conf_duration(val, 365 * 86400, &v) ||
		    (key[0] == 'q' && v < 60)) {
			(void)snprintf(x->err, x->errsz,
			    "%s: expected a duration such as 5d, 4h or 300",
			    key);
			return -1;
		}
		*(key[0] == 'q' ? &c->queue_lifetime : &c->delay_warning) = v;
	} else if (strcmp(key, "delivery_processes") == 0) {
		if (conf_uint(x, key, val, 1, 256, &v) == -1)
			return -1;
		c->delivery_processes = (unsigned)v;
	} else if (strcmp(key, "destination_concurrency") == 0) {
		if (conf_uint(x, key, val, 1, 256, &v) == -1)
			return -1;
		c->destination_concurrency = (unsigned)v;
	} else if (strcmp(key, "connect_timeout") == 0) {
		if (conf_uint(x, key, val, 1, 600, &v) == -1)
			return -1;
		c->connect_timeout = (unsigned)v;
	} else if (strcmp(key, "mx_port") == 0) {
		if (conf_uint(x, key, val, 1, 65535, &v) == -1)
			return -1;
		c->mx_port = (uint16_t)v;
	} else if (strcmp(key, "local_socket") == 0) {
		return conf_path(x, c->local_socket, val);
	} else if (strcmp(key, "auth_socket") == 0) {
		if (val[0] == '\0') {
			c->auth_socket[0] = '\0';
			return 0;
		}
		return conf_path(x, c->auth_socket, val);
	} else if (strcmp(key, "ip_preference") == 0) {
		if (strcmp(val, "ipv6") == 0)
			c->ip_preference = 6;
		else if (strcmp(val, "ipv4") == 0)
			c->ip_preference = 4;
		else if (strcmp(val, "ipv6only") == 0)
			c->ip_preference = -6;
		else if (strcmp(val, "ipv4only") == 0)
			c->ip_preference = -4;
		else {
			(void)snprintf(x->err, x->errsz, "ip_preference: "
			    "expected ipv6, ipv4, ipv6only or ipv4only");
			return -1;
		}
	} else if (strcmp(key, "spf_check") == 0) {
		if (strcmp(val, "no") == 0)
			c->spf_check = CONF_SPF_NO;
		else if (strcmp(val, "yes") == 0)
			c->spf_check = CONF_SPF_YES;
		else if (strcmp(val, "all") == 0)
			c->spf_check = CONF_SPF_ALL;
		else {
			(void)snprintf(x->err, x->errsz, "spf_check: "
			    "expected no, yes or all");
			return -1;
		}
	} else if (strcmp(key, "srs_domain") == 0) {
		if (val[0] != '\0' && !addr_domain_normalize(val,
		    c->srs_domain, sizeof(c->srs_domain))) {
			(void)snprintf(x->err, x->errsz,
			    "srs_domain: not a domain name: %s", val);
			return -1;
		}
	} else if (strcmp(key, "mailbox_command") == 0) {
		if (strlen(val) >= sizeof(c->mailbox_command)) {
			(void)snprintf(x->err, x->errsz,
			    "mailbox_command: too long");
			return -1;
		}
		memcpy(c->mailbox_command, val, strlen(val) + 1);
	} else if (strcmp(key, "resolver") == 0) {
		return conf_resolver_set(x, val);
	} else if (strcmp(key, "addresses") == 0) {
		return conf_addresses_set(x, val);
	} else if (strncmp(key, "route", 5) == 0 && conf_space(key[5])) {
		return conf_route_set(x, key, val);
	} else if (strncmp(key, "tls_policy", 10) == 0 &&
	    conf_space(key[10])) {
		return conf_tls_policy_set(x, key, val);
	} else {
		/* A later version's key, or a typo: say so, keep going. */
		log_warn("unknown configuration key", key);
	}
	return 0;
}

int
conf_load(const char *dir, struct conf *c, char *err, size_t errsz)
{
	struct conf_ctx x;
	char	 path[PATH_MAX], *text;
	size_t	 len, bad;
	int	 n;

	conf_defaults(c);
	n = snprintf(c->dir, sizeof(c->dir), "%s", dir);
	if (n < 0 || (size_t)n >= sizeof(c->dir) - 32) {
		(void)snprintf(err, errsz, "configuration path too long");
		return -1;
	}
	(void)snprintf(path, sizeof(path), "%s/tambo.conf", dir);
	if (conf_read_file(path, CONF_FILE_MAX, &text, &len) == -1) {
		(void)snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	x.c = c;
	x.err = err;
	x.errsz = errsz;
	err[0] = '\0';
	bad = conf_parse(text, len, conf_set, &x);
	free(text);
	if (bad != 0) {
		char	 why[256];

		(void)snprintf(why, sizeof(why), "%s", err[0] ? err :
		    "expected key = value");
		(void)snprintf(err, errsz, "%s:%zu: %s", path, bad, why);
		return -1;
	}
	return 0;
}
