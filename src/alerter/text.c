/*
 * text.c - turns alert snapshots into the sentences every channel shows, so a
 * Slack post, an e-mail and a journal record say the same thing.
 */
#include "alerter/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/secret.h"
#include "core/util.h"

void text_time_utc(uint64_t usec, char *buffer, size_t size)
{
	time_t t = (time_t)(usec / USEC_PER_SEC);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buffer, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buffer, size, "?");
}

const char *text_severity_upper(enum alert_severity severity)
{
	return severity == ALERT_CRITICAL  ? "CRITICAL"
	       : severity == ALERT_WARNING ? "WARNING"
					   : "INFO";
}

static const char *kind_words(const struct alert_snapshot *a)
{
	return a->kind == ALERT_KIND_ESCALATED ? " (severity rose)"
	       : a->kind == ALERT_KIND_REPEAT  ? " (still firing)"
					       : "";
}

static const char *state_word(const struct alert_snapshot *a)
{
	switch (a->kind) {
	case ALERT_KIND_RESOLVED:
		return "RESOLVED";
	case ALERT_KIND_FLAPPING:
		return "FLAPPING";
	case ALERT_KIND_TEST:
		return "TEST";
	default:
		return text_severity_upper(a->severity);
	}
}

/* The series name is left out: the summary names what it measures. */
void alert_headline(const struct alert_snapshot *a, const char *host,
		    char *buffer, size_t size)
{
	snprintf(buffer, size, "%s %s on %s: %s%s", state_word(a), a->rule,
		 host, a->summary, kind_words(a));
}

/*
 * The journal's line stands alone (journalctl, grep): it keeps the series
 * and labels, which a chat message leaves to its title and facts.
 */
void alert_journal_line(const struct alert_snapshot *a, const char *host,
			char *buffer, size_t size)
{
	char what[sizeof(a->series) + sizeof(a->labels) + 8] = "";

	if (a->series[0] != '\0')
		snprintf(what, sizeof(what), " (%s%s%s%s)", a->series,
			 a->labels[0] ? "{" : "", a->labels,
			 a->labels[0] ? "}" : "");
	snprintf(buffer, size, "%s %s%s on %s: %s%s", state_word(a), a->rule,
		 what, host, a->summary, kind_words(a));
}

void message_alert_headline(const struct alert_message *m, size_t i,
			    char *buffer, size_t size)
{
	const struct alert_snapshot *a = &m->alerts[i];

	/* One alert: the title already said severity, rule and host. */
	if (m->alert_count == 1)
		snprintf(buffer, size, "%s%s", a->summary, kind_words(a));
	else
		snprintf(buffer, size, "%s %s: %s%s", state_word(a), a->rule,
			 a->summary, kind_words(a));
}

void alert_facts(const struct alert_snapshot *a, uint64_t now_usec,
		 char *buffer, size_t size)
{
	char since[40], duration[32], spark[ALERT_HISTORY_MAX * 4 + 1];
	size_t used = 0;
	uint64_t end = a->ended_usec ? a->ended_usec : now_usec;

	buffer[0] = '\0';
	if (isfinite(a->value)) {
		char value[32], other[32] = "", limit[32] = "";

		format_series_value(a->series, a->value, value, sizeof(value));
		if (isfinite(a->threshold))
			format_series_value(a->series, a->threshold, limit,
					    sizeof(limit));
		if (isfinite(a->baseline))
			format_series_value(a->series, a->baseline, other,
					    sizeof(other));
		/* Not again what the sentence above already says ("CPU use
		 * is 97.9%, above the 95% limit"). */
		if (!(strstr(a->summary, value) != NULL &&
		      strstr(a->summary, limit) != NULL &&
		      strstr(a->summary, other) != NULL)) {
			used = string_appendf(buffer, size, used, "Value: %s",
					      value);
			if (other[0] != '\0' && limit[0] != '\0')
				used = string_appendf(buffer, size, used,
						      " (usual %s, limit %s)",
						      other, limit);
			else if (other[0] != '\0')
				used = string_appendf(buffer, size, used,
						      " (usual %s)", other);
			else if (limit[0] != '\0')
				used = string_appendf(buffer, size, used,
						      " (limit %s)", limit);
			used = string_appendf(buffer, size, used, "\n");
		}
	}
	if (a->started_usec != 0) {
		text_time_utc(a->started_usec, since, sizeof(since));
		format_duration(end > a->started_usec
					? (end - a->started_usec) / USEC_PER_SEC
					: 0,
				duration, sizeof(duration));
		used = string_appendf(buffer, size, used, "%s: %s (%s)\n",
			      a->kind == ALERT_KIND_RESOLVED ? "Lasted"
							     : "Since",
			      since, duration);
	}
	if (a->eta_secs >= 0 && a->firing) {
		format_duration((uint64_t)a->eta_secs, duration,
				sizeof(duration));
		used = string_appendf(buffer, size, used, "Forecast: limit reached in "
			      "%s\n", duration);
	}
	if (a->count > 1)
		used = string_appendf(buffer, size, used, "Count: %u events\n",
			      a->count);
	format_sparkline(a->history, a->history_count, spark, sizeof(spark));
	if (spark[0] != '\0')
		used = string_appendf(buffer, size, used, "Recent: %s\n", spark);
	if (a->detail[0] != '\0')
		string_appendf(buffer, size, used, "%s\n", a->detail);
}

