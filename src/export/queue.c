/*
 * queue.c - the remote-write batches waiting for the receiver, in one file of
 * the state directory, oldest first. Every batch goes through it, so an
 * outage, a crash or a restart loses nothing the queue can hold.
 *
 *   header  "SYSRWQ1\n" + u64 offset of the oldest batch (little-endian)
 *   batch   u32 magic "RWB1" + u32 length + i64 tick time (ms) + payload
 *
 * The head offset is rewritten in place (8 bytes) after each delivery; it is
 * not fsync'd: after a crash or power cut a batch the receiver already has
 * may be sent again, which Prometheus accepts (the very same samples) or
 * refuses as out of order, and either way nothing is lost. An empty queue is
 * cut back to its header, so in steady state the file stays one batch long.
 * Dropping the oldest batches for room moves the head; the dead prefix is
 * compacted away once it passes a quarter of the bound.
 */
#include "export/export.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

#define HEADER_MAGIC  "SYSRWQ1\n"
#define HEADER_SIZE   16
#define RECORD_MAGIC  0x31425752U /* "RWB1" */
#define RECORD_HEADER 16
#define RECORD_MAX    (64U << 20)
#define COPY_CHUNK    (64 * 1024)

struct export_queue {
	int dirfd, fd;
	char name[64];
	uint64_t max_bytes;
	uint64_t head, tail; /* file offsets of the oldest batch and the end */
	uint64_t head_sequence; /* names the oldest batch across compactions */
	size_t count;
	int64_t oldest_msec;
	uint64_t dropped;
	uint8_t *buffer;
	size_t buffer_capacity;
};

struct record {
	uint32_t length;
	int64_t time_msec;
};

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The batch header at offset, if it is whole and inside the file's end. */
static bool read_record(const struct export_queue *q, uint64_t offset,
			uint64_t end, struct record *out)
{
	uint8_t header[RECORD_HEADER];

	if (offset + RECORD_HEADER > end ||
	    pread(q->fd, header, sizeof(header), (off_t)offset) !=
		(ssize_t)sizeof(header) ||
	    get_u32(header) != RECORD_MAGIC)
		return false;
	out->length = get_u32(header + 4);
	out->time_msec = (int64_t)get_u64(header + 8);
	return out->length <= RECORD_MAX &&
	       offset + RECORD_HEADER + out->length <= end;
}

static int write_head(struct export_queue *q)
{
	uint8_t head[8];

	put_u64(head, q->head);
	return pwrite(q->fd, head, sizeof(head), 8) == (ssize_t)sizeof(head)
		   ? 0
		   : -errno;
}

/* A fresh, empty file: header only. */
static int reset_file(struct export_queue *q)
{
	uint8_t header[HEADER_SIZE];

	memcpy(header, HEADER_MAGIC, 8);
	put_u64(header + 8, HEADER_SIZE);
	if (ftruncate(q->fd, 0) < 0 ||
	    pwrite(q->fd, header, sizeof(header), 0) != (ssize_t)sizeof(header))
		return -errno;
	q->head = q->tail = HEADER_SIZE;
	q->count = 0;
	q->oldest_msec = 0;
	return 0;
}

static void refresh_oldest(struct export_queue *q)
{
	struct record r;

	q->oldest_msec = q->count > 0 && read_record(q, q->head, q->tail, &r)
			     ? r.time_msec
			     : 0;
}

/* Reads the header and walks the batches to find the valid end. */
static int scan(struct export_queue *q)
{
	uint8_t header[HEADER_SIZE];
	struct stat st;
	struct record r;
	uint64_t offset;

	if (fstat(q->fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < HEADER_SIZE ||
	    pread(q->fd, header, sizeof(header), 0) !=
		(ssize_t)sizeof(header) ||
	    memcmp(header, HEADER_MAGIC, 8) != 0) {
		if (st.st_size > 0)
			log_warning("remote write: %s is not a queue file; "
				    "starting an empty one",
				    q->name);
		return reset_file(q);
	}
	q->head = get_u64(header + 8);
	if (q->head < HEADER_SIZE || q->head > (uint64_t)st.st_size)
		q->head = HEADER_SIZE;
	for (offset = q->head; read_record(q, offset, (uint64_t)st.st_size, &r);
	     offset += RECORD_HEADER + r.length)
		q->count++;
	if (offset < (uint64_t)st.st_size) {
		/* A crash mid-write, or a power cut before the data landed. */
		log_warning("remote write: cut %llu bytes of a torn batch off "
			    "the end of %s",
			    (unsigned long long)((uint64_t)st.st_size - offset),
			    q->name);
		if (ftruncate(q->fd, (off_t)offset) < 0)
			return -errno;
	}
	q->tail = offset;
	if (q->count == 0 && q->tail > HEADER_SIZE)
		return reset_file(q);
	refresh_oldest(q);
	return 0;
}

int export_queue_open(int dirfd, const char *name, uint64_t max_bytes,
		      struct export_queue **out)
{
	struct export_queue *q = calloc(1, sizeof(*q));
	int r;

	if (q == NULL)
		return -ENOMEM;
	q->dirfd = dirfd;
	q->max_bytes = max_bytes;
	string_copy(q->name, name, sizeof(q->name));
	q->fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		       0600);
	if (q->fd < 0) {
		r = -errno;
		free(q);
		return r;
	}
	r = scan(q);
	if (r < 0) {
		export_queue_close(q);
		return r;
	}
	*out = q;
	return 0;
}

