/*
 * smtpcmd.c — unit tests for libexec/common/smtpcmd.c: verbs and their
 * line limits (RFC 5321 4.1.1, 4.5.3.1.4), MAIL and RCPT parameters
 * (RFC 1870, 6152, 6531, 3461, 4954), BDAT (RFC 3030) and xtext.
 *
 * Every input is parsed from a heap copy of exactly its length, so that
 * AddressSanitizer sees a read past the end of the line.
 */
#include <stdlib.h>
#include <string.h>

#include "smtpcmd.h"
#include "tap.h"

#define ALL	(SMTPCMD_EXT_SIZE | SMTPCMD_EXT_8BITMIME | \
	SMTPCMD_EXT_SMTPUTF8 | SMTPCMD_EXT_DSN | SMTPCMD_EXT_AUTH)

static char *
dup_exact(const char *s, size_t n)
{
	char	*p;

	if ((p = malloc(n ? n : 1)) == NULL)
		abort();
	memcpy(p, s, n);
	return p;
}

static const struct verb_case {
	const char	*line;
	enum smtpcmd_result want;
	enum smtp_verb	 verb;
	const char	*name;
	const char	*arg;
} verb_cases[] = {
	{ "HELO example.com", SMTPCMD_OK, SMTP_HELO, "HELO", "example.com" },
	{ "helo example.com", SMTPCMD_OK, SMTP_HELO, "HELO", "example.com" },
	{ "HeLo x", SMTPCMD_OK, SMTP_HELO, "HELO", "x" },
	{ "EHLO client.example", SMTPCMD_OK, SMTP_EHLO, "EHLO",
	    "client.example" },
	{ "ehlo [192.0.2.1]", SMTPCMD_OK, SMTP_EHLO, "EHLO", "[192.0.2.1]" },
	{ "MAIL FROM:<a@b.example>", SMTPCMD_OK, SMTP_MAIL, "MAIL",
	    "FROM:<a@b.example>" },
	{ "mail from:<a@b.example>", SMTPCMD_OK, SMTP_MAIL, "MAIL",
	    "from:<a@b.example>" },
	{ "MAIL  FROM:<a@b.example>", SMTPCMD_OK, SMTP_MAIL, "MAIL",
	    " FROM:<a@b.example>" },
	{ "RCPT TO:<a@b.example>", SMTPCMD_OK, SMTP_RCPT, "RCPT",
	    "TO:<a@b.example>" },
	{ "rCpT to:<a@b.example>", SMTPCMD_OK, SMTP_RCPT, "RCPT",
	    "to:<a@b.example>" },
	{ "DATA", SMTPCMD_OK, SMTP_DATA, "DATA", "" },
	{ "data", SMTPCMD_OK, SMTP_DATA, "DATA", "" },
	{ "DATA ", SMTPCMD_OK, SMTP_DATA, "DATA", "" },
	{ "BDAT 100 LAST", SMTPCMD_OK, SMTP_BDAT, "BDAT", "100 LAST" },
	{ "bdat 0", SMTPCMD_OK, SMTP_BDAT, "BDAT", "0" },
	{ "RSET", SMTPCMD_OK, SMTP_RSET, "RSET", "" },
	{ "NOOP", SMTPCMD_OK, SMTP_NOOP, "NOOP", "" },
	{ "noop anything at all", SMTPCMD_OK, SMTP_NOOP, "NOOP",
	    "anything at all" },
	{ "QUIT", SMTPCMD_OK, SMTP_QUIT, "QUIT", "" },
	{ "quit", SMTPCMD_OK, SMTP_QUIT, "QUIT", "" },
	{ "VRFY user", SMTPCMD_OK, SMTP_VRFY, "VRFY", "user" },
	{ "EXPN list", SMTPCMD_OK, SMTP_EXPN, "EXPN", "list" },
	{ "HELP", SMTPCMD_OK, SMTP_HELP, "HELP", "" },
	{ "help mail", SMTPCMD_OK, SMTP_HELP, "HELP", "mail" },
	{ "STARTTLS", SMTPCMD_OK, SMTP_STARTTLS, "STARTTLS", "" },
	{ "StartTLS", SMTPCMD_OK, SMTP_STARTTLS, "STARTTLS", "" },
	{ "AUTH PLAIN AGFsaWNlAHNlY3JldA==", SMTPCMD_OK, SMTP_AUTH, "AUTH",
	    "PLAIN AGFsaWNlAHNlY3JldA==" },
	{ "auth login", SMTPCMD_OK, SMTP_AUTH, "AUTH", "login" },
	/* not a mail client */
	{ "GET / HTTP/1.1", SMTPCMD_OK, SMTP_HTTP, NULL, "/ HTTP/1.1" },
	{ "get /", SMTPCMD_OK, SMTP_HTTP, NULL, "/" },
	{ "POST /cgi HTTP/1.0", SMTPCMD_OK, SMTP_HTTP, NULL, "/cgi HTTP/1.0" },
	{ "HEAD / HTTP/1.1", SMTPCMD_OK, SMTP_HTTP, NULL, "/ HTTP/1.1" },
	{ "PUT /x HTTP/1.1", SMTPCMD_OK, SMTP_HTTP, NULL, "/x HTTP/1.1" },
	{ "CONNECT mx.example:25 HTTP/1.1", SMTPCMD_OK, SMTP_HTTP, NULL,
	    "mx.example:25 HTTP/1.1" },
	{ "USER anonymous", SMTPCMD_OK, SMTP_HTTP, NULL, "anonymous" },
	/* unknown verbs */
	{ "FOO", SMTPCMD_OK, SMTP_UNKNOWN, NULL, "" },
	{ "FOO bar", SMTPCMD_OK, SMTP_UNKNOWN, NULL, "" },
	{ "MAILFROM:<a@b.example>", SMTPCMD_OK, SMTP_UNKNOWN, NULL, "" },
	{ "HELOX", SMTPCMD_OK, SMTP_UNKNOWN, NULL, "" },
	{ "HEL", SMTPCMD_OK, SMTP_UNKNOWN, NULL, "" },
	{ "HELO\texample.com", SMTPCMD_OK, SMTP_UNKNOWN, NULL, "" },
	{ "XCLIENT ADDR=192.0.2.1", SMTPCMD_OK, SMTP_UNKNOWN, NULL, "" },
	{ "\xc3\xa9HLO x", SMTPCMD_OK, SMTP_UNKNOWN, NULL, "" },
	/* only the empty verb is a syntax error */
	{ "", SMTPCMD_ESYNTAX, SMTP_UNKNOWN, NULL, NULL },
	{ " ", SMTPCMD_ESYNTAX, SMTP_UNKNOWN, NULL, NULL },
	{ " HELO x", SMTPCMD_ESYNTAX, SMTP_UNKNOWN, NULL, NULL },
};

