/*
 * alert.h - what the analyzer and the log scanner hand to the alerter.
 *
 * An alert event is a statement about one problem at one moment: it fires,
 * or it has cleared. The alerter owns everything after that (dedup, grouping,
 * rate limits, channels, spool); producers never talk to a channel.
 */
#ifndef SYSOPS_ALERT_H
#define SYSOPS_ALERT_H

#include <stdbool.h>
#include <stdint.h>

enum alert_severity {
	ALERT_INFO,
	ALERT_WARNING,
	ALERT_CRITICAL,
};

struct alert_event {
	const char *rule;       /* detector or log rule: "disk_full_forecast" */
	const char *series;     /* metric name, or log source ("kmsg") */
	const char *labels;     /* canonical "mount=/", or "" */
	enum alert_severity severity;
	bool firing;            /* false: the condition has cleared */
	uint64_t time_usec;     /* CLOCK_REALTIME when observed */
	double value;           /* NAN when not applicable */
	double baseline;        /* NAN when not applicable */
	double threshold;       /* NAN when not applicable */
	double score;           /* 0..1, how anomalous */
	int64_t eta_secs;       /* forecast: seconds until the limit, or -1 */
	const char *summary;    /* one sentence an operator understands */
	const char *detail;     /* masked log line, context; may be NULL */
	uint32_t count;         /* events aggregated into this one (logs) */
	/* Recent values of the metric, oldest first, for a sparkline; the
	 * alerter copies the newest 32. NULL/0 when there is none. */
	const double *history;
	uint32_t history_count;
};

/*
 * Hands one event to the alerter. Returns 0 when accepted (from then on it is
 * the alerter's job never to lose it), or -errno. Outside the daemon (no
 * alerter running) the event is written as one structured log record.
 */
int alert_submit(const struct alert_event *event);

const char *alert_severity_name(enum alert_severity severity);

#endif
