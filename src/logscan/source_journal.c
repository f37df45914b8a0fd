/*
 * source_journal.c - the systemd journal through sd-journal: the local
 * system journal, or the files of journal_directory. Entries are filtered
 * by PRIORITY (<= journal_max_priority) and, when given, by _SYSTEMD_UNIT or
 * SYSLOG_IDENTIFIER; rules see "IDENTIFIER[PID]: MESSAGE", the same shape as
 * a syslog line. The cursor of the last entry handled is saved in the state
 * directory; after a restart reading resumes just after it. Without a
 * usable cursor and with start_position = "beginning", the entries logged
 * before the scanner's first start are counted, not alerted, and said once
 * as one summary when the journal has been read to its end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-journal.h>

#include "core/log.h"
#include "core/state.h"
#include "core/util.h"
#include "logscan/sources.h"

#define CURSOR_FILE "logscan-journal.cursor"
#define CURSOR_MAX_BYTES 1024
#define ENTRIES_PER_WAKEUP 4096

struct journal_source {
	struct logscan_context *context;
	sd_journal *journal;
	sd_event_source *io, *defer;
	struct source_pacer pacer;
	bool skip_kernel;
	bool dirty;
	struct source_cursor saved;
	struct backlog *backlog; /* reading what came before the first start */
	char *cursor;            /* of the last entry handled */
	char *text;              /* "IDENT[PID]: MESSAGE", max_line_bytes */
	size_t text_size;
	struct source_stats stats;
};

/* The value of FIELD= in the current entry, not NUL-terminated. */
static bool field(sd_journal *journal, const char *name, const char **value,
		  size_t *length)
{
	size_t name_length = strlen(name);
	const void *data;
	size_t size;

	if (sd_journal_get_data(journal, name, &data, &size) < 0 ||
	    size <= name_length)
		return false;
	*value = (const char *)data + name_length + 1;
	*length = size - name_length - 1;
	return true;
}

static size_t append(char *out, size_t used, size_t size, const char *text,
		     size_t length)
{
	if (used >= size)
		return used;
	if (length > size - used)
		length = size - used;
	memcpy(out + used, text, length);
	return used + length;
}

static void handle_entry(struct journal_source *source)
{
	const char *message, *identifier, *pid, *transport, *priority;
	const char *facility;
	size_t message_length, identifier_length, pid_length, transport_length;
	size_t priority_length, facility_length, used = 0;
	uint8_t level = 0;
	uint64_t usec;
	struct log_record record;
	bool kernel_transport, from_kernel;

	kernel_transport = field(source->journal, "_TRANSPORT", &transport,
				 &transport_length) &&
			   transport_length == 6 &&
			   memcmp(transport, "kernel", 6) == 0;
	if (source->skip_kernel && kernel_transport)
		return;
	/*
	 * Only journald sets _TRANSPORT (a trusted field): "kernel" is what it
	 * read from /dev/kmsg, and there the kernel's own records have
	 * facility 0. Anything else (logger -t kernel, a service printing
	 * "BUG: ...", a root write to /dev/kmsg at facility user) is user
	 * space and never matches a kernel-only rule.
	 */
	from_kernel = kernel_transport &&
		      (!field(source->journal, "SYSLOG_FACILITY", &facility,
			      &facility_length) ||
		       (facility_length == 1 && facility[0] == '0'));
	if (!field(source->journal, "MESSAGE", &message, &message_length)) {
		source->stats.malformed++;
		return;
	}
	if (field(source->journal, "SYSLOG_IDENTIFIER", &identifier,
		  &identifier_length)) {
		used = append(source->text, used, source->text_size, identifier,
			      identifier_length);
		if (field(source->journal, "_PID", &pid, &pid_length) ||
		    field(source->journal, "SYSLOG_PID", &pid, &pid_length)) {
			used = append(source->text, used, source->text_size,
				      "[", 1);
			used = append(source->text, used, source->text_size, pid,
				      pid_length);
			used = append(source->text, used, source->text_size,
				      "]", 1);
		}
		used = append(source->text, used, source->text_size, ": ", 2);
	}
	if (message_length > source->text_size - used)
		source->stats.truncated++;
	used = append(source->text, used, source->text_size, message,
		      message_length);
	if (sd_journal_get_realtime_usec(source->journal, &usec) < 0)
		usec = now_realtime_usec();
	/* Warning or worse is stated; notice, info and debug are often only
	 * the default (a service's stdout is info), so its words decide. */
	if (field(source->journal, "PRIORITY", &priority, &priority_length) &&
	    priority_length == 1 && priority[0] >= '0' && priority[0] <= '4')
		level = (uint8_t)(priority[0] - '0' + 1);
	source->stats.lines++;
	record = (struct log_record){
		.source = LOGSCAN_SOURCE_JOURNAL,
		.origin = "journal",
		.line_number = source->stats.lines,
		.text = source->text,
		.length = used,
		.time_sec = (int64_t)(usec / USEC_PER_SEC),
		.level = level,
		.user_space = !from_kernel,
	};
	source_scan(source->context, source->backlog, &record);
}

