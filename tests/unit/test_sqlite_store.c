/*
 * test_sqlite_store.c - the history database in a temporary state dir:
 * schema and pragmas, 1-minute min/avg/max from the rings, hourly roll-up,
 * incremental retention, the size cap, alert history, warm restarts of the
 * analyzer, and the faults (corrupt, deleted, newer schema).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/analyzer.h"
#include "core/blobstore.h"
#include "core/config.h"
#include "core/event.h"
#include "core/state.h"
#include "core/util.h"
#include "history/history.h"
#include "history/history_internal.h"
#include "storage/metrics.h"

#if WITH_SQLITE

#include <sqlite3.h>

/* The test calls SQLite itself: the loader without its macros. */
#define HISTORY_SQLITE_API_NO_MACROS 1
#include "history/sqlite_api.h"

#define SEC ((int64_t)USEC_PER_SEC)
/* A Monday 00:00:00 UTC, so minutes and hours start on round numbers. */
#define T0 ((int64_t)1763942400 * SEC)

struct fixture {
	char dir[64];
	int dirfd;
	struct history_config config;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/sysops-history.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->dirfd = state_dir_open(f->dir);
	f->config = (struct history_config){
		.enabled = true,
		.retention_days = 7,
		.hourly_retention_days = 90,
		.max_db_bytes = 512 << 20,
		.snapshot_interval_secs = 300,
		.import_interval_secs = 3600,
	};
	*state = f;
	return f->dirfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char command[128];

	close(f->dirfd);
	snprintf(command, sizeof(command), "rm -rf '%s'", f->dir);
	if (system(command) != 0)
		return -1;
	free(f);
	return 0;
}

/* One integer from the database through a separate connection. */
static int64_t sql_int(struct fixture *f, const char *sql)
{
	char path[128];
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t value = -1;

	snprintf(path, sizeof(path), "%s/%s", f->dir, HISTORY_DB_NAME);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
					 NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
			 SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		value = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return value;
}

static void test_schema_and_pragmas(void **state)
{
	struct fixture *f = *state;
	struct history *h = history_open(f->dirfd, &f->config);
	struct stat st;

	assert_non_null(h);
	assert_int_equal(fstatat(f->dirfd, HISTORY_DB_NAME, &st, 0), 0);
	assert_int_equal(sql_int(f, "PRAGMA user_version"),
			 HISTORY_SCHEMA_VERSION);
	assert_int_equal(
	    sql_int(f, "SELECT count(*) FROM sqlite_master "
		       "WHERE name IN ('series', 'minute_blob', 'hour', "
		       "'alert', 'analyzer_state', 'meta')"),
	    6);
	history_close(h);
	/* WAL is a property of the file: a fresh connection sees it. */
	{
		char path[128];
		sqlite3 *db;
		sqlite3_stmt *s;

		snprintf(path, sizeof(path), "%s/%s", f->dir, HISTORY_DB_NAME);
		assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
		sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(s, 0),
				    "wal");
		sqlite3_finalize(s);
		sqlite3_close(db);
	}
	/* Opening again is a no-op migration. */
	h = history_open(f->dirfd, &f->config);
	assert_non_null(h);
	history_close(h);
}

/*
 * libsqlite3 is loaded while a history is open, counted, and let go by the
 * last close (this test links SQLite itself, so only the count is seen).
 */
static void test_library_loaded_while_open(void **state)
{
	struct fixture *f = *state;
	struct history *a, *b;

	assert_false(history_sqlite_loaded());
	a = history_open(f->dirfd, &f->config);
	assert_non_null(a);
	assert_true(history_sqlite_loaded());
	b = history_open_readonly(f->dirfd);
	assert_non_null(b);
	history_close(a);
	assert_true(history_sqlite_loaded());
	history_close(b);
	assert_false(history_sqlite_loaded());
	/* And loaded again for the next session. */
	a = history_open(f->dirfd, &f->config);
	assert_non_null(a);
	assert_true(history_sqlite_loaded());
	history_close(a);
	assert_false(history_sqlite_loaded());
}

