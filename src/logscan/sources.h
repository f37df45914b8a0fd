/*
 * sources.h - what the three log sources (files, kmsg, journal) share: the
 * context they run in (event loop, state directory, rules, settings) and
 * their start/poll/persist/stop entry points, called by logscan.c.
 *
 * Every source reads non-blocking from an sd-event io source, at most
 * max_read_bytes_per_wakeup at a time (a defer source continues a burst), and
 * keeps its cursor in the state directory so a restart neither repeats nor
 * skips lines.
 */
#ifndef SYSOPS_LOGSCAN_SOURCES_H
#define SYSOPS_LOGSCAN_SOURCES_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "logscan/logscan.h"
#include "logscan/rules.h"

struct logscan_context {
	sd_event *event;
	int state_dir_fd;
	const struct logscan_config *config;
	const char *proc_root;
	struct rule_engine *engine;
	rule_event_sink sink;
	void *sink_data;
};

struct source_stats {
	uint64_t lines;
	uint64_t truncated;   /* lines cut at max_line_bytes */
	uint64_t malformed;   /* records that could not be parsed */
	uint64_t lost;        /* kmsg: ring overwritten before we read */
	uint64_t rotations;   /* files: rename, copytruncate, deletion */
};

/* Disables and drops an event source; NULL is fine. */
static inline void source_release(sd_event_source *event_source)
{
	if (event_source == NULL)
		return;
	sd_event_source_set_enabled(event_source, SD_EVENT_OFF);
	sd_event_source_unref(event_source);
}

struct file_source;
int file_source_start(struct logscan_context *context,
		      struct file_source **out);
/* Periodic work: new files matching the globs, cursors saved. */
void file_source_tick(struct file_source *source);
void file_source_stop(struct file_source *source, struct source_stats *stats);

struct kmsg_source;
int kmsg_source_start(struct logscan_context *context,
		      struct kmsg_source **out);
void kmsg_source_tick(struct kmsg_source *source);
void kmsg_source_stop(struct kmsg_source *source, struct source_stats *stats);

struct journal_source;
/* skip_kernel: kernel messages come from kmsg already. */
int journal_source_start(struct logscan_context *context, bool skip_kernel,
			 struct journal_source **out);
void journal_source_tick(struct journal_source *source);
void journal_source_stop(struct journal_source *source,
			 struct source_stats *stats);

#endif
