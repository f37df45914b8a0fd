/*
 * toml_decoder.c - toml-test decoder for the agent's TOML parser.
 *
 * Reads one TOML document on stdin and prints it as toml-test tagged JSON,
 * or exits 1 with the parser's error on stderr if the document is invalid.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/toml.h"

static void print_value(const struct toml_value *);

/* Whole stdin into memory; the parser gets it without a terminating NUL. */
static char *
read_all(FILE *fp, size_t *length)
{
	size_t cap = 65536, len = 0, n;
	char *buf = malloc(cap), *grown;

	if (buf == NULL)
		return NULL;
	while ((n = fread(buf + len, 1, cap - len, fp)) > 0) {
		len += n;
		if (len == cap) {
			if (cap > SIZE_MAX / 2 ||
			    (grown = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = grown;
			cap *= 2;
		}
	}
	if (ferror(fp)) {
		free(buf);
		return NULL;
	}
	*length = len;
	return buf;
}

/* JSON string: escapes quotes, backslashes and control bytes, UTF-8 raw. */
static void
print_string(const char *s, size_t n)
{
	size_t i;

	putchar('"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				printf("\\u%04x", c);
			else
				putchar(c);
		}
	}
	putchar('"');
}

static void
print_tagged(const char *type, const char *text)
{
	printf("{\"type\":\"%s\",\"value\":", type);
	print_string(text, strlen(text));
	putchar('}');
}

/* Shortest %g form that reads back as the same double. */
static void
format_float(double d, char *out, size_t size)
{
	int precision;

	if (isnan(d)) {
		snprintf(out, size, "nan");
		return;
	}
	if (isinf(d)) {
		snprintf(out, size, "%s", d < 0 ? "-inf" : "inf");
		return;
	}
	for (precision = 15; precision < 17; precision++) {
		snprintf(out, size, "%.*g", precision, d);
		if (strtod(out, NULL) == d)
			return;
	}
	snprintf(out, size, "%.17g", d);
}

/* RFC 3339 text for the four date and time types. */
static void
format_datetime(enum toml_type type, const struct toml_datetime *dt,
    char *out, size_t size)
{
	size_t o = 0;
	int frac_digits = 9, frac = dt->nanosecond;

	if (type != TOML_TIME_LOCAL)
		o += (size_t)snprintf(out + o, size - o, "%04d-%02d-%02d",
		    dt->year, dt->month, dt->day);
	if (type == TOML_DATE_LOCAL)
		return;
	if (type != TOML_TIME_LOCAL)
		out[o++] = 'T';
	o += (size_t)snprintf(out + o, size - o, "%02d:%02d:%02d",
	    dt->hour, dt->minute, dt->second);
	if (frac != 0) {
		while (frac % 10 == 0) {
			frac /= 10;
			frac_digits--;
		}
		o += (size_t)snprintf(out + o, size - o, ".%0*d", frac_digits,
		    frac);
	}
	if (type != TOML_DATETIME)
		return;
	if (dt->offset_minutes == 0)
		snprintf(out + o, size - o, "Z");
	else
		snprintf(out + o, size - o, "%c%02d:%02d",
		    dt->offset_minutes < 0 ? '-' : '+',
		    abs(dt->offset_minutes) / 60, abs(dt->offset_minutes) % 60);
}

static void
print_table(const struct toml_value *table)
{
	size_t i;

	putchar('{');
	for (i = 0; i < table->as.table.count; i++) {
		const struct toml_member *m = &table->as.table.members[i];

		if (i > 0)
			putchar(',');
		print_string(m->key, m->key_length);
		putchar(':');
		print_value(m->value);
	}
	putchar('}');
}

static void
print_array(const struct toml_value *array)
{
	size_t i;

	putchar('[');
	for (i = 0; i < array->as.array.count; i++) {
		if (i > 0)
			putchar(',');
		print_value(array->as.array.items[i]);
	}
	putchar(']');
}

static void
print_value(const struct toml_value *v)
{
	char text[64];

	switch (v->type) {
	case TOML_TABLE:
		print_table(v);
		break;
	case TOML_ARRAY:
		print_array(v);
		break;
	case TOML_STRING:
		fputs("{\"type\":\"string\",\"value\":", stdout);
		print_string(v->as.string.bytes, v->as.string.length);
		putchar('}');
		break;
	case TOML_INTEGER:
		snprintf(text, sizeof(text), "%lld", (long long)v->as.integer);
		print_tagged("integer", text);
		break;
	case TOML_FLOAT:
		format_float(v->as.floating, text, sizeof(text));
		print_tagged("float", text);
		break;
	case TOML_BOOLEAN:
		print_tagged("bool", v->as.boolean ? "true" : "false");
		break;
	case TOML_DATETIME:
	case TOML_DATETIME_LOCAL:
	case TOML_DATE_LOCAL:
	case TOML_TIME_LOCAL:
		format_datetime(v->type, &v->as.datetime, text, sizeof(text));
		print_tagged(v->type == TOML_DATETIME ? "datetime" :
		    v->type == TOML_DATETIME_LOCAL ? "datetime-local" :
		    v->type == TOML_DATE_LOCAL ? "date-local" : "time-local",
		    text);
		break;
	}
}

int
main(void)
{
	struct toml_error error;
	struct toml_value *root;
	size_t length = 0;
	char *text;

	if ((text = read_all(stdin, &length)) == NULL) {
		fprintf(stderr, "toml-decoder: cannot read stdin\n");
		return 1;
	}
	root = toml_parse(text, length, &error);
	free(text);
	if (root == NULL) {
		fprintf(stderr, "toml-decoder: line %d, column %d: %s\n",
		    error.line, error.column, error.message);
		return 1;
	}
	print_value(root);
	putchar('\n');
	toml_free(root);
	if (fflush(stdout) == EOF || ferror(stdout))
		return 1;
	return 0;
}
