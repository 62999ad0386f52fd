/*
 * local.c — the local mode (--mode local): mail from the programs of this
 * host, through the Unix socket that sendmail (tambo-sendmail(8)) talks
 * to.  No AUTH: the kernel says who the peer is (SO_PEERCRED, unix(7)),
 * and that identity stands in for a login, as in a submission session
 * (RFC 6409 4.3: the submission server may check and refuse senders).
 *
 * Policy, in one place:
 *   - root, the user smtpd runs as (tambo under the shipped units) and the
 *     user named tambo may use any envelope sender, <> included;
 *   - any other user only LOGIN@hostname or LOGIN@<a local domain>, with
 *     the local part compared as recipients are matched (users.h: ASCII
 *     case, drop characters, suffixes), else 550 5.7.1;
 *   - recipients anywhere (the caller is a local user: like an
 *     authenticated submission).
 * The login name and uid go into the log (event=local) and into the
 * Received: field ("from local user NAME (uid N)").
 *
 * What it leaves to others: the dialogue and every limit and content check
 * (session.c, envelope.c, data.c), the same as on the submission ports.
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "session.h"
#include "poison.h"

#define LOCAL_SYSTEM_USER	"tambo"

static void
local_log(const struct session *s)
{
	struct logline l;

	log_start(&l, LOG_INFO, "local");
	log_str(&l, "user", s->peer_user);
	log_num(&l, "uid", (unsigned long long)s->peer_uid);
	log_num(&l, "privileged", s->peer_privileged);
	log_emit(&l);
}

bool
session_local_identify(struct session *s, int fd)
{
	struct sockaddr_storage ss;
	struct ucred cr;
	struct passwd *pw;
	socklen_t len = sizeof(ss);
	size_t	 n;

	/* SO_PEERCRED on a TCP socket answers with the overflow uid. */
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		log_error("local mode needs a Unix socket", NULL, errno);
		return false;
	}
	if (ss.ss_family != AF_UNIX) {
		log_error("local mode needs a Unix socket", NULL, ENOTSOCK);
		return false;
	}
	len = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    len != sizeof(cr)) {
		log_error("cannot read the peer's credentials", NULL, errno);
		return false;
	}
	s->peer_uid = cr.uid;
	s->peer_user[0] = '\0';
	errno = 0;
	if ((pw = getpwuid(cr.uid)) != NULL) {
		n = strlen(pw->pw_name);
		if (n > 0 && n <= SESSION_LOGIN_MAX)
			memcpy(s->peer_user, pw->pw_name, n + 1);
	} else if (errno != 0)
		log_error("cannot look the peer's user up", NULL, errno);
	s->peer_privileged = cr.uid == 0 || cr.uid == geteuid();
	if (!s->peer_privileged && (pw = getpwnam(LOCAL_SYSTEM_USER)) != NULL)
		s->peer_privileged = pw->pw_uid == cr.uid;
	local_log(s);
	return true;
}

enum reply_id
session_local_sender(struct session *s, const struct addr *from)
{
	char	 dom[ADDR_DOMAIN_MAX + 1], host[ADDR_DOMAIN_MAX + 1];
	char	 a[ADDR_LOCAL_MAX + 1], b[ADDR_LOCAL_MAX + 1];

	if (s->peer_privileged)
		return REPLY_OK;
	if (s->peer_user[0] == '\0' || from->mailbox[0] == '\0' ||
	    (from->flags & (ADDR_NULL | ADDR_NODOMAIN | ADDR_RELAY_TRICKS)))
		return REPLY_SENDER_NOT_OWNED;
	if (!addr_domain_normalize(from->domain, dom, sizeof(dom)))
		return REPLY_SENDER_NOT_OWNED;
	if ((!addr_domain_normalize(s->conf->hostname, host, sizeof(host)) ||
	    strcmp(dom, host) != 0) && users_domain(&s->users,
	    from->domain) == NULL)
		return REPLY_SENDER_NOT_OWNED;
	users_canonical_local(s->conf, from->local, a, sizeof(a));
	users_canonical_local(s->conf, s->peer_user, b, sizeof(b));
	return strcmp(a, b) == 0 ? REPLY_OK : REPLY_SENDER_NOT_OWNED;
}

/* A login name as header text: no spaces, parentheses or odd bytes. */
static void
local_header_name(const char *in, char *out, size_t outsz)
{
	size_t	 i;

	for (i = 0; in[i] != '\0' && i + 1 < outsz; i++) {
		unsigned char c = (unsigned char)in[i];

		out[i] = c > 0x20 && c < 0x7f && c != '(' && c != ')' &&
		    c != '\\' && c != ';' ? (char)c : '?';
	}
	out[i] = '\0';
}

int
session_local_received(const struct session *s, struct buf *hdr)
{
	static const char head[] = "Received: ";
	struct buf out;
	char	 name[SESSION_LOGIN_MAX + 1];
	int	 r = 0;

	if (hdr->len < sizeof(head) - 1 ||
	    memcmp(hdr->data, head, sizeof(head) - 1) != 0)
		return -1;
	buf_init(&out, hdr->max);
	r |= buf_addstr(&out, head);
	if (s->peer_user[0] != '\0') {
		local_header_name(s->peer_user, name, sizeof(name));
		r |= buf_printf(&out, "from local user %s (uid %lu)\r\n\t", name,
		    (unsigned long)s->peer_uid);
	} else
		r |= buf_printf(&out, "from local (uid %lu)\r\n\t",
		    (unsigned long)s->peer_uid);
	r |= buf_add(&out, hdr->data + sizeof(head) - 1,
	    hdr->len - (sizeof(head) - 1));
	if (r != 0) {
		buf_free(&out);
		return -1;
	}
	buf_free(hdr);
	*hdr = out;
	return 0;
}
