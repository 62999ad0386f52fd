/*
 * reply.c — unit tests for libexec/common/reply.c: walk the whole reply
 * table (RFC 5321 4.2 codes, RFC 3463 enhanced codes, printable texts),
 * reply_format and the sysexits(3) mapping.
 */
#include <stdbool.h>
#include <string.h>
#include <sysexits.h>

#include "reply.h"
#include "tap.h"

/* RFC 3463 2: class "." subject "." detail, 1-3 digits after the class. */
static bool
ecode_shape(const char *e)
{
	size_t	 i = 0, part, digits;

	if (e[0] < '2' || e[0] > '5' || e[0] == '3' || e[1] != '.')
		return false;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (digits = 0; e[i] >= '0' && e[i] <= '9'; i++)
			digits++;
		if (digits == 0 || digits > 3)
			return false;
		if (part == 0 && e[i++] != '.')
			return false;
	}
	return e[i] == '\0';
}

static bool
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static void
test_table(void)
{
	size_t	 i, j;

	for (i = 0; i < REPLY_COUNT; i++) {
		const struct reply *r = reply_get((enum reply_id)i);
		const char *name = r->name ? r->name : "(null)";

		ok(r->name != NULL && strncmp(r->name, "REPLY_", 6) == 0,
		    "reply %zu has a name: %s", i, name);
		ok((r->code >= 200 && r->code <= 599 && r->code / 100 != 3) ||
		    r->code == 354, "%s: code %d is 2xx, 4xx, 5xx or 354",
		    name, r->code);
		if (r->code == 354)
			ok(r->ecode == NULL, "%s: 354 has no enhanced code",
			    name);
		else if (ok(r->ecode != NULL, "%s: has an enhanced code",
		    name)) {
			ok(ecode_shape(r->ecode),
			    "%s: enhanced code \"%s\" has the RFC 3463 shape",
			    name, r->ecode);
			is_int(r->ecode[0] - '0', r->code / 100,
			    "%s: class of %s agrees with %d", name, r->ecode,
			    r->code);
		}
		ok(r->text != NULL && r->text[0] != '\0' && printable(r->text),
		    "%s: text is printable ASCII", name);
		ok(r->text != NULL && strpbrk(r->text, "\r\n") == NULL,
		    "%s: text has no CR or LF", name);
		ok(r->text != NULL && r->text[0] != ' ' &&
		    r->text[strlen(r->text) - 1] != ' ',
		    "%s: text has no outer spaces", name);
		/* 512 octets per reply line (RFC 5321 4.5.3.1.5) */
		ok(r->text != NULL && strlen(r->text) < 400,
		    "%s: text leaves room for extra", name);
		for (j = 0; j < i; j++) {
			const struct reply *o = reply_get((enum reply_id)j);

			if (r->name != NULL && o->name != NULL &&
			    strcmp(r->name, o->name) == 0)
				ok(0, "%s: name used twice (%zu and %zu)",
				    name, j, i);
		}
	}
}

/* A few entries the protocol fixes. */
static const struct fixed_case {
	enum reply_id	 id;
	int		 code;
	const char	*ecode;
} fixed_cases[] = {
	{ REPLY_BYE, 221, "2.0.0" },
	{ REPLY_OK, 250, "2.0.0" },
	{ REPLY_DATA_GO, 354, NULL },
	{ REPLY_LINE_TOO_LONG, 500, "5.5.2" },
	{ REPLY_UNKNOWN_CMD, 500, "5.5.2" },
	{ REPLY_SYNTAX, 501, "5.5.4" },
	{ REPLY_PARAM_UNKNOWN, 555, "5.5.4" },
	{ REPLY_SIZE_EXCEEDED, 552, "5.3.4" },
	{ REPLY_NO_SUCH_USER, 550, "5.1.1" },
	{ REPLY_NEED_SMTPUTF8, 553, "5.6.7" },
	{ REPLY_TOO_MANY_RCPTS, 452, "4.5.3" },
	{ REPLY_DISK_FULL, 452, "4.3.1" },
	{ REPLY_LOCAL_ERROR, 451, "4.3.0" },
};

static void
test_fixed(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(fixed_cases) / sizeof(fixed_cases[0]); i++) {
		const struct fixed_case *c = &fixed_cases[i];
		const struct reply *r = reply_get(c->id);

		is_int(r->code, c->code, "%s code", r->name);
		if (c->ecode == NULL)
			ok(r->ecode == NULL, "%s has no enhanced code",
			    r->name);
		else
			is_str(r->ecode, c->ecode, "%s enhanced code",
			    r->name);
	}
	/* the class of the first line is what every client looks at */
	for (i = 0; i < REPLY_COUNT; i++) {
		const struct reply *r = reply_get((enum reply_id)i);

		if (r->name == NULL)
			continue;
		if (strstr(r->name, "LOCAL_ERROR") != NULL ||
		    strstr(r->name, "DISK_FULL") != NULL ||
		    strstr(r->name, "TIMEOUT") != NULL ||
		    strstr(r->name, "NOT_AVAILABLE") != NULL)
			is_int(r->code / 100, 4, "%s is temporary", r->name);
	}
}

