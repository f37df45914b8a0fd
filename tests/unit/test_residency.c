/*
 * test_residency.c - giving back one-off pages: a read-only file mapping's
 * resident pages leave the process and come back intact at their next use;
 * a mapping holding private copies (written, then made read-only, as the
 * loader does with relocated data) is left alone, its copies kept; the
 * main thread's stack below the caller goes, the caller's frame stays.
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

/* Rss: of the mapping starting at start, or of the one named name when
 * start is NULL, in KiB; -1 when not found. */
static long rss_of(const void *start, const char *name)
{
	FILE *smaps = fopen("/proc/self/smaps", "re");
	char line[512];
	bool in = false;
	long rss = -1;

	assert_non_null(smaps);
	while (fgets(line, sizeof(line), smaps) != NULL) {
		uintptr_t from, to;
		char perms[8];

		/* A mapping's line: "from-to perms offset dev inode [path]". */
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s", &from, &to,
			   perms) == 3 &&
		    strlen(perms) == 4 &&
		    (perms[3] == 'p' || perms[3] == 's')) {
			in = start != NULL ? from == (uintptr_t)start
					   : strstr(line, name) != NULL;
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

static long mapping_rss(const void *start)
{
	return rss_of(start, NULL);
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

/* Rss: of the [stack] mapping, in KiB. */
static long stack_rss(void)
{
	return rss_of(NULL, "[stack]");
}

/* Touches depth x 16 KiB of stack below the caller; each frame is handed
 * down so that the recursion stays one (a loop would reuse one frame). */
static __attribute__((noinline)) long deep(int depth, volatile char *up)
{
	volatile char frame[16 * 1024];
	long below;

	for (size_t i = 0; i < sizeof(frame); i += 512)
		frame[i] = (char)(depth + 1);
	if (up != NULL)
		up[1] = 1;
	below = depth == 0 ? 0 : deep(depth - 1, frame);
	return below + frame[0] + frame[1];
}

static void test_stack_below_caller_given_back(void **state)
{
	char mine[8192];
	long before, after;

	(void)state;
	memset(mine, 'x', sizeof(mine));
	assert_true(deep(32, NULL) != 0); /* 512 KiB below this frame */
	before = stack_rss();
	assert_true(before >= 512);

	assert_true(residency_trim() >= 0);
	after = stack_rss();
	assert_true(after <= before - 480);
	/* The caller's frame is intact, and the stack grows again. */
	for (size_t i = 0; i < sizeof(mine); i++)
		assert_int_equal(mine[i], 'x');
	assert_true(deep(32, NULL) != 0);
	assert_true(stack_rss() >= 512);
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
	    cmocka_unit_test(test_stack_below_caller_given_back),
	};

	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
