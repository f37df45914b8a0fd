/*
 * event.c - the one sink producers submit alert events to, and the outcome
 * bus the alerter publishes on. Without a sink (commands) an event becomes
 * one structured log record, so `logscan` and `once` still say what fired.
 */
#include "core/event.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/util.h"

static struct event_sink sink;
static bool sink_set;

static struct {
	event_observer_fn *fn;
	void *context;
} observers[EVENT_OBSERVERS_MAX];

static char claims[EVENT_CLAIMS_MAX][EVENT_CLAIM_RULE_MAX];

int event_claim(const char *rule, bool claimed)
{
	char(*free_slot)[EVENT_CLAIM_RULE_MAX] = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(claims); i++) {
		if (strcmp(claims[i], rule) == 0) {
			if (!claimed)
				claims[i][0] = '\0';
			return 0;
		}
		if (claims[i][0] == '\0' && free_slot == NULL)
			free_slot = &claims[i];
	}
	if (!claimed)
		return 0;
	if (free_slot == NULL)
		return -ENOSPC;
	string_copy(*free_slot, rule, sizeof(*free_slot));
	return 0;
}

bool event_claimed(const char *rule)
{
	for (size_t i = 0; i < ARRAY_SIZE(claims); i++)
		if (claims[i][0] != '\0' && strcmp(claims[i], rule) == 0)
			return true;
	return false;
}

void event_set_sink(const struct event_sink *new_sink)
{
	sink_set = new_sink != NULL;
	if (new_sink != NULL)
		sink = *new_sink;
	else
		sink = (struct event_sink){ 0 };
}

const char *event_severity_name(enum alert_severity severity)
{
	switch (severity) {
	case ALERT_INFO:
		return "info";
	case ALERT_WARNING:
		return "warning";
	case ALERT_CRITICAL:
		return "critical";
	}
	return "unknown";
}

enum alert_severity event_severity_from_name(const char *name,
					     enum alert_severity fallback)
{
	if (name == NULL)
		return fallback;
	if (strcasecmp(name, "critical") == 0)
		return ALERT_CRITICAL;
	if (strcasecmp(name, "warning") == 0)
		return ALERT_WARNING;
	if (strcasecmp(name, "info") == 0)
		return ALERT_INFO;
	return fallback;
}

static int severity_priority(enum alert_severity severity)
{
	return severity == ALERT_CRITICAL  ? LOG_CRIT
	       : severity == ALERT_WARNING ? LOG_WARNING
					   : LOG_NOTICE;
}

static void log_event(const struct alert_event *event)
{
	char rule[96], series[96], labels[192], severity[48], state[32];
	const char *fields[5] = { rule, series, labels, severity, state };

	snprintf(rule, sizeof(rule), "SYSOPS_RULE=%s", event->rule);
	snprintf(series, sizeof(series), "SYSOPS_SERIES=%s",
		 event->series ? event->series : "");
	snprintf(labels, sizeof(labels), "SYSOPS_LABELS=%s",
		 event->labels ? event->labels : "");
	snprintf(severity, sizeof(severity), "SYSOPS_SEVERITY=%s",
		 event_severity_name(event->severity));
	snprintf(state, sizeof(state), "SYSOPS_STATE=%s",
		 event->firing ? "firing" : "resolved");
	log_structured(event->firing ? severity_priority(event->severity)
				     : LOG_NOTICE,
		       fields, 5, "%s %s: %s",
		       event->firing ? "ALERT" : "RESOLVED", event->rule,
		       event->summary);
}

int event_submit(const struct alert_event *event)
{
	if (event == NULL || event->rule == NULL || event->rule[0] == '\0' ||
	    event->summary == NULL)
		return -EINVAL;
	if (sink_set && sink.accept != NULL)
		return sink.accept(event, sink.context);
	log_event(event);
	return 0;
}

int event_sync(void)
{
	if (sink_set && sink.sync != NULL)
		return sink.sync(sink.context);
	return 0;
}

int event_observe(event_observer_fn *fn, void *context)
{
	for (size_t i = 0; i < ARRAY_SIZE(observers); i++)
		if (observers[i].fn == NULL) {
			observers[i].fn = fn;
			observers[i].context = context;
			return 0;
		}
	return -ENOSPC;
}

void event_unobserve(event_observer_fn *fn, void *context)
{
	for (size_t i = 0; i < ARRAY_SIZE(observers); i++)
		if (observers[i].fn == fn && observers[i].context == context)
			observers[i].fn = NULL;
}

void event_publish(uint64_t now_usec, const char *what,
		   const struct alert_event *event, const char *note)
{
	for (size_t i = 0; i < ARRAY_SIZE(observers); i++)
		if (observers[i].fn != NULL)
			observers[i].fn(observers[i].context, now_usec, what,
					event, note);
}
