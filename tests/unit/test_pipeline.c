/*
 * test_pipeline.c - the alerter's decisions (src/alerter/pipeline.c) with a
 * simulated clock: identity, grouping, dedup and repeats, escalation,
 * resolve, flapping, rate limits that delay and never discard, the table's
 * eviction order, point and state events, silences, maintenance,
 * per-channel min_severity and the saved state.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <json-c/json.h>

#include "alerter/json_text.h"
#include "alerter/pipeline.h"
#include "core/util.h"

#define SEC 1000000ULL
#define T0 (1763769600ULL * SEC) /* 2025-11-22 00:00:00 UTC, a Saturday */
#define CAPTURED_MAX 64

static struct alert_message captured[CAPTURED_MAX];
static size_t captured_count;
static size_t captured_storm; /* "storm" entries in every message */
static unsigned history_lines, history_silenced, history_dropped;

static void capture(void *context, struct alert_message *message)
{
	(void)context;
	if (captured_count < CAPTURED_MAX)
		captured[captured_count] = *message;
	captured_count++;
	for (size_t i = 0; i < message->alert_count; i++)
		captured_storm += strcmp(message->alerts[i].rule, "storm") == 0;
}

static void record_history(void *context, uint64_t now, const char *what,
			   const struct alert_snapshot *alert, const char *note)
{
	(void)context, (void)now, (void)alert, (void)note;
	history_lines++;
	history_silenced += strcmp(what, "silenced") == 0;
	history_dropped += strcmp(what, "dropped") == 0;
}

static struct pipeline_settings base_settings(void)
{
	struct pipeline_settings s = {
		.host = "web-01",
		.send_resolved = true,
		.repeat_usec = 4 * 3600 * SEC,
		.group_wait_usec = 30 * SEC,
		.flap_window_usec = 600 * SEC,
		.flap_max_toggles = 4,
		.min_interval_usec = 0,
		.max_alerts_per_hour = 1000,
	};

	s.channel_active[CHANNEL_SLACK] = true;
	s.channel_min_severity[CHANNEL_SLACK] = ALERT_INFO;
	return s;
}

static struct pipeline *make(const struct pipeline_settings *s)
{
	struct pipeline *p = pipeline_new(64, capture, record_history, NULL);

	assert_non_null(p);
	pipeline_configure(p, s);
	captured_count = 0;
	history_lines = history_silenced = history_dropped = 0;
	return p;
}

static void fire(struct pipeline *p, const char *rule, const char *labels,
		 enum alert_severity severity, bool firing, uint64_t now)
{
	static const double values[] = { 1, 2, 3, 4 };
	struct alert_event e = {
		.rule = rule, .series = "disk.used_percent", .labels = labels,
		.severity = severity, .firing = firing, .time_usec = now,
		.value = 97, .baseline = NAN, .threshold = 90, .eta_secs = -1,
		.summary = "disk almost full", .history = values,
		.history_count = 4,
	};

	assert_int_equal(pipeline_submit(p, &e, now), 0);
}

static void test_group_wait_then_one_message(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p = make(&s);

	(void)state;
	fire(p, "disk_full", "mount=/", ALERT_WARNING, true, T0);
	fire(p, "load_high", "", ALERT_CRITICAL, true, T0 + 10 * SEC);
	fire(p, "mem_leak", "", ALERT_INFO, true, T0 + 29 * SEC);
	pipeline_tick(p, T0 + 29 * SEC);
	assert_int_equal(captured_count, 0);
	assert_int_equal(pipeline_next_deadline(p), T0 + 30 * SEC);
	pipeline_tick(p, T0 + 30 * SEC);
	assert_int_equal(captured_count, 1);
	assert_int_equal(captured[0].alert_count, 3);
	assert_string_equal(captured[0].host, "web-01");
	/* Most severe first. */
	assert_string_equal(captured[0].alerts[0].rule, "load_high");
	assert_int_equal(captured[0].alerts[0].kind, ALERT_KIND_NEW);
	assert_int_equal(captured[0].alerts[2].history_count, 4);
	/* Nothing more until something changes. */
	pipeline_tick(p, T0 + 120 * SEC);
	assert_int_equal(captured_count, 1);
	pipeline_free(p);
}

static void test_lone_critical_goes_out_within_seconds(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p = make(&s);

	(void)state;
	fire(p, "disk_failing", "", ALERT_CRITICAL, true, T0);
	pipeline_tick(p, T0 + 2 * SEC);
	assert_int_equal(captured_count, 0);
	assert_int_equal(pipeline_next_deadline(p), T0 + 3 * SEC);
	pipeline_tick(p, T0 + 3 * SEC);
	assert_int_equal(captured_count, 1);
	/* A burst that keeps arriving still goes out as one message, once
	 * it settles (or at group_wait_secs). */
	for (int i = 0; i < 10; i++) {
		char labels[16];

		snprintf(labels, sizeof(labels), "cpu=%d", i);
		fire(p, "mce", labels, ALERT_CRITICAL, true,
		     T0 + (uint64_t)(100 + 2 * i) * SEC);
		pipeline_tick(p, T0 + (uint64_t)(100 + 2 * i) * SEC);
	}
	assert_int_equal(captured_count, 1);
	pipeline_tick(p, T0 + 121 * SEC);
	assert_int_equal(captured_count, 2);
	assert_int_equal(captured[1].alert_count, 10);
	/* Warnings alone wait the whole group_wait_secs. */
	fire(p, "load_high", "", ALERT_WARNING, true, T0 + 200 * SEC);
	pipeline_tick(p, T0 + 229 * SEC);
	assert_int_equal(captured_count, 2);
	pipeline_tick(p, T0 + 230 * SEC);
	assert_int_equal(captured_count, 3);
	pipeline_free(p);
}

