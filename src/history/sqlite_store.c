/*
 * sqlite_store.c - the history database: STATE_DIR/history.db in WAL mode,
 * schema versioned by PRAGMA user_version, written once per tick in one
 * transaction. The rings stay the source of truth for the last hour; this
 * keeps 1-minute and 1-hour min/avg/max, alerts, and the blobs of the
 * state store (the analyzer's baselines, opaque here; table analyzer_state).
 *
 * Every failure is returned to the module (history_module.c), which reports
 * it once and carries on in memory; nothing here may crash the daemon.
 */
#include "history/history.h"

#if WITH_SQLITE

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/numeric.h"
#include "core/residency.h"
#include "core/util.h"
#include "history/history_internal.h"
#include "history/sqlite_api.h"
#include "storage/metrics.h"

#define MINUTE_USEC (60 * (int64_t)USEC_PER_SEC)

#define HOUR_SECS 3600
#define DAY_SECS 86400
/* Retention and the size cap delete at most this much per tick. */
#define EXPIRE_MINUTE_SECS (10 * 60)
#define EXPIRE_HOUR_SECS (10 * 3600)
#define EXPIRE_ALERTS 1000
/* Hours rolled up per tick when catching up after a long stop. */
#define ROLLUP_HOURS_PER_TICK 24
/* Start dropping old minutes at this fraction of max_db_bytes. */
#define CAP_FRACTION 0.9
/*
 * Alerts, saved analyzer states and series no longer seen are expired this
 * often (their DELETEs walk their tables whatever they delete: every minute
 * they cost more than the minute's row), or at the next minute again while
 * a backlog of alerts is left.
 */
#define MAINTENANCE_SECS HOUR_SECS
/* A series row outlives the newest data that names it by at least this. */
#define SERIES_MARGIN_SECS DAY_SECS

/*
 * Each entry takes the schema from version i to i + 1: its SQL, then its
 * conversion of the rows, in the same transaction. Never edit one that has
 * shipped, append a new one.
 */
struct migration {
	const char *sql;
	int (*convert)(struct history *h);
};

static int convert_minute_rows(struct history *h);

static const struct migration migrations[] = {
    /* 0 -> 1 */
    {"CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
     "CREATE TABLE series (id INTEGER PRIMARY KEY,"
     " name TEXT NOT NULL, labels TEXT NOT NULL, UNIQUE (name, labels));"
     /* min and max are NULL when equal to avg: steady series cost less */
     "CREATE TABLE minute (time INTEGER NOT NULL, series INTEGER NOT NULL,"
     " min REAL, avg REAL NOT NULL, max REAL, count INTEGER NOT NULL,"
     " PRIMARY KEY (time, series)) WITHOUT ROWID;"
     "CREATE TABLE hour (time INTEGER NOT NULL, series INTEGER NOT NULL,"
     " min REAL, avg REAL NOT NULL, max REAL, count INTEGER NOT NULL,"
     " PRIMARY KEY (time, series)) WITHOUT ROWID;"
     "CREATE TABLE alert (id INTEGER PRIMARY KEY,"
     " time_usec INTEGER NOT NULL, rule TEXT NOT NULL, series TEXT NOT NULL,"
     " labels TEXT NOT NULL, severity TEXT NOT NULL, firing INTEGER NOT NULL,"
     " value REAL, baseline REAL, threshold REAL, score REAL,"
     " summary TEXT NOT NULL, outcome TEXT NOT NULL);"
     "CREATE INDEX alert_time ON alert (time_usec);"
     "CREATE TABLE analyzer_state (series INTEGER PRIMARY KEY,"
     " time_usec INTEGER NOT NULL, state BLOB NOT NULL);",
     NULL},
    /*
     * 1 -> 2: one row per minute holding every series' min/avg/max/count
     * (minute_blob.c), instead of a row per series: a minute costs one
     * insert whatever the series count. The minute rows are converted,
     * then dropped.
     */
    {"CREATE TABLE minute_blob (time INTEGER PRIMARY KEY,"
     " series_count INTEGER NOT NULL, data BLOB NOT NULL);",
     convert_minute_rows},
    /*
     * 2 -> 3: when each series was last seen (Unix seconds), so a series
     * gone for longer than every retention is pruned (a busy host's top
     * processes each left a row forever). Rows already there count as
     * seen at the newest data in the file.
     */
    {"ALTER TABLE series ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;"
     "UPDATE series SET last_seen = coalesce((SELECT max(time) FROM"
     " minute_blob), (SELECT max(time) FROM hour), 0);",
     NULL},
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
		       HISTORY_SCHEMA_VERSION,
	       "one migration per schema version");

enum statement {
	ST_SERIES_INSERT,
	ST_SERIES_INSERT_ID,
	ST_SERIES_FIND,
	ST_SERIES_SEEN,
	ST_MINUTE_INSERT,
	ST_HOUR_INSERT,
	ST_ALERT_INSERT,
	ST_STATE_UPSERT,
	ST_META_SET,
	ST_MINUTE_OLDEST,
	ST_HOUR_OLDEST,
	ST_COUNT,
};

static const char *const statement_sql[ST_COUNT] = {
    /* Most series new to the registry are new to the file too (a new
     * top process): the insert is tried first, the lookup only if the
     * row was there. */
    [ST_SERIES_INSERT] = "INSERT OR IGNORE INTO series (name, labels, "
			 "last_seen) VALUES (?1, ?2, ?3)",
    /* A series given its id between sessions (history_import). */
    [ST_SERIES_INSERT_ID] = "INSERT OR IGNORE INTO series (id, name, "
			    "labels, last_seen) VALUES (?1, ?2, ?3, ?4)",
    [ST_SERIES_FIND] = "SELECT id FROM series WHERE name = ?1 AND "
		       "labels = ?2",
    [ST_SERIES_SEEN] = "UPDATE series SET last_seen = ?2 WHERE id = ?1",
    /* A minute is written once (minute_done moves past it); should it
     * come again, nothing already stored is lost. */
    [ST_MINUTE_INSERT] = "INSERT INTO minute_blob VALUES (?1, ?2, ?3) "
			 "ON CONFLICT (time) DO UPDATE SET series_count = "
			 "series_count + excluded.series_count, data = "
			 "data || excluded.data",
    [ST_HOUR_INSERT] = "INSERT OR REPLACE INTO hour "
		       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_ALERT_INSERT] = "INSERT INTO alert (time_usec, rule, series, "
			"labels, severity, firing, value, baseline, "
			"threshold, score, summary, outcome) VALUES "
			"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
			"?12)",
    [ST_STATE_UPSERT] = "INSERT OR REPLACE INTO analyzer_state "
			"VALUES (?1, ?2, ?3)",
    [ST_META_SET] = "INSERT OR REPLACE INTO meta VALUES (?1, ?2)",
    [ST_MINUTE_OLDEST] = "SELECT min(time) FROM minute_blob",
    [ST_HOUR_OLDEST] = "SELECT min(time) FROM hour",
};

struct bucket {
	int64_t minute; /* usec */
	double min, max, sum;
	int64_t count;
};

/* The hour in progress of one registry slot. */
struct hour_total {
	int64_t hour;       /* Unix seconds */
	int64_t series_id;
	uint32_t generation;
	double min, max, sum;
	int64_t count;
};

static void free_series_map(int64_t *ids, uint32_t *generations,
			    struct hour_total *hours, size_t slots);

/* The minutes one tick closes, each a blob of every series (usually one). */
#define MINUTES_PER_TICK_MAX 64

struct minute_out {
	int64_t minute; /* usec */
	struct history_blob_buffer blob;
};

struct history {
	sqlite3 *db;
	bool sqlite_loaded; /* holds one history_sqlite_load() */
	bool readonly;
	int state_dir_fd;
	struct history_config config;
	dev_t dev;
	ino_t ino;
	sqlite3_stmt *statements[ST_COUNT];
	int64_t minute_done;  /* usec: minutes before this are written */
	int64_t hour_done;    /* secs: hours before this are rolled up */
	int64_t hours_from;   /* secs: first hour this connection saw whole */
	/* registry slot -> series.id, valid while the generation matches */
	int64_t *series_ids;
	uint32_t *series_generations;
	struct hour_total *hours;
	size_t slot_count;
	/* the minutes being closed; their buffers are kept for the next tick */
	struct minute_out minutes[MINUTES_PER_TICK_MAX];
	size_t minute_count;
	struct history_stats stats;
	bool cap_reported;
	int64_t clock_usec;   /* the last tick's time, stamps saved blobs */
	uint64_t blobs_saved; /* in the blob transaction open, if any */
	bool blobs_open;      /* a blob transaction is open */
	uint64_t blobs_lost;  /* see history_blobs_lost */
	int64_t maintained_secs; /* the last hourly expiry, 0: not yet */
	bool alerts_backlog;	 /* it left alerts past retention */
	/* Between sessions (history_detach): records for history.pending. */
	bool pending_mode;
	struct history_pending_file pending;
	struct history_blob_buffer out;	    /* encoded, not yet appended */
	struct history_blob_buffer scratch; /* one record's payload */
	size_t out_minutes;		    /* MINUTE records in out */
	int64_t next_series_id;		    /* the next id this process gives */
	int64_t out_minute_done;	    /* usec, for the MINUTE records */
	uint64_t append_failures, minutes_lost;
	int append_error; /* the errno reported, 0: appends work */
	int64_t next_import_usec;
	unsigned import_failures;
	struct series_remap *remap; /* the last import's id changes */
	size_t remap_count, remap_allocated;
};

/* A series id given between sessions, and the one the file has for it. */
struct series_remap {
	int64_t from, to;
};

static char last_error[256];

const char *history_last_error(void)
{
	return last_error;
}

static int fail(struct history *h, int rc, const char *what)
{
	snprintf(last_error, sizeof(last_error), "%s: %s", what,
		 h && h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return -EROFS;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EBADMSG;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	default:
		return -EIO;
	}
}

bool history_available(void)
{
	return true;
}

static int exec(struct history *h, const char *sql)
{
	int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : fail(h, rc, sql);
}

/* One integer from a query, or fallback when it returns no row. */
static int query_int(struct history *h, const char *sql, int64_t fallback,
		     int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return fail(h, rc, sql);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_type(st, 0) == SQLITE_NULL
			       ? fallback
			       : sqlite3_column_int64(st, 0);
	else
		*out = fallback;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(h, rc, sql);
}

static int step_done(struct history *h, sqlite3_stmt *st, const char *what);

