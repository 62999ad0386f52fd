/*
 * job.c — the jobs remote is given: the batch framing of tambo-remote(8)
 * ("job", "mail", "rcpt" lines, then "data SIZE" and exactly SIZE octets)
 * and the single-message form's arguments and standard input.
 *
 * The message is turned into its SMTP form as it is read (RFC 5321
 * 4.5.2 transparency, 2.3.8 CRLF line ends): LF or CRLF line ends become
 * CRLF, a line that starts with "." gets a second one, and a last line
 * without an end gets CRLF.  A bare CR is left alone.  So the SIZE
 * parameter (RFC 1870) is the exact count of octets sent before the
 * final ".".
 *
 * Addresses are checked with addr.c; their domains go out in A-labels
 * (RFC 5890), the local part as spelled.  A recipient that does not parse
 * is not sent: it gets its own permanent result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "num.h"
#include "remote.h"
#include "poison.h"

#define JOB_CHUNK	65536

void
job_init(struct job *j, uint64_t max_size)
{
	size_t	 max;

	memset(j, 0, sizeof(*j));
	/* the SMTP form of a message may be twice its size (all LFs) */
	max = max_size > SIZE_MAX / 2 - 16 ? SIZE_MAX / 2 - 16 :
	    (size_t)max_size;
	buf_init(&j->msg, 2 * max + 16);
	j->bol = true;
}

void
job_reset(struct job *j)
{
	j->id[0] = '\0';
	j->sender[0] = j->sender_wire[0] = '\0';
	j->sender_bad = j->sender_utf8 = false;
	j->body8 = j->smtputf8 = false;
	j->ret = SMTP_RET_NONE;
	j->envid[0] = '\0';
	j->nrcpts = 0;
	buf_reset(&j->msg);
	j->too_big = false;
	j->bol = true;
	j->cr = false;
}

void
job_free(struct job *j)
{
	free(j->rcpts);
	j->rcpts = NULL;
	j->nrcpts = j->rcptcap = 0;
	buf_free(&j->msg);
}

/* --- outcomes ------------------------------------------------------------ */

void
job_set(struct rcpt *r, enum rcpt_status st, const struct smtp_reply *rep,
    const char *host, const char *relay, const char *tls)
{
	if (r->status != RCPT_PENDING)
		return;
	r->status = st;
	r->reply = *rep;
	(void)snprintf(r->host, sizeof(r->host), "%s",
	    host != NULL && host[0] != '\0' ? host : "-");
	(void)snprintf(r->relay, sizeof(r->relay), "%s",
	    relay != NULL ? relay : "");
	(void)snprintf(r->tls, sizeof(r->tls), "%s", tls != NULL ? tls : "");
}

void
job_set_all(struct job *j, enum rcpt_status st, const struct smtp_reply *rep,
    const char *host, const char *relay, const char *tls)
{
	for (size_t i = 0; i < j->nrcpts; i++)
		job_set(&j->rcpts[i], st, rep, host, relay, tls);
}

size_t
job_pending(const struct job *j)
{
	size_t	 n = 0;

	for (size_t i = 0; i < j->nrcpts; i++)
		if (j->rcpts[i].status == RCPT_PENDING)
			n++;
	return n;
}

/* --- addresses ----------------------------------------------------------- */

static bool
has_8bit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/*
 * The SMTP form of a bare mailbox: the local part as spelled, "@", the
 * domain in A-labels.  false when it does not parse.
 */
static bool
job_wire(const char *given, char wire[ADDR_PATH_MAX + 1], bool *utf8_local)
{
	struct addr a;
	char	 dom[ADDR_DOMAIN_MAX + 1];
	size_t	 mlen, dlen, llen;
	int	 n;

	if (addr_parse_mailbox(given, strlen(given), ADDR_OPT_UTF8, &a) !=
	    ADDR_OK)
		return false;
	mlen = strlen(a.mailbox);
	dlen = strlen(a.domain);
	if (dlen == 0 || mlen <= dlen)
		return false;
	llen = mlen - dlen - 1;
	*utf8_local = has_8bit(a.mailbox, llen);
	if (a.flags & ADDR_LITERAL)
		(void)snprintf(dom, sizeof(dom), "%s", a.domain);
	else if (!addr_domain_normalize(a.domain, dom, sizeof(dom)))
		return false;
	n = snprintf(wire, ADDR_PATH_MAX + 1, "%.*s@%s", (int)llen,
	    a.mailbox, dom);
	return n > 0 && n <= ADDR_PATH_MAX;
}

