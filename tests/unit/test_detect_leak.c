/*
 * test_detect_leak.c - leaks: a real process that leaks memory at a known
 * rate, watched through /proc/PID/status by the analyzer's tick path, is
 * reported with its name and a rate within 20%; a process that grows and then
 * plateaus is not. Synthetic series cover a garbage-collected sawtooth and a
 * counter reset.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/event.h"
#include "analyzer/analyzer.h"
#include "storage/metrics.h"

#define SEC 1000000LL
#define MIB (1024.0 * 1024.0)

static const struct leak_params synthetic = {
	.min_duration_secs = 3600, .min_r2 = 0.9,
	.min_growth = 64 * MIB, .min_relative = 0.2, .room = NAN,
};

static int feed(double (*f)(int minute), int minutes, struct leak_report *r)
{
	struct leak_state s;
	int fires = 0;

	leak_init(&s);
	for (int m = 0; m < minutes; m++) {
		leak_update(&s, &synthetic, (int64_t)m * 60 * SEC, f(m));
		fires += leak_gate(&s, &synthetic, r) == DETECT_FIRE;
	}
	return fires;
}

/* 200 MiB + 38 MiB/h, with +-2 MiB of allocator noise. */
static double steady_leak(int m)
{
	return 200 * MIB + 38 * MIB * m / 60.0 + 2 * MIB * sin(m * 0.7);
}

/*
 * Grows 300 MiB in its first 40 minutes (caches filling: shorter than the
 * hour a leak must last), then stays flat for 11 hours.
 */
static double warm_then_plateau(int m)
{
	return 100 * MIB + (m < 40 ? 7.5 * MIB * m : 300 * MIB) +
	       MIB * sin(m * 0.3);
}

/* A garbage collector: +100 MiB over 20 minutes, back to 400 MiB. */
static double gc_sawtooth(int m)
{
	return 400 * MIB + 5 * MIB * (m % 20);
}

/* A worker recycled every 50 minutes: climbs 150 MiB, restarts small. */
static double counter_reset(int m)
{
	return 50 * MIB + 3 * MIB * (m % 50);
}

static void test_steady_leak_reported_with_rate(void **state)
{
	struct leak_report r;

	(void)state;
	assert_int_equal(feed(steady_leak, 6 * 60, &r), 1);
	assert_true(fabs(r.rate_per_sec * 3600 / MIB - 38) < 0.05 * 38);
	assert_true(r.r2 > 0.97);
}

static void test_plateau_sawtooth_reset_not_reported(void **state)
{
	struct leak_report r;

	(void)state;
	assert_int_equal(feed(warm_then_plateau, 12 * 60, &r), 0);
	assert_int_equal(feed(gc_sawtooth, 12 * 60, &r), 0);
	assert_int_equal(feed(counter_reset, 12 * 60, &r), 0);
}


/*
 * Urgency from the time to exhaustion: 4 MiB/s against 2 GiB of room
 * (~8.5 min) is reported after the 2-minute minimum, flagged fast, with
 * the time to exhaustion; the same leak with 1 TiB of room waits for the
 * slow criteria; a leak that stops growing resolves.
 */
static void test_fast_leak_reported_within_minutes(void **state)
{
	struct leak_params p = synthetic;
	struct leak_state s;
	struct leak_report r;
	int fired_at = -1, resolved_at = -1;

	(void)state;
	p.fast_horizon_secs = 3600;
	p.fast_min_duration_secs = 120;
	p.room = 2048 * MIB;
	leak_init(&s);
	for (int t = 0; t < 900; t += 10) {
		double v = 100 * MIB + 4 * MIB * (t < 400 ? t : 400) +
			   MIB * sin(t * 0.1);
		enum detect_transition change;

		leak_update(&s, &p, (int64_t)t * SEC, v);
		change = leak_gate(&s, &p, &r);
		if (change == DETECT_FIRE) {
			fired_at = t;
			assert_true(r.fast);
			assert_true(fabs(r.exhaust_secs - 512) < 0.1 * 512);
		}
		if (change == DETECT_RESOLVE)
			resolved_at = t;
	}
	assert_true(fired_at >= 120 && fired_at <= 300);
	assert_true(resolved_at > 400 && resolved_at <= 600);

	p.room = 1024 * 1024 * MIB;
	leak_init(&s);
	for (int t = 0; t < 900; t += 10) {
		leak_update(&s, &p, (int64_t)t * SEC, 100 * MIB + 4 * MIB * t);
		assert_int_not_equal(leak_gate(&s, &p, &r), DETECT_FIRE);
	}
	assert_false(r.fast);
}

