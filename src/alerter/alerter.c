/*
 * alerter.c - the alerter inside the daemon, the sink of event_submit():
 * an accepted event is journalled (alert-journal) before acceptance
 * returns, then fed to the pipeline, whose table is saved (alert-state.json)
 * after anything was sent and at most once a second otherwise, emptying the
 * journal; at start the state is loaded and the journal replayed, so an
 * accepted alert survives a kill -9 at any instant. Messages are written to
 * the spool (console ones are logged at once) and each channel delivers its
 * spool entries in order, one request at a time, with exponential backoff
 * and jitter between failures. The alerter's work (the pipeline's clocks,
 * retries, the Alertmanager re-post, the maintenance file, the batched
 * fdatasync of the journal, the statistics file) runs on each collection
 * tick and on a timer armed only for what is pending, at most once a
 * second: an idle agent wakes for its collection ticks alone.
 */
#include "alerter/alerter.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/event.h"
#include "alerter/channel.h"
#include "alerter/delivery.h"
#include "alerter/journal.h"
#include "alerter/json_text.h"
#include "alerter/pipeline.h"
#include "alerter/spool.h"
#include "alerter/text.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/numeric.h"
#include "core/secret.h"
#include "core/state.h"
#include "core/util.h"

/* Slots of the alert table: ~3 KB each, resident only once used. */
#define ALERT_TABLE_SIZE 1024
#define STATE_FILE "alert-state.json"
#define STATE_MAX_BYTES (64 * 1024 * 1024)
/* The shortest gap between two runs of the timer: saves, the journal's
 * fdatasync and statistics are batched over it. */
#define TIMER_PERIOD_USEC USEC_PER_SEC
/* With nothing changing, the statistics' tick counters are refreshed on
 * every so many collection ticks. */
#define STATS_REFRESH_TICKS 10
#define STATS_FILE "alerter-stats.json"
#define HISTORY_FILE "alert-history.jsonl"
#define HISTORY_OLD HISTORY_FILE ".1"
#define MAINTENANCE_FILE "maintenance"

struct channel_state {
	enum channel_id id;
	bool active;
	bool busy;
	uint64_t in_flight_id;       /* spool id; 0 for a repost */
	uint32_t attempts;
	uint64_t next_attempt_usec;  /* CLOCK_MONOTONIC */
	uint64_t sent, retries, failed;
};

struct alerter {
	struct daemon *daemon;
	sd_event_source *timer;
	sd_event_source *watch; /* the state dir, for the maintenance file */
	int watch_fd;
	bool draining;               /* stopping: events go straight to the spool */
	bool emitted;                /* the pipeline sent something: save */
	bool replaying;              /* feeding the journal back at start */
	struct pipeline *pipeline;
	struct alert_journal *journal;
	struct spool *spool;
	struct delivery *delivery;
	int history_fd;
	uint64_t history_bytes;
	uint64_t history_errors;     /* failed writes of alert-history.jsonl */
	bool history_failing;
	uint64_t state_errors;       /* failed saves of alert-state.json */
	bool state_failing;
	uint64_t state_saves;
	bool maintenance;
	bool stats_dirty;
	uint64_t last_run_usec;	     /* CLOCK_MONOTONIC of the last run */
	uint64_t repost_usec;        /* CLOCK_MONOTONIC of the last re-post */
	bool repost_busy;
	size_t repost_next;          /* firing alerts already re-posted */
	uint64_t reposts;
	uint64_t timer_runs;
	uint64_t loop_delay_max_usec;   /* timer lateness */
	uint64_t tick_delay_max_usec;   /* collect tick lateness */
	uint64_t ticks;
	struct channel_state channels[CHANNEL_COUNT];
	struct alert_message scratch;
	struct json_text state_text; /* alert-state.json's, its buffer kept */
	struct json_text stats_text; /* alerter-stats.json's */
};

static struct alerter *running;

static const struct alerting_config *settings(const struct alerter *a)
{
	return &a->daemon->config->alerting;
}

/* Observers (the history) learn every event and decision. */
static void publish(uint64_t now_usec, const char *what,
		    const struct alert_snapshot *alert, const char *note)
{
	event_publish(now_usec, what,
		      &(struct alert_event){
			      .rule = alert->rule,
			      .series = alert->series,
			      .labels = alert->labels,
			      .severity = alert->severity,
			      .firing = alert->firing,
			      .time_usec = now_usec,
			      .value = alert->value,
			      .baseline = alert->baseline,
			      .threshold = alert->threshold,
			      .score = alert->score,
			      .eta_secs = alert->eta_secs,
			      .summary = alert->summary,
			      .detail = alert->detail,
			      .count = alert->count,
		      },
		      note);
}