static void test_dedup_repeat_and_escalation(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p;

	(void)state;
	s.group_wait_usec = 0;
	s.repeat_usec = 3600 * SEC;
	p = make(&s);
	fire(p, "disk_full", "mount=/", ALERT_WARNING, true, T0);
	pipeline_tick(p, T0);
	assert_int_equal(captured_count, 1);
	for (int i = 1; i < 10; i++) {
		fire(p, "disk_full", "mount=/", ALERT_WARNING, true,
		     T0 + (uint64_t)i * 60 * SEC);
		pipeline_tick(p, T0 + (uint64_t)i * 60 * SEC);
	}
	assert_int_equal(captured_count, 1);
	/* Another label set is another alert. */
	fire(p, "disk_full", "mount=/var", ALERT_WARNING, true, T0 + 700 * SEC);
	pipeline_tick(p, T0 + 700 * SEC);
	assert_int_equal(captured_count, 2);
	/* A rise in severity goes out at once. */
	fire(p, "disk_full", "mount=/", ALERT_CRITICAL, true, T0 + 800 * SEC);
	pipeline_tick(p, T0 + 800 * SEC);
	assert_int_equal(captured_count, 3);
	assert_int_equal(captured[2].alerts[0].kind, ALERT_KIND_ESCALATED);
	/* A fall does not; the repeat comes an interval after the last. */
	fire(p, "disk_full", "mount=/", ALERT_WARNING, true, T0 + 900 * SEC);
	pipeline_tick(p, T0 + 4399 * SEC);
	assert_int_equal(captured_count, 4); /* /var's repeat at 4300 s */
	assert_string_equal(captured[3].alerts[0].labels, "mount=/var");
	pipeline_tick(p, T0 + 4400 * SEC);
	assert_int_equal(captured_count, 5);
	assert_int_equal(captured[4].alerts[0].kind, ALERT_KIND_REPEAT);
	assert_string_equal(captured[4].alerts[0].labels, "mount=/");
	pipeline_free(p);
}

/*
 * A forecast whose ETA halved says so again (renotify): a new message under
 * the same alert, with the new sentence; a plain repeat stays silent.
 */
static void test_renotify_sends_the_news(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p;
	struct alert_event e = {
		.rule = "disk_full_forecast", .series = "disk.used_percent",
		.labels = "mount=/", .severity = ALERT_WARNING, .firing = true,
		.time_usec = T0, .value = 80, .baseline = NAN, .threshold = 100,
		.eta_secs = 4000, .summary = "full in ~1h 6m",
	};

	(void)state;
	s.group_wait_usec = 0;
	s.repeat_usec = 3600 * SEC;
	p = make(&s);
	assert_int_equal(pipeline_submit(p, &e, T0), 0);
	pipeline_tick(p, T0);
	assert_int_equal(captured_count, 1);
	e.time_usec = T0 + 60 * SEC;
	assert_int_equal(pipeline_submit(p, &e, T0 + 60 * SEC), 0);
	pipeline_tick(p, T0 + 60 * SEC);
	assert_int_equal(captured_count, 1);
	e.time_usec = T0 + 2000 * SEC;
	e.eta_secs = 2000;
	e.summary = "full in ~33m, down from ~1h 6m";
	e.renotify = true;
	assert_int_equal(pipeline_submit(p, &e, T0 + 2000 * SEC), 0);
	pipeline_tick(p, T0 + 2000 * SEC);
	assert_int_equal(captured_count, 2);
	assert_int_equal(captured[1].alerts[0].kind, ALERT_KIND_REPEAT);
	assert_string_equal(captured[1].alerts[0].summary,
			    "full in ~33m, down from ~1h 6m");
	assert_int_equal(captured[1].alerts[0].eta_secs, 2000);
	assert_int_equal(captured[1].alerts[0].started_usec,
			 captured[0].alerts[0].started_usec);
	pipeline_free(p);
}

static void test_resolved_with_duration(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p;

	(void)state;
	s.group_wait_usec = 0;
	p = make(&s);
	fire(p, "disk_full", "mount=/", ALERT_WARNING, true, T0);
	pipeline_tick(p, T0);
	fire(p, "disk_full", "mount=/", ALERT_WARNING, false, T0 + 300 * SEC);
	pipeline_tick(p, T0 + 300 * SEC);
	assert_int_equal(captured_count, 2);
	assert_int_equal(captured[1].alerts[0].kind, ALERT_KIND_RESOLVED);
	assert_false(captured[1].alerts[0].firing);
	assert_int_equal(captured[1].alerts[0].ended_usec -
				 captured[1].alerts[0].started_usec,
			 300 * SEC);
	/* A second resolve, or one for an unknown alert, sends nothing. */
	fire(p, "disk_full", "mount=/", ALERT_WARNING, false, T0 + 400 * SEC);
	fire(p, "other", "", ALERT_WARNING, false, T0 + 400 * SEC);
	pipeline_tick(p, T0 + 400 * SEC);
	assert_int_equal(captured_count, 2);
	pipeline_free(p);

	s.send_resolved = false;
	p = make(&s);
	fire(p, "disk_full", "mount=/", ALERT_WARNING, true, T0);
	pipeline_tick(p, T0);
	fire(p, "disk_full", "mount=/", ALERT_WARNING, false, T0 + 300 * SEC);
	pipeline_tick(p, T0 + 300 * SEC);
	assert_int_equal(captured_count, 1);
	pipeline_free(p);
}

