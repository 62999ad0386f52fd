/*
 * sign.c — sign one message: standard input to standard output.
 *
 * RFC 6376 5 (signer actions): the header section is read into memory
 * (at most DKIM_HEADER_MAX octets), the body is canonicalised and hashed
 * as it passes (3.7 body hash, no l=), then each signature is made over
 * the chosen header fields and its own DKIM-Signature field (3.7, 5.4),
 * and the fields are written before the message, which follows unchanged,
 * byte for byte.
 *
 * The signatures have to come first, so the message is read twice: from
 * standard input itself when it is a regular file (the runner hands over
 * the spool file), else from what was kept on the way: in memory up to
 * DK_HOLD_MEM octets, then in an unnamed temporary file (O_TMPFILE in
 * $TMPDIR or /tmp).  Memory stays flat whatever the message size.
 *
 * The new fields end their lines as the message's first line does (CRLF
 * or LF), so a message keeps one convention.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "b64.h"
#include "buf.h"
#include "dkim.h"
#include "dkimsign.h"
#include "log.h"
#include "poison.h"

#define DK_CHUNK	65536
#define DK_HOLD_MEM	(1024 * 1024)
#define DK_SIG_B64	B64_ENCODED_SIZE(512)	/* RSA-4096 */

/* Where the message is kept for its second reading. */
struct dk_hold {
	bool		 seekable;	/* read standard input again */
	off_t		 start;		/* where the message starts on it */
	struct buf	 mem;
	int		 fd;		/* temporary file, or -1 */
	uint64_t	 total;		/* octets of the message */
};

