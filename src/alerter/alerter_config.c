/*
 * alerter_config.c - the schema of [alerting], [alerting.rate_limit], one
 * [alerting.<channel>] table per channel and [[alerting.silence]].
 *
 * Registered in core/config_schema.c; URLs with tokens, tokens and passwords
 * are CONFIG_SECRET so they can come from KEY_file or systemd credentials.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "alerter/alerter.h"
#include "alerter/channel.h"
#include "alerter/matcher.h"
#include "alerter/template.h"
#include "core/util.h"

#define ALERTING_KEY(field) offsetof(struct alerting_config, field)
#define RATE_KEY(field) offsetof(struct alerting_rate_limit_config, field)
#define CHANNEL_KEY(field) offsetof(struct alerting_channel_config, field)
#define SILENCE_KEY(field) offsetof(struct alerting_silence_config, field)
#define SECTION_AT(member) (offsetof(struct config, alerting) + \
			    offsetof(struct alerting_config, member))

static const char *const severities[] = { "info", "warning", "critical",
					  NULL };

static bool validate_clock_time(const void *field, char *reason, size_t size)
{
	const char *text = *(const char *const *)field;
	unsigned hours, minutes;
	char tail;

	if (text == NULL ||
	    (sscanf(text, "%2u:%2u%c", &hours, &minutes, &tail) == 2 &&
	     strlen(text) == 5 && hours < 24 && minutes < 60))
		return true;
	snprintf(reason, size, "expected a local time \"HH:MM\" (00:00-23:59)");
	return false;
}

static bool validate_weekdays(const void *field, char *reason, size_t size)
{
	static const char *const days[] = { "mon", "tue", "wed", "thu", "fri",
					    "sat", "sun" };
	const struct config_string_list *list = field;

	for (size_t i = 0; i < list->count; i++) {
		bool known = false;

		for (size_t d = 0; d < ARRAY_SIZE(days); d++)
			known |= strcmp(list->items[i], days[d]) == 0;
		if (!known) {
			snprintf(reason, size, "unknown weekday \"%s\" (expected "
				 "mon, tue, wed, thu, fri, sat or sun)",
				 list->items[i]);
			return false;
		}
	}
	return true;
}

static bool validate_severities(const void *field, char *reason, size_t size)
{
	const struct config_string_list *list = field;

	for (size_t i = 0; i < list->count; i++) {
		bool known = false;

		for (size_t s = 0; severities[s] != NULL; s++)
			known |= strcmp(list->items[i], severities[s]) == 0;
		if (!known) {
			snprintf(reason, size, "unknown severity \"%s\" "
				 "(expected info, warning or critical)",
				 list->items[i]);
			return false;
		}
	}
	return true;
}

static bool validate_label_matcher(const void *field, char *reason,
				   size_t size)
{
	const char *text = *(const char *const *)field;

	if (text == NULL || (strchr(text, '=') != NULL && text[0] != '='))
		return true;
	snprintf(reason, size, "expected \"key=value\"");
	return false;
}

static bool validate_smtp_url(const void *field, char *reason, size_t size)
{
	const char *text = *(const char *const *)field;

	if (text == NULL || strncmp(text, "smtp://", 7) == 0 ||
	    strncmp(text, "smtps://", 8) == 0)
		return true;
	snprintf(reason, size, "expected smtp://host[:port] or "
		 "smtps://host[:port]");
	return false;
}

static bool validate_webhook_name(const void *field, char *reason, size_t size)
{
	const char *text = *(const char *const *)field;
	size_t length = text ? strlen(text) : 0;

	if (text == NULL ||
	    (length > 0 && length <= ALERTER_WEBHOOK_NAME_MAX &&
	     strspn(text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			  "0123456789-_") == length))
		return true;
	snprintf(reason, size, "expected 1 to %d letters, digits, '-' or '_'",
		 ALERTER_WEBHOOK_NAME_MAX);
	return false;
}

static bool validate_webhook_url(const void *field, char *reason, size_t size)
{
	const char *text = *(const char *const *)field;

	if (!config_validate_http_url(field, reason, size))
		return false;
	/* The reason names no part of the URL: it is a secret. */
	if (text != NULL && strstr(text, "{{") != NULL &&
	    template_check_syntax(text, NULL, 0) < 0) {
		snprintf(reason, size, "its template actions do not parse");
		return false;
	}
	return true;
}

