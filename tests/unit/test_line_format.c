/*
 * test_line_format.c - syslog and kmsg parsing (src/logscan/line_format.c):
 * the formats real files and /dev/kmsg carry, years that syslog leaves out,
 * and input that is not what it seems.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logscan/line_format.h"

static time_t local_time(int year, int month, int day, int h, int m, int s)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = month - 1,
			 .tm_mday = day, .tm_hour = h, .tm_min = m, .tm_sec = s,
			 .tm_isdst = -1 };

	return mktime(&tm);
}

static void test_rfc3164(void **state)
{
	const char *line = "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: "
			   "authentication failure; rhost=218.188.2.4 ";
	struct syslog_clock clock;
	struct syslog_line parsed;

	(void)state;
	syslog_clock_init(&clock, local_time(2026, 11, 22, 0, 0, 0));
	assert_true(syslog_parse(line, strlen(line), &clock, &parsed));
	assert_int_equal(parsed.time_sec, local_time(2026, 6, 14, 15, 16, 1));
	assert_int_equal(parsed.host_length, 5);
	assert_memory_equal(parsed.host, "combo", 5);
	assert_int_equal(parsed.tag_length, strlen("sshd(pam_unix)[19939]"));
	assert_true(strncmp(parsed.body, "sshd(pam_unix)[19939]: auth", 27) == 0);
	assert_int_equal(parsed.priority, -1);

	/* Space-padded day and a <PRI> prefix. */
	line = "<30>Jul  3 04:05:06 web1 systemd[1]: x.service: Failed";
	assert_true(syslog_parse(line, strlen(line), &clock, &parsed));
	assert_int_equal(parsed.priority, 6);
	assert_int_equal(parsed.time_sec, local_time(2026, 7, 3, 4, 5, 6));
}

static void test_year_inference(void **state)
{
	struct syslog_clock clock;
	struct syslog_line parsed;
	const char *december = "Dec 31 23:59:59 h k: a";
	const char *january = "Jan  1 00:00:01 h k: b";

	(void)state;
	/* Read in January: a December line belongs to last year... */
	syslog_clock_init(&clock, local_time(2027, 1, 2, 0, 0, 0));
	assert_true(syslog_parse(december, strlen(december), &clock, &parsed));
	assert_int_equal(parsed.time_sec, local_time(2026, 12, 31, 23, 59, 59));
	/* ...and the file then crosses into the new year. */
	assert_true(syslog_parse(january, strlen(january), &clock, &parsed));
	assert_int_equal(parsed.time_sec, local_time(2027, 1, 1, 0, 0, 1));
}

static void test_rfc3339(void **state)
{
	const char *line = "2026-11-22T00:06:25.123456+01:00 web1 "
			   "kernel: Out of memory";
	struct syslog_clock clock;
	struct syslog_line parsed;

	(void)state;
	syslog_clock_init(&clock, 0);
	assert_true(syslog_parse(line, strlen(line), &clock, &parsed));
	assert_int_equal(parsed.time_sec, 1795302385);
	assert_true(strncmp(parsed.body, "kernel: Out of memory", 21) == 0);
	line = "<14>1 2026-11-22T00:06:25Z host app 12 - - hello";
	assert_true(syslog_parse(line, strlen(line), &clock, &parsed));
	assert_int_equal(parsed.time_sec, 1795302385 + 3600);
}

/* Lines of one second reuse the last stamp's value; the next second, a
 * year boundary and a bad stamp after a good one are still parsed. */
