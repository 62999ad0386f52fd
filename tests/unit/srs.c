/*
 * srs.c — SRS0 addresses: a known answer that pins the format, round
 * trips, case changes on the way back, expiry by the day with now as a
 * parameter, forged hashes, malformed forms, senders that are not
 * rewritten, and the key file (made once with mode 0600, reused, refused
 * when it cannot be read or does not hold a key).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "srs.h"
#include "tap.h"

#define DAY		86400
#define T0		1700000000	/* day 19675, stamp G3 */

static struct srs key;

static void
test_known_answer(void)
{
	char	 out[ADDR_PATH_MAX + 1];

	/* HMAC-SHA256 of "g3=origin.example=alice", first 20 bits */
	ok(srs_forward(&key, "alice@origin.example", "example.test", T0, out,
	    sizeof(out)), "forward alice@origin.example");
	is_str(out, "SRS0=LVEF=G3=origin.example=alice@example.test",
	    "the address for a known key and day");
}

/* The local part of an address made by srs_forward. */
static const char *
local_of(char *addr)
{
	char	*at = strrchr(addr, '@');

	if (at == NULL)
		bail_out("no @ in", addr);
	*at = '\0';
	return addr;
}

static void
test_round_trip(void)
{
	static const char *senders[] = {
		"alice@origin.example",
		"Bob.Smith@Mail.Origin.Example",
		"a+tag=x@sub.origin.example",
		"o'brien@example.org",
		"x@y",
		"user@b\303\274cher.example",	/* SMTPUTF8 */
		"SRS0=ABCD=AA=other.example=bob@fwd.example",
	};
	char	 out[ADDR_PATH_MAX + 1], back[ADDR_PATH_MAX + 1];
	size_t	 i;

	for (i = 0; i < sizeof(senders) / sizeof(senders[0]); i++) {
		const char *s = senders[i];

		if (!ok(srs_forward(&key, s, "fwd.example", T0, out,
		    sizeof(out)), "forward %s", s))
			continue;
		ok(strncmp(out, "SRS0=", 5) == 0 &&
		    strlen(out) > 12 &&
		    strcmp(out + strlen(out) - 12, "@fwd.example") == 0,
		    "%s: SRS0=...@fwd.example", out);
		ok(srs_is_srs(out), "%s is SRS", out);
		is_int(srs_verify(&key, local_of(out), T0, back, sizeof(back)),
		    SRS_OK, "%s verifies", out);
		is_str(back, s, "%s reverses to the sender", out);
	}
	/* Re-wrapping our own SRS address still unwraps one layer at a time. */
	ok(srs_forward(&key, "alice@origin.example", "a.example", T0, out,
	    sizeof(out)), "forward once");
	ok(srs_forward(&key, out, "b.example", T0, back, sizeof(back)),
	    "forward the SRS address again: %s", back);
	{
		char	 first[ADDR_PATH_MAX + 1], orig[ADDR_PATH_MAX + 1];

		ok(srs_reverse(&key, local_of(back), T0, first, sizeof(first)),
		    "outer layer reverses");
		is_str(first, out, "to the inner SRS address");
		ok(srs_reverse(&key, local_of(first), T0, orig, sizeof(orig)),
		    "inner layer reverses");
		is_str(orig, "alice@origin.example", "to the sender");
	}
}

static void
test_case(void)
{
	char	 out[ADDR_PATH_MAX + 1], back[ADDR_PATH_MAX + 1];
	char	 up[ADDR_PATH_MAX + 1], low[ADDR_PATH_MAX + 1];
	size_t	 i;

	ok(srs_forward(&key, "Alice@Origin.Example", "example.test", T0, out,
	    sizeof(out)), "forward Alice@Origin.Example");
	(void)local_of(out);
	for (i = 0; out[i] != '\0'; i++) {
		up[i] = out[i] >= 'a' && out[i] <= 'z' ? out[i] - 32 : out[i];
		low[i] = out[i] >= 'A' && out[i] <= 'Z' ? out[i] + 32 : out[i];
	}
	up[i] = low[i] = '\0';
	ok(srs_reverse(&key, up, T0, back, sizeof(back)),
	    "upper case verifies: %s", up);
	is_str(back, "ALICE@ORIGIN.EXAMPLE", "and gives the upper-case sender");
	ok(srs_reverse(&key, low, T0, back, sizeof(back)),
	    "lower case verifies: %s", low);
	ok(strcasecmp(back, "alice@origin.example") == 0,
	    "and gives the sender up to case");
	ok(srs_is_srs("srs0=x") && srs_is_srs("SRS1=x") &&
	    srs_is_srs("Srs0=") && !srs_is_srs("SRS2=x") &&
	    !srs_is_srs("SRS0") && !srs_is_srs("") && !srs_is_srs("xSRS0="),
	    "srs_is_srs");
}

