/*
 * testsend.c — tambo test-send: queue a small test message and, with
 * --wait, deliver it now and say what the receiving server answered.
 *
 *   test-send [--from ADDRESS] [--wait SECONDS] ADDRESS
 *
 * The message (RFC 5322 3.6: Date, Message-ID, From, To, Subject; RFC
 * 2045 MIME-Version and a text/plain UTF-8 body naming the host and the
 * time) is queued through the spool module in this process, with the
 * envelope of mail from the local sendmail (client "local", the invoking
 * user as auth), so the runner signs it with the From: domain's DKIM keys
 * exactly as it signs local mail.  From: is --from, else postmaster of the
 * local domain users_postmaster_domain picks (the hostname's domain),
 * else postmaster@hostname.  Run as root, the command first becomes the
 * spool's owner (with group tambo-dkim when it exists), as the runner
 * does, so the services can still read and remove what it writes.
 *
 * --wait: one runner pass for this message (`deliver --flush ID`, its log
 * captured), then the queue file is watched until the message leaves the
 * queue or SECONDS pass.  A finished message's state file goes with it,
 * so the outcome comes from the runner's log lines for the message
 * (event=delivered/deferred/bounced: relay, code, text), from the journal
 * when another runner (the path unit) delivered it, or, for a message
 * still queued, from its state file (qstate.h).
 *
 * Exit status: 0 queued (delivered with --wait); 1 bounced; 75
 * (EX_TEMPFAIL) still queued after --wait; EX_USAGE, EX_DATAERR for a bad
 * address, EX_CONFIG, EX_IOERR, EX_OSERR.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "log.h"
#include "msg.h"
#include "num.h"
#include "qstate.h"
#include "spool.h"
#include "tambo.h"
#include "users.h"
#include "poison.h"

#define TS_WAIT_MAX	86400
#define TS_LOG_MAX	(1024 * 1024)	/* the runner's log kept */
#define TS_POLL_US	200000
#define TS_JOURNAL_GRACE	5	/* seconds after the wait, for journald */
#define TS_OUTCOMES_MAX	64

struct ts_outcome {
	char	 to[ADDR_PATH_MAX + 1];
	char	 event[16];		/* delivered, deferred, bounced */
	char	 relay[ADDR_DOMAIN_MAX + 64];
	char	 reply[QSTATE_TEXT_MAX + 32];
};

struct ts_outcomes {
	const char	*id;
	size_t		 n;
	struct ts_outcome o[TS_OUTCOMES_MAX];
};

static int
ts_usage(void)
{
	tambo_err("usage: test-send [--from ADDRESS] [--wait SECONDS] ADDRESS");
	return EX_USAGE;
}

/* One log line (runner or journal): keep the outcome it reports. */
static void
ts_outcome_line(struct ts_outcomes *os, const char *line)
{
	struct ts_outcome *o = NULL;
	char	 id[SPOOL_ID_LEN + 1], ev[16], to[ADDR_PATH_MAX + 1];
	char	 code[8], dsn[16], text[QSTATE_TEXT_MAX];
	size_t	 i;

	if (!log_field(line, "id", id, sizeof(id)) ||
	    strcmp(id, os->id) != 0 ||
	    !log_field(line, "event", ev, sizeof(ev)) ||
	    (strcmp(ev, "delivered") != 0 && strcmp(ev, "deferred") != 0 &&
	    strcmp(ev, "bounced") != 0) ||
	    !log_field(line, "to", to, sizeof(to)))
		return;
	for (i = 0; i < os->n; i++)
		if (strcmp(os->o[i].to, to) == 0)
			o = &os->o[i];
	if (o == NULL) {
		if (os->n == TS_OUTCOMES_MAX)
			return;
		o = &os->o[os->n++];
		(void)snprintf(o->to, sizeof(o->to), "%s", to);
	}
	(void)snprintf(o->event, sizeof(o->event), "%s", ev);
	if (!log_field(line, "relay", o->relay, sizeof(o->relay)) ||
	    strcmp(o->relay, "-") == 0)
		o->relay[0] = '\0';
	if (!log_field(line, "code", code, sizeof(code)) ||
	    strcmp(code, "0") == 0)
		code[0] = '\0';
	if (!log_field(line, "dsn", dsn, sizeof(dsn)))
		dsn[0] = '\0';
	if (!log_field(line, "text", text, sizeof(text)))
		text[0] = '\0';
	(void)snprintf(o->reply, sizeof(o->reply), "%s%s%s%s%s", code,
	    code[0] ? " " : "", dsn, code[0] || dsn[0] ? " " : "", text);
	for (i = 0; o->reply[i] != '\0'; i++)
		if ((unsigned char)o->reply[i] < 0x20)
			o->reply[i] = ' ';
}

