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

/* config_load with stderr captured, like load_capturing. */
static int load_file_capturing(const char *path, bool must_exist,
			       struct config **out)
{
	struct stderr_capture capture;
	int r;

	stderr_capture_begin(&capture);
	r = config_load(path, must_exist, out);
	stderr_capture_end(&capture, captured, sizeof(captured));
	return r;
}

/* A directory with config.toml and conf.d/, removed by remove_tree. */
static void make_tree(char *base, char *main_path, size_t size)
{
	char dropins[128];

	assert_non_null(mkdtemp(base));
	snprintf(main_path, size, "%s/config.toml", base);
	snprintf(dropins, sizeof(dropins), "%s/conf.d", base);
	assert_int_equal(mkdir(dropins, 0750), 0);
}

static void write_dropin(const char *base, const char *name, const char *text,
			 mode_t mode)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/conf.d/%s", base, name);
	write_file(path, text, mode);
}

static void remove_tree(const char *base)
{
	char command[160];

	snprintf(command, sizeof(command), "rm -rf %s", base);
	assert_int_equal(system(command), 0);
}

static void test_dropins_merge_in_name_order(void **state)
{
	char base[] = "/tmp/sysops-dropins.XXXXXX", main_path[128];
	char expected[256], *text = NULL;
	struct config *config = NULL;
	const struct config_section *agent = config_find_section("agent");
	const struct config_origin *origin;
	size_t size = 0;
	FILE *stream;

	(void)state;
	make_tree(base, main_path, sizeof(main_path));
	write_file(main_path,
		   "[agent]\ncollect_interval_secs = 10\nhostname = \"main\"\n"
		   "[[analyzer.override]]\nseries = \"disk.*\"\n",
		   0640);
	/* Read after 10-a: its interval wins, its override is appended. */
	write_dropin(base, "20-b.toml",
		     "[agent]\ncollect_interval_secs = 5\n"
		     "[[analyzer.override]]\nseries = \"net.*\"\n",
		     0640);
	write_dropin(base, "10-a.toml",
		     "[agent]\ncollect_interval_secs = 7\n"
		     "[storage.history]\nretention_days = 9\n"
		     "[[analyzer.override]]\nseries = \"cpu.*\"\n",
		     0640);
	/* Not drop-ins: hidden, editor backups, other suffixes. */
	write_dropin(base, ".30-hidden.toml", "nonsense\n", 0640);
	write_dropin(base, "40-backup.toml~", "nonsense\n", 0640);
	write_dropin(base, "50-notes.txt", "nonsense\n", 0640);

	assert_int_equal(load_file_capturing(main_path, true, &config), 0);
	assert_int_equal(config->agent.collect_interval_secs, 5);
	assert_string_equal(config->agent.hostname, "main");
	assert_int_equal(config->history.retention_days, 9);
	assert_int_equal(config->analyzer.override_count, 3);
	assert_string_equal(config->analyzer.overrides[0].series, "disk.*");
	assert_string_equal(config->analyzer.overrides[1].series, "cpu.*");
	assert_string_equal(config->analyzer.overrides[2].series, "net.*");
	assert_int_equal(config->file_count, 3);

	/* check-config says which file set each key. */
	origin = config_origin_of(
	    config, agent, 0, config_find_key(agent, "collect_interval_secs"));
	assert_non_null(origin);
	assert_int_equal(origin->line, 2);
	assert_non_null(strstr(config->files[origin->file], "20-b.toml"));
	assert_null(config_origin_of(config, agent, 0,
				     config_find_key(agent, "log_level")));
	stream = open_memstream(&text, &size);
	config_print(config, stream);
	fclose(stream);
	snprintf(expected, sizeof(expected),
		 "# %s/conf.d/20-b.toml:2\ncollect_interval_secs = 5\n", base);
	assert_non_null(strstr(text, expected));
	snprintf(expected, sizeof(expected), "# %s:3\nhostname = \"main\"\n",
		 main_path);
	assert_non_null(strstr(text, expected));
	free(text);
	config_free(config);
	remove_tree(base);
}

