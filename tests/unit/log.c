/*
 * log.c — unit tests for libexec/common/log.c: the line format (priority,
 * sid= or prog=, event=, key=value), escaping that keeps a client from
 * forging fields or lines, the event functions' field names, long lines,
 * and log_field reading every value back.  stderr is sent to a temporary
 * file and read back.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"

static char dir[PATH_MAX], logpath[PATH_MAX];
static int saved_stderr = -1;
static char got[8192];

/* From now on stderr goes to a fresh file. */
static void
capture(void)
{
	int	 fd;

	if (saved_stderr == -1 && (saved_stderr = dup(STDERR_FILENO)) == -1)
		bail_out("dup", strerror(errno));
	fd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || dup2(fd, STDERR_FILENO) == -1)
		bail_out(logpath, strerror(errno));
	(void)close(fd);
}

/* stderr back; what was written is in got. */
static const char *
captured(void)
{
	ssize_t	 n;
	int	 fd;

	(void)dup2(saved_stderr, STDERR_FILENO);
	got[0] = '\0';
	if ((fd = open(logpath, O_RDONLY)) == -1)
		return got;
	n = read(fd, got, sizeof(got) - 1);
	(void)close(fd);
	got[n > 0 ? n : 0] = '\0';
	return got;
}

static const struct value_case {
	const char	*val;
	size_t		 len;	/* 0: strlen */
	const char	*want;	/* " k=..." */
} value_cases[] = {
	{ "abc", 0, " k=abc" },
	{ "a@b.example", 0, " k=a@b.example" },
	{ "<a@b.example>", 0, " k=<a@b.example>" },
	{ "", 0, " k=\"\"" },
	{ "a b", 0, " k=\"a b\"" },
	{ "a\"b", 0, " k=\"a\\\"b\"" },
	{ "a\\b", 0, " k=\"a\\\\b\"" },
	{ "a=b", 0, " k=\"a=b\"" },
	{ "a\nb", 0, " k=\"a\\x0ab\"" },
	{ "a\r\nb", 0, " k=\"a\\x0d\\x0ab\"" },
	{ "\t", 0, " k=\"\\x09\"" },
	{ "\x7f", 0, " k=\"\\x7f\"" },
	{ "j\xc3\xb6rg", 0, " k=\"j\\xc3\\xb6rg\"" },
	{ "a\0b", 3, " k=\"a\\x00b\"" },
	{ "x event=fake", 0, " k=\"x event=fake\"" },
	{ "x\n<3>sid=evil event=forged", 0,
	    " k=\"x\\x0a<3>sid=evil event=forged\"" },
};

static void
test_values(void)
{
	size_t	 i;

	log_open("tambotest");
	log_set_session("");
	for (i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
		const struct value_case *c = &value_cases[i];
		struct logline l;
		char	 want[256];

		capture();
		log_start(&l, LOG_INFO, "ev");
		log_mem(&l, "k", c->val, c->len ? c->len : strlen(c->val));
		log_emit(&l);
		(void)snprintf(want, sizeof(want),
		    "<6>prog=tambotest event=ev%s\n", c->want);
		is_str(captured(), want, "value %zu", i);
	}
	capture();
	{
		struct logline l;

		log_start(&l, LOG_ERR, "ev");
		log_str(&l, "s", NULL);
		log_num(&l, "n", 0);
		log_num(&l, "big", 18446744073709551615ULL);
		log_emit(&l);
	}
	is_str(captured(),
	    "<3>prog=tambotest event=ev s=\"\" n=0 big=18446744073709551615\n",
	    "NULL string, numbers");
}

static void
test_session(void)
{
	struct logline l;
	char	 sid[100], want[200];

	log_set_session("S1");
	capture();
	log_start(&l, LOG_NOTICE, "x");
	log_emit(&l);
	is_str(captured(), "<5>sid=S1 event=x\n", "session id leads");
	log_set_session("");
	capture();
	log_start(&l, LOG_DEBUG, "x");
	log_emit(&l);
	is_str(captured(), "<7>prog=tambotest event=x\n",
	    "no session id: the program");
	capture();
	log_start(&l, LOG_WARNING | 0x80, "x");
	log_emit(&l);
	is_str(captured(), "<4>prog=tambotest event=x\n",
	    "facility bits are dropped");

	memset(sid, 's', sizeof(sid) - 1);
	sid[sizeof(sid) - 1] = '\0';
	log_set_session(sid);
	capture();
	log_start(&l, LOG_INFO, "x");
	log_emit(&l);
	memset(sid, 's', 63);
	sid[63] = '\0';
	(void)snprintf(want, sizeof(want), "<6>sid=%s event=x\n", sid);
	is_str(captured(), want, "a long session id is cut to 63");
	log_set_session("");
}

