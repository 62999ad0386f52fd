/*
 * remote — the SMTP client for one destination (RFC 5321 client side).
 *
 *   remote [-C dir] -f sender -r rcpt [-r rcpt ...] [--smtputf8]
 *          [--8bitmime] domain < message
 *   remote [-C dir] --batch domain < jobs
 *
 * The first form sends one message; the second reads jobs (tambo-remote(8)
 * gives the framing) from the delivery runner and sends them one after
 * another over as few connections as the server allows.  Either way one
 * "result" line per recipient and an "end" line per job go to standard
 * output, flushed after each job, and the log lines to standard error.
 *
 * main wires the modules together: jobs (job.c), the destination's
 * addresses (dest.c, looked up once), connections (conn.c) and the mail
 * transaction (xfer.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "remote.h"
#include "poison.h"

/* Room above max_message_size for what delivery adds (DKIM, Received:). */
#define REMOTE_SIZE_SLACK	(1024 * 1024)

static void
usage(void)
{
	(void)fprintf(stderr,
	    "usage: remote [-C dir] -f sender -r rcpt [-r rcpt ...] "
	    "[--smtputf8] [--8bitmime] domain < message\n"
	    "       remote [-C dir] --batch domain < jobs\n");
	exit(EX_USAGE);
}

static const char *
status_name(enum rcpt_status st)
{
	switch (st) {
	case RCPT_DELIVERED:
		return "delivered";
	case RCPT_PASSED:
		return "passed";
	case RCPT_PERM:
		return "perm";
	default:
		return "temp";
	}
}

