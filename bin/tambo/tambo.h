/*
 * tambo.h — the sub-commands of bin/tambo, each in its own file.
 *
 * Every command takes the loaded configuration directory and its own
 * arguments (after the command words) and returns a sysexits(3) code.
 */
#ifndef TAMBO_TAMBO_H
#define TAMBO_TAMBO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int	cmd_alias(const char *dir, int argc, char **argv);
int	cmd_dkim(const char *dir, int argc, char **argv);
int	cmd_dns(const char *dir, int argc, char **argv);
/* Print a TXT record as a zone-file line, the value in strings of at most
 * 255 octets (RFC 1035 3.3), for `dns records` and `dkim keygen`. */
void	dns_print_txt(const char *name, const char *value);
int	cmd_init(const char *dir, int argc, char **argv);
int	cmd_queue(const char *dir, int argc, char **argv);
/*
 * Run the delivery runner once, `deliver -C DIR ARG [-- ID]`, and wait for
 * it; its exit status, or a sysexits code when it could not be run.
 */
int	queue_run_deliver(const char *dir, const char *arg, const char *id);
int	cmd_srs(const char *dir, int argc, char **argv);
int	cmd_status(const char *dir, int argc, char **argv);
/*
 * Each journal entry of tambo's units (by SYSLOG_IDENTIFIER) from
 * since_usec (CLOCK_REALTIME microseconds) on, oldest first, to fn with
 * the identifier, the entry's time and its message.  0, or -1 with errno
 * when the journal cannot be opened or read.
 */
typedef void (*status_journal_fn)(const char *ident, uint64_t usec,
	    const char *message, void *ctx);
int	status_journal_each(uint64_t since_usec, status_journal_fn fn,
	    void *ctx);
/*
 * Open the journal now and keep it for status_journal_each: for a command
 * that gives up root later (test-send), since the system journal is
 * root's to read.  0, or -1 with errno.
 */
int	status_journal_keep(void);
int	cmd_test_send(const char *dir, int argc, char **argv);
int	cmd_user(const char *dir, int argc, char **argv);

/* Print "tambo: message" to stderr. */
void	tambo_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