static void test_newer_schema_is_refused(void **state)
{
	struct fixture *f = *state;
	char path[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/%s", f->dir, HISTORY_DB_NAME);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_null(history_open(f->dirfd, &f->config));
	assert_non_null(strstr(history_last_error(), "newer"));
	/* The file is left alone for the newer build. */
	assert_int_equal(sql_int(f, "PRAGMA user_version"), 99);
}

/* Ten-second samples of three series; one tick per sample. */
static void run_ticks(struct history *h, struct metric_registry *r,
		      int64_t from, int count, int *ids)
{
	for (int i = 0; i < count; i++) {
		int64_t t = from + i * 10 * SEC;

		metrics_push(r, ids[0], t, (double)(i % 6)); /* 0..5 a minute */
		metrics_push(r, ids[1], t, 42.0);            /* steady */
		metrics_push(r, ids[2], t, 1000.0 + i);      /* growing */
		assert_int_equal(history_tick(h, r, t), 0);
	}
}

static void register_three(struct metric_registry *r, int *ids)
{
	ids[0] = metrics_register(r, "cpu.usage_percent", "");
	ids[1] = metrics_register(r, "disk.used_percent", "mount=/");
	ids[2] = metrics_register(r, "memory.used_bytes", "");
}

struct collected {
	char name[128];
	struct history_point points[400];
	size_t count;
	size_t series;
};

static void collect(const char *name, const char *labels,
		    const struct history_point *points, size_t count,
		    void *context)
{
	struct collected *c = context;

	c->series++;
	snprintf(c->name, sizeof(c->name), "%s{%s}", name, labels);
	c->count = count < 400 ? count : 400;
	memcpy(c->points, points, c->count * sizeof(*points));
}

static void test_minutes_from_the_rings(void **state)
{
	struct fixture *f = *state;
	struct metric_registry *r = metrics_new(8, 360);
	struct history *h = history_open(f->dirfd, &f->config);
	struct collected c = { 0 };
	int ids[3];

	register_three(r, ids);
	/* 3 minutes and one more sample that opens the fourth. */
	run_ticks(h, r, T0, 19, ids);
	/* The first minute after start is written from its first tick on. */
	/* One row a minute holds the three series. */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM minute_blob"), 3);
	assert_int_equal(sql_int(f, "SELECT sum(series_count) FROM "
				    "minute_blob"),
			 9);
	assert_int_equal(history_query(h, "cpu.*", 0, collect, &c), 0);
	assert_int_equal(c.series, 1);
	assert_int_equal(c.count, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(c.points[i].time_secs, T0 / SEC + 60 * (int64_t)i);
		assert_true(c.points[i].min == 0.0);
		assert_true(c.points[i].max == 5.0);
		assert_true(fabs(c.points[i].avg - 2.5) < 1e-9);
		assert_int_equal(c.points[i].count, 6);
	}
	/* A steady minute stores one value, not three (id, flags, count,
	 * avg: 11 bytes); the other two store min, avg and max (27 bytes). */
	assert_int_equal(sql_int(f, "SELECT min(length(data)) FROM "
				    "minute_blob"),
			 11 + 27 + 27);
	memset(&c, 0, sizeof(c));
	assert_int_equal(history_query(h, "disk.used_percent{mount=/}", 0,
				       collect, &c), 0);
	assert_true(c.points[0].min == 42.0 && c.points[0].max == 42.0);
	history_close(h);
	metrics_free(r);
}

static off_t pending_size(struct fixture *f)
{
	struct stat st;

	if (fstatat(f->dirfd, "history.pending", &st, 0) < 0)
		return -1;
	return st.st_size;
}

static void copy_file(struct fixture *f, const char *from, const char *to)
{
	char command[256];

	snprintf(command, sizeof(command), "cp '%s/%s' '%s/%s'", f->dir, from,
		 f->dir, to);
	assert_int_equal(system(command), 0);
}

/*
 * Detached (the daemon's steady state), ticks append to history.pending
 * and SQLite is not loaded; the commands see the minutes before any
 * import; an import moves them into the file and empties the pending one,
 * and replaying the same file after a crash between the commit and the
 * truncation adds nothing.
 */
static void test_detached_minutes_wait_in_pending(void **state)
{
	struct fixture *f = *state;
	struct metric_registry *r = metrics_new(8, 360);
	struct history *h = history_open(f->dirfd, &f->config), *ro;
	struct collected c = {0};
	int ids[3];

	register_three(r, ids);
	assert_non_null(h);
	assert_int_equal(history_import(h, T0), 0);
	assert_int_equal(history_detach(h), 0);
	assert_true(history_detached(h));
	assert_false(history_sqlite_loaded());
	run_ticks(h, r, T0, 19, ids);
	assert_false(history_sqlite_loaded());
	assert_int_equal(sql_int(f, "SELECT count(*) FROM minute_blob"), 0);
	assert_true(pending_size(f) > 0);
	/* The commands read both files. */
	ro = history_open_readonly(f->dirfd);
	assert_non_null(ro);
	assert_int_equal(history_query(ro, "cpu.*", 0, collect, &c), 0);
	assert_int_equal(c.series, 1);
	assert_int_equal(c.count, 3);
	assert_true(fabs(c.points[0].avg - 2.5) < 1e-9);
	history_close(ro);
	/* Kept aside: the file as a crash after the commit would leave it. */
	copy_file(f, "history.pending", "pending.copy");
	assert_int_equal(history_import(h, T0 + 200 * SEC), 0);
	assert_false(history_sqlite_loaded());
	assert_int_equal(pending_size(f), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM minute_blob"), 3);
	assert_int_equal(sql_int(f, "SELECT sum(series_count) FROM "
				    "minute_blob"),
			 9);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM series"), 3);
	history_close(h);
	/* The same records again at the next start: nothing twice. */
	copy_file(f, "pending.copy", "history.pending");
	h = history_open(f->dirfd, &f->config);
	assert_non_null(h);
	assert_int_equal(history_import(h, T0 + 300 * SEC), 0);
	assert_int_equal(pending_size(f), 0);
	history_close(h);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM minute_blob"), 3);
	assert_int_equal(sql_int(f, "SELECT sum(series_count) FROM "
				    "minute_blob"),
			 9);
	metrics_free(r);
}

/*
 * After a restart the daemon gives the series new ids; the import maps
 * them to the ones the file has, and the minutes follow. A torn record at
 * the end (a SIGKILL mid-append) is ignored, the records before it kept.
 */
static void test_restart_ids_and_torn_tail(void **state)
{
	struct fixture *f = *state;
	struct metric_registry *r = metrics_new(8, 360);
	struct history *h = history_open(f->dirfd, &f->config);
	struct collected c = {0};
	int ids[3], fd;

	register_three(r, ids);
	assert_int_equal(history_detach(h), 0);
	run_ticks(h, r, T0, 7, ids);
	history_close(h); /* SIGKILL: no import */
	metrics_free(r);
	r = metrics_new(8, 360);
	register_three(r, ids);
	h = history_open(f->dirfd, &f->config);
	assert_int_equal(history_import(h, T0 + 70 * SEC), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM minute_blob"), 1);
	assert_int_equal(history_detach(h), 0);
	run_ticks(h, r, T0 + 120 * SEC, 7, ids);
	history_close(h);
	/* Half a record at the end. */
	fd = openat(f->dirfd, "history.pending", O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x20\0\0\0\x02\0\0\0abc", 11), 11);
	close(fd);
	h = history_open(f->dirfd, &f->config);
	assert_int_equal(history_import(h, T0 + 200 * SEC), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM minute_blob"), 2);
	/* Still three series, each with both minutes. */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM series"), 3);
	assert_int_equal(history_query(h, "memory.*", 0, collect, &c), 0);
	assert_int_equal(c.series, 1);
	assert_int_equal(c.count, 2);
	history_close(h);
	metrics_free(r);
}

/*
 * A minute of one value is counted, not walked (close_minutes): it gives
 * what the walk gives. "a.flat" repeats a value (the counted minutes);
 * "b.walked" alternates it with the next double, the same float in the
 * ring, so it never makes a run and its minutes are walked. Ticks come
 * with jitter, one is missed, the value changes mid-minute, the clock
 * steps back once.
 */
static void test_flat_minutes_as_the_walk_builds_them(void **state)
{
	struct fixture *f = *state;
	struct metric_registry *r = metrics_new(4, 360);
	struct history *h = history_open(f->dirfd, &f->config);
	struct collected a = {0}, b = {0};
	int flat = metrics_register(r, "a.flat", "");
	int walked = metrics_register(r, "b.walked", "");
	int64_t now = T0;

	for (int i = 0; i < 80; i++) {
		double v = i < 27 ? 0.1 : i < 50 ? 7.3 : 0;

		now += 10 * SEC + (i % 3) * 1000;
		if (i == 40)
			now -= 25 * SEC; /* the clock stepped back */
		if (i != 12) {
			metrics_push(r, flat, now, v);
			metrics_push(r, walked, now,
				     i % 2 ? nextafter(v, 1e9) : v);
		}
		assert_int_equal(history_tick(h, r, now), 0);
	}
	/* The run is seen by the registry, the other never is. */
	assert_true(metrics_get(r, flat)->same_since_usec < now);
	assert_true(metrics_get(r, walked)->same_since_usec == now);
	assert_int_equal(metrics_count_between(r, flat, T0, now), 78);
	assert_int_equal(history_query(h, "a.flat", 0, collect, &a), 0);
	assert_int_equal(history_query(h, "b.walked", 0, collect, &b), 0);
	assert_true(a.count >= 12);
	assert_int_equal(a.count, b.count);
	for (size_t i = 0; i < a.count; i++) {
		assert_int_equal(a.points[i].time_secs, b.points[i].time_secs);
		assert_int_equal(a.points[i].count, b.points[i].count);
		assert_memory_equal(&a.points[i].min, &b.points[i].min, 8);
		assert_memory_equal(&a.points[i].avg, &b.points[i].avg, 8);
		assert_memory_equal(&a.points[i].max, &b.points[i].max, 8);
	}
	history_close(h);
	metrics_free(r);
}

static void test_restart_fills_the_gap_from_the_rings(void **state)
{
	struct fixture *f = *state;
	struct metric_registry *r = metrics_new(8, 360);
	struct history *h = history_open(f->dirfd, &f->config);
	int ids[3];

	register_three(r, ids);
	run_ticks(h, r, T0, 7, ids);   /* minute 0 written */
	history_close(h);              /* down for minutes 1 and 2 ... */
	for (int i = 7; i < 18; i++) { /* ... while the rings kept going */
		metrics_push(r, ids[0], T0 + i * 10 * SEC, 1);
		metrics_push(r, ids[1], T0 + i * 10 * SEC, 42);
		metrics_push(r, ids[2], T0 + i * 10 * SEC, 1);
	}
	h = history_open(f->dirfd, &f->config);
	assert_int_equal(history_tick(h, r, T0 + 180 * SEC), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM minute_blob"), 3);
	{
		struct collected c = {0};
		int64_t samples = 0;

		assert_int_equal(
		    history_query(h, "cpu.usage_percent", 0, collect, &c), 0);
		assert_int_equal(c.count, 3);
		for (size_t i = 0; i < c.count; i++)
			samples += c.points[i].count;
		assert_int_equal(samples, 18);
	}
	history_close(h);
	metrics_free(r);
}

static void test_hours_roll_up_and_retention_is_incremental(void **state)
{
	struct fixture *f = *state;
	struct metric_registry *r = metrics_new(4, 8);
	struct history *h;
	int id = metrics_register(r, "cpu.usage_percent", "");
	struct collected c = { 0 };

	f->config.retention_days = 1;
	h = history_open(f->dirfd, &f->config);
	/* Two hours at one sample a minute: value = minute of the hour. */
	for (int m = 0; m <= 120; m++) {
		int64_t t = T0 + m * 60 * SEC;

		metrics_push(r, id, t, (double)(m % 60));
		assert_int_equal(history_tick(h, r, t), 0);
	}
	assert_int_equal(sql_int(f, "SELECT count(*) FROM hour"), 2);
	assert_int_equal(sql_int(f, "SELECT min FROM hour WHERE time = 1763942400"),
			 0);
	assert_int_equal(sql_int(f, "SELECT max FROM hour WHERE time = 1763942400"),
			 59);
	assert_int_equal(sql_int(f, "SELECT count FROM hour WHERE time = "
				 "1763942400"), 60);
	/* Two days later the old minutes go ten minutes' worth per tick. */
	{
		int64_t later = T0 + 2 * 86400 * SEC;

		metrics_push(r, id, later, 1);
		assert_int_equal(history_tick(h, r, later), 0);
		assert_int_equal(sql_int(f, "SELECT count(*) FROM minute_blob "
					    "WHERE time < 1763942400 + 86400"),
				 121 - 10);
		for (int i = 1; i <= 12; i++) {
			metrics_push(r, id, later + i * 60 * SEC, 1);
			assert_int_equal(history_tick(h, r, later +
							       i * 60 * SEC),
					 0);
		}
		assert_int_equal(sql_int(f, "SELECT count(*) FROM minute_blob "
					    "WHERE time < 1763942400 + 86400"),
				 0);
	}
	/* The hours survive (the third holds minute 120) and a long
	 * --since reads them. */
	assert_int_equal(sql_int(f, "SELECT count(*) FROM hour WHERE time < "
				 "1763942400 + 86400"), 3);
	assert_int_equal(history_query(h, NULL, T0 / SEC, collect, &c), 0);
	assert_true(c.count >= 2);
	assert_int_equal(c.points[0].time_secs, T0 / SEC);
	assert_int_equal(c.points[1].time_secs, T0 / SEC + 3600);
	history_close(h);
	metrics_free(r);
}

/*
 * The hourly pass: a series gone for longer than every retention (plus a
 * day) loses its row, a live one keeps it; alerts past retention go too.
 */
static void test_series_gone_past_retention_are_pruned(void **state)
{
	struct fixture *f = *state;
	struct metric_registry *r = metrics_new(4, 8);
	struct history *h;
	int gone = metrics_register(r, "process.rss_bytes", "pid=42");
	int live = metrics_register(r, "cpu.usage_percent", "");
	struct alert_event event = {
	    .rule = "cpu_percent",
	    .series = "cpu.usage_percent",
	    .labels = "",
	    .severity = ALERT_WARNING,
	    .firing = true,
	    .time_usec = (uint64_t)T0,
	    .value = 95,
	    .baseline = NAN,
	    .threshold = 90,
	    .score = 1,
	    .eta_secs = -1,
	    .summary = "busy",
	    .count = 1,
	};
	int64_t t = T0;

	f->config.retention_days = 1;
	f->config.hourly_retention_days = 2;
	h = history_open(f->dirfd, &f->config);
	assert_non_null(h);
	assert_int_equal(history_record_alert(&event, "sent: journal"), 0);
	for (int m = 0; m <= 90; m++) {
		t = T0 + m * 60 * SEC;
		metrics_push(r, gone, t, 1e6);
		metrics_push(r, live, t, 5);
		assert_int_equal(history_tick(h, r, t), 0);
	}
	metrics_retire(r, gone);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM series"), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alert"), 1);
	/* An hour at a time past two days and a day more (the pass that
	 * saw its last hour row, two hours after its end, counts). */
	for (int hour = 2; hour <= 3 * 24 + 5; hour++) {
		t = T0 + hour * 3600 * SEC;
		metrics_push(r, live, t, 5);
		assert_int_equal(history_tick(h, r, t), 0);
		if (hour == 2 * 24 + 2)
			/* Past two days: the alert is gone, the series
			 * row not yet (a day's margin). */
			assert_int_equal(sql_int(f, "SELECT count(*) FROM "
						    "series"),
					 2);
	}
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alert"), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM series"), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM series WHERE name "
				    "= 'cpu.usage_percent'"),
			 1);
	assert_true(sql_int(f, "SELECT last_seen FROM series") >=
		    t / SEC - 2 * 3600);
	history_close(h);
	metrics_free(r);
}

static void test_hour_split_by_a_restart_is_whole(void **state)
{
	struct fixture *f = *state;
	struct metric_registry *r = metrics_new(4, 400);
	struct history *h = history_open(f->dirfd, &f->config);
	int id = metrics_register(r, "cpu.usage_percent", "");
	int64_t m;

	/* 30 minutes, a restart, 40 more: the first hour is whole anyway. */
	for (m = 0; m < 30; m++) {
		metrics_push(r, id, T0 + m * 60 * SEC, (double)m);
		assert_int_equal(history_tick(h, r, T0 + m * 60 * SEC), 0);
	}
	assert_int_equal(history_flush(h, r, T0 + 29 * 60 * SEC), 0);
	history_close(h);
	h = history_open(f->dirfd, &f->config);
	for (; m < 70; m++) {
		metrics_push(r, id, T0 + m * 60 * SEC, (double)m);
		assert_int_equal(history_tick(h, r, T0 + m * 60 * SEC), 0);
	}
	assert_int_equal(sql_int(f, "SELECT count FROM hour WHERE time = "
				 "1763942400"), 60);
	assert_int_equal(sql_int(f, "SELECT max FROM hour WHERE time = "
				 "1763942400"), 59);
	/* And the hour after it, seen whole by this connection, too. */
	for (; m <= 121; m++) {
		metrics_push(r, id, T0 + m * 60 * SEC, (double)m);
		assert_int_equal(history_tick(h, r, T0 + m * 60 * SEC), 0);
	}
	assert_int_equal(sql_int(f, "SELECT count FROM hour WHERE time = "
				 "1763942400 + 3600"), 60);
	assert_int_equal(sql_int(f, "SELECT min FROM hour WHERE time = "
				 "1763942400 + 3600"), 60);
	history_close(h);
	metrics_free(r);
}

/* A minute row: what goes in comes out, steady series take 11 bytes. */
static void test_minute_blob_round_trip(void **state)
{
	static const struct history_minute_record in[] = {
	    {.series_id = 1, .min = 42, .avg = 42, .max = 42, .count = 6},
	    {.series_id = 300,
	     .min = -1.5,
	     .avg = 0.25,
	     .max = 1e300,
	     .count = 1 << 20},
	    {.series_id = 7, .min = 3, .avg = 3, .max = 4, .count = 2},
	};
	struct history_blob_buffer blob = {0};
	struct history_minute_record out;
	size_t offset = 0;

	(void)state;
	assert_int_equal(history_minute_append(&blob, &in[0]), 0);
	assert_int_equal(blob.length, 11);
	for (size_t i = 1; i < ARRAY_SIZE(in); i++)
		assert_int_equal(history_minute_append(&blob, &in[i]), 0);
	assert_int_equal(blob.records, 3);
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		assert_int_equal(
		    history_minute_next(blob.data, blob.length, &offset, &out),
		    1);
		assert_int_equal(out.series_id, in[i].series_id);
		assert_int_equal(out.count, in[i].count);
		assert_true(out.min == in[i].min && out.avg == in[i].avg &&
			    out.max == in[i].max);
	}
	assert_int_equal(
	    history_minute_next(blob.data, blob.length, &offset, &out), 0);
	/* Cut short or with unknown flags: malformed, never read past. */
	offset = 0;
	assert_int_equal(history_minute_next(blob.data, 5, &offset, &out),
			 -EBADMSG);
	blob.data[1] = 0x80;
	offset = 0;
	assert_int_equal(
	    history_minute_next(blob.data, blob.length, &offset, &out),
	    -EBADMSG);
	assert_int_equal(
	    history_minute_append(
		&blob, &(struct history_minute_record){.series_id = -1}),
	    -EINVAL);
	free(blob.data);
	/* Ids and counts on each side of the one- and two-byte varints
	 * (written without the loop) are LEB128 byte for byte. */
	static const int64_t edges[] = {
	    0, 127, 128, 16383, 16384, 2097151, INT64_C(1) << 40};
	for (size_t i = 0; i < ARRAY_SIZE(edges); i++) {
		uint8_t want[32];
		size_t n = 0;

		for (uint64_t v = (uint64_t)edges[i];; v >>= 7) {
			want[n++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
			if (v >> 7 == 0)
				break;
		}
		want[n++] = 0; /* flags: steady */
		for (uint64_t v = (uint64_t)edges[i];; v >>= 7) {
			want[n++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
			if (v >> 7 == 0)
				break;
		}
		blob = (struct history_blob_buffer){0};
		assert_int_equal(
		    history_minute_append(
			&blob,
			&(struct history_minute_record){.series_id = edges[i],
							.count = edges[i]}),
		    0);
		assert_int_equal(blob.length, n + 8);
		assert_memory_equal(blob.data, want, n);
		offset = 0;
		assert_int_equal(
		    history_minute_next(blob.data, blob.length, &offset, &out),
		    1);
		assert_true(out.series_id == edges[i] && out.count == edges[i]);
		free(blob.data);
	}
}

/*
 * A database of schema 1 (one row per series and minute, as the releases
 * before schema 2 wrote it): migrated at open, every minute read back the
 * same, and its hours still rolled up from the converted minutes.
 */
static void test_schema_1_minutes_are_converted(void **state)
{
	struct fixture *f = *state;
	struct metric_registry *r = metrics_new(4, 8);
	struct collected c = {0};
	struct history_stats stats;
	char path[128];
	struct history *h;
	sqlite3 *db;
	int id;

	snprintf(path, sizeof(path), "%s/%s", f->dir, HISTORY_DB_NAME);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(
	    sqlite3_exec(
		db,
		"CREATE TABLE meta (key TEXT PRIMARY KEY,"
		" value INTEGER NOT NULL);"
		"CREATE TABLE series (id INTEGER PRIMARY KEY,"
		" name TEXT NOT NULL, labels TEXT NOT NULL,"
		" UNIQUE (name, labels));"
		"CREATE TABLE minute (time INTEGER NOT NULL,"
		" series INTEGER NOT NULL, min REAL, avg REAL NOT NULL,"
		" max REAL, count INTEGER NOT NULL,"
		" PRIMARY KEY (time, series)) WITHOUT ROWID;"
		"CREATE TABLE hour (time INTEGER NOT NULL,"
		" series INTEGER NOT NULL, min REAL, avg REAL NOT NULL,"
		" max REAL, count INTEGER NOT NULL,"
		" PRIMARY KEY (time, series)) WITHOUT ROWID;"
		"CREATE TABLE alert (id INTEGER PRIMARY KEY,"
		" time_usec INTEGER NOT NULL, rule TEXT NOT NULL,"
		" series TEXT NOT NULL, labels TEXT NOT NULL,"
		" severity TEXT NOT NULL, firing INTEGER NOT NULL,"
		" value REAL, baseline REAL, threshold REAL, score REAL,"
		" summary TEXT NOT NULL, outcome TEXT NOT NULL);"
		"CREATE INDEX alert_time ON alert (time_usec);"
		"CREATE TABLE analyzer_state (series INTEGER PRIMARY KEY,"
		" time_usec INTEGER NOT NULL, state BLOB NOT NULL);"
		"INSERT INTO series VALUES (1, 'cpu.usage_percent', ''),"
		" (2, 'disk.used_percent', 'mount=/');"
		/* minutes 0 and 1 of T0's hour, minute 0 of the next */
		"INSERT INTO minute VALUES"
		" (1763942400, 1, 0, 2.5, 5, 6),"
		" (1763942400, 2, NULL, 42, NULL, 6),"
		" (1763942460, 1, 1, 2, 3, 6),"
		" (1763946000, 1, 7, 7.5, 8, 2);"
		"INSERT INTO meta VALUES ('minute_done', "
		"1763946060000000), ('hour_done', 1763942400);"
		"PRAGMA user_version = 1",
		NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);

	h = history_open(f->dirfd, &f->config);
	assert_non_null(h);
	assert_int_equal(sql_int(f, "PRAGMA user_version"),
			 HISTORY_SCHEMA_VERSION);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM sqlite_master "
				    "WHERE name = 'minute'"),
			 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM minute_blob"), 3);
	assert_int_equal(history_stats(h, &stats), 0);
	assert_int_equal(stats.minute_rows, 4);
	assert_int_equal(history_query(h, "cpu.usage_percent", 0, collect, &c),
			 0);
	assert_int_equal(c.count, 3);
	assert_int_equal(c.points[1].time_secs, 1763942460);
	assert_true(c.points[1].min == 1 && c.points[1].avg == 2 &&
		    c.points[1].max == 3 && c.points[1].count == 6);
	memset(&c, 0, sizeof(c));
	assert_int_equal(history_query(h, "disk.*", 0, collect, &c), 0);
	assert_int_equal(c.count, 1);
	assert_true(c.points[0].min == 42 && c.points[0].max == 42);
	/* The first hour, not seen whole by this connection, is rolled up
	 * from the converted minutes once a minute of the next hour closes
	 * (the ring's one sample there). */
	id = metrics_register(r, "cpu.usage_percent", "");
	metrics_push(r, id, T0 + 3601 * SEC + 60 * SEC, 9);
	assert_int_equal(history_tick(h, r, T0 + 3600 * SEC + 180 * SEC), 0);
	assert_int_equal(sql_int(f, "SELECT count FROM hour WHERE time = "
				    "1763942400 AND series = 1"),
			 12);
	assert_int_equal(sql_int(f, "SELECT max FROM hour WHERE time = "
				    "1763942400 AND series = 1"),
			 5);
	assert_int_equal(sql_int(f, "SELECT count FROM hour WHERE time = "
				    "1763942400 AND series = 2"),
			 6);
	history_close(h);
	metrics_free(r);
}

static void test_size_cap_drops_oldest_minutes(void **state)
{
	struct fixture *f = *state;
	struct metric_registry *r = metrics_new(300, 8);
	struct history *h;
	struct stat st;
	int ids[300];
	char name[32];

	f->config.max_db_bytes = 1 << 20;
	h = history_open(f->dirfd, &f->config);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "series.%d", i);
		ids[i] = metrics_register(r, name, "");
	}
	/* 300 series a minute, each with a min, avg and max, for 3 hours:
	 * ~1.5 MiB, far more than 1 MiB. */
	for (int m = 0; m < 180; m++) {
		int64_t t = T0 + m * 60 * SEC;

		for (int i = 0; i < 300; i++) {
			metrics_push(r, ids[i], t, (double)(m * 300 + i) + 0.5);
			metrics_push(r, ids[i], t + 30 * SEC,
				     (double)(m * 300 + i) + 0.75);
		}
		/* The cap is not an error: old minutes make room. */
		assert_int_equal(history_tick(h, r, t + 30 * SEC), 0);
	}
	assert_int_equal(fstatat(f->dirfd, HISTORY_DB_NAME, &st, 0), 0);
	assert_true(st.st_size <= 1 << 20);
	/* The newest closed minute made it; the oldest went. */
	assert_int_equal(sql_int(f, "SELECT max(time) FROM minute_blob"),
			 T0 / SEC + 178 * 60);
	assert_true(sql_int(f, "SELECT min(time) FROM minute_blob") > T0 / SEC);
	history_close(h);
	metrics_free(r);
}

