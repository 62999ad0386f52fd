/*
 * tlsload.c — open the TLS plugin (see tls.h): the only dlopen in the
 * static library, so a program that never calls tls_load() never maps
 * GnuTLS.
 *
 * The plugin stays loaded for the life of the process (GnuTLS keeps global
 * state; unloading it buys nothing in a short-lived handler).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tls.h"
#include "poison.h"

const struct tls_ops *
tls_load(const char *path, char *err, size_t errsz)
{
	static const struct tls_ops *loaded;
	const struct tls_ops *ops;
	char	 exe[PATH_MAX], so[PATH_MAX];
	const char *slash;
	void	*h;
	ssize_t	 n;
	int	 len;

	if (loaded != NULL)
		return loaded;
	if (path == NULL) {
		/* "/usr/libexec/tambo/smtpd (deleted)" after an upgrade is
		 * fine: only the directory is used */
		if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) ==
		    -1) {
			(void)snprintf(err, errsz, "tls plugin: "
			    "/proc/self/exe: %s", strerror(errno));
			return NULL;
		}
		exe[n] = '\0';
		if ((slash = strrchr(exe, '/')) == NULL) {
			(void)snprintf(err, errsz, "tls plugin: no directory "
			    "in %s", exe);
			return NULL;
		}
		len = snprintf(so, sizeof(so), "%.*s/%s", (int)(slash - exe),
		    exe, TLS_PLUGIN);
		if (len < 0 || (size_t)len >= sizeof(so)) {
			(void)snprintf(err, errsz, "tls plugin: %s",
			    strerror(ENAMETOOLONG));
			return NULL;
		}
		path = so;
	}
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		(void)snprintf(err, errsz, "tls plugin: %s", dlerror());
		return NULL;
	}
	if ((ops = dlsym(h, "tambo_tls_ops")) == NULL) {
		(void)snprintf(err, errsz, "tls plugin: %s: no tambo_tls_ops",
		    path);
		(void)dlclose(h);
		return NULL;
	}
	if (ops->abi != TLS_ABI) {
		(void)snprintf(err, errsz, "tls plugin: %s: ABI %u, want %u "
		    "(program and plugin from different builds)", path,
		    ops->abi, TLS_ABI);
		(void)dlclose(h);
		return NULL;
	}
	ops->set_log(log_error);
	loaded = ops;
	return ops;
}