static void
job_sender(struct job *j, const char *s)
{
	if (strcmp(s, "<>") == 0 || s[0] == '\0') {
		j->sender[0] = j->sender_wire[0] = '\0';
		return;
	}
	(void)snprintf(j->sender, sizeof(j->sender), "%s", s);
	j->sender_bad = !job_wire(s, j->sender_wire, &j->sender_utf8);
}

static int
job_add_rcpt(struct job *j, const char *s, char *err, size_t errsz)
{
	struct rcpt *r;

	if (j->nrcpts == REMOTE_RCPTS_MAX) {
		(void)snprintf(err, errsz, "more than %d recipients",
		    REMOTE_RCPTS_MAX);
		return -1;
	}
	if (j->nrcpts == j->rcptcap) {
		size_t	 cap = j->rcptcap == 0 ? 8 : 2 * j->rcptcap;
		struct rcpt *nr;

		if ((nr = reallocarray(j->rcpts, cap, sizeof(*nr))) == NULL) {
			(void)snprintf(err, errsz, "%s", strerror(errno));
			return -1;
		}
		j->rcpts = nr;
		j->rcptcap = cap;
	}
	r = &j->rcpts[j->nrcpts++];
	memset(r, 0, sizeof(*r));
	(void)snprintf(r->given, sizeof(r->given), "%s", s);
	r->bad = !job_wire(s, r->wire, &r->utf8_local);
	r->status = RCPT_PENDING;
	return 0;
}

/* --- the message --------------------------------------------------------- */

static int
msg_add(struct job *j, const void *p, size_t n)
{
	if (j->too_big)
		return 0;
	if (buf_add(&j->msg, p, n) == -1) {
		if (errno != EMSGSIZE)
			return -1;
		j->too_big = true;
		buf_free(&j->msg);
	}
	return 0;
}

/* Convert p[0..n) to the SMTP form and append it. */
static int
job_body(struct job *j, const char *p, size_t n)
{
	while (n > 0) {
		const char *lf;
		size_t	 len;

		if (j->bol && p[0] == '.' && msg_add(j, ".", 1) == -1)
			return -1;
		lf = memchr(p, '\n', n);
		len = lf != NULL ? (size_t)(lf - p) : n;
		if (len > 0) {
			if (msg_add(j, p, len) == -1)
				return -1;
			j->cr = p[len - 1] == '\r';
			j->bol = false;
		}
		if (lf == NULL)
			break;
		if (msg_add(j, j->cr ? "\n" : "\r\n", j->cr ? 1 : 2) == -1)
			return -1;
		j->bol = true;
		j->cr = false;
		p += len + 1;
		n -= len + 1;
	}
	return 0;
}

static int
job_body_end(struct job *j)
{
	if (!j->bol && msg_add(j, j->cr ? "\n" : "\r\n", j->cr ? 1 : 2) ==
	    -1)
		return -1;
	j->bol = true;
	return 0;
}

/* --- the batch form ------------------------------------------------------ */

/* The next word of *p (spaces separate; "..." quotes in an address). */
static char *
job_word(char **p)
{
	char	*s = *p, *w;
	bool	 quoted = false;

	while (*s == ' ')
		s++;
	if (*s == '\0') {
		*p = s;
		return NULL;
	}
	for (w = s; *s != '\0' && (quoted || *s != ' '); s++) {
		if (*s == '\\' && quoted && s[1] != '\0')
			s++;
		else if (*s == '"')
			quoted = !quoted;
	}
	if (*s == ' ')
		*s++ = '\0';
	*p = s;
	return w;
}

