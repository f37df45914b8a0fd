/*
 * test_cpu.c - the cpu collector on fixture trees: exact percentages from
 * jiffy deltas, rates of context switches and forks, a counter reset that
 * yields no sample, an old kernel's shorter lines, and garbage that is
 * counted, not crashed on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector_fixture.h"

static const char stat_a[] =
	"cpu  100 0 100 700 100 0 0 0 0 0\n"
	"cpu0 50 0 50 350 50 0 0 0 0 0\n"
	"cpu1 50 0 50 350 50 0 0 0 0 0\n"
	"intr 1 2 3\nctxt 1000\nbtime 1\nprocesses 50\n"
	"procs_running 3\nprocs_blocked 1\n";
/* +100 user, +50 system, +300 idle, +50 iowait: 30 % busy. */
static const char stat_b[] =
	"cpu  200 0 150 1000 150 0 0 0 0 0\n"
	"cpu0 150 0 75 400 75 0 0 0 0 0\n"
	"cpu1 50 0 75 600 75 0 0 0 0 0\n"
	"intr 1 2 3\nctxt 2000\nbtime 1\nprocesses 60\n"
	"procs_running 2\nprocs_blocked 0\n";

static void test_percentages_from_deltas(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "cpu");
	fixture_write(&f, "proc/stat", stat_a);
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_false(fixture_value(&f, "cpu.usage_percent", "", &v));
	assert_true(fixture_value(&f, "cpu.procs_running", "", &v));
	assert_float_equal(v, 3, 1e-9);
	fixture_write(&f, "proc/stat", stat_b);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "cpu.usage_percent", "", &v));
	assert_float_equal(v, 30.0, 1e-9);
	assert_true(fixture_value(&f, "cpu.user_percent", "", &v));
	assert_float_equal(v, 20.0, 1e-9);
	assert_true(fixture_value(&f, "cpu.system_percent", "", &v));
	assert_float_equal(v, 10.0, 1e-9);
	assert_true(fixture_value(&f, "cpu.iowait_percent", "", &v));
	assert_float_equal(v, 10.0, 1e-9);
	/* cpu0: +100 +25 +50 idle +25 iowait of 200 -> 62.5 % busy. */
	assert_true(fixture_value(&f, "cpu.core_usage_percent", "cpu=0", &v));
	assert_float_equal(v, 62.5, 1e-9);
	assert_true(fixture_value(&f, "cpu.context_switches_per_sec", "", &v));
	assert_float_equal(v, 100.0, 1e-9);
	assert_true(fixture_value(&f, "cpu.forks_per_sec", "", &v));
	assert_float_equal(v, 1.0, 1e-9);
	assert_true(fixture_value(&f, "cpu.cores_online", "", &v));
	assert_float_equal(v, 2, 1e-9);
	assert_int_equal(collector_set_errors(f.set, "cpu"), 0);
	assert_true(fixture_value(&f, "agent.collector_errors",
				  "collector=cpu", &v));
	assert_float_equal(v, 0, 1e-9);
	fixture_close(&f);
}

static void test_counter_reset_yields_no_sample(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "cpu");
	fixture_write(&f, "proc/stat", stat_b);
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	/* Everything went back (as after a reboot under a restored state). */
	fixture_write(&f, "proc/stat", stat_a);
	fixture_tick(&f);
	assert_false(fixture_value(&f, "cpu.usage_percent", "", &v));
	assert_false(fixture_value(&f, "cpu.context_switches_per_sec", "", &v));
	fixture_write(&f, "proc/stat", stat_b);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "cpu.usage_percent", "", &v));
	assert_float_equal(v, 30.0, 1e-9);
	fixture_close(&f);
}

static void test_real_and_old_kernels(void **state)
{
	static const char *const trees[] = { "linux-6.18-kvm",
					     "linux-2.6.32-rhel6" };
	struct fixture f;
	double v;

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		fixture_open(&f, trees[i], "cpu");
		assert_int_equal(fixture_start(&f), 0);
		fixture_tick(&f);
		fixture_tick(&f);
		/* Same file twice: no time passed in jiffies, no sample. */
		assert_false(fixture_value(&f, "cpu.usage_percent", "", &v));
		assert_true(fixture_value(&f, "cpu.procs_blocked", "", &v));
		assert_true(fixture_value(&f, "cpu.cores_online", "", &v));
		assert_float_equal(v, 2, 1e-9);
		assert_int_equal(collector_set_errors(f.set, "cpu"), 0);
		fixture_close(&f);
	}
}

static void test_garbage_is_counted(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "cpu");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	fixture_write(&f, "proc/stat", "cpu  12 x\n\x01\x02garbage\ncpu");
	fixture_tick(&f);
	assert_true(collector_set_errors(f.set, "cpu") >= 1);
	assert_true(fixture_value(&f, "agent.collector_errors",
				  "collector=cpu", &v));
	assert_true(v >= 1);
	fixture_write(&f, "proc/stat", "");
	fixture_tick(&f);
	fixture_remove(&f, "proc/stat");
	fixture_tick(&f);
	assert_true(collector_set_errors(f.set, "cpu") >= 3);
	fixture_close(&f);
}

/* A file larger than the read buffer: counted, what fits is still used. */
static void test_oversized_file(void **state)
{
	struct fixture f;
	size_t size = 400 * 1024;
	char *big = malloc(size + 1);
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "cpu");
	memcpy(big, stat_a, strlen(stat_a));
	memset(big + strlen(stat_a), '7', size - strlen(stat_a));
	big[size] = '\0';
	assert_int_equal(fixture_start(&f), 0);
	fixture_write(&f, "proc/stat", big);
	fixture_tick(&f);
	assert_true(collector_set_errors(f.set, "cpu") >= 1);
	assert_true(fixture_value(&f, "cpu.procs_running", "", &v) ||
		    fixture_value(&f, "cpu.cores_online", "", &v));
	free(big);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentages_from_deltas),
		cmocka_unit_test(test_counter_reset_yields_no_sample),
		cmocka_unit_test(test_real_and_old_kernels),
		cmocka_unit_test(test_garbage_is_counted),
		cmocka_unit_test(test_oversized_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
