/*
 * util.h - small helpers shared by every module: bounded file reads, string
 * copies that never overflow, and monotonic/real clocks in microseconds.
 */
#ifndef SYSOPS_UTIL_H
#define SYSOPS_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define USEC_PER_SEC 1000000ULL

/*
 * Reads a whole file of at most max_bytes into a NUL-terminated heap buffer.
 * Returns 0, -EFBIG when larger, or -errno. dirfd may be AT_FDCWD.
 */
int read_file_at(int dirfd, const char *path, size_t max_bytes, char **data,
		 size_t *length);

/* The same on an open descriptor, read to its end; the caller closes it. */
int read_fd(int fd, size_t max_bytes, char **data, size_t *length);

/* Reads up to size-1 bytes into a caller's buffer; returns bytes or -errno. */
ssize_t read_file_into(int dirfd, const char *path, char *buffer, size_t size);

/* Copies at most size-1 bytes and always terminates; returns strlen(src). */
size_t string_copy(char *dst, const char *src, size_t size);

bool string_ends_with(const char *s, const char *suffix);

/*
 * Appends printf output at buffer + used, cut to what fits and always
 * terminated; returns the new length (at most size - 1). Builds a bounded
 * text piece by piece: used = string_appendf(buf, size, used, ...).
 */
size_t string_appendf(char *buffer, size_t size, size_t used,
		      const char *format, ...)
	__attribute__((format(printf, 4, 5)));
/* The same for length bytes of data (not NUL-terminated themselves). */
size_t string_append(char *buffer, size_t size, size_t used, const char *data,
		     size_t length);

/*
 * The decimal digits of value, appended like string_append: what "%llu"
 * gives, without printf's machinery (paths and keys built per process and
 * tick cost ~700 instructions each through snprintf, ~60 here).
 */
size_t string_append_u64(char *buffer, size_t size, size_t used,
			 uint64_t value);
/* The same for a NUL-terminated string. */
size_t string_append_str(char *buffer, size_t size, size_t used,
			 const char *text);

/* Removes trailing whitespace (newlines from secret files) in place. */
void string_trim_end(char *s);

/* The value of a hexadecimal digit in either case, or -1. */
int string_hex_digit(int c);

uint64_t now_monotonic_usec(void);
uint64_t now_realtime_usec(void);

/*
 * count * size bytes of zeroed memory reserved at start-up whose pages
 * become resident only when written: tables sized for the worst case (every
 * series, every process, every log group) cost what is actually used.
 * Returns NULL on overflow or failure; free with zeroed_pages_free().
 */
void *zeroed_pages_alloc(size_t count, size_t size);
void zeroed_pages_free(void *pages, size_t count, size_t size);

/*
 * malloc() and free() for a library's big work buffers (PCRE2's match
 * frames: 20 KiB a match data block, of which a match writes the first
 * frames only): from SPARSE_ALLOC_MIN bytes on, zeroed pages of their own
 * (zeroed_pages_alloc), resident as far as written, where a heap chunk of
 * start-up's reused memory is resident whole; smaller ones from the heap.
 * The second argument is the library's unused context pointer.
 */
#define SPARSE_ALLOC_MIN 16384
void *sparse_alloc(size_t size, void *unused);
void sparse_free(void *p, void *unused);

/* Whether element i of a zeroed_pages_alloc() table is unused. */
typedef bool zeroed_pages_unused_fn(const void *context, size_t i);
/*
 * Gives back to the kernel the pages around element index of a table of
 * count elements that hold unused elements only (unused(context, i) for
 * every element on them): they read as zeros again, as if never written,
 * and stop counting as resident. For a table whose unused elements mean
 * nothing (state reset when the element is taken again), so that resident
 * memory follows what is in use now rather than the most ever used.
 */
void zeroed_pages_release(void *pages, size_t count, size_t size, size_t index,
			  zeroed_pages_unused_fn *unused, const void *context);

/* Levenshtein distance, capped at limit+1 so long strings stay cheap. */
size_t edit_distance(const char *a, const char *b, size_t limit);

/* Bytes of the valid UTF-8 sequence at s (n bytes left), or 0. */
size_t utf8_sequence_length(const unsigned char *s, size_t n);
/* Code points in a UTF-8 string. */
size_t utf8_length(const char *s);
/*
 * Cuts s (in a buffer of capacity bytes) to at most max_chars code points,
 * ending with marker when it had to cut (the marker counts); never splits a
 * code point. Returns true if it cut.
 */
bool utf8_truncate(char *s, size_t capacity, size_t max_chars,
		   const char *marker);

/* The value of key in canonical "k=v,k=v" labels; false when absent. */
bool labels_value(const char *labels, const char *key, char *out, size_t size);

/* ▁▂▃▄▅▆▇█ from min to max; a gap (NAN) is a space. Needs 3 bytes per
 * value and one more. */
void format_sparkline(const double *values, size_t count, char *buffer,
		      size_t size);

/* "45s", "12m", "3h 20m", "2d 5h": every duration the agent prints. */
void format_duration(uint64_t seconds, char *buffer, size_t size);
/*
 * Numbers for people, one copy for every output (alert text, history):
 * 3 significant digits and never an exponent below 1e9: "97.9", "0.42",
 * "740", "12345".
 */
void format_number(double value, char *buffer, size_t size);
/* Bytes in binary units, 3 significant digits: "23.5 GiB", "512 MiB". */
void format_bytes(double bytes, char *buffer, size_t size);
/*
 * A rate in unit per s, min or h (unit NULL: bytes, in binary units): the
 * longest period whose number still reads well, so a slow leak reads
 * "+14.1 GiB/h" and a trend "740 points/h", a fast fill "3.20 GiB/min".
 * No sign for positive rates: callers that mean growth print the "+".
 */
void format_rate(double per_sec, const char *unit, char *buffer, size_t size);
/*
 * A value in its series' unit, by the name's suffix: "96%" (_percent),
 * "23.5 GiB" (_bytes), "1.43 MiB/s" (_bytes_per_sec), else a number.
 */
void format_series_value(const char *series, double value, char *buffer,
			 size_t size);
/* "2025-11-22T00:05:00.000Z" */
void format_time_rfc3339(uint64_t usec, char *buffer, size_t size);

/*
 * Closes every descriptor from first up, between fork and exec (only
 * async-signal-safe calls): close_range(2) where the kernel has it, else
 * what /proc/self/fd lists, else the first 4096.
 */
void util_close_from(int first);

#endif
