/*
 * test_logscan_backlog.c - the first-start backlog (src/logscan/backlog.c)
 * fed by rule_engine_tally(): exact counts per rule and group, the most
 * severe first, nouns and plurals, thresholds, groups beyond the table,
 * and a summary that stays within its bound.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logscan/backlog.h"
#include "logscan/mask.h"
#include "logscan/rules.h"

struct fixture {
	struct masker *masker;
	struct rule_engine *engine;
	struct backlog *backlog;
	char summary[BACKLOG_SUMMARY_BYTES];
	char detail[BACKLOG_DETAIL_BYTES];
};

static void build(struct fixture *f, const struct rule_definition *rules,
		  size_t count)
{
	char error[256] = "";

	memset(f, 0, sizeof(*f));
	assert_int_equal(masker_new(NULL, &f->masker, error, sizeof(error)), 0);
	if (rule_engine_new(rules, count, 64, 512, f->masker, &f->engine,
			    error, sizeof(error)) != 0)
		fail_msg("%s", error);
	f->backlog = backlog_new(1000);
	assert_non_null(f->backlog);
}

static void destroy(struct fixture *f)
{
	backlog_free(f->backlog);
	rule_engine_free(f->engine);
	masker_free(f->masker);
}

/* One record logged at t; true when the backlog took it. */
static bool feed(struct fixture *f, const char *text, int64_t t)
{
	struct log_record record = {
		.source = LOGSCAN_SOURCE_KMSG, .origin = "kmsg", .text = text,
		.length = strlen(text), .time_sec = t,
	};

	if (!backlog_takes(f->backlog, &record))
		return false;
	rule_engine_tally(f->engine, &record, backlog_count, f->backlog);
	return true;
}