/* Schema 1 -> 2: the per-series minute rows become one blob a minute. */
static int convert_minute_rows(struct history *h)
{
	static const char select_sql[] =
	    "SELECT time, series, coalesce(min, avg), avg,"
	    " coalesce(max, avg), count FROM minute ORDER BY time, series";
	static const char insert_sql[] = "INSERT INTO minute_blob "
					 "VALUES (?1, ?2, ?3)";
	struct history_blob_buffer blob = {0};
	sqlite3_stmt *select = NULL, *insert = NULL;
	int64_t minute = INT64_MIN;
	int rc, r = 0;
	bool more = true;

	rc = sqlite3_prepare_v2(h->db, select_sql, -1, &select, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(h->db, insert_sql, -1, &insert, NULL);
	if (rc != SQLITE_OK) {
		r = fail(h, rc, "convert minutes");
		more = false;
	}
	while (more) {
		rc = sqlite3_step(select);
		more = rc == SQLITE_ROW;
		if (blob.records > 0 &&
		    (!more || sqlite3_column_int64(select, 0) != minute)) {
			sqlite3_bind_int64(insert, 1, minute);
			sqlite3_bind_int64(insert, 2, (int64_t)blob.records);
			sqlite3_bind_blob(insert, 3, blob.data,
					  (int)blob.length, SQLITE_STATIC);
			r = step_done(h, insert, "convert minutes");
			blob.length = blob.records = 0;
		}
		if (!more || r < 0)
			break;
		minute = sqlite3_column_int64(select, 0);
		r = history_minute_append(
		    &blob, &(struct history_minute_record){
			       .series_id = sqlite3_column_int64(select, 1),
			       .min = sqlite3_column_double(select, 2),
			       .avg = sqlite3_column_double(select, 3),
			       .max = sqlite3_column_double(select, 4),
			       .count = sqlite3_column_int64(select, 5),
			   });
		if (r < 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = fail(h, rc, "convert minutes");
	sqlite3_finalize(select);
	sqlite3_finalize(insert);
	free(blob.data);
	return r < 0 ? r : exec(h, "DROP TABLE minute");
}

static int migrate(struct history *h)
{
	int64_t version;
	int r = query_int(h, "PRAGMA user_version", 0, &version);
	char sql[64];

	if (r < 0)
		return r;
	if (version > HISTORY_SCHEMA_VERSION) {
		snprintf(last_error, sizeof(last_error),
			 "schema version %lld is newer than this build's %d",
			 (long long)version, HISTORY_SCHEMA_VERSION);
		return -EPROTO;
	}
	if (version == HISTORY_SCHEMA_VERSION)
		return 0;
	if (h->readonly) {
		snprintf(last_error, sizeof(last_error), "schema version %lld "
			 "needs a migration the daemon has not run yet",
			 (long long)version);
		return -EPROTO;
	}
	r = exec(h, "BEGIN IMMEDIATE");
	for (int64_t v = version; r == 0 && v < HISTORY_SCHEMA_VERSION; v++) {
		r = exec(h, migrations[v].sql);
		if (r == 0 && migrations[v].convert != NULL)
			r = migrations[v].convert(h);
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		 HISTORY_SCHEMA_VERSION);
	if (r == 0)
		r = exec(h, sql);
	if (r == 0)
		r = exec(h, "COMMIT");
	if (r < 0) {
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	if (version > 0)
		log_notice("history: migrated %s from schema %lld to %d",
			   HISTORY_DB_NAME, (long long)version,
			   HISTORY_SCHEMA_VERSION);
	return 0;
}

static int prepare_statements(struct history *h)
{
	for (size_t i = 0; i < ST_COUNT; i++) {
		int rc = sqlite3_prepare_v3(h->db, statement_sql[i], -1,
					    SQLITE_PREPARE_PERSISTENT,
					    &h->statements[i], NULL);

		if (rc != SQLITE_OK)
			return fail(h, rc, statement_sql[i]);
	}
	return 0;
}

static int apply_size_cap(struct history *h)
{
	int64_t page_size;
	char sql[64];
	int r = query_int(h, "PRAGMA page_size", 4096, &page_size);

	if (r < 0 || page_size <= 0)
		return r;
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld",
		 (long long)(h->config.max_db_bytes / page_size));
	return exec(h, sql);
}

/*
 * history.pending holds what an import interval gathers (an hour: ~250 KiB
 * at 300 series, ~3 MiB at 2,000); past the cap an import is due early.
 */
#define PENDING_CAP_MAX (64 << 20)
static int64_t pending_cap(const struct history_config *config)
{
	int64_t cap = config->max_db_bytes / 8;

	return cap < PENDING_CAP_MAX ? cap : PENDING_CAP_MAX;
}

static int load_meta(struct history *h)
{
	int64_t minute_done, hour_done;
	int r = query_int(h, "SELECT value FROM meta WHERE key = "
			  "'minute_done'", 0, &minute_done);

	if (r == 0)
		r = query_int(h, "SELECT value FROM meta WHERE key = "
			      "'hour_done'", 0, &hour_done);
	if (r < 0)
		return r;
	h->minute_done = minute_done;
	h->hour_done = hour_done;
	return 0;
}

/* "/proc/self/fd/N/history.db": SQLite needs a path, the fd decides where. */
static void database_path(int state_dir_fd, char *buffer, size_t size)
{
	snprintf(buffer, size, "/proc/self/fd/%d/%s", state_dir_fd,
		 HISTORY_DB_NAME);
}

/*
 * Opens SQLite and the database for h: a session, until session_close().
 * The daemon has one at start and one per import (see history_import); the
 * commands and the tests one for the life of the struct.
 */
static int session_open(struct history *h)
{
	char path[64];
	struct stat st;
	int flags = h->readonly ? SQLITE_OPEN_READONLY
				: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int64_t minute_done = h->minute_done;
	const char *reason;
	int rc, r;

	database_path(h->state_dir_fd, path, sizeof(path));
	r = history_sqlite_load(&reason);
	if (r < 0) {
		string_copy(last_error, reason, sizeof(last_error));
		return r;
	}
	h->sqlite_loaded = true;
	if (h->readonly && fstatat(h->state_dir_fd, HISTORY_DB_NAME, &st, 0) < 0) {
		r = -errno;
		snprintf(last_error, sizeof(last_error), "%s: %s",
			 HISTORY_DB_NAME, strerror(errno));
		return r;
	}
	rc = sqlite3_open_v2(path, &h->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return fail(h, rc, "open");
	/* Like every state file: not world-readable, whatever the umask
	 * (the -wal and -shm files SQLite creates take this mode). */
	if (!h->readonly &&
	    fchmodat(h->state_dir_fd, HISTORY_DB_NAME, 0640, 0) < 0)
		log_debug_errno(errno, "history: chmod %s", HISTORY_DB_NAME);
	sqlite3_extended_result_codes(h->db, 0);
	/* The agent writes one small batch a tick; its lookaside arena
	 * (120 KiB by default) would be resident memory for no gain. */
	sqlite3_db_config(h->db, SQLITE_DBCONFIG_LOOKASIDE, NULL, 0, 0);
	/* Readers never wait on the daemon for long, nor it on them. */
	sqlite3_busy_timeout(h->db, h->readonly ? 2000 : 20);
	r = query_int(h, "PRAGMA user_version", 0, &(int64_t){ 0 });
	if (r == 0 && !h->readonly)
		r = exec(h, "PRAGMA journal_mode = WAL;"
			 "PRAGMA synchronous = NORMAL;"
			 "PRAGMA journal_size_limit = 4194304;"
			 /* Appends touch the right edge of each b-tree
			  * and pruning the left: a few pages, so 64 KiB
			  * of cache (not 2 MiB) is all the memory the
			  * database may hold, however large it grows
			  * (256 KiB cost the same instructions per
			  * tick: history_bench). */
			 "PRAGMA cache_size = -64;"
			 "PRAGMA temp_store = MEMORY");
	if (r == 0)
		r = migrate(h);
	if (r == 0 && !h->readonly)
		r = apply_size_cap(h);
	if (r == 0)
		r = load_meta(h);
	if (r == 0 && !h->readonly)
		r = prepare_statements(h);
	if (r < 0)
		return r;
	/* Between sessions the daemon's minutes run ahead of the file's. */
	if (h->pending_mode && minute_done > h->minute_done)
		h->minute_done = minute_done;
	if (fstatat(h->state_dir_fd, HISTORY_DB_NAME, &st, 0) == 0) {
		h->dev = st.st_dev;
		h->ino = st.st_ino;
	}
	return 0;
}

/* Ends a session: the database closed, SQLite unloaded. */
static void session_close(struct history *h)
{
	if (h->db != NULL && history_commit_blobs(h) < 0)
		log_warning("history: the last state blobs were not saved: %s",
			    last_error);
	for (size_t i = 0; i < ST_COUNT; i++) {
		if (h->statements[i] != NULL)
			sqlite3_finalize(h->statements[i]);
		h->statements[i] = NULL;
	}
	if (h->db != NULL)
		sqlite3_close(h->db);
	h->db = NULL;
	if (h->sqlite_loaded)
		history_sqlite_unload();
	h->sqlite_loaded = false;
}

static struct history *open_database(int state_dir_fd,
				     const struct history_config *config,
				     bool readonly, int *error)
{
	struct history *h = calloc(1, sizeof(*h));

	*error = -ENOMEM;
	if (h == NULL)
		return NULL;
	h->readonly = readonly;
	h->state_dir_fd = state_dir_fd;
	h->pending.fd = -1;
	if (config != NULL)
		h->config = *config;
	h->config.textfile = NULL;
	*error = session_open(h);
	if (*error == 0)
		return h;
	history_close(h);
	return NULL;
}

struct history *history_open(int state_dir_fd,
			     const struct history_config *config)
{
	struct history *h;
	int r;

	h = open_database(state_dir_fd, config, false, &r);
	if (h == NULL && r == -EBADMSG) {
		char aside[64];
		/* Keep the damaged file for a post-mortem, start a new one. */
		snprintf(aside, sizeof(aside), "%s.corrupt", HISTORY_DB_NAME);
		log_error("history: %s is corrupt (%s); moved aside to %s, "
			  "starting a new database", HISTORY_DB_NAME,
			  last_error, aside);
		if (renameat(state_dir_fd, HISTORY_DB_NAME, state_dir_fd,
			     aside) < 0)
			return NULL;
		unlinkat(state_dir_fd, HISTORY_DB_NAME "-wal", 0);
		unlinkat(state_dir_fd, HISTORY_DB_NAME "-shm", 0);
		h = open_database(state_dir_fd, config, false, &r);
	}
	if (h == NULL && faccessat(state_dir_fd, ".", W_OK, AT_EACCESS) < 0) {
		/* SQLite only says "unable to open": name the cause. */
		size_t n = strlen(last_error);

		snprintf(last_error + n, sizeof(last_error) - n,
			 " (state dir: %s)", strerror(errno));
	}
	if (h != NULL)
		history_queue_enable(true);
	return h;
}

static int pending_overlay(struct history *h);

struct history *history_open_readonly(int state_dir_fd)
{
	struct history *h;
	int r;

	h = open_database(state_dir_fd, NULL, true, &r);
	/* Without the pending records the answer is older, not wrong. */
	if (h != NULL && pending_overlay(h) < 0)
		fprintf(stderr, "sysops-agent: warning: cannot read %s: %s\n",
			HISTORY_PENDING_NAME, last_error);
	return h;
}

void history_close(struct history *h)
{
	if (h == NULL)
		return;
	session_close(h);
	if (h->pending.fd >= 0)
		close(h->pending.fd);
	free(h->out.data);
	free(h->scratch.data);
	free(h->remap);
	free_series_map(h->series_ids, h->series_generations, h->hours,
			h->slot_count);
	for (size_t i = 0; i < MINUTES_PER_TICK_MAX; i++)
		free(h->minutes[i].blob.data);
	free(h);
}

void history_set_config(struct history *h, const struct history_config *config)
{
	h->config = *config;
	h->config.textfile = NULL;
	h->pending.cap = pending_cap(&h->config);
	if (h->db != NULL)
		apply_size_cap(h);
}

/* ---- writing ---- */

static int step_done(struct history *h, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(h, rc, what);
}

static int set_meta(struct history *h, const char *key, int64_t value)
{
	sqlite3_stmt *st = h->statements[ST_META_SET];

	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, value);
	return step_done(h, st, "meta");
}

/*
 * series.id of name + labels, the row added when missing. Inserted first:
 * a new series (a new top process's pid on a busy host, several a minute)
 * costs the insert alone, one the file knows (after a restart) the insert
 * that changes nothing, the lookup, and its last_seen brought up to date
 * (the hourly pass only sees series with hour rows since the last one).
 */
static int find_series_id(struct history *h, const char *name,
			  const char *labels, int64_t *id)
{
	sqlite3_stmt *st = h->statements[ST_SERIES_INSERT];
	int64_t now_secs = h->clock_usec / (int64_t)USEC_PER_SEC;
	int r, rc;

	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, labels, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_secs);
	r = step_done(h, st, "series");
	if (r < 0)
		return r;
	if (sqlite3_changes(h->db) == 1) {
		*id = sqlite3_last_insert_rowid(h->db);
		return 0;
	}
	st = h->statements[ST_SERIES_FIND];
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, labels, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW)
		return fail(h, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc,
			    "series lookup");
	st = h->statements[ST_SERIES_SEEN];
	sqlite3_bind_int64(st, 1, *id);
	sqlite3_bind_int64(st, 2, now_secs);
	return step_done(h, st, "series");
}

static void free_series_map(int64_t *ids, uint32_t *generations,
			    struct hour_total *hours, size_t slots)
{
	zeroed_pages_free(ids, slots, sizeof(*ids));
	zeroed_pages_free(generations, slots, sizeof(*generations));
	zeroed_pages_free(hours, slots, sizeof(*hours));
}

/*
 * Sized to the registry (max_series, 2000 by default, ~130 KiB) but
 * written only for the series present: untouched pages, not calloc (which
 * clears a reused heap chunk and makes all of it resident).
 */
static int grow_series_map(struct history *h, size_t slots)
{
	int64_t *ids;
	uint32_t *generations;
	struct hour_total *hours;

	if (slots <= h->slot_count)
		return 0;
	ids = zeroed_pages_alloc(slots, sizeof(*ids));
	generations = zeroed_pages_alloc(slots, sizeof(*generations));
	hours = zeroed_pages_alloc(slots, sizeof(*hours));
	if (ids == NULL || generations == NULL || hours == NULL) {
		free_series_map(ids, generations, hours, slots);
		return -ENOMEM;
	}
	/* Only at the first tick (the registry's size is fixed): keep what
	 * there is anyway. */
	if (h->slot_count > 0) {
		memcpy(ids, h->series_ids, h->slot_count * sizeof(*ids));
		memcpy(generations, h->series_generations,
		       h->slot_count * sizeof(*generations));
		memcpy(hours, h->hours, h->slot_count * sizeof(*hours));
	}
	free_series_map(h->series_ids, h->series_generations, h->hours,
			h->slot_count);
	h->series_ids = ids;
	h->series_generations = generations;
	h->hours = hours;
	h->slot_count = slots;
	return 0;
}

static int pending_series_id(struct history *h, const char *name,
			     const char *labels, int64_t *id);
static int pending_minute(struct history *h, const struct minute_out *m);

/* series.id of a registry slot, cached until the slot is reused. */
static int slot_series_id(struct history *h,
			  const struct metric_series *series, int slot,
			  int64_t *id)
{
	int r;

	if (h->series_generations[slot] == series->generation &&
	    series->generation != 0) {
		*id = h->series_ids[slot];
		return 0;
	}
	r = h->pending_mode
		? pending_series_id(h, series->name, series->labels, id)
		: find_series_id(h, series->name, series->labels, id);
	if (r < 0)
		return r;
	h->series_ids[slot] = *id;
	h->series_generations[slot] = series->generation;
	return 0;
}

/*
 * Empties the minutes gathered; the first buffer is kept for the next tick
 * (a tick closes one minute), those of a catch-up are released.
 */
static void write_minutes_drop(struct history *h)
{
	for (size_t i = 0; i < h->minute_count; i++) {
		h->minutes[i].blob.length = 0;
		h->minutes[i].blob.records = 0;
		if (i > 0) {
			free(h->minutes[i].blob.data);
			h->minutes[i].blob = (struct history_blob_buffer){0};
		}
	}
	h->minute_count = 0;
}

/* Flushes the minutes gathered so far: one row each. */
static int write_minutes(struct history *h)
{
	sqlite3_stmt *st = h->statements[ST_MINUTE_INSERT];
	int r = 0;

	for (size_t i = 0; r == 0 && i < h->minute_count; i++) {
		struct minute_out *m = &h->minutes[i];

		if (m->blob.records == 0)
			continue;
		if (h->pending_mode) {
			r = pending_minute(h, m);
			continue;
		}
		sqlite3_bind_int64(st, 1, m->minute / (int64_t)USEC_PER_SEC);
		sqlite3_bind_int64(st, 2, (int64_t)m->blob.records);
		sqlite3_bind_blob(st, 3, m->blob.data, (int)m->blob.length,
				  SQLITE_STATIC);
		r = step_done(h, st, "minute");
	}
	write_minutes_drop(h);
	return r;
}

/* Adds a series' minute to that minute's blob. */
static int write_bucket(struct history *h, int64_t series_id,
			const struct bucket *b)
{
	struct minute_out *m = NULL;
	double avg = b->sum / (double)b->count;
	int r;

	for (size_t i = h->minute_count; i-- > 0;) {
		if (h->minutes[i].minute == b->minute) {
			m = &h->minutes[i];
			break;
		}
	}
	if (m == NULL) {
		/* A catch-up closing more minutes than fit: write some now. */
		if (h->minute_count == MINUTES_PER_TICK_MAX &&
		    (r = write_minutes(h)) < 0)
			return r;
		m = &h->minutes[h->minute_count++];
		m->minute = b->minute;
	}
	r = history_minute_put(&m->blob, series_id, b->min, avg, b->max,
			       b->count);
	if (r < 0) {
		snprintf(last_error, sizeof(last_error), "minute: %s",
			 strerror(-r));
		return r;
	}
	h->stats.rows_written++;
	return 0;
}

static int write_hour(struct history *h, struct hour_total *total)
{
	sqlite3_stmt *st = h->statements[ST_HOUR_INSERT];
	double avg = total->sum / (double)total->count;

	sqlite3_bind_int64(st, 1, total->hour);
	sqlite3_bind_int64(st, 2, total->series_id);
	if (total->min != avg)
		sqlite3_bind_double(st, 3, total->min);
	sqlite3_bind_double(st, 4, avg);
	if (total->max != avg)
		sqlite3_bind_double(st, 5, total->max);
	sqlite3_bind_int64(st, 6, total->count);
	total->count = 0;
	return step_done(h, st, "hour");
}

/*
 * The hour of a slot grows with each minute written, so the hourly row
 * costs one insert instead of a GROUP BY over the hour's minutes. It is
 * only trusted for hours this connection saw whole (hours_from on).
 */
static int add_to_hour(struct history *h, int slot, uint32_t generation,
		       int64_t series_id, const struct bucket *b)
{
	struct hour_total *total = &h->hours[slot];
	int64_t hour = b->minute / (int64_t)USEC_PER_SEC;
	int r = 0;

	hour -= hour % HOUR_SECS;
	if (total->count > 0 && (total->generation != generation ||
				 total->hour != hour)) {
		/* A finished (or retired) series' hour: write it now. */
		if (total->hour >= h->hours_from && total->hour < hour)
			r = write_hour(h, total);
		total->count = 0;
	}
	if (total->count == 0) {
		*total = (struct hour_total){
			.hour = hour, .series_id = series_id,
			.generation = generation, .min = b->min, .max = b->max,
		};
	}
	total->min = numeric_min(total->min, b->min);
	total->max = numeric_max(total->max, b->max);
	total->sum += b->sum;
	total->count += b->count;
	return r;
}

static int emit_bucket(struct history *h, const struct metric_series *series,
		       int slot, int64_t *series_id, const struct bucket *b)
{
	int r = 0;

	if (*series_id == 0)
		r = slot_series_id(h, series, slot, series_id);
	if (r == 0)
		r = write_bucket(h, *series_id, b);
	/* Between sessions the import rolls the hours up from the minutes. */
	if (r == 0 && !h->pending_mode)
		r = add_to_hour(h, slot, series->generation, *series_id, b);
	return r;
}

/* Samples a tick's minute holds at 1-s ticks, with room to spare. */
#define RECENT_SAMPLES 64

/*
 * A minute of one value (an idle link's counters, a flag): every sample in
 * it is the value as the ring keeps it (a float), and the newest, at full
 * precision, is past it. Only the samples are counted; the bucket is what
 * the walk would build. Apart from the walk, whose arrays would make this,
 * the usual close of an idle series, pay for their frame.
 */
static int close_flat_minute(struct history *h,
			     const struct metric_registry *registry,
			     const struct metric_series *series, int id,
			     int64_t from_usec, int64_t to_usec)
{
	size_t count = metrics_count_between(registry, id, from_usec, to_usec);
	double value = (float)series->last_value;
	struct bucket b = {.minute = from_usec, .min = value, .max = value};
	int64_t series_id = 0;

	if (count == 0)
		return 0;
	/* Added one by one, as the walk adds them (0s add to 0). */
	for (size_t i = 0; value != 0 && i < count; i++)
		b.sum += value;
	b.count = (int64_t)count;
	return emit_bucket(h, series, id, &series_id, &b);
}

/*
 * The samples of [from, to) are read from the ring oldest first, so the
 * minutes (and hours) are built in time order whatever the tick interval.
 */
__attribute__((noinline)) static int
close_walked_minutes(struct history *h, const struct metric_registry *registry,
		     const struct metric_series *series, int id,
		     int64_t from_usec, int64_t to_usec)
{
	struct bucket b = { .minute = -1 };
	int64_t series_id = 0, time_usec, times[RECENT_SAMPLES];
	double value, values[RECENT_SAMPLES];
	size_t first = 0, recent;
	int r = 0;

	/* A minute's samples in one call; more (a catch-up after an
	 * outage of the database) one at a time. */
	recent = metrics_values_since(registry, id, from_usec, RECENT_SAMPLES,
				      times, values);
	first = recent;
	if (recent == RECENT_SAMPLES)
		while (metrics_value_back(registry, id, first, &time_usec,
					  &value) &&
		       time_usec >= from_usec)
			first++;
	for (size_t back = first; back-- > 0;) {
		int64_t minute;

		if (back < recent) {
			time_usec = times[back];
			value = values[back];
		} else if (!metrics_value_back(registry, id, back, &time_usec,
					       &value)) {
			break;
		}
		if (time_usec >= to_usec)
			break;
		if (!isfinite(value))
			continue;
		minute = time_usec - time_usec % MINUTE_USEC;
		if (minute != b.minute) {
			if (b.count > 0 &&
			    (r = emit_bucket(h, series, id, &series_id, &b)) < 0)
				return r;
			b = (struct bucket){ .minute = minute, .min = value,
					     .max = value };
		}
		/* value is finite, and so are min and max. */
		if (value < b.min)
			b.min = value;
		if (value > b.max)
			b.max = value;
		b.sum += value;
		b.count++;
	}
	if (b.count > 0)
		r = emit_bucket(h, series, id, &series_id, &b);
	return r;
}

static int close_minutes(struct history *h,
			 const struct metric_registry *registry,
			 const struct metric_series *series, int id,
			 int64_t from_usec, int64_t to_usec)
{
	if (!series->in_use || series->last_time_usec < from_usec)
		return 0;
	if (to_usec - from_usec == MINUTE_USEC &&
	    from_usec % MINUTE_USEC == 0 &&
	    series->same_since_usec <= from_usec &&
	    series->last_time_usec >= to_usec &&
	    isfinite((float)series->last_value))
		return close_flat_minute(h, registry, series, id, from_usec,
					 to_usec);
	return close_walked_minutes(h, registry, series, id, from_usec,
				    to_usec);
}

/* Every series' minutes of [from, to) closed and written (or, on a failure,
 * the ones encoded so far dropped): 0 or -errno. */
static int close_all_minutes(struct history *h,
			     const struct metric_registry *registry,
			     int64_t from_usec, int64_t to_usec)
{
	/* The table, not a call per series: this runs for every series. */
	const struct metric_series *table = metrics_series_table(registry);
	size_t limit = metrics_id_limit(registry);
	int r = 0;

	for (size_t id = 0; r == 0 && id < limit; id++)
		r = close_minutes(h, registry, &table[id], (int)id, from_usec,
				  to_usec);
	if (r == 0)
		return write_minutes(h);
	write_minutes_drop(h);
	return r;
}

/* ---- reading the minute blobs ---- */

typedef int (*minute_record_fn)(int64_t time_secs,
				const struct history_minute_record *record,
				void *context);

/* Every series' minute in [from_secs, to_secs), in time order. */
static int scan_minutes(struct history *h, int64_t from_secs, int64_t to_secs,
			minute_record_fn fn, void *context)
{
	static const char sql[] =
	    "SELECT time, data FROM minute_blob"
	    " WHERE time >= ?1 AND time < ?2 ORDER BY time";
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL), r = 0;

	if (rc != SQLITE_OK)
		return fail(h, rc, "minutes");
	sqlite3_bind_int64(st, 1, from_secs);
	sqlite3_bind_int64(st, 2, to_secs);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t time_secs = sqlite3_column_int64(st, 0);
		const uint8_t *data = sqlite3_column_blob(st, 1);
		size_t length = (size_t)sqlite3_column_bytes(st, 1), offset = 0;
		struct history_minute_record record;

		while (r == 0 && (r = history_minute_next(data, length, &offset,
							  &record)) > 0)
			r = fn(time_secs, &record, context);
		if (r == -EBADMSG)
			/* One bad row: the rest of the history still reads. */
			log_debug("history: minute %lld is malformed",
				  (long long)time_secs);
		if (r == -EBADMSG || r > 0)
			r = 0;
	}
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0
						     : fail(h, rc, "minutes");
}

