/*
 * test_cgroup.c - cgroup v2 services and containers: which cgroups are
 * watched, memory against memory.max, OOM-kill deltas, CPU % from
 * usage_usec, pids against pids.max, a service that stops (retired); the
 * same on cgroup v1 (RHEL 8: memory, cpu,cpuacct, pids and name=systemd
 * hierarchies) and hybrid (Ubuntu 20.04: an empty v2 tree beside the v1
 * controllers) fixture trees; and a host with neither (unavailable, said
 * once, never an error).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "collector_fixture.h"

#define NGINX "cgroup=system.slice/nginx.service"
#define NGINX_DIR "sys/fs/cgroup/system.slice/nginx.service/"
#define DOCKER_SCOPE "cgroup=system.slice/docker-0123456789abcdef.scope"

/* A tree started, its collector active, one tick done. */
static void start_tree(struct fixture *f, const char *tree)
{
	fixture_open(f, tree, "cgroup");
	assert_int_equal(fixture_start(f), 0);
	assert_true(collector_set_active(f->set, "cgroup"));
	fixture_tick(f);
}

/* nginx.service has the same figures in every tree: 100 of 200 MiB, 12 of
 * 100 pids. */
static void assert_nginx_figures(struct fixture *f)
{
	double v;

	assert_true(fixture_value(f, "cgroup.memory_bytes", NGINX, &v));
	assert_float_equal(v, 104857600, 1e-6);
	assert_true(fixture_value(f, "cgroup.memory_max_bytes", NGINX, &v));
	assert_float_equal(v, 209715200, 1e-6);
	assert_true(fixture_value(f, "cgroup.memory_used_percent", NGINX, &v));
	assert_float_equal(v, 50, 1e-9);
	assert_true(fixture_value(f, "cgroup.pids", NGINX, &v));
	assert_float_equal(v, 12, 1e-9);
	assert_true(fixture_value(f, "cgroup.pids_used_percent", NGINX, &v));
	assert_float_equal(v, 12, 1e-9);
}

