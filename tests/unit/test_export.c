/*
 * test_export.c - remote write's bytes and its queue: every WriteRequest is
 * decoded again here (a small protobuf reader) after a snappy decompressor
 * written from the format description; the queue keeps order across
 * restarts, cuts a torn tail, drops the oldest when full and compacts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "export/export.h"

/* ---- snappy decompression, from the format description ---- */

static uint64_t read_varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	int shift = 0;

	while (*p < end) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
	}
	fail_msg("truncated varint");
	return 0;
}

static size_t unsnappy(const uint8_t *in, size_t length, uint8_t **out)
{
	const uint8_t *p = in, *end = in + length;
	size_t expected = read_varint(&p, end), n = 0;
	uint8_t *o = malloc(expected + 1);

	assert_non_null(o);
	while (p < end) {
		uint8_t tag = *p++;
		size_t len, offset;

		switch (tag & 3) {
		case 0:
			len = tag >> 2;
			if (len >= 60) {
				size_t bytes = len - 59;

				len = 0;
				for (size_t i = 0; i < bytes; i++)
					len |= (size_t)p[i] << (8 * i);
				p += bytes;
			}
			len++;
			assert_true(p + len <= end && n + len <= expected);
			memcpy(o + n, p, len);
			p += len;
			n += len;
			continue;
		case 1:
			len = 4 + ((tag >> 2) & 7);
			offset = (size_t)(tag >> 5) << 8 | *p++;
			break;
		case 2:
			len = 1 + (tag >> 2);
			offset = (size_t)p[0] | (size_t)p[1] << 8;
			p += 2;
			break;
		default:
			len = 1 + (tag >> 2);
			offset = (size_t)p[0] | (size_t)p[1] << 8 |
				 (size_t)p[2] << 16 | (size_t)p[3] << 24;
			p += 4;
			break;
		}
		assert_true(offset > 0 && offset <= n && n + len <= expected);
		for (size_t i = 0; i < len; i++, n++)
			o[n] = o[n - offset];
	}
	assert_int_equal(n, expected);
	*out = o;
	return n;
}

static void round_trip(const uint8_t *data, size_t length, size_t *packed)
{
	uint8_t *compressed = malloc(export_snappy_bound(length)), *back;
	size_t n = export_snappy_compress(data, length, compressed);

	assert_true(n <= export_snappy_bound(length));
	assert_int_equal(unsnappy(compressed, n, &back), length);
	assert_memory_equal(back, data, length);
	if (packed != NULL)
		*packed = n;
	free(back);
	free(compressed);
}

static void test_snappy_round_trips(void **state)
{
	static uint8_t data[300000];
	size_t packed;
	uint32_t x = 12345;

	(void)state;
	round_trip((const uint8_t *)"", 0, NULL);
	round_trip((const uint8_t *)"abc", 3, NULL);
	/* Literals of every length encoding: <60, 1, 2 and 3 bytes. */
	for (size_t i = 0; i < sizeof(data); i++) {
		x = x * 1103515245 + 12345;
		data[i] = (uint8_t)(x >> 16);
	}
	round_trip(data, 59, NULL);
	round_trip(data, 200, NULL);
	round_trip(data, 70000, NULL);
	round_trip(data, sizeof(data), &packed);
	/* Incompressible: no worse than the bound, barely larger. */
	assert_true(packed < sizeof(data) + sizeof(data) / 100);
	/* Long runs: copies of 64 and the split that leaves >= 4. */
	memset(data, 'a', sizeof(data));
	round_trip(data, 67, NULL);
	round_trip(data, 68, NULL);
	round_trip(data, 131, NULL);
	round_trip(data, sizeof(data), &packed);
	assert_true(packed < sizeof(data) / 20);
	/* Text-like data across 64 KiB blocks. */
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = "sysops_disk_used_percent{mount=\"/var\"} "[i % 39] +
			  (uint8_t)(i / 7919 % 3);
	round_trip(data, sizeof(data), &packed);
	assert_true(packed < sizeof(data) / 4);
}

/* ---- WriteRequest decoding ---- */

struct decoded_label {
	char name[64], value[256];
};

struct decoded_series {
	struct decoded_label labels[40];
	size_t label_count;
	double value;
	int64_t time_msec;
};