static int
dk_write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	ssize_t	 w;

	while (n > 0) {
		if ((w = write(fd, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
dk_tmpfile(void)
{
	const char *dir = getenv("TMPDIR");
	char	 path[PATH_MAX];
	int	 fd;

	if (dir == NULL || dir[0] == '\0')
		dir = "/tmp";
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) != -1)
		return fd;
	/* file systems without O_TMPFILE */
	if (snprintf(path, sizeof(path), "%s/dkimsign.XXXXXX", dir) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1)
		return -1;
	(void)unlink(path);
	return fd;
}

/* Keep p[0..n) for the second reading. */
static int
dk_hold_add(struct dk_hold *h, const void *p, size_t n)
{
	h->total += n;
	if (h->seekable)
		return 0;
	if (h->fd == -1) {
		if (h->mem.len + n <= DK_HOLD_MEM)
			return buf_add(&h->mem, p, n);
		if ((h->fd = dk_tmpfile()) == -1 ||
		    dk_write_all(h->fd, h->mem.data, h->mem.len) == -1)
			return -1;
		buf_free(&h->mem);
	}
	return dk_write_all(h->fd, p, n);
}

/* Copy n octets of fd from offset off to standard output. */
static int
dk_copy(int fd, off_t off, uint64_t n)
{
	char	 b[DK_CHUNK];
	ssize_t	 r;
	bool	 plain = false;

	while (n > 0) {
		size_t	 want = n > DK_CHUNK ? DK_CHUNK : (size_t)n;

		if (!plain) {
			r = sendfile(STDOUT_FILENO, fd, &off, want);
			if (r == -1 && (errno == EINVAL || errno == ENOSYS)) {
				plain = true;
				continue;
			}
		} else {
			r = pread(fd, b, want, off);
			if (r > 0 && dk_write_all(STDOUT_FILENO, b,
			    (size_t)r) == -1)
				return -1;
			if (r > 0)
				off += r;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0) {
			errno = EIO;	/* the input shrank */
			return -1;
		}
		n -= (uint64_t)r;
	}
	return 0;
}

static int
dk_hold_output(struct dk_hold *h)
{
	if (h->seekable)
		return dk_copy(STDIN_FILENO, h->start, h->total);
	if (h->fd == -1)
		return dk_write_all(STDOUT_FILENO, h->mem.data, h->mem.len);
	return dk_copy(h->fd, 0, h->total);
}

static void
dk_hash_body(void *ctx, const void *p, size_t n)
{
	(void)gnutls_hash(*(gnutls_hash_hd_t *)ctx, p, n);
}

static void
dk_log_signed(const struct dk_signer *s, const struct dk_opts *o,
    uint64_t size)
{
	struct logline l;
	char	 c[32];

	(void)snprintf(c, sizeof(c), "%s/%s", dkim_canon_name(o->hcanon),
	    dkim_canon_name(o->bcanon));
	log_start(&l, LOG_INFO, "dkim");
	log_str(&l, "status", "signed");
	log_str(&l, "d", s->domain);
	log_str(&l, "s", s->selector);
	log_str(&l, "a", dk_alg_name(s->key.alg));
	log_num(&l, "bits", s->key.bits);
	log_str(&l, "c", c);
	log_num(&l, "size", size);
	log_emit(&l);
}

static void
dk_log_refused(const char *reason)
{
	struct logline l;

	log_start(&l, LOG_ERR, "dkim");
	log_str(&l, "status", "refused");
	log_str(&l, "reason", reason);
	log_emit(&l);
}

/* One DKIM-Signature field, appended to out. */
static int
dk_sign_one(const struct dk_signer *s, const struct dk_opts *o,
    const char *hdr, size_t hdrlen, const char *bh, const char *eol,
    struct buf *out)
{
	struct dkim_sig sig;
	struct buf hlist, data;
	char	 b[DK_SIG_B64];
	size_t	 field;
	int	 rc = EX_TEMPFAIL;

	buf_init(&hlist, 2 * DKIM_HEADER_MAX);
	buf_init(&data, 4 * DKIM_HEADER_MAX);
	if (o->hlist != NULL) {
		if (buf_addstr(&hlist, o->hlist) == -1)
			goto nomem;
	} else if (dkim_headers_choose(hdr, hdrlen, &hlist) == -1)
		goto nomem;
	memset(&sig, 0, sizeof(sig));
	sig.algo = dk_alg_name(s->key.alg);
	sig.hcanon = o->hcanon;
	sig.bcanon = o->bcanon;
	sig.domain = s->domain;
	sig.selector = s->selector;
	sig.tags = o->tags;
	sig.ntags = o->ntags;
	sig.t = o->t;
	sig.x = o->expire != 0 ? o->t + o->expire : 0;
	sig.hlist = hlist.data;
	sig.bh = bh;
	field = out->len;
	if (dkim_sig_format(out, &sig, eol) == -1 ||
	    dkim_headers_canon(o->hcanon, hdr, hdrlen, hlist.data,
	    &data) == -1 ||
	    dkim_canon_header(o->hcanon, out->data + field, out->len - field,
	    &data) == -1)
		goto nomem;
	if ((rc = dk_key_sign(&s->key, data.data, data.len, b,
	    sizeof(b))) != EX_OK)
		goto out;
	if (dkim_sig_add_b(out, b, eol) == -1)
		goto nomem;
	rc = EX_OK;
	goto out;
nomem:
	log_error("dkim sign", "out of memory", errno);
	rc = EX_TEMPFAIL;
out:
	buf_free(&hlist);
	buf_free(&data);
	return rc;
}

int
dk_sign(struct dk_signer *signers, size_t nsigners, const struct dk_opts *o)
{
	struct dk_hold hold;
	struct dkim_body body;
	struct buf hdr, out;
	struct stat st;
	gnutls_hash_hd_t hash = NULL;
	unsigned char bhash[32];
	char	 bh[B64_ENCODED_SIZE(32)], *chunk = NULL;
	size_t	 scan = 0, hdrlen = 0, bodyoff = 0, i;
	const char *eol, *lf;
	bool	 in_header = true;
	ssize_t	 r;
	int	 rc = EX_TEMPFAIL, gr;

	memset(&hold, 0, sizeof(hold));
	hold.fd = -1;
	buf_init(&hold.mem, DK_HOLD_MEM);
	buf_init(&hdr, DKIM_HEADER_MAX + DK_CHUNK);
	/* a header of many fields to sign makes a long h= */
	buf_init(&out, (size_t)DK_SIGNERS_MAX * 4 * DKIM_HEADER_MAX);
	if (fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
	    (hold.start = lseek(STDIN_FILENO, 0, SEEK_CUR)) != -1)
		hold.seekable = true;
	if ((chunk = malloc(DK_CHUNK)) == NULL) {
		log_error("dkim sign", "out of memory", errno);
		goto out;
	}
	if ((gr = gnutls_hash_init(&hash, GNUTLS_DIG_SHA256)) < 0) {
		hash = NULL;
		log_error("dkim sign", gnutls_strerror(gr), 0);
		goto out;
	}
	dkim_body_init(&body, o->bcanon, dk_hash_body, &hash);

	for (;;) {
		r = read(STDIN_FILENO, chunk, DK_CHUNK);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			log_error("dkim sign", "reading the message", errno);
			goto out;
		}
		if (r == 0)
			break;
		if (dk_hold_add(&hold, chunk, (size_t)r) == -1) {
			log_error("dkim sign", "keeping the message", errno);
			goto out;
		}
		if (!in_header) {
			dkim_body_update(&body, chunk, (size_t)r);
			continue;
		}
		if (buf_add(&hdr, chunk, (size_t)r) == -1) {
			if (errno != EMSGSIZE) {
				log_error("dkim sign", "out of memory", errno);
				goto out;
			}
			dk_log_refused("header section over 1 MiB");
			rc = EX_DATAERR;
			goto out;
		}
		if (dkim_header_end(hdr.data, hdr.len, &scan, &hdrlen,
		    &bodyoff)) {
			if (hdrlen > DKIM_HEADER_MAX) {
				dk_log_refused("header section over 1 MiB");
				rc = EX_DATAERR;
				goto out;
			}
			in_header = false;
			dkim_body_update(&body, hdr.data + bodyoff,
			    hdr.len - bodyoff);
		} else if (hdr.len > DKIM_HEADER_MAX) {
			dk_log_refused("header section over 1 MiB");
			rc = EX_DATAERR;
			goto out;
		}
	}
	if (in_header)
		hdrlen = hdr.len;	/* all header, no body */
	dkim_body_final(&body);
	gnutls_hash_deinit(hash, bhash);
	hash = NULL;
	b64_encode(bhash, sizeof(bhash), bh, sizeof(bh));

	/* RFC 6376 5.4: From must be signed, so it must be there */
	if (dkim_field_count(hdr.data, hdrlen, "from") == 0) {
		dk_log_refused("no From field");
		rc = EX_DATAERR;
		goto out;
	}
	lf = hdrlen > 0 ? memchr(hdr.data, '\n', hdrlen) : NULL;
	eol = lf != NULL && lf > hdr.data && lf[-1] != '\r' ? "\n" : "\r\n";
	for (i = 0; i < nsigners; i++)
		if ((rc = dk_sign_one(&signers[i], o, hdr.data, hdrlen, bh,
		    eol, &out)) != EX_OK)
			goto out;
	if (dk_write_all(STDOUT_FILENO, out.data, out.len) == -1 ||
	    dk_hold_output(&hold) == -1) {
		log_error("dkim sign", "writing the message", errno);
		rc = EX_TEMPFAIL;
		goto out;
	}
	for (i = 0; i < nsigners; i++)
		dk_log_signed(&signers[i], o, hold.total);
	rc = EX_OK;
out:
	if (hash != NULL)
		gnutls_hash_deinit(hash, bhash);
	free(chunk);
	buf_free(&hdr);
	buf_free(&out);
	buf_free(&hold.mem);
	if (hold.fd != -1)
		(void)close(hold.fd);
	return rc;
}
