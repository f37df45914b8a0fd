/*
 * pipeline.c - alert identity, firing/resolved, dedup, flapping, grouping,
 * silences, per-channel min_severity and rate limits. Pure state: the clock
 * comes in as an argument and messages leave through a callback, so every
 * rule here is unit-tested with a simulated clock.
 */
#include "alerter/pipeline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define FLAP_TOGGLES_KEPT 16
#define HOUR_USEC (3600 * USEC_PER_SEC)

struct alert_record {
	bool in_use;
	bool firing;
	bool notified;          /* the current incident reached the channels */
	bool pending;           /* waiting in the open group */
	bool flapping;
	bool silenced;          /* last notification was silenced */
	enum alert_kind pending_kind;
	enum alert_severity notified_severity;
	uint64_t hash;
	uint64_t last_notified_usec;
	uint64_t changed_usec;  /* pipeline clock of the last toggle */
	uint64_t toggles[FLAP_TOGGLES_KEPT];
	unsigned toggle_next;
	struct alert_snapshot snap;
};

struct channel_limit {
	uint64_t last_sent_usec;
	uint64_t hour_start_usec;
	uint64_t hour_alerts;
	uint32_t held_count;
	char held[MESSAGE_SUPPRESSED_MAX];
};

struct pipeline {
	struct pipeline_settings settings;
	pipeline_emit_fn *emit;
	pipeline_history_fn *history;
	void *context;
	bool maintenance;
	uint64_t group_open_usec;  /* 0: no group waiting */
	uint64_t now_usec;
	struct pipeline_stats stats;
	struct channel_limit limits[CHANNEL_COUNT];
	struct alert_message message; /* built here, handed to emit */
	struct alert_record **pending; /* capacity slots, for flush_group */
	size_t capacity;
	struct alert_record records[];
};

struct pipeline *pipeline_new(size_t capacity, pipeline_emit_fn *emit,
			      pipeline_history_fn *history, void *context)
{
	struct pipeline *p;

	p = calloc(1, sizeof(*p) + capacity * sizeof(p->records[0]));
	if (p == NULL)
		return NULL;
	p->pending = calloc(capacity ? capacity : 1, sizeof(*p->pending));
	if (p->pending == NULL) {
		free(p);
		return NULL;
	}
	p->capacity = capacity;
	p->emit = emit;
	p->history = history;
	p->context = context;
	return p;
}

void pipeline_free(struct pipeline *pipeline)
{
	if (pipeline != NULL)
		free(pipeline->pending);
	free(pipeline);
}

void pipeline_configure(struct pipeline *pipeline,
			const struct pipeline_settings *settings)
{
	pipeline->settings = *settings;
}

void pipeline_settings_from_config(const struct config *config,
				   const char *host,
				   struct pipeline_settings *s)
{
	const struct alerting_config *a = &config->alerting;
	const struct alerting_channel_config *channels[CHANNEL_COUNT] = {
		&a->console, &a->webhook, &a->slack, &a->discord, &a->telegram,
		&a->email, &a->alertmanager,
	};

	memset(s, 0, sizeof(*s));
	string_copy(s->host, host, sizeof(s->host));
	s->send_resolved = a->send_resolved;
	s->repeat_usec = (uint64_t)a->repeat_interval_secs * USEC_PER_SEC;
	s->group_wait_usec = (uint64_t)a->group_wait_secs * USEC_PER_SEC;
	s->flap_window_usec = (uint64_t)a->flap_window_secs * USEC_PER_SEC;
	s->flap_max_toggles = (unsigned)a->flap_max_toggles;
	s->min_interval_usec =
		(uint64_t)a->rate_limit.min_interval_secs * USEC_PER_SEC;
	s->max_alerts_per_hour = (uint64_t)a->rate_limit.max_alerts_per_hour;
	for (int c = 0; c < CHANNEL_COUNT; c++)
		s->channel_min_severity[c] =
			event_severity_from_name(channels[c]->min_severity,
						 ALERT_INFO);
	s->silences = a->silence;
	s->silence_count = a->silence_count;
}

