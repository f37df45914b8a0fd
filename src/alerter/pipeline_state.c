/*
 * pipeline_state.c - the pipeline's table as JSON and back: every alert
 * with what each channel is still owed and has been told, and the channels'
 * rate-limit clocks. The alerter writes it after every change that sent
 * something and at least once a second while dirty, so a restart resumes
 * where the last run stood (and the alerter's journal replays the rest).
 */
#include "alerter/pipeline_internal.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "core/util.h"

#define STATE_VERSION 1

static void add_int(json_object *o, const char *key, int64_t value)
{
	json_object_object_add(o, key, json_object_new_int64(value));
}

static void add_bool(json_object *o, const char *key, bool value)
{
	if (value)
		json_object_object_add(o, key, json_object_new_boolean(true));
}

static int64_t get_int(json_object *o, const char *key, int64_t fallback)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    (!json_object_is_type(v, json_type_int) &&
	     !json_object_is_type(v, json_type_double)))
		return fallback;
	return json_object_get_int64(v);
}

static bool get_bool(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       json_object_get_boolean(v);
}

static json_object *record_to_json(const struct alert_record *r)
{
	json_object *o = json_object_new_object(), *owed, *fired;

	json_object_object_add(o, "snap", message_snapshot_to_json(&r->snap));
	add_int(o, "nature", r->nature);
	add_bool(o, "firing", r->firing);
	add_bool(o, "notified", r->notified);
	add_bool(o, "pending", r->pending);
	add_bool(o, "flapping", r->flapping);
	add_bool(o, "silenced", r->silenced);
	add_bool(o, "incident_sent", r->incident_sent);
	add_int(o, "pending_kind", r->pending_kind);
	add_int(o, "notified_severity", r->notified_severity);
	add_int(o, "last_notified", (int64_t)r->last_notified_usec);
	add_int(o, "last_seen", (int64_t)r->last_seen_usec);
	add_int(o, "changed", (int64_t)r->changed_usec);
	add_int(o, "repeats", r->repeats);
	owed = json_object_new_object();
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		json_object *entry;

		if (r->owed[c] == OWED_NONE && !r->told[c])
			continue;
		entry = json_object_new_object();
		add_int(entry, "owed", r->owed[c]);
		add_int(entry, "kind", r->owed_kind[c]);
		add_bool(entry, "told", r->told[c]);
		json_object_object_add(owed, channel_name((enum channel_id)c),
				       entry);
	}
	json_object_object_add(o, "channels", owed);
	fired = json_object_new_object();
	add_int(fired, "severity", r->fired.severity);
	if (r->fired.value == r->fired.value) /* not NAN */
		json_object_object_add(fired, "value",
				       json_object_new_double(r->fired.value));
	json_object_object_add(fired, "summary",
			       json_object_new_string(r->fired.summary));
	json_object_object_add(o, "fired", fired);
	return o;
}

json_object *pipeline_save(struct pipeline *p)
{
	json_object *root = json_object_new_object(), *alerts, *limits;

	add_int(root, "version", STATE_VERSION);
	add_int(root, "group_open", (int64_t)p->group_open_usec);
	add_int(root, "group_last", (int64_t)p->group_last_usec);
	add_bool(root, "group_critical", p->group_critical);
	limits = json_object_new_object();
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		const struct channel_limit *l = &p->limits[c];
		json_object *o;

		if (l->last_sent_usec == 0 && l->hour_start_usec == 0)
			continue;
		o = json_object_new_object();
		add_int(o, "last_sent", (int64_t)l->last_sent_usec);
		add_int(o, "hour_start", (int64_t)l->hour_start_usec);
		add_int(o, "hour_alerts", (int64_t)l->hour_alerts);
		add_int(o, "waiting_said", (int64_t)l->waiting_said_usec);
		json_object_object_add(limits, channel_name((enum channel_id)c),
				       o);
	}
	json_object_object_add(root, "limits", limits);
	alerts = json_object_new_array();
	for (size_t i = 0; i < p->capacity; i++)
		if (p->hashes[i] != 0)
			json_object_array_add(alerts,
					      record_to_json(&p->records[i]));
	json_object_object_add(root, "alerts", alerts);
	p->dirty = false;
	return root;
}

