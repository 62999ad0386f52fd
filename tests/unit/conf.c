/*
 * conf.c — unit tests for libexec/common/conf.c: the key = value parser,
 * loading DIR/tambo.conf (defaults, relative paths, refused values and
 * their messages), the configuration directory's precedence, conf_pathf
 * and conf_read_file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "tap.h"

static char dir[PATH_MAX];

/* Collect "key=value;" for each pair; refuse the key "reject". */
static int
collect(const char *key, const char *val, void *ctx)
{
	struct buf *b = ctx;

	if (strcmp(key, "reject") == 0)
		return 1;
	return buf_printf(b, "%s=%s;", key, val) == -1 ? 1 : 0;
}

static const struct parse_case {
	const char	*text;
	size_t		 len;	/* 0: strlen */
	size_t		 want;	/* 0, or the bad line */
	const char	*pairs;
} parse_cases[] = {
	{ "", 0, 0, "" },
	{ "\n", 0, 0, "" },
	{ "\r\n", 0, 0, "" },
	{ "a = b\n", 0, 0, "a=b;" },
	{ "a=b", 0, 0, "a=b;" },
	{ "a=b\nc=d", 0, 0, "a=b;c=d;" },
	{ "  a  =  b c  \n", 0, 0, "a=b c;" },
	{ "\ta\t=\tb\t\n", 0, 0, "a=b;" },
	{ "# comment\n\n   \n\t# indented\na=1\n", 0, 0, "a=1;" },
	{ "#a=1\nb=2\n", 0, 0, "b=2;" },
	{ "a=1\r\nb=2\r\n", 0, 0, "a=1;b=2;" },
	{ "a = 1 \r\n", 0, 0, "a=1;" },
	{ "a=\n", 0, 0, "a=;" },
	{ "a = \n", 0, 0, "a=;" },
	{ "a==b\n", 0, 0, "a==b;" },
	{ "a = b = c\n", 0, 0, "a=b = c;" },
	{ "a = b # not a comment\n", 0, 0, "a=b # not a comment;" },
	{ "multi word key = v\n", 0, 0, "multi word key=v;" },
	/* bad lines: their number */
	{ "novalue\n", 0, 1, "" },
	{ "a=1\nnovalue\nb=2\n", 0, 2, "a=1;" },
	{ "a=1\n\n\nbad\n", 0, 4, "a=1;" },
	{ "# c\r\n\r\nbad\r\n", 0, 3, "" },
	{ "=x\n", 0, 1, "" },
	{ "  = x\n", 0, 1, "" },
	{ "a=1\n \t=\n", 0, 2, "a=1;" },
	{ "a=1\0\n", 5, 1, "" },
	{ "a=1\nb=\0\n", 8, 2, "a=1;" },
	{ "a=1\nreject=1\nb=2\n", 0, 2, "a=1;" },
};

static void
test_parse_table(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t	 n = c->len ? c->len : strlen(c->text);
		struct buf b;
		char	*text;

		if ((text = malloc(n ? n : 1)) == NULL)
			abort();
		memcpy(text, c->text, n);
		buf_init(&b, 4096);
		(void)buf_addstr(&b, "");
		is_int(conf_parse(text, n, collect, &b), c->want,
		    "parse %zu", i);
		is_str(b.data, c->pairs, "parse %zu pairs", i);
		buf_free(&b);
		free(text);
	}
}

static void
test_parse_long(void)
{
	static char text[8192];
	struct buf b;

	/* 4095 octets is the longest line */
	memset(text, 'v', sizeof(text));
	memcpy(text, "k=", 2);
	buf_init(&b, 16384);
	(void)buf_addstr(&b, "");
	is_int(conf_parse(text, 4095, collect, &b), 0, "line of 4095 octets");
	is_int(b.len, 4095 + 1, "line of 4095 octets: the value whole");
	text[4095] = '\n';
	is_int(conf_parse(text, 4096, collect, &b), 0,
	    "line of 4095 octets and LF");
	memset(text, 'v', sizeof(text));
	memcpy(text, "k=", 2);
	is_int(conf_parse(text, 4096, collect, &b), 1, "line of 4096 octets");
	memcpy(text, "a=1\n", 4);
	is_int(conf_parse(text, 4 + 4096, collect, &b), 2,
	    "second line of 4096 octets");
	buf_free(&b);
}

