/*
 * alert_fixture.h - messages shared by the alerter's formatter tests: a
 * realistic one (disk forecast with a sparkline, a masked log line) and a
 * hostile one (markup, quotes, huge text, many alerts).
 */
#ifndef SYSOPS_TEST_ALERT_FIXTURE_H
#define SYSOPS_TEST_ALERT_FIXTURE_H

#include <math.h>
#include <string.h>

#include "alerter/message.h"
#include "core/util.h"

#define FIXTURE_NOW (1763769600ULL * 1000000ULL + 300ULL * 1000000ULL)

static inline void fixture_alert(struct alert_snapshot *a, const char *rule,
				 enum alert_severity severity)
{
	memset(a, 0, sizeof(*a));
	string_copy(a->rule, rule, sizeof(a->rule));
	string_copy(a->series, "disk.used_percent", sizeof(a->series));
	string_copy(a->labels, "device=sda1,mount=/", sizeof(a->labels));
	string_copy(a->summary, "Disk / is 97% full", sizeof(a->summary));
	a->severity = severity;
	a->kind = ALERT_KIND_NEW;
	a->firing = true;
	a->started_usec = FIXTURE_NOW - 300ULL * 1000000ULL;
	a->value = 97.2;
	a->baseline = 60.5;
	a->threshold = 90;
	a->score = 0.9;
	a->eta_secs = 7800;
	a->count = 1;
	a->history_count = 8;
	for (int i = 0; i < 8; i++)
		a->history[i] = 60 + i * 5;
}

static inline void fixture_message(struct alert_message *m, size_t alerts)
{
	memset(m, 0, sizeof(*m));
	m->id = 42;
	m->created_usec = FIXTURE_NOW;
	string_copy(m->host, "web-01", sizeof(m->host));
	for (size_t i = 0; i < alerts && i < MESSAGE_ALERTS_MAX; i++)
		fixture_alert(&m->alerts[i], i == 0 ? "disk_full_forecast"
						    : "load_high",
			      i == 0 ? ALERT_CRITICAL : ALERT_WARNING);
	m->alert_count = alerts;
}

/* Markup and a line far longer than any service accepts. */
static inline void fixture_hostile(struct alert_message *m, size_t alerts)
{
	fixture_message(m, alerts);
	for (size_t i = 0; i < m->alert_count; i++) {
		struct alert_snapshot *a = &m->alerts[i];

		string_copy(a->summary, "<b>\"quoted\" & <script>alert(1)"
			    "</script> @everyone", sizeof(a->summary));
		memset(a->detail, 'x', sizeof(a->detail) - 1);
		a->detail[sizeof(a->detail) - 1] = '\0';
		memcpy(a->detail, "kernel: <oops> ", 15);
	}
	m->deferred_count = 250;
}

#endif
