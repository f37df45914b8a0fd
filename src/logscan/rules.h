/*
 * rules.h - the rule engine: PCRE2 patterns (JIT-compiled when hot) behind
 * a literal prefilter, optional exclude patterns, aggregation per named
 * capture in a fixed table with eviction, message templates, and masking of
 * whatever leaves. Sources hand it records; it calls a sink for every event.
 */
#ifndef SYSOPS_LOGSCAN_RULES_H
#define SYSOPS_LOGSCAN_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "logscan/logscan.h"

struct masker;

enum logscan_source {
	LOGSCAN_SOURCE_KMSG = 1,
	LOGSCAN_SOURCE_JOURNAL = 2,
	LOGSCAN_SOURCE_FILE = 4,
};
#define LOGSCAN_SOURCE_ALL 7u

struct rule_definition {
	const char *name;
	const char *pattern;
	const char *exclude;     /* NULL: none */
	const char *message;     /* template; NULL: the line */
	const char *group_by;    /* capture name; NULL: one group */
	enum alert_severity severity;
	unsigned sources;        /* LOGSCAN_SOURCE_* bits; 0: all */
	uint32_t threshold;      /* events in window_secs; 0 or 1: each */
	uint32_t window_secs;    /* quiet period after an alert; 0: none */
	/* Only the kernel writes this message: a record that user space put
	 * into the kernel log (kmsg facility other than 0) never matches. */
	bool kernel;
	const char *description;
	/* What one match is, for counts ("I/O error"; "singular|plural" when
	 * adding an s is wrong); NULL: the rule name. */
	const char *noun;
	/* Rules of one family report one problem in different words (the
	 * kernel's segfault line and systemd-coredump's line for the same
	 * crash): while one of them is quiet after an alert for a group, a
	 * match of another for the same group value raises nothing (it is
	 * counted in stats.covered). Only rules that aggregate take part.
	 * Built-in rules only; NULL: none. */
	const char *family;
};

/* The built-in pack (rule_pack.c). */
extern const struct rule_definition rule_pack[];
extern const size_t rule_pack_count;

/*
 * The rules in force: the pack without disable_rules, then each user rule
 * (replacing a built-in one of the same name). Strings point into config and
 * the pack. Returns the count, or -EINVAL (reason in error) when a name in
 * disable_rules is unknown or there are more than LOGSCAN_MAX_RULES.
 */
int rule_set_from_config(const struct logscan_config *config,
			 struct rule_definition *out, size_t max,
			 char *error, size_t error_size);

struct log_record {
	enum logscan_source source;
	const char *origin;      /* "kmsg", "journal" or a path */
	/* Not the kernel's own: written by user space into the kernel log
	 * ("kmsg:user"), or a journal entry not read from kmsg at facility
	 * 0. Rules with .kernel set skip it, so a forged "<3>BUG: ..." or
	 * `logger -t kernel "BUG: ..."` raises nothing. */
	bool user_space;
	uint64_t line_number;    /* line in a file, kmsg sequence, ... */
	const char *text;        /* what rules match: "tag[pid]: message" */
	size_t length;
	int64_t time_sec;        /* when it was logged (epoch seconds) */
	/* The syslog level the record states, plus one; 0: none stated, or
	 * only a default (the journal's info for a service's stdout). */
	uint8_t level;
	/* Files: the index in [logscan] files of the glob that named it. */
	uint8_t pattern;
	/* rule_engine_origin_hash(origin), kept by a source that hands the
	 * same origin line after line (a followed file's path); 0: the
	 * engine hashes origin itself. */
	uint64_t origin_hash;
};

struct rule_event {
	const char *rule;
	enum alert_severity severity;
	const char *group_by;    /* capture name, or "" */
	const char *group;       /* its value, or "" */
	const char *message;     /* rendered and masked */
	const char *line;        /* masked */
	/* Masked, at most ALERT_EVENT_DETAIL_MAX - 1 bytes: up to
	 * RULE_CONTEXT_LINES lines that came just before from the same origin,
	 * each "  " + line, then "> " + the matching line; '\n' between. */
	const char *context;
	uint32_t count;          /* events this alert stands for */
	uint32_t window_secs;
	uint32_t threshold;      /* matches in window_secs before an alert */
	const char *noun;        /* see rule_definition; NULL: none */
	const struct log_record *record;
};

#define RULE_CONTEXT_LINES 3

typedef void (*rule_event_sink)(const struct rule_event *event, void *data);

struct rule_engine_stats {
	uint64_t lines;
	uint64_t candidates;     /* PCRE2 runs the prefilter let through */
	uint64_t matches;
	uint64_t events;
	uint64_t groups_evicted;
	uint64_t covered;        /* matches another rule of the family told */
	uint64_t jit_rules; /* rules JIT-compiled (their pattern ran often) */
};

struct rule_engine;

/*
 * Compiles the rules (strings are copied). masker is borrowed and must
 * outlive the engine. Returns 0 or -errno with a reason in error.
 */
int rule_engine_new(const struct rule_definition *rules, size_t count,
		    size_t max_groups, size_t max_line_bytes,
		    struct masker *masker, struct rule_engine **out,
		    char *error, size_t error_size);
void rule_engine_free(struct rule_engine *engine);

/* Runs every rule on one record; returns the number of events emitted. */
/* What tells one origin's recent lines from another's (never 0). */
uint64_t rule_engine_origin_hash(const char *origin);

unsigned rule_engine_scan(struct rule_engine *engine,
			  const struct log_record *record, rule_event_sink sink,
			  void *data);

/*
 * rule_engine_scan() for a source whose lines no rule claims are counted
 * (the surge counter): RULE_SCAN_MATCHED when a rule matched the line
 * (alerted, aggregated or covered: the line is that rule's),
 * RULE_SCAN_LEVEL_GRAM as rule_engine_level_gram() would then say. One
 * call a line instead of four.
 */
#define RULE_SCAN_MATCHED    1u
#define RULE_SCAN_LEVEL_GRAM 2u
unsigned rule_engine_scan_outcome(struct rule_engine *engine,
				  const struct log_record *record,
				  rule_event_sink sink, void *data);

/*
 * The same, but for counting rather than alerting (records summarised at
 * first start): every match reaches the sink once with count 1, and the
 * aggregation state (windows, quiet periods) is neither consulted nor
 * changed, so the first new event after the count alerts as usual.
 */
unsigned rule_engine_tally(struct rule_engine *engine,
			   const struct log_record *record,
			   rule_event_sink sink, void *data);

void rule_engine_get_stats(const struct rule_engine *engine,
			   struct rule_engine_stats *stats);

/*
 * Whether the last line scanned held a 4-gram of classify.c's level words
 * (logscan_level_grams): the prefilter's pass tells it for free, and a
 * line without one needs no word-by-word classification.
 */
bool rule_engine_level_gram(const struct rule_engine *engine);
/* stats.matches alone: per line, without copying the whole stats. */
uint64_t rule_engine_matches(const struct rule_engine *engine);

size_t rule_engine_count(const struct rule_engine *engine);
const struct rule_definition *rule_engine_rule(const struct rule_engine *engine,
					       size_t index);
bool rule_engine_rule_prefiltered(const struct rule_engine *engine,
				  size_t index);

#endif
