/*
 * fuzz_logscan_prefilter.c - libFuzzer target that checks the prefilter is
 * sound: input is "pattern NUL subject"; whenever PCRE2 matches the subject,
 * the prefilter must have let the rule through, and its confirmation (the
 * chosen 4-grams themselves, not a hash collision) must agree. A literal
 * extracted from a pattern that a match does not contain aborts.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logscan/prefilter.h"

static struct prefilter filter;
static struct prefilter_grams grams;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nul = memchr(data, '\0', size);
	char pattern[256];
	size_t pattern_length, subject_length;
	const char *subject;
	pcre2_code *code;
	pcre2_match_data *match;
	PCRE2_SIZE offset;
	int error, r;

	if (nul == NULL)
		return 0;
	pattern_length = (size_t)(nul - (const char *)data);
	if (pattern_length >= sizeof(pattern))
		return 0;
	memcpy(pattern, data, pattern_length);
	pattern[pattern_length] = '\0';
	subject = nul + 1;
	subject_length = size - pattern_length - 1;
	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
			     PCRE2_DUPNAMES, &error, &offset, NULL);
	if (code == NULL)
		return 0;
	prefilter_init(&filter);
	if (!prefilter_add(&filter, 3, pattern, &grams)) {
		pcre2_code_free(code);
		return 0;
	}
	match = pcre2_match_data_create_from_pattern(code, NULL);
	r = pcre2_match(code, (PCRE2_SPTR)subject, subject_length, 0, 0, match,
			NULL);
	if (r >= 0 && !(prefilter_candidates(&filter, subject, subject_length) &
			(1ull << 3)))
		abort();
	if (r >= 0 &&
	    !prefilter_confirm(&filter, 3, &grams, subject, subject_length))
		abort();
	pcre2_match_data_free(match);
	pcre2_code_free(code);
	return 0;
}