static void write_history(void *context, uint64_t now_usec, const char *what,
			  const struct alert_snapshot *alert, const char *note)
{
	struct alerter *a = context;
	json_object *o;
	const char *text;
	char when[40], *line;
	size_t length;

	publish(now_usec, what, alert, note);
	if (a->history_fd < 0)
		return;
	if (a->history_bytes > (uint64_t)settings(a)->history_max_bytes) {
		int fd;

		renameat(a->daemon->state_dir_fd, HISTORY_FILE,
			 a->daemon->state_dir_fd, HISTORY_OLD);
		fd = openat(a->daemon->state_dir_fd, HISTORY_FILE,
			    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				    O_NOFOLLOW,
			    0640);
		if (fd >= 0) {
			close(a->history_fd);
			a->history_fd = fd;
			a->history_bytes = 0;
		}
	}
	format_time_rfc3339(now_usec, when, sizeof(when));
	o = json_object_new_object();
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "event", json_object_new_string(what));
	json_object_object_add(o, "rule", json_object_new_string(alert->rule));
	json_object_object_add(o, "series",
			       json_object_new_string(alert->series));
	json_object_object_add(o, "labels",
			       json_object_new_string(alert->labels));
	json_object_object_add(o, "severity", json_object_new_string(
			event_severity_name(alert->severity)));
	json_object_object_add(o, "summary",
			       json_object_new_string(alert->summary));
	if (isfinite(alert->value))
		json_object_object_add(o, "value",
				       json_object_new_double(alert->value));
	if (note != NULL)
		json_object_object_add(o, "note", json_object_new_string(note));
	if (a->replaying)
		json_object_object_add(o, "replayed",
				       json_object_new_boolean(true));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	length = strlen(text);
	/* One write per line: O_APPEND keeps lines whole. */
	line = malloc(length + 1);
	if (line != NULL) {
		ssize_t n;

		/* Summaries may quote a log line that held a secret. */
		memcpy(line, text, length + 1);
		length = secret_mask(line);
		line[length] = '\n';
		n = write(a->history_fd, line, length + 1);
		if (n == (ssize_t)(length + 1)) {
			a->history_bytes += length + 1;
			if (a->history_failing)
				log_notice("alert history: %s is writable "
					   "again (%llu lines lost)",
					   HISTORY_FILE, (unsigned long long)
						   a->history_errors);
			a->history_failing = false;
		} else {
			int r = n < 0 ? -errno : -ENOSPC;

			/* A partial line would corrupt the next one. */
			if (n > 0 && ftruncate(a->history_fd,
					       (off_t)a->history_bytes) < 0)
				log_debug("alert history: cannot cut back: %m");
			a->history_errors++;
			if (!a->history_failing)
				log_error_errno(r,
						"alert history: cannot "
						"write %s; alerts are still "
						"sent, this file misses them",
						HISTORY_FILE);
			a->history_failing = true;
		}
		free(line);
	}
	json_object_put(o);
}

static uint64_t backoff_usec(const struct alerter *a, uint32_t attempts)
{
	double delay = (double)settings(a)->retry_initial_secs;
	double jitter;

	for (uint32_t i = 1; i < attempts && delay < 1e7; i++)
		delay *= 2;
	if (delay > (double)settings(a)->retry_max_secs)
		delay = (double)settings(a)->retry_max_secs;
	/* +/-25 %, so a fleet that lost its endpoint does not retry in step */
	jitter = 0.75 + 0.5 * ((double)random() / (double)RAND_MAX);
	return (uint64_t)(delay * jitter * (double)USEC_PER_SEC);
}

static void kick_channel(struct alerter *a, struct channel_state *c);
static void arm_timer(struct alerter *a);

static void on_delivered(void *userdata, const struct delivery_result *result)
{
	struct channel_state *c = userdata;
	struct alerter *a = running;
	uint64_t delay;

	c->busy = false;
	if (a == NULL)
		return;
	a->stats_dirty = true;
	switch (result->outcome) {
	case DELIVERY_OK:
		log_debug("%s: message %" PRIu64 " delivered (%ld)",
			  channel_name(c->id), c->in_flight_id, result->status);
		spool_complete(a->spool, c->in_flight_id);
		c->sent++;
		c->attempts = 0;
		c->next_attempt_usec = 0;
		break;
	case DELIVERY_PERMANENT:
		log_error("%s: message %" PRIu64 " refused, not retried: %s%s%s",
			  channel_name(c->id), c->in_flight_id, result->error,
			  result->body[0] ? ": " : "", result->body);
		spool_complete(a->spool, c->in_flight_id);
		c->failed++;
		c->attempts = 0;
		c->next_attempt_usec = 0;
		break;
	case DELIVERY_RETRY:
		c->attempts++;
		c->retries++;
		delay = backoff_usec(a, c->attempts);
		if (result->retry_after_secs > 0)
			delay = (uint64_t)(numeric_min(result->retry_after_secs,
						       86400) *
					   (double)USEC_PER_SEC);
		c->next_attempt_usec = now_monotonic_usec() + delay;
		log_warning("%s: delivery failed (%s%s%s); attempt %u, next in "
			    "%.1fs", channel_name(c->id), result->error,
			    result->body[0] ? ": " : "", result->body,
			    c->attempts, (double)delay / (double)USEC_PER_SEC);
		arm_timer(a);
		return;
	}
	kick_channel(a, c);
	arm_timer(a);
}

