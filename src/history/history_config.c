/*
 * history_config.c - the keys of [storage.history]: how long the SQLite
 * history keeps minutes and hours, its size cap, and the node_exporter
 * textfile. Kept apart from [storage] (the registry's own keys).
 */
#include <stddef.h>
#include <stdio.h>

#include "core/config.h"
#include "core/util.h"
#include "history/history.h"

#define HISTORY_KEY(field) offsetof(struct history_config, field)

static bool validate_textfile(const void *field, char *reason, size_t size)
{
	const char *path = *(const char *const *)field;

	if (path == NULL || path[0] == '\0')
		return true;
	if (path[0] != '/') {
		snprintf(reason, size, "expected an absolute path");
		return false;
	}
	if (!string_ends_with(path, ".prom")) {
		snprintf(reason, size, "node_exporter only reads files ending "
			 "in .prom");
		return false;
	}
	return true;
}

static const struct config_key history_keys[] = {
	{ .name = "enabled", .type = CONFIG_BOOLEAN,
	  .offset = HISTORY_KEY(enabled), .default_text = "true",
	  .description = "Keep history, alert history and analyzer snapshots "
			 "in STATE_DIR/history.db (needs a build with "
			 "SQLite and libsqlite3.so.0 at run time, loaded "
			 "while the database is in use; without it the "
			 "daemon runs in memory)." },
	{ .name = "retention_days", .type = CONFIG_INTEGER,
	  .offset = HISTORY_KEY(retention_days), .default_text = "7",
	  .minimum = 1, .maximum = 366,
	  .description = "Days of 1-minute min/avg/max kept per series." },
	{ .name = "hourly_retention_days", .type = CONFIG_INTEGER,
	  .offset = HISTORY_KEY(hourly_retention_days), .default_text = "90",
	  .minimum = 1, .maximum = 3660,
	  .description = "Days of 1-hour aggregates (and of alert history) "
			 "kept." },
	{ .name = "max_db_bytes", .type = CONFIG_INTEGER,
	  .offset = HISTORY_KEY(max_db_bytes), .default_text = "536870912",
	  .minimum = 1048576, .maximum = 1099511627776.0,
	  .description = "Size cap of history.db; past it the oldest minutes "
			 "are dropped first, whatever their age." },
	{ .name = "snapshot_interval_secs", .type = CONFIG_INTEGER,
	  .offset = HISTORY_KEY(snapshot_interval_secs),
	  .default_text = "300", .minimum = 60, .maximum = 86400,
	  .description = "Seconds between two saves of the baselines (the "
			 "analyzer's and the log surge detector's; also "
			 "saved on stop), so a restart or a crash starts "
			 "warm. A series settled on one value (an idle "
			 "interface's error rate) is saved again when it "
			 "moves, and at least hourly: a crash restores its "
			 "sample counts up to an hour old." },
	{ .name = "import_interval_secs", .type = CONFIG_INTEGER,
	  .offset = HISTORY_KEY(import_interval_secs),
	  .default_text = "3600", .minimum = 60, .maximum = 86400,
	  .description = "Seconds between two imports of STATE_DIR/"
			 "history.pending (where the daemon appends each "
			 "minute) into history.db; SQLite is loaded only for "
			 "an import. Also at start and stop, and early when "
			 "the file reaches max_db_bytes / 8 (64 MiB at most). "
			 "The commands read both files." },
	{ .name = "textfile", .type = CONFIG_STRING,
	  .offset = HISTORY_KEY(textfile), .default_text = "\"\"",
	  .validate = validate_textfile,
	  .description = "node_exporter textfile-collector file (*.prom) "
			 "rewritten atomically each tick; empty disables it. "
			 "The one write outside the state dir." },
};

const struct config_section history_section = {
	.name = "storage.history",
	.description = "Optional SQLite history and the Prometheus textfile.",
	.keys = history_keys,
	.key_count = ARRAY_SIZE(history_keys),
	.offset = offsetof(struct config, history),
};
