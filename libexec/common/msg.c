/*
 * msg.c — streaming content checks and the Received: header (see msg.h).
 *
 * The checker is a small state machine over bytes: it never needs more
 * than the current line's first few octets, so a message of any size is
 * checked in constant memory.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "msg.h"
#include "poison.h"

void
msg_check_init(struct msg_check *c, uint64_t max_size, unsigned max_received)
{
	memset(c, 0, sizeof(*c));
	c->max_size = max_size;
	c->max_received = max_received;
	c->in_header = true;
}

/* A header line has ended: is it a Received: field, or the blank line? */
static void
msg_check_eol(struct msg_check *c)
{
	if (c->in_header) {
		if (c->linelen == 0)
			c->in_header = false;
		else if (c->linelen >= 9 &&
		    strncasecmp(c->head, "received:", 9) == 0 &&
		    ++c->received > c->max_received)
			c->flags |= MSG_LOOP;
	}
	c->linelen = 0;
}

unsigned
msg_check_feed(struct msg_check *c, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t	 i;

	c->size += n;
	if (c->max_size != 0 && c->size > c->max_size)
		c->flags |= MSG_TOO_BIG;
	for (i = 0; i < n; i++) {
		unsigned char ch = s[i];

		if (c->prev_cr) {
			c->prev_cr = false;
			if (ch == '\n') {
				msg_check_eol(c);
				continue;
			}
			c->flags |= MSG_BARE_LF;	/* bare CR */
			c->linelen++;
		}
		switch (ch) {
		case '\r':
			c->prev_cr = true;
			continue;
		case '\n':
			c->flags |= MSG_BARE_LF;
			msg_check_eol(c);
			continue;
		case '\0':
			c->flags |= MSG_NUL;
			break;
		default:
			break;
		}
		if (c->linelen < sizeof(c->head))
			c->head[c->linelen] = (char)ch;
		if (++c->linelen > MSG_LINE_MAX)
			c->flags |= MSG_LONG_LINE;
	}
	return c->flags;
}

unsigned
msg_check_end(struct msg_check *c)
{
	if (c->prev_cr)
		c->flags |= MSG_BARE_LF;
	return c->flags;
}

enum reply_id
msg_check_reply(unsigned flags)
{
	if (flags & MSG_BARE_LF)
		return REPLY_DATA_BARE_LF;
	if (flags & MSG_NUL)
		return REPLY_DATA_NUL;
	if (flags & MSG_TOO_BIG)
		return REPLY_SIZE_EXCEEDED;
	if (flags & MSG_LONG_LINE)
		return REPLY_DATA_LONG_LINE;
	if (flags & MSG_LOOP)
		return REPLY_LOOP;
	return REPLY_OK;
}

const char *
msg_check_reason(unsigned flags)
{
	if (flags & MSG_BARE_LF)
		return "bare CR or LF";
	if (flags & MSG_NUL)
		return "NUL byte";
	if (flags & MSG_TOO_BIG)
		return "message too big";
	if (flags & MSG_LONG_LINE)
		return "line too long";
	if (flags & MSG_LOOP)
		return "mail loop";
	return "ok";
}

int
msg_received(const struct msg_trace *t, struct buf *b)
{
	char	 date[64];
	struct tm tm;
	time_t	 when = (time_t)t->when;
	int	 r = 0;

	if (localtime_r(&when, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		(void)snprintf(date, sizeof(date), "Thu, 01 Jan 1970 00:00:00 +0000");
	r |= buf_addstr(b, "Received: ");
	if (t->client != NULL) {
		r |= buf_printf(b, "from %s (%s%s%s)\r\n\t",
		    t->helo ? t->helo : "unknown",
		    strchr(t->client, ':') ? "[IPv6:" : "[", t->client, "]");
	}
	r |= buf_printf(b, "by %s (tambo) with %s id %s", t->hostname,
	    t->protocol, t->id);
	if (t->tls != NULL)
		r |= buf_printf(b, "\r\n\t(%s)", t->tls);
	if (t->rcpt != NULL)
		r |= buf_printf(b, "\r\n\tfor <%s>", t->rcpt);
	r |= buf_printf(b, ";\r\n\t%s\r\n", date);
	return r ? -1 : 0;
}
