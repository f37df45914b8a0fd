/*
 * test_util.c - bounded file reads, safe copies, the edit distance behind
 * "did you mean", and monotonic clocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/util.h"

static char *write_temporary(const char *text, size_t length)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/sysops-util.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, length), (ssize_t)length);
	close(fd);
	return path;
}

/* Elements of 3000 bytes: a page holds parts of two or three. */
#define RELEASE_COUNT 64
#define RELEASE_SIZE  3000

static bool release_unused(const void *context, size_t i)
{
	const bool *used = context;

	return !used[i];
}

static size_t resident_pages(void *table)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t pages = (RELEASE_COUNT * RELEASE_SIZE + page - 1) / page, n = 0;
	unsigned char *vector = malloc(pages);

	assert_non_null(vector);
	assert_int_equal(mincore(table, pages * page, vector), 0);
	for (size_t i = 0; i < pages; i++)
		n += vector[i] & 1;
	free(vector);
	return n;
}

static void test_zeroed_pages_release_keeps_used_elements(void **state)
{
	unsigned char *table = zeroed_pages_alloc(RELEASE_COUNT, RELEASE_SIZE);
	bool used[RELEASE_COUNT];
	size_t before;

	(void)state;
	assert_non_null(table);
	memset(table, 0xab, RELEASE_COUNT * RELEASE_SIZE);
	for (size_t i = 0; i < RELEASE_COUNT; i++)
		used[i] = true;
	before = resident_pages(table);
	/* Elements 10..49 go, one at a time, as series retire. */
	for (size_t i = 10; i < 50; i++) {
		used[i] = false;
		zeroed_pages_release(table, RELEASE_COUNT, RELEASE_SIZE, i,
				     release_unused, used);
	}
	/* 40 * 3000 bytes: at least 27 whole pages hold nothing in use. */
	assert_true(resident_pages(table) <= before - 27);
	for (size_t i = 0; i < RELEASE_COUNT; i++) {
		const unsigned char *e = table + i * RELEASE_SIZE;

		if (used[i]) /* every byte of what is used survives */
			for (size_t b = 0; b < RELEASE_SIZE; b++)
				assert_int_equal(e[b], 0xab);
	}
	zeroed_pages_free(table, RELEASE_COUNT, RELEASE_SIZE);
}

/* Pages of [p, p + pages * page) that are this process's own (present and
 * exclusively mapped: /proc/self/pagemap bits 63 and 56), not the shared
 * zero page a read of an untouched page maps. */
static size_t own_pages(const void *p, size_t pages)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	for (size_t i = 0; i < pages; i++) {
		uint64_t entry = 0;
		off_t at = (off_t)(((uintptr_t)p / page + i) * sizeof(entry));

		assert_int_equal(pread(fd, &entry, sizeof(entry), at),
				 (ssize_t)sizeof(entry));
		n += (entry >> 63 & 1) && (entry >> 56 & 1);
	}
	close(fd);
	return n;
}

/*
 * Big blocks are pages of their own, zeroed and resident only where
 * written, even where the heap holds a freed, written chunk of the size
 * (start-up's garbage, which malloc would hand out resident whole); small
 * ones come from the heap; both free through sparse_free.
 */
static void test_sparse_alloc_big_blocks_are_untouched_pages(void **state)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), size = 20480;
	unsigned char *garbage = malloc(size), *big, *small;
	volatile unsigned char sum = 0;
	uintptr_t first;

	(void)state;
	assert_non_null(garbage);
	memset(garbage, 0xee, size);
	free(garbage);
	big = sparse_alloc(size, NULL);
	assert_non_null(big);
	for (size_t i = 0; i < size; i++)
		sum |= big[i];
	assert_int_equal(sum, 0);
	memset(big, 0x5a, 100); /* as a match writes its first frame */
	first = (uintptr_t)big & ~(uintptr_t)(page - 1);
	assert_int_equal(own_pages((void *)first, (size + page - 1) / page), 1);
	big[size - 1] = 1; /* the whole size is usable */
	sparse_free(big, NULL);

	small = sparse_alloc(100, NULL);
	assert_non_null(small);
	memset(small, 0x5a, 100);
	sparse_free(small, NULL);
	sparse_free(NULL, NULL);
	assert_null(sparse_alloc(SIZE_MAX - 8, NULL));
}

