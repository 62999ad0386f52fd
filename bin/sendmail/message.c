/*
 * message.c — from what a program pipes into sendmail to a message and
 * an envelope (RFC 5322 2.1, 2.2, 3.6; sendmail's -t, -i, -f, -F).
 *
 * The whole input is read before anything is sent: recipients may come
 * from the header (-t), and a slow producer (a cron job writing as it
 * goes) must not hold a server session open.  Lines end in LF or CRLF
 * and are stored with CRLF; what stays odd (a bare CR, a NUL, a line over
 * 998 octets) is left for the server's content checks to refuse.  Unless
 * -i, a line holding only "." ends the input, as it always has.
 *
 * The header section is the fields up to the first empty line, or up to
 * the first line that is neither a field nor a continuation (the message
 * then had no empty line; one is put in).  A first line "From " (an mbox
 * separator) is dropped.  Bcc: fields are always removed; with -t their
 * addresses, and those of To: and Cc:, are recipients.
 *
 * The parsing functions (sm_parse, sm_envelope, sm_added) do no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addrlist.h"
#include "b64.h"
#include "sendmail.h"
#include "poison.h"

/* --- lists of addresses ------------------------------------------------- */

int
sm_list_add(struct sm_list *l, const char *s, size_t n)
{
	char	**nv;

	if (l->n >= SM_RCPT_MAX) {
		sm_err("too many recipients (more than %d)", SM_RCPT_MAX);
		return EX_DATAERR;
	}
	if ((nv = reallocarray(l->v, l->n + 1, sizeof(*nv))) == NULL)
		goto nomem;
	l->v = nv;
	if ((nv[l->n] = strndup(s, n)) == NULL)
		goto nomem;
	l->n++;
	return EX_OK;
nomem:
	sm_err("out of memory");
	return EX_TEMPFAIL;
}

struct sm_list_ctx {
	struct sm_list	*l;
	int		 rc;
};

static int
sm_list_one(const char *s, size_t n, void *vctx)
{
	struct sm_list_ctx *x = vctx;

	x->rc = sm_list_add(x->l, s, n);
	return x->rc != EX_OK;
}

int
sm_list_parse(struct sm_list *l, const char *s, size_t n, const char *what)
{
	struct sm_list_ctx x = { l, EX_OK };

	switch (addrlist_parse(s, n, sm_list_one, &x)) {
	case ADDRLIST_OK:
		return EX_OK;
	case ADDRLIST_ESTOP:
		return x.rc;
	case ADDRLIST_ESYNTAX:
		break;
	}
	sm_err("%s: not a list of addresses: %.*s", what,
	    n > 200 ? 200 : (int)n, s);
	return EX_DATAERR;
}

