/*
 * throttle.h — slowing down password guessing across handler processes.
 *
 * Each handler is a new process, so what a client did before is kept on
 * disk: one small file per client address (an IPv6 client by its /64)
 * under STATE/auth-throttle/.  The policy is pure and takes the time as a
 * parameter (tests never sleep); the files are replaced atomically.  Two
 * handlers racing may lose one count, never corrupt a file.
 *
 * Policy: failures older than THROTTLE_WINDOW are forgotten; from the
 * THROTTLE_FREE'th failure on the client waits 1, 2, 4 ... up to
 * THROTTLE_DELAY_MAX seconds before each failure reply; at THROTTLE_DENY
 * failures AUTH is refused until the window has passed.  A success wipes
 * the record.
 */
#ifndef TAMBO_THROTTLE_H
#define TAMBO_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

#define THROTTLE_FREE		3
#define THROTTLE_DENY		10	/* default of auth_max_failures */
#define THROTTLE_DELAY_MAX	16	/* default of auth_max_delay */
#define THROTTLE_WINDOW		3600

struct throttle_state {
	unsigned	 failures;
	int64_t		 last;		/* Unix time of the last failure */
};

/* May this client try now (deny: the failures that refuse)? */
bool	throttle_allowed(const struct throttle_state *, int64_t now,
	    unsigned deny);
/* Seconds to wait before answering a failure, at most max. */
unsigned throttle_delay(const struct throttle_state *, int64_t now,
	    unsigned max);
/* Count a failure at now. */
void	throttle_fail(struct throttle_state *, int64_t now);

/*
 * Read and write the record of a client (address text as logged).
 * Missing means no failures.  Store removes the file when failures is 0.
 * 0, or -1 with errno.
 */
int	throttle_load(const char *statedir, const char *client,
	    struct throttle_state *);
int	throttle_store(const char *statedir, const char *client,
	    const struct throttle_state *);

#endif
