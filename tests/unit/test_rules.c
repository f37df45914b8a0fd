/*
 * test_rules.c - the rule engine (src/logscan/rules.c) and the merge of the
 * pack with the configuration (rule_set_from_config in rule_pack.c):
 * excludes, sources, templates, aggregation windows and quiet periods,
 * bounded groups with eviction, masking of what leaves.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "logscan/mask.h"
#include "logscan/rules.h"

struct seen {
	char context[16][512];
	char message[16][256];
	char line[16][256];
	char group[16][64];
	uint32_t count[16];
	size_t n;
};

static void collect(const struct rule_event *event, void *data)
{
	struct seen *seen = data;

	if (seen->n >= 16)
		return;
	snprintf(seen->message[seen->n], 256, "%s", event->message);
	snprintf(seen->line[seen->n], 256, "%s", event->line);
	snprintf(seen->context[seen->n], 512, "%s", event->context);
	snprintf(seen->group[seen->n], 64, "%s", event->group);
	seen->count[seen->n] = event->count;
	seen->n++;
}

struct fixture {
	struct masker *masker;
	struct rule_engine *engine;
};

static void build(struct fixture *f, const struct rule_definition *rules,
		  size_t count, size_t max_groups)
{
	char error[256] = "";

	assert_int_equal(masker_new(NULL, &f->masker, error, sizeof(error)), 0);
	if (rule_engine_new(rules, count, max_groups, 256, f->masker,
			    &f->engine, error, sizeof(error)) != 0)
		fail_msg("%s", error);
}

static void destroy(struct fixture *f)
{
	rule_engine_free(f->engine);
	masker_free(f->masker);
}

static unsigned scan(struct fixture *f, enum logscan_source source,
		     const char *text, int64_t t, struct seen *seen)
{
	struct log_record record = {
		.source = source, .origin = "t", .text = text,
		.length = strlen(text), .time_sec = t,
	};

	return rule_engine_scan(f->engine, &record, collect, seen);
}

static void test_exclude_sources_and_template(void **state)
{
	const struct rule_definition rules[] = {
		{ .name = "disk", .pattern = "disk (?<name>\\w+) failed",
		  .exclude = "disk loop\\d", .severity = ALERT_CRITICAL,
		  .message = "{name}/{missing}/{count}/{window}: {line}",
		  .sources = LOGSCAN_SOURCE_KMSG | LOGSCAN_SOURCE_FILE },
	};
	struct fixture f;
	struct seen seen = { .n = 0 };

	(void)state;
	build(&f, rules, 1, 8);
	assert_int_equal(scan(&f, LOGSCAN_SOURCE_KMSG, "disk sda failed", 1,
			      &seen), 1);
	assert_string_equal(seen.message[0], "sda//1/0: disk sda failed");
	assert_int_equal(scan(&f, LOGSCAN_SOURCE_KMSG, "disk loop0 failed", 1,
			      &seen), 0);
	assert_int_equal(scan(&f, LOGSCAN_SOURCE_JOURNAL, "disk sdb failed", 1,
			      &seen), 0);
	assert_int_equal(scan(&f, LOGSCAN_SOURCE_FILE, "disk sdc failed", 1,
			      &seen), 1);
	destroy(&f);
}

static void test_window_and_quiet_period(void **state)
{
	const struct rule_definition rules[] = {
		{ .name = "burst", .pattern = "fail from (?<ip>\\S+)",
		  .group_by = "ip", .threshold = 3, .window_secs = 60,
		  .message = "{ip} x{count}" },
	};
	struct fixture f;
	struct seen seen = { .n = 0 };

	(void)state;
	build(&f, rules, 1, 8);
	/* Spread wider than the window: never three within 60 s. */
	assert_int_equal(scan(&f, 1, "fail from a", 1000, &seen), 0);
	assert_int_equal(scan(&f, 1, "fail from a", 1040, &seen), 0);
	assert_int_equal(scan(&f, 1, "fail from a", 1100, &seen), 0);
	assert_int_equal(scan(&f, 1, "fail from a", 1180, &seen), 0);
	/* Three within the window: one alert, counting them. */
	assert_int_equal(scan(&f, 1, "fail from a", 1190, &seen), 0);
	assert_int_equal(scan(&f, 1, "fail from a", 1195, &seen), 1);
	assert_string_equal(seen.message[0], "a x3");
	assert_string_equal(seen.group[0], "a");
	/* Quiet for the window afterwards, however many come. */
	for (int i = 0; i < 10; i++)
		assert_int_equal(scan(&f, 1, "fail from a", 1200 + i, &seen), 0);
	/* Another group is independent. */
	scan(&f, 1, "fail from b", 1201, &seen);
	scan(&f, 1, "fail from b", 1202, &seen);
	assert_int_equal(scan(&f, 1, "fail from b", 1203, &seen), 1);
	/* After the quiet period the attack, still going, alerts again. */
	assert_int_equal(scan(&f, 1, "fail from a", 1256, &seen), 1);
	assert_int_equal(seen.count[2], 11);
	destroy(&f);
}

