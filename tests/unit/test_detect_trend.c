/*
 * test_detect_trend.c - forecasts: a filesystem filling at a known rate
 * (statvfs values of a fixture over ticks, turned into disk.used_percent the
 * way df does) is forecast full within 10% of the true time, through the
 * analyzer's own tick path; a sawtooth with a daily clean-up and a noisy flat
 * line are never forecast to fill.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "core/event.h"
#include "analyzer/analyzer.h"
#include "storage/metrics.h"

#define SEC 1000000LL

struct captured {
	int fires, resolves, updates;
	int64_t update_eta[32];
	char rule[64];
	char summary[512];
	int64_t eta_secs;
	double value;
	uint64_t time_usec;
};

static int capture(const struct alert_event *e, void *context)
{
	struct captured *c = context;

	if (strcmp(e->rule, "anomaly") == 0)
		return 0;
	if (e->firing && e->renotify) {
		if (c->updates < 32)
			c->update_eta[c->updates] = e->eta_secs;
		c->updates++;
	} else if (e->firing) {
		if (c->fires++ == 0) {
			snprintf(c->rule, sizeof(c->rule), "%s", e->rule);
			snprintf(c->summary, sizeof(c->summary), "%s",
				 e->summary);
			c->eta_secs = e->eta_secs;
			c->value = e->value;
			c->time_usec = e->time_usec;
		}
	} else {
		c->resolves++;
	}
	return 0;
}

/* statvfs of a 100 GiB filesystem in 4 KiB blocks, 5% reserved. */
struct fixture_statvfs {
	uint64_t blocks, bfree, bavail;
};

static double used_percent(const struct fixture_statvfs *f)
{
	double used = (double)(f->blocks - f->bfree);

	return 100.0 * used / (used + (double)f->bavail);
}

/*
 * Runs `ticks` collections every `interval` seconds; at each the fixture is
 * given by fill(tick, &statvfs).
 */
static struct captured run(void (*fill)(int64_t secs, struct fixture_statvfs *),
			   int64_t ticks, int64_t interval)
{
	struct config *config = config_defaults();
	struct metric_registry *registry = metrics_new(4, 8);
	struct analyzer *a;
	struct captured c = { 0 };
	int id;

	assert_non_null(config);
	assert_non_null(registry);
	/* Thresholds out of the way: this is about the forecast. */
	config->analyzer.thresholds.disk_percent = 0;
	a = analyzer_new(config, metrics_capacity(registry));
	assert_non_null(a);
	analyzer_set_sink(a, capture, &c);
	id = metrics_register(registry, "disk.used_percent", "mount=/srv");
	for (int64_t i = 0; i < ticks; i++) {
		struct fixture_statvfs f;
		int64_t now = 1700000000 * SEC + i * interval * SEC;

		fill(i * interval, &f);
		metrics_push(registry, id, now, used_percent(&f));
		analyzer_evaluate(a, registry, now);
	}
	analyzer_free(a);
	metrics_free(registry);
	config_free(config);
	return c;
}

#define BLOCKS (100ULL * 1024 * 1024 * 1024 / 4096)
#define RESERVED (BLOCKS / 20)

/* 60 GiB used, +1 GiB per hour: 35 GiB to go = full 35 h after start. */
static void filling(int64_t secs, struct fixture_statvfs *f)
{
	double used = 60.0 * 262144 + 262144.0 * (double)secs / 3600;
	/* A little noise: files come and go. */
	double wiggle = 2000.0 * sin((double)secs / 600.0);

	f->blocks = BLOCKS;
	f->bfree = BLOCKS - (uint64_t)(used + wiggle);
	f->bavail = f->bfree > RESERVED ? f->bfree - RESERVED : 0;
}

static void test_filling_disk_eta_within_10_percent(void **state)
{
	struct captured c;
	double start_used = 60.0 * 262144, rate = 262144.0 / 3600; /* blocks/s */
	double usable = (double)(BLOCKS - RESERVED), fire_secs, truth;

	(void)state;
	/* 40 hours of ticks every minute. */
	c = run(filling, 40 * 60, 60);
	assert_int_equal(c.fires, 1);
	assert_string_equal(c.rule, "disk_full_forecast");
	fire_secs = (double)(c.time_usec - 1700000000ULL * SEC) / 1e6;
	truth = (usable - start_used) / rate - fire_secs;
	/* Horizon 24 h: it fires about 11 h in, when ~24 h remain. */
	assert_true(truth > 0 && truth < 86400 * 1.01);
	assert_true(fabs((double)c.eta_secs - truth) <= 0.10 * truth);
	assert_non_null(strstr(c.summary, "reaches 100%"));
	assert_non_null(strstr(c.summary, "mount=/srv"));
}