static void read_string(const uint8_t **p, const uint8_t *end, char *out,
			size_t size)
{
	size_t n = read_varint(p, end);

	assert_true(n < size && *p + n <= end);
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
}

static void decode_series(const uint8_t *p, const uint8_t *end,
			  struct decoded_series *s)
{
	memset(s, 0, sizeof(*s));
	while (p < end) {
		uint8_t tag = *p++;
		size_t n = read_varint(&p, end);
		const uint8_t *stop = p + n;

		if (tag == 0x0a) { /* labels */
			struct decoded_label *l = &s->labels[s->label_count++];

			assert_int_equal(*p++, 0x0a);
			read_string(&p, stop, l->name, sizeof(l->name));
			assert_int_equal(*p++, 0x12);
			read_string(&p, stop, l->value, sizeof(l->value));
		} else {
			uint64_t bits = 0;

			assert_int_equal(tag, 0x12); /* samples */
			assert_int_equal(*p++, 0x09);
			for (int i = 0; i < 8; i++)
				bits |= (uint64_t)p[i] << (8 * i);
			memcpy(&s->value, &bits, sizeof(bits));
			p += 8;
			assert_int_equal(*p++, 0x10);
			s->time_msec = (int64_t)read_varint(&p, stop);
		}
		assert_ptr_equal(p, stop);
	}
}

static size_t decode_request(const struct export_batch *b,
			     struct decoded_series *out, size_t max)
{
	const uint8_t *p = b->data, *end = b->data + b->length;
	size_t count = 0;

	while (p < end) {
		size_t n;

		assert_int_equal(*p++, 0x0a); /* WriteRequest.timeseries */
		n = read_varint(&p, end);
		assert_true(count < max && p + n <= end);
		decode_series(p, p + n, &out[count++]);
		p += n;
	}
	return count;
}

static const char *label_of(const struct decoded_series *s, const char *name)
{
	for (size_t i = 0; i < s->label_count; i++)
		if (strcmp(s->labels[i].name, name) == 0)
			return s->labels[i].value;
	return NULL;
}

static void test_host_labels(void **state)
{
	char *items[] = {"job=sysops-agent", "dc=par1", "job=web",
			 "instance=web-01.example"};
	struct config_string_list external = {items, 4};
	struct export_label host[EXPORT_HOST_LABELS_MAX];
	size_t n;

	(void)state;
	n = export_host_labels("web-01", NULL, NULL, NULL, host);
	assert_int_equal(n, 1);
	assert_string_equal(host[0].name, "instance");
	assert_string_equal(host[0].value, "web-01");
	/* Sorted; a later one of the same name replaces the earlier. */
	n = export_host_labels("web-01", NULL, NULL, &external, host);
	assert_int_equal(n, 3);
	assert_string_equal(host[0].name, "dc");
	assert_string_equal(host[1].name, "instance");
	assert_string_equal(host[1].value, "web-01.example");
	assert_string_equal(host[2].name, "job");
	assert_string_equal(host[2].value, "web");
}

static void test_write_request_is_what_prometheus_reads(void **state)
{
	char *items[] = {"job=sysops-agent", "mount=never-wins"};
	struct config_string_list external = {items, 2};
	struct export_label host[EXPORT_HOST_LABELS_MAX];
	struct export_batch batch = {0};
	struct decoded_series s[4];
	size_t host_count =
	    export_host_labels("web-01", NULL, NULL, &external, host);

	(void)state;
	assert_int_equal(export_batch_add(&batch, "cpu.usage_percent", "", host,
					  host_count, 1700000000123LL, 12.5),
			 0);
	assert_int_equal(export_batch_add(&batch, "disk.used_percent",
					  "device=sda1,fstype=ext4,mount=/",
					  host, host_count, 1700000000123LL,
					  71.25),
			 0);
	/* Odd names and bytes that are not UTF-8 are made acceptable. */
	assert_int_equal(export_batch_add(&batch, "process.rss_bytes",
					  "9lives=x,name=a\xff"
					  "b,pid=42",
					  host, host_count, 1, 1e15),
			 0);
	assert_int_equal(
	    export_batch_add(&batch, "", "", host, host_count, 1, 0), -EINVAL);
	assert_int_equal(batch.series, 3);
	assert_int_equal(decode_request(&batch, s, 4), 3);

	assert_string_equal(label_of(&s[0], "__name__"),
			    "sysops_cpu_usage_percent");
	assert_string_equal(label_of(&s[0], "instance"), "web-01");
	assert_string_equal(label_of(&s[0], "job"), "sysops-agent");
	assert_string_equal(label_of(&s[0], "mount"), "never-wins");
	assert_true(s[0].value == 12.5);
	assert_int_equal(s[0].time_msec, 1700000000123LL);

	/* The series' own mount wins over the external label. */
	assert_string_equal(label_of(&s[1], "mount"), "/");
	assert_string_equal(label_of(&s[1], "device"), "sda1");
	assert_int_equal(s[1].label_count, 6);
	assert_true(s[1].value == 71.25);

	assert_string_equal(label_of(&s[2], "_9lives"), "x");
	assert_string_equal(label_of(&s[2], "name"), "a?b");
	assert_true(s[2].value == 1e15);
	/* Label names strictly sorted, as the protocol requires. */
	for (size_t i = 0; i < 3; i++)
		for (size_t j = 1; j < s[i].label_count; j++)
			assert_true(strcmp(s[i].labels[j - 1].name,
					   s[i].labels[j].name) < 0);
	export_batch_reset(&batch);
	assert_int_equal(batch.length, 0);
	export_batch_free(&batch);
}

