/*
 * test_sha256.c - SHA-256 against the FIPS 180-4 examples and the padding
 * boundaries, streaming at every split point, HMAC-SHA256 against RFC 4231,
 * and both against the openssl CLI on random inputs (src/core/sha256.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/sha256.h"

static void to_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char *hex)
{
	for (int i = 0; i < SHA256_DIGEST_SIZE; i++)
		sprintf(hex + 2 * i, "%02x", digest[i]);
}

static void assert_sha256(const void *data, size_t length,
			  const char *expected)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	char hex[2 * SHA256_DIGEST_SIZE + 1];

	sha256(data, length, digest);
	to_hex(digest, hex);
	assert_string_equal(hex, expected);
}

static void assert_hmac(const void *key, size_t key_length, const void *data,
			size_t data_length, const char *expected)
{
	uint8_t mac[SHA256_DIGEST_SIZE];
	char hex[2 * SHA256_DIGEST_SIZE + 1];

	hmac_sha256(key, key_length, data, data_length, mac);
	to_hex(mac, hex);
	assert_string_equal(hex, expected);
}

/* FIPS 180-4 examples (NIST "SHA256.pdf" and "SHA2_Additional.pdf"). */
static void test_fips_examples(void **state)
{
	char *million;

	(void)state;
	assert_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223"
				"b00361a396177a9cb410ff61f20015ad");
	assert_sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		      56, "248d6a61d20638b8e5c026930c3e6039"
			  "a33ce45964ff2167f6ecedd419db06c1");
	assert_sha256("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
		      "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
		      112, "cf5b16a778af8380036ce59e7b049237"
			   "0b249b11e8f07a51afac45037afee9d1");
	assert_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb924"
			     "27ae41e4649b934ca495991b7852b855");
	assert_sha256(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb924"
			       "27ae41e4649b934ca495991b7852b855");
	million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	assert_sha256(million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67"
					"f1809a48a497200e046d39ccc7112cd0");
	free(million);
}

/*
 * 55 bytes still take the length in the same block, 56 push it into a
 * second one; 63/64/65 straddle the end of the first block. Expected values
 * from: python3 -c 'import hashlib; print(hashlib.sha256(bytes((i * 7 + 3)
 * & 255 for i in range(N))).hexdigest())'
 */
