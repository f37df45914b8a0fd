/*
 * test_delivery_frame.c - the framed messages between the daemon and its
 * delivery process (src/alerter/delivery_frame.c): a request and a result
 * survive the round trip (a GET too), JOB frames carry their bytes, the
 * launcher's SPAWN and SPAWNED frames check, and truncated, oversize,
 * wrong-version, wrong-type and out-of-bounds frames are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"
#include "alerter/delivery_internal.h"

static void make_request(struct outgoing *out)
{
	static const char body[] = "Subject: x\r\n\r\nbody\0with a NUL";

	memset(out, 0, sizeof(*out));
	out->channel = CHANNEL_EMAIL;
	out->url = strdup("smtps://mail.example:465");
	out->body = malloc(sizeof(body)); /* strdup would stop at the NUL */
	assert_non_null(out->body);
	memcpy(out->body, body, sizeof(body));
	out->body_length = 27;
	out->headers[out->header_count++] = strdup("X-A: 1");
	out->mail_from = strdup("agent@example");
	out->recipients[out->recipient_count++] = strdup("ops@example");
	out->recipients[out->recipient_count++] = strdup("oncall@example");
	out->username = strdup("agent");
	out->password = strdup("hunter2");
	out->require_tls = true;
	out->ca_file = strdup("/etc/ssl/ca.pem");
	out->secrets[out->secret_count++] = strdup("hunter2");
}

static void test_request_round_trip(void **state)
{
	struct delivery_frame f = {0};
	struct outgoing in, out;
	const uint8_t *payload;
	size_t length;
	long connect_timeout, timeout;
	size_t missing;
	uint32_t id;

	(void)state;
	make_request(&in);
	assert_int_equal(delivery_frame_send_encode(&f, 77, &in, 10, 30), 0);
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length),
	    DELIVERY_FRAME_SEND);
	assert_int_equal(delivery_frame_send_decode(payload, length, &id, &out,
						    &connect_timeout, &timeout,
						    &missing),
			 0);
	assert_int_equal(missing, 0);
	assert_int_equal(id, 77);
	assert_int_equal(connect_timeout, 10);
	assert_int_equal(timeout, 30);
	assert_int_equal(out.channel, CHANNEL_EMAIL);
	assert_string_equal(out.url, in.url);
	assert_int_equal(out.body_length, 27);
	assert_memory_equal(out.body, in.body, 27);
	assert_int_equal(out.header_count, 1);
	assert_string_equal(out.headers[0], "X-A: 1");
	assert_int_equal(out.recipient_count, 2);
	assert_string_equal(out.recipients[1], "oncall@example");
	assert_string_equal(out.password, "hunter2");
	assert_true(out.require_tls);
	assert_string_equal(out.ca_file, "/etc/ssl/ca.pem");
	assert_int_equal(out.secret_count, 1);
	outgoing_free(&in);
	outgoing_free(&out);
	delivery_frame_release(&f);
}

static void test_result_round_trip(void **state)
{
	struct delivery_frame f = {0};
	struct delivery_result in = {.outcome = DELIVERY_RETRY,
				     .status = 429,
				     .retry_after_secs = 2.5},
			       out;
	const uint8_t *payload;
	size_t length;
	uint32_t id;

	(void)state;
	strcpy(in.error, "HTTP 429");
	strcpy(in.body, "{\"retry_after\":2.5}");
	assert_int_equal(delivery_frame_result_encode(&f, 9, &in), 0);
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length),
	    DELIVERY_FRAME_RESULT);
	assert_int_equal(
	    delivery_frame_result_decode(payload, length, &id, &out), 0);
	assert_int_equal(id, 9);
	assert_int_equal(out.outcome, DELIVERY_RETRY);
	assert_int_equal(out.status, 429);
	assert_true(out.retry_after_secs > 2.49 && out.retry_after_secs < 2.51);
	assert_string_equal(out.error, "HTTP 429");
	assert_string_equal(out.body, in.body);
	delivery_frame_release(&f);
}

/* A valid SEND frame to break in the tests below. */
static struct delivery_frame valid_send(void)
{
	struct delivery_frame f = {0};
	struct outgoing in;

	make_request(&in);
	assert_int_equal(delivery_frame_send_encode(&f, 1, &in, 10, 30), 0);
	outgoing_free(&in);
	return f;
}

