/*
 * heartbeat.c - the heartbeat module (see heartbeat.h). Its own timer, not
 * the collection tick, paces the pings, so an interval that is not a
 * multiple of the collection's is kept; a loop that hangs sends nothing,
 * which is exactly what the service on the other end watches for.
 *
 * Self-checks, run before each ping:
 *   - collection: a tick overran its slot since the last ping (the daemon's
 *     ticks_late counter grew);
 *   - state directory: a small file written there atomically (the queue,
 *     spool, cursors and history all live there);
 *   - alerts: event_sync() fails, i.e. accepted alerts are not durable;
 *   - modules: whatever they report through core/health.h (remote write:
 *     batches waiting for an absent receiver, dropped or refused batches).
 */
#include "heartbeat/heartbeat.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/daemon.h"
#include "core/event.h"
#include "core/health.h"
#include "core/http.h"
#include "core/log.h"
#include "core/sd_compat.h"
#include "core/state.h"
#include "core/util.h"

/* The last ping must leave room in the 2 s stop budget. */
#define STOP_PING_MSEC 1000
#define STATUS_MAX     1024

static struct heartbeat_state {
	struct daemon *daemon;
	struct http_client *http;
	sd_event_source *timer;
	bool pinging; /* a ping in flight */
	bool failing; /* the last self-check failed */
	bool alert_firing;
	bool ping_error_said;
	uint64_t ticks_late_seen;
	uint64_t pings, pings_failed, pings_skipped;
	char status[STATUS_MAX]; /* the body of the ping in flight */
} hb;

static const struct heartbeat_config *settings(void)
{
	return &hb.daemon->config->heartbeat;
}

