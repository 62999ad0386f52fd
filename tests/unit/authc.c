/*
 * authc.c — the password checker's client (authc.h) against small servers
 * forked here: each answer, a server that closes or says something else,
 * one that never answers (the deadline), no socket, nobody listening.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "authc.h"
#include "authreq.h"
#include "tap.h"

static char dir[256], path[512];

static int
listen_at(const char *p)
{
	struct sockaddr_un sun;
	int	 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(p) >= sizeof(sun.sun_path))
		bail_out("socket path too long", p);
	memcpy(sun.sun_path, p, strlen(p) + 1);
	(void)unlink(p);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 8) == -1)
		bail_out("listen", strerror(errno));
	return fd;
}

/*
 * A server for one connection: it reads a whole request, checks that it
 * is the one sent, and answers with reply (NULL: closes without a word).
 * Its exit status says whether the request was right.
 */
static pid_t
serve_once(int lfd, const char *reply)
{
	unsigned char buf[AUTHREQ_MAX];
	struct authreq r;
	enum authreq_result res = AUTHREQ_SHORT;
	size_t	 got = 0;
	ssize_t	 n;
	pid_t	 pid;
	int	 fd;

	fflush(stdout);
	if ((pid = fork()) == -1)
		bail_out("fork", strerror(errno));
	if (pid > 0)
		return pid;
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(2);
	while (res == AUTHREQ_SHORT && got < sizeof(buf) &&
	    (n = read(fd, buf + got, sizeof(buf) - got)) > 0) {
		got += (size_t)n;
		res = authreq_decode(buf, got, &r);
	}
	if (reply != NULL && write(fd, reply, strlen(reply)) == -1)
		_exit(3);
	_exit(res == AUTHREQ_OK && strcmp(r.user, "u@example.test") == 0 &&
	    strcmp(r.pass, "pass word") == 0 &&
	    strcmp(r.client, "192.0.2.7") == 0 ? 0 : 1);
}

static int
reap(pid_t pid)
{
	int	 st;

	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void
test_answers(void)
{
	static const struct {
		const char	*reply;
		enum authc_result want;
		int		 err;
		const char	*name;
	} t[] = {
		{ "ok\n", AUTHC_OK, 0, "ok" },
		{ "fail\n", AUTHC_FAIL, 0, "fail" },
		{ "temp\n", AUTHC_TEMP, 0, "temp" },
		{ NULL, AUTHC_UNAVAILABLE, ECONNRESET, "closed without an answer" },
		{ "what?\n", AUTHC_UNAVAILABLE, EPROTO, "not an answer" },
		{ "ok", AUTHC_UNAVAILABLE, EPROTO, "an answer cut short" },
	};
	enum authc_result res;
	size_t	 i;
	pid_t	 pid;
	int	 lfd, err;

	lfd = listen_at(path);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		pid = serve_once(lfd, t[i].reply);
		errno = 0;
		res = authc_check(path, "u@example.test", "pass word",
		    "192.0.2.7", 5000);
		err = errno;
		is_int(res, t[i].want, "%s: the result", t[i].name);
		if (t[i].err != 0)
			is_int(err, t[i].err, "%s: errno", t[i].name);
		is_int(reap(pid), 0, "%s: the server got the request",
		    t[i].name);
	}
	(void)close(lfd);
}

/* authc_check with the result and errno in one value for the tests. */
static enum authc_result
ask(const char *p, const char *user, const char *client, int ms, int *err)
{
	enum authc_result r;

	errno = 0;
	r = authc_check(p, user, "pw", client, ms);
	*err = errno;
	return r;
}

static void
test_unavailable(void)
{
	enum authc_result r;
	char	 p2[600];
	int	 lfd, e;

	r = ask(path, "u@example.test", "local", 1000, &e);
	ok(r == AUTHC_UNAVAILABLE && e == ECONNREFUSED,
	    "a socket nobody listens on: ECONNREFUSED (%s)", strerror(e));
	tap_pathf(p2, sizeof(p2), "%s/none.sock", dir);
	r = ask(p2, "u@example.test", "local", 1000, &e);
	ok(r == AUTHC_UNAVAILABLE && e == ENOENT, "no socket: ENOENT (%s)",
	    strerror(e));
	r = ask("", "u@example.test", "local", 1000, &e);
	ok(r == AUTHC_UNAVAILABLE, "an empty path: unavailable");

	/* a listener that never accepts: the request fits the buffer */
	lfd = listen_at(path);
	r = ask(path, "u@example.test", "local", 300, &e);
	ok(r == AUTHC_UNAVAILABLE && e == ETIMEDOUT,
	    "no answer within the time: ETIMEDOUT (%s)", strerror(e));
	(void)close(lfd);

	/* a full backlog: connect(2) itself waits, bounded by the time */
	lfd = listen_at(path);
	if (listen(lfd, 0) == -1)
		bail_out("listen", strerror(errno));
	{
		struct sockaddr_un sun;
		int	 filler;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, path, strlen(path) + 1);
		if ((filler = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    connect(filler, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1)
			bail_out("connect", strerror(errno));
		r = ask(path, "u@example.test", "local", 300, &e);
		ok(r == AUTHC_UNAVAILABLE && e == ETIMEDOUT,
		    "a full backlog: ETIMEDOUT (%s)", strerror(e));
		(void)close(filler);
	}
	(void)close(lfd);

	r = ask(path, "", "local", 1000, &e);
	ok(r == AUTHC_UNAVAILABLE && e == EINVAL,
	    "an empty user is not sent: EINVAL");
	r = ask(path, "u@example.test", "two words", 1000, &e);
	ok(r == AUTHC_UNAVAILABLE && e == EINVAL,
	    "a client authd would refuse is not sent: EINVAL");
}

int
main(void)
{
	(void)signal(SIGPIPE, SIG_IGN);
	tap_tmpdir(dir, sizeof(dir), "authc");
	tap_pathf(path, sizeof(path), "%s/auth.sock", dir);
	test_answers();
	test_unavailable();
	tap_rmtree(dir);
	return done_testing();
}