static void feed_io_errors(struct fixture *f, const char *device, int count)
{
	char line[160];

	for (int i = 0; i < count; i++) {
		snprintf(line, sizeof(line), "blk_update_request: I/O error, "
			 "dev %s, sector %d op 0x0:(READ)", device, 100 + i);
		assert_true(feed(f, line, 10 + i));
	}
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static uint64_t render(struct fixture *f)
{
	return backlog_render(f->backlog, "since boot: ", "heading",
			      f->summary, sizeof(f->summary), f->detail,
			      sizeof(f->detail));
}

static const struct rule_definition pack_rules[] = {
	{ .name = "io", .severity = ALERT_CRITICAL, .noun = "I/O error",
	  .pattern = "I/O error, dev (?<device>\\w+), sector (?<s>\\d+)",
	  .message = "I/O error on {device}", .group_by = "device",
	  .window_secs = 300 },
	{ .name = "oom", .severity = ALERT_CRITICAL, .noun = "OOM kill",
	  .pattern = "Killed process (?<pid>\\d+) \\((?<process>[^)]*)\\)",
	  .message = "OOM killer killed {process}" },
	{ .name = "oops", .severity = ALERT_CRITICAL,
	  .noun = "kernel Oops|kernel Oopses", .pattern = "Oops: " },
	{ .name = "crash", .severity = ALERT_WARNING, .noun = "segfault",
	  .pattern = "(?<process>\\w+)\\[\\d+\\]: segfault",
	  .group_by = "process", .window_secs = 300 },
	{ .name = "mine", .severity = ALERT_WARNING, .pattern = "mine=\\d+" },
	{ .name = "logins", .severity = ALERT_WARNING,
	  .noun = "failed login", .pattern = "Failed password from (?<ip>\\S+)",
	  .group_by = "ip", .threshold = 10, .window_secs = 300 },
};

static void test_counts_most_severe_first(void **state)
{
	struct fixture f;

	(void)state;
	build(&f, pack_rules, sizeof(pack_rules) / sizeof(pack_rules[0]));
	assert_true(feed(&f, "nginx[12]: segfault at 0", 1));
	feed_io_errors(&f, "sda", 3);
	assert_true(feed(&f, "Out of memory: Killed process 42 (java)", 20));
	assert_true(feed(&f, "nginx[13]: segfault at 0", 21));
	assert_true(feed(&f, "Oops: 0000 [#1] SMP", 22));
	assert_true(feed(&f, "Oops: 0002 [#2] SMP", 23));
	assert_true(feed(&f, "mine=1", 24));
	assert_true(feed(&f, "nothing to see", 25));
	/* Newer than the first start: not the backlog's. */
	assert_false(feed(&f, "Out of memory: Killed process 43 (java)", 1000));
	/* Every I/O error counts, although the rule's window would have
	 * alerted once; and the window is left untouched for what follows. */
	assert_int_equal(render(&f), 9);
	assert_string_equal(f.summary,
			    "since boot: 3 I/O errors on sda, 2 kernel Oopses, "
			    "1 OOM kill, 2 segfaults (process nginx), "
			    "1 match of mine");
	assert_int_equal(backlog_records(f.backlog), 10);
	assert_int_equal(backlog_matches(f.backlog), 9);
	assert_non_null(strstr(f.detail, "heading\ncritical io: 3; device "
					 "sda: 3; last: blk_update_request: "
					 "I/O error, dev sda, sector 102"));
	assert_non_null(strstr(f.detail, "\ncritical oom: 1; last: Out of "
					 "memory: Killed process 42 (java)"));
	assert_non_null(strstr(f.detail, "\nwarning crash: 2; process nginx: "
					 "2; last: nginx[13]: segfault at 0"));
	destroy(&f);
}

static void test_threshold_rules_count_where_reached(void **state)
{
	struct fixture f;
	char line[80];

	(void)state;
	build(&f, pack_rules, sizeof(pack_rules) / sizeof(pack_rules[0]));
	for (int i = 0; i < 9; i++)
		assert_true(feed(&f, "Failed password from 192.0.2.1", i));
	/* Below its threshold a rule would not have alerted. */
	assert_int_equal(render(&f), 0);
	assert_string_equal(f.summary, "since boot: ");
	for (int i = 0; i < 12; i++) {
		snprintf(line, sizeof(line), "Failed password from 192.0.2.%d",
			 2 + i / 12);
		assert_true(feed(&f, line, 100 + i));
	}
	assert_int_equal(render(&f), 12);
	assert_string_equal(f.summary,
			    "since boot: 12 failed logins (ip 192.0.2.2)");
	/* Groups most frequent first. */
	assert_non_null(strstr(f.detail, "warning logins: 21 (threshold 10); "
					 "ip 192.0.2.2: 12, ip 192.0.2.1: 9"));
	destroy(&f);
}

static void test_groups_beyond_the_table_stay_counted(void **state)
{
	struct fixture f;
	char device[16];

	(void)state;
	build(&f, pack_rules, sizeof(pack_rules) / sizeof(pack_rules[0]));
	feed_io_errors(&f, "sda", 5);
	for (int d = 0; d < BACKLOG_GROUPS_PER_RULE + 3; d++) {
		snprintf(device, sizeof(device), "vd%c", 'a' + d);
		feed_io_errors(&f, device, 1);
	}
	assert_int_equal(render(&f), 5 + BACKLOG_GROUPS_PER_RULE + 3);
	/* sda and 7 more devices by name, the last 4 together. */
	assert_true(starts_with(f.summary, "since boot: 5 I/O errors on sda, "
				"4 I/O errors on other devices, 1 I/O error "
				"on vda, 1 I/O error on vdb"));
	assert_non_null(strstr(f.detail, "critical io: 16; device sda: 5"));
	assert_non_null(strstr(f.detail, ", other devices: 4; last:"));
	destroy(&f);
}

static void test_summary_is_bounded(void **state)
{
	struct fixture f;
	char device[32], line[32];
	size_t length;

	(void)state;
	build(&f, pack_rules, sizeof(pack_rules) / sizeof(pack_rules[0]));
	/* Long group names, many entries: far more than fits. */
	for (int d = 0; d < BACKLOG_GROUPS_PER_RULE; d++) {
		snprintf(device, sizeof(device), "nvme%dn1p%d", d, d);
		feed_io_errors(&f, device, d + 1);
	}
	for (int i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "app%d[1]: segfault", i);
		assert_true(feed(&f, line, 50 + i));
	}
	assert_int_equal(render(&f), 36 + 8);
	length = strlen(f.summary);
	assert_true(length < BACKLOG_SUMMARY_BYTES);
	assert_true(length > BACKLOG_SUMMARY_BYTES - 60);
	/* The most frequent come first; what is cut is said. */
	assert_true(starts_with(f.summary, "since boot: 8 I/O errors on "
				"nvme7n1p7, 7 I/O errors on nvme6n1p6"));
	assert_non_null(strstr(f.summary, " more"));
	destroy(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_most_severe_first),
		cmocka_unit_test(test_threshold_rules_count_where_reached),
		cmocka_unit_test(test_groups_beyond_the_table_stay_counted),
		cmocka_unit_test(test_summary_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
