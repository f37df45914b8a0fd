/*
 * line_format.h - the line formats the scanner reads: RFC 3164 / RFC 3339
 * syslog lines, /dev/kmsg records ("pri,seq,usec,flags;message") and plain
 * text. Parsers only point into the caller's buffer; they never allocate.
 */
#ifndef SYSOPS_LOGSCAN_LINE_FORMAT_H
#define SYSOPS_LOGSCAN_LINE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/*
 * Syslog timestamps carry no year: the clock remembers the year and the last
 * month seen so a file that crosses New Year keeps counting forward, and
 * caches the start of the current day so a line costs no mktime().
 */
struct syslog_clock {
	int year;
	int last_month;  /* 0-11, -1 before the first line */
	int cached_year, cached_month, cached_day;
	int64_t cached_midnight;
	time_t reference; /* "now" for the first line */
	/* The last timestamp parsed, as written (RFC 3164's 15 bytes or RFC
	 * 3339's 19 up to the seconds) and its value: lines of one second
	 * share it, and a line then costs a compare, not a parse. */
	char stamp[19];
	uint8_t stamp_length; /* 0: none yet */
	int64_t stamp_sec;
};

void syslog_clock_init(struct syslog_clock *clock, time_t reference);

struct syslog_line {
	int64_t time_sec;   /* epoch seconds, local time interpreted */
	int priority;       /* from "<PRI>", or -1 */
	const char *host;
	size_t host_length;
	const char *tag;    /* "sshd[123]: message": where rules look */
	size_t tag_length;  /* length of "sshd[123]" */
	const char *body;   /* from the tag to the end of the line */
	size_t body_length;
};

/* "Jun 14 15:16:01 host tag: msg" or "2026-06-14T15:16:01.5+02:00 host ..." */
bool syslog_parse(const char *line, size_t length, struct syslog_clock *clock,
		  struct syslog_line *out);

struct kmsg_record {
	int priority;       /* level 0-7 */
	int facility;
	uint64_t sequence;
	uint64_t usec;      /* since boot, CLOCK_MONOTONIC-like */
	bool continuation;  /* flags 'c': continues the previous record */
	const char *message;
	size_t message_length;
};

/* One record line (without its dictionary lines " KEY=value"). */
bool kmsg_parse(const char *line, size_t length, struct kmsg_record *out);

/*
 * What rules see of a line read from a file or stdin, whatever its format:
 * a kmsg record's message (time: seconds since boot), a syslog line from its
 * tag on (time: its timestamp), or the whole line (time 0: unknown).
 */
void line_subject(const char *line, size_t length, struct syslog_clock *clock,
		  const char **text, size_t *text_length, int64_t *time_sec);

/*
 * The same, and the level the line states (a kmsg record's, a syslog
 * "<PRI>"'s): the syslog level 0-7 plus one, or 0 when it states none.
 */
void line_subject_level(const char *line, size_t length,
			struct syslog_clock *clock, const char **text,
			size_t *text_length, int64_t *time_sec, unsigned *level);

#endif
