/*
 * spool.h — the queue on disk: writing messages durably, reading envelopes.
 *
 * Layout (tambo-spool(5) is the contract):
 *   SPOOL/tmp/ID      being written; never read by anyone else
 *   SPOOL/queue/ID    committed: envelope lines, an empty line, the message
 *   SPOOL/queue/ID.state  per-recipient delivery state, written by the
 *                     delivery runner (temp file + rename)
 *   SPOOL/new/ID      an empty "new mail" mark, made after the commit and
 *                     removed by the runner's pass that takes the message:
 *                     tambo-deliver.path starts the runner while new/ is
 *                     not empty, so a message committed as a runner ends
 *                     still starts the next one.  Not durable and not
 *                     needed: the queue is what counts; a spool without
 *                     new/ works, waiting for the timer.
 *
 * The spool promise (DESIGN.md): spool_commit returns success only after
 * the file is fsynced, renamed into queue/ and queue/ itself is fsynced.
 * The commit point is that single rename: a crash before it leaves at most
 * a file in tmp/, which no reader looks at and the runner removes when old.
 * Errors are temporary by nature; ENOSPC and EDQUOT say the disk is full.
 */
#ifndef TAMBO_SPOOL_H
#define TAMBO_SPOOL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "addr.h"
#include "buf.h"
#include "smtpcmd.h"

#define SPOOL_ID_LEN		18
#define SPOOL_ENVELOPE_MAX	(4 * 1024 * 1024)
#define SPOOL_RCPT_MAX		10000

enum spool_rcpt_state {
	SPOOL_RCPT_QUEUED,	/* not yet delivered */
	SPOOL_RCPT_DELIVERED,
	SPOOL_RCPT_FAILED,	/* permanently; a DSN is owed or was sent */
};

struct spool_rcpt {
	char		 addr[ADDR_PATH_MAX + 1];	/* mailbox, no <> */
	unsigned	 notify;			/* SMTP_NOTIFY_* */
	char		 orcpt[SMTP_ORCPT_MAX + 1];
	enum spool_rcpt_state state;
};

struct spool_envelope {
	char		 id[SPOOL_ID_LEN + 1];
	int64_t		 arrival;		/* Unix time */
	char		 client[64];		/* address, or "local" */
	char		 helo[ADDR_DOMAIN_MAX + 1];
	char		 protocol[16];		/* as in Received: "with" */
	char		 auth[ADDR_PATH_MAX + 1];	/* authenticated user */
	char		 from[ADDR_PATH_MAX + 1];	/* "" for <> */
	enum smtp_body	 body;
	enum smtp_ret	 ret;
	bool		 smtputf8;
	char		 envid[SMTP_ENVID_MAX + 1];
	size_t		 nrcpt;
	struct spool_rcpt *rcpt;		/* heap, nrcpt entries */
	size_t		 header_len;		/* bytes before the message */
};

struct spool {
	char	 dir[PATH_MAX];
	int	 dirfd, tmpfd, queuefd;
	int	 newfd;		/* SPOOL/new, or -1 when there is none */
};

struct spool_tx {
	struct spool	*sp;
	int		 fd;
	int		 err;		/* first write error (sticky) */
	char		 id[SPOOL_ID_LEN + 1];
	uint64_t	 size;		/* message octets written */
	size_t		 blen;
	char		 obuf[65536];
};

/* Open SPOOL (its tmp/ and queue/ must exist).  -1 with errno. */
int	spool_open(struct spool *, const char *dir);
void	spool_close(struct spool *);
/*
 * Remove the new-mail marks (SPOOL/new/ID) there are now, before looking
 * at the queue: a message committed later leaves its mark for the next
 * runner.  The number removed, or -1 with errno when one could not be
 * (the runner would be started again and again: say so).
 */
int	spool_new_clear(struct spool *);
/*
 * When running as root, become the owner of the spool directory dir, with
 * its group and the DKIM key group tambo-dkim when it exists: the
 * identity tambo-deliver.service runs as, so that files made by a root
 * run stay readable to the services.  A root-owned spool (a test
 * instance) and a non-root caller stay as they are.  0, or -1 with errno.
 */
int	spool_become_owner(const char *dir);

/* A new queue id: arrival-ordered, unique (time, random). */
void	spool_new_id(char id[SPOOL_ID_LEN + 1]);

/*
 * Start a message: create tmp/ID exclusively and write the envelope.
 * env->id is set.  -1 with errno on failure.
 */
int	spool_begin(struct spool *, struct spool_envelope *, struct spool_tx *);
/* Append message bytes; errors are remembered and reported by commit. */
void	spool_write(struct spool_tx *, const void *, size_t);
/* Make it durable and queued (the spool promise).  -1 with errno. */
int	spool_commit(struct spool_tx *);
/* Give up the message: close and remove the temporary file. */
void	spool_abort(struct spool_tx *);
/* True for an errno that means "no space" (452 4.3.1 rather than 451). */
bool	spool_errno_full(int);

/* Serialise an envelope (without the separating empty line). */
int	spool_envelope_format(const struct spool_envelope *, struct buf *);
/*
 * Parse an envelope from the start of a queue file's bytes; sets
 * header_len to the offset of the message.  Unknown keys are skipped.
 * Returns 0, or -1 for a malformed envelope.  Free with
 * spool_envelope_free.
 */
int	spool_envelope_parse(const char *, size_t, struct spool_envelope *);
void	spool_envelope_free(struct spool_envelope *);

/* Read the envelope of queue/ID.  -1 with errno (EBADMSG: malformed). */
int	spool_read(struct spool *, const char *id, struct spool_envelope *,
	    uint64_t *msgsize);

/* True when name is a well-formed queue id. */
bool	spool_id_valid(const char *name);

#endif
