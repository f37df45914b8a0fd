/*
 * test_disk.c - filesystems and block devices: statvfs figures for watched
 * filesystem types only, bind mounts counted once, a filesystem unmounted
 * between ticks has its series retired, read-only state (the superblock's,
 * not a sandbox's read-only mount), whole disks only in the I/O rates, exact
 * rates, a device that disappears, and the filesystems a sandbox hides said
 * once at start.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <sys/statvfs.h>
#include <cmocka.h>

#include "collector_fixture.h"
#include "stderr_capture.h"

#define ROOT_LINE "1 1 253:0 / / rw,relatime - ext4 /dev/mapper/root rw\n"
#define DATA_LINE "30 1 8:17 / @FIXTURE@/mnt/data rw - xfs /dev/sdb1 rw\n"
#define PROC_LINE "16 1 0:3 / /proc rw,relatime - proc proc rw\n"

static void write_mounts(struct fixture *f, const char *text)
{
	fixture_write(f, "proc/self/mountinfo", text);
	fixture_expand(f, "proc/self/mountinfo");
}

static void mount_labels(const struct fixture *f, char *out, size_t size)
{
	snprintf(out, size, "device=/dev/sdb1,fstype=xfs,mount=%s/mnt/data",
		 f->root);
}

static void test_filesystems_and_unmount(void **state)
{
	struct fixture f;
	struct statvfs st;
	char labels[512], path[512];
	double v, total;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "disk");
	write_mounts(&f, PROC_LINE ROOT_LINE DATA_LINE
		     /* a bind mount of the same device: skipped */
		     "31 1 8:17 /sub @FIXTURE@/mnt/boot rw - xfs /dev/sdb1 rw\n");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	mount_labels(&f, labels, sizeof(labels));
	fixture_path(&f, "mnt/data", path, sizeof(path));
	assert_int_equal(statvfs(path, &st), 0);
	assert_true(fixture_value(&f, "disk.total_bytes", labels, &total));
	assert_float_equal(total, (double)st.f_blocks * st.f_frsize,
			   (double)st.f_frsize * 1024);
	assert_true(fixture_value(&f, "disk.used_percent", labels, &v));
	assert_true(v >= 0 && v <= 100);
	assert_true(fixture_value(&f, "disk.read_only", labels, &v));
	assert_float_equal(v, 0, 1e-9);
	assert_true(fixture_value(&f, "disk.used_percent",
				  "device=/dev/mapper/root,fstype=ext4,"
				  "mount=/", &v));
	/* proc is not a watched type; the bind mount is not counted twice. */
	assert_int_equal(fixture_count(&f, "disk.used_percent"), 2);
	/* Unmounted between ticks: its series are retired. */
	write_mounts(&f, PROC_LINE ROOT_LINE);
	fixture_tick(&f);
	assert_int_equal(fixture_find(&f, "disk.used_percent", labels), -1);
	assert_int_equal(fixture_count(&f, "disk.used_percent"), 1);
	/* Mounted again, read-only this time. */
	write_mounts(&f, PROC_LINE ROOT_LINE
		     "30 1 8:17 / @FIXTURE@/mnt/data ro - xfs /dev/sdb1 ro\n");
	fixture_tick(&f);
	assert_true(fixture_value(&f, "disk.read_only", labels, &v));
	assert_float_equal(v, 1, 1e-9);
	/* Mounted read-only from the start (after the unmount): a choice. */
	assert_int_equal(alerts_raised("filesystem_read_only", true), 0);
	assert_int_equal(collector_set_errors(f.set, "disk"), 0);
	fixture_close(&f);
}

static void test_remount_read_only_is_an_alert(void **state)
{
	struct fixture f;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "disk");
	write_mounts(&f, ROOT_LINE DATA_LINE);
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	/* errors=remount-ro kicked in */
	write_mounts(&f, ROOT_LINE
		     "30 1 8:17 / @FIXTURE@/mnt/data ro - xfs /dev/sdb1 ro\n");
	fixture_tick(&f);
	fixture_tick(&f);
	assert_int_equal(alerts_raised("filesystem_read_only", true), 1);
	assert_int_equal(captured[0].severity, ALERT_CRITICAL);
	assert_non_null(strstr(captured[0].labels, "mnt/data"));
	write_mounts(&f, ROOT_LINE DATA_LINE);
	fixture_tick(&f);
	assert_int_equal(alerts_raised("filesystem_read_only", false), 1);
	/* Read-only again, then unmounted: the alert clears with it. */
	write_mounts(&f, ROOT_LINE
		     "30 1 8:17 / @FIXTURE@/mnt/data ro - xfs /dev/sdb1 ro\n");
	fixture_tick(&f);
	write_mounts(&f, ROOT_LINE);
	fixture_tick(&f);
	assert_int_equal(alerts_raised("filesystem_read_only", true), 2);
	assert_int_equal(alerts_raised("filesystem_read_only", false), 2);
	assert_int_equal(alerts_nature("filesystem_read_only"), ALERT_STATE);
	fixture_close(&f);
}