/* One crash in two words (the kernel's line and the crash handler's): the
 * first alerts, the other is counted as covered, in either order; another
 * process, or the same one after the quiet period, alerts again. */
static void test_family_tells_once(void **state)
{
	const struct rule_definition rules[] = {
		{ .name = "kernel", .pattern = "(?<p>\\w+)\\[\\d+\\]: segfault",
		  .group_by = "p", .window_secs = 300, .family = "crash" },
		{ .name = "handler", .pattern = "Process \\d+ \\((?<p>\\w+)\\) "
		  "dumped core", .group_by = "p", .window_secs = 300,
		  .family = "crash" },
		{ .name = "loner", .pattern = "\\((?<p>\\w+)\\) dumped core",
		  .group_by = "p", .window_secs = 300 },
	};
	struct rule_engine_stats stats;
	struct fixture f;
	struct seen seen = { .n = 0 };

	(void)state;
	build(&f, rules, 3, 8);
	assert_int_equal(scan(&f, 1, "app[12]: segfault at 0", 1000, &seen), 1);
	/* The handler's line for it, and a rule of no family, which alerts. */
	assert_int_equal(scan(&f, 1, "Process 12 (app) dumped core", 1002,
			      &seen), 1);
	assert_string_equal(seen.group[1], "app");
	rule_engine_get_stats(f.engine, &stats);
	assert_int_equal(stats.covered, 1);
	/* Handler first for another process: the kernel's line is covered. */
	assert_int_equal(scan(&f, 1, "Process 40 (db) dumped", 1003, &seen), 0);
	assert_int_equal(scan(&f, 1, "Process 40 (db) dumped core", 1003,
			      &seen), 2);
	assert_int_equal(scan(&f, 1, "db[40]: segfault at 8", 1004, &seen), 0);
	rule_engine_get_stats(f.engine, &stats);
	assert_int_equal(stats.covered, 2);
	/* After the quiet period a new crash of app alerts again. */
	assert_int_equal(scan(&f, 1, "Process 77 (app) dumped core", 1303,
			      &seen), 2);
	assert_int_equal(seen.n, 6);
	destroy(&f);
}

/* JIT code is made only for a rule whose pattern runs often (4096 runs
 * within 10 s): a quiet rule stays interpreted, and matches the same. */