void
sm_list_free(struct sm_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* --- reading standard input --------------------------------------------- */

enum sm_rstate {
	RS_TEXT,
	RS_CR,		/* a CR, is it CRLF? */
	RS_DOT,		/* "." at the start of a line */
	RS_DOTCR,	/* "." CR at the start of a line */
};

struct sm_reader {
	enum sm_rstate	 st;
	bool		 bol;
	bool		 dots;		/* -i: no end at "." */
	bool		 ended;		/* a lone "." was read */
	bool		 eightbit;
	char		 out[2 * 16384 + 8];
	size_t		 olen;
};

static void
sm_put(struct sm_reader *r, const char *s, size_t n)
{
	memcpy(r->out + r->olen, s, n);
	r->olen += n;
}

static void sm_feed(struct sm_reader *, unsigned char);

/* The byte after a CR: CRLF, or a bare CR and then the byte. */
static void
sm_feed_cr(struct sm_reader *r, unsigned char c)
{
	r->st = RS_TEXT;
	if (c == '\n') {
		sm_put(r, "\r\n", 2);
		r->bol = true;
		return;
	}
	sm_put(r, "\r", 1);	/* a bare CR: the server's to judge */
	sm_feed(r, c);
}

/* One input byte through the line-end and lone-dot machine. */
static void
sm_feed(struct sm_reader *r, unsigned char c)
{
	switch (r->st) {
	case RS_DOT:
		if (c == '\n') {
			r->ended = true;
			return;
		}
		if (c == '\r') {
			r->st = RS_DOTCR;
			return;
		}
		sm_put(r, ".", 1);
		r->bol = false;
		r->st = RS_TEXT;
		break;
	case RS_DOTCR:
		if (c == '\n') {
			r->ended = true;
			return;
		}
		sm_put(r, ".", 1);
		r->bol = false;
		r->st = RS_TEXT;
		sm_feed_cr(r, c);
		return;
	case RS_CR:
		sm_feed_cr(r, c);
		return;
	case RS_TEXT:
		break;
	}
	if (r->bol && c == '.' && !r->dots) {
		r->st = RS_DOT;
		return;
	}
	if (c == '\r') {
		r->st = RS_CR;
		r->bol = false;
		return;
	}
	if (c == '\n') {
		sm_put(r, "\r\n", 2);
		r->bol = true;
		return;
	}
	if (c >= 0x80)
		r->eightbit = true;
	sm_put(r, (const char *)&c, 1);
	r->bol = false;
}

/* The end of the input: close the last line. */
static void
sm_feed_end(struct sm_reader *r)
{
	switch (r->st) {
	case RS_DOT:
	case RS_DOTCR:
		r->ended = true;
		break;
	case RS_CR:
		sm_put(r, "\r\n", 2);
		break;
	case RS_TEXT:
		if (!r->bol)
			sm_put(r, "\r\n", 2);
		break;
	}
}

int
sm_read(int fd, const struct sm_opts *o, uint64_t max, struct sm_msg *m)
{
	static struct sm_reader r;
	char	 in[16384];
	ssize_t	 got;
	size_t	 i;

	memset(&r, 0, sizeof(r));
	r.st = RS_TEXT;
	r.bol = true;
	r.dots = o->dots;
	buf_init(&m->all, max > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)max);
	while (!r.ended) {
		got = read(fd, in, sizeof(in));
		if (got == -1 && errno == EINTR)
			continue;
		if (got == -1) {
			sm_err("reading the message: %s", strerror(errno));
			return EX_TEMPFAIL;
		}
		r.olen = 0;
		if (got == 0)
			sm_feed_end(&r);
		for (i = 0; i < (size_t)got && !r.ended; i++)
			sm_feed(&r, (unsigned char)in[i]);
		if (r.olen > 0 && buf_add(&m->all, r.out, r.olen) == -1) {
			if (errno == EMSGSIZE) {
				sm_err("message too big (more than %llu "
				    "octets)", (unsigned long long)max);
				return EX_DATAERR;
			}
			sm_err("out of memory");
			return EX_TEMPFAIL;
		}
		if (got == 0)
			break;
	}
	m->eightbit = r.eightbit;
	return sm_parse(m, o->extract);
}

/* --- the header section ------------------------------------------------- */

/*
 * Does the line s[0..n) start a header field (RFC 5322 2.2: printable
 * ASCII but ":", then ":"; obsolete white space before the colon is
 * allowed, 4.5)?  *namelen is the name's length.
 */
static bool
sm_field_start(const char *s, size_t n, size_t *namelen)
{
	size_t	 i, k;

	for (i = 0; i < n && s[i] > 32 && s[i] < 127 && s[i] != ':'; i++)
		;
	if (i == 0)
		return false;
	for (k = i; k < n && (s[k] == ' ' || s[k] == '\t'); k++)
		;
	if (k == n || s[k] != ':')
		return false;
	*namelen = i;
	return true;
}

static bool
sm_name_is(const char *s, size_t n, const char *name)
{
	return n == strlen(name) && strncasecmp(s, name, n) == 0;
}

