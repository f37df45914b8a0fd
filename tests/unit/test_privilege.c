/*
 * test_privilege.c - unit tests for src/core/privilege.c: the "degraded"
 * report for every combination of access, and privilege_drop() for an
 * ordinary user in a forked child (as root the test switches that child to
 * nobody first). The switch from root to sysops-agent is proven on the real
 * daemon by tests/integration/privilege.sh.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/privilege.h"

static void test_full_access_degrades_nothing(void **state)
{
	struct privilege_access access = { .dac_read_search = true,
					   .syslog = true,
					   .journal_group = true,
					   .dmesg_restricted = true };
	char text[512];

	(void)state;
	assert_int_equal(privilege_describe_degraded(&access, text,
						     sizeof(text)), 0);
	assert_string_equal(text, "");
}

static void test_no_access_names_every_source(void **state)
{
	struct privilege_access access = { .dmesg_restricted = true };
	char text[1024];

	(void)state;
	assert_int_equal(privilege_describe_degraded(&access, text,
						     sizeof(text)), 4);
	assert_non_null(strstr(text, "processes: open files of other users'"));
	assert_non_null(strstr(text, "log files: "));
	assert_non_null(strstr(text, "kernel log: /dev/kmsg"));
	assert_non_null(strstr(text, "journal: only this user's own journal"));
	/* One line for the log: sources separated by "; ". */
	assert_null(strchr(text, '\n'));
	assert_non_null(strstr(text, "; journal:"));
}

static void test_kernel_log_needs_syslog_only_when_restricted(void **state)
{
	struct privilege_access access = { .dac_read_search = true,
					   .journal_group = true };
	char text[512];

	(void)state;
	assert_int_equal(privilege_describe_degraded(&access, text,
						     sizeof(text)), 0);
	access.dmesg_restricted = true;
	assert_int_equal(privilege_describe_degraded(&access, text,
						     sizeof(text)), 1);
	assert_non_null(strstr(text, "kernel.dmesg_restrict=1 (CAP_SYSLOG)"));
}

/* CAP_DAC_READ_SEARCH reads journal files without the group. */
static void test_journal_readable_through_capability(void **state)
{
	struct privilege_access access = { .dac_read_search = true,
					   .syslog = true };
	char text[512];

	(void)state;
	assert_int_equal(privilege_describe_degraded(&access, text,
						     sizeof(text)), 0);
	access.dac_read_search = false;
	access.journal_group = true;
	assert_int_equal(privilege_describe_degraded(&access, text,
						     sizeof(text)), 2);
	assert_null(strstr(text, "journal"));
}

static void test_small_buffer_is_terminated(void **state)
{
	struct privilege_access access = { .dmesg_restricted = true };
	char text[24];

	(void)state;
	memset(text, 'x', sizeof(text));
	assert_int_equal(privilege_describe_degraded(&access, text,
						     sizeof(text)), 4);
	assert_int_equal(strlen(text), sizeof(text) - 1);
	assert_int_equal(privilege_describe_degraded(&access, text, 0), 0);
}

/*
 * Runs privilege_drop() in a child switched to nobody, on a state
 * directory owned by owner; returns the child's exit code: 0 ok, 10 + the
 * step that failed, or 100 + -result of privilege_drop().
 */
static int drop_as_nobody(uid_t owner)
{
	const struct passwd *nobody = getpwnam("nobody");
	char directory[] = "/tmp/test-privilege.XXXXXX";
	int status, fd;
	pid_t pid;

	assert_non_null(nobody);
	assert_non_null(mkdtemp(directory));
	assert_int_equal(chown(directory, owner, nobody->pw_gid), 0);
	assert_int_equal(chmod(directory, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int r;

		if (setgroups(0, NULL) < 0 ||
		    setresgid(nobody->pw_gid, nobody->pw_gid,
			      nobody->pw_gid) < 0 ||
		    setresuid(nobody->pw_uid, nobody->pw_uid,
			      nobody->pw_uid) < 0)
			_exit(11);
		fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			_exit(12);
		r = privilege_drop(fd, directory, false);
		if (r < 0)
			_exit(100 + (-r > 100 ? 100 : -r));
		if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			_exit(13);
		if (capng_get_caps_process() != 0 ||
		    capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
			_exit(14);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	rmdir(directory);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_ordinary_user_keeps_nothing_and_sets_no_new_privs(
	void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(drop_as_nobody(getpwnam("nobody")->pw_uid), 0);
}

static void test_unwritable_state_dir_is_refused(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	/* Owned by root, mode 0755: nobody may read but not write there. */
	assert_int_equal(drop_as_nobody(0), 100 + EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_access_degrades_nothing),
		cmocka_unit_test(test_no_access_names_every_source),
		cmocka_unit_test(
			test_kernel_log_needs_syslog_only_when_restricted),
		cmocka_unit_test(test_journal_readable_through_capability),
		cmocka_unit_test(test_small_buffer_is_terminated),
		cmocka_unit_test(
			test_ordinary_user_keeps_nothing_and_sets_no_new_privs),
		cmocka_unit_test(test_unwritable_state_dir_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
