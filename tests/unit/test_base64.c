/*
 * test_base64.c - RFC 4648 Base64 (src/core/base64.c): the RFC's vectors,
 * every bit reaching the right character, exact buffer sizes, random input
 * against coreutils' base64, and decoding (PEM line breaks, bad input).
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
#include <unistd.h>

#include "core/base64.h"

static void assert_encodes(const void *in, size_t length, const char *expected)
{
	char out[128];

	assert_int_equal(base64_encode(in, length, out, sizeof(out)),
			 strlen(expected));
	assert_string_equal(out, expected);
}

/* RFC 4648 section 10. */
static void test_rfc4648_vectors(void **state)
{
	(void)state;
	assert_encodes("", 0, "");
	assert_encodes(NULL, 0, "");
	assert_encodes("f", 1, "Zg==");
	assert_encodes("fo", 2, "Zm8=");
	assert_encodes("foo", 3, "Zm9v");
	assert_encodes("foob", 4, "Zm9vYg==");
	assert_encodes("fooba", 5, "Zm9vYmE=");
	assert_encodes("foobar", 6, "Zm9vYmFy");
}

/* Binary input, including the section 9 examples that use '+'. */
static void test_binary_bytes(void **state)
{
	static const uint8_t zeros[3] = { 0 }, ones[3] = { 0xff, 0xff, 0xff },
			     last_two[2] = { 0xfb, 0xff },
			     rfc[6] = { 0x14, 0xfb, 0x9c, 0x03, 0xd9, 0x7e };

	(void)state;
	assert_encodes(zeros, 1, "AA==");
	assert_encodes(zeros, 2, "AAA=");
	assert_encodes(zeros, 3, "AAAA");
	assert_encodes(ones, 1, "/w==");
	assert_encodes(ones, 2, "//8=");
	assert_encodes(ones, 3, "////");
	assert_encodes(last_two, 2, "+/8=");
	assert_encodes(rfc, 6, "FPucA9l+");
	assert_encodes(rfc, 5, "FPucA9k=");
	assert_encodes(rfc, 4, "FPucAw==");
	/* What an RFC 2047 subject carries: UTF-8 text. */
	assert_encodes("[sysops] s\xc3\xa9rveur", 17,
		       "W3N5c29wc10gc8OpcnZldXI=");
}

/* Exactly BASE64_ENCODED_SIZE fits; one byte less is refused without a
 * byte written past the buffer, and leaves an empty string. */
static void test_buffer_too_small(void **state)
{
	char out[16];

	(void)state;
	for (size_t length = 0; length <= 6; length++) {
		size_t needed = BASE64_ENCODED_SIZE(length);

		memset(out, '#', sizeof(out));
		assert_int_equal(base64_encode("foobar", length, out, needed),
				 needed - 1);
		assert_int_equal(out[needed - 1], '\0');
		assert_int_equal(out[needed], '#');
		if (needed < 2)
			continue;
		memset(out, '#', sizeof(out));
		assert_int_equal(base64_encode("foobar", length, out,
					       needed - 1),
				 -ENOSPC);
		assert_int_equal(out[0], '\0');
		for (size_t i = 1; i < sizeof(out); i++)
			assert_int_equal(out[i], '#');
	}
	memset(out, '#', sizeof(out));
	assert_int_equal(base64_encode("f", 1, out, 0), -ENOSPC);
	assert_int_equal(out[0], '#');
	/* A length whose encoding would not fit in size_t. */
	assert_int_equal(base64_encode("f", SIZE_MAX, out, sizeof(out)),
			 -ENOSPC);
	assert_int_equal(out[0], '\0');
}

