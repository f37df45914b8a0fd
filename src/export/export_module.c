/*
 * export_module.c - remote write as a daemon module, a consumer. Each tick
 * (after the producers) the series this tick wrote become one WriteRequest,
 * compressed and appended to the queue; the oldest queued batch is sent, one
 * request at a time, over the loop (core/http.h), so a slow or dead receiver
 * never delays a tick. A failed request is retried with backoff while new
 * batches wait behind it; once the receiver answers again the queue drains
 * oldest first, so an outage the queue can hold leaves no gap.
 */
#include "export/export.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/daemon.h"
#include "core/health.h"
#include "core/http.h"
#include "core/log.h"
#include "core/sd_compat.h"
#include "core/util.h"
#include "storage/metrics.h"

#define HEALTH_CHECK "remote_write"
/* A problem (a drop, a refusal) keeps the self-check failing this long. */
#define PROBLEM_HOLD_USEC    (600 * USEC_PER_SEC)
#define CONNECT_TIMEOUT_SECS 10
#define REFUSAL_LOG_USEC     (60 * USEC_PER_SEC)

enum decision { UNKNOWN, SEND, SKIP };

struct filter_slot {
	uint32_t generation;
	uint8_t decision;
};

static struct export_state {
	struct daemon *daemon;
	bool active;
	struct http_client *http;
	struct export_queue *queue;
	struct export_batch batch;
	uint8_t *compressed;
	size_t compressed_capacity;
	struct export_label host[EXPORT_HOST_LABELS_MAX];
	size_t host_count;
	struct filter_slot *filter; /* one per registry slot */
	size_t filter_count;
	sd_event_source *retry_timer;
	bool sending, waiting; /* a request in flight; a retry armed */
	uint64_t in_flight, in_flight_bytes;
	unsigned failures; /* consecutive */
	uint64_t failing_since_usec;
	char last_error[480];
	uint64_t problem_until_usec;
	char problem[HEALTH_PROBLEM_MAX];
	uint64_t refusal_logged_usec;
	int queue_error; /* the last errno logged for the queue, or 0 */
	/* Counters, also published as agent.remote_write_* series. */
	uint64_t sent_batches, sent_bytes, encoded_samples, retries, refused,
	    dropped, dropped_episode;
} module;

static const struct remote_write_config *settings(void)
{
	return &module.daemon->config->export.remote_write;
}

static bool wanted(const struct config *config)
{
	return config->export.remote_write.enabled &&
	       config->export.remote_write.url != NULL;
}

static void send_next(void);

/* Kept failing for a while so the heartbeat sees it at its next ping. */
static void hold_problem(const char *text)
{
	string_copy(module.problem, text, sizeof(module.problem));
	module.problem_until_usec = now_monotonic_usec() + PROBLEM_HOLD_USEC;
}

static void update_health(uint64_t now_usec)
{
	struct export_queue_stats q;
	char text[HEALTH_PROBLEM_MAX];
	int64_t interval =
	    module.daemon->config->agent.collect_interval_secs * 1000;
	int64_t age_msec;

	export_queue_stats(module.queue, &q);
	age_msec = q.batches ? (int64_t)(now_usec / 1000) - q.oldest_msec : 0;
	/* Waiting a few intervals is a retry; a minute is an outage. */
	if (q.batches > 1 && age_msec > 3 * interval && age_msec > 60000) {
		int n = snprintf(text, sizeof(text),
				 "%zu batches (%llds of "
				 "samples) wait for the receiver: %.80s",
				 q.batches, (long long)(age_msec / 1000),
				 module.last_error);

		(void)n; /* cut to size */
		health_set(HEALTH_CHECK, text);
	} else if (now_monotonic_usec() < module.problem_until_usec) {
		health_set(HEALTH_CHECK, module.problem);
	} else {
		health_set(HEALTH_CHECK, NULL);
	}
}

static void on_sent(void *userdata, const struct http_result *result);

