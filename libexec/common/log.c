/*
 * log.c — key=value event lines on stderr (see log.h).
 *
 * Nothing here may fail loudly: logging trouble is ignored, a too-long line
 * is cut and marked with "trunc=1".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "num.h"
#include "poison.h"

static const char *log_program = "tambo";
static const char *log_key = "sid";
static char log_sid[64];

void
log_open(const char *program)
{
	log_program = program;
}

void
log_set_queue_id(const char *id)
{
	log_set_session(id);
	log_key = "id";
}

void
log_set_session(const char *sid)
{
	size_t n = sid != NULL ? strlen(sid) : 0;

	log_key = "sid";
	if (n >= sizeof(log_sid))
		n = sizeof(log_sid) - 1;
	if (n > 0)
		memcpy(log_sid, sid, n);
	log_sid[n] = '\0';
}

static void
log_raw(struct logline *l, const char *s, size_t n)
{
	size_t room = sizeof(l->buf) - 16 - l->len;	/* keep room for the end */

	if (n > room)
		n = room;
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

static bool
log_plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
}

void
log_mem(struct logline *l, const char *key, const void *val, size_t n)
{
	const unsigned char *v = val;
	bool	 quote = (n == 0);
	size_t	 i;

	for (i = 0; i < n && !quote; i++)
		if (!log_plain(v[i]))
			quote = true;
	log_raw(l, " ", 1);
	log_raw(l, key, strlen(key));
	log_raw(l, "=", 1);
	if (!quote) {
		log_raw(l, val, n);
		return;
	}
	log_raw(l, "\"", 1);
	for (i = 0; i < n; i++) {
		char	esc[5];

		if (v[i] == '"' || v[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)v[i];
			log_raw(l, esc, 2);
		} else if (v[i] >= 0x20 && v[i] < 0x7f) {
			log_raw(l, (const char *)&v[i], 1);
		} else {
			(void)snprintf(esc, sizeof(esc), "\\x%02x", v[i]);
			log_raw(l, esc, 4);
		}
	}
	log_raw(l, "\"", 1);
}

void
log_str(struct logline *l, const char *key, const char *val)
{
	if (val == NULL)
		val = "";
	log_mem(l, key, val, strlen(val));
}

void
log_num(struct logline *l, const char *key, unsigned long long val)
{
	char	num[32];
	int	n;

	n = snprintf(num, sizeof(num), "%llu", val);
	log_raw(l, " ", 1);
	log_raw(l, key, strlen(key));
	log_raw(l, "=", 1);
	log_raw(l, num, (size_t)n);
}

void
log_start(struct logline *l, int prio, const char *event)
{
	int	n;

	n = snprintf(l->buf, sizeof(l->buf), "<%d>", prio & 7);
	l->len = (size_t)n;
	if (log_sid[0] != '\0') {
		log_raw(l, log_key, strlen(log_key));
		log_raw(l, "=", 1);
		log_raw(l, log_sid, strlen(log_sid));
	} else {
		log_raw(l, "prog=", 5);
		log_raw(l, log_program, strlen(log_program));
	}
	log_raw(l, " event=", 7);
	log_raw(l, event, strlen(event));
}

