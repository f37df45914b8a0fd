/*
 * logscan_config.c - the [logscan] section and the repeated
 * [[logscan.rules]] section of the configuration: names, defaults, ranges
 * and meaning of every key. Registered in core/config_schema.c.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"
#include "logscan/logscan.h"

#define LOGSCAN_KEY(field) offsetof(struct logscan_config, field)
#define RULE_KEY(field) offsetof(struct logscan_rule_config, field)

static const char *const start_positions[] = { "end", "beginning", NULL };
static const char *const severities[] = { "info", "warning", "critical",
					   NULL };

static bool validate_globs(const void *field, char *reason, size_t size)
{
	const struct config_string_list *list = field;

	if (list->count > LOGSCAN_MAX_FILE_PATTERNS) {
		snprintf(reason, size, "at most %d patterns",
			 LOGSCAN_MAX_FILE_PATTERNS);
		return false;
	}
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i][0] != '/') {
			snprintf(reason, size, "'%s' is not an absolute path",
				 list->items[i]);
			return false;
		}
	return true;
}

static bool check_regex(const char *pattern, char *reason, size_t size)
{
	int error;
	PCRE2_SIZE offset;
	pcre2_code *code;
	PCRE2_UCHAR message[128];

	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			     PCRE2_DUPNAMES, &error, &offset, NULL);
	if (code != NULL) {
		pcre2_code_free(code);
		return true;
	}
	pcre2_get_error_message(error, message, sizeof(message));
	snprintf(reason, size, "invalid regular expression at offset %zu: %s",
		 (size_t)offset, (const char *)message);
	return false;
}

static bool validate_regex(const void *field, char *reason, size_t size)
{
	const char *pattern = *(const char *const *)field;

	return pattern == NULL || check_regex(pattern, reason, size);
}

static bool validate_regex_list(const void *field, char *reason, size_t size)
{
	const struct config_string_list *list = field;

	if (list->count > 16) {
		snprintf(reason, size, "at most 16 patterns");
		return false;
	}
	for (size_t i = 0; i < list->count; i++)
		if (!check_regex(list->items[i], reason, size))
			return false;
	return true;
}

static bool validate_sources(const void *field, char *reason, size_t size)
{
	const struct config_string_list *list = field;

	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i], "kmsg") != 0 &&
		    strcmp(list->items[i], "journal") != 0 &&
		    strcmp(list->items[i], "file") != 0) {
			snprintf(reason, size, "'%s' is not a source (kmsg, "
				 "journal or file)", list->items[i]);
			return false;
		}
	return true;
}

static bool validate_rule_name(const void *field, char *reason, size_t size)
{
	const char *name = *(const char *const *)field;

	if (name == NULL)
		return true;
	if (name[0] == '\0' || strlen(name) > 48 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		    strlen(name)) {
		snprintf(reason, size, "expected 1 to 48 characters of a-z, "
			 "0-9 and _");
		return false;
	}
	return true;
}

/* -1 (keep) or a factor as surge_factor allows. */
static bool validate_factor(const void *field, char *reason, size_t size)
{
	double factor = *(const double *)field;

	if (factor == -1 || factor >= 1.5)
		return true;
	snprintf(reason, size, "expected -1 or at least 1.5");
	return false;
}