/* Write DIR/tambo.conf. */
static void
write_conf(const char *text)
{
	char	 path[PATH_MAX];

	tap_pathf(path, sizeof(path), "%s/tambo.conf", dir);
	tap_write_file(path, text);
}

/* conf_load with stderr (the warnings) sent to the file logpath. */
static int
load_logged(struct conf *c, char *err, size_t errsz, const char *logpath)
{
	int	 saved, fd, r;

	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (saved == -1 || fd == -1)
		bail_out("stderr", strerror(errno));
	(void)dup2(fd, STDERR_FILENO);
	(void)close(fd);
	r = conf_load(dir, c, err, errsz);
	(void)dup2(saved, STDERR_FILENO);
	(void)close(saved);
	return r;
}

static void
test_load(void)
{
	struct conf c, d;
	char	 err[512], path[PATH_MAX], logpath[PATH_MAX], *log;
	size_t	 loglen;

	tap_pathf(logpath, sizeof(logpath), "%s/stderr", dir);

	err[0] = '\0';
	is_int(conf_load(dir, &c, err, sizeof(err)), -1, "load: no file");
	ok(strstr(err, "tambo.conf") != NULL, "load: no file: says which (%s)",
	    err);

	write_conf("");
	is_int(conf_load(dir, &c, err, sizeof(err)), 0, "load an empty file");
	conf_defaults(&d);
	is_str(c.dir, dir, "empty: dir");
	is_str(c.hostname, d.hostname, "empty: default hostname");
	ok(c.hostname[0] != '\0', "empty: a hostname");
	is_str(c.spool, d.spool, "empty: default spool");
	is_str(c.state, d.state, "empty: default state");
	ok(c.spool[0] == '/' && c.state[0] == '/', "defaults are absolute");
	is_int(c.max_message_size, d.max_message_size,
	    "empty: default max_message_size");
	is_int(c.max_recipients, d.max_recipients,
	    "empty: default max_recipients");
	ok(c.max_recipients >= 100, "RFC 5321 4.5.3.1.8: at least 100 "
	    "recipients");
	is_int(c.max_errors, d.max_errors, "empty: default max_errors");
	is_int(c.command_timeout, d.command_timeout,
	    "empty: default command_timeout");
	ok(c.command_timeout >= 300, "RFC 5321 4.5.3.2.7: 5 minutes");
	is_int(c.session_timeout, d.session_timeout,
	    "empty: default session_timeout");
	is_int(c.max_received, d.max_received, "empty: default max_received");
	ok(c.busy_sessions > 0 && c.busy_sessions < 256,
	    "empty: busy below the socket units' MaxConnections=256 (%u)",
	    c.busy_sessions);
	is_int(c.busy_timeout, 10, "empty: busy_timeout 10 s");
	is_str(c.suffix_separators, "+", "empty: default suffix separator");
	is_str(c.drop_characters, "", "empty: no drop characters");

	write_conf("# a full configuration\n"
	    "hostname = MX.Example.COM.\n"
	    "spool = spool\n"
	    "state = /var/lib/elsewhere\n"
	    "\n"
	    "max_message_size = 1048576\r\n"
	    "max_recipients = 50\n"
	    "max_errors = 5\n"
	    "command_timeout = 60\n"
	    "session_timeout = 600\n"
	    "busy_sessions = 0\n"
	    "busy_timeout = 3\n"
	    "max_received = 30\n"
	    "suffix_separators = +-\n"
	    "drop_characters = .\n"
	    "some_future_key = whatever\n");
	is_int(load_logged(&c, err, sizeof(err), logpath), 0,
	    "load a full file (%s)", err);
	is_str(c.hostname, "mx.example.com", "hostname normalised");
	tap_pathf(path, sizeof(path), "%s/spool", dir);
	is_str(c.spool, path, "relative spool resolved against the dir");
	is_str(c.state, "/var/lib/elsewhere", "absolute state kept");
	is_int(c.max_message_size, 1048576, "max_message_size");
	is_int(c.max_recipients, 50, "max_recipients");
	is_int(c.max_errors, 5, "max_errors");
	is_int(c.command_timeout, 60, "command_timeout");
	is_int(c.session_timeout, 600, "session_timeout");
	is_int(c.busy_sessions, 0, "busy_sessions 0: never busy");
	is_int(c.busy_timeout, 3, "busy_timeout");
	is_int(c.max_received, 30, "max_received");
	is_str(c.suffix_separators, "+-", "suffix_separators");
	is_str(c.drop_characters, ".", "drop_characters");
	if (conf_read_file(logpath, 65536, &log, &loglen) == 0) {
		ok(strstr(log, "some_future_key") != NULL,
		    "an unknown key is logged");
		ok(strstr(log, "whatever") == NULL,
		    "its value is not logged");
		free(log);
	} else
		ok(0, "read the log");

	write_conf("state = lib/state\nspool = ./q\n");
	is_int(conf_load(dir, &c, err, sizeof(err)), 0, "relative paths");
	tap_pathf(path, sizeof(path), "%s/lib/state", dir);
	is_str(c.state, path, "relative state");
	tap_pathf(path, sizeof(path), "%s/./q", dir);
	is_str(c.spool, path, "relative ./spool");

	/* the limits themselves are accepted */
	write_conf("max_recipients = 10000\nmax_message_size = 1024\n"
	    "max_errors = 1\ncommand_timeout = 86400\n");
	is_int(conf_load(dir, &c, err, sizeof(err)), 0, "limits accepted");
	write_conf("max_message_size = 1099511627776\n");
	is_int(conf_load(dir, &c, err, sizeof(err)), 0, "1 TiB accepted");
	is_int(c.max_message_size, UINT64_C(1) << 40, "1 TiB");
}

