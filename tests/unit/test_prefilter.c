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

#include <string.h>

#include "logscan/prefilter.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_longest_mandatory_run),
		cmocka_unit_test(test_alternatives),
		cmocka_unit_test(test_syntax_it_does_not_follow),
		cmocka_unit_test(test_escape_arguments),
		cmocka_unit_test(test_candidates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
