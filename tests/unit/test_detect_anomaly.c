/*
 * test_detect_anomaly.c - the generic detector on synthetic series whose
 * answer is known: a step and a spike are reported once, at the right row; a
 * noisy flat line, a daily cycle, regular bursts and a counter reset's
 * aftermath are not; a daily cycle whose shape changes is, and only by its
 * daily profile.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analyzer.h"

#define STEP_USEC (300 * 1000000LL) /* NAB's 5-minute rows */

/*
 * The shipped defaults, as `replay` gets them for a series with no unit
 * (which anomaly_series need not match: replay runs the detector anyway).
 */
static struct anomaly_params defaults(void)
{
	struct config *config = config_defaults();
	struct anomaly_params p;

	assert_non_null(config);
	(void)analyzer_anomaly_params(&config->analyzer, "x", "", &p);
	assert_true(p.min_deviation == 0 && !p.rise_only);
	config_free(config);
	return p;
}

/* Deterministic standard normal noise (Box-Muller on a small LCG). */
static uint64_t seed = 42;
static double uniform(void)
{
	seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return ((double)(seed >> 11) + 0.5) / 9007199254740992.0;
}

static double gaussian(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

struct run {
	int alerts;
	int first_alert;     /* row of the first alert, -1 if none */
	int alert_rows[16];
	uint8_t causes[16]; /* enum anomaly_cause of each alert */
	double max_score;
	double explained; /* the profile's share of the variance at the end */
};

/* One profile for the replays, as `replay` has (too big for the stack of
 * every test that would hold its own). */
static struct season_state season;

typedef double (*series_fn)(int row);

static struct run replay(series_fn f, int rows,
			 const struct anomaly_params *params)
{
	struct anomaly_state s;
	struct run r = { .first_alert = -1 };

	anomaly_init(&s);
	season_init(&season);
	for (int i = 0; i < rows; i++) {
		double score;
		enum detect_transition t = analyzer_series_step(
		    &s, &season, params, (int64_t)i * STEP_USEC, f(i), &score);

		if (i > params->warmup_samples && score > r.max_score)
			r.max_score = score;
		if (t != DETECT_FIRE)
			continue;
		if (r.first_alert < 0)
			r.first_alert = i;
		if (r.alerts < 16) {
			r.alert_rows[r.alerts] = i;
			r.causes[r.alerts] = s.cause;
		}
		r.alerts++;
	}
	r.explained = season.explained;
	return r;
}

static double noisy_flat(int row)
{
	(void)row;
	return 50 + 2 * gaussian();
}

static double step_at_2000(int row)
{
	return (row < 2000 ? 50 : 65) + 2 * gaussian();
}

static double spike_at_2500(int row)
{
	return row == 2500 ? 90 : 50 + 2 * gaussian();
}

static double daily_cycle(int row)
{
	return 50 + 20 * sin(2 * M_PI * row / 288.0) + gaussian();
}

/* A byte counter growing 1000/row that resets to 0 at row 2000. */
static double counter_reset(int row)
{
	return (row < 2000 ? row : row - 2000) * 1000.0 + 10 * gaussian();
}

/* A slow ramp: 0 -> 100 over two weeks of 5-minute rows. */
static double slow_ramp(int row)
{
	return row * 100.0 / 4032 + gaussian();
}

/* Logs filling a disk 50% -> 70% each day, cleaned up at midnight. */
static double daily_sawtooth(int row)
{
	return 50 + 20.0 * (row % 288) / 288 + 0.2 * gaussian();
}

static void test_slow_ramp_is_not_an_anomaly(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 7;
	r = replay(slow_ramp, 4032, &p);
	assert_true(r.alerts <= 1);
}

static void test_sawtooth_with_daily_cleanup_learnt(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 8;
	r = replay(daily_sawtooth, 4032, &p);
	/* The first clean-up may surprise; after that it is routine. */
	assert_true(r.alerts <= 1);
	for (int i = 0; i < r.alerts && i < 16; i++)
		assert_true(r.alert_rows[i] < 2 * 288);
}

static void test_noisy_flat_line_is_quiet(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 1;
	r = replay(noisy_flat, 10000, &p);
	assert_int_equal(r.alerts, 0);
	assert_true(r.max_score < p.raise_score);
}

static void test_flat_series_that_twitches_is_quiet(void **state)
{
	struct anomaly_params p = defaults();
	struct anomaly_state s;
	double score;
	int alerts = 0;

	(void)state;
	anomaly_init(&s);
	/* 40.0 for ever, with a 0.1 wiggle now and then: under the floor. */
	for (int i = 0; i < 5000; i++)
		alerts += analyzer_generic_step(&s, &p, (int64_t)i * STEP_USEC,
						i % 97 == 0 ? 40.1 : 40.0,
						&score) == DETECT_FIRE;
	assert_int_equal(alerts, 0);
}

static void test_step_is_reported_once_promptly(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 2;
	r = replay(step_at_2000, 4000, &p);
	assert_int_equal(r.alerts, 1);
	assert_in_range(r.first_alert, 2000, 2012);
}

static void test_spike_is_reported_at_its_row(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 3;
	r = replay(spike_at_2500, 4000, &p);
	assert_int_equal(r.alerts, 1);
	assert_int_equal(r.first_alert, 2500);
}

static void test_daily_cycle_is_normal(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 4;
	/* Two weeks of 5-minute rows; the first day is learning. */
	r = replay(daily_cycle, 4032, &p);
	for (int i = 0; i < r.alerts && i < 16; i++)
		assert_true(r.alert_rows[i] < 288);
}

static void test_counter_reset_alerts_once_then_relearns(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 5;
	r = replay(counter_reset, 4000, &p);
	/* The climb and the reset may be news; no stream of alerts after. */
	assert_true(r.alerts <= 3);
	for (int i = 0; i < r.alerts && i < 16; i++)
		assert_true(r.alert_rows[i] < 2100);
}

static void test_holdoff_suppresses_repeats(void **state)
{
	struct anomaly_params p = defaults();
	struct anomaly_state s;
	double score;
	int alerts = 0;

	(void)state;
	seed = 6;
	anomaly_init(&s);
	/* Spikes every 10 rows (50 min) after warm-up: one alert per 6 h. */
	for (int i = 0; i < 1000; i++) {
		double v = (i > 500 && i % 10 == 0) ? 200 + i : 50 + gaussian();

		alerts += analyzer_generic_step(&s, &p, (int64_t)i * STEP_USEC,
						v, &score) == DETECT_FIRE;
	}
	/* 499 rows = 41.6 h after the first spike: at most 1 + 41.6/6. */
	assert_in_range(alerts, 1, 8);
}

/* A pair of 20s six rows apart every 100 rows, 0 otherwise: regular bursts
 * (NAB's art_increase_spike_density before its anomaly), from row 0. */
static double burst_pairs(int row)
{
	return row % 100 == 0 || row % 100 == 6 ? 20 : 0;
}

static void test_regular_burst_pairs_are_no_level_shift(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	/* Two samples of a burst were a "level shift" every time (h / 1
	 * per step); the first sample, a burst, set the levels' range. */
	r = replay(burst_pairs, 4000, &p);
	assert_int_equal(r.alerts, 0);
}

/* Uniform on [40, 54] (a bounded series), and once, at row 3000, 66. */
static double bounded_then_far_out(int row)
{
	return row == 3000 ? 66 : 40 + 14 * uniform();
}

static void test_far_beyond_a_bounded_range_alerts_below_z_alert(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 11;
	/* 66 is ~3.6 spreads from the median, under z_alert, but twice the
	 * margin beyond anything the series ever reached. */
	r = replay(bounded_then_far_out, 3100, &p);
	assert_int_equal(r.alerts, 1);
	assert_int_equal(r.first_alert, 3000);
}

static void test_hourly_envelope_forgets_within_weeks(void **state)
{
	struct anomaly_params p = defaults();
	struct anomaly_state s;
	int alerts = 0, last = -1;

	(void)state;
	seed = 12;
	anomaly_init(&s);
	season_init(&season);
	/* Hourly rows: a spike to 100 on day 12, one to 80 25 days later. At
	 * 2000 samples the envelope would still be at ~87 (83 days' memory);
	 * at 28 days it is back near 70, and 80 is news again. */
	for (int i = 0; i < 1000; i++) {
		double score, v = 50 + 2 * gaussian();

		if (i == 300)
			v = 100;
		if (i == 900)
			v = 80;
		if (analyzer_series_step(&s, &season, &p,
					 (int64_t)i * 3600 * 1000000LL, v,
					 &score) == DETECT_FIRE) {
			alerts++;
			last = i;
		}
	}
	assert_int_equal(alerts, 2);
	assert_int_equal(last, 900);
}

static void test_not_finite_values_are_ignored(void **state)
{
	struct anomaly_params p = defaults();
	struct anomaly_state s;

	(void)state;
	anomaly_init(&s);
	for (int i = 0; i < 300; i++)
		anomaly_update(&s, &p, 10 + (i % 2));
	assert_true(anomaly_update(&s, &p, NAN) < p.raise_score);
	assert_true(isfinite(anomaly_baseline(&s)));
	assert_true(fabs(anomaly_baseline(&s) - 10.5) < 1);
}

/* ---- the daemon's operational gates, on 1-second samples ---- */

#define SECOND_USEC 1000000LL

/* The daemon's parameters for a series name, from the shipped defaults. */
static struct anomaly_params daemon_params(const char *name, bool *watched)
{
	struct config *config = config_defaults();
	struct anomaly_params p;

	assert_non_null(config);
	*watched = analyzer_anomaly_params(&config->analyzer, name, "", &p);
	config_free(config);
	return p;
}

static int last_resolve; /* row of the last DETECT_RESOLVE, -1 if none */

static int count_alerts(const struct anomaly_params *params,
			double (*f)(int row), int rows, int *first)
{
	struct anomaly_state s;
	int alerts = 0;

	anomaly_init(&s);
	*first = -1;
	last_resolve = -1;
	for (int i = 0; i < rows; i++) {
		double score;
		enum detect_transition t = analyzer_generic_step(
			&s, params, i * SECOND_USEC, f(i), &score);

		if (t == DETECT_RESOLVE)
			last_resolve = i;
		if (t != DETECT_FIRE)
			continue;
		if (*first < 0)
			*first = i;
		alerts++;
	}
	return alerts;
}

/* Major faults: almost always 0, a lone 15/s blip at row 1500. */
static double fault_blip(int row)
{
	if (row == 1500)
		return 15;
	return uniform() < 0.002 ? 1 : 0;
}

static void test_small_blip_under_the_floor_is_quiet(void **state)
{
	bool watched;
	struct anomaly_params p = daemon_params("memory.major_faults_per_sec",
						&watched);
	int first;

	(void)state;
	assert_true(watched);
	assert_true(p.rise_only);
	p.min_deviation = 50;
	assert_int_equal(count_alerts(&p, fault_blip, 2000, &first), 0);
	/* Statistically, even a single fault is novel on this series. */
	p.min_deviation = 0;
	assert_true(count_alerts(&p, fault_blip, 2000, &first) >= 1);
}

/* TCP retransmits: about 2/s, then 3000/s from row 1200 for a minute. */
static double retransmit_surge(int row)
{
	double base = 2 + 1.5 * gaussian();

	if (base < 0)
		base = 0;
	return row >= 1200 && row < 1260 ? 3000 + 100 * gaussian() : base;
}

static void test_sustained_retransmit_surge_alerts_once(void **state)
{
	bool watched;
	struct anomaly_params p = daemon_params("net.tcp_retransmits_per_sec",
						&watched);
	int first;

	(void)state;
	assert_true(watched);
	assert_true(p.min_deviation > 0);
	assert_int_equal(count_alerts(&p, retransmit_surge, 2400, &first), 1);
	assert_in_range(first, 1200, 1203);
	/* The baseline adapts within seconds; the alert lasts the surge. */
	assert_in_range(last_resolve, 1260, 1300);
}

/* Receive errors at ~200/s (a flaky link) that stop at row 1500. */
static double errors_stop(int row)
{
	return row < 1500 ? 200 + 10 * gaussian() : 0;
}

static void test_drop_of_an_error_rate_never_alerts(void **state)
{
	bool watched;
	struct anomaly_params p = daemon_params("net.rx_errors_per_sec",
						&watched);
	int first;

	(void)state;
	assert_true(watched);
	assert_true(p.rise_only);
	assert_int_equal(count_alerts(&p, errors_stop, 3000, &first), 0);
	/* The same drop, both ways, is an anomaly. */
	p.rise_only = false;
	assert_int_equal(count_alerts(&p, errors_stop, 3000, &first), 1);
	assert_in_range(first, 1500, 1510);
}

/* iowait around 1%, then 3% (novel, tiny) or 25% (real) from row 1200. */
static double iowait_to_3(int row)
{
	return (row < 1200 ? 1 : 3) + 0.1 * gaussian();
}

static double iowait_to_25(int row)
{
	return (row < 1200 ? 1 : 25) + 0.1 * gaussian();
}

static void test_percent_needs_several_points(void **state)
{
	bool watched;
	struct anomaly_params p = daemon_params("cpu.iowait_percent",
						&watched);
	int first;

	(void)state;
	assert_true(watched);
	assert_true(p.min_deviation >= 2);
	assert_int_equal(count_alerts(&p, iowait_to_3, 2400, &first), 0);
	assert_int_equal(count_alerts(&p, iowait_to_25, 2400, &first), 1);
	assert_in_range(first, 1200, 1210);
	/* Without the floor, the 2-point move is statistically novel. */
	p.min_deviation = 0;
	assert_int_equal(count_alerts(&p, iowait_to_3, 2400, &first), 1);
}

/* A surge 300 s in: past warmup_samples, still inside warmup_secs. */
static double early_surge(int row)
{
	return row >= 300 && row < 360 ? 3000 : 2 + gaussian();
}

static void test_wall_time_warmup_holds_the_first_verdict(void **state)
{
	bool watched;
	struct anomaly_params p = daemon_params("net.tcp_retransmits_per_sec",
						&watched);
	int first;

	(void)state;
	assert_true(p.warmup_samples < 300);
	assert_true(p.warmup_secs > 360);
	assert_int_equal(count_alerts(&p, early_surge, 1000, &first), 0);
	p.warmup_secs = 0;
	assert_int_equal(count_alerts(&p, early_surge, 1000, &first), 1);
	assert_int_equal(first, 300);
}

/* Levels are left to [thresholds]; replay's unit-less series is ungated. */
static void test_default_series_and_units(void **state)
{
	bool watched;
	struct anomaly_params p;

	(void)state;
	p = daemon_params("cpu.usage_percent", &watched);
	assert_false(watched);
	p = daemon_params("memory.used_percent", &watched);
	assert_false(watched);
	p = daemon_params("load.threads", &watched);
	assert_false(watched);
	p = daemon_params("disk.await_ms", &watched);
	assert_true(watched);
	assert_true(p.rise_only);
	assert_true(p.min_deviation > 0);
	/* Traffic volume is workload, not trouble. */
	p = daemon_params("net.rx_bytes_per_sec", &watched);
	assert_false(watched);
	assert_false(p.rise_only);
	assert_true(p.min_deviation >= 1024);
	p = daemon_params("replay", &watched);
	assert_false(p.rise_only);
	assert_true(p.min_deviation == 0);
}

static void test_state_is_small(void **state)
{
	(void)state;
	assert_true(sizeof(struct anomaly_state) <= 192);
	/* The profile is a fixed array: the same bytes after any history. */
	assert_int_equal(sizeof(struct season_state), SEASON_STATE_BYTES);
	assert_true(SEASON_STATE_BYTES <= 2304);
	assert_true(analyzer_slot_bytes() <= 400 + SEASON_STATE_BYTES);
}

/* ---- the daily profile ---- */

#define DAY_ROWS 288 /* 5-minute rows */

/*
 * An office-hours cycle: quiet nights at 20, a rise from 08:00 to a
 * plateau near 80 with a lunch peak at 12:00 on top, back down by 18:00.
 */
static double office_day(int row)
{
	double hour = (row % DAY_ROWS) * 24.0 / DAY_ROWS;
	double level = 20;

	if (hour >= 8 && hour < 18)
		level += 60 * sin(M_PI * (hour - 8) / 10);
	level += 15 * exp(-(hour - 12) * (hour - 12) / 0.5);
	return level;
}

static double office_days(int row)
{
	return office_day(row) + 1.5 * gaussian();
}

/* Day 9 (rows 2304..2591): the middle of the day stays at the night level. */
static double flattened_middle(int row)
{
	double hour = (row % DAY_ROWS) * 24.0 / DAY_ROWS;

	if (row / DAY_ROWS == 8 && hour >= 10 && hour < 15)
		return 20 + 1.5 * gaussian();
	return office_days(row);
}

/* Day 9: no lunch peak, the rest of the day as usual. */
static double missing_peak(int row)
{
	double hour = (row % DAY_ROWS) * 24.0 / DAY_ROWS;

	if (row / DAY_ROWS == 8)
		return office_day(row) -
		       15 * exp(-(hour - 12) * (hour - 12) / 0.5) +
		       1.5 * gaussian();
	return office_days(row);
}

static void test_clean_daily_cycle_raises_nothing(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 21;
	/* Two weeks: the profile takes over after two days, and the daily
	 * peak, far above the night, is what it expects. */
	r = replay(office_days, 14 * DAY_ROWS, &p);
	assert_true(r.explained >= p.season_explained);
	assert_int_equal(r.alerts, 0);
}

static void test_flattened_middle_of_the_day_is_an_anomaly(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 22;
	r = replay(flattened_middle, 12 * DAY_ROWS, &p);
	/*
	 * Flat at 20 is inside the range the series covers every day: only
	 * the profile knows it is wrong at noon. Nothing before, the first
	 * alert in the changed hours (the generic detector may see the next
	 * day's return to the usual level as a shift of its own).
	 */
	assert_true(r.alerts >= 1 && r.alerts <= 2);
	assert_int_equal(r.causes[0], ANOMALY_CAUSE_SHAPE);
	assert_true(r.first_alert >= 8 * DAY_ROWS + 10 * 12);
	assert_true(r.first_alert < 8 * DAY_ROWS + 15 * 12);
}

static void test_missing_daily_peak_is_an_anomaly(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 23;
	r = replay(missing_peak, 12 * DAY_ROWS, &p);
	assert_int_equal(r.alerts, 1);
	assert_int_equal(r.causes[0], ANOMALY_CAUSE_SHAPE);
	/* Around noon of day 9, while the peak should have been there. */
	assert_true(r.first_alert >= 8 * DAY_ROWS + 11 * 12);
	assert_true(r.first_alert <= 8 * DAY_ROWS + 13 * 12);
}

static void test_non_seasonal_series_keeps_the_generic_verdicts(void **state)
{
	struct anomaly_params p = defaults();
	struct anomaly_state plain, with;
	double a, b;

	(void)state;
	anomaly_init(&plain);
	anomaly_init(&with);
	season_init(&season);
	seed = 24;
	/* Noise with a spike and a step: the profile explains nothing, so
	 * every score is the generic detector's, to the bit. */
	for (int i = 0; i < 10 * DAY_ROWS; i++) {
		double v = (i < 2000 ? 50 : 60) + 2 * gaussian() +
			   (i == 2500 ? 40 : 0);
		int64_t t = (int64_t)i * STEP_USEC;

		analyzer_generic_step(&plain, &p, t, v, &a);
		analyzer_series_step(&with, &season, &p, t, v, &b);
		/* The hours' usual extremes may only calm a score. */
		assert_true(b <= a);
		assert_true(plain.firing == with.firing);
	}
	assert_true(season.explained < p.season_explained);
}

/* ---- the hours' usual extremes ---- */

/* Which minute of day d the nightly job starts at: 03:00 to 03:35. */
static int job_minute(int day)
{
	return 3 * 60 + (day * 37 % 8) * 5;
}

/*
 * A quiet host (CPU 2 +- 0.1 %) whose nightly job takes 50 to 56 % for one
 * 5-minute sample, at a time that drifts by up to 35 minutes from night to
 * night; on day 11 a burst to 90 % comes at 15:00.
 */
static double job_height[16];

static double nightly_job(int row)
{
	int day = row / DAY_ROWS, minute = (row % DAY_ROWS) * 5;
	double v = 2 + 0.1 * gaussian();

	if (minute == job_minute(day))
		v = job_height[day] + gaussian();
	if (day == 10 && minute == 15 * 60)
		v = 90 + gaussian();
	return v;
}

static void test_nightly_job_that_drifts_is_routine(void **state)
{
	struct anomaly_params p = defaults();
	struct anomaly_state plain, with;
	int generic_late = 0;

	(void)state;
	seed = 31;
	for (int d = 0; d < 16; d++)
		job_height[d] = 50 + 6 * uniform();
	anomaly_init(&plain);
	anomaly_init(&with);
	season_init(&season);
	for (int i = 0; i < 14 * DAY_ROWS; i++) {
		int64_t t = (int64_t)i * STEP_USEC;
		int day = i / DAY_ROWS, minute = (i % DAY_ROWS) * 5;
		double v = nightly_job(i), a, b;

		analyzer_generic_step(&plain, &p, t, v, &a);
		analyzer_series_step(&with, &season, &p, t, v, &b);
		if (day >= 2 && minute == job_minute(day)) {
			/* Alone, the detector finds many nights news ... */
			generic_late += a >= p.raise_score;
			/* ... with the hours' memory, none is. */
			assert_true(b < p.raise_score);
		}
		/* Any other hour judges as before: the burst is news. */
		if (day == 10 && minute == 15 * 60) {
			assert_true(a >= p.raise_score);
			assert_true(b == a);
		}
	}
	assert_true(generic_late >= 1);
}

/*
 * One burst on day 4 at 10:00, and the next at 10:00 on day 8: an odd day
 * is forgotten in a few days, so the second burst is an anomaly again.
 */
static double two_odd_bursts(int row)
{
	int day = row / DAY_ROWS, minute = (row % DAY_ROWS) * 5;
	double v = 2 + 0.1 * gaussian();

	if ((day == 4 || day == 8) && minute == 600)
		v = 60 + gaussian();
	return v;
}

static void test_one_odd_day_does_not_make_an_hour_routine(void **state)
{
	struct anomaly_params p = defaults();
	struct run r;

	(void)state;
	seed = 32;
	r = replay(two_odd_bursts, 10 * DAY_ROWS, &p);
	assert_int_equal(r.alerts, 2);
	assert_int_equal(r.alert_rows[0], 4 * DAY_ROWS + 120);
	assert_int_equal(r.alert_rows[1], 8 * DAY_ROWS + 120);
}

/* ---- a series settled on one value takes a shortcut ---- */

/*
 * An idle interface's error rate: 0 for two days, a burst, 0 again, a
 * level of errors for an hour and a half, 0 for a day; then a flat 3.
 */
static double idle_errors(int row)
{
	if (row >= 17280 && row < 17290)
		return 400;
	if (row >= 25920 && row < 26460)
		return 40;
	if (row >= 35100)
		return 3;
	return 0;
}

static struct season_state season_full;

/* Every verdict, score and the final state equal with and without it. */
static void test_settled_shortcut_changes_no_verdict(void **state)
{
	struct config *config = config_defaults();
	struct anomaly_state fast, full;
	struct anomaly_params p;
	int fires = 0;

	(void)state;
	assert_non_null(config);
	(void)analyzer_anomaly_params(
	    &config->analyzer, "net.rx_errors_per_sec", "interface=x", &p);
	config_free(config);
	anomaly_init(&fast);
	anomaly_init(&full);
	season_init(&season);
	season_init(&season_full);
	for (int i = 0; i < 45000; i++) {
		int64_t t = 1700000000 * 1000000LL + (int64_t)i * 10000000 +
			    (i % 7) * 1000; /* a tick's jitter */
		double a, b;
		enum detect_transition ta, tb;

		anomaly_shortcut = true;
		ta = analyzer_series_step(&fast, &season, &p, t, idle_errors(i),
					  &a);
		anomaly_shortcut = false;
		tb = analyzer_series_step(&full, &season_full, &p, t,
					  idle_errors(i), &b);
		assert_int_equal(ta, tb);
		assert_true(a == b);
		assert_int_equal(fast.cause, full.cause);
		fires += ta == DETECT_FIRE;
	}
	anomaly_shortcut = true;
	assert_true(fires >= 1); /* the burst or the level was seen */
	assert_memory_equal(&fast, &full, sizeof(fast));
	assert_memory_equal(&season, &season_full, sizeof(season));
}

/*
 * anomaly_settled_replay() (what the analyzer does for a sleeping series)
 * leaves the bytes that one settled step per tick leaves: deep in the
 * warm-up (counts and time held), and two days in, with the bucket's count
 * at its cap (a profile of one day at 10-s ticks caps at 30); with no
 * memo, with one it fills and with one it takes the walk from (round 0:
 * every step counts; round 1: the count at its cap, none does).
 */
static struct season_state season_before, season_memo_before, season_walked;

static void test_settled_replay_is_the_steps(void **state)
{
	struct config *config = config_defaults();
	struct anomaly_state replayed, stepped, stepped_before;
	struct anomaly_replay_memo memo = {0};
	struct anomaly_params p;
	int64_t t = 1700000000 * 1000000LL, times[30];
	double score;

	(void)state;
	(void)analyzer_anomaly_params(
	    &config->analyzer, "net.rx_errors_per_sec", "interface=x", &p);
	config_free(config);
	p.season_days = 1;
	anomaly_init(&stepped);
	season_init(&season);
	for (int round = 0; round < 2; round++) {
		int before = round == 0 ? 3 : 17280, count = 0;

		for (int i = 0; i < before; i++) {
			t += 10000000 + (i % 5) * 1000;
			(void)analyzer_series_step(&stepped, &season, &p, t, 0,
						   &score);
		}
		/* The ticks left in the last sample's bucket (5 minutes). */
		stepped_before = stepped;
		season_before = season;
		while (count < 30) {
			int64_t next = t + 10000000 + (count % 3) * 1000;

			if (anomaly_season_bucket_start(next) !=
			    anomaly_season_bucket_start(t))
				break;
			t = times[count++] = next;
			assert_int_equal(analyzer_series_step(&stepped, &season,
							      &p, t, 0, &score),
					 DETECT_NONE);
		}
		assert_true(count > 0);
		/* Without a memo, filling one, then from it. */
		for (int m = 0; m < 3; m++) {
			struct season_state *profile = &season_memo_before;
			int bucket =
			    (int)(anomaly_season_bucket_start(times[0]) /
				  300000000 % SEASON_BUCKETS);

			replayed = stepped_before;
			*profile = season_before;
			if (m == 2) {
				assert_true(memo.valid);
				assert_true(
				    round == 0
					? (double)profile->count[bucket] <
					      memo.slack
					: (double)profile->count[bucket] >=
					      memo.ceiling);
			}
			anomaly_settled_replay(&replayed, profile, &p, times,
					       (size_t)count, 0,
					       m == 0 ? NULL : &memo);
			assert_memory_equal(&replayed, &stepped,
					    sizeof(stepped));
			assert_memory_equal(profile, &season, sizeof(season));
		}
		/* A count that reaches the cap on the way: walked, with the
		 * memo as without it. */
		{
			struct anomaly_state walked = stepped_before;
			int bucket =
			    (int)(anomaly_season_bucket_start(times[0]) /
				  300000000 % SEASON_BUCKETS);

			replayed = stepped_before;
			season_memo_before = season_before;
			season_memo_before.count[bucket] = 29;
			season_walked = season_memo_before;
			assert_true(memo.valid && 29 >= memo.slack &&
				    29 < memo.ceiling);
			anomaly_settled_replay(&replayed, &season_memo_before,
					       &p, times, (size_t)count, 0,
					       &memo);
			anomaly_settled_replay(&walked, &season_walked, &p,
					       times, (size_t)count, 0, NULL);
			assert_memory_equal(&replayed, &walked, sizeof(walked));
			assert_memory_equal(&season_memo_before, &season_walked,
					    sizeof(season_walked));
			assert_int_equal(season_walked.count[bucket], 30);
		}
		memo.valid = false; /* the times change */
	}
	assert_true(season.count[anomaly_season_bucket_start(t) / 300000000 %
				 SEASON_BUCKETS] == 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_noisy_flat_line_is_quiet),
	    cmocka_unit_test(test_slow_ramp_is_not_an_anomaly),
	    cmocka_unit_test(test_sawtooth_with_daily_cleanup_learnt),
	    cmocka_unit_test(test_flat_series_that_twitches_is_quiet),
	    cmocka_unit_test(test_step_is_reported_once_promptly),
	    cmocka_unit_test(test_spike_is_reported_at_its_row),
	    cmocka_unit_test(test_daily_cycle_is_normal),
	    cmocka_unit_test(test_counter_reset_alerts_once_then_relearns),
	    cmocka_unit_test(test_holdoff_suppresses_repeats),
	    cmocka_unit_test(test_regular_burst_pairs_are_no_level_shift),
	    cmocka_unit_test(
		test_far_beyond_a_bounded_range_alerts_below_z_alert),
	    cmocka_unit_test(test_hourly_envelope_forgets_within_weeks),
	    cmocka_unit_test(test_not_finite_values_are_ignored),
	    cmocka_unit_test(test_state_is_small),
	    cmocka_unit_test(test_clean_daily_cycle_raises_nothing),
	    cmocka_unit_test(test_flattened_middle_of_the_day_is_an_anomaly),
	    cmocka_unit_test(test_missing_daily_peak_is_an_anomaly),
	    cmocka_unit_test(
		test_non_seasonal_series_keeps_the_generic_verdicts),
	    cmocka_unit_test(test_nightly_job_that_drifts_is_routine),
	    cmocka_unit_test(test_one_odd_day_does_not_make_an_hour_routine),
	    cmocka_unit_test(test_small_blip_under_the_floor_is_quiet),
	    cmocka_unit_test(test_sustained_retransmit_surge_alerts_once),
	    cmocka_unit_test(test_drop_of_an_error_rate_never_alerts),
	    cmocka_unit_test(test_percent_needs_several_points),
	    cmocka_unit_test(test_wall_time_warmup_holds_the_first_verdict),
	    cmocka_unit_test(test_default_series_and_units),
	    cmocka_unit_test(test_settled_shortcut_changes_no_verdict),
	    cmocka_unit_test(test_settled_replay_is_the_steps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