static const struct bad_case {
	const char	*text;
	const char	*want;	/* in the message */
} bad_cases[] = {
	{ "resolver = 127.0.0.1:0\n", "resolver" },
	{ "resolver = dns.example\n", "resolver" },
	{ "resolver = 1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4\n", "at most 3" },
	{ "resolver = ::1:53\n", "resolver" },
	{ "route example.com = \n", "route" },
	{ "route bad..domain = relay.example\n", "not a domain" },
	{ "route * = relay.example tls=sometimes\n", "unknown option" },
	{ "route * = relay.example:99999\n", "route" },
	{ "tls_policy example.com = smtps\n", "tls_policy" },
	{ "queue_lifetime = 5x\n", "queue_lifetime" },
	{ "queue_lifetime = 10\n", "queue_lifetime" },
	{ "ip_preference = ipv5\n", "ip_preference" },
	{ "spf_check = maybe\n", "spf_check: expected no, yes or all" },
	{ "delivery_processes = 0\n", "delivery_processes" },
	{ "max_recipients = 0\n", "tambo.conf:1: max_recipients" },
	{ "max_recipients = 10001\n", "tambo.conf:1: max_recipients" },
	{ "max_recipients = abc\n", "max_recipients" },
	{ "max_recipients = -1\n", "max_recipients" },
	{ "max_recipients = +5\n", "max_recipients" },
	{ "max_recipients = 5k\n", "max_recipients" },
	{ "max_recipients = 0x10\n", "max_recipients" },
	{ "max_recipients =\n", "max_recipients" },
	{ "max_recipients = 99999999999999999999999\n", "max_recipients" },
	{ "max_message_size = 1023\n", "max_message_size" },
	{ "max_message_size = 1099511627777\n", "max_message_size" },
	{ "max_errors = 0\n", "max_errors" },
	{ "max_errors = 1001\n", "max_errors" },
	{ "command_timeout = 0\n", "command_timeout" },
	{ "command_timeout = 86401\n", "command_timeout" },
	{ "session_timeout = 86401\n", "session_timeout" },
	{ "busy_sessions = 65537\n", "busy_sessions" },
	{ "busy_timeout = 0\n", "busy_timeout" },
	{ "max_received = 0\n", "max_received" },
	{ "max_received = 1001\n", "max_received" },
	{ "# fine\nmax_errors = 5\nmax_received = x\n", "tambo.conf:3:" },
	{ "hostname = not a domain\n", "hostname" },
	{ "hostname = -bad.example\n", "hostname" },
	{ "hostname = a..b\n", "hostname" },
	{ "hostname =\n", "hostname" },
	{ "suffix_separators = @\n", "suffix_separators" },
	{ "suffix_separators = \"\n", "suffix_separators" },
	{ "suffix_separators = 0123456789abcdef\n", "suffix_separators" },
	{ "drop_characters = a b\n", "drop_characters" },
	{ "drop_characters = \\\n", "drop_characters" },
	{ "# comment\nthis line has no equals sign\n",
	    "tambo.conf:2: expected key = value" },
	{ "= value\n", "tambo.conf:1:" },
};