struct record_list {
	struct history_minute_record *records;
	size_t count, allocated;
};

static int push_record(int64_t time_secs,
		       const struct history_minute_record *record,
		       void *context)
{
	struct record_list *list = context;

	(void)time_secs;
	if (list->count == list->allocated) {
		size_t n = list->allocated ? list->allocated * 2 : 1024;
		struct history_minute_record *p =
		    realloc(list->records, n * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		list->records = p;
		list->allocated = n;
	}
	list->records[list->count++] = *record;
	return 0;
}

static int compare_record_ids(const void *a, const void *b)
{
	const struct history_minute_record *x = a, *y = b;

	return (x->series_id > y->series_id) - (x->series_id < y->series_id);
}

/* One hour of every series from its minutes, into the hour table. */
static int rollup_hour_from_minutes(struct history *h, int64_t hour)
{
	struct record_list list = {0};
	struct hour_total total = {0};
	int r = scan_minutes(h, hour, hour + HOUR_SECS, push_record, &list);

	if (r == 0)
		qsort(list.records, list.count, sizeof(*list.records),
		      compare_record_ids);
	for (size_t i = 0; r == 0 && i < list.count; i++) {
		const struct history_minute_record *m = &list.records[i];

		if (total.count > 0 && total.series_id != m->series_id)
			r = write_hour(h, &total);
		if (total.count == 0)
			total = (struct hour_total){.hour = hour,
						    .series_id = m->series_id,
						    .min = m->min,
						    .max = m->max};
		total.min = numeric_min(total.min, m->min);
		total.max = numeric_max(total.max, m->max);
		total.sum += m->avg * (double)m->count;
		total.count += m->count;
	}
	if (r == 0 && total.count > 0)
		r = write_hour(h, &total);
	free(list.records);
	return r;
}

/*
 * Hours this connection saw whole come from the running totals; older
 * ones (a restart mid-hour, a catch-up after downtime) from the minutes.
 */
static int rollup_hours(struct history *h)
{
	int64_t last_full = h->minute_done / (int64_t)USEC_PER_SEC;
	int64_t minutes_until;
	int r = 0;

	last_full -= last_full % HOUR_SECS;
	if (h->hour_done == 0 || h->hour_done > last_full) {
		int64_t first;

		r = query_int(h, "SELECT min(time) FROM minute_blob", last_full,
			      &first);
		if (r < 0)
			return r;
		h->hour_done = first - first % HOUR_SECS;
	}
	if (h->hour_done >= last_full)
		return 0;
	minutes_until = last_full < h->hours_from ? last_full : h->hours_from;
	for (int i = 0;
	     i < ROLLUP_HOURS_PER_TICK && h->hour_done < minutes_until; i++) {
		r = rollup_hour_from_minutes(h, h->hour_done);
		if (r < 0)
			return r;
		h->hour_done += HOUR_SECS;
	}
	if (h->hour_done >= h->hours_from) {
		for (size_t slot = 0; r == 0 && slot < h->slot_count; slot++) {
			struct hour_total *total = &h->hours[slot];

			if (total->count == 0 || total->hour >= last_full)
				continue;
			if (total->hour >= h->hours_from)
				r = write_hour(h, total);
			else
				total->count = 0; /* partial: the minutes did */
		}
		if (r == 0)
			h->hour_done = last_full;
	}
	return r < 0 ? r : set_meta(h, "hour_done", h->hour_done);
}

/*
 * The oldest time in table (INT64_MAX when empty): the primary key's first
 * entry, so a lookup, not a scan.
 */
static int oldest_time(struct history *h, bool hour, int64_t *out)
{
	sqlite3_stmt *st =
	    h->statements[hour ? ST_HOUR_OLDEST : ST_MINUTE_OLDEST];
	int rc = sqlite3_step(st);

	*out = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
		   ? sqlite3_column_int64(st, 0)
		   : INT64_MAX;
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0
						     : fail(h, rc, "oldest");
}

/* Deletes the oldest slice of table older than cutoff (Unix seconds). */
static int expire_slice(struct history *h, const char *table, int64_t cutoff,
			int64_t slice_secs, bool force)
{
	char sql[192];
	sqlite3_stmt *st;
	int64_t oldest;
	int rc;

	/*
	 * Nothing old enough (every minute but the rare one): the DELETE
	 * would still walk the oldest slice, a cost that grows with the
	 * series count.
	 */
	if (!force) {
		rc = oldest_time(h, strcmp(table, "hour") == 0, &oldest);
		if (rc < 0)
			return rc;
		if (oldest >= cutoff)
			return 0;
	}
	snprintf(sql, sizeof(sql),
		 "DELETE FROM %s WHERE time < (SELECT min(time) FROM %s) + ?2"
		 " AND (time < ?1 OR ?3)", table, table);
	rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(h, rc, "expire");
	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int64(st, 2, slice_secs);
	sqlite3_bind_int(st, 3, force);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(h, rc, "expire");
	h->stats.rows_expired += (uint64_t)sqlite3_changes(h->db);
	return 0;
}

/*
 * Once an hour: alerts and saved analyzer states past their retention, and
 * the series rows no data names any more. A series is seen when its row is
 * made or found again and, here, when it has hour rows since the last pass
 * (every series with samples gets one an hour); a row goes a day after the
 * longest retention has dropped everything that could name its id.
 */
static int maintain(struct history *h, int64_t now_secs)
{
	int64_t alert_cutoff = (now_secs - h->config.hourly_retention_days *
					       DAY_SECS) *
			       (int64_t)USEC_PER_SEC;
	int64_t longest =
	    h->config.hourly_retention_days > h->config.retention_days
		? h->config.hourly_retention_days
		: h->config.retention_days;
	/* The hours written since the last pass (the first pass: since the
	 * last hour; older series were seen when found again at start). */
	int64_t last = h->maintained_secs ? h->maintained_secs : now_secs;
	int64_t since = last - last % HOUR_SECS - HOUR_SECS;
	char sql[192];
	int r;

	snprintf(sql, sizeof(sql),
		 "DELETE FROM alert WHERE id IN (SELECT id FROM alert WHERE "
		 "time_usec < %lld ORDER BY id LIMIT %d)",
		 (long long)alert_cutoff, EXPIRE_ALERTS);
	r = exec(h, sql);
	if (r < 0)
		return r;
	h->alerts_backlog = sqlite3_changes(h->db) >= EXPIRE_ALERTS;
	h->stats.rows_expired += (uint64_t)sqlite3_changes(h->db);
	snprintf(sql, sizeof(sql),
		 "DELETE FROM analyzer_state WHERE time_usec < %lld",
		 (long long)((now_secs - h->config.retention_days * DAY_SECS) *
			     (int64_t)USEC_PER_SEC));
	r = exec(h, sql);
	if (r < 0)
		return r;
	snprintf(sql, sizeof(sql),
		 "UPDATE series SET last_seen = %lld WHERE id IN (SELECT "
		 "series FROM hour WHERE time >= %lld)",
		 (long long)now_secs, (long long)(since > 0 ? since : 0));
	r = exec(h, sql);
	if (r < 0)
		return r;
	snprintf(
	    sql, sizeof(sql), "DELETE FROM series WHERE last_seen < %lld",
	    (long long)(now_secs - longest * DAY_SECS - SERIES_MARGIN_SECS));
	r = exec(h, sql);
	if (r < 0)
		return r;
	h->stats.rows_expired += (uint64_t)sqlite3_changes(h->db);
	h->maintained_secs = now_secs;
	return 0;
}

static int expire(struct history *h, int64_t now_secs)
{
	int r;

	r = expire_slice(h, "minute_blob",
			 now_secs - h->config.retention_days * DAY_SECS,
			 EXPIRE_MINUTE_SECS, false);
	if (r == 0)
		r = expire_slice(h, "hour",
				 now_secs -
				     h->config.hourly_retention_days * DAY_SECS,
				 EXPIRE_HOUR_SECS, false);
	if (r == 0 && (h->alerts_backlog || h->maintained_secs == 0 ||
		       now_secs - h->maintained_secs >= MAINTENANCE_SECS))
		r = maintain(h, now_secs);
	return r;
}

static int64_t used_bytes(struct history *h)
{
	int64_t pages = 0, free_pages = 0, page_size = 0;

	if (query_int(h, "PRAGMA page_count", 0, &pages) < 0 ||
	    query_int(h, "PRAGMA freelist_count", 0, &free_pages) < 0 ||
	    query_int(h, "PRAGMA page_size", 0, &page_size) < 0)
		return -1;
	return (pages - free_pages) * page_size;
}

/* Past CAP_FRACTION of max_db_bytes the oldest minutes go first. */
static int enforce_cap(struct history *h)
{
	int64_t used = used_bytes(h);

	if (used < 0 || used < (int64_t)(CAP_FRACTION *
					  (double)h->config.max_db_bytes))
		return 0;
	if (!h->cap_reported)
		log_warning("history: %s holds %lld bytes, near max_db_bytes "
			    "(%lld); dropping the oldest minutes before their "
			    "retention", HISTORY_DB_NAME, (long long)used,
			    (long long)h->config.max_db_bytes);
	h->cap_reported = true;
	return expire_slice(h, "minute_blob", 0, EXPIRE_MINUTE_SECS, true);
}

/* Deleted or replaced under us: SQLite would go on writing a ghost inode. */
static int check_file(struct history *h)
{
	struct stat st;

	if (fstatat(h->state_dir_fd, HISTORY_DB_NAME, &st, 0) < 0) {
		snprintf(last_error, sizeof(last_error), "%s was removed",
			 HISTORY_DB_NAME);
		return -ESTALE;
	}
	if (st.st_ino != h->ino || st.st_dev != h->dev) {
		snprintf(last_error, sizeof(last_error), "%s was replaced",
			 HISTORY_DB_NAME);
		return -ESTALE;
	}
	return 0;
}

static int write_alert(struct history *h, const struct history_queued_alert *q)
{
	sqlite3_stmt *st = h->statements[ST_ALERT_INSERT];

	sqlite3_bind_int64(st, 1, q->time_usec);
	sqlite3_bind_text(st, 2, q->rule, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, q->series, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, q->labels, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, q->severity, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, q->firing);
	if (isfinite(q->value))
		sqlite3_bind_double(st, 7, q->value);
	if (isfinite(q->baseline))
		sqlite3_bind_double(st, 8, q->baseline);
	if (isfinite(q->threshold))
		sqlite3_bind_double(st, 9, q->threshold);
	if (isfinite(q->score))
		sqlite3_bind_double(st, 10, q->score);
	sqlite3_bind_text(st, 11, q->summary, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, q->outcome, -1, SQLITE_STATIC);
	return step_done(h, st, "alert");
}

static int write_alerts(struct history *h)
{
	const struct history_queued_alert *q;
	int r;

	while ((q = history_queue_peek()) != NULL) {
		r = write_alert(h, q);
		if (r < 0)
			return r;
		history_queue_pop();
	}
	return 0;
}

static int transaction_end(struct history *h, int r)
{
	if (r == 0)
		r = exec(h, "COMMIT");
	if (r < 0 && !sqlite3_get_autocommit(h->db))
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/*
 * After a rollback the cached series ids may name rows that were never
 * committed, and the hour totals hold minutes that will be written again:
 * look the ids up again, and let SQL roll up the hours in progress.
 */
static void forget_caches(struct history *h)
{
	int64_t secs = h->minute_done / (int64_t)USEC_PER_SEC;

	/* Only the entries in use are written: the others stay untouched. */
	for (size_t slot = 0; slot < h->slot_count; slot++) {
		if (h->series_generations[slot] != 0)
			h->series_generations[slot] = 0;
		if (h->hours[slot].count != 0 || h->hours[slot].hour != 0)
			h->hours[slot] = (struct hour_total){0};
	}
	h->hours_from = secs - secs % HOUR_SECS + HOUR_SECS;
}

static int pending_tick(struct history *h,
			const struct metric_registry *registry,
			int64_t now_usec, int64_t close_before_usec);
static int pending_alerts(struct history *h);
static int pending_flush(struct history *h);

/* Writes the minutes before close_before_usec, in one transaction. */
static int write_tick(struct history *h, const struct metric_registry *registry,
		      int64_t now_usec, int64_t close_before_usec)
{
	bool close = close_before_usec > h->minute_done;
	size_t capacity = metrics_capacity(registry);
	size_t queued_before;
	int r;

	if (h->pending_mode)
		return pending_tick(h, registry, now_usec, close_before_usec);
	h->clock_usec = now_usec;
	r = history_commit_blobs(h);
	if (r < 0)
		return r;
	r = check_file(h);
	if (r < 0)
		return r;
	if (!close && !history_queue_pending())
		return 0;
	r = grow_series_map(h, capacity);
	if (r < 0)
		return r;
	queued_before = history_queue_pending();
	r = exec(h, "BEGIN IMMEDIATE");
	if (r < 0)
		return r;
	r = write_alerts(h);
	if (r == 0 && close) {
		/* A first start has no earlier minute to go back to. */
		int64_t from = h->minute_done ? h->minute_done
					      : now_usec - now_usec % MINUTE_USEC;

		if (h->hours_from == 0) {
			int64_t secs = from / (int64_t)USEC_PER_SEC;

			h->hours_from = (secs + HOUR_SECS - 1) / HOUR_SECS *
					HOUR_SECS;
		}

		r = close_all_minutes(h, registry, from, close_before_usec);
		if (r == 0)
			r = set_meta(h, "minute_done", close_before_usec);
		if (r == 0)
			h->minute_done = close_before_usec;
		if (r == 0)
			r = rollup_hours(h);
		if (r == 0)
			r = expire(h, now_usec / (int64_t)USEC_PER_SEC);
		if (r == 0)
			r = enforce_cap(h);
	}
	r = transaction_end(h, r);
	if (r < 0) {
		/* Written alerts were rolled back too: queue them again. */
		history_queue_rewind(queued_before);
		if (close) {
			load_meta(h);
			forget_caches(h);
		}
		if (r == -ENOSPC && h->config.max_db_bytes > 0 &&
		    used_bytes(h) >= (int64_t)(CAP_FRACTION *
					       (double)h->config.max_db_bytes)) {
			/*
			 * The cap, not the disk: make room; the same minutes
			 * are written next tick from the rings.
			 */
			if (exec(h, "BEGIN") == 0 &&
			    transaction_end(h, expire_slice(h, "minute_blob", 0,
							    EXPIRE_MINUTE_SECS,
							    true)) == 0)
				r = 0;
		}
	}
	return r;
}

int history_tick(struct history *h, const struct metric_registry *registry,
		 int64_t now_usec)
{
	return write_tick(h, registry, now_usec,
			  now_usec - now_usec % MINUTE_USEC);
}

int history_flush(struct history *h, const struct metric_registry *registry,
		  int64_t now_usec)
{
	/*
	 * The minute in progress is written as it stands and counted done:
	 * a restart within it loses its remaining seconds, never a minute.
	 */
	return write_tick(h, registry, now_usec,
			  now_usec - now_usec % MINUTE_USEC + MINUTE_USEC);
}

int history_flush_alerts(struct history *h)
{
	size_t queued_before = history_queue_pending();
	int r;

	if (h == NULL || h->readonly)
		return -ENOTCONN;
	if (h->pending_mode)
		return pending_alerts(h);
	r = history_commit_blobs(h);
	if (r < 0 || queued_before == 0)
		return r < 0 ? r : 0;
	r = exec(h, "BEGIN IMMEDIATE");
	if (r == 0)
		r = transaction_end(h, write_alerts(h));
	if (r < 0)
		history_queue_rewind(queued_before);
	return r;
}

static int pending_blob(struct history *h, const char *name,
			const char *labels, const void *blob, size_t length);

int history_blob_save(void *context, const char *name, const char *labels,
		      const void *blob, size_t length)
{
	struct history *h = context;
	sqlite3_stmt *st;
	int64_t series_id;
	int r;

	if (h == NULL)
		return -ENOTCONN;
	if (h->readonly)
		return -EBADF;
	if (length == 0 || length > HISTORY_BLOB_MAX)
		return -EMSGSIZE;
	if (h->pending_mode)
		return pending_blob(h, name, labels, blob, length);
	/* One transaction for a whole round of saves: the next write
	 * commits it (the producers save before this module's tick). */
	if (!h->blobs_open) {
		r = exec(h, "BEGIN IMMEDIATE");
		if (r < 0)
			return r;
		h->blobs_open = true;
		h->blobs_saved = 0;
	}
	r = find_series_id(h, name, labels, &series_id);
	if (r == 0) {
		st = h->statements[ST_STATE_UPSERT];
		sqlite3_bind_int64(st, 1, series_id);
		sqlite3_bind_int64(st, 2, h->clock_usec ? h->clock_usec
					  : (int64_t)now_realtime_usec());
		sqlite3_bind_blob(st, 3, blob, (int)length, SQLITE_STATIC);
		r = step_done(h, st, "state blob");
	}
	if (r < 0) {
		/* The whole round goes: a later one saves everything again. */
		h->blobs_open = false;
		transaction_end(h, r);
		return r;
	}
	h->blobs_saved++;
	return 0;
}

int history_commit_blobs(struct history *h)
{
	int r;

	if (h != NULL && h->pending_mode) {
		uint64_t saved = h->blobs_saved;

		h->blobs_saved = 0;
		r = pending_flush(h);
		return r < 0 ? r : (int)saved;
	}
	if (h == NULL || !h->blobs_open)
		return 0;
	h->blobs_open = false;
	r = transaction_end(h, 0);
	if (r < 0)
		return r;
	log_debug("history: saved the state blobs of %llu series",
		  (unsigned long long)h->blobs_saved);
	return (int)h->blobs_saved;
}

int history_blob_load(void *context, const char *name, const char *labels,
		      void *out, size_t size)
{
	if (context == NULL)
		return -ENOTCONN;
	return history_blob_find(name, labels, out, size);
}

int history_load_blobs(struct history *h)
{
	static const char sql[] =
		"SELECT s.name, s.labels, a.state FROM analyzer_state a "
		"JOIN series s ON s.id = a.series";
	sqlite3_stmt *st;
	int rc, count = 0;

	rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(h, rc, "load state blobs");
	history_forget_blobs();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *labels = (const char *)sqlite3_column_text(st, 1);
		const void *blob = sqlite3_column_blob(st, 2);
		int length = sqlite3_column_bytes(st, 2);

		if (name != NULL && labels != NULL && blob != NULL &&
		    history_blob_add(name, labels, blob, (size_t)length) == 0)
			count++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(h, rc, "load state blobs");
	history_blobs_ready();
	return count;
}

/* ---- between sessions: history.pending (pending.c) ---- */

/*
 * Records an append could not write are kept for the next one (a full
 * disk may clear); past this they are dropped and counted.
 */
#define PENDING_RETRY_MAX (1 << 20)
/*
 * The tick's records are encoded into h->out; a minute is ~7 KiB, but a
 * baseline save (every snapshot_interval_secs) is ~2.6 KiB a watched
 * series. A buffer grown past this by a save is released once written, so
 * the save's peak is not kept resident between saves.
 */
#define PENDING_OUT_KEEP (64 * 1024)

/* The records written (or dropped): the buffer emptied, and let go when a
 * save made it large. */
static void out_reset(struct history *h)
{
	h->out.length = 0;
	h->out.records = 0;
	h->out_minutes = 0;
	if (h->out.allocated > PENDING_OUT_KEEP) {
		free(h->out.data);
		h->out = (struct history_blob_buffer){0};
	}
}

static int put(struct history_blob_buffer *b, const void *data, size_t n)
{
	if (history_blob_reserve(b, n) < 0)
		return -ENOMEM;
	if (n > 0)
		memcpy(b->data + b->length, data, n);
	b->length += n;
	return 0;
}

static int put_i64(struct history_blob_buffer *b, int64_t v)
{
	return put(b, &v, sizeof(v));
}

static int put_text(struct history_blob_buffer *b, const char *text)
{
	return put(b, text, strlen(text) + 1);
}

/* r, with a failure's reason kept for the history's error line. */
static int pending_result(int r)
{
	if (r < 0)
		snprintf(last_error, sizeof(last_error), "%s: %s",
			 HISTORY_PENDING_NAME, strerror(-r));
	return r;
}

/* Frames what scratch holds (r: how building it went) as a record. */
static int pending_record(struct history *h, uint8_t type, int r)
{
	if (r == 0)
		r = history_pending_encode(&h->out, type, h->scratch.data,
					   h->scratch.length);
	h->scratch.length = 0;
	return pending_result(r);
}

/* A new series gets the next id; its record precedes every minute. */
static int pending_series_id(struct history *h, const char *name,
			     const char *labels, int64_t *id)
{
	int r = put_i64(&h->scratch, h->next_series_id);

	if (r == 0)
		r = put_text(&h->scratch, name);
	if (r == 0)
		r = put_text(&h->scratch, labels);
	r = pending_record(h, HISTORY_PENDING_SERIES, r);
	if (r == 0)
		*id = h->next_series_id++;
	return r;
}

static int pending_minute(struct history *h, const struct minute_out *m)
{
	int r = put_i64(&h->scratch, m->minute / (int64_t)USEC_PER_SEC);

	if (r == 0)
		r = put_i64(&h->scratch, h->out_minute_done);
	if (r == 0)
		r = put_i64(&h->scratch, (int64_t)m->blob.records);
	if (r == 0)
		r = put(&h->scratch, m->blob.data, m->blob.length);
	r = pending_record(h, HISTORY_PENDING_MINUTE, r);
	if (r == 0)
		h->out_minutes++;
	return r;
}

static int pending_blob(struct history *h, const char *name,
			const char *labels, const void *blob, size_t length)
{
	int64_t clock =
	    h->clock_usec ? h->clock_usec : (int64_t)now_realtime_usec();
	/* The layout of put_i64, put_text, put_text, put: without the
	 * scratch copy (a blob is ~2.7 KB, a round saves every one). */
	const struct history_pending_part parts[] = {
	    {&clock, sizeof(clock)},
	    {name, strlen(name) + 1},
	    {labels, strlen(labels) + 1},
	    {blob, length},
	};
	int r = pending_result(history_pending_encode_parts(
	    &h->out, HISTORY_PENDING_BLOB, parts, ARRAY_SIZE(parts)));

	if (r == 0)
		h->blobs_saved++;
	return r;
}

/* The first record of a file: an id the database remembers imports by. */
static int pending_header(struct history *h)
{
	struct history_blob_buffer header = {0};
	uint64_t id;
	int r;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = now_realtime_usec() ^ (uint64_t)getpid() << 40;
	id &= INT64_MAX; /* kept in meta, an INTEGER */
	r = history_pending_encode(&header, HISTORY_PENDING_FILE, &id,
				   sizeof(id));
	if (r == 0)
		r = history_pending_write(&h->pending, &header);
	free(header.data);
	return r;
}

/*
 * Appends what the tick encoded. A failure is said once (and its end), the
 * records kept for the next minute; past PENDING_RETRY_MAX they are
 * dropped, counted and said, with the ids they introduced.
 */
static int pending_flush(struct history *h)
{
	int r = 0;

	if (h->out.length == 0)
		return 0;
	if (h->pending.size == 0 && !h->pending.dirty)
		r = pending_header(h);
	if (r == 0)
		r = history_pending_write(&h->pending, &h->out);
	if (r == 0) {
		if (h->append_error != 0)
			log_notice("history: %s written again (%llu appends "
				   "had failed)", HISTORY_PENDING_NAME,
				   (unsigned long long)h->append_failures);
		h->append_error = 0;
		out_reset(h);
		return 0;
	}
	h->append_failures++;
	if (-r != h->append_error) {
		if (r == -EFBIG)
			log_warning("history: %s reached its cap (%lld bytes); "
				    "importing it into %s early",
				    HISTORY_PENDING_NAME,
				    (long long)h->pending.cap, HISTORY_DB_NAME);
		else
			log_warning("history: cannot append to %s: %s%s; "
				    "retrying each minute",
				    HISTORY_PENDING_NAME,
				    r == -ENOSPC ? "the disk is full: " : "",
				    strerror(-r));
	}
	h->append_error = -r;
	if (h->out.length > PENDING_RETRY_MAX) {
		h->minutes_lost += h->out_minutes;
		log_warning("history: %zu minutes not recorded (%s), %llu "
			    "since start", h->out_minutes, strerror(-r),
			    (unsigned long long)h->minutes_lost);
		out_reset(h);
		h->blobs_lost++; /* state blobs among them, maybe */
		/* Their series records went too: new ids next time. */
		for (size_t slot = 0; slot < h->slot_count; slot++)
			if (h->series_generations[slot] != 0)
				h->series_generations[slot] = 0;
	}
	return r;
}

static int pending_alerts(struct history *h)
{
	const struct history_queued_alert *q;
	int r = 0;

	while (r == 0 && (q = history_queue_peek()) != NULL) {
		const char *texts[] = {q->rule,	    q->series,	q->labels,
				       q->severity, q->summary, q->outcome};
		double numbers[] = {q->value, q->baseline, q->threshold,
				    q->score};
		uint8_t firing = q->firing;

		r = put_i64(&h->scratch, q->time_usec);
		if (r == 0)
			r = put(&h->scratch, &firing, 1);
		if (r == 0)
			r = put(&h->scratch, numbers, sizeof(numbers));
		for (size_t i = 0; r == 0 && i < ARRAY_SIZE(texts); i++)
			r = put_text(&h->scratch, texts[i]);
		r = pending_record(h, HISTORY_PENDING_ALERT, r);
		if (r == 0)
			history_queue_pop();
	}
	if (r < 0)
		return r;
	pending_flush(h);
	return 0;
}

static void schedule_import(struct history *h, int64_t now_usec, bool failed)
{
	int64_t interval =
	    (h->config.import_interval_secs > 0 ? h->config.import_interval_secs
						: 3600) *
	    (int64_t)USEC_PER_SEC;
	int64_t retry = 60 * (int64_t)USEC_PER_SEC;

	if (failed) {
		for (unsigned i = 0; i < h->import_failures && retry < interval;
		     i++)
			retry *= 2;
		h->next_import_usec = now_usec + (retry < interval ? retry
								   : interval);
	} else {
		h->next_import_usec = now_usec + interval;
	}
}

static int pending_tick(struct history *h,
			const struct metric_registry *registry,
			int64_t now_usec, int64_t close_before_usec)
{
	bool close = close_before_usec > h->minute_done;
	int r;

	h->clock_usec = now_usec;
	if (h->next_import_usec == 0)
		schedule_import(h, now_usec, false);
	r = grow_series_map(h, metrics_capacity(registry));
	if (r < 0)
		return r;
	r = pending_alerts(h);
	if (r == 0 && close) {
		int64_t from = h->minute_done ? h->minute_done
					      : now_usec - now_usec % MINUTE_USEC;

		h->out_minute_done = close_before_usec;
		r = close_all_minutes(h, registry, from, close_before_usec);
		/* A minute that could not be encoded (no memory) is not
		 * tried again: the tick never waits on the history. */
		h->minute_done = close_before_usec;
	}
	pending_flush(h);
	/* At the cap, at once; after a failed import, its retry time. */
	if (now_usec >= h->next_import_usec ||
	    (h->append_error == EFBIG && h->import_failures == 0)) {
		int i = history_import(h, now_usec);

		if (i < 0 && h->import_failures++ == 0)
			log_warning("history: cannot import %s into %s: %s; "
				    "its records wait (up to %lld bytes)",
				    HISTORY_PENDING_NAME, HISTORY_DB_NAME,
				    last_error, (long long)h->pending.cap);
		else if (i == 0 && h->import_failures > 0) {
			log_notice("history: %s imported again",
				   HISTORY_PENDING_NAME);
			h->import_failures = 0;
		}
		schedule_import(h, now_usec, i < 0);
		/* SQLite is unloaded again; what it ran of libc stays
		 * resident until given back. */
		residency_trim();
	}
	return r;
}

/* ---- the import ---- */

struct cursor {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static void take(struct cursor *c, void *out, size_t n)
{
	if (c->bad || c->left < n) {
		c->bad = true;
		memset(out, 0, n);
		return;
	}
	memcpy(out, c->p, n);
	c->p += n;
	c->left -= n;
}

static int64_t take_i64(struct cursor *c)
{
	int64_t v;

	take(c, &v, sizeof(v));
	return v;
}

static const char *take_text(struct cursor *c)
{
	const uint8_t *end = c->bad ? NULL : memchr(c->p, 0, c->left);
	const char *text = (const char *)c->p;

	if (end == NULL) {
		c->bad = true;
		return "";
	}
	c->left -= (size_t)(end - c->p) + 1;
	c->p = end + 1;
	return text;
}

static int64_t remap_find(const struct history *h, int64_t id)
{
	size_t lo = 0, hi = h->remap_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->remap[mid].from == id)
			return h->remap[mid].to;
		if (h->remap[mid].from < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return id;
}

/* Ids are given in increasing order: the list stays sorted. */
static int remap_add(struct history *h, int64_t from, int64_t to)
{
	if (h->remap_count > 0 && h->remap[h->remap_count - 1].from >= from)
		return 0; /* out of order: a damaged file; keep the first */
	if (h->remap_count == h->remap_allocated) {
		size_t n = h->remap_allocated ? 2 * h->remap_allocated : 64;
		struct series_remap *p = realloc(h->remap, n * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		h->remap = p;
		h->remap_allocated = n;
	}
	h->remap[h->remap_count++] = (struct series_remap){from, to};
	return 0;
}

/*
 * A series named between sessions: its row, with the id the daemon gave
 * it unless the file knows the series under another (then remapped).
 */
static int import_series(struct history *h, struct cursor *c)
{
	int64_t id = take_i64(c), found;
	const char *name = take_text(c), *labels = take_text(c);
	sqlite3_stmt *st = h->statements[ST_SERIES_INSERT_ID];
	int r;

	if (c->bad || id <= 0)
		return -EBADMSG;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, labels, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, h->clock_usec / (int64_t)USEC_PER_SEC);
	r = step_done(h, st, "series");
	if (r == 0 && sqlite3_changes(h->db) == 1)
		return 0;
	if (r < 0)
		return r;
	st = h->statements[ST_SERIES_FIND];
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, labels, -1, SQLITE_STATIC);
	found = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0)
					       : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	/* Its id taken by another series: the file gives it one. */
	if (found == 0 && !h->readonly &&
	    (r = find_series_id(h, name, labels, &found)) < 0)
		return r;
	if (found == 0)
		return -EBADMSG;
	return found != id ? remap_add(h, id, found) : 0;
}

static int import_minute(struct history *h, struct cursor *c,
			 int64_t *minute_done)
{
	int64_t time_secs = take_i64(c), done = take_i64(c);
	int64_t count = take_i64(c);
	const uint8_t *data = c->p;
	size_t length = c->left;
	sqlite3_stmt *st = h->statements[ST_MINUTE_INSERT];

	if (c->bad || count <= 0)
		return -EBADMSG;
	if (done > *minute_done)
		*minute_done = done;
	if (h->remap_count > 0) {
		struct history_minute_record m;
		size_t offset = 0;
		int rc;

		h->scratch.length = 0;
		h->scratch.records = 0;
		while ((rc = history_minute_next(data, length, &offset, &m)) ==
		       1) {
			m.series_id = remap_find(h, m.series_id);
			rc = history_minute_append(&h->scratch, &m);
			if (rc < 0)
				break;
		}
		if (rc < 0) {
			h->scratch.length = 0;
			return rc;
		}
		data = h->scratch.data;
		length = h->scratch.length;
	}
	sqlite3_bind_int64(st, 1, time_secs);
	sqlite3_bind_int64(st, 2, count);
	sqlite3_bind_blob(st, 3, data, (int)length, SQLITE_STATIC);
	h->scratch.length = 0;
	return step_done(h, st, "minute");
}

static int import_alert(struct history *h, struct cursor *c)
{
	struct history_queued_alert q = {.time_usec = take_i64(c)};
	double numbers[4];
	uint8_t firing;
	struct {
		char *field;
		size_t size;
	} texts[] = {
	    {q.rule, sizeof(q.rule)},	      {q.series, sizeof(q.series)},
	    {q.labels, sizeof(q.labels)},     {q.severity, sizeof(q.severity)},
	    {q.summary, sizeof(q.summary)}, {q.outcome, sizeof(q.outcome)},
	};

	take(c, &firing, 1);
	take(c, numbers, sizeof(numbers));
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++)
		string_copy(texts[i].field, take_text(c), texts[i].size);
	if (c->bad)
		return -EBADMSG;
	q.firing = firing != 0;
	q.value = numbers[0];
	q.baseline = numbers[1];
	q.threshold = numbers[2];
	q.score = numbers[3];
	return write_alert(h, &q);
}

