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

#include "conf.h"
#include "io.h"
#include "reply.h"
#include "smtpcmd.h"
#include "spool.h"
#include "users.h"

enum session_mode {
	MODE_MX,		/* port 25: mail for our domains only */
	MODE_SUBMISSION,	/* 587 */
	MODE_SUBMISSIONS,	/* 465 */
	MODE_LOCAL,		/* unix socket, for sendmail */
};

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

	/* after HELO/EHLO */
	bool		 greeted;
	bool		 esmtp;
	char		 helo[ADDR_DOMAIN_MAX + 1];

	/* the transaction */
	bool		 in_mail;
	struct smtp_mail mail;
	struct spool_rcpt *rcpt;
	size_t		 nrcpt;
	size_t		 rcpt_tried;	/* RCPT commands, accepted or not */

	/* BDAT: the message being received in chunks */
	bool		 in_bdat;
	bool		 tx_open;
	struct spool_tx	*tx;
	struct msg_check *check;

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

#endif
