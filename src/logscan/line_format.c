/*
 * line_format.c - parsers for syslog lines and kmsg records. They run on
 * every line read, so they are written as single forward scans over bytes
 * that may be anything (NUL, invalid UTF-8, truncated lines).
 */
#include "logscan/line_format.h"

#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char month_names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Reads exactly `width` digits; returns false on anything else. */
static bool read_number(const char *p, size_t width, int *out)
{
	int value = 0;

	for (size_t i = 0; i < width; i++) {
		if (!is_digit(p[i]))
			return false;
		value = value * 10 + (p[i] - '0');
	}
	*out = value;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12). */
static int64_t days_from_civil(int64_t year, int month, int day)
{
	int64_t era, year_of_era, day_of_year, day_of_era;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	year_of_era = year - era * 400;
	day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
		     day_of_year;
	return era * 146097 + day_of_era - 719468;
}

void syslog_clock_init(struct syslog_clock *clock, time_t reference)
{
	struct tm now;

	memset(clock, 0, sizeof(*clock));
	localtime_r(&reference, &now);
	clock->year = now.tm_year + 1900;
	clock->last_month = -1;
	clock->cached_year = -1;
	clock->reference = reference;
}

static int64_t local_midnight(struct syslog_clock *clock, int year, int month,
			      int day)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = month,
			 .tm_mday = day, .tm_isdst = -1 };

	if (clock->cached_year == year && clock->cached_month == month &&
	    clock->cached_day == day)
		return clock->cached_midnight;
	clock->cached_year = year;
	clock->cached_month = month;
	clock->cached_day = day;
	clock->cached_midnight = (int64_t)mktime(&tm);
	return clock->cached_midnight;
}

/*
 * The first line takes the reference year unless that would put it more than
 * a day in the future (a December line read in January); after that the year
 * moves forward whenever the month jumps back by more than half a year.
 */
static int64_t syslog_time(struct syslog_clock *clock, int month, int day,
			   int seconds_of_day)
{
	int64_t t;

	if (clock->last_month < 0) {
		t = local_midnight(clock, clock->year, month, day);
		if (t > (int64_t)clock->reference + 86400)
			clock->year--;
	} else if (month < clock->last_month && clock->last_month - month > 6) {
		clock->year++;
	} else if (month > clock->last_month && month - clock->last_month > 6) {
		clock->year--;
	}
	clock->last_month = month;
	return local_midnight(clock, clock->year, month, day) + seconds_of_day;
}

static size_t parse_rfc3164_time(const char *p, size_t length,
				 struct syslog_clock *clock, int64_t *out)
{
	const char *month_at;
	int day, hour, minute, second;
	size_t at;

	/* "Jun 14 15:16:01 " or "Jun  4 15:16:01 " */
	if (length < 16 || p[3] != ' ')
		return 0;
	/* The same second as the last line: the same month, so the year
	 * inference would not move either. */
	if (clock->stamp_length == 15 && memcmp(p, clock->stamp, 15) == 0) {
		*out = clock->stamp_sec;
		return 15;
	}
	month_at = NULL;
	for (int m = 0; m < 12; m++)
		if (memcmp(p, month_names + 3 * m, 3) == 0)
			month_at = month_names + 3 * m;
	if (month_at == NULL)
		return 0;
	if (p[4] == ' ' && is_digit(p[5]))
		day = p[5] - '0';
	else if (!read_number(p + 4, 2, &day))
		return 0;
	at = 6;
	if (p[at] != ' ' || !read_number(p + at + 1, 2, &hour) ||
	    p[at + 3] != ':' || !read_number(p + at + 4, 2, &minute) ||
	    p[at + 6] != ':' || !read_number(p + at + 7, 2, &second))
		return 0;
	at += 9;
	if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
		return 0;
	*out = syslog_time(clock, (int)(month_at - month_names) / 3, day,
			   hour * 3600 + minute * 60 + second);
	memcpy(clock->stamp, p, 15);
	clock->stamp_length = 15;
	clock->stamp_sec = *out;
	return at;
}

/* "2026-12-06T12:00:00" (or with a space) in epoch seconds, UTC; the same
 * 19 bytes as the last line's are not parsed again. */
