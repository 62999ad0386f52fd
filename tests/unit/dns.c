/*
 * dns.c — unit tests for libexec/common/dns.c against a real DNS server:
 * dnsmasq (package dnsmasq-base), started here on a free loopback port,
 * listening on 127.0.0.1 and ::1, with MX (several preferences, ties, a
 * null MX, a null MX beside a real one), A and AAAA, TXT (several strings
 * in one record, a 300-octet record dnsmasq splits into 255 + 45, two
 * records at one name, a 5000-octet record that needs TCP and is skipped)
 * and PTR (in-addr.arpa and ip6.arpa) records.
 *
 * Every function and result code: NXDOMAIN (names under --local domains
 * that do not exist) against NODATA (names that exist without the type),
 * DNS_TEMP when nothing listens on the resolver port and when a server
 * never answers (a 1-second timeout), an IPv6 resolver ([::1]:PORT), a
 * dead first resolver followed by a live one, and the address helpers.
 *
 * Skipped (not failed) when dnsmasq is not installed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "tap.h"

static char tmp[PATH_MAX];
static char dnsmasq[PATH_MAX];
static pid_t server = -1;
static uint16_t port;

static char txt[DNS_TXT_MAX][DNS_TXT_LEN];
static char names[DNS_ADDR_MAX][ADDR_DOMAIN_MAX + 1];

/* dnsmasq is in /usr/sbin, often outside an ordinary user's PATH. */
static bool
find_dnsmasq(void)
{
	const char *path = getenv("PATH");
	char	 buf[4096], *dir, *save = NULL;

	(void)snprintf(buf, sizeof(buf), "%s:/usr/sbin:/sbin",
	    path != NULL ? path : "/usr/bin:/bin");
	for (dir = strtok_r(buf, ":", &save); dir != NULL;
	    dir = strtok_r(NULL, ":", &save)) {
		if (snprintf(dnsmasq, sizeof(dnsmasq), "%s/dnsmasq", dir) >=
		    (int)sizeof(dnsmasq))
			continue;
		if (access(dnsmasq, X_OK) == 0)
			return true;
	}
	return false;
}

