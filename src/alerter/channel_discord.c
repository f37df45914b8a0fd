/*
 * channel_discord.c - Discord webhook: content line plus one embed per alert
 * coloured by severity. Discord's limits: content 2000 chars, 10 embeds,
 * title 256, description 4096, and 6000 chars over all embeds; text is cut
 * with a marker to fit, alerts past the ninth are counted in a last embed.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"
#include "alerter/text.h"

static int colour_of(const struct alert_snapshot *a)
{
	if (a->kind == ALERT_KIND_RESOLVED)
		return 0x2eb67d;
	return a->severity == ALERT_CRITICAL  ? 0xe01e5a
	       : a->severity == ALERT_WARNING ? 0xecb22e
					      : 0x36c5f0;
}

static json_object *embed(const char *title, const char *description,
			  int colour, const char *footer, const char *timestamp)
{
	json_object *o = json_object_new_object(), *foot;

	json_object_object_add(o, "title", json_object_new_string(title));
	json_object_object_add(o, "description",
			       json_object_new_string(description));
	json_object_object_add(o, "color", json_object_new_int(colour));
	foot = json_object_new_object();
	json_object_object_add(foot, "text", json_object_new_string(footer));
	json_object_object_add(o, "footer", foot);
	if (timestamp != NULL)
		json_object_object_add(o, "timestamp",
				       json_object_new_string(timestamp));
	return o;
}

int channel_discord_format(const struct alerting_channel_config *config,
			   const struct alert_message *m, uint64_t now_usec,
			   struct outgoing *out)
{
	json_object *root = json_object_new_object(), *embeds, *mentions;
	char content[DISCORD_CONTENT_MAX * 4 + 16], title[1024],
	    description[DISCORD_DESCRIPTION_MAX * 4 + 16],
	    when[IDENTITY_LABELS_TEXT_MAX + 64],
	    footer[MESSAGE_HOST_MAX + IDENTITY_LABELS_TEXT_MAX + 64];
	size_t shown = m->alert_count, budget, footer_chars;
	bool summary_embed;

	summary_embed = m->alert_count > DISCORD_EMBEDS_MAX ||
			m->deferred_count > 0;
	if (summary_embed && shown > DISCORD_EMBEDS_MAX - 1)
		shown = DISCORD_EMBEDS_MAX - 1;
	message_title(m, content, sizeof(content));
	utf8_truncate(content, sizeof(content), DISCORD_CONTENT_MAX,
		      TRUNCATION_MARKER);
	json_object_object_add(root, "content", json_object_new_string(content));
	/* Alert text must never ping @everyone. */
	mentions = json_object_new_object();
	json_object_object_add(mentions, "parse", json_object_new_array());
	json_object_object_add(root, "allowed_mentions", mentions);
	embeds = json_object_new_array();
	/* The host and its [agent] labels, small under every embed. */
	message_labels_line(m, when, sizeof(when));
	string_appendf(footer, sizeof(footer),
		       string_copy(footer, m->host, sizeof(footer)), "%s%s",
		       when[0] ? " · " : "", when);
	footer_chars = utf8_length(footer);
	/* Each embed's share of the 6000 characters all embeds may hold. */
	budget = DISCORD_EMBEDS_TOTAL_MAX / (shown + summary_embed + 1);
	for (size_t i = 0; i < shown; i++) {
		const struct alert_snapshot *a = &m->alerts[i];
		size_t title_chars, room;

		message_alert_headline(m, i, title, sizeof(title));
		utf8_truncate(title, sizeof(title), DISCORD_TITLE_MAX,
			      TRUNCATION_MARKER);
		title_chars = utf8_length(title);
		alert_facts(a, now_usec, description, sizeof(description));
		room = budget > title_chars + footer_chars + 16
			       ? budget - title_chars - footer_chars
			       : 16;
		if (room > DISCORD_DESCRIPTION_MAX)
			room = DISCORD_DESCRIPTION_MAX;
		utf8_truncate(description, sizeof(description), room,
			      TRUNCATION_MARKER);
		format_time_rfc3339(a->ended_usec ? a->ended_usec
						  : a->started_usec,
				    when, sizeof(when));
		json_object_array_add(
		    embeds, embed(title, description, colour_of(a), footer,
				  a->started_usec ? when : NULL));
	}
	if (summary_embed) {
		size_t used = 0;

		if (m->alert_count > shown)
			used = (size_t)snprintf(description,
						sizeof(description),
						"%zu more alerts not shown. ",
						m->alert_count - shown);
		message_deferred_line(m, description + used,
					sizeof(description) - used);
		utf8_truncate(description, sizeof(description),
			      budget > footer_chars + 32 ? budget - footer_chars - 32
							 : 64,
			      TRUNCATION_MARKER);
		json_object_array_add(embeds, embed("Held back", description,
						    0x808080, footer, NULL));
	}
	json_object_object_add(root, "embeds", embeds);
	return outgoing_set_json(out, CHANNEL_DISCORD, root, config->url,
				 config->ca_file);
}
