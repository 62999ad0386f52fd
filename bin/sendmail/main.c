/*
 * sendmail — the sendmail command for the programs of this host (cron,
 * scripts, mail(1)), as Postfix's and chasquid's are used.
 *
 *   sendmail [-tiv] [-f sender] [-F name] [-N dsn] [-R ret] [-V envid]
 *            [-B type] [-C dir] [-o option] [--] [recipient ...]
 *   sendmail -bs | -bp | -q       mailq
 *
 * No setuid, no setgid: the message goes over the local socket
 * (conf local_socket) to `smtpd --mode local`, which knows the caller
 * from the socket's credentials (tambo-sendmail(8)).  When nothing
 * listens there and the caller may write the spool, the message is
 * written into the spool directly (direct.c).  Run as mailq, or with
 * -bp, it shows the queue; -q flushes it: both run `tambo queue` from
 * the directory of this program.
 *
 * main reads the options and picks the mode; message.c, client.c and
 * direct.c do the work.  Exit status: sysexits(3), as client.c lists.
 * Silent on success unless -v: cron mails whatever a job prints.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "sendmail.h"
#include "poison.h"

enum sm_mode {
	SM_DELIVER,	/* -bm, the default */
	SM_MAILQ,	/* -bp, or run as mailq */
	SM_SMTP,	/* -bs */
	SM_FLUSH,	/* -q */
	SM_NOTHING,	/* -bi: no alias database to rebuild */
};

void
sm_err(const char *fmt, ...)
{
	va_list	 ap;

	(void)fputs("sendmail: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
}

static int
sm_usage(void)
{
	(void)fputs("usage: sendmail [-tiv] [-f sender] [-F name] "
	    "[-N dsn] [-R full|hdrs] [-V envid]\n"
	    "                [-B 7BIT|8BITMIME] [-C dir] [-o option] [--] "
	    "[recipient ...]\n"
	    "       sendmail [-C dir] -bs | -bp | -q\n"
	    "       mailq [-C dir]\n", stderr);
	return EX_USAGE;
}

/*
 * Run `tambo [-C dir] queue WHAT` from this program's directory
 * (build/bin, /usr/bin); only returns on failure.
 */
static int
sm_exec_tambo(const char *confdir, const char *what)
{
	char	 exe[PATH_MAX], path[PATH_MAX];
	char	*argv[7];
	const char *slash;
	ssize_t	 n;
	int	 i = 0;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1 ||
	    (exe[n] = '\0', slash = strrchr(exe, '/')) == NULL ||
	    (size_t)snprintf(path, sizeof(path), "%.*s/tambo",
	    (int)(slash - exe), exe) >= sizeof(path)) {
		sm_err("cannot find the tambo command: %s", strerror(errno));
		return EX_UNAVAILABLE;
	}
	argv[i++] = path;
	if (confdir != NULL) {
		argv[i++] = (char *)(uintptr_t)"-C";
		argv[i++] = (char *)(uintptr_t)confdir;
	}
	argv[i++] = (char *)(uintptr_t)"queue";
	argv[i++] = (char *)(uintptr_t)what;
	argv[i] = NULL;
	(void)fflush(stdout);
	(void)execv(path, argv);
	sm_err("%s: %s", path, strerror(errno));
	return EX_UNAVAILABLE;
}

/* mailq [-C dir] [-v ...]: anything but -C is ignored. */
static int
sm_mailq(int argc, char **argv)
{
	const char *confdir = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			confdir = argv[++i];
		else if (strncmp(argv[i], "-C", 2) == 0 && argv[i][2] != '\0')
			confdir = argv[i] + 2;
	}
	return sm_exec_tambo(confdir, "mailq");
}

/* -V: the envelope id as xtext (RFC 3461 4). */
static bool
sm_xtext(const char *in, char *out, size_t outsz)
{
	size_t	 o = 0;

	for (; *in != '\0'; in++) {
		unsigned char c = (unsigned char)*in;
		int	 w;

		if (c < 33 || c > 126 || c == '+' || c == '=')
			w = snprintf(out + o, outsz - o, "+%02X", c);
		else
			w = snprintf(out + o, outsz - o, "%c", c);
		if (w < 0 || (size_t)w >= outsz - o)
			return false;
		o += (size_t)w;
	}
	out[o] = '\0';
	return true;
}