static int import_blob(struct history *h, struct cursor *c)
{
	int64_t time_usec = take_i64(c), series_id;
	const char *name = take_text(c), *labels = take_text(c);
	sqlite3_stmt *st = h->statements[ST_STATE_UPSERT];
	int r;

	if (c->bad || c->left == 0 || c->left > HISTORY_BLOB_MAX)
		return -EBADMSG;
	r = find_series_id(h, name, labels, &series_id);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, series_id);
	sqlite3_bind_int64(st, 2, time_usec);
	sqlite3_bind_blob(st, 3, c->p, (int)c->left, SQLITE_STATIC);
	return step_done(h, st, "state blob");
}

static int64_t meta_value(struct history *h, const char *key)
{
	char sql[96];
	int64_t value = 0;

	snprintf(sql, sizeof(sql), "SELECT value FROM meta WHERE key = '%s'",
		 key);
	query_int(h, sql, 0, &value);
	return value;
}

/*
 * Every record of data into the open transaction. The file's id and how
 * far it was imported go into meta in the same transaction: a crash
 * between the commit and the truncation imports nothing twice.
 */
static int import_records(struct history *h, const uint8_t *data,
			  size_t length, size_t file_length)
{
	struct history_pending_record record;
	int64_t file_id = 0, minute_done = h->minute_done;
	size_t offset = 0, skipped = 0;
	int rc, r = 0;

	h->remap_count = 0;
	rc = history_pending_next(data, length, &offset, &record);
	if (rc == 1 && record.type == HISTORY_PENDING_FILE &&
	    record.length == sizeof(file_id)) {
		memcpy(&file_id, record.payload, sizeof(file_id));
		if (file_id == meta_value(h, "pending_file")) {
			int64_t done = meta_value(h, "pending_offset");

			if (done > (int64_t)offset &&
			    done <= (int64_t)file_length) {
				log_info("history: %s was imported up to byte "
					 "%lld before a stop; the rest now",
					 HISTORY_PENDING_NAME, (long long)done);
				offset = (size_t)done;
			}
		}
	} else {
		offset = 0; /* no header: records kept in memory only */
	}
	while (r == 0 &&
	       (rc = history_pending_next(data, length, &offset, &record)) ==
		   1) {
		struct cursor c = {record.payload, record.length, false};

		switch (record.type) {
		case HISTORY_PENDING_SERIES:
			r = import_series(h, &c);
			break;
		case HISTORY_PENDING_MINUTE:
			r = import_minute(h, &c, &minute_done);
			break;
		case HISTORY_PENDING_ALERT:
			r = import_alert(h, &c);
			break;
		case HISTORY_PENDING_BLOB:
			/* The commands read no state blob. */
			if (!h->readonly)
				r = import_blob(h, &c);
			break;
		default: /* a later version's record: not ours to read */
			break;
		}
		if (r == -EBADMSG) {
			skipped++;
			r = 0;
		}
	}
	if (r < 0)
		return r;
	if (skipped > 0)
		log_warning("history: %zu malformed records of %s skipped",
			    skipped, HISTORY_PENDING_NAME);
	if (rc == -ENODATA)
		log_warning("history: %s ends in a torn record at byte %zu (a "
			    "stop mid-write): its %zu bytes are ignored",
			    HISTORY_PENDING_NAME, offset, length - offset);
	else if (rc == -EBADMSG)
		log_warning("history: %s has a damaged record at byte %zu: the "
			    "%zu bytes from it are ignored",
			    HISTORY_PENDING_NAME, offset, length - offset);
	if (minute_done > h->minute_done)
		h->minute_done = minute_done;
	if (h->readonly)
		return 0;
	if (file_id != 0)
		r = set_meta(h, "pending_file", file_id);
	if (r == 0 && file_id != 0)
		r = set_meta(h, "pending_offset", (int64_t)file_length);
	if (r == 0)
		r = set_meta(h, "minute_done", h->minute_done);
	return r;
}