void
log_emit(struct logline *l)
{
	ssize_t	w;
	size_t	off = 0;

	if (l->len >= sizeof(l->buf) - 16 - 1) {
		/* the reserve log_raw keeps is for this marker and the LF */
		memcpy(l->buf + l->len, " trunc=1", 8);
		l->len += 8;
	}
	l->buf[l->len++] = '\n';
	while (off < l->len) {
		w = write(STDERR_FILENO, l->buf + off, l->len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return;		/* nowhere to complain to */
		off += (size_t)w;
	}
}

void
log_error(const char *what, const char *detail, int err)
{
	struct logline l;

	log_start(&l, LOG_ERR, "error");
	log_str(&l, "what", what);
	if (detail != NULL)
		log_str(&l, "detail", detail);
	if (err != 0)
		log_str(&l, "errno", strerror(err));
	log_emit(&l);
}

void
log_warn(const char *what, const char *detail)
{
	struct logline l;

	log_start(&l, LOG_WARNING, "warning");
	log_str(&l, "what", what);
	if (detail != NULL)
		log_str(&l, "detail", detail);
	log_emit(&l);
}

void
log_connect(const char *mode, const char *client, unsigned port)
{
	struct logline l;

	log_start(&l, LOG_INFO, "connect");
	log_str(&l, "mode", mode);
	log_str(&l, "client", client);
	log_num(&l, "port", port);
	log_emit(&l);
}

void
log_helo(const char *verb, const char *name)
{
	struct logline l;

	log_start(&l, LOG_INFO, "helo");
	log_str(&l, "verb", verb);
	log_str(&l, "helo", name);
	log_emit(&l);
}

void
log_mail(const char *from, const char *reply)
{
	struct logline l;

	log_start(&l, reply[0] == '2' ? LOG_INFO : LOG_NOTICE, "mail");
	log_str(&l, "from", from);
	log_str(&l, "reply", reply);
	log_emit(&l);
}

void
log_rcpt(const char *to, const char *reply)
{
	struct logline l;

	log_start(&l, reply[0] == '2' ? LOG_INFO : LOG_NOTICE, "rcpt");
	log_str(&l, "to", to);
	log_str(&l, "reply", reply);
	log_emit(&l);
}

void
log_reject(const char *cmd, const char *reply, const char *reason)
{
	struct logline l;

	log_start(&l, LOG_NOTICE, "reject");
	log_str(&l, "cmd", cmd);
	log_str(&l, "reply", reply);
	log_str(&l, "reason", reason);
	log_emit(&l);
}

void
log_auth(const char *client, const char *mech, const char *user,
    const char *result)
{
	struct logline l;

	/* client= on the line itself, for fail2ban */
	log_start(&l, strcmp(result, "ok") == 0 ? LOG_INFO : LOG_WARNING,
	    "auth");
	log_str(&l, "client", client);
	log_str(&l, "mech", mech);
	log_str(&l, "user", user);
	log_str(&l, "result", result);
	log_emit(&l);
}

void
log_tls(const char *desc, const char *sni, int resumed)
{
	struct logline l;

	log_start(&l, LOG_INFO, "tls");
	log_str(&l, "tls", desc);
	if (sni != NULL && sni[0] != '\0')
		log_str(&l, "sni", sni);
	log_num(&l, "resumed", resumed != 0);
	log_emit(&l);
}

void
log_queued(const char *id, const char *from, size_t nrcpt,
    unsigned long long size)
{
	struct logline l;

	log_start(&l, LOG_INFO, "queued");
	if (strcmp(log_key, "id") != 0)	/* else it leads the line */
		log_str(&l, "id", id);
	log_str(&l, "from", from);
	log_num(&l, "nrcpt", nrcpt);
	log_num(&l, "size", size);
	log_emit(&l);
}

void
log_disconnect(const char *reason, unsigned messages, unsigned errors,
    unsigned long long ms)
{
	struct logline l;

	log_start(&l, LOG_INFO, "disconnect");
	log_str(&l, "reason", reason);
	log_num(&l, "messages", messages);
	log_num(&l, "errors", errors);
	log_num(&l, "ms", ms);
	log_emit(&l);
}

void
log_attempt(const char *relay, const char *error)
{
	struct logline l;

	log_start(&l, LOG_NOTICE, "attempt");
	log_str(&l, "relay", relay != NULL ? relay : "-");
	log_str(&l, "error", error);
	log_emit(&l);
}

void
log_relay(const char *relay, const char *tls, const char *verified,
    const char *why)
{
	struct logline l;

	log_start(&l, LOG_INFO, "connect");
	log_str(&l, "relay", relay);
	log_str(&l, "tls", tls != NULL ? tls : "none");
	if (verified != NULL)
		log_str(&l, "verified", verified);
	if (why != NULL && why[0] != '\0')
		log_str(&l, "why", why);
	log_emit(&l);
}

static void
log_outcome(int prio, const char *event, const char *to, const char *relay,
    int code, const char *dsn, const char *tls, const char *text)
{
	struct logline l;

	log_start(&l, prio, event);
	log_str(&l, "to", to);
	log_str(&l, "relay", relay != NULL ? relay : "-");
	log_num(&l, "code", code > 0 ? (unsigned long long)code : 0);
	log_str(&l, "dsn", dsn);
	if (tls != NULL)
		log_str(&l, "tls", tls);
	log_str(&l, "text", text);
	log_emit(&l);
}

void
log_delivered(const char *to, const char *relay, int code, const char *dsn,
    const char *tls, const char *text)
{
	log_outcome(LOG_INFO, "delivered", to, relay, code, dsn, tls, text);
}

void
log_deferred(const char *to, const char *relay, int code, const char *dsn,
    const char *tls, const char *text)
{
	log_outcome(LOG_NOTICE, "deferred", to, relay, code, dsn, tls, text);
}

void
log_bounced(const char *to, const char *relay, int code, const char *dsn,
    const char *tls, const char *text)
{
	log_outcome(LOG_NOTICE, "bounced", to, relay, code, dsn, tls, text);
}

bool
log_field(const char *line, const char *key, char *out, size_t outsz)
{
	const char *p = line;
	size_t	 klen = strlen(key), o = 0;

	if (outsz == 0)
		return false;
	if (*p == '<') {	/* the priority prefix */
		while (*p != '\0' && *p != '>')
			p++;
		if (*p == '>')
			p++;
	}
	while (*p != '\0') {
		const char *k;
		bool	 want;

		while (*p == ' ')
			p++;
		k = p;
		while (*p != '\0' && *p != '=' && *p != ' ')
			p++;
		if (*p != '=')
			continue;	/* a word without a value */
		want = (size_t)(p - k) == klen && memcmp(k, key, klen) == 0;
		p++;
		if (*p != '"') {
			for (; *p != '\0' && *p != ' '; p++)
				if (want && o + 1 < outsz)
					out[o++] = *p;
		} else {
			for (p++; *p != '\0' && *p != '"'; p++) {
				char	 c = *p;

				if (c == '\\' && p[1] == 'x' &&
				    num_hexval(p[2]) >= 0 &&
				    num_hexval(p[3]) >= 0) {
					c = (char)(num_hexval(p[2]) * 16 +
					    num_hexval(p[3]));
					p += 3;
				} else if (c == '\\' && p[1] != '\0')
					c = *++p;
				if (want && o + 1 < outsz)
					out[o++] = c;
			}
			if (*p == '"')
				p++;
		}
		if (want) {
			out[o] = '\0';
			return true;
		}
	}
	return false;
}
