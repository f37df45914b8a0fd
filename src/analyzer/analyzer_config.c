/*
 * analyzer_config.c - the [analyzer], [[analyzer.override]] and [thresholds]
 * sections: every detector parameter with its default, range and meaning.
 *
 * The defaults are the ones scored on the Numenta Anomaly Benchmark (one
 * configuration for every series) and meant for a server left untuned.
 */
#include <fnmatch.h>
#include <stddef.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "core/util.h"

#define A_KEY(field) offsetof(struct analyzer_config, field)
#define O_KEY(field) offsetof(struct analyzer_override, field)
#define T_KEY(field) offsetof(struct thresholds_config, field)

static const struct config_key analyzer_keys[] = {
	{ .name = "enabled", .type = CONFIG_BOOLEAN, .offset = A_KEY(enabled),
	  .default_text = "true",
	  .description = "Run the detectors on every tick." },
	{ .name = "anomaly_series", .type = CONFIG_STRING_LIST,
	  .offset = A_KEY(anomaly_series),
	  .default_text = "[\"net.*_errors_per_sec\", \"net.*_drops_per_sec\", "
			  "\"net.tcp_retransmits_per_sec\", "
			  "\"net.tcp_listen_overflows_per_sec\", "
			  "\"net.tcp_attempt_fails_per_sec\", "
			  "\"net.tcp_established_resets_per_sec\", "
			  "\"net.tcp_in_errors_per_sec\", "
			  "\"disk.await_ms\", \"memory.swap_in_bytes_per_sec\", "
			  "\"memory.swap_out_bytes_per_sec\", "
			  "\"memory.major_faults_per_sec\", "
			  "\"psi.*_avg60_percent\", \"cpu.steal_percent\", "
			  "\"cpu.iowait_percent\"]",
	  .description = "Globs of the series (\"name\" or \"name{labels}\") "
			 "watched by the generic anomaly detector: rates of "
			 "things going wrong, latency and pressure. "
			 "Levels (CPU, memory, disk, fds, load) are left to "
			 "[thresholds] and the trend forecasts." },
	{ .name = "anomaly_exclude", .type = CONFIG_STRING_LIST,
	  .offset = A_KEY(anomaly_exclude), .default_text = "[]",
	  .description = "Globs of series left out of anomaly detection even "
			 "though anomaly_series matches them." },
	{ .name = "anomaly_rise_only", .type = CONFIG_STRING_LIST,
	  .offset = A_KEY(anomaly_rise_only),
	  .default_text = "[\"*_errors_per_sec\", \"*_drops_per_sec\", "
			  "\"*_retransmits_per_sec\", \"*_overflows_per_sec\", "
			  "\"*_fails_per_sec\", \"*_resets_per_sec\", "
			  "\"*_resets_sent_per_sec\", \"*_ms\", "
			  "\"memory.swap_*\", \"memory.major_faults_per_sec\", "
			  "\"psi.*\", \"cpu.steal_percent\", "
			  "\"cpu.iowait_percent\", \"process.zombies\"]",
	  .description = "Globs of the series for which only a rise is an "
			 "anomaly: fewer errors, less latency or less pressure "
			 "than usual is never a problem." },
	{ .name = "warmup_samples", .type = CONFIG_INTEGER,
	  .offset = A_KEY(warmup_samples), .default_text = "120",
	  .minimum = 2, .maximum = 100000,
	  .description = "Samples a series is only learnt from before its first "
			 "verdict." },
	{ .name = "warmup_secs", .type = CONFIG_INTEGER,
	  .offset = A_KEY(warmup_secs), .default_text = "900",
	  .minimum = 0, .maximum = 7 * 86400,
	  .description = "Wall time a series is only learnt from before its "
			 "first verdict, as well as warmup_samples: the "
			 "baseline must have seen a few cycles of the periodic "
			 "work (cron, backups, log rotation) at any "
			 "collect_interval_secs." },
	{ .name = "min_deviation_percent", .type = CONFIG_FLOAT,
	  .offset = A_KEY(min_deviation_percent), .default_text = "5.0",
	  .minimum = 0, .maximum = 100,
	  .description = "Smallest departure from the baseline, in percentage "
			 "points, that a *_percent series alerts on." },
	{ .name = "min_deviation_ms", .type = CONFIG_FLOAT,
	  .offset = A_KEY(min_deviation_ms), .default_text = "20.0",
	  .minimum = 0, .maximum = 1e9,
	  .description = "The same for *_ms series (disk.await_ms), in "
			 "milliseconds." },
	{ .name = "min_deviation_bytes_per_sec", .type = CONFIG_FLOAT,
	  .offset = A_KEY(min_deviation_bytes_per_sec),
	  .default_text = "1048576.0", .minimum = 0, .maximum = 1e15,
	  .description = "The same for *_bytes_per_sec series (traffic, swap), "
			 "in bytes per second (1 MiB/s)." },
	{ .name = "min_deviation_per_sec", .type = CONFIG_FLOAT,
	  .offset = A_KEY(min_deviation_per_sec), .default_text = "10.0",
	  .minimum = 0, .maximum = 1e12,
	  .description = "The same for the other *_per_sec series (errors, "
			 "drops, retransmits, faults), in events per second. "
			 "The floor applies to the smoothed level, so a "
			 "one-sample blip must be several times larger." },
	{ .name = "baseline_samples", .type = CONFIG_FLOAT,
	  .offset = A_KEY(baseline_samples), .default_text = "500.0",
	  .minimum = 4, .maximum = 1e7,
	  .description = "Span, in samples, of the baseline (streaming median, "
			 "MAD and EWMA): how long the detector remembers what "
			 "normal looks like." },
	{ .name = "min_stddev", .type = CONFIG_FLOAT,
	  .offset = A_KEY(min_stddev), .default_text = "0.0",
	  .minimum = 0, .maximum = 1e18,
	  .description = "Absolute floor of the spread, in the series' unit, so "
			 "a flat series that twitches does not alert." },
	{ .name = "relative_floor", .type = CONFIG_FLOAT,
	  .offset = A_KEY(relative_floor), .default_text = "0.01",
	  .minimum = 0, .maximum = 10,
	  .description = "Floor of the spread as a fraction of the baseline "
			 "(0.01: a 1% wiggle is never a large deviation)." },
	{ .name = "z_alert", .type = CONFIG_FLOAT, .offset = A_KEY(z_alert),
	  .default_text = "4.0", .minimum = 0.5, .maximum = 100,
	  .description = "Deviation from the baseline, in robust standard "
			 "deviations, that scores 0.5 (an alert). A value "
			 "beyond the envelope needs 1.25 times this at its "
			 "margin, less the further beyond it is." },
	{ .name = "cusum_drift", .type = CONFIG_FLOAT,
	  .offset = A_KEY(cusum_drift), .default_text = "2.0",
	  .minimum = 0, .maximum = 100,
	  .description = "CUSUM allowance in standard deviations: shifts "
			 "smaller than this are ignored." },
	{ .name = "cusum_limit", .type = CONFIG_FLOAT,
	  .offset = A_KEY(cusum_limit), .default_text = "20.0",
	  .minimum = 0, .maximum = 1000,
	  .description = "CUSUM decision level in standard deviations: the "
			 "accumulated excess that scores 0.5. No sample adds "
			 "more than a third of it, so a shift must hold for "
			 "several samples." },
	{ .name = "novelty_alert", .type = CONFIG_FLOAT,
	  .offset = A_KEY(novelty_alert), .default_text = "1.0",
	  .minimum = 0.1, .maximum = 100,
	  .description = "How far beyond the range of recent values (the "
			 "envelope), in robust standard deviations, a value or "
			 "the smoothed level must go to score 0.5." },
	{ .name = "novelty_range", .type = CONFIG_FLOAT,
	  .offset = A_KEY(novelty_range), .default_text = "0.17",
	  .minimum = 0, .maximum = 100,
	  .description = "The same margin as a fraction of the envelope's "
			 "width, whichever is larger: a series that swings "
			 "widely must leave its range by more." },
	{ .name = "envelope_samples", .type = CONFIG_FLOAT,
	  .offset = A_KEY(envelope_samples), .default_text = "2000.0",
	  .minimum = 10, .maximum = 1e8,
	  .description = "Span, in samples, over which the envelope of past "
			 "values shrinks back towards the median (28 days if "
			 "that is shorter)." },
	{ .name = "smooth_samples", .type = CONFIG_FLOAT,
	  .offset = A_KEY(smooth_samples), .default_text = "12.0",
	  .minimum = 1, .maximum = 10000,
	  .description = "EWMA span, in samples, of the level the level-shift "
			 "detector follows." },
	{ .name = "seasonal_min_days", .type = CONFIG_FLOAT,
	  .offset = A_KEY(seasonal_min_days), .default_text = "2.0",
	  .minimum = 1, .maximum = 365,
	  .description = "Days of history a series needs before its daily "
			 "profile (288 five-minute buckets, UTC) may judge it." },
	{ .name = "seasonal_days", .type = CONFIG_FLOAT,
	  .offset = A_KEY(seasonal_days), .default_text = "7.0",
	  .minimum = 2, .maximum = 365,
	  .description = "Days the daily profile remembers: each bucket's "
			 "level is an average over about this many days." },
	{ .name = "seasonal_explained", .type = CONFIG_FLOAT,
	  .offset = A_KEY(seasonal_explained), .default_text = "0.6",
	  .minimum = 0, .maximum = 1,
	  .description = "Share of a series' variance its daily profile must "
			 "explain for the series to count as seasonal; only "
			 "then is a value off its usual daily shape an anomaly "
			 "(0: never, and no spike is routine for its hour of "
			 "the day either)." },
	{ .name = "raise_score", .type = CONFIG_FLOAT,
	  .offset = A_KEY(raise_score), .default_text = "0.5",
	  .minimum = 0.01, .maximum = 1,
	  .description = "Anomaly score at which an alert fires." },
	{ .name = "clear_score", .type = CONFIG_FLOAT,
	  .offset = A_KEY(clear_score), .default_text = "0.3",
	  .minimum = 0, .maximum = 1,
	  .description = "Score below which the anomaly counts as over." },
	{ .name = "clear_samples", .type = CONFIG_INTEGER,
	  .offset = A_KEY(clear_samples), .default_text = "6",
	  .minimum = 1, .maximum = 100000,
	  .description = "Consecutive calm samples before the alert resolves." },
	{ .name = "holdoff_secs", .type = CONFIG_INTEGER,
	  .offset = A_KEY(holdoff_secs), .default_text = "21600",
	  .minimum = 0, .maximum = 30 * 86400,
	  .description = "No new anomaly alert for a series this soon after "
			 "its last one." },
	{ .name = "trend_series", .type = CONFIG_STRING_LIST,
	  .offset = A_KEY(trend_series),
	  .default_text = "[\"disk.used_percent\", "
			  "\"disk.inodes_used_percent\", \"fd.used_percent\", "
			  "\"memory.used_percent\", "
			  "\"cgroup.memory_used_percent\"]",
	  .description = "Globs of percent-of-limit series forecast to 100%: "
			 "disk full, inodes exhausted, fd table full, memory "
			 "exhausted, cgroup at memory.max." },
	{ .name = "trend_span_secs", .type = CONFIG_FLOAT,
	  .offset = A_KEY(trend_span_secs), .default_text = "21600.0",
	  .minimum = 60, .maximum = 90 * 86400,
	  .description = "Time constant of the trend regression; long so that "
			 "a nightly clean-up does not fake a fill-up." },
	{ .name = "trend_min_span_secs", .type = CONFIG_FLOAT,
	  .offset = A_KEY(trend_min_span_secs), .default_text = "300.0",
	  .minimum = 0, .maximum = 90 * 86400,
	  .description = "The least history a forecast stands on; past it, "
			 "a forecast is made once the fit is good enough "
			 "(12 points, slope at least 4 standard errors), so a "
			 "noisy slow fill waits longer than a clean fast "
			 "one. The fit covers the current regime only: it "
			 "restarts when the samples leave its line." },
	{ .name = "trend_horizon_secs", .type = CONFIG_FLOAT,
	  .offset = A_KEY(trend_horizon_secs), .default_text = "86400.0",
	  .minimum = 60, .maximum = 365 * 86400,
	  .description = "Alert when the forecast reaches the limit sooner "
			 "than this (default: full within 24 h)." },
	{ .name = "leak_series", .type = CONFIG_STRING_LIST,
	  .offset = A_KEY(leak_series),
	  .default_text = "[\"process.rss_bytes\", \"process.fd_count\", "
			  "\"process.threads\", \"cgroup.memory_bytes\", "
			  "\"memory.slab_unreclaimable_bytes\"]",
	  .description = "Globs of the series watched for leaks (sustained "
			 "linear growth)." },
	{ .name = "leak_min_duration_secs", .type = CONFIG_FLOAT,
	  .offset = A_KEY(leak_min_duration_secs), .default_text = "3600.0",
	  .minimum = 10, .maximum = 30 * 86400,
	  .description = "Growth must have lasted this long." },
	{ .name = "leak_min_r2", .type = CONFIG_FLOAT,
	  .offset = A_KEY(leak_min_r2), .default_text = "0.9",
	  .minimum = 0, .maximum = 1,
	  .description = "Goodness of the linear fit the growth must reach." },
	{ .name = "leak_min_growth_bytes", .type = CONFIG_FLOAT,
	  .offset = A_KEY(leak_min_growth_bytes), .default_text = "67108864.0",
	  .minimum = 0, .maximum = 1e15,
	  .description = "Absolute growth (for *_bytes series) below which "
			 "nothing is reported (64 MiB)." },
	{ .name = "leak_min_growth_count", .type = CONFIG_FLOAT,
	  .offset = A_KEY(leak_min_growth_count), .default_text = "100.0",
	  .minimum = 0, .maximum = 1e12,
	  .description = "Absolute growth for counts (fds, threads)." },
	{ .name = "leak_min_relative", .type = CONFIG_FLOAT,
	  .offset = A_KEY(leak_min_relative), .default_text = "0.2",
	  .minimum = 0, .maximum = 1000,
	  .description = "Growth as a fraction of the starting value." },
	{ .name = "leak_fast_horizon_secs", .type = CONFIG_FLOAT,
	  .offset = A_KEY(leak_fast_horizon_secs), .default_text = "3600.0",
	  .minimum = 0, .maximum = 30 * 86400,
	  .description = "Growth that exhausts what is left (available "
			 "memory, the process's cgroup limit, its fd limit) "
			 "sooner than this is urgent: reported critical once "
			 "it has lasted leak_fast_min_duration_secs, whatever "
			 "the slow criteria say; 0 turns this off." },
	{ .name = "leak_fast_min_duration_secs", .type = CONFIG_FLOAT,
	  .offset = A_KEY(leak_fast_min_duration_secs),
	  .default_text = "120.0", .minimum = 10, .maximum = 86400,
	  .description = "How long an urgent leak must have grown (linearly, "
			 "leak_min_r2) before it is reported." },
};

