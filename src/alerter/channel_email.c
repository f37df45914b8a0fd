/*
 * channel_email.c - an RFC 5322 message for SMTP (sent by libcurl): Date,
 * From, To, Subject (RFC 2047 encoded when not ASCII), Message-ID,
 * MIME-Version and a UTF-8 plain-text body with CRLF line ends and lines of
 * at most 998 octets. Header values are stripped of CR/LF so alert text can
 * never inject a header.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerter/channel.h"
#include "alerter/text.h"
#include "core/base64.h"
#include "core/util.h"

static void strip_line_breaks(char *s)
{
	for (; *s; s++)
		if (*s == '\r' || *s == '\n')
			*s = ' ';
}

static bool is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return false;
	return true;
}

/* "=?UTF-8?B?...?=" for a non-ASCII subject. */
static void encode_subject(const char *subject, char *out, size_t size)
{
	char encoded[EMAIL_SUBJECT_MAX * 8 + 64];
	size_t length = strlen(subject);

	if (is_ascii(subject)) {
		snprintf(out, size, "%s", subject);
		return;
	}
	/* The callers' subjects fit; this only bounds the encoding. */
	if (length > (sizeof(encoded) - 1) / 4 * 3)
		length = (sizeof(encoded) - 1) / 4 * 3;
	base64_encode(subject, length, encoded, sizeof(encoded));
	snprintf(out, size, "=?UTF-8?B?%s?=", encoded);
}

/* Appends text with CRLF line ends, hard-wrapping lines over 998 octets. */
static char *append_body(char *at, char *end, const char *text)
{
	size_t column = 0;

	for (; *text && at + 3 < end; text++) {
		if (*text == '\r')
			continue;
		if (*text == '\n' || column >= EMAIL_LINE_MAX) {
			*at++ = '\r';
			*at++ = '\n';
			column = 0;
			if (*text == '\n')
				continue;
		}
		*at++ = *text;
		column++;
	}
	*at = '\0';
	return at;
}

/* X-Sysops-Agent-Id and one X-Sysops-Label-<name> per [agent] label, so
 * mail filters can sort by env or team. */
static size_t add_identity_headers(const struct alert_message *m, char *body,
				   size_t size, size_t used)
{
	char name[IDENTITY_LABEL_NAME_MAX + 1],
	    value[IDENTITY_LABEL_VALUE_MAX + 1],
	    encoded[IDENTITY_LABEL_VALUE_MAX * 2 + 32];
	const char *cursor = m->agent_labels;

	if (m->agent_id[0] != '\0')
		used = string_appendf(body, size, used,
				      "X-Sysops-Agent-Id: %s\r\n", m->agent_id);
	while (identity_labels_next(&cursor, name, sizeof(name), value,
				    sizeof(value))) {
		strip_line_breaks(value);
		encode_subject(value, encoded, sizeof(encoded));
		used =
		    string_appendf(body, size, used,
				   "X-Sysops-Label-%s: %s\r\n", name, encoded);
	}
	return used;
}

int channel_email_format(const struct alerting_channel_config *config,
			 const struct alert_message *m, uint64_t now_usec,
			 struct outgoing *out)
{
	char title[EMAIL_SUBJECT_MAX * 4], subject[EMAIL_SUBJECT_MAX * 12],
		date[64], from[256], to[2048] = "", domain[MESSAGE_HOST_MAX];
	size_t body_size = 64 * 1024, used;
	time_t now = (time_t)(now_usec / USEC_PER_SEC);
	char *text, *at;
	struct tm tm;

	out->channel = CHANNEL_EMAIL;
	message_title(m, title, sizeof(title));
	utf8_truncate(title, sizeof(title), EMAIL_SUBJECT_MAX - 12,
		      TRUNCATION_MARKER);
	strip_line_breaks(title);
	{
		char prefixed[sizeof(title) + 16];

		snprintf(prefixed, sizeof(prefixed), "[sysops] %s", title);
		encode_subject(prefixed, subject, sizeof(subject));
	}
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	string_copy(from, config->from, sizeof(from));
	strip_line_breaks(from);
	for (size_t i = 0; i < config->to.count &&
			   out->recipient_count < OUTGOING_RECIPIENTS_MAX; i++) {
		char *rcpt = strdup(config->to.items[i]);

		if (rcpt == NULL)
			return -ENOMEM;
		strip_line_breaks(rcpt);
		out->recipients[out->recipient_count++] = rcpt;
		if (strlen(to) + strlen(rcpt) + 3 < sizeof(to)) {
			if (to[0] != '\0')
				strcat(to, ", ");
			strcat(to, rcpt);
		}
	}
	string_copy(domain, m->host, sizeof(domain));
	strip_line_breaks(domain);
	for (char *p = domain; *p; p++)
		if (*p == ' ' || *p == '<' || *p == '>' || *p == '@')
			*p = '-';
	text = malloc(body_size);
	out->body = malloc(body_size * 2);
	if (text == NULL || out->body == NULL) {
		free(text);
		return -ENOMEM;
	}
	used = (size_t)snprintf(out->body, body_size,
				"Date: %s\r\n"
				"From: %s\r\n"
				"To: %s\r\n"
				"Subject: %s\r\n"
				"Message-ID: <%llu.%llu@%s>\r\n"
				"MIME-Version: 1.0\r\n"
				"Content-Type: text/plain; charset=utf-8\r\n"
				"Content-Transfer-Encoding: 8bit\r\n"
				"Auto-Submitted: auto-generated\r\n"
				"X-Sysops-Severity: %s\r\n",
				date, from, to, subject,
				(unsigned long long)m->created_usec,
				(unsigned long long)m->id, domain,
				event_severity_name(message_firing_severity(m)));
	used = add_identity_headers(m, out->body, body_size, used);
	used = string_appendf(out->body, body_size, used, "\r\n");
	message_plain_text(m, now_usec, text, body_size);
	at = append_body(out->body + used, out->body + body_size * 2 - 3, text);
	memcpy(at, "\r\n", 3);
	free(text);
	out->body_length = strlen(out->body);
	out->url = strdup(config->url);
	out->mail_from = strdup(from);
	if (config->username != NULL)
		out->username = strdup(config->username);
	if (config->secret != NULL) {
		out->password = strdup(config->secret);
		outgoing_add_secret(out, config->secret);
	}
	out->require_tls = config->starttls;
	if (config->ca_file != NULL)
		out->ca_file = strdup(config->ca_file);
	if (out->url == NULL || out->mail_from == NULL)
		return -ENOMEM;
	return 0;
}