static int
sm_options(int argc, char **argv, struct sm_opts *o, enum sm_mode *mode,
    struct sm_list *args)
{
	int	 c, rc;

	opterr = 0;
	while ((c = getopt(argc, argv,
	    "+:B:b:C:F:f:GL:h:iN:nO:o:p:q::R:r:tUV:vX:")) != -1) {
		switch (c) {
		case 'B':
			if (strcasecmp(optarg, "8BITMIME") == 0)
				o->body = SMTP_BODY_8BITMIME;
			else if (strcasecmp(optarg, "7BIT") == 0)
				o->body = SMTP_BODY_7BIT;
			else {
				sm_err("-B %s: expected 7BIT or 8BITMIME",
				    optarg);
				return EX_USAGE;
			}
			break;
		case 'b':
			if (strcmp(optarg, "m") == 0)
				*mode = SM_DELIVER;
			else if (strcmp(optarg, "p") == 0)
				*mode = SM_MAILQ;
			else if (strcmp(optarg, "s") == 0)
				*mode = SM_SMTP;
			else if (strcmp(optarg, "i") == 0)
				*mode = SM_NOTHING;
			else {
				sm_err("-b%s is not supported", optarg);
				return EX_USAGE;
			}
			break;
		case 'C':
			o->confdir = optarg;
			break;
		case 'F':
			o->fullname = optarg;
			break;
		case 'f':
		case 'r':
			o->sender = optarg;
			break;
		case 'i':
			o->dots = true;
			break;
		case 'N':
			if (smtpcmd_notify(optarg, strlen(optarg),
			    &o->notify) != SMTPCMD_OK) {
				sm_err("-N %s: expected never, or some of "
				    "success,failure,delay", optarg);
				return EX_USAGE;
			}
			break;
		case 'o':
			if (strcmp(optarg, "i") == 0)
				o->dots = true;
			break;		/* -odi, -oem, ...: nothing to do */
		case 'q':
			if (optarg != NULL) {
				sm_err("-q%s: there is no queue daemon; -q "
				    "alone flushes the queue", optarg);
				return EX_USAGE;
			}
			*mode = SM_FLUSH;
			break;
		case 'R':
			if (strcasecmp(optarg, "full") == 0)
				o->ret = SMTP_RET_FULL;
			else if (strcasecmp(optarg, "hdrs") == 0)
				o->ret = SMTP_RET_HDRS;
			else {
				sm_err("-R %s: expected full or hdrs", optarg);
				return EX_USAGE;
			}
			break;
		case 't':
			o->extract = true;
			break;
		case 'V':
			if (!sm_xtext(optarg, o->envid, sizeof(o->envid))) {
				sm_err("-V: envelope id too long");
				return EX_USAGE;
			}
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'G':	/* accepted and ignored */
		case 'L':
		case 'h':
		case 'n':
		case 'O':
		case 'p':
		case 'U':
		case 'X':
			break;
		case ':':
			sm_err("-%c needs an argument", optopt);
			return sm_usage();
		default:
			sm_err("unknown option -%c", optopt);
			return sm_usage();
		}
	}
	for (int i = optind; i < argc; i++)
		if ((rc = sm_list_parse(args, argv[i], strlen(argv[i]),
		    "recipient")) != EX_OK)
			return rc;
	return EX_OK;
}

/*
 * The configuration: tambo.conf when it can be read; an ordinary user
 * usually may not read it (0640, group tambo), and then the defaults
 * apply (the socket /run/tambo/local.sock).
 */
static int
sm_conf(const char *confdir, struct conf *conf)
{
	char	 err[512], path[PATH_MAX];
	const char *dir = conf_dir(confdir);

	if (conf_load(dir, conf, err, sizeof(err)) == 0)
		return EX_OK;
	if (conf_pathf(path, "%s/tambo.conf", dir) == 0 &&
	    access(path, R_OK) == -1 && errno == EACCES) {
		conf_defaults(conf);
		(void)snprintf(conf->dir, sizeof(conf->dir), "%s", dir);
		return EX_OK;
	}
	sm_err("%s", err);
	return EX_TEMPFAIL;
}

