/*
 * tambo.h — the sub-commands of bin/tambo, each in its own file.
 *
 * Every command takes the loaded configuration directory and its own
 * arguments (after the command words) and returns a sysexits(3) code.
 */
#ifndef TAMBO_TAMBO_H
#define TAMBO_TAMBO_H

int	cmd_dkim(const char *dir, int argc, char **argv);
int	cmd_dns(const char *dir, int argc, char **argv);
/* Print a TXT record as a zone-file line, the value in strings of at most
 * 255 octets (RFC 1035 3.3), for `dns records` and `dkim keygen`. */
void	dns_print_txt(const char *name, const char *value);
int	cmd_init(const char *dir, int argc, char **argv);
int	cmd_queue(const char *dir, int argc, char **argv);
int	cmd_srs(const char *dir, int argc, char **argv);
int	cmd_user(const char *dir, int argc, char **argv);

/* Print "tambo: message" to stderr. */
void	tambo_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