static void
test_load_bad(void)
{
	struct conf c;
	size_t	 i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		char	 err[512] = "";

		write_conf(bad_cases[i].text);
		is_int(conf_load(dir, &c, err, sizeof(err)), -1,
		    "refused %zu", i);
		ok(strstr(err, bad_cases[i].want) != NULL,
		    "refused %zu: message \"%s\" has \"%s\"", i, err,
		    bad_cases[i].want);
	}
}

static void
test_delivery_keys(void)
{
	const struct conf_route *r;
	struct conf c;
	char	 err[512] = "";
	uint64_t v;

	write_conf("resolver = 127.0.0.1:5353, [::1]:53 10.0.0.1\n"
	    "route example.net = [192.0.2.1]:2525 tls=none\n"
	    "route Relay.Example = relay.example:587 auth=relay.auth\n"
	    "route * = smtp.provider.example:465 tls=smtps auth=/etc/p\n"
	    "route example.net = [2001:db8::1]\n"
	    "tls_policy gmail.com = verify\n"
	    "queue_lifetime = 2d\n"
	    "delay_warning = 4h\n"
	    "delivery_processes = 3\n"
	    "destination_concurrency = 2\n"
	    "ip_preference = ipv4only\n"
	    "spf_check = all\n"
	    "srs_domain = Fwd.Example\n"
	    "mailbox_command = /usr/lib/dovecot/dovecot-lda -f \"$SENDER\"\n"
	    "auth_socket = run/auth.sock\n"
	    "addresses = 192.0.2.1, 2001:db8::1\n");
	is_int(conf_load(dir, &c, err, sizeof(err)), 0, "delivery keys (%s)",
	    err);
	is_int(c.nresolvers, 3, "three resolvers");
	is_str(c.resolvers[0].addr, "127.0.0.1", "resolver 1 address");
	is_int(c.resolvers[0].port, 5353, "resolver 1 port");
	is_str(c.resolvers[1].addr, "::1", "resolver 2 IPv6");
	is_int(c.resolvers[1].port, 53, "resolver 2 port");
	is_int(c.resolvers[2].port, 53, "resolver 3 default port");
	is_int(c.nroutes, 3, "a repeated route replaces the first");
	r = conf_route_find(&c, "example.net");
	ok(r != NULL && strcmp(r->host, "2001:db8::1") == 0 && r->port == 0,
	    "route: the later example.net line wins, brackets stripped");
	r = conf_route_find(&c, "relay.example");
	ok(r != NULL && r->port == 587 && r->tls == CONF_TLS_ENCRYPT &&
	    strstr(r->auth, "/relay.auth") != NULL && r->auth[0] == '/',
	    "route with auth: TLS required, relative path resolved");
	r = conf_route_find(&c, "other.example");
	ok(r != NULL && strcmp(r->domain, "*") == 0 &&
	    r->tls == CONF_TLS_SMTPS && strcmp(r->auth, "/etc/p") == 0,
	    "route *: the default");
	is_int(conf_tls_find(&c, "gmail.com"), CONF_TLS_VERIFY, "tls_policy");
	is_int(conf_tls_find(&c, "yahoo.com"), CONF_TLS_MAY,
	    "tls_policy default: may");
	is_int(c.queue_lifetime, 2 * 86400, "queue_lifetime 2d");
	is_int(c.delay_warning, 4 * 3600, "delay_warning 4h");
	is_int(c.delivery_processes, 3, "delivery_processes");
	is_int(c.destination_concurrency, 2, "destination_concurrency");
	is_int(c.ip_preference, -4, "ip_preference ipv4only");
	is_int(c.spf_check, CONF_SPF_ALL, "spf_check all");
	is_str(c.srs_domain, "fwd.example", "srs_domain normalised");
	ok(strstr(c.mailbox_command, "dovecot-lda") != NULL,
	    "mailbox_command");
	ok(c.auth_socket[0] == '/' &&
	    strstr(c.auth_socket, "/run/auth.sock") != NULL,
	    "auth_socket: relative path resolved (%s)", c.auth_socket);
	is_int(c.naddresses, 2, "two addresses");
	is_str(c.addresses[0], "192.0.2.1", "address 1");
	is_str(c.addresses[1], "2001:db8::1", "address 2");

	write_conf("");
	is_int(conf_load(dir, &c, err, sizeof(err)), 0, "defaults");
	is_int(c.queue_lifetime, 5 * 86400, "default queue_lifetime 5 days");
	is_int(c.delay_warning, 0, "no delay warning by default");
	is_int(c.ip_preference, 6, "IPv6 first by default");
	is_int(c.spf_check, CONF_SPF_YES, "spf_check yes by default");
	ok(conf_route_find(&c, "example.com") == NULL, "no routes");
	is_int(c.nresolvers, 0, "no resolvers: resolv.conf");
	is_str(c.auth_socket, "/run/tambo/auth.sock", "default auth_socket");
	is_str(c.local_socket, "/run/tambo/local.sock", "default local_socket");
	is_int(c.mx_port, 25, "default mx_port");
	is_int(c.naddresses, 0, "no addresses: from the interfaces");

	ok(conf_duration("90", 1000, &v) && v == 90, "duration: seconds");
	ok(conf_duration("15m", 100000, &v) && v == 900, "duration: 15m");
	ok(conf_duration("1w", 1000000, &v) && v == 604800, "duration: 1w");
	ok(!conf_duration("2d", 1000, &v), "duration: over max");
	ok(!conf_duration("d", 1000, &v), "duration: suffix alone");
	ok(!conf_duration("", 1000, &v), "duration: empty");
	ok(!conf_duration("-5m", 1000, &v), "duration: negative");
}