/*
 * Under ProtectSystem=strict every mount is read-only in the daemon's
 * namespace ("ro" in the per-mount options) while the superblock stays
 * "rw": not read-only, no alert. Its superblock going "ro" still is one.
 */
static void test_sandbox_read_only_mount_is_not_read_only(void **state)
{
	struct fixture f;
	char labels[512];
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "disk");
	write_mounts(&f, ROOT_LINE DATA_LINE);
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	write_mounts(&f, "1 1 253:0 / / ro,relatime - ext4 /dev/mapper/root rw\n"
			 "30 1 8:17 / @FIXTURE@/mnt/data ro,nosuid - xfs "
			 "/dev/sdb1 rw,attr2\n");
	fixture_tick(&f);
	fixture_tick(&f);
	mount_labels(&f, labels, sizeof(labels));
	assert_true(fixture_value(&f, "disk.read_only", labels, &v));
	assert_float_equal(v, 0, 1e-9);
	assert_int_equal(alerts_raised("filesystem_read_only", true), 0);
	write_mounts(&f, "1 1 253:0 / / ro,relatime - ext4 /dev/mapper/root rw\n"
			 "30 1 8:17 / @FIXTURE@/mnt/data ro,nosuid - xfs "
			 "/dev/sdb1 ro,attr2\n");
	fixture_tick(&f);
	assert_true(fixture_value(&f, "disk.read_only", labels, &v));
	assert_float_equal(v, 1, 1e-9);
	assert_int_equal(alerts_raised("filesystem_read_only", true), 1);
	fixture_close(&f);
}

static const char stats_a[] =
	"   7       0 loop0 10 0 80 1 0 0 0 0 0 1 1 0 0 0 0 0 0\n"
	" 254       0 vda 1000 0 8000 500 2000 0 16000 1500 0 3000 2000 0 0 0 0\n"
	" 254       1 vda1 900 0 7000 400 1900 0 15000 1400 0 2900 1900 0 0 0 0\n";
/* +100 reads (+800 sectors), +300 writes (+4800 sectors), +5000 ms busy */
static const char stats_b[] =
	"   7       0 loop0 20 0 160 2 0 0 0 0 0 2 2 0 0 0 0 0 0\n"
	" 254       0 vda 1100 0 8800 700 2300 0 20800 2500 4 8000 3000 0 0 0 0\n"
	" 254       1 vda1 1000 0 7800 600 2200 0 19800 2400 0 7900 2900 0 0 0 0\n";

static void test_block_device_rates(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "disk");
	fixture_write(&f, "proc/diskstats", stats_a);
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_false(fixture_value(&f, "disk.reads_per_sec", "device=vda",
				   &v));
	fixture_write(&f, "proc/diskstats", stats_b);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "disk.reads_per_sec", "device=vda", &v));
	assert_float_equal(v, 10, 1e-9);
	assert_true(fixture_value(&f, "disk.write_bytes_per_sec",
				  "device=vda", &v));
	assert_float_equal(v, 4800.0 * 512 / 10, 1e-6);
	assert_true(fixture_value(&f, "disk.util_percent", "device=vda", &v));
	assert_float_equal(v, 50, 1e-9);
	/* (200 + 1000) ms over 400 I/Os */
	assert_true(fixture_value(&f, "disk.await_ms", "device=vda", &v));
	assert_float_equal(v, 3, 1e-9);
	assert_true(fixture_value(&f, "disk.io_in_progress", "device=vda",
				  &v));
	assert_float_equal(v, 4, 1e-9);
	/* Partitions (no sys/block entry) and loop devices are left out. */
	assert_int_equal(fixture_find(&f, "disk.reads_per_sec", "device=vda1"),
			 -1);
	assert_int_equal(fixture_find(&f, "disk.reads_per_sec",
				      "device=loop0"), -1);
	/* The disk goes away: retired. Garbage lines are counted. */
	fixture_write(&f, "proc/diskstats", "x y z\n 8 0 sdz 1 2\n");
	fixture_tick(&f);
	assert_int_equal(fixture_find(&f, "disk.reads_per_sec", "device=vda"),
			 -1);
	assert_int_equal(collector_set_errors(f.set, "disk"), 2);
	fixture_close(&f);
}