static bool validate_matchers(const void *field, char *reason, size_t size)
{
	const struct config_string_list *list = field;

	for (size_t i = 0; i < list->count; i++)
		if (alert_matcher_check(list->items[i], reason, size) < 0)
			return false;
	return true;
}

static bool validate_template(const void *field, char *reason, size_t size)
{
	const char *text = *(const char *const *)field;

	return text == NULL || template_check(text, reason, size) == 0;
}

/*
 * An entry's name differs from every one read before it (drop-ins
 * included): the spool and the saved state know an instance by its name.
 */
static bool check_webhook(const void *elements, size_t index, char *reason,
			  size_t size)
{
	const struct alerting_channel_config *webhooks = elements;
	char name[32], other[32];

	channel_webhook_display_name(&webhooks[index], name, sizeof(name));
	for (size_t i = 0; i < index; i++) {
		channel_webhook_display_name(&webhooks[i], other,
					     sizeof(other));
		if (strcmp(name, other) == 0) {
			snprintf(reason, size,
				 "entry %zu is \"%s\" too; give each its own "
				 "name",
				 i + 1, name);
			return false;
		}
	}
	return true;
}

static const struct config_key alerting_keys[] = {
    {.name = "send_resolved",
     .type = CONFIG_BOOLEAN,
     .offset = ALERTING_KEY(send_resolved),
     .default_text = "true",
     .description = "Send a message when a problem clears, with how long "
		    "it lasted."},
    {.name = "repeat_interval_secs",
     .type = CONFIG_INTEGER,
     .offset = ALERTING_KEY(repeat_interval_secs),
     .default_text = "14400",
     .minimum = 60,
     .maximum = 30 * 86400,
     .description = "A problem still firing is reminded after this many "
		    "seconds; a rise in severity is sent at once."},
    {.name = "group_wait_secs",
     .type = CONFIG_INTEGER,
     .offset = ALERTING_KEY(group_wait_secs),
     .default_text = "30",
     .minimum = 0,
     .maximum = 3600,
     .description = "Problems starting within this many seconds of the "
		    "first one go out together, one message per channel; "
		    "a group holding a critical goes out 3 s after the "
		    "last problem joined it."},
    {.name = "flap_window_secs",
     .type = CONFIG_INTEGER,
     .offset = ALERTING_KEY(flap_window_secs),
     .default_text = "900",
     .minimum = 10,
     .maximum = 86400,
     .description = "Window in which state changes of one alert are "
		    "counted to detect flapping."},
    {.name = "flap_max_toggles",
     .type = CONFIG_INTEGER,
     .offset = ALERTING_KEY(flap_max_toggles),
     .default_text = "4",
     .minimum = 2,
     .maximum = 15,
     .description = "More state changes than this within flap_window_secs "
		    "mark the alert as flapping: reported once, then held "
		    "until it is stable for a whole window."},
    {.name = "spool_max_bytes",
     .type = CONFIG_INTEGER,
     .offset = ALERTING_KEY(spool_max_bytes),
     .default_text = "4194304",
     .minimum = 65536,
     .maximum = 1073741824,
     .description = "Size bound of the on-disk queue of undelivered "
		    "messages; when full, the oldest info messages are "
		    "dropped first (and counted)."},
    {.name = "history_max_bytes",
     .type = CONFIG_INTEGER,
     .offset = ALERTING_KEY(history_max_bytes),
     .default_text = "8388608",
     .minimum = 65536,
     .maximum = 1073741824,
     .description = "Size of the alert history file (alert-history.jsonl "
		    "in the state dir, one line per event) before it is "
		    "rotated to alert-history.jsonl.1."},
    {.name = "connect_timeout_secs",
     .type = CONFIG_INTEGER,
     .offset = ALERTING_KEY(connect_timeout_secs),
     .default_text = "10",
     .minimum = 1,
     .maximum = 300,
     .description = "Seconds to establish a connection to a channel."},
    {.name = "timeout_secs",
     .type = CONFIG_INTEGER,
     .offset = ALERTING_KEY(timeout_secs),
     .default_text = "30",
     .minimum = 1,
     .maximum = 600,
     .description = "Seconds a whole delivery may take before it is "
		    "abandoned and retried."},
    {.name = "delivery_idle_secs",
     .type = CONFIG_INTEGER,
     .offset = ALERTING_KEY(delivery_idle_secs),
     .default_text = "60",
     .minimum = 1,
     .maximum = 86400,
     .description = "Seconds the delivery process (the only process that "
		    "talks over the network: channels, heartbeat pings, "
		    "remote write, network checks) stays after its last "
		    "request; the next request starts a new one."},
    {.name = "retry_initial_secs",
     .type = CONFIG_INTEGER,
     .offset = ALERTING_KEY(retry_initial_secs),
     .default_text = "5",
     .minimum = 1,
     .maximum = 3600,
     .description = "First retry delay; it doubles per failure (with "
		    "+/-25% jitter) up to retry_max_secs."},
    {.name = "retry_max_secs",
     .type = CONFIG_INTEGER,
     .offset = ALERTING_KEY(retry_max_secs),
     .default_text = "600",
     .minimum = 1,
     .maximum = 86400,
     .description = "Longest delay between two delivery attempts."},
};