/* Write it all to standard output; false when the reader is gone. */
static bool
out_write(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t	 w = write(STDOUT_FILENO, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* The job's result lines and log lines; false when stdout failed. */
static bool
report(const struct job *j)
{
	struct buf out;
	bool	 ok;

	buf_init(&out, (j->nrcpts + 1) * (REMOTE_GIVEN_MAX +
	    SMTPREPLY_TEXT_MAX + ADDR_DOMAIN_MAX + REMOTE_ID_MAX + 64));
	for (size_t i = 0; i < j->nrcpts; i++) {
		const struct rcpt *r = &j->rcpts[i];
		const char *ecode = smtpreply_ecode(&r->reply);
		const char *relay = r->relay[0] != '\0' ? r->relay : NULL;
		const char *tls = r->tls[0] != '\0' ? r->tls : NULL;
		const char *text = r->reply.textlen > 0 ? r->reply.text :
		    "(no text)";

		switch (r->status) {
		case RCPT_DELIVERED:
		case RCPT_PASSED:
			log_delivered(r->given, relay, r->reply.code, ecode,
			    tls, text);
			break;
		case RCPT_PERM:
			log_bounced(r->given, relay, r->reply.code, ecode,
			    tls, text);
			break;
		default:
			log_deferred(r->given, relay, r->reply.code, ecode,
			    tls, text);
			break;
		}
		if (buf_printf(&out, "result %s %s %s %03d %s %s %s\n", j->id,
		    r->given, status_name(r->status), r->reply.code, ecode,
		    r->host, text) == -1) {
			buf_free(&out);
			return false;
		}
	}
	ok = buf_printf(&out, "end %s\n", j->id) == 0 &&
	    out_write(out.data, out.len);
	buf_free(&out);
	return ok;
}

/* Give every recipient of j an outcome. */
static void
run_job(struct dest *d, struct conn *c, struct job *j)
{
	struct smtp_reply r;
	int	 tries;

	log_set_queue_id(j->id);
	xfer_local(j);
	if (job_pending(j) == 0)
		return;
	dest_resolve(d);
	for (tries = 0; tries < 2 && job_pending(j) > 0; tries++) {
		if (d->fail_status != RCPT_PENDING) {
			job_set_all(j, d->fail_status, &d->fail, d->fail_host,
			    NULL, NULL);
			return;
		}
		if (c->fd == -1 && conn_open(d, c) == -1)
			continue;	/* d->fail_status is set now */
		if (xfer_job(c, j) == XFER_DONE)
			return;
	}
	smtpreply_set(&r, 451, "4.4.2", "connection lost twice before the "
	    "transaction began");
	job_set_all(j, RCPT_TEMP, &r, NULL, NULL, NULL);
}

static int
run_batch(struct dest *d, struct conn *c, struct job *j)
{
	struct io *in;
	char	 err[256];
	int	 r, status = EX_OK;

	if ((in = malloc(sizeof(*in))) == NULL) {
		log_error("memory", NULL, errno);
		return EX_TEMPFAIL;
	}
	io_init(in, STDIN_FILENO, -1, -1, 0);
	for (;;) {
		if ((r = job_read(in, j, err, sizeof(err))) == 0)
			break;
		if (r == -1) {
			log_error("bad job input", err, 0);
			status = EX_TEMPFAIL;
			break;
		}
		if (j->nrcpts == 0)
			continue;
		run_job(d, c, j);
		if (!report(j)) {
			log_error("writing results", NULL, errno);
			status = EX_TEMPFAIL;
			break;
		}
	}
	free(in);
	return status;
}

int
main(int argc, char **argv)
{
	struct conf	*conf;
	struct dest	*d;
	struct conn	*c;
	struct job	 j;
	const char	*dir = NULL, *sender = NULL, *domain;
	char		**rcpts, err[512];
	size_t		 nrcpts = 0, i;
	bool		 batch = false, smtputf8 = false, body8 = false;
	bool		 temp = false, perm = false;
	int		 a, status;

	(void)umask(077);
	(void)signal(SIGPIPE, SIG_IGN);
	log_open("remote");
	if ((rcpts = calloc((size_t)argc + 1, sizeof(*rcpts))) == NULL)
		return EX_TEMPFAIL;
	for (a = 1; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "-C") == 0 && a + 1 < argc)
			dir = argv[++a];
		else if (strcmp(argv[a], "-f") == 0 && a + 1 < argc)
			sender = argv[++a];
		else if (strcmp(argv[a], "-r") == 0 && a + 1 < argc)
			rcpts[nrcpts++] = argv[++a];
		else if (strcmp(argv[a], "--batch") == 0)
			batch = true;
		else if (strcmp(argv[a], "--smtputf8") == 0)
			smtputf8 = true;
		else if (strcmp(argv[a], "--8bitmime") == 0)
			body8 = true;
		else if (strcmp(argv[a], "--") == 0) {
			a++;
			break;
		} else
			usage();
	}
	if (a != argc - 1 || argv[a][0] == '\0')
		usage();
	domain = argv[a];
	if (batch ? sender != NULL || nrcpts > 0 || smtputf8 || body8 :
	    sender == NULL || nrcpts == 0)
		usage();

	conf = malloc(sizeof(*conf));
	d = malloc(sizeof(*d));
	c = malloc(sizeof(*c));
	if (conf == NULL || d == NULL || c == NULL) {
		log_error("memory", NULL, errno);
		status = EX_TEMPFAIL;
		goto out;
	}
	if (conf_load(conf_dir(dir), conf, err, sizeof(err)) == -1) {
		log_error("configuration", err, 0);
		status = EX_TEMPFAIL;
		goto out;
	}
	dest_init(d, conf, domain);
	conn_init(c);
	job_init(&j, conf->max_message_size + conf->max_message_size / 4 +
	    REMOTE_SIZE_SLACK);

	if (batch)
		status = run_batch(d, c, &j);
	else if (job_single(&j, sender, rcpts, nrcpts, smtputf8, body8,
	    STDIN_FILENO, err, sizeof(err)) == -1) {
		log_error("message", err, 0);
		status = EX_TEMPFAIL;
	} else {
		run_job(d, c, &j);
		status = report(&j) ? EX_OK : EX_TEMPFAIL;
		for (i = 0; i < j.nrcpts; i++) {
			temp |= j.rcpts[i].status != RCPT_DELIVERED &&
			    j.rcpts[i].status != RCPT_PASSED &&
			    j.rcpts[i].status != RCPT_PERM;
			perm |= j.rcpts[i].status == RCPT_PERM;
		}
		if (status == EX_OK && temp)
			status = EX_TEMPFAIL;
		else if (status == EX_OK && perm)
			status = EX_UNAVAILABLE;
	}
	conn_close(c, true);
	job_free(&j);
out:
	free(rcpts);
	free(c);
	free(d);
	free(conf);
	return status;
}
