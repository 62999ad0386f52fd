/*
 * msg.h — checks on message content as it streams past, and the
 * Received: trace header.
 *
 * I/O-free: bytes of the message (after DATA's dot-unstuffing, or BDAT
 * chunks as they are) are fed in any pieces; the checker remembers what it
 * has seen.  What it refuses (RFC 5321 2.3.8, 4.5.3.1.6; RFC 5322 2.1.1):
 * bare CR or LF (SMTP smuggling needs them), NUL bytes, lines over 998
 * octets, messages over the size limit, and more Received: headers than the
 * loop limit (RFC 5321 6.3).
 */
#ifndef TAMBO_MSG_H
#define TAMBO_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "reply.h"

#define MSG_LINE_MAX	998	/* octets, without CRLF */

/* What the checker found, in the order they are reported. */
#define MSG_BARE_LF	0x01
#define MSG_NUL		0x02
#define MSG_LONG_LINE	0x04
#define MSG_TOO_BIG	0x08
#define MSG_LOOP	0x10

struct msg_check {
	uint64_t	 size;
	uint64_t	 max_size;
	unsigned	 max_received;
	unsigned	 received;	/* Received: headers seen */
	unsigned	 flags;
	size_t		 linelen;	/* octets in the current line */
	bool		 prev_cr;
	bool		 in_header;
	char		 head[10];	/* start of the current header line */
};

void	msg_check_init(struct msg_check *, uint64_t max_size,
	    unsigned max_received);
/* Feed bytes; returns the flags so far (0: all well). */
unsigned msg_check_feed(struct msg_check *, const void *, size_t);
/* At the end of the message: a final CR without LF is a bare CR. */
unsigned msg_check_end(struct msg_check *);
/* The reply for the first problem in flags (REPLY_OK when none). */
enum reply_id msg_check_reply(unsigned flags);
/* A word for logs. */
const char *msg_check_reason(unsigned flags);

/* Inputs of the Received: header (RFC 5321 4.4). */
struct msg_trace {
	const char	*helo;		/* may be NULL */
	const char	*client;	/* IP address text, or NULL for local */
	const char	*hostname;	/* ours */
	const char	*protocol;	/* "ESMTP", "ESMTPS", ... */
	const char	*id;		/* queue id */
	const char	*rcpt;		/* only when there is one recipient */
	const char	*tls;		/* "TLS1.3 ..." or NULL */
	int64_t		 when;
};

/* Append "Received: ...CRLF" (folded) to b.  -1 when b is full. */
int	msg_received(const struct msg_trace *, struct buf *b);

#endif
