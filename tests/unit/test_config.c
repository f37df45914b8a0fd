/*
 * test_config.c - the configuration loader against its schema: defaults,
 * file:line errors with the key and what was expected, "did you mean"
 * suggestions, permission checks, environment overrides.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "stderr_capture.h"

static char captured[8192];

/* Runs the loader with stderr sent to a file, and keeps what it printed. */
static int load_capturing(const char *text, struct config **out)
{
	struct stderr_capture capture;
	int r;

	stderr_capture_begin(&capture);
	r = config_load_text("test.toml", text, strlen(text), out);
	stderr_capture_end(&capture, captured, sizeof(captured));
	return r;
}

static void assert_captured(const char *needle)
{
	if (strstr(captured, needle) == NULL)
		fail_msg("expected \"%s\" in:\n%s", needle, captured);
}

static void test_defaults_are_valid_and_documented(void **state)
{
	struct config *config = config_defaults();

	(void)state;
	assert_non_null(config);
	assert_int_equal(config->agent.collect_interval_secs, 10);
	assert_int_equal(config->agent.history_secs, 3600);
	assert_string_equal(config->agent.log_level, "info");
	assert_string_equal(config->agent.proc_root, "/proc");
	assert_non_null(config->agent.hostname);
	assert_true(strlen(config->agent.hostname) > 0);
	for (size_t s = 0; s < config_section_count; s++) {
		const struct config_section *section = config_sections[s];

		assert_non_null(section->description);
		for (size_t k = 0; k < section->key_count; k++)
			if (section->keys[k].description == NULL)
				fail_msg("[%s] %s has no description",
					 section->name, section->keys[k].name);
	}
	config_free(config);
}

static void test_valid_file_overrides_defaults(void **state)
{
	struct config *config = NULL;

	(void)state;
	assert_int_equal(load_capturing("# a comment\n[agent]\n"
					"collect_interval_secs = 5\n"
					"log_level = \"debug\"\n"
					"hostname = \"web-01\"\n",
					&config), 0);
	assert_int_equal(config->agent.collect_interval_secs, 5);
	assert_string_equal(config->agent.log_level, "debug");
	assert_string_equal(config->agent.hostname, "web-01");
	assert_int_equal(config->agent.history_secs, 3600);
	config_free(config);
}

static void test_unknown_key_names_line_and_suggests(void **state)
{
	struct config *config = NULL;

	(void)state;
	assert_int_equal(load_capturing("[agent]\n\ncolect_interval_secs = 5\n",
					&config), -EINVAL);
	assert_null(config);
	assert_captured("test.toml:3: [agent] unknown key "
			"'colect_interval_secs' (did you mean "
			"'collect_interval_secs'?)");
}

static void test_wrong_type_says_what_was_expected(void **state)
{
	struct config *config = NULL;

	(void)state;
	assert_int_equal(load_capturing("[agent]\ncollect_interval_secs = "
					"\"10\"\n", &config), -EINVAL);
	assert_captured("test.toml:2: [agent] collect_interval_secs: expected "
			"an integer from 1 to 3600, got a string");
}

static void test_out_of_range_and_bad_choice(void **state)
{
	struct config *config = NULL;

	(void)state;
	assert_int_equal(load_capturing("[agent]\ncollect_interval_secs = 0\n"
					"log_level = \"verbose\"\n", &config),
			 -EINVAL);
	assert_captured("test.toml:2: [agent] collect_interval_secs: expected "
			"an integer from 1 to 3600, got 0");
	assert_captured("test.toml:3: [agent] log_level: expected one of "
			"\"error\", \"warning\", \"notice\", \"info\", "
			"\"debug\", got \"verbose\"");
}

static void test_bad_toml_reports_line_and_column(void **state)
{
	struct config *config = NULL;

	(void)state;
	assert_int_equal(load_capturing("[agent]\nlog_level = \"info\n",
					&config), -EINVAL);
	assert_captured("test.toml:2:");
}

static void test_unknown_section_and_stray_key(void **state)
{
	struct config *config = NULL;

	(void)state;
	assert_int_equal(load_capturing("interval = 3\n[agnet]\nx = 1\n",
					&config), -EINVAL);
	assert_captured("test.toml:1: key 'interval' is outside any section");
	assert_captured("test.toml:2: unknown section [agnet] (did you mean "
			"[agent]?)");
}

