/*
 * journal.h - the alerter's write-ahead journal of accepted events
 * ("alert-journal" in the state directory). An event is appended, with one
 * write(2), before alert acceptance returns, so a kill -9 at any later
 * instant cannot lose it; fdatasync is batched (once a second, and whenever
 * a producer is about to save a source position). Once the pipeline's state
 * file covers everything, the journal is emptied.
 */
#ifndef SYSOPS_ALERTER_JOURNAL_H
#define SYSOPS_ALERTER_JOURNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/event.h"

#define ALERT_JOURNAL_FILE "alert-journal"

struct alert_journal_stats {
	uint64_t appended;
	uint64_t unsaved;        /* accepted, not in the journal: a write
				    failed; the next state save covers them */
	uint64_t write_errors;   /* failed appends and syncs */
	uint64_t replayed;
	uint64_t corrupt;        /* unreadable lines skipped at replay */
};

struct alert_journal;

int alert_journal_open(int state_dir_fd, struct alert_journal **out);
void alert_journal_close(struct alert_journal *journal);

/*
 * Appends one event. 0: written (survives a crash of the process). -errno:
 * not written; the file is cut back to its last whole line, the event is
 * counted as unsaved and alert_journal_sync() fails until a state save
 * covers it (alert_journal_reset).
 */
int alert_journal_append(struct alert_journal *journal,
			 const struct alert_event *event);

/* fdatasync when something was appended since; 0 when all is durable. */
int alert_journal_sync(struct alert_journal *journal);

/* A state save now covers every event: empty the journal. */
int alert_journal_reset(struct alert_journal *journal);

/* Calls fn for each journalled event, oldest first; returns the count. */
typedef void alert_journal_replay_fn(const struct alert_event *event,
				     void *context);
int alert_journal_replay(struct alert_journal *journal,
			 alert_journal_replay_fn *fn, void *context);

bool alert_journal_empty(const struct alert_journal *journal);
const struct alert_journal_stats *
alert_journal_stats(const struct alert_journal *journal);

#endif
