/*
 * test_residency.c - giving back one-off pages: a read-only file mapping's
 * resident pages leave the process and come back intact at their next use;
 * a mapping holding private copies (written, then made read-only, as the
 * loader does with relocated data) is left alone, its copies kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <inttypes.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "dir_fixture.h"
#include "core/residency.h"

#define PAGES 16
#define PAGE  4096

/* Rss: of the mapping starting at start, in KiB; -1 when not found. */
static long mapping_rss(const void *start)
{
	FILE *smaps = fopen("/proc/self/smaps", "re");
	char line[512];
	bool in = false;
	long rss = -1;

	assert_non_null(smaps);
	while (fgets(line, sizeof(line), smaps) != NULL) {
		uintptr_t from, to;
		char perms[8];

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s", &from, &to,
			   perms) == 3 &&
		    strlen(perms) == 4 && (perms[3] == 'p' || perms[3] == 's')) {
			in = from == (uintptr_t)start;
			continue;
		}
		if (in && strncmp(line, "Rss:", 4) == 0) {
			rss = strtol(line + 4, NULL, 10);
			break;
		}
	}
	fclose(smaps);
	return rss;
}

/* A file of PAGES pages, page i filled with byte 'a' + i; its descriptor. */
static int pattern_file(const char *name)
{
	char path[128], page[PAGE];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", directory, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	for (int i = 0; i < PAGES; i++) {
		memset(page, 'a' + i, sizeof(page));
		assert_int_equal(write(fd, page, sizeof(page)), PAGE);
	}
	return fd;
}

static void test_clean_pages_given_back_and_refault_intact(void **state)
{
	int fd = pattern_file("clean");
	volatile const char *map;
	long given;

	(void)state;
	map = mmap(NULL, PAGES * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	for (int i = 0; i < PAGES; i++)
		assert_int_equal(map[i * PAGE], 'a' + i);
	assert_int_equal(mapping_rss((const void *)map), PAGES * PAGE / 1024);

	given = residency_trim();
	assert_true(given >= PAGES * PAGE / 1024);
	assert_int_equal(mapping_rss((const void *)map), 0);
	/* Used again: the same bytes, from the page cache. */
	for (int i = 0; i < PAGES; i++)
		assert_int_equal(map[i * PAGE + PAGE - 1], 'a' + i);
	assert_true(mapping_rss((const void *)map) > 0);
	munmap((void *)map, PAGES * PAGE);
	close(fd);
}

static void test_private_copies_kept(void **state)
{
	int fd = pattern_file("copied");
	char *map;

	(void)state;
	map = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd,
		   0);
	assert_true(map != MAP_FAILED);
	/* Written, then read-only: what the loader does to RELRO. */
	for (int i = 0; i < PAGES; i++)
		map[i * PAGE] = 'A' + i;
	assert_int_equal(mprotect(map, PAGES * PAGE, PROT_READ), 0);

	assert_true(residency_trim() >= 0);
	assert_int_equal(mapping_rss(map), PAGES * PAGE / 1024);
	for (int i = 0; i < PAGES; i++) {
		assert_int_equal(map[i * PAGE], 'A' + i);
		assert_int_equal(map[i * PAGE + 1], 'a' + i);
	}
	munmap(map, PAGES * PAGE);
	close(fd);
}

/* This program's own code given back runs on (the test returns). */
static void test_process_runs_on(void **state)
{
	char text[64];

	(void)state;
	assert_true(residency_trim() > 0);
	snprintf(text, sizeof(text), "%d %s", 42, "still here");
	assert_string_equal(text, "42 still here");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_pages_given_back_and_refault_intact),
	    cmocka_unit_test(test_private_copies_kept),
	    cmocka_unit_test(test_process_runs_on),
	};

	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