const struct config_section alerting_section = {
	.name = "alerting",
	.description = "How problems become messages: dedup, grouping, "
		       "flapping, delivery retries and the spool.",
	.keys = alerting_keys,
	.key_count = ARRAY_SIZE(alerting_keys),
	.offset = offsetof(struct config, alerting),
};

static const struct config_key rate_limit_keys[] = {
	{ .name = "min_interval_secs", .type = CONFIG_INTEGER,
	  .offset = RATE_KEY(min_interval_secs), .default_text = "60",
	  .minimum = 0, .maximum = 86400,
	  .description = "Least seconds between two messages on one channel; "
			 "what waits goes out in full, most severe first, "
			 "as soon as the interval allows." },
	{ .name = "max_alerts_per_hour", .type = CONFIG_INTEGER,
	  .offset = RATE_KEY(max_alerts_per_hour), .default_text = "60",
	  .minimum = 1, .maximum = 100000,
	  .description = "Firings below critical sent per channel per hour; "
			 "the rest wait (counted in every message) and go out "
			 "in full the next hour. Criticals and resolved "
			 "messages are never held by it." },
};

const struct config_section alerting_rate_limit_section = {
	.name = "alerting.rate_limit",
	.description = "Per-channel message rate (console and Alertmanager "
		       "are exempt).",
	.keys = rate_limit_keys,
	.key_count = ARRAY_SIZE(rate_limit_keys),
	.offset = SECTION_AT(rate_limit),
};

#define MIN_SEVERITY_KEY(default_severity)                                  \
	{ .name = "min_severity", .type = CONFIG_STRING,                    \
	  .offset = CHANNEL_KEY(min_severity),                              \
	  .default_text = default_severity, .choices = severities,          \
	  .description = "Alerts below this severity are not sent here." }
#define ENABLED_KEY                                                         \
	{ .name = "enabled", .type = CONFIG_BOOLEAN,                        \
	  .offset = CHANNEL_KEY(enabled), .default_text = "true",           \
	  .description = "Use this channel once its required keys are set." }
#define CA_FILE_KEY                                                         \
	{ .name = "ca_file", .type = CONFIG_STRING,                         \
	  .offset = CHANNEL_KEY(ca_file),                                   \
	  .description = "PEM file of CA certificates to verify the server "\
			 "with, instead of the system store (TLS "          \
			 "verification is always on)." }