static void test_services_and_containers(void **state)
{
	struct fixture f;
	char docker[128];
	double v;

	(void)state;
	start_tree(&f, "cgroup-v2");
	assert_nginx_figures(&f);
	assert_true(fixture_value(&f, "cgroup.memory_bytes", DOCKER_SCOPE, &v));
	/* memory.max "max": no limit, no percentage. */
	assert_int_equal(fixture_find(&f, "cgroup.memory_used_percent",
				      DOCKER_SCOPE), -1);
	snprintf(docker, sizeof(docker), "cgroup=docker/%.64s",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_true(fixture_value(&f, "cgroup.pids", docker, &v));
	/* A login session scope is not a service or a container. */
	assert_int_equal(fixture_count(&f, "cgroup.memory_bytes"), 3);

	fixture_write(&f, NGINX_DIR "memory.events",
		      "low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n");
	fixture_write(&f, NGINX_DIR "cpu.stat",
		      "usage_usec 7500000\nuser_usec 1\nsystem_usec 1\n");
	fixture_tick(&f);
	assert_true(fixture_value(&f, "cgroup.oom_kills_delta", NGINX, &v));
	assert_float_equal(v, 1, 1e-9);
	assert_int_equal(alerts_raised("cgroup_oom_kill", true), 1);
	assert_int_equal(alerts_nature("cgroup_oom_kill"), ALERT_POINT);
	assert_string_equal(captured[0].labels, NGINX);
	assert_true(fixture_value(&f, "cgroup.oom_events_delta", NGINX, &v));
	assert_float_equal(v, 2, 1e-9);
	/* 2.5 s of CPU in 10 s */
	assert_true(fixture_value(&f, "cgroup.cpu_percent", NGINX, &v));
	assert_float_equal(v, 25, 1e-9);
	/* A point event: the next tick without a kill resolves nothing. */
	fixture_tick(&f);
	assert_int_equal(alerts_raised("cgroup_oom_kill", true), 1);
	assert_int_equal(alerts_raised("cgroup_oom_kill", false), 0);

	fixture_remove(&f, "sys/fs/cgroup/system.slice/nginx.service");
	fixture_tick(&f);
	assert_int_equal(fixture_find(&f, "cgroup.memory_bytes", NGINX), -1);
	assert_int_equal(collector_set_errors(f.set, "cgroup"), 0);
	fixture_close(&f);
}

#define V1_DIR "sys/fs/cgroup/"

/*
 * cgroup v1: the cgroups are found in systemd's hierarchy, their figures in
 * each controller's. cron.service has no accounting (no directory in the
 * controllers): no series. v1 has no OOM event count, only OOM kills.
 */
static void test_cgroup_v1(void **state)
{
	struct fixture f;
	char docker[128];
	double v;

	(void)state;
	start_tree(&f, "cgroup-v1");
	assert_nginx_figures(&f);
	/* The unlimited v1 limit (2^63 - 4096) is no limit. */
	assert_true(fixture_value(&f, "cgroup.memory_bytes", DOCKER_SCOPE, &v));
	assert_int_equal(
	    fixture_find(&f, "cgroup.memory_max_bytes", DOCKER_SCOPE), -1);
	assert_int_equal(
	    fixture_find(&f, "cgroup.pids_used_percent", DOCKER_SCOPE), -1);
	snprintf(
	    docker, sizeof(docker), "cgroup=docker/%.64s",
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
	assert_true(fixture_value(&f, "cgroup.pids", docker, &v));
	assert_int_equal(fixture_count(&f, "cgroup.memory_bytes"), 3);
	assert_int_equal(fixture_find(&f, "cgroup.memory_bytes",
				      "cgroup=system.slice/cron.service"),
			 -1);

	fixture_write(&f,
		      V1_DIR "memory/system.slice/nginx.service/"
			     "memory.oom_control",
		      "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
	fixture_write(&f,
		      V1_DIR "cpu,cpuacct/system.slice/nginx.service/"
			     "cpuacct.usage",
		      "7500000000\n");
	fixture_tick(&f);
	assert_true(fixture_value(&f, "cgroup.oom_kills_delta", NGINX, &v));
	assert_float_equal(v, 1, 1e-9);
	assert_int_equal(alerts_raised("cgroup_oom_kill", true), 1);
	assert_string_equal(captured[0].labels, NGINX);
	assert_int_equal(fixture_find(&f, "cgroup.oom_events_delta", NGINX),
			 -1);
	/* 2.5 s of CPU (in ns) in 10 s */
	assert_true(fixture_value(&f, "cgroup.cpu_percent", NGINX, &v));
	assert_float_equal(v, 25, 1e-9);

	fixture_remove(&f, V1_DIR "systemd/system.slice/nginx.service");
	fixture_tick(&f);
	assert_int_equal(fixture_find(&f, "cgroup.memory_bytes", NGINX), -1);
	assert_int_equal(collector_set_errors(f.set, "cgroup"), 0);
	fixture_close(&f);
}

/*
 * Hybrid: the v2 tree (unified/) has no controllers, so the figures come
 * from v1 (cpuacct mounted alone here) and the cgroups from unified/.
 */
static void test_cgroup_hybrid(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	start_tree(&f, "cgroup-hybrid");
	fixture_write(&f,
		      V1_DIR "cpuacct/system.slice/nginx.service/"
			     "cpuacct.usage",
		      "6000000000\n");
	fixture_tick(&f);
	assert_nginx_figures(&f);
	assert_true(fixture_value(&f, "cgroup.cpu_percent", NGINX, &v));
	assert_float_equal(v, 10, 1e-9);
	/* The session scope is not watched. */
	assert_int_equal(fixture_count(&f, "cgroup.memory_bytes"), 1);
	assert_int_equal(collector_set_errors(f.set, "cgroup"), 0);
	fixture_close(&f);
}

/* Neither a v2 memory controller nor a v1 one: unavailable, no error. */
static void test_no_memory_controller(void **state)
{
	struct fixture f;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "cgroup");
	assert_int_equal(fixture_start(&f), 0);
	assert_false(collector_set_active(f.set, "cgroup"));
	fixture_tick(&f);
	assert_int_equal(collector_set_errors(f.set, "cgroup"), 0);
	assert_int_equal(fixture_count(&f, "cgroup."), 0);
	fixture_close(&f);
}

static void test_garbage(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "cgroup-v2", "cgroup");
	assert_int_equal(fixture_start(&f), 0);
	fixture_write(&f, NGINX_DIR "memory.current", "lots\n");
	fixture_write(&f, NGINX_DIR "cpu.stat", "\x01\x02");
	fixture_write(&f, NGINX_DIR "pids.max", "");
	fixture_tick(&f);
	assert_false(fixture_value(&f, "cgroup.memory_bytes", NGINX, &v));
	assert_true(fixture_value(&f, "cgroup.pids", NGINX, &v));
	assert_int_equal(fixture_find(&f, "cgroup.pids_used_percent", NGINX),
			 -1);
	assert_int_equal(collector_set_errors(f.set, "cgroup"), 2);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_services_and_containers),
	    cmocka_unit_test(test_cgroup_v1),
	    cmocka_unit_test(test_cgroup_hybrid),
	    cmocka_unit_test(test_no_memory_controller),
	    cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
