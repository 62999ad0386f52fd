/*
 * atomic.h — replace a small file all at once.
 *
 * The new contents go to a temporary file beside the old one (O_EXCL),
 * which is fsynced and renamed over it, and the directory is fsynced: a
 * reader sees the old file or the new one, never a mix, and a crash leaves
 * one of the two.
 */
#ifndef TAMBO_ATOMIC_H
#define TAMBO_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Write data to path atomically with the given mode (the old file's mode
 * and group are kept when it exists).  0, or -1 with errno.
 */
int	atomic_write(const char *path, const void *data, size_t len,
	    mode_t mode);

#endif
