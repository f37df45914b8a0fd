/*
 * logscan_config.h - the log scanner's configuration structs, included by
 * core/config.h inside struct config (so it must not include config.h back:
 * struct config_string_list is already defined where this is included).
 */
#ifndef SYSOPS_LOGSCAN_CONFIG_H
#define SYSOPS_LOGSCAN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fixed limits: the scanner's memory is known at start-up. */
#define LOGSCAN_MAX_USER_RULES	  64
#define LOGSCAN_MAX_RULES	  128 /* built-in pack + user rules */
#define LOGSCAN_MAX_FILE_PATTERNS 64 /* entries of [logscan] files */

struct logscan_rule_config {
	char *name;
	char *pattern;
	char *severity;
	char *exclude;
	char *message;
	char *group_by;
	struct config_string_list sources;
	int64_t threshold;
	int64_t window_secs;
};

/* [[logscan.surge]]: the surge settings of the sources a glob names. */
#define LOGSCAN_MAX_SURGE_OVERRIDES 16
struct logscan_surge_config {
	char *source;       /* glob on "kmsg", "journal" or a files entry */
	bool enabled;
	int64_t min_lines;  /* -1: [logscan] surge_min_lines */
	double factor;      /* -1: [logscan] surge_factor */
	int64_t cold_lines; /* -1: [logscan] surge_cold_lines */
};

struct logscan_config {
	bool enabled;
	bool kmsg;
	char *kmsg_path;
	bool journal;
	char *journal_directory;
	int64_t journal_max_priority;
	struct config_string_list journal_units;
	struct config_string_list journal_identifiers;
	struct config_string_list files;
	char *start_position;
	bool backlog_summary;
	int64_t max_files;
	int64_t max_line_bytes;
	int64_t max_groups_per_rule;
	int64_t max_read_bytes_per_wakeup;
	struct config_string_list disable_rules;
	struct config_string_list mask_patterns;
	struct logscan_rule_config rules[LOGSCAN_MAX_USER_RULES];
	size_t rule_count;
	/* Error-rate surges of the lines no rule claims (surge.h). */
	bool surge;
	int64_t surge_window_secs;
	int64_t surge_min_lines;
	double surge_factor;
	int64_t surge_cold_lines;
	int64_t surge_warmup_secs;
	int64_t surge_baseline_secs;
	int64_t surge_samples;
	struct logscan_surge_config surges[LOGSCAN_MAX_SURGE_OVERRIDES];
	size_t surge_count;
};

#endif
