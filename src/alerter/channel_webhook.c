/*
 * channel_webhook.c - the generic JSON webhook (schema in docs/DESIGN.md),
 * optionally signed: X-Sysops-Timestamp: <unix seconds> and
 * X-Sysops-Signature: sha256=<hex HMAC-SHA256(secret, timestamp "." body)>,
 * so a receiver can check origin and reject replays.
 */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"
#include "alerter/template.h"
#include "alerter/text.h"
#include "core/base64.h"
#include "core/sha256.h"
#include "core/util.h"

int webhook_signature(const char *secret, const char *timestamp,
		      const char *body, size_t body_length, char *out,
		      size_t out_size)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct hmac_sha256 context;

	if (out_size < 7 + 2 * SHA256_DIGEST_SIZE + 1)
		return -ENOSPC;
	hmac_sha256_init(&context, secret, strlen(secret));
	hmac_sha256_update(&context, timestamp, strlen(timestamp));
	hmac_sha256_update(&context, ".", 1);
	hmac_sha256_update(&context, body, body_length);
	hmac_sha256_final(&context, digest);
	memcpy(out, "sha256=", 7);
	for (size_t i = 0; i < SHA256_DIGEST_SIZE; i++) {
		out[7 + 2 * i] = hex[digest[i] >> 4];
		out[7 + 2 * i + 1] = hex[digest[i] & 0xf];
	}
	out[7 + 2 * SHA256_DIGEST_SIZE] = '\0';
	return 0;
}

static void add_number(json_object *o, const char *key, double value)
{
	json_object_object_add(o, key, isfinite(value)
					       ? json_object_new_double(value)
					       : NULL);
}

/* "device=sda,mount=/" -> {"device":"sda","mount":"/"} */
static json_object *labels_object(const char *labels)
{
	json_object *o = json_object_new_object();
	char name[ALERT_LABELS_MAX], value[IDENTITY_LABELS_TEXT_MAX];

	while (identity_labels_next(&labels, name, sizeof(name), value,
				    sizeof(value)))
		json_object_object_add(o, name, json_object_new_string(value));
	return o;
}

static json_object *alert_object(const struct alert_snapshot *a,
				 uint64_t now_usec)
{
	json_object *o = json_object_new_object();
	char time_text[40], key[ALERT_RULE_MAX + ALERT_SERIES_MAX +
				  ALERT_LABELS_MAX + 4];
	uint64_t end = a->ended_usec ? a->ended_usec : now_usec;

	snprintf(key, sizeof(key), "%s|%s|%s", a->rule, a->series, a->labels);
	json_object_object_add(o, "key", json_object_new_string(key));
	json_object_object_add(o, "rule", json_object_new_string(a->rule));
	json_object_object_add(o, "series", json_object_new_string(a->series));
	json_object_object_add(o, "labels", labels_object(a->labels));
	json_object_object_add(o, "severity", json_object_new_string(
					      event_severity_name(a->severity)));
	json_object_object_add(o, "state", json_object_new_string(
					   a->firing ? "firing" : "resolved"));
	json_object_object_add(o, "kind",
			       json_object_new_string(alert_kind_name(a->kind)));
	json_object_object_add(o, "summary",
			       json_object_new_string(a->summary));
	json_object_object_add(o, "detail",
			       a->detail[0] ? json_object_new_string(a->detail)
					    : NULL);
	add_number(o, "value", a->value);
	add_number(o, "baseline", a->baseline);
	add_number(o, "threshold", a->threshold);
	add_number(o, "score", a->score);
	json_object_object_add(o, "eta_secs",
			       a->eta_secs >= 0 ? json_object_new_int64(a->eta_secs)
						: NULL);
	json_object_object_add(o, "count", json_object_new_int64(a->count));
	format_time_rfc3339(a->started_usec, time_text, sizeof(time_text));
	json_object_object_add(o, "starts_at",
			       json_object_new_string(time_text));
	format_time_rfc3339(a->ended_usec, time_text, sizeof(time_text));
	json_object_object_add(o, "ends_at",
			       a->ended_usec ? json_object_new_string(time_text)
					     : NULL);
	json_object_object_add(o, "duration_secs", json_object_new_int64(
		(int64_t)(end > a->started_usec
				  ? (end - a->started_usec) / USEC_PER_SEC
				  : 0)));
	message_add_history_json(o, a);
	return o;
}

const char *channel_webhook_status(const struct alert_message *m)
{
	if (m->alert_count == 0)
		return "summary";
	for (size_t i = 0; i < m->alert_count; i++)
		if (m->alerts[i].firing)
			return "firing";
	return "resolved";
}

int webhook_dingtalk_sign(const char *secret, const char *timestamp_ms,
			  char *out, size_t out_size)
{
	uint8_t mac[SHA256_DIGEST_SIZE];
	struct hmac_sha256 context;
	char encoded[64];
	size_t used = 0;

	hmac_sha256_init(&context, secret, strlen(secret));
	hmac_sha256_update(&context, timestamp_ms, strlen(timestamp_ms));
	hmac_sha256_update(&context, "\n", 1);
	hmac_sha256_update(&context, secret, strlen(secret));
	hmac_sha256_final(&context, mac);
	if (base64_encode(mac, sizeof(mac), encoded, sizeof(encoded)) < 0)
		return -ENOSPC;
	/* URL-encoding of base64: only '+', '/' and '=' need it. */
	for (const char *c = encoded; *c != '\0'; c++) {
		bool escape = *c == '+' || *c == '/' || *c == '=';

		if (used + (escape ? 3 : 1) >= out_size)
			return -ENOSPC;
		if (escape)
			used += (size_t)snprintf(out + used, out_size - used,
						 "%%%02X", (unsigned char)*c);
		else
			out[used++] = *c;
	}
	out[used] = '\0';
	return 0;
}

