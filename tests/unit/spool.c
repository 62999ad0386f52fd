/*
 * spool.c — unit tests for libexec/common/spool.c: the envelope format
 * (tambo-spool(5)) round trip and its parser's tolerance and refusals,
 * queue ids, and writing, committing, aborting and reading messages in a
 * temporary spool.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "spool.h"
#include "tap.h"

#define ID	"0123456789ABCDEF01"

static char spooldir[PATH_MAX];

static void
fill_full(struct spool_envelope *e, struct spool_rcpt *r)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->id, ID, sizeof(ID));
	e->arrival = 1700000000;
	memcpy(e->client, "192.0.2.1", sizeof("192.0.2.1"));
	memcpy(e->helo, "client.example", sizeof("client.example"));
	memcpy(e->protocol, "ESMTPSA", sizeof("ESMTPSA"));
	memcpy(e->auth, "alice", sizeof("alice"));
	memcpy(e->from, "a@b.example", sizeof("a@b.example"));
	e->body = SMTP_BODY_8BITMIME;
	e->ret = SMTP_RET_HDRS;
	e->smtputf8 = true;
	memcpy(e->envid, "QQ+2B314159", sizeof("QQ+2B314159"));
	memset(r, 0, 4 * sizeof(*r));
	memcpy(r[0].addr, "x@y.example", sizeof("x@y.example"));
	r[0].notify = SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE;
	memcpy(r[0].orcpt, "rfc822;x@y.example", sizeof("rfc822;x@y.example"));
	memcpy(r[1].addr, "\"q s\"@y.example", sizeof("\"q s\"@y.example"));
	memcpy(r[2].addr, "z@y.example", sizeof("z@y.example"));
	r[2].notify = SMTP_NOTIFY_NEVER;
	memcpy(r[2].orcpt, "rfc822;<z+2Bq@y>", sizeof("rfc822;<z+2Bq@y>"));
	memcpy(r[3].addr, "j\xc3\xb6rg@b\xc3\xbc" "cher.example",
	    sizeof("j\xc3\xb6rg@b\xc3\xbc" "cher.example"));
	r[3].notify = SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY |
	    SMTP_NOTIFY_SUCCESS;
	e->rcpt = r;
	e->nrcpt = 4;
}

static void
fill_minimal(struct spool_envelope *e)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->id, ID, sizeof(ID));
	memcpy(e->client, "local", sizeof("local"));
	memcpy(e->protocol, "local", sizeof("local"));
}

/* Compare two envelopes field by field. */
static void
same_envelope(const struct spool_envelope *got,
    const struct spool_envelope *want, const char *what)
{
	size_t	 i;

	is_str(got->id, want->id, "%s: id", what);
	is_int(got->arrival, want->arrival, "%s: arrival", what);
	is_str(got->client, want->client, "%s: client", what);
	is_str(got->helo, want->helo, "%s: helo", what);
	is_str(got->protocol, want->protocol, "%s: protocol", what);
	is_str(got->auth, want->auth, "%s: auth", what);
	is_str(got->from, want->from, "%s: from", what);
	is_int(got->body, want->body, "%s: body", what);
	is_int(got->ret, want->ret, "%s: ret", what);
	is_int(got->smtputf8, want->smtputf8, "%s: smtputf8", what);
	is_str(got->envid, want->envid, "%s: envid", what);
	if (!ok(got->nrcpt == want->nrcpt, "%s: %zu recipients", what,
	    want->nrcpt))
		return;
	for (i = 0; i < want->nrcpt; i++) {
		is_str(got->rcpt[i].addr, want->rcpt[i].addr,
		    "%s: rcpt %zu addr", what, i);
		is_int(got->rcpt[i].notify, want->rcpt[i].notify,
		    "%s: rcpt %zu notify", what, i);
		is_str(got->rcpt[i].orcpt, want->rcpt[i].orcpt,
		    "%s: rcpt %zu orcpt", what, i);
	}
}

