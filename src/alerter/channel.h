/*
 * channel.h - one file per channel, each a formatter (message -> request)
 * and the knowledge of how its service answers. Formatters are pure: they
 * take the channel's settings and a message and fill a struct outgoing that
 * delivery.c sends with libcurl.
 */
#ifndef SYSOPS_ALERTER_CHANNEL_H
#define SYSOPS_ALERTER_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerter/alerter.h"
#include "alerter/message.h"

#define OUTGOING_HEADERS_MAX 24
#define OUTGOING_RECIPIENTS_MAX 32

/* Documented service limits the formatters keep to (characters). */
#define SLACK_HEADER_MAX 150
#define SLACK_SECTION_MAX 3000
#define SLACK_BLOCKS_MAX 50
#define SLACK_FALLBACK_MAX 4000
#define DISCORD_CONTENT_MAX 2000
#define DISCORD_EMBEDS_MAX 10
#define DISCORD_TITLE_MAX 256
#define DISCORD_DESCRIPTION_MAX 4096
#define DISCORD_FIELDS_MAX 25
#define DISCORD_FIELD_VALUE_MAX 1024
#define DISCORD_EMBEDS_TOTAL_MAX 6000
#define TELEGRAM_TEXT_MAX 4096
#define EMAIL_SUBJECT_MAX 200
#define EMAIL_LINE_MAX 998

struct outgoing {
	enum channel_id channel;
	char *url;                  /* may hold a secret: never logged */
	char *body;
	size_t body_length;
	char *headers[OUTGOING_HEADERS_MAX];
	size_t header_count;
	/* SMTP only */
	char *mail_from;
	char *recipients[OUTGOING_RECIPIENTS_MAX];
	size_t recipient_count;
	char *username;
	char *password;
	bool require_tls;
	/* every channel */
	char *ca_file;
	/* A GET without a body (the heartbeat's pings may be GETs); POST
	 * otherwise. */
	bool http_get;
	/* Strings to mask in anything logged about this request (copies:
	 * a reload may free the configuration while a request is in flight). */
	char *secrets[6];
	size_t secret_count;
};

void outgoing_free(struct outgoing *out);

/*
 * Alerts the pipeline puts in one message for a channel: what its service
 * shows whole (Discord: one embed each, one kept for the trailer;
 * Telegram: what 4096 characters hold at a typical alert's length). More
 * go in the next messages, never cut off.
 */
size_t channel_alerts_per_message(enum channel_id channel);
/* A URL that is itself a secret: masked whole and by its path (servers
 * echo the path in error bodies). */
void outgoing_add_url_secret(struct outgoing *out, const char *url);

/*
 * Makes out a JSON POST of root (which it frees) to url, the URL masked in
 * every log line, with the channel's CA file if any. -ENOMEM on failure.
 */
struct json_object;
int outgoing_set_json(struct outgoing *out, enum channel_id channel,
		      struct json_object *root, const char *url,
		      const char *ca_file);
/* The same with a body already written (taken over, even on failure). */
int outgoing_set_body(struct outgoing *out, enum channel_id channel, char *body,
		      const char *url, const char *ca_file);
void outgoing_add_secret(struct outgoing *out, const char *secret);
/* Copies a header line "Name: value"; -ENOSPC past OUTGOING_HEADERS_MAX. */
int outgoing_add_header(struct outgoing *out, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

typedef int channel_format_fn(const struct alerting_channel_config *config,
			      const struct alert_message *message,
			      uint64_t now_usec, struct outgoing *out);

channel_format_fn channel_webhook_format;
channel_format_fn channel_slack_format;
channel_format_fn channel_discord_format;
channel_format_fn channel_telegram_format;
channel_format_fn channel_email_format;
channel_format_fn channel_alertmanager_format;

/* One structured log record per alert of the message. */
void channel_console_write(const struct alert_message *message,
			   uint64_t now_usec);

/* "firing" (any alert firing), "resolved", or "summary" (no alert). */
const char *channel_webhook_status(const struct alert_message *message);

/*
 * DingTalk's robot signature: URL-encoded base64 of HMAC-SHA256 keyed with
 * secret over timestamp_ms "\n" secret, into out (-ENOSPC when too small).
 */
int webhook_dingtalk_sign(const char *secret, const char *timestamp_ms,
			  char *out, size_t out_size);

/* The webhook signature: "sha256=" + hex HMAC(secret, timestamp "." body). */
int webhook_signature(const char *secret, const char *timestamp,
		      const char *body, size_t body_length, char *out,
		      size_t out_size);

/* Whether a channel has what it needs to send (URL, token, recipients). */
bool channel_configured(enum channel_id channel,
			const struct alerting_channel_config *config,
			const char **missing);

/* The settings of a channel; for a webhook slot, its entry by name (a
 * disabled one while the slot is free). */
const struct alerting_channel_config *
channel_config(const struct alerting_config *alerting, enum channel_id channel);

/* "webhook" for an entry without a name or named so, else "webhook.NAME". */
void channel_webhook_display_name(const struct alerting_channel_config *config,
				  char *out, size_t size);
/*
 * Gives each [[alerting.webhook]] entry a slot, by name: an entry keeps the
 * slot it had (a reload never moves one), a new one takes a free slot.
 * Slots whose name is no longer configured are freed and listed in removed
 * (room for CHANNEL_WEBHOOKS_MAX); returns how many.
 */
size_t channel_webhooks_assign(const struct alerting_config *alerting,
			       enum channel_id *removed);

channel_format_fn *channel_formatter(enum channel_id channel);

/*
 * From an error response: seconds the service asked us to wait (Discord and
 * Telegram put retry_after in their JSON), or -1.
 */
double channel_retry_after_from_body(const char *body);

#endif
