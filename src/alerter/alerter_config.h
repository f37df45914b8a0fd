/*
 * alerter_config.h - the [alerting] settings as loaded by core/config.c.
 *
 * Included by core/config.h (after struct config_string_list is defined) so
 * that struct config can hold them; everyone else includes alerter/alerter.h.
 */
#ifndef SYSOPS_ALERTER_CONFIG_H
#define SYSOPS_ALERTER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define ALERTER_SILENCE_MAX 32
#define ALERTER_WEBHOOKS_MAX	   8  /* = CHANNEL_WEBHOOKS_MAX */
#define ALERTER_WEBHOOK_NAME_MAX   20 /* "webhook." + name fits 31 bytes */
#define ALERTER_TEMPLATE_MAX_BYTES 16384

/* One table per channel; a channel only uses the keys it documents. */
struct alerting_channel_config {
	bool enabled;
	char *min_severity;
	char *url;                /* webhook/slack/discord (secret), email,
				     alertmanager, telegram api_url */
	char *secret;             /* webhook hmac_secret, telegram bot_token,
				     email password, alertmanager token */
	char *chat_id;            /* telegram */
	char *username;           /* email */
	char *from;               /* email */
	struct config_string_list to;      /* email */
	struct config_string_list headers; /* webhook: "Name: value" */
	bool starttls;            /* email on smtp://: require STARTTLS */
	char *ca_file;            /* PEM bundle to verify the server with */
	int64_t repost_interval_secs; /* alertmanager */
	/* webhook instances */
	char *name;			    /* NULL: "webhook" */
	struct config_string_list matchers; /* "field=glob", "field!=glob" */
	char *template_text;	     /* body template (or template_file) */
	char *dingtalk_secret;	     /* adds DingTalk's timestamp and sign */
	char *token;		     /* {{ .token }} in template and headers */
	int64_t min_interval_secs;   /* -1: [alerting.rate_limit]'s */
	int64_t max_alerts_per_hour; /* -1: [alerting.rate_limit]'s */
	int64_t max_alerts_per_message;
};

struct alerting_rate_limit_config {
	int64_t min_interval_secs;
	int64_t max_alerts_per_hour;
};

struct alerting_silence_config {
	char *name;
	char *start;              /* "HH:MM" local time, or NULL: midnight */
	char *end;                /* "HH:MM" local time, or NULL: midnight */
	struct config_string_list weekdays; /* "mon".."sun"; empty: every day */
	char *rule;               /* exact rule name, or NULL: any */
	struct config_string_list severities; /* empty: any */
	char *label;              /* "key=value" contained in labels */
};

struct alerting_config {
	bool send_resolved;
	int64_t repeat_interval_secs;
	int64_t group_wait_secs;
	int64_t flap_window_secs;
	int64_t flap_max_toggles;
	int64_t spool_max_bytes;
	int64_t history_max_bytes;
	int64_t connect_timeout_secs;
	int64_t timeout_secs;
	int64_t delivery_idle_secs;
	int64_t retry_initial_secs;
	int64_t retry_max_secs;
	struct alerting_rate_limit_config rate_limit;
	struct alerting_channel_config console, slack, discord, telegram, email,
	    alertmanager;
	/* [alerting.webhook] is the one-entry form of [[alerting.webhook]]. */
	struct alerting_channel_config webhook[ALERTER_WEBHOOKS_MAX];
	size_t webhook_count;
	struct alerting_silence_config silence[ALERTER_SILENCE_MAX];
	size_t silence_count;
};

#endif
