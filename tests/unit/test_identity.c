/*
 * test_identity.c - the agent id (src/core/identity.c): made once, read back
 * unchanged, remade only when the file is not an id, the [agent] id wins;
 * [agent] labels: the table form, its checks and the one text form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/identity.h"
#include "core/state.h"
#include "core/util.h"

static void test_id_made_once(void **state)
{
	char dir[] = "/tmp/test_identity.XXXXXX", first[IDENTITY_ID_MAX],
	     again[IDENTITY_ID_MAX], other[IDENTITY_ID_MAX];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	assert_int_equal(identity_load(fd, NULL, first, sizeof(first)), 0);
	assert_int_equal(strlen(first), 36);
	assert_int_equal(first[14], '4'); /* version 4 */
	assert_true(identity_id_valid(first));
	/* A restart (or an upgrade) reads the same id. */
	assert_int_equal(identity_load(fd, "", again, sizeof(again)), 0);
	assert_string_equal(first, again);
	identity_read(dir, NULL, again, sizeof(again));
	assert_string_equal(first, again);
	/* [agent] id wins, and does not touch the file. */
	assert_int_equal(identity_load(fd, "web-01.prod", other, sizeof(other)),
			 0);
	assert_string_equal(other, "web-01.prod");
	identity_read(dir, NULL, again, sizeof(again));
	assert_string_equal(first, again);
	/* A file that is not an id is replaced. */
	assert_int_equal(state_write_atomic(fd, IDENTITY_FILE, "x y\n", 4), 0);
	assert_int_equal(identity_load(fd, NULL, other, sizeof(other)), 0);
	assert_string_not_equal(other, first);
	assert_true(identity_id_valid(other));
	unlinkat(fd, IDENTITY_FILE, 0);
	close(fd);
	rmdir(dir);
	identity_read("/nonexistent", NULL, again, sizeof(again));
	assert_string_equal(again, "");
}

static void test_label_checks(void **state)
{
	char reason[256];

	(void)state;
	assert_true(identity_label_name_valid("env", reason, sizeof(reason)));
	assert_true(identity_label_name_valid("_x9", reason, sizeof(reason)));
	assert_false(identity_label_name_valid("9x", reason, sizeof(reason)));
	assert_false(identity_label_name_valid("a-b", reason, sizeof(reason)));
	assert_false(identity_label_name_valid("__a", reason, sizeof(reason)));
	assert_false(identity_label_name_valid("job", reason, sizeof(reason)));
	assert_false(
	    identity_label_name_valid("agent_id", reason, sizeof(reason)));
	assert_false(identity_label_name_valid(
	    "a23456789012345678901234567890123", reason, sizeof(reason)));
	assert_true(
	    identity_label_value_valid("Ops Café", reason, sizeof(reason)));
	assert_false(identity_label_value_valid("", reason, sizeof(reason)));
	assert_false(identity_label_value_valid("a,b", reason, sizeof(reason)));
	assert_false(
	    identity_label_value_valid("a\nb", reason, sizeof(reason)));
}

static void test_labels_from_config(void **state)
{
	static const char text[] =
	    "[agent]\n"
	    "labels = { team = \"web\", env = \"prod\" }\n";
	static const char table[] = "[agent.labels]\n"
				    "env = \"prod\"\n";
	static const char too_many[] =
	    "[agent]\nlabels = { a = \"1\", b = \"1\", c = \"1\", d = \"1\", "
	    "e = \"1\", f = \"1\", g = \"1\", h = \"1\", i = \"1\", j = \"1\", "
	    "k = \"1\", l = \"1\", m = \"1\", n = \"1\", o = \"1\", p = \"1\", "
	    "q = \"1\" }\n";
	static const char not_string[] = "[agent.labels]\nenv = 1\n";
	struct config *config = NULL;
	char out[IDENTITY_LABELS_TEXT_MAX], name[64], value[64];
	const char *cursor;

	(void)state;
	assert_int_equal(
	    config_load_text("t.toml", text, strlen(text), &config), 0);
	assert_int_equal(config->agent.labels.count, 2);
	/* One text form, sorted by name. */
	identity_labels_text(&config->agent.labels, out, sizeof(out));
	assert_string_equal(out, "env=prod,team=web");
	cursor = out;
	assert_true(identity_labels_next(&cursor, name, sizeof(name), value,
					 sizeof(value)));
	assert_string_equal(name, "env");
	assert_string_equal(value, "prod");
	assert_true(identity_labels_next(&cursor, name, sizeof(name), value,
					 sizeof(value)));
	assert_string_equal(value, "web");
	assert_false(identity_labels_next(&cursor, name, sizeof(name), value,
					  sizeof(value)));
	config_free(config);
	config = NULL;
	assert_int_equal(
	    config_load_text("t.toml", table, strlen(table), &config), 0);
	identity_labels_text(&config->agent.labels, out, sizeof(out));
	assert_string_equal(out, "env=prod");
	config_free(config);
	config = NULL;
	assert_int_not_equal(
	    config_load_text("t.toml", too_many, strlen(too_many), &config), 0);
	assert_int_not_equal(
	    config_load_text("t.toml", not_string, strlen(not_string), &config),
	    0);
	assert_null(config);
	/* Default: none. */
	config = config_defaults();
	assert_int_equal(config->agent.labels.count, 0);
	config_free(config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_id_made_once),
	    cmocka_unit_test(test_label_checks),
	    cmocka_unit_test(test_labels_from_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
