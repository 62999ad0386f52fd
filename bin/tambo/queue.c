/*
 * queue.c — tambo queue: look at the spool and act on it.
 *
 *   queue list        one line per message: ID SIZE <sender> <rcpt>...
 *   queue mailq       the sendmail/Postfix `mailq` form
 *   queue show ID     envelope and per-recipient delivery state
 *   queue flush       run the delivery runner now, retry times ignored
 *   queue delete ID   remove a message (no DSN)
 *   queue bounce ID   give up: every pending recipient fails, and the
 *                     sender gets a DSN from the runner
 *
 * Messages are listed in arrival order (queue ids sort by time).  A file
 * that cannot be read is reported on stderr and the listing goes on.
 * delete and bounce take the message's lock (flock on the queue file, as
 * the runner does), waiting up to QUEUE_LOCK_WAIT seconds for a runner
 * that is delivering it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "names.h"
#include "progpath.h"
#include "qstate.h"
#include "spool.h"
#include "tambo.h"
#include "poison.h"

#define QUEUE_LOCK_WAIT	30

static bool
queue_is_id(int dirfd, const char *name, void *arg)
{
	(void)dirfd;
	(void)arg;
	return spool_id_valid(name);
}

/* The queue ids, in arrival order (names.h); EX_OK or an exit status. */
static int
queue_ids(struct spool *sp, struct names *ids)
{
	if (names_read(sp->queuefd, queue_is_id, NULL, ids) == -1) {
		tambo_err("%s/queue: %s", sp->dir, strerror(errno));
		return errno == ENOMEM ? EX_OSERR : EX_IOERR;
	}
	return EX_OK;
}

static int
queue_list(struct spool *sp)
{
	struct names ids;
	size_t	 i;
	int	 rc;

	if ((rc = queue_ids(sp, &ids)) != EX_OK)
		return rc;
	for (i = 0; i < ids.n; i++) {
		struct spool_envelope env;
		uint64_t size;

		if (spool_read(sp, ids.v[i], &env, &size) == -1) {
			if (errno != ENOENT) {	/* delivered meanwhile */
				tambo_err("%s: %s", ids.v[i], strerror(errno));
				rc = EX_DATAERR;
			}
			continue;
		}
		(void)printf("%s %llu <%s>", env.id, (unsigned long long)size,
		    env.from);
		for (size_t k = 0; k < env.nrcpt; k++)
			(void)printf(" <%s>", env.rcpt[k].addr);
		(void)putchar('\n');
		spool_envelope_free(&env);
	}
	names_free(&ids);
	return rc;
}

/* Is someone (a runner) holding the message's lock right now? */
static bool
queue_busy(struct spool *sp, const char *id)
{
	int	 fd = openat(sp->queuefd, id, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool	 busy = false;

	if (fd == -1)
		return false;
	if (flock(fd, LOCK_SH | LOCK_NB) == -1)
		busy = true;
	(void)close(fd);
	return busy;
}

/* The mailq form Postfix and sendmail users know. */
static int
queue_mailq(struct spool *sp)
{
	struct names ids;
	size_t	 i, shown = 0;
	uint64_t total = 0;
	int	 rc;

	if ((rc = queue_ids(sp, &ids)) != EX_OK)
		return rc;
	for (i = 0; i < ids.n; i++) {
		struct spool_envelope env;
		struct qstate qs;
		uint64_t size;
		time_t	 t;
		struct tm tm;
		char	 when[64];
		const char *last = NULL;
		size_t	 k;
		int	 st;

		if (spool_read(sp, ids.v[i], &env, &size) == -1)
			continue;
		st = qstate_read(sp->queuefd, ids.v[i], &qs);
		if (shown++ == 0)
			(void)printf("-Queue ID-------- --Size-- "
			    "----Arrival Time---- -Sender/Recipient-------\n");
		t = (time_t)env.arrival;
		if (localtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof(when), "%a %b %e %H:%M:%S", &tm) == 0)
			(void)snprintf(when, sizeof(when), "-");
		(void)printf("%s%c %8llu %-20s  %s\n", env.id,
		    queue_busy(sp, ids.v[i]) ? '*' : ' ',
		    (unsigned long long)size, when,
		    env.from[0] ? env.from : "MAILER-DAEMON");
		if (st == 0) {
			for (k = 0; k < qs.n; k++)
				if (qs.t[k].status == QS_QUEUED &&
				    qs.t[k].text[0] != '\0')
					last = qs.t[k].text;
			if (last != NULL)
				(void)printf("%*s(%.*s)\n", 19, "", 60, last);
			for (k = 0; k < qs.n; k++)
				if (qs.t[k].status == QS_QUEUED)
					(void)printf("%*s%s\n", 50, "",
					    qs.t[k].addr);
			qstate_free(&qs);
		} else
			for (k = 0; k < env.nrcpt; k++)
				(void)printf("%*s%s\n", 50, "",
				    env.rcpt[k].addr);
		(void)putchar('\n');
		total += size;
		spool_envelope_free(&env);
	}
	if (shown == 0)
		(void)printf("Mail queue is empty\n");
	else
		(void)printf("-- %llu Kbytes in %zu Request%s.\n",
		    (unsigned long long)((total + 1023) / 1024), shown,
		    shown == 1 ? "" : "s");
	names_free(&ids);
	return rc;
}