static const struct config_key console_keys[] = {
	{ .name = "enabled", .type = CONFIG_BOOLEAN,
	  .offset = CHANNEL_KEY(enabled), .default_text = "true",
	  .description = "One structured journal record (or stderr line) per "
			 "alert." },
	MIN_SEVERITY_KEY("\"info\""),
};

static const struct config_key webhook_keys[] = {
	{ .name = "name", .type = CONFIG_STRING, .offset = CHANNEL_KEY(name),
	  .validate = validate_webhook_name,
	  .description = "The instance's name (letters, digits, '-', '_', up "
			 "to 20): its channel is \"webhook.NAME\" in logs, "
			 "statistics and the spool; unset: \"webhook\". "
			 "Every entry needs a different one." },
	ENABLED_KEY,
	{ .name = "url", .type = CONFIG_SECRET, .offset = CHANNEL_KEY(url),
	  .validate = validate_webhook_url,
	  .description = "Where the JSON document is POSTed; may hold "
			 "template actions ({{ .fingerprint }}...)." },
	{ .name = "hmac_secret", .type = CONFIG_SECRET,
	  .offset = CHANNEL_KEY(secret),
	  .description = "When set, X-Sysops-Signature: sha256=HMAC(secret, "
			 "timestamp + \".\" + body) and X-Sysops-Timestamp "
			 "are added." },
	{ .name = "headers", .type = CONFIG_STRING_LIST,
	  .offset = CHANNEL_KEY(headers), .default_text = "[]",
	  .description = "Extra request headers, \"Name: value\"." },
	MIN_SEVERITY_KEY("\"info\""),
	{ .name = "matchers", .type = CONFIG_STRING_LIST,
	  .offset = CHANNEL_KEY(matchers), .default_text = "[]",
	  .validate = validate_matchers,
	  .description = "Only alerts matching every one: \"FIELD=GLOB\" or "
			 "\"FIELD!=GLOB\", FIELD being rule, series, "
			 "severity or a label name (a missing label is \"\"), "
			 "GLOB a shell pattern (*, ?, [...])." },
	{ .name = "template", .type = CONFIG_STRING,
	  .offset = CHANNEL_KEY(template_text), .file_form = true,
	  .validate = validate_template,
	  .description = "Body template: text with {{ .field }}, {{ if }}, "
			 "{{ range .alerts }} actions, every value JSON-escaped "
			 "(docs/DESIGN.md; examples in "
			 "/usr/share/doc/sysops-agent/templates); checked at "
			 "load by rendering a sample to JSON. Unset: the "
			 "documented JSON document." },
	{ .name = "token", .type = CONFIG_SECRET, .offset = CHANNEL_KEY(token),
	  .description = "A secret the template and headers use as "
			 "{{ .token }} (PagerDuty routing key, Opsgenie "
			 "GenieKey, ntfy topic), masked in every log." },
	{ .name = "dingtalk_secret", .type = CONFIG_SECRET,
	  .offset = CHANNEL_KEY(dingtalk_secret),
	  .description = "DingTalk robot signing secret (SEC...): adds "
			 "&timestamp=MS&sign=BASE64(HMAC-SHA256(secret, "
			 "MS + \"\\n\" + secret)) to the URL." },
	{ .name = "min_interval_secs", .type = CONFIG_INTEGER,
	  .offset = CHANNEL_KEY(min_interval_secs), .default_text = "-1",
	  .minimum = -1, .maximum = 86400,
	  .description = "This instance's [alerting.rate_limit] "
			 "min_interval_secs; -1: that one." },
	{ .name = "max_alerts_per_hour", .type = CONFIG_INTEGER,
	  .offset = CHANNEL_KEY(max_alerts_per_hour), .default_text = "-1",
	  .minimum = -1, .maximum = 100000,
	  .description = "This instance's [alerting.rate_limit] "
			 "max_alerts_per_hour; -1: that one." },
	{ .name = "max_alerts_per_message", .type = CONFIG_INTEGER,
	  .offset = CHANNEL_KEY(max_alerts_per_message), .default_text = "32",
	  .minimum = 1, .maximum = 32,
	  .description = "Alerts in one request; 1 for services that take "
			 "one event per request (PagerDuty, Opsgenie)." },
	CA_FILE_KEY,
};

