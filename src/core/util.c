/*
 * util.c - the few helpers every module needs and libc lacks: bounded reads of
 * small files, safe string copies, clocks, and an edit distance for "did you
 * mean" suggestions.
 */
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/dir_walk.h"
#include "core/numeric.h"

int read_file_at(int dirfd, const char *path, size_t max_bytes, char **data,
		 size_t *length)
{
	int fd, r;

	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	r = read_fd(fd, max_bytes, data, length);
	close(fd);
	return r;
}

int read_fd(int fd, size_t max_bytes, char **data, size_t *length)
{
	size_t capacity = 4096, used = 0;
	char *buffer;

	buffer = malloc(capacity + 1);
	if (buffer == NULL)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (used == capacity) {
			char *bigger;

			if (capacity >= max_bytes + 1) {
				free(buffer);
				return -EFBIG;
			}
			capacity *= 2;
			bigger = realloc(buffer, capacity + 1);
			if (bigger == NULL) {
				free(buffer);
				return -ENOMEM;
			}
			buffer = bigger;
		}
		n = read(fd, buffer + used, capacity - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			free(buffer);
			return -saved;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max_bytes) {
		free(buffer);
		return -EFBIG;
	}
	buffer[used] = '\0';
	*data = buffer;
	if (length != NULL)
		*length = used;
	return 0;
}