static void test_truncated(void **state)
{
	struct delivery_frame f = valid_send();
	const uint8_t *payload;
	size_t length;
	struct outgoing out;
	long ct, t;
	size_t missing;
	uint32_t id;

	(void)state;
	/* Shorter than the header, and shorter than the header says. */
	assert_int_equal(delivery_frame_check(f.data, 7, &payload, &length),
			 -EBADMSG);
	assert_int_equal(
	    delivery_frame_check(f.data, f.length - 1, &payload, &length),
	    -EBADMSG);
	/* A payload cut inside a field, with a header that agrees. */
	for (size_t cut = 1; cut < f.length - DELIVERY_FRAME_HEADER; cut++) {
		uint8_t *copy = malloc(f.length);
		uint32_t n = (uint32_t)(f.length - DELIVERY_FRAME_HEADER - cut);
		int r;

		memcpy(copy, f.data, f.length);
		memcpy(copy + 4, &n, sizeof(n));
		assert_int_equal(delivery_frame_check(copy, f.length - cut,
						      &payload, &length),
				 DELIVERY_FRAME_SEND);
		r = delivery_frame_send_decode(payload, length, &id, &out, &ct,
					       &t, &missing);
		/* Only a cut exactly between two fields can still parse. */
		if (r == 0)
			outgoing_free(&out);
		else
			assert_int_equal(r, -EBADMSG);
		free(copy);
	}
	delivery_frame_release(&f);
}

/* A body past DELIVERY_BODY_INLINE: its length in SEND, then BODY frames. */
static void test_long_body(void **state)
{
	struct delivery_frame f = {0};
	struct outgoing in = {.channel = CHANNEL_WEBHOOK}, out;
	size_t total = DELIVERY_BODY_INLINE * 2 + 10, missing, at;
	const uint8_t *payload, *data;
	size_t length, n;
	long ct, t;
	uint32_t id;

	(void)state;
	in.url = strdup("http://127.0.0.1/");
	in.body = malloc(total);
	for (size_t i = 0; i < total; i++)
		in.body[i] = (char)('a' + i % 26);
	in.body_length = total;
	assert_int_equal(delivery_frame_send_encode(&f, 5, &in, 10, 30), 0);
	assert_true(f.length < 1024);
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length),
	    DELIVERY_FRAME_SEND);
	assert_int_equal(delivery_frame_send_decode(payload, length, &id, &out,
						    &ct, &t, &missing),
			 0);
	assert_int_equal(missing, total);
	assert_int_equal(out.body_length, total);
	for (at = 0; at < total; at += n) {
		n = total - at < DELIVERY_BODY_INLINE ? total - at
						      : DELIVERY_BODY_INLINE;
		assert_int_equal(
		    delivery_frame_body_encode(&f, 5, in.body + at, n), 0);
		assert_true(f.length <= DELIVERY_FRAME_MAX);
		assert_int_equal(
		    delivery_frame_check(f.data, f.length, &payload, &length),
		    DELIVERY_FRAME_BODY);
		assert_int_equal(
		    delivery_frame_body_decode(payload, length, &id, &data, &n),
		    0);
		assert_int_equal(id, 5);
		memcpy(out.body + at, data, n);
	}
	assert_memory_equal(out.body, in.body, total);
	/* An empty BODY frame, and one past the chunk size. */
	assert_int_equal(delivery_frame_body_encode(&f, 5, in.body, 0),
			 -EMSGSIZE);
	assert_int_equal(delivery_frame_body_encode(&f, 5, in.body,
						    DELIVERY_BODY_INLINE + 1),
			 -EMSGSIZE);
	assert_int_equal(delivery_frame_body_decode(payload, 4, &id, &data, &n),
			 -EBADMSG);
	outgoing_free(&in);
	outgoing_free(&out);
	delivery_frame_release(&f);
}

static void test_oversize(void **state)
{
	struct delivery_frame f = {0};
	struct outgoing in = {.channel = CHANNEL_WEBHOOK};
	const uint8_t *payload;
	size_t length;
	uint8_t *big = calloc(1, DELIVERY_FRAME_MAX + 1);

	(void)state;
	/* A body past DELIVERY_BODY_MAX is refused (no channel makes one). */
	in.url = strdup("http://127.0.0.1/");
	in.body = malloc(1);
	in.body_length = DELIVERY_BODY_MAX + 1;
	assert_int_equal(delivery_frame_send_encode(&f, 1, &in, 10, 30),
			 -EMSGSIZE);
	in.body_length = 1;
	outgoing_free(&in);
	/* A received packet over the limit, whatever its header says. */
	big[0] = DELIVERY_FRAME_VERSION;
	big[1] = DELIVERY_FRAME_SEND;
	assert_int_equal(delivery_frame_check(big, DELIVERY_FRAME_MAX + 1,
					      &payload, &length),
			 -EMSGSIZE);
	free(big);
	delivery_frame_release(&f);
}

