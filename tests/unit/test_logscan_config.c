/*
 * test_logscan_config.c - the [logscan] and [[logscan.rules]] sections
 * (src/logscan/logscan_config.c) as the config loader reads them: defaults,
 * repeated rule sections after [logscan], max_files and backlog_summary,
 * and clear errors for bad patterns, names, sources and limits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"

static char path[] = "/tmp/test_logscan_config.XXXXXX";

static int load(const char *text, struct config **config)
{
	int fd = mkstemp(path);
	int r;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, 0600);
	close(fd);
	r = config_load(path, true, config);
	unlink(path);
	strcpy(path, "/tmp/test_logscan_config.XXXXXX");
	return r;
}

static void test_defaults(void **state)
{
	struct config *config = config_defaults();
	const struct logscan_config *l;

	(void)state;
	assert_non_null(config);
	l = &config->logscan;
	assert_true(l->enabled && l->kmsg && l->journal);
	assert_string_equal(l->kmsg_path, "/dev/kmsg");
	assert_null(l->journal_directory);
	assert_int_equal(l->journal_max_priority, 6);
	assert_int_equal(l->files.count, 0);
	assert_string_equal(l->start_position, "end");
	assert_int_equal(l->max_line_bytes, 8192);
	assert_int_equal(l->max_groups_per_rule, 256);
	assert_int_equal(l->max_files, 256);
	assert_true(l->backlog_summary);
	assert_int_equal(l->rule_count, 0);
	config_free(config);
}

static void test_max_files_and_backlog_summary(void **state)
{
	struct config *config;

	(void)state;
	assert_int_equal(load("[logscan]\nmax_files = 4096\n"
			      "backlog_summary = false\n", &config), 0);
	assert_int_equal(config->logscan.max_files, 4096);
	assert_false(config->logscan.backlog_summary);
	config_free(config);
	assert_int_equal(load("[logscan]\nmax_files = 1\n", &config), 0);
	assert_int_equal(config->logscan.max_files, 1);
	config_free(config);
}

static void test_rules_after_the_section(void **state)
{
	struct config *config;
	const struct logscan_rule_config *rule;

	(void)state;
	assert_int_equal(load("[logscan]\n"
			      "files = [\"/var/log/app/*.log\"]\n"
			      "disable_rules = [\"root_login\"]\n"
			      "[[logscan.rules]]\n"
			      "name = \"app_crash\"\n"
			      "pattern = \"crash in (?<module>\\\\w+)\"\n"
			      "group_by = \"module\"\n"
			      "threshold = 3\n"
			      "window_secs = 60\n"
			      "sources = [\"file\"]\n"
			      "[[logscan.rules]]\n"
			      "name = \"second\"\n"
			      "pattern = \"x\"\n", &config), 0);
	assert_int_equal(config->logscan.rule_count, 2);
	rule = &config->logscan.rules[0];
	assert_string_equal(rule->name, "app_crash");
	assert_string_equal(rule->group_by, "module");
	assert_int_equal(rule->threshold, 3);
	assert_string_equal(rule->severity, "warning");
	assert_int_equal(rule->sources.count, 1);
	assert_string_equal(config->logscan.rules[1].name, "second");
	assert_int_equal(config->logscan.rules[1].window_secs, 0);
	assert_string_equal(config->logscan.files.items[0],
			    "/var/log/app/*.log");
	config_free(config);
}

static void test_bad_values_are_refused(void **state)
{
	static const char *const bad[] = {
		"[[logscan.rules]]\nname = \"x\"\npattern = \"(\"\n",
		"[[logscan.rules]]\nname = \"Bad Name\"\npattern = \"a\"\n",
		"[[logscan.rules]]\nname = \"x\"\n",
		"[[logscan.rules]]\nname = \"x\"\npattern = \"a\"\n"
		"sources = [\"syslog\"]\n",
		"[logscan]\nfiles = [\"relative/path.log\"]\n",
		"[logscan]\nmax_line_bytes = 10\n",
		"[logscan]\nmask_patterns = [\"[\"]\n",
		"[logscan]\nstart_position = \"middle\"\n",
		"[logscan]\nmax_files = 0\n",
		"[logscan]\nmax_files = 4097\n",
		"[logscan]\nbacklog_summary = \"yes\"\n",
	};
	struct config *config;

	(void)state;
	log_set_level(LOG_CRIT); /* the errors are expected */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (load(bad[i], &config) == 0)
			fail_msg("accepted: %s", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_max_files_and_backlog_summary),
		cmocka_unit_test(test_rules_after_the_section),
		cmocka_unit_test(test_bad_values_are_refused),
	};

	log_open(LOG_TARGET_PLAIN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
