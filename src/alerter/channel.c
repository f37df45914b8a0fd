/*
 * channel.c - what all channels share: the table from channel id to settings
 * and formatter, what each needs to be usable, and the outgoing request's
 * memory.
 */
#include "alerter/channel.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void outgoing_free(struct outgoing *out)
{
	free(out->url);
	free(out->body);
	for (size_t i = 0; i < out->header_count; i++)
		free(out->headers[i]);
	free(out->mail_from);
	for (size_t i = 0; i < out->recipient_count; i++)
		free(out->recipients[i]);
	free(out->username);
	free(out->password);
	free(out->ca_file);
	for (size_t i = 0; i < out->secret_count; i++)
		free(out->secrets[i]);
	memset(out, 0, sizeof(*out));
}

void outgoing_add_secret(struct outgoing *out, const char *secret)
{
	char *copy;

	if (secret == NULL || secret[0] == '\0' ||
	    out->secret_count >= ARRAY_SIZE(out->secrets))
		return;
	copy = strdup(secret);
	if (copy != NULL)
		out->secrets[out->secret_count++] = copy;
}

void outgoing_add_url_secret(struct outgoing *out, const char *url)
{
	const char *host = strstr(url, "://"), *path;

	outgoing_add_secret(out, url);
	path = host ? strchr(host + 3, '/') : NULL;
	if (path != NULL && strlen(path) >= 8)
		outgoing_add_secret(out, path);
}

int outgoing_add_header(struct outgoing *out, const char *format, ...)
{
	va_list args;
	char *line;
	int r;

	if (out->header_count >= OUTGOING_HEADERS_MAX)
		return -ENOSPC;
	va_start(args, format);
	r = vasprintf(&line, format, args);
	va_end(args);
	if (r < 0)
		return -ENOMEM;
	out->headers[out->header_count++] = line;
	return 0;
}

const struct alerting_channel_config *
channel_config(const struct alerting_config *a, enum channel_id channel)
{
	switch (channel) {
	case CHANNEL_CONSOLE:
		return &a->console;
	case CHANNEL_WEBHOOK:
		return &a->webhook;
	case CHANNEL_SLACK:
		return &a->slack;
	case CHANNEL_DISCORD:
		return &a->discord;
	case CHANNEL_TELEGRAM:
		return &a->telegram;
	case CHANNEL_EMAIL:
		return &a->email;
	case CHANNEL_ALERTMANAGER:
		return &a->alertmanager;
	default:
		return NULL;
	}
}

channel_format_fn *channel_formatter(enum channel_id channel)
{
	switch (channel) {
	case CHANNEL_WEBHOOK:
		return channel_webhook_format;
	case CHANNEL_SLACK:
		return channel_slack_format;
	case CHANNEL_DISCORD:
		return channel_discord_format;
	case CHANNEL_TELEGRAM:
		return channel_telegram_format;
	case CHANNEL_EMAIL:
		return channel_email_format;
	case CHANNEL_ALERTMANAGER:
		return channel_alertmanager_format;
	default:
		return NULL;
	}
}

static bool empty(const char *s)
{
	return s == NULL || s[0] == '\0';
}

bool channel_configured(enum channel_id channel,
			const struct alerting_channel_config *c,
			const char **missing)
{
	*missing = NULL;
	switch (channel) {
	case CHANNEL_CONSOLE:
		break;
	case CHANNEL_WEBHOOK:
		if (empty(c->url))
			*missing = "url";
		break;
	case CHANNEL_SLACK:
	case CHANNEL_DISCORD:
		if (empty(c->url))
			*missing = "webhook_url";
		break;
	case CHANNEL_TELEGRAM:
		if (empty(c->secret))
			*missing = "bot_token";
		else if (empty(c->chat_id))
			*missing = "chat_id";
		break;
	case CHANNEL_EMAIL:
		if (empty(c->url))
			*missing = "url";
		else if (empty(c->from))
			*missing = "from";
		else if (c->to.count == 0)
			*missing = "to";
		else if (!empty(c->username) && empty(c->secret))
			*missing = "password";
		break;
	case CHANNEL_ALERTMANAGER:
		if (empty(c->url))
			*missing = "url";
		break;
	default:
		*missing = "channel";
	}
	return *missing == NULL;
}

double channel_retry_after_from_body(const char *body)
{
	json_object *root, *value, *parameters;
	double seconds = -1;

	if (body == NULL || body[0] != '{')
		return -1;
	root = json_tokener_parse(body);
	if (root == NULL)
		return -1;
	if (json_object_object_get_ex(root, "retry_after", &value))
		seconds = json_object_get_double(value);
	else if (json_object_object_get_ex(root, "parameters", &parameters) &&
		 json_object_object_get_ex(parameters, "retry_after", &value))
		seconds = json_object_get_double(value);
	json_object_put(root);
	return seconds > 0 ? seconds : -1;
}

int outgoing_set_json(struct outgoing *out, enum channel_id channel,
		      struct json_object *root, const char *url,
		      const char *ca_file)
{
	const char *json = json_object_to_json_string_ext(root,
							   JSON_C_TO_STRING_PLAIN);

	out->channel = channel;
	out->body = json ? strdup(json) : NULL;
	json_object_put(root);
	out->url = strdup(url);
	if (out->body == NULL || out->url == NULL)
		return -ENOMEM;
	out->body_length = strlen(out->body);
	outgoing_add_url_secret(out, url);
	outgoing_add_header(out, "Content-Type: application/json");
	if (ca_file != NULL) {
		out->ca_file = strdup(ca_file);
		if (out->ca_file == NULL)
			return -ENOMEM;
	}
	return 0;
}

size_t channel_alerts_per_message(enum channel_id channel)
{
	switch (channel) {
	case CHANNEL_DISCORD:
		return DISCORD_EMBEDS_MAX - 1;
	case CHANNEL_TELEGRAM:
		return 8;
	default:
		return MESSAGE_ALERTS_MAX;
	}
}
