/*
 * oom.h - the one alert an OOM kill gives (private to src/logscan): the
 * kernel's "Killed process" line names the victim, the "oom-kill:" line just
 * before it names its cgroup, whose memory.max is read from sys_root.
 */
#ifndef SYSOPS_LOGSCAN_OOM_H
#define SYSOPS_LOGSCAN_OOM_H

#include <stdbool.h>
#include <stddef.h>

#include "logscan/rules.h"

/* The rules whose alert stands for an OOM kill. */
bool oom_rule(const char *rule);

/*
 * Victim, cgroup and the cgroup's limit, then the event's context lines,
 * into out (NUL-terminated, whole lines); returns the length.
 */
size_t oom_detail(const char *sys_root, const struct rule_event *event,
		  char *out, size_t size);

#endif