static void
test_load_long_dir(void)
{
	static char longdir[PATH_MAX + 10];
	struct conf c;
	char	 err[256] = "";

	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[0] = '/';
	longdir[PATH_MAX - 20] = '\0';
	is_int(conf_load(longdir, &c, err, sizeof(err)), -1,
	    "load from a directory name near PATH_MAX");
	ok(err[0] != '\0', "with a message (%s)", err);
}

static void
test_dir(void)
{
	const char *def;

	is_int(unsetenv("TAMBO_CONFIG_DIR"), 0, "unsetenv");
	is_str(conf_dir(NULL), CONF_DEFAULT_DIR, "dir: default");
	is_str(conf_dir("/opt/c"), "/opt/c", "dir: -C");
	(void)setenv("TAMBO_CONFIG_DIR", "/env/dir", 1);
	is_str(conf_dir(NULL), "/env/dir", "dir: environment over default");
	is_str(conf_dir("/opt/c"), "/opt/c", "dir: -C over environment");
	(void)setenv("TAMBO_CONFIG_DIR", "", 1);
	is_str(conf_dir(NULL), CONF_DEFAULT_DIR, "dir: empty environment");
	(void)unsetenv("TAMBO_CONFIG_DIR");
	def = CONF_DEFAULT_DIR;
	ok(strlen(def) > 6 && strcmp(def + strlen(def) - 6, "/tambo") == 0,
	    "default ends in /tambo: %s", def);
}

