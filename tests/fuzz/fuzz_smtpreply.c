/*
 * fuzz_smtpreply.c — SMTP replies and EHLO keywords as the client reads
 * them (smtpreply.h).
 *
 * The input is split at LF into lines, fed to smtpreply_feed until it
 * stops asking for more, and each line's text to smtpreply_ext_line.  The
 * checks are the header's promises: the kept text is printable ASCII,
 * NUL-terminated and within SMTPREPLY_TEXT_MAX; the enhanced code is
 * empty or valid and of the reply's class; every line of a complete reply
 * has the first line's code; a complete reply takes no more lines; the
 * line text handed back lies inside the line.
 */
#include "fuzz.h"
#include "smtpreply.h"
#include "poison.h"

#define EXT_KNOWN (SMTPEXT_PIPELINING | SMTPEXT_SIZE | SMTPEXT_8BITMIME | \
	SMTPEXT_SMTPUTF8 | SMTPEXT_DSN | SMTPEXT_STARTTLS | SMTPEXT_AUTH | \
	SMTPEXT_AUTH_PLAIN | SMTPEXT_ENHANCED | SMTPEXT_CHUNKING)

static void
check_reply(const struct smtp_reply *r)
{
	size_t	 i, el;

	FUZZ_CHECK(r->textlen <= SMTPREPLY_TEXT_MAX);
	FUZZ_CHECK(r->text[r->textlen] == '\0');
	for (i = 0; i < r->textlen; i++)
		FUZZ_CHECK(r->text[i] >= 0x20 && r->text[i] < 0x7f);
	FUZZ_CHECK(fuzz_cstr_in(r->ecode, sizeof(r->ecode)));
	el = strlen(r->ecode);
	if (el > 0) {
		FUZZ_CHECK(smtpreply_ecode_valid(r->ecode, el));
		FUZZ_CHECK(r->ecode[0] - '0' == r->code / 100);
	}
	if (r->nlines > 0) {
		const char *e = smtpreply_ecode(r);

		FUZZ_CHECK(r->code >= 200 && r->code <= 599);
		FUZZ_CHECK(smtpreply_class(r) == 2 ||
		    smtpreply_class(r) == 4 || smtpreply_class(r) == 5);
		FUZZ_CHECK(smtpreply_ecode_valid(e, strlen(e)));
	}
	FUZZ_CHECK(r->nlines <= SMTPREPLY_LINES_MAX);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct smtp_reply r, copy;
	struct smtp_ext	 ext;
	enum smtpreply_result res = SMTPREPLY_MORE;
	int		 first = 0;
	char		 text[64];

	smtpreply_init(&r);
	smtpreply_ext_init(&ext);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t	 n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		const char *t = NULL;
		size_t	 tl = 0;
		bool	 was_done = r.done;

		res = smtpreply_feed(&r, p, n, &t, &tl);
		if (was_done)
			FUZZ_CHECK(res == SMTPREPLY_ESYNTAX);
		if (res == SMTPREPLY_MORE || res == SMTPREPLY_DONE) {
			FUZZ_CHECK(t >= p && t + tl <= p + n);
			if (first == 0)
				first = r.code;
			FUZZ_CHECK(r.code == first);
			FUZZ_CHECK(r.done == (res == SMTPREPLY_DONE));
			FUZZ_CHECK(n >= 3 && p[0] >= '2' && p[0] <= '5' &&
			    p[1] >= '0' && p[1] <= '5' && p[2] >= '0' &&
			    p[2] <= '9');
			smtpreply_ext_line(&ext, t, tl);
			FUZZ_CHECK((ext.flags & ~(unsigned)EXT_KNOWN) == 0);
			if (!(ext.flags & SMTPEXT_SIZE))
				FUZZ_CHECK(ext.size == 0);
			if (ext.flags & SMTPEXT_AUTH_PLAIN)
				FUZZ_CHECK(ext.flags & SMTPEXT_AUTH);
			check_reply(&r);
		}
		if (res == SMTPREPLY_ESYNTAX || res == SMTPREPLY_ETOOMANY)
			break;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	if (res == SMTPREPLY_DONE) {
		/* our own words go through the same cleaning */
		(void)snprintf(text, sizeof(text), "%.*s",
		    (int)(size < 60 ? size : 60), (const char *)data);
		copy = r;
		smtpreply_set(&copy, r.code, r.ecode, text);
		check_reply(&copy);
		FUZZ_CHECK(copy.code == r.code && copy.done);
		FUZZ_CHECK(strcmp(smtpreply_ecode(&copy),
		    smtpreply_ecode(&r)) == 0);
	}
	return 0;
}
