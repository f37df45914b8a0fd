/*
 * test_prefilter.c - literal extraction and the 4-gram scan
 * (src/logscan/prefilter.c): a literal must be something every match
 * contains, and a line containing it must always reach its rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <string.h>

#include "logscan/prefilter.h"
#include "logscan/rules.h"

static size_t literals(const char *pattern,
		       char out[][PREFILTER_LITERAL_MAX])
{
	return pattern_literals(pattern, out, PREFILTER_MAX_LITERALS);
}

static void test_longest_mandatory_run(void **state)
{
	char out[PREFILTER_MAX_LITERALS][PREFILTER_LITERAL_MAX];

	(void)state;
	assert_int_equal(literals("Out of memory: Kill(?:ed)? process "
				  "(?<pid>\\d+)", out), 1);
	assert_string_equal(out[0], "Out of memory: Kill");
	/* A quantified character is not mandatory. */
	assert_int_equal(literals("abcdefx?yz", out), 1);
	assert_string_equal(out[0], "abcdef");
	assert_int_equal(literals("abcd{2}efghij", out), 1);
	assert_string_equal(out[0], "efghij");
	/* Escaped punctuation is literal, escapes like \d end the run. */
	assert_int_equal(literals("sshd\\(pam_unix\\)\\[\\d+\\]: x", out), 1);
	assert_string_equal(out[0], "sshd(pam_unix)[");
	/* \p{..} arguments are not literal text. */
	assert_int_equal(literals("\\p{Lu}{2}Xabcd", out), 1);
	assert_string_equal(out[0], "Xabcd");
}

static void test_alternatives(void **state)
{
	char out[PREFILTER_MAX_LITERALS][PREFILTER_LITERAL_MAX];

	(void)state;
	assert_int_equal(literals("first literal|(a|b)second one", out), 2);
	assert_string_equal(out[0], "first literal");
	assert_string_equal(out[1], "second one");
	/* One alternative without a literal: the rule runs on every line. */
	assert_int_equal(literals("long literal|\\d+", out), 0);
	/* A group's inner alternation does not split the pattern. */
	assert_int_equal(literals("(?:x|y) tail text", out), 1);
}

static void test_syntax_it_does_not_follow(void **state)
{
	char out[PREFILTER_MAX_LITERALS][PREFILTER_LITERAL_MAX];

	(void)state;
	assert_int_equal(literals("(?x) a b c d e f", out), 0);
	assert_int_equal(literals("\\Qa.b.c.d\\E", out), 0);
	assert_int_equal(literals("(*UTF)abcdef", out), 0);
	assert_int_equal(literals("abc", out), 0);
	assert_int_equal(literals("unbalanced (group", out), 0);
	assert_int_equal(literals("unbalanced ) paren", out), 0);
	/* Found by fuzz_logscan_prefilter: POSIX-like brackets in a class. */
	assert_int_equal(literals("[[:][]W:]]", out), 0);
}

/* Escapes whose argument is not literal text (found by fuzzing). */
static void test_escape_arguments(void **state)
{
	char out[PREFILTER_MAX_LITERALS][PREFILTER_LITERAL_MAX];

	(void)state;
	/* \c[ is one character; the '[' does not open a class. */
	assert_int_equal(literals("\\c[]abcd|efgh", out), 2);
	assert_string_equal(out[0], "]abcd");
	assert_string_equal(out[1], "efgh");
	/* \x takes {..} or two hex digits, never <..>. */
	assert_int_equal(literals("\\x<abcd>", out), 1);
	assert_string_equal(out[0], "<abcd>");
	assert_int_equal(literals("\\x41BCDE\\x{46}GHIJ", out), 1);
	assert_string_equal(out[0], "BCDE");
	/* \pL and \PP name a property by one letter: not literal text
	 * (found by fuzz_logscan_prefilter, session 9). */
	assert_int_equal(literals("\\PP\\\\PPQR", out), 1);
	assert_string_equal(out[0], "\\PPQR");
	assert_int_equal(literals("\\pLxyzw", out), 1);
	assert_string_equal(out[0], "xyzw");
	/* \k<name> is a back reference. */
	assert_int_equal(literals("(?<n>a)\\k<n>wxyz", out), 1);
	assert_string_equal(out[0], "wxyz");
}

