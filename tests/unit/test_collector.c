/*
 * test_collector.c - the collectors' shared number parsers: every digit
 * count up to UINT64_MAX, the first value past it refused, spaces skipped,
 * the cursor left after the number, signs for the signed one.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector/collect.h"

static void test_parse_u64_limits(void **state)
{
	const char *p;
	uint64_t v;

	(void)state;
	p = "  0 ";
	assert_true(collect_parse_u64(&p, &v));
	assert_int_equal(v, 0);
	assert_string_equal(p, " ");
	p = "9999999999999999999x"; /* 19 digits: no check needed */
	assert_true(collect_parse_u64(&p, &v));
	assert_true(v == 9999999999999999999ULL);
	assert_string_equal(p, "x");
	p = "18446744073709551615";
	assert_true(collect_parse_u64(&p, &v));
	assert_true(v == UINT64_MAX);
	p = "18446744073709551616";
	assert_false(collect_parse_u64(&p, &v));
	p = "99999999999999999999";
	assert_false(collect_parse_u64(&p, &v));
	p = "-1";
	assert_false(collect_parse_u64(&p, &v));
	p = "";
	assert_false(collect_parse_u64(&p, &v));
}

static void test_parse_i64_signs(void **state)
{
	const char *p;
	int64_t v;

	(void)state;
	p = " -42 7";
	assert_true(collect_parse_i64(&p, &v));
	assert_int_equal(v, -42);
	assert_true(collect_parse_i64(&p, &v));
	assert_int_equal(v, 7);
	p = "9223372036854775808";
	assert_false(collect_parse_i64(&p, &v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_limits),
		cmocka_unit_test(test_parse_i64_signs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