static void record_from_json(json_object *o, struct alert_record *r)
{
	json_object *v, *channels;

	memset(r, 0, sizeof(*r));
	if (json_object_object_get_ex(o, "snap", &v))
		message_snapshot_from_json(v, &r->snap);
	r->nature = (enum alert_nature)get_int(o, "nature", ALERT_METRIC);
	r->firing = get_bool(o, "firing");
	r->snap.firing = r->firing;
	r->notified = get_bool(o, "notified");
	r->pending = get_bool(o, "pending");
	r->flapping = get_bool(o, "flapping");
	r->silenced = get_bool(o, "silenced");
	r->incident_sent = get_bool(o, "incident_sent");
	r->pending_kind = (enum alert_kind)get_int(o, "pending_kind", 0);
	r->notified_severity =
		(enum alert_severity)get_int(o, "notified_severity", 0);
	r->last_notified_usec = (uint64_t)get_int(o, "last_notified", 0);
	r->last_seen_usec = (uint64_t)get_int(o, "last_seen", 0);
	r->changed_usec = (uint64_t)get_int(o, "changed", 0);
	r->repeats = (uint32_t)get_int(o, "repeats", 0);
	if (json_object_object_get_ex(o, "channels", &channels)) {
		json_object_object_foreach(channels, name, entry) {
			int c = channel_from_name(name);

			if (c < 0)
				continue;
			r->owed[c] = (uint8_t)get_int(entry, "owed", OWED_NONE);
			r->owed_kind[c] = (uint8_t)get_int(entry, "kind", 0);
			r->told[c] = get_bool(entry, "told");
			if (r->owed[c] > OWED_BOTH)
				r->owed[c] = OWED_NONE;
		}
	}
	if (json_object_object_get_ex(o, "fired", &v)) {
		json_object *value;

		r->fired.severity =
			(enum alert_severity)get_int(v, "severity", 0);
		r->fired.value = json_object_object_get_ex(v, "value", &value)
					 ? json_object_get_double(value)
					 : r->snap.value;
		if (json_object_object_get_ex(v, "summary", &value))
			string_copy(r->fired.summary,
				    json_object_get_string(value),
				    sizeof(r->fired.summary));
	}
}

int pipeline_restore(struct pipeline *p, json_object *state)
{
	json_object *alerts, *limits;
	size_t slot = 0;

	if (state == NULL || get_int(state, "version", 0) != STATE_VERSION ||
	    !json_object_object_get_ex(state, "alerts", &alerts) ||
	    !json_object_is_type(alerts, json_type_array))
		return -EINVAL;
	/* Live records only: free ones stay untouched (not resident). */
	for (size_t i = 0; i < p->capacity; i++)
		if (p->hashes[i] != 0)
			p->records[i].in_use = false;
	memset(p->hashes, 0, p->capacity * sizeof(*p->hashes));
	p->group_open_usec = (uint64_t)get_int(state, "group_open", 0);
	p->group_last_usec = (uint64_t)get_int(state, "group_last",
					       (int64_t)p->group_open_usec);
	p->group_critical = get_bool(state, "group_critical");
	if (json_object_object_get_ex(state, "limits", &limits)) {
		json_object_object_foreach(limits, name, o) {
			int c = channel_from_name(name);

			if (c < 0)
				continue;
			p->limits[c].last_sent_usec =
				(uint64_t)get_int(o, "last_sent", 0);
			p->limits[c].hour_start_usec =
				(uint64_t)get_int(o, "hour_start", 0);
			p->limits[c].hour_alerts =
				(uint64_t)get_int(o, "hour_alerts", 0);
			p->limits[c].waiting_said_usec =
				(uint64_t)get_int(o, "waiting_said", 0);
		}
	}
	for (size_t i = 0; i < json_object_array_length(alerts) &&
			   slot < p->capacity;
	     i++) {
		struct alert_record *r = &p->records[slot];
		const struct alert_snapshot *a;

		record_from_json(json_object_array_get_idx(alerts, i), r);
		a = &r->snap;
		if (a->rule[0] == '\0')
			continue;
		r->hash = pipeline_identity_hash(a->rule, a->series, a->labels);
		r->in_use = true;
		p->hashes[slot++] = r->hash;
		if (r->pending && p->group_open_usec == 0)
			p->group_open_usec = r->last_seen_usec;
	}
	p->dirty = false;
	return (int)slot;
}