static void test_same_second(void **state)
{
	static const struct {
		const char *line;
		int64_t expected; /* 0: not syslog */
	} lines[] = {
	    {"Dec 31 23:59:59 h k: a", 1}, {"Dec 31 23:59:59 h k: b", 1},
	    {"Jan  1 00:00:01 h k: c", 2}, {"Jan  1 00:00:01 h k: d", 2},
	    {"Jan  1 00:00:02 h k: e", 3},
	};
	struct syslog_clock clock;
	struct syslog_line parsed;
	int64_t times[4];

	(void)state;
	times[1] = local_time(2026, 12, 31, 23, 59, 59);
	times[2] = local_time(2027, 1, 1, 0, 0, 1);
	times[3] = times[2] + 1;
	syslog_clock_init(&clock, local_time(2027, 1, 2, 0, 0, 0));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		assert_true(syslog_parse(lines[i].line, strlen(lines[i].line),
					 &clock, &parsed));
		assert_int_equal(parsed.time_sec, times[lines[i].expected]);
	}
	syslog_clock_init(&clock, 0);
	assert_true(
	    syslog_parse("2026-11-22T00:06:25Z h k: a", 27, &clock, &parsed));
	assert_int_equal(parsed.time_sec, 1795302385 + 3600);
	assert_true(syslog_parse("2026-11-22T00:06:25-01:00 h k: a", 32, &clock,
				 &parsed));
	assert_int_equal(parsed.time_sec, 1795302385 + 7200);
	assert_true(
	    syslog_parse("2026-11-22 00:06:26Z h k: a", 27, &clock, &parsed));
	assert_int_equal(parsed.time_sec, 1795302385 + 3601);
	assert_false(
	    syslog_parse("2026-13-22 00:06:26Z h k: a", 27, &clock, &parsed));
}

static void test_not_syslog(void **state)
{
	static const char *const lines[] = {
		"", "Jun", "Jux 14 15:16:01 host x", "Jun 14 25:16:01 host x",
		"Jun 14 15:16:01 ", "2026-13-01T00:00:00Z host x",
		"<999>Jun 14 15:16:01 host x", "plain text line",
		"Jun 14 15:16:0\0 host x",
	};
	struct syslog_clock clock;
	struct syslog_line parsed;

	(void)state;
	syslog_clock_init(&clock, 0);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_false(syslog_parse(lines[i], strlen(lines[i]) +
					  (i == 8 ? 8 : 0), &clock, &parsed));
}

static void test_kmsg(void **state)
{
	const char *record = "3,1234,5678901234,-;EXT4-fs error (device sda1): x";
	const char *cont = "4,77,100,c,more;tail";
	struct kmsg_record parsed;

	(void)state;
	assert_true(kmsg_parse(record, strlen(record), &parsed));
	assert_int_equal(parsed.priority, 3);
	assert_int_equal(parsed.facility, 0);
	assert_int_equal(parsed.sequence, 1234);
	assert_int_equal(parsed.usec, 5678901234ULL);
	assert_false(parsed.continuation);
	assert_int_equal(parsed.message_length, strlen("EXT4-fs error (device "
						       "sda1): x"));
	assert_true(kmsg_parse(cont, strlen(cont), &parsed));
	assert_true(parsed.continuation);
	assert_memory_equal(parsed.message, "tail", 4);
	assert_false(kmsg_parse("3,1234;x", 8, &parsed));
	assert_false(kmsg_parse("3,1,2,-", 7, &parsed));
	assert_false(kmsg_parse("3,99999999999999999999,2,-;x", 28, &parsed));
	assert_false(kmsg_parse(" SUBSYSTEM=block", 16, &parsed));
}

static void test_subject(void **state)
{
	struct syslog_clock clock;
	const char *text;
	size_t length;
	int64_t t;

	(void)state;
	syslog_clock_init(&clock, 0);
	line_subject("6,5,2000000,-;hello", 19, &clock, &text, &length, &t);
	assert_int_equal(length, 5);
	assert_int_equal(t, 2);
	line_subject("just words", 10, &clock, &text, &length, &t);
	assert_int_equal(length, 10);
	assert_int_equal(t, 0);
	/* A line that starts with the last RFC 3339 stamp skips the kmsg
	 * check; a kmsg record after it is still one. */
	line_subject("2026-12-06T12:00:00 web-01 app[42]: a", 37, &clock, &text,
		     &length, &t);
	assert_int_equal(t, 1796558400);
	assert_memory_equal(text, "app[42]: a", 10);
	line_subject("2026-12-06T12:00:00 web-01 app[42]: bc", 38, &clock,
		     &text, &length, &t);
	assert_int_equal(t, 1796558400);
	assert_int_equal(length, 11);
	line_subject("6,5,2000000,-;hello", 19, &clock, &text, &length, &t);
	assert_int_equal(length, 5);
	assert_int_equal(t, 2);
	line_subject("2026-12-06T12:00:00", 19, &clock, &text, &length, &t);
	assert_int_equal(t, 0); /* a stamp and nothing else: plain text */
	assert_int_equal(length, 19);
}

