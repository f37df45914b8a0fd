/*
 * test_load.c - load average and pressure: exact values, stall time per
 * second from total= deltas, a kernel without /proc/pressure (said once,
 * no error per tick) and malformed files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector_fixture.h"

static void test_load_and_pressure(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "load");
	fixture_write(&f, "proc/loadavg", "1.50 0.75 0.05 3/250 1234\n");
	fixture_write(&f, "proc/pressure/io",
		      "some avg10=1.25 avg60=0.50 avg300=0.10 total=1000000\n"
		      "full avg10=0.75 avg60=0.25 avg300=0.00 total=500000\n");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "load.avg1", "", &v));
	assert_float_equal(v, 1.5, 1e-9);
	assert_true(fixture_value(&f, "load.avg15", "", &v));
	assert_float_equal(v, 0.05, 1e-9);
	assert_true(fixture_value(&f, "load.threads", "", &v));
	assert_float_equal(v, 250, 1e-9);
	/* The fixture host has cores 0-1 online. */
	assert_true(fixture_value(&f, "load.per_core", "", &v));
	assert_float_equal(v, 0.75, 1e-9);
	assert_true(fixture_value(&f, "psi.some_avg10_percent",
				  "resource=io", &v));
	assert_float_equal(v, 1.25, 1e-9);
	assert_true(fixture_value(&f, "psi.full_avg60_percent",
				  "resource=io", &v));
	assert_float_equal(v, 0.25, 1e-9);
	fixture_write(&f, "proc/pressure/io",
		      "some avg10=1.25 avg60=0.50 avg300=0.10 total=3000000\n"
		      "full avg10=0.75 avg60=0.25 avg300=0.00 total=600000\n");
	fixture_tick(&f);
	assert_true(fixture_value(&f, "psi.some_stall_usec_per_sec",
				  "resource=io", &v));
	assert_float_equal(v, 200000, 1e-6);
	assert_true(fixture_value(&f, "psi.full_stall_usec_per_sec",
				  "resource=io", &v));
	assert_float_equal(v, 10000, 1e-6);
	assert_true(fixture_value(&f, "psi.some_avg10_percent",
				  "resource=cpu", &v));
	assert_int_equal(collector_set_errors(f.set, "load"), 0);
	fixture_close(&f);
}

static void test_kernel_without_pressure(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-2.6.32-rhel6", "load");
	assert_int_equal(fixture_start(&f), 0);
	assert_true(collector_set_active(f.set, "load"));
	for (int i = 0; i < 3; i++)
		fixture_tick(&f);
	assert_true(fixture_value(&f, "load.avg1", "", &v));
	assert_float_equal(v, 0.08, 1e-9);
	assert_int_equal(fixture_find(&f, "psi.some_avg10_percent",
				      "resource=cpu"), -1);
	assert_int_equal(collector_set_errors(f.set, "load"), 0);
	fixture_close(&f);
}

static void test_per_core_from_cpu_ranges(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-2.6.32-rhel6", "load");
	fixture_write(&f, "proc/loadavg", "7.00 1.00 1.00 1/100 5\n");
	fixture_write(&f, "sys/devices/system/cpu/online", "0-3,6,8-9\n");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "load.per_core", "", &v));
	assert_float_equal(v, 1.0, 1e-9);
	fixture_write(&f, "sys/devices/system/cpu/online", "3-1\n");
	fixture_tick(&f);
	assert_false(fixture_value(&f, "load.per_core", "", &v));
	assert_int_equal(collector_set_errors(f.set, "load"), 1);
	fixture_close(&f);
}

static void test_malformed(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "load");
	assert_int_equal(fixture_start(&f), 0);
	fixture_write(&f, "proc/loadavg", "abc");
	fixture_write(&f, "proc/pressure/cpu", "some avg10=x\n");
	fixture_tick(&f);
	assert_false(fixture_value(&f, "load.avg1", "", &v));
	assert_true(collector_set_errors(f.set, "load") >= 2);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_and_pressure),
		cmocka_unit_test(test_kernel_without_pressure),
		cmocka_unit_test(test_per_core_from_cpu_ranges),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
