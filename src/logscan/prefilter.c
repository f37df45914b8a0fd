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

#define FOLD 0x20202020u

void prefilter_init(struct prefilter *filter)
{
	memset(filter, 0, sizeof(*filter));
	filter->mask_count = 1; /* masks[0]: the slots in use by no gram */
}

/* The mask of gram's slot, taken if the slot had none; NULL when all
 * PREFILTER_MASKS are taken (more distinct grams than rules ever have). */
static uint64_t *slot_mask(struct prefilter *filter, uint32_t hash)
{
	if (filter->used[hash] == 0) {
		if (filter->mask_count >= PREFILTER_MASKS)
			return NULL;
		filter->used[hash] = (uint8_t)filter->mask_count++;
	}
	return &filter->masks[filter->used[hash]];
}

static inline uint32_t gram_hash(uint32_t gram)
{
	return ((gram | FOLD) * 0x9E3779B1u) >> (32 - PREFILTER_TABLE_BITS);
}

/* Escapes with an argument: \p{L}, \pL, \x{41}, \x41, \cA, \k<name>,
 * \g{-1}. */
static const char *skip_escape(const char *p)
{
	char kind = p[1];
	const char *q = p + 2;

	if (strchr("pPxkgNoc", kind) != NULL) {
		bool named = kind == 'k' || kind == 'g';
		char close = *q == '{' && kind != 'c'      ? '}'
			     : *q == '<' && named         ? '>'
			     : *q == '\'' && named        ? '\''
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
			for (int i = 0; i < 2 && isxdigit((unsigned char)*q); i++)
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
			struct run run = { .length = 0 };

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
	size_t count = pattern_literals(pattern, literals,
					PREFILTER_MAX_LITERALS);
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
				score += rarity((unsigned char)literals[i][at + k]);
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
	if (mask != NULL)
		*mask |= PREFILTER_WORD_BIT;
	else
		filter->always |= PREFILTER_WORD_BIT; /* may hold one, always */
}

/* The table index of a gram already folded (FOLD or-ed in). */
static inline uint32_t folded_hash(uint32_t gram)
{
	return (gram * 0x9E3779B1u) >> (32 - PREFILTER_TABLE_BITS);
}

uint64_t prefilter_candidates(const struct prefilter *filter, const char *text,
			      size_t length)
{
	uint64_t found = filter->always;
	const uint64_t *masks = filter->masks;
	const uint8_t *used = filter->used;
	size_t i = 0;

	if (length < 4)
		return found;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* One 8-byte load, folded once, gives five whole 4-grams (bytes 0-3
	 * to 4-7): the line's grams at a load, a fold and ~4 instructions
	 * each, not 6 with a fold per gram. used[] first: most loads hit no
	 * slot in use and never read table[] (see struct prefilter). */
	for (; i + 8 <= length; i += 5) {
		uint64_t window;
		uint32_t h0, h1, h2, h3, h4;

		memcpy(&window, text + i, 8);
		window |= (uint64_t)FOLD << 32 | FOLD;
		h0 = folded_hash((uint32_t)window);
		h1 = folded_hash((uint32_t)(window >> 8));
		h2 = folded_hash((uint32_t)(window >> 16));
		h3 = folded_hash((uint32_t)(window >> 24));
		h4 = folded_hash((uint32_t)(window >> 32));
		if (used[h0] | used[h1] | used[h2] | used[h3] | used[h4])
			found |= masks[used[h0]] | masks[used[h1]] |
				 masks[used[h2]] | masks[used[h3]] |
				 masks[used[h4]];
	}
#endif
	for (; i + 4 <= length; i++) {
		uint32_t gram, h;

		memcpy(&gram, text + i, 4);
		h = gram_hash(gram);
		if (used[h])
			found |= masks[used[h]];
	}
	return found;
}

/* Whether gram (folded) is one of the rule's, once the table says it may be:
 * every gram of a rule has the rule's bit there (prefilter_add). */
static inline bool gram_is(const struct prefilter *filter, uint64_t bit,
			   const struct prefilter_grams *grams, uint32_t gram)
{
	if (!(filter->masks[filter->used[folded_hash(gram)]] & bit))
		return false;
	for (size_t k = 0; k < grams->count; k++)
		if (grams->gram[k] == gram)
			return true;
	return false;
}

/*
 * The line is hashed as in prefilter_candidates() (five grams an 8-byte load,
 * folded once) and a load's five table words are tested together: only a
 * load whose grams may hold the rule's is compared gram by gram. ~270
 * instructions on the follow bench's line, ~610 with a hash, test and
 * branch at every position.
 */
bool prefilter_confirm(const struct prefilter *filter, unsigned index,
		       const struct prefilter_grams *grams, const char *text,
		       size_t length)
{
	const uint64_t *masks = filter->masks;
	const uint8_t *used = filter->used;
	uint64_t bit = 1ull << (index % PREFILTER_RULE_BITS);
	size_t i = 0;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (; i + 8 <= length; i += 5) {
		uint64_t window;
		uint32_t h0, h1, h2, h3, h4;

		memcpy(&window, text + i, 8);
		window |= (uint64_t)FOLD << 32 | FOLD;
		h0 = folded_hash((uint32_t)window);
		h1 = folded_hash((uint32_t)(window >> 8));
		h2 = folded_hash((uint32_t)(window >> 16));
		h3 = folded_hash((uint32_t)(window >> 24));
		h4 = folded_hash((uint32_t)(window >> 32));
		if (!(used[h0] | used[h1] | used[h2] | used[h3] | used[h4]) ||
		    !((masks[used[h0]] | masks[used[h1]] | masks[used[h2]] |
		       masks[used[h3]] | masks[used[h4]]) &
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
