/*
 * test_metrics.c - the metric registry: ids are stable per name + labels, the
 * ring keeps the newest samples in order, a full registry refuses new series,
 * retired slots are reused with a new generation, and series globs match
 * on the name or on "name{labels}".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "storage/metrics.h"

static void test_register_is_idempotent(void **state)
{
	struct metric_registry *r = metrics_new(8, 4);
	int a, b, c;

	(void)state;
	a = metrics_register(r, "disk.used_percent", "mount=/");
	b = metrics_register(r, "disk.used_percent", "mount=/home");
	c = metrics_register(r, "disk.used_percent", "mount=/");
	assert_true(a >= 0 && b >= 0);
	assert_int_not_equal(a, b);
	assert_int_equal(a, c);
	assert_string_equal(metrics_get(r, b)->labels, "mount=/home");
	metrics_free(r);
}

static void test_ring_keeps_newest_in_order(void **state)
{
	struct metric_registry *r = metrics_new(2, 3);
	int id = metrics_register(r, "cpu.usage_percent", "");
	int64_t t;
	double v;

	(void)state;
	assert_false(metrics_value_back(r, id, 0, &t, &v));
	for (int i = 1; i <= 5; i++)
		metrics_push(r, id, i * 1000, i * 10.0);
	assert_int_equal(metrics_count(r, id), 3);
	assert_true(metrics_value_back(r, id, 0, &t, &v));
	assert_int_equal(t, 5000);
	assert_true(v == 50.0);
	assert_true(metrics_value_back(r, id, 2, &t, &v));
	assert_true(v == 30.0);
	assert_false(metrics_value_back(r, id, 3, &t, &v));
	assert_int_equal(metrics_get(r, id)->last_time_usec, 5000);
	metrics_free(r);
}

/*
 * Older samples are 8 bytes: a float value and a millisecond time. The
 * newest stays exact; times come back right across the point where the
 * low 32 bits of the millisecond clock wrap.
 */
static void test_compact_samples_keep_time_and_seven_digits(void **state)
{
	struct metric_registry *r = metrics_new(1, 4);
	int id = metrics_register(r, "disk.free_bytes", "mount=/");
	/* 2^32 ms lands between the second and the third sample. */
	const int64_t base = ((INT64_C(1) << 32) - 1500) * 1000 + 123;
	int64_t t;
	double v;

	(void)state;
	for (int i = 0; i < 4; i++)
		metrics_push(r, id, base + i * INT64_C(1000000),
			     123456789012.0 + i);
	assert_true(metrics_value_back(r, id, 0, &t, &v));
	assert_int_equal(t, base + 3000000);
	assert_true(v == 123456789015.0);
	for (size_t back = 1; back < 4; back++) {
		int64_t expected = base + (3 - (int64_t)back) * 1000000;

		assert_true(metrics_value_back(r, id, back, &t, &v));
		/* To the millisecond (the microseconds are dropped). */
		assert_int_equal(t, expected - expected % 1000);
		assert_true(fabs(v - 123456789012.0) < 123456789012.0 * 1e-7);
	}
	metrics_free(r);
}

static void test_full_registry_refuses_then_reuses_retired_slot(void **state)
{
	struct metric_registry *r = metrics_new(2, 2);
	int a = metrics_register(r, "net.rx_bytes_per_sec", "interface=eth0");
	int b = metrics_register(r, "net.rx_bytes_per_sec", "interface=eth1");
	uint32_t generation = metrics_get(r, a)->generation;
	int c;

	(void)state;
	assert_int_equal(metrics_register(r, "net.rx_bytes_per_sec",
					  "interface=eth2"), -ENOSPC);
	metrics_push(r, a, 1, 1.0);
	metrics_retire(r, a);
	assert_null(metrics_get(r, a));
	c = metrics_register(r, "net.rx_bytes_per_sec", "interface=eth2");
	assert_int_equal(c, a);
	assert_int_not_equal(metrics_get(r, c)->generation, generation);
	assert_int_equal(metrics_count(r, c), 0);
	/* The retired name is gone from the index; b still resolves. */
	assert_int_equal(metrics_register(r, "net.rx_bytes_per_sec",
					  "interface=eth1"), b);
	metrics_free(r);
}

static void test_many_series_churn(void **state)
{
	struct metric_registry *r = metrics_new(64, 2);
	char labels[32];

	(void)state;
	/* Register/retire far more names than slots: tombstones must not leak. */
	for (int round = 0; round < 50; round++) {
		int ids[64];

		for (int i = 0; i < 64; i++) {
			snprintf(labels, sizeof(labels), "pid=%d", round * 64 + i);
			ids[i] = metrics_register(r, "process.rss_bytes", labels);
			assert_true(ids[i] >= 0);
		}
		for (int i = 0; i < 64; i++)
			metrics_retire(r, ids[i]);
	}
	assert_true(metrics_register(r, "x", "") >= 0);
	metrics_free(r);
}

