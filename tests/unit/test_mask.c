/*
 * test_mask.c - secret masking (src/logscan/mask.c): credentials are
 * replaced, the text around them survives, extra patterns apply, output is
 * bounded.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "logscan/mask.h"

static void expect_masked(struct masker *masker, const char *in,
			  const char *expected)
{
	char out[512];

	masker_apply(masker, in, strlen(in), out, sizeof(out));
	assert_string_equal(out, expected);
}

static void test_builtin_patterns(void **state)
{
	struct masker *masker;
	char error[256];

	(void)state;
	assert_int_equal(masker_new(NULL, &masker, error, sizeof(error)), 0);
	expect_masked(masker, "login user=bob password=hunter2 ok",
		      "login user=bob password=*** ok");
	expect_masked(masker, "db_password: \"s3cr3t\" port=5432",
		      "db_password: \"***\" port=5432");
	expect_masked(masker, "GET /x?token=abcd1234&page=2",
		      "GET /x?token=***&page=2");
	expect_masked(masker, "Authorization: Bearer eyJhbGciOi.abc.def",
		      "Authorization: Bearer ***");
	expect_masked(masker, "key AKIAIOSFODNN7EXAMPLE used",
		      "key *** used");
	expect_masked(masker, "fetch https://deploy:pa55w0rd@git.example/x",
		      "fetch https://deploy:***@git.example/x");
	expect_masked(masker, "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG",
		      "aws_secret_access_key=***");
	/* No secret: unchanged, including the words "Failed password". */
	expect_masked(masker, "sshd[1]: Failed password for root from 1.2.3.4",
		      "sshd[1]: Failed password for root from 1.2.3.4");
	masker_free(masker);
}

static void test_extra_patterns(void **state)
{
	char *items[] = { "card=(?<secret>\\d{12})\\d{4}", "ssn \\d{3}-\\d{4}" };
	struct config_string_list extra = { items, 2 };
	struct masker *masker;
	char error[256];

	(void)state;
	assert_int_equal(masker_new(&extra, &masker, error, sizeof(error)), 0);
	expect_masked(masker, "paid card=4111111111111111 ok",
		      "paid card=***1111 ok");
	expect_masked(masker, "ssn 123-4567 and password=x",
		      "*** and password=***");
	masker_free(masker);

	items[0] = "broken(";
	extra.count = 1;
	assert_int_equal(masker_new(&extra, &masker, error, sizeof(error)),
			 -EINVAL);
	assert_non_null(strstr(error, "broken("));
}

static void test_output_is_bounded(void **state)
{
	struct masker *masker;
	char error[256], out[8];
	size_t length;

	(void)state;
	assert_int_equal(masker_new(NULL, &masker, error, sizeof(error)), 0);
	length = masker_apply(masker, "password=a b c d e f", 20, out,
			      sizeof(out));
	assert_int_equal(length, 7);
	assert_string_equal(out, "passwor");
	/* Binary input with NUL bytes is handled by length. */
	length = masker_apply(masker, "a\0token=zz", 10, out, sizeof(out));
	assert_int_equal(length, 7);
	assert_memory_equal(out, "a\0token", 7);
	masker_free(masker);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_patterns),
		cmocka_unit_test(test_extra_patterns),
		cmocka_unit_test(test_output_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
