/*
 * test_golden.c - the rendered CPU alert (with its top-process context) of
 * every channel, compared with tests/unit/golden/<channel>.txt so that any
 * change of wording is deliberate: UPDATE_GOLDEN=1 rewrites the files, and
 * scripts/messages-doc turns them into docs/MESSAGES.md.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"
#include "alerter/text.h"
#include "alert_fixture.h"

static void cpu_message(struct alert_message *m)
{
	struct alert_snapshot *a = &m->alerts[0];
	static const double history[] = {22, 25,   31,	 48,   77,
					 93, 96.4, 97.8, 98.1, 97.9};

	fixture_message(m, 1);
	string_copy(m->agent_id, "8d0f6f0e-3c52-4a8e-9d1b-2f4e6a7c9b10",
		    sizeof(m->agent_id));
	string_copy(m->agent_labels, "env=prod,team=web",
		    sizeof(m->agent_labels));
	string_copy(a->rule, "cpu_percent", sizeof(a->rule));
	string_copy(a->series, "cpu.usage_percent", sizeof(a->series));
	a->labels[0] = '\0';
	string_copy(a->summary,
		    "CPU use is 97.9%, above the critical 95% "
		    "limit for at least 1m; it clears below 85.5%.",
		    sizeof(a->summary));
	string_copy(a->detail,
		    "Top CPU over the last 10s:\n"
		    "ffmpeg (pid 4121, www): 188.2%\n"
		    "php-fpm (pid 977, www): 6.1%\n"
		    "postgres (pid 812, postgres): 2.3%\n"
		    "sshd (pid 1203, root): 0.4%\n"
		    "journald (pid 311, root): 0.2%",
		    sizeof(a->detail));
	a->severity = ALERT_CRITICAL;
	a->value = 97.9;
	a->baseline = NAN;
	a->threshold = 95;
	a->score = 1;
	a->eta_secs = -1;
	a->history_count = ARRAY_SIZE(history);
	memcpy(a->history, history, sizeof(history));
}

/* What a person reads: the text of chat bodies, JSON laid out. */
/*
 * json-c prints an empty array or object as "[ ]" over two lines up to 0.17
 * and as "[]" from 0.18: both are written "[]" here, so a golden file reads
 * the same on every distribution.
 */
static void collapse_empty(char *text)
{
	char *w = text;

	for (const char *r = text; *r != '\0'; r++) {
		*w++ = *r;
		if (*r == '[' || *r == '{') {
			const char *next = r + 1;

			while (*next == ' ' || *next == '\n')
				next++;
			if (*next == (*r == '[' ? ']' : '}')) {
				*w++ = *next;
				r = next;
			}
		}
	}
	*w = '\0';
}

static char *readable(enum channel_id channel, const struct outgoing *out)
{
	json_object *root, *text;
	char *copy;

	if (channel == CHANNEL_EMAIL) {
		copy = strdup(out->body);
		for (char *r = copy, *w = copy;; r++) {
			if (*r != '\r')
				*w++ = *r;
			if (*r == '\0')
				break;
		}
		return copy;
	}
	root = json_tokener_parse(out->body);
	assert_non_null(root);
	if (channel == CHANNEL_TELEGRAM &&
	    json_object_object_get_ex(root, "text", &text)) {
		if (asprintf(&copy, "%s\n", json_object_get_string(text)) < 0)
			copy = NULL;
	} else {
		if (asprintf(&copy, "%s\n",
			     json_object_to_json_string_ext(
				 root, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_SPACED)) < 0)
			copy = NULL;
	}
	json_object_put(root);
	if (copy != NULL)
		collapse_empty(copy);
	return copy;
}

static void check_channel(enum channel_id channel)
{
	struct alerting_channel_config config = {
	    .enabled = true,
	    .url = "https://hooks.example/T/B/x",
	    .secret = "bot-token",
	    .chat_id = "-100",
	    .from = "agent@example",
	    .repost_interval_secs = 60,
	};
	char *to[] = {"ops@example"}, path[256], *expected = NULL;
	struct alert_message *m = calloc(1, sizeof(*m));
	struct outgoing out = {0};
	char *got;
	FILE *f;

	config.to.items = to;
	config.to.count = 1;
	if (channel == CHANNEL_EMAIL)
		config.url = "smtp://mail.example";
	cpu_message(m);
	m->channel = channel;
	assert_int_equal(
	    channel_formatter(channel)(&config, m, FIXTURE_NOW, &out), 0);
	got = readable(channel, &out);
	snprintf(path, sizeof(path), "tests/unit/golden/%s.txt",
		 channel_name(channel));
	if (getenv("UPDATE_GOLDEN") != NULL) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	assert_int_equal(read_file_at(AT_FDCWD, path, 1 << 20, &expected, NULL),
			 0);
	collapse_empty(expected);
	if (strcmp(got, expected) != 0)
		fail_msg("%s differs from what %s renders now:\n%s\n(run "
			 "with UPDATE_GOLDEN=1 if the change is meant)",
			 path, channel_name(channel), got);
	free(expected);
	free(got);
	outgoing_free(&out);
	free(m);
}

static void test_slack(void **state)
{
	(void)state;
	check_channel(CHANNEL_SLACK);
}
static void test_discord(void **state)
{
	(void)state;
	check_channel(CHANNEL_DISCORD);
}
static void test_telegram(void **state)
{
	(void)state;
	check_channel(CHANNEL_TELEGRAM);
}
static void test_email(void **state)
{
	(void)state;
	check_channel(CHANNEL_EMAIL);
}
static void test_webhook(void **state)
{
	(void)state;
	check_channel(CHANNEL_WEBHOOK);
}
static void test_alertmanager(void **state)
{
	(void)state;
	check_channel(CHANNEL_ALERTMANAGER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slack),
	    cmocka_unit_test(test_discord),
	    cmocka_unit_test(test_telegram),
	    cmocka_unit_test(test_email),
	    cmocka_unit_test(test_webhook),
	    cmocka_unit_test(test_alertmanager),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
