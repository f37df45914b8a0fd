/*
 * history.h - the history module: the optional SQLite history (downsampled
 * series, alert history, and the blobs of the state store other modules keep
 * per series, see core/blobstore.h) in one database in the state dir, the
 * node_exporter textfile, and the history commands. Built with WITH_SQLITE=0
 * the same API exists and reports "built without SQLite" (the textfile still
 * works).
 *
 * A consumer (core/daemon.h): it starts before the producers and stops after
 * them, observes the alerter's outcomes on the event bus, and provides the
 * blob store from its start to its free. It depends on storage and core
 * only; nothing calls it but the daemon's module list and the command table.
 */
#ifndef SYSOPS_HISTORY_H
#define SYSOPS_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/config.h" /* brings history_config.h */

#define HISTORY_DB_NAME "history.db"
#define HISTORY_SCHEMA_VERSION 3

struct daemon_module;
extern const struct daemon_module history_module;

/* The largest blob the store keeps for one series. */
#define HISTORY_BLOB_MAX 4096

struct metric_registry;
struct alert_event;
struct history;

/* True when this binary was built with SQLite. */
bool history_available(void);

/*
 * Opens (creating, migrating) state_dir_fd/history.db for writing. Returns
 * NULL on any failure (unwritable, newer schema, built without SQLite) with
 * history_last_error() saying why; callers carry on in memory. A corrupt
 * file is moved aside to history.db.corrupt (logged) and a new one made.
 */
struct history *history_open(int state_dir_fd, const struct history_config *config);
/* Text of the last failure, for the one message the caller logs. */
const char *history_last_error(void);
/* Read-only, for the commands; NULL with a message on stderr. */
struct history *history_open_readonly(int state_dir_fd);
void history_close(struct history *history);

/*
 * The daemon's steady state (history.pending, see pending.c): commits and
 * closes the database and unloads SQLite; from then on ticks, alerts and
 * blob saves are appended to STATE_DIR/history.pending, and each
 * import_interval_secs (or when the file reaches its cap) a short session
 * imports it. Returns 0 or -errno (the history stays as it was).
 */
int history_detach(struct history *history);
bool history_detached(const struct history *history);
/*
 * How many times state blobs the store had taken may have been lost since
 * open (records dropped after failed appends, the database removed or
 * replaced under it): for the blob store's losses (core/blobstore.h).
 */
uint64_t history_blobs_lost(const struct history *history);
/*
 * Imports history.pending into the database in one transaction (a session
 * of its own when detached: SQLite loaded for it, unloaded after), then
 * empties it. At start, before anything reads the database; at stop.
 */
int history_import(struct history *history, int64_t now_usec);
void history_set_config(struct history *history,
			const struct history_config *config);

/*
 * One tick: closes every finished minute (min/avg/max of the samples the
 * rings hold for it), rolls finished hours up, applies retention a batch at a
 * time, and writes queued alerts, all in one transaction. Returns 0 or
 * -errno; after an error the database is closed and reopened later by the
 * module, the caller keeps going.
 */
int history_tick(struct history *history,
		 const struct metric_registry *registry, int64_t now_usec);

/* At stop: the same, including the minute in progress. */
int history_flush(struct history *history,
		  const struct metric_registry *registry, int64_t now_usec);

/*
 * The blob store over a history (core/blobstore.h), context the struct
 * history (NULL: -ENOTCONN). Saves join one transaction that the next
 * write (tick, flush, history_commit_blobs, close) commits first; loads
 * answer from what history_load_blobs read.
 */
int history_blob_save(void *history, const char *name, const char *labels,
		      const void *blob, size_t length);
int history_blob_load(void *history, const char *name, const char *labels,
		      void *out, size_t size);
/* Commits the saved blobs now. Returns how many, or -errno. */
int history_commit_blobs(struct history *history);

/*
 * Reads every saved blob into memory, for history_blob_load as the
 * producers meet their series after a start. Returns the count.
 */
int history_load_blobs(struct history *history);
/* How many of them history_blob_load handed out. */
size_t history_blobs_restored(void);
/* Drops the loaded blobs (after the first ticks). */
void history_forget_blobs(void);

/*
 * Queues one alert event and what became of it ("sent", "held: rate
 * limit", "silenced", "failed: slack: HTTP 500") for the next tick's
 * transaction. Never blocks; -ENOTCONN when no history is open, -ENOBUFS
 * when the queue is full.
 */
int history_record_alert(const struct alert_event *event, const char *outcome);
/* Writes the queue now (tests, stop). */
int history_flush_alerts(struct history *history);

/* Statistics, for logs and tests. */
struct history_stats {
	uint64_t minute_rows, hour_rows, alert_rows, snapshot_rows;
	uint64_t rows_written, rows_expired, alerts_dropped;
	int64_t db_bytes;
};
int history_stats(struct history *history, struct history_stats *out);

/* ---- queries, shared by the commands and the tests ---- */

struct history_point {
	int64_t time_secs;
	double min, avg, max;
	int64_t count;
};

/* Called once per series with its points in time order. */
typedef void (*history_series_fn)(const char *name, const char *labels,
				  const struct history_point *points,
				  size_t count, void *context);

/*
 * Series matching glob (NULL: all) since since_secs (Unix time); minutes
 * where they are kept, hours for older times.
 */
int history_query(struct history *history, const char *glob,
		  int64_t since_secs, history_series_fn fn, void *context);

struct history_alert {
	int64_t time_usec;
	const char *rule, *series, *labels, *severity, *summary, *outcome;
	bool firing;
	double value;
	int64_t duration_secs; /* resolved: since it fired; else -1 */
};
typedef void (*history_alert_fn)(const struct history_alert *alert,
				 void *context);
int history_query_alerts(struct history *history, int64_t since_secs,
			 history_alert_fn fn, void *context);

/* ---- node_exporter textfile (no SQLite needed) ---- */

/*
 * Writes every series updated within max_age_usec as Prometheus text
 * exposition to stream, grouped by metric family.
 */
int history_textfile_format(const struct metric_registry *registry,
			    int64_t now_usec, int64_t max_age_usec,
			    FILE *stream);
/* One sample, with HELP/TYPE when its family differs from *family. */
void history_textfile_sample(FILE *stream, const char *name, const char *labels,
			     double value, char *family, size_t family_size);
/* Replaces path with what format writes: temporary file, rename(2). */
int history_textfile_replace(const char *path,
			     int (*format)(FILE *stream, void *),
			     void *context);
/* Replaces path through a temporary file in its directory and rename(2). */
int history_textfile_write(const char *path,
			   const struct metric_registry *registry,
			   int64_t now_usec, int64_t max_age_usec);

/* ---- commands ---- */
int history_command_history(int argc, char **argv);
int history_command_alerts(int argc, char **argv);
int history_command_export(int argc, char **argv);

/* "6h", "30m", "2d", "90s", "1w" -> seconds; -EINVAL otherwise. */
int history_parse_duration(const char *text, int64_t *secs);

#endif
