/*
 * analyzer.h - the analyzer module: each tick it runs the detectors over every
 * series of the metric registry and hands anomalies to the alerter; offline,
 * `replay` runs the same generic path over a CSV file.
 *
 * Configuration: [analyzer] (detector defaults), [[analyzer.override]]
 * (per-series-glob changes) and [thresholds] (fixed limits with hysteresis).
 */
#ifndef SYSOPS_ANALYZER_H
#define SYSOPS_ANALYZER_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzer/detect.h"
#include "core/config.h" /* brings analyzer_config.h */

extern const struct config_section analyzer_section;
extern const struct config_section analyzer_override_section;
extern const struct config_section thresholds_section;

struct config;
struct daemon_module;
extern const struct daemon_module analyzer_module;

/* Glob match of a series ("name" or "name{labels}") against a pattern. */
bool analyzer_series_match(const char *pattern, const char *name,
			   const char *labels);

/* Detector parameters for one series: [analyzer] plus matching overrides. */
bool analyzer_anomaly_params(const struct analyzer_config *config,
			     const char *name, const char *labels,
			     struct anomaly_params *out);

/* `sysops-agent replay [-c FILE] FILE.csv` */
int analyzer_command_replay(int argc, char **argv);

/*
 * The CSV reader behind replay: one "timestamp,value" line (no newline) to
 * seconds and a value. Timestamps are "YYYY-MM-DD HH:MM:SS[.frac]" (UTC, as
 * NAB writes them), ISO 8601 with a T, or Unix seconds. Returns 0, or -EINVAL
 * for a line that is not a sample (a header, junk).
 */
int replay_parse_line(const char *line, size_t length, double *time_secs,
		      double *value);

#endif
