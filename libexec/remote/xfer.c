/*
 * xfer.c — one job's mail transaction on a ready connection (RFC 5321
 * 3.3): MAIL FROM, one RCPT TO per recipient, DATA, the message, the
 * final reply; RSET first when an earlier transaction on the connection
 * did not end.
 *
 * With PIPELINING (RFC 2920) RSET, MAIL, the RCPTs and DATA go out in
 * one write and their replies are read in order, so a message costs two
 * round trips.  SIZE (RFC 1870): the exact size is declared, and a
 * message over the server's limit is refused here without trying.
 * 8BITMIME (RFC 6152) and DSN (RFC 3461) parameters are passed when the
 * server offers them; SMTPUTF8 (RFC 6531) when it offers it and the
 * job or an address needs it, and an address with a non-ASCII local
 * part to a server without it fails for good (5.6.7).
 *
 * Outcomes: RCPT 2xx and a final 2xx is delivered; 4xx at any step
 * temporary; 5xx permanent.  A connection lost after the final "." and
 * before its reply is temporary: the runner tries again, so the message
 * may arrive twice but is never lost.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "remote.h"
#include "poison.h"

static enum rcpt_status
xfer_status(const struct smtp_reply *r)
{
	switch (smtpreply_class(r)) {
	case 2:
		return RCPT_DELIVERED;
	case 4:
		return RCPT_TEMP;
	default:
		return RCPT_PERM;
	}
}

static void
xfer_set(struct rcpt *rc, const struct conn *c, const struct smtp_reply *r)
{
	job_set(rc, xfer_status(r), r, c->target->host, c->relay,
	    c->tlsdesc);
}

/* The pending recipients lose: the connection went away. */
static void
xfer_lost(struct conn *c, struct job *j)
{
	struct smtp_reply r;
	const struct target *t = c->target;
	char	 relay[REMOTE_RELAY_MAX], tls[sizeof(c->tlsdesc)];

	smtpreply_set(&r, 451, "4.4.2", c->err[0] != '\0' ? c->err :
	    "lost connection");
	memcpy(relay, c->relay, sizeof(relay));
	memcpy(tls, c->tlsdesc, sizeof(tls));
	for (size_t i = 0; i < j->nrcpts; i++)
		if (j->rcpts[i].status == RCPT_PENDING)
			job_set(&j->rcpts[i], RCPT_TEMP, &r, t->host, relay,
			    tls);
}

void
xfer_local(struct job *j)
{
	struct smtp_reply r;

	if (j->too_big) {
		smtpreply_set(&r, 552, "5.3.4", "message too big to send");
		job_set_all(j, RCPT_PERM, &r, NULL, NULL, NULL);
		return;
	}
	if (j->sender_bad) {
		smtpreply_set(&r, 553, "5.1.7", "bad sender address syntax");
		job_set_all(j, RCPT_PERM, &r, NULL, NULL, NULL);
		return;
	}
	smtpreply_set(&r, 553, "5.1.3", "bad recipient address syntax");
	for (size_t i = 0; i < j->nrcpts; i++)
		if (j->rcpts[i].bad)
			job_set(&j->rcpts[i], RCPT_PERM, &r, NULL, NULL, NULL);
}

/* What the server must offer for this job: 5.6.7 and 5.3.4 outcomes. */
static void
xfer_check(struct conn *c, struct job *j, bool *utf8)
{
	struct smtp_reply r;
	bool	 has = (c->ext.flags & SMTPEXT_SMTPUTF8) != 0;
	size_t	 i;

	*utf8 = j->smtputf8 || j->sender_utf8;
	for (i = 0; i < j->nrcpts; i++)
		if (j->rcpts[i].status == RCPT_PENDING &&
		    j->rcpts[i].utf8_local)
			*utf8 = true;
	if (!has) {
		*utf8 = false;
		if (j->sender_utf8) {
			smtpreply_set(&r, 553, "5.6.7", "the sender address "
			    "needs SMTPUTF8, which the server does not "
			    "offer");
			for (i = 0; i < j->nrcpts; i++)
				xfer_set(&j->rcpts[i], c, &r);
			return;
		}
		smtpreply_set(&r, 553, "5.6.7", "the recipient address "
		    "needs SMTPUTF8, which the server does not offer");
		for (i = 0; i < j->nrcpts; i++)
			if (j->rcpts[i].utf8_local)
				xfer_set(&j->rcpts[i], c, &r);
	}
	if ((c->ext.flags & SMTPEXT_SIZE) && c->ext.size > 0 &&
	    j->msg.len > c->ext.size) {
		char	 text[160];

		(void)snprintf(text, sizeof(text), "message size %zu exceeds "
		    "the server's limit of %llu octets", j->msg.len,
		    (unsigned long long)c->ext.size);
		smtpreply_set(&r, 552, "5.3.4", text);
		for (i = 0; i < j->nrcpts; i++)
			xfer_set(&j->rcpts[i], c, &r);
	}
}

