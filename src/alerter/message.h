/*
 * message.h - what the alerter sends: a message is one channel's view of a
 * group of alerts (snapshots taken when the group was flushed) plus a count
 * of what the rate limit held back. Messages are spooled as JSON and
 * formatted per channel only at delivery time.
 */
#ifndef SYSOPS_ALERTER_MESSAGE_H
#define SYSOPS_ALERTER_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "core/identity.h"

#define ALERT_RULE_MAX 64
#define ALERT_SERIES_MAX 96
#define ALERT_LABELS_MAX 160
#define ALERT_SUMMARY_MAX 256
#define ALERT_DETAIL_MAX 512
#define ALERT_HISTORY_MAX 32   /* sparkline points */
#define MESSAGE_ALERTS_MAX 32  /* alerts per message (more: more messages) */
#define MESSAGE_HOST_MAX 64

/* [[alerting.webhook]] instances, each a channel of its own. */
#define CHANNEL_WEBHOOKS_MAX 8

enum channel_id {
	CHANNEL_CONSOLE,
	CHANNEL_WEBHOOK, /* the first webhook instance */
	CHANNEL_SLACK,
	CHANNEL_DISCORD,
	CHANNEL_TELEGRAM,
	CHANNEL_EMAIL,
	CHANNEL_ALERTMANAGER,
	CHANNEL_WEBHOOK_EXTRA, /* the other webhook instances follow */
	CHANNEL_COUNT = CHANNEL_WEBHOOK_EXTRA + CHANNEL_WEBHOOKS_MAX - 1,
};

/* Why this alert is in this message. */
enum alert_kind {
	ALERT_KIND_NEW,        /* started firing */
	ALERT_KIND_ESCALATED,  /* still firing, severity rose */
	ALERT_KIND_REPEAT,     /* still firing after repeat_interval_secs */
	ALERT_KIND_RESOLVED,   /* cleared */
	ALERT_KIND_FLAPPING,   /* toggling too often; held until stable */
	ALERT_KIND_TEST,       /* test-alert */
};

struct alert_snapshot {
	char rule[ALERT_RULE_MAX];
	char series[ALERT_SERIES_MAX];
	char labels[ALERT_LABELS_MAX];
	char summary[ALERT_SUMMARY_MAX];
	char detail[ALERT_DETAIL_MAX];
	enum alert_severity severity;
	enum alert_kind kind;
	bool firing;
	uint64_t started_usec;   /* CLOCK_REALTIME */
	uint64_t ended_usec;     /* 0 while firing */
	double value, baseline, threshold, score;
	int64_t eta_secs;
	uint32_t count;
	uint32_t history_count;
	double history[ALERT_HISTORY_MAX];
};

struct alert_message {
	uint64_t id;             /* spool sequence, unique per channel entry */
	enum channel_id channel;
	uint64_t created_usec;
	char host[MESSAGE_HOST_MAX];
	char agent_id[IDENTITY_ID_MAX];
	/* [agent] labels when the message was made: "env=prod,team=web". */
	char agent_labels[IDENTITY_LABELS_TEXT_MAX];
	size_t alert_count;
	struct alert_snapshot alerts[MESSAGE_ALERTS_MAX];
	/* Alerts still waiting for this channel (rate limit, message size):
	 * they follow in full in the next messages. */
	uint32_t deferred_count;
};

const char *channel_name(enum channel_id channel);
int channel_from_name(const char *name); /* -1 when unknown */
/*
 * Webhook instances (channel.c): the slot of a channel id (-1: not a
 * webhook), and the name each slot has now ("webhook" for an instance
 * named so, else "webhook.NAME"; NULL for a free slot). Spool entries and
 * saved state are keyed by these names, so a restart keeps instances apart.
 */
int channel_webhook_slot(enum channel_id channel);
const char *channel_webhook_name(int slot);
const char *alert_kind_name(enum alert_kind kind);

/* Who sends the message: host, agent id and [agent] labels text. */
void message_set_origin(struct alert_message *message, const char *host,
			const char *agent_id, const char *agent_labels);

/* Highest severity in the message (info when it only has a summary). */
enum alert_severity message_severity(const struct alert_message *message);

/* The same over what still fires: info when all resolved (what people see;
 * the spool keeps ranking by message_severity). */
enum alert_severity message_firing_severity(const struct alert_message *m);

/* Serialised form used by the spool; NULL on allocation failure. */
char *message_to_json(const struct alert_message *message, size_t *length);

/* Adds the alert's recent values ("history", null where not finite) to o. */
struct json_object;
void message_add_history_json(struct json_object *o,
			      const struct alert_snapshot *a);
/* Parses what message_to_json wrote; -EINVAL on malformed input. */
int message_from_json(const char *text, size_t length,
		      struct alert_message *message);

/* One alert snapshot read back (the spool and the alerter's state). */
void message_snapshot_from_json(struct json_object *o,
				struct alert_snapshot *a);
/* One alert snapshot as JSON, written straight into t in json-c's plain
 * printer's bytes (the spool's messages, the alerter's state file). */
struct json_text;
void message_snapshot_write(struct json_text *t,
			    const struct alert_snapshot *a);

#endif
