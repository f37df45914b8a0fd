/*
 * test_logscan_sources.c - the log sources against a fake event sink
 * (src/logscan/source_*.c, sources.c): a cursor is never saved while
 * event_sync() fails (the file stays as it was, the failure is counted and
 * logged once per episode), a failed cursor write likewise; the kmsg
 * backlog of a first start becomes one summary before the cursor moves;
 * [logscan] max_files bounds the followed files and its warning names the
 * key. kmsg records come through a FIFO, as in logscan_kmsg.sh.
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
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/event.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"
#include "logscan/mask.h"
#include "logscan/rules.h"
#include "logscan/sources.h"
#include "stderr_capture.h"

#define BOOT_ID "11111111-2222-3333-4444-555555555555"
#define OOM_LINE                                                           \
	"Out of memory: Killed process 4242 (java) total-vm:4194304kB, "   \
	"anon-rss:2097152kB, file-rss:0kB"

/* What reached the module's sink (rule events), and the fake event sink. */
struct seen {
	char rule[16][48];
	char message[16][256];
	char line[16][BACKLOG_DETAIL_BYTES];
	int severity[16];
	size_t n;
};

static struct {
	int sync_result;
	unsigned syncs;
} fake;

static int fake_accept(const struct alert_event *event, void *context)
{
	(void)event, (void)context;
	return 0;
}

static int fake_sync(void *context)
{
	(void)context;
	fake.syncs++;
	return fake.sync_result;
}

static const struct event_sink fake_sink = {
	.accept = fake_accept,
	.sync = fake_sync,
};

static void collect(const struct rule_event *event, void *data)
{
	struct seen *seen = data;

	if (seen->n >= 16)
		return;
	snprintf(seen->rule[seen->n], 48, "%s", event->rule);
	snprintf(seen->message[seen->n], 256, "%s", event->message);
	snprintf(seen->line[seen->n], BACKLOG_DETAIL_BYTES, "%s", event->line);
	seen->severity[seen->n] = (int)event->severity;
	seen->n++;
}

struct fixture {
	char dir[64];
	char path[256];
	int state_fd;
	int writer; /* the FIFO's write end: the "kernel" */
	sd_event *event;
	struct config *config;
	struct masker *masker;
	struct logscan_context context;
	struct seen seen;
};

static char captured[8192];
static struct stderr_capture capture;

static void capture_begin(void)
{
	stderr_capture_begin(&capture);
}

static const char *capture_end(void)
{
	return stderr_capture_end(&capture, captured, sizeof(captured));
}

static size_t occurrences(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static const char *at(struct fixture *f, const char *relative)
{
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, relative);
	return f->path;
}

static void write_text(struct fixture *f, const char *relative,
		       const char *text)
{
	FILE *file = fopen(at(f, relative), "w");

	assert_non_null(file);
	fputs(text, file);
	fclose(file);
}

/* The state file as it is now ("" when absent). */
static const char *state_file(struct fixture *f, const char *name)
{
	static char text[4096];
	ssize_t n = read_file_into(f->state_fd, name, text, sizeof(text));

	if (n < 0)
		text[0] = '\0';
	return text;
}

static void replace_string(char **field, const char *value)
{
	free(*field);
	*field = strdup(value);
	assert_non_null(*field);
}

static void fixture_open(struct fixture *f)
{
	struct rule_definition rules[LOGSCAN_MAX_RULES];
	char error[256] = "";
	int count;

	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/test_logscan_sources.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(mkdir(at(f, "state"), 0750), 0);
	f->state_fd = state_dir_open(at(f, "state"));
	assert_true(f->state_fd >= 0);
	assert_int_equal(mkdir(at(f, "proc"), 0750), 0);
	assert_int_equal(mkdir(at(f, "proc/sys"), 0750), 0);
	assert_int_equal(mkdir(at(f, "proc/sys/kernel"), 0750), 0);
	assert_int_equal(mkdir(at(f, "proc/sys/kernel/random"), 0750), 0);
	write_text(f, "proc/sys/kernel/random/boot_id", BOOT_ID "\n");
	assert_int_equal(mkfifo(at(f, "kmsg"), 0600), 0);
	f->writer = open(at(f, "kmsg"), O_RDWR | O_NONBLOCK | O_CLOEXEC);
	assert_true(f->writer >= 0);
	assert_int_equal(sd_event_new(&f->event), 0);
	f->config = config_defaults();
	assert_non_null(f->config);
	replace_string(&f->config->logscan.kmsg_path, at(f, "kmsg"));
	replace_string(&f->config->agent.proc_root, at(f, "proc"));
	assert_int_equal(masker_new(NULL, &f->masker, error, sizeof(error)), 0);
	count = rule_set_from_config(&f->config->logscan, rules,
				     LOGSCAN_MAX_RULES, error, sizeof(error));
	assert_true(count > 0);
	if (rule_engine_new(rules, (size_t)count, 64, 8192, f->masker,
			    &f->context.engine, error, sizeof(error)) != 0)
		fail_msg("%s", error);
	f->context.event = f->event;
	f->context.state_dir_fd = f->state_fd;
	f->context.config = &f->config->logscan;
	f->context.proc_root = f->config->agent.proc_root;
	f->context.sink = collect;
	f->context.sink_data = &f->seen;
	f->context.first_start_sec =
		(int64_t)(now_realtime_usec() / USEC_PER_SEC);
	fake.sync_result = 0;
	fake.syncs = 0;
	event_set_sink(&fake_sink);
}

