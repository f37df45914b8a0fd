/*
 * prefilter.h - decides cheaply which rules could match a line. Each rule
 * contributes the literal strings every match must contain (one per top-level
 * alternative); a line is hashed four bytes at a time, case-folded, and only
 * rules whose literal's 4-gram appears are handed to PCRE2. Most lines touch
 * no rule at all, which is what makes a million lines a second possible.
 * Rule i owns bit i % 64 of a candidate mask: past 64 rules a bit stands for
 * every rule of that residue (still a superset), so the table stays one word
 * a slot (32 KiB) and a line costs the same however many rules there are.
 */
#ifndef SYSOPS_LOGSCAN_PREFILTER_H
#define SYSOPS_LOGSCAN_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PREFILTER_TABLE_BITS 12
#define PREFILTER_MAX_LITERALS 12 /* top-level alternatives of one pattern */
#define PREFILTER_LITERAL_MAX 64

struct prefilter {
	uint64_t table[1u << PREFILTER_TABLE_BITS]; /* 4-gram hash -> rules */
	uint64_t always;                            /* rules without literal */
};

void prefilter_init(struct prefilter *filter);

/*
 * Registers rule `index` (bit index % 64). Returns true when the pattern
 * yielded a literal for every alternative; otherwise the rule's bit is set
 * for every line.
 */
bool prefilter_add(struct prefilter *filter, unsigned index,
		   const char *pattern);

/* Bits of the rules that may match text (a superset of those that do):
 * bit b stands for rules b, b + 64, ... */
uint64_t prefilter_candidates(const struct prefilter *filter, const char *text,
			      size_t length);

/*
 * The literals every match of pattern contains, one per top-level
 * alternative, each at least 4 bytes; returns how many, or 0 when some
 * alternative has none (or the pattern uses syntax this reader does not
 * follow, such as (?x) or \Q).
 */
size_t pattern_literals(const char *pattern,
			char literals[][PREFILTER_LITERAL_MAX], size_t max);

#endif
