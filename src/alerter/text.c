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

size_t utf8_length(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

bool utf8_truncate(char *s, size_t capacity, size_t max_chars,
		   const char *marker)
{
	size_t marker_chars = utf8_length(marker), marker_bytes = strlen(marker);
	size_t chars = 0, keep;
	char *cut = NULL;

	if (utf8_length(s) <= max_chars)
		return false;
	keep = max_chars > marker_chars ? max_chars - marker_chars : 0;
	for (char *p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;
		if (chars == keep) {
			cut = p;
			break;
		}
		chars++;
	}
	if (cut == NULL)
		return false;
	/* Back off to a code point start that leaves room for the marker. */
	while (cut > s && (size_t)(cut - s) + marker_bytes + 1 > capacity)
		do
			cut--;
		while (cut > s && ((unsigned char)*cut & 0xc0) == 0x80);
	if ((size_t)(cut - s) + marker_bytes + 1 <= capacity &&
	    max_chars >= marker_chars)
		memcpy(cut, marker, marker_bytes + 1);
	else
		*cut = '\0';
	return true;
}

void format_duration(uint64_t seconds, char *buffer, size_t size)
{
	if (seconds < 60)
		snprintf(buffer, size, "%llus", (unsigned long long)seconds);
	else if (seconds < 3600)
		snprintf(buffer, size, "%llum", (unsigned long long)seconds / 60);
	else if (seconds < 86400)
		snprintf(buffer, size, "%lluh %llum",
			 (unsigned long long)seconds / 3600,
			 (unsigned long long)seconds % 3600 / 60);
	else
		snprintf(buffer, size, "%llud %lluh",
			 (unsigned long long)seconds / 86400,
			 (unsigned long long)seconds % 86400 / 3600);
}

void format_time_utc(uint64_t usec, char *buffer, size_t size)
{
	time_t t = (time_t)(usec / USEC_PER_SEC);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buffer, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buffer, size, "?");
}

void format_time_rfc3339(uint64_t usec, char *buffer, size_t size)
{
	time_t t = (time_t)(usec / USEC_PER_SEC);
	struct tm tm;
	char base[32];

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		base[0] = '\0';
	snprintf(buffer, size, "%s.%03lluZ", base,
		 (unsigned long long)(usec % USEC_PER_SEC / 1000));
}

void sparkline(const double *values, size_t count, char *buffer, size_t size)
{
	static const char *const bars[] = { "▁", "▂", "▃", "▄",
					    "▅", "▆", "▇", "█" };
	double low = INFINITY, high = -INFINITY;
	size_t used = 0;

	buffer[0] = '\0';
	for (size_t i = 0; i < count; i++)
		if (isfinite(values[i])) {
			low = fmin(low, values[i]);
			high = fmax(high, values[i]);
		}
	if (!isfinite(low))
		return;
	for (size_t i = 0; i < count && used + 4 < size; i++) {
		const char *bar = " ";

		if (isfinite(values[i])) {
			int level = high > low ? (int)((values[i] - low) /
						       (high - low) * 7.0 + 0.5)
					       : 0;

			bar = bars[level < 0 ? 0 : level > 7 ? 7 : level];
		}
		used += (size_t)snprintf(buffer + used, size - used, "%s", bar);
	}
}

const char *severity_upper(enum alert_severity severity)
{
	return severity == ALERT_CRITICAL  ? "CRITICAL"
	       : severity == ALERT_WARNING ? "WARNING"
					   : "INFO";
}

void alert_headline(const struct alert_snapshot *a, const char *host,
		    char *buffer, size_t size)
{
	const char *state;
	char what[ALERT_SERIES_MAX + ALERT_LABELS_MAX + 4] = "";

	switch (a->kind) {
	case ALERT_KIND_RESOLVED:
		state = "RESOLVED";
		break;
	case ALERT_KIND_FLAPPING:
		state = "FLAPPING";
		break;
	case ALERT_KIND_TEST:
		state = "TEST";
		break;
	default:
		state = severity_upper(a->severity);
		break;
	}
	if (a->series[0] != '\0')
		snprintf(what, sizeof(what), " (%s%s%s%s)", a->series,
			 a->labels[0] ? "{" : "", a->labels,
			 a->labels[0] ? "}" : "");
	snprintf(buffer, size, "%s %s%s on %s: %s%s", state, a->rule, what,
		 host, a->summary,
		 a->kind == ALERT_KIND_ESCALATED ? " (severity rose)"
		 : a->kind == ALERT_KIND_REPEAT	 ? " (still firing)"
						 : "");
}