static void test_alert_history(void **state)
{
	struct fixture *f = *state;
	struct history *h = history_open(f->dirfd, &f->config);
	struct alert_event event = {
		.rule = "disk_full_forecast", .series = "disk.used_percent",
		.labels = "mount=/", .severity = ALERT_CRITICAL, .firing = true,
		.time_usec = (uint64_t)T0, .value = 91.5, .baseline = NAN,
		.threshold = 100, .score = 0.9, .eta_secs = 3600,
		.summary = "disk.used_percent{mount=/} reaches 100% in ~1 h",
		.count = 1,
	};
	int queued = 0;

	assert_int_equal(history_record_alert(&event, "sent: journal"), 0);
	event.firing = false;
	event.time_usec = (uint64_t)(T0 + 754 * SEC);
	event.summary = "cleared";
	assert_int_equal(history_record_alert(&event, "held: rate limit"), 0);
	assert_int_equal(history_flush_alerts(h), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alert"), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alert WHERE outcome "
				 "= 'held: rate limit' AND firing = 0"), 1);
	/* The queue is bounded: past it, alerts are refused, not grown. */
	for (int i = 0; i < 1000; i++)
		if (history_record_alert(&event, "sent") == 0)
			queued++;
	assert_true(queued > 0 && queued < 1000);
	assert_int_equal(history_record_alert(&event, "sent"), -ENOBUFS);
	assert_int_equal(history_flush_alerts(h), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM alert"), 2 + queued);
	history_close(h);
}

