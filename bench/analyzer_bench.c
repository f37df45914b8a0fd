/*
 * analyzer_bench.c - what the analyzer costs: samples per second per core
 * through the daemon's tick path (every series going through every detector
 * that applies: thresholds, anomaly, trend or leak), per detector alone, and
 * the bytes of detector state each series holds. Budget: >= 1,000,000
 * samples/s per core.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/event.h"
#include "analyzer/analyzer.h"
#include "core/log.h"
#include "storage/metrics.h"

#define SERIES 1000
#define TICKS 2000
#define BUDGET 1e6

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int count_alerts(const struct alert_event *event, void *context)
{
	(void)event;
	(*(unsigned long *)context)++;
	return 0;
}

static double value_at(int series, int tick)
{
	/* Noise, a daily-ish cycle, and now and then a spike. */
	double v = 50 + 10 * sin(tick * 0.01 + series) +
		   ((tick * 7919 + series * 104729) % 1000) / 200.0;

	return (tick + series) % 997 == 0 ? v * 3 : v;
}

/* The whole tick path over a registry of SERIES series. */
static double bench_tick_path(unsigned long *alerts)
{
	static const char *const names[] = {
		"disk.used_percent", "cpu.usage_percent", "process.rss_bytes",
		"net.rx_bytes_per_sec",
	};
	struct config *config = config_defaults();
	struct metric_registry *r = metrics_new(SERIES, 64);
	struct analyzer *a = analyzer_new(config, SERIES);
	double start, elapsed;

	analyzer_set_sink(a, count_alerts, alerts);
	for (int s = 0; s < SERIES; s++) {
		char labels[32];

		snprintf(labels, sizeof(labels), "id=%d", s);
		metrics_register(r, names[s % 4], labels);
	}
	start = cpu_seconds();
	for (int t = 0; t < TICKS; t++) {
		int64_t now = 1700000000000000LL + (int64_t)t * 10000000;

		for (int s = 0; s < SERIES; s++)
			metrics_push(r, s, now, value_at(s, t));
		analyzer_evaluate(a, r, now);
	}
	elapsed = cpu_seconds() - start;
	analyzer_free(a);
	metrics_free(r);
	config_free(config);
	return (double)SERIES * TICKS / elapsed;
}

static double bench_anomaly(void)
{
	struct config *config = config_defaults();
	struct anomaly_params p;
	struct anomaly_state s;
	double start, sink = 0, score;
	long n = 5000000;

	analyzer_anomaly_params(&config->analyzer, "x", "", &p);
	anomaly_init(&s);
	start = cpu_seconds();
	for (long i = 0; i < n; i++) {
		analyzer_generic_step(&s, &p, i * 10000000LL,
				      value_at(1, (int)(i % 100000)), &score);
		sink += score;
	}
	config_free(config);
	if (sink < 0)
		puts("");
	return (double)n / (cpu_seconds() - start);
}

static double bench_trend(void)
{
	struct trend_params p = {.span_secs = 21600,
				 .min_span_secs = 1800,
				 .limit = 100,
				 .horizon_secs = 86400};
	struct trend_state s;
	struct trend_forecast f;
	double start;
	long n = 5000000;

	trend_init(&s);
	start = cpu_seconds();
	for (long i = 0; i < n; i++) {
		trend_update(&s, &p, i * 10000000LL, value_at(2, (int)(i % 1000)));
		trend_gate(&s, &p, &f);
	}
	return (double)n / (cpu_seconds() - start);
}

static double bench_leak(void)
{
	struct leak_params p = {.min_duration_secs = 3600,
				.min_r2 = 0.9,
				.min_growth = 64 << 20,
				.min_relative = 0.2};
	struct leak_state s;
	struct leak_report r;
	double start;
	long n = 5000000;

	leak_init(&s);
	start = cpu_seconds();
	for (long i = 0; i < n; i++) {
		leak_update(&s, &p, i * 10000000LL, 1e8 + value_at(3, (int)(i % 1000)));
		leak_gate(&s, &p, &r);
	}
	return (double)n / (cpu_seconds() - start);
}

int main(void)
{
	unsigned long alerts = 0;
	double tick, anomaly, trend, leak;

	log_set_level(LOG_ERR);
	tick = bench_tick_path(&alerts);
	anomaly = bench_anomaly();
	trend = bench_trend();
	leak = bench_leak();
	printf("analyzer tick path: %.2f M samples/s per core (%d series x %d "
	       "ticks, every applicable detector, %lu alerts)\n",
	       tick / 1e6, SERIES, TICKS, alerts);
	printf("  anomaly (z + envelope + CUSUM + gate): %.2f M samples/s\n",
	       anomaly / 1e6);
	printf("  trend (weighted LS + forecast):        %.2f M samples/s\n",
	       trend / 1e6);
	printf("  leak (run LS + check):                 %.2f M samples/s\n",
	       leak / 1e6);
	printf("detector state per series: %zu bytes (anomaly %zu, trend %zu, "
	       "leak %zu, threshold %zu)\n",
	       analyzer_slot_bytes(), sizeof(struct anomaly_state),
	       sizeof(struct trend_state), sizeof(struct leak_state),
	       sizeof(struct threshold_state));
	if (tick < BUDGET) {
		printf("FAIL: below the budget of %.0f samples/s\n", BUDGET);
		return 1;
	}
	return 0;
}
