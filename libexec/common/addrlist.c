/*
 * addrlist.c — RFC 5322 3.4 address lists (see addrlist.h).
 *
 * One pass over the text.  Each element (up to a "," or ";") collects
 * either an angle address, which wins, or the bare text outside quotes
 * and comments; a ":" outside an angle address or quotes ends a group's
 * display name, which is dropped.  Quoted strings (3.2.4) and domain
 * literals (3.4.1) are copied whole, with their quoted-pairs, so a ","
 * or ":" inside them is no separator.  Comments (3.2.2) nest and vanish.
 */
#include <stdbool.h>
#include <string.h>

#include "addrlist.h"
#include "poison.h"

struct addrlist_el {
	char	 text[ADDRLIST_ADDR_MAX];	/* outside <>: the bare form */
	size_t	 tlen;
	bool	 too_long;	/* text overflowed (fine for a display name) */
	bool	 space;		/* white space seen after some text */
	bool	 split;		/* text, space, more text: not one address */
	char	 angle[ADDRLIST_ADDR_MAX];
	size_t	 alen;
	bool	 has_angle;
};

static bool
addrlist_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
addrlist_reset(struct addrlist_el *e)
{
	e->tlen = e->alen = 0;
	e->too_long = e->space = e->split = e->has_angle = false;
}

/* Append s[0..n) to the bare text. */
static void
addrlist_text(struct addrlist_el *e, const char *s, size_t n)
{
	if (e->space && e->tlen > 0)
		e->split = true;
	e->space = false;
	if (e->too_long || n > sizeof(e->text) - e->tlen) {
		e->too_long = true;
		return;
	}
	memcpy(e->text + e->tlen, s, n);
	e->tlen += n;
}

/*
 * The end of a quoted string (open '"', close '"') or domain literal
 * ('[' and ']') starting at s[i]: the index just past it, or 0 when it
 * is not closed.  Quoted-pairs are skipped.
 */
static size_t
addrlist_quoted_end(const char *s, size_t n, size_t i, char close)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\') {
			if (++i == n)
				return 0;
		} else if (s[i] == close)
			return i + 1;
	}
	return 0;
}

/* Past the comment starting at s[i] (nested), or 0 when not closed. */
static size_t
addrlist_comment_end(const char *s, size_t n, size_t i)
{
	unsigned depth = 0;

	for (; i < n; i++) {
		if (s[i] == '\\') {
			if (++i == n)
				return 0;
		} else if (s[i] == '(') {
			if (++depth > ADDRLIST_DEPTH_MAX)
				return 0;
		} else if (s[i] == ')') {
			if (--depth == 0)
				return i + 1;
		}
	}
	return 0;
}

/* The angle address starting at s[i]: past its '>', or 0 on error. */
static size_t
addrlist_angle(struct addrlist_el *e, const char *s, size_t n, size_t i)
{
	size_t	 end;

	for (i++; i < n && s[i] != '>'; i = end) {
		end = i + 1;
		if (s[i] == '"' || s[i] == '[') {
			if ((end = addrlist_quoted_end(s, n, i,
			    s[i] == '"' ? '"' : ']')) == 0)
				return 0;
		} else if (s[i] == '(') {
			if ((end = addrlist_comment_end(s, n, i)) == 0)
				return 0;
			continue;
		} else if (addrlist_wsp(s[i]))
			continue;
		else if (s[i] == '<')
			return 0;
		if (end - i > sizeof(e->angle) - e->alen)
			return 0;
		memcpy(e->angle + e->alen, s + i, end - i);
		e->alen += end - i;
	}
	if (i == n)
		return 0;
	e->has_angle = true;
	return i + 1;
}

/* An element is over: hand its address on. */
static enum addrlist_result
addrlist_emit(struct addrlist_el *e, addrlist_fn fn, void *ctx)
{
	enum addrlist_result r = ADDRLIST_OK;

	if (e->has_angle) {
		if (e->alen > 0 && fn(e->angle, e->alen, ctx) != 0)
			r = ADDRLIST_ESTOP;
	} else if (e->too_long || e->split)
		r = ADDRLIST_ESYNTAX;
	else if (e->tlen > 0 && fn(e->text, e->tlen, ctx) != 0)
		r = ADDRLIST_ESTOP;
	addrlist_reset(e);
	return r;
}

enum addrlist_result
addrlist_parse(const char *s, size_t n, addrlist_fn fn, void *ctx)
{
	struct addrlist_el e;
	enum addrlist_result r;
	size_t	 i, end;

	addrlist_reset(&e);
	for (i = 0; i < n; i = end) {
		char	 c = s[i];

		end = i + 1;
		if (c == ',' || c == ';') {
			if ((r = addrlist_emit(&e, fn, ctx)) != ADDRLIST_OK)
				return r;
			continue;
		}
		if (addrlist_wsp(c)) {
			e.space = true;
			continue;
		}
		if (c == '(') {
			if ((end = addrlist_comment_end(s, n, i)) == 0)
				return ADDRLIST_ESYNTAX;
			continue;
		}
		/* After "<...>" only comments, spaces and the separator. */
		if (e.has_angle)
			return ADDRLIST_ESYNTAX;
		switch (c) {
		case '<':
			if ((end = addrlist_angle(&e, s, n, i)) == 0)
				return ADDRLIST_ESYNTAX;
			break;
		case '>':
		case ')':
			return ADDRLIST_ESYNTAX;
		case ':':
			/* A group's display name ends: forget it. */
			addrlist_reset(&e);
			break;
		case '"':
		case '[':
			if ((end = addrlist_quoted_end(s, n, i,
			    c == '"' ? '"' : ']')) == 0)
				return ADDRLIST_ESYNTAX;
			addrlist_text(&e, s + i, end - i);
			break;
		default:
			addrlist_text(&e, s + i, 1);
			break;
		}
	}
	return addrlist_emit(&e, fn, ctx);
}