static bool
opt_is(const char *w, const char *name, const char **val)
{
	size_t	 n = strlen(name);

	if (strncmp(w, name, n) != 0)
		return false;
	*val = w + n;
	return true;
}

static void
job_mail_opts(struct job *j, char *p)
{
	const char *w, *v;

	while ((w = job_word(&p)) != NULL) {
		if (strcmp(w, "body=8bitmime") == 0)
			j->body8 = true;
		else if (strcmp(w, "body=7bit") == 0)
			j->body8 = false;
		else if (strcmp(w, "smtputf8") == 0)
			j->smtputf8 = true;
		else if (strcmp(w, "ret=full") == 0)
			j->ret = SMTP_RET_FULL;
		else if (strcmp(w, "ret=hdrs") == 0)
			j->ret = SMTP_RET_HDRS;
		else if (opt_is(w, "envid=", &v) && strlen(v) <=
		    SMTP_ENVID_MAX && smtpcmd_xtext_valid(v, strlen(v)))
			(void)snprintf(j->envid, sizeof(j->envid), "%s", v);
		else
			log_warn("job: mail option ignored", w);
	}
}

/* "rfc822;xtext" (RFC 3461 4.2): an atom, ";", xtext. */
static bool
orcpt_valid(const char *v)
{
	const char *semi = strchr(v, ';');
	size_t	 i;

	if (semi == NULL || semi == v || semi[1] == '\0' ||
	    strlen(v) > SMTP_ORCPT_MAX)
		return false;
	for (i = 0; v + i < semi; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c <= 0x20 || c >= 0x7f)
			return false;
	}
	return smtpcmd_xtext_valid(semi + 1, strlen(semi + 1));
}

static void
job_rcpt_opts(struct rcpt *r, char *p)
{
	const char *w, *v;
	unsigned nf;

	while ((w = job_word(&p)) != NULL) {
		if (opt_is(w, "notify=", &v) &&
		    smtpcmd_notify(v, strlen(v), &nf) == SMTPCMD_OK) {
			r->notify = nf;
			continue;
		}
		if (opt_is(w, "orcpt=", &v) && orcpt_valid(v)) {
			(void)snprintf(r->orcpt, sizeof(r->orcpt), "%s", v);
			continue;
		}
		log_warn("job: rcpt option ignored", w);
	}
}

/* One line without its LF; 0 at the end of input, -1 on trouble. */
static int
job_line(struct io *in, char *line, size_t linesz, bool *eof, char *err,
    size_t errsz)
{
	enum io_result res;
	size_t	 len;
	bool	 eol;

	*eof = false;
	res = io_readline(in, line, linesz - 1, &len, &eol);
	if (res == IO_EOF) {
		*eof = true;
		return 0;
	}
	if (res != IO_OK) {
		(void)snprintf(err, errsz, "reading jobs: %s",
		    strerror(in->err != 0 ? in->err : EIO));
		return -1;
	}
	if (!eol) {
		(void)snprintf(err, errsz, "job line too long or cut");
		return -1;
	}
	len--;
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (memchr(line, '\0', len) != NULL) {
		(void)snprintf(err, errsz, "NUL in a job line");
		return -1;
	}
	line[len] = '\0';
	return 1;
}

