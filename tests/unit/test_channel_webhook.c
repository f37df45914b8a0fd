/*
 * test_channel_webhook.c - the generic webhook document and its HMAC-SHA256
 * signature (src/alerter/channel_webhook.c).
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

static void test_signature_known_answer(void **state)
{
	char signature[80];

	(void)state;
	/* printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac s3cret */
	assert_int_equal(webhook_signature("s3cret", "1700000000", "{\"a\":1}",
					   7, signature, sizeof(signature)),
			 0);
	assert_string_equal(signature, "sha256=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940");
}

static void test_document_and_headers(void **state)
{
	char *headers[] = { "X-Team: ops", "Bad\r\nInjected: 1" };
	struct alerting_channel_config config = {
		.url = "https://hooks.example/abc", .secret = "s3cret",
		.headers = { headers, 2 },
	};
	struct outgoing out = { 0 };
	struct alert_message m;
	json_object *root, *alerts, *a, *v;
	bool timestamp = false, signature = false, team = false;
	char expected[80], ts[24];

	(void)state;
	fixture_message(&m, 2);
	m.alerts[1].kind = ALERT_KIND_RESOLVED;
	m.alerts[1].firing = false;
	m.alerts[1].ended_usec = FIXTURE_NOW;
	assert_int_equal(channel_webhook_format(&config, &m, FIXTURE_NOW, &out),
			 0);
	root = json_tokener_parse(out.body);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "host", &v));
	assert_string_equal(json_object_get_string(v), "web-01");
	assert_true(json_object_object_get_ex(root, "status", &v));
	assert_string_equal(json_object_get_string(v), "firing");
	assert_true(json_object_object_get_ex(root, "alerts", &alerts));
	assert_int_equal(json_object_array_length(alerts), 2);
	a = json_object_array_get_idx(alerts, 0);
	assert_true(json_object_object_get_ex(a, "labels", &v));
	assert_true(json_object_object_get_ex(v, "mount", &v));
	assert_string_equal(json_object_get_string(v), "/");
	assert_true(json_object_object_get_ex(a, "value", &v));
	assert_true(json_object_get_double(v) > 97.1);
	assert_true(json_object_object_get_ex(a, "starts_at", &v));
	assert_string_equal(json_object_get_string(v),
			    "2025-11-22T00:00:00.000Z");
	a = json_object_array_get_idx(alerts, 1);
	assert_true(json_object_object_get_ex(a, "state", &v));
	assert_string_equal(json_object_get_string(v), "resolved");
	assert_true(json_object_object_get_ex(a, "duration_secs", &v));
	assert_int_equal(json_object_get_int(v), 300);
	json_object_put(root);
	snprintf(ts, sizeof(ts), "%llu",
		 (unsigned long long)(FIXTURE_NOW / 1000000));
	webhook_signature("s3cret", ts, out.body, out.body_length, expected,
			  sizeof(expected));
	for (size_t i = 0; i < out.header_count; i++) {
		char line[128];

		snprintf(line, sizeof(line), "X-Sysops-Timestamp: %s", ts);
		timestamp |= strcmp(out.headers[i], line) == 0;
		snprintf(line, sizeof(line), "X-Sysops-Signature: %s", expected);
		signature |= strcmp(out.headers[i], line) == 0;
		team |= strcmp(out.headers[i], "X-Team: ops") == 0;
		assert_null(strstr(out.headers[i], "Injected"));
	}
	assert_true(timestamp && signature && team);
	outgoing_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_known_answer),
		cmocka_unit_test(test_document_and_headers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