static void test_only_hot_rules_are_jit_compiled(void **state)
{
	const struct rule_definition rules[] = {
		{ .name = "hot", .pattern = "hot (?<k>\\d+)", .group_by = "k" },
		{ .name = "cold", .pattern = "cold (?<k>\\d+)" },
	};
	struct rule_engine_stats stats;
	struct fixture f;
	struct seen seen = { .n = 0 }, hot = { .n = 0 };
	uint32_t jit = 0;

	(void)state;
	pcre2_config_8(PCRE2_CONFIG_JIT, &jit);
	build(&f, rules, 2, 8);
	assert_int_equal(scan(&f, 1, "cold 1", 100, &seen), 1);
	for (int i = 0; i < 4095; i++)
		assert_int_equal(scan(&f, 1, "hot 7", 100, &hot), 1);
	rule_engine_get_stats(f.engine, &stats);
	assert_int_equal(stats.jit_rules, 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(scan(&f, 1, "hot 7", 100, &hot), 1);
	assert_int_equal(scan(&f, 1, "cold 2", 100, &seen), 1);
	rule_engine_get_stats(f.engine, &stats);
	/* Under MemoryDenyWriteExecute the compile fails: still interpreted. */
	assert_true(stats.jit_rules <= (jit ? 1 : 0));
	assert_int_equal(stats.matches, 4197);
	assert_string_equal(seen.group[0], "");
	destroy(&f);
}

static void test_groups_are_bounded(void **state)
{
	const struct rule_definition rules[] = {
		{ .name = "g", .pattern = "hit (?<k>\\d+)", .group_by = "k",
		  .threshold = 2, .window_secs = 100 },
	};
	struct rule_engine_stats stats;
	struct fixture f;
	struct seen seen = { .n = 0 };
	char line[32];

	(void)state;
	build(&f, rules, 1, 8);
	for (int i = 0; i < 1000; i++) {
		snprintf(line, sizeof(line), "hit %d", i);
		assert_int_equal(scan(&f, 1, line, 5000 + i / 100, &seen), 0);
	}
	rule_engine_get_stats(f.engine, &stats);
	assert_true(stats.groups_evicted >= 1000 - 8);
	/* The most recent group survived eviction and can still alert. */
	assert_int_equal(scan(&f, 1, "hit 999", 5010, &seen), 1);
	destroy(&f);
}

static void test_events_are_masked(void **state)
{
	const struct rule_definition rules[] = {
		{ .name = "login", .pattern = "login failed (?<rest>.*)",
		  .message = "failed: {rest}" },
	};
	struct fixture f;
	struct seen seen = { .n = 0 };

	(void)state;
	build(&f, rules, 1, 8);
	assert_int_equal(scan(&f, 1, "login failed user=bob password=hunter2",
			      1, &seen), 1);
	assert_string_equal(seen.message[0],
			    "failed: user=bob password=***");
	assert_string_equal(seen.line[0],
			    "login failed user=bob password=***");
	destroy(&f);
}

static void test_bad_rules_are_refused(void **state)
{
	const struct rule_definition bad_pattern[] = {
		{ .name = "x", .pattern = "unclosed (" } };
	const struct rule_definition bad_group[] = {
		{ .name = "y", .pattern = "(?<a>z)", .group_by = "b" } };
	struct rule_engine *engine;
	struct masker *masker;
	char error[256];

	(void)state;
	assert_int_equal(masker_new(NULL, &masker, error, sizeof(error)), 0);
	assert_int_equal(rule_engine_new(bad_pattern, 1, 8, 256, masker,
					 &engine, error, sizeof(error)),
			 -EINVAL);
	assert_non_null(strstr(error, "rule x: pattern"));
	assert_int_equal(rule_engine_new(bad_group, 1, 8, 256, masker, &engine,
					 error, sizeof(error)), -EINVAL);
	assert_non_null(strstr(error, "group_by 'b'"));
	masker_free(masker);
}

static void test_rule_set_from_config(void **state)
{
	struct rule_definition rules[LOGSCAN_MAX_RULES];
	struct logscan_config config = { .rule_count = 1 };
	char *disabled[] = { "root_login" }, *bogus[] = { "no_such_rule" };
	char *sources[] = { "journal" };
	char error[256];
	int count;
	bool found_override = false;

	(void)state;
	config.disable_rules = (struct config_string_list){ disabled, 1 };
	config.rules[0] = (struct logscan_rule_config){
		.name = "oom_kill", .pattern = "my oom", .severity = "info",
		.threshold = 1, .sources = { sources, 1 },
	};
	count = rule_set_from_config(&config, rules, LOGSCAN_MAX_RULES, error,
				     sizeof(error));
	assert_int_equal(count, (int)rule_pack_count - 1);
	for (int i = 0; i < count; i++) {
		assert_string_not_equal(rules[i].name, "root_login");
		if (strcmp(rules[i].name, "oom_kill") == 0) {
			assert_string_equal(rules[i].pattern, "my oom");
			assert_int_equal(rules[i].severity, ALERT_INFO);
			assert_int_equal(rules[i].sources,
					 LOGSCAN_SOURCE_JOURNAL);
			found_override = true;
		}
	}
	assert_true(found_override);
	config.disable_rules = (struct config_string_list){ bogus, 1 };
	assert_int_equal(rule_set_from_config(&config, rules, LOGSCAN_MAX_RULES,
					      error, sizeof(error)), -EINVAL);
	assert_non_null(strstr(error, "no_such_rule"));
}

/* The lines just before a match, from its own origin only, masked. */
static void test_context_lines(void **state)
{
	static const struct rule_definition rules[] = {
	    {.name = "fail", .pattern = "FAILED", .severity = ALERT_WARNING},
	};
	static const char *const lines[][2] = {
	    {"a", "a: one"},	    {"a", "a: two password=hunter2"},
	    {"b", "b: other file"}, {"a", "a: three"},
	    {"a", "a: four"},	    {"a", "a: payment FAILED"},
	};
	struct fixture f;
	struct seen seen = {0};

	(void)state;
	build(&f, rules, 1, 8);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct log_record record = {
		    .source = LOGSCAN_SOURCE_FILE,
		    .origin = lines[i][0],
		    .text = lines[i][1],
		    .length = strlen(lines[i][1]),
		    .time_sec = 100,
		};

		rule_engine_scan(f.engine, &record, collect, &seen);
	}
	assert_int_equal(seen.n, 1);
	/* RULE_CONTEXT_LINES (3) before it, oldest first, none from b. */
	assert_string_equal(seen.context[0],
			    "  a: two password=***\n  a: three\n  a: four\n"
			    "> a: payment FAILED");
	destroy(&f);
}