/* "Since" is when the condition began: the breach before for_secs. */
static void test_since_is_when_the_condition_began(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p;
	struct alert_event e = {
	    .rule = "cpu_percent",
	    .series = "cpu.usage_percent",
	    .labels = "",
	    .severity = ALERT_CRITICAL,
	    .firing = true,
	    .time_usec = T0 + 60 * SEC,
	    .since_usec = T0,
	    .value = 97,
	    .baseline = NAN,
	    .threshold = 95,
	    .eta_secs = -1,
	    .summary = "CPU use is 97%, above the 95% limit for at least 1m",
	};

	(void)state;
	s.group_wait_usec = 0;
	p = make(&s);
	assert_int_equal(pipeline_submit(p, &e, T0 + 60 * SEC), 0);
	pipeline_tick(p, T0 + 60 * SEC);
	assert_int_equal(captured_count, 1);
	assert_int_equal(captured[0].alerts[0].started_usec, T0);
	/* A start in the future (a clock step) falls back to the event. */
	e.rule = "other";
	e.since_usec = T0 + 600 * SEC;
	assert_int_equal(pipeline_submit(p, &e, T0 + 60 * SEC), 0);
	pipeline_tick(p, T0 + 60 * SEC);
	assert_int_equal(captured_count, 2);
	assert_int_equal(captured[1].alerts[0].started_usec, T0 + 60 * SEC);
	pipeline_free(p);
}

static void test_blip_inside_group_wait_is_kept_in_history(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p = make(&s);

	(void)state;
	fire(p, "disk_full", "mount=/", ALERT_WARNING, true, T0);
	fire(p, "disk_full", "mount=/", ALERT_WARNING, false, T0 + 5 * SEC);
	pipeline_tick(p, T0 + 60 * SEC);
	assert_int_equal(captured_count, 0);
	assert_int_equal(history_dropped, 1);
	pipeline_free(p);
}

static void test_flapping_reported_once(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p;
	uint64_t t = T0;

	(void)state;
	s.group_wait_usec = 0;
	p = make(&s);
	/* fire, resolve, fire, resolve, fire: 5 changes > 4. */
	for (int i = 0; i < 12; i++, t += 20 * SEC) {
		fire(p, "link_down", "if=eth0", ALERT_WARNING, i % 2 == 0, t);
		pipeline_tick(p, t);
	}
	/* new, resolved, new, resolved, then flapping; then quiet. */
	assert_int_equal(captured_count, 5);
	assert_int_equal(captured[4].alerts[0].kind, ALERT_KIND_FLAPPING);
	assert_int_equal(pipeline_stats(p)->flapping, 1);
	/* Stable (resolved) for a whole window since the last change (at
	 * t - 20 s): one resolved message. */
	pipeline_tick(p, t + 579 * SEC);
	assert_int_equal(captured_count, 5);
	pipeline_tick(p, t + 580 * SEC);
	assert_int_equal(captured_count, 6);
	assert_int_equal(captured[5].alerts[0].kind, ALERT_KIND_RESOLVED);
	pipeline_free(p);
}

static void test_rate_limit_delays_never_discards(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p;
	char rule[32];

	(void)state;
	s.group_wait_usec = 0;
	s.min_interval_usec = 60 * SEC;
	s.max_alerts_per_hour = 5;
	s.channel_active[CHANNEL_CONSOLE] = true;
	p = make(&s);
	for (int i = 0; i < 8; i++) {
		snprintf(rule, sizeof(rule), "rule_%d", i);
		fire(p, rule, "", ALERT_WARNING, true, T0);
	}
	pipeline_tick(p, T0);
	/* Console is not rate limited; slack gets 5 in full, 3 wait. */
	assert_int_equal(captured_count, 2);
	assert_int_equal(captured[0].channel, CHANNEL_CONSOLE);
	assert_int_equal(captured[0].alert_count, 8);
	assert_int_equal(captured[1].channel, CHANNEL_SLACK);
	assert_int_equal(captured[1].alert_count, 5);
	assert_int_equal(captured[1].deferred_count, 3);
	assert_int_equal(pipeline_owed(p, CHANNEL_SLACK), 3);
	/* Within min_interval a critical waits, then comes first and in
	 * full, past the hourly budget; a resolved too. */
	fire(p, "late", "", ALERT_CRITICAL, true, T0 + 10 * SEC);
	pipeline_tick(p, T0 + 10 * SEC);
	fire(p, "rule_0", "", ALERT_WARNING, false, T0 + 20 * SEC);
	pipeline_tick(p, T0 + 20 * SEC);
	assert_int_equal(captured_count, 4); /* console only */
	pipeline_tick(p, T0 + 59 * SEC);
	assert_int_equal(captured_count, 4);
	pipeline_tick(p, T0 + 60 * SEC);
	assert_int_equal(captured_count, 5);
	assert_int_equal(captured[4].channel, CHANNEL_SLACK);
	assert_int_equal(captured[4].alert_count, 2);
	assert_string_equal(captured[4].alerts[0].rule, "late");
	assert_int_equal(captured[4].alerts[0].severity, ALERT_CRITICAL);
	assert_true(captured[4].alerts[0].firing);
	assert_string_equal(captured[4].alerts[1].rule, "rule_0");
	assert_int_equal(captured[4].alerts[1].kind, ALERT_KIND_RESOLVED);
	assert_int_equal(captured[4].deferred_count, 3);
	/* The hourly budget is spent: one hour later the three others come,
	 * each in full. */
	pipeline_tick(p, T0 + 3599 * SEC);
	assert_int_equal(captured_count, 5);
	pipeline_tick(p, T0 + 3600 * SEC);
	assert_int_equal(captured_count, 6);
	assert_int_equal(captured[5].alert_count, 3);
	assert_int_equal(captured[5].deferred_count, 0);
	assert_int_equal(captured[5].alerts[0].kind, ALERT_KIND_NEW);
	assert_int_equal(pipeline_owed(p, CHANNEL_SLACK), 0);
	pipeline_free(p);
}