static void kick_channel(struct alerter *a, struct channel_state *c)
{
	const struct alerting_channel_config *config;
	struct outgoing out = { 0 };
	struct spool_entry *entry;
	channel_format_fn *format;
	int r;

	while (c->active && !c->busy &&
	       now_monotonic_usec() >= c->next_attempt_usec) {
		entry = spool_next(a->spool, c->id);
		if (entry == NULL)
			return;
		config = channel_config(settings(a), c->id);
		format = channel_formatter(c->id);
		r = spool_load(a->spool, entry, &a->scratch);
		if (r == 0)
			r = format(config, &a->scratch, now_realtime_usec(),
				   &out);
		if (r < 0) {
			/* Unreadable or meaningless here: never retried. */
			if (r != -ENODATA)
				log_error_errno(r,
						"%s: dropping spooled message "
						"%" PRIu64,
						channel_name(c->id), entry->id);
			outgoing_free(&out);
			spool_complete(a->spool, entry->id);
			continue;
		}
		c->in_flight_id = entry->id;
		c->busy = true;
		r = delivery_send(a->delivery, &out,
				  (long)settings(a)->connect_timeout_secs,
				  (long)settings(a)->timeout_secs, on_delivered,
				  c);
		if (r < 0) {
			c->busy = false;
			c->next_attempt_usec = now_monotonic_usec() +
					       backoff_usec(a, ++c->attempts);
			log_error_errno(r, "%s: cannot start a delivery",
					channel_name(c->id));
		}
		return;
	}
}

static void kick_all(struct alerter *a)
{
	for (int i = 1; i < CHANNEL_COUNT; i++)
		kick_channel(a, &a->channels[i]);
}

static void on_emit(void *context, struct alert_message *m)
{
	struct alerter *a = context;

	a->stats_dirty = true;
	a->emitted = true;
	if (m->channel == CHANNEL_CONSOLE) {
		channel_console_write(m, now_realtime_usec());
		a->channels[CHANNEL_CONSOLE].sent++;
		return;
	}
	/* Spooled now, attempted once the state save that covers it is on
	 * disk (save_if_emitted, on_timer): a crash in between leaves the
	 * entry past the saved "spool_through", forgotten at start while the
	 * journal replay makes it again, so it goes out once. While stopping,
	 * a request could only be cut off: it waits for the next start. */
	spool_append(a->spool, m);
}

/*
 * Saves the pipeline's table; once it is on disk it covers every event the
 * journal holds, so the journal is emptied. Failures are counted and said
 * once per episode: the journal keeps the events meanwhile.
 */
static int save_state(struct alerter *a)
{
	int r = pipeline_save_text(a->pipeline, spool_last_id(a->spool),
				   &a->state_text);

	if (r == 0)
		r = state_write_atomic(a->daemon->state_dir_fd, STATE_FILE,
				       a->state_text.data, a->state_text.used);
	if (r < 0) {
		a->state_errors++;
		if (!a->state_failing)
			log_error_errno(r,
					"alerter: cannot save %s; the "
					"journal keeps accepted alerts until "
					"it can",
					STATE_FILE);
		a->state_failing = true;
		return r;
	}
	if (a->state_failing)
		log_notice("alerter: %s saved again (%llu failed saves)",
			   STATE_FILE, (unsigned long long)a->state_errors);
	a->state_failing = false;
	a->state_saves++;
	a->emitted = false;
	return alert_journal_reset(a->journal);
}

/*
 * After the pipeline ran: what it emitted is saved as sent, then attempted
 * (should the save fail, it is attempted all the same: a repeat after a
 * crash beats a message held back).
 */
static void save_if_emitted(struct alerter *a)
{
	if (!a->emitted || a->replaying)
		return;
	save_state(a);
	if (!a->draining)
		kick_all(a);
}

static void on_reposted(void *userdata, const struct delivery_result *result)
{
	struct alerter *a = userdata;

	if (running != a)
		return;
	a->repost_busy = false;
	if (result->outcome != DELIVERY_OK) {
		/* The next period starts over; Alertmanager keeps alerts
		 * for 4 periods, so one failed round loses nothing. */
		log_debug("alertmanager: re-post failed: %s", result->error);
		a->repost_next = 0;
	} else {
		a->reposts++;
		a->stats_dirty = true;
	}
	arm_timer(a);
}

