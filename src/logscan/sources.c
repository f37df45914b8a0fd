/*
 * sources.c - what the log sources share: saving a cursor only behind
 * event_sync() (a position never passes an alert a crash could still lose),
 * with failures counted and logged once per episode, and the first-start
 * backlog handed on as one summary event.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/event.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"
#include "logscan/sources.h"
#include "logscan/surge.h"

void source_cursor_init(struct source_cursor *cursor, const char *file,
			const char *what)
{
	*cursor = (struct source_cursor){.file = file, .what = what};
}

/* Counts a failed attempt; true for the first of an episode (say it). */
static bool episode_begins(int *episode, uint64_t *count, int error)
{
	bool first = *episode == 0;

	(*count)++;
	*episode = error;
	return first;
}

int source_cursor_save(const struct logscan_context *context,
		       struct source_cursor *cursor, const void *text,
		       size_t length)
{
	int r = event_sync();

	if (r < 0) {
		if (episode_begins(&cursor->held_error, &cursor->held, r))
			log_warning_errno(r,
					  "logscan: not saving %s while "
					  "accepted alerts are not on disk "
					  "(what follows it is read again "
					  "after a restart)",
					  cursor->what);
		return r;
	}
	r = state_write_atomic(context->state_dir_fd, cursor->file, text,
			       length);
	if (r < 0) {
		if (episode_begins(&cursor->write_error, &cursor->failed, r))
			log_warning_errno(r,
					  "logscan: cannot save %s in %s; "
					  "the old one stays (what follows it "
					  "is read again after a restart)",
					  cursor->what, cursor->file);
		return r;
	}
	if (cursor->held_error != 0 || cursor->write_error != 0)
		log_notice("logscan: saving %s again (%llu saves put off "
			   "until alerts were on disk, %llu writes failed so "
			   "far)",
			   cursor->what, (unsigned long long)cursor->held,
			   (unsigned long long)cursor->failed);
	cursor->held_error = 0;
	cursor->write_error = 0;
	return 0;
}

void source_cursor_stats(const struct source_cursor *cursor,
			 struct source_stats *stats)
{
	stats->cursor_held += cursor->held;
	stats->cursor_failed += cursor->failed;
}

void source_scan(const struct logscan_context *context, struct backlog *backlog,
		 const struct log_record *record)
{
	unsigned outcome;

	if (backlog != NULL && backlog_takes(backlog, record)) {
		rule_engine_tally(context->engine, record, backlog_count,
				  backlog);
		return;
	}
	if (context->surge == NULL) {
		rule_engine_scan(context->engine, record, context->sink,
				 context->sink_data);
		return;
	}
	/* A line a rule matched is that rule's, alerted or aggregated. */
	outcome = rule_engine_scan_outcome(context->engine, record,
					   context->sink, context->sink_data);
	if (!(outcome & RULE_SCAN_MATCHED))
		logscan_surge_count(context->surge, record,
				    (outcome & RULE_SCAN_LEVEL_GRAM) != 0);
}

