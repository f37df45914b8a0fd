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

_Static_assert(ALERTER_WEBHOOKS_MAX == CHANNEL_WEBHOOKS_MAX,
	       "one channel slot per [[alerting.webhook]] entry");

/*
 * The name each webhook slot holds. Slot 0 starts as "webhook" so that code
 * which never assigns (unit tests, commands) sees today's single channel.
 */
static char webhook_slots[CHANNEL_WEBHOOKS_MAX][32] = {"webhook"};

int channel_webhook_slot(enum channel_id channel)
{
	if (channel == CHANNEL_WEBHOOK)
		return 0;
	if (channel >= CHANNEL_WEBHOOK_EXTRA && channel < CHANNEL_COUNT)
		return (int)(channel - CHANNEL_WEBHOOK_EXTRA) + 1;
	return -1;
}

static enum channel_id webhook_channel(size_t slot)
{
	return slot == 0 ? CHANNEL_WEBHOOK
			 : (enum channel_id)(CHANNEL_WEBHOOK_EXTRA + slot - 1);
}

const char *channel_webhook_name(int slot)
{
	if (slot < 0 || slot >= CHANNEL_WEBHOOKS_MAX ||
	    webhook_slots[slot][0] == '\0')
		return NULL;
	return webhook_slots[slot];
}

void channel_webhook_display_name(const struct alerting_channel_config *c,
				  char *out, size_t size)
{
	if (c->name == NULL || strcmp(c->name, "webhook") == 0)
		snprintf(out, size, "webhook");
	else
		snprintf(out, size, "webhook.%s", c->name);
}

static bool webhook_wanted(const struct alerting_config *a, const char *name)
{
	char wanted[32];

	for (size_t i = 0; i < a->webhook_count; i++) {
		channel_webhook_display_name(&a->webhook[i], wanted,
					     sizeof(wanted));
		if (strcmp(wanted, name) == 0)
			return true;
	}
	return false;
}

size_t channel_webhooks_assign(const struct alerting_config *a,
			       enum channel_id *removed)
{
	size_t count = 0;
	char name[32];

	for (size_t slot = 0; slot < CHANNEL_WEBHOOKS_MAX; slot++) {
		if (webhook_slots[slot][0] == '\0' ||
		    webhook_wanted(a, webhook_slots[slot]))
			continue;
		webhook_slots[slot][0] = '\0';
		removed[count++] = webhook_channel(slot);
	}
	for (size_t i = 0; i < a->webhook_count; i++) {
		bool placed = false;
		size_t free_slot = CHANNEL_WEBHOOKS_MAX;

		channel_webhook_display_name(&a->webhook[i], name,
					     sizeof(name));
		for (size_t slot = CHANNEL_WEBHOOKS_MAX; slot-- > 0;) {
			placed |= strcmp(webhook_slots[slot], name) == 0;
			if (webhook_slots[slot][0] == '\0')
				free_slot = slot;
		}
		/* The config allows no more entries than slots. */
		if (!placed && free_slot < CHANNEL_WEBHOOKS_MAX)
			string_copy(webhook_slots[free_slot], name,
				    sizeof(webhook_slots[free_slot]));
	}
	/* Unused, slot 0 keeps today's name: statistics and old spool
	 * entries still find "webhook" (inactive, as it always was). */
	if (webhook_slots[0][0] == '\0')
		string_copy(webhook_slots[0], "webhook",
			    sizeof(webhook_slots[0]));
	return count;
}

static const struct alerting_channel_config *
webhook_config(const struct alerting_config *a, int slot)
{
	static const struct alerting_channel_config unused;
	const char *name = channel_webhook_name(slot);
	char each[32];

	for (size_t i = 0; name != NULL && i < a->webhook_count; i++) {
		channel_webhook_display_name(&a->webhook[i], each,
					     sizeof(each));
		if (strcmp(each, name) == 0)
			return &a->webhook[i];
	}
	return &unused;
}

const struct alerting_channel_config *
channel_config(const struct alerting_config *a, enum channel_id channel)
{
	if (channel_webhook_slot(channel) >= 0)
		return webhook_config(a, channel_webhook_slot(channel));
	switch (channel) {
	case CHANNEL_CONSOLE:
		return &a->console;
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
	if (channel_webhook_slot(channel) >= 0)
		return channel_webhook_format;
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
	if (channel_webhook_slot(channel) >= 0)
		channel = CHANNEL_WEBHOOK;
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

int outgoing_set_body(struct outgoing *out, enum channel_id channel, char *body,
		      const char *url, const char *ca_file)
{
	out->channel = channel;
	out->body = body;
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

int outgoing_set_json(struct outgoing *out, enum channel_id channel,
		      struct json_object *root, const char *url,
		      const char *ca_file)
{
	const char *json =
	    json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	char *body = json ? strdup(json) : NULL;

	json_object_put(root);
	return outgoing_set_body(out, channel, body, url, ca_file);
}

size_t channel_alerts_per_message(enum channel_id channel)
{
	if (channel_webhook_slot(channel) >= 0)
		return MESSAGE_ALERTS_MAX;
	switch (channel) {
	case CHANNEL_DISCORD:
		return DISCORD_EMBEDS_MAX - 1;
	case CHANNEL_TELEGRAM:
		return 8;
	default:
		return MESSAGE_ALERTS_MAX;
	}
}
