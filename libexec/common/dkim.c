/*
 * dkim.c — DKIM canonicalisation and the DKIM-Signature field (dkim.h).
 *
 * RFC 6376: 3.4 canonicalisation (3.4.1 simple header, 3.4.2 relaxed
 * header, 3.4.3 simple body, 3.4.4 relaxed body, 3.4.5 examples), 3.5 the
 * tags, 3.7 what is signed, 5.4 which fields (5.4.1 the recommended
 * ones, 5.4.2 several fields of one name and names listed once more than
 * present), 8.15 why From and its kin are oversigned.  RFC 8463 adds only
 * an algorithm name here.
 *
 * Nothing here reads, writes, hashes or signs.  A line ends with LF or
 * CRLF; a CR that is not followed by LF is a byte like any other.  The
 * body canonicaliser keeps O(1) state (a count of held-back empty lines)
 * whatever the body holds, so a body streams through in flat memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkim.h"
#include "poison.h"

static bool
dkim_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static unsigned char
dkim_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* RFC 5322 3.6.8: ftext is printable US-ASCII except the colon. */
static bool
dkim_ftext(unsigned char c)
{
	return c >= 33 && c <= 126 && c != ':';
}

bool
dkim_canon_parse(const char *s, enum dkim_canon *header,
    enum dkim_canon *body)
{
	const char *slash = strchr(s, '/');
	size_t	 hl = slash != NULL ? (size_t)(slash - s) : strlen(s);

	if (hl == 6 && strncmp(s, "simple", 6) == 0)
		*header = DKIM_SIMPLE;
	else if (hl == 7 && strncmp(s, "relaxed", 7) == 0)
		*header = DKIM_RELAXED;
	else
		return false;
	if (slash == NULL)
		*body = DKIM_SIMPLE;
	else if (strcmp(slash + 1, "simple") == 0)
		*body = DKIM_SIMPLE;
	else if (strcmp(slash + 1, "relaxed") == 0)
		*body = DKIM_RELAXED;
	else
		return false;
	return true;
}

const char *
dkim_canon_name(enum dkim_canon c)
{
	return c == DKIM_RELAXED ? "relaxed" : "simple";
}

bool
dkim_header_end(const char *p, size_t n, size_t *scan, size_t *hdrlen,
    size_t *bodyoff)
{
	size_t	 i = *scan;
	const char *lf;

	while (i < n) {
		/* i is the start of a line */
		if (p[i] == '\n') {
			*hdrlen = i;
			*bodyoff = i + 1;
			return true;
		}
		if (p[i] == '\r') {
			if (i + 1 >= n)
				break;		/* CR LF or more: wait */
			if (p[i + 1] == '\n') {
				*hdrlen = i;
				*bodyoff = i + 2;
				return true;
			}
		}
		if ((lf = memchr(p + i, '\n', n - i)) == NULL)
			break;
		i = (size_t)(lf - p) + 1;
	}
	*scan = i;
	return false;
}

bool
dkim_field_next(const char *h, size_t n, size_t *off, struct dkim_field *f)
{
	size_t	 i = *off, end, nl;
	const char *lf, *colon;

	if (i >= n)
		return false;
	/* the first line, then its continuation lines */
	end = i;
	do {
		lf = memchr(h + end, '\n', n - end);
		end = lf != NULL ? (size_t)(lf - h) + 1 : n;
	} while (end < n && dkim_wsp((unsigned char)h[end]));
	f->raw = h + i;
	f->rawlen = end - i;
	f->name = h + i;
	f->namelen = 0;
	/* the name: up to the colon on the first line */
	lf = memchr(h + i, '\n', end - i);
	nl = lf != NULL ? (size_t)(lf - (h + i)) : end - i;
	if ((colon = memchr(h + i, ':', nl)) != NULL) {
		size_t	 len = (size_t)(colon - (h + i)), k;

		while (len > 0 && dkim_wsp((unsigned char)h[i + len - 1]))
			len--;
		for (k = 0; k < len; k++)
			if (!dkim_ftext((unsigned char)h[i + k]))
				break;
		if (k == len)
			f->namelen = len;
	}
	*off = end;
	return true;
}

static bool
dkim_name_is(const struct dkim_field *f, const char *name, size_t len)
{
	return f->namelen == len && strncasecmp(f->name, name, len) == 0;
}