bool alert_what(const struct alert_snapshot *a, char *buffer, size_t size)
{
	/* The words people use for the common series; others say their
	 * rule. */
	static const struct {
		const char *series, *word, *after;
	} words[] = {
	    {"cpu.usage_percent", "CPU", ""},
	    {"disk.used_percent", "disk", " full"},
	    {"memory.used_percent", "memory", " used"},
	    {"swap.used_percent", "swap", " used"},
	};
	/* The label that says where, most specific first. */
	static const char *const keys[] = {"mount", "device", "interface",
					   "unit",  "check",  "name"};
	const char *after = "";
	char area[64], where[64] = "", value[32], left[32] = "";

	buffer[0] = '\0';
	if (!isfinite(a->value) || a->series[0] == '\0')
		return false;
	string_copy(area, a->rule, sizeof(area));
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (strcmp(a->series, words[i].series) == 0) {
			string_copy(area, words[i].word, sizeof(area));
			after = words[i].after;
		}
	for (size_t i = 0; i < ARRAY_SIZE(keys) && where[0] == '\0'; i++)
		labels_value(a->labels, keys[i], where, sizeof(where));
	format_series_value(a->series, a->value, value, sizeof(value));
	if (a->firing && a->eta_secs >= 0) {
		format_duration((uint64_t)a->eta_secs, left, sizeof(left));
		string_appendf(left, sizeof(left), strlen(left), " left");
	}
	snprintf(buffer, size, "%s%s%s %s%s%s%s", area, where[0] ? " " : "",
		 where, value, after, left[0] ? ", " : "", left);
	return true;
}

void message_title(const struct alert_message *m, char *buffer, size_t size)
{
	size_t firing = 0, resolved = 0;

	for (size_t i = 0; i < m->alert_count; i++) {
		if (m->alerts[i].kind == ALERT_KIND_RESOLVED)
			resolved++;
		else
			firing++;
	}
	if (m->alert_count == 1) {
		const struct alert_snapshot *a = &m->alerts[0];
		char what[128];

		/* Severity + what + where: "CRITICAL disk / 96% full on
		 * web-01"; the rule when there is no value to say it with. */
		if (!alert_what(a, what, sizeof(what)))
			string_copy(what, a->rule, sizeof(what));
		snprintf(buffer, size, "%s %s on %s", state_word(a), what,
			 m->host);
	} else if (m->alert_count == 0) {
		snprintf(buffer, size, "%u alert%s waiting for the rate limit "
			 "on %s", m->deferred_count,
			 m->deferred_count == 1 ? "" : "s", m->host);
	} else if (resolved == 0) {
		snprintf(buffer, size, "%s: %zu problem%s on %s",
			 text_severity_upper(message_firing_severity(m)), firing,
			 firing == 1 ? "" : "s", m->host);
	} else if (firing == 0) {
		/* Nothing is wrong any more: no severity to alarm anyone. */
		snprintf(buffer, size, "%zu resolved on %s", resolved, m->host);
	} else {
		snprintf(buffer, size, "%s: %zu problem%s, %zu resolved on %s",
			 text_severity_upper(message_firing_severity(m)), firing,
			 firing == 1 ? "" : "s", resolved, m->host);
	}
}

void message_deferred_line(const struct alert_message *m, char *buffer,
			   size_t size)
{
	buffer[0] = '\0';
	if (m->deferred_count == 0)
		return;
	snprintf(buffer, size, "%u more alert%s follow%s in full when the "
		 "rate limit allows", m->deferred_count,
		 m->deferred_count == 1 ? "" : "s",
		 m->deferred_count == 1 ? "s" : "");
}

void message_labels_line(const struct alert_message *m, char *buffer,
			 size_t size)
{
	char name[IDENTITY_LABEL_NAME_MAX + 1],
	    value[IDENTITY_LABEL_VALUE_MAX + 1];
	const char *cursor = m->agent_labels;
	size_t used = 0;

	buffer[0] = '\0';
	while (identity_labels_next(&cursor, name, sizeof(name), value,
				    sizeof(value)))
		used = string_appendf(buffer, size, used, "%s%s=%s",
				      used ? " · " : "", name, value);
}

void message_plain_text(const struct alert_message *m, uint64_t now_usec,
			char *buffer, size_t size)
{
	char line[ALERT_SUMMARY_MAX + 512], facts[2048];
	size_t used = 0;

	buffer[0] = '\0';
	message_title(m, line, sizeof(line));
	used = string_appendf(buffer, size, used, "%s\n", line);
	for (size_t i = 0; i < m->alert_count; i++) {
		message_alert_headline(m, i, line, sizeof(line));
		alert_facts(&m->alerts[i], now_usec, facts, sizeof(facts));
		used = string_appendf(buffer, size, used, "\n%s\n%s", line, facts);
	}
	message_deferred_line(m, line, sizeof(line));
	if (line[0] != '\0')
		string_appendf(buffer, size, used, "\n%s\n", line);
}

void text_mask_secrets(char *text, char *const *secrets, size_t count)
{
	/* Every configured secret too, in every encoding (core/secret.h). */
	secret_mask_values(text, false, secrets, count);
}

size_t text_escape_html(const char *in, char *out, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return 0;
	for (; *in && used + 6 < size; in++) {
		const char *entity = *in == '&' ? "&amp;"
				     : *in == '<' ? "&lt;"
				     : *in == '>' ? "&gt;"
						  : NULL;

		if (entity != NULL) {
			memcpy(out + used, entity, strlen(entity));
			used += strlen(entity);
		} else {
			out[used++] = *in;
		}
	}
	out[used] = '\0';
	return used;
}
