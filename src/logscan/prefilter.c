/*
 * prefilter.c - literal extraction from PCRE2 patterns and the 4-gram hash
 * scan. The extractor is deliberately conservative: anything it does not
 * understand ends the current literal run (a shorter literal only costs
 * speed), and syntax that changes what characters mean ((?x), \Q) makes the
 * rule run on every line, so a match is never missed.
 */
#include "logscan/prefilter.h"

#include <ctype.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define FOLD 0x20202020u

void prefilter_init(struct prefilter *filter)
{
	memset(filter, 0, sizeof(*filter));
	filter->mask_count = 1; /* masks[0]: the empty slots' (no rule) */
}

/* The rules of a slot (its mask; masks[0], 0, when no gram has it). */
static inline uint64_t slot_rules(const struct prefilter *filter, uint32_t slot)
{
	return filter->masks[filter->mask_of[slot]];
}

/* The mask of gram's slot, taken if the slot had none; NULL when all
 * PREFILTER_MASKS are taken. */
static uint64_t *slot_mask(struct prefilter *filter, uint32_t slot)
{
	if (filter->mask_of[slot] == 0) {
		if (filter->mask_count >= PREFILTER_MASKS)
			return NULL;
		filter->mask_of[slot] = (uint8_t)filter->mask_count++;
	}
	return &filter->masks[filter->mask_of[slot]];
}

static inline uint32_t gram_hash(uint32_t gram)
{
	return prefilter_slot(gram | FOLD);
}

/* used[]'s byte for a gram (folded): 7 bits of another hash than the
 * slot's, 1-128 (0 is "empty", PREFILTER_USED_ANY "grams of several
 * tags"). */
static inline uint8_t folded_tag(uint32_t gram)
{
	return (uint8_t)(((gram * 0x9E3779B1u) >> 25) + 1);
}

static void mark_used(struct prefilter *filter, uint32_t gram)
{
	uint8_t *used = &filter->used[gram_hash(gram)];
	uint8_t tag = folded_tag(gram | FOLD);

	*used = *used == 0 || *used == tag ? tag : PREFILTER_USED_ANY;
}

/* Escapes with an argument: \p{L}, \pL, \x{41}, \x41, \cA, \k<name>,
 * \g{-1}. */
static const char *skip_escape(const char *p)
{
	char kind = p[1];
	const char *q = p + 2;

	if (strchr("pPxkgNoc", kind) != NULL) {
		bool named = kind == 'k' || kind == 'g';
		char close = *q == '{' && kind != 'c' ? '}'
			     : *q == '<' && named     ? '>'
			     : *q == '\'' && named    ? '\''
						      : 0;

		if (close != 0) {
			q = strchr(q + 1, close);
			return q ? q + 1 : NULL;
		}
		if (kind == 'p' || kind == 'P') {
			/* \pL: a one-letter property, not a literal L. */
			if (*q != '\0')
				q++;
		} else if (kind == 'x')
			for (int i = 0; i < 2 && isxdigit((unsigned char)*q);
			     i++)
				q++;
		else if (kind == 'c' && *q != '\0')
			q++;
		else if (kind == 'g')
			while (*q == '-' || isdigit((unsigned char)*q))
				q++;
	} else if (isdigit((unsigned char)kind)) {
		while (isdigit((unsigned char)*q))
			q++;
	}
	return q;
}

/* Past one escape sequence at p (a backslash); NULL when malformed. */
static const char *skip_any_escape(const char *p)
{
	if (p[1] == '\0')
		return NULL;
	if (isalnum((unsigned char)p[1]))
		return skip_escape(p);
	return p + 2;
}

static const char *skip_class(const char *p)
{
	p++; /* '[' */
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	while (*p != '\0' && *p != ']') {
		if (*p == '\\') {
			p = skip_any_escape(p);
			if (p == NULL)
				return NULL;
			continue;
		} else if (*p == '[') {
			/* [:name:] has rules of its own: do not guess. */
			return NULL;
		}
		p++;
	}
	return *p == ']' ? p + 1 : NULL;
}