size_t
dkim_field_count(const char *h, size_t n, const char *name)
{
	struct dkim_field f;
	size_t	 off = 0, count = 0, len = strlen(name);

	while (dkim_field_next(h, n, &off, &f))
		if (dkim_name_is(&f, name, len))
			count++;
	return count;
}

static int
dkim_canon_simple(const char *raw, size_t n, struct buf *out)
{
	size_t	 i, start = 0;

	/* without the field's own line end */
	if (n > 0 && raw[n - 1] == '\n') {
		n--;
		if (n > 0 && raw[n - 1] == '\r')
			n--;
	}
	for (i = 0; i < n; i++) {
		if (raw[i] != '\n' || (i > 0 && raw[i - 1] == '\r'))
			continue;
		if (buf_add(out, raw + start, i - start) == -1 ||
		    buf_add(out, "\r\n", 2) == -1)
			return -1;
		start = i + 1;
	}
	return buf_add(out, raw + start, n - start);
}

static int
dkim_canon_relaxed(const char *raw, size_t n, struct buf *out)
{
	const char *colon = memchr(raw, ':', n);
	size_t	 i, namelen;
	bool	 wsp = false, value = false;

	if (colon == NULL) {
		/* not a field: white space rules only */
		namelen = 0;
		i = 0;
		value = true;
	} else {
		namelen = (size_t)(colon - raw);
		while (namelen > 0 && dkim_wsp((unsigned char)raw[namelen - 1]))
			namelen--;
		for (i = 0; i < namelen; i++)
			if (buf_addc(out,
			    (char)dkim_lower((unsigned char)raw[i])) == -1)
				return -1;
		if (buf_addc(out, ':') == -1)
			return -1;
		i = (size_t)(colon - raw) + 1;
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)raw[i];

		if (c == '\n')
			continue;	/* unfold */
		if (c == '\r' && i + 1 < n && raw[i + 1] == '\n')
			continue;
		if (dkim_wsp(c)) {
			wsp = true;
			continue;
		}
		/* white space after the colon goes, inside becomes one SP */
		if (wsp && value && buf_addc(out, ' ') == -1)
			return -1;
		wsp = false;
		value = true;
		if (buf_addc(out, (char)c) == -1)
			return -1;
	}
	return 0;
}

int
dkim_canon_header(enum dkim_canon c, const char *raw, size_t n,
    struct buf *out)
{
	if (c == DKIM_SIMPLE)
		return dkim_canon_simple(raw, n, out);
	return dkim_canon_relaxed(raw, n, out);
}

/*
 * The fields signed by default, in h= order; "over": listed once more than
 * the message has them.
 */
static const struct {
	const char	*name;
	bool		 over;
} dkim_signed[] = {
	{ "from", true },
	{ "sender", true },
	{ "reply-to", true },
	{ "subject", true },
	{ "date", true },
	{ "message-id", true },
	{ "to", true },
	{ "cc", true },
	{ "in-reply-to", true },
	{ "references", true },
	{ "mime-version", true },
	{ "content-type", true },
	{ "content-transfer-encoding", true },
	{ "content-id", false },
	{ "content-description", false },
	{ "content-disposition", false },
	{ "content-language", false },
	{ "resent-date", false },
	{ "resent-from", false },
	{ "resent-sender", false },
	{ "resent-to", false },
	{ "resent-cc", false },
	{ "resent-message-id", false },
	{ "list-id", false },
	{ "list-help", false },
	{ "list-unsubscribe", false },
	{ "list-unsubscribe-post", false },
	{ "list-subscribe", false },
	{ "list-post", false },
	{ "list-owner", false },
	{ "list-archive", false },
	{ "autocrypt", false },
	{ "openpgp", false },
};

int
dkim_headers_choose(const char *h, size_t n, struct buf *out)
{
	size_t	 counts[sizeof(dkim_signed) / sizeof(dkim_signed[0])];
	size_t	 i, k, off = 0, ntab = sizeof(counts) / sizeof(counts[0]);
	struct dkim_field f;

	memset(counts, 0, sizeof(counts));
	while (dkim_field_next(h, n, &off, &f))
		for (i = 0; i < ntab; i++)
			if (dkim_name_is(&f, dkim_signed[i].name,
			    strlen(dkim_signed[i].name))) {
				counts[i]++;
				break;
			}
	for (i = 0; i < ntab; i++) {
		if (counts[i] == 0)
			continue;
		if (dkim_signed[i].over)
			counts[i]++;
		for (k = 0; k < counts[i]; k++)
			if ((out->len > 0 && buf_addc(out, ':') == -1) ||
			    buf_addstr(out, dkim_signed[i].name) == -1)
				return -1;
	}
	return 0;
}

