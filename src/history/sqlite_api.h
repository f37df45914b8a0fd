/*
 * sqlite_api.h - libsqlite3, loaded only while the history uses it.
 *
 * The binary does not link libsqlite3: mapped for the daemon's life it was
 * ~1.2 MiB resident (and libm behind it) for a database written once a
 * minute. sqlite_store.c includes this header after <sqlite3.h>; the macros
 * below turn each sqlite3_* call into a call through history_sqlite, the
 * table sqlite_api.c fills from dlopen("libsqlite3.so.0"). Types and
 * constants still come from <sqlite3.h> at build time.
 */
#ifndef SYSOPS_HISTORY_SQLITE_API_H
#define SYSOPS_HISTORY_SQLITE_API_H

#include <sqlite3.h>
#include <stdbool.h>

/* The library opened; libsqlite3-0 (Debian), sqlite-libs (RPM). */
#define HISTORY_SQLITE_SONAME "libsqlite3.so.0"

#define HISTORY_SQLITE_FN(name) __typeof__(sqlite3_##name) *name
struct history_sqlite_api {
	HISTORY_SQLITE_FN(bind_blob);
	HISTORY_SQLITE_FN(bind_double);
	HISTORY_SQLITE_FN(bind_int);
	HISTORY_SQLITE_FN(bind_int64);
	HISTORY_SQLITE_FN(bind_text);
	HISTORY_SQLITE_FN(busy_timeout);
	HISTORY_SQLITE_FN(changes);
	HISTORY_SQLITE_FN(clear_bindings);
	HISTORY_SQLITE_FN(close);
	HISTORY_SQLITE_FN(column_blob);
	HISTORY_SQLITE_FN(column_bytes);
	HISTORY_SQLITE_FN(column_double);
	HISTORY_SQLITE_FN(column_int);
	HISTORY_SQLITE_FN(column_int64);
	HISTORY_SQLITE_FN(column_text);
	HISTORY_SQLITE_FN(column_type);
	HISTORY_SQLITE_FN(db_config);
	HISTORY_SQLITE_FN(errmsg);
	HISTORY_SQLITE_FN(errstr);
	HISTORY_SQLITE_FN(exec);
	HISTORY_SQLITE_FN(extended_result_codes);
	HISTORY_SQLITE_FN(finalize);
	HISTORY_SQLITE_FN(get_autocommit);
	HISTORY_SQLITE_FN(last_insert_rowid);
	HISTORY_SQLITE_FN(open_v2);
	HISTORY_SQLITE_FN(prepare_v2);
	HISTORY_SQLITE_FN(prepare_v3);
	HISTORY_SQLITE_FN(reset);
	HISTORY_SQLITE_FN(step);
	HISTORY_SQLITE_FN(shutdown);
};
#undef HISTORY_SQLITE_FN

/* Valid between a successful history_sqlite_load() and its unload. */
extern struct history_sqlite_api history_sqlite;

/*
 * Opens the library (the first caller) and resolves every function.
 * Returns 0 or -ENOENT, the reason in *reason (static text) for the one
 * message the caller reports. Counted: each success needs its unload.
 */
int history_sqlite_load(const char **reason);
/* The last unload calls sqlite3_shutdown() and dlclose()s the library. */
void history_sqlite_unload(void);
/* Whether the library is loaded by this process (tests). */
bool history_sqlite_loaded(void);

#ifndef HISTORY_SQLITE_API_NO_MACROS
#define sqlite3_bind_blob	      history_sqlite.bind_blob
#define sqlite3_bind_double	      history_sqlite.bind_double
#define sqlite3_bind_int	      history_sqlite.bind_int
#define sqlite3_bind_int64	      history_sqlite.bind_int64
#define sqlite3_bind_text	      history_sqlite.bind_text
#define sqlite3_busy_timeout	      history_sqlite.busy_timeout
#define sqlite3_changes		      history_sqlite.changes
#define sqlite3_clear_bindings	      history_sqlite.clear_bindings
#define sqlite3_close		      history_sqlite.close
#define sqlite3_column_blob	      history_sqlite.column_blob
#define sqlite3_column_bytes	      history_sqlite.column_bytes
#define sqlite3_column_double	      history_sqlite.column_double
#define sqlite3_column_int	      history_sqlite.column_int
#define sqlite3_column_int64	      history_sqlite.column_int64
#define sqlite3_column_text	      history_sqlite.column_text
#define sqlite3_column_type	      history_sqlite.column_type
#define sqlite3_db_config	      history_sqlite.db_config
#define sqlite3_errmsg		      history_sqlite.errmsg
#define sqlite3_errstr		      history_sqlite.errstr
#define sqlite3_exec		      history_sqlite.exec
#define sqlite3_extended_result_codes history_sqlite.extended_result_codes
#define sqlite3_finalize	      history_sqlite.finalize
#define sqlite3_get_autocommit	      history_sqlite.get_autocommit
#define sqlite3_last_insert_rowid     history_sqlite.last_insert_rowid
#define sqlite3_open_v2		      history_sqlite.open_v2
#define sqlite3_prepare_v2	      history_sqlite.prepare_v2
#define sqlite3_prepare_v3	      history_sqlite.prepare_v3
#define sqlite3_reset		      history_sqlite.reset
#define sqlite3_step		      history_sqlite.step
#define sqlite3_shutdown	      history_sqlite.shutdown
#endif

#endif