static void test_padding_boundaries(void **state)
{
	static const struct {
		size_t length;
		const char *digest;
	} cases[] = {
		{ 55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b" },
		{ 56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27" },
		{ 63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055" },
		{ 64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241" },
		{ 65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e" },
	};
	uint8_t message[65];

	(void)state;
	for (size_t i = 0; i < sizeof(message); i++)
		message[i] = (uint8_t)(i * 7 + 3);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_sha256(message, cases[i].length, cases[i].digest);
}

/* Every way of cutting a 200-byte message in two, and in three around the
 * block size, gives the one-shot digest; so does feeding a byte at a time. */
static void test_streaming_split_points(void **state)
{
	uint8_t message[200], whole[SHA256_DIGEST_SIZE],
		pieces[SHA256_DIGEST_SIZE];
	struct sha256 context;

	(void)state;
	for (size_t i = 0; i < sizeof(message); i++)
		message[i] = (uint8_t)(i * 31 + 17);
	sha256(message, sizeof(message), whole);
	for (size_t split = 0; split <= sizeof(message); split++) {
		sha256_init(&context);
		sha256_update(&context, message, split);
		sha256_update(&context, message + split,
			      sizeof(message) - split);
		sha256_final(&context, pieces);
		assert_memory_equal(pieces, whole, sizeof(whole));
	}
	for (size_t first = 0; first <= 70; first++)
		for (size_t second = first; second <= first + 70 &&
					    second <= sizeof(message);
		     second++) {
			sha256_init(&context);
			sha256_update(&context, message, first);
			sha256_update(&context, message + first,
				      second - first);
			sha256_update(&context, message + second,
				      sizeof(message) - second);
			sha256_final(&context, pieces);
			assert_memory_equal(pieces, whole, sizeof(whole));
		}
	sha256_init(&context);
	for (size_t i = 0; i < sizeof(message); i++)
		sha256_update(&context, message + i, 1);
	sha256_final(&context, pieces);
	assert_memory_equal(pieces, whole, sizeof(whole));
}

/* RFC 4231 section 4: test cases 1-7 (5 is compared on its first 128
 * bits, as the RFC prints only those). */
static void test_hmac_rfc4231(void **state)
{
	uint8_t key[131], data[50], mac[SHA256_DIGEST_SIZE];
	char hex[2 * SHA256_DIGEST_SIZE + 1];

	(void)state;
	memset(key, 0x0b, 20);
	assert_hmac(key, 20, "Hi There", 8,
		    "b0344c61d8db38535ca8afceaf0bf12b"
		    "881dc200c9833da726e9376c2e32cff7");
	assert_hmac("Jefe", 4, "what do ya want for nothing?", 28,
		    "5bdcc146bf60754e6a042426089575c7"
		    "5a003f089d2739839dec58b964ec3843");
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	assert_hmac(key, 20, data, 50,
		    "773ea91e36800e46854db8ebd09181a7"
		    "2959098b3ef8c122d9635514ced565fe");
	for (int i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	assert_hmac(key, 25, data, 50,
		    "82558a389a443c0ea4cc819899f2083a"
		    "85f0faa3e578f8077a2e3ff46729665b");
	memset(key, 0x0c, 20);
	hmac_sha256(key, 20, "Test With Truncation", 20, mac);
	to_hex(mac, hex);
	assert_memory_equal(hex, "a3b6167473100ee06e0c796c2955552b", 32);
	memset(key, 0xaa, 131);
	assert_hmac(key, 131,
		    "Test Using Larger Than Block-Size Key - Hash Key First",
		    54,
		    "60e431591ee0b67f0d8a26aacbf5b77f"
		    "8e0bc6213728c5140546040f0ee37f54");
	assert_hmac(key, 131,
		    "This is a test using a larger than block-size key and a "
		    "larger than block-size data. The key needs to be hashed "
		    "before being used by the HMAC algorithm.",
		    152,
		    "9b09ffa71b942fcb27635fbcd5b0e944"
		    "bfdc63644f0713938a7f51535c3a35e2");
}

/* Keys of exactly the block size are used as they are, one byte more is
 * hashed: the two must differ from each other and from the hashed form. */
static void test_hmac_key_lengths_and_streaming(void **state)
{
	uint8_t key[65], hashed_key[SHA256_DIGEST_SIZE];
	uint8_t a[SHA256_DIGEST_SIZE], b[SHA256_DIGEST_SIZE];
	const char *text = "1700000000.{\"a\":1}";
	struct hmac_sha256 context;

	(void)state;
	memset(key, 0x5a, sizeof(key));
	hmac_sha256(key, 64, text, strlen(text), a);
	hmac_sha256(key, 65, text, strlen(text), b);
	assert_memory_not_equal(a, b, sizeof(a));
	/* RFC 2104: a long key K is replaced by H(K). */
	sha256(key, 65, hashed_key);
	hmac_sha256(hashed_key, sizeof(hashed_key), text, strlen(text), a);
	assert_memory_equal(a, b, sizeof(a));
	/* The empty key is a block of zeros. */
	hmac_sha256(NULL, 0, text, strlen(text), a);
	memset(key, 0, sizeof(key));
	hmac_sha256(key, 64, text, strlen(text), b);
	assert_memory_equal(a, b, sizeof(a));
	/* Streaming: the webhook feeds timestamp, ".", body separately. */
	for (size_t split = 0; split <= strlen(text); split++) {
		hmac_sha256_init(&context, "s3cret", 6);
		hmac_sha256_update(&context, text, split);
		hmac_sha256_update(&context, text + split,
				   strlen(text) - split);
		hmac_sha256_final(&context, a);
		hmac_sha256("s3cret", 6, text, strlen(text), b);
		assert_memory_equal(a, b, sizeof(a));
	}
}

/* A fixed-seed generator, so a failure is reproducible. */
static uint64_t random_state = 0x9e3779b97f4a7c15ULL;

static uint64_t next_random(void)
{
	random_state ^= random_state << 13;
	random_state ^= random_state >> 7;
	random_state ^= random_state << 17;
	return random_state;
}

static bool openssl_available(void)
{
	return system("openssl version >/dev/null 2>&1") == 0;
}

/* Runs an openssl dgst command line ending in a file name and returns its
 * hex digest (the -r output "hex *file"). */
static void openssl_digest(const char *command, char *hex)
{
	FILE *pipe = popen(command, "r");

	assert_non_null(pipe);
	assert_non_null(fgets(hex, 2 * SHA256_DIGEST_SIZE + 1, pipe));
	assert_int_equal(strlen(hex), 2 * SHA256_DIGEST_SIZE);
	assert_int_equal(pclose(pipe), 0);
}

static char path[] = "/tmp/sysops-sha256.XXXXXX";

static int remove_input(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void test_against_openssl_cli(void **state)
{
	static const char key_alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	char command[1024], expected[2 * SHA256_DIGEST_SIZE + 1],
		ours[2 * SHA256_DIGEST_SIZE + 1];
	uint8_t *data, key[100], digest[SHA256_DIGEST_SIZE];
	size_t max_length = 300000;
	int fd;

	(void)state;
	if (!openssl_available())
		skip();
	data = malloc(max_length);
	assert_non_null(data);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (int round = 0; round < 24; round++) {
		/* Mostly short inputs around the block size, a few large. */
		size_t length = round % 6 == 5 ? next_random() % max_length
					       : next_random() % 300;
		/* The CLI refuses an empty key; that one is tested above. */
		size_t key_length = 1 + next_random() % (sizeof(key) - 1);
		size_t split = length == 0 ? 0 : next_random() % length;
		struct hmac_sha256 context;
		FILE *file = fopen(path, "w");
		int at;

		assert_non_null(file);
		for (size_t i = 0; i < length; i++)
			data[i] = (uint8_t)next_random();
		assert_int_equal(fwrite(data, 1, length, file), length);
		assert_int_equal(fclose(file), 0);

		snprintf(command, sizeof(command),
			 "openssl dgst -sha256 -r %s", path);
		openssl_digest(command, expected);
		sha256(data, length, digest);
		to_hex(digest, ours);
		assert_string_equal(ours, expected);

		/* Binary key, 1..99 bytes: both sides of the block size. */
		for (size_t i = 0; i < key_length; i++)
			key[i] = (uint8_t)next_random();
		at = snprintf(command, sizeof(command),
			      "openssl dgst -sha256 -mac HMAC -macopt hexkey:");
		for (size_t i = 0; i < key_length; i++)
			at += snprintf(command + at, sizeof(command) - at,
				       "%02x", key[i]);
		snprintf(command + at, sizeof(command) - at, " -r %s", path);
		openssl_digest(command, expected);
		hmac_sha256_init(&context, key, key_length);
		hmac_sha256_update(&context, data, split);
		hmac_sha256_update(&context, data + split, length - split);
		hmac_sha256_final(&context, digest);
		to_hex(digest, ours);
		assert_string_equal(ours, expected);

		/* The documented receiver check: -hmac with a text key. */
		key_length = 1 + next_random() % 80;
		for (size_t i = 0; i < key_length; i++)
			key[i] = (uint8_t)key_alphabet[next_random() %
						       (sizeof(key_alphabet) -
							1)];
		snprintf(command, sizeof(command),
			 "openssl dgst -sha256 -hmac %.*s -r %s",
			 (int)key_length, (char *)key, path);
		openssl_digest(command, expected);
		hmac_sha256(key, key_length, data, length, digest);
		to_hex(digest, ours);
		assert_string_equal(ours, expected);
	}
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fips_examples),
		cmocka_unit_test(test_padding_boundaries),
		cmocka_unit_test(test_streaming_split_points),
		cmocka_unit_test(test_hmac_rfc4231),
		cmocka_unit_test(test_hmac_key_lengths_and_streaming),
		cmocka_unit_test_teardown(test_against_openssl_cli,
					  remove_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