/* Past 63 rules two rules share a prefilter bit (index % 63): each is still
 * tried on its own, with its own sources and kernel-only flag, and a line
 * raises exactly the rules it matches. */
static void test_more_rules_than_bits(void **state)
{
	static struct rule_definition rules[LOGSCAN_MAX_RULES + 1];
	static char names[LOGSCAN_MAX_RULES + 1][16];
	static char patterns[LOGSCAN_MAX_RULES + 1][32];
	struct fixture f;
	struct seen seen = {.n = 0};
	struct masker *masker;
	struct rule_engine *engine;
	char error[256] = "";

	(void)state;
	for (size_t i = 0; i <= LOGSCAN_MAX_RULES; i++) {
		snprintf(names[i], sizeof(names[i]), "r%zu", i);
		snprintf(patterns[i], sizeof(patterns[i]),
			 "event%03zu happened", i);
		rules[i] = (struct rule_definition){
		    .name = names[i],
		    .pattern = patterns[i],
		    .message = names[i],
		    .severity = ALERT_WARNING,
		};
	}
	rules[70].sources = LOGSCAN_SOURCE_FILE; /* shares bit 7 with r7 */
	rules[71].kernel = true;		 /* shares bit 8 with r8 */
	build(&f, rules, LOGSCAN_MAX_RULES, 8);
	assert_int_equal(
	    scan(&f, LOGSCAN_SOURCE_FILE, "event070 happened", 1, &seen), 1);
	assert_string_equal(seen.message[0], "r70");
	assert_int_equal(
	    scan(&f, LOGSCAN_SOURCE_KMSG, "event070 happened", 1, &seen), 0);
	assert_int_equal(
	    scan(&f, LOGSCAN_SOURCE_KMSG, "event006 happened", 1, &seen), 1);
	assert_string_equal(seen.message[1], "r6");
	assert_int_equal(
	    scan(&f, LOGSCAN_SOURCE_KMSG, "event127 happened", 1, &seen), 1);
	assert_string_equal(seen.message[2], "r127");
	{
		struct log_record user = {
		    .source = LOGSCAN_SOURCE_KMSG,
		    .origin = "t",
		    .text = "event071 happened",
		    .length = 17,
		    .time_sec = 1,
		    .user_space = true,
		};
		struct log_record kernel = user;

		kernel.user_space = false;
		assert_int_equal(
		    rule_engine_scan(f.engine, &user, collect, &seen), 0);
		assert_int_equal(
		    rule_engine_scan(f.engine, &kernel, collect, &seen), 1);
		assert_string_equal(seen.message[3], "r71");
	}
	destroy(&f);

	assert_int_equal(masker_new(NULL, &masker, error, sizeof(error)), 0);
	assert_int_equal(rule_engine_new(rules, LOGSCAN_MAX_RULES + 1, 8, 256,
					 masker, &engine, error, sizeof(error)),
			 -EINVAL);
	assert_non_null(strstr(error, "at most"));
	masker_free(masker);
}