static void test_old_kernel_and_garbage(void **state)
{
	struct fixture f;
	char labels[512];
	double v;

	(void)state;
	fixture_open(&f, "linux-2.6.32-rhel6", "disk");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	snprintf(labels, sizeof(labels),
		 "device=/dev/sda1,fstype=ext4,mount=%s/mnt/boot", f.root);
	assert_true(fixture_value(&f, "disk.free_bytes", labels, &v));
	assert_true(fixture_value(&f, "disk.io_in_progress", "device=sda",
				  &v));
	assert_int_equal(fixture_find(&f, "disk.io_in_progress", "device=ram0"),
			 -1);
	assert_int_equal(collector_set_errors(f.set, "disk"), 0);
	fixture_write(&f, "proc/self/mountinfo",
		      "garbage without separator\n1 2 3 - ext4\n\n\x01\x02");
	fixture_tick(&f);
	assert_int_equal(collector_set_errors(f.set, "disk"), 3);
	assert_int_equal(fixture_find(&f, "disk.free_bytes", labels), -1);
	fixture_close(&f);
}

/*
 * The unit's namespace: /mnt/boot (ext4) is covered by ProtectHome='s
 * inaccessible mount, /mnt/data by a bind mount of its own filesystem (not
 * hidden); PID 1's namespace also has /srv/data (xfs), not mounted here, and
 * a tmpfs (not a watched type). One line at start names the two hidden
 * filesystems; the covered one gets no (tmpfs) figures; ticks say nothing.
 */
static void test_hidden_filesystems_said_at_start(void **state)
{
	struct fixture f;
	struct stderr_capture capture;
	char said[4096], expected[1024], labels[512];
	const char *first;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "disk");
	write_mounts(&f, PROC_LINE ROOT_LINE DATA_LINE
		     "40 1 8:33 / @FIXTURE@/mnt/boot rw - ext4 /dev/sdc1 rw\n"
		     "50 40 0:25 /systemd/inaccessible/dir @FIXTURE@/mnt/boot "
		     "ro,nosuid - tmpfs tmpfs rw,mode=755\n"
		     "51 30 8:17 /sub @FIXTURE@/mnt/data rw - xfs /dev/sdb1 "
		     "rw\n");
	fixture_write(&f, "proc/1/mountinfo",
		      PROC_LINE ROOT_LINE DATA_LINE
		      "40 1 8:33 / @FIXTURE@/mnt/boot rw - ext4 /dev/sdc1 rw\n"
		      "41 1 8:49 / /srv/data rw - xfs /dev/sdd1 rw\n"
		      "42 1 0:40 / /run/user/1000 rw - tmpfs tmpfs rw\n");
	fixture_expand(&f, "proc/1/mountinfo");
	stderr_capture_begin(&capture);
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	fixture_tick(&f);
	stderr_capture_end(&capture, said, sizeof(said));
	snprintf(
	    expected, sizeof(expected),
	    "disk: 2 local filesystems cannot be seen from this mount "
	    "namespace (a sandbox: ProtectHome=, InaccessiblePaths=, ...), "
	    "so no usage, disk-full or read-only alert for them: "
	    "%s/mnt/boot (ext4 /dev/sdc1, covered by another mount here), "
	    "/srv/data (xfs /dev/sdd1, not mounted in this namespace)",
	    f.root);
	first = strstr(said, expected);
	if (first == NULL)
		fail_msg("expected \"%s\" in:\n%s", expected, said);
	assert_null(strstr(first + strlen(expected), "cannot be seen"));
	/* The covered filesystem has no series; the rebound one has. */
	snprintf(labels, sizeof(labels),
		 "device=/dev/sdc1,fstype=ext4,mount=%s/mnt/boot", f.root);
	assert_int_equal(fixture_find(&f, "disk.used_percent", labels), -1);
	mount_labels(&f, labels, sizeof(labels));
	assert_true(fixture_value(&f, "disk.used_percent", labels, &v));
	assert_int_equal(collector_set_errors(f.set, "disk"), 0);
	fixture_close(&f);
}

/* Nothing hidden (PID 1 sees the same mounts): nothing said. */
static void test_nothing_hidden_nothing_said(void **state)
{
	struct fixture f;
	struct stderr_capture capture;
	char said[4096];

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "disk");
	write_mounts(&f, PROC_LINE ROOT_LINE DATA_LINE);
	fixture_write(&f, "proc/1/mountinfo", PROC_LINE ROOT_LINE DATA_LINE);
	fixture_expand(&f, "proc/1/mountinfo");
	stderr_capture_begin(&capture);
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	stderr_capture_end(&capture, said, sizeof(said));
	assert_null(strstr(said, "cannot be seen"));
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filesystems_and_unmount),
		cmocka_unit_test(test_remount_read_only_is_an_alert),
		cmocka_unit_test(test_sandbox_read_only_mount_is_not_read_only),
		cmocka_unit_test(test_block_device_rates),
		cmocka_unit_test(test_old_kernel_and_garbage),
		cmocka_unit_test(test_hidden_filesystems_said_at_start),
		cmocka_unit_test(test_nothing_hidden_nothing_said),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
