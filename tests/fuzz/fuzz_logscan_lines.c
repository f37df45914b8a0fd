/*
 * fuzz_logscan_lines.c - libFuzzer target for the line parsers of the log
 * scanner: bytes are split by the line reader (small limit, so cutting is
 * exercised) and each line goes through the syslog and kmsg parsers, whose
 * results must stay inside the line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logscan/line_format.h"
#include "logscan/line_reader.h"

static struct syslog_clock clock_state;

static void check_inside(const char *line, size_t length, const char *p,
			 size_t n)
{
	if (n > 0 && (p < line || p + n > line + length))
		abort();
}

static void on_line(const char *line, size_t length, void *data)
{
	struct syslog_line parsed;
	struct kmsg_record record;
	const char *text;
	size_t text_length;
	int64_t t;

	(void)data;
	if (syslog_parse(line, length, &clock_state, &parsed)) {
		check_inside(line, length, parsed.host, parsed.host_length);
		check_inside(line, length, parsed.body, parsed.body_length);
		if (parsed.tag_length > parsed.body_length)
			abort();
	}
	if (kmsg_parse(line, length, &record)) {
		check_inside(line, length, record.message,
			     record.message_length);
		if (record.priority < 0 || record.priority > 7)
			abort();
	}
	line_subject(line, length, &clock_state, &text, &text_length, &t);
	check_inside(line, length, text, text_length);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct line_reader reader;
	size_t half = size / 2;

	syslog_clock_init(&clock_state, 1795302385);
	if (line_reader_init(&reader, 64) < 0)
		return 0;
	/* Two reads, so lines also span a boundary. */
	line_reader_feed(&reader, (const char *)data, half, on_line, NULL);
	line_reader_feed(&reader, (const char *)data + half, size - half,
			 on_line, NULL);
	line_reader_finish(&reader, on_line, NULL);
	if (reader.consumed != size)
		abort();
	line_reader_free(&reader);
	return 0;
}