static void test_wrong_version_flags_type(void **state)
{
	struct delivery_frame f = valid_send();
	const uint8_t *payload;
	size_t length;

	(void)state;
	f.data[0] = DELIVERY_FRAME_VERSION + 1;
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length), -EPROTO);
	f.data[0] = DELIVERY_FRAME_VERSION;
	f.data[2] = 1; /* flags must be zero */
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length), -EPROTO);
	f.data[2] = 0;
	f.data[1] = 0;
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length), -EPROTO);
	f.data[1] = DELIVERY_FRAME_JOB_RESULT + 1;
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length), -EPROTO);
	delivery_frame_release(&f);
}

/* A SEND payload where a RESULT is expected, and the other way round: the
 * fixed fields no longer make sense, the decoders refuse. */
static void test_wrong_type_payload(void **state)
{
	struct delivery_frame f = valid_send();
	struct delivery_result result;
	const uint8_t *payload;
	size_t length;
	uint32_t id;
	pid_t pid;

	(void)state;
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length),
	    DELIVERY_FRAME_SEND);
	assert_int_equal(
	    delivery_frame_result_decode(payload, length, &id, &result),
	    -EBADMSG);
	assert_int_equal(delivery_frame_pid_decode(payload, length, &pid),
			 -EBADMSG);
	delivery_frame_release(&f);
}

static void test_out_of_bounds_fields(void **state)
{
	struct delivery_frame f = {0};
	struct delivery_result in = {.outcome = DELIVERY_OK,
				     .retry_after_secs = -1},
			       out;
	const uint8_t *payload;
	size_t length;
	uint32_t id, bad;

	(void)state;
	assert_int_equal(delivery_frame_result_encode(&f, 1, &in), 0);
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length),
	    DELIVERY_FRAME_RESULT);
	/* An outcome past the enum. */
	bad = 7;
	memcpy(f.data + DELIVERY_FRAME_HEADER + 4, &bad, sizeof(bad));
	assert_int_equal(
	    delivery_frame_result_decode(payload, length, &id, &out), -EBADMSG);
	delivery_frame_release(&f);

	/* An error text longer than the receiver's buffer (256), by hand:
	 * id, outcome, status, retry-after, then tag 10 (error) of 256. */
	{
		uint8_t raw[4 + 4 + 8 + 8 + 5 + 256] = {0};
		int64_t minus_one = -1;
		uint32_t n = 256;

		memcpy(raw + 16, &minus_one, sizeof(minus_one));
		raw[24] = 10;
		memcpy(raw + 25, &n, sizeof(n));
		memset(raw + 29, 'e', 256);
		assert_int_equal(
		    delivery_frame_result_decode(raw, sizeof(raw), &id, &out),
		    -EBADMSG);
		/* 255 fits. */
		n = 255;
		memcpy(raw + 25, &n, sizeof(n));
		assert_int_equal(delivery_frame_result_decode(
				     raw, sizeof(raw) - 1, &id, &out),
				 0);
		/* A length that runs past the payload. */
		n = 1000;
		memcpy(raw + 25, &n, sizeof(n));
		assert_int_equal(
		    delivery_frame_result_decode(raw, sizeof(raw), &id, &out),
		    -EBADMSG);
	}

	/* A channel past CHANNEL_COUNT and a timeout past the schema's. */
	f = valid_send();
	bad = CHANNEL_COUNT;
	memcpy(f.data + DELIVERY_FRAME_HEADER + 12, &bad, sizeof(bad));
	{
		struct outgoing o;
		long ct, t;
		size_t missing;

		assert_int_equal(
		    delivery_frame_check(f.data, f.length, &payload, &length),
		    DELIVERY_FRAME_SEND);
		assert_int_equal(delivery_frame_send_decode(payload, length,
							    &id, &o, &ct, &t,
							    &missing),
				 -EBADMSG);
		bad = CHANNEL_WEBHOOK;
		memcpy(f.data + DELIVERY_FRAME_HEADER + 12, &bad, sizeof(bad));
		bad = 601;
		memcpy(f.data + DELIVERY_FRAME_HEADER + 8, &bad, sizeof(bad));
		assert_int_equal(delivery_frame_send_decode(payload, length,
							    &id, &o, &ct, &t,
							    &missing),
				 -EBADMSG);
	}
	delivery_frame_release(&f);
}

