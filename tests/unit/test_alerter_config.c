/*
 * test_alerter_config.c - the [alerting] schema (src/alerter/alerter_config.c)
 * through the real loader: defaults, nested channel tables, silences,
 * validation, and secrets from KEY_file and systemd credentials that
 * check-config prints as "***" only.
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

#include "alerter/alerter.h"
#include "core/log.h"

static char directory[] = "/tmp/sysops-alerter-config.XXXXXX";

static void write_file(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", directory, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static struct config *load(const char *text)
{
	char path[256];
	struct config *config = NULL;

	write_file("agent.toml", text, 0640);
	snprintf(path, sizeof(path), "%s/agent.toml", directory);
	if (config_load(path, true, &config) < 0)
		return NULL;
	return config;
}

static char *printed(const struct config *config)
{
	char *text = NULL;
	size_t size = 0;
	FILE *stream = open_memstream(&text, &size);

	config_print(config, stream);
	fclose(stream);
	return text;
}

static void test_defaults(void **state)
{
	struct config *c = load("[agent]\n");

	(void)state;
	assert_non_null(c);
	assert_true(c->alerting.send_resolved);
	assert_int_equal(c->alerting.repeat_interval_secs, 14400);
	assert_int_equal(c->alerting.group_wait_secs, 30);
	assert_int_equal(c->alerting.rate_limit.min_interval_secs, 60);
	assert_int_equal(c->alerting.rate_limit.max_alerts_per_hour, 60);
	assert_true(c->alerting.console.enabled);
	assert_string_equal(c->alerting.slack.min_severity, "warning");
	assert_string_equal(c->alerting.telegram.url,
			    "https://api.telegram.org");
	assert_null(c->alerting.slack.url);
	assert_int_equal(c->alerting.silence_count, 0);
	config_free(c);
}

static void test_sections_and_silences(void **state)
{
	struct config *c = load(
		"[alerting]\nrepeat_interval_secs = 3600\n"
		"[alerting.rate_limit]\nmin_interval_secs = 5\n"
		"[alerting.email]\nurl = \"smtps://mail:465\"\n"
		"to = [\"a@b\", \"c@d\"]\nmin_severity = \"critical\"\n"
		"[[alerting.silence]]\nname = \"backups\"\nstart = \"23:30\"\n"
		"end = \"01:00\"\nweekdays = [\"sat\", \"sun\"]\n"
		"severities = [\"info\", \"warning\"]\nlabel = \"mount=/backup\"\n"
		"[[alerting.silence]]\nname = \"noisy rule\"\nrule = \"fd_leak\"\n");

	(void)state;
	assert_non_null(c);
	assert_int_equal(c->alerting.repeat_interval_secs, 3600);
	assert_int_equal(c->alerting.rate_limit.min_interval_secs, 5);
	assert_int_equal(c->alerting.email.to.count, 2);
	assert_string_equal(c->alerting.email.min_severity, "critical");
	assert_int_equal(c->alerting.silence_count, 2);
	assert_string_equal(c->alerting.silence[0].start, "23:30");
	assert_int_equal(c->alerting.silence[0].weekdays.count, 2);
	assert_string_equal(c->alerting.silence[1].rule, "fd_leak");
	config_free(c);
}

static void test_invalid_values_are_refused(void **state)
{
	(void)state;
	assert_null(load("[[alerting.silence]]\nname = \"x\"\nstart = \"25:00\"\n"));
	assert_null(load("[[alerting.silence]]\nname = \"x\"\nweekdays = [\"fun\"]\n"));
	assert_null(load("[[alerting.silence]]\nstart = \"01:00\"\n"));
	assert_null(load("[alerting.slack]\nwebhook_url = \"ftp://x/y\"\n"));
	assert_null(load("[alerting.email]\nurl = \"http://mail\"\n"));
	assert_null(load("[alerting.slack]\nmin_severity = \"fatal\"\n"));
	assert_null(load("[alerting.rate_limit]\nmax_alerts_per_hour = 0\n"));
	assert_null(load("[alerting.pager]\nurl = \"https://x\"\n"));
}

static void test_secret_from_key_file(void **state)
{
	char text[512];
	struct config *c;
	char *out;

	(void)state;
	write_file("slack-url", "https://hooks.slack.com/services/T1/B2/"
		   "FILESECRET\n", 0600);
	snprintf(text, sizeof(text),
		 "[alerting.slack]\nwebhook_url_file = \"%s/slack-url\"\n"
		 "[alerting.webhook]\nurl = \"https://x/INLINESECRET\"\n",
		 directory);
	c = load(text);
	assert_non_null(c);
	assert_string_equal(c->alerting.slack.url,
			    "https://hooks.slack.com/services/T1/B2/FILESECRET");
	out = printed(c);
	assert_non_null(strstr(out, "webhook_url = \"***\""));
	assert_non_null(strstr(out, "url = \"***\""));
	assert_null(strstr(out, "FILESECRET"));
	assert_null(strstr(out, "INLINESECRET"));
	free(out);
	config_free(c);
}

static void test_secret_from_credentials_directory(void **state)
{
	char credentials[300];
	struct config *c;
	char *out;

	(void)state;
	snprintf(credentials, sizeof(credentials), "%s/creds", directory);
	mkdir(credentials, 0700);
	write_file("creds/alerting.telegram.bot_token", "42:CREDSECRET\n", 0600);
	write_file("creds/email-password", "MAILSECRET", 0600);
	setenv("CREDENTIALS_DIRECTORY", credentials, 1);
	c = load("[alerting.telegram]\nchat_id = \"1\"\n"
		 "[alerting.email]\npassword_file = \"email-password\"\n");
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_non_null(c);
	assert_string_equal(c->alerting.telegram.secret, "42:CREDSECRET");
	assert_string_equal(c->alerting.email.secret, "MAILSECRET");
	out = printed(c);
	assert_non_null(strstr(out, "bot_token = \"***\""));
	assert_non_null(strstr(out, "password = \"***\""));
	assert_null(strstr(out, "CREDSECRET"));
	assert_null(strstr(out, "MAILSECRET"));
	free(out);
	config_free(c);
}

/* etc/sysops-agent.toml documents every [alerting...] key. */
static void test_example_file_lists_every_key(void **state)
{
	FILE *f = fopen("etc/sysops-agent.toml", "r");
	char *text = calloc(1, 256 * 1024), needle[96];

	(void)state;
	assert_non_null(f);
	assert_true(fread(text, 1, 256 * 1024 - 1, f) > 0);
	fclose(f);
	for (size_t s = 0; s < config_section_count; s++) {
		const struct config_section *section = config_sections[s];

		if (strncmp(section->name, "alerting", 8) != 0)
			continue;
		snprintf(needle, sizeof(needle), section->element_size
				 ? "[[%s]]" : "[%s]", section->name);
		if (strstr(text, needle) == NULL)
			fail_msg("%s missing from etc/sysops-agent.toml", needle);
		for (size_t k = 0; k < section->key_count; k++) {
			snprintf(needle, sizeof(needle), "%s = ",
				 section->keys[k].name);
			if (strstr(text, needle) == NULL)
				fail_msg("[%s] %s missing from "
					 "etc/sysops-agent.toml", section->name,
					 section->keys[k].name);
		}
	}
	free(text);
}

static int teardown(void **state)
{
	char command[128];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf %s", directory);
	return system(command) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_sections_and_silences),
		cmocka_unit_test(test_invalid_values_are_refused),
		cmocka_unit_test(test_secret_from_key_file),
		cmocka_unit_test(test_secret_from_credentials_directory),
		cmocka_unit_test(test_example_file_lists_every_key),
	};

	if (mkdtemp(directory) == NULL)
		return 1;
	log_open(LOG_TARGET_PLAIN);
	log_set_level(LOG_CRIT);
	return cmocka_run_group_tests(tests, NULL, teardown);
}
