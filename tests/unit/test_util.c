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
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_file_at_whole_and_bounded),
		cmocka_unit_test(test_read_file_into_truncates_safely),
		cmocka_unit_test(test_string_helpers),
		cmocka_unit_test(test_string_appendf_stays_bounded),
		cmocka_unit_test(test_edit_distance),
		cmocka_unit_test(test_clocks_move_forward),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
