/*
 * srs.c — SRS0 addresses for forwarded mail and their verification (see
 * srs.h), and the key they are made with.
 *
 * The address is SRS0=HHHH=TT=domain=local@fwd: fields are split at the
 * first four "=" (a domain has none; the local part may), so the parse is
 * unambiguous.  The hash covers "tt=domain=local" in ASCII lower case, the
 * same string whatever case the address comes back in.  Only what
 * srs_forward would make is ever reversed: a guessed hash (one chance in
 * 2^20) still cannot smuggle a quoted local part, an address literal or
 * an over-long field into a bounce.
 *
 * Time is a parameter (now), so expiry is tested without waiting.  The
 * module does no I/O except srs_load.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "sha256.h"
#include "srs.h"
#include "num.h"
#include "poison.h"

#define SRS_HASH_LEN	4	/* base32 characters of the MAC kept */
#define SRS_TT_LEN	2	/* base32 characters of the day stamp */
#define SRS_DAYS	1024	/* the stamp counts days modulo this */
/* "SRS0=" HHHH "=" TT "=" */
#define SRS_PREFIX_LEN	(5 + SRS_HASH_LEN + 1 + SRS_TT_LEN + 1)
#define SRS_KEY_FILE	"srs.key"

/* RFC 4648 6, as libsrs2 uses for its stamps. */
static const char srs_b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static unsigned char
srs_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int
srs_b32_value(unsigned char c)
{
	c = srs_lower(c);
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* atext (RFC 5322 3.2.3), plus UTF-8 octets (RFC 6531 3.3). */
static bool
srs_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80)
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/*
 * A dot-atom of atext, or (domain) of letters, digits, "-" and "_"; UTF-8
 * octets must be well-formed.
 */
static bool
srs_dotted_ok(const char *s, size_t n, bool domain)
{
	size_t	 i;
	bool	 utf8 = false;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x80)
			utf8 = true;
		if (c == '.') {
			if (s[i - 1] == '.')
				return false;
			continue;
		}
		if (domain ? !((c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c >= 0x80) : !srs_atext(c))
			return false;
	}
	return !utf8 || addr_utf8_valid(s, n);
}

/* The day number (floor of now / 86400) modulo SRS_DAYS. */
static unsigned
srs_today(int64_t now)
{
	int64_t	 day = now / 86400;

	if (now % 86400 < 0)
		day--;
	return (unsigned)(((day % SRS_DAYS) + SRS_DAYS) % SRS_DAYS);
}

/*
 * The first SRS_HASH_LEN base32 characters of the MAC of
 * "tt=domain=local", lower-cased, into h.
 */
static void
srs_hash(const struct srs *srs, const char *tt, const char *dom,
    size_t dlen, const char *local, size_t llen, char *h)
{
	struct sha256_hmac m;
	unsigned char mac[SHA256_DIGEST_LEN], c;
	size_t	 i;

	sha256_hmac_init(&m, srs->key, sizeof(srs->key));
	for (i = 0; i < SRS_TT_LEN; i++) {
		c = srs_lower((unsigned char)tt[i]);
		sha256_hmac_update(&m, &c, 1);
	}
	sha256_hmac_update(&m, "=", 1);
	for (i = 0; i < dlen; i++) {
		c = srs_lower((unsigned char)dom[i]);
		sha256_hmac_update(&m, &c, 1);
	}
	sha256_hmac_update(&m, "=", 1);
	for (i = 0; i < llen; i++) {
		c = srs_lower((unsigned char)local[i]);
		sha256_hmac_update(&m, &c, 1);
	}
	sha256_hmac_final(&m, mac);
	/* the first 20 bits, 5 at a time, most significant first */
	h[0] = srs_b32[mac[0] >> 3];
	h[1] = srs_b32[(mac[0] & 7) << 2 | mac[1] >> 6];
	h[2] = srs_b32[(mac[1] >> 1) & 31];
	h[3] = srs_b32[(mac[1] & 1) << 4 | mac[2] >> 4];
	explicit_bzero(mac, sizeof(mac));
}

bool
srs_is_srs(const char *local)
{
	return srs_lower((unsigned char)local[0]) == 's' &&
	    srs_lower((unsigned char)local[1]) == 'r' &&
	    srs_lower((unsigned char)local[2]) == 's' &&
	    (local[3] == '0' || local[3] == '1') && local[4] == '=';
}

