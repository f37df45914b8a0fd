/*
 * message.c - names and the JSON form of messages. The JSON is what the spool
 * keeps on disk, so it holds every field a formatter may need and nothing
 * derived from a channel's settings (those may change across a restart).
 */
#include "alerter/message.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alerter/json_text.h"
#include "core/util.h"

static const char *const channel_names[CHANNEL_COUNT] = {
	[CHANNEL_CONSOLE] = "console",
	[CHANNEL_WEBHOOK] = "webhook",
	[CHANNEL_SLACK] = "slack",
	[CHANNEL_DISCORD] = "discord",
	[CHANNEL_TELEGRAM] = "telegram",
	[CHANNEL_EMAIL] = "email",
	[CHANNEL_ALERTMANAGER] = "alertmanager",
};

static const char *const kind_names[] = {
	[ALERT_KIND_NEW] = "new",
	[ALERT_KIND_ESCALATED] = "escalated",
	[ALERT_KIND_REPEAT] = "repeat",
	[ALERT_KIND_RESOLVED] = "resolved",
	[ALERT_KIND_FLAPPING] = "flapping",
	[ALERT_KIND_TEST] = "test",
};

const char *channel_name(enum channel_id channel)
{
	int slot = channel_webhook_slot(channel);
	const char *name;

	if (slot >= 0)
		return (name = channel_webhook_name(slot)) ? name : "webhook.?";
	return (unsigned)channel < CHANNEL_COUNT ? channel_names[channel]
						 : "unknown";
}

int channel_from_name(const char *name)
{
	for (int i = 0; i < CHANNEL_COUNT; i++) {
		const char *known = channel_name((enum channel_id)i);

		if (channel_webhook_slot((enum channel_id)i) >= 0 &&
		    channel_webhook_name(
			channel_webhook_slot((enum channel_id)i)) == NULL)
			continue;
		if (strcmp(known, name) == 0)
			return i;
	}
	return -1;
}

const char *alert_kind_name(enum alert_kind kind)
{
	return (unsigned)kind < ARRAY_SIZE(kind_names) ? kind_names[kind]
						       : "unknown";
}

void message_set_origin(struct alert_message *message, const char *host,
			const char *agent_id, const char *agent_labels)
{
	string_copy(message->host, host, sizeof(message->host));
	string_copy(message->agent_id, agent_id ? agent_id : "",
		    sizeof(message->agent_id));
	string_copy(message->agent_labels, agent_labels ? agent_labels : "",
		    sizeof(message->agent_labels));
}

enum alert_severity message_severity(const struct alert_message *message)
{
	enum alert_severity highest = ALERT_INFO;

	for (size_t i = 0; i < message->alert_count; i++)
		if (message->alerts[i].severity > highest)
			highest = message->alerts[i].severity;
	return highest;
}

enum alert_severity message_firing_severity(const struct alert_message *m)
{
	enum alert_severity highest = ALERT_INFO;

	for (size_t i = 0; i < m->alert_count; i++)
		if (m->alerts[i].kind != ALERT_KIND_RESOLVED &&
		    m->alerts[i].severity > highest)
			highest = m->alerts[i].severity;
	return highest;
}

/* NAN has no JSON form: it is left out and read back as NAN. */
/* A member "key":number unless not finite: NAN has no JSON form. */
static void write_number(struct json_text *t, const char *key, double value)
{
	if (!isfinite(value))
		return;
	json_text_key(t, key);
	json_text_double(t, value);
}

void message_snapshot_write(struct json_text *t, const struct alert_snapshot *a)
{
	json_text_open(t, '{');
	json_text_member_string(t, "rule", a->rule);
	json_text_member_string(t, "series", a->series);
	json_text_member_string(t, "labels", a->labels);
	json_text_member_string(t, "summary", a->summary);
	json_text_member_string(t, "detail", a->detail);
	json_text_member_int(t, "severity", (int32_t)a->severity);
	json_text_member_int(t, "kind", (int32_t)a->kind);
	json_text_key(t, "firing");
	json_text_bool(t, a->firing);
	json_text_member_int(t, "started", (int64_t)a->started_usec);
	json_text_member_int(t, "ended", (int64_t)a->ended_usec);
	write_number(t, "value", a->value);
	write_number(t, "baseline", a->baseline);
	write_number(t, "threshold", a->threshold);
	write_number(t, "score", a->score);
	json_text_member_int(t, "eta", a->eta_secs);
	json_text_member_int(t, "count", a->count);
	json_text_key(t, "history");
	json_text_open(t, '[');
	for (uint32_t i = 0; i < a->history_count; i++) {
		json_text_item(t);
		if (isfinite(a->history[i]))
			json_text_double(t, a->history[i]);
		else
			json_text_null(t);
	}
	json_text_close(t, ']');
	json_text_close(t, '}');
}

/* Written as text like the alerter's state (json_text.c, json-c's plain
 * printer's bytes): the spool stores one for every message accepted. */
