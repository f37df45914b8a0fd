/*
 * test_context.c - the room a leak is bounded by (context_leak_room): the
 * tightest memory cgroup of the process and its ancestors against available
 * memory, v1 and v2, and its per-tick cache: one read per cgroup and pid a
 * tick, a changed limit and a reused pid seen at the next tick.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analyzer/context.h"
#include "storage/metrics.h"

#define SEC 1000000LL
#define T0  (1700000000LL * SEC)

struct fixture {
	char root[64], proc[80], cgroup[80];
	struct metric_registry *registry;
	struct context_room_cache cache;
};

/* Writes text to root/path, making its directories. */
static void put(const char *root, const char *path, const char *text)
{
	char full[256];
	FILE *f;

	snprintf(full, sizeof(full), "%s/%s", root, path);
	for (char *slash = strchr(full + strlen(root) + 1, '/'); slash != NULL;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(full, 0755);
		*slash = '/';
	}
	f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void setup_fixture(struct fixture *f)
{
	int id;

	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/sysops-context.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(f->proc, sizeof(f->proc), "%s/proc", f->root);
	snprintf(f->cgroup, sizeof(f->cgroup), "%s/cgroup", f->root);
	mkdir(f->proc, 0755);
	mkdir(f->cgroup, 0755);
	f->cache.proc_root = f->proc;
	f->cache.cgroup_root = f->cgroup;
	f->registry = metrics_new(16, 8);
	assert_non_null(f->registry);
	id = metrics_register(f->registry, "memory.available_bytes", "");
	assert_true(id >= 0);
	metrics_push(f->registry, id, T0, 1e9);
	/* /a (500,000 of 2,000,000 used) holds /a/b (400,000 of 1,000,000),
	 * in the v1 memory hierarchy; the root has no limit. */
	put(f->cgroup, "memory/a/memory.limit_in_bytes", "2000000\n");
	put(f->cgroup, "memory/a/memory.usage_in_bytes", "500000\n");
	put(f->cgroup, "memory/a/b/memory.limit_in_bytes", "1000000\n");
	put(f->cgroup, "memory/a/b/memory.usage_in_bytes", "400000\n");
	put(f->cgroup, "memory/c/memory.limit_in_bytes",
	    "9223372036854771712\n"); /* v1's "no limit" */
	put(f->cgroup, "memory/c/memory.usage_in_bytes", "400000\n");
	put(f->cgroup, "memory/memory.limit_in_bytes", "9223372036854771712\n");
	put(f->cgroup, "memory/memory.usage_in_bytes", "5000000\n");
	put(f->proc, "42/cgroup", "4:memory:/a/b\n0::/x\n");
	put(f->proc, "43/cgroup", "4:memory:/a/b\n0::/y\n");
}

static void teardown_fixture(struct fixture *f)
{
	char command[128];

	metrics_free(f->registry);
	snprintf(command, sizeof(command), "rm -rf %s", f->root);
	assert_int_equal(system(command), 0);
}

/* The room of process.rss_bytes{pid=pid} at now. */
static double room_of(struct fixture *f, int64_t now, const char *pid,
		      const char **what)
{
	char labels[32];
	double room = NAN;

	snprintf(labels, sizeof(labels), "pid=%s", pid);
	assert_true(context_leak_room(f->registry, &f->cache, now,
				      "process.rss_bytes", labels, 1000, &room,
				      what));
	return room;
}

static void test_tightest_cgroup_or_available(void **state)
{
	struct fixture f;
	const char *what = NULL;

	(void)state;
	setup_fixture(&f);
	assert_float_equal(room_of(&f, T0, "42", &what), 600000, 0);
	assert_string_equal(what, "cgroup limit");
	/* The parent leaves less: 50,000. */
	put(f.cgroup, "memory/a/memory.usage_in_bytes", "1950000\n");
	assert_float_equal(room_of(&f, T0 + 10 * SEC, "42", &what), 50000, 0);
	/* No limit anywhere: available memory. */
	put(f.proc, "44/cgroup", "4:memory:/c\n");
	assert_float_equal(room_of(&f, T0 + 10 * SEC, "44", &what), 1e9, 0);
	assert_string_equal(what, "available memory");
	/* No such process: available memory. */
	assert_float_equal(room_of(&f, T0 + 10 * SEC, "99", &what), 1e9, 0);
	assert_string_equal(what, "available memory");
	teardown_fixture(&f);
}

static void test_cache_for_one_tick(void **state)
{
	struct fixture f;
	const char *what;

	(void)state;
	setup_fixture(&f);
	assert_float_equal(room_of(&f, T0, "42", &what), 600000, 0);
	/* Within the tick the cgroup is not read again: not for the same
	 * process, nor for another one in it. */
	put(f.cgroup, "memory/a/b/memory.limit_in_bytes", "2000000\n");
	assert_float_equal(room_of(&f, T0, "42", &what), 600000, 0);
	assert_float_equal(room_of(&f, T0, "43", &what), 600000, 0);
	/* The next tick sees the limit changed. */
	assert_float_equal(room_of(&f, T0 + 10 * SEC, "42", &what), 1500000, 0);
	assert_float_equal(room_of(&f, T0 + 10 * SEC, "43", &what), 1500000, 0);
	/* pid 42 exits and is reused by a process in /c: the next tick
	 * reads its cgroup afresh. */
	put(f.proc, "42/cgroup", "4:memory:/c\n");
	assert_float_equal(room_of(&f, T0 + 10 * SEC, "42", &what), 1500000, 0);
	assert_float_equal(room_of(&f, T0 + 20 * SEC, "42", &what), 1e9, 0);
	assert_string_equal(what, "available memory");
	teardown_fixture(&f);
}

/* The v2 hierarchy ("0::/path", memory.max and memory.current). */
static void test_cgroup_v2(void **state)
{
	struct fixture f;
	const char *what = NULL;

	(void)state;
	setup_fixture(&f);
	put(f.cgroup, "s/memory.max", "max\n");
	put(f.cgroup, "s/memory.current", "900000\n");
	put(f.cgroup, "s/t/memory.max", "1000000\n");
	put(f.cgroup, "s/t/memory.current", "250000\n");
	put(f.proc, "46/cgroup", "0::/s/t\n");
	assert_float_equal(room_of(&f, T0, "46", &what), 750000, 0);
	assert_string_equal(what, "cgroup limit");
	/* A v1 memory line wins over it. */
	put(f.proc, "47/cgroup", "0::/s/t\n4:memory:/a/b\n");
	assert_float_equal(room_of(&f, T0, "47", &what), 600000, 0);
	teardown_fixture(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tightest_cgroup_or_available),
	    cmocka_unit_test(test_cache_for_one_tick),
	    cmocka_unit_test(test_cgroup_v2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
