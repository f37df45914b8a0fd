/*
 * state.h - the state directory: the only place the daemon writes.
 *
 * Modules keep cursors, spools and history here through a directory fd, so a
 * path from a config or a log line can never lead a write elsewhere.
 */
#ifndef SYSOPS_STATE_H
#define SYSOPS_STATE_H

#include <stddef.h>

/* Creates the directory (and missing parents) 0750; returns an fd or -errno. */
int state_dir_open(const char *path);

/* Replaces name with data: temporary file, fsync, rename, fsync directory. */
int state_write_atomic(int dirfd, const char *name, const void *data,
		       size_t length);

/*
 * The same without the fsyncs: readers never see a partial file, but a
 * crash may leave the previous version (statistics, rewritten anyway).
 */
int state_write_replace(int dirfd, const char *name, const void *data,
			size_t length);

/* Reads name whole (at most max_bytes); -ENOENT when it was never written. */
int state_read(int dirfd, const char *name, size_t max_bytes, char **data,
	       size_t *length);

#endif
