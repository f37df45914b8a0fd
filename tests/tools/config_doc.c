/*
 * config_doc.c - prints the configuration schema (config_sections[]) for the
 * documentation: `--keys` lists "section key" lines for the tests that check
 * etc/sysops-agent.toml and man/sysops-agent.toml.5, `--mdoc` writes the key
 * reference that man/generate puts into sysops-agent.toml(5).
 */
#include <stdio.h>
#include <string.h>

#include "core/config.h"

static const char *type_name(enum config_type type)
{
	switch (type) {
	case CONFIG_BOOLEAN:
		return "boolean";
	case CONFIG_INTEGER:
		return "integer";
	case CONFIG_FLOAT:
		return "number";
	case CONFIG_STRING:
		return "string";
	case CONFIG_SECRET:
		return "secret string";
	case CONFIG_STRING_LIST:
		return "list of strings";
	case CONFIG_STRING_TABLE:
		return "table of strings";
	}
	return "value";
}

/* Text for roff: backslashes escaped, quotes as \(dq when asked. */
static void put_escaped(const char *text, size_t length, bool quotes)
{
	for (size_t i = 0; i < length; i++) {
		if (text[i] == '\\')
			fputs("\\e", stdout);
		else if (text[i] == '"' && quotes)
			fputs("\\(dq", stdout);
		else if (text[i] == '\n')
			fputc(' ', stdout);
		else
			fputc(text[i], stdout);
	}
}

/* Longest text line written; mandoc's lint asks for at most 80 bytes. */
#define LINE_MAX_BYTES 78

/* One word; a line may not start with a roff control character. */
static void put_word(const char *word, size_t length, size_t *column)
{
	if (*column > 0 && *column + 1 + length > LINE_MAX_BYTES) {
		fputc('\n', stdout);
		*column = 0;
	} else if (*column > 0) {
		fputc(' ', stdout);
		(*column)++;
	}
	if (*column == 0 && (word[0] == '.' || word[0] == '\''))
		fputs("\\&", stdout);
	put_escaped(word, length, false);
	*column += length;
}

/*
 * One sentence per line, as roff expects (a period in mid-line reads as an
 * abbreviation), wrapped at word boundaries.
 */
static void put_sentences(const char *text)
{
	size_t column = 0;

	for (const char *p = text; *p != '\0';) {
		size_t length;
		bool sentence_end;

		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		length = strcspn(p, " ");
		sentence_end = strchr(".?!", p[length - 1]) != NULL &&
			       p[length] == ' ' && p[length + 1] >= 'A' &&
			       p[length + 1] <= 'Z';
		put_word(p, length, &column);
		p += length;
		if (sentence_end) {
			fputc('\n', stdout);
			column = 0;
		}
	}
	if (column > 0)
		fputc('\n', stdout);
}

static void print_number(double value)
{
	printf("%.15g", value);
}

static void print_key_mdoc(const struct config_section *section,
			   const struct config_key *key)
{
	printf(".It Cm %s Pq %s\n", key->name, type_name(key->type));
	put_sentences(key->description ? key->description : "Undocumented.");
	if (key->choices != NULL) {
		fputs("One of", stdout);
		for (size_t i = 0; key->choices[i] != NULL; i++) {
			printf("%s\n.Qq \"", i ? " ," : "");
			put_escaped(key->choices[i], strlen(key->choices[i]),
				    true);
			fputc('"', stdout);
		}
		fputs(" .\n", stdout);
	}
	if (key->minimum != 0 || key->maximum != 0) {
		fputs("From ", stdout);
		print_number(key->minimum);
		fputs(" to ", stdout);
		print_number(key->maximum);
		fputs(".\n", stdout);
	}
	if (key->required)
		fputs("Required.\n", stdout);
	if (key->default_text != NULL && key->default_text[0] == '[' &&
	    strchr(key->default_text, ' ') != NULL) {
		/* A list: one argument per element, so that groff may break
		 * between them (it cannot break inside a quoted argument), in
		 * a ragged display (a line holding one long element cannot be
		 * adjusted: groff 1.23 warns). Each element starts with \(dq,
		 * so none reads as a macro. */
		const char *word = key->default_text;

		fputs("Default:\n.Bd -ragged -offset indent\n.Li", stdout);
		while (*word != '\0') {
			size_t length = strcspn(word, " ");

			fputc(' ', stdout);
			put_escaped(word, length, true);
			word += length;
			word += strspn(word, " ");
		}
		fputs("\n.Ed\n", stdout);
	} else if (key->default_text != NULL) {
		fputs("Default:\n.Li \"", stdout);
		put_escaped(key->default_text, strlen(key->default_text),
			    true);
		fputs("\" .\n", stdout);
	} else if (!key->required) {
		fputs("Unset by default.\n", stdout);
	}
	if (key->type == CONFIG_SECRET &&
	    (section->element_size == 0 || section->single_table))
		printf("Also read from the file named by\n.Cm %s_file ,\n"
		       "or from the systemd credential\n.Dq %s.%s .\n",
		       key->name, section->name, key->name);
	else if (key->type == CONFIG_SECRET || key->file_form)
		printf("Also read from the file named by\n.Cm %s_file .\n",
		       key->name);
}

static void print_section_mdoc(const struct config_section *section)
{
	if (section->element_size != 0)
		printf(".Ss \\&[[%s]]\\&\n", section->name);
	else
		printf(".Ss \\&[%s]\\&\n", section->name);
	if (section->description != NULL)
		put_sentences(section->description);
	if (section->element_size != 0)
		printf("This table may be repeated up to %zu times.\n",
		       section->max_count);
	printf(".Bl -tag -width Ds\n");
	for (size_t k = 0; k < section->key_count; k++)
		print_key_mdoc(section, &section->keys[k]);
	printf(".El\n");
}

int main(int argc, char **argv)
{
	bool keys = argc == 2 && strcmp(argv[1], "--keys") == 0;
	bool mdoc = argc == 2 && strcmp(argv[1], "--mdoc") == 0;

	if (!keys && !mdoc) {
		fprintf(stderr, "usage: config_doc --keys | --mdoc\n");
		return 2;
	}
	for (size_t s = 0; s < config_section_count; s++) {
		const struct config_section *section = config_sections[s];

		if (mdoc) {
			print_section_mdoc(section);
			continue;
		}
		for (size_t k = 0; k < section->key_count; k++)
			printf("%s %s %s\n", section->name,
			       section->keys[k].name,
			       section->element_size ? "repeated" : "single");
	}
	return 0;
}
