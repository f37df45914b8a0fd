/*
 * pipeline.c - alert identity, firing/resolved, dedup, flapping, grouping,
 * silences, per-channel min_severity and rate limits. Pure state: the clock
 * comes in as an argument and messages leave through a callback, so every
 * rule here is unit-tested with a simulated clock.
 *
 * Nothing is dropped to keep a limit. The table evicts what is over first
 * (resolved, then point events already told), and only then the oldest live
 * info and warning alerts, counted; a critical always gets a slot. A channel
 * under its rate limit keeps what it is owed and pays it in full, most
 * severe first, as soon as the limit allows.
 */
#include "alerter/pipeline_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"
#include "alerter/matcher.h"
#include "core/util.h"

#define HOUR_USEC (3600 * USEC_PER_SEC)
/*
 * Group wait applies to what arrives together: a group holding a critical
 * closes once nothing new joined it for this long (or at group_wait_secs,
 * whichever comes first), so a lone critical goes out within seconds while
 * a burst still goes out as one message.
 */
#define GROUP_SETTLE_USEC (3 * USEC_PER_SEC)

struct pipeline *pipeline_new(size_t capacity, pipeline_emit_fn *emit,
			      pipeline_history_fn *history, void *context)
{
	struct pipeline *p;

	if (capacity == 0)
		capacity = 1;
	/* calloc of this size is an mmap: slots are resident once used. */
	p = calloc(1, sizeof(*p) + capacity * sizeof(p->records[0]));
	if (p == NULL)
		return NULL;
	p->scratch = calloc(capacity, sizeof(*p->scratch));
	p->hashes = calloc(capacity, sizeof(*p->hashes));
	if (p->scratch == NULL || p->hashes == NULL) {
		pipeline_free(p);
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
	if (pipeline == NULL)
		return;
	free(pipeline->scratch);
	free(pipeline->hashes);
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
	memset(s, 0, sizeof(*s));
	string_copy(s->host, host, sizeof(s->host));
	identity_labels_text(&config->agent.labels, s->agent_labels,
			     sizeof(s->agent_labels));
	s->send_resolved = a->send_resolved;
	s->repeat_usec = (uint64_t)a->repeat_interval_secs * USEC_PER_SEC;
	s->group_wait_usec = (uint64_t)a->group_wait_secs * USEC_PER_SEC;
	s->flap_window_usec = (uint64_t)a->flap_window_secs * USEC_PER_SEC;
	s->flap_max_toggles = (unsigned)a->flap_max_toggles;
	s->min_interval_usec =
		(uint64_t)a->rate_limit.min_interval_secs * USEC_PER_SEC;
	s->max_alerts_per_hour = (uint64_t)a->rate_limit.max_alerts_per_hour;
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		const struct alerting_channel_config *channel =
		    channel_config(a, (enum channel_id)c);

		s->channel_min_severity[c] =
		    event_severity_from_name(channel->min_severity, ALERT_INFO);
		s->channel_alerts_max[c] =
			channel_alerts_per_message((enum channel_id)c);
		if (channel_webhook_slot((enum channel_id)c) < 0)
			continue;
		if (channel->max_alerts_per_message > 0)
			s->channel_alerts_max[c] =
			    (size_t)channel->max_alerts_per_message;
		s->channel_matchers[c] = &channel->matchers;
		s->channel_own_rate[c] = channel->min_interval_secs >= 0 ||
					 channel->max_alerts_per_hour >= 0;
		s->channel_min_interval_usec[c] =
		    channel->min_interval_secs >= 0
			? (uint64_t)channel->min_interval_secs * USEC_PER_SEC
			: s->min_interval_usec;
		s->channel_max_alerts_per_hour[c] =
		    channel->max_alerts_per_hour >= 0
			? (uint64_t)channel->max_alerts_per_hour
			: s->max_alerts_per_hour;
	}
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

uint64_t pipeline_identity_hash(const char *rule, const char *series,
			       const char *labels)
{
	const char *parts[3] = { rule, series, labels };
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < 3; i++) {
		for (const char *s = parts[i]; *s; s++)
			h = (h ^ (unsigned char)*s) * 1099511628211ULL;
		h = (h ^ 0x1f) * 1099511628211ULL;
	}
	return h ? h : 1; /* 0 marks a free slot */
}

static void history(struct pipeline *p, const char *what,
		    const struct alert_snapshot *alert, const char *note)
{
	if (p->history != NULL)
		p->history(p->context, p->now_usec, what, alert, note);
}

