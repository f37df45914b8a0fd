/*
 * test_memory.c - the memory collector: used = total - available (and the
 * pre-3.14 fallback without MemAvailable), vmstat rates in bytes, the OOM
 * kill delta, and malformed files counted as errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector_fixture.h"

static void test_real_meminfo(void **state)
{
	struct fixture f;
	double total, available, used, pct;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "memory");
	fixture_write(&f, "proc/meminfo",
		      "MemTotal:       1000 kB\nMemFree:         100 kB\n"
		      "MemAvailable:    250 kB\nBuffers:          10 kB\n"
		      "Cached:          100 kB\nSwapTotal:      2000 kB\n"
		      "SwapFree:       1500 kB\nDirty:            12 kB\n"
		      "SUnreclaim:       40 kB\nHugePages_Total:       4\n"
		      "HugePages_Free:        1\nHugepagesize:    2048 kB\n");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "memory.total_bytes", "", &total));
	assert_true(fixture_value(&f, "memory.available_bytes", "",
				  &available));
	assert_true(fixture_value(&f, "memory.used_bytes", "", &used));
	assert_true(fixture_value(&f, "memory.used_percent", "", &pct));
	assert_float_equal(total, 1024000, 1e-6);
	assert_float_equal(available, 256000, 1e-6);
	assert_float_equal(used, 768000, 1e-6);
	assert_float_equal(pct, 75.0, 1e-9);
	assert_true(fixture_value(&f, "memory.swap_used_percent", "", &pct));
	assert_float_equal(pct, 25.0, 1e-9);
	assert_true(fixture_value(&f, "memory.slab_unreclaimable_bytes", "",
				  &used));
	assert_float_equal(used, 40960, 1e-6);
	assert_true(fixture_value(&f, "memory.hugepages_used_bytes", "",
				  &used));
	assert_float_equal(used, 3.0 * 2048 * 1024, 1e-6);
	assert_int_equal(collector_set_errors(f.set, "memory"), 0);
	fixture_close(&f);
}

static void test_old_kernel_without_memavailable(void **state)
{
	struct fixture f;
	double available;

	(void)state;
	fixture_open(&f, "linux-2.6.32-rhel6", "memory");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "memory.available_bytes", "",
				  &available));
	assert_float_equal(available, (145628.0 + 138952 + 1206916) * 1024,
			   1e-3);
	/* No oom_kill in this vmstat: no series, and no error either. */
	fixture_tick(&f);
	assert_int_equal(fixture_find(&f, "memory.oom_kills_delta", ""), -1);
	assert_int_equal(collector_set_errors(f.set, "memory"), 0);
	fixture_close(&f);
}

static void test_vmstat_rates_and_oom_delta(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "memory");
	fixture_write(&f, "proc/vmstat", "pgpgin 100\npgpgout 0\npswpin 0\n"
		      "pswpout 0\npgmajfault 0\noom_kill 3\n");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "memory.oom_kills_total", "", &v));
	assert_float_equal(v, 3, 1e-9);
	fixture_write(&f, "proc/vmstat", "pgpgin 200\npgpgout 10\npswpin 5\n"
		      "pswpout 0\npgmajfault 20\noom_kill 5\n");
	fixture_tick(&f);
	assert_true(fixture_value(&f, "memory.oom_kills_delta", "", &v));
	assert_float_equal(v, 2, 1e-9);
	/* An OOM kill is a point event: raised once, never resolved. */
	assert_int_equal(alerts_raised("oom_kill", true), 1);
	assert_int_equal(alerts_raised("oom_kill", false), 0);
	assert_int_equal(alerts_nature("oom_kill"), ALERT_POINT);
	/* 100 KiB in 10 s */
	assert_true(fixture_value(&f, "memory.page_in_bytes_per_sec", "", &v));
	assert_float_equal(v, 10240, 1e-6);
	assert_true(fixture_value(&f, "memory.swap_in_bytes_per_sec", "", &v));
	assert_float_equal(v, 5.0 * sysconf(_SC_PAGESIZE) / 10, 1e-6);
	assert_true(fixture_value(&f, "memory.major_faults_per_sec", "", &v));
	assert_float_equal(v, 2, 1e-9);
	fixture_tick(&f);
	assert_int_equal(alerts_raised("oom_kill", false), 0);
	fixture_tick(&f);
	assert_int_equal(alerts_raised("oom_kill", true), 1);
	assert_int_equal(alerts_raised("oom_kill", false), 0);
	/* The next kill is raised again, as its own event. */
	fixture_write(&f, "proc/vmstat", "pgpgin 200\npgpgout 10\npswpin 5\n"
		      "pswpout 0\npgmajfault 20\noom_kill 6\n");
	fixture_tick(&f);
	assert_int_equal(alerts_raised("oom_kill", true), 2);
	assert_int_equal(alerts_raised("oom_kill", false), 0);
	fixture_close(&f);
}

static void test_garbage_and_truncation(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "memory");
	assert_int_equal(fixture_start(&f), 0);
	fixture_write(&f, "proc/meminfo", "MemTotal:  12");
	fixture_write(&f, "proc/vmstat", "pgpgin\noom_kill zz\n");
	fixture_tick(&f);
	assert_true(collector_set_errors(f.set, "memory") >= 2);
	assert_false(fixture_value(&f, "memory.used_percent", "", &v));
	fixture_write(&f, "proc/meminfo", "\xff\xfe\x00\x01 binary junk\n");
	fixture_tick(&f);
	assert_true(collector_set_errors(f.set, "memory") >= 3);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_meminfo),
		cmocka_unit_test(test_old_kernel_without_memavailable),
		cmocka_unit_test(test_vmstat_rates_and_oom_delta),
		cmocka_unit_test(test_garbage_and_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