/* One whole field (with its continuation lines and CRLF). */
static int
sm_field(struct sm_msg *m, const char *f, size_t len, size_t namelen,
    bool extract)
{
	const char *val = (const char *)memchr(f, ':', len) + 1;
	size_t	 vlen = len - (size_t)(val - f);
	bool	 bcc = sm_name_is(f, namelen, "Bcc");
	char	 what[16];
	int	 rc;

	if (extract && (bcc || sm_name_is(f, namelen, "To") ||
	    sm_name_is(f, namelen, "Cc"))) {
		(void)snprintf(what, sizeof(what), "%.*s:", (int)namelen, f);
		if ((rc = sm_list_parse(&m->hdr_rcpt, val, vlen, what)) !=
		    EX_OK)
			return rc;
	}
	if (bcc)
		return EX_OK;	/* never shown to the recipients */
	if (sm_name_is(f, namelen, "From"))
		m->has_from = true;
	else if (sm_name_is(f, namelen, "Date"))
		m->has_date = true;
	else if (sm_name_is(f, namelen, "Message-ID"))
		m->has_msgid = true;
	if (buf_add(&m->head, f, len) == -1) {
		if (errno != EMSGSIZE) {
			sm_err("out of memory");
			return EX_TEMPFAIL;
		}
		sm_err("header section too big (more than %d octets)",
		    SM_HEAD_MAX);
		return EX_DATAERR;
	}
	return EX_OK;
}

int
sm_parse(struct sm_msg *m, bool extract)
{
	const char *s = m->all.data ? m->all.data : "";
	size_t	 n = m->all.len, pos = 0, fstart = 0, fname = 0, nl;
	bool	 in_field = false;
	int	 rc;

	buf_init(&m->head, SM_HEAD_MAX);
	m->has_from = m->has_date = m->has_msgid = false;
	if (n >= 5 && memcmp(s, "From ", 5) == 0) {
		const char *lf = memchr(s, '\n', n);

		pos = lf ? (size_t)(lf - s) + 1 : n;
	}
	while (pos < n) {
		const char *lf = memchr(s + pos, '\n', n - pos);
		size_t	 end = lf ? (size_t)(lf - s) + 1 : n;

		if (s[pos] == ' ' || s[pos] == '\t') {
			if (!in_field)
				break;	/* a stray continuation: the body */
			pos = end;
			continue;
		}
		if (in_field) {
			in_field = false;
			if ((rc = sm_field(m, s + fstart, pos - fstart, fname,
			    extract)) != EX_OK)
				return rc;
		}
		if (end - pos == 2 && s[pos] == '\r') {
			pos = end;	/* the empty line */
			break;
		}
		if (!sm_field_start(s + pos, end - pos, &nl))
			break;		/* no empty line: the body */
		fstart = pos;
		fname = nl;
		in_field = true;
		pos = end;
	}
	if (in_field && (rc = sm_field(m, s + fstart, pos - fstart, fname,
	    extract)) != EX_OK)
		return rc;
	m->body = pos;
	return EX_OK;
}

void
sm_msg_free(struct sm_msg *m)
{
	buf_free(&m->all);
	buf_free(&m->head);
	sm_list_free(&m->hdr_rcpt);
}

/* --- the envelope ------------------------------------------------------- */

/*
 * Complete and check one address: a bare name gets "@domain".  0, or -1
 * when it is no address even then.
 */
static int
sm_address(const char *in, const char *domain, struct addr *a)
{
	char	 buf[ADDRLIST_ADDR_MAX + ADDR_DOMAIN_MAX + 2];
	size_t	 n = strlen(in);

	if (addr_parse_mailbox(in, n, ADDR_OPT_UTF8, a) == ADDR_OK)
		return 0;
	if (memchr(in, '@', n) != NULL || (size_t)snprintf(buf, sizeof(buf),
	    "%s@%s", in, domain) >= sizeof(buf))
		return -1;
	return addr_parse_mailbox(buf, strlen(buf), ADDR_OPT_UTF8, a) ==
	    ADDR_OK ? 0 : -1;
}

