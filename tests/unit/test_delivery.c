/*
 * test_delivery.c - how finished transfers are classified
 * (src/alerter/delivery.c): success, retry (network, 408, 429, 5xx) and
 * permanent (other 4xx, bad URL), for HTTP and SMTP; and a real transfer to
 * a closed loopback port through the sd-event loop.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/delivery.h"
#include "core/util.h"

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(delivery_classify(CURLE_OK, 200, false), DELIVERY_OK);
	assert_int_equal(delivery_classify(CURLE_OK, 204, false), DELIVERY_OK);
	assert_int_equal(delivery_classify(CURLE_OK, 429, false), DELIVERY_RETRY);
	assert_int_equal(delivery_classify(CURLE_OK, 408, false), DELIVERY_RETRY);
	assert_int_equal(delivery_classify(CURLE_OK, 503, false), DELIVERY_RETRY);
	assert_int_equal(delivery_classify(CURLE_OK, 400, false),
			 DELIVERY_PERMANENT);
	assert_int_equal(delivery_classify(CURLE_OK, 404, false),
			 DELIVERY_PERMANENT);
	assert_int_equal(delivery_classify(CURLE_COULDNT_CONNECT, 0, false),
			 DELIVERY_RETRY);
	assert_int_equal(delivery_classify(CURLE_OPERATION_TIMEDOUT, 0, false),
			 DELIVERY_RETRY);
	assert_int_equal(delivery_classify(CURLE_URL_MALFORMAT, 0, false),
			 DELIVERY_PERMANENT);
	assert_int_equal(delivery_classify(CURLE_OK, 250, true), DELIVERY_OK);
	assert_int_equal(delivery_classify(CURLE_LOGIN_DENIED, 535, true),
			 DELIVERY_RETRY);
}

static struct delivery_result last;
static int calls;

static void on_done(void *userdata, const struct delivery_result *result)
{
	(void)userdata;
	last = *result;
	calls++;
}

static void test_refused_connection_through_the_loop(void **state)
{
	struct outgoing out = { 0 };
	struct delivery *d;
	sd_event *event;
	uint64_t deadline;

	(void)state;
	assert_int_equal(sd_event_new(&event), 0);
	d = delivery_new(event);
	assert_non_null(d);
	/* Port 1 on loopback: nothing listens there. */
	out.url = strdup("http://127.0.0.1:1/hook/TOPSECRET");
	out.body = strdup("{}");
	out.body_length = 2;
	outgoing_add_secret(&out, "TOPSECRET");
	assert_int_equal(delivery_send(d, &out, 2, 5, on_done, NULL), 0);
	assert_null(out.url); /* ownership taken */
	assert_int_equal(delivery_in_flight(d), 1);
	deadline = now_monotonic_usec() + 10 * USEC_PER_SEC;
	while (calls == 0 && now_monotonic_usec() < deadline)
		sd_event_run(event, 100000);
	assert_int_equal(calls, 1);
	assert_int_equal(last.outcome, DELIVERY_RETRY);
	assert_int_equal(delivery_in_flight(d), 0);
	assert_null(strstr(last.error, "TOPSECRET"));
	delivery_free(d);
	sd_event_unref(event);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_refused_connection_through_the_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
