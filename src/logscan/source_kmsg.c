/*
 * source_kmsg.c - the kernel ring buffer through /dev/kmsg. Each read()
 * returns one record ("pri,seq,usec,flags;message\n" plus " KEY=value"
 * dictionary lines); opening starts at the oldest record still in the ring.
 * The last sequence number handled is saved with the boot id: after a
 * restart in the same boot, records already seen are skipped and those
 * logged while the daemon was down are read; after a reboot everything in
 * the ring is new. EPIPE means the ring overwrote records before we read
 * them: counted and reported, then reading goes on.
 *
 * Without any cursor (a fresh state directory on a host up for weeks) the
 * records logged before the scanner's first start are counted, not
 * alerted, and said once as one summary when the ring has been read; the
 * cursor is saved only after that summary was handed on.
 *
 * kmsg_path may name a FIFO carrying the same records (tests cannot write
 * /dev/kmsg); it is opened read-write so it never reports end-of-file.
 *
 * Anyone with write access to /dev/kmsg can add records, but the kernel
 * gives those facility LOG_USER or whatever the writer named, never 0
 * (devkmsg_write()): such a record is scanned as "kmsg:user" and no rule
 * written for kernel messages matches it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/state.h"
#include "core/util.h"
#include "logscan/line_format.h"
#include "logscan/line_reader.h"
#include "logscan/sources.h"

#define CURSOR_FILE "logscan-kmsg.cursor"
#define RECORD_BYTES 8192 /* the kernel's record limit is smaller */
#define BOOT_ID_BYTES 37

struct kmsg_source {
	struct logscan_context *context;
	int fd;
	sd_event_source *io, *defer;
	struct line_reader reader;
	char boot_id[BOOT_ID_BYTES];
	uint64_t last_sequence;  /* highest handled; valid if have_sequence */
	bool have_sequence;
	bool dirty;
	struct source_cursor cursor;
	struct backlog *backlog; /* first start: the ring not yet read */
	int64_t boot_realtime_sec;
	char record[RECORD_BYTES];
	struct source_stats stats;
};

static void read_boot_id(struct kmsg_source *source)
{
	char path[4096];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/sys/kernel/random/boot_id",
		 source->context->proc_root);
	n = read_file_into(AT_FDCWD, path, source->boot_id,
			   sizeof(source->boot_id));
	if (n <= 0)
		string_copy(source->boot_id, "unknown", sizeof(source->boot_id));
	string_trim_end(source->boot_id);
}

static void load_cursor(struct kmsg_source *source)
{
	char *text, boot_id[BOOT_ID_BYTES];
	unsigned long long sequence;
	size_t length;
	int r = state_read(source->context->state_dir_fd, CURSOR_FILE, 256,
			   &text, &length);

	if (r == -ENOENT && source->context->config->backlog_summary) {
		source->backlog = backlog_new(source->context->first_start_sec);
		log_info("logscan: no kmsg cursor; kernel records older than "
			 "the first start are summarised, not alerted");
	}
	if (r < 0)
		return;
	if (sscanf(text, "%36s %llu", boot_id, &sequence) == 2 &&
	    strcmp(boot_id, source->boot_id) == 0) {
		source->last_sequence = sequence;
		source->have_sequence = true;
		log_info("logscan: kmsg resumes after record %llu", sequence);
	} else {
		log_info("logscan: new boot; reading the whole kernel ring");
	}
	free(text);
}

/* Not while the backlog is open: its summary is not submitted yet. */
static void save_cursor(struct kmsg_source *source)
{
	char text[128];
	int n;

	if (!source->dirty || !source->have_sequence || source->backlog)
		return;
	n = snprintf(text, sizeof(text), "%s %llu\n", source->boot_id,
		     (unsigned long long)source->last_sequence);
	if (source_cursor_save(source->context, &source->cursor, text,
			       (size_t)n) == 0)
		source->dirty = false;
}

static void on_record(const char *line, size_t length, void *data)
{
	struct kmsg_source *source = data;
	struct kmsg_record parsed;
	struct log_record record;

	if (length == 0 || line[0] == ' ')
		return; /* dictionary: SUBSYSTEM=, DEVICE= */
	if (!kmsg_parse(line, length, &parsed)) {
		source->stats.malformed++;
		return;
	}
	if (source->have_sequence && parsed.sequence <= source->last_sequence)
		return;
	source->last_sequence = parsed.sequence;
	source->have_sequence = true;
	source->dirty = true;
	source->stats.lines++;
	record = (struct log_record){
		.source = LOGSCAN_SOURCE_KMSG,
		.origin = parsed.facility == 0 ? "kmsg" : "kmsg:user",
		.user_space = parsed.facility != 0,
		.line_number = parsed.sequence,
		.text = parsed.message,
		.length = parsed.message_length,
		.time_sec = source->boot_realtime_sec +
			    (int64_t)(parsed.usec / USEC_PER_SEC),
		.level = (uint8_t)(parsed.priority + 1),
	};
	source_scan(source->context, source->backlog, &record);
}

