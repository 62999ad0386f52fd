/*
 * status.c — tambo status: one screen that says whether the server works.
 *
 *   status [--since TIME]
 *
 * Sections, each line OK, WARN or FAIL, or a plain fact:
 *   queue         messages, deferred ones, the oldest's age, and the last
 *                 error of the deferred recipients by destination domain
 *                 (the state files, qstate.h)
 *   certificates  each DIR/certs/<name>/: the names the certificate is
 *                 for and its expiry (WARN under STATUS_CERT_WARN_DAYS
 *                 days, FAIL expired or unreadable); RFC 5280 4.1.2.5,
 *                 4.2.1.6
 *   DKIM          each local domain's keys, dkim/<selector>.key: key type
 *                 and size, readable or not (RFC 6376 3.3, RFC 8463)
 *   services      the socket and timer units, asked of systemd over D-Bus
 *                 (org.freedesktop.systemd1: GetUnit, ActiveState)
 *   sessions      the sessions open on ports 25, 587 and 465, counted in
 *                 the handlers' session tables (STATE/sessions.MODE, one
 *                 locked byte each, tambo-smtpd(8) "Busy"); WARN when busy
 *   activity      counts from the journal since TIME (default 24 hours):
 *                 the key=value lines of log.h, by the units'
 *                 SYSLOG_IDENTIFIER, and the last delivery failures
 *
 * The TLS plugin (tls.h) reads the certificates and keys, and libsystemd
 * the bus and the journal: this is an operator's command, not a
 * per-connection handler.
 * Nothing is written.  Exit status 0 when no line is FAIL, 1 otherwise,
 * EX_USAGE for bad arguments.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>

#include "conf.h"
#include "log.h"
#include "names.h"
#include "num.h"
#include "qstate.h"
#include "sessions.h"
#include "spool.h"
#include "tambo.h"
#include "tls.h"
#include "users.h"
#include "poison.h"

#define STATUS_CERT_WARN_DAYS	14
#define STATUS_CERT_MAX		(1024 * 1024)
#define STATUS_KEY_MAX		(64 * 1024)
#define STATUS_DOMAINS_MAX	64	/* deferred destinations shown */
#define STATUS_FAILURES		5	/* last delivery failures shown */
#define STATUS_SINCE_MAX	(366 * 86400)
#define STATUS_TEXT_MAX		160	/* reply text on one line */

/* The units whose log lines the activity section reads (units/). */
static const char *const status_idents[] = {
	"tambo-smtpd", "tambo-submission", "tambo-submissions",
	"tambo-local", "tambo-deliver", "tambo-auth",
};

/* The units the services section asks about; core ones FAIL inactive. */
static const struct {
	const char	*name;
	bool		 core;
} status_units[] = {
	{ "tambo-smtp.socket", true },
	{ "tambo-submission.socket", false },
	{ "tambo-submissions.socket", false },
	{ "tambo-local.socket", false },
	{ "tambo-auth.socket", false },
	{ "tambo-deliver.timer", true },
};

static unsigned status_fails;

static void status_line(const char *level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* "  LEVEL text": level "" for a plain fact. */
static void
status_line(const char *level, const char *fmt, ...)
{
	va_list	 ap;

	if (strcmp(level, "FAIL") == 0)
		status_fails++;
	(void)printf("  %-5s ", level);
	va_start(ap, fmt);
	(void)vprintf(fmt, ap);
	va_end(ap);
	(void)putchar('\n');
}

/* "3d 4h", "2h 5m", "7m", "12s". */
static void
status_age(int64_t secs, char *out, size_t outsz)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 86400)
		(void)snprintf(out, outsz, "%lldd %lldh",
		    (long long)secs / 86400,
		    (long long)(secs % 86400) / 3600);
	else if (secs >= 3600)
		(void)snprintf(out, outsz, "%lldh %lldm",
		    (long long)secs / 3600,
		    (long long)(secs % 3600) / 60);
	else if (secs >= 60)
		(void)snprintf(out, outsz, "%lldm", (long long)secs / 60);
	else
		(void)snprintf(out, outsz, "%llds", (long long)secs);
}