static void test_candidates(void **state)
{
	static struct prefilter filter;
	const char *line = "Jun 14 kernel: Out of memory: Killed process 1";
	const char *upper = "OUT OF MEMORY: KILL";

	(void)state;
	prefilter_init(&filter);
	assert_true(prefilter_add(&filter, 0, "Out of memory: Kill", NULL));
	assert_true(prefilter_add(&filter, 5, "nfs: server \\S+ not", NULL));
	assert_false(prefilter_add(&filter, 7, "\\d+", NULL));
	assert_int_equal(prefilter_candidates(&filter, line, strlen(line)) &
				 1ull, 1ull);
	/* Folding makes case-insensitive patterns safe to prefilter. */
	assert_int_equal(prefilter_candidates(&filter, upper, strlen(upper)) &
				 1ull, 1ull);
	/* Always-run rules are always candidates, even on short lines. */
	assert_true(prefilter_candidates(&filter, "x", 1) & (1ull << 7));
	assert_int_equal(prefilter_candidates(&filter, "sshd: nothing here",
					      18) & 0x21ull, 0);
}

/* Past PREFILTER_MASKS distinct grams a rule is scanned on every line
 * (always), never missed; the rules added before keep their grams. */
static void test_masks_full(void **state)
{
	static struct prefilter filter;
	struct prefilter_grams grams;
	char pattern[16], line[64];
	unsigned refused = 0, last = 0;

	(void)state;
	prefilter_init(&filter);
	assert_true(prefilter_add(&filter, 1, "zqxjkv", &grams));
	for (unsigned i = 0; i < 2 * PREFILTER_MASKS; i++) {
		/* Four capitals (the first 4-gram, all of equal rarity). */
		snprintf(pattern, sizeof(pattern), "%c%cQX", 'A' + i % 26,
			 'A' + i / 26 % 26);
		if (!prefilter_add(&filter, 2 + i % 60, pattern, &grams)) {
			refused++;
			last = 2 + i % 60;
			assert_int_equal(grams.count, 0);
		}
	}
	assert_true(refused > 0);
	assert_true(filter.always & (1ull << last));
	snprintf(line, sizeof(line), "nothing of the kind");
	assert_true(prefilter_candidates(&filter, line, strlen(line)) &
		    (1ull << last));
	snprintf(line, sizeof(line), "a ZQXJKV b");
	assert_true(prefilter_candidates(&filter, line, strlen(line)) & 2ull);
	assert_true(filter.mask_count <= PREFILTER_MASKS);
}

/* The check prefilter_confirm() replaced: every position hashed. */
static bool confirm_reference(const struct prefilter_grams *grams,
			      const char *text, size_t length)
{
	for (size_t i = 0; i + 4 <= length; i++) {
		uint32_t gram;

		memcpy(&gram, text + i, 4);
		for (size_t k = 0; k < grams->count; k++)
			if (grams->gram[k] == (gram | 0x20202020u))
				return true;
	}
	return false;
}