void pipeline_set_maintenance(struct pipeline *pipeline, bool on)
{
	pipeline->maintenance = on;
}

const struct pipeline_stats *pipeline_stats(const struct pipeline *pipeline)
{
	return &pipeline->stats;
}

static uint64_t hash_identity(const char *rule, const char *series,
			      const char *labels)
{
	const char *parts[3] = { rule, series, labels };
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < 3; i++) {
		for (const char *s = parts[i]; *s; s++)
			h = (h ^ (unsigned char)*s) * 1099511628211ULL;
		h = (h ^ 0x1f) * 1099511628211ULL;
	}
	return h;
}

static void history(struct pipeline *p, const char *what,
		    const struct alert_snapshot *alert, const char *note)
{
	if (p->history != NULL)
		p->history(p->context, p->now_usec, what, alert, note);
}

static struct alert_record *find_record(struct pipeline *p, uint64_t hash,
					const char *rule, const char *series,
					const char *labels)
{
	for (size_t i = 0; i < p->capacity; i++) {
		struct alert_record *r = &p->records[i];

		if (r->in_use && r->hash == hash &&
		    strcmp(r->snap.rule, rule) == 0 &&
		    strcmp(r->snap.series, series) == 0 &&
		    strcmp(r->snap.labels, labels) == 0)
			return r;
	}
	return NULL;
}

/* A free slot, else the alert that cleared longest ago. */
static struct alert_record *allocate_record(struct pipeline *p)
{
	struct alert_record *oldest = NULL;

	for (size_t i = 0; i < p->capacity; i++) {
		struct alert_record *r = &p->records[i];

		if (!r->in_use)
			return r;
		if (r->firing || r->pending || r->flapping)
			continue;
		if (oldest == NULL || r->changed_usec < oldest->changed_usec)
			oldest = r;
	}
	return oldest;
}

static bool is_silenced(struct pipeline *p, const struct alert_record *r,
			const char **why)
{
	if (p->maintenance) {
		*why = "maintenance";
		return true;
	}
	for (size_t i = 0; i < p->settings.silence_count; i++) {
		const struct alerting_silence_config *s = &p->settings.silences[i];

		if (silence_matches(s, r->snap.rule, r->snap.severity,
				    r->snap.labels, p->now_usec)) {
			*why = s->name ? s->name : "silence";
			return true;
		}
	}
	return false;
}

static void notify(struct pipeline *p, struct alert_record *r,
		   enum alert_kind kind)
{
	const char *why = NULL;

	if (is_silenced(p, r, &why)) {
		if (!r->silenced) {
			p->stats.silenced++;
			history(p, "silenced", &r->snap, why);
		}
		r->silenced = true;
		/* Still firing when the silence ends: announced then. */
		r->notified = false;
		r->pending = false;
		return;
	}
	r->silenced = false;
	r->pending = true;
	r->pending_kind = kind;
	if (p->group_open_usec == 0)
		p->group_open_usec = p->now_usec;
}

static unsigned toggles_in_window(const struct alert_record *r, uint64_t now,
				  uint64_t window)
{
	unsigned count = 0;

	for (unsigned i = 0; i < FLAP_TOGGLES_KEPT; i++)
		if (r->toggles[i] != 0 && r->toggles[i] + window > now)
			count++;
	return count;
}

/* Records a state change; true when the alert is (now) flapping. */
static bool toggle(struct pipeline *p, struct alert_record *r)
{
	r->changed_usec = p->now_usec;
	r->toggles[r->toggle_next++ % FLAP_TOGGLES_KEPT] = p->now_usec;
	if (r->flapping)
		return true;
	if (toggles_in_window(r, p->now_usec, p->settings.flap_window_usec) <=
	    p->settings.flap_max_toggles)
		return false;
	r->flapping = true;
	p->stats.flapping++;
	history(p, "flapping", &r->snap, NULL);
	notify(p, r, ALERT_KIND_FLAPPING);
	return true;
}