/* Random lengths and bytes (fixed seed) against `base64 -w 0`. */
static void test_against_coreutils(void **state)
{
	char path[] = "/tmp/sysops-base64.XXXXXX", command[128];
	uint8_t data[1000];
	char ours[BASE64_ENCODED_SIZE(sizeof(data))],
		theirs[sizeof(ours) + 2];
	uint64_t random_state = 0x2545f4914f6cdd1dULL;

	(void)state;
	if (system("base64 --version >/dev/null 2>&1") != 0)
		skip();
	for (int round = 0; round < 20; round++) {
		size_t length = round < 10 ? (size_t)round : 0;
		FILE *file, *pipe;
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		random_state ^= random_state << 13;
		random_state ^= random_state >> 7;
		random_state ^= random_state << 17;
		if (round >= 10)
			length = random_state % sizeof(data);
		for (size_t i = 0; i < length; i++) {
			random_state ^= random_state << 13;
			random_state ^= random_state >> 7;
			random_state ^= random_state << 17;
			data[i] = (uint8_t)random_state;
		}
		file = fdopen(fd, "w");
		assert_non_null(file);
		assert_int_equal(fwrite(data, 1, length, file), length);
		assert_int_equal(fclose(file), 0);
		snprintf(command, sizeof(command), "base64 -w 0 %s", path);
		pipe = popen(command, "r");
		assert_non_null(pipe);
		if (fgets(theirs, sizeof(theirs), pipe) == NULL)
			theirs[0] = '\0';
		assert_int_equal(pclose(pipe), 0);
		unlink(path);
		strcpy(path, "/tmp/sysops-base64.XXXXXX");
		assert_int_equal(base64_encode(data, length, ours,
					       sizeof(ours)),
				 strlen(theirs));
		assert_string_equal(ours, theirs);
	}
}

/* Decoding: the RFC's vectors back, PEM line breaks, and what is refused. */
static void test_decode(void **state)
{
	static const char *const vectors[][2] = {
		{ "", "" },	    { "Zg==", "f" },	  { "Zm8=", "fo" },
		{ "Zm9v", "foo" },  { "Zm9vYg==", "foob" }, { "Zm9vYmE=", "fooba" },
		{ "Zm9vYmFy", "foobar" },
	};
	uint8_t out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		ssize_t n = base64_decode(vectors[i][0], strlen(vectors[i][0]),
					  out, sizeof(out));

		assert_int_equal(n, strlen(vectors[i][1]));
		assert_memory_equal(out, vectors[i][1], (size_t)n);
	}
	/* PEM: 64-character lines with CRLF or LF, spaces around. */
	assert_int_equal(base64_decode(" Zm9v\r\nYmFy\n", 12, out, sizeof(out)),
			 6);
	assert_memory_equal(out, "foobar", 6);
	/* Unpadded last group is accepted as the length says. */
	assert_int_equal(base64_decode("Zm8", 3, out, sizeof(out)), 2);
	assert_int_equal(base64_decode("Zm9v!", 5, out, sizeof(out)), -EINVAL);
	assert_int_equal(base64_decode("Zg==Zg==", 8, out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(base64_decode("Z", 1, out, sizeof(out)), -EINVAL);
	assert_int_equal(base64_decode("Zg===", 5, out, sizeof(out)), -EINVAL);
	assert_int_equal(base64_decode("Zm9vYmFy", 8, out, 5), -ENOSPC);
	assert_int_equal(base64_decode("Zm9vYg==", 8, out, 3), -ENOSPC);
}

/* Whatever bytes encode, decode gives them back, at every length. */
static void test_round_trip(void **state)
{
	uint8_t data[300], back[300];
	char text[BASE64_ENCODED_SIZE(sizeof(data))];

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 131 + 7);
	for (size_t length = 0; length <= sizeof(data); length++) {
		ssize_t n = base64_encode(data, length, text, sizeof(text));

		assert_true(n >= 0);
		assert_int_equal(base64_decode(text, (size_t)n, back,
					       sizeof(back)),
				 length);
		assert_memory_equal(back, data, length);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_binary_bytes),
		cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_against_coreutils),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