static void
test_expiry(void)
{
	char	 out[ADDR_PATH_MAX + 1], back[ADDR_PATH_MAX + 1];
	const char *l;
	int64_t	 start = (int64_t)T0 / DAY * DAY;	/* 00:00 UTC */

	/* made in the last second of a day */
	ok(srs_forward(&key, "alice@origin.example", "example.test",
	    start + DAY - 1, out, sizeof(out)), "forward at 23:59:59");
	l = local_of(out);
	is_int(srs_verify(&key, l, start + DAY - 1, back, sizeof(back)),
	    SRS_OK, "valid at once");
	is_int(srs_verify(&key, l, start + (SRS_MAX_AGE_DAYS + 1) * DAY - 1,
	    back, sizeof(back)), SRS_OK, "valid %d days later, to the end of "
	    "that day", SRS_MAX_AGE_DAYS);
	is_int(srs_verify(&key, l, start + (SRS_MAX_AGE_DAYS + 1) * DAY,
	    back, sizeof(back)), SRS_EEXPIRED, "expired from day %d on",
	    SRS_MAX_AGE_DAYS + 1);
	is_int(srs_verify(&key, l, start + 400 * DAY, back, sizeof(back)),
	    SRS_EEXPIRED, "expired after 400 days");
	is_int(srs_verify(&key, l, start - 1, back, sizeof(back)),
	    SRS_EEXPIRED, "a stamp from tomorrow is refused");
	/* made long ago: the stamp wraps every 1024 days */
	ok(srs_forward(&key, "alice@origin.example", "example.test",
	    T0 - 30 * DAY, out, sizeof(out)), "forward 30 days ago");
	is_int(srs_verify(&key, local_of(out), T0, back, sizeof(back)),
	    SRS_EEXPIRED, "30 days old: expired");
	/* before 1970 and around the day counter's wrap */
	ok(srs_forward(&key, "a@b.example", "example.test", -1, out,
	    sizeof(out)), "forward at now = -1");
	is_int(srs_verify(&key, local_of(out), 5 * DAY, back, sizeof(back)),
	    SRS_OK, "verifies 5 days later");
	ok(srs_forward(&key, "a@b.example", "example.test", 1023 * DAY, out,
	    sizeof(out)), "forward on day 1023");
	l = local_of(out);
	is_int(srs_verify(&key, l, 1025 * DAY, back, sizeof(back)),
	    SRS_OK, "verifies on day 1025 (stamp wrapped)");
	is_int(srs_verify(&key, l, 1047 * DAY, back, sizeof(back)),
	    SRS_EEXPIRED, "expired on day 1047");
}

static void
test_forged(void)
{
	char	 out[ADDR_PATH_MAX + 1], back[ADDR_PATH_MAX + 1];
	char	 l[ADDR_PATH_MAX + 1], bad[ADDR_PATH_MAX + 1];
	struct srs other;
	size_t	 i, n;

	ok(srs_forward(&key, "alice@origin.example", "example.test", T0, out,
	    sizeof(out)), "forward");
	(void)snprintf(l, sizeof(l), "%s", local_of(out));
	n = strlen(l);
	/* every change of one character (but the stamp) breaks the hash */
	for (i = 5; i < n; i++) {
		if (l[i] == '=' || l[i] == '.' || i == 10 || i == 11)
			continue;
		(void)snprintf(bad, sizeof(bad), "%s", l);
		bad[i] = bad[i] == 'Z' || bad[i] == 'z' ? 'a' :
		    (char)(bad[i] + 1);
		if (bad[i] == '8')
			bad[i] = '2';
		is_int(srs_verify(&key, bad, T0, back, sizeof(back)),
		    SRS_EHASH, "changed at %zu: %s", i, bad);
	}
	/* a stamp changed to another valid day: the hash covers it too */
	(void)snprintf(bad, sizeof(bad), "%s", l);
	bad[11] = bad[11] == 'A' ? 'B' : 'A';
	is_int(srs_verify(&key, bad, T0, back, sizeof(back)), SRS_EHASH,
	    "changed stamp: %s", bad);
	memset(&other, 0x5a, sizeof(other));
	is_int(srs_verify(&other, l, T0, back, sizeof(back)), SRS_EHASH,
	    "another key refuses it");
	is_int(srs_verify(&key, "SRS0=AAAA=G3=origin.example=alice", T0, back,
	    sizeof(back)), SRS_EHASH, "a guessed hash");
	ok(!srs_reverse(&key, "SRS0=AAAA=G3=origin.example=alice", T0, back,
	    sizeof(back)), "srs_reverse says no too");
	/* a valid hash over an expired stamp reads as expired, not forged */
	ok(srs_forward(&key, "alice@origin.example", "example.test",
	    T0 - 60 * DAY, out, sizeof(out)), "forward 60 days ago");
	is_int(srs_verify(&key, local_of(out), T0, back, sizeof(back)),
	    SRS_EEXPIRED, "expired, not bad hash");
	is_str(srs_strerror(SRS_OK), "ok", "strerror ok");
	is_str(srs_strerror(SRS_EHASH), "bad hash", "strerror bad hash");
	is_str(srs_strerror(SRS_EEXPIRED), "expired", "strerror expired");
	is_str(srs_strerror(SRS_EMALFORMED), "malformed", "strerror malformed");
}

