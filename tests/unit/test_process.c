/*
 * test_process.c - the process collector on a fixture /proc: counts
 * (zombies, running, threads), a command name with spaces and parentheses,
 * CPU % from tick deltas, the top lists, long-running processes watched
 * (RSS, threads, descriptors against RLIMIT_NOFILE), an exited process
 * retired, a reused pid not mistaken for the old one, and garbage stat files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "collector_fixture.h"

#define WORKER_LABELS "name=my (weird) proc,pid=4242"
#define WORKER_STAT(cpu_user, start, rss)                                   \
	"4242 (my (weird) proc) R 1 4242 4242 0 -1 4194304 100 0 0 0 "     \
	#cpu_user " 40 0 0 20 0 3 0 " #start " 104857600 " #rss            \
	" 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n"

static void open_process_fixture(struct fixture *f)
{
	fixture_open(f, "linux-6.18-kvm", "process");
	f->config->collectors.process.long_running_secs = 0;
	fixture_write(f, "proc/4242/stat", WORKER_STAT(60, 500, 1000));
	assert_int_equal(fixture_start(f), 0);
}

static void test_counts_and_watch(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	open_process_fixture(&f);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "process.count", "", &v));
	assert_float_equal(v, 3, 1e-9);
	assert_true(fixture_value(&f, "process.zombies", "", &v));
	assert_float_equal(v, 1, 1e-9);
	assert_true(fixture_value(&f, "process.running", "", &v));
	assert_float_equal(v, 1, 1e-9);
	assert_true(fixture_value(&f, "process.threads_total", "", &v));
	assert_true(v >= 3 + 1 + 1);
	/* Watched: the two with memory (the zombie has none). */
	assert_true(fixture_value(&f, "process.rss_bytes", WORKER_LABELS, &v));
	assert_float_equal(v, 1000.0 * sysconf(_SC_PAGESIZE), 1e-6);
	assert_true(fixture_value(&f, "process.threads", WORKER_LABELS, &v));
	assert_float_equal(v, 3, 1e-9);
	assert_true(fixture_value(&f, "process.fd_count", WORKER_LABELS, &v));
	assert_float_equal(v, 4, 1e-9);
	assert_true(fixture_value(&f, "process.fd_limit_used_percent",
				  WORKER_LABELS, &v));
	assert_float_equal(v, 4.0 * 100 / 1024, 1e-9);
	assert_int_equal(fixture_find(&f, "process.rss_bytes",
				      "name=defunct,pid=777"), -1);
	/* Top by memory, with its command line. */
	assert_true(fixture_value(&f, "process.top_rss_bytes",
				  "cmdline=worker --threads 3,"
				  WORKER_LABELS, &v));
	assert_int_equal(collector_set_errors(f.set, "process"), 0);
	fixture_close(&f);
}

/*
 * The watch follows the largest processes: with one slot, taken by pid 1,
 * the worker gets it once it is more than twice pid 1's size (a fast
 * leak is watched even when the slots were all taken at start-up).
 */
static void test_watch_follows_the_largest(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "process");
	f.config->collectors.process.long_running_secs = 0;
	f.config->collectors.process.watch_count = 1;
	fixture_write(&f, "proc/4242/stat", WORKER_STAT(60, 500, 1000));
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_false(fixture_value(&f, "process.rss_bytes", WORKER_LABELS,
				   &v));
	/* 3921 pages for pid 1: 5000 is not enough, 9000 is. */
	fixture_write(&f, "proc/4242/stat", WORKER_STAT(60, 500, 5000));
	fixture_tick(&f);
	assert_false(fixture_value(&f, "process.rss_bytes", WORKER_LABELS,
				   &v));
	fixture_write(&f, "proc/4242/stat", WORKER_STAT(60, 500, 9000));
	fixture_tick(&f);
	assert_true(fixture_value(&f, "process.rss_bytes", WORKER_LABELS, &v));
	assert_float_equal(v, 9000.0 * sysconf(_SC_PAGESIZE), 1e-6);
	fixture_close(&f);
}