bool
srs_forward(const struct srs *srs, const char *sender, const char *fwd,
    int64_t now, char *out, size_t outsz)
{
	const char *at = strrchr(sender, '@'), *dom;
	size_t	 llen, dlen, flen, total;
	unsigned day = srs_today(now);
	char	 tt[SRS_TT_LEN], h[SRS_HASH_LEN];

	if (at == NULL)
		return false;
	llen = (size_t)(at - sender);
	dom = at + 1;
	dlen = strlen(dom);
	flen = strlen(fwd);
	if (!srs_dotted_ok(sender, llen, false) ||
	    !srs_dotted_ok(dom, dlen, true) || !srs_dotted_ok(fwd, flen, true))
		return false;
	if (SRS_PREFIX_LEN + dlen + 1 + llen > ADDR_LOCAL_MAX)
		return false;
	total = SRS_PREFIX_LEN + dlen + 1 + llen + 1 + flen;
	/* the path with its <> (RFC 5321 4.5.3.1.3), and the NUL in out */
	if (total + 2 > ADDR_PATH_MAX || total >= outsz)
		return false;
	tt[0] = srs_b32[day >> 5];
	tt[1] = srs_b32[day & 31];
	srs_hash(srs, tt, dom, dlen, sender, llen, h);
	(void)snprintf(out, outsz, "SRS0=%.*s=%.*s=%s=%.*s@%s",
	    SRS_HASH_LEN, h, SRS_TT_LEN, tt, dom, (int)llen, sender, fwd);
	return true;
}

enum srs_result
srs_verify(const struct srs *srs, const char *local, int64_t now, char *out,
    size_t outsz)
{
	const char *tt, *dom, *eq, *orig;
	size_t	 n = strlen(local), dlen, llen, i;
	unsigned then, age, diff = 0;
	char	 h[SRS_HASH_LEN];

	if (n > ADDR_LOCAL_MAX || n <= SRS_PREFIX_LEN ||
	    srs_lower((unsigned char)local[0]) != 's' ||
	    srs_lower((unsigned char)local[1]) != 'r' ||
	    srs_lower((unsigned char)local[2]) != 's' ||
	    local[3] != '0' || local[4] != '=' ||
	    local[5 + SRS_HASH_LEN] != '=' ||
	    local[5 + SRS_HASH_LEN + 1 + SRS_TT_LEN] != '=')
		return SRS_EMALFORMED;
	for (i = 0; i < SRS_HASH_LEN; i++)
		if (srs_b32_value((unsigned char)local[5 + i]) < 0)
			return SRS_EMALFORMED;
	tt = local + 5 + SRS_HASH_LEN + 1;
	if (srs_b32_value((unsigned char)tt[0]) < 0 ||
	    srs_b32_value((unsigned char)tt[1]) < 0)
		return SRS_EMALFORMED;
	dom = local + SRS_PREFIX_LEN;
	if ((eq = strchr(dom, '=')) == NULL)
		return SRS_EMALFORMED;
	dlen = (size_t)(eq - dom);
	orig = eq + 1;
	llen = strlen(orig);
	if (!srs_dotted_ok(dom, dlen, true) ||
	    !srs_dotted_ok(orig, llen, false) || llen + 1 + dlen >= outsz)
		return SRS_EMALFORMED;

	srs_hash(srs, tt, dom, dlen, orig, llen, h);
	for (i = 0; i < SRS_HASH_LEN; i++)
		diff |= (unsigned)(srs_lower((unsigned char)h[i]) ^
		    srs_lower((unsigned char)local[5 + i]));
	if (diff != 0)
		return SRS_EHASH;
	then = (unsigned)(srs_b32_value((unsigned char)tt[0]) << 5 |
	    srs_b32_value((unsigned char)tt[1]));
	age = (srs_today(now) + SRS_DAYS - then) % SRS_DAYS;
	if (age > SRS_MAX_AGE_DAYS)
		return SRS_EEXPIRED;
	(void)snprintf(out, outsz, "%s@%.*s", orig, (int)dlen, dom);
	return SRS_OK;
}

bool
srs_reverse(const struct srs *srs, const char *local, int64_t now,
    char *out, size_t outsz)
{
	return srs_verify(srs, local, now, out, outsz) == SRS_OK;
}

