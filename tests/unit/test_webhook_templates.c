/*
 * test_webhook_templates.c - the body template language (src/alerter/
 * template.c), the shipped templates in etc/templates/ rendered for a fixed
 * message against golden files in tests/golden/templates/ (UPDATE_GOLDEN=1
 * rewrites them), DingTalk's signature, label matchers and the webhook
 * instances of the configuration.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"
#include "alerter/matcher.h"
#include "alerter/template.h"
#include "core/config.h"
#include "core/log.h"
#include "core/util.h"

static const char *const shipped[] = {
    "teams", "pagerduty", "opsgenie", "dingtalk", "wechat", "ntfy", "gotify"};

static char *slurp(const char *path)
{
	char *text = NULL;

	if (read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL) < 0)
		return NULL;
	return text;
}

static void render_shipped(const char *name, bool resolved)
{
	struct alert_message m;
	char path[128], golden[128], reason[256], *text, *body, *expected;
	json_object *document;

	snprintf(path, sizeof(path), "etc/templates/%s.json.tmpl", name);
	snprintf(golden, sizeof(golden), "tests/golden/templates/%s.%s.json",
		 name, resolved ? "resolved" : "firing");
	text = slurp(path);
	assert_non_null(text);
	if (template_check(text, reason, sizeof(reason)) < 0)
		fail_msg("%s: %s", path, reason);
	template_sample_message(&m, resolved);
	/* One event per request for the services that dedup per alert. */
	if (strcmp(name, "pagerduty") == 0 || strcmp(name, "opsgenie") == 0)
		m.alert_count = 1;
	assert_int_equal(template_render(text, &m, m.created_usec, "R0UT1NGKEY",
					 &body, NULL),
			 0);
	document = json_tokener_parse(body);
	if (document == NULL)
		fail_msg("%s renders no JSON:\n%s", path, body);
	json_object_put(document);
	if (getenv("UPDATE_GOLDEN") != NULL) {
		FILE *f = fopen(golden, "w");

		assert_non_null(f);
		fputs(body, f);
		fclose(f);
	}
	expected = slurp(golden);
	if (expected == NULL || strcmp(expected, body) != 0)
		fail_msg("%s differs from %s:\n%s", path, golden, body);
	free(expected);
	free(body);
	free(text);
}

static void test_shipped_templates_match_golden(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(shipped); i++) {
		render_shipped(shipped[i], false);
		render_shipped(shipped[i], true);
	}
}

static json_object *render_json(const char *file, bool resolved)
{
	struct alert_message m;
	char *text = slurp(file), *body;
	json_object *document;

	assert_non_null(text);
	template_sample_message(&m, resolved);
	m.alert_count = 1;
	assert_int_equal(
	    template_render(text, &m, m.created_usec, "KEY", &body, NULL), 0);
	document = json_tokener_parse(body);
	assert_non_null(document);
	free(body);
	free(text);
	return document;
}

static const char *get(json_object *o, const char *a, const char *b)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, a, &v));
	if (b != NULL)
		assert_true(json_object_object_get_ex(v, b, &v));
	return json_object_get_string(v);
}

/* Trigger and resolve share the dedup key (PagerDuty Events API v2). */
static void test_pagerduty_trigger_and_resolve(void **state)
{
	json_object *firing =
	    render_json("etc/templates/pagerduty.json.tmpl", false);
	json_object *resolved =
	    render_json("etc/templates/pagerduty.json.tmpl", true);

	(void)state;
	assert_string_equal(get(firing, "event_action", NULL), "trigger");
	assert_string_equal(get(resolved, "event_action", NULL), "resolve");
	assert_string_equal(get(firing, "routing_key", NULL), "KEY");
	assert_string_equal(get(firing, "payload", "severity"), "critical");
	assert_string_equal(get(firing, "dedup_key", NULL),
			    get(resolved, "dedup_key", NULL));
	assert_int_equal(strlen(get(firing, "dedup_key", NULL)), 7 + 16);
	json_object_put(firing);
	json_object_put(resolved);
}

static void test_escaping_and_syntax(void **state)
{
	struct alert_message m;
	char reason[256], *body;

	(void)state;
	template_sample_message(&m, false);
	/* The detail holds a quote and a newline. */
	assert_int_equal(template_render("{\"d\": \"{{ .detail }}\"}", &m, 0,
					 NULL, &body, NULL),
			 0);
	assert_string_equal(body,
			    "{\"d\": \"\\\"df\\\" says:\\n/dev/sda1 97%\"}");
	free(body);
	assert_int_equal(template_render("{{ range .alerts }}{{ if not .first "
					 "}},{{ end }}{{ .labels.mount }}"
					 "{{ .number }}{{ end }}",
					 &m, 0, NULL, &body, NULL),
			 0);
	assert_string_equal(body, "/1,2");
	free(body);
	assert_int_equal(template_check("{\n\"a\": \"{{ .nope }}\"}", reason,
					sizeof(reason)),
			 -EINVAL);
	assert_string_equal(reason, "template line 2: unknown field .nope");
	assert_int_equal(
	    template_check("{{ if .rule }}\n{}", reason, sizeof(reason)),
	    -EINVAL);
	assert_non_null(strstr(reason, "line 1: this {{ if }}"));
	assert_int_equal(template_check("{{ end }}", reason, sizeof(reason)),
			 -EINVAL);
	assert_int_equal(
	    template_check("{\"a\": {{ .rule }}}", reason, sizeof(reason)),
	    -EINVAL);
	assert_non_null(strstr(reason, "no JSON document"));
}

/*
 * DingTalk's documented signature: timestamp + "\n" + secret, HMAC-SHA256
 * keyed with the secret, base64, URL-encoded. Expected values from
 * Python's hmac, base64 and urllib.parse.quote_plus.
 */
