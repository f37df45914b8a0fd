/*
 * mask.h - secret masking: before a log line or a message leaves the host,
 * values that look like credentials (password=..., bearer tokens, AWS access
 * keys, URL passwords, JWTs, ...) are replaced by "***".
 */
#ifndef SYSOPS_LOGSCAN_MASK_H
#define SYSOPS_LOGSCAN_MASK_H

#include <stddef.h>
#include <stdint.h>

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "core/config.h"

struct masker;

/* Built-in patterns plus `extra` (PCRE2; a (?<secret>...) capture limits
 * what is replaced). Returns 0 or -EINVAL with a reason in error. */
int masker_new(const struct config_string_list *extra, struct masker **out,
	       char *error, size_t error_size);
void masker_free(struct masker *masker);

/*
 * pcre2_match_data_create(pairs) whose match frames (20 KiB, allocated at
 * the first match) are zeroed pages of their own, resident only as far as
 * a match writes them (sparse_alloc), not a heap chunk resident whole.
 */
pcre2_match_data *masker_match_data_new(uint32_t pairs);

/*
 * Writes text with every secret replaced into out (always NUL-terminated,
 * cut at out_size - 1); returns the length written.
 */
size_t masker_apply(struct masker *masker, const char *text, size_t length,
		    char *out, size_t out_size);

#endif