/* The whole file, and what the daemon holds for it, in one buffer. */
static int pending_read(struct history *h, uint8_t **data, size_t *length,
			size_t *file_length)
{
	int fd = h->pending.fd;
	struct stat st;
	uint8_t *buffer;
	ssize_t n;

	*data = NULL;
	*length = *file_length = 0;
	if (fd < 0) {
		fd = openat(h->state_dir_fd, HISTORY_PENDING_NAME,
			    O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && errno == ENOENT)
			return 0;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(last_error, sizeof(last_error), "%s: %s",
			 HISTORY_PENDING_NAME, strerror(errno));
		if (fd >= 0 && fd != h->pending.fd)
			close(fd);
		return -errno;
	}
	if (h->pending.fd >= 0 && st.st_size > h->pending.size)
		st.st_size = h->pending.size; /* a failed write's bytes */
	buffer = malloc((size_t)st.st_size + h->out.length + 1);
	if (buffer == NULL) {
		if (fd != h->pending.fd)
			close(fd);
		return -ENOMEM;
	}
	n = st.st_size > 0 ? pread(fd, buffer, (size_t)st.st_size, 0) : 0;
	if (fd != h->pending.fd)
		close(fd);
	if (n < 0) {
		free(buffer);
		return -errno;
	}
	if (h->out.length > 0)
		memcpy(buffer + n, h->out.data, h->out.length);
	*data = buffer;
	*file_length = (size_t)n;
	*length = (size_t)n + h->out.length;
	return 0;
}

