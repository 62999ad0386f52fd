/*
 * remote.h — what the files of the SMTP client `remote` share.
 *
 * main.c reads the jobs and prints the results, dest.c turns the
 * destination into a list of addresses to try (route or MX), conn.c
 * opens a ready connection to one of them (greeting, EHLO, STARTTLS,
 * AUTH), xfer.c runs one job's mail transaction on it, job.c parses the
 * jobs.  tambo-remote(8) is the contract with the delivery runner.
 */
#ifndef TAMBO_REMOTE_H
#define TAMBO_REMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "dns.h"
#include "io.h"
#include "smtpcmd.h"
#include "smtpreply.h"
#include "tls.h"

#define REMOTE_ID_MAX		64	/* a job's id */
#define REMOTE_LINE_MAX		4096	/* a job line, with its LF */
#define REMOTE_RCPTS_MAX	10000	/* recipients in one job */
#define REMOTE_TARGETS_MAX	64	/* addresses tried per destination */
#define REMOTE_GIVEN_MAX	(2 * ADDR_PATH_MAX)	/* an address as given */
#define REMOTE_RELAY_MAX	(ADDR_DOMAIN_MAX + INET6_ADDRSTRLEN + 16)

/*
 * The time allowed for each step, in seconds: RFC 5321 4.5.3.2's
 * minimums for the server's replies, and a short wait for the reply to
 * QUIT.  Connecting uses the configuration's connect_timeout.
 */
enum remote_step {
	STEP_GREETING,		/* 4.5.3.2.1: 5 minutes */
	STEP_EHLO,
	STEP_STARTTLS,		/* and the TLS handshake */
	STEP_AUTH,
	STEP_RSET,
	STEP_MAIL,		/* 4.5.3.2.2: 5 minutes */
	STEP_RCPT,		/* 4.5.3.2.3: 5 minutes */
	STEP_DATA,		/* 4.5.3.2.4: 2 minutes */
	STEP_BLOCK,		/* 4.5.3.2.5: 3 minutes per data block */
	STEP_FINAL,		/* 4.5.3.2.6: 10 minutes */
	STEP_QUIT,
	STEP_COUNT
};
extern const struct remote_step_info {
	const char	*name;		/* "MAIL FROM", for the logs */
	unsigned	 seconds;
} remote_steps[STEP_COUNT];

enum rcpt_status {
	RCPT_PENDING,
	RCPT_DELIVERED,
	RCPT_PASSED,	/* delivered to a server that offered DSN, with
			 * NOTIFY=: its success report, not ours (RFC 3461
			 * 6.2.1) */
	RCPT_TEMP,
	RCPT_PERM,
};

struct rcpt {
	char		 given[REMOTE_GIVEN_MAX + 1];	/* as the job said */
	char		 wire[ADDR_PATH_MAX + 1];	/* domain in A-labels */
	bool		 bad;		/* did not parse: perm 5.1.3 */
	bool		 utf8_local;	/* needs SMTPUTF8 */
	unsigned	 notify;	/* SMTP_NOTIFY_*, 0: none */
	char		 orcpt[SMTP_ORCPT_MAX + 1];
	bool		 accepted;	/* RCPT 2xx in this transaction */
	enum rcpt_status status;
	struct smtp_reply reply;	/* the outcome */
	char		 host[ADDR_DOMAIN_MAX + 1];	/* "-": none */
	char		 relay[REMOTE_RELAY_MAX];	/* "": none */
	char		 tls[128];			/* "": unknown */
};

struct job {
	char		 id[REMOTE_ID_MAX + 1];
	char		 sender[REMOTE_GIVEN_MAX + 1];	/* "" for <> */
	char		 sender_wire[ADDR_PATH_MAX + 1];
	bool		 sender_bad;
	bool		 sender_utf8;
	bool		 body8;		/* BODY=8BITMIME */
	bool		 smtputf8;	/* the message needs SMTPUTF8 */
	enum smtp_ret	 ret;
	char		 envid[SMTP_ENVID_MAX + 1];
	struct rcpt	*rcpts;
	size_t		 nrcpts, rcptcap;
	/* the message as sent: CRLF line ends, dot-stuffed, ending in
	 * CRLF (or empty), without the final "." line */
	struct buf	 msg;
	bool		 too_big;	/* over our own limit: not kept */
	bool		 bol, cr;	/* conversion state */
};

