/*
 * test_journal.c - the alerter's journal of accepted events
 * (src/alerter/journal.c): what is appended is replayed after a reopen,
 * field for field; a refused write (RLIMIT_FSIZE stands in for a full disk)
 * leaves no torn line and makes sync fail until a reset; torn and corrupt
 * lines are skipped and counted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alerter/journal.h"
#include "core/log.h"

#include "dir_fixture.h"

struct seen {
	int count;
	char rules[8][32];
	struct alert_event last;
	char summary[64], labels[64], detail[64];
	double history[4];
};

static void collect(const struct alert_event *e, void *context)
{
	struct seen *seen = context;

	if (seen->count < 8)
		snprintf(seen->rules[seen->count], sizeof(seen->rules[0]), "%s",
			 e->rule);
	seen->count++;
	seen->last = *e;
	snprintf(seen->summary, sizeof(seen->summary), "%s", e->summary);
	snprintf(seen->labels, sizeof(seen->labels), "%s", e->labels);
	snprintf(seen->detail, sizeof(seen->detail), "%s",
		 e->detail ? e->detail : "(null)");
	for (uint32_t i = 0; i < e->history_count && i < 4; i++)
		seen->history[i] = e->history[i];
}

static struct alert_event event(const char *rule)
{
	static const double history[] = { 1, NAN, 3 };

	return (struct alert_event){
		.rule = rule, .series = "disk.used_percent",
		.labels = "mount=/\"quoted\"", .severity = ALERT_CRITICAL,
		.firing = true, .nature = ALERT_STATE,
		.time_usec = 1763769600000000ULL, .value = 97.5,
		.since_usec = 1763769540000000ULL, /* the breach began */
		.baseline = NAN, .threshold = 90, .score = 0.5,
		.eta_secs = 3600, .summary = "disk / is 97% full\nsecond line",
		.detail = "détail ünicode", .count = 2, .history = history,
		.history_count = 3,
	};
}

static void test_replays_what_was_appended(void **state)
{
	struct alert_journal *j;
	struct alert_event e = event("first");
	struct seen seen = { 0 };

	(void)state;
	unlinkat(dir_fd, ALERT_JOURNAL_FILE, 0);
	assert_int_equal(alert_journal_open(dir_fd, &j), 0);
	assert_true(alert_journal_empty(j));
	assert_int_equal(alert_journal_append(j, &e), 0);
	e = event("second");
	e.firing = false;
	e.detail = NULL;
	assert_int_equal(alert_journal_append(j, &e), 0);
	assert_int_equal(alert_journal_sync(j), 0);
	alert_journal_close(j); /* as if killed */

	assert_int_equal(alert_journal_open(dir_fd, &j), 0);
	assert_int_equal(alert_journal_replay(j, collect, &seen), 2);
	assert_string_equal(seen.rules[0], "first");
	assert_string_equal(seen.rules[1], "second");
	assert_false(seen.last.firing);
	assert_int_equal(seen.last.nature, ALERT_STATE);
	assert_int_equal(seen.last.severity, ALERT_CRITICAL);
	assert_int_equal(seen.last.time_usec, 1763769600000000ULL);
	assert_int_equal(seen.last.since_usec, 1763769540000000ULL);
	assert_true(seen.last.value == 97.5);
	assert_true(isnan(seen.last.baseline));
	assert_int_equal(seen.last.eta_secs, 3600);
	assert_int_equal(seen.last.count, 2);
	assert_string_equal(seen.summary, "disk / is 97% full\nsecond line");
	assert_string_equal(seen.labels, "mount=/\"quoted\"");
	assert_string_equal(seen.detail, "(null)");
	assert_int_equal(seen.last.history_count, 3);
	assert_true(seen.history[0] == 1 && isnan(seen.history[1]) &&
		    seen.history[2] == 3);
	/* Covered by a state save: empty, and nothing replays. */
	assert_int_equal(alert_journal_reset(j), 0);
	assert_true(alert_journal_empty(j));
	alert_journal_close(j);
	assert_int_equal(alert_journal_open(dir_fd, &j), 0);
	seen.count = 0;
	assert_int_equal(alert_journal_replay(j, collect, &seen), 0);
	alert_journal_close(j);
}

static void test_refused_write_is_never_torn(void **state)
{
	struct alert_event e = event("kept");
	struct alert_journal *j;
	struct seen seen = { 0 };
	struct rlimit limit;
	struct stat st;

	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	unlinkat(dir_fd, ALERT_JOURNAL_FILE, 0);
	assert_int_equal(alert_journal_open(dir_fd, &j), 0);
	assert_int_equal(alert_journal_append(j, &e), 0);
	assert_int_equal(fstatat(dir_fd, ALERT_JOURNAL_FILE, &st, 0), 0);
	/* Room for part of a line only. */
	limit = (struct rlimit){ (rlim_t)st.st_size + 40, RLIM_INFINITY };
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
	e = event("refused");
	assert_true(alert_journal_append(j, &e) < 0);
	assert_int_equal(alert_journal_stats(j)->unsaved, 1);
	assert_int_equal(alert_journal_sync(j), -EIO);
	limit.rlim_cur = RLIM_INFINITY;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
	/* The file holds the whole first line and nothing of the second. */
	assert_int_equal(alert_journal_replay(j, collect, &seen), 1);
	assert_int_equal(alert_journal_stats(j)->corrupt, 0);
	assert_string_equal(seen.rules[0], "kept");
	/* A state save covers the refused one: durable again. */
	assert_int_equal(alert_journal_reset(j), 0);
	assert_int_equal(alert_journal_sync(j), 0);
	alert_journal_close(j);
}

static void test_torn_and_corrupt_lines_are_skipped(void **state)
{
	static const char text[] =
		"{\"rule\":\"good\",\"summary\":\"s\",\"severity\":1}\n"
		"not json\n"
		"{\"summary\":\"no rule\"}\n"
		"{\"rule\":\"bad severity\",\"summary\":\"s\",\"severity\":9}\n"
		"{\"rule\":\"torn\",\"summ";
	struct alert_journal *j;
	struct seen seen = { 0 };
	int fd;

	(void)state;
	fd = openat(dir_fd, ALERT_JOURNAL_FILE,
		    O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(alert_journal_open(dir_fd, &j), 0);
	assert_int_equal(alert_journal_replay(j, collect, &seen), 1);
	assert_string_equal(seen.rules[0], "good");
	assert_int_equal(seen.last.severity, ALERT_WARNING);
	assert_int_equal(alert_journal_stats(j)->corrupt, 4);
	alert_journal_close(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replays_what_was_appended),
		cmocka_unit_test(test_refused_write_is_never_torn),
		cmocka_unit_test(test_torn_and_corrupt_lines_are_skipped),
	};

	log_open(LOG_TARGET_PLAIN);
	log_set_level(LOG_CRIT);
	return cmocka_run_group_tests(tests, dir_setup, dir_teardown);
}
