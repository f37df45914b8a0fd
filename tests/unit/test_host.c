/*
 * test_host.c - the host collector: uptime, kernel version as a label,
 * taint flags, clock synchronisation from adjtimex, and a reboot noticed
 * both between ticks and across daemon restarts (boot id in the state
 * directory).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>

#include "collector_fixture.h"

#define BOOT_A "3c1a9a1e-3e63-4f8a-9e0a-0d6a4a3f2c11\n"
#define BOOT_B "8d2b0c44-1f7e-4a55-b0a2-61f0d1e2a3b4\n"

static void test_host_figures(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-2.6.32-rhel6", "host");
	fixture_write(&f, "proc/sys/kernel/tainted", "4097\n");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "host.uptime_seconds", "", &v));
	assert_float_equal(v, 1062191.38, 1e-6);
	assert_true(fixture_value(&f, "host.info",
				  "kernel=2.6.32-754.el6.x86_64", &v));
	assert_true(fixture_value(&f, "host.kernel_tainted", "", &v));
	assert_float_equal(v, 4097, 1e-9);
	assert_true(fixture_value(&f, "host.clock_synchronized", "", &v));
	assert_true(v == 0 || v == 1);
	assert_true(fixture_value(&f, "host.rebooted", "", &v));
	assert_float_equal(v, 0, 1e-9);
	assert_int_equal(collector_set_errors(f.set, "host"), 0);
	fixture_write(&f, "proc/uptime", "garbage");
	fixture_write(&f, "proc/sys/kernel/random/boot_id", "short\n");
	fixture_tick(&f);
	assert_int_equal(collector_set_errors(f.set, "host"), 2);
	fixture_close(&f);
}

/* The daemon (re)starts on the boot id given; what host.rebooted says. */
static double start_on_boot(struct fixture *f, int state_fd,
			    const char *boot_id)
{
	double v;

	fixture_write(f, "proc/sys/kernel/random/boot_id", boot_id);
	assert_int_equal(fixture_start(f), 0);
	collector_set_use_state_dir(f->set, state_fd);
	fixture_tick(f);
	assert_true(fixture_value(f, "host.rebooted", "", &v));
	return v;
}

static void test_reboot_across_restarts(void **state)
{
	struct fixture f;
	char path[512];
	int state_fd;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "host");
	fixture_path(&f, "state", path, sizeof(path));
	assert_int_equal(mkdir(path, 0750), 0);
	state_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(state_fd >= 0);
	assert_float_equal(start_on_boot(&f, state_fd, BOOT_A), 0, 1e-9);
	/* The daemon restarts after the host rebooted. */
	collector_set_free(f.set);
	assert_float_equal(start_on_boot(&f, state_fd, BOOT_B), 1, 1e-9);
	assert_int_equal(alerts_raised("host_rebooted", true), 1);
	assert_int_equal(alerts_nature("host_rebooted"), ALERT_POINT);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "host.rebooted", "", &v));
	assert_float_equal(v, 0, 1e-9);
	/* A point event: no "resolved" follows. */
	assert_int_equal(alerts_raised("host_rebooted", false), 0);
	assert_int_equal(alerts_raised("host_rebooted", true), 1);
	/* The new boot id was saved: another restart is no reboot. */
	collector_set_free(f.set);
	assert_float_equal(start_on_boot(&f, state_fd, BOOT_B), 0, 1e-9);
	assert_int_equal(alerts_raised("host_rebooted", true), 0);
	close(state_fd);
	fixture_close(&f);
}

/*
 * adjtimex answers for this machine, so the test follows it: after 15
 * minutes of ticks an unsynchronised clock has raised exactly one alert, a
 * synchronised one none.
 */
static void test_clock_alert_after_grace(void **state)
{
	struct fixture f;
	double synced = -1, v;
	int ticks = 900 / 10 + 1;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "host");
	assert_int_equal(fixture_start(&f), 0);
	for (int i = 0; i < ticks - 1; i++)
		fixture_tick(&f);
	assert_int_equal(alerts_raised("clock_unsynchronized", true), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "host.clock_synchronized", "", &synced));
	assert_true(fixture_value(&f, "host.clock_max_error_seconds", "", &v));
	if (synced == 0) {
		assert_int_equal(alerts_raised("clock_unsynchronized", true),
				 1);
		assert_int_equal(alerts_nature("clock_unsynchronized"),
				 ALERT_STATE);
	} else
		assert_int_equal(alerts_raised("clock_unsynchronized", true),
				 0);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_figures),
		cmocka_unit_test(test_reboot_across_restarts),
		cmocka_unit_test(test_clock_alert_after_grace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
