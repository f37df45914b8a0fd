/*
 * history_bench.c - what the SQLite history costs: CPU per tick for 2,000
 * series (the common tick, the minute-closing one, the average), the
 * analyzer snapshot and the textfile, and the database's growth per day at
 * the default settings. A simulated day on a synthetic clock; the database
 * lives under $BUILD (a real disk, not /tmp's tmpfs) so fsyncs are real.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/analyzer.h"
#include "core/blobstore.h"
#include "core/config.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"
#include "history/history.h"
#include "storage/metrics.h"

#define SERIES 2000
#define INTERVAL_SECS 10
#define SEC ((int64_t)USEC_PER_SEC)

static double cpu_usec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static double wall_usec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

/*
 * Half the series vary every sample (CPU, rates), half hold still within a
 * minute (used space, counts): roughly what a host's collectors give.
 */
static double value(int series, long tick)
{
	if (series % 2 == 0)
		return 100.0 * series + (double)((tick * 7919 + series) % 101);
	return 1e6 + series + (double)(tick / 360);
}

static long file_bytes(const char *dir, const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

int main(void)
{
#if WITH_SQLITE
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char dir[256], command[300];
	struct history_config hc = {
		.enabled = true, .retention_days = 7,
		.hourly_retention_days = 90, .max_db_bytes = 536870912,
		.snapshot_interval_secs = 300,
	};
	struct config *config = config_defaults();
	struct metric_registry *r = metrics_new(SERIES, 3600 / INTERVAL_SECS);
	struct analyzer *analyzer = analyzer_new(config, SERIES);
	struct history *h;
	struct history_stats stats;
	int ids[SERIES], dirfd;
	int64_t t0 = (int64_t)1763942400 * SEC;
	double plain_cpu = 0, close_cpu = 0, close_wall = 0, close_max = 0;
	double hour_cpu = 0, snapshot_cpu, snapshot_wall, textfile_cpu;
	long plain_ticks = 0, close_ticks = 0, day_ticks = 86400 / INTERVAL_SECS;
	char textfile[300];

	log_set_level(LOG_WARNING);
	snprintf(dir, sizeof(dir), "%s/history-bench.XXXXXX", build);
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 1;
	}
	dirfd = state_dir_open(dir);
	h = history_open(dirfd, &hc);
	if (h == NULL || r == NULL || analyzer == NULL)
		return 1;
	for (int i = 0; i < SERIES; i++) {
		char labels[32];

		snprintf(labels, sizeof(labels), "n=%d", i);
		ids[i] = metrics_register(r, i % 2 ? "bench.steady" : "bench.busy",
					  labels);
	}
	for (long tick = 0; tick < day_ticks; tick++) {
		int64_t now = t0 + tick * INTERVAL_SECS * SEC;
		bool closes = now % (60 * SEC) == 0;
		double c, w;

		for (int i = 0; i < SERIES; i++)
			metrics_push(r, ids[i], now, value(i, tick));
		c = cpu_usec();
		w = wall_usec();
		if (history_tick(h, r, now) < 0) {
			fprintf(stderr, "history_tick: %s\n",
				history_last_error());
			return 1;
		}
		c = cpu_usec() - c;
		w = wall_usec() - w;
		if (tick < 360)
			hour_cpu += c;
		if (closes) {
			close_cpu += c;
			close_wall += w;
			close_max = fmax(close_max, c);
			close_ticks++;
		} else {
			plain_cpu += c;
			plain_ticks++;
		}
	}
	/* Snapshots: the analyzer must have seen every series once. */
	analyzer_evaluate(analyzer, r, t0 + (day_ticks - 1) * INTERVAL_SECS * SEC);
	snapshot_cpu = cpu_usec();
	snapshot_wall = wall_usec();
	/* Through the blob store, as the analyzer module saves them. */
	analyzer_save_states(analyzer, r,
			     &(struct blobstore){ .save = history_blob_save,
						  .load = history_blob_load,
						  .context = h });
	history_commit_blobs(h);
	snapshot_cpu = cpu_usec() - snapshot_cpu;
	snapshot_wall = wall_usec() - snapshot_wall;
	snprintf(textfile, sizeof(textfile), "%s/sysops.prom", dir);
	textfile_cpu = cpu_usec();
	history_textfile_write(textfile, r,
			       t0 + (day_ticks - 1) * INTERVAL_SECS * SEC,
			       20 * SEC);
	textfile_cpu = cpu_usec() - textfile_cpu;
	history_stats(h, &stats);

	printf("history: %d series, one sample every %d s, 1 simulated day\n",
	       SERIES, INTERVAL_SECS);
	printf("  tick without a minute to close: %8.1f us CPU\n",
	       plain_cpu / (double)plain_ticks);
	printf("  minute-closing tick (%d rows):  %8.1f us CPU, %.1f us wall "
	       "(max %.0f us CPU)\n", SERIES, close_cpu / (double)close_ticks,
	       close_wall / (double)close_ticks, close_max);
	printf("  average per tick over the day:  %8.1f us CPU (first hour "
	       "%.1f)\n", (plain_cpu + close_cpu) / (double)day_ticks,
	       hour_cpu / 360);
	printf("  analyzer snapshot of %d series: %8.1f us CPU, %.1f us wall\n",
	       SERIES, snapshot_cpu, snapshot_wall);
	printf("  textfile of %d series:          %8.1f us CPU\n", SERIES,
	       textfile_cpu);
	printf("  after 1 day: %llu minute rows, %llu hour rows, "
	       "%lld bytes used, file %ld bytes (+%ld WAL)\n",
	       (unsigned long long)stats.minute_rows,
	       (unsigned long long)stats.hour_rows, (long long)stats.db_bytes,
	       file_bytes(dir, HISTORY_DB_NAME),
	       file_bytes(dir, HISTORY_DB_NAME "-wal"));
	{
		double row = (double)stats.db_bytes /
			     (double)(stats.minute_rows + stats.hour_rows);
		double full = row * SERIES * (7.0 * 1440 + 90.0 * 24);

		printf("  growth: %.1f MiB/day for %d series (%.0f bytes per "
		       "series per day, %.1f bytes per row)\n",
		       (double)stats.db_bytes / 1048576.0, SERIES,
		       (double)stats.db_bytes / SERIES, row);
		printf("  steady state (7 d of minutes + 90 d of hours): "
		       "~%.0f MiB, capped by max_db_bytes = %lld MiB\n",
		       full / 1048576.0, (long long)(hc.max_db_bytes >> 20));
	}
	history_close(h);
	analyzer_free(analyzer);
	metrics_free(r);
	config_free(config);
	close(dirfd);
	snprintf(command, sizeof(command), "rm -rf '%s'", dir);
	return system(command) == 0 ? 0 : 1;
#else
	printf("history: built without SQLite, nothing to measure\n");
	return 0;
#endif
}
