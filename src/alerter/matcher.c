/*
 * matcher.c - does an alert pass a channel instance's matchers? Fields are
 * matched whole with fnmatch(3), so "rule=disk_*" takes every disk rule and
 * "severity!=info" leaves info alerts out.
 */
#include "alerter/matcher.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"

#define MATCHER_FIELD_MAX 64

/* Splits "key=glob" / "key!=glob"; false when it is neither. */
static bool split(const char *matcher, char *key, size_t key_size,
		  const char **glob, bool *negated)
{
	const char *equals = strchr(matcher, '=');
	size_t length;

	if (equals == NULL || equals == matcher)
		return false;
	*negated = equals[-1] == '!';
	length = (size_t)(equals - matcher) - (*negated ? 1 : 0);
	if (length == 0 || length >= key_size)
		return false;
	memcpy(key, matcher, length);
	key[length] = '\0';
	*glob = equals + 1;
	return strspn(key,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789_.-") == length;
}

int alert_matcher_check(const char *matcher, char *reason, size_t size)
{
	char key[MATCHER_FIELD_MAX];
	const char *glob;
	bool negated;

	if (split(matcher, key, sizeof(key), &glob, &negated))
		return 0;
	snprintf(reason, size,
		 "\"%s\": expected \"FIELD=GLOB\" or "
		 "\"FIELD!=GLOB\" (FIELD: rule, series, severity or a label "
		 "name)",
		 matcher);
	return -EINVAL;
}

bool alert_matchers_pass(const struct config_string_list *list,
			 const char *rule, const char *series,
			 enum alert_severity severity, const char *labels)
{
	for (size_t i = 0; list != NULL && i < list->count; i++) {
		char key[MATCHER_FIELD_MAX], value[256];
		const char *glob, *field = value;
		bool negated, matched;

		if (!split(list->items[i], key, sizeof(key), &glob, &negated))
			return false;
		if (strcmp(key, "rule") == 0)
			field = rule;
		else if (strcmp(key, "series") == 0)
			field = series;
		else if (strcmp(key, "severity") == 0)
			field = event_severity_name(severity);
		else if (!labels_value(labels, key, value, sizeof(value)))
			value[0] = '\0';
		matched = fnmatch(glob, field, 0) == 0;
		if (matched == negated)
			return false;
	}
	return true;
}
