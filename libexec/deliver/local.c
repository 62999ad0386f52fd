/*
 * local.c — delivery on this host: a Maildir under the state directory, a
 * configured mailbox_command (dovecot-lda, say), or an alias's
 * "| command".
 *
 * Maildir (the qmail layout): the message, with Return-Path: and
 * Delivered-To: prepended and LF line ends as mail readers expect, is
 * written to tmp/, fsynced, linked into new/ and the directory fsynced —
 * only then is the target done (DESIGN.md: "the local fsync").
 * STATE/mail/DOMAIN/USER/ is created on first delivery.
 *
 * Commands run through /bin/sh -c with the message on stdin (LF line
 * ends), the envelope in SENDER, RECIPIENT, ORIGINAL_RECIPIENT, USER,
 * DOMAIN and QUEUE_ID, in a new session, as the runner's user — or as
 * "nobody" when the runner runs as root, so a pipe alias never runs with
 * privileges.  Exit 0 is delivered; 75 (EX_TEMPFAIL), 71, 73, 74, a signal
 * or the time limit are temporary; any other status is permanent, with
 * the first line the command wrote as the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "poison.h"

#define LOCAL_COMMAND_TIMEOUT	600	/* seconds */
#define LOCAL_OUTPUT_MAX	400

static int
local_mkdirs(const char *path)
{
	char	 p[PATH_MAX];
	size_t	 i;

	(void)snprintf(p, sizeof(p), "%s", path);
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			return -1;
		p[i] = '/';
	}
	if (mkdir(p, 0700) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

static int
local_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t	 w = write(fd, p, n);

		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write the message with CRLF turned into LF. */
static int
local_write_lf(int fd, const char *p, size_t n)
{
	char	 out[65536];
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			continue;
		out[o++] = p[i];
		if (o == sizeof(out)) {
			if (local_write_all(fd, out, o) == -1)
				return -1;
			o = 0;
		}
	}
	return local_write_all(fd, out, o);
}

static void
local_done(struct runner *r, struct dmsg *m, struct qstate_target *t,
    char st, unsigned code, const char *enh, const char *text)
{
	const char *relay = t->kind == QK_MAILDIR ? "maildir" :
	    t->kind == QK_PIPE ? "pipe" : "mda";

	queue_result(r, m, t, st, code, enh, relay, text);
	if (st == 'd')
		log_delivered(t->addr, relay, (int)code, enh, NULL, text);
	else if (st == 'p')
		log_bounced(t->addr, relay, (int)code, enh, NULL, text);
	else
		log_deferred(t->addr, relay, (int)code, enh, NULL, text);
}