ssize_t read_file_into(int dirfd, const char *path, char *buffer, size_t size)
{
	size_t used = 0;
	int fd;

	if (size == 0)
		return -EINVAL;
	fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (used < size - 1) {
		ssize_t n = read(fd, buffer + used, size - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			close(fd);
			return -saved;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	buffer[used] = '\0';
	return (ssize_t)used;
}

size_t string_copy(char *dst, const char *src, size_t size)
{
	size_t length = strlen(src);

	if (size > 0) {
		size_t n = length < size - 1 ? length : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return length;
}

size_t string_appendf(char *buffer, size_t size, size_t used,
		      const char *format, ...)
{
	va_list args;
	int n;

	if (size == 0 || used >= size - 1)
		return used;
	va_start(args, format);
	n = vsnprintf(buffer + used, size - used, format, args);
	va_end(args);
	if (n < 0)
		return used;
	return used + (size_t)n < size ? used + (size_t)n : size - 1;
}

size_t string_append(char *buffer, size_t size, size_t used, const char *data,
		     size_t length)
{
	if (size == 0 || used >= size - 1)
		return used;
	if (length > size - 1 - used)
		length = size - 1 - used;
	memcpy(buffer + used, data, length);
	buffer[used + length] = '\0';
	return used + length;
}

size_t string_append_u64(char *buffer, size_t size, size_t used, uint64_t value)
{
	char digits[20];
	size_t n = sizeof(digits);

	do {
		digits[--n] = (char)('0' + value % 10);
		value /= 10;
	} while (value > 0);
	return string_append(buffer, size, used, digits + n,
			     sizeof(digits) - n);
}

size_t string_append_str(char *buffer, size_t size, size_t used,
			 const char *text)
{
	return string_append(buffer, size, used, text, strlen(text));
}

bool string_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

void string_trim_end(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
			 s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

int string_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static uint64_t clock_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t now_monotonic_usec(void)
{
	return clock_usec(CLOCK_MONOTONIC);
}

uint64_t now_realtime_usec(void)
{
	return clock_usec(CLOCK_REALTIME);
}

size_t edit_distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[64];

	/* Names are short; anything longer is simply "far". */
	if (lb >= ARRAY_SIZE(row) || la >= 64)
		return limit + 1;
	if ((la > lb ? la - lb : lb - la) > limit)
		return limit + 1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diagonal = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t above = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diagonal + cost;

			if (above + 1 < best)
				best = above + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diagonal = above;
		}
	}
	return row[lb];
}

void *zeroed_pages_alloc(size_t count, size_t size)
{
	void *p;

	if (count == 0 || size > SIZE_MAX / count)
		return NULL;
	p = mmap(NULL, count * size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	/*
	 * With transparent huge pages set to "always" (RHEL's default) one
	 * written byte would make 2 MiB resident; sparse tables want 4 KiB.
	 */
	madvise(p, count * size, MADV_NOHUGEPAGE);
	return p;
}

void zeroed_pages_free(void *pages, size_t count, size_t size)
{
	if (pages != NULL)
		munmap(pages, count * size);
}

/* Before each block: its whole size, 0 for a heap block; 16 bytes keep
 * malloc()'s alignment. */
struct sparse_header {
	size_t mapped;
	size_t pad;
};

void *sparse_alloc(size_t size, void *unused)
{
	struct sparse_header *h;

	(void)unused;
	if (size > SIZE_MAX - sizeof(*h))
		return NULL;
	if (size < SPARSE_ALLOC_MIN) {
		h = malloc(sizeof(*h) + size);
		if (h == NULL)
			return NULL;
		h->mapped = 0;
		return h + 1;
	}
	h = zeroed_pages_alloc(1, sizeof(*h) + size);
	if (h == NULL)
		return NULL;
	h->mapped = sizeof(*h) + size;
	return h + 1;
}

void sparse_free(void *p, void *unused)
{
	struct sparse_header *h;

	(void)unused;
	if (p == NULL)
		return;
	h = (struct sparse_header *)p - 1;
	if (h->mapped == 0)
		free(h);
	else
		zeroed_pages_free(h, 1, h->mapped);
}

void zeroed_pages_release(void *pages, size_t count, size_t size, size_t index,
			  zeroed_pages_unused_fn *unused, const void *context)
{
	static size_t page;
	uintptr_t base = (uintptr_t)pages, at;

	if (page == 0)
		page = (size_t)sysconf(_SC_PAGESIZE);
	if (pages == NULL || size == 0 || index >= count)
		return;
	/* Every page the element touches (the table starts on a page; the
	 * mapping runs to the end of its last page). */
	for (at = (base + index * size) & ~(uintptr_t)(page - 1);
	     at < base + (index + 1) * size; at += page) {
		size_t first = (at - base) / size;
		size_t last = (at + page - 1 - base) / size;
		bool all = true;

		if (last >= count)
			last = count - 1;
		for (size_t i = first; i <= last && all; i++)
			all = unused(context, i);
		if (all)
			madvise((void *)at, page, MADV_DONTNEED);
	}
}

/*
 * Strict: overlong forms, UTF-16 surrogates and values past U+10FFFF are
 * malformed (TOML requires it; Prometheus label values must be valid too).
 */
size_t utf8_sequence_length(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* Code points of a UTF-8 string (continuation bytes not counted). */
size_t utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

bool utf8_truncate(char *s, size_t capacity, size_t max_chars,
		   const char *marker)
{
	size_t marker_chars = utf8_length(marker), marker_bytes = strlen(marker);
	size_t chars = 0, keep;
	char *cut = NULL;

	if (utf8_length(s) <= max_chars)
		return false;
	keep = max_chars > marker_chars ? max_chars - marker_chars : 0;
	for (char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		if (chars == keep) {
			cut = p;
			break;
		}
		chars++;
	}
	if (cut == NULL)
		return false;
	/* Back off to a code point start that leaves room for the marker. */
	while (cut > s && (size_t)(cut - s) + marker_bytes + 1 > capacity)
		do
			cut--;
		while (cut > s && ((unsigned char)*cut & 0xc0) == 0x80);
	if ((size_t)(cut - s) + marker_bytes + 1 <= capacity &&
	    max_chars >= marker_chars)
		memcpy(cut, marker, marker_bytes + 1);
	else
		*cut = '\0';
	return true;
}

/* "45s", "12m", "3h 20m", "2d 5h": the one duration format of every output. */
void format_duration(uint64_t seconds, char *buffer, size_t size)
{
	if (seconds < 60)
		snprintf(buffer, size, "%llus", (unsigned long long)seconds);
	else if (seconds < 3600)
		snprintf(buffer, size, "%llum", (unsigned long long)seconds / 60);
	else if (seconds < 86400 && seconds % 3600 < 60)
		snprintf(buffer, size, "%lluh",
			 (unsigned long long)seconds / 3600);
	else if (seconds < 86400)
		snprintf(buffer, size, "%lluh %llum",
			 (unsigned long long)seconds / 3600,
			 (unsigned long long)seconds % 3600 / 60);
	else if (seconds % 86400 < 3600)
		snprintf(buffer, size, "%llud",
			 (unsigned long long)seconds / 86400);
	else
		snprintf(buffer, size, "%llud %lluh",
			 (unsigned long long)seconds / 86400,
			 (unsigned long long)seconds % 86400 / 3600);
}

bool labels_value(const char *labels, const char *key, char *out, size_t size)
{
	size_t key_length = strlen(key);

	for (const char *p = labels; p != NULL && *p != '\0';) {
		const char *comma = strchr(p, ',');
		size_t length = comma ? (size_t)(comma - p) : strlen(p);

		if (length > key_length && strncmp(p, key, key_length) == 0 &&
		    p[key_length] == '=') {
			size_t n = length - key_length - 1;

			if (n >= size)
				n = size - 1;
			memcpy(out, p + key_length + 1, n);
			out[n] = '\0';
			return true;
		}
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

void format_number(double value, char *buffer, size_t size)
{
	double magnitude = fabs(value);

	/* A baseline learnt from zeros is 8.33e-14, not a number to read. */
	if (magnitude < 1e-9)
		value = magnitude = 0;
	if (!isfinite(value) || magnitude >= 1e9 ||
	    (magnitude > 0 && magnitude < 0.01))
		snprintf(buffer, size, "%.3g", value);
	else if (magnitude >= 99.95 || value == floor(value))
		snprintf(buffer, size, "%.0f", value);
	else if (magnitude >= 9.995)
		snprintf(buffer, size, "%.1f", value);
	else
		snprintf(buffer, size, "%.2f", value);
}

void format_sparkline(const double *values, size_t count, char *buffer, size_t size)
{
	static const char *const bars[] = { "▁", "▂", "▃", "▄",
					    "▅", "▆", "▇", "█" };
	double low = INFINITY, high = -INFINITY;
	size_t used = 0;

	buffer[0] = '\0';
	for (size_t i = 0; i < count; i++)
		if (isfinite(values[i])) {
			low = numeric_min(low, values[i]);
			high = numeric_max(high, values[i]);
		}
	if (!isfinite(low))
		return;
	for (size_t i = 0; i < count && used + 4 < size; i++) {
		const char *bar = " ";

		if (isfinite(values[i])) {
			int level = high > low ? (int)((values[i] - low) /
						       (high - low) * 7.0 + 0.5)
					       : 0;

			bar = bars[level < 0 ? 0 : level > 7 ? 7 : level];
		}
		used += (size_t)snprintf(buffer + used, size - used, "%s", bar);
	}
}

void format_bytes(double bytes, char *buffer, size_t size)
{
	static const char *const units[] = {"B",   "KiB", "MiB",
					    "GiB", "TiB", "PiB"};
	double v = fabs(bytes);
	size_t u = 0;

	/* 1000 KiB reads better as 0.98 MiB: never four digits. */
	while (v >= 999.5 && u + 1 < ARRAY_SIZE(units)) {
		v /= 1024;
		u++;
	}
	if (bytes < 0)
		v = -v;
	if (u == 0)
		snprintf(buffer, size, "%.0f B", v);
	else {
		format_number(v, buffer, size);
		string_appendf(buffer, size, strlen(buffer), " %s", units[u]);
	}
}

void format_rate(double per_sec, const char *unit, char *buffer, size_t size)
{
	/* Counts stay under 1000 per period, bytes under 100 GiB. */
	double limit = unit ? 999.5 : 100.0 * 1024 * 1024 * 1024;
	double amount = per_sec * 3600;
	const char *period = "h";
	size_t used;

	if (fabs(amount) >= limit) {
		amount = per_sec * 60;
		period = "min";
		if (fabs(amount) >= limit) {
			amount = per_sec;
			period = "s";
		}
	}
	if (unit)
		format_number(amount, buffer, size);
	else
		format_bytes(amount, buffer, size);
	used = strlen(buffer);
	string_appendf(buffer, size, used, "%s%s/%s", unit && *unit ? " " : "",
		       unit ? unit : "", period);
}

void format_series_value(const char *series, double value, char *buffer,
			 size_t size)
{
	if (string_ends_with(series, "_bytes")) {
		format_bytes(value, buffer, size);
	} else if (string_ends_with(series, "_bytes_per_sec")) {
		format_bytes(value, buffer, size);
		string_appendf(buffer, size, strlen(buffer), "/s");
	} else {
		format_number(value, buffer, size);
		if (string_ends_with(series, "_percent"))
			string_appendf(buffer, size, strlen(buffer), "%%");
	}
}

void format_time_rfc3339(uint64_t usec, char *buffer, size_t size)
{
	time_t t = (time_t)(usec / USEC_PER_SEC);
	struct tm tm;
	char base[32];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		base[0] = '\0';
	snprintf(buffer, size, "%s.%03lluZ", base,
		 (unsigned long long)(usec % USEC_PER_SEC / 1000));
}

void util_close_from(int first)
{
	_Alignas(struct dirent64) char buffer[1024];
	const struct dirent64 *entry;
	struct dir_walk listing;
	int dir;

#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned)first, ~0U, 0U) == 0)
		return;
#endif
	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0) {
		for (int fd = first; fd < 4096; fd++)
			close(fd);
		return;
	}
	dir_walk_start(&listing, dir, false, buffer, sizeof(buffer));
	while ((entry = dir_walk_next(&listing)) != NULL) {
		int fd = 0;

		for (const char *p = entry->d_name; *p >= '0' && *p <= '9';
		     p++)
			fd = fd * 10 + (*p - '0');
		if (fd >= first && fd != dir)
			close(fd);
	}
	close(dir);
}