static void
test_events(void)
{
	log_set_session("T");
	capture();
	log_connect("mx", "192.0.2.1", 25);
	is_str(captured(), "<6>sid=T event=connect mode=mx client=192.0.2.1 "
	    "port=25\n", "connect");
	capture();
	log_helo("EHLO", "client.example");
	is_str(captured(), "<6>sid=T event=helo verb=EHLO "
	    "helo=client.example\n", "helo");
	capture();
	log_helo("HELO", "evil\r\nsid=x");
	is_str(captured(), "<6>sid=T event=helo verb=HELO "
	    "helo=\"evil\\x0d\\x0asid=x\"\n", "helo escaped");
	capture();
	log_mail("a@b.example", "250 2.1.0 Sender ok");
	is_str(captured(), "<6>sid=T event=mail from=a@b.example "
	    "reply=\"250 2.1.0 Sender ok\"\n", "mail accepted: info");
	capture();
	log_mail("", "501 5.1.7 Bad sender address syntax");
	is_str(captured(), "<5>sid=T event=mail from=\"\" "
	    "reply=\"501 5.1.7 Bad sender address syntax\"\n",
	    "mail refused: notice");
	capture();
	log_rcpt("c@d.example", "550 5.1.1 No such user here");
	is_str(captured(), "<5>sid=T event=rcpt to=c@d.example "
	    "reply=\"550 5.1.1 No such user here\"\n", "rcpt refused");
	capture();
	log_reject("DATA", "554 5.6.0", "bare LF");
	is_str(captured(), "<5>sid=T event=reject cmd=DATA "
	    "reply=\"554 5.6.0\" reason=\"bare LF\"\n", "reject");
	capture();
	log_queued("0123456789ABCDEF01", "a@b.example", 3, 12345);
	is_str(captured(), "<6>sid=T event=queued id=0123456789ABCDEF01 "
	    "from=a@b.example nrcpt=3 size=12345\n", "queued");
	capture();
	log_disconnect("quit", 1, 0, 250);
	is_str(captured(), "<6>sid=T event=disconnect reason=quit messages=1 "
	    "errors=0 ms=250\n", "disconnect");
	capture();
	log_error("open", "/etc/x", ENOENT);
	is_str(captured(), "<3>sid=T event=error what=open detail=/etc/x "
	    "errno=\"No such file or directory\"\n", "error");
	capture();
	log_error("boom", NULL, 0);
	is_str(captured(), "<3>sid=T event=error what=boom\n",
	    "error without detail or errno");
	capture();
	log_warn("unknown configuration key", "foo");
	is_str(captured(), "<4>sid=T event=warning "
	    "what=\"unknown configuration key\" detail=foo\n", "warning");
	log_set_session("");
}

static void
test_long(void)
{
	static char big[5000];
	struct logline l;
	const char *s;
	size_t	 n;

	memset(big, 'x', sizeof(big) - 1);
	capture();
	log_start(&l, LOG_INFO, "long");
	log_str(&l, "v", big);
	log_emit(&l);
	s = captured();
	n = strlen(s);
	ok(n > 0 && n <= LOG_LINE_MAX, "a long line is cut (%zu)", n);
	ok(n > 0 && s[n - 1] == '\n' && strchr(s, '\n') == s + n - 1,
	    "still one line");
	ok(n > 9 && strcmp(s + n - 9, " trunc=1\n") == 0,
	    "a cut line ends with trunc=1");

	/* many fields: the same */
	capture();
	log_start(&l, LOG_INFO, "many");
	for (n = 0; n < 500; n++)
		log_num(&l, "n", n);
	log_emit(&l);
	s = captured();
	n = strlen(s);
	ok(n > 0 && n <= LOG_LINE_MAX && s[n - 1] == '\n',
	    "many fields: cut, one line");
}

/* Every value of value_cases, written by log_mem, reads back the same. */
static void
test_field(void)
{
	char	 out[256], line[LOG_LINE_MAX + 1];
	size_t	 i, n;

	for (i = 0; i < sizeof(value_cases) / sizeof(value_cases[0]); i++) {
		const struct value_case *c = &value_cases[i];
		struct logline l;

		n = c->len ? c->len : strlen(c->val);
		log_start(&l, LOG_INFO, "ev");
		log_str(&l, "before", "x y");
		log_mem(&l, "k", c->val, n);
		log_str(&l, "after", "z");
		memcpy(line, l.buf, l.len);
		line[l.len] = '\0';
		ok(log_field(line, "k", out, sizeof(out)), "field %zu found",
		    i);
		if (memchr(c->val, '\0', n) == NULL)
			is_str(out, c->val, "field %zu reads back", i);
		else
			is_str(out, "a", "field %zu reads back up to its NUL",
			    i);
		ok(log_field(line, "after", out, sizeof(out)) &&
		    strcmp(out, "z") == 0, "field %zu: the next field intact",
		    i);
	}
	ok(log_field("<6>sid=1 event=queued id=ABC", "event", out,
	    sizeof(out)) && strcmp(out, "queued") == 0, "priority prefix");
	ok(log_field("event=a event=b", "event", out, sizeof(out)) &&
	    strcmp(out, "a") == 0, "the first field of a name counts");
	ok(!log_field("<6>sid=1 event=queued", "id", out, sizeof(out)),
	    "a missing field");
	ok(!log_field("<6>sid=1 xid=2 event=queued", "id", out, sizeof(out)),
	    "a longer key is not the key");
	ok(!log_field("word k", "k", out, sizeof(out)), "a key without =");
	ok(log_field("k=\"unterminated", "k", out, sizeof(out)) &&
	    strcmp(out, "unterminated") == 0, "an unterminated quote");
	ok(log_field("k=\"\\x4", "k", out, sizeof(out)) &&
	    strcmp(out, "x4") == 0, "a short \\x escape");
	ok(log_field("k=abcdef", "k", out, 4) && strcmp(out, "abc") == 0,
	    "cut to fit");
	ok(!log_field("k=a", "k", out, 0), "no room at all");
}

int
main(void)
{
	tap_tmpdir(dir, sizeof(dir), "log");
	tap_pathf(logpath, sizeof(logpath), "%s/stderr", dir);
	test_values();
	test_session();
	test_events();
	test_long();
	test_field();
	tap_rmtree(dir);
	return done_testing();
}
