/*
 * pipeline_state.c - the pipeline's table as JSON text and back: every alert
 * with what each channel is still owed and has been told, and the channels'
 * rate-limit clocks. The alerter writes it after every change that sent
 * something and at least once a second while dirty, so a restart resumes
 * where the last run stood (and the alerter's journal replays the rest).
 */
#include "alerter/pipeline_internal.h"

#include <errno.h>
#include <json-c/json.h>
#include <string.h>

#include "alerter/json_text.h"
#include "core/util.h"

#define STATE_VERSION 1

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

/* true only: add_bool left false out. */
static void put_bool(struct json_text *t, const char *key, bool value)
{
	if (!value)
		return; /* false is left out */
	json_text_key(t, key);
	json_text_bool(t, true);
}

static void record_write(struct json_text *t, const struct alert_record *r)
{
	json_text_open(t, '{');
	json_text_key(t, "snap");
	message_snapshot_write(t, &r->snap);
	json_text_member_int(t, "nature", r->nature);
	put_bool(t, "firing", r->firing);
	put_bool(t, "notified", r->notified);
	put_bool(t, "pending", r->pending);
	put_bool(t, "flapping", r->flapping);
	put_bool(t, "silenced", r->silenced);
	put_bool(t, "incident_sent", r->incident_sent);
	json_text_member_int(t, "pending_kind", r->pending_kind);
	json_text_member_int(t, "notified_severity", r->notified_severity);
	json_text_member_int(t, "last_notified",
			     (int64_t)r->last_notified_usec);
	json_text_member_int(t, "last_seen", (int64_t)r->last_seen_usec);
	json_text_member_int(t, "changed", (int64_t)r->changed_usec);
	json_text_member_int(t, "repeats", r->repeats);
	json_text_key(t, "channels");
	json_text_open(t, '{');
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		if (r->owed[c] == OWED_NONE && !r->told[c])
			continue;
		json_text_key(t, channel_name((enum channel_id)c));
		json_text_open(t, '{');
		json_text_member_int(t, "owed", r->owed[c]);
		json_text_member_int(t, "kind", r->owed_kind[c]);
		put_bool(t, "told", r->told[c]);
		json_text_close(t, '}');
	}
	json_text_close(t, '}');
	json_text_key(t, "fired");
	json_text_open(t, '{');
	json_text_member_int(t, "severity", r->fired.severity);
	if (r->fired.value == r->fired.value) { /* not NAN */
		json_text_key(t, "value");
		json_text_double(t, r->fired.value);
	}
	json_text_key(t, "summary");
	json_text_string(t, r->fired.summary);
	json_text_close(t, '}');
	json_text_close(t, '}');
}

/*
 * Written straight as text: json-c's objects for a full table cost ~375,000
 * instructions an alert. The bytes are those json-c's plain printer gave
 * (tests/unit/test_pipeline.c holds a table's text from it), so every state
 * file loads in either version.
 */
int pipeline_save_text(struct pipeline *p, uint64_t spool_through,
		       struct json_text *t)
{
	json_text_reset(t);
	json_text_open(t, '{');
	json_text_member_int(t, "version", STATE_VERSION);
	json_text_member_int(t, "group_open", (int64_t)p->group_open_usec);
	json_text_member_int(t, "group_last", (int64_t)p->group_last_usec);
	put_bool(t, "group_critical", p->group_critical);
	json_text_key(t, "limits");
	json_text_open(t, '{');
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		const struct channel_limit *l = &p->limits[c];

		if (l->last_sent_usec == 0 && l->hour_start_usec == 0)
			continue;
		json_text_key(t, channel_name((enum channel_id)c));
		json_text_open(t, '{');
		json_text_member_int(t, "last_sent",
				     (int64_t)l->last_sent_usec);
		json_text_member_int(t, "hour_start",
				     (int64_t)l->hour_start_usec);
		json_text_member_int(t, "hour_alerts", (int64_t)l->hour_alerts);
		json_text_member_int(t, "waiting_said",
				     (int64_t)l->waiting_said_usec);
		json_text_close(t, '}');
	}
	json_text_close(t, '}');
	json_text_key(t, "alerts");
	json_text_open(t, '[');
	for (size_t i = 0; i < p->capacity; i++)
		if (p->hashes[i] != 0) {
			json_text_item(t);
			record_write(t, &p->records[i]);
		}
	json_text_close(t, ']');
	json_text_member_int(t, "spool_through", (int64_t)spool_through);
	json_text_close(t, '}');
	if (t->failed)
		return -ENOMEM;
	p->dirty = false;
	return 0;
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
