/*
 * qstate.c — unit tests for libexec/common/qstate.c: the delivery state
 * file round trip (escaping of every awkward byte), refused forms, the
 * retry schedule, and reading/writing in a queue directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qstate.h"
#include "tap.h"
#include "poison.h"

static char dir[PATH_MAX];

static void
test_roundtrip(void)
{
	struct qstate q, r;
	struct qstate_target *t;
	struct buf b;

	qstate_init(&q);
	q.attempts = 3;
	q.next = 1764000000;
	q.warned = true;
	t = qstate_add(&q, 0, QK_SMTP, "user@gmail.com");
	ok(t != NULL, "add smtp");
	(void)snprintf(t->from, sizeof(t->from),
	    "SRS0=abcd=TT=example.net=a@example.org");
	t->code = 451;
	(void)snprintf(t->enh, sizeof(t->enh), "4.7.1");
	(void)snprintf(t->host, sizeof(t->host), "mx.gmail.com");
	(void)snprintf(t->text, sizeof(t->text),
	    "try again later 100%% / line\r\n two\tthree -%s", "");
	t->time = 1763990000;
	t = qstate_add(&q, 1, QK_PIPE, "/usr/bin/procmail -d \"$USER\" | x");
	t->status = QS_DELIVERED;
	t = qstate_add(&q, 1, QK_MAILDIR, "alice@example.test");
	t->status = QS_FAILED;
	t->from[0] = '\0';	/* <> */
	t = qstate_add(&q, 2, QK_MDA, "-");
	t->status = QS_BOUNCED;
	(void)snprintf(t->text, sizeof(t->text), "ünïcode \x7f");
	t = qstate_add(&q, 2, QK_SMTP, "dsn@example.net");
	t->status = QS_PASSED;

	buf_init(&b, 1 << 20);
	is_int(qstate_format(&q, &b), 0, "format");
	ok(strncmp(b.data, QSTATE_MAGIC "\n", strlen(QSTATE_MAGIC) + 1) == 0,
	    "starts with the magic line");
	ok(strchr(b.data, '\t') == NULL && strchr(b.data, '\r') == NULL,
	    "no tabs or CRs in the file");
	is_int(qstate_parse(b.data, b.len, &r), 0, "parse back");
	is_int(r.n, 5, "five targets");
	is_int(r.attempts, 3, "attempts");
	ok(r.next == 1764000000, "next");
	ok(r.warned, "warned");
	ok(r.expanded, "expanded");
	is_str(r.t[0].addr, "user@gmail.com", "addr");
	is_str(r.t[0].from, q.t[0].from, "SRS from");
	is_str(r.t[0].text, q.t[0].text, "text with spaces, %%, CRLF, tab");
	is_str(r.t[0].enh, "4.7.1", "enh");
	is_str(r.t[0].host, "mx.gmail.com", "host");
	is_int(r.t[0].code, 451, "code");
	ok(r.t[0].time == 1763990000, "time");
	is_str(r.t[1].addr, q.t[1].addr, "pipe command with spaces, quotes");
	is_int(r.t[1].kind, QK_PIPE, "kind pipe");
	is_int(r.t[1].status, QS_DELIVERED, "delivered");
	is_str(r.t[1].from, "-", "from '-': the message's");
	is_str(r.t[2].from, "", "from <>");
	is_int(r.t[2].status, QS_FAILED, "failed");
	is_int(r.t[2].orig, 1, "orig");
	is_str(r.t[3].addr, "-", "an address that is a lone dash");
	is_str(r.t[3].text, q.t[3].text, "8-bit text and DEL");
	is_int(r.t[3].status, QS_BOUNCED, "bounced");
	is_int(r.t[4].status, QS_PASSED, "passed");
	ok(strstr(b.data, "\nt 2 passed smtp dsn@example.net ") != NULL,
	    "passed: its name in the file");
	is_int(qstate_pending(&r), 1, "one pending");
	qstate_free(&r);
	buf_free(&b);
	qstate_free(&q);
}

static void
test_bad(void)
{
	static const char *bad[] = {
		"",
		"tambo-state 2\n",
		"tambo-state 1\nattempts x\n",
		"tambo-state 1\nt 0 queued smtp a@b\n",
		"tambo-state 1\nt 0 lost smtp a@b - 0 0 - - -\n",
		"tambo-state 1\nt 0 queued fax a@b - 0 0 - - -\n",
		"tambo-state 1\nt 0 queued smtp a%2 - 0 0 - - -\n",
		"tambo-state 1\nt 0 queued smtp a%00b - 0 0 - - -\n",
		"tambo-state 1\nt 0 queued smtp a@b - 0 1000 - - -\n",
		"tambo-state 1\nt 0 queued smtp a@b - 0 0 - - - extra\n",
		"tambo-state 1\nt 0 queued smtp  a@b - 0 0 - - -\n",
	};
	struct qstate q;
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		ok(qstate_parse(bad[i], strlen(bad[i]), &q) == -1 &&
		    errno == EBADMSG, "refused: %zu", i);
	}
	ok(qstate_parse("tambo-state 1\nfuture key\nattempts 1\n", 37,
	    &q) == 0 && q.attempts == 1, "unknown keys skipped");
	qstate_free(&q);
}

static void
test_backoff(void)
{
	ok(qstate_backoff(1) == 60, "1 min");
	ok(qstate_backoff(2) == 300, "5 min");
	ok(qstate_backoff(3) == 900, "15 min");
	ok(qstate_backoff(4) == 1800, "30 min");
	ok(qstate_backoff(5) == 3600, "1 h");
	ok(qstate_backoff(6) == 7200 && qstate_backoff(100) == 7200,
	    "then every 2 h");
}

static void
test_files(void)
{
	struct qstate q, r;
	struct stat st;
	char	 path[PATH_MAX];
	int	 fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(fd != -1, "open dir");
	is_int(qstate_read(fd, "0123456789ABCDEF01", &q), 1,
	    "no state file: 1");
	qstate_init(&q);
	(void)qstate_add(&q, 0, QK_SMTP, "x@y.example");
	q.attempts = 1;
	is_int(qstate_write(fd, "0123456789ABCDEF01", &q, true), 0, "write");
	tap_pathf(path, sizeof(path), "%s/0123456789ABCDEF01.state", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "file mode 0600");
	tap_pathf(path, sizeof(path), "%s/.0123456789ABCDEF01.state.tmp", dir);
	ok(stat(path, &st) == -1, "no temporary left");
	is_int(qstate_read(fd, "0123456789ABCDEF01", &r), 0, "read");
	ok(r.n == 1 && strcmp(r.t[0].addr, "x@y.example") == 0, "content");
	qstate_free(&r);
	q.attempts = 2;
	is_int(qstate_write(fd, "0123456789ABCDEF01", &q, false), 0,
	    "replace");
	is_int(qstate_read(fd, "0123456789ABCDEF01", &r), 0, "read again");
	is_int(r.attempts, 2, "replaced");
	qstate_free(&r);
	qstate_free(&q);
	tap_pathf(path, sizeof(path), "%s/0123456789ABCDEF02.state", dir);
	tap_write_file(path, "garbage\n");
	ok(qstate_read(fd, "0123456789ABCDEF02", &r) == -1 && errno == EBADMSG,
	    "malformed file: -1 EBADMSG");
	(void)close(fd);
}

int
main(void)
{
	tap_tmpdir(dir, sizeof(dir), "qstate");
	test_roundtrip();
	test_bad();
	test_backoff();
	test_files();
	tap_rmtree(dir);
	return done_testing();
}
