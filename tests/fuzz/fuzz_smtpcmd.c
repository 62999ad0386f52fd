/*
 * fuzz_smtpcmd.c — SMTP command lines (smtpcmd.h).
 *
 * The input is one command line without its CRLF, as the handler hands it
 * over.  smtpcmd_parse splits it; MAIL, RCPT and BDAT arguments are then
 * parsed with every extension advertised, with none, and with a set taken
 * from the input's length, and each result is checked against what
 * smtpcmd.h and addr.h promise.  Advertising more extensions never turns a
 * good command bad (a parameter is parsed alike whenever it is known).
 */
#include "fuzz.h"
#include "smtpcmd.h"
#include "poison.h"

#define EXT_ALL	(SMTPCMD_EXT_SIZE | SMTPCMD_EXT_8BITMIME | \
	SMTPCMD_EXT_SMTPUTF8 | SMTPCMD_EXT_DSN | SMTPCMD_EXT_AUTH)

static bool
ci_eq(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && strncasecmp(s, lit, n) == 0;
}

static void
check_cmd(const char *line, size_t n, enum smtpcmd_result r,
    const struct smtp_cmd *c)
{
	size_t	 vlen;

	for (vlen = 0; vlen < n && line[vlen] != ' '; vlen++)
		;
	FUZZ_CHECK(c->verb < SMTP_VERB_COUNT);
	FUZZ_CHECK(c->name != NULL && c->arg != NULL);
	if (r == SMTPCMD_ESYNTAX) {
		FUZZ_CHECK(vlen == 0);
		return;
	}
	FUZZ_CHECK(r == SMTPCMD_OK || r == SMTPCMD_ETOOLONG);
	FUZZ_CHECK(vlen > 0);
	if (r == SMTPCMD_ETOOLONG)
		FUZZ_CHECK(n > SMTP_LINE_MAX - 2);
	if (n <= SMTP_LINE_MAX - 2)
		FUZZ_CHECK(r == SMTPCMD_OK);
	if (c->verb == SMTP_UNKNOWN) {
		FUZZ_CHECK(c->arglen == 0);
		return;
	}
	/* The canonical name is the verb as sent, up to case. */
	FUZZ_CHECK(strlen(c->name) == vlen &&
	    strncasecmp(c->name, line, vlen) == 0);
	if (vlen == n)
		FUZZ_CHECK(c->arglen == 0);
	else
		FUZZ_CHECK(c->arg == line + vlen + 1 &&
		    c->arglen == n - vlen - 1);
	if (c->verb == SMTP_HELO || c->verb == SMTP_EHLO ||
	    c->verb == SMTP_DATA || c->verb == SMTP_QUIT)
		FUZZ_CHECK(r == SMTPCMD_OK ? n <= SMTP_LINE_MAX - 2 :
		    n > SMTP_LINE_MAX - 2);
	if (c->verb == SMTP_MAIL && r == SMTPCMD_OK)
		FUZZ_CHECK(n <= SMTP_MAIL_LINE_MAX - 2);
	if (c->verb == SMTP_RCPT && r == SMTPCMD_OK)
		FUZZ_CHECK(n <= SMTP_RCPT_LINE_MAX - 2);
}

static bool
mail_equal(const struct smtp_mail *a, const struct smtp_mail *b)
{
	return fuzz_addr_equal(&a->from, &b->from) && a->size == b->size &&
	    a->body == b->body && a->ret == b->ret &&
	    a->smtputf8 == b->smtputf8 && strcmp(a->envid, b->envid) == 0 &&
	    strcmp(a->auth, b->auth) == 0;
}

