/*
 * classify.c - a line's severity from its priority or its level words. The
 * words are case-aware because case is what tells a level from prose:
 * "ERROR" and "Error" count wherever they stand, "error" only where a level
 * stands ("error:", "[error]", "level=error", "\"level\":\"error\""), so
 * "0 errors", "no error found" and "error_log" paths stay quiet.
 */
#include "logscan/classify.h"

#include <stdbool.h>
#include <string.h>

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

/* First letters of level words, and of CamelCase ...Error/...Exception. */
static bool worth_a_look(const char *word, size_t n)
{
	switch (word[0] | 0x20) {
	case 'c':
	case 'e':
	case 'f':
	case 'p':
	case 's':
	case 't':
	case 'w':
		return true;
	default:
		return n > 5 && word[0] >= 'A' && word[0] <= 'Z' &&
		       (word[n - 1] == 'r' || word[n - 1] == 'n');
	}
}

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

static const struct {
	const char *word; /* lower case */
	enum logscan_class class;
	bool lower_ok; /* a level in lower case too ("error:", "level=warn") */
} level_words[] = {
    {"err", LOGSCAN_CLASS_ERROR, true},
    {"error", LOGSCAN_CLASS_ERROR, true},
    {"severe", LOGSCAN_CLASS_ERROR, false},
    {"exception", LOGSCAN_CLASS_ERROR, false},
    {"traceback", LOGSCAN_CLASS_ERROR, false},
    {"crit", LOGSCAN_CLASS_CRITICAL, true},
    {"critical", LOGSCAN_CLASS_CRITICAL, true},
    {"fatal", LOGSCAN_CLASS_CRITICAL, true},
    {"panic", LOGSCAN_CLASS_CRITICAL, true},
    {"emerg", LOGSCAN_CLASS_CRITICAL, true},
    {"emergency", LOGSCAN_CLASS_CRITICAL, false},
    {"warn", LOGSCAN_CLASS_WARNING, true},
    {"warning", LOGSCAN_CLASS_WARNING, true},
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

static enum logscan_class word_class(const char *text, size_t length,
				     size_t start, size_t end)
{
	const char *word = text + start;
	size_t n = end - start;
	enum spelling spelling = spelling_of(word, n);
	char lower[10];

	if ((spelling == MIXED || spelling == CAPITALISED) && word[0] >= 'A' &&
	    word[0] <= 'Z') {
		/* TypeError, IOError, NullPointerException (Capitalised also
		 * lands here when the word itself is "Error"/"Exception"). */
		if (n > 5 && memcmp(word + n - 5, "Error", 5) == 0 &&
		    !glued(text, length, start, end, true))
			return LOGSCAN_CLASS_ERROR;
		if (n > 9 && memcmp(word + n - 9, "Exception", 9) == 0 &&
		    !glued(text, length, start, end, true))
			return LOGSCAN_CLASS_ERROR;
	}
	if (spelling == MIXED)
		return LOGSCAN_CLASS_NONE;
	if (n > sizeof(lower) - 1)
		return LOGSCAN_CLASS_NONE;
	for (size_t i = 0; i < n; i++)
		lower[i] = (char)(word[i] | 0x20);
	for (size_t i = 0; i < sizeof(level_words) / sizeof(level_words[0]);
	     i++) {
		if (strlen(level_words[i].word) != n ||
		    memcmp(level_words[i].word, lower, n) != 0)
			continue;
		if (glued(text, length, start, end, false))
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
		if (i - start < 3 || !worth_a_look(text + start, i - start))
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
