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

#include "log.h"
#include "progpath.h"
#include "tls.h"
#include "poison.h"

const struct tls_ops *
tls_load(const char *path, char *err, size_t errsz)
{
	static const struct tls_ops *loaded;
	const struct tls_ops *ops;
	char	 so[PATH_MAX];
	void	*h;

	if (loaded != NULL)
		return loaded;
	if (path == NULL) {
		if (progpath_libexec(TLS_PLUGIN, so, sizeof(so)) == -1) {
			(void)snprintf(err, errsz, "tls plugin: %s",
			    strerror(errno));
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
