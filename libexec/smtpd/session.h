/*
 * session.h — one SMTP server session (RFC 5321), as run by smtpd.
 *
 * The session owns the connection's I/O, the envelope being built and the
 * spool transaction of the message being received.  Commands are
 * dispatched through a table (session.c) where each verb has a "may it run
 * now?" check and a "do it" action, so STARTTLS and AUTH slot in as rows.
 */
#ifndef TAMBO_SESSION_H
#define TAMBO_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "io.h"
#include "msg.h"
#include "reply.h"
#include "smtpcmd.h"
#include "spool.h"
#include "tls.h"
#include "users.h"

enum session_mode {
	MODE_MX,		/* port 25: mail for our domains only */
	MODE_SUBMISSION,	/* 587 */
	MODE_SUBMISSIONS,	/* 465 */
	MODE_LOCAL,		/* unix socket, for sendmail */
};

/* The longest login name kept; a longer one is no mailbox's local part. */
#define SESSION_LOGIN_MAX	ADDR_LOCAL_MAX

struct session {
	const struct conf *conf;
	enum session_mode mode;
	struct io	 io;
	struct users	 users;
	struct spool	 spool;
	bool		 spool_ok;
	char		 client[64];
	unsigned	 port;
	int64_t		 start_ms;
	int		 busy_fd;	/* the session table (busy.c); -1 */
	int		 busy_slot;	/* its byte there; -1: none */

	/* after HELO/EHLO */
	bool		 greeted;
	bool		 esmtp;
	char		 helo[ADDR_DOMAIN_MAX + 1];

	/* the transaction */
	bool		 in_mail;
	struct smtp_mail mail;
	char		 spf_hdr[2048];	/* Received-SPF: (spfcheck.c); "" */
	struct spool_rcpt *rcpt;
	size_t		 nrcpt;
	size_t		 rcpt_tried;	/* RCPT commands, accepted or not */

	/* BDAT: the message being received in chunks */
	bool		 in_bdat;
	bool		 tx_open;
	struct spool_tx	*tx;
	struct msg_check *check;

	/* TLS (tlsconn.c) */
	bool		 tls;
	const struct tls_ops *tls_ops;
	struct tls	*tls_conn;
	char		 tls_desc[128];

	/* AUTH (auth.c) */
	bool		 authed;
	char		 auth_user[ADDR_PATH_MAX + 1];
	unsigned	 auth_failures;

	/* the local mode's peer (local.c) */
	uid_t		 peer_uid;
	bool		 peer_privileged;	/* any sender, <> too */
	char		 peer_user[SESSION_LOGIN_MAX + 1];	/* "" if none */

	unsigned	 errors;
	unsigned	 messages;
	bool		 done;
	const char	*end_reason;
};

/* Parse "mx", "submission", ...; false for an unknown mode. */
bool	session_mode_parse(const char *, enum session_mode *);

/*
 * Run a whole session on the connection (rfd, wfd) and return when it is
 * over.  conf may be NULL when the configuration could not be read: the
 * client then gets 421 4.3.0.
 */
void	session_run(const struct conf *, enum session_mode, int rfd, int wfd,
	    const char *client, unsigned port);

/*
 * Internal to smtpd: what session.c offers the files that implement
 * commands (data.c, auth.c, tlsconn.c).
 */

/*
 * The SPF check of the sender just given in MAIL (spfcheck.c): REPLY_OK,
 * or the reply that refuses it.  Fills s->spf_hdr when it checked.
 */
enum reply_id session_spf(struct session *);

/* Send a reply line as is (no CRLF in text). */
void	session_write(struct session *, const char *text, size_t n);
/* Send a reply from the table, with extra text after it (or NULL). */
void	session_reply_extra(struct session *, enum reply_id, const char *);
void	session_reply(struct session *, enum reply_id);
/* Reply and log a refusal of cmd. */
void	session_refuse(struct session *, const char *cmd, enum reply_id,
	    const char *reason);
/* "550 5.1.1" for logs. */
const char *session_code(enum reply_id, char *out, size_t outsz);
/* Forget the transaction (and abort a message being received). */
void	session_reset(struct session *);
void	session_abort_message(struct session *);
/* Open the spool file with envelope and Received:; REPLY_OK or refusal. */
enum reply_id session_begin_message(struct session *);
/* Commit or refuse the message just received, and reply. */
void	session_end_message(struct session *, const char *cmd);
/* May DATA (or a first BDAT) run now? */
enum reply_id check_data(struct session *);
/*
 * Read one line (up to max octets, CRLF removed) for a SASL exchange:
 * false when the session must end.
 */
bool	session_read_line(struct session *, char *line, size_t max,
	    size_t *len);

/* Is AUTH offered now?  Which ESMTP parameters are accepted? */
bool	session_auth_offered(const struct session *);
unsigned session_extensions(const struct session *);

void	run_helo(struct session *, const struct smtp_cmd *);
void	run_mail(struct session *, const struct smtp_cmd *);
void	run_rcpt(struct session *, const struct smtp_cmd *);
void	run_data(struct session *, const struct smtp_cmd *);
void	run_bdat(struct session *, const struct smtp_cmd *);
void	run_auth(struct session *, const struct smtp_cmd *);
void	run_starttls(struct session *, const struct smtp_cmd *);
/* Is STARTTLS worth offering (a certificate folder exists)? */
bool	session_tls_offered(const struct session *);
/* Start TLS now (465, or after "220 Ready"); false: end the session. */
bool	session_tls_start(struct session *);
/* Tear TLS down at the end of the session. */
void	session_tls_end(struct session *);

/*
 * The local mode (local.c).  Identify the peer of the Unix socket fd from
 * its SO_PEERCRED credentials and log it; false (logged) when the fd is not
 * a Unix socket or the credentials cannot be read.
 */
bool	session_local_identify(struct session *, int fd);

/*
 * busy.c: join MODE's session table in the state directory; the table's
 * descriptor (-1: none, busy_sessions = 0 or it cannot be opened) and in
 * *slot the byte held (-1: none).  busy_now(session): whether the server
 * is busy (an io idle_cut).
 */
int	busy_join(const struct conf *, const char *mode, int *slot);
bool	busy_now(void *session);
/* May the local peer use this envelope sender?  REPLY_OK or the refusal. */
enum reply_id session_local_sender(struct session *, const struct addr *);
/*
 * Put "from local user NAME (uid N)" into the Received: field that
 * msg_received wrote into hdr (which holds that field only).  -1 when
 * hdr is full.
 */
int	session_local_received(const struct session *, struct buf *hdr);

#endif