static void
local_maildir(struct runner *r, struct dmsg *m, struct qstate_target *t,
    const char *msg, size_t len)
{
	char	 dir[PATH_MAX], tmp[PATH_MAX], new[PATH_MAX], name[256];
	char	 head[ADDR_PATH_MAX + QSTATE_ADDR_MAX + 64], user[ADDR_PATH_MAX + 1];
	const char *at = strrchr(t->addr, '@'), *from;
	static unsigned seq;
	struct timespec ts;
	int	 fd = -1, dfd = -1;
	size_t	 i;

	(void)snprintf(user, sizeof(user), "%.*s", at ? (int)(at - t->addr) :
	    (int)strlen(t->addr), t->addr);
	/* The user key came from our own users file; still, no path
	 * tricks. */
	for (i = 0; user[i] != '\0'; i++)
		if (user[i] == '/' || (i == 0 && user[i] == '.'))
			user[i] = '_';
	if (conf_pathf(dir, "%s/mail/%s/%s", r->conf.state, at ? at + 1 :
	    "local", user) == -1)
		goto temp;
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	if ((size_t)snprintf(name, sizeof(name), "%lld.M%ldP%dQ%u.%s",
	    (long long)ts.tv_sec, ts.tv_nsec / 1000, (int)getpid(), ++seq,
	    r->conf.hostname) >= sizeof(name)) {
		errno = ENAMETOOLONG;
		goto temp;
	}
	if (conf_pathf(tmp, "%s/tmp", dir) == -1 || local_mkdirs(tmp) == -1 ||
	    conf_pathf(new, "%s/new", dir) == -1 || local_mkdirs(new) == -1 ||
	    conf_pathf(tmp, "%s/cur", dir) == -1 || local_mkdirs(tmp) == -1 ||
	    conf_pathf(tmp, "%s/tmp/%s", dir, name) == -1 ||
	    conf_pathf(new, "%s/new/%s", dir, name) == -1)
		goto temp;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		goto temp;
	from = queue_target_from(m, t);
	(void)snprintf(head, sizeof(head), "Return-Path: <%s>\n"
	    "Delivered-To: %s\n", from, t->addr);
	if (local_write_all(fd, head, strlen(head)) == -1 ||
	    local_write_lf(fd, msg, len) == -1 || fsync(fd) == -1)
		goto temp_unlink;
	if (close(fd) == -1) {
		fd = -1;
		goto temp_unlink;
	}
	fd = -1;
	if (link(tmp, new) == -1)
		goto temp_unlink;
	(void)unlink(tmp);
	if (conf_pathf(tmp, "%s/new", dir) == -1 ||
	    (dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1) {
		if (dfd != -1)
			(void)close(dfd);
		/* Linked but not known durable: deliver again later rather
		 * than risk a loss. */
		goto temp;
	}
	(void)close(dfd);
	local_done(r, m, t, 'd', 250, "2.0.0", "delivered to maildir");
	return;
temp_unlink:
	{
		int	 e = errno;

		if (fd != -1)
			(void)close(fd);
		(void)unlink(tmp);
		errno = e;
	}
temp:
	{
		char	 text[QSTATE_TEXT_MAX];

		if ((size_t)snprintf(text, sizeof(text), "maildir %s: %s", dir,
		    strerror(errno)) >= sizeof(text))
			text[sizeof(text) - 1] = '\0';
		local_done(r, m, t, 't', 451, "4.3.0", text);
	}
}

/* Give up root for a command: to nobody. */
static int
local_drop(void)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam("nobody")) == NULL)
		return -1;
	if (setgroups(0, NULL) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1)
		return -1;
	return 0;
}

