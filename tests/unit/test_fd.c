/*
 * test_fd.c - system file handles: used % against the kernel's maximum,
 * the file-max fallback, and malformed input.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector_fixture.h"

static void test_used_percent(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "fd");
	fixture_write(&f, "proc/sys/fs/file-nr", "2500\t0\t10000\n");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "fd.used_percent", "", &v));
	assert_float_equal(v, 25.0, 1e-9);
	assert_true(fixture_value(&f, "fd.allocated", "", &v));
	assert_float_equal(v, 2500, 1e-9);
	/* Only two fields: the maximum comes from file-max. */
	fixture_write(&f, "proc/sys/fs/file-nr", "500 0\n");
	fixture_write(&f, "proc/sys/fs/file-max", "1000\n");
	fixture_tick(&f);
	assert_true(fixture_value(&f, "fd.used_percent", "", &v));
	assert_float_equal(v, 50.0, 1e-9);
	assert_int_equal(collector_set_errors(f.set, "fd"), 0);
	fixture_write(&f, "proc/sys/fs/file-nr", "junk");
	fixture_tick(&f);
	assert_false(fixture_value(&f, "fd.used_percent", "", &v));
	assert_int_equal(collector_set_errors(f.set, "fd"), 1);
	fixture_close(&f);
}

static void test_old_kernel(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-2.6.32-rhel6", "fd");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "fd.max", "", &v));
	assert_float_equal(v, 188079, 1e-9);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_used_percent),
		cmocka_unit_test(test_old_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