static void
ts_journal_line(const char *ident, uint64_t usec, const char *msg, void *ctx)
{
	(void)usec;
	if (strcmp(ident, "tambo-deliver") == 0)
		ts_outcome_line(ctx, msg);
}

/*
 * Run the runner for this message with its standard error in a memory
 * file; then read the outcomes from it, and pass its error and warning
 * lines on to our standard error.
 */
static int
ts_deliver(const char *dir, struct ts_outcomes *os)
{
	char	*text, *line, *next;
	ssize_t	 r;
	size_t	 len = 0;
	int	 mfd, saved, rc;

	if ((mfd = memfd_create("deliver-log", MFD_CLOEXEC)) == -1 ||
	    (saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3)) == -1) {
		tambo_err("memfd: %s", strerror(errno));
		if (mfd != -1)
			(void)close(mfd);
		return EX_OSERR;
	}
	(void)fflush(stdout);
	(void)fflush(stderr);
	if (dup2(mfd, STDERR_FILENO) == -1) {
		tambo_err("dup2: %s", strerror(errno));
		(void)close(saved);
		(void)close(mfd);
		return EX_OSERR;
	}
	rc = queue_run_deliver(dir, "--flush", os->id);
	(void)fflush(stderr);
	if (dup2(saved, STDERR_FILENO) == -1) {
		(void)close(saved);
		(void)close(mfd);
		return EX_OSERR;
	}
	(void)close(saved);
	if ((text = malloc(TS_LOG_MAX + 1)) == NULL) {
		(void)close(mfd);
		return EX_OSERR;
	}
	if (lseek(mfd, 0, SEEK_SET) == 0)
		while (len < TS_LOG_MAX && (r = read(mfd, text + len,
		    TS_LOG_MAX - len)) > 0)
			len += (size_t)r;
	(void)close(mfd);
	text[len] = '\0';
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		/* <0> to <4>: errors and warnings, and what is not ours */
		if (line[0] != '<' || (line[1] >= '0' && line[1] <= '4'))
			(void)fprintf(stderr, "%s\n", line);
		ts_outcome_line(os, line);
	}
	free(text);
	return rc;
}

/* The per-recipient lines of a message still in the queue. */
static int
ts_report_queued(struct spool *sp, const char *id)
{
	struct spool_envelope env;
	struct qstate qs;
	uint64_t size;
	size_t	 k;
	bool	 failed = false;
	int	 st;

	if ((st = qstate_read(sp->queuefd, id, &qs)) == 1) {
		if (spool_read(sp, id, &env, &size) == 0) {
			for (k = 0; k < env.nrcpt; k++)
				(void)printf("%s: queued: not yet attempted\n",
				    env.rcpt[k].addr);
			spool_envelope_free(&env);
		}
		return EX_TEMPFAIL;
	}
	if (st == -1) {
		(void)printf("%s: queued: state unreadable: %s\n", id,
		    strerror(errno));
		return EX_TEMPFAIL;
	}
	for (k = 0; k < qs.n; k++) {
		const struct qstate_target *t = &qs.t[k];
		const char *what = t->status == QS_DELIVERED ||
		    t->status == QS_PASSED ? "delivered" :
		    t->status == QS_QUEUED ? (t->time != 0 ? "deferred" :
		    "queued") : "bounced";

		failed |= t->status == QS_FAILED || t->status == QS_BOUNCED;
		(void)printf("%s: %s:", t->addr, what);
		if (t->code != 0)
			(void)printf(" %u", t->code);
		if (t->enh[0] != '\0')
			(void)printf(" %s", t->enh);
		(void)printf(" %s", t->text[0] ? t->text : t->time != 0 ?
		    "(no text)" : "not yet attempted");
		if (t->host[0] != '\0')
			(void)printf(" (%s)", t->host);
		(void)putchar('\n');
	}
	st = qstate_pending(&qs) > 0 ? EX_TEMPFAIL : failed ? 1 : EX_OK;
	qstate_free(&qs);
	return st;
}

