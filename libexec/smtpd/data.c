/*
 * data.c — receiving the message: DATA (RFC 5321 4.1.1.4, 4.5.2) and
 * BDAT (RFC 3030).
 *
 * Both stream what they read through the content checker (msg.c) into the
 * spool transaction opened by session_begin_message; nothing is held in
 * memory beyond one line.  session_end_message commits or refuses.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "msg.h"
#include "session.h"
#include "poison.h"

/*
 * DATA: read dot-stuffed lines up to CRLF.CRLF (RFC 5321 4.1.1.4, 4.5.2).
 * Only that sequence ends the message: "\n.\n", "\r.\r" and friends are
 * content, which the checker refuses as bare LF/CR once the real end
 * arrives.  Lines are read in pieces of at most MSG_LINE_MAX + 2 octets, so
 * a long line costs no memory.
 */
void
run_data(struct session *s, const struct smtp_cmd *c)
{
	char	 buf[MSG_LINE_MAX + 3];
	bool	 line_start = true, prev_cr = false;
	enum reply_id id;

	if (c->arglen != 0) {
		session_refuse(s, c->name, REPLY_SYNTAX, "DATA with argument");
		return;
	}
	if ((id = session_begin_message(s)) != REPLY_OK) {
		session_refuse(s, c->name, id, "spool");
		return;
	}
	session_reply(s, REPLY_DATA_GO);
	for (;;) {
		enum io_result res;
		size_t	 len;
		bool	 eol, next_start;
		const char *p = buf;

		res = io_readline(&s->io, buf, sizeof(buf) - 1, &len, &eol);
		if (res != IO_OK) {
			session_abort_message(s);
			session_reset(s);
			if (res == IO_TIMEOUT || res == IO_DEADLINE)
				session_reply(s, res == IO_DEADLINE ?
				    REPLY_SESSION_LIMIT : s->io.cut ?
				    REPLY_BUSY_TIMEOUT : REPLY_TIMEOUT);
			s->done = true;
			s->end_reason = res == IO_EOF ? "lost in DATA" :
			    res == IO_ERROR ? "read error in DATA" :
			    s->io.cut ? "idle in DATA while busy" :
			    "timeout in DATA";
			log_reject("DATA", "-", s->end_reason);
			return;
		}
		if (line_start && eol && len == 3 && memcmp(buf, ".\r\n",
		    3) == 0)
			break;
		/* Only a CRLF starts a line: "\n.\r\n" does not end DATA. */
		next_start = eol && ((len >= 2 && buf[len - 2] == '\r') ||
		    (len == 1 && prev_cr));
		prev_cr = !eol && buf[len - 1] == '\r';
		if (line_start && buf[0] == '.') {	/* dot-stuffing */
			p++;
			len--;
		}
		if (msg_check_feed(s->check, p, len) == 0)
			spool_write(s->tx, p, len);
		line_start = next_start;
	}
	session_end_message(s, "DATA");
}

/* BDAT: read exactly the chunk, whatever we think of it (RFC 3030 2). */
void
run_bdat(struct session *s, const struct smtp_cmd *c)
{
	char	 buf[8192], extra[64];
	uint64_t size, left;
	bool	 last;
	enum reply_id refuse = REPLY_OK;

	if (smtpcmd_bdat(c->arg, c->arglen, &size, &last) != SMTPCMD_OK) {
		/* We cannot know how much to skip: the stream is lost. */
		session_refuse(s, c->name, REPLY_BDAT_SYNTAX, "bad BDAT size");
		s->end_reason = "bad BDAT";
		return;
	}
	if (!s->esmtp)
		refuse = REPLY_NOT_IMPLEMENTED;
	else if (!s->in_bdat && (refuse = check_data(s)) == REPLY_OK) {
		if ((refuse = session_begin_message(s)) == REPLY_OK)
			s->in_bdat = true;
	}
	for (left = size; left > 0;) {
		size_t	 got;
		enum io_result res;

		res = io_read(&s->io, buf, left < sizeof(buf) ?
		    (size_t)left : sizeof(buf), &got);
		if (res != IO_OK) {
			session_reset(s);
			if (res == IO_TIMEOUT || res == IO_DEADLINE)
				session_reply(s, res == IO_DEADLINE ?
				    REPLY_SESSION_LIMIT : s->io.cut ?
				    REPLY_BUSY_TIMEOUT : REPLY_TIMEOUT);
			s->done = true;
			s->end_reason = "lost in BDAT";
			log_reject("BDAT", "-", s->end_reason);
			return;
		}
		left -= got;
		if (refuse == REPLY_OK &&
		    msg_check_feed(s->check, buf, got) == 0)
			spool_write(s->tx, buf, got);
	}
	if (refuse != REPLY_OK) {
		session_refuse(s, c->name, refuse, "BDAT refused");
		if (s->in_bdat)
			session_reset(s);
		return;
	}
	if (last) {
		session_end_message(s, "BDAT");
		return;
	}
	if (s->check->flags & MSG_TOO_BIG) {
		/* No point in more chunks (RFC 3030: the transaction fails). */
		session_end_message(s, "BDAT");
		return;
	}
	(void)snprintf(extra, sizeof(extra), "(%llu)",
	    (unsigned long long)size);
	session_reply_extra(s, REPLY_BDAT_OK, extra);
}