const struct config_section analyzer_section = {
	.name = "analyzer",
	.description = "Detectors run on every series each tick.",
	.keys = analyzer_keys,
	.key_count = ARRAY_SIZE(analyzer_keys),
	.offset = offsetof(struct config, analyzer),
};

static const struct config_key override_keys[] = {
	{ .name = "series", .type = CONFIG_STRING, .offset = O_KEY(series),
	  .required = true,
	  .description = "Glob on \"name\" or \"name{labels}\"." },
	{ .name = "anomaly", .type = CONFIG_BOOLEAN, .offset = O_KEY(anomaly),
	  .default_text = "true",
	  .description = "false: no anomaly detection on these series." },
	{ .name = "min_stddev", .type = CONFIG_FLOAT,
	  .offset = O_KEY(min_stddev), .default_text = "-1.0",
	  .minimum = -1, .maximum = 1e18,
	  .description = "As in [analyzer]; -1 keeps the default." },
	{ .name = "relative_floor", .type = CONFIG_FLOAT,
	  .offset = O_KEY(relative_floor), .default_text = "-1.0",
	  .minimum = -1, .maximum = 10,
	  .description = "As in [analyzer]; -1 keeps the default." },
	{ .name = "z_alert", .type = CONFIG_FLOAT, .offset = O_KEY(z_alert),
	  .default_text = "-1.0", .minimum = -1, .maximum = 100,
	  .description = "As in [analyzer]; -1 keeps the default." },
	{ .name = "holdoff_secs", .type = CONFIG_INTEGER,
	  .offset = O_KEY(holdoff_secs), .default_text = "-1",
	  .minimum = -1, .maximum = 30 * 86400,
	  .description = "As in [analyzer]; -1 keeps the default." },
	{ .name = "trend_horizon_secs", .type = CONFIG_FLOAT,
	  .offset = O_KEY(trend_horizon_secs), .default_text = "-1.0",
	  .minimum = -1, .maximum = 365 * 86400,
	  .description = "As in [analyzer]; -1 keeps the default." },
	{ .name = "min_deviation", .type = CONFIG_FLOAT,
	  .offset = O_KEY(min_deviation), .default_text = "-1.0",
	  .minimum = -1, .maximum = 1e15,
	  .description = "Smallest departure from the baseline, in the "
			 "series' unit, that alerts; replaces the per-unit "
			 "min_deviation_* of [analyzer]; -1 keeps it." },
};

