/*
 * test_text.c - the shared alert wording (src/alerter/text.c): sparkline,
 * durations, UTF-8 truncation with a marker, secret masking, headline/facts.
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

#include "alerter/text.h"
#include "alert_fixture.h"

static void test_duration(void **state)
{
	char out[32];

	(void)state;
	format_duration(42, out, sizeof(out));
	assert_string_equal(out, "42s");
	format_duration(300, out, sizeof(out));
	assert_string_equal(out, "5m");
	format_duration(7800, out, sizeof(out));
	assert_string_equal(out, "2h 10m");
	format_duration(90000, out, sizeof(out));
	assert_string_equal(out, "1d 1h");
	/* A whole hour or day carries no "0m" / "0h". */
	format_duration(18000, out, sizeof(out));
	assert_string_equal(out, "5h");
	format_duration(2 * 86400 + 1800, out, sizeof(out));
	assert_string_equal(out, "2d");
}

static void test_utf8_truncate(void **state)
{
	char s[64] = "ééééééééééé"; /* 11 code points, 22 bytes */
	char tiny[8] = "abcdefg";

	(void)state;
	assert_false(utf8_truncate(s, sizeof(s), 11, "…"));
	assert_true(utf8_truncate(s, sizeof(s), 5, "…"));
	assert_string_equal(s, "éééé…");
	assert_int_equal(utf8_length(s), 5);
	/* The marker must fit in bytes as well. */
	assert_true(utf8_truncate(tiny, sizeof(tiny), 6, "…[t]"));
	assert_true(strlen(tiny) < sizeof(tiny));
	assert_true(utf8_length(tiny) <= 6);
}

static void test_mask_secrets(void **state)
{
	char text[128] = "bad token abc123secret in "
			 "https://x/abc123secret/y";
	char *secrets[] = { "abc123secret", NULL, "" };

	(void)state;
	text_mask_secrets(text, secrets, 3);
	assert_string_equal(text, "bad token *** in https://x/***/y");
	/* Echoed by a server in any encoding and case (core/secret.h). */
	strcpy(text, "{\"u\":\"https:\\/\\/x\\/ABC123SECRET\\/y\"} "
		     "https%3A%2F%2Fx%2Fabc123secret");
	text_mask_secrets(text, secrets, 3);
	assert_string_equal(text, "{\"u\":\"https:\\/\\/x\\/***\\/y\"} "
				  "https%3A%2F%2Fx%2F***");
}

