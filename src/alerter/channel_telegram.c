/*
 * channel_telegram.c - Telegram Bot API sendMessage with parse_mode HTML.
 * Every piece of alert text is escaped (&, <, >) so a log line can never
 * become markup; the text stays within Telegram's 4096 characters (counted
 * on the raw HTML, which is never shorter than what Telegram counts), cut
 * at a piece boundary with a marker.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerter/channel.h"
#include "alerter/text.h"

struct html_text {
	char buffer[TELEGRAM_TEXT_MAX * 4 + 64];
	size_t chars;
	bool full;
};

/* Appends open + escaped(plain) + close if it fits; else cuts plain. */
static void add_piece(struct html_text *t, const char *open, const char *plain,
		      const char *close)
{
	static const size_t marker_chars = 12; /* "…[truncated]" */
	char escaped[8192], cut[4096];
	size_t limit = TELEGRAM_TEXT_MAX - marker_chars, need, tags;

	if (t->full)
		return;
	text_escape_html(plain, escaped, sizeof(escaped));
	tags = utf8_length(open) + utf8_length(close);
	need = tags + utf8_length(escaped);
	if (t->chars + need > limit) {
		snprintf(cut, sizeof(cut), "%s", plain);
		/* Escaping only grows text: shrink the plain text until the
		 * escaped form fits what is left. */
		while (cut[0] != '\0') {
			text_escape_html(cut, escaped, sizeof(escaped));
			if (t->chars + tags + utf8_length(escaped) <= limit)
				break;
			utf8_truncate(cut, sizeof(cut),
				      utf8_length(cut) * 9 / 10, "");
		}
		if (cut[0] == '\0')
			escaped[0] = '\0';
		t->full = true;
	}
	strcat(t->buffer, open);
	strcat(t->buffer, escaped);
	strcat(t->buffer, close);
	t->chars += tags + utf8_length(escaped);
	if (t->full)
		strcat(t->buffer, TRUNCATION_MARKER);
}

/* Room kept for the "N more alerts left out" line. */
#define TELEGRAM_TRAILER_CHARS 200

static size_t escaped_chars(const char *plain)
{
	char escaped[8192];

	text_escape_html(plain, escaped, sizeof(escaped));
	return utf8_length(escaped);
}

int channel_telegram_format(const struct alerting_channel_config *config,
			    const struct alert_message *m, uint64_t now_usec,
			    struct outgoing *out)
{
	struct html_text *text = calloc(1, sizeof(*text));
	char line[1024], facts[2048], trailer[3200];
	json_object *root;
	const char *json;
	size_t shown;
	int r;

	if (text == NULL)
		return -ENOMEM;
	message_title(m, line, sizeof(line));
	add_piece(text, "<b>", line, "</b>\n");
	/* Whole alerts only, while the trailer still fits; what does not is
	 * counted in the trailer, never cut off unsaid. */
	for (shown = 0; shown < m->alert_count; shown++) {
		message_alert_headline(m, shown, line, sizeof(line));
		alert_facts(&m->alerts[shown], now_usec, facts, sizeof(facts));
		if (shown > 0 &&
		    text->chars + escaped_chars(line) + escaped_chars(facts) +
				    8 + TELEGRAM_TRAILER_CHARS >
			    TELEGRAM_TEXT_MAX)
			break;
		add_piece(text, "\n<b>", line, "</b>\n");
		add_piece(text, "", facts, "");
	}
	message_deferred_line(m, facts, sizeof(facts));
	if (shown < m->alert_count) {
		size_t left = m->alert_count - shown;

		snprintf(trailer, sizeof(trailer), "%zu more alert%s left out "
			 "of this message (Telegram's 4096 characters)%s%s",
			 left, left == 1 ? "" : "s", facts[0] ? "; " : "",
			 facts);
		add_piece(text, "\n<i>", trailer, "</i>");
	} else if (facts[0] != '\0') {
		add_piece(text, "\n<i>", facts, "</i>");
	}
	message_labels_line(m, line, sizeof(line));
	if (line[0] != '\0')
		add_piece(text, "\n<i>", line, "</i>");
	root = json_object_new_object();
	json_object_object_add(root, "chat_id",
			       json_object_new_string(config->chat_id));
	json_object_object_add(root, "text",
			       json_object_new_string(text->buffer));
	json_object_object_add(root, "parse_mode",
			       json_object_new_string("HTML"));
	json_object_object_add(root, "disable_web_page_preview",
			       json_object_new_boolean(1));
	free(text);
	json = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	out->channel = CHANNEL_TELEGRAM;
	out->body = json ? strdup(json) : NULL;
	json_object_put(root);
	r = asprintf(&out->url, "%s%sbot%s/sendMessage", config->url,
		     config->url[strlen(config->url) - 1] == '/' ? "" : "/",
		     config->secret);
	if (r < 0) {
		out->url = NULL;
		return -ENOMEM;
	}
	if (out->body == NULL)
		return -ENOMEM;
	out->body_length = strlen(out->body);
	outgoing_add_secret(out, config->secret);
	outgoing_add_header(out, "Content-Type: application/json");
	if (config->ca_file != NULL)
		out->ca_file = strdup(config->ca_file);
	return 0;
}
