/*
 * history_module.c - the history as a daemon module, a consumer: it starts
 * before the producers and stops after them. Each tick (after the
 * producers') it rewrites the node_exporter textfile and hands the registry
 * to the database (history_tick); it records the alerter's outcomes from
 * the event bus, and provides the blob store (core/blobstore.h) in which the
 * analyzer keeps its baselines, so a restart starts warm. At stop, after
 * every producer has drained and saved, it writes the minute in progress,
 * commits the saved blobs and the queued alerts; nothing it reads (the
 * registry) is freed before every module has stopped.
 *
 * A database that cannot be opened or written is reported once, closed, and
 * retried every minute; the rest of the pipeline never waits on it.
 */
#include "history/history.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "core/blobstore.h"
#include "core/daemon.h"
#include "core/event.h"
#include "core/log.h"
#include "core/sd_compat.h"
#include "core/secret.h"
#include "core/util.h"
#include "history/history_internal.h"
#include "storage/metrics.h"

#define RETRY_USEC (60 * (int64_t)USEC_PER_SEC)
/* Ticks after start-up during which saved blobs wait for their series. */
#define RESTORE_TICKS 3

static struct {
	struct history *history;
	int64_t retry_usec; /* reopen no earlier than this */
	int64_t last_tick_usec;
	uint64_t ticks;
	int blobs_loaded;
	struct blobstore store; /* context: the open history, or NULL */
	uint64_t blobs_lost;    /* history_blobs_lost of the open history */
	bool degraded;		/* a failure was reported, not yet healed */
	char reported[256];	/* the last failure logged */
	int textfile_error;	/* the last textfile errno logged, or 0 */
	sd_event *event;
	sd_event_source *flush; /* armed while an early flush is pending */
} module;

static bool history_wanted(const struct daemon *d)
{
	return d->config->history.enabled && history_available();
}

static void report_failure(const char *what)
{
	/* Once per distinct problem, not once per tick. */
	char field[300];
	const char *fields[] = {field};

	if (strcmp(module.reported, what) == 0)
		return;
	string_copy(module.reported, what, sizeof(module.reported));
	snprintf(field, sizeof(field), "SYSOPS_HISTORY_ERROR=%s", what);
	log_structured(LOG_ERR, fields, 1,
		       "history: %s; history is kept in memory only (the "
		       "rings), alerts go on; retrying every %llds",
		       what, (long long)(RETRY_USEC / USEC_PER_SEC));
	module.degraded = true;
}

static void open_history(struct daemon *d, int64_t now_usec)
{
	char what[320];
	int count;

	module.history = history_open(d->state_dir_fd, &d->config->history);
	if (module.history == NULL) {
		snprintf(what, sizeof(what), "cannot open %s/%s: %s",
			 d->config->agent.state_dir, HISTORY_DB_NAME,
			 history_last_error());
		report_failure(what);
		/* At start-up the tick clock is not known yet. */
		module.retry_usec = now_usec < 0 ? -1 : now_usec + RETRY_USEC;
		return;
	}
	if (module.degraded)
		log_notice("history: %s is writable again", HISTORY_DB_NAME);
	module.degraded = false;
	module.reported[0] = '\0';
	module.store.context = module.history;
	/* What a stop without its import (SIGKILL, a crash) left in
	 * history.pending goes in before anything reads the database. */
	if (history_import(module.history,
			   now_usec < 0 ? (int64_t)now_realtime_usec()
					: now_usec) < 0)
		log_warning("history: cannot import %s: %s; it waits for the "
			    "next import", HISTORY_PENDING_NAME,
			    history_last_error());
	if (module.ticks == 0) {
		count = history_load_blobs(module.history);
		module.blobs_loaded = count > 0 ? count : 0;
		log_info("history: %s/%s open, %d saved analyzer baselines",
			 d->config->agent.state_dir, HISTORY_DB_NAME,
			 module.blobs_loaded);
	}
	/* Steady state: minutes appended to history.pending, SQLite
	 * unloaded until the next import. */
	if (history_detach(module.history) < 0)
		log_warning("history: cannot keep %s (%s); writing %s each "
			    "minute instead", HISTORY_PENDING_NAME,
			    history_last_error(), HISTORY_DB_NAME);
}

