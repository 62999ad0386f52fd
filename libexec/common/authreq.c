/*
 * authreq.c — the password checker's requests and answers (see
 * authreq.h and tambo-authd(8)).
 *
 * Bytes in, results out: the I/O is authc.c's (client) and authd's
 * (server).  Every field has a hard maximum that is checked as soon as
 * the bytes are there, so a reader can refuse an overlong request before
 * it has read all of it.  The password is copied once, into the caller's
 * struct, which the caller wipes.
 */
#include <stdbool.h>
#include <string.h>

#include "authreq.h"
#include "poison.h"

struct authreq_field {
	size_t	 min, max;
	bool	 printable;	/* ASCII 0x21-0x7e only */
};

static const struct authreq_field authreq_fields[] = {
	{ 1, AUTHREQ_USER_MAX, false },		/* user */
	{ 0, AUTHREQ_PASS_MAX, false },		/* password */
	{ 1, AUTHREQ_CLIENT_MAX, true },	/* client */
};

static const char *const authresp_lines[] = {
	[AUTHRESP_OK] = "ok\n",
	[AUTHRESP_FAIL] = "fail\n",
	[AUTHRESP_TEMP] = "temp\n",
};

static bool
authreq_printable(const unsigned char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	return true;
}

size_t
authreq_encode(const char *user, const char *pass, const char *client,
    void *out, size_t outsz)
{
	const char *v[3] = { user, pass, client };
	unsigned char *o = out;
	size_t	 len[3], need = sizeof(AUTHREQ_TAG), i, at;

	for (i = 0; i < 3; i++) {
		len[i] = strlen(v[i]);
		if (len[i] < authreq_fields[i].min ||
		    len[i] > authreq_fields[i].max)
			return 0;
		if (authreq_fields[i].printable &&
		    !authreq_printable((const unsigned char *)v[i], len[i]))
			return 0;
		need += len[i] + 1;
	}
	if (need > outsz)
		return 0;
	memcpy(o, AUTHREQ_TAG, sizeof(AUTHREQ_TAG));
	at = sizeof(AUTHREQ_TAG);
	for (i = 0; i < 3; i++) {
		memcpy(o + at, v[i], len[i] + 1);
		at += len[i] + 1;
	}
	return at;
}

enum authreq_result
authreq_decode(const void *in, size_t n, struct authreq *r)
{
	const unsigned char *p = in, *nul;
	char	*dst[3] = { r->user, r->pass, r->client };
	size_t	 at, i, room, len;

	if (n == 0)
		return AUTHREQ_SHORT;
	len = n < sizeof(AUTHREQ_TAG) ? n : sizeof(AUTHREQ_TAG);
	if (memcmp(p, AUTHREQ_TAG, len) != 0)
		return AUTHREQ_BAD;
	if (n < sizeof(AUTHREQ_TAG))
		return AUTHREQ_SHORT;
	at = sizeof(AUTHREQ_TAG);
	for (i = 0; i < 3; i++) {
		const struct authreq_field *f = &authreq_fields[i];

		/* look no further than the field's maximum and its NUL */
		room = n - at;
		if (room > f->max + 1)
			room = f->max + 1;
		nul = memchr(p + at, '\0', room);
		len = nul != NULL ? (size_t)(nul - (p + at)) : room;
		if (len > f->max)
			return AUTHREQ_BAD;
		if (f->printable && !authreq_printable(p + at, len))
			return AUTHREQ_BAD;
		if (nul == NULL)
			return AUTHREQ_SHORT;
		if (len < f->min)
			return AUTHREQ_BAD;
		memcpy(dst[i], p + at, len + 1);
		at += len + 1;
	}
	return at == n ? AUTHREQ_OK : AUTHREQ_BAD;
}

void
authreq_wipe(struct authreq *r)
{
	explicit_bzero(r, sizeof(*r));
}

const char *
authresp_line(enum authresp res, size_t *len)
{
	const char *l = authresp_lines[res];

	*len = strlen(l);
	return l;
}

const char *
authresp_name(enum authresp res)
{
	switch (res) {
	case AUTHRESP_OK:
		return "ok";
	case AUTHRESP_FAIL:
		return "fail";
	case AUTHRESP_TEMP:
		break;
	}
	return "temp";
}

enum authreq_result
authresp_decode(const void *in, size_t n, enum authresp *res)
{
	size_t	 i, len;
	bool	 prefix = false;

	if (n == 0)
		return AUTHREQ_SHORT;
	for (i = 0; i < sizeof(authresp_lines) / sizeof(authresp_lines[0]);
	    i++) {
		len = strlen(authresp_lines[i]);
		if (n == len && memcmp(in, authresp_lines[i], len) == 0) {
			*res = (enum authresp)i;
			return AUTHREQ_OK;
		}
		if (n < len && memcmp(in, authresp_lines[i], n) == 0)
			prefix = true;
	}
	return prefix ? AUTHREQ_SHORT : AUTHREQ_BAD;
}