static void
test_verbs(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(verb_cases) / sizeof(verb_cases[0]); i++) {
		const struct verb_case *c = &verb_cases[i];
		struct smtp_cmd cmd;
		size_t	 n = strlen(c->line);
		char	*line = dup_exact(c->line, n);

		is_int(smtpcmd_parse(line, n, &cmd), c->want,
		    "parse %zu \"%s\"", i, c->line);
		if (c->want == SMTPCMD_OK) {
			is_int(cmd.verb, c->verb, "parse %zu verb", i);
			if (c->name != NULL)
				is_str(cmd.name, c->name, "parse %zu name", i);
			if (c->verb != SMTP_UNKNOWN)
				is_mem(cmd.arg, cmd.arglen, c->arg,
				    strlen(c->arg), "parse %zu arg", i);
		}
		free(line);
	}
}

static const struct limit_case {
	const char	*verb;
	size_t		 max;	/* longest line, without CRLF */
	enum smtp_verb	 want;
} limit_cases[] = {
	{ "HELO", SMTP_LINE_MAX - 2, SMTP_HELO },
	{ "EHLO", SMTP_LINE_MAX - 2, SMTP_EHLO },
	{ "MAIL", SMTP_MAIL_LINE_MAX - 2, SMTP_MAIL },
	{ "RCPT", SMTP_RCPT_LINE_MAX - 2, SMTP_RCPT },
	{ "DATA", SMTP_LINE_MAX - 2, SMTP_DATA },
	{ "BDAT", SMTP_LINE_MAX - 2, SMTP_BDAT },
	{ "RSET", SMTP_LINE_MAX - 2, SMTP_RSET },
	{ "NOOP", SMTP_LINE_MAX - 2, SMTP_NOOP },
	{ "QUIT", SMTP_LINE_MAX - 2, SMTP_QUIT },
	{ "VRFY", SMTP_LINE_MAX - 2, SMTP_VRFY },
	{ "EXPN", SMTP_LINE_MAX - 2, SMTP_EXPN },
	{ "HELP", SMTP_LINE_MAX - 2, SMTP_HELP },
	{ "STARTTLS", SMTP_LINE_MAX - 2, SMTP_STARTTLS },
	{ "AUTH", SMTP_AUTH_LINE_MAX - 2, SMTP_AUTH },
	{ "XYZZY", SMTP_LINE_MAX - 2, SMTP_UNKNOWN },
};

static void
test_limits(void)
{
	static char line[SMTP_AUTH_LINE_MAX + 16];
	size_t	 i, vl;

	for (i = 0; i < sizeof(limit_cases) / sizeof(limit_cases[0]); i++) {
		const struct limit_case *c = &limit_cases[i];
		struct smtp_cmd cmd;
		char	*p;

		vl = strlen(c->verb);
		memcpy(line, c->verb, vl);
		line[vl] = ' ';
		memset(line + vl + 1, 'x', c->max + 1 - vl - 1);
		p = dup_exact(line, c->max);
		is_int(smtpcmd_parse(p, c->max, &cmd), SMTPCMD_OK,
		    "%s line of %zu octets", c->verb, c->max);
		is_int(cmd.verb, c->want, "%s verb", c->verb);
		free(p);
		p = dup_exact(line, c->max + 1);
		is_int(smtpcmd_parse(p, c->max + 1, &cmd), SMTPCMD_ETOOLONG,
		    "%s line of %zu octets", c->verb, c->max + 1);
		is_int(cmd.verb, c->want, "%s verb of a long line", c->verb);
		free(p);
	}
	/* MAIL's limit covers SIZE, RET/ENVID and AUTH= (RFC 1870, 3461) */
	ok(SMTP_MAIL_LINE_MAX > SMTP_LINE_MAX &&
	    SMTP_RCPT_LINE_MAX > SMTP_LINE_MAX, "MAIL and RCPT get more room");
}