static bool owes_any(const struct alert_record *r)
{
	for (int c = 0; c < CHANNEL_COUNT; c++)
		if (r->owed[c] != OWED_NONE)
			return true;
	return false;
}

static struct alert_record *find_record(struct pipeline *p, uint64_t hash,
					const char *rule, const char *series,
					const char *labels)
{
	for (size_t i = 0; i < p->capacity; i++) {
		struct alert_record *r;

		if (p->hashes[i] != hash)
			continue;
		r = &p->records[i];
		if (strcmp(r->snap.rule, rule) == 0 &&
		    strcmp(r->snap.series, series) == 0 &&
		    strcmp(r->snap.labels, labels) == 0)
			return r;
	}
	return NULL;
}

/*
 * Eviction ranks, lowest first; -1 never. Over and delivered comes first,
 * then point events already told everywhere (their dedup window is all
 * they still serve), then live alerts by severity: a critical may only push
 * out another critical, and only when nothing else is left.
 */
static int eviction_rank(const struct alert_record *r,
			 enum alert_severity incoming)
{
	bool busy = r->pending || owes_any(r);

	if (!r->firing && !busy && !r->flapping)
		return 0;
	if (r->nature == ALERT_POINT && !busy && !r->flapping)
		return 1;
	if (r->snap.severity != ALERT_CRITICAL || incoming == ALERT_CRITICAL)
		return 2 + (int)r->snap.severity;
	return -1;
}

static struct alert_record *allocate_record(struct pipeline *p,
					    const struct alert_snapshot *incoming)
{
	struct alert_record *victim = NULL;
	int victim_rank = 99;

	for (size_t i = 0; i < p->capacity; i++) {
		struct alert_record *r = &p->records[i];
		int rank;

		if (p->hashes[i] == 0)
			return r;
		rank = eviction_rank(r, incoming->severity);
		if (rank < 0 || rank > victim_rank)
			continue;
		if (rank < victim_rank || r->changed_usec < victim->changed_usec) {
			victim = r;
			victim_rank = rank;
		}
	}
	if (victim != NULL && victim_rank >= 2) {
		/* A live alert leaves: counted, and said in the history. */
		p->stats.evicted++;
		history(p, "evicted", &victim->snap,
			"alert table full; the alert is no longer tracked");
	}
	return victim;
}