struct alert_list {
	int64_t duration[8];
	char outcome[8][64];
	size_t count;
};

static void list_alert(const struct history_alert *a, void *context)
{
	struct alert_list *l = context;

	if (l->count < 8) {
		l->duration[l->count] = a->duration_secs;
		snprintf(l->outcome[l->count], 64, "%s", a->outcome);
	}
	l->count++;
}

static void test_alert_durations(void **state)
{
	struct fixture *f = *state;
	struct history *h = history_open(f->dirfd, &f->config);
	struct alert_event event = {
		.rule = "anomaly", .series = "cpu.usage_percent", .labels = "",
		.severity = ALERT_WARNING, .firing = true,
		.time_usec = (uint64_t)T0, .value = 99, .baseline = 10,
		.threshold = 5, .score = 0.8, .eta_secs = -1,
		.summary = "cpu", .count = 1,
	};
	struct alert_list l = { 0 };

	history_record_alert(&event, "sent");
	event.firing = false;
	event.time_usec = (uint64_t)(T0 + 300 * SEC);
	history_record_alert(&event, "silenced: maintenance");
	assert_int_equal(history_flush_alerts(h), 0);
	assert_int_equal(history_query_alerts(h, 0, list_alert, &l), 0);
	assert_int_equal(l.count, 2);
	assert_int_equal(l.duration[0], -1);
	assert_int_equal(l.duration[1], 300);
	assert_string_equal(l.outcome[1], "silenced: maintenance");
	history_close(h);
}