/* ---- the queue ---- */

static int open_dir(char *base)
{
	int fd;

	assert_non_null(mkdtemp(base));
	fd = open(base, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	return fd;
}

static void remove_dir(const char *base, int fd)
{
	char command[128];

	close(fd);
	snprintf(command, sizeof(command), "rm -rf %s", base);
	assert_int_equal(system(command), 0);
}

static void push(struct export_queue *q, const char *text, int64_t time,
		 size_t expect_dropped)
{
	size_t dropped = 99;

	assert_int_equal(
	    export_queue_push(q, text, strlen(text), time, &dropped), 0);
	assert_int_equal(dropped, expect_dropped);
}

static void expect_head(struct export_queue *q, const char *text,
			uint64_t *position)
{
	const void *data;
	size_t length;

	assert_int_equal(export_queue_peek(q, &data, &length, position), 0);
	assert_int_equal(length, strlen(text));
	assert_memory_equal(data, text, length);
}

static off_t file_size(int dirfd)
{
	struct stat st;

	assert_int_equal(fstatat(dirfd, EXPORT_QUEUE_NAME, &st, 0), 0);
	return st.st_size;
}

static void test_queue_keeps_order_across_restarts(void **state)
{
	char base[] = "/tmp/sysops-rwq.XXXXXX";
	int dirfd = open_dir(base);
	struct export_queue *q = NULL;
	struct export_queue_stats stats;
	uint64_t position;
	const void *data;
	size_t length;

	(void)state;
	assert_int_equal(export_queue_open(dirfd, EXPORT_QUEUE_NAME, 65536, &q),
			 0);
	assert_int_equal(export_queue_peek(q, &data, &length, &position),
			 -ENOENT);
	push(q, "first", 1000, 0);
	push(q, "second", 2000, 0);
	push(q, "third", 3000, 0);
	expect_head(q, "first", &position);
	assert_int_equal(export_queue_done(q, position), 0);
	export_queue_stats(q, &stats);
	assert_int_equal(stats.batches, 2);
	assert_int_equal(stats.oldest_msec, 2000);
	export_queue_close(q);

	/* A restart resumes with the second; a torn tail is cut off. */
	{
		int fd = openat(dirfd, EXPORT_QUEUE_NAME, O_WRONLY | O_APPEND);

		assert_int_equal(write(fd, "RWB1\x40\0\0\0garbage", 15), 15);
		close(fd);
	}
	assert_int_equal(export_queue_open(dirfd, EXPORT_QUEUE_NAME, 65536, &q),
			 0);
	expect_head(q, "second", &position);
	assert_int_equal(export_queue_done(q, position), 0);
	/* Done twice with the same position: the second does nothing. */
	assert_int_equal(export_queue_done(q, position), 0);
	expect_head(q, "third", &position);
	assert_int_equal(export_queue_done(q, position), 0);
	/* Empty: cut back to the header. */
	assert_int_equal(file_size(dirfd), 16);
	export_queue_stats(q, &stats);
	assert_int_equal(stats.batches, 0);
	assert_int_equal(stats.oldest_msec, 0);
	export_queue_close(q);
	remove_dir(base, dirfd);
}

static void test_queue_drops_the_oldest_when_full(void **state)
{
	char base[] = "/tmp/sysops-rwq.XXXXXX", batch[1000], first[1000];
	int dirfd = open_dir(base);
	struct export_queue *q = NULL;
	struct export_queue_stats stats;
	uint64_t in_flight, position;
	size_t dropped;

	(void)state;
	/* 16-byte header + 4 batches of 16 + 999 bytes fit in 4096+16. */
	assert_int_equal(
	    export_queue_open(dirfd, EXPORT_QUEUE_NAME, 4096 + 16, &q), 0);
	for (int i = 0; i < 4; i++) {
		memset(batch, 'a' + i, sizeof(batch) - 1);
		batch[sizeof(batch) - 1] = '\0';
		push(q, batch, i, 0);
	}
	memset(first, 'a', sizeof(first) - 1);
	first[sizeof(first) - 1] = '\0';
	expect_head(q, first, &in_flight);
	/* The fifth pushes the first (in flight) out. */
	memset(batch, 'e', sizeof(batch) - 1);
	push(q, batch, 4, 1);
	export_queue_stats(q, &stats);
	assert_int_equal(stats.batches, 4);
	assert_int_equal(stats.dropped, 1);
	assert_int_equal(stats.oldest_msec, 1);
	/* Its delivery afterwards must not take the second out. */
	assert_int_equal(export_queue_done(q, in_flight), 0);
	export_queue_stats(q, &stats);
	assert_int_equal(stats.batches, 4);
	/* Dropping keeps going, compacting the dead prefix. */
	for (int i = 5; i < 40; i++) {
		memset(batch, 'a' + i % 26, sizeof(batch) - 1);
		push(q, batch, i, 1);
	}
	assert_true(file_size(dirfd) <= 2 * (4096 + 16));
	export_queue_stats(q, &stats);
	assert_int_equal(stats.batches, 4);
	assert_int_equal(stats.dropped, 36);
	assert_int_equal(stats.oldest_msec, 36);
	memset(batch, 'a' + 36 % 26, sizeof(batch) - 1);
	expect_head(q, batch, &position);
	/* A batch larger than the whole queue is refused. */
	{
		static char huge[5000];

		memset(huge, 'x', sizeof(huge) - 1);
		assert_int_equal(
		    export_queue_push(q, huge, sizeof(huge), 99, &dropped),
		    -EFBIG);
	}
	export_queue_close(q);
	/* Reopened after compaction: the same four, in order. */
	assert_int_equal(
	    export_queue_open(dirfd, EXPORT_QUEUE_NAME, 4096 + 16, &q), 0);
	for (int i = 36; i < 40; i++) {
		memset(batch, 'a' + i % 26, sizeof(batch) - 1);
		expect_head(q, batch, &position);
		assert_int_equal(export_queue_done(q, position), 0);
	}
	export_queue_close(q);
	remove_dir(base, dirfd);
}

static void test_queue_replaces_a_foreign_file(void **state)
{
	char base[] = "/tmp/sysops-rwq.XXXXXX";
	int dirfd = open_dir(base), fd;
	struct export_queue *q = NULL;
	struct export_queue_stats stats;

	(void)state;
	fd = openat(dirfd, EXPORT_QUEUE_NAME, O_WRONLY | O_CREAT, 0600);
	assert_int_equal(write(fd, "not a queue at all", 18), 18);
	close(fd);
	assert_int_equal(export_queue_open(dirfd, EXPORT_QUEUE_NAME, 65536, &q),
			 0);
	export_queue_stats(q, &stats);
	assert_int_equal(stats.batches, 0);
	assert_int_equal(file_size(dirfd), 16);
	export_queue_close(q);
	remove_dir(base, dirfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_snappy_round_trips),
	    cmocka_unit_test(test_host_labels),
	    cmocka_unit_test(test_write_request_is_what_prometheus_reads),
	    cmocka_unit_test(test_queue_keeps_order_across_restarts),
	    cmocka_unit_test(test_queue_drops_the_oldest_when_full),
	    cmocka_unit_test(test_queue_replaces_a_foreign_file),
	};

	log_open(LOG_TARGET_PLAIN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
