/*
 * throttle.c — the failed-login policy (time as a parameter) and its
 * records on disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "throttle.h"

int
main(void)
{
	struct throttle_state t = { 0, 0 }, r;
	char	 dir[] = "/tmp/tambo-throttle-XXXXXX", path[512];
	int64_t	 now = 1700000000;
	unsigned i;
	struct stat st;

	ok(throttle_allowed(&t, now, THROTTLE_DENY) && throttle_delay(&t, now, THROTTLE_DELAY_MAX) == 0,
	    "no record: allowed, no delay");
	for (i = 1; i < THROTTLE_FREE; i++) {
		throttle_fail(&t, now);
		is_int(throttle_delay(&t, now, THROTTLE_DELAY_MAX), 0, "failure %u: no delay", i);
	}
	throttle_fail(&t, now);
	is_int(throttle_delay(&t, now, THROTTLE_DELAY_MAX), 1, "failure %u: 1 s", THROTTLE_FREE);
	throttle_fail(&t, now);
	is_int(throttle_delay(&t, now, THROTTLE_DELAY_MAX), 2, "next failure: 2 s");
	while (t.failures < THROTTLE_DENY - 1)
		throttle_fail(&t, now);
	ok(throttle_allowed(&t, now, THROTTLE_DENY), "%u failures: still allowed",
	    t.failures);
	is_int(throttle_delay(&t, now, THROTTLE_DELAY_MAX), THROTTLE_DELAY_MAX, "delay capped");
	throttle_fail(&t, now);
	ok(!throttle_allowed(&t, now + 60, THROTTLE_DENY), "%u failures: refused",
	    t.failures);
	ok(throttle_allowed(&t, now + THROTTLE_WINDOW, THROTTLE_DENY),
	    "allowed again after the window");
	throttle_fail(&t, now + THROTTLE_WINDOW);
	is_int(t.failures, 1, "an old record starts over");
	ok(throttle_allowed(&t, now - 10, THROTTLE_DENY), "a clock going back forgets");
	{
		struct throttle_state u = { 20, now };

		is_int(throttle_delay(&u, now, 0), 0, "max delay 0: none");
		ok(throttle_allowed(&u, now, 50), "a higher deny threshold");
	}

	/* on disk */
	if (mkdtemp(dir) == NULL)
		return 1;
	t.failures = 7;
	t.last = now;
	ok(throttle_store(dir, "192.0.2.1", &t) == 0, "store IPv4 record");
	ok(throttle_load(dir, "192.0.2.1", &r) == 0 && r.failures == 7 &&
	    r.last == now, "load it back");
	(void)snprintf(path, sizeof(path), "%s/auth-throttle/192.0.2.1", dir);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "record file is 0600");
	ok(throttle_load(dir, "192.0.2.2", &r) == 0 && r.failures == 0,
	    "another address has no record");
	ok(throttle_store(dir, "2001:db8:1:2:aaaa::1", &t) == 0 &&
	    throttle_load(dir, "2001:db8:1:2:bbbb::9", &r) == 0 &&
	    r.failures == 7, "IPv6 clients share their /64");
	ok(throttle_load(dir, "2001:db8:1:3::1", &r) == 0 && r.failures == 0,
	    "another /64 does not");
	t.failures = 0;
	ok(throttle_store(dir, "192.0.2.1", &t) == 0 && stat(path, &st) == -1,
	    "a success removes the record");
	ok(throttle_load(dir, "../../etc/passwd", &r) == 0 && r.failures == 0,
	    "a strange client name stays inside the directory");
	(void)snprintf(path, sizeof(path), "%s/auth-throttle/192.0.2.3", dir);
	{
		FILE	*f = fopen(path, "w");

		if (f != NULL) {
			(void)fputs("garbage\n", f);
			(void)fclose(f);
		}
	}
	ok(throttle_load(dir, "192.0.2.3", &r) == 0 && r.failures == 0,
	    "a garbled record reads as none");
	{
		char	 cmd[600];

		(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (strncmp(dir, "/tmp/tambo-throttle-", 20) == 0)
			(void)!system(cmd);
	}
	return done_testing();
}