/* A port free for UDP and TCP on 127.0.0.1 (bound, read, closed). */
static uint16_t
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int	 u, t;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(u, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(u, (struct sockaddr *)&sin, &len) == -1)
		bail_out("udp socket", strerror(errno));
	if ((t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		bail_out("tcp socket", strerror(errno));
	if (bind(t, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		(void)close(u);
		(void)close(t);
		return 0;
	}
	(void)close(u);
	(void)close(t);
	return ntohs(sin.sin_port);
}

static struct conf *
conf_for(const char *addr, uint16_t p)
{
	static struct conf c;

	memset(&c, 0, sizeof(c));
	c.nresolvers = 1;
	(void)snprintf(c.resolvers[0].addr, sizeof(c.resolvers[0].addr), "%s",
	    addr);
	c.resolvers[0].port = p;
	return &c;
}

static void
stop_server(void)
{
	if (server > 0) {
		(void)kill(server, SIGTERM);
		(void)waitpid(server, NULL, 0);
		server = -1;
	}
}

/* Start dnsmasq with the records below; true once it answers. */
static bool
start_server(void)
{
	char	 portarg[32], log[PATH_MAX], long300[301], huge[5001];
	char	 longarg[400], hugearg[5100];
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int	 tries, fd, i;

	memset(long300, 'x', 300);
	long300[300] = '\0';
	memset(huge, 'y', 5000);
	huge[5000] = '\0';
	(void)snprintf(longarg, sizeof(longarg), "--txt-record=long.test,%s",
	    long300);
	(void)snprintf(hugearg, sizeof(hugearg), "--txt-record=huge.test,%s",
	    huge);
	tap_pathf(log, sizeof(log), "%s/dnsmasq.log", tmp);
	for (tries = 0; tries < 5; tries++) {
		if ((port = free_port()) == 0)
			continue;
		(void)snprintf(portarg, sizeof(portarg), "--port=%u", port);
		if ((server = fork()) == -1)
			bail_out("fork", strerror(errno));
		if (server == 0) {
			const char *args[] = {
				dnsmasq, "--keep-in-foreground",
				"--conf-file=/dev/null", "--no-resolv",
				"--no-hosts", portarg,
				"--listen-address=127.0.0.1",
				"--listen-address=::1", "--bind-interfaces",
				"--pid-file=", "--log-facility=-",
				"--local=/test/", "--local=/in-addr.arpa/",
				"--local=/ip6.arpa/",
				/* MX: 5 z, 10 a and c (a tie), 20 b */
				"--mx-host=mx.test,a.mx.test,10",
				"--mx-host=mx.test,b.mx.test,20",
				"--mx-host=mx.test,c.mx.test,10",
				"--mx-host=mx.test,z.mx.test,5",
				"--dns-rr=null.test,15,000000",
				"--mx-host=mixed.test,real.mixed.test,10",
				"--dns-rr=mixed.test,15,000000",
				"--mx-host=upper.test,MiXeD.Case.TEST,1",
				"--host-record=host.test,192.0.2.1,2001:db8::1",
				"--host-record=v4.test,192.0.2.2",
				"--host-record=v6.test,2001:db8::2",
				"--host-record=two.test,192.0.2.3",
				"--host-record=two.test,192.0.2.4",
				"--txt-record=txt.test,v=spf1 ,ip4:192.0.2.1 ,-all",
				"--txt-record=multi.test,first",
				"--txt-record=multi.test,second",
				longarg, hugearg,
				"--ptr-record=9.2.0.192.in-addr.arpa,Other.Test",
				"--ptr-record=8.2.0.192.in-addr.arpa,p1.test",
				"--ptr-record=8.2.0.192.in-addr.arpa,p2.test",
			};
			char	*argv[sizeof(args) / sizeof(args[0]) + 1];
			size_t	 k;

			/* -Wwrite-strings: writable copies for execv */
			for (k = 0; k < sizeof(args) / sizeof(args[0]); k++)
				if ((argv[k] = strdup(args[k])) == NULL)
					_exit(127);
			argv[k] = NULL;
			if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND |
			    O_CLOEXEC, 0600)) != -1) {
				(void)dup2(fd, 1);
				(void)dup2(fd, 2);
			}
			execv(dnsmasq, argv);
			_exit(127);
		}
		/* Ready when it answers; gone when the port was taken. */
		for (i = 0; i < 250; i++) {
			struct dns *d;
			struct dns_addr a[DNS_ADDR_MAX];
			size_t	 n;
			enum dns_result r;

			if (waitpid(server, NULL, WNOHANG) == server) {
				server = -1;
				break;
			}
			if ((d = dns_open(conf_for("127.0.0.1", port), 1)) ==
			    NULL)
				bail_out("dns_open", strerror(errno));
			r = dns_addrs(d, "host.test", AF_INET, a, &n);
			dns_close(d);
			if (r == DNS_OK)
				return true;
			(void)nanosleep(&ts, NULL);
		}
		stop_server();
	}
	return false;
}

