/*
 * test_channel_telegram.c - Telegram sendMessage in HTML mode
 * (src/alerter/channel_telegram.c): escaping, 4096 chars, URL with token.
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
#include <string.h>

#include "alerter/channel.h"
#include "alerter/text.h"
#include "alert_fixture.h"

static void test_message_and_url(void **state)
{
	struct alerting_channel_config config = {
		.url = "http://127.0.0.1:9/", .secret = "123:ABC",
		.chat_id = "-100200" };
	struct outgoing out = { 0 };
	struct alert_message *m = malloc(sizeof(*m));
	json_object *root, *v;
	const char *text;

	(void)state;
	fixture_hostile(m, MESSAGE_ALERTS_MAX);
	assert_int_equal(channel_telegram_format(&config, m, FIXTURE_NOW, &out),
			 0);
	assert_string_equal(out.url, "http://127.0.0.1:9/bot123:ABC/sendMessage");
	assert_string_equal(out.secrets[0], "123:ABC");
	root = json_tokener_parse(out.body);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "parse_mode", &v));
	assert_string_equal(json_object_get_string(v), "HTML");
	assert_true(json_object_object_get_ex(root, "chat_id", &v));
	assert_string_equal(json_object_get_string(v), "-100200");
	assert_true(json_object_object_get_ex(root, "text", &v));
	text = json_object_get_string(v);
	assert_true(utf8_length(text) <= TELEGRAM_TEXT_MAX);
	/* Whole alerts only, and exactly how many were left out. */
	{
		const char *more = strstr(text, " more alerts left out of this "
					  "message");
		size_t shown = 0;

		assert_non_null(more);
		while (more > text && more[-1] >= '0' && more[-1] <= '9')
			more--;
		for (const char *p = strstr(text, "\n<b>"); p;
		     p = strstr(p + 1, "\n<b>"))
			shown++;
		assert_true(shown >= 1);
		assert_int_equal(strtoul(more, NULL, 10) + shown,
				 MESSAGE_ALERTS_MAX);
		assert_non_null(strstr(text, "250 more alerts follow"));
	}
	assert_null(strstr(text, "<script>"));
	assert_non_null(strstr(text, "&lt;script&gt;"));
	assert_non_null(strstr(text, "&amp;"));
	/* Only our own tags remain. */
	for (const char *p = strchr(text, '<'); p; p = strchr(p + 1, '<'))
		assert_true(strncmp(p, "<b>", 3) == 0 ||
			    strncmp(p, "</b>", 4) == 0 ||
			    strncmp(p, "<i>", 3) == 0 ||
			    strncmp(p, "</i>", 4) == 0);
	json_object_put(root);
	outgoing_free(&out);
	free(m);
}

static void test_retry_after_in_body(void **state)
{
	(void)state;
	assert_true(channel_retry_after_from_body(
			    "{\"ok\":false,\"error_code\":429,\"parameters\":"
			    "{\"retry_after\":7}}") == 7);
	assert_true(channel_retry_after_from_body(
			    "{\"message\":\"rate limited\",\"retry_after\":1.5,"
			    "\"global\":false}") == 1.5);
	assert_true(channel_retry_after_from_body("nope") < 0);
	assert_true(channel_retry_after_from_body(NULL) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message_and_url),
		cmocka_unit_test(test_retry_after_in_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
