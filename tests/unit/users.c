/*
 * users.c — unit tests for libexec/common/users.c on a temporary
 * configuration directory: local domains by U-label or A-label, users,
 * aliases, postmaster (RFC 5321 4.5.1), the catch-all, suffixes and drop
 * characters, and what is not local.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "users.h"
#include "tap.h"

static char dir[PATH_MAX];

static void
mkdirf(const char *sub)
{
	char	 path[PATH_MAX];

	tap_pathf(path, sizeof(path), "%s/%s", dir, sub);
	if (mkdir(path, 0755) == -1)
		bail_out(path, strerror(errno));
}

static void
writef(const char *sub, const char *text)
{
	char	 path[PATH_MAX];

	tap_pathf(path, sizeof(path), "%s/%s", dir, sub);
	tap_write_file(path, text);
}

#define BUECHER	"b\xc3\xbc" "cher.example"

static void
make_tree(void)
{
	mkdirf("domains");
	mkdirf("domains/example.test");
	writef("domains/example.test/users",
	    "# users of example.test\n"
	    "alice:$y$j9T$salt$hash\n"
	    "Bob.Smith:$y$j9T$salt$hash\n"
	    "  carol  :$y$j9T$salt$hash\n"
	    "frank:$y$j9T$salt$hash\n"
	    "#mallory:$y$j9T$salt$hash\n");
	writef("domains/example.test/aliases",
	    "postmaster: alice\n"
	    "info: alice, bob.smith\n"
	    "sales : alice\n"
	    "# old: alice\n");
	mkdirf("domains/" BUECHER);
	writef("domains/" BUECHER "/users", "j\xc3\xb6rg:$y$j9T$salt$hash\n");
	writef("domains/" BUECHER "/aliases", "*: alice@example.test\n");
	mkdirf("domains/other.test");
	writef("domains/other.test/users", "dave:$y$j9T$salt$hash\n"
	    "erin:$y$j8T$crlf$hash\r\n"
	    "  fay : $y$j8T$spaced$hash \n");
	writef("domains/other.test/senders",
	    "dave: info@other.test, *@sub.example, \n"
	    "erin: *\n");
	mkdirf("domains/zz-broken.test");
	mkdirf("domains/zz-broken.test/users");	/* not a file */
	mkdirf("domains/.hidden.test");
	writef("domains/.hidden.test/users", "eve:x\n");
	mkdirf("domains/not_a domain");
	writef("domains/not_a domain/users", "eve:x\n");
}

static const struct lookup_case {
	const char	*path;
	enum users_result want;
} lookup_cases[] = {
	/* users */
	{ "<alice@example.test>", USERS_USER },
	{ "<ALICE@EXAMPLE.TEST>", USERS_USER },
	{ "<Alice@Example.Test>", USERS_USER },
	{ "<bob.smith@example.test>", USERS_USER },
	{ "<BOB.SMITH@example.test>", USERS_USER },
	{ "<carol@example.test>", USERS_USER },
	{ "<\"alice\"@example.test>", USERS_USER },
	/* suffixes (suffix_separators "+") */
	{ "<alice+tag@example.test>", USERS_USER },
	{ "<Alice+Tag+More@example.test>", USERS_USER },
	{ "<alice+@example.test>", USERS_USER },
	{ "<+alice@example.test>", USERS_UNKNOWN },
	{ "<alice-tag@example.test>", USERS_UNKNOWN },
	/* aliases */
	{ "<info@example.test>", USERS_ALIAS },
	{ "<INFO@example.test>", USERS_ALIAS },
	{ "<sales@example.test>", USERS_ALIAS },
	{ "<info+x@example.test>", USERS_ALIAS },
	{ "<postmaster@example.test>", USERS_ALIAS },
	{ "<PostMaster@Example.Test>", USERS_ALIAS },
	/* postmaster without an alias is still ours */
	{ "<postmaster@other.test>", USERS_POSTMASTER },
	{ "<POSTMASTER@other.test>", USERS_POSTMASTER },
	{ "<dave@other.test>", USERS_USER },
	/* unknown, comments are not entries */
	{ "<nobody@example.test>", USERS_UNKNOWN },
	{ "<mallory@example.test>", USERS_UNKNOWN },
	{ "<old@example.test>", USERS_UNKNOWN },
	{ "<ali@example.test>", USERS_UNKNOWN },
	{ "<alicex@example.test>", USERS_UNKNOWN },
	{ "<nobody@other.test>", USERS_UNKNOWN },
	/* the IDN domain, by either form; its catch-all */
	{ "<j\xc3\xb6rg@" BUECHER ">", USERS_USER },
	{ "<j\xc3\xb6rg@xn--bcher-kva.example>", USERS_USER },
	{ "<j\xc3\xb6rg@XN--BCHER-KVA.EXAMPLE>", USERS_USER },
	{ "<j\xc3\xb6rg@B\xc3\x9c" "CHER.EXAMPLE>", USERS_USER },
	{ "<anyone@" BUECHER ">", USERS_CATCHALL },
	{ "<anyone@xn--bcher-kva.example>", USERS_CATCHALL },
	{ "<postmaster@xn--bcher-kva.example>", USERS_POSTMASTER },
	/* not ours */
	{ "<alice@elsewhere.example>", USERS_NOT_LOCAL },
	{ "<alice@sub.example.test>", USERS_NOT_LOCAL },
	{ "<alice@test>", USERS_NOT_LOCAL },
	{ "<alice@[192.0.2.1]>", USERS_NOT_LOCAL },
	{ "<eve@hidden.test>", USERS_NOT_LOCAL },
	{ "<postmaster@elsewhere.example>", USERS_NOT_LOCAL },
	/* configuration trouble is temporary */
	{ "<x@zz-broken.test>", USERS_TEMP },
};