static const char *skip_group(const char *p)
{
	int depth = 0;

	while (*p != '\0') {
		if (*p == '\\') {
			p = skip_any_escape(p);
			if (p == NULL)
				return NULL;
			continue;
		}
		if (*p == '[') {
			p = skip_class(p);
			if (p == NULL)
				return NULL;
			continue;
		}
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

struct run {
	char text[PREFILTER_LITERAL_MAX];
	size_t length;
	char best[PREFILTER_LITERAL_MAX];
	size_t best_length;
};

static void run_end(struct run *run)
{
	if (run->length > run->best_length) {
		memcpy(run->best, run->text, run->length);
		run->best_length = run->length;
	}
	run->length = 0;
}

static void run_add(struct run *run, char c)
{
	if (run->length + 1 >= PREFILTER_LITERAL_MAX)
		run_end(run);
	run->text[run->length++] = c;
}

/* The longest mandatory literal of one alternative [p, end); false: bail. */
static bool branch_literal(const char *p, const char *end, struct run *run)
{
	while (p < end) {
		char c = *p;

		switch (c) {
		case '\\':
			if (p[1] == '\0' || p[1] == 'Q')
				return false;
			if (isalnum((unsigned char)p[1])) {
				run_end(run);
				p = skip_escape(p);
				if (p == NULL)
					return false;
				continue;
			}
			run_add(run, p[1]);
			p += 2;
			continue;
		case '(':
			run_end(run);
			p = skip_group(p);
			if (p == NULL)
				return false;
			continue;
		case '[':
			run_end(run);
			p = skip_class(p);
			if (p == NULL)
				return false;
			continue;
		case '*':
		case '?':
			if (run->length > 0)
				run->length--;
			run_end(run);
			break;
		case '{':
			if (isdigit((unsigned char)p[1]) || p[1] == ',') {
				const char *close = strchr(p, '}');

				if (run->length > 0)
					run->length--;
				run_end(run);
				if (close == NULL)
					return false;
				p = close + 1;
				continue;
			}
			run_add(run, c);
			break;
		case '+':
		case '.':
		case '^':
		case '$':
			run_end(run);
			break;
		case ')':
			return false;
		default:
			run_add(run, c);
			break;
		}
		p++;
	}
	run_end(run);
	return true;
}

static bool changes_meaning(const char *pattern)
{
	/* (?x) ignores spaces; (?n) and friends are fine, but be strict. */
	for (const char *p = strstr(pattern, "(?"); p != NULL;
	     p = strstr(p + 2, "(?")) {
		const char *q = p + 2;

		while (*q == '^' || *q == '-' || isalpha((unsigned char)*q)) {
			if (*q == 'x')
				return true;
			q++;
		}
	}
	/* Verbs such as (*ACCEPT) can end a match before a literal. */
	return strstr(pattern, "(*") != NULL;
}

size_t pattern_literals(const char *pattern,
			char literals[][PREFILTER_LITERAL_MAX], size_t max)
{
	const char *p = pattern, *start = pattern;
	size_t count = 0;

	if (changes_meaning(pattern))
		return 0;
	for (;;) {
		if (*p == '|' || *p == '\0') {
			struct run run = {.length = 0};

			if (count >= max || !branch_literal(start, p, &run) ||
			    run.best_length < 4)
				return 0;
			memcpy(literals[count], run.best, run.best_length);
			literals[count][run.best_length] = '\0';
			count++;
			if (*p == '\0')
				return count;
			start = ++p;
			continue;
		}
		if (*p == '\\') {
			p = skip_any_escape(p);
		} else if (*p == '(') {
			p = skip_group(p);
		} else if (*p == '[') {
			p = skip_class(p);
		} else {
			p++;
		}
		if (p == NULL)
			return 0;
	}
}

/* Lower-case letters and spaces are everywhere in logs; prefer the rest. */
static int rarity(unsigned char c)
{
	if (c == ' ')
		return 0;
	if (islower(c))
		return 1;
	if (isdigit(c))
		return 2;
	if (isupper(c))
		return 3;
	return 4;
}

bool prefilter_add(struct prefilter *filter, unsigned index,
		   const char *pattern, struct prefilter_grams *grams)
{
	char literals[PREFILTER_MAX_LITERALS][PREFILTER_LITERAL_MAX];
	size_t count =
	    pattern_literals(pattern, literals, PREFILTER_MAX_LITERALS);
	uint64_t bit = 1ull << (index % PREFILTER_RULE_BITS), *mask;

	if (grams != NULL)
		grams->count = 0;
	if (count == 0) {
		filter->always |= bit;
		return false;
	}
	for (size_t i = 0; i < count; i++) {
		size_t length = strlen(literals[i]), best = 0;
		int best_score = -1;
		uint32_t gram;

		for (size_t at = 0; at + 4 <= length; at++) {
			int score = 0;

			for (size_t k = 0; k < 4; k++)
				score +=
				    rarity((unsigned char)literals[i][at + k]);
			if (score > best_score) {
				best_score = score;
				best = at;
			}
		}
		memcpy(&gram, literals[i] + best, 4);
		mask = slot_mask(filter, gram_hash(gram));
		if (mask == NULL) {
			/* Scanned on every line, as a rule without literal. */
			filter->always |= bit;
			if (grams != NULL)
				grams->count = 0;
			return false;
		}
		*mask |= bit;
		mark_used(filter, gram);
		if (grams != NULL)
			grams->gram[grams->count++] = gram | FOLD;
	}
	return true;
}

void prefilter_add_word_gram(struct prefilter *filter, const char *gram)
{
	uint32_t value;

	uint64_t *mask;

	memcpy(&value, gram, 4);
	mask = slot_mask(filter, gram_hash(value));
	if (mask == NULL) {
		filter->always |= PREFILTER_WORD_BIT; /* may hold one, always */
		return;
	}
	*mask |= PREFILTER_WORD_BIT;
	mark_used(filter, value);
}

/* The table index of a gram already folded (FOLD or-ed in). */
static inline uint32_t folded_hash(uint32_t gram)
{
	return prefilter_slot(gram);
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Eight bytes at p, folded once, and the slots of the five whole 4-grams
 * they hold (little-endian: gram k is window >> 8k). */
static inline uint64_t load_window(const char *p, uint32_t *h0, uint32_t *h1,
				   uint32_t *h2, uint32_t *h3, uint32_t *h4)
{
	uint64_t window;

	memcpy(&window, p, 8);
	window |= (uint64_t)FOLD << 32 | FOLD;
	*h0 = folded_hash((uint32_t)window);
	*h1 = folded_hash((uint32_t)(window >> 8));
	*h2 = folded_hash((uint32_t)(window >> 16));
	*h3 = folded_hash((uint32_t)(window >> 24));
	*h4 = folded_hash((uint32_t)(window >> 32));
	return window;
}
#endif

/*
 * A gram's (folded) rules when its slot is in use and its tag is the
 * slot's: a gram that only shares the slot with a rule's (the table's 4096
 * slots collide; 15 % of the follow bench's lines did) is left out 127
 * times in 128, so prefilter_confirm() and the rule's checks run far less.
 */
static inline uint64_t tagged(const struct prefilter *filter,
			      const uint8_t *used, uint32_t slot, uint32_t gram)
{
	uint8_t u = used[slot];

	return u != 0 && (u == PREFILTER_USED_ANY || u == folded_tag(gram))
		   ? slot_rules(filter, slot)
		   : 0;
}

#ifdef __SSE2__
/* The slot of gram k (0-15) of a block: even grams in the low vector's
 * lanes, odd ones in the high one's. */
#define SLOT(k)                                                                \
	((uint32_t)((k) % 2 == 0 ? _mm_extract_epi16(even, ((k) / 2) & 7)      \
				 : _mm_extract_epi16(odd, ((k) / 2) & 7)))

/*
 * The candidates of the sixteen 4-grams at text[0..15] (19 bytes read):
 * SSE2's 16-bit multiply (pmullw) hashes eight positions at once, the even
 * ones from the loads at 0 and 2, the odd ones from those at 1 and 3 (a
 * 16-bit lane of the load at k + 2 is the high half of the gram at k).
 * ~60 instructions for 16 grams with the used[] reads (no array: an
 * array would cost the stack protector's check a call), against ~115 for
 * a 32-bit multiply a gram (five grams an 8-byte load).
 */
static inline __attribute__((always_inline)) uint64_t
block_candidates(const struct prefilter *filter, const uint8_t *used,
		 const char *text)
{
	const __m128i fold = _mm_set1_epi8(0x20);
	const __m128i lo = _mm_set1_epi16((short)PREFILTER_HASH_LO);
	const __m128i hi = _mm_set1_epi16((short)PREFILTER_HASH_HI);
	__m128i a0, a1, a2, a3, even, odd;
	uint64_t found = 0;

	a0 = _mm_or_si128(_mm_loadu_si128((const __m128i *)text), fold);
	a1 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(text + 1)), fold);
	a2 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(text + 2)), fold);
	a3 = _mm_or_si128(_mm_loadu_si128((const __m128i *)(text + 3)), fold);
	even = _mm_srli_epi16(
	    _mm_add_epi16(_mm_mullo_epi16(a0, lo), _mm_mullo_epi16(a2, hi)),
	    16 - PREFILTER_TABLE_BITS);
	odd = _mm_srli_epi16(
	    _mm_add_epi16(_mm_mullo_epi16(a1, lo), _mm_mullo_epi16(a3, hi)),
	    16 - PREFILTER_TABLE_BITS);
	if (!(used[SLOT(0)] | used[SLOT(1)] | used[SLOT(2)] | used[SLOT(3)] |
	      used[SLOT(4)] | used[SLOT(5)] | used[SLOT(6)] | used[SLOT(7)] |
	      used[SLOT(8)] | used[SLOT(9)] | used[SLOT(10)] | used[SLOT(11)] |
	      used[SLOT(12)] | used[SLOT(13)] | used[SLOT(14)] |
	      used[SLOT(15)]))
		return 0;
	/* A slot in use (rare): the tags, gram by gram. */
	for (size_t k = 0; k < 16; k++) {
		uint32_t gram;

		memcpy(&gram, text + k, 4);
		gram |= FOLD;
		found |= tagged(filter, used, folded_hash(gram), gram);
	}
	return found;
}
#undef SLOT
#endif