/* [logscan] files = [path], replacing the default (empty) list. */
static void follow_one_file(struct fixture *f, const char *path)
{
	struct config_string_list *files = &f->config->logscan.files;

	for (size_t i = 0; i < files->count; i++)
		free(files->items[i]);
	free(files->items);
	files->items = calloc(2, sizeof(char *));
	assert_non_null(files->items);
	files->items[0] = strdup(path);
	files->count = 1;
}

static void fixture_close(struct fixture *f)
{
	char command[128];

	event_set_sink(NULL);
	rule_engine_free(f->context.engine);
	masker_free(f->masker);
	config_free(f->config);
	sd_event_unref(f->event);
	close(f->writer);
	close(f->state_fd);
	snprintf(command, sizeof(command), "rm -rf '%s'", f->dir);
	assert_int_equal(system(command), 0);
}

/* One kmsg record, logged usec after boot. */
static void record(struct fixture *f, unsigned sequence, uint64_t usec,
		   const char *message)
{
	char text[512];
	int n = snprintf(text, sizeof(text), "3,%u,%llu,-;%s\n", sequence,
			 (unsigned long long)usec, message);

	assert_int_equal(write(f->writer, text, (size_t)n), n);
}

/* Lets the loop dispatch what is readable. */
static void pump(struct fixture *f)
{
	while (sd_event_run(f->event, 0) > 0)
		;
}

static void test_kmsg_cursor_waits_for_sync(void **state)
{
	struct fixture f;
	struct kmsg_source *kmsg;
	struct source_stats stats;
	const char *log;

	(void)state;
	fixture_open(&f);
	assert_int_equal(state_write_atomic(f.state_fd, "logscan-kmsg.cursor",
					    BOOT_ID " 5\n", 39), 0);
	for (unsigned s = 1; s <= 7; s++)
		record(&f, s, s * 1000, OOM_LINE);
	fake.sync_result = -ENOSPC;
	capture_begin();
	assert_int_equal(kmsg_source_start(&f.context, &kmsg), 0);
	/* Records 6 and 7 are new and were submitted... */
	assert_int_equal(f.seen.n, 2);
	/* ... but are not durable: the cursor stays where it was. */
	kmsg_source_tick(kmsg);
	assert_string_equal(state_file(&f, "logscan-kmsg.cursor"),
			    BOOT_ID " 5\n");
	kmsg_source_tick(kmsg);
	kmsg_source_tick(kmsg);
	assert_string_equal(state_file(&f, "logscan-kmsg.cursor"),
			    BOOT_ID " 5\n");
	assert_int_equal(fake.syncs, 3);
	/* Durable again: saved, and said once. */
	fake.sync_result = 0;
	kmsg_source_tick(kmsg);
	assert_string_equal(state_file(&f, "logscan-kmsg.cursor"),
			    BOOT_ID " 7\n");
	/* A cursor write that fails (the temporary name is taken by a
	 * directory: EISDIR) keeps the old file, and is said once too. */
	assert_int_equal(mkdirat(f.state_fd, ".logscan-kmsg.cursor.tmp", 0700),
			 0);
	record(&f, 8, 8000, OOM_LINE);
	pump(&f);
	assert_int_equal(f.seen.n, 3);
	kmsg_source_tick(kmsg);
	kmsg_source_tick(kmsg);
	assert_string_equal(state_file(&f, "logscan-kmsg.cursor"),
			    BOOT_ID " 7\n");
	assert_int_equal(unlinkat(f.state_fd, ".logscan-kmsg.cursor.tmp",
				  AT_REMOVEDIR),
			 0);
	kmsg_source_tick(kmsg);
	assert_string_equal(state_file(&f, "logscan-kmsg.cursor"),
			    BOOT_ID " 8\n");
	kmsg_source_stop(kmsg, &stats);
	log = capture_end();
	assert_int_equal(stats.cursor_held, 3);
	assert_int_equal(stats.cursor_failed, 2);
	assert_int_equal(occurrences(log, "not saving the kmsg cursor while "
					  "accepted alerts are not on disk"),
			 1);
	assert_non_null(strstr(log, "No space left on device"));
	assert_int_equal(occurrences(log, "cannot save the kmsg cursor"), 1);
	assert_int_equal(occurrences(log, "saving the kmsg cursor again"), 2);
	fixture_close(&f);
}

