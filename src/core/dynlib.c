/*
 * dynlib.c - dlopen() for the length of one task, dlclose() after it, with
 * every function the caller's table names resolved up front (see dynlib.h).
 */
#include "core/dynlib.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>

#include "core/log.h"

int dynlib_open(struct dynlib *lib)
{
	void *handle;

	if (lib->users > 0) {
		lib->users++;
		return 0;
	}
	handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		log_error("cannot load %s (%s): install %s", lib->soname,
			  dlerror(), lib->package);
		return -ELIBACC;
	}
	for (size_t i = 0; i < lib->count; i++) {
		void *symbol = dlsym(handle, lib->symbols[i].name);

		if (symbol == NULL) {
			log_error("%s has no %s: install a newer %s",
				  lib->soname, lib->symbols[i].name,
				  lib->package);
			dlclose(handle);
			return -ENOSYS;
		}
		/* POSIX: a function's address fits a data pointer. */
		memcpy(lib->symbols[i].slot, &symbol, lib->symbols[i].size);
	}
	lib->handle = handle;
	lib->users = 1;
	return 0;
}

void dynlib_close(struct dynlib *lib)
{
	if (lib->users == 0 || --lib->users > 0)
		return;
	dlclose(lib->handle);
	lib->handle = NULL;
}
