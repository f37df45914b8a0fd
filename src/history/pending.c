/*
 * pending.c - the records of STATE_DIR/history.pending: what the daemon
 * keeps for the history between two sessions of SQLite (new series, minute
 * blobs, alerts, state blobs), appended with one write(2) each, read back
 * at the next import. A record is a header (payload length, type, checksum
 * kind), the payload and a CRC-32C (files of older versions: CRC-32) of
 * both: a crash mid-write leaves a torn tail the reader stops at, and a
 * damaged byte is noticed, not imported.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "history/history_internal.h"

/*
 * Eight bytes a step (slicing-by-8): slices[k][i] is the CRC update of byte
 * i followed by k + 1 zero bytes, so one step is eight independent lookups
 * instead of eight dependent ones (~1.5 instructions a byte against ~8).
 * 7 KiB a polynomial, filled at the first call (the process is single
 * threaded: the daemon's loop, or a command).
 */
struct crc_slicer {
	uint32_t table[256]; /* the byte table */
	uint32_t slices[7][256];
	bool ready;
};

static struct crc_slicer crc32_ieee, crc32c_soft;

static void crc_slicer_fill(struct crc_slicer *t, uint32_t poly)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ poly : c >> 1;
		t->table[i] = c;
	}
	for (size_t i = 0; i < 256; i++) {
		uint32_t c = t->table[i];

		for (size_t k = 0; k < 7; k++) {
			c = (c >> 8) ^ t->table[c & 0xff];
			t->slices[k][i] = c;
		}
	}
	t->ready = true;
}

/* Little-endian whatever the host: the CRC is of the bytes. */
static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The register in and out as it is kept (inverted by the callers). */
static uint32_t crc_sliced(const struct crc_slicer *t, uint32_t crc,
			   const uint8_t *p, size_t length)
{
	for (; length >= 8; length -= 8, p += 8) {
		uint32_t lo = load_le32(p) ^ crc, hi = load_le32(p + 4);

		crc = t->slices[6][lo & 0xff] ^ t->slices[5][(lo >> 8) & 0xff] ^
		      t->slices[4][(lo >> 16) & 0xff] ^ t->slices[3][lo >> 24] ^
		      t->slices[2][hi & 0xff] ^ t->slices[1][(hi >> 8) & 0xff] ^
		      t->slices[0][(hi >> 16) & 0xff] ^ t->table[hi >> 24];
	}
	for (; length > 0; length--, p++)
		crc = (crc >> 8) ^ t->table[(crc ^ *p) & 0xff];
	return crc;
}

uint32_t history_pending_crc(uint32_t crc, const void *data, size_t length)
{
	if (!crc32_ieee.ready)
		crc_slicer_fill(&crc32_ieee, 0xedb88320u);
	return ~crc_sliced(&crc32_ieee, ~crc, data, length);
}

/*
 * CRC-32C (Castagnoli, reflected): the x86-64 crc32 instruction (SSE4.2)
 * takes eight bytes in one instruction, ~0.3 instructions a byte against
 * the table's ~1.5. An analyzer state blob is ~2.6 KiB and a save writes
 * one for every watched series: with CRC-32 that checksum was most of the
 * history's work per extra interface. Elsewhere (another architecture, an
 * old CPU, a compiler without the target attribute) the same CRC by table.
 */
#if defined(__x86_64__) && defined(__GNUC__) &&                                \
    (defined(__clang__) || __GNUC__ >= 5)
#include <nmmintrin.h>
#define CRC32C_SSE42 1

__attribute__((target("sse4.2"))) static uint32_t
crc32c_sse42(uint32_t crc, const uint8_t *p, size_t length)
{
	uint64_t c = crc;

	/*
	 * A word at a time, each its own 8-byte load: the crc32 instruction
	 * takes it from memory (a copy of 32 bytes into an array first went
	 * through the stack, 10 instructions for 32 bytes); 64 bytes a turn,
	 * 11 instructions.
	 */
	for (; length >= 64; length -= 64, p += 64) {
#pragma GCC unroll 8
		for (size_t k = 0; k < 64; k += 8) {
			uint64_t v;

			memcpy(&v, p + k, sizeof(v));
			c = _mm_crc32_u64(c, v);
		}
	}
	for (; length >= 8; length -= 8, p += 8) {
		uint64_t v;

		memcpy(&v, p, sizeof(v));
		c = _mm_crc32_u64(c, v);
	}
	crc = (uint32_t)c;
	for (; length > 0; length--, p++)
		crc = _mm_crc32_u8(crc, *p);
	return crc;
}
#endif

/* -1: not asked yet; 0 or 1: whether the crc32 instruction is there. */
static int crc32c_hardware = -1;

uint32_t history_pending_crc32c(uint32_t crc, const void *data, size_t length)
{
#ifdef CRC32C_SSE42
	if (crc32c_hardware < 0)
		crc32c_hardware = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	if (crc32c_hardware)
		return ~crc32c_sse42(~crc, data, length);
#endif
	if (!crc32c_soft.ready)
		crc_slicer_fill(&crc32c_soft, 0x82f63b78u);
	return ~crc_sliced(&crc32c_soft, ~crc, data, length);
}

