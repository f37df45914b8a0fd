/*
 * mask.c - replaces secrets in text with "***". One forward pass: every
 * pattern keeps its next match, the earliest one is replaced, and patterns
 * whose match was overtaken search again from there. Only lines that become
 * alerts go through here, so the cost is off the per-line path.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "logscan/mask.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define MASK_MAX_PATTERNS 32
#define MASK_REPLACEMENT "***"

/* What an operator would not want in a chat channel or a ticket. */
static const char *const builtin_patterns[] = {
	/* key=value and key: value, the key naming a credential */
	"(?i)\\b[\\w.-]*(?:passw(?:or)?d|pwd|secret|token|api[_-]?key|"
	"access[_-]?key|credentials?|auth[_-]?key|session[_-]?id)[\\w.-]*"
	"[\"']?[ \\t]*[:=][ \\t]*[\"']?(?<secret>[^\\s\"'&,;]+)",
	/* HTTP authorization schemes */
	"(?i)\\b(?:bearer|basic|token)[ \\t]+(?<secret>[A-Za-z0-9._~+/-]{8,}=*)",
	/* AWS access key ids */
	"\\b(?<secret>(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)"
	"[A-Z0-9]{16})\\b",
	/* user:password@ in URLs */
	"://[^/\\s:@]+:(?<secret>[^/\\s@]+)@",
	/* JSON web tokens */
	"\\b(?<secret>eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}\\."
	"[A-Za-z0-9_-]{8,})",
	/* GitHub and Slack tokens */
	"\\b(?<secret>(?:gh[pousr]_[A-Za-z0-9]{36,}|"
	"xox[abprs]-[A-Za-z0-9-]{10,}))",
	/* PEM private keys */
	"-----BEGIN [A-Z ]*PRIVATE KEY-----[^-]*",
};

struct mask_pattern {
	pcre2_code *code;
	int secret_group; /* capture number of (?<secret>), or 0 */
};

struct masker {
	struct mask_pattern patterns[MASK_MAX_PATTERNS];
	size_t count;
	pcre2_match_data *match;
};

static int add_pattern(struct masker *masker, const char *pattern,
		       char *error, size_t error_size)
{
	struct mask_pattern *slot;
	PCRE2_UCHAR text[128];
	PCRE2_SIZE offset;
	int code, number;

	if (masker->count >= MASK_MAX_PATTERNS) {
		snprintf(error, error_size, "too many mask patterns");
		return -EINVAL;
	}
	slot = &masker->patterns[masker->count];
	slot->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				   PCRE2_DUPNAMES, &code, &offset, NULL);
	if (slot->code == NULL) {
		pcre2_get_error_message(code, text, sizeof(text));
		snprintf(error, error_size, "mask pattern '%s': %s at offset %zu",
			 pattern, (const char *)text, (size_t)offset);
		return -EINVAL;
	}
	/* Interpreted, no JIT: only lines that become alerts are masked, and
	 * JIT code would keep a 64 KiB executable chunk resident for them. */
	number = pcre2_substring_number_from_name(slot->code,
						  (PCRE2_SPTR) "secret");
	slot->secret_group = number > 0 ? number : 0;
	masker->count++;
	return 0;
}

pcre2_match_data *masker_match_data_new(uint32_t pairs)
{
	pcre2_general_context *memory =
	    pcre2_general_context_create(sparse_alloc, sparse_free, NULL);
	pcre2_match_data *match;

	if (memory == NULL)
		return NULL;
	/* The block keeps its own copy of the allocator functions. */
	match = pcre2_match_data_create(pairs, memory);
	pcre2_general_context_free(memory);
	return match;
}

int masker_new(const struct config_string_list *extra, struct masker **out,
	       char *error, size_t error_size)
{
	struct masker *masker = calloc(1, sizeof(*masker));
	int r = 0;

	if (masker == NULL)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < sizeof(builtin_patterns) /
					   sizeof(builtin_patterns[0]); i++)
		r = add_pattern(masker, builtin_patterns[i], error, error_size);
	for (size_t i = 0; r == 0 && extra != NULL && i < extra->count; i++)
		r = add_pattern(masker, extra->items[i], error, error_size);
	if (r == 0) {
		masker->match = masker_match_data_new(16);
		if (masker->match == NULL)
			r = -ENOMEM;
	}
	if (r < 0) {
		masker_free(masker);
		return r;
	}
	*out = masker;
	return 0;
}

void masker_free(struct masker *masker)
{
	if (masker == NULL)
		return;
	for (size_t i = 0; i < masker->count; i++)
		pcre2_code_free(masker->patterns[i].code);
	pcre2_match_data_free(masker->match);
	free(masker);
}

struct span {
	size_t start, end; /* start == SIZE_MAX: no further match */
};

static struct span find_secret(struct masker *masker, size_t index,
			       const char *text, size_t length, size_t from)
{
	const struct mask_pattern *pattern = &masker->patterns[index];
	struct span none = { SIZE_MAX, SIZE_MAX };
	PCRE2_SIZE *ovector;
	int group;

	while (from <= length) {
		if (pcre2_match(pattern->code, (PCRE2_SPTR)text, length, from,
				0, masker->match, NULL) <= 0)
			return none;
		ovector = pcre2_get_ovector_pointer(masker->match);
		group = pattern->secret_group;
		if (ovector[2 * group] != PCRE2_UNSET &&
		    ovector[2 * group + 1] > ovector[2 * group])
			return (struct span){ ovector[2 * group],
					      ovector[2 * group + 1] };
		/* An empty or unset secret: look further on. */
		from = ovector[1] > from ? ovector[1] : from + 1;
	}
	return none;
}

size_t masker_apply(struct masker *masker, const char *text, size_t length,
		    char *out, size_t out_size)
{
	struct span next[MASK_MAX_PATTERNS];
	size_t position = 0, used = 0;

	if (out_size == 0)
		return 0;
	for (size_t i = 0; i < masker->count; i++)
		next[i] = find_secret(masker, i, text, length, 0);
	for (;;) {
		size_t best = SIZE_MAX;

		for (size_t i = 0; i < masker->count; i++) {
			if (next[i].start != SIZE_MAX && next[i].start < position)
				next[i] = find_secret(masker, i, text, length,
						      position);
			if (next[i].start != SIZE_MAX &&
			    (best == SIZE_MAX ||
			     next[i].start < next[best].start))
				best = i;
		}
		if (best == SIZE_MAX)
			break;
		used = string_append(out, out_size, used, text + position,
			      next[best].start - position);
		used = string_append(out, out_size, used, MASK_REPLACEMENT,
			      strlen(MASK_REPLACEMENT));
		position = next[best].end;
	}
	used = string_append(out, out_size, used, text + position, length - position);
	out[used] = '\0';
	return used;
}