static void
local_command(struct runner *r, struct dmsg *m, struct qstate_target *t,
    const char *msg, size_t len)
{
	const char *cmd = t->kind == QK_PIPE ? t->addr :
	    r->conf.mailbox_command;
	const struct spool_rcpt *orig = t->orig < m->env.nrcpt ?
	    &m->env.rcpt[t->orig] : NULL;
	int	 in[2] = { -1, -1 }, out[2] = { -1, -1 }, status;
	char	 output[LOCAL_OUTPUT_MAX + 1], text[QSTATE_TEXT_MAX];
	size_t	 olen = 0, off = 0;
	pid_t	 pid;
	time_t	 deadline = time(NULL) + LOCAL_COMMAND_TIMEOUT;
	bool	 timedout = false;

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		goto temp;
	if ((pid = fork()) == -1)
		goto temp;
	if (pid == 0) {
		const char *at = strrchr(t->addr, '@');
		char	 user[ADDR_PATH_MAX + 1];

		(void)setsid();
		if (dup2(in[0], 0) == -1 || dup2(out[1], 1) == -1 ||
		    dup2(out[1], 2) == -1 || local_drop() == -1)
			_exit(EX_TEMPFAIL);
		(void)snprintf(user, sizeof(user), "%.*s",
		    at ? (int)(at - t->addr) : (int)strlen(t->addr),
		    t->addr);
		(void)setenv("SENDER", queue_target_from(m, t), 1);
		(void)setenv("RECIPIENT", t->kind == QK_PIPE && orig ?
		    orig->addr : t->addr, 1);
		(void)setenv("ORIGINAL_RECIPIENT", orig ? orig->addr : "", 1);
		if (t->kind == QK_MDA) {
			(void)setenv("USER", user, 1);
			(void)setenv("DOMAIN", at ? at + 1 : "", 1);
		}
		(void)setenv("QUEUE_ID", m->id, 1);
		(void)setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
		(void)signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(EX_TEMPFAIL);
	}
	(void)close(in[0]);
	(void)close(out[1]);
	in[0] = out[1] = -1;
	/* Feed the message (LF line ends) while collecting output. */
	{
		char	*lf;
		size_t	 n = 0, i;

		if ((lf = malloc(len + 1)) == NULL) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, NULL, 0);
			goto temp;
		}
		for (i = 0; i < len; i++)
			if (!(msg[i] == '\r' && i + 1 < len &&
			    msg[i + 1] == '\n'))
				lf[n++] = msg[i];
		(void)fcntl(in[1], F_SETFL, O_NONBLOCK);
		for (;;) {
			struct pollfd pfd[2];
			int	 np = 0, pr;

			if (in[1] != -1) {
				pfd[np].fd = in[1];
				pfd[np++].events = POLLOUT;
			}
			pfd[np].fd = out[0];
			pfd[np++].events = POLLIN;
			pr = poll(pfd, (nfds_t)np, 1000);
			if (time(NULL) > deadline) {
				timedout = true;
				(void)kill(-pid, SIGKILL);
				(void)kill(pid, SIGKILL);
				break;
			}
			if (pr <= 0)
				continue;
			if (in[1] != -1 && pfd[0].revents) {
				ssize_t	 w = write(in[1], lf + off, n - off);

				if (w > 0)
					off += (size_t)w;
				if ((w == -1 && errno != EAGAIN &&
				    errno != EINTR) || off == n) {
					(void)close(in[1]);
					in[1] = -1;
				}
			}
			if (pfd[np - 1].revents) {
				char	 b[1024];
				ssize_t	 rd = read(out[0], b, sizeof(b));

				if (rd == 0 || (rd == -1 && errno != EINTR &&
				    errno != EAGAIN))
					break;
				if (rd > 0 && olen < LOCAL_OUTPUT_MAX) {
					size_t	 k = (size_t)rd;

					if (k > LOCAL_OUTPUT_MAX - olen)
						k = LOCAL_OUTPUT_MAX - olen;
					memcpy(output + olen, b, k);
					olen += k;
				}
			}
		}
		free(lf);
	}
	if (in[1] != -1)
		(void)close(in[1]);
	(void)close(out[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	output[olen] = '\0';
	output[strcspn(output, "\r\n")] = '\0';
	if (timedout) {
		local_done(r, m, t, 't', 451, "4.3.0",
		    "command timed out");
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		local_done(r, m, t, 'd', 250, "2.0.0", "delivered to command");
		return;
	}
	if (WIFSIGNALED(status))
		(void)snprintf(text, sizeof(text), "command killed by signal "
		    "%d%s%s", WTERMSIG(status), olen ? ": " : "", output);
	else
		(void)snprintf(text, sizeof(text), "command exit %d%s%s",
		    WEXITSTATUS(status), olen ? ": " : "", output);
	if (WIFSIGNALED(status) || WEXITSTATUS(status) == EX_TEMPFAIL ||
	    WEXITSTATUS(status) == EX_OSERR ||
	    WEXITSTATUS(status) == EX_IOERR ||
	    WEXITSTATUS(status) == EX_CANTCREAT)
		local_done(r, m, t, 't', 451, "4.3.0", text);
	else
		local_done(r, m, t, 'p', 550, "5.3.0", text);
	return;
temp:
	(void)snprintf(text, sizeof(text), "cannot run the command: %s",
	    strerror(errno));
	if (in[0] != -1)
		(void)close(in[0]);
	if (in[1] != -1)
		(void)close(in[1]);
	if (out[0] != -1)
		(void)close(out[0]);
	if (out[1] != -1)
		(void)close(out[1]);
	local_done(r, m, t, 't', 451, "4.3.0", text);
}

void
local_deliver(struct runner *r, struct dmsg *m, struct qstate_target *t)
{
	char	*msg;
	size_t	 len;

	log_set_queue_id(m->id);
	if (deliver_read_message(m, SIZE_MAX, &msg, &len) == -1) {
		char	 text[QSTATE_TEXT_MAX];

		(void)snprintf(text, sizeof(text), "cannot read the queue "
		    "file: %s", strerror(errno));
		local_done(r, m, t, 't', 451, "4.3.0", text);
		return;
	}
	if (t->kind == QK_MAILDIR)
		local_maildir(r, m, t, msg, len);
	else
		local_command(r, m, t, msg, len);
	free(msg);
}