static void
check_mail(enum smtpcmd_result r, const struct smtp_mail *m, unsigned ext,
    uint64_t max_size)
{
	if (r == SMTPCMD_EADDR) {
		FUZZ_CHECK(m->addr_error != ADDR_OK);
		FUZZ_CHECK(addr_strerror(m->addr_error) != NULL);
		return;
	}
	if (r != SMTPCMD_OK)
		return;
	FUZZ_CHECK(m->addr_error == ADDR_OK);
	fuzz_check_addr(&m->from, ADDR_OPT_NULL | ADDR_OPT_UTF8);
	FUZZ_CHECK(!(m->from.flags & ADDR_NODOMAIN));
	/* Non-ASCII in the sender needs SMTPUTF8 on the same MAIL. */
	if (m->from.flags & ADDR_UTF8)
		FUZZ_CHECK(m->smtputf8);
	FUZZ_CHECK(m->body == SMTP_BODY_NONE || m->body == SMTP_BODY_7BIT ||
	    m->body == SMTP_BODY_8BITMIME);
	FUZZ_CHECK(m->ret == SMTP_RET_NONE || m->ret == SMTP_RET_FULL ||
	    m->ret == SMTP_RET_HDRS);
	FUZZ_CHECK(fuzz_cstr_in(m->envid, sizeof(m->envid)));
	FUZZ_CHECK(fuzz_cstr_in(m->auth, sizeof(m->auth)));
	FUZZ_CHECK(smtpcmd_xtext_valid(m->envid, strlen(m->envid)));
	if (max_size != 0)
		FUZZ_CHECK(m->size <= max_size);
	if (!(ext & SMTPCMD_EXT_SIZE))
		FUZZ_CHECK(m->size == 0);
	if (!(ext & SMTPCMD_EXT_8BITMIME))
		FUZZ_CHECK(m->body == SMTP_BODY_NONE);
	if (!(ext & SMTPCMD_EXT_SMTPUTF8))
		FUZZ_CHECK(!m->smtputf8);
	if (!(ext & SMTPCMD_EXT_DSN))
		FUZZ_CHECK(m->ret == SMTP_RET_NONE && m->envid[0] == '\0');
	if (!(ext & SMTPCMD_EXT_AUTH))
		FUZZ_CHECK(m->auth[0] == '\0');
}

static void
fuzz_mail(const char *arg, size_t n)
{
	struct smtp_mail all, none, some;
	enum smtpcmd_result r_all, r_none, r_some;
	unsigned ext_some = (unsigned)n & EXT_ALL;
	uint64_t max = 10 * 1024 * 1024;

	r_all = smtpcmd_mail(arg, n, EXT_ALL, 0, &all);
	check_mail(r_all, &all, EXT_ALL, 0);
	r_none = smtpcmd_mail(arg, n, 0, 0, &none);
	check_mail(r_none, &none, 0, 0);
	r_some = smtpcmd_mail(arg, n, ext_some, max, &some);
	check_mail(r_some, &some, ext_some, max);

	if (r_none == SMTPCMD_OK) {
		FUZZ_CHECK(r_all == SMTPCMD_OK && mail_equal(&none, &all));
		FUZZ_CHECK(r_some == SMTPCMD_OK && mail_equal(&none, &some));
	}
	if (r_some == SMTPCMD_OK)
		FUZZ_CHECK(r_all == SMTPCMD_OK && mail_equal(&some, &all));
	/* The size limit alone separates r_some from r_all here. */
	if (r_all == SMTPCMD_OK && r_some != SMTPCMD_OK &&
	    r_some != SMTPCMD_EPARAM_UNKNOWN)
		FUZZ_CHECK(r_some == SMTPCMD_EPARAM_SIZE && all.size > max);
	/* Syntax of the address does not depend on the extensions. */
	if (r_all == SMTPCMD_ESYNTAX || r_none == SMTPCMD_ESYNTAX)
		FUZZ_CHECK(r_all == r_none ||
		    (r_none == SMTPCMD_EPARAM_UNKNOWN));
}