/* Logs fill 50% -> 70% over a day, cleaned at midnight. */
static void sawtooth(int64_t secs, struct fixture_statvfs *f)
{
	double fraction = 0.50 + 0.20 * (double)(secs % 86400) / 86400;

	f->blocks = BLOCKS;
	f->bfree = BLOCKS - (uint64_t)(fraction * (double)(BLOCKS - RESERVED));
	f->bavail = f->bfree - RESERVED;
}

static void test_sawtooth_with_daily_cleanup_is_not_a_fill_up(void **state)
{
	struct captured c;

	(void)state;
	c = run(sawtooth, 5 * 24 * 60, 60);
	assert_int_equal(c.fires, 0);
}

static void flat(int64_t secs, struct fixture_statvfs *f)
{
	f->blocks = BLOCKS;
	f->bfree = BLOCKS / 2 + (uint64_t)(1000 * (1 + sin((double)secs)));
	f->bavail = f->bfree - RESERVED;
}

static void test_flat_disk_is_not_forecast(void **state)
{
	struct captured c;

	(void)state;
	c = run(flat, 3 * 24 * 60, 60);
	assert_int_equal(c.fires, 0);
}

static void test_forecast_uncertainty_brackets_eta(void **state)
{
	struct trend_params p = { .span_secs = 6 * 3600, .min_span_secs = 600,
				  .limit = 100, .horizon_secs = 86400 };
	struct trend_state s;
	struct trend_forecast f;

	(void)state;
	trend_init(&s);
	assert_false(trend_forecast(&s, &p, &f));
	/* 50% + 1 point per hour, with noise of +-0.5. */
	for (int i = 0; i < 12 * 60; i++)
		trend_update(&s, &p, (int64_t)i * 60 * SEC,
			     50 + i / 60.0 + 0.5 * sin(i * 1.7));
	assert_true(trend_forecast(&s, &p, &f));
	assert_true(fabs(f.slope * 3600 - 1.0) < 0.05);
	assert_true(f.eta_low <= f.eta_secs && f.eta_secs <= f.eta_high);
	/* 62% at 12 h, 38 points to go at 1/h. */
	assert_true(fabs(f.eta_secs - 38 * 3600) < 0.05 * 38 * 3600);
	assert_true(f.r2 > 0.9);
}

static void test_counter_reset_restarts_nothing_false(void **state)
{
	struct trend_params p = { .span_secs = 6 * 3600, .min_span_secs = 600,
				  .limit = 100, .horizon_secs = 86400 };
	struct trend_state s;
	struct trend_forecast f;
	int fires = 0;

	(void)state;
	trend_init(&s);
	/* Rises to 90% fast, drops to 10% (a reset), then flat. */
	for (int i = 0; i < 24 * 60; i++) {
		double v = i < 60 ? 30 + i : 10;

		trend_update(&s, &p, (int64_t)i * 60 * SEC, v);
		if (trend_gate(&s, &p, &f) == DETECT_FIRE)
			fires++;
	}
	/* The climb is a real forecast; after the drop it must resolve. */
	assert_false(s.firing);
	assert_true(fires <= 1);
}


/* Deterministic noise in [-1, 1]. */
static double noise(uint32_t *seed)
{
	*seed = *seed * 1664525u + 1013904223u;
	return (double)(*seed >> 8) / (double)(1u << 23) - 1;
}

/*
 * A steady fill at several rates and noise levels: the
 * first forecast (ETA from the newest sample) is within 25% of the truth and
 * its range contains it; every update too; and one update at least comes
 * when the ETA has halved.
 */
static void test_steady_fill_eta_and_range_hold_the_truth(void **state)
{
	/* points per second, noise amplitude in points, tick seconds */
	static const double cases[][3] = {
		{ 0.25, 0.0, 1 }, { 0.25, 0.3, 1 }, { 0.05, 0.1, 1 },
		{ 0.05, 0.5, 5 }, { 0.002, 0.05, 10 }, { 0.002, 0.2, 30 },
	};
	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct trend_params p = { .span_secs = 21600,
					  .min_span_secs = 30, .limit = 100,
					  .horizon_secs = 86400,
					  .noise_floor = 0.01 };
		double rate = cases[k][0], amp = cases[k][1];
		int64_t tick = (int64_t)cases[k][2];
		/* The fast fills begin after a flat stretch (the fit must
		 * restart on the kink); the slow ones fill from the start. */
		double start = 20, flat_secs = rate >= 0.05 ? 600 : 0;
		double full_secs = flat_secs + (100 - start) / rate;
		struct trend_state s;
		struct trend_forecast f;
		uint32_t seed = 7 + (uint32_t)k;
		int fires = 0, updates = 0;

		trend_init(&s);
		for (int64_t t = 0; t < (int64_t)full_secs; t += tick) {
			double v = start + amp * noise(&seed);
			enum detect_transition change;
			double truth = full_secs - (double)t;

			if ((double)t > flat_secs)
				v += rate * ((double)t - flat_secs);
			trend_update(&s, &p, t * SEC, v);
			change = trend_gate(&s, &p, &f);
			if (change == DETECT_FIRE || change == DETECT_UPDATE) {
				print_message("rate %g noise %g: %s truth %.0f "
					      "eta %.0f [%.0f, %.0f]\n",
					      rate, amp,
					      change == DETECT_FIRE ? "fire"
								    : "update",
					      truth, f.eta_secs, f.eta_low,
					      f.eta_high);
				assert_true(fabs(f.eta_secs - truth) <=
					    0.25 * truth);
				assert_true(f.eta_low <= truth &&
					    (f.eta_high < 0 ||
					     truth <= f.eta_high));
				fires += change == DETECT_FIRE;
				updates += change == DETECT_UPDATE;
			}
		}
		assert_int_equal(fires, 1);
		assert_true(updates >= 1);
	}
}