const struct config_section analyzer_override_section = {
	.name = "analyzer.override",
	.description = "Per-series changes to the [analyzer] defaults; later "
		       "entries win.",
	.keys = override_keys,
	.key_count = ARRAY_SIZE(override_keys),
	.offset = offsetof(struct config, analyzer.overrides),
	.element_size = sizeof(struct analyzer_override),
	.max_count = ANALYZER_OVERRIDE_MAX,
	.count_offset = offsetof(struct config, analyzer.override_count),
};

static const struct config_key threshold_keys[] = {
	{ .name = "cpu_percent", .type = CONFIG_FLOAT,
	  .offset = T_KEY(cpu_percent), .default_text = "90.0",
	  .minimum = 0, .maximum = 100,
	  .description = "CPU busy (cpu.usage_percent); 0 disables." },
	{ .name = "memory_percent", .type = CONFIG_FLOAT,
	  .offset = T_KEY(memory_percent), .default_text = "85.0",
	  .minimum = 0, .maximum = 100,
	  .description = "Memory in use (memory.used_percent); 0 disables." },
	{ .name = "disk_percent", .type = CONFIG_FLOAT,
	  .offset = T_KEY(disk_percent), .default_text = "90.0",
	  .minimum = 0, .maximum = 100,
	  .description = "Filesystem space used (disk.used_percent)." },
	{ .name = "inode_percent", .type = CONFIG_FLOAT,
	  .offset = T_KEY(inode_percent), .default_text = "90.0",
	  .minimum = 0, .maximum = 100,
	  .description = "Filesystem inodes used (disk.inodes_used_percent)." },
	{ .name = "fd_percent", .type = CONFIG_FLOAT,
	  .offset = T_KEY(fd_percent), .default_text = "80.0",
	  .minimum = 0, .maximum = 100,
	  .description = "System file handles used (fd.used_percent)." },
	{ .name = "swap_percent", .type = CONFIG_FLOAT,
	  .offset = T_KEY(swap_percent), .default_text = "80.0",
	  .minimum = 0, .maximum = 100,
	  .description = "Swap used (swap.used_percent)." },
	{ .name = "load_per_core", .type = CONFIG_FLOAT,
	  .offset = T_KEY(load_per_core), .default_text = "2.0",
	  .minimum = 0, .maximum = 1000,
	  .description = "1-minute load average per CPU (load.per_core)." },
	{ .name = "psi_some_percent", .type = CONFIG_FLOAT,
	  .offset = T_KEY(psi_some_percent), .default_text = "25.0",
	  .minimum = 0, .maximum = 100,
	  .description = "Pressure stall, share of time some task waited over "
			 "60 s, for cpu, memory and io (psi.*_some_avg60)." },
	{ .name = "cgroup_memory_percent", .type = CONFIG_FLOAT,
	  .offset = T_KEY(cgroup_memory_percent), .default_text = "90.0",
	  .minimum = 0, .maximum = 100,
	  .description = "A cgroup's memory against its memory.max "
			 "(cgroup.memory_used_percent)." },
	{ .name = "clear_fraction", .type = CONFIG_FLOAT,
	  .offset = T_KEY(clear_fraction), .default_text = "0.95",
	  .minimum = 0.5, .maximum = 1,
	  .description = "An alert clears below raise level times this "
			 "(hysteresis: 90% disk clears at 85.5%)." },
	{ .name = "for_secs", .type = CONFIG_INTEGER,
	  .offset = T_KEY(for_secs), .default_text = "60",
	  .minimum = 0, .maximum = 86400,
	  .description = "A breach must last this long before it alerts." },
};

