/*
 * prefilter.h - decides cheaply which rules could match a line. Each rule
 * contributes the literal strings every match must contain (one per top-level
 * alternative); a line is hashed four bytes at a time, case-folded, and only
 * rules whose literal's 4-gram appears are handed to PCRE2. Most lines touch
 * no rule at all, which is what makes a million lines a second possible.
 * Rule i owns bit i % 63 of a candidate mask: past 63 rules a bit stands for
 * every rule of that residue (still a superset), so the table stays one word
 * a slot (32 KiB) and a line costs the same however many rules there are.
 * Bit 63 marks the 4-grams of one more word set (classify.c's level words),
 * so the same pass tells whether a line can hold one of them.
 */
#ifndef SYSOPS_LOGSCAN_PREFILTER_H
#define SYSOPS_LOGSCAN_PREFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PREFILTER_TABLE_BITS   12
#define PREFILTER_MAX_LITERALS 12 /* top-level alternatives of one pattern */
#define PREFILTER_LITERAL_MAX  64
#define PREFILTER_RULE_BITS    63
#define PREFILTER_WORD_BIT     (1ull << 63)

/*
 * used[] says which slots of table[] are not 0 (a few dozen of 4096): a
 * line's pass reads those 4 KiB (64 cache lines) and reads table[] only
 * where a load's five grams hit one, instead of spreading ~90 reads over
 * the whole 32 KiB. A followed file is read about once a second, by which
 * time the caches have been used by everything else: touching 64 lines a
 * wake-up instead of most of 512 is what matters there, not instructions.
 * A slot's byte is a 7-bit tag of its gram (more bits of the same hash),
 * PREFILTER_USED_ANY when grams of different tags share it: a line's gram
 * reads table[] only when the tag agrees, so a mere slot collision rarely
 * makes a rule a candidate.
 */
#define PREFILTER_USED_ANY 0xffu
/*
 * A slot's rules are masks[mask_of[slot]]: the few dozen masks in use
 * packed from the start of masks[] (one page), where a 32 KiB table by
 * slot had a few dozen words written across all eight of its pages, each
 * then resident for the daemon's life. mask_of[] is read only where used[]
 * agrees, so the lookup's extra load is paid on candidates alone. A grams'
 * PREFILTER_MASKS-th distinct slot (more than rule packs have) makes its
 * rule one scanned on every line, as a rule without literal.
 */
#define PREFILTER_MASKS 256 /* masks[0] is no rule: the empty slots' */
struct prefilter {
	uint8_t used[1u << PREFILTER_TABLE_BITS];    /* tag; 0: slot empty */
	uint8_t mask_of[1u << PREFILTER_TABLE_BITS]; /* slot -> masks[] */
	uint64_t masks[PREFILTER_MASKS];	     /* rules of a slot */
	size_t mask_count;			     /* masks[] taken */
	uint64_t always;			     /* rules without literal */
};

/*
 * The table slot of a 4-gram (case-folded, read little-endian where it is):
 * its two 16-bit halves times two odd factors, summed, the sum's top 12 of
 * 16 bits. 16-bit products are what SSE2 multiplies eight at a time, so
 * the scan hashes sixteen positions in a few instructions.
 */
#define PREFILTER_HASH_LO 0x9E37u
#define PREFILTER_HASH_HI 0x79B1u
static inline uint32_t prefilter_slot(uint32_t gram)
{
	return (uint16_t)((gram & 0xffffu) * PREFILTER_HASH_LO +
			  (gram >> 16) * PREFILTER_HASH_HI) >>
	       (16 - PREFILTER_TABLE_BITS);
}

/* The 4-gram (case-folded) chosen from each literal of a rule. */
struct prefilter_grams {
	uint32_t gram[PREFILTER_MAX_LITERALS];
	size_t count;
};

void prefilter_init(struct prefilter *filter);

/*
 * Registers rule `index` (bit index % 63). Returns true when the pattern
 * yielded a literal for every alternative, its chosen 4-grams in *grams
 * (when not NULL); otherwise the rule's bit is set for every line.
 */
bool prefilter_add(struct prefilter *filter, unsigned index,
		   const char *pattern, struct prefilter_grams *grams);

/* Sets PREFILTER_WORD_BIT for a 4-byte string (folded like the rest). */
void prefilter_add_word_gram(struct prefilter *filter, const char *gram);

/* Bits of the rules that may match text (a superset of those that do):
 * bit b < 63 stands for rules b, b + 63, ...; PREFILTER_WORD_BIT: a word
 * gram may be in text. */
uint64_t prefilter_candidates(const struct prefilter *filter, const char *text,
			      size_t length);

/*
 * Whether text holds one of a rule's grams exactly, not only a 4-gram of the
 * same hash: the table's 4096 slots collide, and a collision would run
 * PCRE2 (a few thousand instructions) on a line that cannot match. Looks
 * only where the table has the rule's bit.
 */
bool prefilter_confirm(const struct prefilter *filter, unsigned index,
		       const struct prefilter_grams *grams, const char *text,
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