static const char *
notify_text(unsigned nf, char *out, size_t outsz)
{
	size_t	 len = 0;

	out[0] = '\0';
	if (nf & SMTP_NOTIFY_NEVER)
		return "NEVER";
	if (nf & SMTP_NOTIFY_SUCCESS)
		len += (size_t)snprintf(out + len, outsz - len, "SUCCESS");
	if (nf & SMTP_NOTIFY_FAILURE)
		len += (size_t)snprintf(out + len, outsz - len, "%sFAILURE",
		    len > 0 ? "," : "");
	if (nf & SMTP_NOTIFY_DELAY)
		(void)snprintf(out + len, outsz - len, "%sDELAY",
		    len > 0 ? "," : "");
	return out;
}

/* MAIL FROM with its parameters. */
static bool
xfer_mail(struct conn *c, const struct job *j, bool utf8)
{
	char	 size[40] = "", envid[SMTP_ENVID_MAX + 8] = "";
	bool	 dsn = (c->ext.flags & SMTPEXT_DSN) != 0;

	if (c->ext.flags & SMTPEXT_SIZE)
		(void)snprintf(size, sizeof(size), " SIZE=%zu", j->msg.len);
	if (dsn && j->envid[0] != '\0')
		(void)snprintf(envid, sizeof(envid), " ENVID=%s", j->envid);
	return conn_cmd(c, "MAIL FROM:<%s>%s%s%s%s%s", j->sender_wire, size,
	    j->body8 && (c->ext.flags & SMTPEXT_8BITMIME) ?
	    " BODY=8BITMIME" : "", utf8 ? " SMTPUTF8" : "",
	    dsn && j->ret == SMTP_RET_FULL ? " RET=FULL" :
	    dsn && j->ret == SMTP_RET_HDRS ? " RET=HDRS" : "", envid);
}

static bool
xfer_rcpt(struct conn *c, const struct rcpt *rc)
{
	char	 nf[40], notify[48] = "", orcpt[SMTP_ORCPT_MAX + 8] = "";

	if ((c->ext.flags & SMTPEXT_DSN) && rc->notify != 0)
		(void)snprintf(notify, sizeof(notify), " NOTIFY=%s",
		    notify_text(rc->notify, nf, sizeof(nf)));
	if ((c->ext.flags & SMTPEXT_DSN) && rc->orcpt[0] != '\0')
		(void)snprintf(orcpt, sizeof(orcpt), " ORCPT=%s", rc->orcpt);
	return conn_cmd(c, "RCPT TO:<%s>%s%s", rc->wire, notify, orcpt);
}

/* The message, its end, and the final reply. */
static void
xfer_data(struct conn *c, struct job *j)
{
	struct smtp_reply r;

	c->io.timeout_ms = (int)remote_steps[STEP_BLOCK].seconds * 1000;
	if (io_write(&c->io, j->msg.data != NULL ? j->msg.data : "",
	    j->msg.len) != IO_OK || io_write(&c->io, ".\r\n", 3) != IO_OK) {
		(void)snprintf(c->err, sizeof(c->err), "lost connection with "
		    "%s while sending the message: %s", c->relay,
		    strerror(c->io.err != 0 ? c->io.err : EIO));
		xfer_lost(c, j);
		conn_close(c, false);
		return;
	}
	if (conn_reply(c, STEP_FINAL, &r, NULL) == -1) {
		/* the server may have the message: the runner may send it
		 * again (a duplicate), never drop it */
		xfer_lost(c, j);
		return;
	}
	c->need_rset = false;
	for (size_t i = 0; i < j->nrcpts; i++) {
		struct rcpt *rc = &j->rcpts[i];

		if (!rc->accepted)
			continue;
		xfer_set(rc, c, &r);
		/* NOTIFY= went with it (xfer_rcpt): the server reports */
		if (rc->status == RCPT_DELIVERED &&
		    (c->ext.flags & SMTPEXT_DSN) && rc->notify != 0)
			rc->status = RCPT_PASSED;
	}
}