uint64_t prefilter_candidates(const struct prefilter *filter, const char *text,
			      size_t length)
{
	uint64_t found = filter->always;
	const uint8_t *used = filter->used;
	size_t i = 0;

	if (length < 4)
		return found;
#ifdef __SSE2__
	/* Sixteen positions a step. used[] first: most steps hit no slot in
	 * use and never read masks[] (see struct prefilter). */
	for (; i + 19 <= length; i += 16)
		found |= block_candidates(filter, used, text + i);
	/* More than a few grams left (a byte loop's ~10 each): one more
	 * block, ending at the line's end, overlapping the last (a gram seen
	 * twice is harmless). */
	if (i > 0 && length - 3 - i > 2) {
		found |= block_candidates(filter, used, text + length - 19);
		return found;
	}
#elif __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* One 8-byte load, folded once, gives five whole 4-grams. */
	for (; i + 8 <= length; i += 5) {
		uint32_t h0, h1, h2, h3, h4;
		uint64_t window =
		    load_window(text + i, &h0, &h1, &h2, &h3, &h4);

		if (used[h0] | used[h1] | used[h2] | used[h3] | used[h4])
			for (int k = 0; k < 5; k++) {
				uint32_t gram = (uint32_t)(window >> (8 * k));

				found |= tagged(filter, used, folded_hash(gram),
						gram);
			}
	}
#endif
	for (; i + 4 <= length; i++) {
		uint32_t gram;

		memcpy(&gram, text + i, 4);
		gram |= FOLD;
		found |= tagged(filter, used, folded_hash(gram), gram);
	}
	return found;
}

