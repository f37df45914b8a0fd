/*
 * mask.h - secret masking: before a log line or a message leaves the host,
 * values that look like credentials (password=..., bearer tokens, AWS access
 * keys, URL passwords, JWTs, ...) are replaced by "***".
 */
#ifndef SYSOPS_LOGSCAN_MASK_H
#define SYSOPS_LOGSCAN_MASK_H

#include <stddef.h>

#include "core/config.h"

struct masker;

/* Built-in patterns plus `extra` (PCRE2; a (?<secret>...) capture limits
 * what is replaced). Returns 0 or -EINVAL with a reason in error. */
int masker_new(const struct config_string_list *extra, struct masker **out,
	       char *error, size_t error_size);
void masker_free(struct masker *masker);

/*
 * Writes text with every secret replaced into out (always NUL-terminated,
 * cut at out_size - 1); returns the length written.
 */
size_t masker_apply(struct masker *masker, const char *text, size_t length,
		    char *out, size_t out_size);

#endif