/* Wait for the message to leave the queue; report.  Exit status. */
static int
ts_wait(const char *dir, struct spool *sp, const char *id, unsigned secs)
{
	static struct ts_outcomes os;
	struct timespec t0, now;
	time_t	 deadline;
	size_t	 i;
	bool	 bounced = false, delivered = false;

	(void)clock_gettime(CLOCK_REALTIME, &t0);
	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	deadline = now.tv_sec + (time_t)secs;
	memset(&os, 0, sizeof(os));
	os.id = id;
	{
		int	 rc = ts_deliver(dir, &os);

		if (rc != EX_OK)
			tambo_err("the delivery runner ended with status %d",
			    rc);
		for (;;) {
			if (faccessat(sp->queuefd, id, F_OK,
			    AT_SYMLINK_NOFOLLOW) == -1 && errno == ENOENT)
				break;
			(void)clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec >= deadline)
				return ts_report_queued(sp, id);
			(void)usleep(TS_POLL_US);
		}
	}
	/* Gone: delivered or bounced.  Another runner's doing? The journal. */
	for (i = 0; i < os.n; i++)
		if (strcmp(os.o[i].event, "deferred") == 0)
			break;
	if (os.n == 0 || i < os.n) {
		/*
		 * Under systemd the other runner's lines reach the journal
		 * through journald, a moment after the message left the
		 * queue: look again until the wait is over (and a few
		 * seconds more for that moment).  A recipient's line from
		 * the journal replaces what our runner said of it.
		 */
		for (;;) {
			int	 jr;

			jr = status_journal_each((uint64_t)t0.tv_sec *
			    1000000, ts_journal_line, &os);
			for (i = 0; i < os.n; i++)
				if (strcmp(os.o[i].event, "deferred") != 0)
					break;
			(void)clock_gettime(CLOCK_MONOTONIC, &now);
			if (i < os.n || jr == -1 || sd_booted() <= 0 ||
			    now.tv_sec >= deadline + TS_JOURNAL_GRACE)
				break;
			(void)usleep(TS_POLL_US);
		}
	}
	if (os.n == 0) {
		(void)printf("%s: no longer queued; the outcome is not in the "
		    "runner's log (see tambo status)\n", id);
		return EX_OK;
	}
	for (i = 0; i < os.n; i++) {
		const struct ts_outcome *o = &os.o[i];

		(void)printf("%s: %s: %s", o->to, o->event,
		    o->reply[0] ? o->reply : "(no reply text)");
		if (o->relay[0] != '\0')
			(void)printf(" (%s)", o->relay);
		(void)putchar('\n');
		if (strcmp(o->event, "bounced") == 0)
			bounced = true;
		else if (strcmp(o->event, "delivered") == 0)
			delivered = true;
	}
	return bounced ? 1 : delivered ? EX_OK : EX_TEMPFAIL;
}

/* The message after the Received: field, CRLF line ends. */
static int
ts_message(struct buf *b, const struct conf *conf, const char *id,
    const char *from, const char *to, int64_t when)
{
	time_t	 t = (time_t)when;
	struct tm tm;
	char	 date[64];

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		return -1;
	return buf_printf(b,
	    "Date: %s\r\n"
	    "Message-ID: <%s.test@%s>\r\n"
	    "From: <%s>\r\n"
	    "To: <%s>\r\n"
	    "Subject: tambo test message from %s\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "This is a test message from the tambo mail server on %s.\r\n"
	    "\r\n"
	    "Sent:     %s\r\n"
	    "Queue ID: %s\r\n"
	    "From:     %s\r\n"
	    "To:       %s\r\n"
	    "\r\n"
	    "If you can read this, mail from %s reaches this mailbox.\r\n"
	    "The message's headers say how the receiver judged it (in\r\n"
	    "Gmail: \"Show original\"): SPF, DKIM and DMARC should each\r\n"
	    "say PASS.\r\n",
	    date, id, conf->hostname, from, to, conf->hostname, conf->hostname,
	    date, id, from, to, conf->hostname);
}

/* Queue the message; its id into id.  Exit status. */
static int
ts_queue(const struct conf *conf, struct spool *sp, const char *who,
    const struct addr *from, const struct addr *to, char *id)
{
	struct spool_envelope env;
	struct spool_rcpt rcpt;
	struct spool_tx *tx;
	struct msg_trace tr;
	struct buf b;
	int	 saved;

	memset(&env, 0, sizeof(env));
	memset(&rcpt, 0, sizeof(rcpt));
	memcpy(rcpt.addr, to->mailbox, sizeof(rcpt.addr));
	env.arrival = (int64_t)time(NULL);
	(void)snprintf(env.client, sizeof(env.client), "local");
	(void)snprintf(env.protocol, sizeof(env.protocol), "local");
	(void)snprintf(env.auth, sizeof(env.auth), "%s", who);
	memcpy(env.from, from->mailbox, sizeof(env.from));
	env.smtputf8 = ((from->flags | to->flags) & ADDR_UTF8) != 0;
	env.nrcpt = 1;
	env.rcpt = &rcpt;
	if ((tx = malloc(sizeof(*tx))) == NULL) {
		tambo_err("out of memory");
		return EX_OSERR;
	}
	if (spool_begin(sp, &env, tx) == -1) {
		tambo_err("%s: %s", conf->spool, strerror(errno));
		free(tx);
		return EX_IOERR;
	}
	memset(&tr, 0, sizeof(tr));
	tr.hostname = conf->hostname;
	tr.protocol = "local";
	tr.id = env.id;
	tr.rcpt = rcpt.addr;
	tr.when = env.arrival;
	buf_init(&b, 16384);
	if (msg_received(&tr, &b) == -1 || ts_message(&b, conf, env.id,
	    from->mailbox, to->mailbox, env.arrival) == -1) {
		buf_free(&b);
		spool_abort(tx);
		free(tx);
		tambo_err("the message does not fit");
		return EX_SOFTWARE;
	}
	spool_write(tx, b.data, b.len);
	buf_free(&b);
	if (spool_commit(tx) == -1) {
		saved = errno;
		tambo_err("%s: %s", conf->spool, strerror(saved));
		free(tx);
		return EX_IOERR;
	}
	memcpy(id, env.id, SPOOL_ID_LEN + 1);
	free(tx);
	return EX_OK;
}

