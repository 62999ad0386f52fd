/*
 * enqueue — put one message from stdin into the spool.
 *
 *   enqueue [-C dir] [-f sender] [--] recipient...
 *
 * The same spool module the SMTP handler uses, as a small program for
 * shell pipelines and tests.  Lines may end in LF or CRLF; they are stored
 * with CRLF.  The same content checks apply as on SMTP (NUL bytes, lines
 * over 998 octets, the size limit, mail loops).  On success the queue id
 * is printed on stdout.
 *
 * Exit status: 0 queued; EX_USAGE bad arguments; EX_DATAERR the message
 * or an address is refused; EX_TEMPFAIL our own trouble (configuration,
 * spool, disk): try again later.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "msg.h"
#include "spool.h"
#include "poison.h"

static void
usage(void)
{
	(void)fprintf(stderr,
	    "usage: enqueue [-C dir] [-f sender] [--] recipient...\n");
	exit(EX_USAGE);
}

static int
refuse(const char *what, const char *detail)
{
	(void)fprintf(stderr, "enqueue: %s: %s\n", what, detail);
	return EX_DATAERR;
}

int
main(int argc, char **argv)
{
	struct conf	 conf;
	struct spool	 sp;
	struct spool_envelope env;
	struct spool_tx	 tx;
	struct msg_check check;
	struct msg_trace tr;
	struct addr	 a;
	struct buf	 hdr;
	const char	*dir = NULL, *from = "";
	char		 err[512];
	int		 i, rc;
	size_t		 k;
	unsigned	 flags;
	bool		 utf8 = false;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
			from = argv[++i];
		else
			usage();
	}
	if (i >= argc)
		usage();
	(void)umask(077);
	log_open("enqueue");

	memset(&env, 0, sizeof(env));
	if (from[0] != '\0') {
		if (addr_parse_mailbox(from, strlen(from), ADDR_OPT_UTF8,
		    &a) != ADDR_OK)
			return refuse("bad sender address", from);
		utf8 |= (a.flags & ADDR_UTF8) != 0;
		memcpy(env.from, a.mailbox, sizeof(env.from));
	}
	env.nrcpt = (size_t)(argc - i);
	if (env.nrcpt > SPOOL_RCPT_MAX)
		return refuse("too many recipients", argv[i]);
	if ((env.rcpt = calloc(env.nrcpt, sizeof(*env.rcpt))) == NULL)
		return EX_TEMPFAIL;
	sp.dirfd = sp.tmpfd = sp.queuefd = -1;
	for (k = 0; k < env.nrcpt; k++) {
		const char *r = argv[i + (int)k];

		if (addr_parse_mailbox(r, strlen(r), ADDR_OPT_UTF8,
		    &a) != ADDR_OK || (a.flags & ADDR_RELAY_TRICKS)) {
			rc = refuse("bad recipient address", r);
			goto done;
		}
		utf8 |= (a.flags & ADDR_UTF8) != 0;
		memcpy(env.rcpt[k].addr, a.mailbox, sizeof(env.rcpt[k].addr));
	}
	env.smtputf8 = utf8;

	if (conf_load(conf_dir(dir), &conf, err, sizeof(err)) == -1) {
		(void)fprintf(stderr, "enqueue: %s\n", err);
		rc = EX_TEMPFAIL;
		goto done;
	}
	if (spool_open(&sp, conf.spool) == -1) {
		(void)fprintf(stderr, "enqueue: %s: %s\n", conf.spool,
		    strerror(errno));
		rc = EX_TEMPFAIL;
		goto done;
	}
	env.arrival = (int64_t)time(NULL);
	(void)snprintf(env.client, sizeof(env.client), "local");
	(void)snprintf(env.protocol, sizeof(env.protocol), "local");
	{
		struct passwd *pw = getpwuid(getuid());

		(void)snprintf(env.auth, sizeof(env.auth), "%s",
		    pw ? pw->pw_name : "");
	}
	if (spool_begin(&sp, &env, &tx) == -1) {
		(void)fprintf(stderr, "enqueue: %s: %s\n", conf.spool,
		    strerror(errno));
		rc = EX_TEMPFAIL;
		goto done;
	}
	log_set_queue_id(env.id);
	memset(&tr, 0, sizeof(tr));
	tr.hostname = conf.hostname;
	tr.protocol = "local";
	tr.id = env.id;
	tr.rcpt = env.nrcpt == 1 ? env.rcpt[0].addr : NULL;
	tr.when = env.arrival;
	buf_init(&hdr, 4096);
	if (msg_received(&tr, &hdr) == -1) {
		spool_abort(&tx);
		rc = EX_TEMPFAIL;
		goto done;
	}
	spool_write(&tx, hdr.data, hdr.len);
	buf_free(&hdr);
	msg_check_init(&check, conf.max_message_size, conf.max_received);

	/*
	 * Stream stdin through, turning each LF that lacks its CR into
	 * CRLF; a last line without LF gets one.  What remains odd (a bare
	 * CR, a NUL, a long line) is left for the checker to refuse.
	 */
	for (bool prev_cr = false, last_lf = true;;) {
		char	 in[16384], out[2 * sizeof(in) + 2];
		size_t	 got, o = 0;

		got = fread(in, 1, sizeof(in), stdin);
		if (got == 0) {
			if (!last_lf && !ferror(stdin)) {
				if (!prev_cr)
					out[o++] = '\r';
				out[o++] = '\n';
			}
		}
		for (k = 0; k < got; k++) {
			if (in[k] == '\n' && !prev_cr)
				out[o++] = '\r';
			out[o++] = in[k];
			prev_cr = in[k] == '\r';
			last_lf = in[k] == '\n';
		}
		if (msg_check_feed(&check, out, o) == 0)
			spool_write(&tx, out, o);
		if (got == 0)
			break;
	}
	if (ferror(stdin)) {
		spool_abort(&tx);
		(void)fprintf(stderr, "enqueue: reading stdin: %s\n",
		    strerror(errno));
		rc = EX_TEMPFAIL;
		goto done;
	}
	flags = msg_check_end(&check);
	if (flags != 0) {
		spool_abort(&tx);
		rc = refuse("message refused", msg_check_reason(flags));
		goto done;
	}
	if (spool_commit(&tx) == -1) {
		(void)fprintf(stderr, "enqueue: %s: %s\n", conf.spool,
		    strerror(errno));
		rc = EX_TEMPFAIL;
		goto done;
	}
	log_queued(env.id, env.from, env.nrcpt, check.size);
	(void)printf("%s\n", env.id);
	rc = EX_OK;
done:
	free(env.rcpt);
	if (sp.dirfd != -1)
		spool_close(&sp);
	return rc;
}
