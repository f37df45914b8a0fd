/*
 * test_spool.c - the delivery spool (src/alerter/spool.c): durability across
 * reopen, completion, torn and corrupt lines, the size bound dropping the
 * oldest info messages first, per-channel order, and a disk that refuses
 * writes (RLIMIT_FSIZE stands in for a full one: write(2) fails the same
 * way, EFBIG instead of ENOSPC).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerter/spool.h"
#include "core/log.h"
#include "alert_fixture.h"

#include "dir_fixture.h"

static void append(struct spool *s, enum channel_id channel,
		   enum alert_severity severity, const char *rule)
{
	struct alert_message m;

	fixture_message(&m, 1);
	m.channel = channel;
	m.alerts[0].severity = severity;
	string_copy(m.alerts[0].rule, rule, sizeof(m.alerts[0].rule));
	assert_int_equal(spool_append(s, &m), 0);
}

static void test_survives_reopen(void **state)
{
	struct alert_message m;
	struct spool *s;
	struct spool_entry *e;
	uint64_t first;

	(void)state;
	assert_int_equal(spool_open(dir_fd, 1 << 20, &s), 0);
	append(s, CHANNEL_SLACK, ALERT_WARNING, "one");
	append(s, CHANNEL_WEBHOOK, ALERT_WARNING, "two");
	append(s, CHANNEL_SLACK, ALERT_CRITICAL, "three");
	e = spool_next(s, CHANNEL_SLACK);
	assert_non_null(e);
	first = e->id;
	assert_int_equal(spool_complete(s, first), 0);
	assert_int_equal(spool_complete(s, first), -ENOENT);
	spool_close(s); /* as if killed: nothing else is written at close */

	assert_int_equal(spool_open(dir_fd, 1 << 20, &s), 0);
	assert_int_equal(spool_stats(s)->pending, 2);
	e = spool_next(s, CHANNEL_SLACK);
	assert_non_null(e);
	assert_int_equal(spool_load(s, e, &m), 0);
	assert_string_equal(m.alerts[0].rule, "three");
	assert_int_equal(m.id, e->id);
	assert_true(e->id > first);
	e = spool_next(s, CHANNEL_WEBHOOK);
	assert_int_equal(spool_load(s, e, &m), 0);
	assert_string_equal(m.alerts[0].rule, "two");
	assert_null(spool_next(s, CHANNEL_EMAIL));
	/* New ids never reuse old ones. */
	append(s, CHANNEL_EMAIL, ALERT_INFO, "four");
	assert_true(spool_next(s, CHANNEL_EMAIL)->id > e->id);
	spool_close(s);
}

static void test_torn_and_corrupt_lines_are_skipped(void **state)
{
	static const char junk[] = "X garbage\nA 99 nochannel 1 {}\n"
				   "A 100 slack 1 {\"channel\":\"sla";
	struct spool *s;
	int fd;

	(void)state;
	fd = openat(dir_fd, SPOOL_FILE, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, junk, sizeof(junk) - 1),
			 (ssize_t)sizeof(junk) - 1);
	close(fd);
	assert_int_equal(spool_open(dir_fd, 1 << 20, &s), 0);
	assert_int_equal(spool_stats(s)->corrupt, 3);
	assert_int_equal(spool_stats(s)->pending, 3);
	spool_close(s);
}

/* A webhook instance removed from the configuration while stopped: its
 * spooled messages are dropped and counted as such, not as damage, and their
 * ids are never reused. */
static void test_messages_of_a_removed_instance_are_not_corrupt(void **state)
{
	static const char lines[] =
	    "A 500 webhook.gone 2 {\"channel\":\"webhook.gone\"}\n"
	    "A 501 webhook.gone 1 {\"channel\":\"webhook.gone\"}\n";
	struct spool *s;
	int fd;

	(void)state;
	fd = openat(dir_fd, SPOOL_FILE, O_WRONLY | O_APPEND | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, lines, sizeof(lines) - 1),
			 (ssize_t)sizeof(lines) - 1);
	close(fd);
	assert_int_equal(spool_open(dir_fd, 1 << 20, &s), 0);
	assert_int_equal(spool_stats(s)->corrupt, 0);
	assert_int_equal(spool_stats(s)->orphaned, 2);
	append(s, CHANNEL_SLACK, ALERT_INFO, "next");
	assert_true(spool_last_id(s) > 501);
	spool_close(s);
}

static void test_bound_drops_oldest_info_first(void **state)
{
	struct spool *s;
	char rule[32];

	(void)state;
	unlinkat(dir_fd, SPOOL_FILE, 0);
	assert_int_equal(spool_open(dir_fd, 16 * 1024, &s), 0);
	append(s, CHANNEL_SLACK, ALERT_CRITICAL, "keep_me");
	for (int i = 0; i < 40; i++) {
		snprintf(rule, sizeof(rule), "info_%d", i);
		append(s, CHANNEL_SLACK, ALERT_INFO, rule);
	}
	assert_true(spool_stats(s)->dropped > 0);
	assert_true(spool_stats(s)->file_bytes <= 16 * 1024);
	/* The critical one is still first in line. */
	{
		struct alert_message m;

		assert_int_equal(spool_load(s, spool_next(s, CHANNEL_SLACK), &m),
				 0);
		assert_string_equal(m.alerts[0].rule, "keep_me");
	}
	spool_close(s);
}

static void set_file_limit(rlim_t bytes)
{
	struct rlimit limit = { bytes, RLIM_INFINITY };

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
}