static void
test_round_trip(void)
{
	struct spool_envelope e, p;
	struct spool_rcpt r[4];
	struct buf b;
	size_t	 hlen;

	fill_full(&e, r);
	buf_init(&b, SPOOL_ENVELOPE_MAX);
	is_int(spool_envelope_format(&e, &b), 0, "format the full envelope");
	ok(b.len > 0 && b.data[b.len - 1] == '\n' && memcmp(b.data,
	    "tambo-queue 1\n", 14) == 0, "starts with the magic line, ends "
	    "with a newline");
	ok(b.data != NULL && strstr(b.data, "\n\n") == NULL,
	    "no empty line inside the envelope");
	hlen = b.len + 1;
	is_int(buf_addstr(&b, "\nSubject: x\r\n\r\nbody\n\nmore\r\n"), 0,
	    "append the message");
	is_int(spool_envelope_parse(b.data, b.len, &p), 0, "parse it back");
	same_envelope(&p, &e, "full");
	is_int(p.header_len, hlen, "header_len is the message offset");
	spool_envelope_free(&p);
	ok(p.rcpt == NULL && p.nrcpt == 0, "free empties the recipients");
	buf_free(&b);

	/* null sender, no optional fields, no recipients */
	fill_minimal(&e);
	buf_init(&b, SPOOL_ENVELOPE_MAX);
	is_int(spool_envelope_format(&e, &b), 0, "format a minimal envelope");
	ok(b.data != NULL && strstr(b.data, "from <>\n") != NULL,
	    "null sender written as <>");
	ok(b.data != NULL && strstr(b.data, "helo") == NULL &&
	    strstr(b.data, "auth") == NULL && strstr(b.data, "envid") == NULL,
	    "empty optional fields are left out");
	hlen = b.len + 1;
	(void)buf_addc(&b, '\n');
	is_int(spool_envelope_parse(b.data, b.len, &p), 0,
	    "parse a minimal envelope");
	same_envelope(&p, &e, "minimal");
	is_int(p.header_len, hlen, "minimal: header_len, empty message");
	spool_envelope_free(&p);
	buf_free(&b);
}

static void
test_many_rcpts(void)
{
	struct spool_envelope e, p;
	struct spool_rcpt *r;
	struct buf b;
	size_t	 i, n = 300;

	fill_minimal(&e);
	if ((r = calloc(n, sizeof(*r))) == NULL)
		abort();
	for (i = 0; i < n; i++) {
		(void)snprintf(r[i].addr, sizeof(r[i].addr),
		    "user%zu@example.com", i);
		r[i].notify = (unsigned)(i % 3 == 0 ? 0 : SMTP_NOTIFY_FAILURE);
	}
	e.rcpt = r;
	e.nrcpt = n;
	buf_init(&b, SPOOL_ENVELOPE_MAX);
	(void)spool_envelope_format(&e, &b);
	(void)buf_addc(&b, '\n');
	is_int(spool_envelope_parse(b.data, b.len, &p), 0,
	    "parse %zu recipients", n);
	ok(p.nrcpt == n && strcmp(p.rcpt[n - 1].addr, r[n - 1].addr) == 0 &&
	    p.rcpt[1].notify == SMTP_NOTIFY_FAILURE && p.rcpt[0].notify == 0,
	    "%zu recipients in order", n);
	spool_envelope_free(&p);
	buf_free(&b);
	free(r);
}