const char *
srs_strerror(enum srs_result r)
{
	switch (r) {
	case SRS_OK:
		return "ok";
	case SRS_EMALFORMED:
		return "malformed";
	case SRS_EHASH:
		return "bad hash";
	case SRS_EEXPIRED:
		return "expired";
	}
	return "unknown";
}

/* --- the key file -------------------------------------------------------- */

/* Read a key file: 0, -1 with errno (EINVAL: not a key). */
static int
srs_read(struct srs *srs, const char *path)
{
	char	 buf[2 * SRS_KEY_LEN + 3];
	size_t	 len = 0, i;
	ssize_t	 r;
	int	 fd, saved;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	while (len < sizeof(buf)) {
		r = read(fd, buf + len, sizeof(buf) - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			saved = errno;
			(void)close(fd);
			explicit_bzero(buf, sizeof(buf));
			errno = saved;
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	(void)close(fd);
	/* 64 hex digits, then a newline or nothing */
	if (len < 2 * SRS_KEY_LEN || len > 2 * SRS_KEY_LEN + 1 ||
	    (len == 2 * SRS_KEY_LEN + 1 && buf[len - 1] != '\n'))
		goto invalid;
	for (i = 0; i < SRS_KEY_LEN; i++) {
		int	 hi = num_hexval((unsigned char)buf[2 * i]);
		int	 lo = num_hexval((unsigned char)buf[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto invalid;
		srs->key[i] = (unsigned char)(hi << 4 | lo);
	}
	explicit_bzero(buf, sizeof(buf));
	return 0;
invalid:
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(srs->key, sizeof(srs->key));
	errno = EINVAL;
	return -1;
}

static int
srs_write_all(int fd, const char *p, size_t n)
{
	ssize_t	 r;

	while (n > 0) {
		r = write(fd, p, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r == 0)
				errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Make a new key file: a temporary file, written and fsynced, then linked
 * to its name, which fails if another process made one meanwhile (a
 * reader never sees a half-written key).  1 made, 0 one exists, -1 error.
 */
static int
srs_create(const char *statedir, const char *path)
{
	unsigned char key[SRS_KEY_LEN];
	char	 tmp[PATH_MAX], text[2 * SRS_KEY_LEN + 2];
	struct stat st;
	size_t	 i;
	int	 fd = -1, dfd = -1, rc = -1, saved;

	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	for (i = 0; i < SRS_KEY_LEN; i++) {
		text[2 * i] = "0123456789abcdef"[key[i] >> 4];
		text[2 * i + 1] = "0123456789abcdef"[key[i] & 15];
	}
	text[2 * SRS_KEY_LEN] = '\n';
	text[2 * SRS_KEY_LEN + 1] = '\0';
	explicit_bzero(key, sizeof(key));
	if (conf_pathf(tmp, "%s/%s.tmpXXXXXX", statedir, SRS_KEY_FILE) == -1)
		goto out;
	if ((dfd = open(statedir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto out;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		goto out;
	if (fchmod(fd, 0600) == -1)
		goto fail;
	/* root (tambo init, say) makes it for the service's user */
	if (geteuid() == 0 && fstat(dfd, &st) == 0 &&
	    fchown(fd, st.st_uid, st.st_gid) == -1)
		goto fail;
	if (srs_write_all(fd, text, 2 * SRS_KEY_LEN + 1) == -1 ||
	    fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (link(tmp, path) == -1) {
		if (errno != EEXIST)
			goto fail;
		rc = 0;
	} else
		rc = 1;
	(void)unlink(tmp);
	if (rc == 1 && fsync(dfd) == -1)
		rc = -1;
	goto out;
fail:
	saved = errno;
	if (fd != -1)
		(void)close(fd);
	(void)unlink(tmp);
	errno = saved;
	rc = -1;
out:
	saved = errno;
	if (dfd != -1)
		(void)close(dfd);
	explicit_bzero(text, sizeof(text));
	errno = saved;
	return rc;
}

int
srs_load(struct srs *srs, const char *statedir)
{
	char	 path[PATH_MAX];

	if (conf_pathf(path, "%s/%s", statedir, SRS_KEY_FILE) == -1)
		return -1;
	if (srs_read(srs, path) == 0)
		return 0;
	if (errno != ENOENT)
		return -1;
	if (srs_create(statedir, path) == -1)
		return -1;
	return srs_read(srs, path);
}