static const struct config_key slack_keys[] = {
	ENABLED_KEY,
	{ .name = "webhook_url", .type = CONFIG_SECRET,
	  .offset = CHANNEL_KEY(url), .validate = config_validate_http_url,
	  .description = "Slack incoming webhook URL." },
	MIN_SEVERITY_KEY("\"warning\""),
	CA_FILE_KEY,
};

static const struct config_key discord_keys[] = {
	ENABLED_KEY,
	{ .name = "webhook_url", .type = CONFIG_SECRET,
	  .offset = CHANNEL_KEY(url), .validate = config_validate_http_url,
	  .description = "Discord webhook URL." },
	MIN_SEVERITY_KEY("\"warning\""),
	CA_FILE_KEY,
};

static const struct config_key telegram_keys[] = {
	ENABLED_KEY,
	{ .name = "bot_token", .type = CONFIG_SECRET,
	  .offset = CHANNEL_KEY(secret),
	  .description = "Bot API token from @BotFather." },
	{ .name = "chat_id", .type = CONFIG_STRING,
	  .offset = CHANNEL_KEY(chat_id),
	  .description = "Chat to send to (a number, or @channelname)." },
	{ .name = "api_url", .type = CONFIG_STRING,
	  .offset = CHANNEL_KEY(url),
	  .default_text = "\"https://api.telegram.org\"",
	  .validate = config_validate_http_url,
	  .description = "Bot API base URL (a local Bot API server, or a "
			 "test endpoint)." },
	MIN_SEVERITY_KEY("\"warning\""),
	CA_FILE_KEY,
};

static const struct config_key email_keys[] = {
	ENABLED_KEY,
	{ .name = "url", .type = CONFIG_STRING, .offset = CHANNEL_KEY(url),
	  .validate = validate_smtp_url,
	  .description = "SMTP server: smtp://host:587 (STARTTLS) or "
			 "smtps://host:465." },
	{ .name = "starttls", .type = CONFIG_BOOLEAN,
	  .offset = CHANNEL_KEY(starttls), .default_text = "true",
	  .description = "On smtp://, refuse to send unless the server "
			 "upgrades to TLS." },
	{ .name = "username", .type = CONFIG_STRING,
	  .offset = CHANNEL_KEY(username),
	  .description = "SMTP AUTH user; unset: no authentication." },
	{ .name = "password", .type = CONFIG_SECRET,
	  .offset = CHANNEL_KEY(secret),
	  .description = "SMTP AUTH password." },
	{ .name = "from", .type = CONFIG_STRING, .offset = CHANNEL_KEY(from),
	  .description = "Sender address (From: and MAIL FROM)." },
	{ .name = "to", .type = CONFIG_STRING_LIST, .offset = CHANNEL_KEY(to),
	  .default_text = "[]",
	  .description = "Recipient addresses." },
	MIN_SEVERITY_KEY("\"warning\""),
	CA_FILE_KEY,
};

static const struct config_key alertmanager_keys[] = {
	ENABLED_KEY,
	{ .name = "url", .type = CONFIG_STRING, .offset = CHANNEL_KEY(url),
	  .validate = config_validate_http_url,
	  .description = "Alertmanager base URL; alerts are POSTed to "
			 "<url>/api/v2/alerts." },
	{ .name = "bearer_token", .type = CONFIG_SECRET,
	  .offset = CHANNEL_KEY(secret),
	  .description = "Sent as Authorization: Bearer when set (for a "
			 "proxy in front of Alertmanager)." },
	{ .name = "repost_interval_secs", .type = CONFIG_INTEGER,
	  .offset = CHANNEL_KEY(repost_interval_secs), .default_text = "60",
	  .minimum = 10, .maximum = 3600,
	  .description = "Firing alerts are posted again this often, as "
			 "Alertmanager expects (endsAt is 4 intervals ahead)." },
	MIN_SEVERITY_KEY("\"info\""),
	CA_FILE_KEY,
};