static void test_fired_and_resolved_inside_a_window_both_arrive(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p;

	(void)state;
	s.group_wait_usec = 0;
	s.min_interval_usec = 60 * SEC;
	p = make(&s);
	fire(p, "first", "", ALERT_WARNING, true, T0);
	pipeline_tick(p, T0);
	assert_int_equal(captured_count, 1);
	fire(p, "cpu_high", "", ALERT_CRITICAL, true, T0 + 10 * SEC);
	pipeline_tick(p, T0 + 10 * SEC);
	fire(p, "cpu_high", "", ALERT_CRITICAL, false, T0 + 30 * SEC);
	pipeline_tick(p, T0 + 30 * SEC);
	assert_int_equal(captured_count, 1);
	pipeline_tick(p, T0 + 60 * SEC);
	assert_int_equal(captured_count, 2);
	assert_int_equal(captured[1].alert_count, 2);
	assert_true(captured[1].alerts[0].firing);
	assert_int_equal(captured[1].alerts[0].kind, ALERT_KIND_NEW);
	assert_int_equal(captured[1].alerts[0].ended_usec, 0);
	assert_false(captured[1].alerts[1].firing);
	assert_int_equal(captured[1].alerts[1].kind, ALERT_KIND_RESOLVED);
	assert_int_equal(captured[1].alerts[1].ended_usec, T0 + 30 * SEC);
	pipeline_free(p);
}

static void test_critical_after_a_storm_comes_first(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p = pipeline_new(1024, capture, record_history, NULL);
	uint64_t t = T0;
	char labels[32];

	(void)state;
	s.group_wait_usec = 30 * SEC;
	s.min_interval_usec = 60 * SEC;
	s.max_alerts_per_hour = 60;
	s.repeat_usec = 48 * 3600 * SEC; /* no repeats inside the test */
	pipeline_configure(p, &s);
	captured_count = captured_storm = 0;
	for (int i = 0; i < 600; i++, t += 40000) {
		snprintf(labels, sizeof(labels), "pid=%d", i);
		fire(p, "storm", labels, ALERT_WARNING, true, t);
		pipeline_tick(p, t);
	}
	pipeline_tick(p, T0 + 30 * SEC);
	assert_int_equal(captured_count, 1);
	assert_int_equal(captured[0].alert_count, MESSAGE_ALERTS_MAX);
	assert_int_equal(captured[0].deferred_count, 600 - MESSAGE_ALERTS_MAX);
	fire(p, "disk_failing", "", ALERT_CRITICAL, true, T0 + 40 * SEC);
	/* group_wait + min_interval at the most */
	for (t = T0 + 40 * SEC; t <= T0 + (40 + 30 + 60) * SEC; t += SEC)
		pipeline_tick(p, t);
	assert_int_equal(captured_count, 2);
	assert_string_equal(captured[1].alerts[0].rule, "disk_failing");
	assert_true(captured[1].alerts[0].summary[0] != '\0');
	/* Nothing is lost: over the next hours every warning comes. */
	for (t = T0 + 200 * SEC; t < T0 + 12 * 3600 * SEC; t += 60 * SEC)
		pipeline_tick(p, t);
	assert_int_equal(captured_storm, 600);
	assert_int_equal(pipeline_owed(p, CHANNEL_SLACK), 0);
	pipeline_free(p);
}

static void test_min_severity_per_channel(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p;

	(void)state;
	s.group_wait_usec = 0;
	s.channel_active[CHANNEL_EMAIL] = true;
	s.channel_min_severity[CHANNEL_EMAIL] = ALERT_CRITICAL;
	p = make(&s);
	fire(p, "a", "", ALERT_WARNING, true, T0);
	fire(p, "b", "", ALERT_CRITICAL, true, T0);
	pipeline_tick(p, T0);
	assert_int_equal(captured_count, 2);
	assert_int_equal(captured[0].channel, CHANNEL_SLACK);
	assert_int_equal(captured[0].alert_count, 2);
	assert_int_equal(captured[1].channel, CHANNEL_EMAIL);
	assert_int_equal(captured[1].alert_count, 1);
	assert_string_equal(captured[1].alerts[0].rule, "b");
	pipeline_free(p);
}