static void close_history(void)
{
	/* Saves while it is away answer -ENOTCONN (reported here, once);
	 * what it had taken and not committed goes with it. */
	module.store.context = NULL;
	module.store.losses++;
	module.blobs_lost = 0;
	history_close(module.history);
	module.history = NULL;
}

static int on_flush(sd_event_source *source, void *userdata)
{
	(void)userdata;
	sd_event_source_unref(source);
	module.flush = NULL;
	if (module.history != NULL)
		history_flush_alerts(module.history);
	return 0;
}

/*
 * A burst of alerts would fill the queue before the next tick: at half full
 * the queue is written out from the event loop's next turn (one SQLite
 * transaction; the alerter that recorded them does not wait on it).
 */
static void request_flush(void)
{
	if (module.flush != NULL || module.history == NULL ||
	    module.event == NULL ||
	    history_queue_pending() < HISTORY_ALERT_QUEUE / 2)
		return;
	if (sd_event_add_defer(module.event, &module.flush, on_flush, NULL) <
	    0)
		module.flush = NULL; /* the next tick writes them */
}

/* The alerter's outcome bus: every event and decision, into the queue. */
static void on_alert_outcome(void *context, uint64_t now_usec, const char *what,
			     const struct alert_event *event, const char *note)
{
	char outcome[256], summary[512], detail[1024];
	struct alert_event masked = *event;

	(void)context, (void)now_usec;
	snprintf(outcome, sizeof(outcome), "%s%s%s", what, note ? ": " : "",
		 note ? note : "");
	secret_mask(outcome);
	/* A summary or a log line may quote a configured secret. */
	string_copy(summary, event->summary ? event->summary : "",
		    sizeof(summary));
	secret_mask(summary);
	masked.summary = summary;
	if (event->detail != NULL) {
		string_copy(detail, event->detail, sizeof(detail));
		secret_mask(detail);
		masked.detail = detail;
	}
	/* A burst inside one turn of the loop (a log backlog read at once)
	 * fills the queue before the early flush can run: then it is
	 * written out here, one transaction of HISTORY_ALERT_QUEUE rows, a
	 * few ms, rather than dropping records. */
	if (history_queue_pending() == HISTORY_ALERT_QUEUE &&
	    module.history != NULL)
		history_flush_alerts(module.history);
	history_record_alert(&masked, outcome);
	request_flush();
}

static int module_start(struct daemon *d)
{
	event_observe(on_alert_outcome, NULL);
	module.event = d->event;
	module.ticks = 0;
	module.retry_usec = 0;
	module.store = (struct blobstore){
	    .save = history_blob_save,
	    .load = history_blob_load,
	    .save_interval_secs = d->config->history.snapshot_interval_secs,
	};
	if (!d->config->history.enabled)
		log_info("history: disabled in the configuration");
	else if (!history_available())
		/* The analyzer says what this means for its baselines. */
		log_notice("history: built without SQLite; no history or "
			   "alert history (the rings still hold the last "
			   "%llds)",
			   (long long)d->config->agent.history_secs);
	else {
		/* Alerts wait in the queue while the database is away. */
		history_queue_enable(true);
		open_history(d, -1);
		/* Also while it is away: it may come back. */
		blobstore_set(&module.store);
	}
	return 0;
}

static void write_textfile(struct daemon *d, int64_t now_usec)
{
	const char *path = d->config->history.textfile;
	int64_t max_age =
	    2 * d->config->agent.collect_interval_secs * (int64_t)USEC_PER_SEC;
	int r;

	if (path == NULL || path[0] == '\0' || d->metrics == NULL)
		return;
	r = history_textfile_write(path, d->metrics, now_usec, max_age);
	if (r < 0 && -r != module.textfile_error)
		log_error_errno(r,
				"history: cannot write the textfile %s: %m; "
				"node_exporter keeps the last complete one",
				path);
	else if (r == 0 && module.textfile_error != 0)
		log_notice("history: textfile %s written again", path);
	module.textfile_error = r < 0 ? -r : 0;
}