static const struct mail_case {
	const char	*arg;
	unsigned	 ext;
	uint64_t	 max;
	enum smtpcmd_result want;
	enum addr_result addr_error;	/* for SMTPCMD_EADDR */
	/* checked when want is SMTPCMD_OK */
	const char	*from;
	unsigned	 flags;
	uint64_t	 size;
	enum smtp_body	 body;
	enum smtp_ret	 ret;
	bool		 utf8;
	const char	*envid;
	const char	*auth;
} mail_cases[] = {
	{ .arg = "FROM:<a@b.example>", .ext = ALL, .from = "a@b.example" },
	{ .arg = "from:<a@b.example>", .ext = ALL, .from = "a@b.example" },
	{ .arg = "From:<a@b.example>", .ext = 0, .from = "a@b.example" },
	{ .arg = "FROM: <a@b.example>", .ext = ALL, .from = "a@b.example" },
	{ .arg = "FROM:   <a@b.example>", .ext = ALL, .from = "a@b.example" },
	{ .arg = "FROM:<a@b.example> ", .ext = ALL, .from = "a@b.example" },
	{ .arg = "FROM:<>", .ext = ALL, .from = "", .flags = ADDR_NULL },
	{ .arg = "FROM:<> SIZE=10", .ext = ALL, .from = "", .size = 10,
	    .flags = ADDR_NULL },
	{ .arg = "FROM:<u%x@b.example>", .ext = ALL, .from = "u%x@b.example",
	    .flags = ADDR_PERCENT },
	/* syntax */
	{ .arg = "", .ext = ALL, .want = SMTPCMD_ESYNTAX },
	{ .arg = "FROM", .ext = ALL, .want = SMTPCMD_ESYNTAX },
	{ .arg = "FROM <a@b.example>", .ext = ALL, .want = SMTPCMD_ESYNTAX },
	{ .arg = "FROM;<a@b.example>", .ext = ALL, .want = SMTPCMD_ESYNTAX },
	{ .arg = "TO:<a@b.example>", .ext = ALL, .want = SMTPCMD_ESYNTAX },
	{ .arg = " FROM:<a@b.example>", .ext = ALL,
	    .want = SMTPCMD_ESYNTAX },
	{ .arg = "FROM:<a@b.example>x", .ext = ALL,
	    .want = SMTPCMD_ESYNTAX },
	{ .arg = "FROM:<a@b.example>SIZE=1", .ext = ALL,
	    .want = SMTPCMD_ESYNTAX },
	{ .arg = "FROM:", .ext = ALL, .want = SMTPCMD_EADDR,
	    .addr_error = ADDR_ESYNTAX },
	{ .arg = "FROM:a@b.example", .ext = ALL, .want = SMTPCMD_EADDR,
	    .addr_error = ADDR_ESYNTAX },
	{ .arg = "FROM:<a@b.example", .ext = ALL, .want = SMTPCMD_EADDR,
	    .addr_error = ADDR_ESYNTAX },
	{ .arg = "FROM:<postmaster>", .ext = ALL, .want = SMTPCMD_EADDR,
	    .addr_error = ADDR_ESYNTAX },
	{ .arg = "FROM:<a..b@b.example>", .ext = ALL, .want = SMTPCMD_EADDR,
	    .addr_error = ADDR_ESYNTAX },
	/* SIZE (RFC 1870) */
	{ .arg = "FROM:<a@b.example> SIZE=1000", .ext = ALL,
	    .from = "a@b.example", .size = 1000 },
	{ .arg = "FROM:<a@b.example> size=1000", .ext = SMTPCMD_EXT_SIZE,
	    .from = "a@b.example", .size = 1000 },
	{ .arg = "FROM:<a@b.example> SIZE=0", .ext = ALL, .max = 10,
	    .from = "a@b.example", .size = 0 },
	{ .arg = "FROM:<a@b.example> SIZE=2000", .ext = ALL, .max = 2000,
	    .from = "a@b.example", .size = 2000 },
	{ .arg = "FROM:<a@b.example> SIZE=2001", .ext = ALL, .max = 2000,
	    .want = SMTPCMD_EPARAM_SIZE },
	{ .arg = "FROM:<a@b.example> SIZE=99999999999", .ext = ALL,
	    .max = 36700160, .want = SMTPCMD_EPARAM_SIZE },
	{ .arg = "FROM:<a@b.example> SIZE=18446744073709551615", .ext = ALL,
	    .from = "a@b.example", .size = UINT64_MAX },
	{ .arg = "FROM:<a@b.example> SIZE=18446744073709551616", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> SIZE=abc", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> SIZE=-1", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> SIZE=+1", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> SIZE=1k", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> SIZE=", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> SIZE", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> SIZE=1 SIZE=1", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	/* BODY (RFC 6152) */
	{ .arg = "FROM:<a@b.example> BODY=7BIT", .ext = ALL,
	    .from = "a@b.example", .body = SMTP_BODY_7BIT },
	{ .arg = "FROM:<a@b.example> BODY=8BITMIME", .ext = ALL,
	    .from = "a@b.example", .body = SMTP_BODY_8BITMIME },
	{ .arg = "FROM:<a@b.example> body=8bitmime", .ext = ALL,
	    .from = "a@b.example", .body = SMTP_BODY_8BITMIME },
	{ .arg = "FROM:<a@b.example> BODY=BINARYMIME", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> BODY=8BIT", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> BODY=", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> BODY", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> BODY=7BIT BODY=8BITMIME", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	/* SMTPUTF8 (RFC 6531 3.4): no value */
	{ .arg = "FROM:<a@b.example> SMTPUTF8", .ext = ALL,
	    .from = "a@b.example", .utf8 = true },
	{ .arg = "FROM:<a@b.example> smtputf8", .ext = ALL,
	    .from = "a@b.example", .utf8 = true },
	{ .arg = "FROM:<a@b.example> SMTPUTF8=yes", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> SMTPUTF8 SMTPUTF8", .ext = ALL,
	    .from = "a@b.example", .utf8 = true },
	{ .arg = "FROM:<j\xc3\xb6rg@b.example> SMTPUTF8", .ext = ALL,
	    .from = "j\xc3\xb6rg@b.example", .flags = ADDR_UTF8,
	    .utf8 = true },
	{ .arg = "FROM:<a@b\xc3\xbc" "cher.example> SMTPUTF8", .ext = ALL,
	    .from = "a@b\xc3\xbc" "cher.example", .flags = ADDR_UTF8,
	    .utf8 = true },
	{ .arg = "FROM:<j\xc3\xb6rg@b.example>", .ext = ALL,
	    .want = SMTPCMD_EADDR, .addr_error = ADDR_EUTF8 },
	{ .arg = "FROM:<j\xc3\xb6rg@b.example> SIZE=10", .ext = ALL,
	    .want = SMTPCMD_EADDR, .addr_error = ADDR_EUTF8 },
	{ .arg = "FROM:<j\xc3\xb6rg@b.example>", .ext = 0,
	    .want = SMTPCMD_EADDR, .addr_error = ADDR_EUTF8 },
	{ .arg = "FROM:<j\xc3(rg@b.example> SMTPUTF8", .ext = ALL,
	    .want = SMTPCMD_EADDR, .addr_error = ADDR_ESYNTAX },
	/* RET and ENVID (RFC 3461 4.3, 4.4) */
	{ .arg = "FROM:<a@b.example> RET=FULL", .ext = ALL,
	    .from = "a@b.example", .ret = SMTP_RET_FULL },
	{ .arg = "FROM:<a@b.example> RET=HDRS", .ext = SMTPCMD_EXT_DSN,
	    .from = "a@b.example", .ret = SMTP_RET_HDRS },
	{ .arg = "FROM:<a@b.example> ret=hdrs", .ext = ALL,
	    .from = "a@b.example", .ret = SMTP_RET_HDRS },
	{ .arg = "FROM:<a@b.example> RET=NONE", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> RET", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> RET=FULL RET=HDRS", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> ENVID=QQ314159", .ext = ALL,
	    .from = "a@b.example", .envid = "QQ314159" },
	{ .arg = "FROM:<a@b.example> ENVID=a+2Bb+3D", .ext = ALL,
	    .from = "a@b.example", .envid = "a+2Bb+3D" },
	{ .arg = "FROM:<a@b.example> ENVID=<id@x>", .ext = ALL,
	    .from = "a@b.example", .envid = "<id@x>" },
	{ .arg = "FROM:<a@b.example> ENVID=a+2bb", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> ENVID=a+2", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> ENVID=a+", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> ENVID=a+XY", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> ENVID=j\xc3\xb6rg", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> ENVID=", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> ENVID", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> ENVID=a ENVID=b", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	/* AUTH (RFC 4954 5) */
	{ .arg = "FROM:<a@b.example> AUTH=<>", .ext = ALL,
	    .from = "a@b.example", .auth = "<>" },
	{ .arg = "FROM:<a@b.example> AUTH=alice+40b.example",
	    .ext = SMTPCMD_EXT_AUTH, .from = "a@b.example",
	    .auth = "alice+40b.example" },
	{ .arg = "FROM:<a@b.example> AUTH=", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> AUTH", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> AUTH=a+4", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> AUTH=<> AUTH=<>", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	/* all together */
	{ .arg = "FROM:<a@b.example> SIZE=100 BODY=8BITMIME SMTPUTF8 "
	    "RET=HDRS ENVID=abc AUTH=<>", .ext = ALL, .max = 100,
	    .from = "a@b.example", .size = 100, .body = SMTP_BODY_8BITMIME,
	    .ret = SMTP_RET_HDRS, .utf8 = true, .envid = "abc",
	    .auth = "<>" },
	{ .arg = "FROM:<a@b.example>  SIZE=1   BODY=7BIT  ", .ext = ALL,
	    .from = "a@b.example", .size = 1, .body = SMTP_BODY_7BIT },
	/* unknown parameters and bad keywords */
	{ .arg = "FROM:<a@b.example> FOO=bar", .ext = ALL,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> X-FOO", .ext = ALL,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> NOTIFY=NEVER", .ext = ALL,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> SIZE=1 FOO", .ext = ALL,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> FOO=", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> FOO=a=b", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> FOO=a\x01" "b", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> FOO=a\x7f" "b", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "FROM:<a@b.example> =bar", .ext = ALL,
	    .want = SMTPCMD_ESYNTAX },
	{ .arg = "FROM:<a@b.example> -FOO", .ext = ALL,
	    .want = SMTPCMD_ESYNTAX },
	{ .arg = "FROM:<a@b.example> FO_O", .ext = ALL,
	    .want = SMTPCMD_ESYNTAX },
	{ .arg = "FROM:<a@b.example> F\xc3\xb6O", .ext = ALL,
	    .want = SMTPCMD_ESYNTAX },
	/* not advertised: unknown */
	{ .arg = "FROM:<a@b.example> SIZE=10", .ext = 0,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> BODY=8BITMIME", .ext = 0,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> SMTPUTF8", .ext = 0,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> RET=FULL", .ext = 0,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> ENVID=x", .ext = 0,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> AUTH=<>", .ext = 0,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> SIZE=10", .ext = ALL & ~SMTPCMD_EXT_SIZE,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> BODY=8BITMIME",
	    .ext = ALL & ~SMTPCMD_EXT_8BITMIME,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<j\xc3\xb6rg@b.example> SMTPUTF8",
	    .ext = ALL & ~SMTPCMD_EXT_SMTPUTF8,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> RET=FULL", .ext = ALL & ~SMTPCMD_EXT_DSN,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "FROM:<a@b.example> AUTH=<>", .ext = ALL & ~SMTPCMD_EXT_AUTH,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
};

static void
test_mail(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(mail_cases) / sizeof(mail_cases[0]); i++) {
		const struct mail_case *c = &mail_cases[i];
		struct smtp_mail m;
		size_t	 n = strlen(c->arg);
		char	*arg = dup_exact(c->arg, n);
		enum smtpcmd_result r;

		r = smtpcmd_mail(arg, n, c->ext, c->max, &m);
		free(arg);
		is_int(r, c->want, "mail %zu \"%s\" ext %#x", i, c->arg,
		    c->ext);
		if (c->want == SMTPCMD_EADDR && r == SMTPCMD_EADDR)
			is_int(m.addr_error, c->addr_error,
			    "mail %zu addr_error", i);
		if (c->want != SMTPCMD_OK || r != SMTPCMD_OK)
			continue;
		is_str(m.from.mailbox, c->from, "mail %zu from", i);
		is_int(m.from.flags, c->flags, "mail %zu flags", i);
		is_int(m.size, c->size, "mail %zu size", i);
		is_int(m.body, c->body, "mail %zu body", i);
		is_int(m.ret, c->ret, "mail %zu ret", i);
		is_int(m.smtputf8, c->utf8, "mail %zu smtputf8", i);
		is_str(m.envid, c->envid ? c->envid : "", "mail %zu envid", i);
		is_str(m.auth, c->auth ? c->auth : "", "mail %zu auth", i);
		is_int(m.addr_error, ADDR_OK, "mail %zu no addr_error", i);
	}
}

static void
test_mail_lengths(void)
{
	char	 arg[1024], val[600];
	struct smtp_mail m;
	int	 n;

	/* ENVID: 100 characters (RFC 3461 4.4) */
	memset(val, 'e', 100);
	val[100] = '\0';
	n = snprintf(arg, sizeof(arg), "FROM:<a@b.example> ENVID=%s", val);
	is_int(smtpcmd_mail(arg, (size_t)n, ALL, 0, &m), SMTPCMD_OK,
	    "ENVID of 100 characters");
	is_str(m.envid, val, "ENVID of 100 characters kept");
	val[100] = 'e';
	val[101] = '\0';
	n = snprintf(arg, sizeof(arg), "FROM:<a@b.example> ENVID=%s", val);
	is_int(smtpcmd_mail(arg, (size_t)n, ALL, 0, &m), SMTPCMD_EPARAM,
	    "ENVID of 101 characters");

	/* AUTH= is kept in a buffer of ADDR_PATH_MAX */
	memset(val, 'a', ADDR_PATH_MAX);
	val[ADDR_PATH_MAX] = '\0';
	n = snprintf(arg, sizeof(arg), "FROM:<a@b.example> AUTH=%s", val);
	is_int(smtpcmd_mail(arg, (size_t)n, ALL, 0, &m), SMTPCMD_OK,
	    "AUTH= of %d characters", ADDR_PATH_MAX);
	is_int(strlen(m.auth), ADDR_PATH_MAX, "AUTH= kept whole");
	val[ADDR_PATH_MAX] = 'a';
	val[ADDR_PATH_MAX + 1] = '\0';
	n = snprintf(arg, sizeof(arg), "FROM:<a@b.example> AUTH=%s", val);
	is_int(smtpcmd_mail(arg, (size_t)n, ALL, 0, &m), SMTPCMD_EPARAM,
	    "AUTH= of %d characters", ADDR_PATH_MAX + 1);

	/* the path's own limit */
	memset(val, 'l', 65);
	val[65] = '\0';
	n = snprintf(arg, sizeof(arg), "FROM:<%s@b.example>", val);
	is_int(smtpcmd_mail(arg, (size_t)n, ALL, 0, &m), SMTPCMD_EADDR,
	    "local part of 65 octets");
	is_int(m.addr_error, ADDR_ETOOLONG, "local part of 65: ETOOLONG");
}

static const struct rcpt_case {
	const char	*arg;
	unsigned	 ext;
	bool		 utf8;
	enum smtpcmd_result want;
	enum addr_result addr_error;
	const char	*to;
	unsigned	 flags;
	unsigned	 notify;
	const char	*orcpt;
	const char	*todo;
} rcpt_cases[] = {
	{ .arg = "TO:<a@b.example>", .ext = ALL, .to = "a@b.example" },
	{ .arg = "to:<a@b.example>", .ext = 0, .to = "a@b.example" },
	{ .arg = "TO: <a@b.example>", .ext = ALL, .to = "a@b.example" },
	{ .arg = "TO:<a@b.example> ", .ext = ALL, .to = "a@b.example" },
	{ .arg = "TO:<@r.example:a@b.example>", .ext = ALL,
	    .to = "a@b.example", .flags = ADDR_ROUTE },
	{ .arg = "TO:<a@[192.0.2.1]>", .ext = ALL, .to = "a@[192.0.2.1]",
	    .flags = ADDR_LITERAL },
	/* RFC 5321 4.5.1: <postmaster> must be accepted */
	{ .arg = "TO:<postmaster>", .ext = ALL, .to = "postmaster",
	    .flags = ADDR_NODOMAIN },
	{ .arg = "TO:<Postmaster> NOTIFY=NEVER", .ext = ALL,
	    .to = "Postmaster", .flags = ADDR_NODOMAIN,
	    .notify = SMTP_NOTIFY_NEVER },
	{ .arg = "TO:<>", .ext = ALL, .want = SMTPCMD_EADDR,
	    .addr_error = ADDR_ESYNTAX },
	{ .arg = "TO:", .ext = ALL, .want = SMTPCMD_EADDR,
	    .addr_error = ADDR_ESYNTAX },
	{ .arg = "TO:a@b.example", .ext = ALL, .want = SMTPCMD_EADDR,
	    .addr_error = ADDR_ESYNTAX },
	{ .arg = "FROM:<a@b.example>", .ext = ALL, .want = SMTPCMD_ESYNTAX },
	{ .arg = "TO <a@b.example>", .ext = ALL, .want = SMTPCMD_ESYNTAX },
	{ .arg = "", .ext = ALL, .want = SMTPCMD_ESYNTAX },
	{ .arg = "TO:<a@b.example>x", .ext = ALL, .want = SMTPCMD_ESYNTAX },
	/* UTF-8 only when MAIL carried SMTPUTF8 */
	{ .arg = "TO:<j\xc3\xb6rg@b.example>", .ext = ALL, .utf8 = true,
	    .to = "j\xc3\xb6rg@b.example", .flags = ADDR_UTF8 },
	{ .arg = "TO:<j\xc3\xb6rg@b.example>", .ext = ALL,
	    .want = SMTPCMD_EADDR, .addr_error = ADDR_EUTF8 },
	{ .arg = "TO:<a@b\xc3\xbc" "cher.example>", .ext = ALL,
	    .want = SMTPCMD_EADDR, .addr_error = ADDR_EUTF8 },
	/* NOTIFY (RFC 3461 4.1) */
	{ .arg = "TO:<a@b.example> NOTIFY=NEVER", .ext = ALL,
	    .to = "a@b.example", .notify = SMTP_NOTIFY_NEVER },
	{ .arg = "TO:<a@b.example> NOTIFY=SUCCESS", .ext = ALL,
	    .to = "a@b.example", .notify = SMTP_NOTIFY_SUCCESS },
	{ .arg = "TO:<a@b.example> NOTIFY=FAILURE", .ext = SMTPCMD_EXT_DSN,
	    .to = "a@b.example", .notify = SMTP_NOTIFY_FAILURE },
	{ .arg = "TO:<a@b.example> NOTIFY=DELAY", .ext = ALL,
	    .to = "a@b.example", .notify = SMTP_NOTIFY_DELAY },
	{ .arg = "TO:<a@b.example> NOTIFY=SUCCESS,FAILURE", .ext = ALL,
	    .to = "a@b.example",
	    .notify = SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE },
	{ .arg = "TO:<a@b.example> NOTIFY=DELAY,FAILURE,SUCCESS", .ext = ALL,
	    .to = "a@b.example", .notify = SMTP_NOTIFY_SUCCESS |
	    SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY },
	{ .arg = "TO:<a@b.example> notify=failure,delay", .ext = ALL,
	    .to = "a@b.example",
	    .notify = SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY },
	{ .arg = "TO:<a@b.example> NOTIFY=NEVER,SUCCESS", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY=FAILURE,NEVER", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY=NEVER,NEVER", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY=SUCCESS,SUCCESS", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY=SUCCESS,", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY=,SUCCESS", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY=SUCCESS,,FAILURE", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY=,", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY=ALWAYS", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY=SUCCES", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY=", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> NOTIFY=NEVER NOTIFY=NEVER", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	/* ORCPT (RFC 3461 4.2) */
	{ .arg = "TO:<a@b.example> ORCPT=rfc822;a@b.example", .ext = ALL,
	    .to = "a@b.example", .orcpt = "rfc822;a@b.example" },
	{ .arg = "TO:<a@b.example> ORCPT=rfc822;a+2Bb@b.example",
	    .ext = SMTPCMD_EXT_DSN, .to = "a@b.example",
	    .orcpt = "rfc822;a+2Bb@b.example" },
	{ .arg = "TO:<a@b.example> orcpt=RFC822;x", .ext = ALL,
	    .to = "a@b.example", .orcpt = "RFC822;x" },
	{ .arg = "TO:<a@b.example> ORCPT=x-local-1;x", .ext = ALL,
	    .to = "a@b.example", .orcpt = "x-local-1;x" },
	{ .arg = "TO:<a@b.example> ORCPT=utf-8;j\xc3\xb6rg@b.example",
	    .ext = ALL, .utf8 = true, .to = "a@b.example",
	    .orcpt = "utf-8;j\xc3\xb6rg@b.example" },
	{ .arg = "TO:<a@b.example> ORCPT=rfc822;", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> ORCPT=;a@b.example", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> ORCPT=rfc822", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> ORCPT=rfc_822;a@b.example", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> ORCPT=rfc822;a\xc3(b", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> ORCPT=", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> ORCPT", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> ORCPT=rfc822;a ORCPT=rfc822;b", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	/*
	 * "+ZZ" is neither xtext (RFC 3461 4) nor utf-8-addr-xtext/unitext
	 * (RFC 6533 3, whose QCHAR excludes "+"); "+2b" is lower-case hex.
	 */
	{ .arg = "TO:<a@b.example> ORCPT=rfc822;a+ZZ@b.example", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	{ .arg = "TO:<a@b.example> ORCPT=rfc822;a+2b@b.example", .ext = ALL,
	    .want = SMTPCMD_EPARAM },
	/* together, and unknown */
	{ .arg = "TO:<a@b.example> NOTIFY=SUCCESS,DELAY "
	    "ORCPT=rfc822;a@b.example", .ext = ALL, .to = "a@b.example",
	    .notify = SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_DELAY,
	    .orcpt = "rfc822;a@b.example" },
	{ .arg = "TO:<a@b.example> ORCPT=rfc822;a@b.example NOTIFY=NEVER",
	    .ext = ALL, .to = "a@b.example", .notify = SMTP_NOTIFY_NEVER,
	    .orcpt = "rfc822;a@b.example" },
	{ .arg = "TO:<a@b.example> FOO=1", .ext = ALL,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "TO:<a@b.example> SIZE=1", .ext = ALL,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "TO:<a@b.example> SMTPUTF8", .ext = ALL,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "TO:<a@b.example> NOTIFY=NEVER", .ext = 0,
	    .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "TO:<a@b.example> ORCPT=rfc822;a@b.example",
	    .ext = ALL & ~SMTPCMD_EXT_DSN, .want = SMTPCMD_EPARAM_UNKNOWN },
	{ .arg = "TO:<a@b.example> =x", .ext = ALL, .want = SMTPCMD_ESYNTAX },
};

static void
test_rcpt(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(rcpt_cases) / sizeof(rcpt_cases[0]); i++) {
		const struct rcpt_case *c = &rcpt_cases[i];
		struct smtp_rcpt r;
		size_t	 n = strlen(c->arg);
		char	*arg = dup_exact(c->arg, n);
		enum smtpcmd_result res;

		if (c->todo != NULL)
			todo(c->todo);
		res = smtpcmd_rcpt(arg, n, c->ext, c->utf8, &r);
		free(arg);
		is_int(res, c->want, "rcpt %zu \"%s\" ext %#x utf8 %d", i,
		    c->arg, c->ext, c->utf8);
		if (c->want == SMTPCMD_EADDR && res == SMTPCMD_EADDR)
			is_int(r.addr_error, c->addr_error,
			    "rcpt %zu addr_error", i);
		if (c->want == SMTPCMD_OK && res == SMTPCMD_OK) {
			is_str(r.to.mailbox, c->to, "rcpt %zu to", i);
			is_int(r.to.flags, c->flags, "rcpt %zu flags", i);
			is_int(r.notify, c->notify, "rcpt %zu notify", i);
			is_str(r.orcpt, c->orcpt ? c->orcpt : "",
			    "rcpt %zu orcpt", i);
		}
		todo_end();
	}
}

static void
test_rcpt_lengths(void)
{
	char	 arg[1024], val[600];
	struct smtp_rcpt r;
	int	 n;

	/* ORCPT: 500 characters (RFC 3461 4.2) */
	memcpy(val, "rfc822;", 7);
	memset(val + 7, 'o', 500 - 7);
	val[500] = '\0';
	n = snprintf(arg, sizeof(arg), "TO:<a@b.example> ORCPT=%s", val);
	is_int(smtpcmd_rcpt(arg, (size_t)n, ALL, false, &r), SMTPCMD_OK,
	    "ORCPT of 500 characters");
	is_str(r.orcpt, val, "ORCPT of 500 characters kept");
	val[500] = 'o';
	val[501] = '\0';
	n = snprintf(arg, sizeof(arg), "TO:<a@b.example> ORCPT=%s", val);
	is_int(smtpcmd_rcpt(arg, (size_t)n, ALL, false, &r), SMTPCMD_EPARAM,
	    "ORCPT of 501 characters");
}

static const struct bdat_case {
	const char	*arg;
	enum smtpcmd_result want;
	uint64_t	 size;
	bool		 last;
} bdat_cases[] = {
	{ "0", SMTPCMD_OK, 0, false },
	{ "100", SMTPCMD_OK, 100, false },
	{ "100 LAST", SMTPCMD_OK, 100, true },
	{ "100 last", SMTPCMD_OK, 100, true },
	{ "0 LAST", SMTPCMD_OK, 0, true },
	{ "007", SMTPCMD_OK, 7, false },
	{ "18446744073709551615 LAST", SMTPCMD_OK, UINT64_MAX, true },
	{ "18446744073709551616", SMTPCMD_ESYNTAX, 0, false },
	{ "", SMTPCMD_ESYNTAX, 0, false },
	{ " ", SMTPCMD_ESYNTAX, 0, false },
	{ "LAST", SMTPCMD_ESYNTAX, 0, false },
	{ " 100", SMTPCMD_ESYNTAX, 0, false },
	{ "100 ", SMTPCMD_ESYNTAX, 0, false },
	{ "100  LAST", SMTPCMD_ESYNTAX, 0, false },
	{ "100 LAST ", SMTPCMD_ESYNTAX, 0, false },
	{ "100 LASTX", SMTPCMD_ESYNTAX, 0, false },
	{ "100 LAS", SMTPCMD_ESYNTAX, 0, false },
	{ "100 FIRST", SMTPCMD_ESYNTAX, 0, false },
	{ "100 LAST LAST", SMTPCMD_ESYNTAX, 0, false },
	{ "-1", SMTPCMD_ESYNTAX, 0, false },
	{ "+1", SMTPCMD_ESYNTAX, 0, false },
	{ "1e3", SMTPCMD_ESYNTAX, 0, false },
	{ "0x10", SMTPCMD_ESYNTAX, 0, false },
	{ "100\tLAST", SMTPCMD_ESYNTAX, 0, false },
};

static void
test_bdat(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(bdat_cases) / sizeof(bdat_cases[0]); i++) {
		const struct bdat_case *c = &bdat_cases[i];
		size_t	 n = strlen(c->arg);
		char	*arg = dup_exact(c->arg, n);
		uint64_t size = 12345;
		bool	 last = !c->last;
		enum smtpcmd_result r;

		r = smtpcmd_bdat(arg, n, &size, &last);
		free(arg);
		is_int(r, c->want, "bdat %zu \"%s\"", i, c->arg);
		if (r == SMTPCMD_OK && c->want == SMTPCMD_OK) {
			is_int(size == c->size, 1, "bdat %zu size", i);
			is_int(last, c->last, "bdat %zu last", i);
		}
	}
}

static const struct xtext_case {
	const char	*s;
	bool		 want;
} xtext_cases[] = {
	{ "", true },
	{ "abc", true },
	{ "QQ314159", true },
	{ "a+2Bb", true },
	{ "+2B", true },
	{ "+41+42+43", true },
	{ "+00+FF", true },
	{ "!\"#$%&'()*,-./:;<>?@[\\]^_`{|}~", true },
	{ "+2b", false },
	{ "+ab", false },
	{ "+2", false },
	{ "+", false },
	{ "a+", false },
	{ "+4G", false },
	{ "+G4", false },
	{ "++41", false },
	{ "a=b", false },
	{ "=", false },
	{ "a b", false },
	{ "a\tb", false },
	{ "\x01", false },
	{ "\x7f", false },
	{ "\x80", false },
	{ "j\xc3\xb6rg", false },
};

static void
test_xtext(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(xtext_cases) / sizeof(xtext_cases[0]); i++) {
		const struct xtext_case *c = &xtext_cases[i];
		size_t	 n = strlen(c->s);
		char	*s = dup_exact(c->s, n);

		is_int(smtpcmd_xtext_valid(s, n), c->want, "xtext %zu \"%s\"",
		    i, c->s);
		free(s);
	}
	ok(!smtpcmd_xtext_valid("a+2Bxyz", 3),
	    "xtext: n, not NUL, ends the text (a+2B cut to a+2)");
}

int
main(void)
{
	test_verbs();
	test_limits();
	test_mail();
	test_mail_lengths();
	test_rcpt();
	test_rcpt_lengths();
	test_bdat();
	test_xtext();
	return done_testing();
}