static void test_cpu_percent_and_pid_reuse(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	open_process_fixture(&f);
	fixture_tick(&f);
	assert_false(fixture_value(&f, "process.cpu_percent", WORKER_LABELS,
				   &v));
	/* +50 ticks of CPU in 10 s at CLK_TCK 100: 5 %. */
	fixture_write(&f, "proc/4242/stat", WORKER_STAT(110, 500, 1000));
	fixture_tick(&f);
	assert_true(fixture_value(&f, "process.cpu_percent", WORKER_LABELS,
				  &v));
	assert_float_equal(v, 50.0 * 100 / (sysconf(_SC_CLK_TCK) * 10.0),
			   1e-9);
	assert_true(fixture_value(&f, "process.top_cpu_percent",
				  "cmdline=worker --threads 3,"
				  WORKER_LABELS, &v));
	/* Same pid, new start time: a different process, no CPU delta. */
	fixture_write(&f, "proc/4242/stat", WORKER_STAT(500, 900, 2000));
	fixture_tick(&f);
	assert_false(fixture_value(&f, "process.cpu_percent", WORKER_LABELS,
				   &v));
	assert_true(fixture_value(&f, "process.rss_bytes", WORKER_LABELS, &v));
	assert_float_equal(v, 2000.0 * sysconf(_SC_PAGESIZE), 1e-6);
	/* The process exits: every series of it is retired. */
	fixture_remove(&f, "proc/4242");
	fixture_tick(&f);
	assert_int_equal(fixture_find(&f, "process.rss_bytes", WORKER_LABELS),
			 -1);
	assert_true(fixture_value(&f, "process.count", "", &v));
	assert_float_equal(v, 2, 1e-9);
	fixture_close(&f);
}

/* The snapshot alerts are built from: top by CPU and by RSS with growth. */
static void test_top_snapshot_for_alerts(void **state)
{
	struct fixture f;
	struct collector_top top;
	struct collector_process fds[COLLECTOR_TOP_MAX];
	long page = sysconf(_SC_PAGESIZE);

	(void)state;
	open_process_fixture(&f);
	fixture_tick(&f);
	assert_true(collector_set_top_processes(f.set, &top));
	assert_int_equal(top.cpu_count, 0); /* no CPU delta yet */
	assert_true(top.rss_count >= 1);
	fixture_write(&f, "proc/4242/stat", WORKER_STAT(110, 500, 3000));
	fixture_tick(&f);
	assert_true(collector_set_top_processes(f.set, &top));
	assert_true(top.cpu_count >= 1);
	assert_string_equal(top.cpu[0].comm, "my (weird) proc");
	assert_int_equal(top.cpu[0].pid, 4242);
	assert_true(top.cpu[0].cpu_percent > 0);
	assert_float_equal(top.interval_secs, 10, 1e-9);
	for (size_t i = 0; i < top.rss_count; i++) {
		if (top.rss[i].pid != 4242)
			continue;
		assert_int_equal(top.rss[i].rss_bytes, 3000 * page);
		/* It entered the top at 1000 pages, 10 s ago. */
		assert_int_equal(top.rss[i].rss_growth_bytes, 2000 * page);
		assert_int_equal(top.time_usec - top.rss[i].first_seen_usec,
				 10 * 1000000LL);
	}
	/* Descriptors are counted when asked (the fixture gives 4242 some). */
	assert_true(collector_set_top_fds(f.set, fds, COLLECTOR_TOP_MAX) >= 1);
	assert_true(fds[0].fd_count >= 1);
	fixture_close(&f);
}

#define MANY 150

static void write_numbered_stat(struct fixture *f, int pid, int cpu_user)
{
	char path[512], text[256];

	snprintf(text, sizeof(text), "proc/%d", pid);
	fixture_path(f, text, path, sizeof(path));
	if (mkdir(path, 0755) < 0)
		assert_int_equal(errno, EEXIST);
	snprintf(path, sizeof(path), "proc/%d/stat", pid);
	snprintf(text, sizeof(text),
		 "%d (w%d) S 1 %d %d 0 -1 4194304 1 0 0 0 %d 0 0 0 20 0 1 0 "
		 "%d 1048576 10 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 "
		 "17 0 0 0 0 0 0\n", pid, pid, pid, pid, cpu_user, 100 + pid);
	fixture_write(f, path, text);
}

/*
 * Pids created in scrambled order (a fixture directory lists them in any
 * order; a real /proc in ascending order), then a second tick in which pid
 * 1000 + i has used i more ticks of CPU: the highest pids lead.
 */
