/*
 * test_log.c - records on stderr carry a "<N>" priority prefix (or the plain
 * command prefix), levels filter, structured fields are kept, and configured
 * secrets never get through (message or field, any encoding, cut or not).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/secret.h"
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

/* An errno is said where the format puts %m, else at the end; errno itself
 * is left as it was, and the value comes back negative for a return. */
static void test_errno_text_in_place_or_appended(void **state)
{
	struct stderr_capture capture;
	int r1, r2;

	(void)state;
	log_open(LOG_TARGET_STDERR);
	log_set_level(LOG_INFO);
	errno = EINTR;
	stderr_capture_begin(&capture);
	r1 = log_warning_errno(-ENOENT, "cannot open %s: %m; history is off",
			       "h.db");
	r2 = log_error_errno(EACCES, "cannot read %s", "spool");
	stderr_capture_end(&capture, captured, sizeof(captured));
	assert_int_equal(errno, EINTR);
	assert_int_equal(r1, -ENOENT);
	assert_int_equal(r2, -EACCES);
	assert_string_equal(captured,
			    "<4>cannot open h.db: No such file or directory; "
			    "history is off\n<3>cannot read spool: Permission "
			    "denied\n");
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

/* Every field kept up to LOG_FIELD_MAX (511 bytes and the NUL), masked
 * apart, in order; more than LOG_FIELDS_MAX (16) are left off. */
static void test_many_and_long_fields_each_cut_alone(void **state)
{
	char *longer = malloc(1000), *exact = malloc(600), expected[4096];
	const char *fields[18];
	struct stderr_capture capture;

	(void)state;
	memset(longer, 'L', 999);
	longer[999] = '\0';
	memset(exact, 'E', 511);
	exact[511] = '\0';
	for (size_t i = 0; i < 18; i++)
		fields[i] = i == 1 ? longer : i == 2 ? exact : "K=v";
	log_open(LOG_TARGET_STDERR);
	log_set_level(LOG_INFO);
	stderr_capture_begin(&capture);
	log_structured(LOG_CRIT, fields, 18, "m");
	stderr_capture_end(&capture, captured, sizeof(captured));
	snprintf(expected, sizeof(expected), "<2>m K=v %.511s %s", longer,
		 exact);
	for (size_t i = 3; i < 16; i++)
		strcat(expected, " K=v");
	strcat(expected, "\n");
	assert_string_equal(captured, expected);
	free(longer);
	free(exact);
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

/* Logs text as one info record on stderr and captures it. */
static void capture_info(const char *text)
{
	struct stderr_capture capture;

	log_open(LOG_TARGET_STDERR);
	log_set_level(LOG_INFO);
	stderr_capture_begin(&capture);
	log_info("%s", text);
	stderr_capture_end(&capture, captured, sizeof(captured));
}

static void test_long_messages_are_cut_not_overflowed(void **state)
{
	char *huge = malloc(10000);

	(void)state;
	memset(huge, 'a', 9999);
	huge[9999] = '\0';
	capture_info(huge);
	assert_true(strlen(captured) < 4000);
	assert_int_equal(captured[strlen(captured) - 1], '\n');
	free(huge);
}

static void configure_webhook(void)
{
	static const char toml[] =
	    "[alerting.webhook]\n"
	    "url = \"http://127.0.0.1:9/hook/Sg7kq2PzX9wLmT4v\"\n"
	    "hmac_secret = \"hm4c-Very-Secret-77\"\n";
	struct config *config = NULL;

	assert_int_equal(
	    config_load_text("t.toml", toml, strlen(toml), &config), 0);
	assert_int_equal(secret_configure(config), 0);
	config_free(config);
}

/* The message and every field, in any encoding, before stderr sees them. */
static void test_secrets_are_masked(void **state)
{
	const char *fields[] = {"SYSOPS_URL=http:\\/\\/127.0.0.1:9\\/hook\\/"
				"Sg7kq2PzX9wLmT4v",
				"SYSOPS_KEY=HM4C-VERY-SECRET-77"};
	struct stderr_capture capture;

	(void)state;
	configure_webhook();
	log_open(LOG_TARGET_STDERR);
	log_set_level(LOG_INFO);
	stderr_capture_begin(&capture);
	log_error("webhook: HTTP 404: no hook %s", "sg7kq2pzx9wlmt4v");
	log_structured(LOG_WARNING, fields, 2, "posting to %s",
		       "http%3A%2F%2F127.0.0.1%3A9%2Fhook%2FSg7kq2PzX9wLmT4v");
	log_error_errno(-EACCES, "signing with %s", "hm4c-Very-Secret-77");
	stderr_capture_end(&capture, captured, sizeof(captured));
	assert_string_equal(captured,
			    "<3>webhook: HTTP 404: no hook ***\n"
			    "<4>posting to *** SYSOPS_URL=*** SYSOPS_KEY=***\n"
			    "<3>signing with ***: Permission denied\n");
	secret_reset();
}

/* A record cut to the line's size never ends with the start of a secret. */
static void test_cut_record_hides_a_cut_secret(void **state)
{
	char *huge = malloc(3000);

	(void)state;
	configure_webhook();
	memset(huge, 'a', 3000);
	/* The secret straddles the end of the 2048-byte line. */
	memcpy(huge + 2040, "Sg7kq2PzX9wLmT4v", 16);
	huge[2999] = '\0';
	capture_info(huge);
	assert_null(strstr(captured, "Sg7k"));
	assert_non_null(strstr(captured, "aaa***\n"));
	free(huge);
	secret_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stderr_priority_prefix_and_levels),
	    cmocka_unit_test(test_errno_text_in_place_or_appended),
	    cmocka_unit_test(test_plain_style_for_commands),
	    cmocka_unit_test(test_structured_fields_on_stderr),
	    cmocka_unit_test(test_many_and_long_fields_each_cut_alone),
	    cmocka_unit_test(test_level_names),
	    cmocka_unit_test(test_auto_target_without_journal_is_stderr),
	    cmocka_unit_test(test_long_messages_are_cut_not_overflowed),
	    cmocka_unit_test(test_secrets_are_masked),
	    cmocka_unit_test(test_cut_record_hides_a_cut_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