static const struct config_key logscan_keys[] = {
	{ .name = "enabled", .type = CONFIG_BOOLEAN,
	  .offset = LOGSCAN_KEY(enabled), .default_text = "true",
	  .description = "Scan logs at all; false turns every source off." },
	{ .name = "kmsg", .type = CONFIG_BOOLEAN, .offset = LOGSCAN_KEY(kmsg),
	  .default_text = "true",
	  .description = "Read the kernel ring buffer from kmsg_path." },
	{ .name = "kmsg_path", .type = CONFIG_STRING,
	  .offset = LOGSCAN_KEY(kmsg_path), .default_text = "\"/dev/kmsg\"",
	  .validate = config_validate_optional_path,
	  .description = "The kernel's record device; a FIFO carrying the same "
			 "record format is accepted (tests)." },
	{ .name = "journal", .type = CONFIG_BOOLEAN,
	  .offset = LOGSCAN_KEY(journal), .default_text = "true",
	  .description = "Read the systemd journal." },
	{ .name = "journal_directory", .type = CONFIG_STRING,
	  .offset = LOGSCAN_KEY(journal_directory),
	  .validate = config_validate_optional_path,
	  .description = "Read the journal files in this directory instead of "
			 "the local system journal." },
	{ .name = "journal_max_priority", .type = CONFIG_INTEGER,
	  .offset = LOGSCAN_KEY(journal_max_priority), .default_text = "6",
	  .minimum = 0, .maximum = 7,
	  .description = "Journal entries with a PRIORITY above this (less "
			 "important) are skipped: 6 keeps info and more "
			 "urgent." },
	{ .name = "journal_units", .type = CONFIG_STRING_LIST,
	  .offset = LOGSCAN_KEY(journal_units), .default_text = "[]",
	  .description = "Only entries of these _SYSTEMD_UNIT values (or of "
			 "journal_identifiers); empty means all." },
	{ .name = "journal_identifiers", .type = CONFIG_STRING_LIST,
	  .offset = LOGSCAN_KEY(journal_identifiers), .default_text = "[]",
	  .description = "Only entries of these SYSLOG_IDENTIFIER values (or "
			 "of journal_units); empty means all." },
	{ .name = "files", .type = CONFIG_STRING_LIST,
	  .offset = LOGSCAN_KEY(files), .default_text = "[]",
	  .validate = validate_globs,
	  .description = "Log files to follow (absolute paths, globs "
			 "allowed), rotation by rename or copytruncate "
			 "handled." },
	{ .name = "start_position", .type = CONFIG_STRING,
	  .offset = LOGSCAN_KEY(start_position), .default_text = "\"end\"",
	  .choices = start_positions,
	  .description = "Where a file or the journal starts when no cursor "
			 "was saved for it: end (new lines only) or "
			 "beginning. Files created later are always read from "
			 "their beginning." },
	{ .name = "backlog_summary", .type = CONFIG_BOOLEAN,
	  .offset = LOGSCAN_KEY(backlog_summary), .default_text = "true",
	  .description = "With no kmsg (or journal) cursor yet, records logged "
			 "before the scanner's first start are counted, not "
			 "alerted, and sent as one info summary (\"since boot: "
			 "3 I/O errors on sda, ...\"); false alerts each as "
			 "it is read." },
	{ .name = "max_files", .type = CONFIG_INTEGER,
	  .offset = LOGSCAN_KEY(max_files),
	  .default_text = "256", .minimum = 1, .maximum = 4096,
	  .description = "Files the globs of files may match at once; more "
			 "are not followed (a warning names this key). Each "
			 "followed file keeps a descriptor open (two while a "
			 "rotated one is finished)." },
	{ .name = "max_line_bytes", .type = CONFIG_INTEGER,
	  .offset = LOGSCAN_KEY(max_line_bytes), .default_text = "8192",
	  .minimum = 256, .maximum = 1048576,
	  .description = "Longer lines are cut to this length (and counted)." },
	{ .name = "max_groups_per_rule", .type = CONFIG_INTEGER,
	  .offset = LOGSCAN_KEY(max_groups_per_rule), .default_text = "256",
	  .minimum = 8, .maximum = 65536,
	  .description = "Groups (source addresses, devices, ...) an "
			 "aggregating rule tracks at once; the least recently "
			 "seen is evicted." },
	{ .name = "max_read_bytes_per_wakeup", .type = CONFIG_INTEGER,
	  .offset = LOGSCAN_KEY(max_read_bytes_per_wakeup),
	  .default_text = "1048576", .minimum = 4096, .maximum = 67108864,
	  .description = "Bytes read per source before yielding to the event "
			 "loop, so a burst never delays a collection." },
	{ .name = "disable_rules", .type = CONFIG_STRING_LIST,
	  .offset = LOGSCAN_KEY(disable_rules), .default_text = "[]",
	  .description = "Names of built-in rules to turn off (see "
			 "`sysops-agent logscan --rules-only`)." },
	{ .name = "mask_patterns", .type = CONFIG_STRING_LIST,
	  .offset = LOGSCAN_KEY(mask_patterns), .default_text = "[]",
	  .validate = validate_regex_list,
	  .description = "Extra PCRE2 patterns whose match (or capture "
			 "(?<secret>...)) is replaced by *** before a line "
			 "leaves the host." },
	{ .name = "surge", .type = CONFIG_BOOLEAN,
	  .offset = LOGSCAN_KEY(surge), .default_text = "true",
	  .description = "Lines no rule claims are classified by priority "
			 "(else by level words such as ERROR, FATAL, "
			 "Traceback) and counted per source as "
			 "log.lines_per_sec{severity,source}; a surge of the "
			 "error or critical count raises one alert. false "
			 "keeps the series, without alerts." },
	{ .name = "surge_window_secs", .type = CONFIG_INTEGER,
	  .offset = LOGSCAN_KEY(surge_window_secs), .default_text = "60",
	  .minimum = 10, .maximum = 3600,
	  .description = "Lines are counted over this window; the alert "
			 "states the count." },
	{ .name = "surge_min_lines", .type = CONFIG_INTEGER,
	  .offset = LOGSCAN_KEY(surge_min_lines), .default_text = "30",
	  .minimum = 1, .maximum = 10000000,
	  .description = "Never a surge below this many error (or critical) "
			 "lines in a window, whatever the baseline: a quiet "
			 "log with 3 errors does not page." },
	{ .name = "surge_factor", .type = CONFIG_FLOAT,
	  .offset = LOGSCAN_KEY(surge_factor), .default_text = "5.0",
	  .minimum = 1.5, .maximum = 1000,
	  .description = "Once warm, a surge is this many times the learnt "
			 "count per window (and at least surge_min_lines); it "
			 "resolves below half of that." },
	{ .name = "surge_cold_lines", .type = CONFIG_INTEGER,
	  .offset = LOGSCAN_KEY(surge_cold_lines), .default_text = "300",
	  .minimum = 1, .maximum = 10000000,
	  .description = "Until a source is warm (surge_warmup_secs) it has "
			 "no baseline to compare with: a surge is then this "
			 "many lines in a window (5 a second with the default "
			 "window)." },
	{ .name = "surge_warmup_secs", .type = CONFIG_INTEGER,
	  .offset = LOGSCAN_KEY(surge_warmup_secs), .default_text = "900",
	  .minimum = 0, .maximum = 86400,
	  .description = "Seconds a new source is watched before its "
			 "baseline is trusted; baselines are kept across "
			 "restarts in the state directory." },
	{ .name = "surge_baseline_secs", .type = CONFIG_INTEGER,
	  .offset = LOGSCAN_KEY(surge_baseline_secs), .default_text = "3600",
	  .minimum = 60, .maximum = 604800,
	  .description = "Time constant of the baseline (a running mean until "
			 "this much has been seen): a new level that lasts "
			 "becomes the norm within about half of it." },
	{ .name = "surge_samples", .type = CONFIG_INTEGER,
	  .offset = LOGSCAN_KEY(surge_samples), .default_text = "3",
	  .minimum = 0, .maximum = 10,
	  .description = "The newest lines of the surge shown in the alert "
			 "(masked, cut at 159 bytes)." },
};