/*
 * The next name of an h= list at *p: its start and length, *p moved past
 * the colon after it.  false at the end of the list or on a bad entry
 * (*bad then set).
 */
static bool
dkim_hlist_next(const char **p, const char **name, size_t *len, bool *bad)
{
	const char *s = *p;

	*bad = false;
	while (dkim_wsp((unsigned char)*s))
		s++;
	if (*s == '\0') {
		*p = s;
		return false;
	}
	*name = s;
	while (dkim_ftext((unsigned char)*s))
		s++;
	*len = (size_t)(s - *name);
	while (dkim_wsp((unsigned char)*s))
		s++;
	if (*len == 0 || (*s != ':' && *s != '\0')) {
		*bad = true;
		return false;
	}
	if (*s == ':') {
		s++;
		/* a colon must be followed by another name */
		while (dkim_wsp((unsigned char)*s))
			s++;
		if (*s == '\0') {
			*bad = true;
			return false;
		}
	}
	*p = s;
	return true;
}

bool
dkim_hlist_valid(const char *list)
{
	const char *p = list, *name;
	size_t	 len;
	bool	 bad, from = false;

	while (dkim_hlist_next(&p, &name, &len, &bad))
		if (len == 4 && strncasecmp(name, "from", 4) == 0)
			from = true;
	return !bad && from;
}

/* Distinct names one h= list may hold (each costs a pass over the fields). */
#define DKIM_HNAMES_MAX	64

int
dkim_headers_canon(enum dkim_canon c, const char *h, size_t n,
    const char *hlist, struct buf *out)
{
	struct dkim_field *fields = NULL, f;
	size_t	 nfields = 0, cap = 0, off = 0, len, k, nnames = 0;
	struct {
		const char	*name;
		size_t		 len;
		size_t		 next;	/* fields[0..next) are left */
	} names[DKIM_HNAMES_MAX];
	const char *p = hlist, *name;
	bool	 bad;
	int	 rc = -1;

	while (dkim_field_next(h, n, &off, &f)) {
		if (nfields == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct dkim_field *nf;

			if ((nf = reallocarray(fields, ncap,
			    sizeof(*fields))) == NULL) {
				errno = ENOMEM;
				goto out;
			}
			fields = nf;
			cap = ncap;
		}
		fields[nfields++] = f;
	}
	while (dkim_hlist_next(&p, &name, &len, &bad)) {
		for (k = 0; k < nnames; k++)
			if (names[k].len == len &&
			    strncasecmp(names[k].name, name, len) == 0)
				break;
		if (k == nnames) {
			if (nnames == DKIM_HNAMES_MAX) {
				errno = EINVAL;
				goto out;
			}
			names[k].name = name;
			names[k].len = len;
			names[k].next = nfields;
			nnames++;
		}
		/* the bottom-most field of this name not yet used */
		while (names[k].next > 0) {
			const struct dkim_field *g = &fields[--names[k].next];

			if (!dkim_name_is(g, name, len))
				continue;
			if (dkim_canon_header(c, g->raw, g->rawlen, out) == -1 ||
			    buf_add(out, "\r\n", 2) == -1)
				goto out;
			break;
		}
	}
	if (bad) {
		errno = EINVAL;
		goto out;
	}
	rc = 0;
out:
	free(fields);
	return rc;
}

