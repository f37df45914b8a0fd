/*
 * test_history_pending.c - the record format of history.pending: a record
 * read back as written, a torn tail (every cut of the last record) and a
 * damaged byte noticed, a failed append cut off before the next, the cap.
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

#include "history/history_internal.h"

static void encode_three(struct history_blob_buffer *b)
{
	assert_int_equal(
	    history_pending_encode(b, HISTORY_PENDING_SERIES, "\1cpu\0", 5), 0);
	assert_int_equal(history_pending_encode(b, HISTORY_PENDING_MINUTE,
						"minute data", 11),
			 0);
	assert_int_equal(
	    history_pending_encode(b, HISTORY_PENDING_ALERT, "", 0), 0);
	assert_int_equal(b->records, 3);
	assert_int_equal(b->length, 3 * HISTORY_PENDING_OVERHEAD + 16);
}

static void test_crc_is_crc32(void **state)
{
	(void)state;
	/* The check value of CRC-32/ISO-HDLC. */
	assert_int_equal(history_pending_crc(0, "123456789", 9), 0xcbf43926);
}

/* The bit-at-a-time definition, for the eight-bytes-a-step one. */
static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t length)
{
	crc = ~crc;
	while (length-- > 0) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

/* Every length 0..300 at every alignment 0..7, and in two pieces. */
static void test_crc_matches_definition(void **state)
{
	uint8_t data[320];
	uint32_t seed = 12345;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (uint8_t)(seed >> 16);
	}
	for (size_t align = 0; align < 8; align++)
		for (size_t n = 0; n <= 300; n++) {
			uint32_t want = crc_bitwise(0, data + align, n);
			size_t cut = n / 3;

			assert_int_equal(history_pending_crc(0, data + align, n),
					 want);
			assert_int_equal(
			    history_pending_crc(
				history_pending_crc(0, data + align, cut),
				data + align + cut, n - cut),
			    want);
		}
}

/* CRC-32C bit at a time (Castagnoli, reflected). */
static uint32_t crc32c_bitwise(uint32_t crc, const uint8_t *p, size_t length)
{
	crc = ~crc;
	while (length-- > 0) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78u : crc >> 1;
	}
	return ~crc;
}

/* By instruction (where there is one) and by table: the check value, every
 * length 0..300 at every alignment 0..7, and in two pieces. */
static void test_crc32c_matches_definition(void **state)
{
	uint8_t data[320];
	uint32_t seed = 777;

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (uint8_t)(seed >> 16);
	}
	for (int software = 0; software < 2; software++) {
		history_pending_crc_software(software);
		assert_int_equal(history_pending_crc32c(0, "123456789", 9),
				 0xe3069283);
		for (size_t align = 0; align < 8; align++)
			for (size_t n = 0; n <= 300; n++) {
				uint32_t want =
				    crc32c_bitwise(0, data + align, n);
				size_t cut = n / 3;

				assert_int_equal(
				    history_pending_crc32c(0, data + align, n),
				    want);
				assert_int_equal(
				    history_pending_crc32c(
					history_pending_crc32c(0, data + align,
							       cut),
					data + align + cut, n - cut),
				    want);
			}
	}
	history_pending_crc_software(false);
}

/*
 * A record as versions before CRC-32C wrote it (kind 0, CRC-32) still
 * reads; a new one says CRC-32C; an unknown kind is damage.
 */