static void test_channel_message_size_defers_the_rest(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p;
	char rule[32];

	(void)state;
	s.group_wait_usec = 0;
	s.channel_alerts_max[CHANNEL_SLACK] = 9; /* as Discord's embeds */
	p = make(&s);
	for (int i = 0; i < 20; i++) {
		snprintf(rule, sizeof(rule), "rule_%d", i);
		fire(p, rule, "", ALERT_WARNING, true, T0);
	}
	pipeline_tick(p, T0);
	pipeline_tick(p, T0 + SEC);
	pipeline_tick(p, T0 + 2 * SEC);
	assert_int_equal(captured_count, 3);
	assert_int_equal(captured[0].alert_count, 9);
	assert_int_equal(captured[0].deferred_count, 11);
	assert_int_equal(captured[1].alert_count, 9);
	assert_int_equal(captured[2].alert_count, 2);
	assert_int_equal(captured[2].deferred_count, 0);
	pipeline_free(p);
}

static void test_silence_and_maintenance(void **state)
{
	char *weekdays[] = { "sat" }, *severities[] = { "warning" };
	struct alerting_silence_config silence = {
		.name = "backup window", .start = "23:30", .end = "01:00",
		.weekdays = { weekdays, 1 }, .severities = { severities, 1 },
	};
	struct pipeline_settings s = base_settings();
	struct pipeline *p;

	(void)state;
	s.group_wait_usec = 0;
	s.repeat_usec = 48 * 3600 * SEC;
	s.silences = &silence;
	s.silence_count = 1;
	p = make(&s);
	/* Saturday 00:00 UTC: inside Friday's window? No: weekday is the
	 * day the window opened, and Friday is not listed. */
	fire(p, "a", "", ALERT_WARNING, true, T0);
	pipeline_tick(p, T0);
	assert_int_equal(captured_count, 1);
	/* Saturday 23:45: silenced; critical is not matched. */
	fire(p, "b", "", ALERT_WARNING, true, T0 + (23 * 60 + 45) * 60 * SEC);
	fire(p, "c", "", ALERT_CRITICAL, true, T0 + (23 * 60 + 45) * 60 * SEC);
	pipeline_tick(p, T0 + (23 * 60 + 45) * 60 * SEC);
	assert_int_equal(captured_count, 2);
	assert_int_equal(captured[1].alert_count, 1);
	assert_string_equal(captured[1].alerts[0].rule, "c");
	assert_int_equal(history_silenced, 1);
	/* Sunday 00:59 still inside; 01:00 the window ends: b is announced. */
	pipeline_tick(p, T0 + (24 * 60 + 59) * 60 * SEC);
	assert_int_equal(captured_count, 2);
	pipeline_tick(p, T0 + 25 * 3600 * SEC);
	assert_int_equal(captured_count, 3);
	assert_string_equal(captured[2].alerts[0].rule, "b");
	/* Maintenance silences everything until it is switched off. */
	pipeline_set_maintenance(p, true);
	fire(p, "d", "", ALERT_CRITICAL, true, T0 + 26 * 3600 * SEC);
	pipeline_tick(p, T0 + 26 * 3600 * SEC);
	assert_int_equal(captured_count, 3);
	pipeline_set_maintenance(p, false);
	pipeline_tick(p, T0 + 27 * 3600 * SEC);
	assert_int_equal(captured_count, 4);
	assert_string_equal(captured[3].alerts[0].rule, "d");
	pipeline_free(p);
}

/* A silence's label matches the [agent] labels too; messages carry them. */
static void test_silence_on_agent_labels(void **state)
{
	struct alerting_silence_config staging = {.name = "staging",
						  .label = "env=staging"};
	struct pipeline_settings s = base_settings();
	struct pipeline *p;

	(void)state;
	s.group_wait_usec = 0;
	s.silences = &staging;
	s.silence_count = 1;
	string_copy(s.agent_id, "id-1", sizeof(s.agent_id));
	string_copy(s.agent_labels, "env=prod,team=web",
		    sizeof(s.agent_labels));
	p = make(&s);
	fire(p, "a", "mount=/", ALERT_WARNING, true, T0);
	pipeline_tick(p, T0);
	assert_int_equal(captured_count, 1);
	assert_string_equal(captured[0].agent_id, "id-1");
	assert_string_equal(captured[0].agent_labels, "env=prod,team=web");
	/* The same host moved to staging (a reload): silenced. */
	string_copy(s.agent_labels, "env=staging", sizeof(s.agent_labels));
	pipeline_configure(p, &s);
	fire(p, "b", "mount=/", ALERT_WARNING, true, T0 + SEC);
	pipeline_tick(p, T0 + SEC);
	assert_int_equal(captured_count, 1);
	assert_int_equal(history_silenced, 1);
	pipeline_free(p);
}

