/*
 * channel_alertmanager.c - Prometheus Alertmanager v2: POST
 * <url>/api/v2/alerts with an array of {labels, annotations, startsAt,
 * endsAt}. Labels: alertname (the rule), instance (the host), severity,
 * job="sysops-agent", agent_id, series, the [agent] labels and the alert's
 * own labels (names sanitised to [a-zA-Z_][a-zA-Z0-9_]*). A firing alert's
 * endsAt lies a few repost intervals ahead, so Alertmanager resolves it by
 * itself if the agent dies.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"
#include "alerter/text.h"
#include "core/util.h"

static void label_name(const char *in, char *out, size_t size)
{
	size_t i = 0;

	for (; in[i] && i + 1 < size; i++) {
		char c = in[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  c == '_' || (i > 0 && c >= '0' && c <= '9');

		out[i] = ok ? c : '_';
	}
	out[i] = '\0';
}

static bool reserved(const char *name)
{
	static const char *const names[] = {
	    "alertname", "instance", "severity", "job", "series", "agent_id"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

static void add_labels(json_object *o, const char *labels)
{
	char name[ALERT_LABELS_MAX], value[IDENTITY_LABELS_TEXT_MAX],
	    clean[ALERT_LABELS_MAX];

	while (identity_labels_next(&labels, name, sizeof(name), value,
				    sizeof(value))) {
		label_name(name, clean, sizeof(clean));
		if (!reserved(clean))
			json_object_object_add(o, clean,
					       json_object_new_string(value));
	}
}

/*
 * The alert's own labels come after the [agent] labels and win a clash:
 * two alerts that differ by a label must stay two alerts in Alertmanager.
 */
static json_object *labels_of(const struct alert_snapshot *a,
			      const struct alert_message *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "alertname", json_object_new_string(a->rule));
	json_object_object_add(o, "instance", json_object_new_string(m->host));
	json_object_object_add(o, "severity", json_object_new_string(
					      event_severity_name(a->severity)));
	json_object_object_add(o, "job", json_object_new_string("sysops-agent"));
	if (m->agent_id[0] != '\0')
		json_object_object_add(o, "agent_id",
				       json_object_new_string(m->agent_id));
	if (a->series[0] != '\0')
		json_object_object_add(o, "series",
				       json_object_new_string(a->series));
	add_labels(o, m->agent_labels);
	add_labels(o, a->labels);
	return o;
}

int channel_alertmanager_format(const struct alerting_channel_config *config,
				const struct alert_message *m,
				uint64_t now_usec, struct outgoing *out)
{
	json_object *root;
	const char *json;
	uint64_t horizon = 4 * (uint64_t)(config->repost_interval_secs > 0
						  ? config->repost_interval_secs
						  : 60) *
			   USEC_PER_SEC;
	size_t base_length;

	if (m->alert_count == 0)
		return -ENODATA; /* a held-back summary means nothing here */
	root = json_object_new_array();
	for (size_t i = 0; i < m->alert_count; i++) {
		const struct alert_snapshot *a = &m->alerts[i];
		json_object *alert = json_object_new_object(), *notes;
		char when[40], headline[1024], facts[2048];

		json_object_object_add(alert, "labels", labels_of(a, m));
		notes = json_object_new_object();
		alert_headline(a, m->host, headline, sizeof(headline));
		alert_facts(a, now_usec, facts, sizeof(facts));
		json_object_object_add(notes, "summary",
				       json_object_new_string(a->summary));
		json_object_object_add(notes, "description",
				       json_object_new_string(facts));
		json_object_object_add(notes, "title",
				       json_object_new_string(headline));
		json_object_object_add(alert, "annotations", notes);
		format_time_rfc3339(a->started_usec ? a->started_usec
						    : now_usec,
				    when, sizeof(when));
		json_object_object_add(alert, "startsAt",
				       json_object_new_string(when));
		format_time_rfc3339(a->firing ? now_usec + horizon
					      : (a->ended_usec ? a->ended_usec
							       : now_usec),
				    when, sizeof(when));
		json_object_object_add(alert, "endsAt",
				       json_object_new_string(when));
		json_object_array_add(root, alert);
	}
	json = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	out->channel = CHANNEL_ALERTMANAGER;
	out->body = json ? strdup(json) : NULL;
	json_object_put(root);
	base_length = strlen(config->url);
	while (base_length > 0 && config->url[base_length - 1] == '/')
		base_length--;
	if (asprintf(&out->url, "%.*s/api/v2/alerts", (int)base_length,
		     config->url) < 0) {
		out->url = NULL;
		return -ENOMEM;
	}
	if (out->body == NULL)
		return -ENOMEM;
	out->body_length = strlen(out->body);
	outgoing_add_header(out, "Content-Type: application/json");
	if (config->secret != NULL && config->secret[0] != '\0') {
		outgoing_add_header(out, "Authorization: Bearer %s",
				    config->secret);
		outgoing_add_secret(out, config->secret);
	}
	if (config->ca_file != NULL)
		out->ca_file = strdup(config->ca_file);
	return 0;
}
