/*
 * history_internal.h - what the history files share and nobody else needs:
 * the queue of alerts waiting for the next tick's transaction, the saved
 * blobs waiting for their series after a start, the encoding of a minute
 * row, and the last error text.
 */
#ifndef SYSOPS_HISTORY_INTERNAL_H
#define SYSOPS_HISTORY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history/history.h"

#define HISTORY_ALERT_QUEUE 128

struct history_queued_alert {
	int64_t time_usec;
	char rule[64];
	char series[64];
	char labels[160];
	char severity[16];
	char summary[512];
	char outcome[160];
	bool firing;
	double value, baseline, threshold, score;
};

void history_queue_enable(bool enabled);
size_t history_queue_pending(void);
const struct history_queued_alert *history_queue_peek(void);
void history_queue_pop(void);
/* A rolled-back transaction: the last (pending_before - pending) pops undone. */
void history_queue_rewind(size_t pending_before);
uint64_t history_queue_dropped(void);

/* The blobs read at start, looked up by name + labels (history_queue.c);
 * history_forget_blobs empties them. */
int history_blob_add(const char *name, const char *labels, const void *blob,
		     size_t length);
/* Sorts what was added, for history_blob_find. */
void history_blobs_ready(void);
/* The blob's length copied into out, -ENOENT, or -EMSGSIZE. */
int history_blob_find(const char *name, const char *labels, void *out,
		      size_t size);

/* ---- one minute of every series in one blob (minute_blob.c) ---- */

struct history_minute_record {
	int64_t series_id;
	double min, avg, max;
	int64_t count;
};

struct history_blob_buffer {
	uint8_t *data;
	size_t length, allocated;
	size_t records;
};

/* The growing part of history_blob_reserve(), out of line: only when
 * the room is short. */
int history_blob_grow(struct history_blob_buffer *buffer, size_t more);
/* Room for more bytes past length (grown by doubling, fourfold past
 * 64 KiB); 0 or -ENOMEM.
 * Inline: a minute's records each ask, and there is nearly always room. */
static inline int history_blob_reserve(struct history_blob_buffer *buffer,
				       size_t more)
{
	if (buffer->allocated - buffer->length >= more)
		return 0;
	return history_blob_grow(buffer, more);
}
/* Appends one series' minute; -ENOMEM, -EINVAL (negative id or count). */
int history_minute_append(struct history_blob_buffer *buffer,
			  const struct history_minute_record *record);
/* The same from its fields: a caller with no record in memory (a minute's
 * close, for every series) builds none on its stack. */
int history_minute_put(struct history_blob_buffer *buffer, int64_t series_id,
		       double min, double avg, double max, int64_t count);
/* The record at *offset, which moves past it: 1, 0 at the end, -EBADMSG. */
int history_minute_next(const uint8_t *data, size_t length, size_t *offset,
			struct history_minute_record *out);

/* ---- STATE_DIR/history.pending, between two imports (pending.c) ---- */

#define HISTORY_PENDING_NAME "history.pending"
/* Payload length (u32 LE), type, the checksum's kind (enum
 * history_pending_check), 2 zero bytes; after the payload the checksum
 * (u32 LE) of header and payload. */
#define HISTORY_PENDING_HEADER 8
#define HISTORY_PENDING_OVERHEAD (HISTORY_PENDING_HEADER + 4)
/* No one record is larger: a longer length is damage, not data. */
#define HISTORY_PENDING_RECORD_MAX (16u << 20)

enum history_pending_type {
	HISTORY_PENDING_SERIES = 1, /* id, name, labels */
	HISTORY_PENDING_MINUTE = 2, /* time, minute_done, count, blob data */
	HISTORY_PENDING_ALERT = 3,  /* one queued alert */
	HISTORY_PENDING_BLOB = 4,   /* time, name, labels, state blob */
	HISTORY_PENDING_FILE = 5,   /* the file's id: its first record */
};

struct history_pending_record {
	uint8_t type;
	const uint8_t *payload;
	size_t length;
};

/* The append side: the file, its size as written, the cap. */
struct history_pending_file {
	int fd;
	int64_t size;
	int64_t cap;
	bool dirty; /* a failed write may have left bytes past size */
};

/*
 * A record's checksum, named by its header's byte 5: CRC-32 (IEEE), what
 * files written before the crc32 instruction was used hold and what is still
 * read, or CRC-32C, what is written now (see pending.c).
 */
enum history_pending_check {
	HISTORY_PENDING_CRC32 = 0,
	HISTORY_PENDING_CRC32C = 1,
};

uint32_t history_pending_crc(uint32_t crc, const void *data, size_t length);
uint32_t history_pending_crc32c(uint32_t crc, const void *data, size_t length);
/* Tests: CRC-32C by table even where the instruction is there (true), or
 * by the instruction again where it is (false). */
void history_pending_crc_software(bool software);
/* Appends one framed record to out; -EINVAL (type 0, too long), -ENOMEM. */
int history_pending_encode(struct history_blob_buffer *out, uint8_t type,
			   const void *payload, size_t length);
/* One piece of a record's payload. */
struct history_pending_part {
	const void *data;
	size_t length;
};
/*
 * history_pending_encode() of the concatenation of count parts, copied
 * once, straight into out (a state blob's record is ~2.7 KB: no scratch
 * copy of it first).
 */
int history_pending_encode_parts(struct history_blob_buffer *out, uint8_t type,
				 const struct history_pending_part *parts,
				 size_t count);
/*
 * The record at *offset, which moves past it: 1; 0 at the end; -ENODATA
 * for a torn tail (a record cut short: a crash mid-append), -EBADMSG for a
 * damaged one. *offset stays at the record that was not read.
 */
int history_pending_next(const uint8_t *data, size_t length, size_t *offset,
			 struct history_pending_record *out);
/*
 * Writes encoded records at the end of the file in one pwrite(2): 0, or
 * -EFBIG past the cap (nothing written), -ENOSPC/-errno (a partial write
 * is cut off before the next).
 */
int history_pending_write(struct history_pending_file *file,
			  const struct history_blob_buffer *records);

/* The newest minute of every series (export --prometheus). */
int history_query_latest(struct history *history, history_series_fn fn,
			 void *context);

#endif