static void module_tick(struct daemon *d, uint64_t now)
{
	int64_t now_usec = (int64_t)now;
	int r;

	write_textfile(d, now_usec);
	module.ticks++;
	module.last_tick_usec = now_usec;
	if (module.ticks == RESTORE_TICKS && module.blobs_loaded) {
		log_info("history: restored the baselines of %zu of %d series",
			 history_blobs_restored(), module.blobs_loaded);
		history_forget_blobs();
		module.blobs_loaded = 0;
	}
	if (!history_wanted(d) || d->metrics == NULL)
		return;
	if (module.retry_usec < 0)
		module.retry_usec = now_usec + RETRY_USEC;
	if (module.history == NULL && now_usec >= module.retry_usec)
		open_history(d, now_usec);
	if (module.history == NULL)
		return;
	r = history_tick(module.history, d->metrics, now_usec);
	if (history_blobs_lost(module.history) != module.blobs_lost) {
		module.blobs_lost = history_blobs_lost(module.history);
		module.store.losses++;
	}
	if (r == -ESTALE) {
		log_warning("history: %s; starting a new database",
			    history_last_error());
		close_history();
		open_history(d, now_usec);
		return;
	}
	if (r < 0) {
		char what[320];

		snprintf(what, sizeof(what), "cannot write %s: %s",
			 HISTORY_DB_NAME, history_last_error());
		close_history();
		report_failure(what);
		module.retry_usec = now_usec + RETRY_USEC;
	}
}

static int module_reload(struct daemon *d, const struct config *old_config)
{
	(void)old_config;
	module.store.save_interval_secs =
	    d->config->history.snapshot_interval_secs;
	if (!history_wanted(d)) {
		if (module.history != NULL)
			log_info("history: disabled; %s closed",
				 HISTORY_DB_NAME);
		/* What waits in history.pending goes in first. */
		if (history_detached(module.history) &&
		    history_import(module.history,
				   (int64_t)now_realtime_usec()) < 0)
			log_warning("history: cannot import %s: %s; the next "
				    "start with history enabled imports it",
				    HISTORY_PENDING_NAME,
				    history_last_error());
		close_history();
		if (blobstore_get() == &module.store)
			blobstore_set(NULL);
		return 0;
	}
	blobstore_set(&module.store);
	if (module.history != NULL)
		history_set_config(module.history, &d->config->history);
	else
		module.retry_usec = 0;
	return 0;
}

/*
 * Every producer has stopped (and the analyzer saved its baselines into the
 * open blob transaction); the registry is freed only after this.
 */
static void module_stop(struct daemon *d)
{
	int r;

	if (module.history != NULL && d->metrics != NULL &&
	    module.last_tick_usec != 0 &&
	    history_flush(module.history, d->metrics, module.last_tick_usec) <
		0)
		log_warning("history: cannot write the last minute: %s",
			    history_last_error());
	if (module.history != NULL) {
		r = history_commit_blobs(module.history);
		if (r < 0)
			log_warning("history: cannot save the analyzer "
				    "baselines: %s",
				    history_last_error());
		history_flush_alerts(module.history);
		if (history_detached(module.history) &&
		    history_import(module.history,
				   module.last_tick_usec != 0
				       ? module.last_tick_usec
				       : (int64_t)now_realtime_usec()) < 0)
			log_warning("history: cannot import %s at stop: %s; "
				    "the next start imports it",
				    HISTORY_PENDING_NAME,
				    history_last_error());
	}
	if (module.flush != NULL)
		module.flush = sd_compat_event_source_disable_unref(module.flush);
	close_history();
	history_forget_blobs();
	history_queue_enable(false);
}

/* Nobody saves or publishes any more: every module has stopped. */
static void module_free(struct daemon *d)
{
	(void)d;
	if (blobstore_get() == &module.store)
		blobstore_set(NULL);
	event_unobserve(on_alert_outcome, NULL);
}

const struct daemon_module history_module = {
    .name = "history",
    .role = DAEMON_CONSUMER,
    .start = module_start,
    .tick = module_tick,
    .reload = module_reload,
    .stop = module_stop,
    .free = module_free,
};
