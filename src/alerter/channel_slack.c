/*
 * channel_slack.c - Slack incoming webhook: one attachment coloured by the
 * highest severity, holding Block Kit blocks (a header, one section per
 * alert, a context line for what was held back). Slack's limits: header
 * plain_text 150 chars, section text 3000, 50 blocks; longer text is cut
 * with a marker, extra alerts are counted in the context block.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"
#include "alerter/text.h"

/* Slack mrkdwn: &, < and > are control characters. */
static void slack_escape(const char *in, char *out, size_t size)
{
	text_escape_html(in, out, size);
}

static const char *severity_colour(const struct alert_message *m)
{
	bool resolved = m->alert_count > 0;

	for (size_t i = 0; i < m->alert_count; i++)
		resolved &= m->alerts[i].kind == ALERT_KIND_RESOLVED;
	if (resolved)
		return "#2eb67d";
	switch (message_severity(m)) {
	case ALERT_CRITICAL:
		return "#e01e5a";
	case ALERT_WARNING:
		return "#ecb22e";
	default:
		return "#36c5f0";
	}
}

static json_object *text_object(const char *type, const char *text)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "text", json_object_new_string(text));
	return o;
}

int channel_slack_format(const struct alerting_channel_config *config,
			 const struct alert_message *m, uint64_t now_usec,
			 struct outgoing *out)
{
	json_object *root = json_object_new_object(), *attachments, *attachment,
		    *blocks, *block;
	char title[512], headline[1024], facts[2048], raw[3200],
		text[SLACK_SECTION_MAX * 6 + 16];
	size_t shown = m->alert_count, extra;

	/* header + sections + context <= SLACK_BLOCKS_MAX */
	if (shown > SLACK_BLOCKS_MAX - 2)
		shown = SLACK_BLOCKS_MAX - 2;
	extra = m->alert_count - shown;
	message_title(m, title, sizeof(title));
	utf8_truncate(title, sizeof(title), SLACK_FALLBACK_MAX,
		      TRUNCATION_MARKER);
	json_object_object_add(root, "text", json_object_new_string(title));
	blocks = json_object_new_array();
	block = json_object_new_object();
	json_object_object_add(block, "type", json_object_new_string("header"));
	utf8_truncate(title, sizeof(title), SLACK_HEADER_MAX,
		      TRUNCATION_MARKER);
	json_object_object_add(block, "text", text_object("plain_text", title));
	json_object_array_add(blocks, block);
	for (size_t i = 0; i < shown; i++) {
		const struct alert_snapshot *a = &m->alerts[i];
		size_t used;

		message_alert_headline(m, i, headline, sizeof(headline));
		alert_facts(a, now_usec, facts, sizeof(facts));
		slack_escape(headline, raw, sizeof(raw));
		used = (size_t)snprintf(text, sizeof(text), "*%s*\n", raw);
		slack_escape(facts, text + used, sizeof(text) - used);
		utf8_truncate(text, sizeof(text), SLACK_SECTION_MAX,
			      TRUNCATION_MARKER);
		block = json_object_new_object();
		json_object_object_add(block, "type",
				       json_object_new_string("section"));
		json_object_object_add(block, "text",
				       text_object("mrkdwn", text));
		json_object_array_add(blocks, block);
	}
	message_deferred_line(m, facts, sizeof(facts));
	message_labels_line(m, headline, sizeof(headline));
	if (extra > 0 || facts[0] != '\0' || headline[0] != '\0') {
		json_object *elements = json_object_new_array();
		size_t used = 0;

		if (extra > 0)
			used = (size_t)snprintf(raw, sizeof(raw),
						"%zu more alerts not shown. ",
						extra);
		used = string_appendf(raw, sizeof(raw), used, "%s", facts);
		/* Which host group this is, last and small. */
		if (headline[0] != '\0')
			string_appendf(raw, sizeof(raw), used, "%s%s",
				       used ? "\n" : "", headline);
		slack_escape(raw, text, sizeof(text));
		utf8_truncate(text, sizeof(text), SLACK_SECTION_MAX,
			      TRUNCATION_MARKER);
		json_object_array_add(elements, text_object("mrkdwn", text));
		block = json_object_new_object();
		json_object_object_add(block, "type",
				       json_object_new_string("context"));
		json_object_object_add(block, "elements", elements);
		json_object_array_add(blocks, block);
	}
	attachment = json_object_new_object();
	json_object_object_add(attachment, "color",
			       json_object_new_string(severity_colour(m)));
	json_object_object_add(attachment, "blocks", blocks);
	attachments = json_object_new_array();
	json_object_array_add(attachments, attachment);
	json_object_object_add(root, "attachments", attachments);
	return outgoing_set_json(out, CHANNEL_SLACK, root, config->url,
				 config->ca_file);
}