static void copy_event(struct alert_record *r, const struct alert_event *e)
{
	struct alert_snapshot *a = &r->snap;

	string_copy(a->summary, e->summary, sizeof(a->summary));
	string_copy(a->detail, e->detail ? e->detail : "", sizeof(a->detail));
	if (e->firing)
		a->severity = e->severity;
	a->value = e->value;
	a->baseline = e->baseline;
	a->threshold = e->threshold;
	a->score = e->score;
	a->eta_secs = e->eta_secs;
	a->count = e->count;
	if (e->history != NULL && e->history_count > 0) {
		uint32_t n = e->history_count < ALERT_HISTORY_MAX
				     ? e->history_count
				     : ALERT_HISTORY_MAX;

		/* The newest points, oldest first. */
		memcpy(a->history, e->history + (e->history_count - n),
		       n * sizeof(double));
		a->history_count = n;
	}
}

static void hold_everywhere(struct pipeline *p, const struct alert_snapshot *a)
{
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		if (!p->settings.channel_active[c])
			continue;
		p->limits[c].held_count++;
		suppressed_append(p->limits[c].held,
				  sizeof(p->limits[c].held), a);
	}
}

int pipeline_submit(struct pipeline *p, const struct alert_event *e,
		    uint64_t now_usec)
{
	const char *series, *labels;
	struct alert_record *r;
	uint64_t hash, observed;

	if (e == NULL || e->rule == NULL || e->rule[0] == '\0' ||
	    e->summary == NULL)
		return -EINVAL;
	p->now_usec = now_usec;
	series = e->series ? e->series : "";
	labels = e->labels ? e->labels : "";
	observed = e->time_usec ? e->time_usec : now_usec;
	p->stats.events++;
	hash = hash_identity(e->rule, series, labels);
	r = find_record(p, hash, e->rule, series, labels);
	if (r == NULL) {
		struct alert_snapshot scratch = { .kind = ALERT_KIND_NEW };

		string_copy(scratch.rule, e->rule, sizeof(scratch.rule));
		string_copy(scratch.series, series, sizeof(scratch.series));
		string_copy(scratch.labels, labels, sizeof(scratch.labels));
		string_copy(scratch.summary, e->summary,
			    sizeof(scratch.summary));
		scratch.severity = e->severity;
		scratch.firing = e->firing;
		if (!e->firing) {
			history(p, "resolved", &scratch, "not firing here");
			return 0;
		}
		r = allocate_record(p);
		if (r == NULL) {
			/* Never silent: counted and summarised. */
			p->stats.table_full++;
			history(p, "firing", &scratch, "alert table full");
			hold_everywhere(p, &scratch);
			return 0;
		}
		memset(r, 0, sizeof(*r));
		r->in_use = true;
		r->hash = hash;
		r->snap = scratch;
		r->snap.firing = false;
	}
	copy_event(r, e);
	if (e->firing) {
		if (!r->firing) {
			r->firing = r->snap.firing = true;
			r->snap.started_usec = observed;
			r->snap.ended_usec = 0;
			history(p, "firing", &r->snap, NULL);
			if (!toggle(p, r))
				notify(p, r, ALERT_KIND_NEW);
			return 0;
		}
		history(p, "firing", &r->snap, "still firing");
		if (r->flapping)
			return 0;
		if (r->notified && r->snap.severity > r->notified_severity)
			notify(p, r, ALERT_KIND_ESCALATED);
		else if (!r->notified && !r->pending)
			notify(p, r, ALERT_KIND_NEW);
		return 0;
	}
	if (!r->firing) {
		history(p, "resolved", &r->snap, "already resolved");
		return 0;
	}
	r->firing = r->snap.firing = false;
	r->snap.ended_usec = observed;
	history(p, "resolved", &r->snap, NULL);
	if (toggle(p, r))
		return 0;
	if (r->pending && !r->notified) {
		/* Cleared within group_wait_secs: a blip, kept in history. */
		r->pending = false;
		history(p, "dropped", &r->snap, "cleared before it was sent");
		return 0;
	}
	if (r->notified && p->settings.send_resolved)
		notify(p, r, ALERT_KIND_RESOLVED);
	else
		r->pending = false;
	r->notified = false;
	return 0;
}

