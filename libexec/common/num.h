/*
 * num.h — the one integer scanner.
 *
 * Decimal digits only: no sign, no spaces, no base prefixes, no empty
 * string, and the value must not exceed max.  Locale-independent.
 */
#ifndef TAMBO_NUM_H
#define TAMBO_NUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse s[0..n) into *out; false when it is not a number <= max. */
bool	num_parse(const char *s, size_t n, uint64_t max, uint64_t *out);
/* The same for a NUL-terminated string. */
bool	num_parse_str(const char *s, uint64_t max, uint64_t *out);

/* The value of one hexadecimal digit (either case), or -1. */
int	num_hexval(int c);

#endif