/* ---- warm restarts ---- */

static double wave(int i)
{
	/* A daily-ish wave with deterministic jitter. */
	return 50 + 20 * sin(i / 40.0) + (double)((i * 7919) % 13) / 4.0;
}

static void feed(struct analyzer *a, struct metric_registry *r, int *ids,
		 int i)
{
	int64_t t = T0 + (int64_t)i * 10 * SEC;

	metrics_push(r, ids[0], t, wave(i));
	metrics_push(r, ids[1], t, 30 + i * 0.001);
	metrics_push(r, ids[2], t, 1e9 + wave(i) * 1e6);
	analyzer_evaluate(a, r, t);
}

static int count_sink(const struct alert_event *event, void *context)
{
	(void)event;
	(*(int *)context)++;
	return 0;
}

static void register_analyzed(struct metric_registry *r, int *ids)
{
	ids[0] = metrics_register(r, "cpu.usage_percent", "");
	ids[1] = metrics_register(r, "disk.used_percent", "mount=/");
	ids[2] = metrics_register(r, "net.rx_errors_per_sec", "interface=eth0");
}

static void assert_same_state(struct analyzer *x, struct metric_registry *rx,
			      struct analyzer *y, struct metric_registry *ry,
			      int *ids_x, int *ids_y)
{
	unsigned char a[ANALYZER_STATE_MAX], b[ANALYZER_STATE_MAX];

	for (int k = 0; k < 3; k++) {
		int n = analyzer_state_export(x, rx, ids_x[k], a, sizeof(a));
		int m = analyzer_state_export(y, ry, ids_y[k], b, sizeof(b));

		assert_true(n > 0);
		assert_int_equal(n, m);
		assert_memory_equal(a, b, (size_t)n);
	}
}