static void test_silence_matchers(void **state)
{
	struct alerting_silence_config by_label = { .name = "x",
						    .label = "mount=/" };
	struct alerting_silence_config by_rule = { .name = "y",
						   .rule = "disk_full",
						   .start = "08:00",
						   .end = "09:00" };

	(void)state;
	assert_true(silence_matches(&by_label, "r", ALERT_INFO,
				    "device=sda,mount=/", T0));
	assert_false(silence_matches(&by_label, "r", ALERT_INFO,
				     "device=sda,mount=/var", T0));
	assert_false(silence_matches(&by_rule, "disk_full", ALERT_INFO, "",
				     T0 + 7 * 3600 * SEC));
	assert_true(silence_matches(&by_rule, "disk_full", ALERT_INFO, "",
				    T0 + 8 * 3600 * SEC));
	assert_false(silence_matches(&by_rule, "other", ALERT_INFO, "",
				     T0 + 8 * 3600 * SEC));
	assert_false(silence_matches(&by_rule, "disk_full", ALERT_INFO, "",
				     T0 + 9 * 3600 * SEC));
}

static void test_table_evicts_and_never_refuses(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p = pipeline_new(3, capture, record_history, NULL);

	(void)state;
	s.group_wait_usec = 0;
	pipeline_configure(p, &s);
	captured_count = 0;
	fire(p, "a", "", ALERT_WARNING, true, T0);
	fire(p, "b", "", ALERT_WARNING, true, T0 + SEC);
	fire(p, "c", "", ALERT_INFO, true, T0 + 2 * SEC);
	pipeline_tick(p, T0 + 2 * SEC);
	fire(p, "a", "", ALERT_WARNING, false, T0 + 3 * SEC);
	pipeline_tick(p, T0 + 3 * SEC);
	/* The resolved one goes first, no live alert is lost. */
	fire(p, "d", "", ALERT_WARNING, true, T0 + 4 * SEC);
	assert_int_equal(pipeline_stats(p)->evicted, 0);
	/* Then the oldest info, then the oldest warning. */
	fire(p, "e", "", ALERT_WARNING, true, T0 + 5 * SEC);
	assert_int_equal(pipeline_stats(p)->evicted, 1);
	fire(p, "f", "", ALERT_CRITICAL, true, T0 + 6 * SEC);
	assert_int_equal(pipeline_stats(p)->evicted, 2);
	pipeline_tick(p, T0 + 6 * SEC);
	assert_string_equal(captured[captured_count - 1].alerts[0].rule, "f");
	/* Criticals only: a new critical still gets the oldest's slot. */
	fire(p, "g", "", ALERT_CRITICAL, true, T0 + 7 * SEC);
	fire(p, "h", "", ALERT_CRITICAL, true, T0 + 8 * SEC);
	fire(p, "i", "", ALERT_CRITICAL, true, T0 + 9 * SEC);
	pipeline_tick(p, T0 + 9 * SEC);
	assert_int_equal(pipeline_stats(p)->evicted, 5);
	assert_int_equal(captured[captured_count - 1].alert_count, 3);
	assert_string_equal(captured[captured_count - 1].alerts[2].rule, "i");
	pipeline_free(p);
}

static void submit_nature(struct pipeline *p, const char *rule,
			  enum alert_nature nature, bool firing, uint64_t now)
{
	struct alert_event e = {
		.rule = rule, .series = "kmsg", .labels = "",
		.severity = ALERT_WARNING, .firing = firing, .nature = nature,
		.time_usec = now, .value = NAN, .baseline = NAN,
		.threshold = NAN, .eta_secs = -1, .summary = "it happened",
		.count = 1,
	};

	assert_int_equal(pipeline_submit(p, &e, now), 0);
}

static void test_points_and_states_are_never_blips(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p;

	(void)state;
	s.repeat_usec = 3600 * SEC;
	p = make(&s);
	/* An OOM kill has no resolve: sent after group_wait all the same. */
	submit_nature(p, "oom_kill", ALERT_POINT, true, T0);
	/* A unit that failed and recovered within group_wait: both. */
	submit_nature(p, "unit_failed", ALERT_STATE, true, T0);
	submit_nature(p, "unit_failed", ALERT_STATE, false, T0 + 5 * SEC);
	pipeline_tick(p, T0 + 30 * SEC);
	assert_int_equal(captured_count, 1);
	assert_int_equal(captured[0].alert_count, 3);
	assert_int_equal(history_dropped, 0);
	/* The same point event again inside repeat_interval: counted, not
	 * sent; said once the interval is over, with the count. */
	submit_nature(p, "oom_kill", ALERT_POINT, true, T0 + 60 * SEC);
	submit_nature(p, "oom_kill", ALERT_POINT, true, T0 + 70 * SEC);
	pipeline_tick(p, T0 + 100 * SEC);
	assert_int_equal(captured_count, 1);
	pipeline_tick(p, T0 + 3629 * SEC);
	assert_int_equal(captured_count, 1);
	pipeline_tick(p, T0 + 3630 * SEC);
	pipeline_tick(p, T0 + 3660 * SEC);
	assert_int_equal(captured_count, 2);
	assert_int_equal(captured[1].alerts[0].kind, ALERT_KIND_REPEAT);
	assert_int_equal(captured[1].alerts[0].count, 3);
	/* Quiet for a whole interval: over, silently (no resolved). */
	pipeline_tick(p, T0 + 3 * 3600 * SEC);
	pipeline_tick(p, T0 + 4 * 3600 * SEC);
	assert_int_equal(captured_count, 2);
	pipeline_free(p);
}