static void test_read_file_at_whole_and_bounded(void **state)
{
	char big[10000];
	char *path, *data = NULL;
	size_t length = 0;

	(void)state;
	memset(big, 'x', sizeof(big));
	path = write_temporary(big, sizeof(big));
	assert_int_equal(read_file_at(AT_FDCWD, path, sizeof(big), &data,
				      &length), 0);
	assert_int_equal(length, sizeof(big));
	assert_int_equal(data[length], '\0');
	free(data);
	assert_int_equal(read_file_at(AT_FDCWD, path, sizeof(big) - 1, &data,
				      &length), -EFBIG);
	unlink(path);
	assert_int_equal(read_file_at(AT_FDCWD, path, 10, &data, &length),
			 -ENOENT);
}

static void test_read_file_into_truncates_safely(void **state)
{
	char buffer[8];
	char *path = write_temporary("0123456789", 10);

	(void)state;
	assert_int_equal(read_file_into(AT_FDCWD, path, buffer, sizeof(buffer)),
			 7);
	assert_string_equal(buffer, "0123456");
	unlink(path);
}

static void test_string_helpers(void **state)
{
	char small[4], trimmed[] = "secret\r\n \t";

	(void)state;
	assert_int_equal(string_copy(small, "abcdef", sizeof(small)), 6);
	assert_string_equal(small, "abc");
	assert_true(string_ends_with("token_file", "_file"));
	assert_false(string_ends_with("file", "_file"));
	string_trim_end(trimmed);
	assert_string_equal(trimmed, "secret");
}

static void test_string_appendf_stays_bounded(void **state)
{
	char text[12];
	size_t used;

	(void)state;
	used = string_appendf(text, sizeof(text), 0, "%d I/O", 3);
	assert_int_equal(used, 5);
	used = string_appendf(text, sizeof(text), used, " errors on %s", "sda");
	/* Cut to what fits, terminated; further appends change nothing. */
	assert_int_equal(used, sizeof(text) - 1);
	assert_string_equal(text, "3 I/O error");
	assert_int_equal(string_appendf(text, sizeof(text), used, "x"), used);
	assert_string_equal(text, "3 I/O error");
	assert_int_equal(string_appendf(text, 0, 0, "x"), 0);
	/* Bytes of a longer text, the same way. */
	used = string_append(text, sizeof(text), 0, "disk sda1 full", 4);
	assert_string_equal(text, "disk");
	used = string_append(text, sizeof(text), used, " sda1 full", 10);
	assert_int_equal(used, sizeof(text) - 1);
	assert_string_equal(text, "disk sda1 f");
	assert_int_equal(string_append(text, sizeof(text), used, "x", 1), used);
}

/* The digits "%llu" would print, bounded the same way. */
static void test_string_append_u64_is_llu(void **state)
{
	static const uint64_t values[] = {0, 7, 10, 4194304,
					  18446744073709551615ULL};
	char want[32], got[32], small[5];
	size_t used;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(values); i++) {
		sprintf(want, "pid %llu", (unsigned long long)values[i]);
		used = string_append_str(got, sizeof(got), 0, "pid ");
		used = string_append_u64(got, sizeof(got), used, values[i]);
		assert_string_equal(got, want);
		assert_int_equal(used, strlen(want));
	}
	used = string_append_u64(small, sizeof(small), 0, 123456);
	assert_string_equal(small, "1234");
	assert_int_equal(used, 4);
}

static void test_edit_distance(void **state)
{
	(void)state;
	assert_int_equal(edit_distance("kitten", "sitting", 5), 3);
	assert_int_equal(edit_distance("same", "same", 2), 0);
	/* Past the limit the answer is only "far": limit + 1. */
	assert_int_equal(edit_distance("a", "abcdefgh", 2), 3);
}

