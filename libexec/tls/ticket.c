/*
 * ticket.c — the session-ticket master key shared by all handlers
 * (RFC 5077 tickets in TLS 1.2, RFC 8446 4.6.1 in TLS 1.3), so a client
 * resumes with whichever short-lived handler process it reaches next.
 *
 * The file holds the 64 raw bytes of gnutls_session_ticket_key_generate(),
 * mode 0600.  A file that is missing, of the wrong size or mode, or older
 * than TLS_TICKET_KEY_MAX_AGE is replaced: under an exclusive flock(2) on
 * its directory (so two handlers never both replace it, and everyone
 * converges on one key), check again, write PATH.tmp.PID with O_EXCL,
 * fsync, rename over PATH, fsync the directory.  Readers take no lock:
 * rename is atomic, they see the old file or the new one.  When the lock
 * is busy for long, a stale key is still used rather than none.
 *
 * Rotation and GnuTLS 3.7: a session takes one master key; GnuTLS derives
 * the key actually used from it and the time (SHA3-512 of a window number
 * and the master key, windows three ticket lifetimes long: 18 h with the
 * default 6 h lifetime) and also accepts the previous window's, so tickets
 * survive GnuTLS's own rotation.  Replacing the master key here makes the
 * tickets issued under the old one unusable: those clients do a full
 * handshake once.  GnuTLS 3.7 has no way to offer two master keys, and the
 * master key is what a thief of this file would need, so it is replaced
 * every 12 h and the old one is gone from disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "plugin.h"
#include "tls.h"
#include "poison.h"

#define LOCK_WAIT_MS	1000	/* then use what there is */

enum key_state { KEY_FRESH, KEY_STALE, KEY_ABSENT, KEY_BAD };

static enum key_state
key_read(const char *path, unsigned char key[TLSP_TICKET_KEY_SIZE])
{
	struct stat st;
	time_t	 now = time(NULL);
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return KEY_ABSENT;
		tlsp_log_error("tls ticket key", path, errno);
		return KEY_BAD;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size != TLSP_TICKET_KEY_SIZE || (st.st_mode & 077) != 0) {
		(void)close(fd);
		tlsp_log_error("tls ticket key",
		    "not a 64-byte file of mode 0600: replacing it", 0);
		return KEY_BAD;
	}
	do
		n = read(fd, key, TLSP_TICKET_KEY_SIZE);
	while (n == -1 && errno == EINTR);
	(void)close(fd);
	if (n != TLSP_TICKET_KEY_SIZE) {
		explicit_bzero(key, TLSP_TICKET_KEY_SIZE);
		tlsp_log_error("tls ticket key", path, n == -1 ? errno : EIO);
		return KEY_BAD;
	}
	/* a file from the future (the clock went back) is stale too */
	if (now - st.st_mtime >= TLS_TICKET_KEY_MAX_AGE ||
	    st.st_mtime - now > 300)
		return KEY_STALE;
	return KEY_FRESH;
}

/* Directory part of path into out ("." when none). */
static int
key_dir(const char *path, char *out, size_t outsz)
{
	const char *slash = strrchr(path, '/');
	int	 n;

	if (slash == NULL)
		n = snprintf(out, outsz, ".");
	else if (slash == path)
		n = snprintf(out, outsz, "/");
	else
		n = snprintf(out, outsz, "%.*s", (int)(slash - path), path);
	return n >= 0 && (size_t)n < outsz ? 0 : -1;
}