static void
test_lookup(const struct users *u)
{
	size_t	 i;

	for (i = 0; i < sizeof(lookup_cases) / sizeof(lookup_cases[0]); i++) {
		const struct lookup_case *c = &lookup_cases[i];
		struct addr a;
		size_t	 used;

		if (addr_parse_path(c->path, strlen(c->path), ADDR_OPT_UTF8,
		    &a, &used) != ADDR_OK) {
			ok(0, "lookup %zu: %s does not parse", i, c->path);
			continue;
		}
		is_int(users_lookup(u, &a), c->want, "lookup %zu %s", i,
		    c->path);
	}
}

static enum users_result
lookup_bare_postmaster(const struct users *u)
{
	struct addr a;

	memset(&a, 0, sizeof(a));
	a.flags = ADDR_NODOMAIN;
	memcpy(a.local, "postmaster", sizeof("postmaster"));
	memcpy(a.mailbox, "postmaster", sizeof("postmaster"));
	return users_lookup(u, &a);
}

static void
test_domains(const struct users *u)
{
	const struct users_domain *d;

	is_int(u->ndomains, 4, "four local domains (hidden and bad names "
	    "skipped)");
	d = users_domain(u, "EXAMPLE.test");
	ok(d != NULL && strcmp(d->dirname, "example.test") == 0,
	    "domain by upper case");
	d = users_domain(u, "xn--bcher-kva.example");
	ok(d != NULL && strcmp(d->dirname, BUECHER) == 0 &&
	    strcmp(d->name, "xn--bcher-kva.example") == 0,
	    "A-label finds the U-label directory");
	d = users_domain(u, BUECHER);
	ok(d != NULL && strcmp(d->dirname, BUECHER) == 0,
	    "U-label finds the U-label directory");
	d = users_domain(u, "example.test.");
	ok(d != NULL && strcmp(d->dirname, "example.test") == 0,
	    "trailing dot");
	ok(users_domain(u, "elsewhere.example") == NULL, "not a local domain");
	ok(users_domain(u, "hidden.test") == NULL, "dot-directory skipped");
	ok(users_domain(u, "a..b") == NULL, "not a domain");
	ok(users_domain(u, "") == NULL, "empty domain");
}

static void
test_postmaster(void)
{
	struct conf c;
	struct users u;

	conf_defaults(&c);
	tap_pathf(c.dir, sizeof(c.dir), "%s", dir);

	/* RFC 5321 4.5.1: <postmaster> of the domain named by hostname */
	tap_pathf(c.hostname, sizeof(c.hostname), "mx.example.test");
	is_int(users_open(&u, &c), 0, "open (hostname mx.example.test)");
	is_int(lookup_bare_postmaster(&u), USERS_ALIAS,
	    "<postmaster>: example.test's alias");
	users_close(&u);

	tap_pathf(c.hostname, sizeof(c.hostname), "other.test");
	is_int(users_open(&u, &c), 0, "open (hostname other.test)");
	is_int(lookup_bare_postmaster(&u), USERS_POSTMASTER,
	    "<postmaster>: other.test has no alias");
	users_close(&u);

	/* no match: the first domain in byte order (bücher.example) */
	tap_pathf(c.hostname, sizeof(c.hostname), "unrelated.example");
	is_int(users_open(&u, &c), 0, "open (hostname unrelated.example)");
	is_int(lookup_bare_postmaster(&u), USERS_POSTMASTER,
	    "<postmaster>: the first domain");
	users_close(&u);
}

