/*
 * backlog.h - what a log source finds already logged at the scanner's first
 * start (the kernel ring of a host up for weeks, an old journal): matches
 * counted per rule and group instead of alerted one by one, then said once
 * as one summary ("since boot: 3 I/O errors on sda, 1 OOM kill").
 */
#ifndef SYSOPS_LOGSCAN_BACKLOG_H
#define SYSOPS_LOGSCAN_BACKLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "logscan/rules.h"

#define BACKLOG_GROUPS_PER_RULE 8 /* more groups are counted together */
#define BACKLOG_SUMMARY_BYTES	256
#define BACKLOG_DETAIL_BYTES	4096

struct backlog;

/* Records logged before before_sec are backlog. NULL when out of memory. */
struct backlog *backlog_new(int64_t before_sec);
void backlog_free(struct backlog *backlog);

/*
 * True when the record was logged before the first start: the caller then
 * runs it through rule_engine_tally() with backlog_count instead of
 * alerting. Counts the records it takes.
 */
bool backlog_takes(struct backlog *backlog, const struct log_record *record);

/* A rule_event_sink for rule_engine_tally(): counts one match. */
void backlog_count(const struct rule_event *event, void *backlog);

/* Records taken and matches counted so far. */
uint64_t backlog_records(const struct backlog *backlog);
uint64_t backlog_matches(const struct backlog *backlog);

/*
 * The summary: prefix, then "<count> <noun> on <group>" entries, the most
 * severe first, then the most frequent, cut to summary_size with "and N
 * more"; matches of a rule with a threshold count only where a group
 * reached it. The detail: heading, then one line per rule (severity, name,
 * count, its groups, the last message). Returns the matches the summary
 * speaks of; 0 means there is nothing worth an alert.
 */
uint64_t backlog_render(const struct backlog *backlog, const char *prefix,
			const char *heading, char *summary, size_t summary_size,
			char *detail, size_t detail_size);

#endif