static void test_clocks_move_forward(void **state)
{
	uint64_t a = now_monotonic_usec(), b = now_monotonic_usec();

	(void)state;
	assert_true(b >= a);
	assert_true(now_realtime_usec() > 1600000000ULL * USEC_PER_SEC);
}

/* Numbers for people: the issue's own examples, each unit boundary. */
static void test_numbers_for_people(void **state)
{
	char out[48];

	(void)state;
	format_number(80.9045, out, sizeof(out));
	assert_string_equal(out, "80.9");
	format_number(95, out, sizeof(out));
	assert_string_equal(out, "95");
	format_number(0.4217, out, sizeof(out));
	assert_string_equal(out, "0.42");
	format_number(740.16, out, sizeof(out));
	assert_string_equal(out, "740");
	format_number(123456, out, sizeof(out));
	assert_string_equal(out, "123456");
	format_number(8.33e-14, out, sizeof(out)); /* a mean of zeros */
	assert_string_equal(out, "0");
	format_number(0.0012, out, sizeof(out));
	assert_string_equal(out, "0.0012");

	format_bytes(2.528e10, out, sizeof(out));
	assert_string_equal(out, "23.5 GiB");
	format_bytes(512.0 * 1024 * 1024, out, sizeof(out));
	assert_string_equal(out, "512 MiB");
	format_bytes(1000 * 1024, out, sizeof(out)); /* never 4 digits */
	assert_string_equal(out, "0.98 MiB");
	format_bytes(999, out, sizeof(out));
	assert_string_equal(out, "999 B");
	format_bytes(-3.5 * 1024, out, sizeof(out));
	assert_string_equal(out, "-3.50 KiB");

	/* 1.44e+04 MiB/h and 7.4e+02 points/h as the issue saw them. */
	format_rate(1.44e4 * 1024 * 1024 / 3600, NULL, out, sizeof(out));
	assert_string_equal(out, "14.1 GiB/h");
	format_rate(740.0 / 3600, "points", out, sizeof(out));
	assert_string_equal(out, "740 points/h");
	format_rate(5000.0 / 3600, "points", out, sizeof(out));
	assert_string_equal(out, "83.3 points/min");
	format_rate(200.0 * 1024 * 1024, NULL, out, sizeof(out));
	assert_string_equal(out, "11.7 GiB/min");
	format_rate(2.0 * 1024 * 1024 * 1024, NULL, out, sizeof(out));
	assert_string_equal(out, "2 GiB/s");
	format_rate(12.0 / 3600, "", out, sizeof(out));
	assert_string_equal(out, "12/h");
}

static void test_sparkline(void **state)
{
	double up[] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	double gap[] = { 1, NAN, 3 };
	double flat[] = { 5, 5, 5 };
	char out[64];

	(void)state;
	format_sparkline(up, 8, out, sizeof(out));
	assert_string_equal(out, "▁▂▃▄▅▆▇█");
	format_sparkline(gap, 3, out, sizeof(out));
	assert_string_equal(out, "▁ █");
	format_sparkline(flat, 3, out, sizeof(out));
	assert_string_equal(out, "▁▁▁");
	format_sparkline(up, 0, out, sizeof(out));
	assert_string_equal(out, "");
	/* A small buffer is never overrun nor left with half a bar. */
	format_sparkline(up, 8, out, 10);
	assert_string_equal(out, "▁▂");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_file_at_whole_and_bounded),
	    cmocka_unit_test(test_read_file_into_truncates_safely),
	    cmocka_unit_test(test_string_helpers),
	    cmocka_unit_test(test_sparkline),
	    cmocka_unit_test(test_string_appendf_stays_bounded),
	    cmocka_unit_test(test_string_append_u64_is_llu),
	    cmocka_unit_test(test_edit_distance),
	    cmocka_unit_test(test_clocks_move_forward),
	    cmocka_unit_test(test_numbers_for_people),
	    cmocka_unit_test(test_zeroed_pages_release_keeps_used_elements),
	    cmocka_unit_test(test_sparse_alloc_big_blocks_are_untouched_pages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