char *message_to_json(const struct alert_message *message, size_t *length)
{
	struct json_text t = {0};

	json_text_open(&t, '{');
	json_text_member_int(&t, "id", (int64_t)message->id);
	json_text_member_string(&t, "channel", channel_name(message->channel));
	json_text_member_int(&t, "created", (int64_t)message->created_usec);
	json_text_member_string(&t, "host", message->host);
	json_text_member_string(&t, "agent_id", message->agent_id);
	json_text_member_string(&t, "agent_labels", message->agent_labels);
	json_text_key(&t, "alerts");
	json_text_open(&t, '[');
	for (size_t i = 0; i < message->alert_count; i++) {
		json_text_item(&t);
		message_snapshot_write(&t, &message->alerts[i]);
	}
	json_text_close(&t, ']');
	json_text_member_int(&t, "deferred_count",
			     (int64_t)message->deferred_count);
	json_text_close(&t, '}');
	if (t.failed) {
		json_text_free(&t);
		return NULL;
	}
	if (length != NULL)
		*length = t.used;
	return t.data;
}

static void get_string(json_object *o, const char *key, char *out, size_t size)
{
	json_object *v;

	out[0] = '\0';
	if (json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string))
		string_copy(out, json_object_get_string(v), size);
}

static int64_t get_int(json_object *o, const char *key, int64_t fallback)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) &&
	    (json_object_is_type(v, json_type_int) ||
	     json_object_is_type(v, json_type_double)))
		return json_object_get_int64(v);
	return fallback;
}

static double get_number(json_object *o, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) &&
	    (json_object_is_type(v, json_type_int) ||
	     json_object_is_type(v, json_type_double)))
		return json_object_get_double(v);
	return NAN;
}

void message_snapshot_from_json(json_object *o, struct alert_snapshot *a)
{
	json_object *history, *v;
	int64_t severity = get_int(o, "severity", ALERT_WARNING);
	int64_t kind = get_int(o, "kind", ALERT_KIND_NEW);

	get_string(o, "rule", a->rule, sizeof(a->rule));
	get_string(o, "series", a->series, sizeof(a->series));
	get_string(o, "labels", a->labels, sizeof(a->labels));
	get_string(o, "summary", a->summary, sizeof(a->summary));
	get_string(o, "detail", a->detail, sizeof(a->detail));
	a->severity = severity >= ALERT_INFO && severity <= ALERT_CRITICAL
			      ? (enum alert_severity)severity
			      : ALERT_WARNING;
	a->kind = kind >= 0 && kind <= ALERT_KIND_TEST ? (enum alert_kind)kind
						       : ALERT_KIND_NEW;
	a->firing = json_object_object_get_ex(o, "firing", &v) &&
		    json_object_get_boolean(v);
	a->started_usec = (uint64_t)get_int(o, "started", 0);
	a->ended_usec = (uint64_t)get_int(o, "ended", 0);
	a->value = get_number(o, "value");
	a->baseline = get_number(o, "baseline");
	a->threshold = get_number(o, "threshold");
	a->score = get_number(o, "score");
	a->eta_secs = get_int(o, "eta", -1);
	a->count = (uint32_t)get_int(o, "count", 0);
	a->history_count = 0;
	if (json_object_object_get_ex(o, "history", &history) &&
	    json_object_is_type(history, json_type_array)) {
		size_t n = json_object_array_length(history);

		for (size_t i = 0; i < n && i < ALERT_HISTORY_MAX; i++) {
			v = json_object_array_get_idx(history, i);
			a->history[a->history_count++] =
				v ? json_object_get_double(v) : NAN;
		}
	}
}

int message_from_json(const char *text, size_t length,
		      struct alert_message *message)
{
	json_tokener *tokener = json_tokener_new();
	json_object *root, *alerts;
	char channel[32];
	int id;

	if (tokener == NULL)
		return -ENOMEM;
	root = json_tokener_parse_ex(tokener, text, (int)length);
	json_tokener_free(tokener);
	if (root == NULL || !json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return -EINVAL;
	}
	memset(message, 0, sizeof(*message));
	get_string(root, "channel", channel, sizeof(channel));
	id = channel_from_name(channel);
	if (id < 0 || !json_object_object_get_ex(root, "alerts", &alerts) ||
	    !json_object_is_type(alerts, json_type_array)) {
		json_object_put(root);
		return -EINVAL;
	}
	message->channel = (enum channel_id)id;
	message->id = (uint64_t)get_int(root, "id", 0);
	message->created_usec = (uint64_t)get_int(root, "created", 0);
	get_string(root, "host", message->host, sizeof(message->host));
	get_string(root, "agent_id", message->agent_id,
		   sizeof(message->agent_id));
	get_string(root, "agent_labels", message->agent_labels,
		   sizeof(message->agent_labels));
	for (size_t i = 0; i < json_object_array_length(alerts) &&
			   message->alert_count < MESSAGE_ALERTS_MAX; i++) {
		json_object *a = json_object_array_get_idx(alerts, i);

		if (a == NULL || !json_object_is_type(a, json_type_object))
			continue;
		message_snapshot_from_json(a, &message->alerts[message->alert_count++]);
	}
	message->deferred_count = (uint32_t)get_int(root, "deferred_count", 0);
	json_object_put(root);
	return 0;
}

void message_add_history_json(struct json_object *o,
			      const struct alert_snapshot *a)
{
	json_object *history = json_object_new_array();

	for (uint32_t i = 0; i < a->history_count; i++)
		json_object_array_add(history,
				      isfinite(a->history[i])
					      ? json_object_new_double(a->history[i])
					      : NULL);
	json_object_object_add(o, "history", history);
}
