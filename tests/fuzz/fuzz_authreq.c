/*
 * fuzz_authreq.c — the password checker's requests and answers
 * (authreq.h) as authd and the handlers read them.
 *
 * The input is decoded as a request and as an answer.  The checks are
 * the header's promises: a decoded request's fields are NUL-terminated
 * within their limits, the user and client are not empty, the client is
 * printable ASCII, and encoding the fields again gives back exactly the
 * input; an input that asks for more is shorter than AUTHREQ_MAX; every
 * proper beginning of a whole request asks for more, and once a
 * beginning is refused the whole is refused too (a reader may stop at
 * the first refusal).  An answer decodes only to one of the three lines.
 */
#include "fuzz.h"
#include "authreq.h"
#include "poison.h"

static void
check_request(const uint8_t *data, size_t size, const struct authreq *r)
{
	static unsigned char again[AUTHREQ_MAX];
	size_t	 ul, pl, cl, n, i;

	FUZZ_CHECK(fuzz_cstr_in(r->user, sizeof(r->user)));
	FUZZ_CHECK(fuzz_cstr_in(r->pass, sizeof(r->pass)));
	FUZZ_CHECK(fuzz_cstr_in(r->client, sizeof(r->client)));
	ul = strlen(r->user);
	pl = strlen(r->pass);
	cl = strlen(r->client);
	FUZZ_CHECK(ul >= 1 && ul <= AUTHREQ_USER_MAX);
	FUZZ_CHECK(pl <= AUTHREQ_PASS_MAX);
	FUZZ_CHECK(cl >= 1 && cl <= AUTHREQ_CLIENT_MAX);
	for (i = 0; i < cl; i++)
		FUZZ_CHECK(r->client[i] > 0x20 && r->client[i] < 0x7f);
	FUZZ_CHECK(size == sizeof(AUTHREQ_TAG) + ul + pl + cl + 3);
	n = authreq_encode(r->user, r->pass, r->client, again, sizeof(again));
	FUZZ_CHECK(n == size && memcmp(again, data, n) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct authreq r, p;
	enum authreq_result res, pres;
	enum authresp ans;
	size_t	 i, len;
	bool	 refused = false;

	res = authreq_decode(data, size, &r);
	if (res == AUTHREQ_OK)
		check_request(data, size, &r);
	if (res == AUTHREQ_SHORT)
		FUZZ_CHECK(size < AUTHREQ_MAX);
	/* the beginnings, as a reader sees them arrive */
	for (i = 0; i < size && i <= AUTHREQ_MAX; i++) {
		pres = authreq_decode(data, i, &p);
		FUZZ_CHECK(pres != AUTHREQ_OK || res == AUTHREQ_BAD);
		if (pres == AUTHREQ_BAD)
			refused = true;
		if (res == AUTHREQ_OK)
			FUZZ_CHECK(pres == AUTHREQ_SHORT);
	}
	if (refused)
		FUZZ_CHECK(res == AUTHREQ_BAD);
	authreq_wipe(&r);
	authreq_wipe(&p);

	switch (authresp_decode(data, size, &ans)) {
	case AUTHREQ_OK: {
		const char *l = authresp_line(ans, &len);

		FUZZ_CHECK(ans == AUTHRESP_OK || ans == AUTHRESP_FAIL ||
		    ans == AUTHRESP_TEMP);
		FUZZ_CHECK(len == size && memcmp(l, data, len) == 0);
		break;
	}
	case AUTHREQ_SHORT:
		FUZZ_CHECK(size < AUTHRESP_MAX);
		break;
	case AUTHREQ_BAD:
		break;
	}
	return 0;
}