/*
 * A table with everything the state file holds: strings that need escapes
 * (quotes, '/', controls, UTF-8), numbers JSON has no form for, histories
 * with gaps, several channels owed and told, rate-limit clocks.
 */
static struct pipeline *rich_table(void)
{
	struct pipeline_settings s = base_settings();
	static const double values[] = {0.1, NAN, -2.5e-7, 1e21, 3, 0};
	struct alert_event e = {
	    .rule = "disk_full",
	    .series = "disk.used_percent",
	    .labels = "mount=/var/\"lib\"",
	    .severity = ALERT_CRITICAL,
	    .firing = true,
	    .time_usec = T0,
	    .value = 97.123456789,
	    .baseline = NAN,
	    .threshold = 1.0 / 3,
	    .eta_secs = 3600,
	    .summary = "Disk /var is 97% full\n\ttab \x01 \x7f caf\xc3\xa9",
	    .history = values,
	    .history_count = 6,
	};
	struct pipeline *p;

	s.group_wait_usec = 0;
	s.channel_active[CHANNEL_EMAIL] = true;
	s.channel_min_severity[CHANNEL_EMAIL] = ALERT_CRITICAL;
	p = make(&s);
	assert_int_equal(pipeline_submit(p, &e, T0), 0);
	pipeline_tick(p, T0);
	e.rule = "load_high", e.labels = "", e.severity = ALERT_WARNING;
	e.value = -0.0, e.threshold = 100, e.history_count = 0;
	e.summary = "", e.eta_secs = -1;
	assert_int_equal(pipeline_submit(p, &e, T0 + 10 * SEC), 0);
	e.firing = false, e.value = 12;
	assert_int_equal(pipeline_submit(p, &e, T0 + 20 * SEC), 0);
	e.rule = "storm", e.firing = true, e.value = -INFINITY;
	e.history = values + 1, e.history_count = 1;
	assert_int_equal(pipeline_submit(p, &e, T0 + 20 * SEC), 0);
	pipeline_tick(p, T0 + 20 * SEC);
	return p;
}

static void test_saved_state_resumes_what_was_owed(void **state)
{
	struct pipeline_settings s = base_settings();
	struct pipeline *p, *q;
	struct json_object *saved;
	struct json_text text = {0};

	(void)state;
	s.group_wait_usec = 0;
	s.min_interval_usec = 60 * SEC;
	p = make(&s);
	fire(p, "a", "mount=/", ALERT_WARNING, true, T0);
	pipeline_tick(p, T0);
	fire(p, "b", "", ALERT_CRITICAL, true, T0 + 10 * SEC);
	fire(p, "a", "mount=/", ALERT_WARNING, false, T0 + 10 * SEC);
	pipeline_tick(p, T0 + 10 * SEC);
	assert_int_equal(captured_count, 1);
	assert_true(pipeline_dirty(p));
	assert_int_equal(pipeline_save_text(p, 0, &text), 0);
	assert_false(pipeline_dirty(p));
	saved = json_tokener_parse(text.data);
	json_text_free(&text);
	pipeline_free(p);
	/* A new process: the same table, the same clocks. */
	q = pipeline_new(64, capture, record_history, NULL);
	pipeline_configure(q, &s);
	assert_int_equal(pipeline_restore(q, saved), 2);
	json_object_put(saved);
	assert_int_equal(pipeline_owed(q, CHANNEL_SLACK), 2);
	pipeline_tick(q, T0 + 59 * SEC);
	assert_int_equal(captured_count, 1);
	pipeline_tick(q, T0 + 60 * SEC);
	assert_int_equal(captured_count, 2);
	assert_int_equal(captured[1].alert_count, 2);
	assert_string_equal(captured[1].alerts[0].rule, "b");
	assert_int_equal(captured[1].alerts[1].kind, ALERT_KIND_RESOLVED);
	assert_string_equal(captured[1].alerts[1].labels, "mount=/");
	/* Dedup survives too: b still firing is not new. */
	fire(q, "b", "", ALERT_CRITICAL, true, T0 + 200 * SEC);
	pipeline_tick(q, T0 + 300 * SEC);
	assert_int_equal(captured_count, 2);
	assert_int_equal(pipeline_restore(q, NULL), -EINVAL);
	pipeline_free(q);
}

/*
 * The state file json-c's objects wrote for rich_table() (before the text
 * was written directly): the same bytes now, so files of either version
 * load in the other; and the text restores to a table that writes it again.
 */
