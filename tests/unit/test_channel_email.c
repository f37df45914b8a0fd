/*
 * test_channel_email.c - the RFC 5322 message (src/alerter/channel_email.c):
 * headers, CRLF, line length, encoded subject, no header injection.
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

static void test_message(void **state)
{
	char *to[] = { "ops@example.org", "oncall@example.org" };
	struct alerting_channel_config config = {
		.url = "smtp://127.0.0.1:2525", .from = "agent@example.org",
		.to = { to, 2 }, .username = "u", .secret = "pw",
		.starttls = true };
	struct outgoing out = { 0 };
	struct alert_message m;
	const char *body, *line;

	(void)state;
	fixture_hostile(&m, 2);
	string_copy(m.host, "web-01\r\nBcc: evil@x", sizeof(m.host));
	assert_int_equal(channel_email_format(&config, &m, FIXTURE_NOW, &out),
			 0);
	body = out.body;
	assert_true(strncmp(body, "Date: Sat, 22 Nov 2025 00:05:00 +0000\r\n",
			    39) == 0);
	assert_non_null(strstr(body, "\r\nFrom: agent@example.org\r\n"));
	assert_non_null(strstr(body, "\r\nTo: ops@example.org, "
				     "oncall@example.org\r\n"));
	assert_non_null(strstr(body, "\r\nSubject: [sysops] CRITICAL: 2 "
				     "problems on web-01  Bcc: evil@x\r\n"));
	assert_non_null(strstr(body, "\r\nMessage-ID: <"));
	assert_non_null(strstr(body, "\r\nMIME-Version: 1.0\r\n"));
	/* Nothing injected into the header block. */
	line = strstr(body, "\r\n\r\n");
	assert_non_null(line);
	assert_true(strstr(body, "\r\nBcc:") == NULL ||
		    strstr(body, "\r\nBcc:") > line);
	/* Every line ends in CRLF and is at most 998 octets. */
	for (line = body; *line;) {
		const char *end = strstr(line, "\r\n");

		assert_non_null(end);
		assert_true(end - line <= EMAIL_LINE_MAX);
		assert_null(memchr(line, '\n', (size_t)(end - line)));
		line = end + 2;
	}
	assert_int_equal(out.recipient_count, 2);
	assert_string_equal(out.mail_from, "agent@example.org");
	assert_true(out.require_tls);
	outgoing_free(&out);
}

static void test_non_ascii_subject_is_encoded(void **state)
{
	char *to[] = { "ops@example.org" };
	struct alerting_channel_config config = {
		.url = "smtps://127.0.0.1", .from = "a@b", .to = { to, 1 } };
	struct outgoing out = { 0 };
	struct alert_message m;

	(void)state;
	fixture_message(&m, 1);
	string_copy(m.host, "sérveur", sizeof(m.host));
	assert_int_equal(channel_email_format(&config, &m, FIXTURE_NOW, &out),
			 0);
	assert_non_null(strstr(out.body, "\r\nSubject: =?UTF-8?B?"));
	outgoing_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_non_ascii_subject_is_encoded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
