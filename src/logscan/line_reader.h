/*
 * line_reader.h - splits a byte stream into lines with a fixed buffer:
 * lines longer than the limit are cut (and counted), the rest of such a line
 * is skipped, NUL bytes and invalid UTF-8 pass through untouched. It tracks
 * how many bytes were consumed through the last newline, which is the offset
 * a file cursor may safely persist.
 */
#ifndef SYSOPS_LOGSCAN_LINE_READER_H
#define SYSOPS_LOGSCAN_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*line_callback)(const char *line, size_t length, void *data);

struct line_reader {
	char *buffer;
	size_t size;        /* max_line_bytes */
	size_t used;
	bool skipping;      /* inside the cut-off rest of a long line */
	uint64_t truncated; /* lines cut to size */
	uint64_t consumed;  /* bytes up to and including the last newline */
	uint64_t pending;   /* bytes of the unfinished line, cut part too */
};

int line_reader_init(struct line_reader *reader, size_t max_line_bytes);
void line_reader_free(struct line_reader *reader);

/* A reader over a buffer of size bytes the caller owns (and frees). */
void line_reader_attach(struct line_reader *reader, char *buffer, size_t size);

/* Forgets a partial line (the file was replaced); consumed restarts at 0. */
void line_reader_reset(struct line_reader *reader, uint64_t consumed);

void line_reader_feed(struct line_reader *reader, const char *data,
		      size_t length, line_callback callback, void *user);

/* At the real end of input: hands over a last line without newline. */
void line_reader_finish(struct line_reader *reader, line_callback callback,
			void *user);

#endif
