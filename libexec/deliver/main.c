/*
 * deliver — the delivery runner: one pass through the due messages of the
 * queue, then exit (tambo-deliver(8)).
 *
 *   deliver [-C dir] [--flush] [--now UNIXTIME] [ID...]
 *
 * Started by tambo-deliver.timer every minute and by tambo-deliver.path
 * when the queue changes; `tambo queue flush` runs it with --flush (retry
 * times ignored).  With IDs only those messages are looked at.  --now
 * sets the clock, so tests of retries and expiry need not wait.
 *
 * A pass: lock and load the due messages, expand the recipients of new
 * ones (aliases, SRS), deliver the local targets, run the remote
 * deliveries, and settle each message (state, DSNs, removal).  Passes
 * repeat while messages arrive during one, so a message queued while the
 * runner works does not wait for the next timer tick.
 *
 * Exit status: 0; EX_USAGE; EX_TEMPFAIL when the configuration or the
 * spool cannot be read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "num.h"
#include "poison.h"

/* Messages loaded (and locked) in one pass. */
#define PASS_MAX	5000
#define PASSES_MAX	20
/* A file left in tmp/ by a crash is removed after this long. */
#define TMP_MAX_AGE	(36 * 3600)
#define MARKS_STUCK_PAUSE 10	/* seconds; see the end of main */

static void
usage(void)
{
	(void)fprintf(stderr, "usage: deliver [-C dir] [--flush] "
	    "[--now unixtime] [id...]\n");
	exit(EX_USAGE);
}

static void
clean_tmp(struct runner *r)
{
	DIR	*d;
	struct dirent *de;
	int	 fd;

	if ((fd = dup(r->sp.tmpfd)) == -1 || (d = fdopendir(fd)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		if (fstatat(r->sp.tmpfd, de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
		    r->now - st.st_mtime > TMP_MAX_AGE &&
		    unlinkat(r->sp.tmpfd, de->d_name, 0) == 0)
			log_warn("removed an old unfinished message from tmp/",
			    de->d_name);
	}
	(void)closedir(d);
}

/* One pass; the number of messages it looked at. */
static int
pass(struct runner *r, char **ids, size_t nids)
{
	size_t	 i, j;
	int	 n;

	/* Before looking: a message committed from now on leaves its mark
	 * and starts the next run (tambo-deliver.path). */
	if (nids == 0 && spool_new_clear(&r->sp) == -1) {
		log_error("cannot remove the new-mail marks", "new/", errno);
		r->marks_stuck = true;
	}
	if ((n = queue_collect(r, ids, nids, PASS_MAX)) <= 0)
		return n;
	for (i = 0; i < r->nmsgs; i++) {
		struct dmsg *m = &r->msgs[i];

		log_set_queue_id(m->id);
		if (!m->qs.expanded && expand_message(r, m) == -1) {
			/* Try again later, as a whole. */
			m->qs.next = r->now + 60;
			continue;
		}
		for (j = 0; j < m->qs.n; j++) {
			struct qstate_target *t = &m->qs.t[j];

			if (t->status == QS_QUEUED && t->kind != QK_SMTP)
				local_deliver(r, m, t);
		}
	}
	log_set_queue_id(NULL);
	remote_run(r);
	for (i = 0; i < r->nmsgs; i++) {
		struct dmsg *m = &r->msgs[i];

		if (m->qs.expanded && (m->changed || m->qs.next <= r->now ||
		    qstate_pending(&m->qs) == 0 || r->now - m->env.arrival >=
		    (int64_t)r->conf.queue_lifetime))
			queue_settle(r, m);
	}
	queue_release(r);
	return n;
}

int
main(int argc, char **argv)
{
	static struct runner r;
	const char *dir = NULL;
	char	 err[512];
	int	 i, n, passes;
	uint64_t v;
	bool	 fixed_now = false;

	log_open("deliver");
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--flush") == 0)
			r.flush = true;
		else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) {
			if (!num_parse_str(argv[++i], INT64_MAX, &v))
				usage();
			r.now = (int64_t)v;
			fixed_now = true;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			usage();
	}
	for (n = i; n < argc; n++)
		if (!spool_id_valid(argv[n])) {
			(void)fprintf(stderr, "deliver: not a queue id: %s\n",
			    argv[n]);
			return EX_USAGE;
		}
	(void)umask(077);
	(void)signal(SIGPIPE, SIG_IGN);
	if (conf_load(conf_dir(dir), &r.conf, err, sizeof(err)) == -1) {
		log_error("cannot read the configuration", err, 0);
		return EX_TEMPFAIL;
	}
	if (spool_become_owner(r.conf.spool) == -1) {
		log_error("cannot become the spool's owner", r.conf.spool,
		    errno);
		return EX_TEMPFAIL;
	}
	if (spool_open(&r.sp, r.conf.spool) == -1) {
		log_error("cannot open the spool", r.conf.spool, errno);
		return EX_TEMPFAIL;
	}
	if (users_open(&r.users, &r.conf) == 0)
		r.users_ok = true;
	else
		log_error("cannot read the local domains", r.conf.dir, errno);
	if (!fixed_now)
		r.now = (int64_t)time(NULL);
	clean_tmp(&r);

	for (passes = 0; passes < PASSES_MAX; passes++) {
		n = pass(&r, argv + i, (size_t)(argc - i));
		if (n <= 0 || i < argc)
			break;
		r.flush = false;
		if (!fixed_now)
			r.now = (int64_t)time(NULL);
	}
	{
		struct logline l;

		log_set_queue_id(NULL);
		log_start(&l, LOG_INFO, "pass");
		log_num(&l, "delivered", r.delivered);
		log_num(&l, "deferred", r.deferred);
		log_num(&l, "bounced", r.bounced);
		log_emit(&l);
	}
	/*
	 * Marks that cannot be removed start the next run at once, and the
	 * next: slow that loop down while the error is logged.
	 */
	if (r.marks_stuck)
		(void)sleep(MARKS_STUCK_PAUSE);
	if (r.users_ok)
		users_close(&r.users);
	spool_close(&r.sp);
	return 0;
}
