/*
 * fuzz_envelope.c — queue file envelopes (spool.h, tambo-spool(5)).
 *
 * The input is the start of a queue file.  What spool_envelope_parse
 * accepts must be a well-formed envelope, and must survive a round trip:
 * spool_envelope_format, the separating empty line, parse again, and every
 * field is the same; formatting the second parse gives the same bytes.
 */
#include "buf.h"
#include "fuzz.h"
#include "spool.h"
#include "poison.h"

#define STR_OK(field) fuzz_cstr_in((field), sizeof(field))

static void
check_envelope(const struct spool_envelope *e, size_t n, const char *p)
{
	size_t	 i;

	FUZZ_CHECK(STR_OK(e->id) && STR_OK(e->client) && STR_OK(e->helo) &&
	    STR_OK(e->protocol) && STR_OK(e->auth) && STR_OK(e->from) &&
	    STR_OK(e->envid));
	FUZZ_CHECK(spool_id_valid(e->id));
	FUZZ_CHECK(e->arrival >= 0);
	FUZZ_CHECK(e->body == SMTP_BODY_NONE || e->body == SMTP_BODY_7BIT ||
	    e->body == SMTP_BODY_8BITMIME);
	FUZZ_CHECK(e->ret == SMTP_RET_NONE || e->ret == SMTP_RET_FULL ||
	    e->ret == SMTP_RET_HDRS);
	FUZZ_CHECK(e->nrcpt <= SPOOL_RCPT_MAX);
	FUZZ_CHECK(e->nrcpt == 0 || e->rcpt != NULL);
	/* The envelope ends with an empty line; the message follows. */
	FUZZ_CHECK(e->header_len >= 2 && e->header_len <= n);
	FUZZ_CHECK(p[e->header_len - 1] == '\n' && p[e->header_len - 2] == '\n');
	FUZZ_CHECK(memmem(p, e->header_len, "\n\n", 2) ==
	    p + e->header_len - 2);
	FUZZ_CHECK(strchr(e->client, '\n') == NULL &&
	    strchr(e->helo, '\n') == NULL && strchr(e->from, '\n') == NULL);
	for (i = 0; i < e->nrcpt; i++) {
		const struct spool_rcpt *rc = &e->rcpt[i];

		FUZZ_CHECK(STR_OK(rc->addr) && STR_OK(rc->orcpt));
		FUZZ_CHECK(strchr(rc->addr, '\n') == NULL);
		FUZZ_CHECK(strchr(rc->orcpt, ' ') == NULL);
		FUZZ_CHECK((rc->notify & ~(unsigned)(SMTP_NOTIFY_NEVER |
		    SMTP_NOTIFY_SUCCESS | SMTP_NOTIFY_FAILURE |
		    SMTP_NOTIFY_DELAY)) == 0);
		FUZZ_CHECK(rc->state == SPOOL_RCPT_QUEUED);
	}
}

static void
check_same(const struct spool_envelope *a, const struct spool_envelope *b)
{
	size_t	 i;

	FUZZ_CHECK(strcmp(a->id, b->id) == 0);
	FUZZ_CHECK(a->arrival == b->arrival);
	FUZZ_CHECK(strcmp(a->client, b->client) == 0);
	FUZZ_CHECK(strcmp(a->helo, b->helo) == 0);
	FUZZ_CHECK(strcmp(a->protocol, b->protocol) == 0);
	FUZZ_CHECK(strcmp(a->auth, b->auth) == 0);
	FUZZ_CHECK(strcmp(a->from, b->from) == 0);
	FUZZ_CHECK(a->body == b->body);
	FUZZ_CHECK(a->ret == b->ret);
	FUZZ_CHECK(a->smtputf8 == b->smtputf8);
	FUZZ_CHECK(strcmp(a->envid, b->envid) == 0);
	FUZZ_CHECK(a->nrcpt == b->nrcpt);
	for (i = 0; i < a->nrcpt; i++) {
		FUZZ_CHECK(strcmp(a->rcpt[i].addr, b->rcpt[i].addr) == 0);
		FUZZ_CHECK(a->rcpt[i].notify == b->rcpt[i].notify);
		FUZZ_CHECK(strcmp(a->rcpt[i].orcpt, b->rcpt[i].orcpt) == 0);
		FUZZ_CHECK(a->rcpt[i].state == b->rcpt[i].state);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct spool_envelope e, e2, e3;
	struct buf b, b2;

	/* A failed parse frees what it took (the leak checker sees). */
	if (spool_envelope_parse(p, size, &e) == -1)
		return 0;
	check_envelope(&e, size, p);

	buf_init(&b, SPOOL_ENVELOPE_MAX);
	FUZZ_CHECK(spool_envelope_format(&e, &b) == 0);
	FUZZ_CHECK(buf_addc(&b, '\n') == 0);
	/* Parse from an exact copy, so reads past the end are caught. */
	{
		char	*copy;

		if ((copy = malloc(b.len)) == NULL)
			abort();
		memcpy(copy, b.data, b.len);
		FUZZ_CHECK(spool_envelope_parse(copy, b.len, &e2) == 0);
		check_envelope(&e2, b.len, copy);
		free(copy);
	}
	FUZZ_CHECK(e2.header_len == b.len);
	check_same(&e, &e2);

	/* Formatting what was parsed back gives the same bytes. */
	buf_init(&b2, SPOOL_ENVELOPE_MAX);
	FUZZ_CHECK(spool_envelope_format(&e2, &b2) == 0);
	FUZZ_CHECK(buf_addc(&b2, '\n') == 0);
	FUZZ_CHECK(b.len == b2.len && memcmp(b.data, b2.data, b.len) == 0);
	FUZZ_CHECK(spool_envelope_parse(b2.data, b2.len, &e3) == 0);
	check_same(&e, &e3);

	spool_envelope_free(&e3);
	spool_envelope_free(&e2);
	spool_envelope_free(&e);
	buf_free(&b2);
	buf_free(&b);
	return 0;
}