static void drain(struct kmsg_source *source)
{
	int64_t budget = source->context->config->max_read_bytes_per_wakeup;

	while (budget > 0) {
		ssize_t n = read(source->fd, source->record,
				 sizeof(source->record));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE) {
			/* Reported at 1, 2, 4, 8, ... so a flood stays quiet. */
			source->stats.lost++;
			if ((source->stats.lost & (source->stats.lost - 1)) == 0)
				log_warning("logscan: the kernel ring buffer "
					    "wrapped before it was read: kernel "
					    "messages were lost (%llu times so "
					    "far)",
					    (unsigned long long)source->stats.lost);
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			/* The ring is read through: the backlog is complete. */
			source_backlog_finish(source->context, &source->backlog,
					      "kmsg", "since boot: ");
			return;
		}
		if (n <= 0) {
			if (n < 0)
				log_warning_errno(
				    errno, "logscan: reading %s",
				    source->context->config->kmsg_path);
			source_release(source->io);
			source->io = NULL;
			return;
		}
		budget -= n;
		line_reader_feed(&source->reader, source->record, (size_t)n,
				 on_record, source);
	}
	sd_event_source_set_enabled(source->defer, SD_EVENT_ONESHOT);
}

static int on_readable(sd_event_source *event_source, int fd,
		       uint32_t revents, void *data)
{
	(void)event_source, (void)fd, (void)revents;
	drain(data);
	return 0;
}

static int on_defer(sd_event_source *event_source, void *data)
{
	(void)event_source;
	drain(data);
	return 0;
}

/*
 * Where a record's microseconds start on the wall clock. They come from the
 * kernel's local clock, which stops during suspend like CLOCK_MONOTONIC:
 * realtime - monotonic places records since the last resume exactly and
 * earlier ones late (CLOCK_BOOTTIME would place the recent ones early,
 * and a record just logged could then pass for first-start backlog).
 */
static int64_t boot_realtime_sec(void)
{
	return (int64_t)((now_realtime_usec() - now_monotonic_usec()) /
			 USEC_PER_SEC);
}

int kmsg_source_start(struct logscan_context *context,
		      struct kmsg_source **out)
{
	const char *path = context->config->kmsg_path;
	struct kmsg_source *source;
	struct stat st;
	int flags = O_RDONLY, r;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISFIFO(st.st_mode))
		flags = O_RDWR;
	else if (!S_ISCHR(st.st_mode))
		return -ENOTTY;
	/* Pages, not the heap: a record fills the start of record[] only. */
	source = zeroed_pages_alloc(1, sizeof(*source));
	if (source == NULL)
		return -ENOMEM;
	source->context = context;
	source->fd = open(path, flags | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (source->fd < 0) {
		r = -errno;
		zeroed_pages_free(source, 1, sizeof(*source));
		return r;
	}
	r = line_reader_init(&source->reader, RECORD_BYTES);
	if (r == 0)
		r = sd_event_add_io(context->event, &source->io, source->fd,
				    EPOLLIN, on_readable, source);
	if (r >= 0)
		r = sd_event_add_defer(context->event, &source->defer, on_defer,
				       source);
	if (r >= 0)
		r = sd_event_source_set_enabled(source->defer, SD_EVENT_OFF);
	if (r < 0) {
		kmsg_source_stop(source, NULL);
		return r;
	}
	source->boot_realtime_sec = boot_realtime_sec();
	source_cursor_init(&source->cursor, CURSOR_FILE, "the kmsg cursor");
	read_boot_id(source);
	load_cursor(source);
	/* The ring at once: what is in it now was logged before this start
	 * (the alerter is running: consumers start first). */
	drain(source);
	*out = source;
	return 0;
}

void kmsg_source_tick(struct kmsg_source *source)
{
	save_cursor(source);
}

void kmsg_source_stop(struct kmsg_source *source, struct source_stats *stats)
{
	if (source == NULL)
		return;
	if (source->io != NULL)
		drain(source);
	/* With the backlog still open the cursor stays unsaved: the next
	 * start reads the ring again and summarises it then. */
	save_cursor(source);
	source_backlog_drop(&source->backlog, "kmsg");
	source->stats.truncated = source->reader.truncated;
	source_cursor_stats(&source->cursor, &source->stats);
	if (stats != NULL)
		*stats = source->stats;
	source_release(source->io);
	source_release(source->defer);
	line_reader_free(&source->reader);
	if (source->fd >= 0)
		close(source->fd);
	zeroed_pages_free(source, 1, sizeof(*source));
}
