/*
 * smtpd — serve one SMTP connection and exit.
 *
 *   smtpd [-C dir] --mode mx|submission|submissions|local
 *
 * The connection is fd 3 when systemd's LISTEN_PID/LISTEN_FDS say so
 * (Accept=yes), else fd 0 and 1 (inetd, StandardInput=socket); in the
 * local mode it is a Unix socket whose peer credentials name the user.
 * main wires the modules together; the dialogue is in session.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "session.h"
#include "sock.h"
#include "poison.h"

static void
usage(void)
{
	(void)fprintf(stderr,
	    "usage: smtpd [-C dir] --mode mx|submission|submissions|local\n");
	exit(EX_USAGE);
}

static void
new_session_id(char *sid, size_t n)
{
	unsigned char rnd[5];
	size_t	 i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd) && 2 * i + 2 < n; i++)
		(void)snprintf(sid + 2 * i, 3, "%02x", rnd[i]);
}

int
main(int argc, char **argv)
{
	struct conf	 conf;
	enum session_mode mode = MODE_MX;
	const char	*dir = NULL;
	char		 err[512], sid[16], client[64];
	unsigned	 port;
	int		 i, rfd = 0, wfd = 1, lfd;
	bool		 have_mode = false;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
			if (!session_mode_parse(argv[++i], &mode))
				usage();
			have_mode = true;
		} else if (strncmp(argv[i], "--mode=", 7) == 0) {
			if (!session_mode_parse(argv[i] + 7, &mode))
				usage();
			have_mode = true;
		} else
			usage();
	}
	if (!have_mode)
		usage();

	(void)umask(077);
	(void)signal(SIGPIPE, SIG_IGN);
	log_open("smtpd");
	new_session_id(sid, sizeof(sid));
	log_set_session(sid);

	if ((lfd = sock_listen_fd()) != -1)
		rfd = wfd = lfd;
	sock_peer(rfd, client, sizeof(client), &port);
	(void)sock_nonblock(rfd);
	sock_nodelay(rfd);	/* replies are written whole: no Nagle wait */
	if (wfd != rfd)
		(void)sock_nonblock(wfd);

	if (conf_load(conf_dir(dir), &conf, err, sizeof(err)) == -1) {
		log_error("configuration", err, 0);
		session_run(NULL, mode, rfd, wfd, client, port);
		return EX_CONFIG;
	}
	session_run(&conf, mode, rfd, wfd, client, port);
	return EX_OK;
}
