/*
 * tambo — the operator's command: set-up, users, aliases, the queue, status.
 *
 *   tambo [-C dir] init DOMAIN [--hostname NAME]
 *   tambo [-C dir] user add|del|list|passwd|authenticate ...
 *   tambo [-C dir] dns records|check DOMAIN
 *   tambo [-C dir] queue list|mailq|flush|show ID|delete ID|bounce ID
 *   tambo [-C dir] alias add|del|list ...
 *   tambo [-C dir] test-send [--from ADDRESS] [--wait SECONDS] ADDRESS
 *   tambo [-C dir] status [--since TIME]
 *
 * See tambo(8).  main only finds the configuration directory and hands the
 * rest to the command's file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "conf.h"
#include "log.h"
#include "tambo.h"
#include "poison.h"

void
tambo_err(const char *fmt, ...)
{
	va_list	ap;

	(void)fputs("tambo: ", stderr);
	va_start(ap, fmt);
	(void)vfprintf(stderr, fmt, ap);
	va_end(ap);
	(void)fputc('\n', stderr);
}

static int
usage(void)
{
	(void)fputs("usage: tambo [-C dir] init DOMAIN [--hostname NAME]\n"
	    "       tambo [-C dir] user add|del|passwd|authenticate ADDRESS "
	    "[--password-stdin]\n"
	    "       tambo [-C dir] user list [DOMAIN]\n"
	    "       tambo [-C dir] alias add|del ADDRESS [TARGET...]\n"
	    "       tambo [-C dir] alias list [DOMAIN]\n"
	    "       tambo [-C dir] dkim keygen DOMAIN [--selector S] "
	    "[--type ed25519|rsa] [--bits N]\n"
	    "       tambo [-C dir] dns records|check DOMAIN\n"
	    "       tambo [-C dir] queue list|mailq|flush\n"
	    "       tambo [-C dir] queue show|delete|bounce ID\n"
	    "       tambo [-C dir] test-send [--from ADDRESS] [--wait SECONDS] "
	    "ADDRESS\n"
	    "       tambo [-C dir] status [--since TIME]\n", stderr);
	return EX_USAGE;
}

int
main(int argc, char **argv)
{
	const char *dir = NULL;
	int	 i = 1;

	log_open("tambo");
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc) {
			dir = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			(void)usage();
			return EX_OK;
		} else
			return usage();
	}
	if (i >= argc)
		return usage();
	dir = conf_dir(dir);
	if (strcmp(argv[i], "alias") == 0)
		return cmd_alias(dir, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "dkim") == 0)
		return cmd_dkim(dir, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "dns") == 0)
		return cmd_dns(dir, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "init") == 0)
		return cmd_init(dir, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "queue") == 0)
		return cmd_queue(dir, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "srs") == 0)	/* not in the usage: tambo(8) */
		return cmd_srs(dir, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "status") == 0)
		return cmd_status(dir, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "test-send") == 0)
		return cmd_test_send(dir, argc - i - 1, argv + i + 1);
	if (strcmp(argv[i], "user") == 0)
		return cmd_user(dir, argc - i - 1, argv + i + 1);
	return usage();
}