/* ---- a real process, watched through /proc ---- */

struct captured {
	int fires[2];
	char summary[2][512];
};

static int capture(const struct alert_event *e, void *context)
{
	struct captured *c = context;
	int which = strstr(e->labels, "name=leaky-app") ? 0 : 1;

	if (strcmp(e->rule, "memory_leak") != 0 || !e->firing)
		return 0;
	if (c->fires[which]++ == 0)
		snprintf(c->summary[which], sizeof(c->summary[which]), "%s",
			 e->summary);
	return 0;
}

static pid_t spawn(const char *name, const char *rate_kib, const char *grow,
		   const char *total)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char path[512];
	pid_t pid;

	snprintf(path, sizeof(path), "%s/tests/tools/leaker", build);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(path, path, name, rate_kib, grow, total, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* VmRSS from /proc/PID/status, in bytes; -1 when gone. */
static double read_rss(pid_t pid)
{
	char path[64], line[256];
	double kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %lf kB", &kib) == 1)
			break;
	fclose(f);
	return kib * 1024;
}

static bool read_comm(pid_t pid, char *buffer, size_t size)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (f == NULL)
		return false;
	if (fgets(buffer, (int)size, f) == NULL)
		buffer[0] = '\0';
	buffer[strcspn(buffer, "\n")] = '\0';
	fclose(f);
	return buffer[0] != '\0';
}

static int64_t now_usec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * SEC + t.tv_nsec / 1000;
}

static void test_real_leaking_process_is_reported(void **state)
{
	struct config *config = config_defaults();
	struct metric_registry *registry = metrics_new(8, 16);
	struct captured c = { 0 };
	pid_t pids[2];
	int ids[2] = { -1, -1 }, status;
	struct analyzer *a;
	double rate_gib_h = -1;
	const char *plus;

	(void)state;
	assert_non_null(config);
	/* A short watch: 8 s instead of hours, 16 MiB instead of 64. */
	config->analyzer.leak_min_duration_secs = 4;
	config->analyzer.leak_min_growth_bytes = 16 * MIB;
	a = analyzer_new(config, metrics_capacity(registry));
	analyzer_set_sink(a, capture, &c);
	/* 8 MiB/s for 9 s; 40 MiB in the first second, then flat. */
	pids[0] = spawn("leaky-app", "8192", "9", "10");
	pids[1] = spawn("warm-cache", "40960", "1", "10");
	for (int tick = 0; tick < 40; tick++) {
		int64_t now;

		usleep(200 * 1000);
		now = now_usec();
		for (int i = 0; i < 2; i++) {
			double rss = read_rss(pids[i]);
			char comm[32], labels[96];

			if (rss < 0 || !read_comm(pids[i], comm, sizeof(comm)))
				continue;
			if (ids[i] < 0) {
				if (strcmp(comm, "leaker") == 0)
					continue; /* before prctl() ran */
				snprintf(labels, sizeof(labels),
					 "name=%s,pid=%d", comm, (int)pids[i]);
				ids[i] = metrics_register(registry,
							  "process.rss_bytes",
							  labels);
			}
			metrics_push(registry, ids[i], now, rss);
		}
		analyzer_evaluate(a, registry, now);
	}
	for (int i = 0; i < 2; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], &status, 0);
	}
	analyzer_free(a);
	metrics_free(registry);
	config_free(config);

	assert_int_equal(c.fires[0], 1);
	assert_int_equal(c.fires[1], 0);
	assert_non_null(strstr(c.summary[0], "leaky-app (pid "));
	plus = strstr(c.summary[0], "RSS +");
	assert_non_null(plus);
	assert_int_equal(sscanf(plus, "RSS +%lf GiB/h", &rate_gib_h), 1);
	/* 8 MiB/s = 28.1 GiB/h (not "+2.88e+04 MiB/h"), within 20%. */
	assert_true(fabs(rate_gib_h - 28.125) < 0.20 * 28.125);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_leak_reported_with_rate),
		cmocka_unit_test(test_plateau_sawtooth_reset_not_reported),
		cmocka_unit_test(test_real_leaking_process_is_reported),
		cmocka_unit_test(test_fast_leak_reported_within_minutes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