/* rule_engine_scan_outcome() says what rule_engine_scan() followed by
 * rule_engine_matches() and rule_engine_level_gram() say, and emits the
 * same events: two engines, one line after another, each way. */
static void test_scan_outcome(void **state)
{
	const struct rule_definition rules[] = {
		{ .name = "burst", .pattern = "fail from (?<ip>\\S+)",
		  .group_by = "ip", .threshold = 3, .window_secs = 60,
		  .message = "{ip} x{count}" },
		{ .name = "disk", .pattern = "disk (?<d>\\S+) failed",
		  .message = "{d}", .exclude = "sdz" },
	};
	static const char *const lines[] = {
		"fail from a", "all quiet", "ERROR: out of paper",
		"fail from a", "disk sdc failed", "warning: fail from a",
		"disk sdz failed", "an err, not a word", "fail from b",
		"Critical: fan", "fail fro", "",
	};
	struct fixture plain, outcome;
	struct seen seen_plain = { .n = 0 }, seen_outcome = { .n = 0 };
	unsigned matched = 0, grams = 0;

	(void)state;
	build(&plain, rules, 2, 8);
	build(&outcome, rules, 2, 8);
	for (size_t round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			struct log_record record = {
				.source = LOGSCAN_SOURCE_FILE, .origin = "t",
				.text = lines[i], .length = strlen(lines[i]),
				.time_sec = (int64_t)(1000 + round * 10 + i),
			};
			uint64_t before = rule_engine_matches(plain.engine);
			unsigned want, got;

			rule_engine_scan(plain.engine, &record, collect,
					 &seen_plain);
			want = (rule_engine_matches(plain.engine) != before
				    ? RULE_SCAN_MATCHED
				    : 0) |
			       (rule_engine_level_gram(plain.engine)
				    ? RULE_SCAN_LEVEL_GRAM
				    : 0);
			got = rule_engine_scan_outcome(outcome.engine, &record,
						       collect, &seen_outcome);
			assert_int_equal(got, want);
			assert_int_equal(seen_outcome.n, seen_plain.n);
			matched += (got & RULE_SCAN_MATCHED) != 0;
			grams += (got & RULE_SCAN_LEVEL_GRAM) != 0;
		}
	/* Both answers came up each way. */
	assert_true(matched > 0 && matched < 36);
	assert_true(grams > 0 && grams < 36);
	for (size_t k = 0; k < seen_plain.n; k++)
		assert_string_equal(seen_outcome.message[k],
				    seen_plain.message[k]);
	destroy(&plain);
	destroy(&outcome);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exclude_sources_and_template),
	    cmocka_unit_test(test_window_and_quiet_period),
	    cmocka_unit_test(test_family_tells_once),
	    cmocka_unit_test(test_groups_are_bounded),
	    cmocka_unit_test(test_events_are_masked),
	    cmocka_unit_test(test_bad_rules_are_refused),
	    cmocka_unit_test(test_rule_set_from_config),
	    cmocka_unit_test(test_context_lines),
	    cmocka_unit_test(test_more_rules_than_bits),
	    cmocka_unit_test(test_only_hot_rules_are_jit_compiled),
	    cmocka_unit_test(test_scan_outcome),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
