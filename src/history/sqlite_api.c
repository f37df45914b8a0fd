/*
 * sqlite_api.c - opens libsqlite3.so.0 for the history's sessions and
 * closes it after (see sqlite_api.h): a count of users, the library mapped
 * while it is above zero.
 */
#include "history/history.h"

#if WITH_SQLITE

#define HISTORY_SQLITE_API_NO_MACROS 1
#include "history/sqlite_api.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"

struct history_sqlite_api history_sqlite;

static void *handle;
static unsigned users;

/* Name and field, in the order of struct history_sqlite_api. */
#define ENTRY(name)                                                            \
	{                                                                      \
		"sqlite3_" #name, offsetof(struct history_sqlite_api, name)    \
	}
static const struct {
	const char *symbol;
	size_t offset;
} entries[] = {
    ENTRY(bind_blob),	ENTRY(bind_double),    ENTRY(bind_int),
    ENTRY(bind_int64),	ENTRY(bind_text),      ENTRY(busy_timeout),
    ENTRY(changes),	ENTRY(clear_bindings), ENTRY(close),
    ENTRY(column_blob), ENTRY(column_bytes),   ENTRY(column_double),
    ENTRY(column_int),	ENTRY(column_int64),   ENTRY(column_text),
    ENTRY(column_type), ENTRY(db_config),      ENTRY(errmsg),
    ENTRY(errstr),	ENTRY(exec),	       ENTRY(extended_result_codes),
    ENTRY(finalize),	ENTRY(get_autocommit), ENTRY(last_insert_rowid),
    ENTRY(open_v2),	ENTRY(prepare_v2),     ENTRY(prepare_v3),
    ENTRY(reset),	ENTRY(step),	       ENTRY(shutdown),
};
#undef ENTRY

_Static_assert(sizeof(entries) / sizeof(entries[0]) ==
		   sizeof(struct history_sqlite_api) / sizeof(void (*)(void)),
	       "one symbol per function pointer");

int history_sqlite_load(const char **reason)
{
	static char text[320];
	void *opened;

	if (users > 0) {
		users++;
		return 0;
	}
	opened = dlopen(HISTORY_SQLITE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (opened == NULL) {
		snprintf(text, sizeof(text),
			 "cannot load %s (%s); install libsqlite3-0 (Debian, "
			 "Ubuntu) or sqlite-libs (RHEL, Fedora)",
			 HISTORY_SQLITE_SONAME, dlerror());
		*reason = text;
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
		void *symbol = dlsym(opened, entries[i].symbol);

		if (symbol == NULL) {
			/* An SQLite older than 3.20 (prepare_v3). */
			snprintf(text, sizeof(text),
				 "%s has no %s: SQLite 3.20 or later is needed",
				 HISTORY_SQLITE_SONAME, entries[i].symbol);
			*reason = text;
			memset(&history_sqlite, 0, sizeof(history_sqlite));
			dlclose(opened);
			return -ENOENT;
		}
		/* POSIX guarantees a function's address fits a data pointer. */
		memcpy((char *)&history_sqlite + entries[i].offset, &symbol,
		       sizeof(symbol));
	}
	handle = opened;
	users = 1;
	log_debug("history: loaded %s", HISTORY_SQLITE_SONAME);
	return 0;
}

void history_sqlite_unload(void)
{
	if (users == 0 || --users > 0)
		return;
	/* Frees SQLite's global state (its memory, mutexes, VFS list)
	 * before its code goes away. */
	history_sqlite.shutdown();
	memset(&history_sqlite, 0, sizeof(history_sqlite));
	dlclose(handle);
	handle = NULL;
	log_debug("history: unloaded %s", HISTORY_SQLITE_SONAME);
}

bool history_sqlite_loaded(void)
{
	return users > 0;
}

#endif