static bool rate_limited_channel(int channel)
{
	return channel != CHANNEL_CONSOLE && channel != CHANNEL_ALERTMANAGER;
}

static void roll_hour(struct channel_limit *l, uint64_t now)
{
	if (l->hour_start_usec == 0 || now >= l->hour_start_usec + HOUR_USEC) {
		l->hour_start_usec = now;
		l->hour_alerts = 0;
	}
}

static bool interval_open(const struct pipeline *p,
			  const struct channel_limit *l, uint64_t now)
{
	return l->last_sent_usec == 0 ||
	       now >= l->last_sent_usec + p->settings.min_interval_usec;
}

static void start_message(struct pipeline *p, int channel)
{
	struct alert_message *m = &p->message;

	m->id = 0;
	m->channel = (enum channel_id)channel;
	m->created_usec = p->now_usec;
	string_copy(m->host, p->settings.host, sizeof(m->host));
	m->alert_count = 0;
	m->suppressed_count = 0;
	m->suppressed[0] = '\0';
}

static void send_message(struct pipeline *p, int channel,
			 struct channel_limit *l)
{
	struct alert_message *m = &p->message;

	m->suppressed_count += l->held_count;
	if (l->held[0] != '\0') {
		char extra[MESSAGE_SUPPRESSED_MAX];

		string_copy(extra, m->suppressed, sizeof(extra));
		string_copy(m->suppressed, l->held, sizeof(m->suppressed));
		if (extra[0] != '\0' &&
		    strlen(m->suppressed) + strlen(extra) + 3 <
			    sizeof(m->suppressed)) {
			strcat(m->suppressed, ", ");
			strcat(m->suppressed, extra);
		}
	}
	l->held_count = 0;
	l->held[0] = '\0';
	l->last_sent_usec = p->now_usec;
	l->hour_alerts += m->alert_count;
	p->stats.messages++;
	p->stats.alerts_sent += m->alert_count;
	(void)channel;
	p->emit(p->context, m);
}

static int compare_severity(const void *a, const void *b)
{
	const struct alert_record *const *x = a, *const *y = b;

	if ((*x)->snap.severity != (*y)->snap.severity)
		return (*x)->snap.severity > (*y)->snap.severity ? -1 : 1;
	return (*x)->snap.started_usec < (*y)->snap.started_usec ? -1
	       : (*x)->snap.started_usec > (*y)->snap.started_usec;
}

static void flush_channel(struct pipeline *p, int channel,
			  struct alert_record **pending, size_t count)
{
	struct channel_limit *l = &p->limits[channel];
	enum alert_severity floor = p->settings.channel_min_severity[channel];
	bool limited = rate_limited_channel(channel);
	uint64_t budget = UINT64_MAX;
	size_t eligible = 0;

	for (size_t i = 0; i < count; i++)
		eligible += pending[i]->snap.severity >= floor;
	if (eligible == 0)
		return;
	if (limited) {
		roll_hour(l, p->now_usec);
		budget = p->settings.max_alerts_per_hour > l->hour_alerts
				 ? p->settings.max_alerts_per_hour -
					   l->hour_alerts
				 : 0;
		if (!interval_open(p, l, p->now_usec) || budget == 0) {
			for (size_t i = 0; i < count; i++) {
				if (pending[i]->snap.severity < floor)
					continue;
				l->held_count++;
				p->stats.held++;
				suppressed_append(l->held, sizeof(l->held),
						  &pending[i]->snap);
			}
			return;
		}
	}
	start_message(p, channel);
	for (size_t i = 0; i < count; i++) {
		struct alert_snapshot *a;

		if (pending[i]->snap.severity < floor)
			continue;
		if (p->message.alert_count >= MESSAGE_ALERTS_MAX ||
		    budget == 0) {
			p->message.suppressed_count++;
			p->stats.held++;
			suppressed_append(p->message.suppressed,
					  sizeof(p->message.suppressed),
					  &pending[i]->snap);
			continue;
		}
		a = &p->message.alerts[p->message.alert_count++];
		*a = pending[i]->snap;
		a->kind = pending[i]->pending_kind;
		budget--;
	}
	send_message(p, channel, l);
}

