/*
 * pending.c - the records of STATE_DIR/history.pending: what the daemon
 * keeps for the history between two sessions of SQLite (new series, minute
 * blobs, alerts, state blobs), appended with one write(2) each, read back
 * at the next import. A record is a header (payload length, type), the
 * payload and a CRC-32 of both: a crash mid-write leaves a torn tail the
 * reader stops at, and a damaged byte is noticed, not imported.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "history/history_internal.h"

/*
 * CRC-32 (IEEE 802.3, reflected): the byte table is read-only data (1 KiB,
 * shared); a nibble table took twice the instructions on the ~7 KiB a
 * minute the daemon appends.
 */
static const uint32_t crc_table[256] = {
    0x00000000, 0x77073096, 0xee0e612c, 0x990951ba, 0x076dc419, 0x706af48f,
    0xe963a535, 0x9e6495a3, 0x0edb8832, 0x79dcb8a4, 0xe0d5e91e, 0x97d2d988,
    0x09b64c2b, 0x7eb17cbd, 0xe7b82d07, 0x90bf1d91, 0x1db71064, 0x6ab020f2,
    0xf3b97148, 0x84be41de, 0x1adad47d, 0x6ddde4eb, 0xf4d4b551, 0x83d385c7,
    0x136c9856, 0x646ba8c0, 0xfd62f97a, 0x8a65c9ec, 0x14015c4f, 0x63066cd9,
    0xfa0f3d63, 0x8d080df5, 0x3b6e20c8, 0x4c69105e, 0xd56041e4, 0xa2677172,
    0x3c03e4d1, 0x4b04d447, 0xd20d85fd, 0xa50ab56b, 0x35b5a8fa, 0x42b2986c,
    0xdbbbc9d6, 0xacbcf940, 0x32d86ce3, 0x45df5c75, 0xdcd60dcf, 0xabd13d59,
    0x26d930ac, 0x51de003a, 0xc8d75180, 0xbfd06116, 0x21b4f4b5, 0x56b3c423,
    0xcfba9599, 0xb8bda50f, 0x2802b89e, 0x5f058808, 0xc60cd9b2, 0xb10be924,
    0x2f6f7c87, 0x58684c11, 0xc1611dab, 0xb6662d3d, 0x76dc4190, 0x01db7106,
    0x98d220bc, 0xefd5102a, 0x71b18589, 0x06b6b51f, 0x9fbfe4a5, 0xe8b8d433,
    0x7807c9a2, 0x0f00f934, 0x9609a88e, 0xe10e9818, 0x7f6a0dbb, 0x086d3d2d,
    0x91646c97, 0xe6635c01, 0x6b6b51f4, 0x1c6c6162, 0x856530d8, 0xf262004e,
    0x6c0695ed, 0x1b01a57b, 0x8208f4c1, 0xf50fc457, 0x65b0d9c6, 0x12b7e950,
    0x8bbeb8ea, 0xfcb9887c, 0x62dd1ddf, 0x15da2d49, 0x8cd37cf3, 0xfbd44c65,
    0x4db26158, 0x3ab551ce, 0xa3bc0074, 0xd4bb30e2, 0x4adfa541, 0x3dd895d7,
    0xa4d1c46d, 0xd3d6f4fb, 0x4369e96a, 0x346ed9fc, 0xad678846, 0xda60b8d0,
    0x44042d73, 0x33031de5, 0xaa0a4c5f, 0xdd0d7cc9, 0x5005713c, 0x270241aa,
    0xbe0b1010, 0xc90c2086, 0x5768b525, 0x206f85b3, 0xb966d409, 0xce61e49f,
    0x5edef90e, 0x29d9c998, 0xb0d09822, 0xc7d7a8b4, 0x59b33d17, 0x2eb40d81,
    0xb7bd5c3b, 0xc0ba6cad, 0xedb88320, 0x9abfb3b6, 0x03b6e20c, 0x74b1d29a,
    0xead54739, 0x9dd277af, 0x04db2615, 0x73dc1683, 0xe3630b12, 0x94643b84,
    0x0d6d6a3e, 0x7a6a5aa8, 0xe40ecf0b, 0x9309ff9d, 0x0a00ae27, 0x7d079eb1,
    0xf00f9344, 0x8708a3d2, 0x1e01f268, 0x6906c2fe, 0xf762575d, 0x806567cb,
    0x196c3671, 0x6e6b06e7, 0xfed41b76, 0x89d32be0, 0x10da7a5a, 0x67dd4acc,
    0xf9b9df6f, 0x8ebeeff9, 0x17b7be43, 0x60b08ed5, 0xd6d6a3e8, 0xa1d1937e,
    0x38d8c2c4, 0x4fdff252, 0xd1bb67f1, 0xa6bc5767, 0x3fb506dd, 0x48b2364b,
    0xd80d2bda, 0xaf0a1b4c, 0x36034af6, 0x41047a60, 0xdf60efc3, 0xa867df55,
    0x316e8eef, 0x4669be79, 0xcb61b38c, 0xbc66831a, 0x256fd2a0, 0x5268e236,
    0xcc0c7795, 0xbb0b4703, 0x220216b9, 0x5505262f, 0xc5ba3bbe, 0xb2bd0b28,
    0x2bb45a92, 0x5cb36a04, 0xc2d7ffa7, 0xb5d0cf31, 0x2cd99e8b, 0x5bdeae1d,
    0x9b64c2b0, 0xec63f226, 0x756aa39c, 0x026d930a, 0x9c0906a9, 0xeb0e363f,
    0x72076785, 0x05005713, 0x95bf4a82, 0xe2b87a14, 0x7bb12bae, 0x0cb61b38,
    0x92d28e9b, 0xe5d5be0d, 0x7cdcefb7, 0x0bdbdf21, 0x86d3d2d4, 0xf1d4e242,
    0x68ddb3f8, 0x1fda836e, 0x81be16cd, 0xf6b9265b, 0x6fb077e1, 0x18b74777,
    0x88085ae6, 0xff0f6a70, 0x66063bca, 0x11010b5c, 0x8f659eff, 0xf862ae69,
    0x616bffd3, 0x166ccf45, 0xa00ae278, 0xd70dd2ee, 0x4e048354, 0x3903b3c2,
    0xa7672661, 0xd06016f7, 0x4969474d, 0x3e6e77db, 0xaed16a4a, 0xd9d65adc,
    0x40df0b66, 0x37d83bf0, 0xa9bcae53, 0xdebb9ec5, 0x47b2cf7f, 0x30b5ffe9,
    0xbdbdf21c, 0xcabac28a, 0x53b39330, 0x24b4a3a6, 0xbad03605, 0xcdd70693,
    0x54de5729, 0x23d967bf, 0xb3667a2e, 0xc4614ab8, 0x5d681b02, 0x2a6f2b94,
    0xb40bbe37, 0xc30c8ea1, 0x5a05df1b, 0x2d02ef8d,
};

