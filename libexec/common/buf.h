/*
 * buf.h — a growable byte buffer with a hard capacity.
 *
 * Every buffer that a peer can fill has a maximum fixed when it is created,
 * so no client can grow our memory without bound.  Growth is checked for
 * overflow.  The contents are always followed by a NUL byte (not counted in
 * len) so they may be handed to functions that want a C string.
 */
#ifndef TAMBO_BUF_H
#define TAMBO_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;	/* NULL until the first append */
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* hard limit on len */
};

/* Start an empty buffer that may hold at most max bytes. */
void	buf_init(struct buf *, size_t max);

/*
 * Append n bytes.  Returns 0, or -1 with errno ENOMEM (allocation failed)
 * or EMSGSIZE (the buffer would exceed its maximum); on failure the buffer
 * is unchanged.
 */
int	buf_add(struct buf *, const void *, size_t n);
int	buf_addstr(struct buf *, const char *);
int	buf_addc(struct buf *, char);
/* Append printf-style; same errors as buf_add. */
int	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

/* Remove the first n bytes (n <= len). */
void	buf_consume(struct buf *, size_t n);
/* Forget the contents, keep the memory. */
void	buf_reset(struct buf *);
/* Wipe the contents (secrets) and keep the memory. */
void	buf_wipe(struct buf *);
/* Free the memory; the buffer is empty again and may be reused. */
void	buf_free(struct buf *);

#endif