/* One address to try: a host's name and one of its addresses. */
struct target {
	char		 host[ADDR_DOMAIN_MAX + 1];
	struct dns_addr	 addr;
	char		 addrtext[INET6_ADDRSTRLEN];
	uint16_t	 port;
	bool		 plaintext;	/* TLS failed under "may": not again */
};

struct dest {
	const struct conf *conf;
	char		 domain[ADDR_DOMAIN_MAX + 1];	/* A-labels */
	enum conf_tls	 tls;		/* the policy, never DEFAULT */
	const char	*auth;		/* "user:password" file, or NULL */
	bool		 mx;		/* MX hosts, not a route */
	bool		 resolved;
	/* When set, every recipient gets this outcome without a try:
	 * the lookup failed, or every address failed just before. */
	enum rcpt_status fail_status;
	struct smtp_reply fail;
	char		 fail_host[ADDR_DOMAIN_MAX + 1];
	struct target	 targets[REMOTE_TARGETS_MAX];
	size_t		 ntargets;
	const char	*ca_file;	/* TAMBO_TLS_CA_FILE, or NULL */
};

struct conn {
	int		 fd;		/* -1: no connection */
	struct io	 io;
	const struct tls_ops *ops;
	struct tls	*tls;
	struct target	*target;
	char		 relay[REMOTE_RELAY_MAX];	/* HOST[ADDR]:PORT */
	char		 tlsdesc[128];	/* "none", or version and cipher */
	bool		 verified;
	struct smtp_ext	 ext;
	unsigned	 transactions;	/* begun on this connection */
	bool		 need_rset;	/* the last transaction did not end */
	char		 err[1024];	/* the last I/O trouble, as text */
};

/* job.c */
void	job_init(struct job *, uint64_t max_size);
void	job_reset(struct job *);
void	job_free(struct job *);
/*
 * The batch form: read the next job from in.  1: a job; 0: end of
 * input; -1: bad framing (err says why).
 */
int	job_read(struct io *in, struct job *, char *err, size_t errsz);
/* The single-message form: sender, recipients, message on fd. */
int	job_single(struct job *, const char *sender, char **rcpts,
	    size_t nrcpts, bool smtputf8, bool body8, int fd, char *err,
	    size_t errsz);
/*
 * Set the outcome of one recipient, if it is still pending, or of all:
 * host is who answered ("-" or NULL: nobody), relay and tls (may be
 * NULL) are for the log line.
 */
void	job_set(struct rcpt *, enum rcpt_status, const struct smtp_reply *,
	    const char *host, const char *relay, const char *tls);
void	job_set_all(struct job *, enum rcpt_status,
	    const struct smtp_reply *, const char *host, const char *relay,
	    const char *tls);
/* How many recipients are still pending. */
size_t	job_pending(const struct job *);

/* dest.c */
/*
 * Set up the destination for domain (as given: U-labels are converted).
 * The lookups are made by dest_resolve, once per process.
 */
void	dest_init(struct dest *, const struct conf *, const char *domain);
/* Look up the addresses to try; failures are kept in fail_status. */
void	dest_resolve(struct dest *);

/* conn.c */
void	conn_init(struct conn *);
/*
 * Connect to the destination's addresses in order until one is ready
 * for mail.  0, or -1 when none was: dest's fail fields are set.
 */
int	conn_open(struct dest *, struct conn *);
/* QUIT (when polite), TLS close, close the socket. */
void	conn_close(struct conn *, bool polite);
/* Queue a command line (CRLF added); false when the write failed. */
bool	conn_cmd(struct conn *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * Read one reply within the step's time.  0, or -1 when the connection
 * is lost or talks nonsense (conn->err says which; the connection is
 * then closed).  A 421 reply is returned as is and closes it too.
 */
int	conn_reply(struct conn *, enum remote_step, struct smtp_reply *,
	    struct smtp_ext *ext);

/* xfer.c */
enum xfer_result {
	XFER_DONE,	/* every recipient has its outcome */
	XFER_AGAIN,	/* a reused connection was found dead before the
			 * transaction began: connect again and retry */
};
enum xfer_result xfer_job(struct conn *, struct job *);
/* The outcomes known before connecting: bad addresses, too big. */
void	xfer_local(struct job *);

#endif