static void
test_malformed(void)
{
	static const char *bad[] = {
		"",
		"alice",
		"SRS0",
		"SRS0=",
		"SRS0=LVEF",
		"SRS0=LVEF=G3",
		"SRS0=LVEF=G3=",
		"SRS0=LVEF=G3=origin.example",
		"SRS0=LVEF=G3=origin.example=",
		"SRS0=LVEF=G3==alice",
		"SRS1=LVEF=G3=origin.example=alice",
		"SRS1=LVEF=fwd.example==ABCD=G3=origin.example=alice",
		"SRS0=LVE=G3=origin.example=alice",
		"SRS0=LVEFF=G3=origin.example=alice",
		"SRS0=LVE1=G3=origin.example=alice",
		"SRS0=LVEF=G=origin.example=alice",
		"SRS0=LVEF=G33=origin.example=alice",
		"SRS0=LVEF=G0=origin.example=alice",
		"SRS0=LVEF+G3=origin.example=alice",
		"SRS0-LVEF=G3=origin.example=alice",
		"SRS0=LVEF=G3=[192.0.2.1]=alice",
		"SRS0=LVEF=G3=origin..example=alice",
		"SRS0=LVEF=G3=.origin.example=alice",
		"SRS0=LVEF=G3=origin.example.=alice",
		"SRS0=LVEF=G3=origin.example=al ice",
		"SRS0=LVEF=G3=origin.example=\"alice\"",
		"SRS0=LVEF=G3=origin.example=alice.",
		"SRS0=LVEF=G3=origin.example=.alice",
		"SRS0=LVEF=G3=origin.example=al..ice",
		"SRS0=LVEF=G3=origin.example=al@ice",
		"SRS0=LVEF=G3=origin.example=al\\ice",
		"SRS0=LVEF=G3=origin.example=al(ice)",
		"SRS0=LVEF=G3=orig!n.example=alice",
		"SRS0=LVEF=G3=origin.example=alice\n",
		/* 65 octets */
		("SRS0=LVEF=G3=origin.example="
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	};
	char	 back[ADDR_PATH_MAX + 1];
	size_t	 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(srs_verify(&key, bad[i], T0, back, sizeof(back)),
		    SRS_EMALFORMED, "malformed: \"%s\"", bad[i]);
	/* a verified address whose sender does not fit in out */
	is_int(srs_verify(&key, "SRS0=LVEF=G3=origin.example=alice", T0, back,
	    20), SRS_EMALFORMED, "no room for the sender");
	is_int(srs_verify(&key, "SRS0=LVEF=G3=origin.example=alice", T0, back,
	    21), SRS_OK, "just room for the sender");
	is_str(back, "alice@origin.example", "which is alice@origin.example");
}

static void
test_not_rewritten(void)
{
	static const struct {
		const char *sender, *fwd, *why;
	} cases[] = {
		{ "", "example.test", "the null sender" },
		{ "alice", "example.test", "no domain" },
		{ "alice@", "example.test", "empty domain" },
		{ "@origin.example", "example.test", "empty local part" },
		{ "\"al ice\"@origin.example", "example.test", "quoted" },
		{ "alice@[192.0.2.1]", "example.test", "address literal" },
		{ "alice@origin.example", "", "no forwarding domain" },
		{ "alice@origin.example", "[192.0.2.1]", "literal forwarder" },
		{ "a..b@origin.example", "example.test", "bad dot-atom" },
		/* 13 + 14 + 1 + 37 = 65 octets */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@origin.example",
		  "example.test", "local part over 64" },
	};
	char	 out[ADDR_PATH_MAX + 1], fwd[ADDR_DOMAIN_MAX + 1];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(!srs_forward(&key, cases[i].sender, cases[i].fwd, T0, out,
		    sizeof(out)), "not rewritten: %s", cases[i].why);
	/* exactly 64 octets is fine */
	ok(srs_forward(&key, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "@origin.example", "example.test", T0, out, sizeof(out)) &&
	    strchr(out, '@') - out == 64, "a local part of 64 octets");
	/* a forwarding domain that makes the path too long */
	memset(fwd, 'a', sizeof(fwd) - 1);
	fwd[sizeof(fwd) - 1] = '\0';
	for (i = 63; i < sizeof(fwd) - 1; i += 64)
		fwd[i] = '.';
	ok(!srs_forward(&key, "alice@origin.example", fwd, T0, out,
	    sizeof(out)), "path over 256 octets");
	ok(!srs_forward(&key, "alice@origin.example", "example.test", T0, out,
	    46), "out too small");
	ok(srs_forward(&key, "alice@origin.example", "example.test", T0, out,
	    47), "out just large enough");
}

