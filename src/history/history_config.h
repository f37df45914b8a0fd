/*
 * history_config.h - [storage.history] (the TOML name predates src/history
 * and is kept for existing configs), included by core/config.h inside
 * struct config (so it must not include config.h back).
 */
#ifndef SYSOPS_HISTORY_CONFIG_H
#define SYSOPS_HISTORY_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

struct history_config {
	bool enabled;
	int64_t retention_days;
	int64_t hourly_retention_days;
	int64_t max_db_bytes;
	int64_t snapshot_interval_secs;
	int64_t import_interval_secs;
	char *textfile;
};

/* Its schema, for core/config_schema.c. */
struct config_section;
extern const struct config_section history_section;

#endif