/* The JSON document of docs/DESIGN.md, or the instance's template. */
static int webhook_body(const struct alerting_channel_config *config,
			const struct alert_message *m, uint64_t now_usec,
			char **body);

/*
 * The URL: a template itself when it holds "{{" (Opsgenie closes an alert
 * at its own path); a DingTalk robot with a secret wants
 * &timestamp=<ms>&sign=<signature> added.
 */
static int webhook_url(const struct alerting_channel_config *config,
		       const struct alert_message *m, uint64_t now_usec,
		       char **url)
{
	char timestamp[24], sign[128], *base = NULL;
	int r = 0;

	*url = NULL;
	if (strstr(config->url, "{{") != NULL) {
		r = template_render(config->url, m, now_usec, config->token,
				    &base, NULL);
		if (r == 0 && strncmp(base, "http://", 7) != 0 &&
		    strncmp(base, "https://", 8) != 0)
			r = -EINVAL;
	} else if ((base = strdup(config->url)) == NULL) {
		r = -ENOMEM;
	}
	if (r < 0 || config->dingtalk_secret == NULL ||
	    config->dingtalk_secret[0] == '\0') {
		if (r < 0)
			free(base);
		else
			*url = base;
		return r;
	}
	snprintf(timestamp, sizeof(timestamp), "%llu",
		 (unsigned long long)(now_usec / 1000));
	r = webhook_dingtalk_sign(config->dingtalk_secret, timestamp, sign,
				  sizeof(sign));
	if (r == 0 &&
	    asprintf(url, "%s%ctimestamp=%s&sign=%s", base,
		     strchr(base, '?') ? '&' : '?', timestamp, sign) < 0) {
		*url = NULL;
		r = -ENOMEM;
	}
	free(base);
	return r;
}

static int webhook_body(const struct alerting_channel_config *config,
			const struct alert_message *m, uint64_t now_usec,
			char **body)
{
	json_object *root, *alerts;
	const char *json;
	char text[512];

	if (config->template_text != NULL)
		return template_render(config->template_text, m, now_usec,
				       config->token, body, NULL);
	root = json_object_new_object();
	format_time_rfc3339(now_usec, text, sizeof(text));
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "host", json_object_new_string(m->host));
	/* Who sent it: the persistent id and the [agent] labels. */
	json_object_object_add(root, "agent_id",
			       json_object_new_string(m->agent_id));
	json_object_object_add(root, "labels", labels_object(m->agent_labels));
	json_object_object_add(root, "message_id",
			       json_object_new_int64((int64_t)m->id));
	json_object_object_add(root, "sent_at", json_object_new_string(text));
	json_object_object_add(
	    root, "status", json_object_new_string(channel_webhook_status(m)));
	json_object_object_add(root, "severity", json_object_new_string(
			event_severity_name(message_firing_severity(m))));
	message_title(m, text, sizeof(text));
	json_object_object_add(root, "title", json_object_new_string(text));
	alerts = json_object_new_array();
	for (size_t i = 0; i < m->alert_count; i++)
		json_object_array_add(alerts,
				      alert_object(&m->alerts[i], now_usec));
	json_object_object_add(root, "alerts", alerts);
	/* Alerts still owed to this channel: they follow in full. */
	json_object_object_add(root, "deferred",
			       json_object_new_int64(m->deferred_count));
	json = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	*body = json ? strdup(json) : NULL;
	json_object_put(root);
	return *body ? 0 : -ENOMEM;
}

int channel_webhook_format(const struct alerting_channel_config *config,
			   const struct alert_message *m, uint64_t now_usec,
			   struct outgoing *out)
{
	char timestamp[24], signature[80], *body = NULL, *url = NULL;
	int r;

	r = webhook_body(config, m, now_usec, &body);
	if (r == 0)
		r = webhook_url(config, m, now_usec, &url);
	if (r < 0) {
		free(body);
		return r;
	}
	r = outgoing_set_body(out, m->channel, body, url, config->ca_file);
	free(url);
	if (r < 0)
		return r;
	outgoing_add_url_secret(out, config->url);
	outgoing_add_secret(out, config->dingtalk_secret);
	outgoing_add_secret(out, config->token);
	if (config->secret != NULL && config->secret[0] != '\0') {
		outgoing_add_secret(out, config->secret);
		snprintf(timestamp, sizeof(timestamp), "%llu",
			 (unsigned long long)(now_usec / USEC_PER_SEC));
		r = webhook_signature(config->secret, timestamp, out->body,
				      out->body_length, signature,
				      sizeof(signature));
		if (r < 0)
			return r;
		outgoing_add_header(out, "X-Sysops-Timestamp: %s", timestamp);
		outgoing_add_header(out, "X-Sysops-Signature: %s", signature);
	}
	for (size_t i = 0; i < config->headers.count; i++) {
		const char *h = config->headers.items[i];
		const char *token = strstr(h, "{{ .token }}");

		/* A header must not smuggle a second one in. */
		if (strchr(h, ':') == NULL || strpbrk(h, "\r\n") != NULL ||
		    (token && config->token &&
		     strpbrk(config->token, "\r\n") != NULL))
			continue;
		/* "Authorization: GenieKey {{ .token }}": the key stays a
		 * secret (masked), not a plain header in the file. */
		if (token != NULL)
			r = outgoing_add_header(
			    out, "%.*s%s%s", (int)(token - h), h,
			    config->token ? config->token : "", token + 12);
		else
			r = outgoing_add_header(out, "%s", h);
		if (r < 0)
			return r;
	}
	return 0;
}