static void test_lowest_free_slot_is_taken_first(void **state)
{
	struct metric_registry *r = metrics_new(200, 360);
	char labels[32];
	int ids[200], id;
	uint32_t generation;

	(void)state;
	/* A burst of 200 series, all with samples; then all but the first
	 * and the last go (short-lived processes). */
	for (int i = 0; i < 200; i++) {
		snprintf(labels, sizeof(labels), "pid=%d", i);
		ids[i] = metrics_register(r, "process.rss_bytes", labels);
		assert_int_equal(ids[i], i);
		metrics_push(r, ids[i], 1, (double)i);
	}
	generation = metrics_get(r, 1)->generation;
	for (int i = 1; i < 199; i++)
		metrics_retire(r, ids[i]);
	/* New series fill the start, not the slots freed last; the slot's
	 * page went back, yet its generation is not one seen before. */
	id = metrics_register(r, "process.rss_bytes", "pid=1000");
	assert_int_equal(id, 1);
	assert_int_not_equal(metrics_get(r, id)->generation, 0);
	assert_int_not_equal(metrics_get(r, id)->generation, generation);
	assert_string_equal(metrics_get(r, ids[0])->labels, "pid=0");
	assert_string_equal(metrics_get(r, ids[199])->labels, "pid=199");
	assert_int_equal(metrics_count(r, id), 0);
	metrics_push(r, id, 2, 5.0);
	/* The survivors' samples are intact (their pages were kept). */
	assert_int_equal(metrics_count(r, ids[0]), 1);
	assert_int_equal(metrics_count(r, ids[199]), 1);
	{
		int64_t time_usec;
		double value;

		assert_true(
		    metrics_value_back(r, ids[199], 0, &time_usec, &value));
		assert_true(value == 199.0 && time_usec == 1);
	}
	metrics_free(r);
}

static void test_long_names_are_refused(void **state)
{
	struct metric_registry *r = metrics_new(2, 2);
	char name[METRIC_NAME_MAX + 8];

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(metrics_register(r, name, ""), -ENAMETOOLONG);
	metrics_free(r);
}

static void test_series_match(void **state)
{
	(void)state;
	assert_true(metrics_series_match("disk.*", "disk.used_percent",
					 "mount=/"));
	assert_false(metrics_series_match("disk.*", "cpu.usage_percent", ""));
	assert_true(metrics_series_match("disk.used_percent{mount=/}",
					 "disk.used_percent", "mount=/"));
	assert_false(metrics_series_match("disk.used_percent{mount=/}",
					  "disk.used_percent", "mount=/home"));
	assert_true(metrics_series_match("process.*{*name=nginx*}",
					 "process.rss_bytes",
					 "name=nginx,pid=812"));
}

/* Patterns of plain bytes and '*' take a shortcut: it answers as fnmatch. */
static void test_series_match_agrees_with_fnmatch(void **state)
{
	static const char *const patterns[] = {
	    "*",     "**",   "a*",	  "*a",
	    "*a*",   "a*b",  "a*b*c",	  "*ab*ab*",
	    "aab",   "a**b", "*_per_sec", "net.*_errors_per_sec",
	    "psi.*", "a?b",  "[ab]*",	  "a\\*b",
	    "",
	};
	static const char *const texts[] = {
	    "",
	    "a",
	    "b",
	    "ab",
	    "aab",
	    "abab",
	    "aabab",
	    "abc",
	    "a*b",
	    "acb",
	    "axbyc",
	    "net.rx_errors_per_sec",
	    "net.errors_per_sec",
	    "psi.some_cpu",
	    "x_per_sec_per_sec",
	    ".hidden/a*b",
	};

	(void)state;
	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++)
		for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++)
			if (metrics_series_match(patterns[p], texts[t], "") !=
			    (fnmatch(patterns[p], texts[t], 0) == 0))
				fail_msg("pattern \"%s\" on \"%s\"",
					 patterns[p], texts[t]);
}

/* Lookups by hash, and the id past which no series lives. */
static void test_find_and_id_limit(void **state)
{
	struct metric_registry *r = metrics_new(8, 4);
	int a = metrics_register(r, "cpu.usage_percent", "");
	int b = metrics_register(r, "disk.used_percent", "mount=/");
	int c = metrics_register(r, "process.rss_bytes", "pid=1");
	int64_t t[4];
	double v[4];

	(void)state;
	assert_int_equal(metrics_find(r, "disk.used_percent", "mount=/"), b);
	assert_int_equal(metrics_find(r, "cpu.usage_percent", NULL), a);
	assert_int_equal(metrics_find(r, "disk.used_percent", ""), -1);
	assert_int_equal(metrics_id_limit(r), (size_t)c + 1);
	metrics_retire(r, b);
	assert_int_equal(metrics_id_limit(r), (size_t)c + 1);
	metrics_retire(r, c);
	assert_int_equal(metrics_id_limit(r), (size_t)a + 1);
	assert_int_equal(metrics_find(r, "process.rss_bytes", "pid=1"), -1);
	/* The samples since a time, newest first, as value_back has them. */
	for (int i = 0; i < 6; i++)
		metrics_push(r, a, (int64_t)(i + 1) * 10000000, i);
	assert_int_equal(metrics_values_since(r, a, 35000000, 4, t, v), 3);
	assert_int_equal(t[0], 60000000);
	assert_int_equal(t[2], 40000000);
	assert_float_equal(v[2], 3, 1e-9);
	assert_int_equal(metrics_values_since(r, a, 0, 4, t, v), 4);
	assert_int_equal(metrics_values_since(r, a, 70000000, 4, t, v), 0);
	metrics_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_is_idempotent),
	    cmocka_unit_test(test_ring_keeps_newest_in_order),
	    cmocka_unit_test(test_compact_samples_keep_time_and_seven_digits),
	    cmocka_unit_test(
		test_full_registry_refuses_then_reuses_retired_slot),
	    cmocka_unit_test(test_many_series_churn),
	    cmocka_unit_test(test_lowest_free_slot_is_taken_first),
	    cmocka_unit_test(test_long_names_are_refused),
	    cmocka_unit_test(test_series_match),
	    cmocka_unit_test(test_series_match_agrees_with_fnmatch),
	    cmocka_unit_test(test_find_and_id_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
