/*
 * state.c - creates the state directory and writes files in it atomically, so
 * a crash or power loss leaves either the old or the new content of a cursor,
 * never half of one.
 */
#include "core/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

static int make_directories(const char *path)
{
	char partial[PATH_MAX];
	size_t length = string_copy(partial, path, sizeof(partial));

	if (length >= sizeof(partial))
		return -ENAMETOOLONG;
	for (char *p = partial + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(partial, 0750) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(partial, 0750) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int state_dir_open(const char *path)
{
	struct stat st;
	int fd, r;

	r = make_directories(path);
	if (r < 0) {
		log_error_errno(r, "state directory %s: cannot create", path);
		return r;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_error_errno(errno, "state directory %s: cannot open", path);
		return r;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & S_IWOTH))
		log_warning("state directory %s is world-writable (mode %04o)",
			    path, (unsigned)(st.st_mode & 07777));
	return fd;
}

static int write_all(int fd, const void *data, size_t length)
{
	const char *p = data;

	while (length > 0) {
		ssize_t n = write(fd, p, length);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		length -= (size_t)n;
	}
	return 0;
}

int state_write_atomic(int dirfd, const char *name, const void *data,
		       size_t length)
{
	char temporary[NAME_MAX + 1];
	int fd, r;

	if ((size_t)snprintf(temporary, sizeof(temporary), ".%s.tmp", name) >=
	    sizeof(temporary))
		return -ENAMETOOLONG;
	fd = openat(dirfd, temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
				  O_NOFOLLOW, 0640);
	if (fd < 0)
		return -errno;
	r = write_all(fd, data, length);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && renameat(dirfd, temporary, dirfd, name) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dirfd, temporary, 0);
		return r;
	}
	/* The rename itself must survive a crash too. */
	if (fsync(dirfd) < 0)
		return -errno;
	return 0;
}

int state_read(int dirfd, const char *name, size_t max_bytes, char **data,
	       size_t *length)
{
	return read_file_at(dirfd, name, max_bytes, data, length);
}
