/*
 * tlsconn.c — STARTTLS (RFC 3207) and implicit TLS (RFC 8314) for the
 * handler.
 *
 * GnuTLS is loaded (tls_load, a dlopen of the TLS plugin) only when a
 * session asks for TLS, so plain sessions do not pay for it.  The
 * certificates are read from CONFDIR/certs at that moment, so a renewed
 * certificate is used by the next connection with no reload.
 *
 * After "220 Ready to start TLS" whatever the client sent in plaintext is
 * thrown away unread (CVE-2011-0411: no command injected before the
 * handshake survives it), and the session forgets HELO, MAIL and RCPT
 * (RFC 3207 4.2).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "session.h"
#include "poison.h"

bool
session_tls_offered(const struct session *s)
{
	char	 path[PATH_MAX];
	DIR	*d;
	struct dirent *e;
	bool	 any = false;

	if (conf_pathf(path, "%s/certs", s->conf->dir) == -1 ||
	    (d = opendir(path)) == NULL)
		return false;
	while (!any && (e = readdir(d)) != NULL)
		any = e->d_name[0] != '.' &&
		    (e->d_type == DT_DIR || e->d_type == DT_LNK ||
		    e->d_type == DT_UNKNOWN);
	(void)closedir(d);
	return any;
}

/* Load the plugin and the certificates; REPLY_OK or the refusal. */
static enum reply_id
session_tls_prepare(struct session *s)
{
	struct tls_server_params p;
	char	 err[512], certs[PATH_MAX], ticket[PATH_MAX];

	if (s->tls_ops == NULL && (s->tls_ops = tls_load(NULL, err,
	    sizeof(err))) == NULL) {
		log_error("cannot load TLS", err, 0);
		return REPLY_TLS_UNAVAILABLE;
	}
	if (conf_pathf(certs, "%s/certs", s->conf->dir) == -1 ||
	    conf_pathf(ticket, "%s/tls-ticket.key", s->conf->state) == -1) {
		log_error("TLS paths too long", s->conf->dir, ENAMETOOLONG);
		return REPLY_TLS_UNAVAILABLE;
	}
	memset(&p, 0, sizeof(p));
	p.certs_dir = certs;
	p.hostname = s->conf->hostname;
	p.ticket_key = ticket;
	p.min_version = s->mode == MODE_MX ? s->conf->tls_min_mx :
	    s->conf->tls_min_submission;
	p.timeout_ms = (int)s->conf->command_timeout * 1000;
	/* the same idle cut as the session's (busy.c) */
	p.idle_ms = s->io.idle_ms;
	p.idle_cut = s->io.idle_cut;
	p.idle_ctx = s->io.idle_ctx;
	s->tls_conn = s->tls_ops->server_new(&p, s->io.rfd, err, sizeof(err));
	if (s->tls_conn == NULL) {
		log_error("no usable TLS certificate", err, 0);
		return REPLY_TLS_UNAVAILABLE;
	}
	return REPLY_OK;
}

/* The handshake, and the transport switched to TLS. */
static bool
session_tls_handshake(struct session *s)
{
	char	 err[512];

	if (s->tls_ops->handshake(s->tls_conn, err, sizeof(err)) == -1) {
		log_reject(s->mode == MODE_SUBMISSIONS ? "TLS" : "STARTTLS",
		    "-", err);
		s->tls_ops->free(s->tls_conn);
		s->tls_conn = NULL;
		s->done = true;
		s->end_reason = "tls handshake failed";
		return false;
	}
	io_set_transport(&s->io, &s->tls_ops->io, s->tls_conn);
	s->tls = true;
	s->tls_ops->describe(s->tls_conn, s->tls_desc, sizeof(s->tls_desc));
	log_tls(s->tls_desc, s->tls_ops->sni(s->tls_conn),
	    s->tls_ops->resumed(s->tls_conn));
	return true;
}

bool
session_tls_start(struct session *s)
{
	if (session_tls_prepare(s) != REPLY_OK) {
		s->end_reason = "no TLS";
		return false;
	}
	return session_tls_handshake(s);
}

void
run_starttls(struct session *s, const struct smtp_cmd *c)
{
	enum reply_id id;
	size_t	 dropped;

	if (c->arglen != 0) {
		session_refuse(s, c->name, REPLY_SYNTAX, "STARTTLS argument");
		return;
	}
	if (s->tls) {
		session_refuse(s, c->name, REPLY_TLS_ACTIVE, "STARTTLS twice");
		return;
	}
	if (s->mode == MODE_LOCAL || !session_tls_offered(s)) {
		session_refuse(s, c->name, REPLY_NOT_IMPLEMENTED,
		    "STARTTLS not offered");
		return;
	}
	if ((id = session_tls_prepare(s)) != REPLY_OK) {
		session_refuse(s, c->name, id, "TLS unavailable");
		return;
	}
	session_reply(s, REPLY_STARTTLS_GO);
	if (io_flush(&s->io) != IO_OK) {
		s->done = true;
		s->end_reason = "write failed";
		return;
	}
	if ((dropped = io_discard_input(&s->io)) > 0)
		log_reject("STARTTLS", "-", "plaintext after STARTTLS dropped "
		    "(command injection attempt)");
	session_reset(s);
	s->greeted = false;
	s->esmtp = false;
	s->helo[0] = '\0';
	(void)session_tls_handshake(s);
}

void
session_tls_end(struct session *s)
{
	if (s->tls_conn == NULL)
		return;
	if (!s->done || s->end_reason == NULL ||
	    strcmp(s->end_reason, "quit") == 0)
		s->tls_ops->bye(s->tls_conn);
	s->tls_ops->free(s->tls_conn);
	s->tls_conn = NULL;
	io_set_transport(&s->io, NULL, NULL);
}
