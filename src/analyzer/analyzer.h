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
#include <stdio.h>

#include "analyzer/detect.h"
#include "core/config.h" /* brings analyzer_config.h */

extern const struct config_section analyzer_section;
extern const struct config_section analyzer_override_section;
extern const struct config_section thresholds_section;
extern const struct config_section thresholds_override_section;

struct config;
struct daemon_module;
extern const struct daemon_module analyzer_module;

/*
 * The [[thresholds.override]] entry in force for a series (the last that
 * matches its name and labels), or -1.
 */
int analyzer_threshold_override(const struct thresholds_config *thresholds,
				const char *name, const char *labels);

/* Detector parameters for one series: [analyzer] plus matching overrides. */
bool analyzer_anomaly_params(const struct analyzer_config *config,
			     const char *name, const char *labels,
			     struct anomaly_params *out);

struct metric_registry;
struct alert_event;
struct analyzer;

/* Where alerts go: event_submit() unless a test captures them. */
typedef int (*analyzer_sink_fn)(const struct alert_event *event,
				void *context);

/* Detector state for slot_count registry slots, allocated once. */
struct analyzer *analyzer_new(const struct config *config, size_t slot_count);
void analyzer_free(struct analyzer *analyzer);
void analyzer_set_sink(struct analyzer *analyzer, analyzer_sink_fn sink,
		       void *context);
/* After a reload: series are matched against the new settings again. */
void analyzer_set_config(struct analyzer *analyzer,
			 const struct config *config);
/* One tick: every series whose newest sample is stamped now_usec. */
void analyzer_evaluate(struct analyzer *analyzer,
		       const struct metric_registry *registry,
		       int64_t now_usec);
/* Bytes of detector state per series (one slot). */
size_t analyzer_slot_bytes(void);

/*
 * The generic path, shared by the daemon and `replay`: score the sample
 * (with the series' daily profile when season is not NULL), then decide
 * whether it starts (or ends) an alert.
 */
enum detect_transition analyzer_series_step(struct anomaly_state *state,
					    struct season_state *season,
					    const struct anomaly_params *params,
					    int64_t time_usec, double value,
					    double *score);
/* The same without a profile. */
enum detect_transition analyzer_generic_step(struct anomaly_state *state,
					     const struct anomaly_params *params,
					     int64_t time_usec, double value,
					     double *score);

void analyzer_trend_params(const struct analyzer_config *config,
			   const char *name, const char *labels,
			   struct trend_params *out);
void analyzer_leak_params(const struct analyzer_config *config,
			  const char *name, struct leak_params *out);

/*
 * Warm restarts: a series' detector state as an opaque, versioned blob that
 * the analyzer saves through the blob store (core/blobstore.h) by series
 * name + labels, and asks back for when it binds a series it has not seen
 * in this process. Export returns the bytes written, -ENOENT for a slot with
 * no state, -ENOSPC if size is too small.
 */
#define ANALYZER_STATE_MAX 3072 /* within HISTORY_BLOB_MAX (4096) */
int analyzer_state_export(const struct analyzer *analyzer,
			  const struct metric_registry *registry, int id,
			  void *buffer, size_t size);
struct blobstore;
/*
 * Saves the state of every series through store. Returns how many were
 * saved, or the store's -errno at the first failure (the rest is not
 * tried: the store is failing).
 */
int analyzer_save_states(const struct analyzer *analyzer,
			 const struct metric_registry *registry,
			 const struct blobstore *store);
/*
 * The periodic save: as analyzer_save_states, but a series whose state
 * took only settled steps (counters) since a round that saved it is saved
 * again only in its turn, once every refresh_rounds rounds (see
 * analyzer.c); *unchanged: how many were left. Returns how many were saved
 * or the store's -errno (the round then counts for nothing).
 */
int analyzer_save_changed(struct analyzer *analyzer,
			  const struct metric_registry *registry,
			  const struct blobstore *store,
			  unsigned refresh_rounds, size_t *unchanged);
/* The store lost blobs it had taken: the next round saves every series. */
void analyzer_saves_forget(struct analyzer *analyzer);
/*
 * Series asleep: settled on their value under the anomaly detector alone,
 * skipped until it changes (see analyzer.c); for tests and the bench.
 */
size_t analyzer_sleeping(const struct analyzer *analyzer);

/* The daemon's analyzer, NULL before its first tick. */
struct analyzer *analyzer_running(void);

/* `sysops-agent replay [-c FILE] FILE.csv` */
int analyzer_command_replay(int argc, char **argv);

/*
 * Replays a CSV stream through the generic path, writing one output row per
 * sample row; unparsable lines are skipped with a warning and counted.
 */
int analyzer_replay(FILE *in, const char *name,
		    const struct anomaly_params *params, FILE *out);

/*
 * The CSV reader behind replay: one "timestamp,value" line (no newline) to
 * seconds and a value. Timestamps are "YYYY-MM-DD HH:MM:SS[.frac]" (UTC, as
 * NAB writes them), ISO 8601 with a T, or Unix seconds. Returns 0, or -EINVAL
 * for a line that is not a sample (a header, junk).
 */
int replay_parse_line(const char *line, size_t length, double *time_secs,
		      double *value);

#endif