static void
test_format(void)
{
	char	 out[512], small[8];
	size_t	 n, i;

	n = reply_format(REPLY_OK, NULL, out, sizeof(out));
	is_str(out, "250 2.0.0 Ok", "format REPLY_OK");
	is_int(n, strlen(out), "format returns the length");

	n = reply_format(REPLY_QUEUED, "0123456789ABCDEF01", out, sizeof(out));
	is_str(out, "250 2.0.0 Ok: queued as 0123456789ABCDEF01",
	    "format with extra");
	is_int(n, strlen(out), "format with extra: length");

	n = reply_format(REPLY_DATA_GO, NULL, out, sizeof(out));
	is_str(out, "354 End data with <CR><LF>.<CR><LF>",
	    "format 354 has no enhanced code");
	is_int(n, strlen(out), "format 354: length");

	n = reply_format(REPLY_DATA_GO, "x", out, sizeof(out));
	is_str(out, "354 End data with <CR><LF>.<CR><LF> x",
	    "format 354 with extra");

	/* truncation */
	n = reply_format(REPLY_OK, NULL, small, sizeof(small));
	is_str(small, "250 2.0", "format truncated to outsz - 1");
	is_int(n, sizeof(small) - 1, "format truncated: length");
	n = reply_format(REPLY_OK, NULL, small, 1);
	is_str(small, "", "format into 1 octet");
	is_int(n, 0, "format into 1 octet: length");

	/* every entry formats as CODE SP [ECODE SP] TEXT */
	for (i = 0; i < REPLY_COUNT; i++) {
		const struct reply *r = reply_get((enum reply_id)i);
		char	 want[512];

		n = reply_format((enum reply_id)i, NULL, out, sizeof(out));
		if (r->ecode != NULL)
			(void)snprintf(want, sizeof(want), "%d %s %s", r->code,
			    r->ecode, r->text);
		else
			(void)snprintf(want, sizeof(want), "%d %s", r->code,
			    r->text);
		is_str(out, want, "format %s", r->name);
		is_int(n, strlen(want), "format %s: length", r->name);
	}
}

static const struct sysexit_case {
	int		 status;
	enum reply_id	 want;
	int		 class;	/* first digit */
} sysexit_cases[] = {
	{ EX_OK, REPLY_OK, 2 },
	{ EX_TEMPFAIL, REPLY_LOCAL_ERROR, 4 },
	{ EX_IOERR, REPLY_LOCAL_ERROR, 4 },
	{ EX_OSERR, REPLY_LOCAL_ERROR, 4 },
	{ EX_OSFILE, REPLY_LOCAL_ERROR, 4 },
	{ EX_CANTCREAT, REPLY_LOCAL_ERROR, 4 },
	{ EX_SOFTWARE, REPLY_LOCAL_ERROR, 4 },
	{ EX_CONFIG, REPLY_LOCAL_ERROR, 4 },
	{ EX_NOUSER, REPLY_NO_SUCH_USER, 5 },
	{ EX_NOPERM, REPLY_RELAY_DENIED, 5 },
	{ EX_DATAERR, REPLY_DATA_HEADER, 5 },
	{ EX_USAGE, REPLY_SYNTAX, 5 },
	{ EX_UNAVAILABLE, REPLY_PERMANENT, 5 },
	{ EX_NOHOST, REPLY_PERMANENT, 5 },
	{ EX_NOINPUT, REPLY_PERMANENT, 5 },
	{ EX_PROTOCOL, REPLY_PERMANENT, 5 },
	{ 1, REPLY_PERMANENT, 5 },
	{ 2, REPLY_PERMANENT, 5 },
	{ 99, REPLY_PERMANENT, 5 },
	{ 126, REPLY_PERMANENT, 5 },
	{ 255, REPLY_PERMANENT, 5 },
	{ -1, REPLY_PERMANENT, 5 },
};

static void
test_sysexit(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(sysexit_cases) / sizeof(sysexit_cases[0]);
	    i++) {
		const struct sysexit_case *c = &sysexit_cases[i];
		enum reply_id id = reply_from_sysexit(c->status);

		is_int(id, c->want, "sysexit %d -> %s", c->status,
		    reply_get(c->want)->name);
		is_int(reply_get(id)->code / 100, c->class,
		    "sysexit %d -> %dxx", c->status, c->class);
	}
	is_int(reply_get(reply_from_sysexit(EX_NOUSER))->code, 550,
	    "EX_NOUSER -> 550");
}

int
main(void)
{
	test_table();
	test_fixed();
	test_format();
	test_sysexit();
	return done_testing();
}
