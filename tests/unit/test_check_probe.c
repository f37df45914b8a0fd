/*
 * test_check_probe.c - the network checks' conversations in the delivery
 * process (src/checks/check_probe.c): malformed requests are refused, a
 * check that cannot start says so at once, a real conversation (a closed
 * loopback port) comes back in words, and the daemon refuses an answer
 * with an unterminated text or a field out of bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "checks/checks.h"
#include "checks/checks_internal.h"
#include "core/offload.h"

/* check_probe.c's request header: type, timeout (ms), the strings present
 * (bit 0: target), header count, follow_redirects. */
static size_t request(uint8_t *out, uint32_t type, uint32_t timeout_ms,
		      uint32_t present, uint32_t headers, const char *strings,
		      size_t strings_length)
{
	uint32_t head[5] = {type, timeout_ms, present, headers, 0};

	memcpy(out, head, sizeof(head));
	memcpy(out + sizeof(head), strings, strings_length);
	return sizeof(head) + strings_length;
}

struct answer {
	bool called;
	struct check_probe_result result;
};

static void on_answer(void *userdata, const void *data, size_t length)
{
	struct answer *a = userdata;

	assert_false(a->called);
	a->called = true;
	assert_int_equal(check_probe_result_decode(data, length, &a->result),
			 0);
}

static int serve(sd_event *event, const uint8_t *data, size_t length,
		 struct answer *a)
{
	return checks_probe_server.serve(event, data, length, on_answer, a);
}

static void test_malformed_requests(void **state)
{
	static const char target[] = "127.0.0.1:1";
	uint8_t buffer[256];
	struct answer a = {0};
	sd_event *event;
	size_t n;

	(void)state;
	assert_int_equal(sd_event_new(&event), 0);
	assert_int_equal(serve(event, buffer, 3, &a), -EBADMSG);
	n = request(buffer, CHECK_PROCESS, 1000, 1, 0, target, sizeof(target));
	assert_int_equal(serve(event, buffer, n, &a), -EBADMSG);
	n = request(buffer, CHECK_TCP, 0, 1, 0, target, sizeof(target));
	assert_int_equal(serve(event, buffer, n, &a), -EBADMSG);
	n = request(buffer, CHECK_TCP, 1000, 1u << 12, 0, target,
		    sizeof(target));
	assert_int_equal(serve(event, buffer, n, &a), -EBADMSG);
	/* No NUL after the target; a byte after it; a header missing. */
	n = request(buffer, CHECK_TCP, 1000, 1, 0, target, sizeof(target) - 1);
	assert_int_equal(serve(event, buffer, n, &a), -EBADMSG);
	n = request(buffer, CHECK_TCP, 1000, 1, 0, "127.0.0.1:1\0x", 14);
	assert_int_equal(serve(event, buffer, n, &a), -EBADMSG);
	n = request(buffer, CHECK_TCP, 1000, 1, 1, target, sizeof(target));
	assert_int_equal(serve(event, buffer, n, &a), -EBADMSG);
	assert_false(a.called);
	checks_probe_server.stop();
	sd_event_unref(event);
}

static void test_cannot_start(void **state)
{
	static const char target[] = "no port here";
	uint8_t buffer[256];
	struct answer a = {0};
	sd_event *event;
	size_t n;

	(void)state;
	assert_int_equal(sd_event_new(&event), 0);
	n = request(buffer, CHECK_TCP, 1000, 1, 0, target, sizeof(target));
	assert_int_equal(serve(event, buffer, n, &a), 0);
	assert_true(a.called);
	assert_true(a.result.cannot_start);
	assert_non_null(strstr(a.result.words, "cannot start the check"));
	assert_true(sd_event_run(event, 0) >= 0); /* frees the probe */
	checks_probe_server.stop();
	sd_event_unref(event);
}

/* A port nothing listens on: bound, never listened to. */
static int closed_port(int *fd)
{
	struct sockaddr_in address = {
	    .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t length = sizeof(address);

	*fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(*fd >= 0);
	assert_int_equal(bind(*fd, (struct sockaddr *)&address, length), 0);
	assert_int_equal(getsockname(*fd, (struct sockaddr *)&address, &length),
			 0);
	return ntohs(address.sin_port);
}

static void test_conversation(void **state)
{
	char target[32];
	uint8_t buffer[256];
	struct answer a = {0};
	sd_event *event;
	size_t n;
	int fd, length;

	(void)state;
	length =
	    snprintf(target, sizeof(target), "127.0.0.1:%d", closed_port(&fd));
	assert_int_equal(sd_event_new(&event), 0);
	n = request(buffer, CHECK_TCP, 2000, 1, 0, target, (size_t)length + 1);
	assert_int_equal(serve(event, buffer, n, &a), 0);
	for (int i = 0; i < 100 && !a.called; i++)
		assert_true(sd_event_run(event, 50 * 1000) >= 0);
	assert_true(a.called);
	assert_false(a.result.cannot_start);
	assert_int_equal(a.result.error, -ECONNREFUSED);
	assert_non_null(strstr(a.result.words, "refused"));
	assert_true(a.result.connect_secs == -1);
	checks_probe_server.stop();
	sd_event_unref(event);
	close(fd);
}

static void test_answers_checked(void **state)
{
	struct check_probe_result good, bad, out;

	(void)state;
	memset(&good, 0, sizeof(good));
	good.status = 200;
	good.latency = 0.25;
	good.connect_secs = -1;
	strcpy(good.words, "fine");
	assert_int_equal(
	    check_probe_result_decode((uint8_t *)&good, sizeof(good), &out), 0);
	assert_string_equal(out.words, "fine");
	assert_int_equal(
	    check_probe_result_decode((uint8_t *)&good, sizeof(good) - 1, &out),
	    -EBADMSG);
	bad = good;
	memset(bad.words, 'x', sizeof(bad.words));
	assert_int_equal(
	    check_probe_result_decode((uint8_t *)&bad, sizeof(bad), &out),
	    -EBADMSG);
	bad = good;
	memset(bad.cert.subject, 'x', sizeof(bad.cert.subject));
	assert_int_equal(
	    check_probe_result_decode((uint8_t *)&bad, sizeof(bad), &out),
	    -EBADMSG);
	bad = good;
	bad.redis = (enum check_redis_answer)99;
	assert_int_equal(
	    check_probe_result_decode((uint8_t *)&bad, sizeof(bad), &out),
	    -EBADMSG);
	bad = good;
	bad.latency = NAN;
	assert_int_equal(
	    check_probe_result_decode((uint8_t *)&bad, sizeof(bad), &out),
	    -EBADMSG);
	bad = good;
	bad.status = 1000;
	assert_int_equal(
	    check_probe_result_decode((uint8_t *)&bad, sizeof(bad), &out),
	    -EBADMSG);
	bad = good;
	*(uint8_t *)&bad.have_cert = 2;
	assert_int_equal(
	    check_probe_result_decode((uint8_t *)&bad, sizeof(bad), &out),
	    -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_malformed_requests),
	    cmocka_unit_test(test_cannot_start),
	    cmocka_unit_test(test_conversation),
	    cmocka_unit_test(test_answers_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