void export_queue_close(struct export_queue *q)
{
	if (q == NULL)
		return;
	if (q->fd >= 0) {
		/* What waits must survive the power going too. */
		if (q->count > 0)
			fdatasync(q->fd);
		close(q->fd);
	}
	free(q->buffer);
	free(q);
}

void export_queue_set_max(struct export_queue *q, uint64_t max_bytes)
{
	q->max_bytes = max_bytes;
}

/* Leaves the oldest batch behind (dropped for room, or delivered). */
static void advance(struct export_queue *q)
{
	struct record r;

	if (q->count == 0 || !read_record(q, q->head, q->tail, &r)) {
		/* Cannot happen with a scanned file; start clean. */
		reset_file(q);
		return;
	}
	q->head += RECORD_HEADER + r.length;
	q->head_sequence++;
	q->count--;
}

/* Copies the live batches to a new file over the old one. */
static int compact(struct export_queue *q)
{
	char temporary[sizeof(q->name) + 8];
	uint8_t header[HEADER_SIZE], *chunk = malloc(COPY_CHUNK);
	uint64_t live = q->tail - q->head, copied = 0;
	int fd, r = 0;

	if (chunk == NULL)
		return -ENOMEM;
	snprintf(temporary, sizeof(temporary), ".%s.tmp", q->name);
	fd = openat(q->dirfd, temporary,
		    O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		free(chunk);
		return -errno;
	}
	memcpy(header, HEADER_MAGIC, 8);
	put_u64(header + 8, HEADER_SIZE);
	if (write(fd, header, sizeof(header)) != (ssize_t)sizeof(header))
		r = -errno;
	while (r == 0 && copied < live) {
		size_t n =
		    live - copied < COPY_CHUNK ? live - copied : COPY_CHUNK;
		ssize_t got = pread(q->fd, chunk, n, (off_t)(q->head + copied));

		if (got <= 0 || write(fd, chunk, (size_t)got) != got)
			r = got == 0 ? -EIO : -errno;
		copied += got > 0 ? (uint64_t)got : 0;
	}
	free(chunk);
	if (r == 0 && fdatasync(fd) < 0)
		r = -errno;
	if (r == 0 && renameat(q->dirfd, temporary, q->dirfd, q->name) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		unlinkat(q->dirfd, temporary, 0);
		return r;
	}
	close(q->fd);
	q->fd = fd;
	q->head = HEADER_SIZE;
	q->tail = HEADER_SIZE + live;
	return 0;
}

int export_queue_push(struct export_queue *q, const void *data, size_t length,
		      int64_t time_msec, size_t *dropped)
{
	uint8_t header[RECORD_HEADER];
	struct iovec parts[2] = {
	    {header, sizeof(header)},
	    {(void *)data, length},
	};
	uint64_t size = RECORD_HEADER + (uint64_t)length;
	ssize_t written;

	*dropped = 0;
	if (length > RECORD_MAX || size + HEADER_SIZE > q->max_bytes)
		return -EFBIG;
	while (q->count > 0 &&
	       q->tail - q->head + size + HEADER_SIZE > q->max_bytes) {
		advance(q);
		(*dropped)++;
		q->dropped++;
	}
	if (*dropped > 0) {
		if (q->count == 0)
			reset_file(q);
		else
			write_head(q);
		refresh_oldest(q);
		if (q->head - HEADER_SIZE > q->max_bytes / 4)
			compact(q);
	}
	/* Magic and length, each a little-endian u32, then the time. */
	put_u64(header, (uint64_t)length << 32 | RECORD_MAGIC);
	put_u64(header + 8, (uint64_t)time_msec);
	written = pwritev(q->fd, parts, 2, (off_t)q->tail);
	if (written != (ssize_t)size) {
		int r = written < 0 ? -errno : -ENOSPC;

		/* A torn batch must not stay in front of the next one. */
		if (ftruncate(q->fd, (off_t)q->tail) < 0)
			log_debug("remote write: cannot cut %s back: %m",
				  q->name);
		return r;
	}
	q->tail += size;
	if (q->count++ == 0)
		q->oldest_msec = time_msec;
	return 0;
}

int export_queue_peek(struct export_queue *q, const void **data, size_t *length,
		      uint64_t *position)
{
	struct record r;

	if (q->count == 0)
		return -ENOENT;
	if (!read_record(q, q->head, q->tail, &r))
		return -EIO;
	if (r.length > q->buffer_capacity) {
		uint8_t *grown = realloc(q->buffer, r.length);

		if (grown == NULL)
			return -ENOMEM;
		q->buffer = grown;
		q->buffer_capacity = r.length;
	}
	if (pread(q->fd, q->buffer, r.length,
		  (off_t)(q->head + RECORD_HEADER)) != (ssize_t)r.length)
		return -EIO;
	*data = q->buffer;
	*length = r.length;
	*position = q->head_sequence;
	return 0;
}

int export_queue_done(struct export_queue *q, uint64_t position)
{
	if (q->count == 0 || position != q->head_sequence)
		return 0; /* dropped for room while it was in flight */
	advance(q);
	if (q->count == 0)
		return reset_file(q);
	refresh_oldest(q);
	return write_head(q);
}

void export_queue_stats(const struct export_queue *q,
			struct export_queue_stats *out)
{
	*out = (struct export_queue_stats){
	    .batches = q->count,
	    .bytes = q->tail - q->head,
	    .oldest_msec = q->oldest_msec,
	    .dropped = q->dropped,
	};
}