static bool is_silenced(struct pipeline *p, const struct alert_record *r,
			const char **why)
{
	if (p->maintenance) {
		*why = "maintenance";
		return true;
	}
	char labels[ALERT_LABELS_MAX + IDENTITY_LABELS_TEXT_MAX + 2];

	/* A silence's label matches the alert's own or the [agent] labels. */
	snprintf(labels, sizeof(labels), "%s%s%s", r->snap.labels,
		 r->snap.labels[0] && p->settings.agent_labels[0] ? "," : "",
		 p->settings.agent_labels);
	for (size_t i = 0; i < p->settings.silence_count; i++) {
		const struct alerting_silence_config *s = &p->settings.silences[i];

		if (silence_matches(s, r->snap.rule, r->snap.severity, labels,
				    p->now_usec)) {
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

	p->dirty = true;
	/* A resolved for channels that had the firing is never silenced:
	 * the operator was told it started, so is told it ended. */
	if (kind != ALERT_KIND_RESOLVED && is_silenced(p, r, &why)) {
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
	if (p->group_open_usec == 0) {
		p->group_open_usec = p->now_usec;
		p->group_critical = false;
	}
	p->group_last_usec = p->now_usec;
	if (r->snap.severity == ALERT_CRITICAL && kind != ALERT_KIND_RESOLVED)
		p->group_critical = true;
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

static void remember_fired(struct alert_record *r)
{
	r->fired.severity = r->snap.severity;
	r->fired.value = r->snap.value;
	string_copy(r->fired.summary, r->snap.summary, sizeof(r->fired.summary));
}

/* A point event seen again: counted into the record, said at repeat time. */
static void point_again(struct pipeline *p, struct alert_record *r,
			const struct alert_event *e)
{
	uint32_t count = r->snap.count;

	copy_event(r, e);
	r->snap.count = count + (e->count ? e->count : 1);
	if (r->pending || r->flapping)
		return;
	if (!r->notified) {
		notify(p, r, ALERT_KIND_NEW);
		return;
	}
	r->repeats++;
	if (r->snap.severity > r->notified_severity)
		notify(p, r, ALERT_KIND_ESCALATED);
}

static struct alert_record *new_record(struct pipeline *p,
				       const struct alert_event *e,
				       uint64_t hash, const char *series,
				       const char *labels)
{
	struct alert_snapshot scratch = { .kind = ALERT_KIND_NEW };
	struct alert_record *r;
	size_t slot;

	string_copy(scratch.rule, e->rule, sizeof(scratch.rule));
	string_copy(scratch.series, series, sizeof(scratch.series));
	string_copy(scratch.labels, labels, sizeof(scratch.labels));
	string_copy(scratch.summary, e->summary, sizeof(scratch.summary));
	scratch.severity = e->severity;
	scratch.firing = e->firing;
	if (!e->firing) {
		history(p, "resolved", &scratch, "not firing here");
		return NULL;
	}
	r = allocate_record(p, &scratch);
	if (r == NULL) {
		/* Only when every slot holds a live critical and so does this
		 * event: the table is sized so this cannot happen in practice;
		 * should it, the operator still sees it in the history. */
		p->stats.evicted++;
		history(p, "firing", &scratch, "alert table full of criticals");
		return NULL;
	}
	slot = (size_t)(r - p->records);
	memset(r, 0, sizeof(*r));
	r->in_use = true;
	r->hash = hash;
	p->hashes[slot] = hash;
	r->nature = e->nature;
	r->snap = scratch;
	r->snap.firing = false;
	return r;
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
	p->dirty = true;
	series = e->series ? e->series : "";
	labels = e->labels ? e->labels : "";
	observed = e->time_usec ? e->time_usec : now_usec;
	p->stats.events++;
	hash = pipeline_identity_hash(e->rule, series, labels);
	r = find_record(p, hash, e->rule, series, labels);
	if (r == NULL) {
		r = new_record(p, e, hash, series, labels);
		if (r == NULL)
			return 0;
	}
	r->last_seen_usec = now_usec;
	if (e->firing && r->firing && r->nature == ALERT_POINT) {
		point_again(p, r, e);
		history(p, "firing", &r->snap, "seen again");
		return 0;
	}
	r->nature = e->nature;
	copy_event(r, e);
	if (e->firing) {
		if (!r->firing) {
			r->firing = r->snap.firing = true;
			/* When the condition began, not when it fired. */
			r->snap.started_usec =
			    e->since_usec != 0 && e->since_usec <= observed
				? e->since_usec
				: observed;
			r->snap.ended_usec = 0;
			r->repeats = 0;
			if (!r->flapping)
				r->incident_sent = false;
			remember_fired(r);
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
		else if (r->notified && e->renotify)
			notify(p, r, ALERT_KIND_REPEAT);
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
	if (r->pending && !r->notified && r->nature == ALERT_METRIC) {
		/* A metric that cleared within group_wait_secs: a blip, kept
		 * in the history. States and point events always go out. */
		r->pending = false;
		history(p, "dropped", &r->snap, "cleared before it was sent");
		return 0;
	}
	if (r->pending && !r->notified) {
		/* Fired and resolved inside the group: both go out. */
		r->pending_kind = ALERT_KIND_RESOLVED;
		r->notified = false;
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

/* A webhook instance may have its own rate limit. */
static uint64_t min_interval_of(const struct pipeline *p, int channel)
{
	return p->settings.channel_own_rate[channel]
		   ? p->settings.channel_min_interval_usec[channel]
		   : p->settings.min_interval_usec;
}

static uint64_t max_per_hour_of(const struct pipeline *p, int channel)
{
	return p->settings.channel_own_rate[channel]
		   ? p->settings.channel_max_alerts_per_hour[channel]
		   : p->settings.max_alerts_per_hour;
}

static bool interval_open(const struct pipeline *p, int channel,
			  uint64_t now)
{
	const struct channel_limit *l = &p->limits[channel];

	return !rate_limited_channel(channel) || l->last_sent_usec == 0 ||
	       now >= l->last_sent_usec + min_interval_of(p, channel);
}

/*
 * The group closes: every channel whose floor the alert passes is owed it.
 * A resolved is owed only where the firing went (or is still owed: then
 * the channel gets both, the firing first).
 */
static void owe(struct pipeline *p, struct alert_record *r, enum alert_kind kind,
		bool fired_untold)
{
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		if (!p->settings.channel_active[c] ||
		    r->snap.severity < p->settings.channel_min_severity[c])
			continue;
		/* A resolved goes where the firing went, matchers or not. */
		if (kind != ALERT_KIND_RESOLVED &&
		    !alert_matchers_pass(p->settings.channel_matchers[c],
					 r->snap.rule, r->snap.series,
					 r->snap.severity, r->snap.labels))
			continue;
		if (kind != ALERT_KIND_RESOLVED) {
			r->owed[c] = OWED_FIRING;
			r->owed_kind[c] = (uint8_t)kind;
			continue;
		}
		if (r->owed[c] == OWED_FIRING || fired_untold)
			r->owed[c] = OWED_BOTH;
		else if (r->told[c])
			r->owed[c] = OWED_RESOLVED;
	}
}

static uint64_t group_deadline(const struct pipeline *p)
{
	uint64_t deadline = p->group_open_usec + p->settings.group_wait_usec;

	if (p->group_critical && p->group_last_usec + GROUP_SETTLE_USEC < deadline)
		deadline = p->group_last_usec + GROUP_SETTLE_USEC;
	return deadline;
}

static void flush_group(struct pipeline *p)
{
	p->group_open_usec = 0;
	for (size_t i = 0; i < p->capacity; i++) {
		struct alert_record *r = &p->records[i];

		if (p->hashes[i] == 0 || !r->pending)
			continue;
		r->pending = false;
		if (r->pending_kind == ALERT_KIND_RESOLVED) {
			/* Fired and resolved inside the group: the firing
			 * never went anywhere, so both go. */
			bool untold = !r->incident_sent;

			if (p->settings.send_resolved)
				owe(p, r, ALERT_KIND_RESOLVED, untold);
			else if (untold) /* the firing at least */
				owe(p, r, ALERT_KIND_NEW, false);
			r->notified = false;
			continue;
		}
		owe(p, r, r->pending_kind, false);
		r->incident_sent = true;
		r->notified = true;
		r->repeats = 0;
		r->notified_severity = r->snap.severity;
		r->last_notified_usec = p->now_usec;
	}
}

static int compare_owed(const void *a, const void *b)
{
	const struct alert_record *const *x = a, *const *y = b;

	if ((*x)->snap.severity != (*y)->snap.severity)
		return (*x)->snap.severity > (*y)->snap.severity ? -1 : 1;
	return (*x)->snap.started_usec < (*y)->snap.started_usec ? -1
	       : (*x)->snap.started_usec > (*y)->snap.started_usec;
}

static void start_message(struct pipeline *p, int channel)
{
	struct alert_message *m = &p->message;

	m->id = 0;
	m->channel = (enum channel_id)channel;
	m->created_usec = p->now_usec;
	message_set_origin(m, p->settings.host, p->settings.agent_id,
			   p->settings.agent_labels);
	m->alert_count = 0;
	m->deferred_count = 0;
}

static void send_message(struct pipeline *p, int channel)
{
	struct alert_message *m = &p->message;
	struct channel_limit *l = &p->limits[channel];

	p->dirty = true; /* what was owed and the clocks changed */
	l->last_sent_usec = p->now_usec;
	l->hour_alerts += m->alert_count;
	p->stats.messages++;
	p->stats.alerts_sent += m->alert_count;
	if (m->deferred_count > 0)
		p->stats.deferred++;
	p->emit(p->context, m);
}

/* Entries an owed alert takes in a message. */
static size_t entries_of(const struct alert_record *r, int channel)
{
	return r->owed[channel] == OWED_BOTH ? 2 : 1;
}

static void add_entries(struct pipeline *p, struct alert_record *r,
			int channel)
{
	struct alert_message *m = &p->message;
	struct alert_snapshot *a;

	if (r->owed[channel] == OWED_BOTH) {
		/* The firing as it was when it fired, then the resolved. */
		a = &m->alerts[m->alert_count++];
		*a = r->snap;
		a->kind = ALERT_KIND_NEW;
		a->firing = true;
		a->ended_usec = 0;
		a->severity = r->fired.severity;
		a->value = r->fired.value;
		string_copy(a->summary, r->fired.summary, sizeof(a->summary));
	}
	a = &m->alerts[m->alert_count++];
	*a = r->snap;
	if (r->owed[channel] == OWED_FIRING) {
		a->kind = (enum alert_kind)r->owed_kind[channel];
		if (a->kind != ALERT_KIND_RESOLVED)
			a->firing = r->firing || r->nature == ALERT_POINT;
		r->told[channel] = true;
	} else {
		a->kind = ALERT_KIND_RESOLVED;
		a->firing = false;
		r->told[channel] = false;
	}
	r->owed[channel] = OWED_NONE;
}

/*
 * Pays what a channel is owed. Console and Alertmanager (a log and a
 * router) get everything at once, in as many messages as it takes. A chat
 * channel gets one message per min_interval_secs with at most
 * MESSAGE_ALERTS_MAX entries, most severe first, and max_alerts_per_hour
 * firings an hour (criticals and resolved messages exempt); each message
 * says how many still wait.
 * When the hourly budget alone holds everything back, one message an hour
 * says how many wait, so the operator is never left unaware.
 */
static void flush_channel(struct pipeline *p, int channel)
{
	struct channel_limit *l = &p->limits[channel];
	struct alert_record **owed = p->scratch;
	bool limited = rate_limited_channel(channel);
	size_t count = 0, next = 0, most = p->settings.channel_alerts_max[channel];
	uint64_t budget = UINT64_MAX;

	if (most < 2 || most > MESSAGE_ALERTS_MAX)
		most = MESSAGE_ALERTS_MAX;

	if (!interval_open(p, channel, p->now_usec))
		return;
	for (size_t i = 0; i < p->capacity; i++)
		if (p->hashes[i] != 0 && p->records[i].owed[channel] != OWED_NONE)
			owed[count++] = &p->records[i];
	if (count == 0)
		return;
	qsort(owed, count, sizeof(*owed), compare_owed);
	if (!limited) {
		while (next < count) {
			start_message(p, channel);
			while (next < count &&
			       p->message.alert_count +
					       entries_of(owed[next], channel) <=
				       most)
				add_entries(p, owed[next++], channel);
			send_message(p, channel);
		}
		return;
	}
	roll_hour(l, p->now_usec);
	if (max_per_hour_of(p, channel) > l->hour_alerts)
		budget = max_per_hour_of(p, channel) - l->hour_alerts;
	else
		budget = 0;
	start_message(p, channel);
	for (size_t i = 0; i < count; i++) {
		struct alert_record *r = owed[i];
		size_t need = entries_of(r, channel);

		/* What the hourly budget counts: firings below critical. A
		 * resolved is never held by it. */
		size_t cost = r->snap.severity == ALERT_CRITICAL ? 0
			      : r->owed[channel] == OWED_RESOLVED ? 0
								   : 1;

		if (p->message.alert_count + need > most)
			break;
		if (budget < cost)
			continue;
		budget -= cost;
		add_entries(p, r, channel);
		owed[i] = NULL;
	}
	for (size_t i = 0; i < count; i++)
		if (owed[i] != NULL)
			p->message.deferred_count++;
	/* An empty "N wait" only when nothing said so this hour. */
	if (p->message.alert_count == 0 &&
	    l->waiting_said_usec == l->hour_start_usec)
		return;
	if (p->message.deferred_count > 0)
		l->waiting_said_usec = l->hour_start_usec;
	send_message(p, channel);
}

static void flush_channels(struct pipeline *p)
{
	for (int c = 0; c < CHANNEL_COUNT; c++)
		if (p->settings.channel_active[c])
			flush_channel(p, c);
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

/* A point event whose repeat window passed with nothing new is over. */
static void tick_point(struct pipeline *p, struct alert_record *r,
		       uint64_t now_usec)
{
	if (!r->notified || owes_any(r))
		return;
	if (now_usec < r->last_notified_usec + p->settings.repeat_usec)
		return;
	if (r->repeats > 0) {
		notify(p, r, ALERT_KIND_REPEAT);
		return;
	}
	if (now_usec >= r->last_seen_usec + p->settings.repeat_usec) {
		r->firing = r->snap.firing = false;
		r->notified = false;
		r->changed_usec = now_usec;
		p->dirty = true;
		for (int c = 0; c < CHANNEL_COUNT; c++)
			r->told[c] = false;
	}
}

void pipeline_tick(struct pipeline *p, uint64_t now_usec)
{
	p->now_usec = now_usec;
	for (size_t i = 0; i < p->capacity; i++) {
		struct alert_record *r = &p->records[i];

		if (p->hashes[i] == 0 || r->pending)
			continue;
		if (r->flapping) {
			if (now_usec >= r->changed_usec +
						p->settings.flap_window_usec)
				end_flapping(p, r);
			continue;
		}
		if (!r->firing)
			continue;
		if (r->nature == ALERT_POINT && r->notified) {
			tick_point(p, r, now_usec);
			continue;
		}
		if (!r->notified)
			notify(p, r, ALERT_KIND_NEW);
		else if (now_usec >= r->last_notified_usec +
					     p->settings.repeat_usec)
			notify(p, r, ALERT_KIND_REPEAT);
	}
	if (p->group_open_usec != 0 && now_usec >= group_deadline(p))
		flush_group(p);
	if (p->group_open_usec == 0)
		flush_channels(p);
}

void pipeline_flush(struct pipeline *p, uint64_t now_usec)
{
	p->now_usec = now_usec;
	if (p->group_open_usec != 0)
		flush_group(p);
	flush_channels(p);
}

/* When pipeline_tick next changes this record (0: not by the clock). */
static uint64_t record_deadline(const struct pipeline *p,
				const struct alert_record *r)
{
	uint64_t at;

	if (r->pending)
		return 0;
	if (r->flapping)
		return r->changed_usec + p->settings.flap_window_usec;
	/* A silenced one is looked at again on the next collection tick. */
	if (!r->firing || r->silenced)
		return 0;
	if (!r->notified)
		return p->now_usec;
	if (r->nature == ALERT_POINT && owes_any(r))
		return 0;
	at = r->last_notified_usec + p->settings.repeat_usec;
	if (r->nature == ALERT_POINT && r->repeats == 0 &&
	    r->last_seen_usec + p->settings.repeat_usec > at)
		at = r->last_seen_usec + p->settings.repeat_usec;
	return at;
}

uint64_t pipeline_next_deadline(const struct pipeline *p)
{
	size_t owed[CHANNEL_COUNT];
	uint64_t next = 0;

	if (p->group_open_usec)
		return group_deadline(p);
	/* One pass for every channel: asked after every run of the timer. */
	pipeline_owed_all(p, owed);
	for (size_t i = 0; i < p->capacity; i++) {
		uint64_t at =
		    p->hashes[i] != 0 ? record_deadline(p, &p->records[i]) : 0;

		if (at != 0 && (next == 0 || at < next))
			next = at;
	}
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		uint64_t at;

		if (!p->settings.channel_active[c] || owed[c] == 0)
			continue;
		at = interval_open(p, c, p->now_usec)
			 ? p->now_usec
			 : p->limits[c].last_sent_usec + min_interval_of(p, c);
		if (next == 0 || at < next)
			next = at;
	}
	return next;
}

void pipeline_forget_channel(struct pipeline *p, enum channel_id channel)
{
	/* Live records only: a free one is zeroed when taken, and writing
	 * it would make its pages resident for nothing. */
	for (size_t i = 0; i < p->capacity; i++) {
		if (p->hashes[i] == 0)
			continue;
		p->records[i].owed[channel] = OWED_NONE;
		p->records[i].told[channel] = false;
	}
	memset(&p->limits[channel], 0, sizeof(p->limits[channel]));
	p->dirty = true;
}

size_t pipeline_owed(const struct pipeline *p, enum channel_id channel)
{
	size_t count = 0;

	for (size_t i = 0; i < p->capacity; i++)
		count += p->hashes[i] != 0 &&
			 p->records[i].owed[channel] != OWED_NONE;
	return count;
}

void pipeline_owed_all(const struct pipeline *p, size_t owed[CHANNEL_COUNT])
{
	memset(owed, 0, CHANNEL_COUNT * sizeof(*owed));
	for (size_t i = 0; i < p->capacity; i++) {
		if (p->hashes[i] == 0)
			continue;
		for (int c = 0; c < CHANNEL_COUNT; c++)
			owed[c] += p->records[i].owed[c] != OWED_NONE;
	}
}

size_t pipeline_firing(const struct pipeline *p,
		       enum alert_severity min_severity, size_t skip,
		       struct alert_snapshot *out, size_t max)
{
	size_t count = 0, seen = 0;

	for (int severity = ALERT_CRITICAL; severity >= (int)min_severity;
	     severity--)
		for (size_t i = 0; i < p->capacity && count < max; i++) {
			const struct alert_record *r = &p->records[i];

			if (p->hashes[i] == 0 || !r->firing || r->silenced ||
			    !r->notified || (int)r->snap.severity != severity)
				continue;
			if (seen++ < skip)
				continue;
			out[count] = r->snap;
			out[count].kind = ALERT_KIND_REPEAT;
			count++;
		}
	return count;
}

bool pipeline_dirty(const struct pipeline *p)
{
	return p->dirty;
}
