/*
 * test_log.c - records on stderr carry a "<N>" priority prefix (or the plain
 * command prefix), levels filter, and structured fields are kept.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "stderr_capture.h"

static char captured[4096];

static void test_stderr_priority_prefix_and_levels(void **state)
{
	struct stderr_capture capture;

	(void)state;
	log_open(LOG_TARGET_STDERR);
	log_set_level(LOG_INFO);
	stderr_capture_begin(&capture);
	log_error("disk %s failed", "sda");
	log_info("started");
	log_debug("hidden");
	stderr_capture_end(&capture, captured, sizeof(captured));
	assert_string_equal(captured, "<3>disk sda failed\n<6>started\n");
}

static void test_plain_style_for_commands(void **state)
{
	struct stderr_capture capture;

	(void)state;
	log_open(LOG_TARGET_PLAIN);
	log_set_level(LOG_DEBUG);
	stderr_capture_begin(&capture);
	log_warning("careful");
	log_debug("detail");
	stderr_capture_end(&capture, captured, sizeof(captured));
	assert_string_equal(captured, "sysops-agent: warning: careful\n"
				      "sysops-agent: detail\n");
}

static void test_structured_fields_on_stderr(void **state)
{
	const char *fields[] = { "SYSOPS_RULE=disk_full", "SYSOPS_SEVERITY=critical" };
	struct stderr_capture capture;

	(void)state;
	log_open(LOG_TARGET_STDERR);
	log_set_level(LOG_INFO);
	stderr_capture_begin(&capture);
	log_structured(LOG_CRIT, fields, 2, "disk / full in %d h", 3);
	stderr_capture_end(&capture, captured, sizeof(captured));
	assert_string_equal(captured, "<2>disk / full in 3 h SYSOPS_RULE=disk_full "
				      "SYSOPS_SEVERITY=critical\n");
}

static void test_level_names(void **state)
{
	(void)state;
	assert_int_equal(log_level_from_name("debug"), LOG_DEBUG);
	assert_int_equal(log_level_from_name("warning"), LOG_WARNING);
	assert_int_equal(log_level_from_name("loud"), -1);
	assert_string_equal(log_level_name(LOG_NOTICE), "notice");
	log_set_level(99);
	assert_int_equal(log_get_level(), LOG_DEBUG);
}

static void test_auto_target_without_journal_is_stderr(void **state)
{
	(void)state;
	unsetenv("JOURNAL_STREAM");
	log_open(LOG_TARGET_AUTO);
	assert_int_equal(log_current_target(), LOG_TARGET_STDERR);
	setenv("JOURNAL_STREAM", "1:2", 1); /* not our stderr */
	log_open(LOG_TARGET_AUTO);
	assert_int_equal(log_current_target(), LOG_TARGET_STDERR);
	unsetenv("JOURNAL_STREAM");
}

static void test_long_messages_are_cut_not_overflowed(void **state)
{
	char *huge = malloc(10000);
	struct stderr_capture capture;

	(void)state;
	memset(huge, 'a', 9999);
	huge[9999] = '\0';
	log_open(LOG_TARGET_STDERR);
	log_set_level(LOG_INFO);
	stderr_capture_begin(&capture);
	log_info("%s", huge);
	stderr_capture_end(&capture, captured, sizeof(captured));
	assert_true(strlen(captured) < 4000);
	assert_int_equal(captured[strlen(captured) - 1], '\n');
	free(huge);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stderr_priority_prefix_and_levels),
		cmocka_unit_test(test_plain_style_for_commands),
		cmocka_unit_test(test_structured_fields_on_stderr),
		cmocka_unit_test(test_level_names),
		cmocka_unit_test(test_auto_target_without_journal_is_stderr),
		cmocka_unit_test(test_long_messages_are_cut_not_overflowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
