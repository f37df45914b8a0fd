/*
 * pipeline.h - the alerter's decisions, without I/O and with the clock passed
 * in: which alert events become messages, on which channel, and when.
 *
 * Events update a fixed table of alerts (identity: rule + series + labels).
 * Notifications wait group_wait_secs in one group, then go out as one message
 * per channel, subject to min_severity and the rate limit; what the rate
 * limit holds back is summarised in the channel's next message. Unit tests
 * drive it with a simulated clock.
 */
#ifndef SYSOPS_ALERTER_PIPELINE_H
#define SYSOPS_ALERTER_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerter/alerter.h"
#include "alerter/message.h"

struct pipeline_settings {
	char host[MESSAGE_HOST_MAX];
	bool send_resolved;
	uint64_t repeat_usec;
	uint64_t group_wait_usec;
	uint64_t flap_window_usec;
	unsigned flap_max_toggles;
	uint64_t min_interval_usec;
	uint64_t max_alerts_per_hour;
	bool channel_active[CHANNEL_COUNT];
	enum alert_severity channel_min_severity[CHANNEL_COUNT];
	const struct alerting_silence_config *silences; /* not copied */
	size_t silence_count;
};

struct pipeline_stats {
	uint64_t events;          /* accepted by pipeline_submit */
	uint64_t messages;        /* emitted, all channels */
	uint64_t alerts_sent;     /* alert entries in emitted messages */
	uint64_t held;            /* alert entries held back by rate limits */
	uint64_t silenced;        /* notifications dropped by a silence */
	uint64_t flapping;        /* alerts marked flapping */
	uint64_t table_full;      /* events refused: no free alert slot */
};

/* Called for each message; it may keep a copy, not the pointer. */
typedef void pipeline_emit_fn(void *context, struct alert_message *message);
/* Every event and decision, for the history file. */
typedef void pipeline_history_fn(void *context, uint64_t now_usec,
				 const char *what,
				 const struct alert_snapshot *alert,
				 const char *note);

struct pipeline;

struct pipeline *pipeline_new(size_t capacity, pipeline_emit_fn *emit,
			      pipeline_history_fn *history, void *context);
void pipeline_free(struct pipeline *pipeline);

/* Settings may change on reload; alert state is kept. */
void pipeline_configure(struct pipeline *pipeline,
			const struct pipeline_settings *settings);
void pipeline_settings_from_config(const struct config *config,
				   const char *host,
				   struct pipeline_settings *settings);

void pipeline_set_maintenance(struct pipeline *pipeline, bool on);

int pipeline_submit(struct pipeline *pipeline, const struct alert_event *event,
		    uint64_t now_usec);

/* Timers: group flush, repeats, flap ends, pending summaries. */
void pipeline_tick(struct pipeline *pipeline, uint64_t now_usec);

/* Sends the waiting group now (on stop, so nothing stays in memory only). */
void pipeline_flush(struct pipeline *pipeline, uint64_t now_usec);

/* When pipeline_tick next has something to do (0: nothing scheduled). */
uint64_t pipeline_next_deadline(const struct pipeline *pipeline);

/* Snapshots of the firing alerts, most severe first; returns how many. */
size_t pipeline_firing(const struct pipeline *pipeline,
		       struct alert_snapshot *out, size_t max);

const struct pipeline_stats *pipeline_stats(const struct pipeline *pipeline);

/* True when a [[alerting.silence]] window covers the alert at now_usec. */
bool silence_matches(const struct alerting_silence_config *silence,
		     const char *rule, enum alert_severity severity,
		     const char *labels, uint64_t now_usec);


#endif