static void remember_cursor(struct journal_source *source)
{
	char *cursor;

	if (sd_journal_get_cursor(source->journal, &cursor) < 0)
		return;
	free(source->cursor);
	source->cursor = cursor;
	source->dirty = true;
}

static void drain(struct journal_source *source)
{
	unsigned entries = 0;
	int r;

	while ((r = sd_journal_next(source->journal)) > 0) {
		handle_entry(source);
		if (++entries >= ENTRIES_PER_WAKEUP) {
			remember_cursor(source);
			sd_event_source_set_enabled(source->defer,
						    SD_EVENT_ONESHOT);
			return;
		}
	}
	if (r < 0)
		log_warning_errno(r, "logscan: reading the journal");
	if (entries > 0) {
		/* How well wake-ups coalesce (logscan_journal.sh). */
		log_debug("logscan: journal: %u entries in one pass", entries);
		remember_cursor(source);
	}
	if (r == 0)
		source_backlog_finish(source->context, &source->backlog,
				      "journal",
				      "in the journal before the "
				      "first start: ");
}

/*
 * Takes in what changed (sd_journal_process reads the journal's inotify
 * descriptor) and reads the new entries: false when nothing changed.
 */
static bool read_changes(void *data)
{
	struct journal_source *source = data;
	uint64_t lines = source->stats.lines;
	int r = sd_journal_process(source->journal);

	if (r < 0)
		return false;
	drain(source);
	return r != SD_JOURNAL_NOP || source->stats.lines != lines;
}

/* Read at once; the pacer takes over when changes keep coming (journald
 * appending entry by entry would otherwise wake the loop per entry). */
static int on_journal(sd_event_source *event_source, int fd, uint32_t revents,
		      void *data)
{
	struct journal_source *source = data;

	(void)event_source, (void)fd, (void)revents;
	if (read_changes(source))
		source_pacer_woken(&source->pacer);
	return 0;
}

static int on_defer(sd_event_source *event_source, void *data)
{
	(void)event_source;
	drain(data);
	return 0;
}