static size_t append(char *buffer, size_t size, size_t used,
		     const char *format, ...) __attribute__((format(printf, 4, 5)));

static size_t append(char *buffer, size_t size, size_t used,
		     const char *format, ...)
{
	va_list args;
	int n;

	if (used >= size)
		return used;
	va_start(args, format);
	n = vsnprintf(buffer + used, size - used, format, args);
	va_end(args);
	if (n < 0)
		return used;
	return used + (size_t)n >= size ? size - 1 : used + (size_t)n;
}

void alert_facts(const struct alert_snapshot *a, uint64_t now_usec,
		 char *buffer, size_t size)
{
	char since[40], duration[32], spark[ALERT_HISTORY_MAX * 4 + 1];
	size_t used = 0;
	uint64_t end = a->ended_usec ? a->ended_usec : now_usec;

	buffer[0] = '\0';
	if (isfinite(a->value)) {
		used = append(buffer, size, used, "Value: %.6g", a->value);
		if (isfinite(a->baseline) && isfinite(a->threshold))
			used = append(buffer, size, used,
				      " (baseline %.6g, threshold %.6g)",
				      a->baseline, a->threshold);
		else if (isfinite(a->baseline))
			used = append(buffer, size, used, " (baseline %.6g)",
				      a->baseline);
		else if (isfinite(a->threshold))
			used = append(buffer, size, used, " (threshold %.6g)",
				      a->threshold);
		used = append(buffer, size, used, "\n");
	}
	if (a->started_usec != 0) {
		format_time_utc(a->started_usec, since, sizeof(since));
		format_duration(end > a->started_usec
					? (end - a->started_usec) / USEC_PER_SEC
					: 0,
				duration, sizeof(duration));
		used = append(buffer, size, used, "%s: %s (%s)\n",
			      a->kind == ALERT_KIND_RESOLVED ? "Lasted"
							     : "Since",
			      since, duration);
	}
	if (a->eta_secs >= 0 && a->firing) {
		format_duration((uint64_t)a->eta_secs, duration,
				sizeof(duration));
		used = append(buffer, size, used, "Forecast: limit reached in "
			      "%s\n", duration);
	}
	if (a->count > 1)
		used = append(buffer, size, used, "Count: %u events\n",
			      a->count);
	sparkline(a->history, a->history_count, spark, sizeof(spark));
	if (spark[0] != '\0')
		used = append(buffer, size, used, "Recent: %s\n", spark);
	if (a->detail[0] != '\0')
		append(buffer, size, used, "Detail: %s\n", a->detail);
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

		snprintf(buffer, size, "%s %s on %s",
			 a->kind == ALERT_KIND_RESOLVED	  ? "RESOLVED"
			 : a->kind == ALERT_KIND_FLAPPING ? "FLAPPING"
			 : a->kind == ALERT_KIND_TEST	  ? "TEST"
							  : severity_upper(a->severity),
			 a->rule, m->host);
	} else if (m->alert_count == 0) {
		snprintf(buffer, size, "%u alert%s waiting for the rate limit "
			 "on %s", m->deferred_count,
			 m->deferred_count == 1 ? "" : "s", m->host);
	} else if (resolved == 0) {
		snprintf(buffer, size, "%s: %zu problems on %s",
			 severity_upper(message_severity(m)), firing, m->host);
	} else {
		snprintf(buffer, size, "%zu problems, %zu resolved on %s",
			 firing, resolved, m->host);
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

void message_plain_text(const struct alert_message *m, uint64_t now_usec,
			char *buffer, size_t size)
{
	char line[ALERT_SUMMARY_MAX + 512], facts[2048];
	size_t used = 0;

	buffer[0] = '\0';
	message_title(m, line, sizeof(line));
	used = append(buffer, size, used, "%s\n", line);
	for (size_t i = 0; i < m->alert_count; i++) {
		alert_headline(&m->alerts[i], m->host, line, sizeof(line));
		alert_facts(&m->alerts[i], now_usec, facts, sizeof(facts));
		used = append(buffer, size, used, "\n%s\n%s", line, facts);
	}
	message_deferred_line(m, line, sizeof(line));
	if (line[0] != '\0')
		append(buffer, size, used, "\n%s\n", line);
}

void mask_secrets(char *text, char *const *secrets, size_t count)
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