static void
test_helpers(void)
{
	static const struct {
		const char	*in;
		int		 family;
		const char	*out;
	} cases[] = {
		{ "192.0.2.1", AF_INET, "192.0.2.1" },
		{ "0.0.0.0", AF_INET, "0.0.0.0" },
		{ "255.255.255.255", AF_INET, "255.255.255.255" },
		{ "2001:db8::1", AF_INET6, "2001:db8::1" },
		{ "2001:DB8:0:0:0:0:0:1", AF_INET6, "2001:db8::1" },
		{ "::1", AF_INET6, "::1" },
		{ "::ffff:192.0.2.1", AF_INET6, "::ffff:192.0.2.1" },
		{ "", 0, NULL },
		{ "192.0.2", 0, NULL },
		{ "192.0.2.256", 0, NULL },
		{ "[2001:db8::1]", 0, NULL },
		{ "2001:db8::1%lo", 0, NULL },
		{ "host.test", 0, NULL },
		{ " 192.0.2.1", 0, NULL },
	};
	struct dns_addr a;
	char	 buf[INET6_ADDRSTRLEN];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool	 ok_ = dns_addr_parse(cases[i].in, &a);

		if (cases[i].out == NULL) {
			ok(!ok_ && a.family == 0, "dns_addr_parse refuses "
			    "\"%s\"", cases[i].in);
			continue;
		}
		ok(ok_ && a.family == cases[i].family, "dns_addr_parse "
		    "\"%s\"", cases[i].in);
		dns_addr_format(&a, buf, sizeof(buf));
		is_str(buf, cases[i].out, "dns_addr_format of \"%s\"",
		    cases[i].in);
	}
	{
		static const struct {
			const char *in;
			bool	 global;
		} g[] = {
			{ "8.8.8.8", true }, { "2a00:1450::1", true },
			{ "127.0.0.1", false }, { "10.1.2.3", false },
			{ "172.16.0.1", false }, { "172.32.0.1", true },
			{ "192.168.1.1", false }, { "100.64.0.1", false },
			{ "100.128.0.1", true }, { "169.254.1.1", false },
			{ "192.0.2.1", false }, { "198.51.100.1", false },
			{ "203.0.113.1", false }, { "198.18.0.1", false },
			{ "224.0.0.1", false }, { "0.1.2.3", false },
			{ "::1", false }, { "fe80::1", false }, { "fd00::1", false },
			{ "2001:db8::1", false }, { "ff02::1", false },
			{ "::ffff:8.8.8.8", false },
		};

		for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
			if (!dns_addr_parse(g[i].in, &a))
				bail_out("dns_addr_parse", g[i].in);
			ok(dns_addr_global(&a) == g[i].global,
			    "dns_addr_global: %s is %s", g[i].in,
			    g[i].global ? "public" : "not public");
		}
	}
	memset(&a, 0, sizeof(a));
	dns_addr_format(&a, buf, sizeof(buf));
	is_str(buf, "?", "dns_addr_format of no family");
	is_str(dns_result_name(DNS_OK), "ok", "result name ok");
	is_str(dns_result_name(DNS_NXDOMAIN), "nxdomain",
	    "result name nxdomain");
	is_str(dns_result_name(DNS_NODATA), "nodata", "result name nodata");
	is_str(dns_result_name(DNS_TEMP), "temporary failure",
	    "result name temp");
}

static void
test_mx(struct dns *d)
{
	struct dns_mx mx[DNS_MX_MAX];
	size_t	 n, i;
	bool	 null_mx, ac = false, ca = false;
	enum dns_result r;

	r = dns_mx(d, "mx.test", mx, &n, &null_mx);
	is_int(r, DNS_OK, "MX mx.test: ok");
	is_int(n, 4, "MX mx.test: four hosts");
	ok(!null_mx, "MX mx.test: not a null MX");
	if (n == 4) {
		is_str(mx[0].host, "z.mx.test", "lowest preference first");
		is_int(mx[0].pref, 5, "its preference");
		ok(mx[1].pref == 10 && mx[2].pref == 10, "then the 10s");
		is_str(mx[3].host, "b.mx.test", "highest preference last");
		is_int(mx[3].pref, 20, "its preference");
	}
	/* RFC 5321 5.1: equal preferences in random order. */
	for (i = 0; i < 64 && !(ac && ca); i++) {
		if (dns_mx(d, "mx.test", mx, &n, &null_mx) != DNS_OK || n != 4)
			break;
		if (strcmp(mx[1].host, "a.mx.test") == 0 &&
		    strcmp(mx[2].host, "c.mx.test") == 0)
			ac = true;
		if (strcmp(mx[1].host, "c.mx.test") == 0 &&
		    strcmp(mx[2].host, "a.mx.test") == 0)
			ca = true;
	}
	ok(ac && ca, "a tie comes out in both orders (%zu lookups)", i);

	r = dns_mx(d, "null.test", mx, &n, &null_mx);
	ok(r == DNS_OK && n == 0 && null_mx, "null MX: ok, no hosts, "
	    "null_mx (got %s, %zu)", dns_result_name(r), n);
	r = dns_mx(d, "mixed.test", mx, &n, &null_mx);
	ok(r == DNS_OK && n == 1 && !null_mx &&
	    strcmp(mx[0].host, "real.mixed.test") == 0,
	    "a \".\" beside a real MX is ignored");
	r = dns_mx(d, "upper.test", mx, &n, &null_mx);
	ok(r == DNS_OK && n == 1, "MX upper.test");
	if (n == 1)
		is_str(mx[0].host, "mixed.case.test", "host in lower case");
	r = dns_mx(d, "host.test", mx, &n, &null_mx);
	ok(r == DNS_NODATA && n == 0 && !null_mx, "MX of a name with only "
	    "A/AAAA: nodata (got %s)", dns_result_name(r));
	r = dns_mx(d, "nope.test", mx, &n, &null_mx);
	ok(r == DNS_NXDOMAIN && n == 0, "MX of a missing name: nxdomain "
	    "(got %s)", dns_result_name(r));
	r = dns_mx(d, "", mx, &n, &null_mx);
	is_int(r, DNS_NXDOMAIN, "MX of the empty name: nxdomain");
}

