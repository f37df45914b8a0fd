/*
 * test_channel_slack.c - Slack Block Kit payload and its limits
 * (src/alerter/channel_slack.c): header <= 150, sections <= 3000, <= 50
 * blocks, colour by severity, mrkdwn escaping.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "alerter/channel.h"
#include "alerter/text.h"
#include "alert_fixture.h"

static json_object *format(struct alert_message *m)
{
	struct alerting_channel_config config = {
		.url = "https://hooks.slack.com/services/T/B/x" };
	struct outgoing out = { 0 };
	json_object *root;

	assert_int_equal(channel_slack_format(&config, m, FIXTURE_NOW, &out),
			 0);
	root = json_tokener_parse(out.body);
	assert_non_null(root);
	outgoing_free(&out);
	return root;
}

static json_object *blocks_of(json_object *root, const char **colour)
{
	json_object *attachments, *attachment, *blocks, *v;

	assert_true(json_object_object_get_ex(root, "attachments",
					      &attachments));
	attachment = json_object_array_get_idx(attachments, 0);
	assert_true(json_object_object_get_ex(attachment, "color", &v));
	*colour = json_object_get_string(v);
	assert_true(json_object_object_get_ex(attachment, "blocks", &blocks));
	return blocks;
}

static const char *block_text(json_object *block)
{
	json_object *text, *v;

	if (!json_object_object_get_ex(block, "text", &text)) {
		assert_true(json_object_object_get_ex(block, "elements", &v));
		text = json_object_array_get_idx(v, 0);
	}
	assert_true(json_object_object_get_ex(text, "text", &v));
	return json_object_get_string(v);
}

static void test_blocks(void **state)
{
	struct alert_message m;
	json_object *root, *blocks, *v;
	const char *colour;

	(void)state;
	fixture_message(&m, 2);
	root = format(&m);
	assert_true(json_object_object_get_ex(root, "text", &v));
	assert_string_equal(json_object_get_string(v),
			    "CRITICAL: 2 problems on web-01");
	blocks = blocks_of(root, &colour);
	assert_string_equal(colour, "#e01e5a");
	assert_int_equal(json_object_array_length(blocks), 3);
	json_object_object_get_ex(json_object_array_get_idx(blocks, 0), "type",
				  &v);
	assert_string_equal(json_object_get_string(v), "header");
	assert_non_null(strstr(block_text(json_object_array_get_idx(blocks, 1)),
			       "▁▂▃▄▅▆▇█"));
	json_object_put(root);
}

static void test_limits_and_escaping(void **state)
{
	struct alert_message *m = malloc(sizeof(*m));
	json_object *root, *blocks;
	const char *colour;

	(void)state;
	fixture_hostile(m, MESSAGE_ALERTS_MAX);
	for (size_t i = 0; i < m->alert_count; i++) {
		memset(m->alerts[i].series, 's', ALERT_SERIES_MAX - 1);
		m->alerts[i].series[ALERT_SERIES_MAX - 1] = 0;
	}
	root = format(m);
	blocks = blocks_of(root, &colour);
	assert_true(json_object_array_length(blocks) <= SLACK_BLOCKS_MAX);
	assert_true(utf8_length(block_text(json_object_array_get_idx(blocks, 0)))
		    <= SLACK_HEADER_MAX);
	for (size_t i = 1; i < json_object_array_length(blocks); i++) {
		const char *text = block_text(json_object_array_get_idx(blocks, i));

		assert_true(utf8_length(text) <= SLACK_SECTION_MAX);
		assert_null(strstr(text, "<script>"));
	}
	assert_non_null(strstr(block_text(json_object_array_get_idx(blocks, 1)),
			       "&lt;script&gt;"));
	assert_non_null(strstr(block_text(json_object_array_get_idx(
				       blocks, json_object_array_length(blocks) - 1)),
			       "250 more alerts follow in full"));
	json_object_put(root);
	free(m);
}

static void test_resolved_is_green(void **state)
{
	struct alert_message m;
	json_object *root;
	const char *colour;

	(void)state;
	fixture_message(&m, 1);
	m.alerts[0].kind = ALERT_KIND_RESOLVED;
	root = format(&m);
	blocks_of(root, &colour);
	assert_string_equal(colour, "#2eb67d");
	json_object_put(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_limits_and_escaping),
		cmocka_unit_test(test_resolved_is_green),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