/* A reply as one printable line: control bytes become spaces. */
static void
status_clean(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* --- the queue ------------------------------------------------------------ */

struct status_dest {
	char		 domain[ADDR_DOMAIN_MAX + 1];
	unsigned	 n;
	int64_t		 time;
	char		 error[QSTATE_TEXT_MAX + ADDR_DOMAIN_MAX + 64];
};

struct status_queue {
	unsigned	 messages, deferred, unreadable;
	int64_t		 oldest;		/* arrival, 0: none */
	size_t		 ndest;
	struct status_dest dest[STATUS_DOMAINS_MAX];
	unsigned	 more;			/* destinations not kept */
};

/* Count a deferred target under its domain, keeping the latest error. */
static void
status_queue_target(struct status_queue *q, const struct qstate_target *t)
{
	const char *at = strrchr(t->addr, '@');
	const char *dom = t->kind == QK_SMTP && at != NULL ? at + 1 :
	    "(local delivery)";
	struct status_dest *d = NULL;
	size_t	 i;

	for (i = 0; i < q->ndest; i++)
		if (strcasecmp(q->dest[i].domain, dom) == 0)
			d = &q->dest[i];
	if (d == NULL) {
		if (q->ndest == STATUS_DOMAINS_MAX) {
			q->more++;
			return;
		}
		d = &q->dest[q->ndest++];
		(void)snprintf(d->domain, sizeof(d->domain), "%s", dom);
	}
	d->n++;
	if (d->n > 1 && t->time < d->time)
		return;
	d->time = t->time;
	if (t->code != 0)
		(void)snprintf(d->error, sizeof(d->error), "%u%s%s%s%s: %s",
		    t->code, t->enh[0] ? " " : "", t->enh,
		    t->host[0] ? " from " : "", t->host,
		    t->text[0] ? t->text : "(no text)");
	else
		(void)snprintf(d->error, sizeof(d->error), "%s",
		    t->text[0] ? t->text : "(no error recorded)");
	status_clean(d->error);
}

static void
status_queue_message(struct status_queue *q, struct spool *sp,
    const char *id)
{
	struct spool_envelope env;
	struct qstate qs;
	uint64_t size;
	size_t	 k;
	bool	 deferred = false;

	if (spool_read(sp, id, &env, &size) == -1) {
		if (errno != ENOENT)	/* else: delivered meanwhile */
			q->unreadable++;
		return;
	}
	q->messages++;
	if (q->oldest == 0 || env.arrival < q->oldest)
		q->oldest = env.arrival;
	spool_envelope_free(&env);
	if (qstate_read(sp->queuefd, id, &qs) != 0)
		return;		/* not yet attempted, or unreadable */
	for (k = 0; k < qs.n; k++)
		if (qs.t[k].status == QS_QUEUED && qs.t[k].time != 0) {
			deferred = true;
			status_queue_target(q, &qs.t[k]);
		}
	if (deferred)
		q->deferred++;
	qstate_free(&qs);
}

static void
status_queue(const struct conf *conf)
{
	static struct status_queue q;
	struct spool sp;
	struct dirent *e;
	DIR	*d;
	char	 age[32];
	size_t	 i;
	int	 fd;

	(void)printf("queue (%s)\n", conf->spool);
	memset(&q, 0, sizeof(q));
	if (spool_open(&sp, conf->spool) == -1) {
		status_line("FAIL", "cannot open the spool: %s",
		    strerror(errno));
		return;
	}
	if ((fd = dup(sp.queuefd)) == -1 || (d = fdopendir(fd)) == NULL) {
		status_line("FAIL", "cannot read %s/queue: %s", conf->spool,
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		spool_close(&sp);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (spool_id_valid(e->d_name))
			status_queue_message(&q, &sp, e->d_name);
	(void)closedir(d);
	spool_close(&sp);

	if (q.messages == 0)
		status_line("OK", "queue empty");
	else {
		status_age((int64_t)time(NULL) - q.oldest, age, sizeof(age));
		status_line(q.deferred > 0 ? "WARN" : "OK",
		    "%u message%s queued, %u deferred, oldest %s", q.messages,
		    q.messages == 1 ? "" : "s", q.deferred, age);
	}
	for (i = 0; i < q.ndest; i++)
		status_line("WARN", "deferred to %s: %u recipient%s, last "
		    "error: %.*s", q.dest[i].domain, q.dest[i].n,
		    q.dest[i].n == 1 ? "" : "s", STATUS_TEXT_MAX,
		    q.dest[i].error);
	if (q.more > 0)
		status_line("WARN", "and %u more deferred recipients", q.more);
	if (q.unreadable > 0)
		status_line("FAIL", "%u queue file%s cannot be read",
		    q.unreadable, q.unreadable == 1 ? "" : "s");
}

/* --- certificates --------------------------------------------------------- */

static void
status_cert(const struct tls_ops *tls, const char *dir, const char *name)
{
	struct tls_cert_info ci;
	char	 path[PATH_MAX], when[32], err[256];
	char	*pem = NULL;
	size_t	 len;
	time_t	 exp, act, now = time(NULL);
	struct tm tm;
	long long days;
	int	 r;

	if (conf_pathf(path, "%s/certs/%s/fullchain.pem", dir, name) == -1 ||
	    conf_read_file(path, STATUS_CERT_MAX, &pem, &len) == -1) {
		status_line("FAIL", "%s: cannot read fullchain.pem: %s", name,
		    strerror(errno));
		return;
	}
	r = tls->cert_info(pem, len, &ci, err, sizeof(err));
	free(pem);
	if (r == -1) {
		status_clean(err);
		status_line("FAIL", "%s: fullchain.pem: %s", name, err);
		return;
	}
	status_clean(ci.names);
	if (ci.names[0] == '\0')
		(void)snprintf(ci.names, sizeof(ci.names), "(no names)");
	exp = (time_t)ci.not_after;
	act = (time_t)ci.not_before;
	if (ci.not_after == -1 || gmtime_r(&exp, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d", &tm) == 0) {
		status_line("FAIL", "%s: %s: no expiry date", name, ci.names);
		return;
	}
	days = ((long long)exp - (long long)now) / 86400;
	if (exp <= now)
		status_line("FAIL", "%s: %s: expired %s", name, ci.names, when);
	else if (ci.not_before != -1 && act > now && gmtime_r(&act, &tm) !=
	    NULL && strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) != 0)
		status_line("WARN", "%s: %s: not valid before %s UTC", name,
		    ci.names, when);
	else if (conf_pathf(path, "%s/certs/%s/privkey.pem", dir, name) ==
	    -1 || access(path, F_OK) == -1)
		status_line("FAIL", "%s: %s: no privkey.pem", name, ci.names);
	else
		status_line(days < STATUS_CERT_WARN_DAYS ? "WARN" : "OK",
		    "%s: %s: expires %s (%lld day%s left)", name, ci.names,
		    when, days, days == 1 ? "" : "s");
}

/* The names in dir that keep accepts (names.h); -1 with errno. */
static int
status_list(const char *dir, bool (*keep)(int, const char *, void *),
    struct names *out)
{
	int	 fd, r, e;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	r = names_read(fd, keep, NULL, out);
	e = errno;
	(void)close(fd);
	errno = e;
	return r;
}

static bool
status_is_key(int dirfd, const char *name, void *arg)
{
	size_t	 n = strlen(name);

	(void)dirfd;
	(void)arg;
	return name[0] != '.' && n > 4 && strcmp(name + n - 4, ".key") == 0;
}

static void
status_certs(const struct conf *conf, const struct tls_ops *tls,
    const char *tls_err)
{
	char	 path[PATH_MAX];
	struct names v;
	size_t	 i;

	(void)printf("certificates (%s/certs)\n", conf->dir);
	if (tls == NULL) {
		status_line("FAIL", "cannot read certificates: %s", tls_err);
		return;
	}
	if (conf_pathf(path, "%s/certs", conf->dir) == -1 ||
	    status_list(path, NULL, &v) == -1) {
		if (errno == ENOENT)
			status_line("WARN", "no certificates: no STARTTLS, "
			    "no submission over TLS");
		else
			status_line("FAIL", "cannot read %s/certs: %s",
			    conf->dir, strerror(errno));
		return;
	}
	if (v.n == 0)
		status_line("WARN", "no certificates: no STARTTLS, "
		    "no submission over TLS");
	for (i = 0; i < v.n; i++)
		status_cert(tls, conf->dir, v.v[i]);
	names_free(&v);
}

/* --- DKIM keys ------------------------------------------------------------ */

/*
 * "ed25519", "rsa-2048"... of a PEM private key; -1 with why set (and
 * errno when the file could not be read).
 */
static int
status_key_type(const struct tls_ops *tls, const char *path, char *type,
    size_t typesz, char *why, size_t whysz)
{
	char	*pem;
	size_t	 len;
	int	 r;

	if (conf_read_file(path, STATUS_KEY_MAX, &pem, &len) == -1) {
		(void)snprintf(why, whysz, "%s", strerror(errno));
		return -1;
	}
	r = tls->key_info(pem, len, type, typesz, why, whysz);
	explicit_bzero(pem, len);
	free(pem);
	errno = 0;
	if (r == -1)
		return -1;
	if (strncmp(type, "rsa-", 4) != 0 && strcmp(type, "ed25519") != 0) {
		(void)snprintf(why, whysz, "a %s key, not RSA or Ed25519",
		    type);
		return -1;
	}
	if (strncmp(type, "rsa-", 4) == 0 && strtol(type + 4, NULL, 10) <
	    1024) {
		(void)snprintf(why, whysz, "%s: too short (RFC 8301)", type);
		return -1;
	}
	return 0;
}

static void
status_dkim_domain(const struct conf *conf, const struct tls_ops *tls,
    const char *tls_err, const struct users_domain *dom)
{
	char	 path[PATH_MAX], type[32], why[256], *sel;
	struct names v;
	size_t	 i;

	if (conf_pathf(path, "%s/domains/%s/dkim", conf->dir,
	    dom->dirname) == -1 ||
	    status_list(path, status_is_key, &v) == -1) {
		if (errno == ENOENT)
			status_line("WARN", "%s: no DKIM keys: its mail is "
			    "not signed", dom->name);
		else
			status_line(geteuid() == 0 ? "FAIL" : "WARN",
			    "%s: cannot read %s: %s", dom->name, path,
			    strerror(errno));
		return;
	}
	if (v.n == 0)
		status_line("WARN", "%s: no DKIM keys: its mail is not signed",
		    dom->name);
	for (i = 0; i < v.n; i++) {
		int	 saved;

		sel = v.v[i];
		sel[strlen(sel) - 4] = '\0';	/* the selector */
		if (conf_pathf(path, "%s/domains/%s/dkim/%s.key", conf->dir,
		    dom->dirname, sel) == -1) {
			status_line("FAIL", "%s: selector %s: path too long",
			    dom->name, sel);
			continue;
		}
		if (tls == NULL) {
			status_line("FAIL", "%s: selector %s: cannot read "
			    "keys: %s", dom->name, sel, tls_err);
			continue;
		}
		if (status_key_type(tls, path, type, sizeof(type), why,
		    sizeof(why)) == 0) {
			status_line("OK", "%s: selector %s: %s", dom->name,
			    sel, type);
			continue;
		}
		saved = errno;
		/* The keys are for group tambo-dkim: others cannot tell. */
		if (saved == EACCES && geteuid() != 0)
			status_line("WARN", "%s: selector %s: not readable by "
			    "this user (run as root to check it)", dom->name,
			    sel);
		else
			status_line("FAIL", "%s: selector %s: %s", dom->name,
			    sel, why);
	}
	names_free(&v);
}

static void
status_dkim(const struct conf *conf, const struct tls_ops *tls,
    const char *tls_err)
{
	struct users users;
	size_t	 i;

	(void)printf("DKIM\n");
	if (users_open(&users, conf) == -1) {
		status_line("FAIL", "cannot read the local domains: %s",
		    strerror(errno));
		return;
	}
	if (users.ndomains == 0)
		status_line("WARN", "no local domains: nothing is signed");
	for (i = 0; i < users.ndomains; i++)
		status_dkim_domain(conf, tls, tls_err, &users.domains[i]);
	users_close(&users);
}

/* --- services ------------------------------------------------------------- */

static void
status_services(void)
{
	sd_bus	*bus = NULL;
	size_t	 i;
	int	 r;

	(void)printf("services\n");
	if (sd_booted() <= 0) {
		status_line("", "systemd not running, services not checked");
		return;
	}
	if ((r = sd_bus_open_system(&bus)) < 0) {
		status_line("WARN", "cannot reach systemd over D-Bus: %s",
		    strerror(-r));
		return;
	}
	for (i = 0; i < sizeof(status_units) / sizeof(status_units[0]); i++) {
		sd_bus_error err = SD_BUS_ERROR_NULL;
		sd_bus_message *reply = NULL;
		const char *unit = status_units[i].name, *path;
		char	*active = NULL, *sub = NULL;

		r = sd_bus_call_method(bus, "org.freedesktop.systemd1",
		    "/org/freedesktop/systemd1",
		    "org.freedesktop.systemd1.Manager", "GetUnit", &err,
		    &reply, "s", unit);
		if (r < 0) {
			status_line(status_units[i].core ? "FAIL" : "WARN",
			    "%s: not loaded (not installed, or never "
			    "started)", unit);
			sd_bus_error_free(&err);
			continue;
		}
		if (sd_bus_message_read(reply, "o", &path) < 0 ||
		    sd_bus_get_property_string(bus,
		    "org.freedesktop.systemd1", path,
		    "org.freedesktop.systemd1.Unit", "ActiveState", &err,
		    &active) < 0 ||
		    sd_bus_get_property_string(bus,
		    "org.freedesktop.systemd1", path,
		    "org.freedesktop.systemd1.Unit", "SubState", &err,
		    &sub) < 0)
			status_line("WARN", "%s: state unknown: %s", unit,
			    err.message != NULL ? err.message : "bad reply");
		else if (strcmp(active, "active") == 0)
			status_line("OK", "%s: active (%s)", unit, sub);
		else
			status_line(strcmp(active, "failed") == 0 ||
			    status_units[i].core ? "FAIL" : "WARN",
			    "%s: %s (%s)", unit, active, sub);
		free(active);
		free(sub);
		sd_bus_message_unref(reply);
		sd_bus_error_free(&err);
	}
	sd_bus_flush_close_unref(bus);
}

/* --- open sessions (the handlers' session tables) ------------------------ */

static void
status_sessions(const struct conf *conf)
{
	static const struct {
		const char *mode, *what;
	} modes[] = {
		{ "mx", "port 25" },
		{ "submission", "port 587" },
		{ "submissions", "port 465" },
	};
	size_t	 i;

	(void)printf("sessions (%s/sessions.*)\n", conf->state);
	if (conf->busy_sessions == 0) {
		status_line("", "busy_sessions = 0: sessions not counted");
		return;
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		unsigned b, held = 0;
		int	 fd;

		if ((fd = sessions_open(conf->state, modes[i].mode,
		    false)) == -1) {
			status_line("", "%s: no session yet", modes[i].what);
			continue;
		}
		/* each byte asked on its own: F_GETLK on a range names one
		 * conflicting lock, not how many there are */
		for (b = 0; b < conf->busy_sessions; b++)
			held += sessions_held(fd, b);
		(void)close(fd);
		if (held < conf->busy_sessions)
			status_line("OK", "%s: %u session%s open (busy at %u)",
			    modes[i].what, held, held == 1 ? "" : "s",
			    conf->busy_sessions);
		else
			status_line("WARN", "%s: busy, %u sessions or more "
			    "open: a client idle %u s is closed",
			    modes[i].what, held, conf->busy_timeout);
	}
}

/* --- recent activity (the journal) ---------------------------------------- */

/* The journal opened by status_journal_keep, or NULL. */
static sd_journal *status_journal_kept;

int
status_journal_keep(void)
{
	int	 r;

	if (status_journal_kept != NULL)
		return 0;
	if ((r = sd_journal_open(&status_journal_kept,
	    SD_JOURNAL_LOCAL_ONLY)) < 0) {
		status_journal_kept = NULL;
		errno = -r;
		return -1;
	}
	return 0;
}

int
status_journal_each(uint64_t since_usec, status_journal_fn fn, void *ctx)
{
	sd_journal *j = status_journal_kept;
	char	 match[64], *msg;
	size_t	 i;
	int	 r;

	if (j == NULL && (r = sd_journal_open(&j, SD_JOURNAL_LOCAL_ONLY)) <
	    0) {
		errno = -r;
		return -1;
	}
	if (j == status_journal_kept)
		(void)sd_journal_process(j);	/* files added meanwhile */
	sd_journal_flush_matches(j);
	for (i = 0; i < sizeof(status_idents) / sizeof(status_idents[0]);
	    i++) {
		(void)snprintf(match, sizeof(match), "SYSLOG_IDENTIFIER=%s",
		    status_idents[i]);
		if ((r = sd_journal_add_match(j, match, 0)) < 0)
			goto fail;
	}
	if ((r = sd_journal_seek_realtime_usec(j, since_usec)) < 0)
		goto fail;
	while ((r = sd_journal_next(j)) > 0) {
		const void *d;
		size_t	 len;
		uint64_t usec;
		char	 ident[32];

		if (sd_journal_get_realtime_usec(j, &usec) < 0 ||
		    usec < since_usec)
			continue;
		if (sd_journal_get_data(j, "SYSLOG_IDENTIFIER", &d, &len) < 0 ||
		    len <= 18 || len - 18 >= sizeof(ident))
			continue;
		memcpy(ident, (const char *)d + 18, len - 18);
		ident[len - 18] = '\0';
		if (sd_journal_get_data(j, "MESSAGE", &d, &len) < 0 ||
		    len <= 8)
			continue;
		/* "MESSAGE=..." is not NUL-terminated */
		if ((msg = strndup((const char *)d + 8, len - 8)) == NULL) {
			r = -ENOMEM;
			goto fail;
		}
		fn(ident, usec, msg, ctx);
		free(msg);
	}
	if (r < 0)
		goto fail;
	if (j != status_journal_kept)
		sd_journal_close(j);
	return 0;
fail:
	if (j != status_journal_kept)
		sd_journal_close(j);
	errno = -r;
	return -1;
}

struct status_failure {
	uint64_t	 usec;
	char		 event[32];
	char		 to[ADDR_PATH_MAX + 1];
	char		 text[STATUS_TEXT_MAX + 64];
};

struct status_activity {
	unsigned long	 entries, accepted, delivered, deferred, bounced;
	unsigned long	 login_failures, tls_in, relays, tls_out, errors;
	unsigned long	 spf_checked, spf_failed, spf_temp;
	char		 last_error[STATUS_TEXT_MAX + 64];
	size_t		 nfail;		/* failures seen; the last kept */
	struct status_failure fail[STATUS_FAILURES];
};

static bool
status_is_handler(const char *ident)
{
	return strcmp(ident, "tambo-smtpd") == 0 ||
	    strcmp(ident, "tambo-submission") == 0 ||
	    strcmp(ident, "tambo-submissions") == 0 ||
	    strcmp(ident, "tambo-local") == 0;
}

static void
status_activity_entry(const char *ident, uint64_t usec, const char *msg,
    void *ctx)
{
	struct status_activity *a = ctx;
	char	 ev[32], v[STATUS_TEXT_MAX], code[8], dsn[16];
	bool	 handler = status_is_handler(ident);

	a->entries++;
	if (!log_field(msg, "event", ev, sizeof(ev)))
		return;
	if (strcmp(ev, "queued") == 0 && handler)
		a->accepted++;
	else if (strcmp(ev, "delivered") == 0)
		a->delivered++;
	else if (strcmp(ev, "auth") == 0 && handler &&
	    log_field(msg, "result", v, sizeof(v)) &&
	    strcmp(v, "fail") == 0)
		a->login_failures++;
	else if (strcmp(ev, "tls") == 0 && handler)
		a->tls_in++;
	else if (strcmp(ev, "spf") == 0 && handler) {
		a->spf_checked++;
		if (log_field(msg, "result", v, sizeof(v))) {
			if (strcmp(v, "fail") == 0)
				a->spf_failed++;
			else if (strcmp(v, "temperror") == 0)
				a->spf_temp++;
		}
	}
	else if (strcmp(ev, "connect") == 0 &&
	    log_field(msg, "relay", v, sizeof(v))) {
		a->relays++;
		if (log_field(msg, "tls", v, sizeof(v)) &&
		    strcmp(v, "none") != 0)
			a->tls_out++;
	} else if (strcmp(ev, "error") == 0) {
		a->errors++;
		if (!log_field(msg, "what", v, sizeof(v)))
			v[0] = '\0';
		(void)snprintf(a->last_error, sizeof(a->last_error), "%s: %s",
		    ident, v);
		if (log_field(msg, "detail", v, sizeof(v)))
			(void)snprintf(a->last_error + strlen(a->last_error),
			    sizeof(a->last_error) - strlen(a->last_error),
			    ": %s", v);
		status_clean(a->last_error);
	} else if (strcmp(ev, "deferred") == 0 || strcmp(ev, "bounced") == 0) {
		struct status_failure *f =
		    &a->fail[a->nfail++ % STATUS_FAILURES];

		if (ev[0] == 'd')
			a->deferred++;
		else
			a->bounced++;
		f->usec = usec;
		(void)snprintf(f->event, sizeof(f->event), "%s", ev);
		if (!log_field(msg, "to", f->to, sizeof(f->to)))
			(void)snprintf(f->to, sizeof(f->to), "?");
		if (!log_field(msg, "code", code, sizeof(code)) ||
		    strcmp(code, "0") == 0)
			code[0] = '\0';
		if (!log_field(msg, "dsn", dsn, sizeof(dsn)))
			dsn[0] = '\0';
		if (!log_field(msg, "text", v, sizeof(v)))
			v[0] = '\0';
		(void)snprintf(f->text, sizeof(f->text), "%s%s%s%s%s", code,
		    code[0] ? " " : "", dsn, code[0] || dsn[0] ? " " : "", v);
		status_clean(f->text);
		status_clean(f->to);
	}
}

static void
status_activity(uint64_t since)
{
	static struct status_activity a;
	time_t	 from = time(NULL) - (time_t)since;
	char	 age[32];
	size_t	 i, k;

	if (since % 86400 == 0 && since > 86400)
		(void)snprintf(age, sizeof(age), "%llu days",
		    (unsigned long long)since / 86400);
	else if (since % 3600 == 0)
		(void)snprintf(age, sizeof(age), "%llu hour%s",
		    (unsigned long long)since / 3600, since == 3600 ? "" : "s");
	else
		status_age((int64_t)since, age, sizeof(age));
	(void)printf("activity (journal, last %s)\n", age);
	memset(&a, 0, sizeof(a));
	if (status_journal_each((uint64_t)from * 1000000, status_activity_entry,
	    &a) == -1) {
		status_line("", "journal not readable (%s): activity not "
		    "checked", strerror(errno));
		return;
	}
	if (a.entries == 0) {
		status_line("", "no log entries from tambo's units%s",
		    geteuid() == 0 ? "" : " (run as root, or in group adm or "
		    "systemd-journal, to read the system journal)");
		return;
	}
	status_line("", "accepted %lu, delivered %lu, deferred %lu, "
	    "bounced %lu", a.accepted, a.delivered, a.deferred, a.bounced);
	status_line("", "failed logins %lu, TLS sessions %lu in, %lu of %lu "
	    "out", a.login_failures, a.tls_in, a.tls_out, a.relays);
	if (a.spf_checked > 0)
		status_line("", "SPF checks of senders %lu: refused %lu "
		    "(fail), asked to retry %lu (DNS failed)", a.spf_checked,
		    a.spf_failed, a.spf_temp);
	if (a.errors > 0)
		status_line("WARN", "%lu error%s logged, the last: %s",
		    a.errors, a.errors == 1 ? "" : "s", a.last_error);
	k = a.nfail < STATUS_FAILURES ? 0 : a.nfail - STATUS_FAILURES;
	if (a.nfail > 0)
		status_line("", "last delivery failures:");
	for (i = k; i < a.nfail; i++) {
		const struct status_failure *f = &a.fail[i % STATUS_FAILURES];
		time_t	 t = (time_t)(f->usec / 1000000);
		struct tm tm;
		char	 when[32];

		if (localtime_r(&t, &tm) == NULL ||
		    strftime(when, sizeof(when), "%m-%d %H:%M", &tm) == 0)
			(void)snprintf(when, sizeof(when), "-");
		status_line("", "  %s %s %s: %s", when, f->event, f->to,
		    f->text);
	}
}

/* --- the command ---------------------------------------------------------- */

/* "24h", "2d", "90m"; a bare number is hours. */
static bool
status_since(const char *s, uint64_t *out)
{
	uint64_t v;

	if (num_parse_str(s, STATUS_SINCE_MAX / 3600, &v)) {
		*out = v * 3600;
		return v > 0;
	}
	return conf_duration(s, STATUS_SINCE_MAX, out) && *out > 0;
}

int
cmd_status(const char *dir, int argc, char **argv)
{
	struct conf conf;
	const struct tls_ops *tls;
	char	 err[512], tls_err[512];
	uint64_t since = 24 * 3600;
	int	 i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--since") == 0 && i + 1 < argc &&
		    status_since(argv[i + 1], &since))
			i++;
		else {
			tambo_err("usage: status [--since TIME] (TIME: 24h, "
			    "2d, 90m; a number is hours)");
			return EX_USAGE;
		}
	}
	status_fails = 0;
	if (conf_load(dir, &conf, err, sizeof(err)) == -1) {
		(void)printf("configuration (%s)\n", dir);
		status_line("FAIL", "%s", err);
		return 1;
	}
	(void)printf("tambo on %s, configuration %s\n", conf.hostname,
	    conf.dir);
	status_queue(&conf);
	tls = tls_load(NULL, tls_err, sizeof(tls_err));
	status_certs(&conf, tls, tls_err);
	status_dkim(&conf, tls, tls_err);
	status_services();
	status_sessions(&conf);
	status_activity(since);
	if (status_fails > 0)
		(void)printf("%u problem%s (FAIL)\n", status_fails,
		    status_fails == 1 ? "" : "s");
	(void)fflush(stdout);
	return status_fails > 0 ? 1 : 0;
}
