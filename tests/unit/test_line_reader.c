/*
 * test_line_reader.c - line splitting (src/logscan/line_reader.c): lines
 * split across reads, overlong lines cut and counted, NUL bytes kept, and
 * the consumed offset a cursor may persist.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "logscan/line_reader.h"

struct lines {
	char text[16][64];
	size_t length[16];
	size_t count;
};

static void on_line(const char *line, size_t length, void *data)
{
	struct lines *lines = data;

	assert_true(lines->count < 16 && length <= 64);
	memcpy(lines->text[lines->count], line, length);
	lines->length[lines->count++] = length;
}

static void test_split_across_reads(void **state)
{
	struct line_reader reader;
	struct lines lines = { .count = 0 };

	(void)state;
	assert_int_equal(line_reader_init(&reader, 32), 0);
	line_reader_feed(&reader, "one\ntw", 6, on_line, &lines);
	assert_int_equal(lines.count, 1);
	assert_int_equal(reader.consumed, 4);
	line_reader_feed(&reader, "o\r\nthr", 6, on_line, &lines);
	assert_int_equal(lines.count, 2);
	assert_memory_equal(lines.text[1], "two", 3);
	assert_int_equal(lines.length[1], 3);
	assert_int_equal(reader.consumed, 9);
	line_reader_finish(&reader, on_line, &lines);
	assert_int_equal(lines.count, 3);
	assert_int_equal(reader.consumed, 12);
	line_reader_free(&reader);
}

static void test_long_lines_are_cut_and_counted(void **state)
{
	struct line_reader reader;
	struct lines lines = { .count = 0 };
	char long_line[100];

	(void)state;
	memset(long_line, 'x', sizeof(long_line));
	long_line[99] = '\n';
	assert_int_equal(line_reader_init(&reader, 16), 0);
	/* In one read... */
	line_reader_feed(&reader, long_line, 100, on_line, &lines);
	/* ...and split over reads, starting mid-buffer. */
	line_reader_feed(&reader, "ab", 2, on_line, &lines);
	line_reader_feed(&reader, long_line, 50, on_line, &lines);
	line_reader_feed(&reader, long_line + 50, 50, on_line, &lines);
	line_reader_feed(&reader, "ok\n", 3, on_line, &lines);
	assert_int_equal(lines.count, 3);
	assert_int_equal(lines.length[0], 16);
	assert_int_equal(lines.length[1], 16);
	assert_memory_equal(lines.text[1], "abxxxxxxxxxxxxxx", 16);
	assert_memory_equal(lines.text[2], "ok", 2);
	assert_int_equal(reader.truncated, 2);
	assert_int_equal(reader.consumed, 100 + 102 + 3);
	line_reader_free(&reader);
}

static void test_binary_bytes_survive(void **state)
{
	struct line_reader reader;
	struct lines lines = { .count = 0 };
	const char data[] = "a\0b\xff\xfe\n";

	(void)state;
	assert_int_equal(line_reader_init(&reader, 16), 0);
	line_reader_feed(&reader, data, sizeof(data) - 1, on_line, &lines);
	assert_int_equal(lines.count, 1);
	assert_int_equal(lines.length[0], 5);
	assert_memory_equal(lines.text[0], "a\0b\xff\xfe", 5);
	line_reader_reset(&reader, 77);
	assert_int_equal(reader.consumed, 77);
	line_reader_free(&reader);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_across_reads),
		cmocka_unit_test(test_long_lines_are_cut_and_counted),
		cmocka_unit_test(test_binary_bytes_survive),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
