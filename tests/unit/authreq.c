/*
 * authreq.c — the password checker's protocol (authreq.h): requests
 * encoded and decoded back, every field at and over its limit, requests
 * cut short at every octet, malformed and trailing bytes, and the answer
 * lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authreq.h"
#include "tap.h"

#define TAG	"tambo-auth1\0"
#define TAGLEN	(sizeof(TAG) - 1)

/* Requests written by hand (len octets; they hold NULs). */
static const struct {
	const char	*bytes;
	size_t		 len;
	enum authreq_result want;
	const char	*name;
} table[] = {
	{ TAG "u@example.test\0secret\0" "192.0.2.1\0", TAGLEN + 32,
	  AUTHREQ_OK, "a whole request" },
	{ TAG "u@example.test\0\0local\0", TAGLEN + 22, AUTHREQ_OK,
	  "an empty password" },
	{ TAG "u\0pass word\n\r\0::1\0", TAGLEN + 18, AUTHREQ_OK,
	  "spaces and line ends in a password" },
	{ TAG "\0secret\0" "192.0.2.1\0", TAGLEN + 18, AUTHREQ_BAD,
	  "an empty user" },
	{ TAG "u\0secret\0\0", TAGLEN + 10, AUTHREQ_BAD,
	  "an empty client" },
	{ TAG "u\0secret\0" "192.0.2.1 x\0", TAGLEN + 21, AUTHREQ_BAD,
	  "a space in the client" },
	{ TAG "u\0secret\0" "192.0\x01" "\0", TAGLEN + 16, AUTHREQ_BAD,
	  "a control character in the client" },
	{ TAG "u\0secret\0" "192.0.2.1\0x", TAGLEN + 20, AUTHREQ_BAD,
	  "a byte after the request" },
	{ TAG "u\0secret\0" "192.0.2.1\0\0", TAGLEN + 20, AUTHREQ_BAD,
	  "a NUL after the request" },
	{ "tambo-auth2\0u\0p\0c\0", 18, AUTHREQ_BAD, "another version" },
	{ "TAMBO-AUTH1\0u\0p\0c\0", 18, AUTHREQ_BAD, "the tag's case" },
	{ "GET / HTTP/1.0\r\n", 16, AUTHREQ_BAD, "not the protocol" },
	{ "tambo", 5, AUTHREQ_SHORT, "the tag's beginning" },
	{ "", 0, AUTHREQ_SHORT, "nothing yet" },
	{ TAG "u@example.test\0sec", TAGLEN + 18, AUTHREQ_SHORT,
	  "cut in the password" },
	{ TAG "u\0secret\0" "192.0", TAGLEN + 14, AUTHREQ_SHORT,
	  "cut in the client" },
	{ TAG "u\0secret\0" "192 ", TAGLEN + 13, AUTHREQ_BAD,
	  "a bad client octet before the end" },
};

static void
test_table(void)
{
	struct authreq r;
	size_t	 i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		memset(&r, 0x5a, sizeof(r));
		is_int(authreq_decode(table[i].bytes, table[i].len, &r),
		    table[i].want, "decode: %s", table[i].name);
	}
	ok(authreq_decode(table[0].bytes, table[0].len, &r) == AUTHREQ_OK &&
	    strcmp(r.user, "u@example.test") == 0 &&
	    strcmp(r.pass, "secret") == 0 &&
	    strcmp(r.client, "192.0.2.1") == 0, "decode: the fields");
	ok(authreq_decode(table[2].bytes, table[2].len, &r) == AUTHREQ_OK &&
	    strcmp(r.pass, "pass word\n\r") == 0,
	    "decode: a password is taken as it is");
	authreq_wipe(&r);
	ok(r.pass[0] == '\0' && r.user[0] == '\0' && r.client[0] == '\0',
	    "wipe clears the request");
}

/* Every proper beginning of a valid request asks for more. */
static void
test_prefixes(void)
{
	unsigned char buf[AUTHREQ_MAX];
	struct authreq r;
	size_t	 n, i, bad = 0;

	n = authreq_encode("user@example.test", "p4ss", "2001:db8::1", buf,
	    sizeof(buf));
	ok(n == TAGLEN + 18 + 5 + 12, "encode: length %zu", n);
	for (i = 0; i < n; i++)
		if (authreq_decode(buf, i, &r) != AUTHREQ_SHORT)
			bad++;
	is_int(bad, 0, "every beginning of a request is short");
	is_int(authreq_decode(buf, n, &r), AUTHREQ_OK, "the whole is ok");
	ok(strcmp(r.user, "user@example.test") == 0 &&
	    strcmp(r.pass, "p4ss") == 0 && strcmp(r.client, "2001:db8::1") == 0,
	    "round trip");
	authreq_wipe(&r);
}