static bool rfc3339_seconds(const char *p, struct syslog_clock *clock,
			    int64_t *out)
{
	int year, month, day, hour, minute, second;

	if (clock->stamp_length == 19 && memcmp(p, clock->stamp, 19) == 0) {
		*out = clock->stamp_sec;
		return true;
	}
	if (!read_number(p, 4, &year) || p[4] != '-' ||
	    !read_number(p + 5, 2, &month) || p[7] != '-' ||
	    !read_number(p + 8, 2, &day) || (p[10] != 'T' && p[10] != ' ') ||
	    !read_number(p + 11, 2, &hour) || p[13] != ':' ||
	    !read_number(p + 14, 2, &minute) || p[16] != ':' ||
	    !read_number(p + 17, 2, &second))
		return false;
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
	    minute > 59 || second > 60)
		return false;
	*out = days_from_civil(year, month, day) * 86400 + hour * 3600 +
	       minute * 60 + second;
	memcpy(clock->stamp, p, 19);
	clock->stamp_length = 19;
	clock->stamp_sec = *out;
	return true;
}

static size_t parse_rfc3339_time(const char *p, size_t length,
				 struct syslog_clock *clock, int64_t *out)
{
	int off_h, off_m, sign;
	size_t at = 19;
	int64_t t;

	if (length < 20 || !rfc3339_seconds(p, clock, &t))
		return 0;
	if (p[at] == '.' || p[at] == ',')
		for (at++; at < length && is_digit(p[at]); at++)
			;
	if (at < length && p[at] == 'Z') {
		at++;
	} else if (at + 6 <= length && (p[at] == '+' || p[at] == '-') &&
		   read_number(p + at + 1, 2, &off_h) && p[at + 3] == ':' &&
		   read_number(p + at + 4, 2, &off_m)) {
		sign = p[at] == '+' ? 1 : -1;
		t -= sign * (off_h * 3600 + off_m * 60);
		at += 6;
	}
	*out = t;
	return at;
}

bool syslog_parse(const char *line, size_t length, struct syslog_clock *clock,
		  struct syslog_line *out)
{
	const char *p = line, *end = line + length, *colon;
	size_t used, limit;
	int priority = -1;

	if (length > 0 && p[0] == '<') {
		int value = 0;
		const char *q = p + 1;

		while (q < end && q - p <= 4 && is_digit(*q))
			value = value * 10 + (*q++ - '0');
		if (q == p + 1 || q >= end || *q != '>' || value > 191)
			return false;
		priority = value & 7;
		p = q + 1;
		/* RFC 5424: "<PRI>1 TIMESTAMP ..." */
		if (end - p > 2 && p[0] == '1' && p[1] == ' ')
			p += 2;
	}
	used = parse_rfc3164_time(p, (size_t)(end - p), clock, &out->time_sec);
	if (used == 0)
		used = parse_rfc3339_time(p, (size_t)(end - p), clock,
					  &out->time_sec);
	if (used == 0)
		return false;
	p += used;
	while (p < end && *p == ' ')
		p++;
	out->priority = priority;
	out->host = p;
	while (p < end && *p != ' ')
		p++;
	out->host_length = (size_t)(p - out->host);
	if (out->host_length == 0)
		return false;
	if (p < end)
		p++;
	out->body = p;
	out->body_length = (size_t)(end - p);
	/* The tag ends at the first ':' when it comes soon enough. */
	limit = out->body_length < 96 ? out->body_length : 96;
	colon = memchr(p, ':', limit);
	out->tag = p;
	out->tag_length = colon ? (size_t)(colon - p) : 0;
	return true;
}

static bool read_decimal(const char **cursor, const char *end, char stop,
			 uint64_t *out)
{
	const char *p = *cursor;
	uint64_t value = 0;

	if (p >= end || !is_digit(*p))
		return false;
	while (p < end && is_digit(*p)) {
		if (value > (UINT64_MAX - 9) / 10)
			return false;
		value = value * 10 + (uint64_t)(*p++ - '0');
	}
	if (p >= end || *p != stop)
		return false;
	*cursor = p + 1;
	*out = value;
	return true;
}

bool kmsg_parse(const char *line, size_t length, struct kmsg_record *out)
{
	const char *p = line, *end = line + length, *semicolon;
	uint64_t priority;

	if (!read_decimal(&p, end, ',', &priority) || priority > 1023 ||
	    !read_decimal(&p, end, ',', &out->sequence) ||
	    !read_decimal(&p, end, ',', &out->usec))
		return false;
	/* Flags, then possibly more comma-separated fields in the future. */
	semicolon = memchr(p, ';', (size_t)(end - p));
	if (semicolon == NULL)
		return false;
	out->continuation = p < semicolon && *p == 'c';
	out->priority = (int)(priority & 7);
	out->facility = (int)(priority >> 3);
	out->message = semicolon + 1;
	out->message_length = (size_t)(end - out->message);
	return true;
}