void source_backlog_finish(const struct logscan_context *context,
			   struct backlog **backlog, const char *origin,
			   const char *prefix)
{
	char summary[BACKLOG_SUMMARY_BYTES], detail[BACKLOG_DETAIL_BYTES];
	char heading[256], when[32] = "?";
	time_t first = (time_t)context->first_start_sec;
	uint64_t records, matches;
	struct tm tm;

	if (*backlog == NULL)
		return;
	records = backlog_records(*backlog);
	if (gmtime_r(&first, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(heading, sizeof(heading),
		 "%s: %llu records logged before "
		 "the log scanner's first start (%s) were counted, not alerted "
		 "one by one (backlog_summary):",
		 origin, (unsigned long long)records, when);
	matches = backlog_render(*backlog, prefix, heading, summary,
				 sizeof(summary), detail, sizeof(detail));
	if (matches > 0) {
		struct log_record record = {
		    .origin = origin,
		    .time_sec = (int64_t)(now_realtime_usec() / USEC_PER_SEC),
		};
		struct rule_event event = {
		    .rule = "logscan_backlog",
		    .severity = ALERT_INFO,
		    .group_by = "",
		    .group = "",
		    .message = summary,
		    .line = detail,
		    .count =
			matches > UINT32_MAX ? UINT32_MAX : (uint32_t)matches,
		    .record = &record,
		};

		log_info("logscan: %s: %llu of %llu records older than the "
			 "first start matched; one summary instead of alerts: "
			 "%s",
			 origin, (unsigned long long)matches,
			 (unsigned long long)records, summary);
		context->sink(&event, context->sink_data);
	} else {
		log_info("logscan: %s: %llu records older than the first "
			 "start, none worth an alert (%llu matches below "
			 "their rule's threshold)",
			 origin, (unsigned long long)records,
			 (unsigned long long)backlog_matches(*backlog));
	}
	backlog_free(*backlog);
	*backlog = NULL;
}

void source_backlog_drop(struct backlog **backlog, const char *origin)
{
	if (*backlog == NULL)
		return;
	log_info("logscan: %s: stopped before the records older than the "
		 "first start were all read (%llu so far); they are read and "
		 "summarised again at the next start",
		 origin, (unsigned long long)backlog_records(*backlog));
	backlog_free(*backlog);
	*backlog = NULL;
}

/* A period of period_usec from now on; 0 disarms (and drops the count).
 * Failing (never seen: only bad arguments make it fail), it leaves the
 * period as it was. */
static int pacer_arm(struct source_pacer *pacer, uint64_t period_usec)
{
	struct itimerspec spec = {
	    .it_interval = {.tv_sec = (time_t)(period_usec / USEC_PER_SEC),
			    .tv_nsec =
				(long)(period_usec % USEC_PER_SEC) * 1000},
	};

	spec.it_value = spec.it_interval;
	if (timerfd_settime(pacer->timer_fd, 0, &spec, NULL) < 0)
		return log_warning_errno(errno, "logscan: arming a read timer");
	pacer->period_usec = period_usec;
	return 0;
}

/* After a period's read: back to readiness, or the next period. */
static void pacer_next(struct source_pacer *pacer, bool active, uint64_t lines)
{
	uint64_t period = pacer->period_usec;

	if (!source_pacer_active(pacer))
		return;
	if (!active) {
		/* Level-triggered: what was queued since the last read wakes
		 * the loop at once. */
		if (pacer_arm(pacer, 0) < 0)
			pacer->period_usec = 0;
		sd_event_source_set_enabled(pacer->ready, SD_EVENT_ON);
		return;
	}
	if (lines < SOURCE_PACER_LINES && period < SOURCE_PACER_MAX_USEC)
		period *= 2;
	else if (lines >= 2 * SOURCE_PACER_LINES &&
		 period > SOURCE_PACER_MIN_USEC)
		period /= 2;
	/* Re-armed only when the period changes: steady wake-ups cost none. */
	if (period != pacer->period_usec)
		pacer_arm(pacer, period);
}

/* The timer's expiry count is read (a periodic timerfd is re-armed by that
 * read) before the source reads what came meanwhile. */
static int on_pacer_timer(sd_event_source *event_source, int fd,
			  uint32_t revents, void *data)
{
	struct source_pacer *pacer = data;
	uint64_t expiries, lines;
	bool any;

	(void)event_source, (void)revents;
	if (read(fd, &expiries, sizeof(expiries)) < 0 ||
	    !source_pacer_active(pacer))
		return 0;
	lines = *pacer->lines;
	any = pacer->read(pacer->data);
	pacer_next(pacer, any, *pacer->lines - lines);
	return 0;
}

int source_pacer_init(struct source_pacer *pacer, sd_event *event,
		      sd_event_source *ready, bool (*read)(void *data),
		      void *data, const uint64_t *lines)
{
	int r;

	*pacer = (struct source_pacer){.ready = ready,
				       .timer_fd = -1,
				       .read = read,
				       .data = data,
				       .lines = lines};
	pacer->timer_fd =
	    timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (pacer->timer_fd < 0)
		return -errno;
	r = sd_event_add_io(event, &pacer->timer, pacer->timer_fd, EPOLLIN,
			    on_pacer_timer, pacer);
	if (r < 0) {
		close(pacer->timer_fd);
		pacer->timer_fd = -1;
	}
	return r;
}

void source_pacer_woken(struct source_pacer *pacer)
{
	uint64_t now = now_monotonic_usec(), last = pacer->woken_usec;

	pacer->woken_usec = now;
	/* A lone change is not worth a timer; a second soon after is. */
	if (last == 0 || now - last >= SOURCE_PACER_MAX_USEC ||
	    source_pacer_active(pacer) || pacer->timer == NULL)
		return;
	/* Readiness leaves the loop only once the timer runs. The longest
	 * period first: a stream that starts slow (most) costs no wake-ups
	 * going up to it; a busy one halves it within a few periods. */
	if (pacer_arm(pacer, SOURCE_PACER_MAX_USEC) == 0)
		sd_event_source_set_enabled(pacer->ready, SD_EVENT_OFF);
}

void source_pacer_release(struct source_pacer *pacer)
{
	source_release(pacer->timer);
	pacer->timer = NULL;
	if (pacer->timer_fd >= 0)
		close(pacer->timer_fd);
	pacer->timer_fd = -1;
	pacer->period_usec = 0;
}