/* --- the key file -------------------------------------------------------- */

static bool
key_equal(const struct srs *a, const struct srs *b)
{
	return memcmp(a->key, b->key, sizeof(a->key)) == 0;
}

static void
test_key_file(void)
{
	char	 dir[512], path[600], text[200];
	struct srs a, b, zero;
	struct stat st;
	FILE	*f;
	size_t	 i, n;

	tap_tmpdir(dir, sizeof(dir), "srs");
	tap_pathf(path, sizeof(path), "%s/srs.key", dir);
	memset(&zero, 0, sizeof(zero));

	(void)umask(022);
	ok(srs_load(&a, dir) == 0, "a missing key is created");
	ok(stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & 07777) == 0600, "srs.key has mode 0600 (%o)",
	    (unsigned)(st.st_mode & 07777));
	ok(!key_equal(&a, &zero), "the key is not all zeros");
	if ((f = fopen(path, "r")) == NULL)
		bail_out(path, strerror(errno));
	n = fread(text, 1, sizeof(text) - 1, f);
	(void)fclose(f);
	text[n] = '\0';
	ok(n == 65 && text[64] == '\n' && strspn(text, "0123456789abcdef") ==
	    64, "64 hex digits and a newline");
	{
		char	 want[3];
		bool	 same = true;

		for (i = 0; i < SRS_KEY_LEN; i++) {
			(void)snprintf(want, sizeof(want), "%02x", a.key[i]);
			if (memcmp(text + 2 * i, want, 2) != 0)
				same = false;
		}
		ok(same, "the file holds the key loaded");
	}
	ok(srs_load(&b, dir) == 0 && key_equal(&a, &b),
	    "a second load reuses it");
	{
		char	 d2[512];

		tap_tmpdir(d2, sizeof(d2), "srs2");
		ok(srs_load(&b, d2) == 0 && !key_equal(&a, &b),
		    "another directory gets another key");
		tap_rmtree(d2);
	}
	/* made by root: given to the state directory's owner */
	if (geteuid() == 0) {
		char	 d2[512], p2[600];

		tap_tmpdir(d2, sizeof(d2), "srsown");
		tap_pathf(p2, sizeof(p2), "%s/srs.key", d2);
		if (chown(d2, 65534, 65534) == -1)
			bail_out(d2, strerror(errno));
		ok(srs_load(&b, d2) == 0 && stat(p2, &st) == 0 &&
		    st.st_uid == 65534 && st.st_gid == 65534,
		    "made by root: owned by the directory's owner");
		tap_rmtree(d2);
	} else
		ok(1, "made by root # SKIP not root");
	/* no temporary file is left behind */
	{
		DIR	*d;
		struct dirent *e;
		size_t	 files = 0;

		if ((d = opendir(dir)) == NULL)
			bail_out(dir, strerror(errno));
		while ((e = readdir(d)) != NULL)
			if (strcmp(e->d_name, ".") != 0 &&
			    strcmp(e->d_name, "..") != 0)
				files++;
		(void)closedir(d);
		is_int(files, 1, "only srs.key in the directory");
	}

	/* an existing key, written by hand: upper-case hex, no newline */
	tap_write_file(path, "000102030405060708090A0B0C0D0E0F"
	    "101112131415161718191a1b1c1d1e1f");
	ok(srs_load(&a, dir) == 0, "a key without a newline loads");
	for (i = 0; i < SRS_KEY_LEN; i++)
		b.key[i] = (unsigned char)i;
	ok(key_equal(&a, &b), "and is the key written");

	/* files that are not keys */
	{
		static const char *bad[] = {
			"",
			"00010203",
			"000102030405060708090a0b0c0d0e0f"
			"101112131415161718191a1b1c1d1e1f\n\n",
			"000102030405060708090a0b0c0d0e0f"
			"101112131415161718191a1b1c1d1e1g\n",
			"000102030405060708090a0b0c0d0e0f"
			"101112131415161718191a1b1c1d1e1f0\n",
			" 00102030405060708090a0b0c0d0e0f"
			"101112131415161718191a1b1c1d1e1f\n",
		};

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			tap_write_file(path, bad[i]);
			errno = 0;
			ok(srs_load(&a, dir) == -1 && errno == EINVAL,
			    "not a key (%zu) -> -1 EINVAL", i);
		}
	}

	/* unreadable */
	if (unlink(path) == -1 || mkdir(path, 0700) == -1)
		bail_out(path, strerror(errno));
	ok(srs_load(&a, dir) == -1, "srs.key a directory -> -1 (%s)",
	    strerror(errno));
	if (rmdir(path) == -1 || symlink("/dev/null", path) == -1)
		bail_out(path, strerror(errno));
	ok(srs_load(&a, dir) == -1 && errno == ELOOP,
	    "srs.key a symbolic link -> -1 ELOOP");
	if (unlink(path) == -1)
		bail_out(path, strerror(errno));
	tap_write_file(path, "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n");
	if (chmod(path, 0) == -1)
		bail_out(path, strerror(errno));
	if (geteuid() != 0)
		ok(srs_load(&a, dir) == -1 && errno == EACCES,
		    "srs.key mode 000 -> -1 EACCES");
	else {
		/* root reads anything: try as nobody */
		pid_t	 pid;
		int	 st2 = -1;

		if (chmod(dir, 0755) == -1)
			bail_out(dir, strerror(errno));
		fflush(stdout);
		if ((pid = fork()) == -1)
			bail_out("fork", strerror(errno));
		if (pid == 0) {
			if (setgid(65534) == -1 || setuid(65534) == -1)
				_exit(2);
			_exit(srs_load(&a, dir) == -1 && errno == EACCES ?
			    0 : 1);
		}
		(void)waitpid(pid, &st2, 0);
		ok(WIFEXITED(st2) && WEXITSTATUS(st2) == 0,
		    "srs.key mode 000, read by another user -> -1 EACCES");
	}
	tap_pathf(path, sizeof(path), "%s/missing", dir);
	ok(srs_load(&a, path) == -1 && errno == ENOENT,
	    "no state directory -> -1 ENOENT");
	tap_rmtree(dir);
}

