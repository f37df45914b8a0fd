/*
 * dynlib.h - a shared library opened with dlopen() for one stretch of work
 * and closed after it, through a table of its functions: libseccomp and
 * libcap-ng are needed only while start-up installs filters and drops
 * capabilities, so the daemon does not keep them mapped for its life.
 */
#ifndef SYSOPS_DYNLIB_H
#define SYSOPS_DYNLIB_H

#include <stddef.h>

/* One function: its name and where its address goes (a function pointer). */
struct dynlib_symbol {
	const char *name;
	void *slot;
	size_t size;
};

#define DYNLIB_SYMBOL(table, field, prefix)                                    \
	{                                                                      \
		prefix #field, &(table).field, sizeof((table).field)           \
	}

struct dynlib {
	const char *soname;  /* "libseccomp.so.2" */
	const char *package; /* what installs it, for the error */
	const struct dynlib_symbol *symbols;
	size_t count;
	void *handle;
	unsigned int users; /* nested opens share one handle */
};

/*
 * Opens the library (RTLD_NOW | RTLD_LOCAL) and fills every slot, or logs
 * which library or function is missing and what installs it. Nested calls
 * only count. Returns 0, or -ELIBACC (no library) / -ENOSYS (no such
 * function in it).
 */
int dynlib_open(struct dynlib *lib);

/* Undoes one dynlib_open(); the last one unmaps the library. */
void dynlib_close(struct dynlib *lib);

#endif
