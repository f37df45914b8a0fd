/*
 * minute_blob.c - the encoding of one minute of every series in one blob
 * (table minute_blob): per series its id, which of min/max differ from avg,
 * its sample count and the values, so a minute is one row to write.
 */
#include "history/history.h"

#if WITH_SQLITE

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "history/history_internal.h"

#define HAS_MIN 1u
#define HAS_MAX 2u
/* id and count as LEB128 varints: at most 10 bytes each */
#define RECORD_MAX (1 + 10 + 10 + 3 * 8)

static size_t put_varint(uint8_t *out, uint64_t value)
{
	size_t n = 0;

	/* A count, a series id below 16384: one or two bytes, no loop. */
	if (value < 0x80) {
		out[0] = (uint8_t)value;
		return 1;
	}
	if (value < 0x4000) {
		out[0] = (uint8_t)(value | 0x80);
		out[1] = (uint8_t)(value >> 7);
		return 2;
	}

	do {
		uint8_t byte = value & 0x7f;

		value >>= 7;
		out[n++] = (uint8_t)(byte | (value ? 0x80 : 0));
	} while (value);
	return n;
}

/* Little-endian whatever the host: a state dir may move between them. */
static size_t put_double(uint8_t *out, double value)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* The host's bytes are the file's: one store, not eight. */
	memcpy(out, &value, 8);
#else
	uint64_t bits;

	memcpy(&bits, &value, sizeof(bits));
	for (size_t i = 0; i < 8; i++)
		out[i] = (uint8_t)(bits >> (8 * i));
#endif
	return 8;
}

int history_minute_put(struct history_blob_buffer *buffer, int64_t series_id,
		       double min, double avg, double max, int64_t count)
{
	uint8_t *p;
	unsigned flags = 0;

	if (series_id < 0 || count < 0)
		return -EINVAL;
	if (history_blob_reserve(buffer, RECORD_MAX) < 0)
		return -ENOMEM;
	p = buffer->data + buffer->length;
	/* Steady series (min = max = avg) store one value, not three. */
	if (min != avg)
		flags |= HAS_MIN;
	if (max != avg)
		flags |= HAS_MAX;
	p += put_varint(p, (uint64_t)series_id);
	*p++ = (uint8_t)flags;
	p += put_varint(p, (uint64_t)count);
	p += put_double(p, avg);
	if (flags & HAS_MIN)
		p += put_double(p, min);
	if (flags & HAS_MAX)
		p += put_double(p, max);
	buffer->length = (size_t)(p - buffer->data);
	buffer->records++;
	return 0;
}

int history_minute_append(struct history_blob_buffer *buffer,
			  const struct history_minute_record *record)
{
	return history_minute_put(buffer, record->series_id, record->min,
				  record->avg, record->max, record->count);
}

static bool get_varint(const uint8_t *data, size_t length, size_t *offset,
		       uint64_t *out)
{
	uint64_t value = 0;

	for (unsigned shift = 0; shift < 64 && *offset < length; shift += 7) {
		uint8_t byte = data[(*offset)++];

		value |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*out = value;
			return true;
		}
	}
	return false;
}

static bool get_double(const uint8_t *data, size_t length, size_t *offset,
		       double *out)
{
	uint64_t bits = 0;

	if (length - *offset < 8)
		return false;
	for (size_t i = 0; i < 8; i++)
		bits |= (uint64_t)data[*offset + i] << (8 * i);
	memcpy(out, &bits, sizeof(*out));
	*offset += 8;
	return true;
}

int history_minute_next(const uint8_t *data, size_t length, size_t *offset,
			struct history_minute_record *out)
{
	uint64_t id, count;
	unsigned flags;

	if (*offset >= length)
		return 0;
	if (!get_varint(data, length, offset, &id) || *offset >= length)
		return -EBADMSG;
	flags = data[(*offset)++];
	if (flags & ~(HAS_MIN | HAS_MAX) || id > INT64_MAX ||
	    !get_varint(data, length, offset, &count) || count > INT64_MAX ||
	    !get_double(data, length, offset, &out->avg))
		return -EBADMSG;
	out->series_id = (int64_t)id;
	out->count = (int64_t)count;
	out->min = out->max = out->avg;
	if (flags & HAS_MIN && !get_double(data, length, offset, &out->min))
		return -EBADMSG;
	if (flags & HAS_MAX && !get_double(data, length, offset, &out->max))
		return -EBADMSG;
	return 1;
}

#endif /* WITH_SQLITE */
