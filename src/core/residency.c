/*
 * residency.c - drops the start-up working set of code and read-only data
 * from the page tables (see residency.h). Only what the kernel could take
 * back itself under memory pressure is given up: clean file pages.
 */
#include "core/residency.h"

#include <errno.h>
#include <inttypes.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct mapping {
	uintptr_t start, end;
	bool eligible;     /* read-only, not writable, of a file */
	long resident_kib; /* Rss: */
	long private_kib;  /* Anonymous: a private copy of some page */
};

/*
 * MADV_DONTNEED on a private file mapping drops the process's copies of
 * written pages too, so a mapping is trimmed only when smaps says it holds
 * none (Anonymous: 0): the relocated read-only data (RELRO) of a library is
 * such a copy and is never touched; code and constants are clean.
 */
static long mapping_trim(const struct mapping *m)
{
	if (!m->eligible || m->private_kib != 0 || m->resident_kib == 0)
		return 0;
	if (madvise((void *)m->start, m->end - m->start, MADV_DONTNEED) < 0)
		return 0;
	return m->resident_kib;
}

/*
 * The main thread's stack below the caller's frame: start-up went deeper
 * (option and configuration parsing, rule compilation, the history
 * session) than a tick does, and the stack never shrinks by itself. What
 * lies below the stack pointer is dead; a page used again comes back
 * zeroed at its next use. Two pages under the caller's are kept for the
 * frames of madvise() itself. Only on the main thread: another thread's
 * caller is not on [stack], whose pages the main thread is using.
 */
static void stack_trim(uintptr_t start, uintptr_t end)
{
	const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	volatile char here = 0;
	uintptr_t at = (uintptr_t)&here, below;

	if (at < start || at >= end)
		return;
	below = (at & ~(page - 1)) - 2 * page;
	if (below > start)
		madvise((void *)start, below - start, MADV_DONTNEED);
}

long residency_trim(void)
{
	FILE *smaps = fopen("/proc/self/smaps", "re");
	struct mapping m = {0};
	uintptr_t stack_start = 0, stack_end = 0;
	char *line = NULL;
	size_t size = 0;
	long given = 0;
	bool have = false;

	if (smaps == NULL)
		return -errno;
	/*
	 * Each mapping is trimmed once its block is read whole (its
	 * Anonymous: line comes after Rss:). madvise() changes no mapping,
	 * so the file read on is the same list.
	 */
	while (getline(&line, &size, smaps) >= 0) {
		uintptr_t start, end;
		char perms[8];
		unsigned long long offset;
		unsigned dev_major, dev_minor;
		unsigned long inode;
		int path_at = 0;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %llx %x:%x %lu %n",
			   &start, &end, perms, &offset, &dev_major, &dev_minor,
			   &inode, &path_at) >= 7) {
			if (have)
				given += mapping_trim(&m);
			m = (struct mapping){.start = start, .end = end};
			m.eligible = inode != 0 && perms[0] == 'r' &&
				     perms[1] == '-' && perms[3] == 'p' &&
				     path_at > 0 && line[path_at] == '/';
			have = true;
			if (path_at > 0 &&
			    strncmp(line + path_at, "[stack]", 7) == 0) {
				stack_start = start;
				stack_end = end;
			}
		} else if (strncmp(line, "Rss:", 4) == 0) {
			m.resident_kib = strtol(line + 4, NULL, 10);
		} else if (strncmp(line, "Anonymous:", 10) == 0) {
			m.private_kib = strtol(line + 10, NULL, 10);
		}
	}
	if (have)
		given += mapping_trim(&m);
	free(line);
	fclose(smaps);
	stack_trim(stack_start, stack_end);
	/* And the heap's free pages: start-up's temporaries (the parsed
	 * configuration's tree, rule compilation, a session's buffers) leave
	 * holes below what stays allocated, which free() does not return. */
	residency_trim_heap();
	return given;
}

void residency_trim_heap(void)
{
#ifdef __GLIBC__
	malloc_trim(0);
#endif
}