/*
 * Alertmanager forgets alerts not posted again before their endsAt: every
 * repost_interval_secs every firing alert is posted again, in batches of
 * MESSAGE_ALERTS_MAX, one batch in flight at a time (outside the spool: a
 * lost re-post is replaced by the next).
 */
static void repost_firing(struct alerter *a, uint64_t now_mono)
{
	const struct alerting_channel_config *config =
		&settings(a)->alertmanager;
	struct outgoing out = { 0 };
	struct alert_message *m = &a->scratch;

	if (!a->channels[CHANNEL_ALERTMANAGER].active || a->repost_busy)
		return;
	if (a->repost_next == 0 &&
	    now_mono < a->repost_usec + (uint64_t)config->repost_interval_secs *
						USEC_PER_SEC)
		return;
	if (a->repost_next == 0)
		a->repost_usec = now_mono;
	memset(m, 0, sizeof(*m));
	m->channel = CHANNEL_ALERTMANAGER;
	m->created_usec = now_realtime_usec();
	message_set_origin(m, a->daemon->config->agent.hostname,
			   a->daemon->agent_id, NULL);
	identity_labels_text(&a->daemon->config->agent.labels, m->agent_labels,
			     sizeof(m->agent_labels));
	m->alert_count = pipeline_firing(
		a->pipeline,
		event_severity_from_name(config->min_severity, ALERT_INFO),
		a->repost_next, m->alerts, MESSAGE_ALERTS_MAX);
	if (m->alert_count == 0 ||
	    channel_alertmanager_format(config, m, m->created_usec, &out) < 0) {
		outgoing_free(&out);
		a->repost_next = 0;
		return;
	}
	a->repost_next = m->alert_count < MESSAGE_ALERTS_MAX
				 ? 0
				 : a->repost_next + m->alert_count;
	if (delivery_send(a->delivery, &out,
			  (long)settings(a)->connect_timeout_secs,
			  (long)settings(a)->timeout_secs, on_reposted, a) == 0)
		a->repost_busy = true;
	else
		a->repost_next = 0;
}

/*
 * alerter-stats.json, written as json-c's pretty printer writes it (two
 * spaces a level, "key":value) but without building objects first: it is
 * rewritten after every alert, where the objects cost ~200,000 instructions.
 * The strings and numbers are json_text's; the layout is added here.
 */

/* A comma unless first, a line break and depth levels of indentation. */
static void stats_break(struct json_text *t, int depth, bool comma)
{
	static const char breaks[] = ",\n        "; /* 4 levels at most */

	json_text_raw(t, breaks + !comma,
		      1 + (size_t)comma + 2 * (size_t)depth);
}

/* The next member's "key": at depth levels of indentation. */
static void stats_key(struct json_text *t, int depth, const char *key)
{
	stats_break(t, depth, !t->first);
	t->first = false;
	json_text_string(t, key);
	json_text_raw(t, ":", 1);
}

static void stats_number(struct json_text *t, int depth, const char *key,
			 uint64_t value)
{
	stats_key(t, depth, key);
	/* json-c's int64: what does not fit wraps, as the cast did. */
	json_text_int(t, (int64_t)value);
}

static void stats_open(struct json_text *t, int depth, const char *key)
{
	stats_key(t, depth, key);
	json_text_open(t, '{');
}

static void stats_close(struct json_text *t, int depth)
{
	stats_break(t, depth, false);
	json_text_close(t, '}');
}

