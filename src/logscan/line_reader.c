/*
 * line_reader.c - line splitting without copies for the common case: when
 * nothing is buffered, lines are handed out straight from the caller's
 * chunk and only the unfinished tail is kept.
 */
#include "logscan/line_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

int line_reader_init(struct line_reader *reader, size_t max_line_bytes)
{
	memset(reader, 0, sizeof(*reader));
	/* Pages of its own: an unfinished line seldom fills more than the
	 * first, where a heap chunk would be resident whole. */
	reader->buffer = zeroed_pages_alloc(1, max_line_bytes);
	if (reader->buffer == NULL)
		return -ENOMEM;
	reader->size = max_line_bytes;
	return 0;
}

void line_reader_attach(struct line_reader *reader, char *buffer, size_t size)
{
	memset(reader, 0, sizeof(*reader));
	reader->buffer = buffer;
	reader->size = size;
}

void line_reader_free(struct line_reader *reader)
{
	zeroed_pages_free(reader->buffer, 1, reader->size);
	reader->buffer = NULL;
}

void line_reader_reset(struct line_reader *reader, uint64_t consumed)
{
	reader->used = 0;
	reader->pending = 0;
	reader->skipping = false;
	reader->consumed = consumed;
}

static void deliver(const char *line, size_t length, line_callback callback,
		    void *user)
{
	if (length > 0 && line[length - 1] == '\r')
		length--;
	callback(line, length, user);
}

/* Adds bytes of an unfinished line; cuts it at the limit. */
static void keep(struct line_reader *reader, const char *data, size_t length,
		 line_callback callback, void *user)
{
	size_t room = reader->size - reader->used;

	if (reader->skipping)
		return;
	if (length < room) {
		memcpy(reader->buffer + reader->used, data, length);
		reader->used += length;
		return;
	}
	memcpy(reader->buffer + reader->used, data, room);
	reader->used = 0;
	reader->skipping = true;
	reader->truncated++;
	deliver(reader->buffer, reader->size, callback, user);
}

void line_reader_feed(struct line_reader *reader, const char *data,
		      size_t length, line_callback callback, void *user)
{
	const char *end = data + length;

	while (data < end) {
		const char *newline = memchr(data, '\n', (size_t)(end - data));
		size_t part;

		if (newline == NULL) {
			reader->pending += (uint64_t)(end - data);
			keep(reader, data, (size_t)(end - data), callback, user);
			return;
		}
		part = (size_t)(newline - data);
		reader->consumed += reader->pending + part + 1;
		reader->pending = 0;
		if (reader->skipping) {
			reader->skipping = false;
			/* the cut line's tail: counted, not delivered */
		} else if (reader->used == 0) {
			if (part > reader->size) {
				part = reader->size;
				reader->truncated++;
			}
			deliver(data, part, callback, user);
		} else {
			keep(reader, data, part, callback, user);
			if (reader->skipping) {
				reader->skipping = false;
			} else {
				deliver(reader->buffer, reader->used, callback,
					user);
			}
		}
		reader->used = 0;
		data = newline + 1;
	}
}

void line_reader_finish(struct line_reader *reader, line_callback callback,
			void *user)
{
	if (reader->used > 0 && !reader->skipping)
		deliver(reader->buffer, reader->used, callback, user);
	reader->consumed += reader->pending;
	reader->pending = 0;
	reader->used = 0;
	reader->skipping = false;
}