static void send_next(void)
{
	const struct remote_write_config *c = settings();
	static const char *const headers[] = {
	    "Content-Encoding: snappy",
	    "Content-Type: application/x-protobuf",
	    "X-Prometheus-Remote-Write-Version: 0.1.0",
	};
	struct http_request request = {
	    .url = c->url,
	    .post = true,
	    .headers = headers,
	    .header_count = ARRAY_SIZE(headers),
	    .username = c->username,
	    .password = c->password,
	    .bearer_token = c->bearer_token,
	    .ca_file = c->ca_file,
	    .connect_timeout_secs = c->timeout_secs < CONNECT_TIMEOUT_SECS
					? c->timeout_secs
					: CONNECT_TIMEOUT_SECS,
	    .timeout_secs = c->timeout_secs,
	};
	const void *data;
	size_t length;
	int r;

	if (!module.active || module.sending || module.waiting)
		return;
	r = export_queue_peek(module.queue, &data, &length, &module.in_flight);
	if (r == -ENOENT)
		return;
	if (r < 0) {
		log_error_errno(r, "remote write: cannot read the queue");
		return;
	}
	request.body = data;
	request.body_length = length;
	module.in_flight_bytes = length;
	r = http_client_send(module.http, &request, on_sent, NULL);
	if (r < 0) {
		/* libcurl missing or out of memory: like an unreachable
		 * receiver, retried. */
		struct http_result failed = {.outcome = HTTP_RETRY,
					     .retry_after_secs = -1};

		snprintf(failed.error, sizeof(failed.error), "%s",
			 strerror(-r));
		module.sending = true;
		on_sent(NULL, &failed);
		return;
	}
	module.sending = true;
}

static double backoff_secs(const struct http_result *result)
{
	const struct remote_write_config *c = settings();
	double delay = (double)c->retry_initial_secs;
	double jitter =
	    0.75 + 0.5 * (double)(now_monotonic_usec() % 1000) / 1000.0;

	if (result->retry_after_secs > 0)
		return result->retry_after_secs;
	for (unsigned i = 1; i < module.failures && delay < c->retry_max_secs;
	     i++)
		delay *= 2;
	if (delay > (double)c->retry_max_secs)
		delay = (double)c->retry_max_secs;
	return delay * jitter;
}