/*
 * Eight bytes a step (slicing-by-8): crc_slices[k][i] is the CRC update of
 * byte i followed by k + 1 zero bytes, so one step is eight independent
 * lookups instead of eight dependent ones (~1.5 instructions a byte against
 * ~8). An analyzer state blob is ~2.6 KiB and a save writes one for every
 * watched series: byte by byte that was most of the history's work per
 * extra interface. 7 KiB, filled at the first call (the process is single
 * threaded: the daemon's loop, or a command).
 */
static uint32_t crc_slices[7][256];
static bool crc_slices_ready;

static void crc_slices_fill(void)
{
	for (size_t i = 0; i < 256; i++) {
		uint32_t c = crc_table[i];

		for (size_t k = 0; k < 7; k++) {
			c = (c >> 8) ^ crc_table[c & 0xff];
			crc_slices[k][i] = c;
		}
	}
	crc_slices_ready = true;
}

/* Little-endian whatever the host: the CRC is of the bytes. */
static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

uint32_t history_pending_crc(uint32_t crc, const void *data, size_t length)
{
	const uint8_t *p = data;

	if (!crc_slices_ready)
		crc_slices_fill();
	crc = ~crc;
	for (; length >= 8; length -= 8, p += 8) {
		uint32_t lo = load_le32(p) ^ crc, hi = load_le32(p + 4);

		crc = crc_slices[6][lo & 0xff] ^ crc_slices[5][(lo >> 8) & 0xff] ^
		      crc_slices[4][(lo >> 16) & 0xff] ^ crc_slices[3][lo >> 24] ^
		      crc_slices[2][hi & 0xff] ^ crc_slices[1][(hi >> 8) & 0xff] ^
		      crc_slices[0][(hi >> 16) & 0xff] ^ crc_table[hi >> 24];
	}
	for (; length > 0; length--, p++)
		crc = (crc >> 8) ^ crc_table[(crc ^ *p) & 0xff];
	return ~crc;
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
int history_blob_reserve(struct history_blob_buffer *buffer, size_t more)
{
	size_t want = buffer->length + more;
	uint8_t *data;

	if (want <= buffer->allocated)
		return 0;
	/* Doubling: appends cost O(1) each, amortised. */
	if (want < 2 * buffer->allocated)
		want = 2 * buffer->allocated;
	if (want < 4096)
		want = 4096;
	data = realloc(buffer->data, want);
	if (data == NULL)
		return -ENOMEM;
	buffer->data = data;
	buffer->allocated = want;
	return 0;
}

int history_pending_encode(struct history_blob_buffer *out, uint8_t type,
			   const void *payload, size_t length)
{
	uint8_t *record;
	size_t start = out->length;

	if (type == 0 || length > HISTORY_PENDING_RECORD_MAX)
		return -EINVAL;
	if (history_blob_reserve(out, HISTORY_PENDING_OVERHEAD + length) < 0)
		return -ENOMEM;
	record = out->data + start;
	put_u32(record, (uint32_t)length);
	record[4] = type;
	record[5] = record[6] = record[7] = 0;
	if (length > 0)
		memcpy(record + HISTORY_PENDING_HEADER, payload, length);
	put_u32(
	    record + HISTORY_PENDING_HEADER + length,
	    history_pending_crc(0, record, HISTORY_PENDING_HEADER + length));
	out->length += HISTORY_PENDING_OVERHEAD + length;
	out->records++;
	return 0;
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
	    record[5] != 0 || record[6] != 0 || record[7] != 0)
		return -EBADMSG;
	if (left < HISTORY_PENDING_OVERHEAD + (size_t)size)
		return -ENODATA;
	if (get_u32(record + HISTORY_PENDING_HEADER + size) !=
	    history_pending_crc(0, record, HISTORY_PENDING_HEADER + size))
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
