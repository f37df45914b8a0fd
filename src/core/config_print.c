/*
 * config_print.c - writes the effective configuration back out as TOML.
 *
 * This is what `check-config` shows: every key with the value in force
 * (defaults included), secrets replaced by "***" so the output can be pasted
 * into a ticket.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"

static void print_string(const char *s, FILE *stream)
{
	fputc('"', stream);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(stream, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", stream);
		else if (c == '\t')
			fputs("\\t", stream);
		else if (c < 0x20 || c == 0x7f)
			fprintf(stream, "\\u%04x", c);
		else
			fputc(c, stream);
	}
	fputc('"', stream);
}

static void print_key(const struct config_key *key, const void *field,
		      FILE *stream)
{
	const char *text;

	switch (key->type) {
	case CONFIG_BOOLEAN:
		fprintf(stream, "%s = %s\n", key->name,
			*(const bool *)field ? "true" : "false");
		break;
	case CONFIG_INTEGER:
		fprintf(stream, "%s = %" PRId64 "\n", key->name,
			*(const int64_t *)field);
		break;
	case CONFIG_FLOAT:
		fprintf(stream, "%s = %.17g\n", key->name, *(const double *)field);
		break;
	case CONFIG_STRING:
	case CONFIG_SECRET:
		text = *(const char *const *)field;
		if (text == NULL) {
			fprintf(stream, "# %s is not set\n", key->name);
			break;
		}
		fprintf(stream, "%s = ", key->name);
		print_string(key->type == CONFIG_SECRET ? "***" : text, stream);
		fputc('\n', stream);
		break;
	case CONFIG_STRING_LIST: {
		const struct config_string_list *list = field;

		fprintf(stream, "%s = [", key->name);
		for (size_t i = 0; i < list->count; i++) {
			fputs(i ? ", " : "", stream);
			print_string(list->items[i], stream);
		}
		fputs("]\n", stream);
		break;
	}
	case CONFIG_STRING_TABLE: {
		const struct config_string_list *table = field;

		fprintf(stream, "%s = {", key->name);
		for (size_t i = 0; i < table->count; i++) {
			const char *item = table->items[i];
			const char *equals = strchr(item, '=');
			char name[128];

			snprintf(name, sizeof(name), "%.*s",
				 (int)(equals - item), item);
			fputs(i ? ", " : " ", stream);
			print_string(name, stream);
			fputs(" = ", stream);
			print_string(equals + 1, stream);
		}
		fputs(table->count ? " }\n" : "}\n", stream);
		break;
	}
	}
}

static void print_section(const struct config *config,
			  const struct config_section *section, size_t index,
			  FILE *stream)
{
	const char *base = (const char *)config + section->offset +
			   index * section->element_size;

	fprintf(stream, section->element_size ? "\n[[%s]]\n" : "\n[%s]\n",
		section->name);
	for (size_t k = 0; k < section->key_count; k++) {
		const struct config_origin *origin =
		    config_origin_of(config, section, index, &section->keys[k]);

		/* Which file set it: with drop-ins, the one that won. */
		if (origin != NULL)
			fprintf(stream, "# %s:%d\n",
				config->files[origin->file], origin->line);
		print_key(&section->keys[k], base + section->keys[k].offset,
			  stream);
	}
}

void config_print(const struct config *config, FILE *stream)
{
	fprintf(stream, "# effective configuration%s%s\n",
		config->path ? " from " : " (built-in defaults)",
		config->path ? config->path : "");
	for (size_t s = 0; s < config_section_count; s++) {
		const struct config_section *section = config_sections[s];
		size_t count = 1;

		if (section->element_size != 0)
			count = *(const size_t *)((const char *)config +
						  section->count_offset);
		for (size_t index = 0; index < count; index++)
			print_section(config, section, index, stream);
	}
}