static void describe(const struct http_result *result, char *text, size_t size)
{
	snprintf(text, size, "%s%s%.200s", result->error,
		 result->body[0] ? ": " : "", result->body);
	/* One line: receivers answer with newlines. */
	for (char *p = text; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static void on_sent(void *userdata, const struct http_result *result)
{
	uint64_t now = now_monotonic_usec();
	char text[480];

	(void)userdata;
	module.sending = false;
	if (result->outcome == HTTP_OK) {
		export_queue_done(module.queue, module.in_flight);
		module.sent_batches++;
		module.sent_bytes += module.in_flight_bytes;
		if (module.failures > 0) {
			char lasted[32];

			format_duration((now - module.failing_since_usec) /
					    USEC_PER_SEC,
					lasted, sizeof(lasted));
			log_notice("remote write: the receiver accepts again "
				   "after %s of failures; sending what "
				   "waited",
				   lasted);
		}
		module.failures = 0;
		send_next();
		return;
	}
	describe(result, text, sizeof(text));
	if (result->outcome == HTTP_PERMANENT) {
		/* Retrying the same bytes would be refused forever. */
		export_queue_done(module.queue, module.in_flight);
		module.refused++;
		hold_problem("the receiver refused batches");
		if (now >= module.refusal_logged_usec + REFUSAL_LOG_USEC ||
		    module.refusal_logged_usec == 0) {
			log_error("remote write: the receiver refused a batch "
				  "(%s); dropped it (%llu refused so far)",
				  text, (unsigned long long)module.refused);
			module.refusal_logged_usec = now;
		}
		send_next();
		return;
	}
	if (module.failures++ == 0) {
		module.failing_since_usec = now;
		log_warning("remote write: cannot send (%s); retrying, batches "
			    "wait in %s",
			    text, EXPORT_QUEUE_NAME);
	}
	string_copy(module.last_error, text, sizeof(module.last_error));
	module.retries++;
	module.waiting = true;
	sd_event_source_set_time(
	    module.retry_timer,
	    now + (uint64_t)(backoff_secs(result) * USEC_PER_SEC));
	sd_event_source_set_enabled(module.retry_timer, SD_EVENT_ONESHOT);
}

static int on_retry(sd_event_source *source, uint64_t usec, void *data)
{
	(void)source, (void)usec, (void)data;
	module.waiting = false;
	send_next();
	return 0;
}

/* Include/exclude globs, decided once per series (per slot generation). */
static bool selected(int id, const struct metric_series *s)
{
	const struct remote_write_config *c = settings();
	struct filter_slot *slot =
	    (size_t)id < module.filter_count ? &module.filter[id] : NULL;
	bool send = false;

	if (slot != NULL && slot->decision != UNKNOWN &&
	    slot->generation == s->generation)
		return slot->decision == SEND;
	for (size_t i = 0; i < c->include.count && !send; i++)
		send = metrics_series_match(c->include.items[i], s->name,
					    s->labels);
	for (size_t i = 0; i < c->exclude.count && send; i++)
		send = !metrics_series_match(c->exclude.items[i], s->name,
					     s->labels);
	if (slot != NULL)
		*slot = (struct filter_slot){s->generation, send ? SEND : SKIP};
	return send;
}

/* The export's own counters, in this very batch. */
static void publish_counters(struct metric_registry *m, int64_t now_usec)
{
	struct export_queue_stats q = {0};
	const struct {
		const char *name;
		double value;
	} series[] = {
	    {"agent.remote_write_queued_batches", 0},
	    {"agent.remote_write_sent_batches_total",
	     (double)module.sent_batches},
	    {"agent.remote_write_sent_bytes_total", (double)module.sent_bytes},
	    {"agent.remote_write_dropped_batches_total",
	     (double)module.dropped},
	    {"agent.remote_write_refused_batches_total",
	     (double)module.refused},
	};

	if (module.queue != NULL)
		export_queue_stats(module.queue, &q);
	for (size_t i = 0; i < ARRAY_SIZE(series); i++) {
		int id = metrics_register(m, series[i].name, "");

		if (id >= 0)
			metrics_push(m, id, now_usec,
				     i == 0 ? (double)q.batches
					    : series[i].value);
	}
}

static int encode(struct daemon *d, int64_t now_usec)
{
	size_t capacity = metrics_id_limit(d->metrics), bound;
	int64_t now_msec = now_usec / 1000;

	export_batch_reset(&module.batch);
	for (size_t id = 0; id < capacity; id++) {
		const struct metric_series *s =
		    metrics_get(d->metrics, (int)id);

		if (s == NULL || !s->in_use || s->last_time_usec != now_usec ||
		    !selected((int)id, s))
			continue;
		if (export_batch_add(&module.batch, s->name, s->labels,
				     module.host, module.host_count, now_msec,
				     s->last_value) == -ENOMEM)
			return -ENOMEM;
	}
	module.encoded_samples += module.batch.series;
	bound = export_snappy_bound(module.batch.length);
	if (bound > module.compressed_capacity) {
		uint8_t *grown = realloc(module.compressed, bound);

		if (grown == NULL)
			return -ENOMEM;
		module.compressed = grown;
		module.compressed_capacity = bound;
	}
	return (int)module.batch.series;
}

static void enqueue(int64_t now_usec)
{
	size_t length, dropped = 0;
	int r;

	length = export_snappy_compress(module.batch.data, module.batch.length,
					module.compressed);
	r = export_queue_push(module.queue, module.compressed, length,
			      now_usec / 1000, &dropped);
	if (r < 0 && -r != module.queue_error) {
		log_error_errno(r, "remote write: cannot queue this tick's "
				   "batch; it is lost");
		hold_problem("batches cannot be queued in the state directory");
	} else if (r == 0 && module.queue_error != 0) {
		log_notice("remote write: batches are queued again");
	}
	module.queue_error = r < 0 ? -r : 0;
	if (dropped > 0) {
		if (module.dropped_episode == 0)
			log_warning("remote write: the queue is full (%lld "
				    "bytes); dropping the oldest batches",
				    (long long)settings()->queue_max_bytes);
		module.dropped += dropped;
		module.dropped_episode += dropped;
		hold_problem("the queue was full: the oldest batches were "
			     "dropped");
	} else if (module.dropped_episode > 0 && module.failures == 0) {
		log_notice("remote write: %llu oldest batches were dropped "
			   "while the receiver was away",
			   (unsigned long long)module.dropped_episode);
		module.dropped_episode = 0;
	}
}

static void module_tick(struct daemon *d, uint64_t now)
{
	int64_t now_usec = (int64_t)now;
	int r;

	if (!module.active || d->metrics == NULL)
		return;
	publish_counters(d->metrics, now_usec);
	r = encode(d, now_usec);
	if (r < 0)
		log_error_errno(r, "remote write: cannot encode this tick");
	else if (r > 0)
		enqueue(now_usec);
	send_next();
	update_health(now);
}

static void reset_filter(struct daemon *d)
{
	size_t capacity = d->metrics ? metrics_capacity(d->metrics) : 0;

	if (module.filter_count != capacity) {
		zeroed_pages_free(module.filter, module.filter_count,
				  sizeof(*module.filter));
		module.filter =
		    capacity
			? zeroed_pages_alloc(capacity, sizeof(*module.filter))
			: NULL;
		module.filter_count = module.filter ? capacity : 0;
	} else if (module.filter != NULL) {
		memset(module.filter, 0, capacity * sizeof(*module.filter));
	}
}

static void apply_settings(struct daemon *d)
{
	char agent_labels[IDENTITY_LABELS_TEXT_MAX];

	identity_labels_text(&d->config->agent.labels, agent_labels,
			     sizeof(agent_labels));
	module.host_count = export_host_labels(
	    d->config->agent.hostname, d->agent_id, agent_labels,
	    &d->config->export.remote_write.external_labels, module.host);
	if (module.queue != NULL)
		export_queue_set_max(
		    module.queue,
		    (uint64_t)d->config->export.remote_write.queue_max_bytes);
	reset_filter(d);
}

static int activate(struct daemon *d)
{
	struct export_queue_stats q;
	int r;

	module.http = http_client_new(d->event);
	if (module.http == NULL ||
	    sd_event_add_time(d->event, &module.retry_timer, CLOCK_MONOTONIC,
			      UINT64_MAX, 0, on_retry, NULL) < 0)
		return -ENOMEM;
	sd_event_source_set_enabled(module.retry_timer, SD_EVENT_OFF);
	r = export_queue_open(
	    d->state_dir_fd, EXPORT_QUEUE_NAME,
	    (uint64_t)d->config->export.remote_write.queue_max_bytes,
	    &module.queue);
	if (r < 0)
		/* Every batch goes through the queue: no queue, no export. */
		return log_error_errno(r, "remote write: cannot open %s/%s",
				       d->config->agent.state_dir,
				       EXPORT_QUEUE_NAME);
	module.active = true;
	apply_settings(d);
	if (module.queue != NULL) {
		export_queue_stats(module.queue, &q);
		if (q.batches > 0)
			log_info("remote write: %zu batches (%llu bytes) wait "
				 "from before the restart",
				 q.batches, (unsigned long long)q.bytes);
	}
	log_info("remote write: on (%zu host labels, %zu include and %zu "
		 "exclude globs, queue up to %lld bytes)",
		 module.host_count,
		 d->config->export.remote_write.include.count,
		 d->config->export.remote_write.exclude.count,
		 (long long)d->config->export.remote_write.queue_max_bytes);
	return 0;
}

static void log_totals(void)
{
	struct export_queue_stats q = {0};

	if (module.queue != NULL)
		export_queue_stats(module.queue, &q);
	log_info(
	    "remote write: %llu batches (%llu samples encoded, %llu bytes) "
	    "sent, %llu retries, %llu refused, %llu dropped, %zu "
	    "waiting",
	    (unsigned long long)module.sent_batches,
	    (unsigned long long)module.encoded_samples,
	    (unsigned long long)module.sent_bytes,
	    (unsigned long long)module.retries,
	    (unsigned long long)module.refused,
	    (unsigned long long)module.dropped, q.batches);
}

/* Whatever waits stays in the queue file for the next start. */
static void deactivate(void)
{
	if (module.active)
		log_totals();
	module.active = false;
	http_client_free(module.http);
	module.http = NULL;
	module.sending = module.waiting = false;
	module.retry_timer = sd_compat_event_source_disable_unref(module.retry_timer);
	export_queue_close(module.queue);
	module.queue = NULL;
	health_set(HEALTH_CHECK, NULL);
}

static int module_start(struct daemon *d)
{
	module.daemon = d;
	if (!wanted(d->config)) {
		log_debug("remote write: off (no [export.remote_write] url)");
		return 0;
	}
	if (activate(d) < 0) {
		log_error("remote write: cannot start; metrics stay on the "
			  "host");
		deactivate();
	}
	return 0;
}

static int module_reload(struct daemon *d, const struct config *old_config)
{
	(void)old_config;
	if (!wanted(d->config)) {
		if (module.active)
			log_info("remote write: off; what waits stays in %s",
				 EXPORT_QUEUE_NAME);
		deactivate();
		return 0;
	}
	if (!module.active && activate(d) < 0) {
		deactivate();
		return -ENOMEM;
	}
	apply_settings(d);
	return 0;
}

static void module_stop(struct daemon *d)
{
	(void)d;
	deactivate();
}

static void module_free(struct daemon *d)
{
	(void)d;
	deactivate();
	export_batch_free(&module.batch);
	free(module.compressed);
	zeroed_pages_free(module.filter, module.filter_count,
			  sizeof(*module.filter));
	module = (struct export_state){0};
}

const struct daemon_module export_module = {
    .name = "export",
    .role = DAEMON_CONSUMER,
    .start = module_start,
    .tick = module_tick,
    .reload = module_reload,
    .stop = module_stop,
    .free = module_free,
};