static bool looks_like_kmsg(const char *line, size_t length)
{
	size_t i = 0;

	while (i < length && is_digit(line[i]))
		i++;
	return i < length && line[i] == ',';
}

/*
 * Most lines of a busy file start with the last line's stamp (the same
 * second) and a space: what syslog_parse() would then do is skip spaces
 * and the host, nothing else (no "<PRI>", no fraction or zone after an
 * RFC 3339 stamp, and its tag is not needed here). ~60 instructions
 * instead of ~220 with the parse's checks and the tag's memchr. False
 * (the plain path decides) for anything else, a line without a host too.
 */
static bool same_stamp_subject(const char *line, size_t length,
			       const struct syslog_clock *clock,
			       const char **text, size_t *text_length,
			       int64_t *time_sec)
{
	size_t n = clock->stamp_length;
	const char *p, *end = line + length;

	/* RFC 3164's parse wants 16 bytes, RFC 3339's 20: both n + 1. */
	/* Constant lengths: the compares are inlined, not a memcmp call. */
	if (n == 0 || length <= n || line[n] != ' ' ||
	    (n == 19 ? memcmp(line, clock->stamp, 19)
		     : memcmp(line, clock->stamp, 15)) != 0)
		return false;
	for (p = line + n + 1; p < end && *p == ' '; p++)
		;
	if (p == end)
		return false;
#ifdef __SSE2__
	/* The host's end: sixteen bytes a compare (the host is rarely
	 * longer), a byte loop near the line's end or past them. */
	if (end - p >= 16) {
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
		    _mm_loadu_si128((const __m128i *)p), _mm_set1_epi8(' ')));

		p = mask != 0 ? p + __builtin_ctz(mask) : p + 16;
	}
#endif
	while (p < end && *p != ' ')
		p++;
	if (p < end)
		p++;
	*text = p;
	*text_length = (size_t)(end - p);
	*time_sec = clock->stamp_sec;
	return true;
}

/* Out of line: its structs would cost the short path the stack
 * protector's check. */
static __attribute__((noinline)) void
parse_subject_level(const char *line, size_t length, struct syslog_clock *clock,
		    const char **text, size_t *text_length, int64_t *time_sec,
		    unsigned *level)
{
	struct kmsg_record record;
	struct syslog_line parsed;

	/* A kmsg record's digits end at a ','; RFC 3339's year at a '-', so a
	 * line that starts with the last line's RFC 3339 stamp (most lines of
	 * such a file) is not walked for them. */
	if (length > 0 && is_digit(line[0]) &&
	    !(clock->stamp_length == 19 && length >= 19 &&
	      memcmp(line, clock->stamp, 19) == 0) &&
	    looks_like_kmsg(line, length) &&
	    kmsg_parse(line, length, &record)) {
		*text = record.message;
		*text_length = record.message_length;
		*time_sec = (int64_t)(record.usec / 1000000);
		*level = (unsigned)record.priority + 1;
		return;
	}
	if (syslog_parse(line, length, clock, &parsed)) {
		*text = parsed.body;
		*text_length = parsed.body_length;
		*time_sec = parsed.time_sec;
		*level = parsed.priority >= 0 ? (unsigned)parsed.priority + 1 : 0;
		return;
	}
	*text = line;
	*text_length = length;
	*time_sec = 0;
	*level = 0;
}

void line_subject_level(const char *line, size_t length,
			struct syslog_clock *clock, const char **text,
			size_t *text_length, int64_t *time_sec, unsigned *level)
{
	if (same_stamp_subject(line, length, clock, text, text_length,
			       time_sec)) {
		*level = 0;
		return;
	}
	parse_subject_level(line, length, clock, text, text_length, time_sec,
			    level);
}

void line_subject(const char *line, size_t length, struct syslog_clock *clock,
		  const char **text, size_t *text_length, int64_t *time_sec)
{
	unsigned level;

	line_subject_level(line, length, clock, text, text_length, time_sec,
			   &level);
}