static int
queue_show(struct spool *sp, const char *id)
{
	struct spool_envelope env;
	struct qstate qs;
	uint64_t size;
	size_t	 k;
	int	 st;

	if (spool_read(sp, id, &env, &size) == -1) {
		tambo_err("%s: %s", id, errno == ENOENT ? "not in the queue" :
		    strerror(errno));
		return errno == ENOENT || errno == EINVAL ? EX_NOINPUT :
		    EX_IOERR;
	}
	(void)printf("id: %s\narrival: %lld\nsize: %llu\nclient: %s\n"
	    "protocol: %s\n", env.id, (long long)env.arrival,
	    (unsigned long long)size, env.client, env.protocol);
	if (env.auth[0] != '\0')
		(void)printf("auth: %s\n", env.auth);
	(void)printf("from: <%s>\n", env.from);
	for (k = 0; k < env.nrcpt; k++)
		(void)printf("rcpt: <%s>\n", env.rcpt[k].addr);
	st = qstate_read(sp->queuefd, id, &qs);
	if (st == 1)
		(void)printf("state: not yet attempted\n");
	else if (st == -1)
		(void)printf("state: unreadable: %s\n", strerror(errno));
	else {
		(void)printf("attempts: %u\nnext: %lld\n", qs.attempts,
		    (long long)qs.next);
		for (k = 0; k < qs.n; k++) {
			const struct qstate_target *t = &qs.t[k];

			(void)printf("target: %s %s %s", qstate_status_name(
			    t->status), qstate_kind_name(t->kind), t->addr);
			if (t->code != 0 || t->text[0] != '\0')
				(void)printf(" (%u %s%s%s%s%s)", t->code,
				    t->enh, t->host[0] ? " " : "", t->host,
				    t->text[0] ? " " : "", t->text);
			(void)putchar('\n');
		}
		qstate_free(&qs);
	}
	spool_envelope_free(&env);
	return EX_OK;
}