/* flock dirfd, waiting at most LOCK_WAIT_MS; 0 or -1. */
static int
key_lock(int dirfd)
{
	struct timespec	 pause = { 0, 5 * 1000 * 1000 };
	int		 waited;

	for (waited = 0; waited < LOCK_WAIT_MS; waited += 5) {
		if (flock(dirfd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		(void)nanosleep(&pause, NULL);
	}
	errno = ETIMEDOUT;
	return -1;
}

/* Write a new key to path (we hold the lock); 0 with key filled, or -1. */
static int
key_make(const char *path, int dirfd, unsigned char key[TLSP_TICKET_KEY_SIZE])
{
	gnutls_datum_t	 g = { NULL, 0 };
	char		 tmp[PATH_MAX];
	size_t		 off = 0;
	int		 fd = -1, n, r, tries;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		tlsp_log_error("tls ticket key", path, ENAMETOOLONG);
		return -1;
	}
	if ((r = gnutls_session_ticket_key_generate(&g)) < 0 ||
	    g.size != TLSP_TICKET_KEY_SIZE) {
		tlsp_log_error("tls ticket key", r < 0 ? gnutls_strerror(r) :
		    "unexpected key size", 0);
		goto fail;
	}
	memcpy(key, g.data, TLSP_TICKET_KEY_SIZE);

	/* a PATH.tmp.OURPID can only be left over by a dead process */
	for (tries = 0; tries < 2; tries++) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd != -1 || errno != EEXIST)
			break;
		(void)unlink(tmp);
	}
	if (fd == -1) {
		tlsp_log_error("tls ticket key", tmp, errno);
		goto fail;
	}
	while (off < TLSP_TICKET_KEY_SIZE) {
		ssize_t	w = write(fd, key + off, TLSP_TICKET_KEY_SIZE - off);

		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			tlsp_log_error("tls ticket key", tmp,
			    w == -1 ? errno : EIO);
			goto fail_unlink;
		}
		off += (size_t)w;
	}
	if (fsync(fd) == -1) {
		tlsp_log_error("tls ticket key", tmp, errno);
		goto fail_unlink;
	}
	if (close(fd) == -1) {
		fd = -1;
		tlsp_log_error("tls ticket key", tmp, errno);
		goto fail_unlink;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		tlsp_log_error("tls ticket key", path, errno);
		goto fail_unlink;
	}
	if (fsync(dirfd) == -1)	/* durable or not, the key is in place */
		tlsp_log_error("tls ticket key", "fsync of its directory",
		    errno);
	gnutls_memset(g.data, 0, g.size);
	gnutls_free(g.data);
	return 0;

fail_unlink:
	if (fd != -1)
		(void)close(fd);
	(void)unlink(tmp);
fail:
	if (g.data != NULL) {
		gnutls_memset(g.data, 0, g.size);
		gnutls_free(g.data);
	}
	explicit_bzero(key, TLSP_TICKET_KEY_SIZE);
	return -1;
}

int
tlsp_ticket_key(const char *path, unsigned char key[TLSP_TICKET_KEY_SIZE])
{
	enum key_state	 st;
	unsigned char	 fresh[TLSP_TICKET_KEY_SIZE];
	char		 dir[PATH_MAX];
	int		 dirfd, r;

	if ((st = key_read(path, key)) == KEY_FRESH)
		return 0;

	if (key_dir(path, dir, sizeof(dir)) == -1) {
		tlsp_log_error("tls ticket key", path, ENAMETOOLONG);
		goto use_stale;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd == -1) {
		tlsp_log_error("tls ticket key", dir, errno);
		goto use_stale;
	}
	if (key_lock(dirfd) == -1) {
		tlsp_log_error("tls ticket key", "lock on its directory",
		    errno);
		(void)close(dirfd);
		goto use_stale;
	}
	/* another handler may have replaced it while we waited */
	if ((st = key_read(path, key)) == KEY_FRESH)
		r = 0;
	else if ((r = key_make(path, dirfd, fresh)) == 0)
		memcpy(key, fresh, TLSP_TICKET_KEY_SIZE);
	explicit_bzero(fresh, sizeof(fresh));
	(void)close(dirfd);		/* releases the lock */
	if (r == 0)
		return 0;
use_stale:
	if (st == KEY_STALE)
		return 0;
	explicit_bzero(key, TLSP_TICKET_KEY_SIZE);
	return -1;
}
