/*
 * dir_walk.c - getdents64 into the caller's buffer, one entry at a time:
 * one system call a buffer's worth of entries (~100 of /proc's in 4 KiB),
 * no allocation.
 */
#include "core/dir_walk.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

void dir_walk_start(struct dir_walk *w, int fd, bool rewind, void *buffer,
		    size_t size)
{
	w->buffer = buffer;
	w->size = size;
	w->fd = fd;
	w->error = 0;
	w->at = w->end = 0;
	if (rewind && lseek(fd, 0, SEEK_SET) < 0) {
		w->error = -errno;
		w->fd = -1;
	}
}

const struct dirent64 *dir_walk_next(struct dir_walk *w)
{
	const struct dirent64 *entry;

	while (w->at >= w->end) {
		if (w->fd < 0)
			return NULL;
		w->end = syscall(SYS_getdents64, w->fd, w->buffer, w->size);
		w->at = 0;
		if (w->end <= 0) {
			if (w->end < 0)
				w->error = -errno;
			w->end = 0;
			w->fd = -1;
		}
	}
	entry = (const struct dirent64 *)(w->buffer + w->at);
	w->at += entry->d_reclen;
	return entry;
}