static void write_stats(struct alerter *a)
{
	struct json_text *t = &a->stats_text;
	const struct pipeline_stats *p = pipeline_stats(a->pipeline);
	const struct spool_stats *s = spool_stats(a->spool);
	const struct alert_journal_stats *j = alert_journal_stats(a->journal);
	size_t owed[CHANNEL_COUNT];
	uint64_t sent = 0, retries = 0, failed = 0;

	pipeline_owed_all(a->pipeline, owed);
	json_text_reset(t);
	json_text_open(t, '{');
	stats_open(t, 1, "channels");
	for (int i = 0; i < CHANNEL_COUNT; i++) {
		struct channel_state *c = &a->channels[i];

		if (channel_webhook_slot((enum channel_id)i) >= 0 &&
		    channel_webhook_name(
			channel_webhook_slot((enum channel_id)i)) == NULL)
			continue; /* a free webhook slot */
		stats_open(t, 2, channel_name(c->id));
		stats_key(t, 3, "active");
		json_text_bool(t, c->active);
		stats_number(t, 3, "sent", c->sent);
		stats_number(t, 3, "retries", c->retries);
		stats_number(t, 3, "failed", c->failed);
		stats_number(t, 3, "owed", owed[i]);
		stats_close(t, 2);
		if (i != CHANNEL_CONSOLE) {
			sent += c->sent;
			retries += c->retries;
			failed += c->failed;
		}
	}
	stats_close(t, 1);
#define STAT(name, value) stats_number(t, 1, name, (uint64_t)(value))
	STAT("sent", sent);
	STAT("retries", retries);
	STAT("failed", failed);
	STAT("events", p->events);
	STAT("messages", p->messages);
	STAT("alerts_sent", p->alerts_sent);
	STAT("deferred", p->deferred);
	STAT("silenced", p->silenced);
	STAT("flapping", p->flapping);
	STAT("evicted", p->evicted);
	STAT("spool_pending", s->pending);
	STAT("spool_in_memory", s->in_memory);
	STAT("spool_dropped", s->dropped);
	STAT("spool_corrupt", s->corrupt);
	STAT("spool_orphaned", s->orphaned);
	STAT("spool_bytes", s->file_bytes);
	STAT("spool_write_errors", s->write_errors);
	STAT("journal_appended", j->appended);
	STAT("journal_unsaved", j->unsaved);
	STAT("journal_write_errors", j->write_errors);
	STAT("journal_replayed", j->replayed);
	STAT("state_saves", a->state_saves);
	STAT("state_errors", a->state_errors);
	STAT("history_errors", a->history_errors);
	STAT("reposts", a->reposts);
	STAT("timer_runs", a->timer_runs);
	STAT("loop_delay_max_usec", a->loop_delay_max_usec);
	STAT("ticks", a->ticks);
	STAT("tick_delay_max_usec", a->tick_delay_max_usec);
	STAT("maintenance", a->maintenance);
#undef STAT
	stats_close(t, 0);
	/* Rewritten on every change: a crash may keep the previous one. */
	if (!t->failed)
		state_write_replace(a->daemon->state_dir_fd, STATS_FILE,
				    t->data, t->used);
	a->stats_dirty = false;
}

static void check_maintenance(struct alerter *a)
{
	struct stat st;
	bool on = fstatat(a->daemon->state_dir_fd, MAINTENANCE_FILE, &st,
			  AT_SYMLINK_NOFOLLOW) == 0;

	if (on == a->maintenance)
		return;
	a->maintenance = on;
	a->stats_dirty = true;
	pipeline_set_maintenance(a->pipeline, on);
	log_notice("maintenance mode %s (%s in the state directory)",
		   on ? "on: alerts are recorded, not sent" : "off",
		   MAINTENANCE_FILE);
}

/*
 * The maintenance file is noticed when it is created or removed (inotify
 * on the state directory: no polling), and looked at again on every tick
 * and before each accepted event.
 */