static void
test_pathf(void)
{
	static char big[PATH_MAX + 10];
	char	 out[PATH_MAX];

	is_int(conf_pathf(out, "%s/%s", "/etc/tambo", "tambo.conf"), 0,
	    "pathf");
	is_str(out, "/etc/tambo/tambo.conf", "pathf result");

	memset(big, 'p', sizeof(big) - 1);
	big[PATH_MAX - 1] = '\0';
	is_int(conf_pathf(out, "%s", big), 0, "pathf of PATH_MAX - 1");
	is_int(strlen(out), PATH_MAX - 1, "pathf of PATH_MAX - 1: whole");
	big[PATH_MAX - 1] = 'p';
	big[PATH_MAX] = '\0';
	errno = 0;
	is_int(conf_pathf(out, "%s", big), -1, "pathf of PATH_MAX");
	is_int(errno, ENAMETOOLONG, "pathf of PATH_MAX: ENAMETOOLONG");
	is_str(out, "", "pathf of PATH_MAX: no truncated path left");
	big[PATH_MAX - 5] = '\0';
	is_int(conf_pathf(out, "%s/%s", big, "tambo.conf"), -1,
	    "pathf overflowing in the second part");
	is_str(out, "", "pathf: empty after the failure");
}

static void
test_read_file(void)
{
	char	 path[PATH_MAX], *p = NULL;
	size_t	 len = 0;

	tap_pathf(path, sizeof(path), "%s/small", dir);
	tap_write_file(path, "hello\n");
	is_int(conf_read_file(path, 100, &p, &len), 0, "read_file");
	is_int(len, 6, "read_file length");
	ok(p != NULL && memcmp(p, "hello\n", 7) == 0,
	    "read_file contents, NUL-terminated");
	free(p);
	is_int(conf_read_file(path, 6, &p, &len), 0, "read_file at max");
	free(p);
	errno = 0;
	is_int(conf_read_file(path, 5, &p, &len), -1, "read_file over max");
	is_int(errno, EFBIG, "read_file over max: EFBIG");
	tap_pathf(path, sizeof(path), "%s/empty", dir);
	tap_write_file(path, "");
	is_int(conf_read_file(path, 5, &p, &len), 0, "read_file empty");
	ok(len == 0 && p != NULL && p[0] == '\0', "read_file empty: \"\"");
	free(p);
	errno = 0;
	tap_pathf(path, sizeof(path), "%s/missing", dir);
	is_int(conf_read_file(path, 5, &p, &len), -1, "read_file missing");
	is_int(errno, ENOENT, "read_file missing: ENOENT");
	errno = 0;
	is_int(conf_read_file(dir, 1 << 20, &p, &len), -1,
	    "read_file on a directory");
}

int
main(void)
{
	tap_tmpdir(dir, sizeof(dir), "conf");
	test_parse_table();
	test_parse_long();
	test_load();
	test_load_bad();
	test_delivery_keys();
	test_load_long_dir();
	test_dir();
	test_pathf();
	test_read_file();
	tap_rmtree(dir);
	return done_testing();
}
