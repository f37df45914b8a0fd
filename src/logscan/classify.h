/*
 * classify.h - the severity of a log line that no rule claims: from its
 * priority when the line carries one (syslog <PRI>, journal PRIORITY, kmsg
 * level), else from level words (ERROR, FATAL, Traceback, ...). One forward
 * scan, no allocation, no regex: it runs on every unclaimed line.
 */
#ifndef SYSOPS_LOGSCAN_CLASSIFY_H
#define SYSOPS_LOGSCAN_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

enum logscan_class {
	LOGSCAN_CLASS_NONE = 0, /* info, debug, or nothing recognised */
	LOGSCAN_CLASS_WARNING,
	LOGSCAN_CLASS_ERROR,
	LOGSCAN_CLASS_CRITICAL,
};
#define LOGSCAN_CLASS_COUNT 4

/*
 * level: the syslog level (0 emerg .. 7 debug) plus one, or 0 when the line
 * gave none; a level decides alone (0-2 critical, 3 error, 4 warning, 5-7
 * none). Without one, the most severe level word of text decides.
 */
enum logscan_class logscan_classify(const char *text, size_t length,
				    unsigned level);

/* The words alone (what logscan_classify does without a level). */
enum logscan_class logscan_classify_words(const char *text, size_t length);

/*
 * Every level word of four letters or more, and every class name the words
 * count (TypeError, IOException), holds one of these 4-grams, ASCII case
 * folded (| 0x20): the rule engine's prefilter looks for them in the same
 * pass as the rules' literals (rule_engine_level_gram). "err" is too short:
 * logscan_classify_screened looks for its "rr" itself.
 */
#define LOGSCAN_LEVEL_GRAMS 9
extern const char logscan_level_grams[LOGSCAN_LEVEL_GRAMS][5];

/*
 * logscan_classify when the caller already knows whether text holds one of
 * logscan_level_grams (level_gram false: it does not): a line with neither
 * a level, nor such a gram, nor "rr" is classified without walking its
 * words. The result is logscan_classify's.
 */
enum logscan_class logscan_classify_screened(const char *text, size_t length,
					     unsigned level, bool level_gram);

/* "warning", "error", "critical"; "none" for LOGSCAN_CLASS_NONE. */
const char *logscan_class_name(enum logscan_class class);

#endif