static const struct parse_case {
	const char	*in;
	int		 want;
	const char	*what;
} parse_cases[] = {
	{ "tambo-queue 1\nid " ID "\n\n", 0, "just the id" },
	{ "tambo-queue 1\nid " ID "\nfuture-key some value\n"
	    "x\nclient local\n\nbody", 0, "unknown keys are skipped" },
	{ "tambo-queue 1\nid " ID "\nrcpt notify=- later=1 orcpt=- "
	    "<a@b.example>\n\n", 0, "unknown recipient keys are skipped" },
	{ "tambo-queue 1\nid " ID "\nrcpt <a@b.example>\n\n", 0,
	    "recipient without keys" },
	{ "tambo-queue 1\nid " ID "\nbody FUTURE\nret FUTURE\n\n", 0,
	    "unknown body and ret values" },
	/* refused */
	{ "", -1, "empty" },
	{ "\n", -1, "only an empty line" },
	{ "id " ID "\n\n", -1, "no magic" },
	{ "tambo-queue 2\nid " ID "\n\n", -1, "another version" },
	{ "tambo-queue 1 \nid " ID "\n\n", -1, "magic with a space" },
	{ "tambo-queue 1\n\n", -1, "no id" },
	{ "tambo-queue 1\nclient local\n\n", -1, "no id, other fields" },
	{ "tambo-queue 1\nid " ID "\n", -1, "no empty line" },
	{ "tambo-queue 1\nid " ID, -1, "no newline at all" },
	{ "tambo-queue 1\nid " ID "\nclient local", -1, "cut short" },
	{ "tambo-queue 1\nid xyz\n\n", -1, "bad id" },
	{ "tambo-queue 1\nid 0123456789abcdef01\n\n", -1, "lower-case id" },
	{ "tambo-queue 1\nid 0123456789ABCDEF0\n\n", -1, "id of 17" },
	{ "tambo-queue 1\nid 0123456789ABCDEF012\n\n", -1, "id of 19" },
	{ "tambo-queue 1\nid\n\n", -1, "empty id" },
	{ "tambo-queue 1\nid " ID "\narrival -1\n\n", -1, "negative arrival" },
	{ "tambo-queue 1\nid " ID "\narrival soon\n\n", -1, "bad arrival" },
	{ "tambo-queue 1\nid " ID "\narrival 99999999999999999999\n\n", -1,
	    "arrival over INT64_MAX" },
	{ "tambo-queue 1\nid " ID "\nfrom a@b.example\n\n", -1,
	    "from without brackets" },
	{ "tambo-queue 1\nid " ID "\nfrom <a@b.example\n\n", -1,
	    "from without >" },
	{ "tambo-queue 1\nid " ID "\nrcpt notify=SOMETIMES orcpt=- "
	    "<a@b.example>\n\n", -1, "bad notify" },
	{ "tambo-queue 1\nid " ID "\nrcpt notify=- orcpt=- a@b.example\n\n",
	    -1, "recipient without brackets" },
	{ "tambo-queue 1\nid " ID "\nrcpt garbage <a@b.example>\n\n", -1,
	    "recipient token without =" },
	{ "tambo-queue 1\nid " ID "\nrcpt notify=-\n\n", -1,
	    "recipient without address" },
	{ "tambo-queue 1\nid " ID "\nrcpt <a@b.example>\nrcpt x\n\n", -1,
	    "second recipient bad" },
	{ "tambo-queue 1\nid " ID "\nclient "
	    "0123456789012345678901234567890123456789012345678901234567890123"
	    "\n\n", -1, "client of 64 octets" },
	{ "tambo-queue 1\nid " ID "\nprotocol ESMTPSA-TOO-LONG-X\n\n", -1,
	    "protocol over 15 octets" },
};

static void
test_parse_table(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct spool_envelope e;
		size_t	 n = strlen(c->in);
		char	*p;

		if ((p = malloc(n ? n : 1)) == NULL)
			abort();
		memcpy(p, c->in, n);
		is_int(spool_envelope_parse(p, n, &e), c->want, "parse %zu: %s",
		    i, c->what);
		if (c->want == -1)
			ok(e.rcpt == NULL && e.nrcpt == 0,
			    "parse %zu: nothing left to free", i);
		else
			spool_envelope_free(&e);
		free(p);
	}
}

static void
test_parse_nul(void)
{
	static const char s[] = "tambo-queue 1\nid " ID "\nclient a\0b\n\n";
	struct spool_envelope e;

	is_int(spool_envelope_parse(s, sizeof(s) - 1, &e), -1,
	    "NUL inside a value");
}

static const struct id_case {
	const char	*id;
	bool		 want;
} id_cases[] = {
	{ "0123456789ABCDEF01", true },
	{ "000000000000000000", true },
	{ "FFFFFFFFFFFFFFFFFF", true },
	{ "0123456789abcdef01", false },
	{ "0123456789ABCDEF0", false },
	{ "0123456789ABCDEF012", false },
	{ "0123456789ABCDEF0G", false },
	{ "0123456789ABCDEF01.state", false },
	{ "", false },
	{ ".", false },
	{ "..", false },
	{ "../../etc/passwd", false },
	{ "0123456789ABCDEF/1", false },
	{ " 123456789ABCDEF01", false },
};

