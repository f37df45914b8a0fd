/*
 * secret.h - the configured secrets, masked wherever text leaves the process:
 * every log record, delivery error bodies, test-alert output, history records.
 *
 * secret_configure() walks the configuration schema for every CONFIG_SECRET
 * value, so a new secret key is covered without a list kept by hand. A text
 * is masked whether a secret appears in it raw, JSON-escaped, percent-encoded
 * or in another letter case. The table has a fixed size: masking never
 * allocates.
 */
#ifndef SYSOPS_SECRET_H
#define SYSOPS_SECRET_H

#include <stdbool.h>
#include <stddef.h>

struct config;

#define SECRET_MASK	   "***"
#define SECRET_NEEDLES_MAX 64	/* strings masked, all keys together */
#define SECRET_BYTES_MAX   8192 /* their bytes, one NUL each included */
#define SECRET_WHOLE_MIN   4	/* a whole configured value is masked from */
#define SECRET_PART_MIN	   8	/* a part of a URL is masked alone from */

/*
 * Replaces the process's set with the secrets of config: each whole
 * CONFIG_SECRET value of SECRET_WHOLE_MIN bytes or more; for a value that is
 * a URL also its userinfo password, each path segment, query value and
 * fragment of SECRET_PART_MIN bytes or more; and the percent-decoded form of
 * each of those that has one. Whole values are taken first. A value too short
 * to be masked, or one that no longer fits, is logged (by key, never by
 * value); returns 0, or -E2BIG when something did not fit (the rest is in).
 */
int secret_configure(const struct config *config);
/* Forgets every secret (tests, and a command that loads no configuration). */
void secret_reset(void);
/* Strings in the set (decoded forms and URL parts included). */
size_t secret_count(void);

/*
 * Replaces in place each occurrence of each secret in text by SECRET_MASK
 * (overlapping occurrences become one), and returns the new length. A secret
 * is found raw, JSON-escaped ("\/", "\"", "\\", "\n"..., "\u00XX"),
 * percent-encoded (either case of hex digits, '+' for a space), in any
 * letter case, and in any mix of these. The text only ever gets shorter.
 */
size_t secret_mask(char *text);
/*
 * The same for a text that was cut to fit a buffer: a secret's first
 * SECRET_WHOLE_MIN bytes or more at the very end are masked too, so a cut
 * never shows half a secret.
 */
size_t secret_mask_cut(char *text);
/*
 * The set and values, each as a configured value would be (its URL parts
 * too; NULL and values shorter than SECRET_WHOLE_MIN skipped): a request's
 * own secrets, which a reload may have taken out of the set while the request
 * was in flight.
 */
size_t secret_mask_values(char *text, bool cut, char *const *values,
			  size_t count);

#endif