static void
check_rcpt(enum smtpcmd_result r, const struct smtp_rcpt *rc, unsigned ext,
    bool utf8)
{
	unsigned nf = rc->notify;

	if (r == SMTPCMD_EADDR) {
		FUZZ_CHECK(rc->addr_error != ADDR_OK);
		FUZZ_CHECK(addr_strerror(rc->addr_error) != NULL);
		return;
	}
	if (r != SMTPCMD_OK)
		return;
	FUZZ_CHECK(rc->addr_error == ADDR_OK);
	fuzz_check_addr(&rc->to, ADDR_OPT_POSTMASTER |
	    (utf8 ? ADDR_OPT_UTF8 : 0));
	FUZZ_CHECK(!(rc->to.flags & ADDR_NULL));
	FUZZ_CHECK(fuzz_cstr_in(rc->orcpt, sizeof(rc->orcpt)));
	/* NEVER alone, or any of the other three (RFC 3461 4.1). */
	FUZZ_CHECK((nf & ~(unsigned)(SMTP_NOTIFY_NEVER | SMTP_NOTIFY_SUCCESS |
	    SMTP_NOTIFY_FAILURE | SMTP_NOTIFY_DELAY)) == 0);
	if (nf & SMTP_NOTIFY_NEVER)
		FUZZ_CHECK(nf == SMTP_NOTIFY_NEVER);
	if (rc->orcpt[0] != '\0') {
		const char *semi = strchr(rc->orcpt, ';');

		FUZZ_CHECK(semi != NULL && semi > rc->orcpt && semi[1] != '\0');
	}
	if (!(ext & SMTPCMD_EXT_DSN))
		FUZZ_CHECK(nf == 0 && rc->orcpt[0] == '\0');
}

static bool
rcpt_equal(const struct smtp_rcpt *a, const struct smtp_rcpt *b)
{
	return fuzz_addr_equal(&a->to, &b->to) && a->notify == b->notify &&
	    strcmp(a->orcpt, b->orcpt) == 0;
}

static void
fuzz_rcpt(const char *arg, size_t n)
{
	struct smtp_rcpt all, all8, none;
	enum smtpcmd_result r_all, r_all8, r_none;

	r_all = smtpcmd_rcpt(arg, n, EXT_ALL, false, &all);
	check_rcpt(r_all, &all, EXT_ALL, false);
	r_all8 = smtpcmd_rcpt(arg, n, EXT_ALL, true, &all8);
	check_rcpt(r_all8, &all8, EXT_ALL, true);
	r_none = smtpcmd_rcpt(arg, n, 0, false, &none);
	check_rcpt(r_none, &none, 0, false);

	if (r_none == SMTPCMD_OK)
		FUZZ_CHECK(r_all == SMTPCMD_OK && rcpt_equal(&none, &all));
	if (r_all == SMTPCMD_OK)
		FUZZ_CHECK(r_all8 == SMTPCMD_OK && rcpt_equal(&all, &all8));
	if (r_all8 == SMTPCMD_OK && r_all != SMTPCMD_OK)
		FUZZ_CHECK(r_all == SMTPCMD_EADDR &&
		    all.addr_error == ADDR_EUTF8 &&
		    (all8.to.flags & ADDR_UTF8));
}

static void
fuzz_bdat(const char *arg, size_t n)
{
	enum smtpcmd_result r;
	uint64_t size = 0, want = 0;
	bool	 last = false, digits = true;
	size_t	 i;

	r = smtpcmd_bdat(arg, n, &size, &last);
	if (r != SMTPCMD_OK) {
		FUZZ_CHECK(r == SMTPCMD_ESYNTAX);
		return;
	}
	/* "digits" or "digits LAST"; the number must fit in 64 bits. */
	for (i = 0; i < n && arg[i] != ' '; i++) {
		unsigned d = (unsigned)(unsigned char)arg[i] - '0';

		if (d > 9 || want > (UINT64_MAX - d) / 10) {
			digits = false;
			break;
		}
		want = want * 10 + d;
	}
	FUZZ_CHECK(i > 0 && digits && size == want);
	if (last)
		FUZZ_CHECK(ci_eq(arg + i, n - i, " LAST"));
	else
		FUZZ_CHECK(i == n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct smtp_cmd cmd;
	enum smtpcmd_result r;

	r = smtpcmd_parse(line, size, &cmd);
	check_cmd(line, size, r, &cmd);
	if (r != SMTPCMD_OK)
		return 0;
	switch (cmd.verb) {
	case SMTP_MAIL:
		fuzz_mail(cmd.arg, cmd.arglen);
		break;
	case SMTP_RCPT:
		fuzz_rcpt(cmd.arg, cmd.arglen);
		break;
	case SMTP_BDAT:
		fuzz_bdat(cmd.arg, cmd.arglen);
		break;
	case SMTP_EHLO:
	case SMTP_HELO:
		(void)addr_helo_valid(cmd.arg, cmd.arglen, false);
		break;
	default:
		break;
	}
	return 0;
}