static void test_every_error_is_reported(void **state)
{
	struct config *config = NULL;
	int lines = 0;

	(void)state;
	assert_int_equal(load_capturing("[agent]\nproc_root = \"proc\"\n"
					"sys_root = 1\nhistory_secs = 10\n",
					&config), -EINVAL);
	for (const char *p = captured; (p = strstr(p, "test.toml:")); p++)
		lines++;
	assert_int_equal(lines, 3);
	assert_captured("test.toml:2: [agent] proc_root: expected an absolute "
			"path");
	assert_captured("test.toml:3: [agent] sys_root: expected a string, got "
			"an integer");
	assert_captured("test.toml:4: [agent] history_secs: expected an integer "
			"from 60 to 604800, got 10");
}

static void test_history_must_cover_one_interval(void **state)
{
	struct config *config = NULL;

	(void)state;
	assert_int_equal(load_capturing("[agent]\ncollect_interval_secs = 600\n"
					"history_secs = 300\n", &config),
			 -EINVAL);
	assert_captured("history_secs (300) must be at least "
			"collect_interval_secs (600)");
}

static void test_state_directory_from_systemd_wins(void **state)
{
	struct config *config = NULL;

	(void)state;
	setenv("STATE_DIRECTORY", "/var/lib/private/sysops-agent:/other", 1);
	assert_int_equal(load_capturing("[agent]\nstate_dir = \"/srv/x\"\n",
					&config), 0);
	unsetenv("STATE_DIRECTORY");
	assert_string_equal(config->agent.state_dir,
			    "/var/lib/private/sysops-agent");
	config_free(config);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_writable_config_is_refused(void **state)
{
	char path[] = "/tmp/sysops-test-config.XXXXXX";
	struct config *config = NULL;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "[agent]\n", 0664);
	assert_int_equal(config_load(path, true, &config), -EPERM);
	write_file(path, "[agent]\n", 0640);
	assert_int_equal(config_load(path, true, &config), 0);
	assert_string_equal(config->path, path);
	config_free(config);
	unlink(path);
}

static void test_missing_file(void **state)
{
	struct config *config = NULL;

	(void)state;
	assert_int_equal(config_load("/nonexistent/sysops.toml", true, &config),
			 -ENOENT);
	assert_int_equal(config_load("/nonexistent/sysops.toml", false,
				     &config), 0);
	assert_null(config->path);
	config_free(config);
}

static void test_path_resolution(void **state)
{
	bool must_exist;

	(void)state;
	unsetenv("SYSOPS_AGENT_CONFIG");
	assert_string_equal(config_resolve_path(NULL, &must_exist),
			    CONFIG_DEFAULT_PATH);
	assert_false(must_exist);
	setenv("SYSOPS_AGENT_CONFIG", "/etc/x.toml", 1);
	assert_string_equal(config_resolve_path(NULL, &must_exist),
			    "/etc/x.toml");
	assert_true(must_exist);
	assert_string_equal(config_resolve_path("/a.toml", &must_exist),
			    "/a.toml");
	unsetenv("SYSOPS_AGENT_CONFIG");
}

static void test_suggestions(void **state)
{
	const char *names[] = { "collect_interval_secs", "history_secs",
				"log_level" };

	(void)state;
	assert_string_equal(config_suggest("loglevel", names, 3), "log_level");
	assert_string_equal(config_suggest("history_sec", names, 3),
			    "history_secs");
	assert_null(config_suggest("completely_different", names, 3));
}

static void test_print_round_trips(void **state)
{
	struct config *config = config_defaults(), *again = NULL;
	char *text = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&text, &size);

	(void)state;
	config_print(config, stream);
	fclose(stream);
	assert_non_null(strstr(text, "\n[agent]\n"));
	assert_non_null(strstr(text, "\ncollect_interval_secs = 10\n"));
	/* What check-config prints is itself a valid configuration. */
	assert_int_equal(config_load_text("printed", text, size, &again), 0);
	assert_int_equal(again->agent.history_secs, 3600);
	config_free(again);
	config_free(config);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_valid_and_documented),
		cmocka_unit_test(test_valid_file_overrides_defaults),
		cmocka_unit_test(test_unknown_key_names_line_and_suggests),
		cmocka_unit_test(test_wrong_type_says_what_was_expected),
		cmocka_unit_test(test_out_of_range_and_bad_choice),
		cmocka_unit_test(test_bad_toml_reports_line_and_column),
		cmocka_unit_test(test_unknown_section_and_stray_key),
		cmocka_unit_test(test_every_error_is_reported),
		cmocka_unit_test(test_history_must_cover_one_interval),
		cmocka_unit_test(test_state_directory_from_systemd_wins),
		cmocka_unit_test(test_writable_config_is_refused),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_path_resolution),
		cmocka_unit_test(test_suggestions),
		cmocka_unit_test(test_print_round_trips),
	};

	log_open(LOG_TARGET_PLAIN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
