/*
 * silence.c - does a [[alerting.silence]] window cover an alert now?
 *
 * Windows are daily local-time ranges, optionally limited to weekdays; one
 * that ends before it starts crosses midnight, and its early-morning part
 * belongs to the weekday it started on.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "alerter/pipeline.h"

static const char *const weekday_names[] = { "sun", "mon", "tue", "wed",
					     "thu", "fri", "sat" };

static int minutes_of(const char *clock, int fallback)
{
	unsigned hours, minutes;

	if (clock == NULL || sscanf(clock, "%2u:%2u", &hours, &minutes) != 2)
		return fallback;
	return (int)(hours * 60 + minutes);
}

static bool weekday_listed(const struct config_string_list *days, int wday)
{
	if (days->count == 0)
		return true;
	for (size_t i = 0; i < days->count; i++)
		if (strcmp(days->items[i], weekday_names[(wday + 7) % 7]) == 0)
			return true;
	return false;
}

/* "mount=/" matches the element "mount=/" of "device=sda,mount=/" only. */
static bool labels_contain(const char *labels, const char *pair)
{
	size_t length = strlen(pair);

	for (const char *at = labels; (at = strstr(at, pair)) != NULL; at++)
		if ((at == labels || at[-1] == ',') &&
		    (at[length] == '\0' || at[length] == ','))
			return true;
	return false;
}

bool silence_matches(const struct alerting_silence_config *silence,
		     const char *rule, enum alert_severity severity,
		     const char *labels, uint64_t now_usec)
{
	time_t now = (time_t)(now_usec / 1000000);
	int start, end, minute;
	struct tm local;

	if (silence->rule != NULL && strcmp(silence->rule, rule) != 0)
		return false;
	if (silence->severities.count > 0) {
		bool listed = false;

		for (size_t i = 0; i < silence->severities.count; i++)
			listed |= strcmp(silence->severities.items[i],
					 event_severity_name(severity)) == 0;
		if (!listed)
			return false;
	}
	if (silence->label != NULL && !labels_contain(labels, silence->label))
		return false;
	if (localtime_r(&now, &local) == NULL)
		return false;
	minute = local.tm_hour * 60 + local.tm_min;
	start = minutes_of(silence->start, 0);
	end = minutes_of(silence->end, 24 * 60);
	if (start == end)
		return weekday_listed(&silence->weekdays, local.tm_wday);
	if (start < end)
		return minute >= start && minute < end &&
		       weekday_listed(&silence->weekdays, local.tm_wday);
	if (minute >= start)
		return weekday_listed(&silence->weekdays, local.tm_wday);
	return minute < end &&
	       weekday_listed(&silence->weekdays, local.tm_wday - 1);
}
