/*
 * leaker.c - a test program whose memory grows at a known rate: it maps and
 * touches RATE KiB every 100 ms for GROW seconds, then holds still until
 * TOTAL seconds have passed. test_detect_leak watches its RSS through /proc.
 *
 *   leaker NAME RATE_KIB_PER_SEC GROW_SECS TOTAL_SECS
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) != 0)
		;
}

int main(int argc, char **argv)
{
	long rate_kib, grow_ticks, total_ticks, page = sysconf(_SC_PAGESIZE);

	if (argc != 5) {
		fprintf(stderr, "usage: leaker NAME RATE_KIB_PER_SEC GROW_SECS "
				"TOTAL_SECS\n");
		return 2;
	}
	prctl(PR_SET_NAME, argv[1], 0, 0, 0);
	rate_kib = atol(argv[2]);
	grow_ticks = atol(argv[3]) * 10;
	total_ticks = atol(argv[4]) * 10;
	for (long tick = 0; tick < total_ticks; tick++) {
		if (tick < grow_ticks) {
			size_t size = (size_t)rate_kib * 1024 / 10;
			volatile char *chunk = mmap(NULL, size,
						    PROT_READ | PROT_WRITE,
						    MAP_PRIVATE | MAP_ANONYMOUS,
						    -1, 0);

			if (chunk == MAP_FAILED)
				return 1;
			/* Touch every page so it counts in RSS. */
			for (size_t at = 0; at < size; at += (size_t)page)
				chunk[at] = 1;
		}
		sleep_ms(100);
	}
	return 0;
}
