/*
 * qstate.h — a queued message's delivery state: SPOOL/queue/ID.state.
 *
 * The queue file itself never changes after the commit; what happens to
 * it afterwards lives in this small text file, which only the delivery
 * runner (and `tambo queue bounce`) writes, always as a temporary file
 * renamed over the old one while holding the message's lock (flock(2) on
 * the queue file).  tambo-spool(5) documents the format:
 *
 *	tambo-state 1
 *	attempts N		delivery passes so far
 *	next UNIXTIME		not before this time
 *	warned 0|1		a delay warning was sent
 *	t ORIG STATUS KIND ADDR FROM TIME CODE ENH HOST TEXT
 *	...
 *
 * One "t" line per delivery target: the envelope recipients, or what
 * alias expansion made of them.  ORIG is the index of the envelope
 * recipient it came from; STATUS queued|delivered|failed|bounced (failed
 * and its DSN queued)|passed (delivered, the next server reports
 * success); KIND smtp (an
 * address reached through `remote`), maildir (a local user), pipe (a
 * command), mda (mailbox_command); ADDR the address or command; FROM the
 * envelope sender to use ("-": the message's; SRS for forwarding); TIME,
 * CODE, ENH, HOST and TEXT the last attempt and its reply.  Fields are
 * separated by one space and escaped as %XX (space, %, controls, DEL),
 * "-" standing for an empty field.  Unknown keys are skipped.
 *
 * Without a state file (a message no runner has seen), every envelope
 * recipient is still to be expanded and delivered.
 */
#ifndef TAMBO_QSTATE_H
#define TAMBO_QSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "buf.h"

#define QSTATE_MAGIC		"tambo-state 1"
#define QSTATE_TARGETS_MAX	20000
#define QSTATE_ADDR_MAX		1024	/* an address or a pipe command */
#define QSTATE_TEXT_MAX		512
#define QSTATE_FILE_MAX		(64 * 1024 * 1024)

/* FAILED: a DSN is owed; BOUNCED: it was queued (or none was owed). */
/* PASSED: delivered to a server that took NOTIFY= with it (RFC 3461
 * 6.2.1), so any success report is that server's, not ours. */
enum qstate_status { QS_QUEUED, QS_DELIVERED, QS_FAILED, QS_BOUNCED,
	QS_PASSED };
enum qstate_kind { QK_SMTP, QK_MAILDIR, QK_PIPE, QK_MDA };

struct qstate_target {
	unsigned		 orig;
	enum qstate_status	 status;
	enum qstate_kind	 kind;
	char			 addr[QSTATE_ADDR_MAX];
	char			 from[ADDR_PATH_MAX + 1];	/* "-" or a path */
	int64_t			 time;		/* last attempt, 0: none */
	unsigned		 code;		/* SMTP code, 0: none */
	char			 enh[16];	/* "4.4.1", "" */
	char			 host[ADDR_DOMAIN_MAX + 1];
	char			 text[QSTATE_TEXT_MAX];
};

struct qstate {
	unsigned		 attempts;
	int64_t			 next;
	bool			 warned;
	bool			 expanded;	/* targets are known */
	size_t			 n;
	size_t			 cap;
	struct qstate_target	*t;
};

void	qstate_init(struct qstate *);
void	qstate_free(struct qstate *);

/* A new target (zeroed, status queued, from "-"); NULL when full. */
struct qstate_target *qstate_add(struct qstate *, unsigned orig,
	    enum qstate_kind, const char *addr);

/* Parse a state file's bytes.  0, or -1 when malformed (errno EBADMSG). */
int	qstate_parse(const char *, size_t, struct qstate *);
/* Serialise.  0, or -1 when the buffer is full. */
int	qstate_format(const struct qstate *, struct buf *);

/*
 * Read queuefd/ID.state: 0, 1 when there is none yet (a fresh message),
 * or -1 with errno.
 */
int	qstate_read(int queuefd, const char *id, struct qstate *);
/*
 * Replace queuefd/ID.state (temporary file .ID.state.tmp, then rename).
 * With durable, the file and the directory are fsynced.  0 or -1.
 */
int	qstate_write(int queuefd, const char *id, const struct qstate *,
	    bool durable);

/* The retry delay after the given number of failed passes (1, 2, ...). */
int64_t	qstate_backoff(unsigned attempts);

const char *qstate_status_name(enum qstate_status);
const char *qstate_kind_name(enum qstate_kind);

/* How many targets are still queued. */
size_t	qstate_pending(const struct qstate *);

#endif