const struct config_section thresholds_section = {
	.name = "thresholds",
	.description = "Fixed limits, each with hysteresis and a duration.",
	.keys = threshold_keys,
	.key_count = ARRAY_SIZE(threshold_keys),
	.offset = offsetof(struct config, analyzer.thresholds),
};

#define TO_KEY(field) offsetof(struct threshold_override, field)

static const char *const directions[] = {"above", "below", NULL};

static const struct config_key threshold_override_keys[] = {
    {.name = "metric",
     .type = CONFIG_STRING,
     .offset = TO_KEY(metric),
     .required = true,
     .description = "Glob on the series name (\"disk.used_percent\", "
		    "\"net.*_errors_per_sec\"); any series can get a "
		    "limit, not only those of [thresholds]."},
    {.name = "mount",
     .type = CONFIG_STRING,
     .offset = TO_KEY(mount),
     .description = "Glob on the mount label (\"/var\", \"/srv/*\"); "
		    "unset: any."},
    {.name = "device",
     .type = CONFIG_STRING,
     .offset = TO_KEY(device),
     .description = "Glob on the device label (\"nvme0n1\"); unset: "
		    "any."},
    {.name = "interface",
     .type = CONFIG_STRING,
     .offset = TO_KEY(interface),
     .description = "Glob on the interface label (\"eth*\"); unset: "
		    "any."},
    {.name = "unit",
     .type = CONFIG_STRING,
     .offset = TO_KEY(unit),
     .description = "Glob on the unit label (\"nginx.service\"); unset: "
		    "any."},
    {.name = "labels",
     .type = CONFIG_STRING,
     .offset = TO_KEY(labels),
     .description = "Glob on all the labels as written in alerts "
		    "(\"cgroup=/system.slice/*\"); unset: any."},
    {.name = "warning",
     .type = CONFIG_FLOAT,
     .offset = TO_KEY(warning),
     .default_text = "-1.0",
     .minimum = -1,
     .maximum = 1e18,
     .description = "Level at which a warning fires; -1: none."},
    {.name = "critical",
     .type = CONFIG_FLOAT,
     .offset = TO_KEY(critical),
     .default_text = "-1.0",
     .minimum = -1,
     .maximum = 1e18,
     .description = "Level at which it becomes (or fires as) critical; "
		    "-1: none. At least one level must be given."},
    {.name = "direction",
     .type = CONFIG_STRING,
     .offset = TO_KEY(direction),
     .default_text = "\"above\"",
     .choices = directions,
     .description = "\"above\": values at or above a level breach it; "
		    "\"below\": values at or below it (free space, "
		    "available memory)."},
    {.name = "for_secs",
     .type = CONFIG_INTEGER,
     .offset = TO_KEY(for_secs),
     .default_text = "-1",
     .minimum = -1,
     .maximum = 86400,
     .description = "A breach must last this long before it alerts (or "
		    "escalates); -1 keeps [thresholds] for_secs."},
    {.name = "clear",
     .type = CONFIG_FLOAT,
     .offset = TO_KEY(clear),
     .default_text = "-1.0",
     .minimum = -1,
     .maximum = 1e18,
     .description = "The alert resolves once the value is back past this "
		    "level (below it for \"above\", above it for "
		    "\"below\"); -1: the lowest level times "
		    "clear_fraction (divided by it for \"below\")."},
};