int history_import(struct history *h, int64_t now_usec)
{
	bool session = h->db != NULL;
	size_t length, file_length;
	uint8_t *data;
	int r;

	if (h->readonly)
		return -EBADF;
	h->clock_usec = now_usec;
	if (h->pending_mode)
		pending_flush(h);
	r = pending_read(h, &data, &length, &file_length);
	if (r < 0)
		return r;
	if (!session && h->ino != 0) {
		/* Between sessions nothing notices a deleted or replaced
		 * file: say it now, the history before it is gone. */
		struct stat st;

		if (fstatat(h->state_dir_fd, HISTORY_DB_NAME, &st, 0) < 0) {
			log_warning("history: %s was removed; starting a new "
				    "database", HISTORY_DB_NAME);
			h->blobs_lost++;
		} else if (st.st_ino != h->ino || st.st_dev != h->dev) {
			log_warning("history: %s was replaced; importing into "
				    "the new file", HISTORY_DB_NAME);
			h->blobs_lost++;
		}
	}
	if (!session)
		r = session_open(h);
	if (r == 0)
		r = history_commit_blobs(h);
	if (r == 0)
		r = exec(h, "BEGIN IMMEDIATE");
	if (r == 0)
		r = import_records(h, data, length, file_length);
	if (r == 0 && h->pending_mode)
		r = rollup_hours(h);
	if (r == 0 && h->pending_mode)
		r = expire(h, now_usec / (int64_t)USEC_PER_SEC);
	if (r == 0 && h->pending_mode)
		r = enforce_cap(h);
	if (h->db != NULL)
		r = transaction_end(h, r);
	free(data);
	if (r == 0 && file_length > 0) {
		int fd = h->pending.fd >= 0
			     ? h->pending.fd
			     : openat(h->state_dir_fd, HISTORY_PENDING_NAME,
				      O_WRONLY | O_CLOEXEC | O_NOFOLLOW);

		/* Imported: should this fail, meta says the file was. */
		if (fd < 0 || ftruncate(fd, 0) < 0)
			log_warning_errno(errno, "history: cannot empty %s: %m",
					  HISTORY_PENDING_NAME);
		if (fd >= 0 && fd != h->pending.fd)
			close(fd);
		h->pending.size = 0;
		h->pending.dirty = false;
	}
	if (r == 0) {
		int64_t max_id = 0;

		out_reset(h);
		for (size_t slot = 0; h->remap_count > 0 && slot < h->slot_count;
		     slot++)
			if (h->series_generations[slot] != 0)
				h->series_ids[slot] =
				    remap_find(h, h->series_ids[slot]);
		if (query_int(h, "SELECT max(id) FROM series", 0, &max_id) ==
			0 &&
		    max_id >= h->next_series_id)
			h->next_series_id = max_id + 1;
		if (h->append_error == EFBIG)
			h->append_error = 0;
	} else if (h->db != NULL) {
		/* Rolled back: the hours as the file has them; the minutes
		 * appended since the last import stay where they are. */
		int64_t minute_done = h->minute_done;

		load_meta(h);
		if (h->pending_mode && minute_done > h->minute_done)
			h->minute_done = minute_done;
	}
	h->remap_count = 0;
	if (h->pending_mode)
		session_close(h);
	return r;
}

