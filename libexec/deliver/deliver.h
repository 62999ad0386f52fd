/*
 * deliver.h — the delivery runner's parts (tambo-deliver(8)).
 *
 * main.c runs passes over the queue; queue.c finds, locks and loads the
 * due messages and settles them afterwards (state file, DSNs, removal);
 * expand.c turns envelope recipients into delivery targets (aliases, SRS,
 * local users); local.c delivers to Maildirs and commands; remote.c runs
 * `remote --batch` processes, one or more per destination, fed by a
 * forked writer, and reads their per-recipient results; bounce.c queues
 * the reports to senders.
 */
#ifndef TAMBO_DELIVER_H
#define TAMBO_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf.h"
#include "qstate.h"
#include "spool.h"
#include "srs.h"
#include "users.h"

/* One due message, locked for this pass. */
struct dmsg {
	char			 id[SPOOL_ID_LEN + 1];
	int			 fd;		/* queue file, flock'ed */
	struct spool_envelope	 env;
	uint64_t		 size;		/* message octets */
	struct qstate		 qs;
	bool			 changed;	/* state to be written */
	bool			 sign;		/* run dkimsign for smtp */
	char			 sign_domain[ADDR_DOMAIN_MAX + 1];
	size_t			 inflight;	/* targets given to remotes */
	bool			 removed;	/* finished, out of the queue */
	bool			 has_state;	/* ID.state exists */
};

struct runner {
	struct conf		 conf;
	struct spool		 sp;
	struct users		 users;
	bool			 users_ok;
	bool			 marks_stuck;	/* new/ cannot be cleared */
	struct srs		 srs;
	int			 srs_ok;	/* 1 loaded, -1 failed, 0 not yet */
	int64_t			 now;
	bool			 flush;		/* ignore retry times */
	char			 after[SPOOL_ID_LEN + 1]; /* later passes: only
						  * ids after this */
	struct dmsg		*msgs;
	size_t			 nmsgs;
	/* counters for the summary line */
	unsigned		 delivered, deferred, bounced;
};

/* queue.c */
/* Load and lock the due messages (at most max); ids limits to those. */
int	queue_collect(struct runner *, char **ids, size_t nids, size_t max);
/* Write what changed, send the DSNs owed, remove finished messages. */
void	queue_settle(struct runner *, struct dmsg *);
void	queue_release(struct runner *);
/* The envelope sender a target uses ("" for <>). */
const char *queue_target_from(const struct dmsg *,
	    const struct qstate_target *);
/* Record an outcome for a target. */
void	queue_result(struct runner *, struct dmsg *, struct qstate_target *,
	    char status, unsigned code, const char *enh, const char *host,
	    const char *text);

/* expand.c: make the targets of a fresh message.  0, or -1 (try later). */
int	expand_message(struct runner *, struct dmsg *);

/* local.c: deliver one local target now. */
void	local_deliver(struct runner *, struct dmsg *, struct qstate_target *);

/* remote.c: deliver every queued smtp target of the loaded messages. */
void	remote_run(struct runner *);

/* bounce.c: queue a DSN for the given targets; 0, or -1 (try later). */
int	bounce_send(struct runner *, struct dmsg *, size_t *idx, size_t n,
	    int kind);

/* Message bytes of m (after the envelope) into a heap buffer (max). */
int	deliver_read_message(struct dmsg *, size_t max, char **out,
	    size_t *len);

#define BOUNCE_FAILED	0
#define BOUNCE_DELAYED	1
#define BOUNCE_SUCCESS	2

#endif
