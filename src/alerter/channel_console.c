/*
 * channel_console.c - the console/journal channel: one structured record per
 * alert (SYSOPS_RULE=, SYSOPS_SEVERITY=, ... for journalctl filtering), at a
 * priority that follows the severity. It cannot fail, so it is not spooled.
 */
#include <stdio.h>

#include "alerter/channel.h"
#include "alerter/text.h"
#include "core/log.h"

static int priority_of(const struct alert_snapshot *a)
{
	if (a->kind == ALERT_KIND_RESOLVED || a->kind == ALERT_KIND_TEST)
		return LOG_NOTICE;
	return a->severity == ALERT_CRITICAL  ? LOG_CRIT
	       : a->severity == ALERT_WARNING ? LOG_WARNING
					      : LOG_NOTICE;
}

void channel_console_write(const struct alert_message *m, uint64_t now_usec)
{
	char rule[96], series[128], labels[192], severity[48], state[48],
		kind[48], host[96], headline[1024], facts[2048];
	const char *fields[7] = { rule, series, labels, severity, state, kind,
				  host };

	snprintf(host, sizeof(host), "SYSOPS_HOST=%s", m->host);
	for (size_t i = 0; i < m->alert_count; i++) {
		const struct alert_snapshot *a = &m->alerts[i];

		snprintf(rule, sizeof(rule), "SYSOPS_RULE=%s", a->rule);
		snprintf(series, sizeof(series), "SYSOPS_SERIES=%s", a->series);
		snprintf(labels, sizeof(labels), "SYSOPS_LABELS=%s", a->labels);
		snprintf(severity, sizeof(severity), "SYSOPS_SEVERITY=%s",
			 event_severity_name(a->severity));
		snprintf(state, sizeof(state), "SYSOPS_STATE=%s",
			 a->firing ? "firing" : "resolved");
		snprintf(kind, sizeof(kind), "SYSOPS_KIND=%s",
			 alert_kind_name(a->kind));
		alert_journal_line(a, m->host, headline, sizeof(headline));
		alert_facts(a, now_usec, facts, sizeof(facts));
		for (char *p = facts; *p; p++)
			if (*p == '\n')
				*p = p[1] ? ';' : '\0';
		log_structured(priority_of(a), fields, 7, "%s%s%s", headline,
			       facts[0] ? " | " : "", facts);
	}
	if (m->deferred_count > 0) {
		message_deferred_line(m, headline, sizeof(headline));
		log_structured(LOG_NOTICE, fields + 6, 1, "%s", headline);
	}
}