static void test_pid(void **state)
{
	struct delivery_frame f = {0};
	const uint8_t *payload;
	size_t length;
	pid_t pid;

	(void)state;
	assert_int_equal(delivery_frame_pid_encode(&f, 4242), 0);
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length),
	    DELIVERY_FRAME_SPAWNED);
	assert_int_equal(delivery_frame_pid_decode(payload, length, &pid), 0);
	assert_int_equal(pid, 4242);
	assert_int_equal(delivery_frame_pid_decode(payload, length - 1, &pid),
			 -EBADMSG);
	delivery_frame_release(&f);
	assert_int_equal(delivery_frame_pid_encode(&f, 0), 0);
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length),
	    DELIVERY_FRAME_SPAWNED);
	assert_int_equal(delivery_frame_pid_decode(payload, length, &pid),
			 -EBADMSG);
	delivery_frame_release(&f);
}

/* JOB and JOB_RESULT carry opaque bytes, bounded; a GET survives SEND. */
/* The launcher's frames, written by delivery_header.c alone (the helper
 * links nothing else): SPAWN is a bare header, SPAWNED a pid. */
static void test_launcher_frames(void **state)
{
	uint8_t spawn[DELIVERY_FRAME_HEADER],
	    spawned[DELIVERY_FRAME_HEADER + 4];
	const uint8_t *payload;
	size_t length;
	uint32_t value = 4242;
	pid_t pid;

	(void)state;
	delivery_frame_header(spawn, DELIVERY_FRAME_SPAWN, 0);
	assert_int_equal(
	    delivery_frame_check(spawn, sizeof(spawn), &payload, &length),
	    DELIVERY_FRAME_SPAWN);
	assert_int_equal(length, 0);
	delivery_frame_header(spawned, DELIVERY_FRAME_SPAWNED, sizeof(value));
	memcpy(spawned + DELIVERY_FRAME_HEADER, &value, sizeof(value));
	assert_int_equal(
	    delivery_frame_check(spawned, sizeof(spawned), &payload, &length),
	    DELIVERY_FRAME_SPAWNED);
	assert_int_equal(delivery_frame_pid_decode(payload, length, &pid), 0);
	assert_int_equal(pid, 4242);
	/* A SPAWN that claims a payload it does not carry. */
	delivery_frame_header(spawn, DELIVERY_FRAME_SPAWN, 1);
	assert_int_equal(
	    delivery_frame_check(spawn, sizeof(spawn), &payload, &length),
	    -EBADMSG);
}

static void test_job_and_get(void **state)
{
	static const uint8_t bytes[] = {1, 0, 2, 0, 3};
	struct delivery_frame f = {0};
	struct outgoing out = {0}, back;
	const uint8_t *payload, *data;
	size_t length, n, missing;
	long connect_timeout, timeout;
	uint32_t id;
	uint8_t *big;

	(void)state;
	assert_int_equal(delivery_frame_job_encode(&f, DELIVERY_FRAME_JOB, 7,
						   bytes, sizeof(bytes)),
			 0);
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length),
	    DELIVERY_FRAME_JOB);
	assert_int_equal(
	    delivery_frame_job_decode(payload, length, &id, &data, &n), 0);
	assert_int_equal(id, 7);
	assert_int_equal(n, sizeof(bytes));
	assert_memory_equal(data, bytes, sizeof(bytes));
	assert_int_equal(delivery_frame_job_decode(payload, 3, &id, &data, &n),
			 -EBADMSG);
	big = calloc(1, DELIVERY_JOB_MAX + 1);
	assert_non_null(big);
	assert_int_equal(delivery_frame_job_encode(&f,
						   DELIVERY_FRAME_JOB_RESULT, 7,
						   big, DELIVERY_JOB_MAX + 1),
			 -EMSGSIZE);
	free(big);
	out.channel = CHANNEL_WEBHOOK;
	out.url = strdup("http://127.0.0.1:9/ping/x");
	out.http_get = true;
	assert_int_equal(delivery_frame_send_encode(&f, 1, &out, 5, 10), 0);
	assert_int_equal(
	    delivery_frame_check(f.data, f.length, &payload, &length),
	    DELIVERY_FRAME_SEND);
	assert_int_equal(delivery_frame_send_decode(payload, length, &id, &back,
						    &connect_timeout, &timeout,
						    &missing),
			 0);
	assert_true(back.http_get);
	assert_null(back.body);
	outgoing_free(&back);
	outgoing_free(&out);
	delivery_frame_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_round_trip),
	    cmocka_unit_test(test_result_round_trip),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_long_body),
	    cmocka_unit_test(test_oversize),
	    cmocka_unit_test(test_wrong_version_flags_type),
	    cmocka_unit_test(test_wrong_type_payload),
	    cmocka_unit_test(test_out_of_bounds_fields),
	    cmocka_unit_test(test_pid),
	    cmocka_unit_test(test_launcher_frames),
	    cmocka_unit_test(test_job_and_get),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