static int add_matches(struct journal_source *source, const char *field_name,
		       const struct config_string_list *values)
{
	char match[512];
	int r;

	for (size_t i = 0; i < values->count; i++) {
		snprintf(match, sizeof(match), "%s=%s", field_name,
			 values->items[i]);
		r = sd_journal_add_match(source->journal, match, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

static int add_priorities(struct journal_source *source)
{
	char match[32];
	int r;

	for (int p = 0; p <= source->context->config->journal_max_priority;
	     p++) {
		snprintf(match, sizeof(match), "PRIORITY=%d", p);
		r = sd_journal_add_match(source->journal, match, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * PRIORITY and (units or identifiers). sd-journal ANDs different fields and
 * ORs disjunctions, so this is (P and U) or (P and I).
 */
static int set_filters(struct journal_source *source)
{
	const struct logscan_config *config = source->context->config;
	int r;

	if (config->journal_max_priority >= 7 &&
	    config->journal_units.count == 0 &&
	    config->journal_identifiers.count == 0)
		return 0;
	r = add_priorities(source);
	if (r >= 0)
		r = add_matches(source, "_SYSTEMD_UNIT", &config->journal_units);
	if (r >= 0 && config->journal_units.count > 0 &&
	    config->journal_identifiers.count > 0) {
		r = sd_journal_add_disjunction(source->journal);
		if (r >= 0)
			r = add_priorities(source);
	}
	if (r >= 0)
		r = add_matches(source, "SYSLOG_IDENTIFIER",
				&config->journal_identifiers);
	return r;
}

static void position(struct journal_source *source)
{
	char *cursor;
	size_t length;
	int r;

	r = state_read(source->context->state_dir_fd, CURSOR_FILE,
		       CURSOR_MAX_BYTES, &cursor, &length);
	if (r == 0) {
		string_trim_end(cursor);
		if (sd_journal_seek_cursor(source->journal, cursor) >= 0 &&
		    sd_journal_next(source->journal) > 0) {
			/* Found: it was handled. Not found: the entry after
			 * it is the first unseen one. */
			if (sd_journal_test_cursor(source->journal, cursor) <= 0)
				sd_journal_previous(source->journal);
			source->cursor = cursor;
			log_info("logscan: journal resumes after the saved "
				 "cursor");
			return;
		}
		log_warning("logscan: saved journal cursor not usable; "
			    "starting at start_position");
		free(cursor);
	}
	if (strcmp(source->context->config->start_position, "end") == 0) {
		sd_journal_seek_tail(source->journal);
		/* After seek_tail, previous() lands on the last entry;
		 * next() then returns only newer ones. */
		sd_journal_previous(source->journal);
		return;
	}
	sd_journal_seek_head(source->journal);
	if (source->context->config->backlog_summary) {
		source->backlog = backlog_new(source->context->first_start_sec);
		log_info("logscan: journal read from its beginning; entries "
			 "older than the first start are summarised, not "
			 "alerted");
	}
}

int journal_source_start(struct logscan_context *context, bool skip_kernel,
			 struct journal_source **out)
{
	struct journal_source *source = calloc(1, sizeof(*source));
	const char *directory = context->config->journal_directory;
	int r, fd;

	if (source == NULL)
		return -ENOMEM;
	source->context = context;
	source->pacer.timer_fd = -1;
	source->skip_kernel = skip_kernel;
	source_cursor_init(&source->saved, CURSOR_FILE, "the journal cursor");
	source->text_size = (size_t)context->config->max_line_bytes;
	/* Pages of its own: an entry's text fills the first one or two. */
	source->text = zeroed_pages_alloc(1, source->text_size);
	if (source->text == NULL) {
		free(source);
		return -ENOMEM;
	}
	if (directory != NULL)
		r = sd_journal_open_directory(&source->journal, directory, 0);
	else
		r = sd_journal_open(&source->journal,
				    SD_JOURNAL_LOCAL_ONLY | SD_JOURNAL_SYSTEM);
	if (r >= 0)
		r = sd_journal_set_data_threshold(source->journal,
						  source->text_size);
	if (r >= 0)
		r = set_filters(source);
	if (r < 0)
		goto fail;
	fd = sd_journal_get_fd(source->journal);
	if (fd < 0) {
		r = fd;
		goto fail;
	}
	r = sd_event_add_io(context->event, &source->io, fd,
			    (uint32_t)sd_journal_get_events(source->journal),
			    on_journal, source);
	if (r >= 0)
		r = source_pacer_init(&source->pacer, context->event,
				      source->io, read_changes, source,
				      &source->stats.lines);
	if (r >= 0)
		r = sd_event_add_defer(context->event, &source->defer, on_defer,
				       source);
	if (r >= 0)
		r = sd_event_source_set_enabled(source->defer, SD_EVENT_OFF);
	if (r < 0)
		goto fail;
	position(source);
	drain(source);
	*out = source;
	return 0;
fail:
	journal_source_stop(source, NULL);
	return r;
}

/* Not while the backlog is open: its summary is not submitted yet. */
static void save_cursor(struct journal_source *source)
{
	if (!source->dirty || source->cursor == NULL || source->backlog)
		return;
	if (source_cursor_save(source->context, &source->saved, source->cursor,
			       strlen(source->cursor)) == 0)
		source->dirty = false;
}

void journal_source_tick(struct journal_source *source)
{
	/* Inotify on a directory of files can miss nothing sd-journal
	 * tracks, but a periodic look costs little and covers new files. */
	if (sd_journal_process(source->journal) >= 0)
		drain(source);
	save_cursor(source);
}

void journal_source_stop(struct journal_source *source,
			 struct source_stats *stats)
{
	if (source == NULL)
		return;
	if (source->journal != NULL && source->io != NULL) {
		drain(source);
		/* With the backlog still open the cursor stays unsaved. */
		save_cursor(source);
	}
	source_backlog_drop(&source->backlog, "journal");
	source_cursor_stats(&source->saved, &source->stats);
	if (stats != NULL)
		*stats = source->stats;
	source_pacer_release(&source->pacer);
	source_release(source->io);
	source_release(source->defer);
	sd_journal_close(source->journal);
	free(source->cursor);
	zeroed_pages_free(source->text, 1, source->text_size);
	free(source);
}
