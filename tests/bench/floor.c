/*
 * floor: the least a per-connection submission handler can do, as a
 * yardstick for tambo's smtpd in `make bench`.
 *
 *   floor CERT KEY SPOOL
 *
 * Run by systemd-socket-activate --inetd (the socket on fd 0 and 1), one
 * process per connection like smtpd.  It speaks just enough SMTP for
 * tests/bench/subload.c: a greeting, EHLO, STARTTLS (GnuTLS, the
 * certificate and key loaded per connection, as smtpd does), EHLO, AUTH
 * PLAIN accepted whatever it says, then MAIL, RCPT and DATA, each
 * message written to SPOOL/tmp, fsynced, renamed into SPOOL/queue and the
 * directory fsynced before the 250 (the spool promise), and QUIT.
 *
 * There is no configuration, no policy, no address parsing, no logging,
 * no password check and no session tickets: whatever tambo's handler
 * costs beyond this program is tambo's own; what this program costs is
 * the price of the shape (a process per connection with GnuTLS) on the
 * machine.  Not a server: it trusts its client.
 */

#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

static gnutls_session_t tls;
static char	 in[65536];
static size_t	 inlen, inoff;

static int
fill(void)
{
	ssize_t	 n;

	if (inoff > 0) {
		memmove(in, in + inoff, inlen - inoff);
		inlen -= inoff;
		inoff = 0;
	}
	if (inlen == sizeof(in))
		return -1;
	do {
		n = tls != NULL ?
		    gnutls_record_recv(tls, in + inlen, sizeof(in) - inlen) :
		    read(0, in + inlen, sizeof(in) - inlen);
	} while (tls != NULL && (n == GNUTLS_E_AGAIN ||
	    n == GNUTLS_E_INTERRUPTED));
	if (n <= 0)
		return -1;
	inlen += (size_t)n;
	return 0;
}

/* One line, CRLF removed; NULL at the end of the stream. */
static char *
line(void)
{
	char	*p, *s;

	for (;;) {
		p = memchr(in + inoff, '\n', inlen - inoff);
		if (p != NULL) {
			s = in + inoff;
			inoff = (size_t)(p - in) + 1;
			*p = '\0';
			if (p > s && p[-1] == '\r')
				p[-1] = '\0';
			return s;
		}
		if (fill() == -1)
			return NULL;
	}
}

static int
say(const char *s)
{
	size_t	 n = strlen(s);
	ssize_t	 w;

	if (tls != NULL) {
		do {
			w = gnutls_record_send(tls, s, n);
		} while (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED);
	} else
		w = write(1, s, n);
	return w == (ssize_t)n ? 0 : -1;
}

static int
starttls(const char *cert, const char *key)
{
	gnutls_certificate_credentials_t creds;
	int	 r;

	if (gnutls_certificate_allocate_credentials(&creds) < 0)
		return -1;
	gnutls_certificate_set_flags(creds,
	    GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);
	if (gnutls_certificate_set_x509_key_file(creds, cert, key,
	    GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_init(&tls, GNUTLS_SERVER) < 0 ||
	    gnutls_set_default_priority(tls) < 0 ||
	    gnutls_credentials_set(tls, GNUTLS_CRD_CERTIFICATE, creds) < 0)
		return -1;
	gnutls_transport_set_int2(tls, 0, 1);
	do {
		r = gnutls_handshake(tls);
	} while (r < 0 && gnutls_error_is_fatal(r) == 0);
	return r < 0 ? -1 : 0;
}

/* DATA: to the final dot, into SPOOL durably, before the 250. */
static int
data(int spool, unsigned long n)
{
	char	 name[64], from[80], to[80], *l;
	FILE	*f;
	int	 fd, qfd;

	(void)snprintf(name, sizeof(name), "%ld.%lu", (long)getpid(), n);
	if ((fd = openat(spool, "tmp", O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	qfd = openat(fd, name, O_WRONLY | O_CREAT | O_EXCL, 0600);
	(void)close(fd);
	if (qfd == -1 || (f = fdopen(qfd, "w")) == NULL)
		return -1;
	while ((l = line()) != NULL && strcmp(l, ".") != 0)
		(void)fprintf(f, "%s\n", l[0] == '.' ? l + 1 : l);
	if (l == NULL || fflush(f) != 0 || fsync(qfd) != 0 || fclose(f) != 0)
		return -1;
	if ((fd = openat(spool, "queue", O_RDONLY | O_DIRECTORY)) == -1)
		return -1;
	(void)snprintf(from, sizeof(from), "tmp/%s", name);
	(void)snprintf(to, sizeof(to), "queue/%s", name);
	if (renameat(spool, from, spool, to) != 0 || fsync(fd) != 0) {
		(void)close(fd);
		return -1;
	}
	return close(fd);
}

int
main(int argc, char **argv)
{
	unsigned long n = 0;
	char	*l;
	int	 spool;

	if (argc != 4 ||
	    (spool = open(argv[3], O_RDONLY | O_DIRECTORY)) == -1)
		return 2;
	if (say("220 floor ESMTP\r\n") == -1)
		return 1;
	while ((l = line()) != NULL) {
		if (strncasecmp(l, "EHLO", 4) == 0)
			(void)say(tls == NULL ?
			    "250-floor\r\n250 STARTTLS\r\n" :
			    "250-floor\r\n250 AUTH PLAIN\r\n");
		else if (strcasecmp(l, "STARTTLS") == 0 && tls == NULL) {
			(void)say("220 2.0.0 go ahead\r\n");
			inlen = inoff = 0;
			if (starttls(argv[1], argv[2]) == -1)
				return 1;
		} else if (strncasecmp(l, "AUTH", 4) == 0)
			(void)say("235 2.7.0 ok\r\n");
		else if (strncasecmp(l, "DATA", 4) == 0) {
			(void)say("354 go ahead\r\n");
			if (data(spool, n++) == -1)
				return 1;
			(void)say("250 2.0.0 queued\r\n");
		} else if (strcasecmp(l, "QUIT") == 0) {
			(void)say("221 2.0.0 bye\r\n");
			break;
		} else
			(void)say("250 2.0.0 ok\r\n");
	}
	if (tls != NULL)
		(void)gnutls_bye(tls, GNUTLS_SHUT_WR);
	return 0;
}