static void
test_drop(void)
{
	struct conf c;
	struct users u;
	struct addr a;
	size_t	 used;
	static const char p[] = "<f.r.a.n.k+x@example.test>";

	conf_defaults(&c);
	tap_pathf(c.dir, sizeof(c.dir), "%s", dir);
	if (addr_parse_path(p, sizeof(p) - 1, 0, &a, &used) != ADDR_OK)
		bail_out("parse", p);
	is_int(users_open(&u, &c), 0, "open (no drop characters)");
	is_int(users_lookup(&u, &a), USERS_UNKNOWN, "f.r.a.n.k unknown");
	users_close(&u);
	c.drop_characters[0] = '.';
	c.drop_characters[1] = '\0';
	is_int(users_open(&u, &c), 0, "open (drop \".\")");
	is_int(users_lookup(&u, &a), USERS_USER, "f.r.a.n.k+x is frank");
	users_close(&u);
	c.suffix_separators[0] = '\0';
	is_int(users_open(&u, &c), 0, "open (no separators)");
	is_int(users_lookup(&u, &a), USERS_UNKNOWN,
	    "without separators f.r.a.n.k+x is not frank");
	users_close(&u);
}

static void
test_empty_config(void)
{
	char	 empty[PATH_MAX];
	struct conf c;
	struct users u;
	struct addr a;
	size_t	 used;

	tap_tmpdir(empty, sizeof(empty), "users-empty");
	conf_defaults(&c);
	tap_pathf(c.dir, sizeof(c.dir), "%s", empty);
	is_int(users_open(&u, &c), 0, "open without domains/");
	is_int(u.ndomains, 0, "no local domains");
	(void)addr_parse_path("<alice@example.test>", 20, 0, &a, &used);
	is_int(users_lookup(&u, &a), USERS_NOT_LOCAL, "nothing is local");
	is_int(lookup_bare_postmaster(&u), USERS_NOT_LOCAL,
	    "<postmaster> without domains is not local");
	users_close(&u);
	tap_rmtree(empty);
}

static const struct canon_case {
	const char	*sep;
	const char	*drop;
	const char	*in;
	size_t		 outsz;
	const char	*want;
} canon_cases[] = {
	{ "+", "", "alice", 65, "alice" },
	{ "+", "", "Alice", 65, "alice" },
	{ "+", "", "ALICE+Tag", 65, "alice" },
	{ "+", "", "a+b+c", 65, "a" },
	{ "+", "", "+tag", 65, "+tag" },
	{ "+", "", "a-b", 65, "a-b" },
	{ "+-", "", "a-b+c", 65, "a" },
	{ "+-", "", "a+b-c", 65, "a" },
	{ "", "", "a+b", 65, "a+b" },
	{ "+", ".", "First.Last+tag", 65, "firstlast" },
	{ "+", ".-", "a.b-c", 65, "abc" },
	{ "+", "", "J\xc3\x96rg", 65, "j\xc3\x96rg" },
	{ "+", "", "abcdef", 4, "abc" },
	{ "+", "", "abcdef", 1, "" },
	{ "+", "", "", 65, "" },
};

static void
test_canonical(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(canon_cases) / sizeof(canon_cases[0]); i++) {
		const struct canon_case *c = &canon_cases[i];
		struct conf conf;
		char	 out[80];

		conf_defaults(&conf);
		tap_pathf(conf.suffix_separators,
		    sizeof(conf.suffix_separators), "%s", c->sep);
		tap_pathf(conf.drop_characters, sizeof(conf.drop_characters),
		    "%s", c->drop);
		memset(out, 'X', sizeof(out));
		users_canonical_local(&conf, c->in, out, c->outsz);
		is_str(out, c->want, "canonical %zu \"%s\" sep \"%s\" drop "
		    "\"%s\" outsz %zu", i, c->in, c->sep, c->drop, c->outsz);
	}
}