static off_t spool_file_size(void)
{
	struct stat st;

	assert_int_equal(fstatat(dir_fd, SPOOL_FILE, &st, 0), 0);
	return st.st_size;
}

static void test_refused_writes_keep_messages_in_memory(void **state)
{
	struct alert_message m;
	struct spool *s;
	struct spool_entry *e;
	off_t before;

	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	unlinkat(dir_fd, SPOOL_FILE, 0);
	assert_int_equal(spool_open(dir_fd, 1 << 20, &s), 0);
	append(s, CHANNEL_SLACK, ALERT_WARNING, "on-disk");
	before = spool_file_size();
	/* The disk takes nothing more: the message is still accepted. */
	set_file_limit((rlim_t)before);
	append(s, CHANNEL_SLACK, ALERT_CRITICAL, "in-memory");
	append(s, CHANNEL_WEBHOOK, ALERT_WARNING, "in-memory-2");
	assert_int_equal(spool_stats(s)->pending, 3);
	assert_int_equal(spool_stats(s)->in_memory, 2);
	assert_true(spool_stats(s)->write_errors >= 2);
	/* Never torn: cut back to the last whole line. */
	assert_int_equal(spool_file_size(), before);
	/* Delivered from memory, in order. */
	e = spool_next(s, CHANNEL_SLACK);
	assert_int_equal(spool_load(s, e, &m), 0);
	assert_string_equal(m.alerts[0].rule, "on-disk");
	assert_int_equal(spool_complete(s, e->id), -EFBIG);
	e = spool_next(s, CHANNEL_SLACK);
	assert_int_equal(spool_load(s, e, &m), 0);
	assert_string_equal(m.alerts[0].rule, "in-memory");
	assert_int_equal(spool_complete(s, e->id), 0);
	/* Room again: the next retry writes what memory holds. */
	set_file_limit(RLIM_INFINITY);
	assert_int_equal(spool_retry(s), 0);
	assert_int_equal(spool_stats(s)->in_memory, 0);
	spool_close(s);
	/* What was left is on disk: a restart finds it, nothing else. */
	assert_int_equal(spool_open(dir_fd, 1 << 20, &s), 0);
	assert_int_equal(spool_stats(s)->pending, 1);
	e = spool_next(s, CHANNEL_WEBHOOK);
	assert_non_null(e);
	assert_int_equal(spool_load(s, e, &m), 0);
	assert_string_equal(m.alerts[0].rule, "in-memory-2");
	spool_close(s);
}

/*
 * A crash after spooling and before the state save that covers it: at the
 * next start the entries past the saved id are forgotten (the journal
 * replay makes them again), durably, and their ids are never reused.
 */
static void test_entries_past_the_saved_state_are_forgotten(void **state)
{
	struct spool *s;
	struct spool_entry *e;
	uint64_t through;

	(void)state;
	unlinkat(dir_fd, SPOOL_FILE, 0); /* what earlier tests left */
	assert_int_equal(spool_open(dir_fd, 1 << 20, &s), 0);
	append(s, CHANNEL_SLACK, ALERT_WARNING, "saved");
	through = spool_last_id(s);
	append(s, CHANNEL_SLACK, ALERT_WARNING, "unsaved-1");
	append(s, CHANNEL_WEBHOOK, ALERT_CRITICAL, "unsaved-2");
	spool_close(s); /* killed */

	assert_int_equal(spool_open(dir_fd, 1 << 20, &s), 0);
	assert_int_equal(spool_forget_after(s, through), 2);
	assert_int_equal(spool_stats(s)->completed, 0);
	e = spool_next(s, CHANNEL_SLACK);
	assert_non_null(e);
	assert_int_equal(e->id, through);
	assert_null(spool_next(s, CHANNEL_WEBHOOK));
	append(s, CHANNEL_WEBHOOK, ALERT_WARNING, "again");
	assert_true(spool_last_id(s) > through + 2);
	spool_close(s);

	/* The forgetting is on disk: a second start keeps the same two. */
	assert_int_equal(spool_open(dir_fd, 1 << 20, &s), 0);
	assert_int_equal(spool_stats(s)->pending, 2);
	assert_int_equal(spool_forget_after(s, UINT64_MAX), 0);
	spool_close(s);

	/* An empty spool rewritten at open still never reuses a saved id. */
	assert_int_equal(spool_open(dir_fd, 1 << 20, &s), 0);
	while ((e = spool_next(s, CHANNEL_SLACK)) != NULL ||
	       (e = spool_next(s, CHANNEL_WEBHOOK)) != NULL)
		assert_int_equal(spool_complete(s, e->id), 0);
	spool_close(s);
	assert_int_equal(spool_open(dir_fd, 1 << 20, &s), 0);
	assert_int_equal(spool_forget_after(s, 500), 0);
	append(s, CHANNEL_SLACK, ALERT_WARNING, "later");
	assert_int_equal(spool_last_id(s), 501);
	spool_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_survives_reopen),
		cmocka_unit_test(test_torn_and_corrupt_lines_are_skipped),
		cmocka_unit_test(
		    test_messages_of_a_removed_instance_are_not_corrupt),
		cmocka_unit_test(test_bound_drops_oldest_info_first),
		cmocka_unit_test(test_refused_writes_keep_messages_in_memory),
		cmocka_unit_test(test_entries_past_the_saved_state_are_forgotten),
	};

	log_open(LOG_TARGET_PLAIN);
	log_set_level(LOG_CRIT);
	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