/* The valid length of the file: a torn or damaged tail is cut off. */
static int pending_open(struct history *h)
{
	uint8_t *data;
	size_t length, file_length, offset = 0;
	struct history_pending_record record;
	int fd, rc, r;

	fd = openat(h->state_dir_fd, HISTORY_PENDING_NAME,
		    O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (fd < 0) {
		r = -errno;
		snprintf(last_error, sizeof(last_error), "%s: %s",
			 HISTORY_PENDING_NAME, strerror(errno));
		return r;
	}
	r = pending_read(h, &data, &length, &file_length);
	if (r < 0) {
		close(fd);
		return r;
	}
	while ((rc = history_pending_next(data, file_length, &offset,
					  &record)) == 1)
		;
	free(data);
	if (rc < 0) {
		log_warning("history: %s ends in a %s record at byte %zu: "
			    "cut off, appending after it",
			    HISTORY_PENDING_NAME,
			    rc == -ENODATA ? "torn" : "damaged", offset);
		if (ftruncate(fd, (off_t)offset) < 0) {
			r = -errno;
			close(fd);
			return r;
		}
	}
	h->pending = (struct history_pending_file){
	    .fd = fd, .size = (int64_t)offset,
	    .cap = pending_cap(&h->config)};
	return 0;
}

/*
 * The commands read history.pending too: its records go into temporary
 * tables of the read-only connection, behind temporary views named like the
 * tables they join (SQLite resolves an unqualified name in temp first), so
 * every query sees the minutes and alerts of the last import interval.
 */
static const char overlay_schema[] =
    "CREATE TEMP TABLE pending_series (id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL, labels TEXT NOT NULL, last_seen INTEGER);"
    "CREATE TEMP TABLE pending_minute (time INTEGER PRIMARY KEY,"
    " series_count INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE TEMP TABLE pending_alert AS SELECT * FROM main.alert WHERE 0;"
    "CREATE TEMP VIEW series AS SELECT id, name, labels, last_seen FROM"
    " main.series UNION ALL SELECT id, name, labels, last_seen FROM"
    " pending_series;"
    "CREATE TEMP VIEW minute_blob AS SELECT time, series_count, data FROM"
    " main.minute_blob UNION ALL SELECT time, series_count, data FROM"
    " pending_minute;"
    "CREATE TEMP VIEW alert AS SELECT * FROM main.alert UNION ALL"
    " SELECT * FROM pending_alert;";

static const char *const overlay_sql[ST_COUNT] = {
    [ST_SERIES_INSERT_ID] = "INSERT INTO pending_series (id, name, labels, "
			    "last_seen) SELECT ?1, ?2, ?3, ?4 WHERE NOT "
			    "EXISTS (SELECT 1 FROM series WHERE name = ?2 "
			    "AND labels = ?3)",
    [ST_SERIES_FIND] = "SELECT id FROM series WHERE name = ?1 AND "
		       "labels = ?2",
    [ST_MINUTE_INSERT] = "INSERT INTO pending_minute VALUES (?1, ?2, ?3) "
			 "ON CONFLICT (time) DO UPDATE SET series_count = "
			 "series_count + excluded.series_count, data = "
			 "data || excluded.data",
    [ST_ALERT_INSERT] = "INSERT INTO pending_alert (id, time_usec, rule, "
			"series, labels, severity, firing, value, baseline, "
			"threshold, score, summary, outcome) VALUES ((SELECT "
			"coalesce(max(id), 0) + 1 FROM alert), ?1, ?2, ?3, "
			"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
};

static int pending_overlay(struct history *h)
{
	size_t length, file_length;
	uint8_t *data;
	int r = pending_read(h, &data, &length, &file_length);

	if (r < 0 || length == 0) {
		free(data);
		return r;
	}
	r = exec(h, overlay_schema);
	for (size_t i = 0; r == 0 && i < ST_COUNT; i++) {
		int rc;

		if (overlay_sql[i] == NULL)
			continue;
		rc = sqlite3_prepare_v2(h->db, overlay_sql[i], -1,
					&h->statements[i], NULL);
		if (rc != SQLITE_OK)
			r = fail(h, rc, overlay_sql[i]);
	}
	if (r == 0)
		r = exec(h, "BEGIN");
	if (r == 0)
		r = transaction_end(h, import_records(h, data, length,
						      file_length));
	free(data);
	return r;
}

int history_detach(struct history *h)
{
	int64_t max_id = 0;
	int r;

	if (h == NULL || h->readonly)
		return -EBADF;
	if (h->pending_mode)
		return 0;
	r = history_commit_blobs(h);
	if (r >= 0)
		r = query_int(h, "SELECT max(id) FROM series", 0, &max_id);
	if (r == 0)
		r = pending_open(h);
	if (r < 0)
		return r;
	if (max_id >= h->next_series_id)
		h->next_series_id = max_id + 1;
	/* Every hour is rolled up from its minutes, at an import. */
	h->hours_from = INT64_MAX;
	for (size_t slot = 0; slot < h->slot_count; slot++)
		if (h->hours[slot].count != 0)
			h->hours[slot] = (struct hour_total){0};
	h->pending_mode = true;
	h->next_import_usec = 0;
	session_close(h);
	return 0;
}

uint64_t history_blobs_lost(const struct history *h)
{
	return h != NULL ? h->blobs_lost : 0;
}

bool history_detached(const struct history *h)
{
	return h != NULL && h->pending_mode;
}

int history_stats(struct history *h, struct history_stats *out)
{
	static const struct {
		const char *sql;
		size_t offset;
	} counts[] = {
	    {"SELECT coalesce(sum(series_count), 0) FROM minute_blob",
	     offsetof(struct history_stats, minute_rows)},
	    {"SELECT count(*) FROM hour",
	     offsetof(struct history_stats, hour_rows)},
	    {"SELECT count(*) FROM alert",
	     offsetof(struct history_stats, alert_rows)},
	    {"SELECT count(*) FROM analyzer_state",
	     offsetof(struct history_stats, snapshot_rows)},
	};

	*out = h->stats;
	out->alerts_dropped = history_queue_dropped();
	if (h->db == NULL)
		return -ENOTCONN; /* between sessions */
	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		int64_t n;
		int r = query_int(h, counts[i].sql, 0, &n);

		if (r < 0)
			return r;
		*(uint64_t *)((char *)out + counts[i].offset) = (uint64_t)n;
	}
	out->db_bytes = used_bytes(h);
	return 0;
}