/* The history's blob store over h, as the module provides it. */
static struct blobstore store_over(struct history *h)
{
	return (struct blobstore){ .save = history_blob_save,
				   .load = history_blob_load,
				   .context = h };
}

static void test_warm_restart_scores_like_before(void **state)
{
	struct fixture *f = *state;
	struct config *config = config_defaults();
	struct metric_registry *live = metrics_new(8, 360);
	struct metric_registry *restarted = metrics_new(8, 360);
	struct metric_registry *cold_registry = metrics_new(8, 360);
	struct analyzer *uninterrupted = analyzer_new(config, 8);
	struct analyzer *warm, *cold;
	struct history *h = history_open(f->dirfd, &f->config);
	struct blobstore store = store_over(h);
	int ids_live[3], ids_warm[3], ids_cold[3], alerts = 0, cold_alerts = 0;
	unsigned char a[ANALYZER_STATE_MAX], b[ANALYZER_STATE_MAX];

	analyzer_set_sink(uninterrupted, count_sink, &alerts);
	register_analyzed(live, ids_live);
	/* The restarted process registers in another order: keys, not ids. */
	ids_warm[2] = metrics_register(restarted, "net.rx_errors_per_sec",
				       "interface=eth0");
	ids_warm[0] = metrics_register(restarted, "cpu.usage_percent", "");
	ids_warm[1] = metrics_register(restarted, "disk.used_percent",
				       "mount=/");
	register_analyzed(cold_registry, ids_cold);
	for (int i = 0; i < 500; i++)
		feed(uninterrupted, live, ids_live, i);
	assert_int_equal(analyzer_save_states(uninterrupted, live, &store), 3);
	assert_int_equal(history_commit_blobs(h), 3);
	history_close(h);

	/* "Restart": a new analyzer restores what the old one saved, asking
	 * the store it finds when it binds each series. */
	h = history_open(f->dirfd, &f->config);
	assert_int_equal(history_load_blobs(h), 3);
	store = store_over(h);
	blobstore_set(&store);
	warm = analyzer_new(config, 8);
	analyzer_set_sink(warm, count_sink, &alerts);
	cold = analyzer_new(config, 8);
	analyzer_set_sink(cold, count_sink, &cold_alerts);
	feed(warm, restarted, ids_warm, 500);
	assert_int_equal(history_blobs_restored(), 3);
	blobstore_set(NULL);
	history_forget_blobs();
	feed(cold, cold_registry, ids_cold, 500);
	feed(uninterrupted, live, ids_live, 500);
	/* The first tick after the restart is the tick it would have been. */
	assert_same_state(uninterrupted, live, warm, restarted, ids_live,
			  ids_warm);
	for (int i = 501; i < 600; i++) {
		feed(uninterrupted, live, ids_live, i);
		feed(warm, restarted, ids_warm, i);
		feed(cold, cold_registry, ids_cold, i);
	}
	assert_same_state(uninterrupted, live, warm, restarted, ids_live,
			  ids_warm);
	/* Without the snapshot it is a different (cold) detector. */
	assert_true(analyzer_state_export(cold, cold_registry, ids_cold[0], a,
					  sizeof(a)) > 0);
	assert_true(analyzer_state_export(uninterrupted, live, ids_live[0], b,
					  sizeof(b)) > 0);
	assert_memory_not_equal(a, b, sizeof(a));
	history_close(h);
	analyzer_free(uninterrupted);
	analyzer_free(warm);
	analyzer_free(cold);
	metrics_free(live);
	metrics_free(restarted);
	metrics_free(cold_registry);
	config_free(config);
}