static int on_state_dir_change(sd_event_source *source, int fd,
			       uint32_t revents, void *data)
{
	struct alerter *a = data;
	char buffer[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	bool touched = false;
	ssize_t n;

	(void)source, (void)revents;
	while ((n = read(fd, buffer, sizeof(buffer))) > 0)
		for (char *p = buffer; p < buffer + n;) {
			const struct inotify_event *event = (const void *)p;

			if ((event->mask & IN_Q_OVERFLOW) ||
			    (event->len > 0 &&
			     strcmp(event->name, MAINTENANCE_FILE) == 0))
				touched = true;
			p += sizeof(*event) + event->len;
		}
	if (touched) {
		check_maintenance(a);
		arm_timer(a);
	}
	return 0;
}

static void watch_state_dir(struct alerter *a)
{
	int r;

	a->watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (a->watch_fd < 0 ||
	    inotify_add_watch(a->watch_fd, a->daemon->config->agent.state_dir,
			      IN_CREATE | IN_DELETE | IN_MOVED_TO |
				  IN_MOVED_FROM | IN_ONLYDIR) < 0) {
		log_debug("alerter: no inotify on the state directory (%s); "
			  "the maintenance file is looked at on each tick",
			  strerror(errno));
		return;
	}
	r = sd_event_add_io(a->daemon->event, &a->watch, a->watch_fd, EPOLLIN,
			    on_state_dir_change, a);
	if (r < 0)
		log_debug_errno(r, "alerter: cannot watch the state directory");
}

/* The earliest of two CLOCK_MONOTONIC instants, 0 standing for none. */
static uint64_t earliest(uint64_t a, uint64_t b)
{
	return a == 0 || (b != 0 && b < a) ? b : a;
}

/* Whether a re-post period will have something to post. */
static bool repost_due(struct alerter *a)
{
	const struct alerting_channel_config *config =
	    &settings(a)->alertmanager;

	if (!a->channels[CHANNEL_ALERTMANAGER].active || a->repost_busy)
		return false;
	return a->repost_next != 0 ||
	       pipeline_firing(
		   a->pipeline,
		   event_severity_from_name(config->min_severity, ALERT_INFO),
		   0, a->scratch.alerts, 1) > 0;
}

/*
 * The timer is armed for the earliest pending thing only: a save, the
 * journal's fdatasync or the statistics after a change, the pipeline's
 * next deadline, a channel's retry, the next Alertmanager re-post. With
 * none, it is off and the collection ticks alone wake the daemon.
 */
static void arm_timer(struct alerter *a)
{
	uint64_t now = now_monotonic_usec(), next = 0, deadline;

	if (a->timer == NULL)
		return;
	if (a->emitted || a->stats_dirty || pipeline_dirty(a->pipeline) ||
	    alert_journal_stats(a->journal)->unsaved > 0 ||
	    spool_stats(a->spool)->in_memory > 0)
		next = now + TIMER_PERIOD_USEC;
	deadline = pipeline_next_deadline(a->pipeline);
	if (deadline != 0) {
		uint64_t real = now_realtime_usec();

		next = earliest(
		    next, deadline <= real ? now : now + (deadline - real));
	}
	for (int i = 1; i < CHANNEL_COUNT; i++) {
		struct channel_state *c = &a->channels[i];

		if (c->active && !c->busy && spool_next(a->spool, c->id))
			next = earliest(next, c->next_attempt_usec > now
						  ? c->next_attempt_usec
						  : now);
	}
	if (repost_due(a))
		next = earliest(
		    next,
		    a->repost_next != 0
			? now
			: a->repost_usec +
			      (uint64_t)settings(a)
				      ->alertmanager.repost_interval_secs *
				  USEC_PER_SEC);
	if (next == 0) {
		sd_event_source_set_enabled(a->timer, SD_EVENT_OFF);
		return;
	}
	/* Never more than once a second: what is due waits for the batch. */
	if (next < a->last_run_usec + TIMER_PERIOD_USEC)
		next = a->last_run_usec + TIMER_PERIOD_USEC;
	sd_event_source_set_time(a->timer, next);
	sd_event_source_set_enabled(a->timer, SD_EVENT_ONESHOT);
}

/* Everything the alerter does on its own clock, then the next wake-up. */
static void run(struct alerter *a)
{
	uint64_t now = now_monotonic_usec();

	a->last_run_usec = now;
	check_maintenance(a);
	pipeline_tick(a->pipeline, now_realtime_usec());
	if (a->emitted || pipeline_dirty(a->pipeline) ||
	    alert_journal_stats(a->journal)->unsaved > 0) {
		a->stats_dirty = true;
		save_state(a);
	}
	/* The batched fdatasync: at most one a second. */
	alert_journal_sync(a->journal);
	spool_retry(a->spool);
	kick_all(a);
	repost_firing(a, now);
	if (a->stats_dirty)
		write_stats(a);
	arm_timer(a);
}

static int on_timer(sd_event_source *source, uint64_t usec, void *data)
{
	struct alerter *a = data;
	uint64_t now = now_monotonic_usec();

	(void)source;
	a->timer_runs++;
	if (now > usec && now - usec > a->loop_delay_max_usec)
		a->loop_delay_max_usec = now - usec;
	run(a);
	return 0;
}

/*
 * Webhook instances by name: one the configuration no longer has loses
 * its spooled messages and what it was owed (said once, by name).
 */
static void assign_webhooks(struct alerter *a)
{
	enum channel_id removed[CHANNEL_WEBHOOKS_MAX];
	char names[CHANNEL_WEBHOOKS_MAX][32];
	size_t count;

	for (int slot = 0; slot < CHANNEL_WEBHOOKS_MAX; slot++)
		string_copy(names[slot],
			    channel_webhook_name(slot)
				? channel_webhook_name(slot)
				: "",
			    sizeof(names[slot]));
	count = channel_webhooks_assign(&a->daemon->config->alerting, removed);
	for (size_t i = 0; i < count; i++) {
		struct channel_state *c = &a->channels[removed[i]];
		size_t owed = pipeline_owed(a->pipeline, removed[i]);
		size_t spooled = 0;
		struct spool_entry *entry;

		while (a->spool != NULL &&
		       (entry = spool_next(a->spool, removed[i])) != NULL) {
			spool_complete(a->spool, entry->id);
			spooled++;
		}
		pipeline_forget_channel(a->pipeline, removed[i]);
		if (c->active || owed > 0 || spooled > 0)
			log_notice("alerting: %s removed; %zu spooled "
				   "message(s) and %zu owed alert(s) dropped",
				   names[channel_webhook_slot(removed[i])],
				   spooled, owed);
		*c = (struct channel_state){.busy = c->busy};
		a->stats_dirty = true;
	}
}

static void apply_settings(struct alerter *a)
{
	const struct config *config = a->daemon->config;
	struct pipeline_settings s;

	assign_webhooks(a);
	pipeline_settings_from_config(config, config->agent.hostname, &s);
	string_copy(s.agent_id, a->daemon->agent_id, sizeof(s.agent_id));
	for (int i = 0; i < CHANNEL_COUNT; i++) {
		const struct alerting_channel_config *c =
			channel_config(&config->alerting, (enum channel_id)i);
		const char *missing = NULL;
		bool configured = channel_configured((enum channel_id)i, c,
						     &missing);
		bool was = a->channels[i].active;

		a->channels[i].id = (enum channel_id)i;
		a->channels[i].active = c->enabled && configured;
		s.channel_active[i] = a->channels[i].active;
		if (c->enabled && !configured && i != CHANNEL_CONSOLE &&
		    missing != NULL &&
		    !(strcmp(missing, "url") == 0 ||
		      strcmp(missing, "webhook_url") == 0 ||
		      strcmp(missing, "bot_token") == 0))
			log_warning("alerting.%s: not used, '%s' is missing",
				    channel_name((enum channel_id)i), missing);
		if (a->channels[i].active != was)
			log_info("alerting: channel %s %s",
				 channel_name((enum channel_id)i),
				 a->channels[i].active ? "on" : "off");
	}
	pipeline_configure(a->pipeline, &s);
	spool_set_max_bytes(a->spool,
			    (uint64_t)config->alerting.spool_max_bytes);
}

static void alerter_free(struct alerter *a)
{
	if (a == NULL)
		return;
	if (running == a) {
		running = NULL;
		event_set_sink(NULL);
	}
	delivery_free(a->delivery);
	if (a->timer != NULL) {
		sd_event_source_set_enabled(a->timer, SD_EVENT_OFF);
		sd_event_source_unref(a->timer);
	}
	if (a->watch != NULL) {
		sd_event_source_set_enabled(a->watch, SD_EVENT_OFF);
		sd_event_source_unref(a->watch);
	}
	if (a->watch_fd >= 0)
		close(a->watch_fd);
	spool_close(a->spool);
	alert_journal_close(a->journal);
	pipeline_free(a->pipeline);
	json_text_free(&a->state_text);
	json_text_free(&a->stats_text);
	if (a->history_fd >= 0)
		close(a->history_fd);
	zeroed_pages_free(a, 1, sizeof(*a));
}

static void alerter_module_free(struct daemon *d)
{
	(void)d;
	alerter_free(running);
}

static int alerter_accept(const struct alert_event *event, void *context)
{
	struct alerter *a = context;
	uint64_t now = now_realtime_usec();
	uint64_t deadline;
	int r;

	/* An alert right after the file appeared is not sent either. */
	check_maintenance(a);
	r = pipeline_submit(a->pipeline, event, now);
	if (r < 0)
		return r;
	/* Journalled before acceptance returns; on failure the event is
	 * still accepted (the next state save covers it) and event_sync()
	 * says it is not durable yet. */
	alert_journal_append(a->journal, event);
	a->stats_dirty = true;
	if (a->draining) {
		pipeline_flush(a->pipeline, now);
		save_if_emitted(a);
		return 0;
	}
	deadline = pipeline_next_deadline(a->pipeline);
	if (deadline != 0 && deadline <= now) {
		pipeline_tick(a->pipeline, now);
		save_if_emitted(a);
	}
	arm_timer(a);
	return 0;
}

/* event_sync(): 0 once every accepted event is on disk. */
static int alerter_sync(void *context)
{
	struct alerter *a = context;
	int r = alert_journal_sync(a->journal);

	if (r == -EIO && save_state(a) == 0)
		r = 0; /* the state file now holds what the journal missed */
	return r;
}

static void replay_event(const struct alert_event *event, void *context)
{
	struct alerter *a = context;

	pipeline_submit(a->pipeline, event, now_realtime_usec());
}

/*
 * The table as the last run saved it, then the events it accepted after
 * that save, through the pipeline again (dedup and grouping apply), then
 * a save that covers them all.
 */
static int restore(struct alerter *a)
{
	char *text = NULL;
	size_t length = 0;
	int r, count;

	r = state_read(a->daemon->state_dir_fd, STATE_FILE, STATE_MAX_BYTES,
		       &text, &length);
	if (r == 0) {
		json_object *state = json_tokener_parse(text);
		json_object *through;

		/* Spooled after the save (the crash came before the next
		 * one): the journal replay below makes those again. */
		if (json_object_object_get_ex(state, "spool_through",
					      &through)) {
			size_t n = spool_forget_after(
				a->spool,
				(uint64_t)json_object_get_int64(through));

			if (n > 0)
				log_notice("alerter: %zu message(s) spooled "
					   "after the last state save are "
					   "made again from %s",
					   n, ALERT_JOURNAL_FILE);
		}
		r = pipeline_restore(a->pipeline, state);
		json_object_put(state);
		if (r < 0)
			log_warning("alerter: %s is not a saved alerter state; "
				    "starting from the journal alone",
				    STATE_FILE);
		else if (r > 0)
			log_info("alerter: %d alert(s) restored from %s", r,
				 STATE_FILE);
		free(text);
	} else if (r != -ENOENT) {
		log_warning_errno(r, "alerter: cannot read %s", STATE_FILE);
	}
	a->replaying = true;
	count = alert_journal_replay(a->journal, replay_event, a);
	a->replaying = false;
	if (count > 0)
		log_notice("alerter: %d accepted alert event(s) replayed from "
			   "%s", count, ALERT_JOURNAL_FILE);
	if (count != 0 || !alert_journal_empty(a->journal))
		return save_state(a);
	return 0;
}

static int alerter_start(struct daemon *d)
{
	/* Pages, not the heap: the message under construction (32 alerts,
	 * ~45 KiB) is touched only once alerts are sent. */
	struct alerter *a = zeroed_pages_alloc(1, sizeof(*a));
	struct stat st;
	int r;

	if (a == NULL)
		return -ENOMEM;
	a->daemon = d;
	a->history_fd = -1;
	a->watch_fd = -1;
	srandom((unsigned)(now_monotonic_usec() ^ (uint64_t)getpid()));
	a->pipeline = pipeline_new(ALERT_TABLE_SIZE, on_emit, write_history, a);
	if (a->pipeline == NULL) {
		alerter_free(a);
		return -ENOMEM;
	}
	r = alert_journal_open(d->state_dir_fd, &a->journal);
	if (r < 0) {
		alerter_free(a);
		return r;
	}
	/* Spooled entries name their webhook instance. */
	assign_webhooks(a);
	r = spool_open(d->state_dir_fd,
		       (uint64_t)d->config->alerting.spool_max_bytes, &a->spool);
	if (r < 0) {
		alerter_free(a);
		return r;
	}
	a->delivery = delivery_new(d->event);
	if (a->delivery == NULL) {
		alerter_free(a);
		return -ENOMEM;
	}
	delivery_configure(a->delivery, &d->config->alerting,
			   daemon_uses_network(d->config));
	a->history_fd = openat(d->state_dir_fd, HISTORY_FILE,
			       O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				       O_NOFOLLOW,
			       0640);
	if (a->history_fd < 0)
		log_warning_errno(errno,
				  "cannot open %s: %m; alert history is off",
				  HISTORY_FILE);
	else if (fstat(a->history_fd, &st) == 0)
		a->history_bytes = (uint64_t)st.st_size;
	r = sd_event_add_time(d->event, &a->timer, CLOCK_MONOTONIC,
			      now_monotonic_usec() + TIMER_PERIOD_USEC, 1000,
			      on_timer, a);
	if (r < 0) {
		alerter_free(a);
		return r;
	}
	apply_settings(a);
	watch_state_dir(a);
	check_maintenance(a);
	restore(a);
	running = a;
	event_set_sink(&(struct event_sink){ .accept = alerter_accept,
					     .sync = alerter_sync,
					     .context = a });
	kick_all(a);
	write_stats(a);
	a->last_run_usec = now_monotonic_usec();
	arm_timer(a);
	return 0;
}

static void alerter_tick(struct daemon *d, uint64_t now_usec)
{
	struct alerter *a = running;
	uint64_t now = now_monotonic_usec();

	(void)now_usec;
	if (a == NULL)
		return;
	/* How late this collection runs against its grid slot (the first
	 * one waits for start-up by design and is not counted). */
	if (a->ticks++ > 0 && now > d->next_tick_usec &&
	    now - d->next_tick_usec > a->tick_delay_max_usec)
		a->tick_delay_max_usec = now - d->next_tick_usec;
	if (a->ticks % STATS_REFRESH_TICKS == 0)
		a->stats_dirty = true;
	/* The maintenance file, silences that ended: looked at every tick. */
	run(a);
}

static int alerter_reload(struct daemon *d, const struct config *old)
{
	(void)old;
	if (running == NULL)
		return 0;
	apply_settings(running);
	delivery_configure(running->delivery, settings(running),
			   daemon_uses_network(d->config));
	kick_all(running);
	running->stats_dirty = true;
	arm_timer(running);
	return 0;
}

/*
 * Every producer has stopped (and drained into us). The open group goes
 * to the spool now (delivered after the next start: a request started now
 * would only be cut off), the table is saved and the journal synced.
 * Should a late event still arrive, it is journalled and spooled at once.
 */
static void alerter_stop(struct daemon *d)
{
	struct alerter *a = running;

	(void)d;
	if (a == NULL)
		return;
	a->draining = true;
	pipeline_flush(a->pipeline, now_realtime_usec());
	save_state(a);
	alert_journal_sync(a->journal);
	write_stats(a);
}

const struct daemon_module alerter_module = {
	.name = "alerter",
	.role = DAEMON_CONSUMER,
	.start = alerter_start,
	.tick = alerter_tick,
	.reload = alerter_reload,
	.stop = alerter_stop,
	.free = alerter_module_free,
};
