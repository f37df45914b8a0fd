/*
 * test_detect_threshold.c - fixed limits: a breach fires only after for_secs,
 * a value hovering at the line fires once (hysteresis), and the alert clears
 * below the clear level; "below" limits work the other way round.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "analyzer/detect.h"

#define SEC 1000000LL

static void test_fires_after_for_secs(void **state)
{
	struct threshold_params p = { .raise = 90, .clear = 85.5,
				      .for_secs = 60 };
	struct threshold_state s = { 0 };

	(void)state;
	assert_int_equal(threshold_update(&s, &p, 0, 95), DETECT_NONE);
	assert_int_equal(threshold_update(&s, &p, 50 * SEC, 95), DETECT_NONE);
	assert_int_equal(threshold_update(&s, &p, 60 * SEC, 91), DETECT_FIRE);
	assert_int_equal(threshold_update(&s, &p, 70 * SEC, 99), DETECT_NONE);
	assert_int_equal(threshold_update(&s, &p, 80 * SEC, 85), DETECT_RESOLVE);
}

static void test_short_breach_does_not_fire(void **state)
{
	struct threshold_params p = { .raise = 90, .clear = 85.5,
				      .for_secs = 60 };
	struct threshold_state s = { 0 };

	(void)state;
	for (int i = 0; i < 100; i++) {
		/* 50 s above, 10 s below, again and again: never 60 s. */
		double v = i % 6 == 5 ? 80 : 95;

		assert_int_equal(threshold_update(&s, &p, i * 10 * SEC, v),
				 DETECT_NONE);
	}
}

static void test_hovering_value_fires_once(void **state)
{
	struct threshold_params p = { .raise = 90, .clear = 85.5,
				      .for_secs = 0 };
	struct threshold_state s = { 0 };
	int fires = 0, resolves = 0;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		double v = 90 + ((i % 2) ? 0.5 : -0.5) * (1 + i % 3);
		enum detect_transition t = threshold_update(&s, &p, i * SEC, v);

		fires += t == DETECT_FIRE;
		resolves += t == DETECT_RESOLVE;
	}
	assert_int_equal(fires, 1);
	assert_int_equal(resolves, 0);
}

static void test_below_limit(void **state)
{
	struct threshold_params p = { .raise = 10, .clear = 15,
				      .for_secs = 0, .below = true };
	struct threshold_state s = { 0 };

	(void)state;
	assert_int_equal(threshold_update(&s, &p, 0, 20), DETECT_NONE);
	assert_int_equal(threshold_update(&s, &p, SEC, 9), DETECT_FIRE);
	assert_int_equal(threshold_update(&s, &p, 2 * SEC, 12), DETECT_NONE);
	assert_int_equal(threshold_update(&s, &p, 3 * SEC, 16),
			 DETECT_RESOLVE);
	assert_int_equal(threshold_update(&s, &p, 4 * SEC, NAN), DETECT_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fires_after_for_secs),
		cmocka_unit_test(test_short_breach_does_not_fire),
		cmocka_unit_test(test_hovering_value_fires_once),
		cmocka_unit_test(test_below_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