/* Levels in the right order for the direction, clear on the healthy side. */
static bool validate_threshold_override(const void *elements, size_t index,
					char *reason, size_t reason_size)
{
	const struct threshold_override *o =
		(const struct threshold_override *)elements + index;
	bool below = o->direction != NULL && strcmp(o->direction, "below") == 0;
	double first = o->warning >= 0 ? o->warning : o->critical;

	if (o->warning < 0 && o->critical < 0) {
		snprintf(reason, reason_size,
			 "%s: give warning, critical or both",
			 o->metric ? o->metric : "override");
		return false;
	}
	if (o->warning >= 0 && o->critical >= 0 &&
	    (below ? o->critical > o->warning : o->critical < o->warning)) {
		snprintf(reason, reason_size,
			 "%s: critical (%g) must be %s warning (%g) for "
			 "direction \"%s\"",
			 o->metric ? o->metric : "override", o->critical,
			 below ? "at or below" : "at or above", o->warning,
			 below ? "below" : "above");
		return false;
	}
	if (o->clear >= 0 && (below ? o->clear < first : o->clear > first)) {
		snprintf(reason, reason_size,
			 "%s: clear (%g) must be on the healthy side of %g "
			 "(%s it)",
			 o->metric ? o->metric : "override", o->clear, first,
			 below ? "at or above" : "at or below");
		return false;
	}
	return true;
}