static void
test_ids(void)
{
	char	 ids[100][SPOOL_ID_LEN + 1], id[SPOOL_ID_LEN + 1];
	size_t	 i, j;
	bool	 sorted = true, unique = true, valid = true;

	for (i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++)
		is_int(spool_id_valid(id_cases[i].id), id_cases[i].want,
		    "id_valid \"%s\"", id_cases[i].id);

	/* one per microsecond: strictly increasing */
	for (i = 0; i < 100; i++) {
		struct timeval t0, t1;

		spool_new_id(ids[i]);
		valid &= spool_id_valid(ids[i]);
		(void)gettimeofday(&t0, NULL);
		do
			(void)gettimeofday(&t1, NULL);
		while (t1.tv_sec == t0.tv_sec && t1.tv_usec == t0.tv_usec);
		if (i > 0 && strcmp(ids[i - 1], ids[i]) >= 0)
			sorted = false;
	}
	ok(valid, "new ids are valid");
	ok(sorted, "new ids sort by time");

	/* back to back: unique, and the time part never goes back */
	valid = true;
	for (i = 0; i < 100; i++) {
		spool_new_id(ids[i]);
		valid &= spool_id_valid(ids[i]);
		if (i > 0 && memcmp(ids[i - 1], ids[i], 13) > 0)
			sorted = false;
		for (j = 0; j < i; j++)
			if (strcmp(ids[i], ids[j]) == 0)
				unique = false;
	}
	ok(valid, "back-to-back ids are valid");
	ok(sorted, "back-to-back ids do not go back in time");
	ok(unique, "back-to-back ids are unique");

	spool_new_id(id);
	is_int(strlen(id), SPOOL_ID_LEN, "id length");
}

/* Names in dir (not . or ..), as a count; name of the last in *last. */
static size_t
count_dir(const char *sub, char *last, size_t lastsz)
{
	char	 path[PATH_MAX];
	DIR	*d;
	struct dirent *e;
	size_t	 n = 0;

	tap_pathf(path, sizeof(path), "%s/%s", spooldir, sub);
	if ((d = opendir(path)) == NULL)
		return (size_t)-1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		if (last != NULL)
			tap_pathf(last, lastsz, "%s", e->d_name);
	}
	(void)closedir(d);
	return n;
}