void history_pending_crc_software(bool software)
{
	crc32c_hardware = software ? 0 : -1;
}

/* The record's checksum, by the kind its header names. */
static uint32_t record_crc(uint8_t check, const uint8_t *record, size_t n)
{
	return check == HISTORY_PENDING_CRC32C
		   ? history_pending_crc32c(0, record, n)
		   : history_pending_crc(0, record, n);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * The one grower of a record buffer (the minute encoder's, this file's, the
 * store's): here, as every build compiles pending.c and minute_blob.c only
 * the SQLite one.
 */
int history_blob_grow(struct history_blob_buffer *buffer, size_t more)
{
	size_t want = buffer->length + more, factor;
	uint8_t *data;

	/* Called only when the room is short (history_blob_reserve). */
	/*
	 * Doubling: appends cost O(1) each, amortised. Past 64 KiB (only a
	 * baseline save's records, ~2.6 KiB a series, grow so large, and the
	 * store lets such a buffer go once written) fourfold: each growth
	 * copies what the buffer holds (realloc's copy; the heap keeps blocks
	 * this size once malloc's mmap threshold has risen past them), and
	 * growing by 4 copies a third of what doubling copies.
	 */
	factor = buffer->allocated >= 64 * 1024 ? 4 : 2;
	if (want < factor * buffer->allocated)
		want = factor * buffer->allocated;
	if (want < 4096)
		want = 4096;
	data = realloc(buffer->data, want);
	if (data == NULL)
		return -ENOMEM;
	buffer->data = data;
	buffer->allocated = want;
	return 0;
}

int history_pending_encode_parts(struct history_blob_buffer *out, uint8_t type,
				 const struct history_pending_part *parts,
				 size_t count)
{
	uint8_t *record;
	size_t start = out->length, length = 0, at;

	for (size_t i = 0; i < count; i++)
		length += parts[i].length;
	if (type == 0 || length > HISTORY_PENDING_RECORD_MAX)
		return -EINVAL;
	if (history_blob_reserve(out, HISTORY_PENDING_OVERHEAD + length) < 0)
		return -ENOMEM;
	record = out->data + start;
	put_u32(record, (uint32_t)length);
	record[4] = type;
	record[5] = HISTORY_PENDING_CRC32C;
	record[6] = record[7] = 0;
	at = HISTORY_PENDING_HEADER;
	for (size_t i = 0; i < count; i++) {
		if (parts[i].length > 0)
			memcpy(record + at, parts[i].data, parts[i].length);
		at += parts[i].length;
	}
	put_u32(record + at, record_crc(HISTORY_PENDING_CRC32C, record, at));
	out->length += HISTORY_PENDING_OVERHEAD + length;
	out->records++;
	return 0;
}

int history_pending_encode(struct history_blob_buffer *out, uint8_t type,
			   const void *payload, size_t length)
{
	struct history_pending_part part = {payload, length};

	return history_pending_encode_parts(out, type, &part, 1);
}

int history_pending_next(const uint8_t *data, size_t length, size_t *offset,
			 struct history_pending_record *out)
{
	const uint8_t *record = data + *offset;
	size_t left = length - *offset;
	uint32_t size;

	if (left == 0)
		return 0;
	if (left < HISTORY_PENDING_OVERHEAD)
		return -ENODATA;
	size = get_u32(record);
	if (size > HISTORY_PENDING_RECORD_MAX || record[4] == 0 ||
	    record[5] > HISTORY_PENDING_CRC32C || record[6] != 0 ||
	    record[7] != 0)
		return -EBADMSG;
	if (left < HISTORY_PENDING_OVERHEAD + (size_t)size)
		return -ENODATA;
	if (get_u32(record + HISTORY_PENDING_HEADER + size) !=
	    record_crc(record[5], record, HISTORY_PENDING_HEADER + size))
		return -EBADMSG;
	out->type = record[4];
	out->payload = record + HISTORY_PENDING_HEADER;
	out->length = size;
	*offset += HISTORY_PENDING_OVERHEAD + size;
	return 1;
}

int history_pending_write(struct history_pending_file *file,
			  const struct history_blob_buffer *records)
{
	ssize_t n;

	if (file->fd < 0)
		return -EBADF;
	/* A failed write may have left part of a record: cut it off before
	 * the next, or it would hide every record after it. */
	if (file->dirty) {
		if (ftruncate(file->fd, file->size) < 0)
			return -errno;
		file->dirty = false;
	}
	if (file->size + (int64_t)records->length > file->cap)
		return -EFBIG;
	n = pwrite(file->fd, records->data, records->length, file->size);
	if (n == (ssize_t)records->length) {
		file->size += n;
		return 0;
	}
	file->dirty = true;
	if (n >= 0)
		return -ENOSPC;
	return -errno;
}