static const char rich_state[] =
    "{\"version\":1,\"group_open\":0,\"group_last\":1763769620000000,"
    "\"limits\":{\"slack\":{\"last_sent\":1763769620000000,\"hour_sta"
    "rt\":1763769600000000,\"hour_alerts\":2,\"waiting_said\":0},\"em"
    "ail\":{\"last_sent\":1763769600000000,\"hour_start\":17637696000"
    "00000,\"hour_alerts\":1,\"waiting_said\":0}},\"alerts\":[{\"snap"
    "\":{\"rule\":\"disk_full\",\"series\":\"disk.used_percent\",\"la"
    "bels\":\"mount=\\/var\\/\\\"lib\\\"\",\"summary\":\"Disk \\/var "
    "is 97% full\\n\\ttab \\u0001 \x7f caf\xc3\xa9\",\"detail\":\"\","
    "\"severity\":2,\"kind\":0,\"firing\":true,\"started\":1763769600"
    "000000,\"ended\":0,\"value\":97.123456789000002,\"threshold\":0."
    "33333333333333331,\"score\":0.0,\"eta\":3600,\"count\":0,\"histo"
    "ry\":[0.10000000000000001,null,-2.4999999999999999e-07,1e+21,3.0"
    ",0.0]},\"nature\":0,\"firing\":true,\"notified\":true,\"incident"
    "_sent\":true,\"pending_kind\":0,\"notified_severity\":2,\"last_n"
    "otified\":1763769600000000,\"last_seen\":1763769600000000,\"chan"
    "ged\":1763769600000000,\"repeats\":0,\"channels\":{\"slack\":{\""
    "owed\":0,\"kind\":0,\"told\":true},\"email\":{\"owed\":0,\"kind"
    "\":0,\"told\":true}},\"fired\":{\"severity\":2,\"value\":97.1234"
    "56789000002,\"summary\":\"Disk \\/var is 97% full\\n\\ttab \\u00"
    "01 \x7f caf\xc3\xa9\"}},{\"snap\":{\"rule\":\"load_high\",\"seri"
    "es\":\"disk.used_percent\",\"labels\":\"\",\"summary\":\"\",\"de"
    "tail\":\"\",\"severity\":1,\"kind\":0,\"firing\":false,\"started"
    "\":1763769600000000,\"ended\":1763769600000000,\"value\":12.0,\""
    "threshold\":100.0,\"score\":0.0,\"eta\":-1,\"count\":0,\"history"
    "\":[]},\"nature\":0,\"pending_kind\":0,\"notified_severity\":0,"
    "\"last_notified\":0,\"last_seen\":1763769620000000,\"changed\":1"
    "763769620000000,\"repeats\":0,\"channels\":{},\"fired\":{\"sever"
    "ity\":1,\"value\":-0.0,\"summary\":\"\"}},{\"snap\":{\"rule\":\""
    "storm\",\"series\":\"disk.used_percent\",\"labels\":\"\",\"summa"
    "ry\":\"\",\"detail\":\"\",\"severity\":1,\"kind\":0,\"firing\":t"
    "rue,\"started\":1763769600000000,\"ended\":0,\"threshold\":100.0"
    ",\"score\":0.0,\"eta\":-1,\"count\":0,\"history\":[null]},\"natu"
    "re\":0,\"firing\":true,\"notified\":true,\"incident_sent\":true,"
    "\"pending_kind\":0,\"notified_severity\":1,\"last_notified\":176"
    "3769620000000,\"last_seen\":1763769620000000,\"changed\":1763769"
    "620000000,\"repeats\":0,\"channels\":{\"slack\":{\"owed\":0,\"ki"
    "nd\":0,\"told\":true}},\"fired\":{\"severity\":1,\"value\":-Infi"
    "nity,\"summary\":\"\"}}],\"spool_through\":42}";

static void test_state_text_is_what_json_c_wrote(void **state)
{
	struct pipeline *p = rich_table(), *q;
	struct json_text t = {0};
	json_object *parsed;

	(void)state;
	assert_int_equal(pipeline_save_text(p, 42, &t), 0);
	assert_false(pipeline_dirty(p));
	assert_int_equal(t.used, strlen(rich_state));
	assert_string_equal(t.data, rich_state);
	q = pipeline_new(64, capture, record_history, NULL);
	parsed = json_tokener_parse(t.data);
	assert_non_null(parsed);
	assert_int_equal(pipeline_restore(q, parsed), 3);
	json_object_put(parsed);
	assert_int_equal(pipeline_save_text(q, 42, &t), 0);
	assert_string_equal(t.data, rich_state);
	json_text_free(&t);
	pipeline_free(q);
	pipeline_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_group_wait_then_one_message),
	    cmocka_unit_test(test_lone_critical_goes_out_within_seconds),
	    cmocka_unit_test(test_dedup_repeat_and_escalation),
	    cmocka_unit_test(test_renotify_sends_the_news),
	    cmocka_unit_test(test_resolved_with_duration),
	    cmocka_unit_test(test_since_is_when_the_condition_began),
	    cmocka_unit_test(test_blip_inside_group_wait_is_kept_in_history),
	    cmocka_unit_test(test_flapping_reported_once),
	    cmocka_unit_test(test_rate_limit_delays_never_discards),
	    cmocka_unit_test(
		test_fired_and_resolved_inside_a_window_both_arrive),
	    cmocka_unit_test(test_critical_after_a_storm_comes_first),
	    cmocka_unit_test(test_min_severity_per_channel),
	    cmocka_unit_test(test_channel_message_size_defers_the_rest),
	    cmocka_unit_test(test_silence_and_maintenance),
	    cmocka_unit_test(test_silence_matchers),
	    cmocka_unit_test(test_silence_on_agent_labels),
	    cmocka_unit_test(test_table_evicts_and_never_refuses),
	    cmocka_unit_test(test_points_and_states_are_never_blips),
	    cmocka_unit_test(test_saved_state_resumes_what_was_owed),
	    cmocka_unit_test(test_state_text_is_what_json_c_wrote),
	};

	setenv("TZ", "UTC", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