#define CHANNEL_SECTION(var, member, label, text)                           \
	const struct config_section var = {                                 \
		.name = "alerting." label,                                  \
		.description = text,                                        \
		.keys = member##_keys,                                      \
		.key_count = ARRAY_SIZE(member##_keys),                     \
		.offset = SECTION_AT(member),                               \
	}

CHANNEL_SECTION(alerting_console_section, console, "console",
		"Alerts as log records (the journal under systemd).");
const struct config_section alerting_webhook_section = {
	.name = "alerting.webhook",
	.description = "JSON webhooks, optionally HMAC-signed, with an "
		       "optional body template; up to 8 named instances, "
		       "[alerting.webhook] being the one-instance form.",
	.keys = webhook_keys,
	.key_count = ARRAY_SIZE(webhook_keys),
	.offset = SECTION_AT(webhook),
	.element_size = sizeof(struct alerting_channel_config),
	.max_count = ALERTER_WEBHOOKS_MAX,
	.count_offset = SECTION_AT(webhook_count),
	.single_table = true,
	.check = check_webhook,
};
CHANNEL_SECTION(alerting_slack_section, slack, "slack",
		"Slack incoming webhook (Block Kit).");
CHANNEL_SECTION(alerting_discord_section, discord, "discord",
		"Discord webhook (embeds).");
CHANNEL_SECTION(alerting_telegram_section, telegram, "telegram",
		"Telegram Bot API sendMessage (HTML).");
CHANNEL_SECTION(alerting_email_section, email, "email",
		"E-mail through an SMTP server.");
CHANNEL_SECTION(alerting_alertmanager_section, alertmanager, "alertmanager",
		"Prometheus Alertmanager v2 API.");

static const struct config_key silence_keys[] = {
	{ .name = "name", .type = CONFIG_STRING, .offset = SILENCE_KEY(name),
	  .required = true,
	  .description = "What this window is for (shown in the history)." },
	{ .name = "start", .type = CONFIG_STRING,
	  .offset = SILENCE_KEY(start), .validate = validate_clock_time,
	  .description = "Local time the window opens, \"HH:MM\"; unset: "
			 "00:00." },
	{ .name = "end", .type = CONFIG_STRING, .offset = SILENCE_KEY(end),
	  .validate = validate_clock_time,
	  .description = "Local time it closes, \"HH:MM\" (before start: the "
			 "window crosses midnight); unset: 24:00." },
	{ .name = "weekdays", .type = CONFIG_STRING_LIST,
	  .offset = SILENCE_KEY(weekdays), .default_text = "[]",
	  .validate = validate_weekdays,
	  .description = "Days the window opens on (\"mon\"..\"sun\"); empty: "
			 "every day." },
	{ .name = "rule", .type = CONFIG_STRING, .offset = SILENCE_KEY(rule),
	  .description = "Only alerts of this rule; unset: any." },
	{ .name = "severities", .type = CONFIG_STRING_LIST,
	  .offset = SILENCE_KEY(severities), .default_text = "[]",
	  .validate = validate_severities,
	  .description = "Only alerts of these severities; empty: any." },
	{ .name = "label", .type = CONFIG_STRING,
	  .offset = SILENCE_KEY(label), .validate = validate_label_matcher,
	  .description = "Only alerts whose labels or [agent] labels "
			 "contain \"key=value\"; unset: any." },
};

const struct config_section alerting_silence_section = {
	.name = "alerting.silence",
	.description = "Recurring windows during which matching alerts are "
		       "recorded but not sent.",
	.keys = silence_keys,
	.key_count = ARRAY_SIZE(silence_keys),
	.offset = SECTION_AT(silence),
	.element_size = sizeof(struct alerting_silence_config),
	.max_count = ALERTER_SILENCE_MAX,
	.count_offset = SECTION_AT(silence_count),
};