static bool
has_addr(const struct dns_addr *a, size_t n, const char *want)
{
	char	 buf[INET6_ADDRSTRLEN];
	size_t	 i;

	for (i = 0; i < n; i++) {
		dns_addr_format(&a[i], buf, sizeof(buf));
		if (strcmp(buf, want) == 0)
			return true;
	}
	return false;
}

static void
test_addrs(struct dns *d)
{
	struct dns_addr a[DNS_ADDR_MAX];
	char	 buf[INET6_ADDRSTRLEN];
	size_t	 n;
	enum dns_result r;

	r = dns_addrs(d, "host.test", AF_INET, a, &n);
	ok(r == DNS_OK && n == 1 && a[0].family == AF_INET, "A host.test");
	dns_addr_format(&a[0], buf, sizeof(buf));
	is_str(buf, "192.0.2.1", "its address");
	r = dns_addrs(d, "host.test", AF_INET6, a, &n);
	ok(r == DNS_OK && n == 1 && a[0].family == AF_INET6,
	    "AAAA host.test");
	dns_addr_format(&a[0], buf, sizeof(buf));
	is_str(buf, "2001:db8::1", "its address");
	r = dns_addrs(d, "host.test", AF_UNSPEC, a, &n);
	ok(r == DNS_OK && n == 2, "both families of host.test");
	ok(n == 2 && a[0].family == AF_INET6 && a[1].family == AF_INET,
	    "AAAA first");
	r = dns_addrs(d, "two.test", AF_INET, a, &n);
	ok(r == DNS_OK && n == 2 && has_addr(a, n, "192.0.2.3") &&
	    has_addr(a, n, "192.0.2.4"), "two A records");

	r = dns_addrs(d, "v4.test", AF_INET6, a, &n);
	ok(r == DNS_NODATA && n == 0, "AAAA of an IPv4-only name: nodata "
	    "(got %s)", dns_result_name(r));
	r = dns_addrs(d, "v4.test", AF_UNSPEC, a, &n);
	ok(r == DNS_OK && n == 1 && a[0].family == AF_INET,
	    "both families of an IPv4-only name: the A");
	r = dns_addrs(d, "v6.test", AF_INET, a, &n);
	is_int(r, DNS_NODATA, "A of an IPv6-only name: nodata");
	r = dns_addrs(d, "v6.test", AF_UNSPEC, a, &n);
	ok(r == DNS_OK && n == 1 && a[0].family == AF_INET6,
	    "both families of an IPv6-only name: the AAAA");
	r = dns_addrs(d, "mx.test", AF_UNSPEC, a, &n);
	ok(r == DNS_NODATA && n == 0, "addresses of an MX-only name: "
	    "nodata (got %s)", dns_result_name(r));
	r = dns_addrs(d, "nope.test", AF_INET, a, &n);
	is_int(r, DNS_NXDOMAIN, "A of a missing name: nxdomain");
	r = dns_addrs(d, "nope.test", AF_UNSPEC, a, &n);
	ok(r == DNS_NXDOMAIN && n == 0, "both families of a missing name: "
	    "nxdomain (got %s)", dns_result_name(r));
}