/* Open and lock queue/ID, waiting for a runner; -1 when it cannot. */
static int
queue_lock(struct spool *sp, const char *id)
{
	struct stat st;
	int	 fd, i;

	if (!spool_id_valid(id)) {
		tambo_err("%s: not a queue id", id);
		return -1;
	}
	if ((fd = openat(sp->queuefd, id, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		tambo_err("%s: %s", id, errno == ENOENT ?
		    "not in the queue" : strerror(errno));
		return -1;
	}
	for (i = 0; flock(fd, LOCK_EX | LOCK_NB) == -1; i++) {
		if (i == QUEUE_LOCK_WAIT * 10) {
			tambo_err("%s: busy (being delivered)", id);
			(void)close(fd);
			return -1;
		}
		(void)usleep(100000);
	}
	if (fstat(fd, &st) == -1 || st.st_nlink == 0) {
		tambo_err("%s: not in the queue any more", id);
		(void)close(fd);
		return -1;
	}
	return fd;
}

static int
queue_delete(struct spool *sp, const char *id)
{
	char	 name[64];
	int	 fd;

	if ((fd = queue_lock(sp, id)) == -1)
		return EX_NOINPUT;
	if (unlinkat(sp->queuefd, id, 0) == -1) {
		tambo_err("%s: %s", id, strerror(errno));
		(void)close(fd);
		return EX_IOERR;
	}
	(void)snprintf(name, sizeof(name), "%s.state", id);
	(void)unlinkat(sp->queuefd, name, 0);
	(void)fsync(sp->queuefd);
	(void)close(fd);
	(void)printf("%s: deleted\n", id);
	return EX_OK;
}

/* Run the delivery runner: deliver -C DIR ARG [ID] (tambo.h). */
int
queue_run_deliver(const char *dir, const char *arg, const char *id)
{
	char	 prog[PATH_MAX];
	pid_t	 pid;
	int	 status;

	if (progpath_libexec("deliver", prog, sizeof(prog)) == -1) {
		tambo_err("deliver: %s", strerror(errno));
		return EX_SOFTWARE;
	}
	if ((pid = fork()) == -1) {
		tambo_err("fork: %s", strerror(errno));
		return EX_OSERR;
	}
	if (pid == 0) {
		if (id != NULL)
			execl(prog, "deliver", "-C", dir, arg, "--", id,
			    (char *)NULL);
		else
			execl(prog, "deliver", "-C", dir, arg, (char *)NULL);
		tambo_err("%s: %s", prog, strerror(errno));
		_exit(EX_UNAVAILABLE);
	}
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return EX_OSERR;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE;
}

static int
queue_bounce(const char *dir, struct spool *sp, const char *id)
{
	struct spool_envelope env;
	struct qstate qs;
	uint64_t size;
	size_t	 k;
	int	 fd, st;

	if ((fd = queue_lock(sp, id)) == -1)
		return EX_NOINPUT;
	if (spool_read(sp, id, &env, &size) == -1) {
		tambo_err("%s: %s", id, strerror(errno));
		(void)close(fd);
		return EX_IOERR;
	}
	if ((st = qstate_read(sp->queuefd, id, &qs)) == -1) {
		tambo_err("%s.state: %s", id, strerror(errno));
		spool_envelope_free(&env);
		(void)close(fd);
		return EX_IOERR;
	}
	if (st == 1)	/* never attempted: its recipients as they are */
		for (k = 0; k < env.nrcpt; k++)
			(void)qstate_add(&qs, (unsigned)k, QK_SMTP,
			    env.rcpt[k].addr);
	for (k = 0; k < qs.n; k++) {
		struct qstate_target *t = &qs.t[k];

		if (t->status != QS_QUEUED)
			continue;
		t->status = QS_FAILED;
		t->time = (int64_t)time(NULL);
		if (t->code == 0)
			t->code = 550;
		(void)snprintf(t->enh, sizeof(t->enh), "5.0.0");
		(void)snprintf(t->text, sizeof(t->text),
		    "returned to the sender by the postmaster");
	}
	st = qstate_write(sp->queuefd, id, &qs, true);
	qstate_free(&qs);
	spool_envelope_free(&env);
	(void)close(fd);
	if (st == -1) {
		tambo_err("%s.state: %s", id, strerror(errno));
		return EX_IOERR;
	}
	(void)printf("%s: bounced\n", id);
	return queue_run_deliver(dir, "--flush", id);
}

int
cmd_queue(const char *dir, int argc, char **argv)
{
	struct conf conf;
	struct spool sp;
	char	 err[512];
	int	 rc;

	bool	 needid;

	if (argc < 1) {
usage:
		tambo_err("usage: queue list | mailq | flush | "
		    "show ID | delete ID | bounce ID");
		return EX_USAGE;
	}
	needid = strcmp(argv[0], "show") == 0 ||
	    strcmp(argv[0], "delete") == 0 || strcmp(argv[0], "bounce") == 0;
	if (needid ? argc != 2 : argc != 1)
		goto usage;
	if (!needid && strcmp(argv[0], "list") != 0 &&
	    strcmp(argv[0], "mailq") != 0 && strcmp(argv[0], "flush") != 0)
		goto usage;
	if (strcmp(argv[0], "flush") == 0)
		return queue_run_deliver(dir, "--flush", NULL);
	if (conf_load(dir, &conf, err, sizeof(err)) == -1) {
		tambo_err("%s", err);
		return EX_CONFIG;
	}
	if (spool_open(&sp, conf.spool) == -1) {
		tambo_err("%s: %s", conf.spool, strerror(errno));
		return EX_IOERR;
	}
	if (strcmp(argv[0], "list") == 0)
		rc = queue_list(&sp);
	else if (strcmp(argv[0], "mailq") == 0)
		rc = queue_mailq(&sp);
	else if (strcmp(argv[0], "show") == 0)
		rc = queue_show(&sp, argv[1]);
	else if (strcmp(argv[0], "delete") == 0)
		rc = queue_delete(&sp, argv[1]);
	else
		rc = queue_bounce(dir, &sp, argv[1]);
	spool_close(&sp);
	return rc;
}