int heartbeat_url(const char *url, const char *suffix, char *buffer,
		  size_t size)
{
	size_t path = strcspn(url, "?#");
	int n;

	/* "https://hc-ping.com/UUID/" + "/fail" must not give "//fail". */
	while (*suffix && path > 0 && url[path - 1] == '/')
		path--;
	n = snprintf(buffer, size, "%.*s%s%s", (int)path, url, suffix,
		     url + strcspn(url, "?#"));
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The self-checks; a one-line account in text. Returns true when healthy. */
static bool self_check(char *text, size_t size)
{
	struct daemon *d = hb.daemon;
	char line[64], modules[STATUS_MAX];
	size_t used = 0;
	bool healthy = true;
	int r;

#define SAY(...)                                                               \
	do {                                                                   \
		if (used < size)                                               \
			used += (size_t)snprintf(text + used, size - used,     \
						 "%s", used ? "; " : "");      \
		if (used < size)                                               \
			used += (size_t)snprintf(text + used, size - used,     \
						 __VA_ARGS__);                 \
		healthy = false;                                               \
	} while (0)

	text[0] = '\0';
	if (d->ticks_late > hb.ticks_late_seen)
		SAY("collection fell behind by %llu tick(s)",
		    (unsigned long long)(d->ticks_late - hb.ticks_late_seen));
	hb.ticks_late_seen = d->ticks_late;
	snprintf(line, sizeof(line), "%llu\n",
		 (unsigned long long)(now_realtime_usec() / USEC_PER_SEC));
	r = state_write_atomic(d->state_dir_fd, HEARTBEAT_PROBE_FILE, line,
			       strlen(line));
	if (r < 0)
		SAY("state directory %s is not writable: %s",
		    d->config->agent.state_dir, strerror(-r));
	r = event_sync();
	if (r < 0)
		SAY("accepted alerts are not durable: %s", strerror(-r));
	if (health_problems(modules, sizeof(modules)) > 0)
		SAY("%s", modules);
#undef SAY
	if (healthy)
		snprintf(text, size, "ok: %llu ticks",
			 (unsigned long long)d->tick_count);
	return healthy;
}

static void submit_alert(bool firing)
{
	char summary[256];
	struct alert_event event = {
	    .rule = HEARTBEAT_RULE,
	    .series = "agent",
	    .labels = "",
	    .severity = ALERT_INFO,
	    .firing = firing,
	    .nature = ALERT_STATE,
	    .time_usec = now_realtime_usec(),
	    .value = NAN,
	    .baseline = NAN,
	    .threshold = NAN,
	    .eta_secs = -1,
	    .summary = summary,
	    .count = 1,
	};

	snprintf(summary, sizeof(summary),
		 firing ? "sysops-agent is running on %s; this alert always "
			  "fires, so that its absence says the agent or the "
			  "host is gone"
			: "agent_heartbeat is switched off on %s",
		 hb.daemon->config->agent.hostname);
	if (event_submit(&event) < 0)
		log_warning("heartbeat: the alerter refused agent_heartbeat");
	hb.alert_firing = firing;
}

static void on_pinged(void *userdata, const struct http_result *result)
{
	(void)userdata;
	hb.pinging = false;
	if (result->outcome == HTTP_OK) {
		hb.pings++;
		if (hb.ping_error_said)
			log_notice("heartbeat: pings reach the service again");
		hb.ping_error_said = false;
		return;
	}
	hb.pings_failed++;
	if (!hb.ping_error_said)
		log_warning("heartbeat: ping failed (%s%s%.200s); the next one "
			    "follows in %llds",
			    result->error, result->body[0] ? ": " : "",
			    result->body, (long long)settings()->interval_secs);
	hb.ping_error_said = true;
}

static void fill_request(struct http_request *request, const char *url)
{
	const struct heartbeat_config *c = settings();
	static const char *const headers[] = {
	    "Content-Type: text/plain; charset=utf-8",
	};

	*request = (struct http_request){
	    .url = url,
	    .post = strcmp(c->method, "POST") == 0,
	    .body = hb.status,
	    .body_length = strlen(hb.status),
	    .headers = headers,
	    .header_count = 1,
	    .ca_file = c->ca_file,
	    .connect_timeout_secs = c->timeout_secs,
	    .timeout_secs = c->timeout_secs,
	};
}

static void ping(const char *suffix)
{
	struct http_request request;
	char url[2048];
	int r;

	if (hb.http == NULL)
		return;
	if (hb.pinging) {
		/* The last one has not answered yet: one at a time. */
		hb.pings_skipped++;
		return;
	}
	if (heartbeat_url(settings()->url, suffix, url, sizeof(url)) < 0) {
		log_error("heartbeat: the ping URL is too long");
		return;
	}
	fill_request(&request, url);
	r = http_client_send(hb.http, &request, on_pinged, NULL);
	if (r < 0) {
		log_error_errno(r, "heartbeat: cannot ping");
		return;
	}
	hb.pinging = true;
}

static void beat(void)
{
	bool healthy = self_check(hb.status, sizeof(hb.status));

	if (!healthy && !hb.failing)
		log_warning("heartbeat: self-check failed: %s", hb.status);
	else if (healthy && hb.failing)
		log_notice("heartbeat: self-checks pass again");
	hb.failing = !healthy;
	if (settings()->alert)
		submit_alert(true);
	if (settings()->url != NULL)
		ping(healthy ? "" : "/fail");
}

static int on_timer(sd_event_source *source, uint64_t usec, void *data)
{
	uint64_t interval = (uint64_t)settings()->interval_secs * USEC_PER_SEC;
	uint64_t next = usec + interval, now;

	(void)data;
	beat();
	/* After a stall, one ping now and the next a whole interval on,
	 * not a burst of the missed ones. */
	now = now_monotonic_usec();
	if (next <= now)
		next = now + interval;
	sd_event_source_set_time(source, next);
	return sd_event_source_set_enabled(source, SD_EVENT_ON);
}

static bool wanted(const struct config *config)
{
	return config->heartbeat.url != NULL || config->heartbeat.alert;
}

/* Starts or restarts the pace and the client for the current settings. */
static int apply(struct daemon *d)
{
	uint64_t next =
	    now_monotonic_usec() +
	    (uint64_t)d->config->heartbeat.interval_secs * USEC_PER_SEC;

	if (d->config->heartbeat.url != NULL && hb.http == NULL) {
		hb.http = http_client_new(d->event);
		if (hb.http == NULL)
			return -ENOMEM;
	} else if (d->config->heartbeat.url == NULL && hb.http != NULL) {
		http_client_free(hb.http);
		hb.http = NULL;
		hb.pinging = false;
	}
	if (hb.timer == NULL)
		return sd_event_add_time(d->event, &hb.timer, CLOCK_MONOTONIC,
					 next, USEC_PER_SEC / 10, on_timer,
					 NULL);
	sd_event_source_set_time(hb.timer, next);
	return sd_event_source_set_enabled(hb.timer, SD_EVENT_ON);
}

static int module_start(struct daemon *d)
{
	int r;

	hb.daemon = d;
	hb.ticks_late_seen = d->ticks_late;
	if (!wanted(d->config))
		return 0;
	r = apply(d);
	if (r < 0)
		return log_error_errno(r, "heartbeat: cannot start");
	snprintf(hb.status, sizeof(hb.status), "sysops-agent %s starting on %s",
		 SYSOPS_VERSION, d->config->agent.hostname);
	if (d->config->heartbeat.url != NULL)
		ping("/start");
	if (d->config->heartbeat.alert)
		submit_alert(true);
	log_info("heartbeat: every %llds%s%s",
		 (long long)d->config->heartbeat.interval_secs,
		 d->config->heartbeat.url ? ", pinging the configured URL" : "",
		 d->config->heartbeat.alert ? ", agent_heartbeat alert firing"
					    : "");
	return 0;
}

static int module_reload(struct daemon *d, const struct config *old_config)
{
	(void)old_config;
	if (hb.alert_firing && !d->config->heartbeat.alert)
		submit_alert(false);
	if (!wanted(d->config)) {
		http_client_free(hb.http);
		hb.http = NULL;
		hb.pinging = false;
		hb.timer = sd_compat_event_source_disable_unref(hb.timer);
		return 0;
	}
	if (d->config->heartbeat.alert && !hb.alert_firing)
		submit_alert(true);
	return apply(d);
}

/*
 * The loop runs no more: the last ping is sent here and waited for (at most
 * STOP_PING_MSEC). The alert is left firing: a stopped agent is what the
 * dead man's switch is there to notice, and a restart must not resolve and
 * fire it again on every channel.
 */
static void module_stop(struct daemon *d)
{
	struct http_request request;
	struct http_result result = {.error = "cannot send"};
	char url[2048];

	if (d->config->heartbeat.url == NULL)
		return;
	http_client_free(hb.http);
	hb.http = NULL;
	snprintf(hb.status, sizeof(hb.status),
		 "sysops-agent stopping on %s after %llu ticks%s",
		 d->config->agent.hostname, (unsigned long long)d->tick_count,
		 hb.failing ? " (a self-check was failing)" : "");
	if (heartbeat_url(d->config->heartbeat.url, hb.failing ? "/fail" : "",
			  url, sizeof(url)) < 0)
		return;
	fill_request(&request, url);
	if (http_send_now(&request, STOP_PING_MSEC, &result) < 0 ||
	    result.outcome != HTTP_OK)
		log_warning("heartbeat: the last ping failed (%s)",
			    result.error);
	log_info("heartbeat: %llu pings sent, %llu failed, %llu skipped",
		 (unsigned long long)hb.pings,
		 (unsigned long long)hb.pings_failed,
		 (unsigned long long)hb.pings_skipped);
}

static void module_free(struct daemon *d)
{
	(void)d;
	http_client_free(hb.http);
	sd_compat_event_source_disable_unref(hb.timer);
	hb = (struct heartbeat_state){0};
}

const struct daemon_module heartbeat_module = {
    .name = "heartbeat",
    .role = DAEMON_PRODUCER,
    .start = module_start,
    .reload = module_reload,
    .stop = module_stop,
    .free = module_free,
};
