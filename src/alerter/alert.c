/*
 * alert.c - the entry point of the alerter. Inside the daemon an event goes
 * to the pipeline (alerter.c); in a command with no alerter running it
 * becomes one structured journal record, with the rule, series and severity
 * as fields.
 */
#include "alerter/alert.h"

#include <errno.h>
#include <stdio.h>

#include "alerter/alerter.h"
#include "core/log.h"

const char *alert_severity_name(enum alert_severity severity)
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

static int severity_priority(enum alert_severity severity)
{
	return severity == ALERT_CRITICAL  ? LOG_CRIT
	       : severity == ALERT_WARNING ? LOG_WARNING
					   : LOG_NOTICE;
}

int alert_submit(const struct alert_event *event)
{
	char rule[96], series[96], labels[192], severity[48], state[32];
	const char *fields[5] = { rule, series, labels, severity, state };

	int r;

	if (event == NULL || event->rule == NULL || event->summary == NULL)
		return -EINVAL;
	r = alerter_accept(event);
	if (r != -ENODEV)
		return r;
	snprintf(rule, sizeof(rule), "SYSOPS_RULE=%s", event->rule);
	snprintf(series, sizeof(series), "SYSOPS_SERIES=%s",
		 event->series ? event->series : "");
	snprintf(labels, sizeof(labels), "SYSOPS_LABELS=%s",
		 event->labels ? event->labels : "");
	snprintf(severity, sizeof(severity), "SYSOPS_SEVERITY=%s",
		 alert_severity_name(event->severity));
	snprintf(state, sizeof(state), "SYSOPS_STATE=%s",
		 event->firing ? "firing" : "resolved");
	log_structured(event->firing ? severity_priority(event->severity)
				     : LOG_NOTICE,
		       fields, 5, "%s %s: %s", event->firing ? "ALERT" : "RESOLVED",
		       event->rule, event->summary);
	return 0;
}
