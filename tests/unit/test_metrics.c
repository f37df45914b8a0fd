/*
 * test_metrics.c - the metric registry: ids are stable per name + labels, the
 * ring keeps the newest samples in order, a full registry refuses new series,
 * retired slots are reused with a new generation, and series globs match
 * on the name or on "name{labels}"; packed rings read back every sample
 * pushed (NaN, infinities, jumps, time gaps), metrics_count_between counts
 * what a walk back finds, and a short pool costs old samples, never memory.
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

/* ---- packed rings ---- */

enum pattern { FLAT, SLOW, NOISY, SPECIAL, JUMPS, GAPS, PATTERNS };

/* Deterministic pseudo-random bits (xorshift), the same each run. */
static uint64_t next_random(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void sample_of(enum pattern p, int i, uint64_t *rng, int64_t *t,
		      double *v)
{
	static int64_t clock_usec = INT64_C(1765000000000000);
	uint64_t r = next_random(rng);

	/* 10 s ticks with a few ms of jitter; GAPS skips hours now and then. */
	clock_usec += 10000000 + (int64_t)(r % 5000) * 1000 -
		      2000000 * (p == GAPS && r % 97 == 0);
	if (p == GAPS && r % 31 == 0)
		clock_usec += INT64_C(3600000000) * (int64_t)(1 + r % 48);
	*t = clock_usec + (int64_t)(r % 1000);
	switch (p) {
	case FLAT:
		*v = 42.5;
		break;
	case SLOW:
		*v = 1e9 + (double)(i / 7) * 4096;
		break;
	case NOISY:
		*v = (double)(r % 1000000) / 1000.0;
		break;
	case SPECIAL: {
		static const double specials[] = {
		    NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e38, -1e-38, 3.0};
		*v = specials[r % 8];
		break;
	}
	case JUMPS:
		*v = (r % 2 ? 1.0 : -1.0) *
		     ldexp((double)(r % 1000), (int)(r % 200) - 100);
		break;
	default:
		*v = (double)(i % 50);
		break;
	}
}

static void assert_same_sample(int64_t got_t, double got_v, int64_t want_t,
			       double want_v)
{
	float f = (float)want_v;

	assert_true(got_t == want_t / 1000 * 1000);
	if (isnan(f))
		assert_true(isnan(got_v));
	else
		assert_memory_equal(&(float){(float)got_v}, &f, sizeof(f));
}

/*
 * Every pattern, past several wrap-arounds: each sample back reads what was
 * pushed (float value, millisecond time), the newest exactly, and
 * metrics_values_since agrees sample by sample.
 */
static void test_packed_ring_reads_back_every_sample(void **state)
{
	enum { CAPACITY = 360, PUSHES = 1700 };
	struct metric_registry *r = metrics_new(PATTERNS, CAPACITY);
	static int64_t times[PATTERNS][PUSHES];
	static double values[PATTERNS][PUSHES];
	uint64_t rng = 88172645463325252ULL;

	(void)state;
	for (int i = 0; i < PUSHES; i++) {
		for (int p = 0; p < PATTERNS; p++) {
			char name[16];
			int id;

			snprintf(name, sizeof(name), "p%d", p);
			id = metrics_register(r, name, "");
			sample_of((enum pattern)p, i, &rng, &times[p][i],
				  &values[p][i]);
			metrics_push(r, id, times[p][i], values[p][i]);
			/* Read back at odd moments, not only when done. */
			if (i % 97 == 0 || i == PUSHES - 1) {
				size_t count = metrics_count(r, id);
				int64_t t, since[CAPACITY];
				double v, got[CAPACITY];
				size_t n;

				assert_int_equal(
				    count, i + 1 < CAPACITY ? i + 1 : CAPACITY);
				for (size_t back = 0; back < count; back++) {
					assert_true(metrics_value_back(
					    r, id, back, &t, &v));
					if (back == 0) {
						assert_true(t == times[p][i]);
						assert_true(
						    v == values[p][i] ||
						    (isnan(v) &&
						     isnan(values[p][i])));
					} else {
						assert_same_sample(
						    t, v, times[p][i - back],
						    values[p][i - back]);
					}
				}
				assert_false(
				    metrics_value_back(r, id, count, &t, &v));
				n = metrics_values_since(r, id, INT64_MIN,
							 CAPACITY, since, got);
				assert_int_equal(n, count);
				for (size_t back = 1; back < n; back++)
					assert_same_sample(since[back],
							   got[back],
							   times[p][i - back],
							   values[p][i - back]);
			}
		}
	}
	metrics_free(r);
}

/* A flat series takes two bits a sample: an hour fits in two blocks. */
static void test_flat_series_packs_small(void **state)
{
	struct metric_registry *r = metrics_new(4, 360);
	size_t before = metrics_pool_free(r);
	int id = metrics_register(r, "memory.total_bytes", "");

	(void)state;
	for (int i = 0; i < 2000; i++)
		metrics_push(r, id,
			     INT64_C(1765000000000000) + i * INT64_C(10000000),
			     8e9);
	assert_int_equal(metrics_count(r, id), 360);
	assert_true(before - metrics_pool_free(r) <= 3);
	metrics_retire(r, id);
	assert_int_equal(metrics_pool_free(r), before);
	metrics_free(r);
}

/*
 * A pool too small for the rings: series keep fewer old samples, what they
 * keep still reads right, and the pool never goes below empty.
 */
static void test_pool_exhaustion_keeps_fewer_old_samples(void **state)
{
	enum { CAPACITY = 360, PUSHES = 1000 };
	struct metric_registry *r = metrics_new_pool(2, CAPACITY, 6);
	static int64_t times[2][PUSHES];
	static double values[2][PUSHES];
	uint64_t rng = 2463534242ULL;
	int ids[2];

	(void)state;
	ids[0] = metrics_register(r, "a", "");
	ids[1] = metrics_register(r, "b", "");
	for (int i = 0; i < PUSHES; i++) {
		for (int s = 0; s < 2; s++) {
			sample_of(NOISY, i, &rng, &times[s][i], &values[s][i]);
			metrics_push(r, ids[s], times[s][i], values[s][i]);
		}
	}
	for (int s = 0; s < 2; s++) {
		size_t count = metrics_count(r, ids[s]);
		int64_t t;
		double v;

		/* At least the plain head and a block; fewer than an hour. */
		assert_true(count >= 9 && count < CAPACITY);
		for (size_t back = 1; back < count; back++) {
			assert_true(
			    metrics_value_back(r, ids[s], back, &t, &v));
			assert_same_sample(t, v, times[s][PUSHES - 1 - back],
					   values[s][PUSHES - 1 - back]);
		}
	}
	assert_int_equal(metrics_pool_free(r), 0);
	/* A retired series gives its blocks to the other. */
	metrics_retire(r, ids[0]);
	assert_true(metrics_pool_free(r) > 0);
	metrics_free(r);
}

/*
 * metrics_count_between is the walk metrics_value_back would do: from the
 * newest back to the first sample before since, counting those before
 * before. Checked against that walk for flat, random, stepped-back and
 * gapped series, windows in and past the plain head and the blocks, and a
 * ring shorter than the plain head.
 */
static void test_count_between_matches_walk(void **state)
{
	static const size_t capacities[] = {360, 12, 5};
	uint64_t rng = 0x2545f4914f6cdd1dULL;

	(void)state;
	for (size_t c = 0; c < sizeof(capacities) / sizeof(capacities[0]);
	     c++) {
		struct metric_registry *r =
		    metrics_new(PATTERNS, capacities[c]);

		for (int i = 0; i < 700; i++) {
			for (int p = 0; p < PATTERNS; p++) {
				char name[16];
				int64_t t, newest, since, before;
				double v;
				size_t want = 0, count;
				int id;

				snprintf(name, sizeof(name), "p%d", p);
				id = metrics_register(r, name, "");
				sample_of((enum pattern)p, i, &rng, &t, &v);
				/* Now and then the clock steps back. */
				if (p == NOISY && i % 50 == 49)
					t -= INT64_C(40000000);
				metrics_push(r, id, t, v);
				count = metrics_count(r, id);
				assert_true(
				    metrics_value_back(r, id, 0, &newest, &v));
				/* A window ending up to 10 minutes before the
				 * newest, up to 40 long (a series gets a
				 * sample a minute here: past the plain head
				 * into the blocks), edges to the usec. */
				before = newest - (int64_t)(next_random(&rng) %
							    INT64_C(600000000));
				since = before - (int64_t)(next_random(&rng) %
							   INT64_C(2400000000));
				if (i % 7 == 0)
					since = before - INT64_C(60000000);
				for (size_t back = 0; back < count; back++) {
					assert_true(metrics_value_back(
					    r, id, back, &t, &v));
					if (t < since)
						break;
					want += t < before;
				}
				assert_int_equal(
				    metrics_count_between(r, id, since, before),
				    want);
			}
		}
		metrics_free(r);
	}
}

/* What metrics_count_between must say: the walk back metrics_value_back
 * allows, from the newest to the first sample before since. */
static size_t walk_between(const struct metric_registry *r, int id,
			   int64_t since, int64_t before)
{
	size_t count = metrics_count(r, id), want = 0;
	int64_t t;
	double v;

	for (size_t back = 0; back < count; back++) {
		assert_true(metrics_value_back(r, id, back, &t, &v));
		if (t < since)
			break;
		want += t < before;
	}
	return want;
}

/*
 * The minutes the ring counts as it is pushed (the current one and the one
 * before, what the history's minute close asks) give what the walk gives:
 * at 10-s ticks with jitter, 1-s ticks, equal times, gaps of minutes, the
 * clock stepping back, a series retired and registered again, rings
 * shorter than a minute's samples and a pool too short for the blocks.
 * Every minute-aligned window around the newest is checked after every
 * push, with windows of other lengths for the plain walk beside them.
 */
static void test_minute_counts_match_walk(void **state)
{
	static const struct {
		size_t capacity, pool;
	} rings[] = {{360, 0}, {360, 3}, {40, 0}, {12, 0}, {5, 0}, {3, 0}};
	const int64_t minute = INT64_C(60000000);
	uint64_t rng = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (size_t c = 0; c < sizeof(rings) / sizeof(rings[0]); c++) {
		struct metric_registry *r =
		    metrics_new_pool(2, rings[c].capacity, rings[c].pool);
		int64_t t = INT64_C(1765000000000000) + 123456;
		int id = metrics_register(r, "m", "");

		for (int i = 0; i < 3000; i++) {
			uint64_t x = next_random(&rng);
			int64_t m, newest;
			double v;

			switch (x % 64) {
			case 0: /* a gap of minutes */
				t += minute * (int64_t)(1 + x / 64 % 5);
				break;
			case 1: /* the clock steps back, up to 90 s */
				t -= (int64_t)(x / 64 % 90000000);
				break;
			case 2: /* the same time again */
				break;
			case 3: /* the series goes and comes back */
				metrics_retire(r, id);
				id = metrics_register(r, "m", "");
				break;
			default:
				/* 10-s ticks with jitter, or 1-s ticks */
				t += (i / 500) % 2
					 ? 1000000 + (int64_t)(x % 997)
					 : 10000000 +
					       (int64_t)(x % 5000) * 1000 -
					       2500000;
				break;
			}
			v = x % 3 == 0 ? (double)(x % 100) : 7.0;
			metrics_push(r, id, t, v);
			assert_true(metrics_value_back(r, id, 0, &newest, &v));
			m = newest - newest % minute;
			for (int64_t from = m - 3 * minute; from <= m + minute;
			     from += minute) {
				assert_int_equal(
				    metrics_count_between(r, id, from,
							  from + minute),
				    walk_between(r, id, from, from + minute));
				/* Not a minute, or not aligned: the walk. */
				assert_int_equal(
				    metrics_count_between(r, id, from + 1000,
							  from + minute + 1000),
				    walk_between(r, id, from + 1000,
						 from + minute + 1000));
				assert_int_equal(
				    metrics_count_between(r, id, from,
							  from + 2 * minute),
				    walk_between(r, id, from,
						 from + 2 * minute));
			}
		}
		metrics_free(r);
	}
}

/*
 * The packer's shortcut for a batch of one repeated value gives what the
 * general packer gives: the same samples read back, the same blocks taken,
 * for repeated values at jittering steps, at equal steps, across gaps and
 * clock steps, with changes that end a run mid-batch and blocks filling up.
 * Series 3-6 take their samples at one time a tick, as a collector's do:
 * their batches share the time codes worked out once (the registry's memo),
 * also when they pack in other phases (5 starts later) or fill their blocks
 * at other samples (6 changes now and then).
 */
static void test_repeat_shortcut_matches_general_packer(void **state)
{
	enum { CAPACITY = 720, PUSHES = 3000, SERIES = 7 };
	struct metric_registry *r[2];
	uint64_t rng = 88172645463325252ULL;
	int ids[2][SERIES];

	(void)state;
	for (int k = 0; k < 2; k++) {
		r[k] = metrics_new(SERIES, CAPACITY);
		/* r[1] packs every batch through the general packer. */
		metrics_set_repeat_shortcut(r[k], k == 0);
		for (int p = 0; p < SERIES; p++) {
			char name[16];

			snprintf(name, sizeof(name), "s%d", p);
			ids[k][p] = metrics_register(r[k], name, "");
		}
	}
	for (int i = 0; i < PUSHES; i++) {
		uint64_t y = next_random(&rng);
		/* the tick's time: a few ms late, now and then a gap */
		int64_t tick = INT64_C(1765000000000000) +
			       (int64_t)i * 10000000 +
			       (int64_t)(y % 6000) * 1000 +
			       (i > 1500 ? INT64_C(40000000) : 0);

		for (int p = 0; p < SERIES; p++) {
			uint64_t x = next_random(&rng);
			int64_t t =
			    INT64_C(1765000000000000) + (int64_t)i * 10000000;
			double v;

			if (p == 0) /* jitter of a few ms, one value */
				t += (int64_t)(x % 6000) * 1000;
			else if (p == 1 &&
				 x % 200 == 0) /* a gap, a step back */
				t += (x & 256 ? 1 : -1) * INT64_C(90000000);
			v = p == 2 ? (double)(i / 11 % 3) : 0.0;
			if (p == 0 && x % 97 == 0)
				v = 1.5; /* a change mid-run */
			if (p >= 3)
				t = tick;
			if (p == 5 && i < 3)
				continue;
			if (p == 6 && i % 101 == 0)
				v = 2;
			for (int k = 0; k < 2; k++)
				metrics_push(r[k], ids[k][p], t, v);
		}
	}
	assert_int_equal(metrics_pool_free(r[0]), metrics_pool_free(r[1]));
	for (int p = 0; p < SERIES; p++) {
		size_t count = metrics_count(r[0], ids[0][p]);

		assert_int_equal(count, metrics_count(r[1], ids[1][p]));
		assert_true(count == CAPACITY);
		for (size_t back = 0; back < count; back++) {
			int64_t t[2];
			double v[2];

			for (int k = 0; k < 2; k++)
				assert_true(metrics_value_back(
				    r[k], ids[k][p], back, &t[k], &v[k]));
			assert_true(t[0] == t[1]);
			assert_memory_equal(&v[0], &v[1], sizeof(v[0]));
		}
	}
	metrics_free(r[0]);
	metrics_free(r[1]);
}

/* Rings no deeper than the plain head never need a block. */
static void test_short_ring_stays_plain(void **state)
{
	struct metric_registry *r = metrics_new_pool(1, 2, 2);
	int id = metrics_register(r, "x", "");
	int64_t t;
	double v;

	(void)state;
	for (int i = 1; i <= 10; i++)
		metrics_push(r, id, i * 1000000, i);
	assert_int_equal(metrics_count(r, id), 2);
	assert_true(metrics_value_back(r, id, 1, &t, &v));
	assert_true(t == 9000000 && v == 9);
	assert_int_equal(metrics_pool_free(r), 2);
	metrics_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_packed_ring_reads_back_every_sample),
	    cmocka_unit_test(test_flat_series_packs_small),
	    cmocka_unit_test(test_count_between_matches_walk),
	    cmocka_unit_test(test_minute_counts_match_walk),
	    cmocka_unit_test(test_repeat_shortcut_matches_general_packer),
	    cmocka_unit_test(test_pool_exhaustion_keeps_fewer_old_samples),
	    cmocka_unit_test(test_short_ring_stays_plain),
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
