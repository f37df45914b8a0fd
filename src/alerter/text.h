/*
 * text.h - the words of an alert, shared by every formatter: headline,
 * facts (value vs baseline/threshold, since when, forecast, sparkline),
 * durations, times, UTF-8-safe truncation and secret masking.
 */
#ifndef SYSOPS_ALERTER_TEXT_H
#define SYSOPS_ALERTER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerter/message.h"

#define TRUNCATION_MARKER "…[truncated]"

/* utf8_length, utf8_truncate, format_duration, format_time_rfc3339,
 * format_sparkline: core */
#include "core/util.h"

void text_time_utc(uint64_t usec, char *buffer, size_t size); /* human */

/* "CRITICAL disk_full on web-01: Disk / is 97% full" (+ kind words). */
void alert_headline(const struct alert_snapshot *a, const char *host,
		    char *buffer, size_t size);
/* An alert's first body line: its sentence, after "SEVERITY rule: " only
 * when the message holds several (the title says it for one). */
/* "STATE rule (series{labels}) on host: summary": the journal's line. */
void alert_journal_line(const struct alert_snapshot *a, const char *host,
			char *buffer, size_t size);
void message_alert_headline(const struct alert_message *m, size_t i,
			    char *buffer, size_t size);
/* Lines of facts, each ending in '\n'; empty when there are none. */
void alert_facts(const struct alert_snapshot *a, uint64_t now_usec,
		 char *buffer, size_t size);
/*
 * What and where in a few words: the rule (or the common series' own word),
 * its key label (mount, device, interface, unit, check, name), the value
 * and what time a forecast leaves: "disk / 96% full, 2h left", "CPU 97.9%",
 * "redis_memory_near_limit cache 1.90 MiB"; false (and "") when the alert
 * has no value to say it with (log events: the rule says it alone).
 */
bool alert_what(const struct alert_snapshot *a, char *buffer, size_t size);
/* "CRITICAL disk / 96% full on web-01", "3 problems on web-01", ... */
void message_title(const struct alert_message *m, char *buffer, size_t size);
/* "12 more alerts follow in full when the rate limit allows" or "" */
void message_deferred_line(const struct alert_message *m, char *buffer,
			     size_t size);
/* The [agent] labels for people: "env=prod · team=web", or "". */
void message_labels_line(const struct alert_message *m, char *buffer,
			 size_t size);
/* The whole message as plain text (email body, console, test output). */
void message_plain_text(const struct alert_message *m, uint64_t now_usec,
			char *buffer, size_t size);

/* Replaces every occurrence of each non-empty secret by "***", in place. */
void text_mask_secrets(char *text, char *const *secrets, size_t count);

const char *text_severity_upper(enum alert_severity severity);

/*
 * Escapes &, < and > as HTML entities (Telegram's HTML mode and Slack's
 * mrkdwn both treat them as markup); stops before overflowing out, which is
 * always terminated. Returns the bytes written.
 */
size_t text_escape_html(const char *in, char *out, size_t size);

#endif
