/*
 * test_state.c - the state directory is created 0750 with its parents, and
 * atomic writes replace a file whole, leaving no temporary behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/state.h"

static void test_state_dir_created_with_parents(void **state)
{
	char base[] = "/tmp/sysops-state.XXXXXX", path[128];
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(base));
	snprintf(path, sizeof(path), "%s/var/lib/sysops-agent", base);
	fd = state_dir_open(path);
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	/* Opening it again is fine. */
	close(fd);
	fd = state_dir_open(path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "rm -rf %s", base);
	assert_int_equal(system(path), 0);
}

static void test_atomic_write_replaces_whole_file(void **state)
{
	char base[] = "/tmp/sysops-state.XXXXXX", command[96];
	char *data = NULL;
	size_t length = 0;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(base));
	fd = state_dir_open(base);
	assert_true(fd >= 0);
	assert_int_equal(state_read(fd, "cursor", 100, &data, &length), -ENOENT);
	assert_int_equal(state_write_atomic(fd, "cursor", "first", 5), 0);
	assert_int_equal(state_write_atomic(fd, "cursor", "second!", 7), 0);
	assert_int_equal(state_read(fd, "cursor", 100, &data, &length), 0);
	assert_int_equal(length, 7);
	assert_string_equal(data, "second!");
	free(data);
	assert_int_equal(fstatat(fd, ".cursor.tmp", &st, 0), -1);
	assert_int_equal(fstatat(fd, "cursor", &st, 0), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	close(fd);
	snprintf(command, sizeof(command), "rm -rf %s", base);
	assert_int_equal(system(command), 0);
}

static void test_impossible_path_is_reported(void **state)
{
	(void)state;
	/* A path through a regular file fails even for root. */
	assert_int_equal(state_dir_open("/etc/hostname/sysops-agent"), -ENOTDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_dir_created_with_parents),
		cmocka_unit_test(test_atomic_write_replaces_whole_file),
		cmocka_unit_test(test_impossible_path_is_reported),
	};

	log_open(LOG_TARGET_PLAIN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