static void
test_txt(struct dns *d)
{
	size_t	 n, i;
	enum dns_result r;
	bool	 first = false, second = false;
	char	 want[301];

	r = dns_txt(d, "txt.test", txt, &n);
	ok(r == DNS_OK && n == 1, "TXT txt.test: one record");
	is_str(txt[0], "v=spf1 ip4:192.0.2.1 -all",
	    "its three strings joined");
	r = dns_txt(d, "long.test", txt, &n);
	ok(r == DNS_OK && n == 1, "TXT of 300 octets (strings of 255 + 45)");
	memset(want, 'x', 300);
	want[300] = '\0';
	is_str(txt[0], want, "joined whole");
	r = dns_txt(d, "multi.test", txt, &n);
	ok(r == DNS_OK && n == 2, "two TXT records at one name");
	for (i = 0; i < n; i++) {
		first |= strcmp(txt[i], "first") == 0;
		second |= strcmp(txt[i], "second") == 0;
	}
	ok(first && second, "both, each on its own");
	r = dns_txt(d, "huge.test", txt, &n);
	ok(r == DNS_OK && n == 0, "a 5000-octet record (over TCP) is "
	    "skipped (got %s, %zu)", dns_result_name(r), n);
	r = dns_txt(d, "host.test", txt, &n);
	ok(r == DNS_NODATA && n == 0, "TXT of a name without: nodata "
	    "(got %s)", dns_result_name(r));
	r = dns_txt(d, "nope.test", txt, &n);
	is_int(r, DNS_NXDOMAIN, "TXT of a missing name: nxdomain");
}

static void
test_ptr(struct dns *d)
{
	struct dns_addr a;
	size_t	 n;
	enum dns_result r;

	if (!dns_addr_parse("192.0.2.1", &a))
		bail_out("dns_addr_parse", "192.0.2.1");
	r = dns_ptr(d, &a, names, &n);
	ok(r == DNS_OK && n == 1, "PTR of 192.0.2.1 (in-addr.arpa)");
	is_str(names[0], "host.test", "its name");
	if (!dns_addr_parse("2001:db8::1", &a))
		bail_out("dns_addr_parse", "2001:db8::1");
	r = dns_ptr(d, &a, names, &n);
	ok(r == DNS_OK && n == 1, "PTR of 2001:db8::1 (ip6.arpa nibbles)");
	is_str(names[0], "host.test", "its name");
	if (!dns_addr_parse("192.0.2.9", &a))
		bail_out("dns_addr_parse", "192.0.2.9");
	r = dns_ptr(d, &a, names, &n);
	ok(r == DNS_OK && n == 1, "PTR from --ptr-record");
	is_str(names[0], "other.test", "its name, lower case");
	if (!dns_addr_parse("192.0.2.8", &a))
		bail_out("dns_addr_parse", "192.0.2.8");
	r = dns_ptr(d, &a, names, &n);
	ok(r == DNS_OK && n == 2, "two PTR records");
	if (!dns_addr_parse("192.0.2.77", &a))
		bail_out("dns_addr_parse", "192.0.2.77");
	r = dns_ptr(d, &a, names, &n);
	ok(r == DNS_NXDOMAIN && n == 0, "no PTR: nxdomain (got %s)",
	    dns_result_name(r));
	if (!dns_addr_parse("2001:db8::77", &a))
		bail_out("dns_addr_parse", "2001:db8::77");
	r = dns_ptr(d, &a, names, &n);
	is_int(r, DNS_NXDOMAIN, "no IPv6 PTR: nxdomain");
	memset(&a, 0, sizeof(a));
	r = dns_ptr(d, &a, names, &n);
	ok(r != DNS_OK && n == 0, "PTR of no address family: no answer");
}

/* A UDP socket that takes questions and never answers. */
static int
silent_server(uint16_t *p)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int	 s;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1)
		bail_out("silent socket", strerror(errno));
	*p = ntohs(sin.sin_port);
	return s;
}