static void test_old_crc32_records_read(void **state)
{
	uint8_t old[HISTORY_PENDING_OVERHEAD + 5] = {5, 0, 0, 0,
						     HISTORY_PENDING_SERIES};
	struct history_blob_buffer b = {0};
	struct history_pending_record record;
	size_t offset = 0;
	uint32_t crc;

	(void)state;
	memcpy(old + HISTORY_PENDING_HEADER, "\1cpu\0", 5);
	crc = crc_bitwise(0, old, HISTORY_PENDING_HEADER + 5);
	for (int i = 0; i < 4; i++)
		old[HISTORY_PENDING_HEADER + 5 + i] = (uint8_t)(crc >> 8 * i);
	assert_int_equal(
	    history_pending_next(old, sizeof(old), &offset, &record), 1);
	assert_int_equal(record.type, HISTORY_PENDING_SERIES);
	assert_int_equal(record.length, 5);
	assert_memory_equal(record.payload, "\1cpu\0", 5);
	assert_int_equal(offset, sizeof(old));

	assert_int_equal(
	    history_pending_encode(&b, HISTORY_PENDING_SERIES, "\1cpu\0", 5),
	    0);
	assert_int_equal(b.data[5], HISTORY_PENDING_CRC32C);
	crc = crc32c_bitwise(0, b.data, HISTORY_PENDING_HEADER + 5);
	for (int i = 0; i < 4; i++) /* little-endian */
		assert_int_equal(b.data[HISTORY_PENDING_HEADER + 5 + i],
				 (uint8_t)(crc >> 8 * i));
	b.data[5] = 2; /* no such kind */
	offset = 0;
	assert_int_equal(
	    history_pending_next(b.data, b.length, &offset, &record), -EBADMSG);
	free(b.data);
}

static void test_records_read_back(void **state)
{
	struct history_blob_buffer b = {0};
	struct history_pending_record r;
	size_t offset = 0;

	(void)state;
	encode_three(&b);
	assert_int_equal(history_pending_next(b.data, b.length, &offset, &r),
			 1);
	assert_int_equal(r.type, HISTORY_PENDING_SERIES);
	assert_int_equal(r.length, 5);
	assert_memory_equal(r.payload, "\1cpu\0", 5);
	assert_int_equal(history_pending_next(b.data, b.length, &offset, &r),
			 1);
	assert_int_equal(r.type, HISTORY_PENDING_MINUTE);
	assert_memory_equal(r.payload, "minute data", 11);
	assert_int_equal(history_pending_next(b.data, b.length, &offset, &r),
			 1);
	assert_int_equal(r.type, HISTORY_PENDING_ALERT);
	assert_int_equal(r.length, 0);
	assert_int_equal(history_pending_next(b.data, b.length, &offset, &r),
			 0);
	assert_int_equal(offset, b.length);
	assert_int_equal(history_pending_encode(&b, 0, "x", 1), -EINVAL);
	free(b.data);
}

/*
 * A record buffer grows by doubling from 4 KiB, fourfold from 64 KiB (a
 * save's records: fewer copies), and what it held stays.
 */
static void test_buffer_growth(void **state)
{
	struct history_blob_buffer b = {0};
	size_t sizes[] = {4096, 8192, 16384, 32768, 65536, 262144, 1048576};
	size_t step = 0;

	(void)state;
	while (b.length < 600 * 1024) {
		uint8_t byte = (uint8_t)(b.length * 7);

		assert_int_equal(history_blob_reserve(&b, 1), 0);
		if (b.allocated != sizes[step])
			assert_int_equal(b.allocated, sizes[++step]);
		b.data[b.length++] = byte;
	}
	assert_int_equal(step, 6);
	for (size_t i = 0; i < b.length; i++)
		assert_int_equal(b.data[i], (uint8_t)(i * 7));
	free(b.data);
}

/* A record from parts is the record of their concatenation, byte for
 * byte (an empty part, an empty first part included), and reads back. */
static void test_parts_are_one_payload(void **state)
{
	struct history_blob_buffer one = {0}, parts = {0};
	struct history_pending_record r;
	char big[3000];
	const struct history_pending_part pieces[] = {
	    {"", 0}, {"clock678", 8}, {"cpu\0", 4}, {"", 0}, {big, sizeof(big)},
	};
	char whole[8 + 4 + sizeof(big)];
	size_t offset = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	memcpy(whole, "clock678cpu\0", 12);
	memcpy(whole + 12, big, sizeof(big));
	assert_int_equal(history_pending_encode(&one, HISTORY_PENDING_BLOB,
						whole, sizeof(whole)),
			 0);
	assert_int_equal(history_pending_encode_parts(
			     &parts, HISTORY_PENDING_BLOB, pieces, 5),
			 0);
	assert_int_equal(parts.length, one.length);
	assert_int_equal(parts.records, 1);
	assert_memory_equal(parts.data, one.data, one.length);
	assert_int_equal(
	    history_pending_next(parts.data, parts.length, &offset, &r), 1);
	assert_int_equal(r.length, sizeof(whole));
	assert_memory_equal(r.payload, whole, sizeof(whole));
	assert_int_equal(history_pending_encode_parts(&parts, 0, pieces, 5),
			 -EINVAL);
	assert_int_equal(parts.length, one.length);
	free(one.data);
	free(parts.data);
}

