/*
 * test_oom.c - the one alert an OOM kill gives: victim from the matching
 * line, cgroup from the "oom-kill:" line before it, memory.max from a
 * fixture sys_root; the context lines follow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "logscan/oom.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_victim_cgroup_and_limit(void **state)
{
	char root[] = "/tmp/test_oom_XXXXXX", path[256], out[512];
	const char *line = "Memory cgroup out of memory: Killed process 4242 "
			   "(leaker) total-vm:1000kB, anon-rss:524000kB";
	struct rule_event event = {
	    .rule = "cgroup_oom",
	    .line = line,
	    .context = "  oom-kill:constraint=CONSTRAINT_MEMCG,nodemask="
		       "(null),cpuset=/,mems_allowed=0,oom_memcg=/system."
		       "slice/app.service,task_memcg=/system.slice/app."
		       "service,task=leaker,pid=4242,uid=0\n> Memory "
		       "cgroup out of memory: Killed process 4242 (leaker)",
	};

	(void)state;
	assert_true(oom_rule("oom_kill"));
	assert_true(oom_rule("cgroup_oom"));
	assert_false(oom_rule("segfault"));
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/fs", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/fs/cgroup", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/fs/cgroup/system.slice", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/fs/cgroup/system.slice/app.service",
		 root);
	mkdir(path, 0755);
	strncat(path, "/memory.max", sizeof(path) - strlen(path) - 1);
	write_file(path, "536870912\n");

	assert_true(oom_detail(root, &event, out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "Victim: leaker (pid 4242)\n"));
	assert_non_null(strstr(out, "Cgroup: /system.slice/app.service, "
				    "memory.max 512 MiB\n"));
	assert_non_null(strstr(out, "> Memory cgroup out of memory"));

	/* A global OOM with no cgroup line: the victim alone, then context. */
	event.context = "> Out of memory: Killed process 4242 (leaker)";
	event.line = "Out of memory: Killed process 4242 (leaker)";
	assert_true(oom_detail(root, &event, out, sizeof(out)) > 0);
	assert_string_equal(out, "Victim: leaker (pid 4242)\n> Out of memory: "
				 "Killed process 4242 (leaker)");
	unlink(path);
	for (int depth = 4; depth >= 0; depth--) {
		static const char *const dirs[] = {
		    "",
		    "/fs",
		    "/fs/cgroup",
		    "/fs/cgroup/system.slice",
		    "/fs/cgroup/system.slice/app.service",
		};

		snprintf(path, sizeof(path), "%s%s", root, dirs[depth]);
		assert_int_equal(rmdir(path), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_victim_cgroup_and_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
