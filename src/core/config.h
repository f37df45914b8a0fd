/*
 * config.h - the configuration: a TOML file checked against a schema.
 *
 * Every key is described once (type, default, range, meaning) in a section
 * table; the loader, `check-config`, the example file and the man page all
 * follow those tables. A module adds its settings by adding a section table
 * (see config_schema.c) and a member to struct config.
 */
#ifndef SYSOPS_CONFIG_H
#define SYSOPS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "storage/metrics.h"

#define CONFIG_DEFAULT_PATH "/etc/sysops-agent/config.toml"
#define CONFIG_MAX_BYTES (1024 * 1024)

enum config_type {
	CONFIG_BOOLEAN,     /* bool */
	CONFIG_INTEGER,     /* int64_t */
	CONFIG_FLOAT,       /* double; integers are accepted too */
	CONFIG_STRING,      /* char *, NULL when unset */
	CONFIG_SECRET,      /* char *; also KEY_file and systemd credentials */
	CONFIG_STRING_LIST, /* struct config_string_list */
	/* A TOML table of strings ({ team = "web" }), kept as a
	 * struct config_string_list of "key=value" items in file order. */
	CONFIG_STRING_TABLE,
};

struct config_string_list {
	char **items;
	size_t count;
};

#include "collector/collector_config.h"
/* Module sections that struct config holds. */
#include "alerter/alerter_config.h"

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;              /* of the field in the section's struct */
	const char *default_text;   /* a TOML value ("10", "\"info\"", "[]"), or
				       NULL: unset unless computed at load */
	double minimum, maximum;    /* numbers; both 0 means any value */
	const char *const *choices; /* strings: allowed values, NULL-ended */
	const char *description;    /* one sentence, for humans and man(5) */
	bool required;              /* strings: must be given (repeated sections) */
	bool file_form;		    /* strings: KEY_file names a file holding
				       the value (not a secret) */
	/* Extra check after type and range; writes a reason and returns false.
	 */
	bool (*validate)(const void *field, char *reason, size_t reason_size);
	/* String tables: checks one entry (reported at its own line). */
	bool (*validate_entry)(const char *name, const char *value,
			       char *reason, size_t reason_size);
};

struct config_section {
	const char *name;           /* "agent", "alerting.slack", ... */
	const char *description;
	const struct config_key *keys;
	size_t key_count;
	size_t offset;              /* of the section's struct in struct config */
	/* Repeated sections ([[name]]): a fixed array of max_count elements. */
	size_t element_size;        /* 0 for a plain [name] section */
	size_t max_count;
	size_t count_offset;        /* size_t holding how many were given */
	bool single_table;	    /* repeated, and a plain [name] table is
				       its one-entry form */
	/*
	 * Checks between keys of one entry (both a token and a password set,
	 * a duplicate name); elements is the section's array (a plain
	 * section: its struct, index 0). A repeated section's element is
	 * checked once it is read (reported at its line), a plain section
	 * after every file was read. Writes a reason and returns false.
	 */
	bool (*check)(const void *elements, size_t index, char *reason,
		      size_t reason_size);
};

struct agent_config {
	char *hostname;
	char *id; /* NULL: the state directory's agent-id */
	struct config_string_list labels; /* "name=value", at most 16 */
	int64_t collect_interval_secs;
	char *log_level;
	char *state_dir;
	char *proc_root;
	char *sys_root;
	int64_t history_secs;
};

#include "analyzer/analyzer_config.h"
#include "export/export_config.h"
#include "heartbeat/heartbeat_config.h"
#include "history/history_config.h"
#include "logscan/logscan_config.h"
#include "checks/checks_config.h"

/* Where a key's value came from, for check-config. */
struct config_origin {
	const struct config_section *section;
	size_t index; /* entry of a repeated section */
	const struct config_key *key;
	size_t file; /* in config->files */
	int line;
};

struct config {
	char *path;                 /* the file it came from, or NULL */
	/* Every file read, in order: the main file, then conf.d drop-ins. */
	char **files;
	size_t file_count;
	struct config_origin *origins; /* one per key a file set */
	size_t origin_count, origin_capacity;
	bool has_inline_secrets;
	struct agent_config agent;
	struct storage_config storage;
	struct collectors_config collectors;
	struct analyzer_config analyzer;
	struct history_config history;
	struct alerting_config alerting;
	struct logscan_config logscan;
	struct export_config export;
	struct heartbeat_config heartbeat;
	struct checks_config checks;
};

/* All known sections, in the order they are documented and printed. */
extern const struct config_section *const config_sections[];
extern const size_t config_section_count;

/* Drop-ins: <directory of the main file>/conf.d/NAME.toml, in name order. */
#define CONFIG_DROPIN_DIRECTORY "conf.d"
#define CONFIG_DROPIN_SUFFIX	".toml"
#define CONFIG_DROPINS_MAX	256

/*
 * Loads a configuration: the main file, then every drop-in of its conf.d
 * directory in name order. A later file sets a plain key again (it wins); a
 * repeated section ([[logscan.rules]]) gains the later file's entries. path
 * NULL gives the built-in defaults; a default path that does not exist gives
 * them plus the drop-ins beside it. Every problem is logged as "file:line: key:
 * what was expected"; returns 0, or -EINVAL / -errno with *out untouched.
 */
int config_load(const char *path, bool path_must_exist, struct config **out);
struct config *config_defaults(void);

/* The same from text in memory; name is used in messages ("file:line"). */
int config_load_text(const char *name, const char *text, size_t length,
		     struct config **out);
void config_free(struct config *config);

/* Writes the effective configuration as TOML, secrets masked; each key a
 * file set is preceded by a "# file:line" comment. */
void config_print(const struct config *config, FILE *stream);

/* Config path from -c, $SYSOPS_AGENT_CONFIG, or the default. */
const char *config_resolve_path(const char *from_command_line,
				bool *must_exist);

/* Lookups used by the documentation generator and tests. */
const struct config_section *config_find_section(const char *name);
const struct config_key *config_find_key(const struct config_section *section,
					 const char *name);

/* Where a key was set: its origin, or NULL (a default). */
const struct config_origin *
config_origin_of(const struct config *config,
		 const struct config_section *section, size_t index,
		 const struct config_key *key);

/* Validator for optional path keys: unset, or absolute. */
bool config_validate_optional_path(const void *field, char *reason,
				   size_t size);

/* Validator for URL keys: http:// or https://, never echoing the value. */
bool config_validate_http_url(const void *field, char *reason, size_t size);

/* Closest candidate within a small edit distance, or NULL. */
const char *config_suggest(const char *wrong, const char *const *candidates,
			   size_t candidate_count);

#endif