static void test_dropin_errors_name_their_file_and_line(void **state)
{
	char base[] = "/tmp/sysops-dropins.XXXXXX", main_path[128];
	char expected[256];
	struct config *config = NULL;

	(void)state;
	make_tree(base, main_path, sizeof(main_path));
	write_file(main_path, "[agent]\ncolect_interval = 3\n", 0640);
	write_dropin(base, "10-bad.toml", "[agent]\n\nhistory_secs = \"1h\"\n",
		     0640);
	write_dropin(base, "20-worse.toml", "[agent\n", 0640);
	assert_int_equal(load_file_capturing(main_path, true, &config),
			 -EINVAL);
	/* Every file's errors, each with its own name and line. */
	snprintf(expected, sizeof(expected), "%s:2: [agent] unknown key",
		 main_path);
	assert_captured(expected);
	snprintf(expected, sizeof(expected),
		 "%s/conf.d/10-bad.toml:3: [agent] history_secs: expected",
		 base);
	assert_captured(expected);
	snprintf(expected, sizeof(expected),
		 "%s/conf.d/20-worse.toml:1:", base);
	assert_captured(expected);
	remove_tree(base);
}

static void test_writable_dropins_are_refused(void **state)
{
	char base[] = "/tmp/sysops-dropins.XXXXXX", main_path[128];
	char dropins[160];
	struct config *config = NULL;

	(void)state;
	make_tree(base, main_path, sizeof(main_path));
	write_file(main_path, "[agent]\n", 0640);
	write_dropin(base, "10-a.toml", "[agent]\n", 0664);
	assert_int_equal(load_file_capturing(main_path, true, &config), -EPERM);
	assert_captured("10-a.toml: refusing a configuration that is "
			"group-writable");
	write_dropin(base, "10-a.toml", "[agent]\n", 0640);
	snprintf(dropins, sizeof(dropins), "%s/conf.d", base);
	assert_int_equal(chmod(dropins, 0777), 0);
	assert_int_equal(load_file_capturing(main_path, true, &config), -EPERM);
	assert_captured("refusing drop-ins from a directory that is "
			"world-writable");
	assert_int_equal(chmod(dropins, 0750), 0);
	assert_int_equal(load_file_capturing(main_path, true, &config), 0);
	config_free(config);
	remove_tree(base);
}

static void test_dropins_without_a_main_file(void **state)
{
	char base[] = "/tmp/sysops-dropins.XXXXXX", main_path[128];
	struct config *config = NULL;

	(void)state;
	make_tree(base, main_path, sizeof(main_path));
	write_dropin(base, "10-a.toml", "[agent]\ncollect_interval_secs = 3\n",
		     0640);
	assert_int_equal(load_file_capturing(main_path, false, &config), 0);
	assert_int_equal(config->agent.collect_interval_secs, 3);
	assert_null(config->path);
	config_free(config);
	remove_tree(base);
}

static void test_section_checks_run_after_every_file(void **state)
{
	struct config *config = NULL;

	(void)state;
	assert_int_equal(load_capturing("[export.remote_write]\n"
					"url = \"https://rw.example/push\"\n"
					"bearer_token = \"t0ken-abc\"\n"
					"username = \"u\"\n",
					&config),
			 -EINVAL);
	assert_captured("[export.remote_write]: set bearer_token or "
			"username and password, not both");
	assert_int_equal(load_capturing("[export.remote_write]\n"
					"external_labels = [\"9x=1\"]\n",
					&config),
			 -EINVAL);
	assert_captured("test.toml:2: [export.remote_write] external_labels:");
	assert_int_equal(load_capturing("[export.remote_write]\n"
					"url = \"ftp://x\"\n",
					&config),
			 -EINVAL);
	assert_captured("expected an http:// or https:// URL");
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
	    cmocka_unit_test(test_dropins_merge_in_name_order),
	    cmocka_unit_test(test_dropin_errors_name_their_file_and_line),
	    cmocka_unit_test(test_writable_dropins_are_refused),
	    cmocka_unit_test(test_dropins_without_a_main_file),
	    cmocka_unit_test(test_section_checks_run_after_every_file),
	};

	log_open(LOG_TARGET_PLAIN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