enum xfer_result
xfer_job(struct conn *c, struct job *j)
{
	struct smtp_reply r, mail;
	bool	 pipe = (c->ext.flags & SMTPEXT_PIPELINING) != 0;
	bool	 reused = c->transactions > 0, rset = c->need_rset, utf8;
	size_t	 i, accepted = 0;

	for (i = 0; i < j->nrcpts; i++)
		j->rcpts[i].accepted = false;
	xfer_check(c, j, &utf8);
	if (job_pending(j) == 0)
		return XFER_DONE;

	/* the commands: all at once with PIPELINING */
	if (rset && !conn_cmd(c, "RSET"))
		goto again;
	if (rset && !pipe) {
		if (conn_reply(c, STEP_RSET, &r, NULL) == -1 || c->fd == -1)
			goto again;
		rset = false;
	}
	c->transactions++;
	c->need_rset = true;
	if (!xfer_mail(c, j, utf8))
		goto again;
	if (pipe) {
		for (i = 0; i < j->nrcpts; i++)
			if (j->rcpts[i].status == RCPT_PENDING &&
			    !xfer_rcpt(c, &j->rcpts[i]))
				goto lost;
		if (!conn_cmd(c, "DATA"))
			goto lost;
	}

	/* the replies, in order */
	if (rset && (conn_reply(c, STEP_RSET, &r, NULL) == -1 ||
	    c->fd == -1))
		goto again;
	if (conn_reply(c, STEP_MAIL, &mail, NULL) == -1)
		goto again;
	if (c->fd == -1 && reused && mail.code == 421)
		goto again;
	for (i = 0; i < j->nrcpts; i++) {
		struct rcpt *rc = &j->rcpts[i];

		if (rc->status != RCPT_PENDING)
			continue;
		if (!pipe && (smtpreply_class(&mail) != 2 ||
		    !xfer_rcpt(c, rc))) {
			if (c->fd == -1 && smtpreply_class(&mail) == 2)
				goto lost;
			xfer_set(rc, c, &mail);
			continue;
		}
		if (conn_reply(c, STEP_RCPT, &r, NULL) == -1)
			goto lost;
		if (smtpreply_class(&mail) != 2)
			xfer_set(rc, c, &mail);
		else if (smtpreply_class(&r) == 2) {
			rc->accepted = true;
			accepted++;
		} else
			xfer_set(rc, c, &r);
	}
	if (!pipe) {
		if (smtpreply_class(&mail) != 2 || accepted == 0)
			return XFER_DONE;
		if (!conn_cmd(c, "DATA"))
			goto lost;
	}
	if (conn_reply(c, STEP_DATA, &r, NULL) == -1)
		goto lost;
	if (r.code != 354) {
		for (i = 0; i < j->nrcpts; i++)
			if (j->rcpts[i].accepted)
				xfer_set(&j->rcpts[i], c, r.code / 100 == 3 ?
				    &mail : &r);
		return XFER_DONE;
	}
	if (smtpreply_class(&mail) != 2 || accepted == 0) {
		/* 354 with nobody to send to: an empty message, refused
		 * by the server with luck, and the connection dropped */
		conn_close(c, false);
		return XFER_DONE;
	}
	xfer_data(c, j);
	return XFER_DONE;

again:
	/* nothing was accepted yet: on a reused connection, the server
	 * had probably closed it while idle */
	if (reused) {
		conn_close(c, false);
		return XFER_AGAIN;
	}
lost:
	xfer_lost(c, j);
	conn_close(c, false);
	return XFER_DONE;
}