const struct config_section logscan_section = {
	.name = "logscan",
	.description = "The log scanner: kernel ring, journal and log files "
		       "against a rule set.",
	.keys = logscan_keys,
	.key_count = ARRAY_SIZE(logscan_keys),
	.offset = offsetof(struct config, logscan),
};

static const struct config_key logscan_rule_keys[] = {
	{ .name = "name", .type = CONFIG_STRING, .offset = RULE_KEY(name),
	  .required = true, .validate = validate_rule_name,
	  .description = "Rule name (a-z, 0-9, _); a built-in rule of the "
			 "same name is replaced." },
	{ .name = "pattern", .type = CONFIG_STRING,
	  .offset = RULE_KEY(pattern), .required = true,
	  .validate = validate_regex,
	  .description = "PCRE2 pattern matched against each message; named "
			 "captures can be used in message and group_by." },
	{ .name = "severity", .type = CONFIG_STRING,
	  .offset = RULE_KEY(severity), .default_text = "\"warning\"",
	  .choices = severities,
	  .description = "info, warning or critical." },
	{ .name = "exclude", .type = CONFIG_STRING,
	  .offset = RULE_KEY(exclude), .validate = validate_regex,
	  .description = "Lines that also match this pattern are ignored." },
	{ .name = "message", .type = CONFIG_STRING,
	  .offset = RULE_KEY(message),
	  .description = "Alert text; {capture}, {count}, {window} and "
			 "{line} are replaced. Unset: the matched line." },
	{ .name = "group_by", .type = CONFIG_STRING,
	  .offset = RULE_KEY(group_by),
	  .description = "Named capture that separates aggregation groups "
			 "(such as ip)." },
	{ .name = "sources", .type = CONFIG_STRING_LIST,
	  .offset = RULE_KEY(sources), .default_text = "[]",
	  .validate = validate_sources,
	  .description = "kmsg, journal and/or file; empty means all." },
	{ .name = "threshold", .type = CONFIG_INTEGER,
	  .offset = RULE_KEY(threshold), .default_text = "1",
	  .minimum = 1, .maximum = 100000,
	  .description = "Events within window_secs (per group) before an "
			 "alert." },
	{ .name = "window_secs", .type = CONFIG_INTEGER,
	  .offset = RULE_KEY(window_secs), .default_text = "0",
	  .minimum = 0, .maximum = 86400,
	  .description = "Aggregation window; after an alert the group stays "
			 "quiet this long. 0: every match alerts." },
};

