/*
 * residency.h - gives back the pages of code and read-only data that only
 * start-up (or another one-off: an hourly import) touched, so that the
 * daemon's resident set is what its ticks use, not what it once ran.
 */
#ifndef SYSOPS_RESIDENCY_H
#define SYSOPS_RESIDENCY_H

#include <stddef.h>

/*
 * Unmaps from this process every resident page of its read-only file
 * mappings (the program's and its libraries' code and constants) that
 * holds no private copy; a page used again comes back at its next use, a
 * minor fault (it is still in the page cache, shared); the main thread's
 * stack below the caller's frame (when called on the main thread); and the
 * heap's free pages (malloc_trim). Returns the KiB of file pages
 * given back (>= 0) or -errno. Costs one read of /proc/self/smaps and a
 * madvise() a mapping: a few hundred microseconds, for the daemon once
 * after its first tick and once after each history import.
 */
long residency_trim(void);

/*
 * The heap's free pages alone (malloc_trim), without the file mappings:
 * cheap (a walk of the free lists, a madvise() per free run of whole
 * pages), for the daemon once a minute after periodic work.
 */
void residency_trim_heap(void);

#endif