static void flush_group(struct pipeline *p)
{
	struct alert_record **pending = p->pending;
	size_t count = 0;

	p->group_open_usec = 0;
	for (size_t i = 0; i < p->capacity; i++)
		if (p->records[i].in_use && p->records[i].pending)
			pending[count++] = &p->records[i];
	qsort(pending, count, sizeof(*pending), compare_severity);
	for (int c = 0; c < CHANNEL_COUNT && count > 0; c++)
		if (p->settings.channel_active[c])
			flush_channel(p, c, pending, count);
	for (size_t i = 0; i < count; i++) {
		struct alert_record *r = pending[i];

		r->pending = false;
		if (r->pending_kind == ALERT_KIND_RESOLVED) {
			r->notified = false;
			continue;
		}
		r->notified = true;
		r->notified_severity = r->snap.severity;
		r->last_notified_usec = p->now_usec;
	}
}

/* A summary of held-back alerts once the channel may speak again. */
static void flush_held(struct pipeline *p)
{
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		struct channel_limit *l = &p->limits[c];

		if (!p->settings.channel_active[c] || l->held_count == 0 ||
		    !interval_open(p, l, p->now_usec))
			continue;
		start_message(p, c);
		send_message(p, c, l);
	}
}

static void end_flapping(struct pipeline *p, struct alert_record *r)
{
	r->flapping = false;
	history(p, r->firing ? "firing" : "resolved", &r->snap,
		"stopped flapping");
	if (r->firing)
		notify(p, r, ALERT_KIND_NEW);
	else if (p->settings.send_resolved)
		notify(p, r, ALERT_KIND_RESOLVED);
	else
		r->notified = false;
}

void pipeline_tick(struct pipeline *p, uint64_t now_usec)
{
	p->now_usec = now_usec;
	for (size_t i = 0; i < p->capacity; i++) {
		struct alert_record *r = &p->records[i];

		if (!r->in_use || r->pending)
			continue;
		if (r->flapping) {
			if (now_usec >= r->changed_usec +
						p->settings.flap_window_usec)
				end_flapping(p, r);
			continue;
		}
		if (!r->firing)
			continue;
		if (!r->notified)
			notify(p, r, ALERT_KIND_NEW);
		else if (now_usec >= r->last_notified_usec +
					     p->settings.repeat_usec)
			notify(p, r, ALERT_KIND_REPEAT);
	}
	if (p->group_open_usec != 0 &&
	    now_usec >= p->group_open_usec + p->settings.group_wait_usec)
		flush_group(p);
	if (p->group_open_usec == 0)
		flush_held(p);
}

void pipeline_flush(struct pipeline *p, uint64_t now_usec)
{
	p->now_usec = now_usec;
	if (p->group_open_usec != 0)
		flush_group(p);
}

uint64_t pipeline_next_deadline(const struct pipeline *p)
{
	return p->group_open_usec ? p->group_open_usec +
					    p->settings.group_wait_usec
				  : 0;
}

size_t pipeline_firing(const struct pipeline *p, struct alert_snapshot *out,
		       size_t max)
{
	size_t count = 0;

	for (int severity = ALERT_CRITICAL; severity >= ALERT_INFO; severity--)
		for (size_t i = 0; i < p->capacity && count < max; i++) {
			const struct alert_record *r = &p->records[i];

			if (r->in_use && r->firing && !r->silenced &&
			    (int)r->snap.severity == severity) {
				out[count] = r->snap;
				out[count].kind = ALERT_KIND_REPEAT;
				count++;
			}
		}
	return count;
}