static int
job_data(struct io *in, struct job *j, uint64_t size, char *err,
    size_t errsz)
{
	char	 chunk[JOB_CHUNK];

	while (size > 0) {
		enum io_result res;
		size_t	 got;

		res = io_read(in, chunk, size < sizeof(chunk) ? (size_t)size :
		    sizeof(chunk), &got);
		if (res != IO_OK) {
			(void)snprintf(err, errsz, "message cut short (%llu "
			    "octets missing)", (unsigned long long)size);
			return -1;
		}
		if (job_body(j, chunk, got) == -1) {
			(void)snprintf(err, errsz, "message: %s",
			    strerror(errno));
			return -1;
		}
		size -= got;
	}
	if (job_body_end(j) == -1) {
		(void)snprintf(err, errsz, "message: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int
job_read(struct io *in, struct job *j, char *err, size_t errsz)
{
	char	 line[REMOTE_LINE_MAX + 1], *p, *kw, *w;
	enum { WANT_JOB, WANT_MAIL, WANT_RCPT, WANT_DATA } want = WANT_JOB;
	uint64_t size;
	bool	 eof;
	int	 r;

	job_reset(j);
	for (;;) {
		if ((r = job_line(in, line, sizeof(line), &eof, err, errsz)) ==
		    -1)
			return -1;
		if (eof) {
			if (want == WANT_JOB)
				return 0;
			(void)snprintf(err, errsz, "input ends inside job %s",
			    j->id);
			return -1;
		}
		p = line;
		if ((kw = job_word(&p)) == NULL) {
			if (want == WANT_JOB)
				continue;	/* blank lines between jobs */
			(void)snprintf(err, errsz, "empty line in job %s",
			    j->id);
			return -1;
		}
		if (strcmp(kw, "job") == 0 && want == WANT_JOB) {
			if ((w = job_word(&p)) == NULL ||
			    strlen(w) > REMOTE_ID_MAX || job_word(&p) != NULL) {
				(void)snprintf(err, errsz, "bad job line");
				return -1;
			}
			(void)snprintf(j->id, sizeof(j->id), "%s", w);
			log_set_queue_id(j->id);
			want = WANT_MAIL;
		} else if (strcmp(kw, "mail") == 0 && want == WANT_MAIL) {
			if ((w = job_word(&p)) == NULL ||
			    strlen(w) > REMOTE_GIVEN_MAX) {
				(void)snprintf(err, errsz, "bad mail line in "
				    "job %s", j->id);
				return -1;
			}
			job_sender(j, w);
			job_mail_opts(j, p);
			want = WANT_RCPT;
		} else if (strcmp(kw, "rcpt") == 0 &&
		    (want == WANT_RCPT || want == WANT_DATA)) {
			if ((w = job_word(&p)) == NULL ||
			    strlen(w) > REMOTE_GIVEN_MAX) {
				(void)snprintf(err, errsz, "bad rcpt line in "
				    "job %s", j->id);
				return -1;
			}
			if (job_add_rcpt(j, w, err, errsz) == -1)
				return -1;
			job_rcpt_opts(&j->rcpts[j->nrcpts - 1], p);
			want = WANT_DATA;
		} else if (strcmp(kw, "data") == 0 && want == WANT_DATA) {
			if ((w = job_word(&p)) == NULL ||
			    !num_parse_str(w, UINT64_MAX / 2, &size) ||
			    job_word(&p) != NULL) {
				(void)snprintf(err, errsz, "bad data line in "
				    "job %s", j->id);
				return -1;
			}
			return job_data(in, j, size, err, errsz) == -1 ? -1 : 1;
		} else {
			(void)snprintf(err, errsz, "unexpected \"%.32s\" "
			    "line%s%s", kw, j->id[0] != '\0' ? " in job " : "",
			    j->id);
			return -1;
		}
	}
}

/* --- the single-message form --------------------------------------------- */

int
job_single(struct job *j, const char *sender, char **rcpts, size_t nrcpts,
    bool smtputf8, bool body8, int fd, char *err, size_t errsz)
{
	char	 chunk[JOB_CHUNK];
	size_t	 i;

	job_reset(j);
	memcpy(j->id, "-", 2);
	job_sender(j, sender);
	j->smtputf8 = smtputf8;
	j->body8 = body8;
	for (i = 0; i < nrcpts; i++)
		if (job_add_rcpt(j, rcpts[i], err, errsz) == -1)
			return -1;
	for (;;) {
		ssize_t	 n = read(fd, chunk, sizeof(chunk));

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			(void)snprintf(err, errsz, "reading the message: %s",
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		if (job_body(j, chunk, (size_t)n) == -1) {
			(void)snprintf(err, errsz, "message: %s",
			    strerror(errno));
			return -1;
		}
	}
	if (job_body_end(j) == -1) {
		(void)snprintf(err, errsz, "message: %s", strerror(errno));
		return -1;
	}
	return 0;
}
