/*
 * test_heartbeat.c - the healthchecks.io URL forms (/start, /fail before any
 * query string, no doubled slash) and how core/http classifies answers, which
 * decides between a retry and a drop for remote write.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <errno.h>
#include <string.h>

#include "core/health.h"
#include "core/http.h"
#include "core/log.h"
#include "heartbeat/heartbeat.h"

static void test_ping_urls(void **state)
{
	char url[128];

	(void)state;
	assert_int_equal(
	    heartbeat_url("https://hc-ping.com/abc", "/fail", url, sizeof(url)),
	    0);
	assert_string_equal(url, "https://hc-ping.com/abc/fail");
	assert_int_equal(heartbeat_url("https://hc-ping.com/abc/", "/start",
				       url, sizeof(url)),
			 0);
	assert_string_equal(url, "https://hc-ping.com/abc/start");
	assert_int_equal(
	    heartbeat_url("https://hc-ping.com/abc/", "", url, sizeof(url)), 0);
	assert_string_equal(url, "https://hc-ping.com/abc/");
	assert_int_equal(heartbeat_url("http://127.0.0.1:8000/ping/k?rid=1",
				       "/fail", url, sizeof(url)),
			 0);
	assert_string_equal(url, "http://127.0.0.1:8000/ping/k/fail?rid=1");
	assert_int_equal(
	    heartbeat_url("https://hc-ping.com/abc", "/fail", url, 10),
	    -ENAMETOOLONG);
}

static void test_answers_are_classified(void **state)
{
	(void)state;
	assert_int_equal(http_classify(CURLE_OK, 204), HTTP_OK);
	assert_int_equal(http_classify(CURLE_OK, 200), HTTP_OK);
	assert_int_equal(http_classify(CURLE_COULDNT_CONNECT, 0), HTTP_RETRY);
	assert_int_equal(http_classify(CURLE_OPERATION_TIMEDOUT, 0),
			 HTTP_RETRY);
	assert_int_equal(http_classify(CURLE_OK, 500), HTTP_RETRY);
	assert_int_equal(http_classify(CURLE_OK, 503), HTTP_RETRY);
	assert_int_equal(http_classify(CURLE_OK, 429), HTTP_RETRY);
	assert_int_equal(http_classify(CURLE_OK, 408), HTTP_RETRY);
	/* Prometheus answers 400 to out-of-order samples: never retried. */
	assert_int_equal(http_classify(CURLE_OK, 400), HTTP_PERMANENT);
	assert_int_equal(http_classify(CURLE_OK, 401), HTTP_PERMANENT);
	assert_int_equal(http_classify(CURLE_OK, 404), HTTP_PERMANENT);
	assert_int_equal(http_classify(CURLE_URL_MALFORMAT, 0), HTTP_PERMANENT);
}

static void test_health_reports(void **state)
{
	char text[128];

	(void)state;
	health_reset();
	assert_int_equal(health_problems(text, sizeof(text)), 0);
	assert_string_equal(text, "");
	assert_int_equal(health_set("remote_write", "12 batches wait"), 0);
	assert_int_equal(health_set("spool", NULL), 0);
	assert_int_equal(health_set("spool", "not draining"), 0);
	assert_int_equal(health_problems(text, sizeof(text)), 2);
	assert_string_equal(
	    text, "remote_write: 12 batches wait; spool: not draining");
	assert_int_equal(health_set("remote_write", NULL), 0);
	assert_int_equal(health_problems(text, sizeof(text)), 1);
	assert_string_equal(text, "spool: not draining");
	/* Cut to the buffer, still counted. */
	assert_int_equal(health_set("remote_write", "again"), 0);
	assert_int_equal(health_problems(text, 8), 2);
	assert_int_equal(strlen(text), 7);
	health_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ping_urls),
	    cmocka_unit_test(test_answers_are_classified),
	    cmocka_unit_test(test_health_reports),
	};

	log_open(LOG_TARGET_PLAIN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