static void tick_scrambled_pids(struct fixture *f, int64_t max_processes)
{
	fixture_open(f, "linux-6.18-kvm", "process");
	f->config->collectors.process.max_processes = max_processes;
	f->config->collectors.process.top_count = 5;
	for (int i = 0; i < MANY; i++)
		write_numbered_stat(f, 1000 + (i * 37) % MANY, 10);
	assert_int_equal(fixture_start(f), 0);
	fixture_tick(f);
	for (int i = 0; i < MANY; i++)
		write_numbered_stat(f, 1000 + i, 10 + i);
	fixture_tick(f);
}

/* The pids of the top by CPU, each with its exact CPU %. */
static int top_cpu_pids(const struct fixture *f, int *pids, int max)
{
	char labels[64];
	int found = 0;
	double v;

	for (int pid = 1000; pid < 1000 + MANY; pid++) {
		snprintf(labels, sizeof(labels), "name=w%d,pid=%d", pid, pid);
		if (!fixture_value(f, "process.top_cpu_percent", labels, &v))
			continue;
		assert_float_equal(v, (pid - 1000) * 100.0 /
				       (sysconf(_SC_CLK_TCK) * 10.0), 1e-9);
		assert_true(found < max);
		pids[found++] = pid;
	}
	return found;
}

/* Every pid is found again on the next tick: the top is exact. */
static void test_all_pids_found_again(void **state)
{
	struct fixture f;
	int pids[5];

	(void)state;
	tick_scrambled_pids(&f, 8192);
	assert_int_equal(top_cpu_pids(&f, pids, 5), 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(pids[i], 1000 + MANY - 5 + i);
	fixture_close(&f);
}

/* Beyond max_processes the rest are counted but have no CPU figure. */
static void test_pid_table_full(void **state)
{
	struct fixture f;
	int pids[5];
	double v;

	(void)state;
	tick_scrambled_pids(&f, 64);
	assert_true(fixture_value(&f, "process.count", "", &v));
	assert_float_equal(v, MANY + 3, 1e-9);
	assert_int_equal(top_cpu_pids(&f, pids, 5), 5);
	fixture_close(&f);
}

static void test_secrets_masked_in_cmdline(void **state)
{
	static const char cmdline[] = "worker\0--token=abc123\0--password\0"
				      "hunter2\0API_KEY=zz\0--verbose\0";
	char path[512];
	FILE *file;
	double v;
	struct fixture f;

	(void)state;
	open_process_fixture(&f);
	fixture_path(&f, "proc/4242/cmdline", path, sizeof(path));
	file = fopen(path, "w");
	assert_non_null(file);
	fwrite(cmdline, 1, sizeof(cmdline) - 1, file);
	fclose(file);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "process.top_rss_bytes",
				  "cmdline=worker --token_*** --password *** "
				  "API_KEY_*** --verbose," WORKER_LABELS, &v));
	fixture_close(&f);
}

static void test_garbage_stat(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	open_process_fixture(&f);
	fixture_write(&f, "proc/4242/stat", "4242 (no closing paren R 1 2 3");
	fixture_write(&f, "proc/777/stat", "\x01\x02\x03");
	fixture_tick(&f);
	assert_int_equal(collector_set_errors(f.set, "process"), 2);
	assert_true(fixture_value(&f, "process.count", "", &v));
	assert_float_equal(v, 1, 1e-9);
	fixture_close(&f);
}

/* "PID/file" as snprintf("%d%s") gives it, cut to the buffer the same way. */
static void test_pid_path(void **state)
{
	char path[16], small[6];

	(void)state;
	collector_pid_path(path, sizeof(path), 4194304, "/stat");
	assert_string_equal(path, "4194304/stat");
	collector_pid_path(path, sizeof(path), 1, "");
	assert_string_equal(path, "1");
	collector_pid_path(small, sizeof(small), 4242, "/fd");
	assert_string_equal(small, "4242/");
	collector_pid_path(small, sizeof(small), 4194304, "/fd");
	assert_string_equal(small, "41943");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_watch),
		cmocka_unit_test(test_watch_follows_the_largest),
		cmocka_unit_test(test_cpu_percent_and_pid_reuse),
		cmocka_unit_test(test_top_snapshot_for_alerts),
		cmocka_unit_test(test_all_pids_found_again),
		cmocka_unit_test(test_pid_table_full),
		cmocka_unit_test(test_secrets_masked_in_cmdline),
		cmocka_unit_test(test_garbage_stat),
		cmocka_unit_test(test_pid_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