static void
test_password_and_senders(const struct users *u)
{
	char	 h[256];

	is_int(users_password_hash(u, "dave@other.test", h, sizeof(h)), 1,
	    "hash of dave");
	is_str(h, "$y$j9T$salt$hash", "hash of dave, whole");
	is_int(users_password_hash(u, "erin@OTHER.test", h, sizeof(h)), 1,
	    "hash of erin (CRLF line)");
	is_str(h, "$y$j8T$crlf$hash", "the CR is not part of the hash");
	is_int(users_password_hash(u, "fay@other.test", h, sizeof(h)), 1,
	    "hash of fay (blanks around the colon)");
	is_str(h, "$y$j8T$spaced$hash", "blanks are not part of the hash");
	is_int(users_password_hash(u, "nobody@other.test", h, sizeof(h)), 0,
	    "no hash for an unknown user");
	is_int(users_password_hash(u, "dave@elsewhere.example", h,
	    sizeof(h)), 0, "no hash in a foreign domain");
	is_int(users_password_hash(u, "dave@other.test", h, 8), 0,
	    "a hash that does not fit is not half-copied");

	is_int(users_may_send(u, "dave@other.test", ""), 1, "<> allowed");
	is_int(users_may_send(u, "dave@other.test", "Dave+x@OTHER.test"), 1,
	    "own address with case and suffix");
	is_int(users_may_send(u, "dave@other.test", "info@other.test"), 1,
	    "an address listed in senders");
	is_int(users_may_send(u, "dave@other.test", "any@sub.example"), 1,
	    "*@domain in senders");
	is_int(users_may_send(u, "dave@other.test", "any@other.test"), 0,
	    "another address of the domain");
	is_int(users_may_send(u, "dave@other.test", "x@gmail.example"), 0,
	    "someone else's domain");
	is_int(users_may_send(u, "erin@other.test", "x@gmail.example"), 1,
	    "* in senders");
	is_int(users_may_send(u, "frank@example.test", "info@other.test"), 0,
	    "senders of another domain do not apply");
}

static void
test_file_has(void)
{
	char	 path[PATH_MAX];

	tap_pathf(path, sizeof(path), "%s/domains/example.test/aliases", dir);
	is_int(users_file_has(path, "info", ':'), 1, "file_has info");
	is_int(users_file_has(path, "INFO", ':'), 1, "file_has INFO");
	is_int(users_file_has(path, "sales", ':'), 1,
	    "file_has with a space before the separator");
	is_int(users_file_has(path, "old", ':'), 0, "file_has: a comment");
	is_int(users_file_has(path, "inf", ':'), 0, "file_has: a prefix");
	is_int(users_file_has(path, "alice", ':'), 0,
	    "file_has: a value is not a key");
	is_int(users_file_has(path, "", ':'), 0, "file_has: empty key");
	tap_pathf(path, sizeof(path), "%s/domains/example.test/missing", dir);
	is_int(users_file_has(path, "info", ':'), 0, "file_has: ENOENT is 0");
	tap_pathf(path, sizeof(path), "%s/domains/zz-broken.test/users", dir);
	is_int(users_file_has(path, "x", ':'), -1, "file_has: a directory");
}

/* users_alias_next: the alias grammar of tambo-domains(5). */
static void
test_alias_targets(void)
{
	static const struct {
		const char	*value;
		const char	*want;	/* each target then "|"; "!cmd" */
	} cases[] = {
		{ "", "" },
		{ " , ,\t", "" },
		{ "alice", "alice|" },
		{ " alice ,bob@example.org,, carol\t",
		    "alice|bob@example.org|carol|" },
		{ "| /usr/bin/cmd -x", "!/usr/bin/cmd -x|" },
		{ "a, |cmd a, b , c ", "a|!cmd a, b , c|" },
		{ "a, |  ", "a|!|" },
		{ "a|b, c", "a|b|c|" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *v = cases[i].value;
		enum users_target k;
		char	 got[256];
		size_t	 n = strlen(v), pos = 0, start, len, o = 0;

		got[0] = '\0';
		while ((k = users_alias_next(v, n, &pos, &start, &len)) !=
		    USERS_TARGET_END && o + len + 3 < sizeof(got)) {
			if (k == USERS_TARGET_PIPE)
				got[o++] = '!';
			memcpy(got + o, v + start, len);
			o += len;
			got[o++] = '|';
			got[o] = '\0';
		}
		is_str(got, cases[i].want, "alias targets of \"%s\"", v);
	}
}

int
main(void)
{
	struct conf c;
	struct users u;

	tap_tmpdir(dir, sizeof(dir), "users");
	make_tree();
	conf_defaults(&c);
	tap_pathf(c.dir, sizeof(c.dir), "%s", dir);
	tap_pathf(c.hostname, sizeof(c.hostname), "mx.example.test");
	if (users_open(&u, &c) == -1)
		bail_out("users_open", strerror(errno));
	test_domains(&u);
	test_lookup(&u);
	test_password_and_senders(&u);
	users_close(&u);
	test_postmaster();
	test_drop();
	test_empty_config();
	test_canonical();
	test_file_has();
	tap_rmtree(dir);
	test_alias_targets();
	return done_testing();
}
