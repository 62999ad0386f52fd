/*
 * queue.c — tambo queue: look at the spool.
 *
 *   queue list    one line per message: ID SIZE <sender> <rcpt>...
 *
 * Messages are listed in arrival order (queue ids sort by time).  A file
 * that cannot be read is reported on stderr and the listing goes on.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "spool.h"
#include "tambo.h"
#include "poison.h"

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
queue_list(struct spool *sp)
{
	DIR	*d;
	struct dirent *e;
	char	**ids = NULL;
	size_t	 n = 0, i;
	int	 rc = EX_OK, fd;

	if ((fd = dup(sp->queuefd)) == -1 || (d = fdopendir(fd)) == NULL) {
		tambo_err("%s/queue: %s", sp->dir, strerror(errno));
		return EX_IOERR;
	}
	while ((e = readdir(d)) != NULL) {
		char	**nids;

		if (!spool_id_valid(e->d_name))
			continue;
		if ((nids = reallocarray(ids, n + 1, sizeof(*ids))) == NULL ||
		    (nids[n] = strdup(e->d_name)) == NULL) {
			tambo_err("out of memory");
			rc = EX_OSERR;
			if (nids != NULL)
				ids = nids;
			break;
		}
		ids = nids;
		n++;
	}
	(void)closedir(d);
	if (n > 1)
		qsort(ids, n, sizeof(*ids), id_cmp);
	for (i = 0; i < n; i++) {
		struct spool_envelope env;
		uint64_t size;

		if (spool_read(sp, ids[i], &env, &size) == -1) {
			if (errno != ENOENT) {	/* delivered meanwhile */
				tambo_err("%s: %s", ids[i], strerror(errno));
				rc = EX_DATAERR;
			}
			continue;
		}
		(void)printf("%s %llu <%s>", env.id, (unsigned long long)size,
		    env.from);
		for (size_t k = 0; k < env.nrcpt; k++)
			(void)printf(" <%s>", env.rcpt[k].addr);
		(void)putchar('\n');
		spool_envelope_free(&env);
	}
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	return rc;
}

int
cmd_queue(const char *dir, int argc, char **argv)
{
	struct conf conf;
	struct spool sp;
	char	 err[512];
	int	 rc;

	if (argc < 1 || strcmp(argv[0], "list") != 0 || argc > 1) {
		tambo_err("usage: queue list");
		return EX_USAGE;
	}
	if (conf_load(dir, &conf, err, sizeof(err)) == -1) {
		tambo_err("%s", err);
		return EX_CONFIG;
	}
	if (spool_open(&sp, conf.spool) == -1) {
		tambo_err("%s: %s", conf.spool, strerror(errno));
		return EX_IOERR;
	}
	rc = queue_list(&sp);
	spool_close(&sp);
	return rc;
}
