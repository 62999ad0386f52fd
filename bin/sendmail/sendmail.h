/*
 * sendmail.h — the parts of bin/sendmail, each in its own file:
 *
 *   main.c     options, the modes (-bm, -bp/mailq, -bs, -q), exit codes
 *   message.c  standard input to a message: line ends, the lone ".",
 *              the header section (-t, Bcc:, what is missing), the
 *              envelope, and the header fields added
 *   client.c   SMTP to the local socket, and -bs's byte relay
 *   direct.c   the fallback: straight into the spool (spool.h)
 *
 * Every function that can fail returns a sysexits(3) code (EX_OK when
 * all went well) and has said why on standard error.
 */
#ifndef TAMBO_SENDMAIL_H
#define TAMBO_SENDMAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "smtpcmd.h"
#include "spool.h"

#define SM_HEAD_MAX	(1024 * 1024)	/* the header section, octets */
#define SM_RCPT_MAX	SPOOL_RCPT_MAX

/* What the command line asked for. */
struct sm_opts {
	const char	*confdir;	/* -C, or NULL */
	const char	*sender;	/* -f/-r as given, NULL: the caller */
	const char	*fullname;	/* -F, or NULL */
	bool		 extract;	/* -t: recipients from the header */
	bool		 dots;		/* -i, -oi: a lone "." is text */
	bool		 verbose;	/* -v: the dialogue on stderr */
	unsigned	 notify;	/* -N: SMTP_NOTIFY_*, 0 none */
	enum smtp_ret	 ret;		/* -R */
	char		 envid[SMTP_ENVID_MAX + 1];	/* -V, as xtext */
	enum smtp_body	 body;		/* -B */
};

/* Addresses as written (command line, To:/Cc:/Bcc:). */
struct sm_list {
	char		**v;
	size_t		 n;
};

/* The message read from standard input. */
struct sm_msg {
	struct buf	 all;		/* the input, CRLF line ends */
	struct buf	 head;		/* header fields kept (no Bcc:) */
	size_t		 body;		/* offset of the body in all */
	bool		 has_from, has_date, has_msgid;
	bool		 eightbit;	/* a byte over 127 anywhere */
	struct sm_list	 hdr_rcpt;	/* -t: To:, Cc:, Bcc: */
};

/* The envelope, addresses complete (a domain added where missing). */
struct sm_env {
	char		 from[ADDR_PATH_MAX + 1];	/* "" for <> */
	char		 (*rcpt)[ADDR_PATH_MAX + 1];
	size_t		 nrcpt;
	bool		 utf8;		/* an address needs SMTPUTF8 */
};

/* Who runs us. */
struct sm_user {
	char		 login[ADDR_LOCAL_MAX + 1];	/* "" if unknown */
	char		 gecos[256];	/* the full name, "" if none */
	unsigned long	 uid;
};

/* message.c */
int	sm_list_add(struct sm_list *, const char *s, size_t n);
/* Split a list of addresses ("a, B <b@x>") into l.  EX_DATAERR. */
int	sm_list_parse(struct sm_list *, const char *s, size_t n,
	    const char *what);
void	sm_list_free(struct sm_list *);
/*
 * Read fd to its end (or to a lone "." unless opts->dots) into m->all
 * with CRLF line ends, at most max octets; then split off the header
 * section.
 */
int	sm_read(int fd, const struct sm_opts *, uint64_t max, struct sm_msg *);
/* The header section of m->all (I/O-free; called by sm_read). */
int	sm_parse(struct sm_msg *, bool extract);
void	sm_msg_free(struct sm_msg *);
/*
 * The envelope: the sender (-f, else LOGIN@domain) and the recipients
 * of the command line and of the header, bare names completed with
 * @domain, duplicates dropped.
 */
int	sm_envelope(const struct sm_opts *, const struct sm_user *,
	    const struct sm_list *args, const struct sm_list *hdr,
	    const char *domain, struct sm_env *);
void	sm_env_free(struct sm_env *);
/* The From:, Date: and Message-ID: fields the message lacks. */
int	sm_added(const struct sm_msg *, const struct sm_opts *,
	    const struct sm_user *, const struct sm_env *, const char *domain,
	    struct buf *out);

/* client.c */
enum sm_connect {
	SM_CONNECTED,
	SM_NO_SERVER,		/* no socket, or nobody listening */
	SM_BUSY,		/* at its connection limit, after retrying */
	SM_CONNECT_ERROR,	/* anything else (permissions, ...) */
};
#define SM_BUSY_FIRST_MS	50	/* then doubled, up to 1 s */
#define SM_BUSY_WAIT_MS		60000	/* in all */
/*
 * Connect to the socket at path; *fd is the connection.  A server at its
 * connection limit (tambo-local.socket's MaxConnections=: systemd accepts
 * and closes at once) or with a full backlog is tried again, with growing
 * pauses of random length, for about SM_BUSY_WAIT_MS; the greeting is
 * awaited (timeout_ms) but left unread.
 */
enum sm_connect sm_connect(const char *path, int timeout_ms, int *fd);
/* Send the message over the connection fd. */
int	sm_smtp(int fd, const struct conf *, const struct sm_opts *,
	    const struct sm_user *, const struct sm_list *args,
	    struct sm_msg *);
/* -bs: relay standard input and output to fd and back. */
int	sm_relay(int fd);

/* direct.c: write the message into the spool, as the server would. */
int	sm_direct(const struct conf *, const struct sm_opts *,
	    const struct sm_user *, const struct sm_list *args,
	    struct sm_msg *);

/* main.c: "sendmail: message" on stderr. */
void	sm_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