/*
 * A line that starts with the last line's stamp takes a short path in
 * line_subject_level(); it must give what the whole parse gives. Every
 * tail of up to 4 bytes from a small alphabet (spaces, fractions, zones,
 * NUL, a tab) and a few real ones after each stamp, and every stamp cut
 * short or with one byte changed: the primed clock against a copy whose
 * stamp is forgotten (so the parse runs in full, from the same year).
 */
static void check_subject_paths(const struct syslog_clock *primed,
				const char *line, size_t length)
{
	struct syslog_clock fast = *primed, plain = *primed;
	const char *text_fast, *text_plain;
	size_t length_fast, length_plain;
	int64_t t_fast, t_plain;
	unsigned level_fast, level_plain;

	plain.stamp_length = 0;
	line_subject_level(line, length, &fast, &text_fast, &length_fast,
			   &t_fast, &level_fast);
	line_subject_level(line, length, &plain, &text_plain, &length_plain,
			   &t_plain, &level_plain);
	assert_ptr_equal(text_fast, text_plain);
	assert_int_equal(length_fast, length_plain);
	assert_int_equal(t_fast, t_plain);
	assert_int_equal(level_fast, level_plain);
}

static void test_same_stamp_path(void **state)
{
	static const char *const stamps[] = { "2026-12-06T12:00:00",
					      "2026-12-06 23:59:60",
					      "Dec  6 12:00:00",
					      "Jan 31 00:00:01" };
	static const char alphabet[] = " a:.Z+0\t\0"; /* NUL too */
	static const char *const tails[] = {
		" web-01 app[42]: GET / 200", "  web-01   app: x",
		" host", " host ", ".123 host app: x", "Z host app: x",
		"+01:00 host app: x", "-05:30 host x", ",5 host x",
		"\thost x",
	};
	char line[128];

	(void)state;
	for (size_t s = 0; s < sizeof(stamps) / sizeof(stamps[0]); s++) {
		struct syslog_clock clock;
		const char *text;
		size_t length, n = strlen(stamps[s]);
		int64_t t;
		unsigned level;

		syslog_clock_init(&clock, local_time(2026, 12, 7, 0, 0, 0));
		snprintf(line, sizeof(line), "%s primer app: x", stamps[s]);
		line_subject_level(line, strlen(line), &clock, &text, &length,
				   &t, &level);
		assert_int_equal(clock.stamp_length, n);
		for (size_t k = 0; k < sizeof(tails) / sizeof(tails[0]); k++) {
			size_t tail = strlen(tails[k]);

			memcpy(line, stamps[s], n);
			memcpy(line + n, tails[k], tail + 1);
			check_subject_paths(&clock, line, n + tail);
		}
		/* every tail of 0-4 bytes over the alphabet */
		for (size_t len = 0; len <= 4; len++) {
			size_t combos = 1, a = sizeof(alphabet) - 1;

			for (size_t i = 0; i < len; i++)
				combos *= a;
			for (size_t c = 0; c < combos; c++) {
				size_t v = c;

				memcpy(line, stamps[s], n);
				for (size_t i = 0; i < len; i++, v /= a)
					line[n + i] = alphabet[v % a];
				check_subject_paths(&clock, line, n + len);
			}
		}
		/* hosts of every length to past a 16-byte step, with or
		 * without a body, a tab or a NUL in them */
		for (size_t h = 1; h <= 40; h++)
			for (int body = 0; body < 4; body++) {
				size_t at = n + 1 + h;

				memcpy(line, stamps[s], n);
				line[n] = ' ';
				memset(line + n + 1, 'h', h);
				if (body == 2)
					line[n + 1 + h / 2] = '\t';
				if (body == 3)
					line[n + 1 + h / 2] = '\0';
				if (body > 0) {
					memcpy(line + at, " app[1]: a b c d e",
					       18);
					at += 18;
				}
				check_subject_paths(&clock, line, at);
			}
		/* the stamp cut short, or one byte of it changed */
		for (size_t i = 0; i < n; i++) {
			snprintf(line, sizeof(line), "%s host app: x",
				 stamps[s]);
			check_subject_paths(&clock, line, i);
			line[i] = line[i] == '1' ? '2' : '1';
			check_subject_paths(&clock, line, strlen(line));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc3164),
		cmocka_unit_test(test_year_inference),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_same_second),
		cmocka_unit_test(test_not_syslog),
		cmocka_unit_test(test_kmsg),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_same_stamp_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