/* Whether gram (folded) is one of the rule's, once the table says it may be:
 * every gram of a rule has the rule's bit there (prefilter_add). */
static inline bool gram_is(const struct prefilter *filter, uint64_t bit,
			   const struct prefilter_grams *grams, uint32_t gram)
{
	if (!(slot_rules(filter, folded_hash(gram)) & bit))
		return false;
	for (size_t k = 0; k < grams->count; k++)
		if (grams->gram[k] == gram)
			return true;
	return false;
}

/*
 * The line is hashed into the slots prefilter_candidates() uses, five grams
 * an 8-byte load (folded once; it runs only for a candidate rule, rarely
 * since used[]'s tags), and a load's five slots' rules are tested together:
 * only a load whose grams may hold the rule's is compared gram by gram.
 * ~270 instructions on the follow bench's line, ~610 with a hash, test and
 * branch at every position.
 */
bool prefilter_confirm(const struct prefilter *filter, unsigned index,
		       const struct prefilter_grams *grams, const char *text,
		       size_t length)
{
	const uint8_t *used = filter->used;
	uint64_t bit = 1ull << (index % PREFILTER_RULE_BITS);
	size_t i = 0;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; i + 8 <= length; i += 5) {
		uint32_t h0, h1, h2, h3, h4;
		uint64_t window =
		    load_window(text + i, &h0, &h1, &h2, &h3, &h4);

		if (!(used[h0] | used[h1] | used[h2] | used[h3] | used[h4]) ||
		    !((slot_rules(filter, h0) | slot_rules(filter, h1) |
		       slot_rules(filter, h2) | slot_rules(filter, h3) |
		       slot_rules(filter, h4)) &
		      bit))
			continue;
		for (int k = 0; k < 5; k++)
			if (gram_is(filter, bit, grams,
				    (uint32_t)(window >> (8 * k))))
				return true;
	}
#endif
	for (; i + 4 <= length; i++) {
		uint32_t gram;

		memcpy(&gram, text + i, 4);
		if (gram_is(filter, bit, grams, gram | FOLD))
			return true;
	}
	return false;
}