static void
test_disk(void)
{
	static struct spool_tx tx;
	static char big[200000];
	struct spool sp;
	struct spool_envelope e, got;
	struct spool_rcpt r[4];
	char	 path[PATH_MAX], name[64], *file;
	uint64_t msgsize = 0;
	size_t	 i, hlen = 0;
	struct stat st;
	int	 fd;
	ssize_t	 n;

	is_int(spool_open(&sp, spooldir), -1, "open without tmp/ and queue/");
	tap_pathf(path, sizeof(path), "%s/tmp", spooldir);
	(void)mkdir(path, 0700);
	is_int(spool_open(&sp, spooldir), -1, "open without queue/");
	tap_pathf(path, sizeof(path), "%s/queue", spooldir);
	(void)mkdir(path, 0700);
	if (!ok(spool_open(&sp, spooldir) == 0, "open the spool"))
		return;

	/* write, commit, read */
	fill_full(&e, r);
	memset(e.id, 0, sizeof(e.id));
	is_int(spool_begin(&sp, &e, &tx), 0, "begin");
	ok(spool_id_valid(e.id), "begin sets a valid id");
	is_str(tx.id, e.id, "tx has the id");
	is_int(count_dir("tmp", name, sizeof(name)), 1, "one file in tmp/");
	is_str(name, e.id, "tmp/ID");
	for (i = 0; i < sizeof(big); i++)
		big[i] = (i % 80 == 78) ? '\r' : (i % 80 == 79) ? '\n' :
		    (char)('a' + i % 26);
	spool_write(&tx, "Subject: x\r\n\r\n", 14);
	for (i = 0; i < sizeof(big); i += 7000)
		spool_write(&tx, big + i,
		    sizeof(big) - i < 7000 ? sizeof(big) - i : 7000);
	is_int(tx.size, 14 + sizeof(big), "size counts message octets only");
	is_int(spool_commit(&tx), 0, "commit");
	is_int(count_dir("tmp", NULL, 0), 0, "nothing left in tmp/");
	is_int(count_dir("queue", name, sizeof(name)), 1,
	    "one file in queue/");
	is_str(name, e.id, "queue/ID");
	is_int(spool_read(&sp, e.id, &got, &msgsize), 0, "read it back");
	same_envelope(&got, &e, "read");
	is_int(msgsize, 14 + sizeof(big), "message size");
	hlen = got.header_len;
	spool_envelope_free(&got);

	/* the file: envelope, empty line, the message as written */
	tap_pathf(path, sizeof(path), "%s/queue/%s", spooldir, e.id);
	ok(stat(path, &st) == 0 && (st.st_mode & 077) == 0,
	    "queue file is private");
	if ((file = malloc((size_t)st.st_size)) == NULL)
		abort();
	fd = open(path, O_RDONLY);
	n = fd == -1 ? -1 : read(fd, file, (size_t)st.st_size);
	if (fd != -1)
		(void)close(fd);
	ok(n == st.st_size && hlen >= 2 && file[hlen - 1] == '\n' &&
	    file[hlen - 2] == '\n' && memcmp(file + hlen, "Subject: x\r\n\r\n",
	    14) == 0 && memcmp(file + hlen + 14, big, sizeof(big)) == 0,
	    "queue file holds the message after the empty line");
	free(file);

	/* abort leaves nothing */
	fill_minimal(&e);
	is_int(spool_begin(&sp, &e, &tx), 0, "begin a second");
	spool_write(&tx, "x\r\n", 3);
	spool_abort(&tx);
	is_int(count_dir("tmp", NULL, 0), 0, "abort: nothing in tmp/");
	is_int(count_dir("queue", NULL, 0), 1, "abort: nothing new in queue/");

	/* reading refusals */
	errno = 0;
	is_int(spool_read(&sp, "../queue/x", &got, &msgsize), -1,
	    "read a bad id");
	is_int(errno, EINVAL, "read a bad id: EINVAL");
	errno = 0;
	is_int(spool_read(&sp, "000000000000000000", &got, &msgsize), -1,
	    "read a missing id");
	is_int(errno, ENOENT, "read a missing id: ENOENT");
	tap_pathf(path, sizeof(path), "%s/queue/FFFFFFFFFFFFFFFFFF",
	    spooldir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd != -1) {
		n = write(fd, "not a queue file\n\n", 18);
		(void)n;	/* checked by the read below */
		(void)close(fd);
	}
	errno = 0;
	is_int(spool_read(&sp, "FFFFFFFFFFFFFFFFFF", &got, &msgsize), -1,
	    "read a malformed file");
	is_int(errno, EBADMSG, "read a malformed file: EBADMSG");
	(void)unlink(path);
	is_int(spool_new_clear(&sp), 0, "without new/: no marks to clear");
	spool_close(&sp);

	/* with new/: each commit leaves a mark, clearing removes them all */
	tap_pathf(path, sizeof(path), "%s/new", spooldir);
	(void)mkdir(path, 0700);
	if (!ok(spool_open(&sp, spooldir) == 0, "open with new/"))
		return;
	for (i = 0; i < 3; i++) {
		fill_minimal(&e);
		memset(e.id, 0, sizeof(e.id));
		if (spool_begin(&sp, &e, &tx) != 0)
			break;
		spool_write(&tx, "x\r\n", 3);
		if (spool_commit(&tx) != 0)
			break;
	}
	is_int(count_dir("new", name, sizeof(name)), 3,
	    "three commits: three marks in new/");
	ok(spool_id_valid(name), "a mark is named by its queue id");
	tap_pathf(path, sizeof(path), "%s/queue/%s", spooldir, name);
	ok(access(path, F_OK) == 0, "the mark's message is in queue/");
	fill_minimal(&e);
	is_int(spool_begin(&sp, &e, &tx), 0, "begin, not committed");
	spool_abort(&tx);
	is_int(count_dir("new", NULL, 0), 3,
	    "an aborted message leaves no mark");
	tap_pathf(path, sizeof(path), "%s/new/not-an-id", spooldir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	if (fd != -1)
		(void)close(fd);
	is_int(spool_new_clear(&sp), 3, "clear: three marks removed");
	is_int(count_dir("new", NULL, 0), 1, "clear leaves other names alone");
	(void)unlink(path);
	is_int(spool_new_clear(&sp), 0, "clear again: none");
	spool_close(&sp);
}

static void
test_errno_full(void)
{
	ok(spool_errno_full(ENOSPC), "ENOSPC is full");
	ok(spool_errno_full(EDQUOT), "EDQUOT is full");
	ok(!spool_errno_full(EIO), "EIO is not full");
	ok(!spool_errno_full(EACCES), "EACCES is not full");
	ok(!spool_errno_full(0), "0 is not full");
}

int
main(void)
{
	tap_tmpdir(spooldir, sizeof(spooldir), "spool");
	test_round_trip();
	test_many_rcpts();
	test_parse_table();
	test_parse_nul();
	test_ids();
	test_disk();
	test_errno_full();
	tap_rmtree(spooldir);
	return done_testing();
}