/*
 * Memory growing only because a tmpfs fills: the tmpfs holds 0.5 points
 * more, so the series never reaches 100% and no forecast fires; with the
 * bound lifted the same series fires.
 */
static void test_bounded_series_is_not_forecast(void **state)
{
	struct trend_params p = { .span_secs = 21600, .min_span_secs = 30,
				  .limit = 100, .horizon_secs = 86400,
				  .noise_floor = 0.01 };
	struct trend_state s;
	struct trend_forecast f;
	int fires = 0;

	(void)state;
	trend_init(&s);
	for (int t = 0; t < 300; t++) {
		/* 40% + 0.01 point/s, of which all is the tmpfs. */
		trend_update(&s, &p, (int64_t)t * SEC, 40 + 0.01 * t);
		p.capped_slope = 0.01;
		p.capped_room = fmax(0, 0.5 - 0.01 * t);
		fires += trend_gate(&s, &p, &f) == DETECT_FIRE;
	}
	assert_int_equal(fires, 0);
	assert_true(f.eta_secs < 0 || f.eta_secs > p.horizon_secs);
	p.capped_slope = p.capped_room = 0;
	assert_int_equal(trend_gate(&s, &p, &f), DETECT_FIRE);
	/* Half the growth bounded: the rest still gets there, later. */
	assert_true(fabs(trend_capped_eta(10, 1, 0.5, 2) - 16) < 1e-9);
	assert_true(trend_capped_eta(10, 1, 1, 2) < 0);
	assert_true(fabs(trend_capped_eta(10, 1, 1, 20) - 10) < 1e-9);
}
/*
 * Host memory growing because one cgroup grows, through the analyzer's tick
 * path: with a memory.max 512 MiB above its usage the cgroup stops there,
 * so no memory forecast; without a limit the same growth is forecast.
 */
static int memory_forecasts(bool limited)
{
	struct config *config = config_defaults();
	struct metric_registry *registry = metrics_new(8, 512);
	struct analyzer *a;
	struct captured c = { 0 };
	double total = 24.0 * 1024 * 1024 * 1024;
	int used, total_id, cgroup, cgroup_max;

	assert_non_null(config);
	config->analyzer.trend_min_span_secs = 30;
	a = analyzer_new(config, metrics_capacity(registry));
	analyzer_set_sink(a, capture, &c);
	total_id = metrics_register(registry, "memory.total_bytes", "");
	used = metrics_register(registry, "memory.used_percent", "");
	cgroup = metrics_register(registry, "cgroup.memory_bytes",
				  "cgroup=/app.service");
	cgroup_max = metrics_register(registry, "cgroup.memory_max_bytes",
				      "cgroup=/app.service");
	for (int64_t i = 0; i < 200; i++) {
		int64_t now = 1700000000 * SEC + i * SEC;
		double grown = 2.0 * 1024 * 1024 * (double)i; /* 2 MiB/s */

		metrics_push(registry, total_id, now, total);
		metrics_push(registry, cgroup, now, 1073741824.0 + grown);
		if (limited)
			metrics_push(registry, cgroup_max, now,
				     1073741824.0 + 536870912.0);
		metrics_push(registry, used, now,
			     40 + 100 * (8e9 + grown) / total - 100 * 8e9 / total);
		analyzer_evaluate(a, registry, now);
	}
	analyzer_free(a);
	metrics_free(registry);
	config_free(config);
	return c.fires;
}

static void test_cgroup_limit_bounds_memory_forecast(void **state)
{
	(void)state;
	assert_int_equal(memory_forecasts(true), 0);
	assert_int_equal(memory_forecasts(false), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filling_disk_eta_within_10_percent),
		cmocka_unit_test(test_sawtooth_with_daily_cleanup_is_not_a_fill_up),
		cmocka_unit_test(test_flat_disk_is_not_forecast),
		cmocka_unit_test(test_forecast_uncertainty_brackets_eta),
		cmocka_unit_test(test_counter_reset_restarts_nothing_false),
		cmocka_unit_test(test_steady_fill_eta_and_range_hold_the_truth),
		cmocka_unit_test(test_bounded_series_is_not_forecast),
		cmocka_unit_test(test_cgroup_limit_bounds_memory_forecast),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
