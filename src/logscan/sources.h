/*
 * sources.h - what the three log sources (files, kmsg, journal) share: the
 * context they run in (event loop, state directory, rules, settings), their
 * start/poll/persist/stop entry points, called by logscan.c, and the
 * helpers of sources.c (cursor saving, the first-start backlog).
 *
 * Every source reads non-blocking from an sd-event io source, at most
 * max_read_bytes_per_wakeup at a time (a defer source continues a burst), and
 * keeps its cursor in the state directory so a restart neither repeats nor
 * skips lines. A cursor is saved only once every event submitted before it
 * is durable (event_sync()): never past an alert a crash could still lose.
 */
#ifndef SYSOPS_LOGSCAN_SOURCES_H
#define SYSOPS_LOGSCAN_SOURCES_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "logscan/backlog.h"
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
	/* Counts the lines no rule claims (surge.h); NULL: none. */
	struct logscan_surge *surge;
	/* The scanner's first start on this state directory: what kmsg and
	 * the journal read without a cursor from before it is backlog. */
	int64_t first_start_sec;
};

struct source_stats {
	uint64_t lines;
	uint64_t truncated;   /* lines cut at max_line_bytes */
	uint64_t malformed;   /* records that could not be parsed */
	uint64_t lost;        /* kmsg: ring overwritten before we read */
	uint64_t rotations;   /* files: rename, copytruncate, deletion */
	uint64_t cursor_held; /* saves put off: events not yet durable */
	uint64_t cursor_failed; /* cursor writes that failed */
};

/*
 * One cursor file and how saving it goes. A save first asks event_sync();
 * when that fails (or the write does) the old file stays, so the lines
 * after it are read again after a restart (dedup absorbs them), the
 * attempt is counted, and the first of an episode is logged, with a notice
 * when saving works again.
 */
struct source_cursor {
	const char *file;     /* in the state directory */
	const char *what;     /* "the kmsg cursor", for log lines */
	int held_error;       /* event_sync() error of this episode, or 0 */
	int write_error;      /* write error of this episode, or 0 */
	uint64_t held, failed;
};

void source_cursor_init(struct source_cursor *cursor, const char *file,
			const char *what);
/* 0 when saved; -errno when put off or the write failed (logged). */
int source_cursor_save(const struct logscan_context *context,
		       struct source_cursor *cursor, const void *text,
		       size_t length);
/* Adds the cursor's counts to stats. */
void source_cursor_stats(const struct source_cursor *cursor,
			 struct source_stats *stats);

/*
 * Runs one record through the rules: counted into backlog when it is one
 * of its records (see backlog_takes), else alerted through the sink, and
 * when no rule matched it, classified and counted for surges.
 * backlog may be NULL.
 */
void source_scan(const struct logscan_context *context, struct backlog *backlog,
		 const struct log_record *record);

/*
 * A source without a cursor reading records older than the first start
 * (backlog_summary on) counts them in a backlog. Done: the backlog becomes
 * one info event (rule logscan_backlog, series origin) through the
 * context's sink, "<prefix><entries>", and is freed (*backlog = NULL).
 */
void source_backlog_finish(const struct logscan_context *context,
			   struct backlog **backlog, const char *origin,
			   const char *prefix);
/* At stop with the backlog unread to its end: dropped and said so; the
 * cursor was never saved, so the next start reads it again. */
void source_backlog_drop(struct backlog **backlog, const char *origin);

/* Disables and drops an event source; NULL is fine. */
static inline void source_release(sd_event_source *event_source)
{
	if (event_source == NULL)
		return;
	sd_event_source_set_enabled(event_source, SD_EVENT_OFF);
	sd_event_source_unref(event_source);
}

/*
 * Coalesced wake-ups (files, the journal). A source's readiness (inotify,
 * the journal's descriptor) wakes the loop; the source reads at once (a
 * line after quiet is told promptly) and calls source_pacer_woken(). A
 * lone change costs that one wake-up. A second one within
 * SOURCE_PACER_MAX_USEC starts pacing: the readiness leaves the loop and a
 * periodic timer takes over, each period calling the source's read, which
 * takes in everything that came meanwhile in one pass and says whether
 * anything came. Nothing hands back to readiness; the period starts at
 * SOURCE_PACER_MAX_USEC (the longest a line of a slow stream waits),
 * shrinks while a period brings twice SOURCE_PACER_LINES lines (down to
 * SOURCE_PACER_MIN_USEC) and grows back while one brings fewer than
 * SOURCE_PACER_LINES, so a wake-up, whose bare cost is tens of us on a VM,
 * is spread over many lines and a busy log is soon read every quarter or
 * half second (starting short cost a slow stream two more wake-ups). The
 * timer
 * is a periodic timerfd of the pacer's own: a steady wake-up costs
 * epoll_wait, the timer's read and the source's own reads, no re-arm
 * (sd-event's time sources re-arm theirs each time).
 */
/* Overridable at build time to measure other periods (make bench). */
#ifndef SOURCE_PACER_MIN_USEC
#define SOURCE_PACER_MIN_USEC (250 * 1000)
#endif
#ifndef SOURCE_PACER_MAX_USEC
#define SOURCE_PACER_MAX_USEC (1000 * 1000)
#endif
#define SOURCE_PACER_LINES 256

struct source_pacer {
	sd_event_source *ready; /* the source's own, off while paced */
	sd_event_source *timer; /* the timerfd's io source */
	int timer_fd;
	uint64_t period_usec; /* 0: waiting on readiness */
	uint64_t woken_usec;  /* the last readiness wake-up that read */
	bool (*read)(void *data);
	void *data;
	const uint64_t *lines; /* the source's line count */
};

/* read(data) runs each period while paced: false when nothing came. The
 * pacer must not move once initialised (the loop holds its address). */
int source_pacer_init(struct source_pacer *pacer, sd_event *event,
		      sd_event_source *ready, bool (*read)(void *data),
		      void *data, const uint64_t *lines);
/* After a readiness wake-up whose read found something. */
void source_pacer_woken(struct source_pacer *pacer);
static inline bool source_pacer_active(const struct source_pacer *pacer)
{
	return pacer->period_usec != 0;
}
void source_pacer_release(struct source_pacer *pacer);

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