static void test_snapshot_of_another_layout_starts_cold(void **state)
{
	struct fixture *f = *state;
	struct config *config = config_defaults();
	struct metric_registry *r = metrics_new(4, 16);
	struct analyzer *a = analyzer_new(config, 4);
	struct history *h = history_open(f->dirfd, &f->config);
	struct blobstore store = store_over(h);
	int id = metrics_register(r, "cpu.usage_percent", "");
	unsigned char blob[ANALYZER_STATE_MAX];
	char path[128];
	sqlite3 *db;

	metrics_push(r, id, T0, 5);
	analyzer_evaluate(a, r, T0);
	assert_int_equal(analyzer_save_states(a, r, &store), 1);
	/* Closing commits the open round of saves. */
	history_close(h);
	/* A blob from another build (or damaged): never imported. */
	snprintf(path, sizeof(path), "%s/%s", f->dir, HISTORY_DB_NAME);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE analyzer_state SET state = "
				      "x'0102030405'", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	h = history_open(f->dirfd, &f->config);
	assert_int_equal(history_load_blobs(h), 1);
	store = store_over(h);
	blobstore_set(&store);
	analyzer_free(a);
	a = analyzer_new(config, 4);
	metrics_push(r, id, T0 + 10 * SEC, 5);
	analyzer_evaluate(a, r, T0 + 10 * SEC);
	/* Asked for and handed over, but not imported. */
	assert_int_equal(history_blobs_restored(), 1);
	assert_true(analyzer_state_export(a, r, id, blob, sizeof(blob)) > 0);
	blobstore_set(NULL);
	history_forget_blobs();
	history_close(h);
	analyzer_free(a);
	metrics_free(r);
	config_free(config);
}

