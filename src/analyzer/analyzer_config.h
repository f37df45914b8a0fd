/*
 * analyzer_config.h - the analyzer's configuration structs, included by
 * core/config.h inside struct config (so it must not include config.h back:
 * struct config_string_list is already defined where this is included).
 */
#ifndef SYSOPS_ANALYZER_CONFIG_H
#define SYSOPS_ANALYZER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ANALYZER_OVERRIDE_MAX 32

/* A per-series-glob override; negative numbers mean "keep the default". */
struct analyzer_override {
	char *series;            /* glob on "name" or "name{labels}" */
	bool anomaly;            /* false: no anomaly detection on these */
	double min_stddev;
	double relative_floor;
	double z_alert;
	int64_t holdoff_secs;
	double trend_horizon_secs;
	double min_deviation;     /* replaces the per-unit floor */
};

#define THRESHOLD_OVERRIDE_MAX 32

/*
 * [[thresholds.override]]: a limit for the series whose name matches metric
 * and whose labels match every label glob given; later entries win. Levels
 * and clear are -1 when unset; for_secs -1 keeps [thresholds] for_secs.
 */
struct threshold_override {
	char *metric;				 /* glob on the series name */
	char *mount, *device, *interface, *unit; /* globs on those labels */
	char *labels; /* glob on the canonical "k=v,k=v" */
	double warning;
	double critical;
	char *direction; /* "above" or "below" */
	int64_t for_secs;
	double clear; /* the alert clears past this level */
};

struct thresholds_config {
	double cpu_percent;
	double memory_percent;
	double disk_percent;
	double inode_percent;
	double fd_percent;
	double swap_percent;
	double load_per_core;
	double psi_some_percent;
	double cgroup_memory_percent;
	double clear_fraction;
	int64_t for_secs;
	struct threshold_override overrides[THRESHOLD_OVERRIDE_MAX];
	size_t override_count;
};

struct analyzer_config {
	bool enabled;
	struct config_string_list anomaly_series;   /* globs */
	struct config_string_list anomaly_exclude;  /* globs */
	struct config_string_list anomaly_rise_only; /* globs */
	int64_t warmup_samples;
	int64_t warmup_secs;
	double min_deviation_percent;     /* *_percent: points */
	double min_deviation_ms;          /* *_ms */
	double min_deviation_bytes_per_sec; /* *_bytes_per_sec */
	double min_deviation_per_sec;     /* other *_per_sec: events/s */
	double baseline_samples;
	double min_stddev;
	double relative_floor;
	double z_alert;
	double cusum_drift;
	double cusum_limit;
	double novelty_alert;
	double novelty_range;
	double envelope_samples;
	double smooth_samples;
	double seasonal_min_days;
	double seasonal_days;
	double seasonal_explained;
	double raise_score;
	double clear_score;
	int64_t clear_samples;
	int64_t holdoff_secs;
	struct config_string_list trend_series;      /* globs, limit 100 % */
	double trend_span_secs;
	double trend_min_span_secs;
	double trend_horizon_secs;
	struct config_string_list leak_series;       /* globs */
	double leak_min_duration_secs;
	double leak_min_r2;
	double leak_min_growth_bytes;
	double leak_min_growth_count;
	double leak_min_relative;
	double leak_fast_horizon_secs;
	double leak_fast_min_duration_secs;

	struct analyzer_override overrides[ANALYZER_OVERRIDE_MAX];
	size_t override_count;
	struct thresholds_config thresholds;
};

#endif