/* --from, else postmaster of the hostname's local domain. */
static void
ts_default_from(const struct conf *conf, char *out, size_t outsz)
{
	const struct users_domain *d;
	struct users users;

	if (users_open(&users, conf) == 0) {
		if ((d = users_postmaster_domain(&users)) != NULL) {
			(void)snprintf(out, outsz, "postmaster@%s", d->name);
			users_close(&users);
			return;
		}
		users_close(&users);
	}
	(void)snprintf(out, outsz, "postmaster@%s", conf->hostname);
}

static int
ts_parse(const char *what, const char *s, struct addr *a)
{
	if (addr_parse_mailbox(s, strlen(s), ADDR_OPT_UTF8, a) != ADDR_OK ||
	    (a->flags & (ADDR_RELAY_TRICKS | ADDR_NODOMAIN)) != 0 ||
	    a->domain[0] == '\0') {
		tambo_err("%s: not a mail address: %s", what, s);
		return -1;
	}
	return 0;
}

int
cmd_test_send(const char *dir, int argc, char **argv)
{
	static struct conf conf;
	struct spool sp;
	struct addr from, to;
	struct passwd *pw;
	const char *fromarg = NULL, *toarg = NULL;
	char	 err[512], dflt[ADDR_DOMAIN_MAX + 16], who[64];
	char	 id[SPOOL_ID_LEN + 1];
	uint64_t v;
	unsigned wait = 0;
	bool	 waiting = false;
	int	 i, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			fromarg = argv[++i];
		else if (strcmp(argv[i], "--wait") == 0 && i + 1 < argc) {
			if (!num_parse_str(argv[++i], TS_WAIT_MAX, &v))
				return ts_usage();
			wait = (unsigned)v;
			waiting = true;
		} else if (argv[i][0] == '-' || toarg != NULL)
			return ts_usage();
		else
			toarg = argv[i];
	}
	if (toarg == NULL)
		return ts_usage();
	if (conf_load(dir, &conf, err, sizeof(err)) == -1) {
		tambo_err("%s", err);
		return EX_CONFIG;
	}
	if (fromarg == NULL) {
		ts_default_from(&conf, dflt, sizeof(dflt));
		fromarg = dflt;
	}
	if (ts_parse("--from", fromarg, &from) == -1 ||
	    ts_parse("recipient", toarg, &to) == -1)
		return EX_DATAERR;
	/* Who sent it, as sendmail's envelope says: before becoming tambo. */
	pw = getpwuid(getuid());
	(void)snprintf(who, sizeof(who), "%s", pw != NULL ? pw->pw_name : "");
	/* The system journal, where another runner's outcome may be, is
	 * root's to read: open it before becoming the spool's owner. */
	if (waiting && geteuid() == 0)
		(void)status_journal_keep();
	if (spool_become_owner(conf.spool) == -1) {
		tambo_err("cannot become the owner of %s: %s", conf.spool,
		    strerror(errno));
		return EX_OSERR;
	}
	(void)umask(077);
	if (spool_open(&sp, conf.spool) == -1) {
		tambo_err("%s: %s", conf.spool, strerror(errno));
		return EX_IOERR;
	}
	if ((rc = ts_queue(&conf, &sp, who, &from, &to, id)) == EX_OK) {
		(void)printf("%s: queued, from <%s> to <%s>\n", id,
		    from.mailbox, to.mailbox);
		(void)fflush(stdout);
		if (waiting)
			rc = ts_wait(dir, &sp, id, wait);
	}
	spool_close(&sp);
	return rc;
}
