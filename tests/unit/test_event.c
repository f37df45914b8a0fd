/*
 * test_event.c - the claims of src/core/event.c: a claim is seen until it is
 * released, releasing what was never claimed is harmless, and a full table
 * refuses a claim (so nothing is silenced) instead of dropping another.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "core/event.h"

static void test_claim_and_release(void **state)
{
	(void)state;
	assert_false(event_claimed("oom_kill"));
	assert_int_equal(event_claim("oom_kill", true), 0);
	assert_int_equal(event_claim("oom_kill", true), 0); /* idempotent */
	assert_true(event_claimed("oom_kill"));
	assert_false(event_claimed("oom"));
	assert_int_equal(event_claim("oom_kill", false), 0);
	assert_false(event_claimed("oom_kill"));
	assert_int_equal(event_claim("never_claimed", false), 0);
}

static void test_full_table_refuses_and_keeps_the_others(void **state)
{
	char name[32];

	(void)state;
	for (int i = 0; i < EVENT_CLAIMS_MAX; i++) {
		snprintf(name, sizeof(name), "rule_%d", i);
		assert_int_equal(event_claim(name, true), 0);
	}
	assert_int_equal(event_claim("one_too_many", true), -ENOSPC);
	assert_false(event_claimed("one_too_many"));
	for (int i = 0; i < EVENT_CLAIMS_MAX; i++) {
		snprintf(name, sizeof(name), "rule_%d", i);
		assert_true(event_claimed(name));
	}
	/* A released slot is used again. */
	assert_int_equal(event_claim("rule_3", false), 0);
	assert_int_equal(event_claim("one_too_many", true), 0);
	assert_true(event_claimed("one_too_many"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_claim_and_release),
	    cmocka_unit_test(test_full_table_refuses_and_keeps_the_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