static int
sm_env_add(struct sm_env *e, const char *mailbox)
{
	char	 (*nr)[ADDR_PATH_MAX + 1];

	for (size_t i = 0; i < e->nrcpt; i++)
		if (strcmp(e->rcpt[i], mailbox) == 0)
			return EX_OK;
	if ((nr = reallocarray(e->rcpt, e->nrcpt + 1, sizeof(*nr))) == NULL) {
		sm_err("out of memory");
		return EX_TEMPFAIL;
	}
	e->rcpt = nr;
	(void)snprintf(nr[e->nrcpt++], sizeof(*nr), "%s", mailbox);
	return EX_OK;
}

int
sm_envelope(const struct sm_opts *o, const struct sm_user *u,
    const struct sm_list *args, const struct sm_list *hdr,
    const char *domain, struct sm_env *e)
{
	const struct sm_list *lists[2] = { args, hdr };
	struct addr a;
	char	 from[ADDRLIST_ADDR_MAX + 1];
	size_t	 i, k, n;
	int	 rc;

	memset(e, 0, sizeof(*e));
	if (o->sender == NULL) {
		if (u->login[0] == '\0') {
			sm_err("uid %lu has no user name: give a sender with "
			    "-f", u->uid);
			return EX_NOUSER;
		}
		(void)snprintf(from, sizeof(from), "%s", u->login);
	} else {
		/* -f sender, -f '<sender>', -f '' and -f '<>' */
		const char *f = o->sender;

		n = strlen(f);
		while (n > 0 && (*f == ' ' || *f == '\t')) {
			f++;
			n--;
		}
		while (n > 0 && (f[n - 1] == ' ' || f[n - 1] == '\t'))
			n--;
		if (n >= 2 && f[0] == '<' && f[n - 1] == '>') {
			f++;
			n -= 2;
		}
		if (n >= sizeof(from)) {
			sm_err("sender address too long");
			return EX_DATAERR;
		}
		memcpy(from, f, n);
		from[n] = '\0';
	}
	if (from[0] != '\0') {
		if (sm_address(from, domain, &a) == -1) {
			sm_err("bad sender address: %s", from);
			return EX_DATAERR;
		}
		memcpy(e->from, a.mailbox, sizeof(e->from));
		e->utf8 |= (a.flags & ADDR_UTF8) != 0;
	}
	for (k = 0; k < 2; k++) {
		for (i = 0; lists[k] != NULL && i < lists[k]->n; i++) {
			if (sm_address(lists[k]->v[i], domain, &a) == -1) {
				sm_err("bad recipient address: %s",
				    lists[k]->v[i]);
				sm_env_free(e);
				return EX_DATAERR;
			}
			e->utf8 |= (a.flags & ADDR_UTF8) != 0;
			if ((rc = sm_env_add(e, a.mailbox)) != EX_OK) {
				sm_env_free(e);
				return rc;
			}
		}
	}
	if (e->nrcpt == 0) {
		sm_err(o->extract ? "no recipients, on the command line nor "
		    "in To:, Cc: or Bcc:" : "no recipients");
		return EX_USAGE;
	}
	return EX_OK;
}

void
sm_env_free(struct sm_env *e)
{
	free(e->rcpt);
	e->rcpt = NULL;
	e->nrcpt = 0;
}

/* --- header fields added ------------------------------------------------ */

static bool
sm_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * A display name (RFC 5322 3.2.5 phrase): atoms as they are, other ASCII
 * as a quoted string, UTF-8 as RFC 2047 encoded-words of at most 75
 * characters.  false when the name cannot be used (control characters,
 * bad UTF-8, too long): the field then has the address alone.
 */
