/*
 * test_counter.c - counter deltas and rates: nothing on the first reading,
 * exact rates, a reset (counter going back) yields no sample and re-primes,
 * and a 32-bit wrap is bridged.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "storage/counter.h"

static void test_first_reading_only_primes(void **state)
{
	struct counter c = { 0 };
	double rate;

	(void)state;
	assert_false(counter_rate(&c, 1000, 1000000, &rate));
	assert_true(counter_rate(&c, 3000, 3000000, &rate));
	assert_float_equal(rate, 1000.0, 1e-9);
}

static void test_reset_gives_no_sample_then_resumes(void **state)
{
	struct counter c = { 0 };
	uint64_t delta;
	double rate;

	(void)state;
	counter_rate(&c, 5000000, 1000000, &rate);
	/* Interface re-created: counter back near zero. */
	assert_false(counter_rate(&c, 100, 2000000, &rate));
	assert_true(counter_delta(&c, 600, 3000000, 64, &delta));
	assert_int_equal(delta, 500);
}

/* counter_same() leaves a counter as counter_rate() of its last value. */
static void test_same_is_a_rate_of_the_last_value(void **state)
{
	struct counter same = { 0 }, rate_path = { 0 };
	double rate;

	(void)state;
	assert_false(counter_same(&same, 1000000)); /* nothing to repeat */
	counter_rate(&same, 700, 1000000, &rate);
	counter_rate(&rate_path, 700, 1000000, &rate);
	assert_true(counter_same(&same, 2000000));
	assert_true(counter_rate(&rate_path, 700, 2000000, &rate));
	assert_float_equal(rate, 0.0, 0.0);
	assert_int_equal(same.value, rate_path.value);
	assert_int_equal(same.time_usec, rate_path.time_usec);
	assert_true(same.primed && rate_path.primed);
	/* Time did not move: no rate, and nothing changed. */
	assert_false(counter_same(&same, 2000000));
	assert_int_equal(same.time_usec, 2000000);
	/* The next reading's rate runs from the repeated one. */
	assert_true(counter_rate(&same, 1700, 3000000, &rate));
	assert_float_equal(rate, 1000.0, 1e-9);
}

static void test_32bit_wrap_is_bridged(void **state)
{
	struct counter c = { 0 };
	uint64_t delta;

	(void)state;
	counter_delta(&c, 0xFFFFFF00ULL, 1, 32, &delta);
	assert_true(counter_delta(&c, 0x100, 2, 32, &delta));
	assert_int_equal(delta, 0x200);
	/* The same drop on a 64-bit counter is a reset. */
	counter_reset(&c);
	counter_delta(&c, 0xFFFFFF00ULL, 1, 64, &delta);
	assert_false(counter_delta(&c, 0x100, 2, 64, &delta));
}

static void test_time_not_advancing_gives_nothing(void **state)
{
	struct counter c = { 0 };
	double rate;

	(void)state;
	counter_rate(&c, 10, 5, &rate);
	assert_false(counter_rate(&c, 20, 5, &rate));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_reading_only_primes),
		cmocka_unit_test(test_reset_gives_no_sample_then_resumes),
		cmocka_unit_test(test_same_is_a_rate_of_the_last_value),
		cmocka_unit_test(test_32bit_wrap_is_bridged),
		cmocka_unit_test(test_time_not_advancing_gives_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