static void test_file_cursor_waits_for_sync(void **state)
{
	struct fixture f;
	struct file_source *files;
	struct source_stats stats;
	char cursor[512], path[256];
	struct stat st;

	(void)state;
	fixture_open(&f);
	write_text(&f, "app.log", "first line\n" OOM_LINE "\n" OOM_LINE "\n");
	string_copy(path, at(&f, "app.log"), sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	follow_one_file(&f, path);
	/* Saved after the first line. */
	snprintf(cursor, sizeof(cursor), "%llu %llu 11 1 %s\n",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		 path);
	assert_int_equal(state_write_atomic(f.state_fd, "logscan-files.cursor",
					    cursor, strlen(cursor)),
			 0);
	fake.sync_result = -EIO;
	capture_begin();
	/* The start reads (and submits) the two lines after the cursor, and
	 * saves at once: not while the sync fails. */
	assert_int_equal(file_source_start(&f.context, &files), 0);
	assert_int_equal(f.seen.n, 2);
	assert_string_equal(state_file(&f, "logscan-files.cursor"), cursor);
	file_source_tick(files);
	file_source_stop(files, &stats);
	assert_string_equal(state_file(&f, "logscan-files.cursor"), cursor);
	assert_int_equal(stats.cursor_held, 3); /* start, tick, stop */
	/* After a restart the same lines are read again: nothing lost. */
	fake.sync_result = 0;
	f.seen.n = 0;
	assert_int_equal(file_source_start(&f.context, &files), 0);
	assert_int_equal(f.seen.n, 2);
	file_source_stop(files, &stats);
	capture_end();
	assert_int_equal(occurrences(captured, "not saving the file cursors"),
			 1);
	snprintf(cursor, sizeof(cursor), "%llu %llu %zu 3 %s\n",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		 (size_t)st.st_size, path);
	assert_string_equal(state_file(&f, "logscan-files.cursor"), cursor);
	fixture_close(&f);
}

/* "dev ino offset line path\n" for the file at path now. */
static void cursor_line(const char *path, uint64_t offset, uint64_t line,
			const char *as, char *out, size_t size)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	snprintf(out, size, "%llu %llu %llu %llu %s\n",
		 (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
		 (unsigned long long)offset, (unsigned long long)line, as);
}

/*
 * app.log was renamed to app.log.1 while the daemon was down and not yet
 * re-created: its rest is read at start, and until it is finished the
 * cursor saved for app.log stays on it (a crash then reads the rest again
 * rather than never).
 */
static void test_file_rotated_while_down(void **state)
{
	struct fixture f;
	struct file_source *files;
	struct source_stats stats;
	char cursor[512], path[256], rotated[256];

	(void)state;
	fixture_open(&f);
	write_text(&f, "app.log", "first line\n" OOM_LINE "\n");
	string_copy(path, at(&f, "app.log"), sizeof(path));
	string_copy(rotated, at(&f, "app.log.1"), sizeof(rotated));
	follow_one_file(&f, path);
	cursor_line(path, 11, 1, path, cursor, sizeof(cursor));
	assert_int_equal(state_write_atomic(f.state_fd, "logscan-files.cursor",
					    cursor, strlen(cursor)),
			 0);
	assert_int_equal(rename(path, rotated), 0);
	log_set_level(LOG_WARNING);
	assert_int_equal(file_source_start(&f.context, &files), 0);
	assert_int_equal(f.seen.n, 1);
	cursor_line(rotated, 11 + strlen(OOM_LINE) + 1, 2, path, cursor,
		    sizeof(cursor));
	assert_string_equal(state_file(&f, "logscan-files.cursor"), cursor);
	/* The writer re-creates its log: read from 0, while the rotated
	 * file still holds the saved position for a tick or two. */
	write_text(&f, "app.log", OOM_LINE "\n");
	file_source_tick(files);
	assert_int_equal(f.seen.n, 2);
	assert_string_equal(state_file(&f, "logscan-files.cursor"), cursor);
	file_source_tick(files);
	file_source_tick(files);
	cursor_line(path, strlen(OOM_LINE) + 1, 1, path, cursor,
		    sizeof(cursor));
	assert_string_equal(state_file(&f, "logscan-files.cursor"), cursor);
	file_source_stop(files, &stats);
	assert_int_equal(stats.rotations, 0);
	fixture_close(&f);
}

static void test_max_files_bounds_the_followed_files(void **state)
{
	struct fixture f;
	struct file_source *files;
	struct source_stats stats;
	const char *cursors;
	size_t lines = 0;

	(void)state;
	fixture_open(&f);
	assert_int_equal(mkdir(at(&f, "logs"), 0750), 0);
	write_text(&f, "logs/a.log", "a\n");
	write_text(&f, "logs/b.log", "b\n");
	write_text(&f, "logs/c.log", "c\n");
	follow_one_file(&f, at(&f, "logs/*.log"));
	f.config->logscan.max_files = 2;
	capture_begin();
	assert_int_equal(file_source_start(&f.context, &files), 0);
	file_source_tick(files);
	file_source_stop(files, &stats);
	capture_end();
	assert_int_equal(occurrences(captured, "more than 2 files match "
					       "[logscan] files"),
			 1);
	assert_non_null(strstr(captured, "raise [logscan] max_files (now 2)"));
	cursors = state_file(&f, "logscan-files.cursor");
	for (const char *p = cursors; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 2);
	fixture_close(&f);
}

/* Where boot + usec falls: the source's arithmetic. */
static int64_t boot_sec(void)
{
	return (int64_t)((now_realtime_usec() - now_monotonic_usec()) /
			 USEC_PER_SEC);
}

static void old_ring(struct fixture *f)
{
	record(f, 1, 1000, "blk_update_request: I/O error, dev sda, sector "
			   "1024 op 0x0:(READ)");
	record(f, 2, 2000, "usb 1-1: new high-speed USB device number 2");
	record(f, 3, 3000, "blk_update_request: I/O error, dev sda, sector "
			   "2048 op 0x0:(READ)");
	record(f, 4, 4000, OOM_LINE);
	record(f, 5, 5000, "blk_update_request: I/O error, dev sda, sector "
			   "4096 op 0x0:(READ)");
}

static void test_kmsg_first_start_summarises_the_ring(void **state)
{
	struct fixture f;
	struct kmsg_source *kmsg;
	struct source_stats stats;

	(void)state;
	fixture_open(&f);
	/* The first start came 100 s after boot; the ring holds older
	 * records and one logged 200 s after boot. */
	f.context.first_start_sec = boot_sec() + 100;
	old_ring(&f);
	record(&f, 6, 200 * USEC_PER_SEC,
	       "blk_update_request: I/O error, dev sdb, sector 8 op 0x0");
	log_set_level(LOG_WARNING);
	assert_int_equal(kmsg_source_start(&f.context, &kmsg), 0);
	/* The newer record pages on its own, the old ones become one
	 * summary once the ring is read. */
	assert_int_equal(f.seen.n, 2);
	assert_string_equal(f.seen.rule[0], "block_io_error");
	assert_string_equal(f.seen.message[0], "I/O error on sdb (sector 8)");
	assert_string_equal(f.seen.rule[1], "logscan_backlog");
	assert_int_equal(f.seen.severity[1], ALERT_INFO);
	assert_string_equal(f.seen.message[1],
			    "since boot: 3 I/O errors on sda, 1 OOM kill");
	assert_non_null(strstr(f.seen.line[1], "kmsg: 5 records logged "
					       "before the log scanner's first "
					       "start"));
	assert_non_null(strstr(f.seen.line[1], "\ncritical block_io_error: 3; "
					       "device sda: 3; last: "));
	assert_non_null(strstr(f.seen.line[1], "\ncritical oom_kill: 1; last: "
					       "Out of memory: Killed process "
					       "4242 (java)"));
	/* The summary is submitted: now the cursor may move. */
	kmsg_source_tick(kmsg);
	assert_string_equal(state_file(&f, "logscan-kmsg.cursor"),
			    BOOT_ID " 6\n");
	/* After the backlog, an old-looking record pages like any other. */
	record(&f, 7, 7000, OOM_LINE);
	pump(&f);
	assert_int_equal(f.seen.n, 3);
	assert_string_equal(f.seen.rule[2], "oom_kill");
	kmsg_source_stop(kmsg, &stats);
	assert_string_equal(state_file(&f, "logscan-kmsg.cursor"),
			    BOOT_ID " 7\n");

	/* A restart with the cursor: nothing old is summarised again. */
	f.seen.n = 0;
	old_ring(&f);
	record(&f, 8, 8000, OOM_LINE);
	assert_int_equal(kmsg_source_start(&f.context, &kmsg), 0);
	assert_int_equal(f.seen.n, 1);
	assert_string_equal(f.seen.rule[0], "oom_kill");
	kmsg_source_stop(kmsg, &stats);
	fixture_close(&f);
}

static void test_kmsg_backlog_off_pages_each(void **state)
{
	struct fixture f;
	struct kmsg_source *kmsg;
	struct source_stats stats;

	(void)state;
	fixture_open(&f);
	f.config->logscan.backlog_summary = false;
	old_ring(&f);
	assert_int_equal(kmsg_source_start(&f.context, &kmsg), 0);
	/* block_io_error stays quiet 300 s per device after alerting. */
	assert_int_equal(f.seen.n, 2);
	assert_string_equal(f.seen.rule[0], "block_io_error");
	assert_string_equal(f.seen.rule[1], "oom_kill");
	kmsg_source_stop(kmsg, &stats);
	assert_string_equal(state_file(&f, "logscan-kmsg.cursor"),
			    BOOT_ID " 5\n");
	fixture_close(&f);
}

/* What user space writes to /dev/kmsg carries a facility other than the
 * kernel's (0): "<3>BUG: ..." from a root shell is not a kernel BUG, while a
 * daemon's own message (systemd at early boot, facility 3) still counts. */
static void test_kmsg_user_space_record_is_not_the_kernels(void **state)
{
	static const char ring[] =
		"12,1,1000,-;BUG: unable to handle kernel NULL pointer "
		"dereference at 0000000000000000\n"
		"11,2,2000,-;" OOM_LINE "\n"
		"3,3,3000,-;" OOM_LINE "\n"
		"30,4,4000,-;systemd[1]: nginx.service: Failed with result "
		"'exit-code'.\n";
	struct fixture f;
	struct kmsg_source *kmsg;
	struct source_stats stats;

	(void)state;
	fixture_open(&f);
	f.config->logscan.backlog_summary = false;
	assert_int_equal(write(f.writer, ring, sizeof(ring) - 1),
			 (ssize_t)(sizeof(ring) - 1));
	assert_int_equal(kmsg_source_start(&f.context, &kmsg), 0);
	assert_int_equal(f.seen.n, 2);
	assert_string_equal(f.seen.rule[0], "oom_kill");
	assert_string_equal(f.seen.rule[1], "systemd_unit_failed");
	kmsg_source_stop(kmsg, &stats);
	assert_int_equal(stats.lines, 4);
	fixture_close(&f);
}

/* Stopped before the ring was read through: no summary, no cursor. */
static void test_kmsg_backlog_unfinished_at_stop(void **state)
{
	struct fixture f;
	struct kmsg_source *kmsg;
	struct source_stats stats;
	unsigned s;

	(void)state;
	fixture_open(&f);
	f.config->logscan.max_read_bytes_per_wakeup = 4096;
	/* Three wake-ups' worth: start reads one, stop another. */
	for (s = 1; s <= 150; s++)
		record(&f, s, s * 1000, OOM_LINE);
	log_set_level(LOG_WARNING);
	assert_int_equal(kmsg_source_start(&f.context, &kmsg), 0);
	kmsg_source_tick(kmsg);
	kmsg_source_stop(kmsg, &stats);
	assert_int_equal(f.seen.n, 0);
	assert_string_equal(state_file(&f, "logscan-kmsg.cursor"), "");
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kmsg_cursor_waits_for_sync),
		cmocka_unit_test(test_file_cursor_waits_for_sync),
		cmocka_unit_test(test_file_rotated_while_down),
		cmocka_unit_test(test_max_files_bounds_the_followed_files),
		cmocka_unit_test(test_kmsg_first_start_summarises_the_ring),
		cmocka_unit_test(test_kmsg_backlog_off_pages_each),
		cmocka_unit_test(test_kmsg_backlog_unfinished_at_stop),
		cmocka_unit_test(test_kmsg_user_space_record_is_not_the_kernels),
	};

	log_open(LOG_TARGET_STDERR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