bool
dkim_name_valid(const char *s)
{
	size_t	 total = 0, label = 0;
	char	 prev = '.';

	for (; *s != '\0'; s++, total++) {
		unsigned char c = (unsigned char)*s;

		if (c == '.') {
			if (label == 0 || prev == '-')
				return false;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' ||
		    (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else
			return false;
		prev = (char)c;
	}
	return total > 0 && total <= 253 && label > 0 && prev != '-';
}

/* --- body ------------------------------------------------------------- */

void
dkim_body_init(struct dkim_body *b, enum dkim_canon c, dkim_out_fn fn,
    void *ctx)
{
	b->canon = c;
	b->fn = fn;
	b->ctx = ctx;
	b->empty = 0;
	b->length = 0;
	b->cr = false;
	b->wsp = false;
	b->inline_ = false;
	b->olen = 0;
}

static void
dkim_body_flush(struct dkim_body *b)
{
	if (b->olen > 0) {
		b->fn(b->ctx, b->obuf, b->olen);
		b->length += b->olen;
		b->olen = 0;
	}
}

static void
dkim_body_emit(struct dkim_body *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t	 room;

	while (n > 0) {
		if (b->olen == sizeof(b->obuf))
			dkim_body_flush(b);
		room = sizeof(b->obuf) - b->olen;
		if (room > n)
			room = n;
		memcpy(b->obuf + b->olen, s, room);
		b->olen += room;
		s += room;
		n -= room;
	}
}

/* A line with content begins: the empty lines before it count after all. */
static void
dkim_body_content(struct dkim_body *b)
{
	if (b->inline_)
		return;
	for (; b->empty > 0; b->empty--)
		dkim_body_emit(b, "\r\n", 2);
	b->inline_ = true;
}

static void
dkim_body_eol(struct dkim_body *b)
{
	if (b->inline_)
		dkim_body_emit(b, "\r\n", 2);
	else
		b->empty++;
	b->inline_ = false;
	b->wsp = false;
}

/* One byte of a line's content (not a line end). */
static void
dkim_body_data(struct dkim_body *b, unsigned char c)
{
	if (b->canon == DKIM_RELAXED && dkim_wsp(c)) {
		b->wsp = true;
		return;
	}
	dkim_body_content(b);
	if (b->wsp) {
		dkim_body_emit(b, " ", 1);
		b->wsp = false;
	}
	dkim_body_emit(b, &c, 1);
}

static void
dkim_body_byte(struct dkim_body *b, unsigned char c)
{
	if (b->cr) {
		b->cr = false;
		if (c == '\n') {
			dkim_body_eol(b);
			return;
		}
		dkim_body_data(b, '\r');	/* a CR alone is content */
	}
	if (c == '\r')
		b->cr = true;
	else if (c == '\n')
		dkim_body_eol(b);
	else
		dkim_body_data(b, c);
}

void
dkim_body_update(struct dkim_body *b, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t	 i = 0, j;

	while (i < n) {
		/* fast path: a run of plain content within a line */
		if (b->inline_ && !b->cr && !b->wsp) {
			for (j = i; j < n; j++) {
				unsigned char c = s[j];

				if (c == '\r' || c == '\n' ||
				    (b->canon == DKIM_RELAXED && dkim_wsp(c)))
					break;
			}
			if (j > i) {
				dkim_body_emit(b, s + i, j - i);
				i = j;
				continue;
			}
		}
		dkim_body_byte(b, s[i]);
		i++;
	}
}

void
dkim_body_final(struct dkim_body *b)
{
	/* a CR at the very end ends the last line, as the spool has it */
	if (b->cr) {
		b->cr = false;
		dkim_body_eol(b);
	}
	if (b->inline_)
		dkim_body_eol(b);
	dkim_body_flush(b);
	if (b->length == 0 && b->canon == DKIM_SIMPLE) {
		dkim_body_emit(b, "\r\n", 2);
		dkim_body_flush(b);
	}
}

/* --- the DKIM-Signature field -------------------------------------------- */

/* Octets since the last line end in out. */
static size_t
dkim_column(const struct buf *out)
{
	size_t	 i = out->len;

	while (i > 0 && out->data[i - 1] != '\n')
		i--;
	return out->len - i;
}

/*
 * Append a token that must not be split.  space: there is a space before
 * it in the unfolded field (it becomes the fold); otherwise folding
 * inserts white space, which the grammar allows at that point.
 */
static int
dkim_fold_add(struct buf *out, const char *tok, size_t len, bool space,
    const char *eol)
{
	size_t	 col = dkim_column(out);

	if (col > 1 && col + (space ? 1 : 0) + len > DKIM_FOLD_WIDTH) {
		if (buf_addstr(out, eol) == -1 || buf_addc(out, ' ') == -1)
			return -1;
	} else if (space && buf_addc(out, ' ') == -1)
		return -1;
	return buf_add(out, tok, len);
}

static int
dkim_fold_tag(struct buf *out, const char *tag, const char *val,
    const char *eol)
{
	char	 tok[512];
	int	 len;

	len = snprintf(tok, sizeof(tok), "%s=%s;", tag, val);
	if (len < 0 || (size_t)len >= sizeof(tok)) {
		errno = EMSGSIZE;
		return -1;
	}
	return dkim_fold_add(out, tok, (size_t)len, true, eol);
}

/*
 * h=: split after each colon.  A list written with spaces is kept as it
 * is (folds replace its spaces); one without gets folds inserted.
 */
static int
dkim_fold_hlist(struct buf *out, const char *list, const char *eol)
{
	const char *p = list, *q;
	bool	 first = true, space;
	size_t	 len;

	while (*p != '\0') {
		space = first;
		if (*p == ' ') {
			space = true;
			while (*p == ' ')
				p++;
		}
		for (q = p; *q != '\0' && *q != ' ' && *q != ':'; q++)
			;
		if (*q == ':')
			q++;
		len = (size_t)(q - p);
		if (first) {
			char	 tok[256];
			int	 n;

			n = snprintf(tok, sizeof(tok), "h=%.*s", (int)len, p);
			if (n < 0 || (size_t)n >= sizeof(tok)) {
				errno = EMSGSIZE;
				return -1;
			}
			if (dkim_fold_add(out, tok, (size_t)n, true, eol) == -1)
				return -1;
		} else if (len > 0 &&
		    dkim_fold_add(out, p, len, space, eol) == -1)
			return -1;
		first = false;
		p = q;
	}
	return buf_addc(out, ';');
}

int
dkim_sig_format(struct buf *out, const struct dkim_sig *s, const char *eol)
{
	char	 c[32], num[32];
	size_t	 i;

	if (buf_addstr(out, "DKIM-Signature:") == -1 ||
	    dkim_fold_tag(out, "v", "1", eol) == -1 ||
	    dkim_fold_tag(out, "a", s->algo, eol) == -1)
		return -1;
	(void)snprintf(c, sizeof(c), "%s/%s", dkim_canon_name(s->hcanon),
	    dkim_canon_name(s->bcanon));
	if (dkim_fold_tag(out, "c", c, eol) == -1 ||
	    dkim_fold_tag(out, "d", s->domain, eol) == -1)
		return -1;
	for (i = 0; i < s->ntags; i++) {
		char	 tok[512];
		int	 len;

		len = snprintf(tok, sizeof(tok), "%s;", s->tags[i]);
		if (len < 0 || (size_t)len >= sizeof(tok)) {
			errno = EMSGSIZE;
			return -1;
		}
		if (dkim_fold_add(out, tok, (size_t)len, true, eol) == -1)
			return -1;
	}
	if (dkim_fold_tag(out, "s", s->selector, eol) == -1)
		return -1;
	(void)snprintf(num, sizeof(num), "%llu", (unsigned long long)s->t);
	if (dkim_fold_tag(out, "t", num, eol) == -1)
		return -1;
	if (s->x != 0) {
		(void)snprintf(num, sizeof(num), "%llu",
		    (unsigned long long)s->x);
		if (dkim_fold_tag(out, "x", num, eol) == -1)
			return -1;
	}
	if (dkim_fold_hlist(out, s->hlist, eol) == -1 ||
	    dkim_fold_tag(out, "bh", s->bh, eol) == -1)
		return -1;
	/* b= starts a line of its own unless most of a line is left */
	if (dkim_column(out) > DKIM_FOLD_WIDTH / 2)
		return buf_addstr(out, eol) == -1 ||
		    buf_addstr(out, " b=") == -1 ? -1 : 0;
	return dkim_fold_add(out, "b=", 2, true, eol);
}

int
dkim_sig_add_b(struct buf *out, const char *b64, const char *eol)
{
	size_t	 n = strlen(b64), col, room;

	while (n > 0) {
		col = dkim_column(out);
		if (col >= DKIM_FOLD_WIDTH) {
			if (buf_addstr(out, eol) == -1 ||
			    buf_addc(out, ' ') == -1)
				return -1;
			col = 1;
		}
		room = DKIM_FOLD_WIDTH - col;
		if (room > n)
			room = n;
		if (buf_add(out, b64, room) == -1)
			return -1;
		b64 += room;
		n -= room;
	}
	return buf_addstr(out, eol);
}
