/*
 * pipeline.h - the alerter's decisions, without I/O and with the clock passed
 * in: which alert events become messages, on which channel, and when.
 *
 * Events update a fixed table of alerts (identity: rule + series + labels).
 * Notifications wait group_wait_secs in one group; then every channel whose
 * min_severity they pass is *owed* them. A channel pays what it owes as soon
 * as its rate limit allows, in full, most severe first: the limit delays,
 * it never discards, and a resolved always follows a firing the channel got.
 * Unit tests drive it with a simulated clock.
 */
#ifndef SYSOPS_ALERTER_PIPELINE_H
#define SYSOPS_ALERTER_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerter/alerter.h"
#include "alerter/message.h"
#include "core/event.h"

struct pipeline_settings {
	char host[MESSAGE_HOST_MAX];
	char agent_id[IDENTITY_ID_MAX];
	char agent_labels[IDENTITY_LABELS_TEXT_MAX]; /* silences match these */
	bool send_resolved;
	uint64_t repeat_usec;
	uint64_t group_wait_usec;
	uint64_t flap_window_usec;
	unsigned flap_max_toggles;
	uint64_t min_interval_usec;
	uint64_t max_alerts_per_hour;
	bool channel_active[CHANNEL_COUNT];
	enum alert_severity channel_min_severity[CHANNEL_COUNT];
	size_t channel_alerts_max[CHANNEL_COUNT]; /* 0: MESSAGE_ALERTS_MAX */
	/* Webhook instances: label matchers (NULL: all; not copied) and an
	 * own rate limit instead of min_interval_usec/max_alerts_per_hour. */
	const struct config_string_list *channel_matchers[CHANNEL_COUNT];
	bool channel_own_rate[CHANNEL_COUNT];
	uint64_t channel_min_interval_usec[CHANNEL_COUNT];
	uint64_t channel_max_alerts_per_hour[CHANNEL_COUNT];
	const struct alerting_silence_config *silences; /* not copied */
	size_t silence_count;
};

struct pipeline_stats {
	uint64_t events;          /* accepted by pipeline_submit */
	uint64_t messages;        /* emitted, all channels */
	uint64_t alerts_sent;     /* alert entries in emitted messages */
	uint64_t deferred;        /* messages that left alerts for later */
	uint64_t silenced;        /* notifications dropped by a silence */
	uint64_t flapping;        /* alerts marked flapping */
	uint64_t evicted;         /* live alerts pushed out of a full table */
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

/*
 * When pipeline_tick next has something to do (0: nothing scheduled): the
 * group's deadline, a channel's rate-limit interval, a repeat, the end of a
 * flapping episode. A silenced alert waits for the next collection tick.
 */
uint64_t pipeline_next_deadline(const struct pipeline *pipeline);

/*
 * Snapshots of the firing alerts at or above min_severity, most severe
 * first, skipping the first `skip` of that order; returns how many.
 */
size_t pipeline_firing(const struct pipeline *pipeline,
		       enum alert_severity min_severity, size_t skip,
		       struct alert_snapshot *out, size_t max);

/* A channel instance was removed: what it was owed and told is dropped. */
void pipeline_forget_channel(struct pipeline *pipeline,
			     enum channel_id channel);

/* Alerts a channel is still owed (tests, statistics). */
size_t pipeline_owed(const struct pipeline *pipeline, enum channel_id channel);
/* The same for every channel at once, in one pass over the table. */
void pipeline_owed_all(const struct pipeline *pipeline,
		       size_t owed[CHANNEL_COUNT]);

/*
 * Persistence (pipeline_state.c): the whole table and the rate-limit clocks
 * as JSON, so a restart resumes with what was owed to whom. dirty says
 * whether anything changed since the last save.
 */
struct json_object;
struct json_text;
bool pipeline_dirty(const struct pipeline *pipeline);
/* The state file's text into t (its buffer kept for the next save), with
 * the spool's last id as "spool_through"; -ENOMEM (t incomplete). */
int pipeline_save_text(struct pipeline *pipeline, uint64_t spool_through,
		       struct json_text *t);
/* Replaces the table; -EINVAL when the document is not a saved state. */
int pipeline_restore(struct pipeline *pipeline, struct json_object *state);

const struct pipeline_stats *pipeline_stats(const struct pipeline *pipeline);

/* True when a [[alerting.silence]] window covers the alert at now_usec. */
bool silence_matches(const struct alerting_silence_config *silence,
		     const char *rule, enum alert_severity severity,
		     const char *labels, uint64_t now_usec);


#endif