static void
sm_whoami(struct sm_user *u)
{
	struct passwd *pw;

	memset(u, 0, sizeof(*u));
	u->uid = (unsigned long)getuid();
	if ((pw = getpwuid(getuid())) == NULL)
		return;
	if (strlen(pw->pw_name) < sizeof(u->login))
		memcpy(u->login, pw->pw_name, strlen(pw->pw_name) + 1);
	if (pw->pw_gecos != NULL)
		(void)snprintf(u->gecos, sizeof(u->gecos), "%s", pw->pw_gecos);
}

/* May this process write the spool (root, tambo, an instance's owner)? */
static bool
sm_spool_writable(const struct conf *conf)
{
	char	 path[PATH_MAX];

	return conf_pathf(path, "%s/tmp", conf->spool) == 0 &&
	    access(path, W_OK | X_OK) == 0 &&
	    conf_pathf(path, "%s/queue", conf->spool) == 0 &&
	    access(path, W_OK | X_OK) == 0;
}

int
main(int argc, char **argv)
{
	static struct sm_msg m;
	struct sm_opts	 o;
	struct sm_list	 args = { NULL, 0 };
	struct sm_user	 u;
	struct conf	 conf;
	enum sm_mode	 mode = SM_DELIVER;
	const char	*base;
	int		 rc, fd = -1, err;
	enum sm_connect	 c;

	base = strrchr(argv[0], '/');
	base = base != NULL ? base + 1 : argv[0];
	if (strcmp(base, "mailq") == 0)
		return sm_mailq(argc, argv);
	log_open("sendmail");
	memset(&o, 0, sizeof(o));
	if ((rc = sm_options(argc, argv, &o, &mode, &args)) != EX_OK)
		goto done;
	switch (mode) {
	case SM_MAILQ:
		return sm_exec_tambo(o.confdir, "mailq");
	case SM_FLUSH:
		return sm_exec_tambo(o.confdir, "flush");
	case SM_NOTHING:
		rc = EX_OK;
		goto done;
	case SM_SMTP:
	case SM_DELIVER:
		break;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	if ((rc = sm_conf(o.confdir, &conf)) != EX_OK)
		goto done;
	if (mode == SM_SMTP) {
		switch (sm_connect(conf.local_socket,
		    (int)conf.command_timeout * 1000, &fd)) {
		case SM_CONNECTED:
			rc = sm_relay(fd);
			break;
		case SM_NO_SERVER:
		case SM_BUSY:
		case SM_CONNECT_ERROR:
			sm_err("cannot reach the mail server at %s: %s",
			    conf.local_socket, strerror(errno));
			(void)printf("421 4.3.0 Local mail server not "
			    "available, try again later\r\n");
			rc = EX_TEMPFAIL;
			break;
		}
		goto done;
	}
	if (args.n == 0 && !o.extract) {
		sm_err("no recipients");
		rc = EX_USAGE;
		goto done;
	}
	sm_whoami(&u);
	if ((rc = sm_read(STDIN_FILENO, &o, conf.max_message_size, &m)) !=
	    EX_OK)
		goto done;
	c = sm_connect(conf.local_socket, (int)conf.command_timeout * 1000,
	    &fd);
	err = errno;
	if (c == SM_CONNECTED)
		rc = sm_smtp(fd, &conf, &o, &u, &args, &m);
	else if ((c == SM_NO_SERVER || c == SM_BUSY) &&
	    sm_spool_writable(&conf))
		rc = sm_direct(&conf, &o, &u, &args, &m);
	else if (c == SM_BUSY) {
		sm_err("the mail server at %s stays busy (at its connection "
		    "limit); the message was not sent", conf.local_socket);
		rc = EX_TEMPFAIL;
	} else {
		sm_err("cannot reach the mail server at %s: %s (is "
		    "tambo-local.socket running?); the message was not sent",
		    conf.local_socket, strerror(err));
		rc = EX_TEMPFAIL;
	}
done:
	if (fd != -1)
		(void)close(fd);
	sm_msg_free(&m);
	sm_list_free(&args);
	return rc;
}