/* The history only keeps blobs: any bytes, one per series, replaced. */
static void test_blob_store_keeps_opaque_blobs(void **state)
{
	struct fixture *f = *state;
	struct history *h = history_open(f->dirfd, &f->config);
	static char big[HISTORY_BLOB_MAX + 1];
	char out[16];

	assert_int_equal(history_blob_save(h, "a.b", "x=1", "hello", 5), 0);
	assert_int_equal(history_blob_save(h, "a.b", "x=1", "hello2", 6), 0);
	assert_int_equal(history_blob_save(h, "a.b", "x=2", "x", 1), 0);
	assert_int_equal(history_blob_save(h, "a.b", "x=3", big, sizeof(big)),
			 -EMSGSIZE);
	/* Away (the module's context while the database is closed). */
	assert_int_equal(history_blob_save(NULL, "a.b", "", "x", 1), -ENOTCONN);
	assert_int_equal(history_blob_load(NULL, "a.b", "", out, sizeof(out)),
			 -ENOTCONN);
	assert_int_equal(history_commit_blobs(h), 3);
	assert_int_equal(history_commit_blobs(h), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM analyzer_state"), 2);
	history_close(h);

	h = history_open(f->dirfd, &f->config);
	assert_int_equal(history_load_blobs(h), 2);
	assert_int_equal(history_blob_load(h, "a.b", "x=1", out, sizeof(out)),
			 6);
	assert_memory_equal(out, "hello2", 6);
	assert_int_equal(history_blob_load(h, "a.b", "x=1", out, 3), -EMSGSIZE);
	assert_int_equal(history_blob_load(h, "a.b", "x=9", out, sizeof(out)),
			 -ENOENT);
	assert_int_equal(history_blobs_restored(), 1);
	history_forget_blobs();
	assert_int_equal(history_blob_load(h, "a.b", "x=2", out, sizeof(out)),
			 -ENOENT);
	history_close(h);
}

/* ---- faults ---- */

static void test_corrupt_database_is_moved_aside(void **state)
{
	struct fixture *f = *state;
	static const char junk[] = "this is not an SQLite database, it is a "
				   "text file that got in the way of one....";
	struct history *h;
	struct stat st;
	int fd = openat(f->dirfd, HISTORY_DB_NAME, O_WRONLY | O_CREAT, 0640);

	assert_true(fd >= 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(write(fd, junk, sizeof(junk)), sizeof(junk));
	close(fd);
	h = history_open(f->dirfd, &f->config);
	assert_non_null(h);
	assert_int_equal(fstatat(f->dirfd, HISTORY_DB_NAME ".corrupt", &st, 0),
			 0);
	assert_int_equal(sql_int(f, "PRAGMA user_version"),
			 HISTORY_SCHEMA_VERSION);
	history_close(h);
}

static void test_deleted_database_is_noticed(void **state)
{
	struct fixture *f = *state;
	struct metric_registry *r = metrics_new(8, 360);
	struct history *h = history_open(f->dirfd, &f->config);
	int ids[3];

	register_three(r, ids);
	run_ticks(h, r, T0, 7, ids);
	assert_int_equal(unlinkat(f->dirfd, HISTORY_DB_NAME, 0), 0);
	metrics_push(r, ids[0], T0 + 70 * SEC, 1);
	assert_int_equal(history_tick(h, r, T0 + 70 * SEC), -ESTALE);
	assert_non_null(strstr(history_last_error(), "removed"));
	history_close(h);
	/* Reopening starts a new file, with the rings' last hour in it. */
	h = history_open(f->dirfd, &f->config);
	assert_non_null(h);
	assert_int_equal(history_tick(h, r, T0 + 120 * SEC), 0);
	history_close(h);
	metrics_free(r);
}

static void test_unreadable_state_dir_fails_cleanly(void **state)
{
	struct fixture *f = *state;
	int fd;

	(void)f;
	/* A directory fd that cannot hold files (a regular file's parent). */
	fd = open("/proc/self", O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_null(history_open(fd, &f->config));
	assert_true(history_last_error()[0] != '\0');
	assert_null(history_open_readonly(f->dirfd)); /* no file yet */
	close(fd);
}

static void test_parse_duration(void **state)
{
	int64_t s;

	(void)state;
	assert_int_equal(history_parse_duration("6h", &s), 0);
	assert_int_equal(s, 6 * 3600);
	assert_int_equal(history_parse_duration("90m", &s), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(history_parse_duration("2w", &s), 0);
	assert_int_equal(s, 14 * 86400);
	assert_int_equal(history_parse_duration("45", &s), 0);
	assert_int_equal(s, 45);
	assert_int_equal(history_parse_duration("6x", &s), -EINVAL);
	assert_int_equal(history_parse_duration("-1h", &s), -EINVAL);
	assert_int_equal(history_parse_duration("h", &s), -EINVAL);
	assert_int_equal(history_parse_duration("", &s), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_schema_and_pragmas, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_library_loaded_while_open,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_detached_minutes_wait_in_pending, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_ids_and_torn_tail,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, setup,
					    teardown),
	    cmocka_unit_test(test_minute_blob_round_trip),
	    cmocka_unit_test_setup_teardown(test_schema_1_minutes_are_converted,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_flat_minutes_as_the_walk_builds_them, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_minutes_from_the_rings, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_restart_fills_the_gap_from_the_rings, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_hours_roll_up_and_retention_is_incremental, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(
		test_hour_split_by_a_restart_is_whole, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_series_gone_past_retention_are_pruned, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_size_cap_drops_oldest_minutes,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alert_history, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_alert_durations, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_warm_restart_scores_like_before, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_blob_store_keeps_opaque_blobs,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_snapshot_of_another_layout_starts_cold, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_corrupt_database_is_moved_aside, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_deleted_database_is_noticed,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_unreadable_state_dir_fails_cleanly, setup, teardown),
	    cmocka_unit_test(test_parse_duration),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else /* !WITH_SQLITE */

static void test_without_sqlite_every_call_says_so(void **state)
{
	struct alert_event event = { .rule = "x", .series = "y", .labels = "" };
	struct history_config config = { .enabled = true };

	(void)state;
	assert_false(history_available());
	assert_null(history_open(AT_FDCWD, &config));
	assert_int_equal(history_record_alert(&event, "sent"), -ENOTSUP);
	assert_int_equal(history_tick(NULL, NULL, 0), -ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_without_sqlite_every_call_says_so),
	};

	int failed;

	cmocka_set_message_output(CM_OUTPUT_TAP);
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	/* The store's own tests need SQLite; say so as a TAP skip. */
	printf("ok 2 - # SKIP built without SQLite\n");
	return failed;
}

#endif
