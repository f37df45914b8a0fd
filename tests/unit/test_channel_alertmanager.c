/*
 * test_channel_alertmanager.c - Alertmanager v2 alerts
 * (src/alerter/channel_alertmanager.c): labels, startsAt/endsAt, URL.
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

static void test_alerts(void **state)
{
	struct alerting_channel_config config = {
		.url = "http://127.0.0.1:9093/", .repost_interval_secs = 60 };
	struct outgoing out = { 0 };
	struct alert_message m;
	json_object *root, *a, *labels, *v;

	(void)state;
	fixture_message(&m, 2);
	string_copy(m.alerts[0].labels, "mount=/,bad-name=1,severity=x",
		    sizeof(m.alerts[0].labels));
	m.alerts[1].kind = ALERT_KIND_RESOLVED;
	m.alerts[1].firing = false;
	m.alerts[1].ended_usec = FIXTURE_NOW;
	assert_int_equal(channel_alertmanager_format(&config, &m, FIXTURE_NOW,
						     &out),
			 0);
	assert_string_equal(out.url, "http://127.0.0.1:9093/api/v2/alerts");
	root = json_tokener_parse(out.body);
	assert_non_null(root);
	assert_int_equal(json_object_array_length(root), 2);
	a = json_object_array_get_idx(root, 0);
	assert_true(json_object_object_get_ex(a, "labels", &labels));
	json_object_object_get_ex(labels, "alertname", &v);
	assert_string_equal(json_object_get_string(v), "disk_full_forecast");
	json_object_object_get_ex(labels, "instance", &v);
	assert_string_equal(json_object_get_string(v), "web-01");
	json_object_object_get_ex(labels, "severity", &v);
	assert_string_equal(json_object_get_string(v), "critical");
	json_object_object_get_ex(labels, "mount", &v);
	assert_string_equal(json_object_get_string(v), "/");
	assert_true(json_object_object_get_ex(labels, "bad_name", &v));
	json_object_object_get_ex(a, "startsAt", &v);
	assert_string_equal(json_object_get_string(v),
			    "2025-11-22T00:00:00.000Z");
	json_object_object_get_ex(a, "endsAt", &v);
	assert_string_equal(json_object_get_string(v),
			    "2025-11-22T00:09:00.000Z");
	a = json_object_array_get_idx(root, 1);
	json_object_object_get_ex(a, "endsAt", &v);
	assert_string_equal(json_object_get_string(v),
			    "2025-11-22T00:05:00.000Z");
	json_object_put(root);
	outgoing_free(&out);
	m.alert_count = 0;
	assert_int_equal(channel_alertmanager_format(&config, &m, FIXTURE_NOW,
						     &out),
			 -ENODATA);
	outgoing_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alerts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