/* Processes that create the key at once all end up with the same one. */
static void
test_key_race(void)
{
	enum { NPROC = 8 };
	char	 dir[512], path[600];
	int	 fds[NPROC][2];
	pid_t	 pids[NPROC];
	struct srs got[NPROC];
	size_t	 i, agree = 0, loaded = 0;

	tap_tmpdir(dir, sizeof(dir), "srsrace");
	fflush(stdout);
	for (i = 0; i < NPROC; i++) {
		if (pipe(fds[i]) == -1 || (pids[i] = fork()) == -1)
			bail_out("fork", strerror(errno));
		if (pids[i] == 0) {
			struct srs s;

			(void)close(fds[i][0]);
			if (srs_load(&s, dir) == 0 &&
			    write(fds[i][1], &s, sizeof(s)) == sizeof(s))
				_exit(0);
			_exit(1);
		}
		(void)close(fds[i][1]);
	}
	for (i = 0; i < NPROC; i++) {
		int	 st;

		if (read(fds[i][0], &got[i], sizeof(got[i])) ==
		    (ssize_t)sizeof(got[i]))
			loaded++;
		(void)close(fds[i][0]);
		(void)waitpid(pids[i], &st, 0);
	}
	for (i = 0; i < NPROC; i++)
		if (i < loaded && key_equal(&got[i], &got[0]))
			agree++;
	is_int(loaded, NPROC, "%d processes loaded a key", NPROC);
	is_int(agree, NPROC, "all the same key");
	tap_pathf(path, sizeof(path), "%s/srs.key", dir);
	{
		struct srs s;

		ok(srs_load(&s, dir) == 0 && key_equal(&s, &got[0]),
		    "the key on disk");
	}
	tap_rmtree(dir);
}

int
main(void)
{
	for (size_t i = 0; i < SRS_KEY_LEN; i++)
		key.key[i] = (unsigned char)i;
	test_known_answer();
	test_round_trip();
	test_case();
	test_expiry();
	test_forged();
	test_malformed();
	test_not_rewritten();
	test_key_file();
	test_key_race();
	return done_testing();
}