static void
test_failures(void)
{
	struct dns *d;
	struct dns_mx mx[DNS_MX_MAX];
	struct dns_addr a[DNS_ADDR_MAX];
	struct conf *c;
	struct timespec t0, t1;
	size_t	 n;
	bool	 null_mx;
	uint16_t dead, silent;
	int	 s;
	double	 secs;

	/* Nothing listens: the ICMP port unreachable ends it at once. */
	dead = free_port();
	if ((d = dns_open(conf_for("127.0.0.1", dead), 1)) == NULL)
		bail_out("dns_open", strerror(errno));
	is_int(dns_mx(d, "mx.test", mx, &n, &null_mx), DNS_TEMP,
	    "MX with nothing listening: temporary failure");
	is_int(dns_addrs(d, "host.test", AF_UNSPEC, a, &n), DNS_TEMP,
	    "addresses with nothing listening: temporary failure");
	is_int(dns_txt(d, "txt.test", txt, &n), DNS_TEMP,
	    "TXT with nothing listening: temporary failure");
	if (!dns_addr_parse("192.0.2.1", &a[0]))
		bail_out("dns_addr_parse", "192.0.2.1");
	is_int(dns_ptr(d, &a[0], names, &n), DNS_TEMP,
	    "PTR with nothing listening: temporary failure");
	dns_close(d);

	/* A server that never answers: the timeout, per try. */
	s = silent_server(&silent);
	if ((d = dns_open(conf_for("127.0.0.1", silent), 1)) == NULL)
		bail_out("dns_open", strerror(errno));
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(dns_addrs(d, "host.test", AF_INET, a, &n), DNS_TEMP,
	    "a server that never answers: temporary failure");
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ok(secs >= 0.9 && secs < 6, "within the 1-second timeout's tries "
	    "(%.1f s)", secs);
	dns_close(d);
	(void)close(s);

	/* A dead first server, then a live one. */
	c = conf_for("127.0.0.1", dead);
	c->nresolvers = 2;
	(void)snprintf(c->resolvers[1].addr, sizeof(c->resolvers[1].addr),
	    "::1");
	c->resolvers[1].port = port;
	if ((d = dns_open(c, 1)) == NULL)
		bail_out("dns_open", strerror(errno));
	ok(dns_addrs(d, "host.test", AF_INET, a, &n) == DNS_OK && n == 1,
	    "a dead IPv4 resolver, then a live IPv6 one");
	dns_close(d);

	/* /etc/resolv.conf's servers: only opening and closing here. */
	if ((d = dns_open(NULL, 0)) == NULL)
		bail_out("dns_open(NULL)", strerror(errno));
	ok(d != NULL, "dns_open without a configuration");
	dns_close(d);
	c = conf_for("127.0.0.1", port);
	c->nresolvers = 0;
	d = dns_open(c, 0);
	ok(d != NULL, "dns_open with no resolver = servers");
	dns_close(d);
	dns_close(NULL);
	ok(1, "dns_close(NULL)");
}

int
main(void)
{
	struct dns *d;

	test_helpers();
	if (!find_dnsmasq()) {
		printf("# SKIP the DNS server tests: dnsmasq (dnsmasq-base) "
		    "not installed\n");
		return done_testing();
	}
	tap_tmpdir(tmp, sizeof(tmp), "dns");
	if (!start_server()) {
		char	 log[PATH_MAX];

		tap_pathf(log, sizeof(log), "%s/dnsmasq.log", tmp);
		bail_out("dnsmasq did not start; see", log);
	}
	diag("dnsmasq on port %u", port);

	if ((d = dns_open(conf_for("127.0.0.1", port), 2)) == NULL)
		bail_out("dns_open", strerror(errno));
	test_mx(d);
	test_addrs(d);
	test_txt(d);
	test_ptr(d);
	dns_close(d);

	/* The same over IPv6 to the server: glibc's _u._ext.nsaddrs. */
	if ((d = dns_open(conf_for("::1", port), 2)) == NULL)
		bail_out("dns_open", strerror(errno));
	diag("the same lookups through [::1]:%u", port);
	test_mx(d);
	test_txt(d);
	test_ptr(d);
	dns_close(d);

	test_failures();
	stop_server();
	tap_rmtree(tmp);
	return done_testing();
}