const struct config_section thresholds_override_section = {
    .name = "thresholds.override",
    .description = "A limit per series, matched by metric and labels "
		   "(a mount, a device, an interface, a unit): its own "
		   "warning and critical levels, direction, duration and "
		   "clear level. It replaces the [thresholds] default for "
		   "the series it matches; later entries win.",
    .keys = threshold_override_keys,
    .key_count = ARRAY_SIZE(threshold_override_keys),
    .offset = offsetof(struct config, analyzer.thresholds.overrides),
    .element_size = sizeof(struct threshold_override),
    .max_count = THRESHOLD_OVERRIDE_MAX,
    .count_offset = offsetof(struct config, analyzer.thresholds.override_count),
    .check = validate_threshold_override,
};

static bool label_glob(const char *pattern, const char *labels, const char *key)
{
	char value[METRIC_LABELS_MAX];

	if (pattern == NULL)
		return true;
	return labels_value(labels, key, value, sizeof(value)) &&
	       fnmatch(pattern, value, 0) == 0;
}

int analyzer_threshold_override(const struct thresholds_config *t,
				const char *name, const char *labels)
{
	int found = -1;

	for (size_t i = 0; i < t->override_count; i++) {
		const struct threshold_override *o = &t->overrides[i];

		if (o->metric == NULL || fnmatch(o->metric, name, 0) != 0 ||
		    !label_glob(o->mount, labels, "mount") ||
		    !label_glob(o->device, labels, "device") ||
		    !label_glob(o->interface, labels, "interface") ||
		    !label_glob(o->unit, labels, "unit") ||
		    (o->labels != NULL &&
		     fnmatch(o->labels, labels ? labels : "", 0) != 0))
			continue;
		found = (int)i;
	}
	return found;
}