static void test_headline_and_facts(void **state)
{
	struct alert_message m;
	char out[2048];

	(void)state;
	fixture_message(&m, 1);
	alert_headline(&m.alerts[0], m.host, out, sizeof(out));
	assert_string_equal(out, "CRITICAL disk_full_forecast on web-01: "
				 "Disk / is 97% full");
	/* One alert: its body line is the sentence, nothing repeated. */
	message_alert_headline(&m, 0, out, sizeof(out));
	assert_string_equal(out, "Disk / is 97% full");
	alert_facts(&m.alerts[0], FIXTURE_NOW, out, sizeof(out));
	assert_non_null(strstr(out, "Value: 97.2% (usual 60.5%, limit 90%)"));
	assert_non_null(strstr(out, "Since: 2025-11-22 00:00:00 UTC (5m)"));
	assert_non_null(strstr(out, "Forecast: limit reached in 2h 10m"));
	assert_non_null(strstr(out, "Recent: ▁▂▃▄▅▆▇█"));
	/* A sentence that already gives value, usual and limit is not
	 * followed by them again; one that gives only some is. */
	string_copy(m.alerts[0].summary,
		    "Disk / is 97.2% full (usually 60.5%), past the 90% limit.",
		    sizeof(m.alerts[0].summary));
	alert_facts(&m.alerts[0], FIXTURE_NOW, out, sizeof(out));
	assert_null(strstr(out, "Value:"));
	string_copy(m.alerts[0].summary, "Disk / is 97.2% full.",
		    sizeof(m.alerts[0].summary));
	alert_facts(&m.alerts[0], FIXTURE_NOW, out, sizeof(out));
	assert_non_null(strstr(out, "Value: 97.2% (usual 60.5%, limit 90%)"));
	m.alerts[0].kind = ALERT_KIND_RESOLVED;
	m.alerts[0].firing = false;
	m.alerts[0].ended_usec = FIXTURE_NOW;
	alert_facts(&m.alerts[0], FIXTURE_NOW + 999000000ULL, out, sizeof(out));
	assert_non_null(strstr(out, "Lasted: 2025-11-22 00:00:00 UTC (5m)"));
	assert_null(strstr(out, "Forecast"));
	/* The push line: severity (or state), what and where, the value. */
	message_title(&m, out, sizeof(out));
	assert_string_equal(out, "RESOLVED disk / 97.2% full on web-01");
	m.alerts[0].kind = ALERT_KIND_NEW;
	m.alerts[0].firing = true;
	m.alerts[0].eta_secs = 7800;
	m.alerts[0].value = 96;
	message_title(&m, out, sizeof(out));
	assert_string_equal(out,
			    "CRITICAL disk / 96% full, 2h 10m left on web-01");
	m.alerts[0].eta_secs = -1;
	message_title(&m, out, sizeof(out));
	assert_string_equal(out, "CRITICAL disk / 96% full on web-01");
	string_copy(m.alerts[0].rule, "net_rx_high", sizeof(m.alerts[0].rule));
	string_copy(m.alerts[0].series, "net.rx_bytes_per_sec",
		    sizeof(m.alerts[0].series));
	string_copy(m.alerts[0].labels, "interface=eth0",
		    sizeof(m.alerts[0].labels));
	m.alerts[0].value = 3 * 1024 * 1024;
	message_title(&m, out, sizeof(out));
	assert_string_equal(out, "CRITICAL net_rx_high eth0 3 MiB/s on web-01");
	/* A log event has no value: the rule says what. */
	m.alerts[0].value = NAN;
	message_title(&m, out, sizeof(out));
	assert_string_equal(out, "CRITICAL net_rx_high on web-01");
	fixture_message(&m, 3);
	m.deferred_count = 12;
	message_title(&m, out, sizeof(out));
	assert_string_equal(out, "CRITICAL: 3 problems on web-01");
	/* Singular, and nothing critical once all are resolved. */
	m.alert_count = 1;
	m.alerts[0].kind = ALERT_KIND_NEW;
	fixture_message(&m, 2);
	m.alerts[1].kind = ALERT_KIND_RESOLVED;
	message_title(&m, out, sizeof(out));
	assert_string_equal(out, "CRITICAL: 1 problem, 1 resolved on web-01");
	m.alerts[0].kind = ALERT_KIND_RESOLVED;
	message_title(&m, out, sizeof(out));
	assert_string_equal(out, "2 resolved on web-01");
	assert_int_equal(message_firing_severity(&m), ALERT_INFO);
	fixture_message(&m, 3);
	m.deferred_count = 12;
	message_deferred_line(&m, out, sizeof(out));
	assert_string_equal(out, "12 more alerts follow in full when the rate "
				 "limit allows");
	m.deferred_count = 1;
	message_deferred_line(&m, out, sizeof(out));
	assert_string_equal(out, "1 more alert follows in full when the rate "
				 "limit allows");
}

static void test_message_json_round_trip(void **state)
{
	struct alert_message m, back;
	size_t length;
	char *json;

	(void)state;
	fixture_hostile(&m, 3);
	m.channel = CHANNEL_SLACK;
	m.alerts[1].value = NAN;
	m.alerts[2].history[3] = NAN;
	json = message_to_json(&m, &length);
	assert_non_null(json);
	assert_int_equal(message_from_json(json, length, &back), 0);
	assert_int_equal(back.id, 42);
	assert_int_equal(back.channel, CHANNEL_SLACK);
	assert_int_equal(back.alert_count, 3);
	assert_string_equal(back.alerts[0].summary, m.alerts[0].summary);
	assert_string_equal(back.alerts[0].detail, m.alerts[0].detail);
	assert_true(isnan(back.alerts[1].value));
	assert_true(isnan(back.alerts[2].history[3]));
	assert_int_equal(back.alerts[2].history_count, 8);
	assert_int_equal(back.deferred_count, 250);
	free(json);
	assert_int_equal(message_from_json("{\"channel\":\"nope\"}", 18, &back),
			 -EINVAL);
	assert_int_equal(message_from_json("\x01\x02garbage", 9, &back),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_utf8_truncate),
		cmocka_unit_test(test_mask_secrets),
		cmocka_unit_test(test_headline_and_facts),
		cmocka_unit_test(test_message_json_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
