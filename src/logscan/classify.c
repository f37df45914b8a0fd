/*
 * classify.c - a line's severity from its priority or its level words. The
 * words are case-aware because case is what tells a level from prose:
 * "ERROR" and "Error" count wherever they stand, "error" only where a level
 * stands ("error:", "[error]", "level=error", "\"level\":\"error\""), so
 * "0 errors", "no error found" and "error_log" paths stay quiet.
 */
#include "logscan/classify.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Bytes of a word: letters, digits and '_' (ERROR_REPORTING is one word). */
static const unsigned char word_byte[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['_'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1,
    ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1,
    ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,
    ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
    ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1,
    ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

enum spelling { LOWER, CAPITALISED, UPPER, MIXED };

static enum spelling spelling_of(const char *word, size_t n)
{
	bool first_upper = word[0] >= 'A' && word[0] <= 'Z';
	bool any_upper = false, any_lower = !first_upper;

	for (size_t i = 1; i < n; i++) {
		if (word[i] >= 'A' && word[i] <= 'Z')
			any_upper = true;
		else if (word[i] >= 'a' && word[i] <= 'z')
			any_lower = true;
		else
			return MIXED; /* digits or '_': a name, not a level */
	}
	if (!first_upper)
		return any_upper ? MIXED : LOWER;
	if (!any_lower)
		return UPPER;
	return any_upper ? MIXED : CAPITALISED;
}

/* Sorted by length: a word is compared only with those of its length. */
static const struct {
	const char *word; /* lower case */
	unsigned char length;
	enum logscan_class class;
	bool lower_ok; /* a level in lower case too ("error:", "level=warn") */
} level_words[] = {
    {"err", 3, LOGSCAN_CLASS_ERROR, true},
    {"crit", 4, LOGSCAN_CLASS_CRITICAL, true},
    {"warn", 4, LOGSCAN_CLASS_WARNING, true},
    {"error", 5, LOGSCAN_CLASS_ERROR, true},
    {"fatal", 5, LOGSCAN_CLASS_CRITICAL, true},
    {"panic", 5, LOGSCAN_CLASS_CRITICAL, true},
    {"emerg", 5, LOGSCAN_CLASS_CRITICAL, true},
    {"severe", 6, LOGSCAN_CLASS_ERROR, false},
    {"warning", 7, LOGSCAN_CLASS_WARNING, true},
    {"critical", 8, LOGSCAN_CLASS_CRITICAL, true},
    {"exception", 9, LOGSCAN_CLASS_ERROR, false},
    {"traceback", 9, LOGSCAN_CLASS_ERROR, false},
    {"emergency", 9, LOGSCAN_CLASS_CRITICAL, false},
};
#define LEVEL_WORDS    (sizeof(level_words) / sizeof(level_words[0]))
#define LEVEL_WORD_MAX 9

/* The first letters of level_words, either case. */
static const bool level_initial[256] = {
	['c'] = true, ['e'] = true, ['f'] = true, ['p'] = true, ['s'] = true,
	['t'] = true, ['w'] = true, ['C'] = true, ['E'] = true, ['F'] = true,
	['P'] = true, ['S'] = true, ['T'] = true, ['W'] = true,
};

/* Where level_words of each length start (lengths 0 to 10). */
static const unsigned char first_of_length[LEVEL_WORD_MAX + 2] = {
    0, 0, 0, 0, 1, 3, 7, 8, 9, 10, LEVEL_WORDS,
};

/* Where a lower-case level stands: "[error]", "<err>", "level=error",
 * "\"level\":\"error\"", "error:", "app: error ...", the line's start. */
static bool level_position(const char *text, size_t length, size_t start,
			   size_t end)
{
	char before = start > 0 ? text[start - 1] : '\0';
	char after = end < length ? text[end] : '\0';

	if (start == 0 || after == ':' || after == ']' || after == '>' ||
	    after == ')' || after == '|')
		return true;
	if (before == '[' || before == '<' || before == '(' || before == '=' ||
	    before == '|')
		return true;
	if (start >= 2 && before == ' ' && text[start - 2] == ':')
		return true;
	/* A JSON value, not a key: ":"error"" or ": "error"". */
	return before == '"' && after == '"' && start >= 2 &&
	       (text[start - 2] == ':' ||
		(start >= 3 && text[start - 2] == ' ' &&
		 text[start - 3] == ':'));
}

/*
 * Glued to a path, a file name, an option or a key: not a level. A class
 * name may follow its package's '.' (java.lang.IllegalStateException).
 */
static bool glued(const char *text, size_t length, size_t start, size_t end,
		  bool class_name)
{
	char before = start > 0 ? text[start - 1] : '\0';
	char after = end < length ? text[end] : '\0';

	if (before == '/' || before == '-' || (before == '.' && !class_name) ||
	    before == '$' || before == '@')
		return true;
	if (after == '/' || after == '-' || after == '=')
		return true;
	return after == '.' && end + 1 < length &&
	       word_byte[(unsigned char)text[end + 1]];
}

/* TypeError, IOError, NullPointerException: a class named for an error. */
static bool error_class_name(const char *word, size_t n)
{
	if (n <= 5 || word[0] < 'A' || word[0] > 'Z')
		return false;
	if (word[n - 1] == 'r')
		return memcmp(word + n - 5, "Error", 5) == 0;
	return n > 9 && word[n - 1] == 'n' &&
	       memcmp(word + n - 9, "Exception", 9) == 0;
}

static enum logscan_class word_class(const char *text, size_t length,
				     size_t start, size_t end)
{
	const char *word = text + start;
	size_t n = end - start;
	char lower[LEVEL_WORD_MAX];
	enum spelling spelling;

	if (error_class_name(word, n) && spelling_of(word, n) != UPPER &&
	    !glued(text, length, start, end, true))
		return LOGSCAN_CLASS_ERROR;
	if (n < 3 || n > LEVEL_WORD_MAX || !level_initial[(unsigned char)*word])
		return LOGSCAN_CLASS_NONE;
	for (size_t i = 0; i < n; i++)
		lower[i] = (char)(word[i] | 0x20);
	for (size_t i = first_of_length[n]; i < first_of_length[n + 1]; i++) {
		if (memcmp(level_words[i].word, lower, n) != 0)
			continue;
		spelling = spelling_of(word, n);
		if (spelling == MIXED || glued(text, length, start, end, false))
			return LOGSCAN_CLASS_NONE;
		if (spelling == LOWER &&
		    (!level_words[i].lower_ok ||
		     !level_position(text, length, start, end)))
			return LOGSCAN_CLASS_NONE;
		return level_words[i].class;
	}
	return LOGSCAN_CLASS_NONE;
}

enum logscan_class logscan_classify_words(const char *text, size_t length)
{
	enum logscan_class found = LOGSCAN_CLASS_NONE, class;
	size_t i = 0, start;

	while (i < length) {
		if (!word_byte[(unsigned char)text[i]]) {
			i++;
			continue;
		}
		start = i;
		while (i < length && word_byte[(unsigned char)text[i]])
			i++;
		if (i - start < 3)
			continue;
		class = word_class(text, length, start, i);
		if (class > found) {
			found = class;
			if (found == LOGSCAN_CLASS_CRITICAL)
				break;
		}
	}
	return found;
}

enum logscan_class logscan_classify(const char *text, size_t length,
				    unsigned level)
{
	if (level == 0)
		return logscan_classify_words(text, length);
	if (level <= 3)
		return LOGSCAN_CLASS_CRITICAL;
	if (level == 4)
		return LOGSCAN_CLASS_ERROR;
	return level == 5 ? LOGSCAN_CLASS_WARNING : LOGSCAN_CLASS_NONE;
}

/* The first four letters of each level word of four or more (crit, warn,
 * error, fatal, panic, emerg, severe, warning, critical, exception,
 * traceback, emergency), which also cover the ...Error and ...Exception
 * class names. */
const char logscan_level_grams[LOGSCAN_LEVEL_GRAMS][5] = {
    "crit", "warn", "erro", "fata", "pani", "emer", "seve", "exce", "trac",
};

/*
 * "rr" in either case (a byte folded with 0x20 is 'r' only for 'r' and
 * 'R'): sixteen bytes a step where SSE2 is (x86-64 always), a byte mask
 * of the 'r's and its shift by one; then eight bytes a step, where the
 * exact zero-byte test marks those bytes without false positives. A
 * tail after 16-byte blocks is one more block, the last 16 bytes. On the
 * follow bench's 80-byte line: ~60 instructions, ~100 with a byte loop
 * for the tail, ~170 before SSE2.
 */
static bool has_rr(const char *text, size_t length)
{
	const uint64_t ones = 0x0101010101010101ull, low7 = 0x7f * ones;
	size_t i = 0;

#ifdef __SSE2__
	const __m128i fold = _mm_set1_epi8(0x20), r = _mm_set1_epi8('r');
	unsigned last = 0; /* the previous block ended in an r */

	for (; i + 16 <= length; i += 16) {
		__m128i block = _mm_loadu_si128((const __m128i *)(text + i));
		unsigned mask = (unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_or_si128(block, fold), r));

		if ((mask & (mask >> 1)) != 0 || (last & mask) != 0)
			return true;
		last = mask >> 15;
	}
	if (last != 0 && i < length && (text[i] | 0x20) == 'r')
		return true;
	/* The tail as the last sixteen bytes, overlapping the block before:
	 * a pair across the two is inside it. */
	if (i > 0 && i < length) {
		__m128i block =
		    _mm_loadu_si128((const __m128i *)(text + length - 16));
		unsigned mask = (unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_or_si128(block, fold), r));

		return (mask & (mask >> 1)) != 0;
	}
#endif
	/* Windows overlap by one byte, so a pair across two is seen. */
	for (; i + 8 <= length; i += 7) {
		uint64_t window, x, zero;

		memcpy(&window, text + i, 8);
		x = (window | 0x20 * ones) ^ ('r' * ones);
		zero = ~(((x & low7) + low7) | x | low7);
		if (zero & (zero >> 8))
			return true;
	}
	for (; i + 1 < length; i++)
		if ((text[i] | 0x20) == 'r' && (text[i + 1] | 0x20) == 'r')
			return true;
	return false;
}

enum logscan_class logscan_classify_screened(const char *text, size_t length,
					     unsigned level, bool level_gram)
{
	/* Shorter than a 4-gram: the prefilter saw nothing, ask the words. */
	if (level == 0 && !level_gram && length >= 4 && !has_rr(text, length))
		return LOGSCAN_CLASS_NONE;
	return logscan_classify(text, length, level);
}

const char *logscan_class_name(enum logscan_class class)
{
	switch (class) {
	case LOGSCAN_CLASS_WARNING:
		return "warning";
	case LOGSCAN_CLASS_ERROR:
		return "error";
	case LOGSCAN_CLASS_CRITICAL:
		return "critical";
	default:
		return "none";
	}
}