static bool match_any(const struct config_string_list *list, const char *name,
		      const char *labels)
{
	for (size_t i = 0; i < list->count; i++)
		if (metrics_series_match(list->items[i], name, labels))
			return true;
	return false;
}

/*
 * The smallest change that matters, from the unit the name ends in; a series
 * without a known unit (a replayed CSV) has none.
 */
static double unit_floor(const struct analyzer_config *config,
			 const char *name)
{
	if (string_ends_with(name, "_percent"))
		return config->min_deviation_percent;
	if (string_ends_with(name, "_ms"))
		return config->min_deviation_ms;
	if (string_ends_with(name, "_bytes_per_sec"))
		return config->min_deviation_bytes_per_sec;
	if (string_ends_with(name, "_per_sec"))
		return config->min_deviation_per_sec;
	return 0;
}

bool analyzer_anomaly_params(const struct analyzer_config *config,
			     const char *name, const char *labels,
			     struct anomaly_params *out)
{
	bool enabled = match_any(&config->anomaly_series, name, labels) &&
		       !match_any(&config->anomaly_exclude, name, labels);

	/* Field by field on a zeroed struct: the analyzer compares with memcmp. */
	memset(out, 0, sizeof(*out));
	out->warmup_samples = config->warmup_samples;
	out->baseline_samples = config->baseline_samples;
	out->min_stddev = config->min_stddev;
	out->relative_floor = config->relative_floor;
	out->z_alert = config->z_alert;
	out->cusum_drift = config->cusum_drift;
	out->cusum_limit = config->cusum_limit;
	out->novelty_alert = config->novelty_alert;
	out->novelty_range = config->novelty_range;
	out->envelope_samples = config->envelope_samples;
	out->smooth_samples = config->smooth_samples;
	out->season_min_days = config->seasonal_min_days;
	out->season_days = config->seasonal_days;
	out->season_explained = config->seasonal_explained;
	out->raise_score = config->raise_score;
	out->clear_score = config->clear_score;
	out->clear_samples = config->clear_samples;
	out->holdoff_secs = config->holdoff_secs;
	out->warmup_secs = config->warmup_secs;
	out->min_deviation = unit_floor(config, name);
	out->rise_only = match_any(&config->anomaly_rise_only, name, labels);
	for (size_t i = 0; i < config->override_count; i++) {
		const struct analyzer_override *o = &config->overrides[i];

		if (o->series == NULL ||
		    !metrics_series_match(o->series, name, labels))
			continue;
		enabled = o->anomaly;
		if (o->min_stddev >= 0)
			out->min_stddev = o->min_stddev;
		if (o->relative_floor >= 0)
			out->relative_floor = o->relative_floor;
		if (o->z_alert >= 0)
			out->z_alert = o->z_alert;
		if (o->holdoff_secs >= 0)
			out->holdoff_secs = o->holdoff_secs;
		if (o->min_deviation >= 0)
			out->min_deviation = o->min_deviation;
	}
	return enabled;
}