/* ---- queries ---- */

struct series_name {
	int64_t id;
	char *name, *labels;
	bool match;
};

static void free_names(struct series_name *names, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(names[i].name);
		free(names[i].labels);
	}
	free(names);
}

/* Every series, by id, marked when it matches glob. */
static int load_names(struct history *h, const char *glob,
		      struct series_name **out, size_t *out_count)
{
	struct series_name *names = NULL;
	size_t count = 0, allocated = 0;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(h->db, "SELECT id, name, labels FROM "
				    "series ORDER BY id", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return fail(h, rc, "series");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *labels = (const char *)sqlite3_column_text(st, 2);

		if (count == allocated) {
			size_t n = allocated ? allocated * 2 : 64;
			struct series_name *p = realloc(names, n * sizeof(*p));

			if (p == NULL)
				break;
			names = p;
			allocated = n;
		}
		names[count] = (struct series_name){
			.id = sqlite3_column_int64(st, 0),
			.name = strdup(name ? name : ""),
			.labels = strdup(labels ? labels : ""),
		};
		if (names[count].name == NULL || names[count].labels == NULL) {
			count++;
			break;
		}
		names[count].match = glob == NULL ||
				     metrics_series_match(glob,
							  names[count].name,
							  names[count].labels);
		count++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		free_names(names, count);
		return rc == SQLITE_ROW ? -ENOMEM : fail(h, rc, "series");
	}
	*out = names;
	*out_count = count;
	return 0;
}

static const struct series_name *find_name(const struct series_name *names,
					   size_t count, int64_t id)
{
	size_t low = 0, high = count;

	while (low < high) {
		size_t middle = low + (high - low) / 2;

		if (names[middle].id == id)
			return &names[middle];
		if (names[middle].id < id)
			low = middle + 1;
		else
			high = middle;
	}
	return NULL;
}

/* Points gathered for a batch of series, sorted before they are handed out. */
struct query_point {
	int64_t id;
	struct history_point point;
};

struct query_batch {
	const struct series_name *names;
	size_t name_count;
	int64_t low, high; /* the batch's series ids */
	struct query_point *points;
	size_t count, allocated;
};

/* How many points a query holds at once: the series go in batches. */
#define QUERY_POINTS_BATCH (1u << 20)

static int batch_push(struct query_batch *batch, int64_t id,
		      const struct history_point *point)
{
	const struct series_name *name;

	if (id < batch->low || id > batch->high)
		return 0;
	name = find_name(batch->names, batch->name_count, id);
	if (name == NULL || !name->match)
		return 0;
	if (batch->count == batch->allocated) {
		size_t n = batch->allocated ? batch->allocated * 2 : 256;
		struct query_point *p = realloc(batch->points, n * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		batch->points = p;
		batch->allocated = n;
	}
	batch->points[batch->count++] = (struct query_point){id, *point};
	return 0;
}

static int batch_minute(int64_t time_secs,
			const struct history_minute_record *record,
			void *context)
{
	return batch_push(context, record->series_id,
			  &(struct history_point){
			      .time_secs = time_secs,
			      .min = record->min,
			      .avg = record->avg,
			      .max = record->max,
			      .count = record->count,
			  });
}

static int compare_points(const void *a, const void *b)
{
	const struct query_point *x = a, *y = b;

	if (x->id != y->id)
		return (x->id > y->id) - (x->id < y->id);
	return (x->point.time_secs > y->point.time_secs) -
	       (x->point.time_secs < y->point.time_secs);
}

/* The hours of the batch's series in [since_secs, minutes_from). */
static int batch_hours(struct history *h, struct query_batch *batch,
		       int64_t since_secs, int64_t minutes_from)
{
	static const char sql[] =
	    "SELECT series, time, coalesce(min, avg), avg,"
	    " coalesce(max, avg), count FROM hour"
	    " WHERE time >= ?1 AND time + 3600 <= ?2"
	    " AND series BETWEEN ?3 AND ?4";
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL), r = 0;

	if (rc != SQLITE_OK)
		return fail(h, rc, "query");
	sqlite3_bind_int64(st, 1, since_secs);
	sqlite3_bind_int64(st, 2, minutes_from);
	sqlite3_bind_int64(st, 3, batch->low);
	sqlite3_bind_int64(st, 4, batch->high);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		r = batch_push(batch, sqlite3_column_int64(st, 0),
			       &(struct history_point){
				   .time_secs = sqlite3_column_int64(st, 1),
				   .min = sqlite3_column_double(st, 2),
				   .avg = sqlite3_column_double(st, 3),
				   .max = sqlite3_column_double(st, 4),
				   .count = sqlite3_column_int64(st, 5),
			       });
	sqlite3_finalize(st);
	if (r < 0)
		return r;
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(h, rc, "query");
}

/*
 * Hours cover what the minutes no longer hold: only whole hours before the
 * oldest minute, so no sample is counted twice. The matching series go in
 * batches (by id) of at most QUERY_POINTS_BATCH points, each a pass over
 * the range's minute rows, so a long --since over many series stays within
 * bounded memory.
 */
int history_query(struct history *h, const char *glob, int64_t since_secs,
		  history_series_fn fn, void *context)
{
	struct series_name *names = NULL;
	struct query_batch batch = {0};
	struct history_point *out = NULL; /* one series' points */
	size_t name_count = 0, per_batch, next = 0, out_allocated = 0;
	int64_t minutes_from, minute_rows = 0, hour_rows = 0;
	int r;

	r = query_int(h, "SELECT min(time) FROM minute_blob", INT64_MAX,
		      &minutes_from);
	if (r == 0)
		r = load_names(h, glob, &names, &name_count);
	if (r < 0)
		return r;
	if (since_secs < minutes_from) {
		char sql[128];

		snprintf(sql, sizeof(sql),
			 "SELECT count(DISTINCT time) FROM "
			 "hour WHERE time >= %lld",
			 (long long)since_secs);
		r = query_int(h, sql, 0, &hour_rows);
	}
	if (r == 0) {
		char sql[128];

		snprintf(sql, sizeof(sql),
			 "SELECT count(*) FROM minute_blob "
			 "WHERE time >= %lld",
			 (long long)since_secs);
		r = query_int(h, sql, 0, &minute_rows);
	}
	/* At most one point per series and row. */
	per_batch = QUERY_POINTS_BATCH / (size_t)(minute_rows + hour_rows + 1);
	if (per_batch == 0)
		per_batch = 1;
	batch.names = names;
	batch.name_count = name_count;
	while (r == 0 && next < name_count) {
		size_t taken = 0, first = next;

		while (next < name_count &&
		       (taken < per_batch || !names[next].match))
			taken += names[next++].match;
		if (taken == 0)
			break;
		batch.low = names[first].id;
		batch.high = names[next - 1].id;
		batch.count = 0;
		r = batch_hours(h, &batch, since_secs, minutes_from);
		if (r == 0)
			r = scan_minutes(h, since_secs, INT64_MAX, batch_minute,
					 &batch);
		if (r < 0)
			break;
		qsort(batch.points, batch.count, sizeof(*batch.points),
		      compare_points);
		if (batch.count > out_allocated) {
			struct history_point *p =
			    realloc(out, batch.count * sizeof(*p));

			if (p == NULL) {
				r = -ENOMEM;
				break;
			}
			out = p;
			out_allocated = batch.count;
		}
		for (size_t i = 0, end; i < batch.count; i = end) {
			const struct series_name *name =
			    find_name(names, name_count, batch.points[i].id);

			for (end = i;
			     end < batch.count &&
			     batch.points[end].id == batch.points[i].id;
			     end++)
				out[end - i] = batch.points[end].point;
			fn(name->name, name->labels, out, end - i, context);
		}
	}
	free(out);
	free(batch.points);
	free_names(names, name_count);
	return r;
}

static const char *column_text(sqlite3_stmt *st, int column)
{
	const char *text = (const char *)sqlite3_column_text(st, column);

	return text ? text : "";
}

int history_query_alerts(struct history *h, int64_t since_secs,
			 history_alert_fn fn, void *context)
{
	/* A resolution's duration runs from the latest firing before it. */
	static const char sql[] =
		"SELECT a.time_usec, a.rule, a.series, a.labels, a.severity,"
		" a.firing, a.value, a.summary, a.outcome,"
		" CASE WHEN a.firing THEN NULL ELSE (SELECT max(b.time_usec)"
		"  FROM alert b WHERE b.rule = a.rule AND b.series = a.series"
		"  AND b.labels = a.labels AND b.firing"
		"  AND b.time_usec <= a.time_usec) END"
		" FROM alert a WHERE a.time_usec >= ?1 ORDER BY a.time_usec, a.id";
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return fail(h, rc, "alerts");
	sqlite3_bind_int64(st, 1, since_secs * (int64_t)USEC_PER_SEC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct history_alert alert = {
			.time_usec = sqlite3_column_int64(st, 0),
			.rule = column_text(st, 1),
			.series = column_text(st, 2),
			.labels = column_text(st, 3),
			.severity = column_text(st, 4),
			.firing = sqlite3_column_int(st, 5) != 0,
			.value = sqlite3_column_type(st, 6) == SQLITE_NULL
					 ? NAN
					 : sqlite3_column_double(st, 6),
			.summary = column_text(st, 7),
			.outcome = column_text(st, 8),
			.duration_secs = -1,
		};

		if (sqlite3_column_type(st, 9) != SQLITE_NULL)
			alert.duration_secs = (alert.time_usec -
					       sqlite3_column_int64(st, 9)) /
					      (int64_t)USEC_PER_SEC;
		fn(&alert, context);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(h, rc, "alerts");
}

struct latest {
	const struct series_name *names;
	size_t name_count;
	struct latest_point {
		const struct series_name *name;
		struct history_point point;
	} * points;
	size_t count, allocated;
};

static int latest_minute(int64_t time_secs,
			 const struct history_minute_record *record,
			 void *context)
{
	struct latest *l = context;
	const struct series_name *name =
	    find_name(l->names, l->name_count, record->series_id);

	if (name == NULL)
		return 0;
	if (l->count == l->allocated) {
		size_t n = l->allocated ? l->allocated * 2 : 256;
		struct latest_point *p = realloc(l->points, n * sizeof(*p));

		if (p == NULL)
			return -ENOMEM;
		l->points = p;
		l->allocated = n;
	}
	l->points[l->count++] = (struct latest_point){
	    name,
	    {.time_secs = time_secs,
	     .min = record->min,
	     .avg = record->avg,
	     .max = record->max,
	     .count = record->count},
	};
	return 0;
}

static int compare_latest(const void *a, const void *b)
{
	const struct latest_point *x = a, *y = b;
	int c = strcmp(x->name->name, y->name->name);

	return c ? c : strcmp(x->name->labels, y->name->labels);
}

int history_query_latest(struct history *h, history_series_fn fn, void *context)
{
	struct series_name *names = NULL;
	struct latest l = {0};
	int64_t newest;
	int r = query_int(h, "SELECT max(time) FROM minute_blob", -1, &newest);

	if (r < 0 || newest < 0)
		return r;
	r = load_names(h, NULL, &names, &l.name_count);
	if (r < 0)
		return r;
	l.names = names;
	r = scan_minutes(h, newest, newest + 1, latest_minute, &l);
	if (r == 0) {
		/* By name and labels, as the export prints them. */
		qsort(l.points, l.count, sizeof(*l.points), compare_latest);
		for (size_t i = 0; i < l.count; i++)
			fn(l.points[i].name->name, l.points[i].name->labels,
			   &l.points[i].point, 1, context);
	}
	free(l.points);
	free_names(names, l.name_count);
	return r;
}

#endif /* WITH_SQLITE */
