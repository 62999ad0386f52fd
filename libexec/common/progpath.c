/*
 * progpath.c — the running program's libexec directory (see progpath.h).
 *
 * "/proc/self/exe" may end in " (deleted)" after an upgrade replaced the
 * binary: only its directory is used, which is still right.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "progpath.h"
#include "poison.h"

int
progpath_libexec(const char *name, char *out, size_t outsz)
{
	char	 exe[PATH_MAX];
	const char *slash, *dir;
	ssize_t	 n;
	size_t	 dirlen;
	int	 len;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		return -1;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL) {
		errno = ENOENT;
		return -1;
	}
	dirlen = (size_t)(slash - exe);
	/* the last component of the program's directory */
	for (dir = slash; dir > exe && dir[-1] != '/'; dir--)
		;
	if (dir > exe && (size_t)(slash - dir) == 3 &&
	    memcmp(dir, "bin", 3) == 0)
		len = snprintf(out, outsz, "%.*slibexec/tambo/%s",
		    (int)(dir - exe), exe, name);
	else
		len = snprintf(out, outsz, "%.*s/%s", (int)dirlen, exe, name);
	if (len < 0 || (size_t)len >= outsz) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
