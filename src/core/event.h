/*
 * event.h - the alert event every producer (collectors, analyzer, log
 * scanner, checks) hands to the one sink, and the bus on which the consumer
 * of that sink (the alerter) publishes what became of each event.
 *
 * Producers include only this header: they never depend on the alerter. The
 * alerter registers itself as the sink when it starts (it starts before any
 * producer) and observers (the history) subscribe to its outcomes.
 */
#ifndef SYSOPS_EVENT_H
#define SYSOPS_EVENT_H

#include <stdbool.h>
#include <stdint.h>

enum alert_severity {
	ALERT_INFO,
	ALERT_WARNING,
	ALERT_CRITICAL,
};

/* What kind of fact an event states; it decides how the alerter treats it. */
enum alert_nature {
	/* A metric condition (threshold, anomaly, forecast, leak): fires and
	 * resolves; one that clears within group_wait_secs is a blip. */
	ALERT_METRIC = 0,
	/* A state seen directly (unit failed, filesystem read-only): fires
	 * and resolves, but is never dropped as a blip. */
	ALERT_STATE,
	/* Something that happened once (a log line, an OOM kill, a reboot):
	 * no "resolved" follows, never a blip; repeats of the same identity
	 * within repeat_interval_secs are counted into it. */
	ALERT_POINT,
};

/*
 * What a producer may put in detail (the alerter keeps ALERT_DETAIL_MAX,
 * 512 bytes, of it) and in history (the alerter copies the newest 32):
 * context is written to fit, never cut mid-line by the alerter.
 */
#define ALERT_EVENT_DETAIL_MAX	512
#define ALERT_EVENT_HISTORY_MAX 32

struct alert_event {
	const char *rule;       /* detector or log rule: "disk_full_forecast" */
	const char *series;     /* metric name, or log source ("kmsg") */
	const char *labels;     /* canonical "mount=/", or "" */
	enum alert_severity severity;
	bool firing;            /* false: the condition has cleared */
	/* Still firing, with news worth a new message under the same alert
	 * (a forecast whose ETA halved); a plain repeat stays silent. */
	bool renotify;
	enum alert_nature nature;
	uint64_t time_usec;     /* CLOCK_REALTIME when observed */
	/* CLOCK_REALTIME when the condition began (a threshold's breach
	 * before its for_secs, a leak's growth run), so "since" agrees with
	 * "for at least 60s"; 0: time_usec. */
	uint64_t since_usec;
	double value;           /* NAN when not applicable */
	double baseline;        /* NAN when not applicable */
	double threshold;       /* NAN when not applicable */
	double score;           /* 0..1, how anomalous */
	int64_t eta_secs;       /* forecast: seconds until the limit, or -1 */
	const char *summary;    /* one sentence an operator understands */
	/* Context, lines separated by '\n': the log line and its neighbours,
	 * the top processes, the bytes of a filling disk; may be NULL. */
	const char *detail;
	uint32_t count;         /* events aggregated into this one (logs) */
	/* Recent values of the metric, oldest first, for a sparkline; the
	 * alerter copies the newest 32. NULL/0 when there is none. */
	const double *history;
	uint32_t history_count;
};

/*
 * The sink: accept takes one event (0 accepted: from then on a kill -9 at
 * any instant loses nothing; -errno refused); sync returns 0 once every
 * accepted event is durable on disk, -errno when some is not (a producer
 * then must not persist a source position past it).
 */
struct event_sink {
	int (*accept)(const struct alert_event *event, void *context);
	int (*sync)(void *context);
	void *context;
};

/* Installs (or with NULL removes) the sink. */
void event_set_sink(const struct event_sink *sink);

/*
 * Hands one event to the sink. Returns 0 when accepted, or -errno. With no
 * sink (a command outside the daemon) the event is written as one
 * structured log record and 0 is returned.
 */
int event_submit(const struct alert_event *event);

/*
 * Makes every accepted event durable (one fdatasync of the alerter's
 * journal, batched). Producers call it before saving a source position;
 * 0 without a sink. Never blocks for more than one disk flush.
 */
int event_sync(void);

/* ---- outcomes: what the alerter decided, for observers (history) ---- */

/*
 * what: "firing", "resolved", "silenced", "dropped", "flapping", "sent",
 * "evicted", ...; note: free text ("rate limit", "slack: HTTP 500") or NULL.
 */
typedef void event_observer_fn(void *context, uint64_t now_usec,
			       const char *what,
			       const struct alert_event *event,
			       const char *note);

#define EVENT_OBSERVERS_MAX 4

/* -ENOSPC past EVENT_OBSERVERS_MAX; removing an unknown one is a no-op. */
int event_observe(event_observer_fn *fn, void *context);
void event_unobserve(event_observer_fn *fn, void *context);
void event_publish(uint64_t now_usec, const char *what,
		   const struct alert_event *event, const char *note);

/* ---- claims: who reports an event best ---- */

/*
 * Two producers can see one event: a collector counts OOM kills in
 * /proc/vmstat, the log scanner reads the kernel's line naming the victim.
 * The one with more to say claims the event's rule while it can report it
 * (its source read and its rule enabled); the other checks
 * event_claimed() and stays quiet only then, so turning the better source
 * off never silences the event. At most EVENT_CLAIMS_MAX rules; -ENOSPC
 * past that (the claim is not made, so nothing is silenced).
 */
#define EVENT_CLAIMS_MAX     8
#define EVENT_CLAIM_RULE_MAX 64 /* bytes of a rule name, with its NUL */

int event_claim(const char *rule, bool claimed);
bool event_claimed(const char *rule);

const char *event_severity_name(enum alert_severity severity);
/* "info", "warning", "critical" (any case); fallback for anything else. */
enum alert_severity event_severity_from_name(const char *name,
					     enum alert_severity fallback);

#endif
