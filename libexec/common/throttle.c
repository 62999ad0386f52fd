/*
 * throttle.c — failed-login records per client (see throttle.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "conf.h"
#include "num.h"
#include "throttle.h"
#include "poison.h"

static bool
throttle_expired(const struct throttle_state *t, int64_t now)
{
	return t->failures == 0 || now - t->last >= THROTTLE_WINDOW ||
	    now < t->last;
}

bool
throttle_allowed(const struct throttle_state *t, int64_t now, unsigned deny)
{
	return throttle_expired(t, now) || t->failures < deny;
}

unsigned
throttle_delay(const struct throttle_state *t, int64_t now, unsigned max)
{
	unsigned over, d = 1;

	if (throttle_expired(t, now) || t->failures < THROTTLE_FREE)
		return 0;
	over = t->failures - THROTTLE_FREE;
	while (over-- > 0 && d < max)
		d *= 2;
	return d < max ? d : max;
}

void
throttle_fail(struct throttle_state *t, int64_t now)
{
	if (throttle_expired(t, now))
		t->failures = 0;
	if (t->failures < UINT_MAX)
		t->failures++;
	t->last = now;
}

/* The file for a client: its address (IPv6: the /64) as a safe name. */
static int
throttle_path(const char *statedir, const char *client, char *path)
{
	char	 name[INET6_ADDRSTRLEN + 8];
	struct in6_addr a6;
	size_t	 i;

	if (inet_pton(AF_INET6, client, &a6) == 1) {
		memset(&a6.s6_addr[8], 0, 8);
		if (inet_ntop(AF_INET6, &a6, name, sizeof(name)) == NULL)
			return -1;
	} else
		(void)snprintf(name, sizeof(name), "%s", client);
	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f') ||
		    (name[i] >= 'A' && name[i] <= 'F') || name[i] == '.'))
			name[i] = '_';
	return conf_pathf(path, "%s/auth-throttle/%s", statedir, name);
}

int
throttle_load(const char *statedir, const char *client,
    struct throttle_state *t)
{
	char	 path[PATH_MAX], *text, *sp;
	size_t	 len;
	uint64_t f, last;

	t->failures = 0;
	t->last = 0;
	if (throttle_path(statedir, client, path) == -1)
		return -1;
	if (conf_read_file(path, 256, &text, &len) == -1)
		return errno == ENOENT ? 0 : -1;
	/* "failures last\n"; anything else reads as no record */
	if ((sp = strchr(text, ' ')) != NULL && len > 0 &&
	    text[len - 1] == '\n' &&
	    num_parse(text, (size_t)(sp - text), UINT_MAX, &f) &&
	    num_parse(sp + 1, len - (size_t)(sp + 1 - text) - 1, INT64_MAX,
	    &last)) {
		t->failures = (unsigned)f;
		t->last = (int64_t)last;
	}
	free(text);
	return 0;
}

int
throttle_store(const char *statedir, const char *client,
    const struct throttle_state *t)
{
	char	 path[PATH_MAX], dir[PATH_MAX], line[64];
	int	 n;

	if (throttle_path(statedir, client, path) == -1)
		return -1;
	if (t->failures == 0)
		return unlink(path) == -1 && errno != ENOENT ? -1 : 0;
	if (conf_pathf(dir, "%s/auth-throttle", statedir) == -1 ||
	    (mkdir(dir, 0700) == -1 && errno != EEXIST))
		return -1;
	n = snprintf(line, sizeof(line), "%u %lld\n", t->failures,
	    (long long)t->last);
	return atomic_write(path, line, (size_t)n, 0600);
}