static bool
sm_phrase(const char *name, struct buf *b)
{
	size_t	 n = strlen(name), i, chunk;
	bool	 ascii = true, atoms = true;
	int	 r = 0;

	if (n == 0 || n > 256)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f)
			return false;
		if (c >= 0x80)
			ascii = false;
		else if (!sm_atext(c) && c != ' ')
			atoms = false;
	}
	if (name[0] == ' ' || name[n - 1] == ' ')
		atoms = false;
	if (ascii && atoms)
		return buf_add(b, name, n) == 0;
	if (ascii) {
		r |= buf_addc(b, '"');
		for (i = 0; i < n; i++) {
			if (name[i] == '"' || name[i] == '\\')
				r |= buf_addc(b, '\\');
			r |= buf_addc(b, name[i]);
		}
		r |= buf_addc(b, '"');
		return r == 0;
	}
	if (!addr_utf8_valid(name, n))
		return false;
	for (i = 0; i < n; i += chunk) {
		char	 enc[B64_ENCODED_SIZE(45)];

		/* 45 octets: 60 base64 characters, 72 in all */
		chunk = n - i > 45 ? 45 : n - i;
		while (i + chunk < n &&
		    ((unsigned char)name[i + chunk] & 0xc0) == 0x80)
			chunk--;
		b64_encode(name + i, chunk, enc, sizeof(enc));
		r |= buf_printf(b, "%s=?UTF-8?B?%s?=", i > 0 ? "\r\n " : "",
		    enc);
	}
	return r == 0;
}

int
sm_added(const struct sm_msg *m, const struct sm_opts *o,
    const struct sm_user *u, const struct sm_env *e, const char *domain,
    struct buf *out)
{
	char	 date[64], stamp[32], gecos[256];
	unsigned char rnd[8];
	unsigned long long id = 0;
	struct tm tm;
	time_t	 now = time(NULL);
	size_t	 i;
	int	 r = 0;

	if (!m->has_from) {
		const char *name = o->fullname;
		char	 addr[ADDR_PATH_MAX + 1];
		struct buf ph;

		if (name == NULL) {
			/* the GECOS field's first part is the full name */
			(void)snprintf(gecos, sizeof(gecos), "%.*s",
			    (int)strcspn(u->gecos, ","), u->gecos);
			name = gecos;
		}
		if (e->from[0] != '\0')
			(void)snprintf(addr, sizeof(addr), "%s", e->from);
		else
			(void)snprintf(addr, sizeof(addr), "%s@%s",
			    u->login[0] ? u->login : "MAILER-DAEMON", domain);
		buf_init(&ph, 4096);
		if (sm_phrase(name, &ph))
			r |= buf_printf(out, "From: %s <%s>\r\n", ph.data, addr);
		else
			r |= buf_printf(out, "From: %s\r\n", addr);
		buf_free(&ph);
	}
	if (!m->has_date) {
		if (localtime_r(&now, &tm) == NULL || strftime(date,
		    sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
			(void)snprintf(date, sizeof(date),
			    "Thu, 01 Jan 1970 00:00:00 +0000");
		r |= buf_printf(out, "Date: %s\r\n", date);
	}
	if (!m->has_msgid) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			memset(rnd, 0, sizeof(rnd));
			id = (unsigned long long)getpid() << 20;
		}
		for (i = 0; i < sizeof(rnd); i++)
			id = id << 8 ^ rnd[i];
		if (gmtime_r(&now, &tm) == NULL || strftime(stamp,
		    sizeof(stamp), "%Y%m%d%H%M%S", &tm) == 0)
			(void)snprintf(stamp, sizeof(stamp), "0");
		r |= buf_printf(out, "Message-ID: <%s.%016llX@%s>\r\n", stamp,
		    id, domain);
	}
	if (r != 0) {
		sm_err("out of memory");
		return EX_TEMPFAIL;
	}
	return EX_OK;
}
