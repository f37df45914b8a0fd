/*
 * config.c - loads the TOML file into struct config, key by key, against the
 * schema in config_schema.c.
 *
 * Defaults go through the same path as the file (each default is a TOML
 * literal), so a default can never bypass a range check. Every problem found
 * is reported with file:line and the key before the load fails; a failed load
 * leaves the caller's configuration untouched (SIGHUP keeps the old one).
 */
#include "core/config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/toml.h"
#include "core/util.h"

#define SECRET_FILE_MAX_BYTES (64 * 1024)
#define SECTION_NAME_MAX 128
#define ERRORS_REPORTED_MAX 50

struct load_context {
	const char *path;       /* for messages: the file, or "built-in" */
	const char *directory;  /* of the config file, for relative *_file */
	struct config *config;
	size_t file;	       /* index of path in config->files */
	bool file_has_secrets; /* the file being read holds one inline */
	int errors;
};

static void report(struct load_context *ctx, int line, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static void report(struct load_context *ctx, int line, const char *format, ...)
{
	char message[512];
	va_list args;

	ctx->errors++;
	if (ctx->errors > ERRORS_REPORTED_MAX)
		return;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	if (line > 0)
		log_error("%s:%d: %s", ctx->path, line, message);
	else
		log_error("%s: %s", ctx->path, message);
}

static void *field_address(struct config *config,
			   const struct config_section *section, size_t index,
			   const struct config_key *key)
{
	return (char *)config + section->offset + index * section->element_size +
	       key->offset;
}

static size_t *section_count(struct config *config,
			     const struct config_section *section)
{
	return (size_t *)((char *)config + section->count_offset);
}

const struct config_section *config_find_section(const char *name)
{
	for (size_t i = 0; i < config_section_count; i++)
		if (strcmp(config_sections[i]->name, name) == 0)
			return config_sections[i];
	return NULL;
}

const struct config_key *config_find_key(const struct config_section *section,
					 const char *name)
{
	for (size_t i = 0; i < section->key_count; i++)
		if (strcmp(section->keys[i].name, name) == 0)
			return &section->keys[i];
	return NULL;
}

const char *config_suggest(const char *wrong, const char *const *candidates,
			   size_t candidate_count)
{
	size_t limit = strlen(wrong) / 3 + 1, best_distance = SIZE_MAX;
	const char *best = NULL;

	if (limit > 4)
		limit = 4;
	for (size_t i = 0; i < candidate_count; i++) {
		size_t d = edit_distance(wrong, candidates[i], limit);
		const char *unit = strrchr(candidates[i], '_');

		/* "collect_interval" is close to "collect_interval_secs". */
		if (unit != NULL && unit != candidates[i] &&
		    (size_t)(unit - candidates[i]) < 64) {
			char stem[64];
			size_t stem_distance;

			string_copy(stem, candidates[i],
				    (size_t)(unit - candidates[i]) + 1);
			stem_distance = edit_distance(wrong, stem, limit);
			if (stem_distance < d)
				d = stem_distance;
		}

		if (d <= limit && d < best_distance) {
			best_distance = d;
			best = candidates[i];
		}
	}
	return best;
}

/* "[agent] " or "[[logscan.rules]] " for messages. */
static void section_label(const struct config_section *section, char *buffer,
			  size_t size)
{
	snprintf(buffer, size, section->element_size ? "[[%s]]" : "[%s]",
		 section->name);
}

static void describe_expected(const struct config_key *key, char *buffer,
			      size_t size)
{
	bool bounded = key->minimum != 0 || key->maximum != 0;

	switch (key->type) {
	case CONFIG_BOOLEAN:
		snprintf(buffer, size, "true or false");
		break;
	case CONFIG_INTEGER:
		if (bounded)
			snprintf(buffer, size, "an integer from %.0f to %.0f",
				 key->minimum, key->maximum);
		else
			snprintf(buffer, size, "an integer");
		break;
	case CONFIG_FLOAT:
		if (bounded)
			snprintf(buffer, size, "a number from %g to %g",
				 key->minimum, key->maximum);
		else
			snprintf(buffer, size, "a number");
		break;
	case CONFIG_STRING:
	case CONFIG_SECRET:
		if (key->choices != NULL) {
			size_t used = (size_t)snprintf(buffer, size, "one of");

			for (size_t i = 0; key->choices[i] && used < size; i++)
				used += (size_t)snprintf(buffer + used,
							 size - used, "%s \"%s\"",
							 i ? "," : "",
							 key->choices[i]);
		} else {
			snprintf(buffer, size, "a string");
		}
		break;
	case CONFIG_STRING_LIST:
		snprintf(buffer, size, "an array of strings");
		break;
	case CONFIG_STRING_TABLE:
		snprintf(buffer, size, "a table of strings");
		break;
	}
}

static bool in_range(const struct config_key *key, double value)
{
	if (key->minimum == 0 && key->maximum == 0)
		return true;
	return value >= key->minimum && value <= key->maximum;
}

static bool is_choice(const struct config_key *key, const char *value)
{
	if (key->choices == NULL)
		return true;
	for (size_t i = 0; key->choices[i] != NULL; i++)
		if (strcmp(key->choices[i], value) == 0)
			return true;
	return false;
}

static void free_string_list(struct config_string_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

static void free_field(const struct config_key *key, void *field)
{
	switch (key->type) {
	case CONFIG_STRING:
	case CONFIG_SECRET:
		free(*(char **)field);
		*(char **)field = NULL;
		break;
	case CONFIG_STRING_LIST:
	case CONFIG_STRING_TABLE:
		free_string_list(field);
		break;
	default:
		break;
	}
}

static bool string_is_clean(const struct toml_value *value)
{
	return strlen(value->as.string.bytes) == value->as.string.length;
}

static int convert_string_list(const struct toml_value *value,
			       struct config_string_list *list)
{
	struct config_string_list result = { 0 };

	if (value->type != TOML_ARRAY)
		return -EINVAL;
	for (size_t i = 0; i < value->as.array.count; i++) {
		const struct toml_value *item = value->as.array.items[i];

		if (item->type != TOML_STRING || !string_is_clean(item))
			return -EINVAL;
	}
	result.items = calloc(value->as.array.count + 1, sizeof(char *));
	if (result.items == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < value->as.array.count; i++) {
		result.items[i] = strdup(value->as.array.items[i]->as.string.bytes);
		if (result.items[i] == NULL) {
			result.count = i;
			free_string_list(&result);
			return -ENOMEM;
		}
	}
	result.count = value->as.array.count;
	free_string_list(list);
	*list = result;
	return 0;
}

/* { k = "v", ... } -> "k=v" items; keys holding '=' cannot be told apart. */
static int convert_string_table(const struct toml_value *value,
				struct config_string_list *list)
{
	struct config_string_list result = { 0 };

	if (value->type != TOML_TABLE)
		return -EINVAL;
	for (size_t i = 0; i < value->as.table.count; i++) {
		const struct toml_member *m = &value->as.table.members[i];

		if (m->value->type != TOML_STRING || !string_is_clean(m->value) ||
		    strlen(m->key) != m->key_length || strchr(m->key, '='))
			return -EINVAL;
	}
	result.items = calloc(value->as.table.count + 1, sizeof(char *));
	if (result.items == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < value->as.table.count; i++) {
		const struct toml_member *m = &value->as.table.members[i];

		if (asprintf(&result.items[i], "%s=%s", m->key,
			     m->value->as.string.bytes) < 0) {
			result.items[i] = NULL;
			result.count = i;
			free_string_list(&result);
			return -ENOMEM;
		}
	}
	result.count = value->as.table.count;
	free_string_list(list);
	*list = result;
	return 0;
}

enum store_result {
	STORE_OK,
	STORE_WRONG_TYPE,
	STORE_OUT_OF_RANGE,
	STORE_NOT_A_CHOICE,
	STORE_NO_MEMORY,
};

static enum store_result store_number(const struct config_key *key,
				      void *field,
				      const struct toml_value *value)
{
	double number;

	if (value->type == TOML_INTEGER)
		number = (double)value->as.integer;
	else if (value->type == TOML_FLOAT && key->type == CONFIG_FLOAT)
		number = value->as.floating;
	else
		return STORE_WRONG_TYPE;
	if (!isfinite(number) || !in_range(key, number))
		return STORE_OUT_OF_RANGE;
	if (key->type == CONFIG_INTEGER)
		*(int64_t *)field = value->as.integer;
	else
		*(double *)field = number;
	return STORE_OK;
}

/* Converts one TOML value into the key's field. */
static enum store_result store_value(const struct config_key *key, void *field,
				     const struct toml_value *value)
{
	char *copy;

	switch (key->type) {
	case CONFIG_BOOLEAN:
		if (value->type != TOML_BOOLEAN)
			return STORE_WRONG_TYPE;
		*(bool *)field = value->as.boolean;
		return STORE_OK;
	case CONFIG_INTEGER:
	case CONFIG_FLOAT:
		return store_number(key, field, value);
	case CONFIG_STRING:
	case CONFIG_SECRET:
		if (value->type != TOML_STRING || !string_is_clean(value))
			return STORE_WRONG_TYPE;
		if (!is_choice(key, value->as.string.bytes))
			return STORE_NOT_A_CHOICE;
		copy = strdup(value->as.string.bytes);
		if (copy == NULL)
			return STORE_NO_MEMORY;
		free(*(char **)field);
		*(char **)field = copy;
		return STORE_OK;
	case CONFIG_STRING_LIST:
	case CONFIG_STRING_TABLE:
		switch (key->type == CONFIG_STRING_LIST
				? convert_string_list(value, field)
				: convert_string_table(value, field)) {
		case 0:
			return STORE_OK;
		case -ENOMEM:
			return STORE_NO_MEMORY;
		default:
			return STORE_WRONG_TYPE;
		}
	}
	return STORE_WRONG_TYPE;
}

/* "a string", "0", "\"verbose\"": what the file said, for messages. */
static void describe_given(const struct toml_value *value,
			   enum store_result result, char *buffer, size_t size)
{
	if (result == STORE_OUT_OF_RANGE && value->type == TOML_INTEGER)
		snprintf(buffer, size, "%lld", (long long)value->as.integer);
	else if (result == STORE_OUT_OF_RANGE && value->type == TOML_FLOAT)
		snprintf(buffer, size, "%g", value->as.floating);
	else if (result == STORE_NOT_A_CHOICE)
		snprintf(buffer, size, "\"%.64s\"", value->as.string.bytes);
	else
		snprintf(buffer, size, "%s %s",
			 value->type == TOML_INTEGER ||
					 value->type == TOML_ARRAY
				 ? "an"
				 : "a",
			 toml_type_name(value->type));
}

const struct config_origin *
config_origin_of(const struct config *config,
		 const struct config_section *section, size_t index,
		 const struct config_key *key)
{
	for (size_t i = 0; i < config->origin_count; i++) {
		const struct config_origin *o = &config->origins[i];

		if (o->section == section && o->index == index && o->key == key)
			return o;
	}
	return NULL;
}

/*
 * Remembers which file and line set a key (check-config prints it). A plain
 * key set again by a later file is that file's: the later file wins.
 */
static void record_origin(struct load_context *ctx,
			  const struct config_section *section, size_t index,
			  const struct config_key *key, int line)
{
	struct config *config = ctx->config;
	struct config_origin *o = (struct config_origin *)config_origin_of(
	    config, section, index, key);

	if (o != NULL && o->file != ctx->file)
		log_debug("%s:%d: [%s] %s overrides %s:%d", ctx->path, line,
			  section->name, key->name, config->files[o->file],
			  o->line);
	if (o == NULL) {
		if (config->origin_count == config->origin_capacity) {
			size_t capacity = config->origin_capacity
					      ? 2 * config->origin_capacity
					      : 64;
			struct config_origin *grown =
			    realloc(config->origins, capacity * sizeof(*grown));

			if (grown == NULL)
				return; /* only check-config's comments lose */
			config->origins = grown;
			config->origin_capacity = capacity;
		}
		o = &config->origins[config->origin_count++];
	}
	*o = (struct config_origin){section, index, key, ctx->file, line};
}

/* A table's size (maximum) and each entry, at the entry's own line. */
static void check_table_entries(struct load_context *ctx, const char *label,
				const struct config_key *key,
				const struct toml_value *value)
{
	char reason[256];

	if (key->maximum > 0 && (double)value->as.table.count > key->maximum)
		report(ctx, value->line, "%s %s: at most %.0f entries, got %zu",
		       label, key->name, key->maximum, value->as.table.count);
	for (size_t i = 0;
	     key->validate_entry != NULL && i < value->as.table.count; i++) {
		const struct toml_member *m = &value->as.table.members[i];

		if (!key->validate_entry(m->key, m->value->as.string.bytes,
					 reason, sizeof(reason)))
			report(ctx, m->line, "%s %s: %s", label, key->name,
			       reason);
	}
}

static void apply_key(struct load_context *ctx,
		      const struct config_section *section, size_t index,
		      const struct config_key *key, void *field,
		      const struct toml_value *value, int line)
{
	char label[SECTION_NAME_MAX + 8], expected[256], given[96];
	char reason[256];
	enum store_result result;

	section_label(section, label, sizeof(label));
	result = store_value(key, field, value);
	if (result == STORE_NO_MEMORY) {
		report(ctx, line, "%s %s: out of memory", label, key->name);
		return;
	}
	if (result != STORE_OK) {
		describe_expected(key, expected, sizeof(expected));
		describe_given(value, result, given, sizeof(given));
		report(ctx, line, "%s %s: expected %s, got %s", label,
		       key->name, expected, given);
		return;
	}
	reason[0] = '\0';
	if (key->type == CONFIG_STRING_TABLE)
		check_table_entries(ctx, label, key, value);
	if (key->validate != NULL && !key->validate(field, reason, sizeof(reason)))
		report(ctx, line, "%s %s: %s", label, key->name, reason);
	if (key->type == CONFIG_SECRET && *(char **)field != NULL) {
		ctx->config->has_inline_secrets = true;
		ctx->file_has_secrets = true;
	}
	record_origin(ctx, section, index, key, line);
}

/* Where a relative *_file path points: systemd credentials, else beside us. */
static int open_secret_base(const struct load_context *ctx, bool secret)
{
	const char *credentials = getenv("CREDENTIALS_DIRECTORY");
	const char *base = secret && credentials && *credentials
			       ? credentials
			       : ctx->directory;

	if (base == NULL)
		return AT_FDCWD;
	return open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void apply_secret_file(struct load_context *ctx,
			      const struct config_section *section,
			      size_t index, const struct config_key *key,
			      void *field, const struct toml_value *value,
			      int line)
{
	char label[SECTION_NAME_MAX + 8];
	char *secret = NULL;
	int base, r;

	section_label(section, label, sizeof(label));
	if (value->type != TOML_STRING || !string_is_clean(value) ||
	    value->as.string.length == 0) {
		report(ctx, line, "%s %s_file: expected a file name, got a %s",
		       label, key->name, toml_type_name(value->type));
		return;
	}
	base = value->as.string.bytes[0] == '/'
		   ? AT_FDCWD
		   : open_secret_base(ctx, !key->file_form);
	if (base < 0 && base != AT_FDCWD) {
		report(ctx, line, "%s %s_file: cannot open the credentials "
		       "directory: %m", label, key->name);
		return;
	}
	r = read_file_at(base, value->as.string.bytes, SECRET_FILE_MAX_BYTES,
			 &secret, NULL);
	if (base >= 0)
		close(base);
	if (r < 0) {
		/* The path is not a secret; its content is. */
		report(ctx, line, "%s %s_file: cannot read \"%s\": %s", label,
		       key->name, value->as.string.bytes, strerror(-r));
		return;
	}
	string_trim_end(secret);
	free(*(char **)field);
	*(char **)field = secret;
	if (key->file_form && key->validate != NULL) {
		char reason[256] = "";

		if (!key->validate(field, reason, sizeof(reason)))
			report(ctx, line, "%s %s_file: %s", label, key->name,
			       reason);
	}
	record_origin(ctx, section, index, key, line);
}

static void report_unknown_key(struct load_context *ctx,
			       const struct config_section *section,
			       const char *name, int line)
{
	const char *candidates[128];
	char label[SECTION_NAME_MAX + 8], with_file[128][64];
	size_t count = 0;
	const char *suggestion;

	for (size_t i = 0; i < section->key_count && count < 127; i++) {
		const struct config_key *key = &section->keys[i];

		candidates[count++] = key->name;
		if ((key->type == CONFIG_SECRET || key->file_form) &&
		    count < 127) {
			snprintf(with_file[count], sizeof(with_file[count]),
				 "%s_file", key->name);
			candidates[count] = with_file[count];
			count++;
		}
	}
	section_label(section, label, sizeof(label));
	suggestion = config_suggest(name, candidates, count);
	if (suggestion != NULL)
		report(ctx, line, "%s unknown key '%s' (did you mean '%s'?)",
		       label, name, suggestion);
	else
		report(ctx, line, "%s unknown key '%s'", label, name);
}

static void apply_named(struct load_context *ctx, const char *name,
			const struct toml_member *member);
static bool has_subsections(const char *prefix);

static void apply_member(struct load_context *ctx,
			 const struct config_section *section, size_t index,
			 const struct toml_member *member)
{
	const struct config_key *key = config_find_key(section, member->key);
	char base[64], nested[SECTION_NAME_MAX];
	int n;

	/*
	 * [alerting] and [alerting.slack], [analyzer] and [[analyzer.override]]:
	 * a section may hold sections.
	 */
	n = snprintf(nested, sizeof(nested), "%s.%s", section->name,
		     member->key);
	if (key == NULL && section->element_size == 0 && n > 0 &&
	    (size_t)n < sizeof(nested) &&
	    (member->value->type == TOML_TABLE ||
	     member->value->type == TOML_ARRAY) &&
	    (config_find_section(nested) != NULL || has_subsections(nested))) {
		apply_named(ctx, nested, member);
		return;
	}
	if (key != NULL) {
		apply_key(ctx, section, index, key,
			  field_address(ctx->config, section, index, key),
			  member->value, member->line);
		return;
	}
	if (string_ends_with(member->key, "_file") &&
	    strlen(member->key) - 5 < sizeof(base)) {
		string_copy(base, member->key, strlen(member->key) - 4);
		key = config_find_key(section, base);
		if (key != NULL &&
		    (key->type == CONFIG_SECRET || key->file_form)) {
			apply_secret_file(
			    ctx, section, index, key,
			    field_address(ctx->config, section, index, key),
			    member->value, member->line);
			return;
		}
	}
	report_unknown_key(ctx, section, member->key, member->line);
}

static int apply_text_default(const struct config_key *key, void *field)
{
	char document[512];
	struct toml_error error;
	struct toml_value *root;
	bool stored;

	snprintf(document, sizeof(document), "v = %s\n", key->default_text);
	root = toml_parse(document, strlen(document), &error);
	if (root == NULL)
		return -EINVAL;
	stored = store_value(key, field, toml_table_get(root, "v")) == STORE_OK;
	toml_free(root);
	return stored ? 0 : -EINVAL;
}

static void apply_defaults(struct load_context *ctx,
			   const struct config_section *section, size_t index)
{
	for (size_t i = 0; i < section->key_count; i++) {
		const struct config_key *key = &section->keys[i];

		if (key->default_text == NULL)
			continue;
		if (apply_text_default(key, field_address(ctx->config, section,
							  index, key)) < 0)
			report(ctx, 0, "[%s] %s: built-in default %s is invalid",
			       section->name, key->name, key->default_text);
	}
}

static void apply_named(struct load_context *ctx, const char *name,
			const struct toml_member *member);

static void apply_section(struct load_context *ctx,
			  const struct config_section *section,
			  const struct toml_value *table)
{
	size_t index = 0;

	if (section->element_size != 0) {
		size_t *count = section_count(ctx->config, section);

		if (*count >= section->max_count) {
			report(ctx, table->line,
			       "[[%s]]: at most %zu entries are allowed",
			       section->name, section->max_count);
			return;
		}
		index = (*count)++;
		apply_defaults(ctx, section, index);
	}
	for (size_t i = 0; i < table->as.table.count; i++) {
		const struct toml_member *member = &table->as.table.members[i];
		char sub[SECTION_NAME_MAX];

		/* [[analyzer.override]] inside a plain [analyzer] section. */
		snprintf(sub, sizeof(sub), "%s.%s", section->name, member->key);
		if (section->element_size == 0 &&
		    (member->value->type == TOML_TABLE ||
		     member->value->type == TOML_ARRAY) &&
		    config_find_section(sub) != NULL)
			apply_named(ctx, sub, member);
		else
			apply_member(ctx, section, index, member);
	}
	if (section->element_size != 0 && section->check != NULL) {
		char reason[256] = "";

		if (!section->check((char *)ctx->config + section->offset,
				    index, reason, sizeof(reason)))
			report(ctx, table->line, "[[%s]]: %s", section->name,
			       reason);
	}
}

static bool has_subsections(const char *prefix)
{
	size_t length = strlen(prefix);

	for (size_t i = 0; i < config_section_count; i++)
		if (strncmp(config_sections[i]->name, prefix, length) == 0 &&
		    config_sections[i]->name[length] == '.')
			return true;
	return false;
}

static void report_unknown_section(struct load_context *ctx, const char *name,
				   int line)
{
	const char *candidates[256];
	size_t count = 0;
	const char *suggestion;

	for (size_t i = 0; i < config_section_count && i < 256; i++)
		candidates[count++] = config_sections[i]->name;
	suggestion = config_suggest(name, candidates, count);
	if (suggestion != NULL)
		report(ctx, line, "unknown section [%s] (did you mean [%s]?)",
		       name, suggestion);
	else
		report(ctx, line, "unknown section [%s]", name);
}

static void apply_table(struct load_context *ctx, const struct toml_value *table,
			const char *prefix);

static void apply_named(struct load_context *ctx, const char *name,
			const struct toml_member *member)
{
	const struct config_section *section = config_find_section(name);
	const struct toml_value *value = member->value;

	if (section != NULL && value->type == TOML_TABLE &&
	    (section->element_size == 0 || section->single_table)) {
		apply_section(ctx, section, value);
	} else if (section != NULL && section->element_size != 0 &&
		   value->type == TOML_ARRAY) {
		for (size_t i = 0; i < value->as.array.count; i++) {
			const struct toml_value *item = value->as.array.items[i];

			if (item->type != TOML_TABLE) {
				report(ctx, item->line, "[[%s]]: expected a "
				       "table, got a %s", name,
				       toml_type_name(item->type));
				continue;
			}
			apply_section(ctx, section, item);
		}
	} else if (section != NULL) {
		report(ctx, member->line, "'%s' must be written as %s%s%s",
		       name, section->element_size ? "[[" : "[", name,
		       section->element_size ? "]]" : "]");
	} else if (value->type == TOML_TABLE && has_subsections(name)) {
		apply_table(ctx, value, name);
	} else if (value->type == TOML_TABLE) {
		report_unknown_section(ctx, name, member->line);
	} else if (strchr(name, '.') == NULL) {
		report(ctx, member->line, "key '%s' is outside any section "
		       "(keys belong to a section such as [agent])", name);
	} else {
		report_unknown_section(ctx, name, member->line);
	}
}

static void apply_table(struct load_context *ctx, const struct toml_value *table,
			const char *prefix)
{
	for (size_t i = 0; i < table->as.table.count; i++) {
		const struct toml_member *member = &table->as.table.members[i];
		char name[SECTION_NAME_MAX];
		int n;

		n = *prefix ? snprintf(name, sizeof(name), "%s.%s", prefix,
				       member->key)
			    : snprintf(name, sizeof(name), "%s", member->key);
		if (n < 0 || (size_t)n >= sizeof(name) ||
		    strlen(member->key) != member->key_length) {
			report(ctx, member->line, "unknown section or key '%s'",
			       member->key);
			continue;
		}
		apply_named(ctx, name, member);
	}
}

/* Values that only exist on this machine or in this environment. */
static void apply_environment(struct load_context *ctx)
{
	struct agent_config *agent = &ctx->config->agent;
	const char *state = getenv("STATE_DIRECTORY");

	if (agent->hostname == NULL || agent->hostname[0] == '\0') {
		char name[256];

		if (gethostname(name, sizeof(name)) < 0)
			string_copy(name, "localhost", sizeof(name));
		name[sizeof(name) - 1] = '\0';
		free(agent->hostname);
		agent->hostname = strdup(name);
	}
	/* systemd's StateDirectory= wins; it may list several, first is ours. */
	if (state != NULL && state[0] == '/') {
		size_t length = strcspn(state, ":");
		char *copy = strndup(state, length);

		if (copy != NULL) {
			free(agent->state_dir);
			agent->state_dir = copy;
		}
	}
	if (agent->hostname == NULL || agent->state_dir == NULL)
		report(ctx, 0, "out of memory");
	if (agent->history_secs < agent->collect_interval_secs)
		report(ctx, 0, "[agent] history_secs (%lld) must be at least "
		       "collect_interval_secs (%lld)",
		       (long long)agent->history_secs,
		       (long long)agent->collect_interval_secs);
}

/* Secrets not given in the file may come from systemd credentials. */
static void apply_credentials(struct load_context *ctx)
{
	const char *directory = getenv("CREDENTIALS_DIRECTORY");

	if (directory == NULL || directory[0] == '\0')
		return;
	for (size_t s = 0; s < config_section_count; s++) {
		const struct config_section *section = config_sections[s];

		size_t *count = NULL;

		/* A repeated section's one-entry form takes them too. */
		if (section->element_size != 0 && !section->single_table)
			continue;
		if (section->single_table)
			count = section_count(ctx->config, section);
		if (count != NULL && *count > 1)
			continue;
		for (size_t k = 0; k < section->key_count; k++) {
			const struct config_key *key = &section->keys[k];
			char **field = field_address(ctx->config, section, 0, key);
			char path[PATH_MAX];
			char *secret;

			if (key->type != CONFIG_SECRET || *field != NULL)
				continue;
			snprintf(path, sizeof(path), "%s/%s.%s", directory,
				 section->name, key->name);
			if (read_file_at(AT_FDCWD, path, SECRET_FILE_MAX_BYTES,
					 &secret, NULL) < 0)
				continue;
			string_trim_end(secret);
			if (count != NULL && *count == 0) {
				*count = 1;
				apply_defaults(ctx, section, 0);
			}
			*field = secret;
		}
	}
}

static void check_required(struct load_context *ctx)
{
	for (size_t s = 0; s < config_section_count; s++) {
		const struct config_section *section = config_sections[s];
		size_t count = section->element_size
				       ? *section_count(ctx->config, section)
				       : 1;

		for (size_t index = 0; index < count; index++) {
			char reason[256] = "";

			if (section->check != NULL &&
			    section->element_size == 0 &&
			    !section->check((char *)ctx->config +
						section->offset,
					    0, reason, sizeof(reason)))
				report(ctx, 0, "%s%s%s: %s",
				       section->element_size ? "[[" : "[",
				       section->name,
				       section->element_size ? "]]" : "]",
				       reason);
			for (size_t k = 0; k < section->key_count; k++) {
				const struct config_key *key = &section->keys[k];
				void *field = field_address(ctx->config, section,
							    index, key);

				if (!key->required)
					continue;
				if ((key->type == CONFIG_STRING ||
				     key->type == CONFIG_SECRET) &&
				    *(char **)field == NULL)
					report(ctx, 0, "%s%s%s entry %zu: missing "
					       "required key '%s'",
					       section->element_size ? "[[" : "[",
					       section->name,
					       section->element_size ? "]]" : "]",
					       index + 1, key->name);
			}
		}
	}
}

void config_free(struct config *config)
{
	if (config == NULL)
		return;
	for (size_t s = 0; s < config_section_count; s++) {
		const struct config_section *section = config_sections[s];
		size_t count = section->element_size ? section->max_count : 1;

		for (size_t index = 0; index < count; index++)
			for (size_t k = 0; k < section->key_count; k++)
				free_field(&section->keys[k],
					   field_address(config, section, index,
							 &section->keys[k]));
	}
	for (size_t i = 0; i < config->file_count; i++)
		free(config->files[i]);
	free(config->files);
	free(config->origins);
	free(config->path);
	zeroed_pages_free(config, 1, sizeof(*config));
}

static struct config *config_new(struct load_context *ctx)
{
	/* Pages, not the heap: the tables sized to their limits (overrides,
	 * silences, rules, channels) stay untouched, and cost nothing, until
	 * the configuration fills them. */
	ctx->config = zeroed_pages_alloc(1, sizeof(*ctx->config));
	if (ctx->config == NULL)
		return NULL;
	for (size_t s = 0; s < config_section_count; s++)
		if (config_sections[s]->element_size == 0)
			apply_defaults(ctx, config_sections[s], 0);
	return ctx->config;
}

struct config *config_defaults(void)
{
	struct load_context ctx = { .path = "built-in defaults" };

	if (config_new(&ctx) == NULL)
		return NULL;
	apply_environment(&ctx);
	apply_credentials(&ctx);
	if (ctx.errors > 0) {
		config_free(ctx.config);
		return NULL;
	}
	return ctx.config;
}

/* Opens the file and refuses one that others could have rewritten. */
static int read_config_file(const char *path, char **text, size_t *length,
			    bool *world_readable)
{
	struct stat st;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		log_error_errno(errno, "%s: cannot open", path);
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		log_error("%s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		log_error("%s: refusing a configuration that is %s-writable "
			  "(mode %04o); run: chmod go-w %s", path,
			  st.st_mode & S_IWOTH ? "world" : "group",
			  (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return -EPERM;
	}
	*world_readable = (st.st_mode & S_IROTH) != 0;
	r = read_fd(fd, CONFIG_MAX_BYTES, text, length);
	close(fd);
	if (r == -EFBIG)
		log_error("%s: cannot read: larger than 1 MiB", path);
	else if (r < 0)
		log_error_errno(r, "%s: cannot read", path);
	return r;
}

static char *directory_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Adds one file to config->files; its index becomes ctx->file. */
static int add_file(struct load_context *ctx, const char *name)
{
	struct config *config = ctx->config;
	char **grown =
	    realloc(config->files, (config->file_count + 1) * sizeof(*grown));

	if (grown == NULL)
		return -ENOMEM;
	config->files = grown;
	grown[config->file_count] = strdup(name);
	if (grown[config->file_count] == NULL)
		return -ENOMEM;
	ctx->file = config->file_count++;
	ctx->path = config->files[ctx->file];
	return 0;
}

/* Parses one document and applies it over what earlier files set. */
static int apply_document(struct load_context *ctx, const char *name,
			  const char *directory, const char *text,
			  size_t length)
{
	struct toml_error error = { 0 };
	struct toml_value *root;
	int r = add_file(ctx, name);

	if (r < 0)
		return r;
	ctx->directory = directory;
	ctx->file_has_secrets = false;
	root = toml_parse(text, length, &error);
	if (root == NULL) {
		log_error("%s:%d:%d: %s", name, error.line, error.column,
			  error.message);
		ctx->errors++;
		return -EINVAL;
	}
	apply_table(ctx, root, "");
	toml_free(root);
	return 0;
}

/* After every file: environment, credentials, required keys, checks. */
static int load_finish(struct load_context *ctx, const char *name,
		       struct config **out)
{
	apply_environment(ctx);
	apply_credentials(ctx);
	check_required(ctx);
	if (ctx->errors > 0) {
		if (ctx->errors > ERRORS_REPORTED_MAX)
			log_error("%s: %d more errors not shown", name,
				  ctx->errors - ERRORS_REPORTED_MAX);
		config_free(ctx->config);
		return -EINVAL;
	}
	*out = ctx->config;
	return 0;
}

int config_load_text(const char *name, const char *text, size_t length,
		     struct config **out)
{
	struct load_context ctx = {.path = name};
	int r;

	if (config_new(&ctx) == NULL)
		return -ENOMEM;
	r = apply_document(&ctx, name, NULL, text, length);
	if (r < 0) {
		config_free(ctx.config);
		return r;
	}
	return load_finish(&ctx, name, out);
}

/* Reads one file (main or drop-in) over the configuration so far. */
static int apply_file(struct load_context *ctx, const char *path)
{
	bool world_readable = false;
	char *text = NULL, *directory = directory_of(path);
	size_t length = 0;
	int r;

	if (directory == NULL)
		return -ENOMEM;
	r = read_config_file(path, &text, &length, &world_readable);
	if (r == 0)
		r = apply_document(ctx, path, directory, text, length);
	free(text);
	/* ctx->directory pointed into it: *_file paths are resolved above. */
	ctx->directory = NULL;
	free(directory);
	if (r == 0 && ctx->file_has_secrets && world_readable)
		log_warning("%s holds secrets and is world-readable; run: "
			    "chmod o-r %s (or move them to *_file / systemd "
			    "credentials)", path, path);
	return r;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_dropin_name(const char *name)
{
	/* Editors' and package managers' leftovers start with a dot or end
	 * otherwise (.toml~, .toml.dpkg-old, .toml.rpmsave). */
	return name[0] != '.' && string_ends_with(name, CONFIG_DROPIN_SUFFIX) &&
	       strlen(name) > strlen(CONFIG_DROPIN_SUFFIX);
}

/*
 * The names of <directory>/conf.d/NAME.toml, sorted, into *names (count in
 * *count). No directory is no drop-ins; one that others may write to is
 * refused like a writable file.
 */
static int list_dropins(const char *directory, char ***names, size_t *count)
{
	struct dirent *entry;
	struct stat st;
	DIR *dir = opendir(directory);
	int r = 0;

	*names = NULL;
	*count = 0;
	if (dir == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		r = -errno;
		log_error_errno(errno, "%s: cannot list drop-ins", directory);
		return r;
	}
	if (fstat(dirfd(dir), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		log_error("%s: refusing drop-ins from a directory that is "
			  "%s-writable (mode %04o); run: chmod go-w %s",
			  directory, st.st_mode & S_IWOTH ? "world" : "group",
			  (unsigned)(st.st_mode & 07777), directory);
		closedir(dir);
		return -EPERM;
	}
	*names = calloc(CONFIG_DROPINS_MAX, sizeof(**names));
	if (*names == NULL) {
		closedir(dir);
		return -ENOMEM;
	}
	while ((entry = readdir(dir)) != NULL) {
		if (!is_dropin_name(entry->d_name))
			continue;
		if (*count == CONFIG_DROPINS_MAX) {
			log_error("%s: more than %d drop-ins", directory,
				  CONFIG_DROPINS_MAX);
			r = -E2BIG;
			break;
		}
		(*names)[*count] = strdup(entry->d_name);
		if ((*names)[*count] == NULL) {
			r = -ENOMEM;
			break;
		}
		(*count)++;
	}
	closedir(dir);
	qsort(*names, *count, sizeof(**names), compare_names);
	return r;
}

static int apply_dropins(struct load_context *ctx, const char *main_path)
{
	char *base = directory_of(main_path), *directory = NULL, **names;
	size_t count = 0;
	int r = -ENOMEM;

	if (base != NULL &&
	    asprintf(&directory, "%s/%s", base, CONFIG_DROPIN_DIRECTORY) < 0)
		directory = NULL;
	free(base);
	if (directory == NULL)
		return -ENOMEM;
	r = list_dropins(directory, &names, &count);
	for (size_t i = 0; r == 0 && i < count; i++) {
		char *path = NULL;
		int applied;

		if (asprintf(&path, "%s/%s", directory, names[i]) < 0) {
			r = -ENOMEM;
			break;
		}
		/* Every file is read, so every file's errors are shown; one
		 * that cannot be read at all (refused, unreadable) stops. */
		applied = apply_file(ctx, path);
		if (applied < 0 && ctx->errors == 0)
			r = applied;
		free(path);
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	free(directory);
	return r;
}

int config_load(const char *path, bool path_must_exist, struct config **out)
{
	struct load_context ctx = {.path = "built-in defaults"};
	int r = 0;

	if (path == NULL) {
		*out = config_defaults();
		return *out ? 0 : -EINVAL;
	}
	if (config_new(&ctx) == NULL)
		return -ENOMEM;
	if (!path_must_exist && access(path, F_OK) < 0 && errno == ENOENT)
		log_notice("%s does not exist; using built-in defaults", path);
	else
		r = apply_file(&ctx, path);
	/* A main file that cannot be read is no configuration at all. */
	if (r == 0 || ctx.errors > 0) {
		int dropins = apply_dropins(&ctx, path);

		if (dropins < 0 && ctx.errors == 0)
			r = dropins;
	}
	if (r < 0 && ctx.errors == 0) {
		config_free(ctx.config);
		return r;
	}
	r = load_finish(&ctx, path, out);
	if (r == 0 && access(path, F_OK) == 0)
		(*out)->path = strdup(path);
	return r;
}

const char *config_resolve_path(const char *from_command_line, bool *must_exist)
{
	const char *from_environment = getenv("SYSOPS_AGENT_CONFIG");

	*must_exist = true;
	if (from_command_line != NULL)
		return from_command_line;
	if (from_environment != NULL && from_environment[0] != '\0')
		return from_environment;
	*must_exist = false;
	return CONFIG_DEFAULT_PATH;
}