const struct config_section logscan_rules_section = {
	.name = "logscan.rules",
	.description = "A log rule of your own (repeat the section for more).",
	.keys = logscan_rule_keys,
	.key_count = ARRAY_SIZE(logscan_rule_keys),
	.offset = offsetof(struct config, logscan.rules),
	.element_size = sizeof(struct logscan_rule_config),
	.max_count = LOGSCAN_MAX_USER_RULES,
	.count_offset = offsetof(struct config, logscan.rule_count),
};

#define SURGE_KEY(field) offsetof(struct logscan_surge_config, field)

static const struct config_key logscan_surge_keys[] = {
	{ .name = "source", .type = CONFIG_STRING,
	  .offset = SURGE_KEY(source), .required = true,
	  .description = "\"kmsg\", \"journal\" or an entry of [logscan] "
			 "files, as written there (a glob matches them: "
			 "\"/var/log/app/*\"); the first entry that matches "
			 "applies." },
	{ .name = "enabled", .type = CONFIG_BOOLEAN,
	  .offset = SURGE_KEY(enabled), .default_text = "true",
	  .description = "false: no surge alerts for it (its series stay)." },
	{ .name = "min_lines", .type = CONFIG_INTEGER,
	  .offset = SURGE_KEY(min_lines), .default_text = "-1",
	  .minimum = -1, .maximum = 10000000,
	  .description = "As surge_min_lines; -1 keeps it." },
	{ .name = "factor", .type = CONFIG_FLOAT,
	  .offset = SURGE_KEY(factor), .default_text = "-1.0",
	  .minimum = -1, .maximum = 1000,
	  .validate = validate_factor,
	  .description = "As surge_factor; -1 keeps it." },
	{ .name = "cold_lines", .type = CONFIG_INTEGER,
	  .offset = SURGE_KEY(cold_lines), .default_text = "-1",
	  .minimum = -1, .maximum = 10000000,
	  .description = "As surge_cold_lines; -1 keeps it." },
};

const struct config_section logscan_surge_section = {
	.name = "logscan.surge",
	.description = "Surge settings of one log source (repeat the section "
		       "for more).",
	.keys = logscan_surge_keys,
	.key_count = ARRAY_SIZE(logscan_surge_keys),
	.offset = offsetof(struct config, logscan.surges),
	.element_size = sizeof(struct logscan_surge_config),
	.max_count = LOGSCAN_MAX_SURGE_OVERRIDES,
	.count_offset = offsetof(struct config, logscan.surge_count),
};
