/*
 * progpath.h — where tambo's internal programs are: the libexec directory
 * that belongs to the running program.
 *
 * A command in BIN (build/bin/tambo, /usr/bin/tambo) finds them in
 * BIN/../libexec/tambo; a program already in a libexec directory finds
 * its siblings beside it.  The running program is /proc/self/exe, so a
 * build tree and an installed tree each use their own programs, and
 * tlsload.c its own tls.so.
 */
#ifndef TAMBO_PROGPATH_H
#define TAMBO_PROGPATH_H

#include <stddef.h>

/*
 * The path of internal program name ("dkimsign", "deliver") into
 * out[outsz].  Returns 0, or -1 with errno (ENAMETOOLONG, or readlink's).
 * Whether the file exists is for the caller's exec to find out.
 */
int	progpath_libexec(const char *name, char *out, size_t outsz);

#endif