/* Fields at their maximum pass; one octet more is refused early. */
static void
test_limits(void)
{
	static unsigned char buf[AUTHREQ_MAX + 64];
	static char user[AUTHREQ_USER_MAX + 2], pass[AUTHREQ_PASS_MAX + 2],
	    client[AUTHREQ_CLIENT_MAX + 2];
	static struct authreq r;
	size_t	 n;

	memset(user, 'u', AUTHREQ_USER_MAX);
	memset(pass, 'p', AUTHREQ_PASS_MAX);
	memset(client, 'c', AUTHREQ_CLIENT_MAX);
	n = authreq_encode(user, pass, client, buf, AUTHREQ_MAX);
	is_int(n, AUTHREQ_MAX, "encode: every field at its maximum fills "
	    "AUTHREQ_MAX");
	ok(authreq_decode(buf, n, &r) == AUTHREQ_OK &&
	    strlen(r.user) == AUTHREQ_USER_MAX &&
	    strlen(r.pass) == AUTHREQ_PASS_MAX &&
	    strlen(r.client) == AUTHREQ_CLIENT_MAX,
	    "decode: every field at its maximum");
	is_int(authreq_encode(user, pass, client, buf, AUTHREQ_MAX - 1), 0,
	    "encode: an output too small");

	user[AUTHREQ_USER_MAX] = 'u';
	is_int(authreq_encode(user, "p", "c", buf, sizeof(buf)), 0,
	    "encode: a user too long");
	/* the decoder refuses before the field's NUL has arrived */
	memcpy(buf, TAG, TAGLEN);
	memcpy(buf + TAGLEN, user, AUTHREQ_USER_MAX + 1);
	is_int(authreq_decode(buf, TAGLEN + AUTHREQ_USER_MAX, &r),
	    AUTHREQ_SHORT, "decode: a user at its maximum, no NUL yet");
	is_int(authreq_decode(buf, TAGLEN + AUTHREQ_USER_MAX + 1, &r),
	    AUTHREQ_BAD, "decode: a user one octet too long, no NUL yet");
	user[AUTHREQ_USER_MAX] = '\0';

	pass[AUTHREQ_PASS_MAX] = 'p';
	is_int(authreq_encode("u", pass, "c", buf, sizeof(buf)), 0,
	    "encode: a password too long");
	memcpy(buf, TAG "u", TAGLEN + 2);
	memcpy(buf + TAGLEN + 2, pass, AUTHREQ_PASS_MAX + 1);
	is_int(authreq_decode(buf, TAGLEN + 2 + AUTHREQ_PASS_MAX + 1, &r),
	    AUTHREQ_BAD, "decode: a password one octet too long");
	pass[AUTHREQ_PASS_MAX] = '\0';

	client[AUTHREQ_CLIENT_MAX] = 'c';
	is_int(authreq_encode("u", "p", client, buf, sizeof(buf)), 0,
	    "encode: a client too long");
	client[AUTHREQ_CLIENT_MAX] = '\0';
	is_int(authreq_encode("", "p", "c", buf, sizeof(buf)), 0,
	    "encode: an empty user");
	is_int(authreq_encode("u", "p", "", buf, sizeof(buf)), 0,
	    "encode: an empty client");
	is_int(authreq_encode("u", "p", "a b", buf, sizeof(buf)), 0,
	    "encode: a space in the client");
	authreq_wipe(&r);
	explicit_bzero(buf, sizeof(buf));
}

static void
test_answers(void)
{
	static const struct {
		const char	*line;
		enum authreq_result want;
		enum authresp	 res;
	} ans[] = {
		{ "ok\n", AUTHREQ_OK, AUTHRESP_OK },
		{ "fail\n", AUTHREQ_OK, AUTHRESP_FAIL },
		{ "temp\n", AUTHREQ_OK, AUTHRESP_TEMP },
		{ "", AUTHREQ_SHORT, AUTHRESP_OK },
		{ "o", AUTHREQ_SHORT, AUTHRESP_OK },
		{ "fai", AUTHREQ_SHORT, AUTHRESP_OK },
		{ "temp", AUTHREQ_SHORT, AUTHRESP_OK },
		{ "ok", AUTHREQ_SHORT, AUTHRESP_OK },
		{ "OK\n", AUTHREQ_BAD, AUTHRESP_OK },
		{ "ok\r\n", AUTHREQ_BAD, AUTHRESP_OK },
		{ "ok\nok\n", AUTHREQ_BAD, AUTHRESP_OK },
		{ "yes\n", AUTHREQ_BAD, AUTHRESP_OK },
	};
	enum authresp res;
	const char *l;
	size_t	 i, len;

	for (i = 0; i < sizeof(ans) / sizeof(ans[0]); i++) {
		res = (enum authresp)-1;
		is_int(authresp_decode(ans[i].line, strlen(ans[i].line), &res),
		    ans[i].want, "answer \"%s\"", ans[i].line);
		if (ans[i].want == AUTHREQ_OK)
			is_int(res, ans[i].res, "answer \"%s\": its meaning",
			    ans[i].line);
	}
	for (i = AUTHRESP_OK; i <= AUTHRESP_TEMP; i++) {
		l = authresp_line((enum authresp)i, &len);
		ok(len <= AUTHRESP_MAX && authresp_decode(l, len, &res) ==
		    AUTHREQ_OK && res == (enum authresp)i,
		    "answer %s: line round trip", authresp_name(res));
	}
	is_str(authresp_name(AUTHRESP_FAIL), "fail", "names for the log");
}

int
main(void)
{
	test_table();
	test_prefixes();
	test_limits();
	test_answers();
	return done_testing();
}