/* Every length short of the whole last record is a torn tail: the records
 * before it are read, the reader stops where the torn one starts. */
static void test_torn_tail_is_every_cut(void **state)
{
	struct history_blob_buffer b = {0};
	struct history_pending_record r;
	size_t last_start, offset;

	(void)state;
	encode_three(&b);
	last_start = b.length - HISTORY_PENDING_OVERHEAD;
	/* The second record is the last one here: drop the third. */
	b.length = last_start;
	last_start -= HISTORY_PENDING_OVERHEAD + 11;
	for (size_t cut = last_start + 1; cut < b.length; cut++) {
		int records = 0, rc;

		offset = 0;
		while ((rc = history_pending_next(b.data, cut, &offset, &r)) ==
		       1)
			records++;
		assert_int_equal(records, 1);
		assert_int_equal(rc, -ENODATA);
		assert_int_equal(offset, last_start);
	}
	free(b.data);
}

/* A damaged byte anywhere in a record (header, payload or CRC) stops the
 * reader at that record with -EBADMSG, never with a wrong record. */
static void test_damaged_byte_is_noticed(void **state)
{
	struct history_blob_buffer b = {0};
	struct history_pending_record r;
	size_t second = HISTORY_PENDING_OVERHEAD + 5;
	size_t end = second + HISTORY_PENDING_OVERHEAD + 11;

	(void)state;
	encode_three(&b);
	for (size_t i = second; i < end; i++) {
		size_t offset = 0;
		int rc;

		b.data[i] ^= 0x10;
		assert_int_equal(
		    history_pending_next(b.data, b.length, &offset, &r), 1);
		rc = history_pending_next(b.data, b.length, &offset, &r);
		/* A length made larger can only read as torn. */
		assert_true(rc == -EBADMSG ||
			    (i < second + 4 && rc == -ENODATA));
		assert_int_equal(offset, second);
		b.data[i] ^= 0x10;
	}
	free(b.data);
}

static void test_write_cap_and_failure(void **state)
{
	char path[] = "/tmp/sysops-pending.XXXXXX";
	struct history_blob_buffer b = {0};
	struct history_pending_file file;
	struct stat st;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	unlink(path);
	encode_three(&b);
	file = (struct history_pending_file){.fd = fd, .cap = 2 * b.length};
	assert_int_equal(history_pending_write(&file, &b), 0);
	assert_int_equal(history_pending_write(&file, &b), 0);
	assert_int_equal(file.size, 2 * (int64_t)b.length);
	/* Past the cap: refused whole, nothing written. */
	assert_int_equal(history_pending_write(&file, &b), -EFBIG);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, file.size);
	/* A write that failed half-way left bytes: the next cuts them off. */
	assert_int_equal(pwrite(fd, "torn", 4, file.size), 4);
	file.dirty = true;
	file.cap = 3 * b.length;
	assert_int_equal(history_pending_write(&file, &b), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 3 * (int64_t)b.length);
	{
		uint8_t *all = malloc(st.st_size);
		struct history_pending_record r;
		size_t offset = 0;
		int records = 0, rc;

		assert_int_equal(pread(fd, all, st.st_size, 0), st.st_size);
		while ((rc = history_pending_next(all, st.st_size, &offset,
						  &r)) == 1)
			records++;
		assert_int_equal(rc, 0);
		assert_int_equal(records, 9);
		free(all);
	}
	close(fd);
	free(b.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crc_is_crc32),
	    cmocka_unit_test(test_crc_matches_definition),
	    cmocka_unit_test(test_crc32c_matches_definition),
	    cmocka_unit_test(test_old_crc32_records_read),
	    cmocka_unit_test(test_records_read_back),
	    cmocka_unit_test(test_buffer_growth),
	    cmocka_unit_test(test_parts_are_one_payload),
	    cmocka_unit_test(test_torn_tail_is_every_cut),
	    cmocka_unit_test(test_damaged_byte_is_noticed),
	    cmocka_unit_test(test_write_cap_and_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