static uint32_t next_random(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* Filler that looks like log text and holds no 4-gram of the pack's by
 * chance too often: digits, spaces, a few letters and punctuation. */
static void fill(char *text, size_t length, uint32_t *seed)
{
	static const char bytes[] = "0123456789 .:-_[]()abcxyzQ\t\x80\xff";

	for (size_t i = 0; i < length; i++)
		text[i] = bytes[next_random(seed) % (sizeof(bytes) - 1)];
}

/*
 * No false negative: every literal of every built-in rule, planted at every
 * offset of lines of every length up to 100 (the scan's 8-byte loads and
 * byte tail meet it at every alignment), in random case, makes its rule a
 * candidate and passes prefilter_confirm(); and confirm agrees with the
 * position-by-position check on the filler alone.
 */
static void test_pack_literals_always_found(void **state)
{
	static struct prefilter filter;
	static struct prefilter_grams grams[128];
	uint32_t seed = 18;
	char text[128];

	(void)state;
	assert_true(rule_pack_count <= 128);
	prefilter_init(&filter);
	for (size_t r = 0; r < rule_pack_count; r++)
		prefilter_add(&filter, (unsigned)r, rule_pack[r].pattern,
			      &grams[r]);
	for (size_t r = 0; r < rule_pack_count; r++) {
		char lits[PREFILTER_MAX_LITERALS][PREFILTER_LITERAL_MAX];
		size_t count = literals(rule_pack[r].pattern, lits);
		uint64_t bit = 1ull << (r % PREFILTER_RULE_BITS);

		assert_true(count > 0);
		for (size_t l = 0; l < count; l++) {
			size_t n = strlen(lits[l]);

			for (size_t length = n; length <= 100; length++) {
				for (size_t at = 0; at + n <= length; at++) {
					fill(text, length, &seed);
					memcpy(text + at, lits[l], n);
					for (size_t i = at; i < at + n; i++)
						if (next_random(&seed) & 1 &&
						    text[i] >= 'a' &&
						    text[i] <= 'z')
							text[i] ^= 0x20;
					if (!(prefilter_candidates(
						  &filter, text, length) &
					      bit) ||
					    !prefilter_confirm(
						&filter, (unsigned)r, &grams[r],
						text, length))
						fail_msg("%s: \"%s\" at %zu of "
							 "%zu not found",
							 rule_pack[r].name,
							 lits[l], at, length);
				}
				fill(text, length, &seed);
				assert_int_equal(
				    prefilter_confirm(&filter, (unsigned)r,
						      &grams[r], text, length),
				    confirm_reference(&grams[r], text, length));
			}
		}
	}
}

/* prefilter_confirm() against the reference on text made of the rule's own
 * grams' bytes (so hits, near misses and grams split across the 8-byte
 * loads are all common), and bytes that fold onto them (@ ` [ {). */
static void test_confirm_matches_reference(void **state)
{
	static struct prefilter filter;
	struct prefilter_grams grams;
	uint32_t seed = 7;
	char text[100];
	const char *alphabet = "abAB@`[{ \x80";
	size_t hits = 0, runs = 0;

	(void)state;
	prefilter_init(&filter);
	assert_true(prefilter_add(&filter, 70, "abab|bA@a|ba`b", &grams));
	assert_int_equal(grams.count, 3);
	for (size_t length = 0; length <= sizeof(text); length++)
		for (int round = 0; round < 200; round++) {
			bool want;

			for (size_t i = 0; i < length; i++)
				text[i] = alphabet[next_random(&seed) % 10];
			want = confirm_reference(&grams, text, length);
			hits += want;
			runs++;
			assert_int_equal(prefilter_confirm(&filter, 70, &grams,
							   text, length),
					 want);
		}
	/* Both answers came up often. */
	assert_true(hits > runs / 10 && hits < runs - runs / 10);
}

/* A slot's rules, as the scan reads them. */
static uint64_t rules_of(const struct prefilter *filter, uint32_t slot)
{
	return filter->masks[filter->mask_of[slot]];
}

/* The scan without used[]: every position's table word, as the table
 * alone would give it (same hash, same folding). */
static uint64_t candidates_reference(const struct prefilter *filter,
				     const char *text, size_t length)
{
	uint64_t found = filter->always;

	for (size_t i = 0; i + 4 <= length; i++) {
		uint32_t gram;

		memcpy(&gram, text + i, 4);
		found |= rules_of(filter, prefilter_slot(gram | 0x20202020u));
	}
	return found;
}

/* The grams of text that are registered ones exactly, their table words:
 * what any gated scan must find at least. */
static uint64_t candidates_exact(const struct prefilter *filter,
				 const uint32_t *grams, size_t count,
				 const char *text, size_t length)
{
	uint64_t found = filter->always;

	for (size_t i = 0; i + 4 <= length; i++) {
		uint32_t gram;

		memcpy(&gram, text + i, 4);
		gram |= 0x20202020u;
		for (size_t k = 0; k < count; k++)
			if (grams[k] == gram)
				found |= rules_of(filter, prefilter_slot(gram));
	}
	return found;
}

/*
 * used[] in front of the table never hides a registered gram: it marks
 * exactly the slots in use, and the gated scan gives at least what the
 * registered grams of the text give and at most what the whole table gives
 * at its positions, on random-case text at every length and alignment, for
 * planted literals and for 4-grams that only collide with a rule's: one of
 * the same tag (still a candidate, prefilter_confirm() then says no) and
 * one of another (no longer one).
 */
static void test_used_gate(void **state)
{
	static struct prefilter filter;
	static const char *patterns[] = {
	    "Out of memory: Kill", "segfault at [0-9a-f]+ ip",
	    "(?i)authentication failure", "nfs: server \\S+ not responding",
	    "I/O error, dev \\S+"};
	static const char chars[] = "0123456789.:-_[]()/<>=+,;!?#$%&*";
	struct prefilter_grams grams;
	uint32_t registered[PREFILTER_MAX_LITERALS * 5 + 1];
	size_t count = 0;
	char text[101], same[5] = "", other[5] = "";
	uint32_t seed = 11, target = 0, gram;
	size_t slots = 0, gated = 0, narrowed = 0;

	(void)state;
	prefilter_init(&filter);
	for (unsigned i = 0; i < sizeof(patterns) / sizeof(*patterns); i++) {
		assert_true(prefilter_add(&filter, i * 20, patterns[i], &grams));
		for (size_t k = 0; k < grams.count; k++)
			registered[count++] = grams.gram[k];
		if (i == 0)
			target = prefilter_slot(grams.gram[0]);
	}
	prefilter_add_word_gram(&filter, "warn");
	memcpy(&gram, "warn", 4);
	registered[count++] = gram | 0x20202020u;
	for (size_t h = 0; h < (1u << PREFILTER_TABLE_BITS); h++) {
		assert_int_equal(filter.used[h] != 0, rules_of(&filter, (uint32_t)h) != 0);
		slots += filter.used[h] != 0;
	}
	assert_true(slots >= 6);
	/* 4-grams of digits and punctuation that hash to the slot of rule 0's
	 * first gram, one a candidate (the same tag) and one not. */
	for (uint32_t n = 0; n < (1u << 20) && (same[0] == '\0' ||
						 other[0] == '\0');
	     n++) {
		char digits[5] = "";
		bool is_same;

		for (int k = 0; k < 4; k++)
			digits[k] = chars[(n >> (5 * k)) & 31];
		memcpy(&gram, digits, 4);
		gram |= 0x20202020u;
		if (prefilter_slot(gram) != target ||
		    gram == registered[0])
			continue;
		is_same = prefilter_candidates(&filter, digits, 4) & 1ull;
		memcpy(is_same ? same : other, digits, 5);
	}
	assert_true(same[0] != '\0' && other[0] != '\0');
	for (size_t length = 0; length < sizeof(text); length++)
		for (int round = 0; round < 100; round++) {
			uint64_t want, got, least;

			fill(text, length, &seed);
			if (length >= 4 && round % 3 == 0) {
				const char *plant =
				    round % 2 ? (round % 4 == 1 ? same : other)
					      : patterns[round % 5];
				size_t at = next_random(&seed) % (length - 3);
				size_t n = strlen(plant);

				if (n > length - at)
					n = length - at;
				for (size_t k = 0; k < n; k++)
					text[at + k] =
					    isalpha((unsigned char)plant[k]) &&
						    next_random(&seed) % 2
						? (char)(plant[k] ^ 0x20)
						: plant[k];
			}
			want = candidates_reference(&filter, text, length);
			least = candidates_exact(&filter, registered, count,
						 text, length);
			got = prefilter_candidates(&filter, text, length);
			assert_int_equal(got & ~want, 0);
			assert_int_equal(least & ~got, 0);
			gated += least != filter.always;
			narrowed += got != want;
		}
	/* The table was reached, not only the empty case, and the tags left
	 * out collisions. */
	assert_true(gated > 1000);
	assert_true(narrowed > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_longest_mandatory_run),
	    cmocka_unit_test(test_alternatives),
	    cmocka_unit_test(test_syntax_it_does_not_follow),
	    cmocka_unit_test(test_escape_arguments),
	    cmocka_unit_test(test_candidates),
	    cmocka_unit_test(test_pack_literals_always_found),
	    cmocka_unit_test(test_confirm_matches_reference),
	    cmocka_unit_test(test_masks_full),
	    cmocka_unit_test(test_used_gate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
