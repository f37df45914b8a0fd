/*
 * dir_walk.h - a directory's entries with getdents64 into the caller's
 * buffer (its stack's, or a scratch buffer it keeps), for the listings a
 * tick or a check repeats: a DIR would hold a 32 KiB heap buffer, for the
 * daemon's life when the descriptor is kept, and costs ~40 instructions an
 * entry more.
 */
#ifndef SYSOPS_DIR_WALK_H
#define SYSOPS_DIR_WALK_H

#include <dirent.h>
#include <stdbool.h>

#include <stddef.h>

struct dir_walk {
	int fd;	   /* -1 once the listing ended (or failed) */
	int error; /* -errno when the listing stopped on one, else 0 */
	long at, end;
	char *buffer; /* aligned for struct dirent64 */
	size_t size;  /* bytes; 4 KiB holds ~100 of /proc's entries */
};

/* From the directory's first entry: a kept descriptor is rewound (rewind
 * true), a freshly opened one is there already. The walk neither owns nor
 * closes fd; buffer (size bytes, aligned as malloc's or _Alignas(struct
 * dirent64)) is the caller's and holds the entries until the next call. */
void dir_walk_start(struct dir_walk *w, int fd, bool rewind, void *buffer,
		    size_t size);

/* The next entry ("." and ".." included), NULL at the end or on an error
 * (then w->error says which). Valid until the next call. */
const struct dirent64 *dir_walk_next(struct dir_walk *w);

#endif