static void test_dingtalk_signature(void **state)
{
	static const char secret[] = "SECd5f0c1e2a3b4c5d6e7f8091a2b3c4d5e6f"
				     "708192a3b4c5d6e7f8091a2b3c4d5";
	struct alerting_channel_config config = {
	    .url = "https://oapi.dingtalk.com/robot/send?access_token=abc",
	    .dingtalk_secret = (char *)secret,
	};
	struct outgoing out = {0};
	struct alert_message m;
	char sign[128];

	(void)state;
	assert_int_equal(
	    webhook_dingtalk_sign(secret, "1700000000000", sign, sizeof(sign)),
	    0);
	assert_string_equal(sign,
			    "HILI8x5nfabOmEHrT2dJ5ZltMQxwhgcvK7J3z4FBE7A%3D");
	assert_int_equal(
	    webhook_dingtalk_sign(secret, "1700000000001", sign, sizeof(sign)),
	    0);
	assert_string_equal(sign, "gqr%2BgKdrbcAqshJwy9Jms%2FI%2Fy9uix0F6y"
				  "SgCLsvR2vQ%3D");
	template_sample_message(&m, false);
	assert_int_equal(
	    channel_webhook_format(&config, &m, 1700000000001ULL * 1000, &out),
	    0);
	assert_string_equal(out.url,
			    "https://oapi.dingtalk.com/robot/send?access_token="
			    "abc&timestamp=1700000000001&sign=gqr%2BgKdrbcAqsh"
			    "Jwy9Jms%2FI%2Fy9uix0F6ySgCLsvR2vQ%3D");
	outgoing_free(&out);
}

static void test_matchers(void **state)
{
	char *items[] = {"rule=disk_*", "severity!=info", "mount=/"};
	struct config_string_list list = {items, 3};
	char reason[200];

	(void)state;
	assert_true(alert_matchers_pass(&list, "disk_full", "s", ALERT_WARNING,
					"device=sda,mount=/"));
	assert_false(alert_matchers_pass(&list, "disk_full", "s", ALERT_INFO,
					 "mount=/"));
	assert_false(alert_matchers_pass(&list, "cpu_high", "s", ALERT_CRITICAL,
					 "mount=/"));
	assert_false(alert_matchers_pass(&list, "disk_full", "s",
					 ALERT_CRITICAL, "mount=/home"));
	assert_true(alert_matchers_pass(NULL, "x", "s", ALERT_INFO, ""));
	assert_int_equal(alert_matcher_check("rule", reason, sizeof(reason)),
			 -EINVAL);
	assert_int_equal(alert_matcher_check("=x", reason, sizeof(reason)),
			 -EINVAL);
	assert_int_equal(alert_matcher_check("a!=", reason, sizeof(reason)), 0);
}

static struct config *load(const char *text)
{
	struct config *config = NULL;

	if (config_load_text("test.toml", text, strlen(text), &config) < 0)
		return NULL;
	return config;
}

static void test_config_instances(void **state)
{
	enum channel_id removed[CHANNEL_WEBHOOKS_MAX];
	struct config *c;
	char text[4096] = "";

	(void)state;
	/* The one-table form is one instance named "webhook". */
	c = load("[alerting.webhook]\nurl = \"https://a.example/x\"\n");
	assert_non_null(c);
	assert_int_equal(c->alerting.webhook_count, 1);
	channel_webhooks_assign(&c->alerting, removed);
	assert_string_equal(channel_name(CHANNEL_WEBHOOK), "webhook");
	assert_ptr_equal(channel_config(&c->alerting, CHANNEL_WEBHOOK),
			 &c->alerting.webhook[0]);
	config_free(c);
	c = load(
	    "[[alerting.webhook]]\nname = \"ops\"\nurl = \"https://a/x\"\n"
	    "min_severity = \"critical\"\nmatchers = [\"rule=disk_*\"]\n"
	    "[[alerting.webhook]]\nname = \"chat\"\nurl = \"https://b/y\"\n"
	    "template = '{\"t\": \"{{ .title }}\"}'\n");
	assert_non_null(c);
	assert_int_equal(c->alerting.webhook_count, 2);
	/* ops and chat take slots; the default "webhook" leaves its own. */
	assert_int_equal(channel_webhooks_assign(&c->alerting, removed), 1);
	assert_int_equal(removed[0], CHANNEL_WEBHOOK);
	assert_true(channel_from_name("webhook.ops") >= 0);
	assert_true(channel_from_name("webhook.chat") >= 0);
	assert_string_equal(
	    channel_config(&c->alerting,
			   (enum channel_id)channel_from_name("webhook.chat"))
		->name,
	    "chat");
	config_free(c);
	/* Duplicate names, a bad matcher, a bad template, too many. */
	assert_null(load("[[alerting.webhook]]\nurl = \"https://a/x\"\n"
			 "[[alerting.webhook]]\nurl = \"https://b/x\"\n"));
	assert_null(load("[alerting.webhook]\nmatchers = [\"rule\"]\n"));
	assert_null(load("[alerting.webhook]\ntemplate = \"{{ .x }}\"\n"));
	for (int i = 0; i < 9; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
			 "[[alerting.webhook]]\nname = \"w%d\"\n", i);
	assert_null(load(text));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped_templates_match_golden),
	    cmocka_unit_test(test_pagerduty_trigger_and_resolve),
	    cmocka_unit_test(test_escaping_and_syntax),
	    cmocka_unit_test(test_dingtalk_signature),
	    cmocka_unit_test(test_matchers),
	    cmocka_unit_test(test_config_instances),
	};

	log_open(LOG_TARGET_PLAIN);
	log_set_level(LOG_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
