/*
 * matcher.h - label matchers of a channel instance: "FIELD=GLOB" or
 * "FIELD!=GLOB", FIELD being rule, series, severity or a label name (a
 * label the alert lacks reads as ""), GLOB a fnmatch(3) pattern. An alert
 * passes a list when it passes every matcher.
 */
#ifndef SYSOPS_ALERTER_MATCHER_H
#define SYSOPS_ALERTER_MATCHER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/event.h"

struct config_string_list;

/* 0, or -EINVAL with a reason for the configuration error. */
int alert_matcher_check(const char *matcher, char *reason, size_t size);

/* Whether the alert passes every matcher of list (an empty list: yes). */
bool alert_matchers_pass(const struct config_string_list *list,
			 const char *rule, const char *series,
			 enum alert_severity severity, const char *labels);

#endif
