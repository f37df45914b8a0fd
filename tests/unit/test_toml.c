/*
 * test_toml.c - unit tests for the TOML parser (src/core/toml.c).
 *
 * The conformance suite proves accept/reject; these tests pin down what the
 * config loader relies on beyond that: line numbers, error positions and
 * messages, limits, and the lookup helpers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/toml.h"

/* Parses a NUL-terminated literal; the test fails if it is rejected. */
static struct toml_value *
parse_ok(const char *text)
{
	struct toml_error error;
	struct toml_value *root;

	root = toml_parse(text, strlen(text), &error);
	if (root == NULL)
		fail_msg("unexpected error at %d:%d: %s", error.line,
		    error.column, error.message);
	return root;
}

/* Parses text that must be rejected and returns the error. */
static struct toml_error
parse_bad(const char *text, size_t length)
{
	struct toml_error error;
	struct toml_value *root;

	root = toml_parse(text, length, &error);
	if (root != NULL) {
		toml_free(root);
		fail_msg("document was accepted: %s", text);
	}
	return error;
}

static struct toml_error
parse_bad_str(const char *text)
{
	return parse_bad(text, strlen(text));
}

static void
assert_message_contains(const struct toml_error *error, const char *needle)
{
	if (strstr(error->message, needle) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", error->message, needle);
}

static void
test_lines_of_keys_and_tables(void **state)
{
	const struct toml_member *m;
	const struct toml_value *t;
	struct toml_value *root;

	(void)state;
	root = parse_ok("# config\n"
	    "name = \"agent\"\n"
	    "\n"
	    "[server]\n"
	    "port = 8080\n"
	    "text = \"\"\"\n"
	    "one\n"
	    "two\"\"\"\n"
	    "after = true\n"
	    "[server.tls.files]\n"
	    "a.b.c = 1\n");
	m = toml_table_member(root, "name");
	assert_non_null(m);
	assert_int_equal(m->line, 2);
	assert_int_equal(m->value->line, 2);

	m = toml_table_member(root, "server");
	assert_non_null(m);
	assert_int_equal(m->line, 4);
	assert_int_equal(m->value->line, 4);
	t = m->value;
	assert_int_equal(toml_table_member(t, "port")->line, 5);
	/* A multi-line string belongs to the line it starts on... */
	assert_int_equal(toml_table_member(t, "text")->value->line, 6);
	/* ...and the lines inside it are still counted. */
	assert_int_equal(toml_table_member(t, "after")->line, 9);

	/* Tables created by a longer header get that header's line. */
	m = toml_table_member(t, "tls");
	assert_non_null(m);
	assert_int_equal(m->line, 10);
	t = toml_table_get(m->value, "files");
	assert_non_null(t);
	assert_int_equal(t->line, 10);

	/* Dotted keys create tables on the line of the key. */
	t = toml_table_get(t, "a");
	assert_non_null(t);
	assert_int_equal(t->line, 11);
	toml_free(root);
}

static void
test_implicit_table_takes_line_of_its_header(void **state)
{
	const struct toml_member *m;
	struct toml_value *root;

	(void)state;
	root = parse_ok("[a.b]\nx = 1\n\n[a]\ny = 2\n");
	m = toml_table_member(root, "a");
	assert_non_null(m);
	assert_int_equal(m->line, 4);
	assert_int_equal(m->value->line, 4);
	assert_int_equal(toml_table_member(m->value, "b")->line, 1);
	toml_free(root);
}

static void
test_error_line_and_column(void **state)
{
	struct toml_error error;

	(void)state;
	error = parse_bad_str("a = 1\nb = 2\nport = @\n");
	assert_int_equal(error.line, 3);
	assert_int_equal(error.column, 8);
	assert_message_contains(&error, "expected a value");

	error = parse_bad_str("a = 1\n\nport 8080\n");
	assert_int_equal(error.line, 3);
	assert_int_equal(error.column, 6);
	assert_message_contains(&error, "expected '=' after key");

	/* CRLF files count lines the same way. */
	error = parse_bad_str("a = 1\r\nb = 2\r\nc = \"\\q\"\r\n");
	assert_int_equal(error.line, 3);
	assert_int_equal(error.column, 6);
	assert_message_contains(&error, "invalid escape '\\q' in string");

	/* After a multi-line string the line count is still right. */
	error = parse_bad_str("s = '''\n\n\n'''\nx = 1 y\n");
	assert_int_equal(error.line, 5);
	assert_int_equal(error.column, 7);
}

static void
test_duplicate_keys(void **state)
{
	struct toml_error error;

	(void)state;
	error = parse_bad_str("port = 1\nport = 2\n");
	assert_int_equal(error.line, 2);
	assert_int_equal(error.column, 1);
	assert_string_equal(error.message, "duplicate key 'port'");

	/* Quoting does not make a key different. */
	error = parse_bad_str("port = 1\n\"port\" = 2\n");
	assert_message_contains(&error, "duplicate key 'port'");

	error = parse_bad_str("[db]\nhost.name = 'a'\nhost.name = 'b'\n");
	assert_int_equal(error.line, 3);
	assert_message_contains(&error, "duplicate key 'host.name'");

	error = parse_bad_str("[a]\nx = 1\n[b]\n[a]\n");
	assert_int_equal(error.line, 4);
	assert_message_contains(&error, "already defined");

	error = parse_bad_str("t = {x = 1}\n[t]\n");
	assert_int_equal(error.line, 2);

	error = parse_bad_str("t = {x = 1}\nt.y = 2\n");
	assert_message_contains(&error, "inline table 't' cannot be extended");

	error = parse_bad_str("[a.b]\n[a]\nb.c = 1\n");
	assert_int_equal(error.line, 3);
}

static void
test_nested_tables_and_arrays_of_tables(void **state)
{
	const struct toml_value *servers, *first, *second, *tls;
	struct toml_value *root;

	(void)state;
	root = parse_ok("[[servers]]\n"
	    "name = \"a\"\n"
	    "[servers.tls]\n"
	    "cert = \"a.pem\"\n"
	    "\n"
	    "[[servers]]\n"
	    "name = \"b\"\n"
	    "[[servers.ports]]\n"
	    "n = 1\n"
	    "[[servers.ports]]\n"
	    "n = 2\n");
	servers = toml_table_get(root, "servers");
	assert_non_null(servers);
	assert_int_equal(servers->type, TOML_ARRAY);
	assert_int_equal(servers->as.array.count, 2);
	assert_int_equal(toml_table_member(root, "servers")->line, 1);

	first = servers->as.array.items[0];
	second = servers->as.array.items[1];
	assert_int_equal(first->line, 1);
	assert_int_equal(second->line, 6);
	assert_string_equal(toml_table_get(first, "name")->as.string.bytes,
	    "a");
	tls = toml_table_get(first, "tls");
	assert_non_null(tls);
	assert_string_equal(toml_table_get(tls, "cert")->as.string.bytes,
	    "a.pem");
	/* [servers.tls] went into the first element, not the second. */
	assert_null(toml_table_get(second, "tls"));
	assert_int_equal(toml_table_get(second, "ports")->as.array.count, 2);
	assert_int_equal(toml_table_get(second, "ports")->as.array.items[1]
	    ->line, 10);
	assert_null(toml_table_get(first, "ports"));
	toml_free(root);

	/* A static array cannot be extended with [[...]]. */
	parse_bad_str("servers = []\n[[servers]]\n");
}

static void
test_string_escapes(void **state)
{
	const struct toml_value *v;
	struct toml_value *root;

	(void)state;
	root = parse_ok("s = \"tab\\there\\n\\\"q\\\" \\\\ \\u00e9 "
	    "\\U0001F600 \\b\\f\\r\"\n"
	    "lit = 'C:\\path\\n'\n"
	    "ml = \"\"\"\n  one \\\n    two\"\"\"\n"
	    "crlf = \"\"\"a\r\nb\"\"\"\n"
	    "quotes = \"\"\"\"\"x\"\"\"\"\"\n");
	v = toml_table_get(root, "s");
	assert_string_equal(v->as.string.bytes, "tab\there\n\"q\" \\ "
	    "\xc3\xa9 \xf0\x9f\x98\x80 \b\f\r");
	assert_string_equal(toml_table_get(root, "lit")->as.string.bytes,
	    "C:\\path\\n");
	/* The backslash at the end of the line swallows the whitespace. */
	assert_string_equal(toml_table_get(root, "ml")->as.string.bytes,
	    "  one two");
	assert_string_equal(toml_table_get(root, "crlf")->as.string.bytes,
	    "a\nb");
	assert_string_equal(toml_table_get(root, "quotes")->as.string.bytes,
	    "\"\"x\"\"");
	toml_free(root);

	parse_bad_str("s = \"\\uD800\"\n");
	parse_bad_str("s = \"\\u12\"\n");
	parse_bad_str("s = \"a\tb\nc\"\n");
}

static void
test_nul_in_strings_and_keys(void **state)
{
	const struct toml_value *v;
	const struct toml_member *m;
	struct toml_value *root;

	(void)state;
	root = parse_ok("s = \"a\\u0000b\"\n\"k\\u0000x\" = 1\n");
	v = toml_table_get(root, "s");
	assert_non_null(v);
	assert_int_equal(v->as.string.length, 3);
	assert_memory_equal(v->as.string.bytes, "a\0b", 4);

	m = &root->as.table.members[1];
	assert_int_equal(m->key_length, 3);
	assert_memory_equal(m->key, "k\0x", 4);
	/* A C-string lookup stops at the NUL, so "k" must not match it. */
	assert_null(toml_table_get(root, "k"));
	toml_free(root);

	/* A raw NUL byte is never allowed, only the escape. */
	parse_bad("s = \"a\0b\"\n", 10);
}

static void
test_integers_and_overflow(void **state)
{
	struct toml_error error;
	struct toml_value *root;

	(void)state;
	root = parse_ok("max = 9223372036854775807\n"
	    "min = -9223372036854775808\n"
	    "hex = 0x7fff_ffff_ffff_ffff\n"
	    "oct = 0o755\n"
	    "bin = 0b1010\n"
	    "us = 1_000_000\n");
	assert_true(toml_table_get(root, "max")->as.integer == INT64_MAX);
	assert_true(toml_table_get(root, "min")->as.integer == INT64_MIN);
	assert_true(toml_table_get(root, "hex")->as.integer == INT64_MAX);
	assert_int_equal(toml_table_get(root, "oct")->as.integer, 0755);
	assert_int_equal(toml_table_get(root, "bin")->as.integer, 10);
	assert_int_equal(toml_table_get(root, "us")->as.integer, 1000000);
	toml_free(root);

	error = parse_bad_str("n = 9223372036854775808\n");
	assert_message_contains(&error, "does not fit in 64 bits");
	assert_int_equal(error.column, 5);
	parse_bad_str("n = -9223372036854775809\n");
	parse_bad_str("n = 0x8000000000000000\n");
	parse_bad_str("n = 99999999999999999999999999\n");
	parse_bad_str("n = 1__0\n");
	parse_bad_str("n = 012\n");
	parse_bad_str("n = 1e999\n");
}

static void
test_floats_dates_and_times(void **state)
{
	const struct toml_value *v;
	struct toml_value *root;

	(void)state;
	root = parse_ok("f = -1.5e3\n"
	    "i = -inf\n"
	    "n = nan\n"
	    "leap = 2024-02-29\n"
	    "dt = 1979-05-27 07:32:00.5-07:30\n"
	    "t = 23:59:60.123456789999\n");
	assert_true(toml_table_get(root, "f")->as.floating == -1500.0);
	assert_true(isinf(toml_table_get(root, "i")->as.floating));
	assert_true(toml_table_get(root, "i")->as.floating < 0);
	assert_true(isnan(toml_table_get(root, "n")->as.floating));

	v = toml_table_get(root, "leap");
	assert_int_equal(v->type, TOML_DATE_LOCAL);
	assert_int_equal(v->as.datetime.day, 29);

	v = toml_table_get(root, "dt");
	assert_int_equal(v->type, TOML_DATETIME);
	assert_int_equal(v->as.datetime.hour, 7);
	assert_int_equal(v->as.datetime.nanosecond, 500000000);
	assert_int_equal(v->as.datetime.offset_minutes, -450);

	/* Extra fraction digits are truncated, not rounded. */
	v = toml_table_get(root, "t");
	assert_int_equal(v->type, TOML_TIME_LOCAL);
	assert_int_equal(v->as.datetime.nanosecond, 123456789);
	toml_free(root);

	parse_bad_str("d = 2023-02-29\n");
	parse_bad_str("d = 1900-02-29\n");
	parse_bad_str("d = 2024-04-31\n");
	parse_bad_str("t = 24:00:00\n");
	parse_bad_str("d = 2024-01-01T00:00:00+24:00\n");
	root = parse_ok("d = 2000-02-29\n");
	toml_free(root);
}

static char *
repeat(const char *prefix, char open, char close, int n)
{
	size_t plen = strlen(prefix);
	char *s = malloc(plen + 2 * (size_t)n + 2);
	int i;

	assert_non_null(s);
	memcpy(s, prefix, plen);
	for (i = 0; i < n; i++)
		s[plen + (size_t)i] = open;
	for (i = 0; i < n; i++)
		s[plen + (size_t)n + (size_t)i] = close;
	s[plen + 2 * (size_t)n] = '\n';
	s[plen + 2 * (size_t)n + 1] = '\0';
	return s;
}

static void
test_depth_limit(void **state)
{
	struct toml_error error;
	struct toml_value *root;
	char *text, *p;
	int i;

	(void)state;
	/* "a" is level 1, so 63 more arrays inside it reach the limit. */
	text = repeat("a = ", '[', ']', 64);
	root = parse_ok(text);
	toml_free(root);
	free(text);

	text = repeat("a = ", '[', ']', 65);
	error = parse_bad_str(text);
	assert_message_contains(&error, "nest more than 64 levels");
	free(text);

	/* Far past the limit must fail cleanly, not exhaust the stack. */
	text = repeat("a = ", '[', ']', 100000);
	parse_bad_str(text);
	free(text);

	/* Dotted keys and headers count towards the same limit. */
	text = malloc(3 * 200 + 16);
	assert_non_null(text);
	for (i = 0, p = text; i < 200; i++)
		p += sprintf(p, "%sk", i > 0 ? "." : "");
	strcpy(p, " = 1\n");
	error = parse_bad_str(text);
	assert_message_contains(&error, "nest more than");
	p = strstr(text, " = 1");
	memmove(text + 1, text, (size_t)(p - text));
	text[0] = '[';
	strcpy(p + 1, "]\n");
	error = parse_bad_str(text);
	assert_message_contains(&error, "nest more than");
	free(text);

	text = repeat("a = ", '{', '}', 3);
	parse_bad_str(text);	/* "{{" is not a key */
	free(text);
}

static void
test_input_need_not_be_terminated(void **state)
{
	struct toml_error error;
	struct toml_value *root;
	char *text;

	(void)state;
	/* Exactly sized heap copies so ASan catches any read past the end. */
	text = malloc(5);
	assert_non_null(text);
	memcpy(text, "a = 12345", 5);
	root = toml_parse(text, 5, &error);
	assert_non_null(root);
	assert_int_equal(toml_table_get(root, "a")->as.integer, 1);
	toml_free(root);

	memcpy(text, "s = \"", 5);
	error = parse_bad(text, 5);
	assert_message_contains(&error, "unterminated string");
	free(text);

	root = toml_parse("", 0, NULL);
	assert_non_null(root);
	assert_int_equal(root->as.table.count, 0);
	toml_free(root);
	assert_null(toml_parse("=", 1, NULL));
}

static void
test_encoding(void **state)
{
	struct toml_error error;
	struct toml_value *root;

	(void)state;
	root = parse_ok("\xef\xbb\xbf" "a = 1\n");
	assert_non_null(toml_table_get(root, "a"));
	toml_free(root);

	error = parse_bad_str("a = 1\n# caf\xe9\n");
	assert_int_equal(error.line, 2);
	assert_int_equal(error.column, 6);
	assert_message_contains(&error, "UTF-8");

	error = parse_bad_str("a = 1 # bell \x07\n");
	assert_message_contains(&error, "control character U+0007");
	parse_bad_str("a = 1\rb = 2\n");
	parse_bad_str("a = \"\xed\xa0\x80\"\n");	/* encoded surrogate */
	parse_bad_str("a = \"\xc0\xaf\"\n");		/* overlong '/' */
	parse_bad_str("a = 1\n\xef\xbb\xbf" "b = 2\n");
}

static void
test_lookup_helpers(void **state)
{
	const struct toml_member *m;
	const struct toml_value *arr;
	struct toml_value *root;

	(void)state;
	root = parse_ok("\n[t]\nk = [1, 'two', 3.0]\n");
	m = toml_table_member(toml_table_get(root, "t"), "k");
	assert_non_null(m);
	assert_string_equal(m->key, "k");
	assert_int_equal(m->line, 3);
	arr = m->value;
	assert_int_equal(arr->type, TOML_ARRAY);
	assert_int_equal(arr->as.array.count, 3);
	assert_int_equal(arr->as.array.items[1]->type, TOML_STRING);

	assert_null(toml_table_get(root, "missing"));
	assert_null(toml_table_get(root, "t.k"));	/* no path lookup */
	assert_null(toml_table_get(arr, "k"));		/* not a table */
	assert_null(toml_table_get(NULL, "k"));
	assert_null(toml_table_member(arr, "k"));

	assert_string_equal(toml_type_name(TOML_TABLE), "table");
	assert_string_equal(toml_type_name(TOML_ARRAY), "array");
	assert_string_equal(toml_type_name(TOML_STRING), "string");
	assert_string_equal(toml_type_name(TOML_INTEGER), "integer");
	assert_string_equal(toml_type_name(TOML_FLOAT), "float");
	assert_string_equal(toml_type_name(TOML_BOOLEAN), "boolean");
	assert_string_equal(toml_type_name(TOML_DATETIME), "datetime");
	assert_string_equal(toml_type_name(arr->as.array.items[2]->type),
	    "float");
	toml_free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_of_keys_and_tables),
		cmocka_unit_test(test_implicit_table_takes_line_of_its_header),
		cmocka_unit_test(test_error_line_and_column),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_nested_tables_and_arrays_of_tables),
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_nul_in_strings_and_keys),
		cmocka_unit_test(test_integers_and_overflow),
		cmocka_unit_test(test_floats_dates_and_times),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_input_need_not_be_terminated),
		cmocka_unit_test(test_encoding),
		cmocka_unit_test(test_lookup_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
