/*
 * base64.h - Base64 (RFC 4648 section 4: standard alphabet, '=' padding),
 * encoded for RFC 2047 encoded words in e-mail subjects, decoded for the
 * certificates of PEM files.
 */
#ifndef SYSOPS_BASE64_H
#define SYSOPS_BASE64_H

#include <stddef.h>
#include <sys/types.h>

/* Buffer size for encoding n bytes, terminating NUL included. */
#define BASE64_ENCODED_SIZE(n) (((n) + 2) / 3 * 4 + 1)

/*
 * Encodes length bytes into out. Returns the length of the text, or -ENOSPC
 * when out_size is smaller than BASE64_ENCODED_SIZE(length); out is then
 * the empty string. Never writes past out_size; always terminates when
 * out_size > 0.
 */
ssize_t base64_encode(const void *in, size_t length, char *out,
		      size_t out_size);

/*
 * Decodes length characters into out, skipping white space (the line
 * breaks of PEM). Returns the number of bytes, -EINVAL when the text is not
 * Base64 (a foreign character, data after padding, a lone last character)
 * or -ENOSPC when out_size is too small.
 */
ssize_t base64_decode(const char *in, size_t length, void *out,
		      size_t out_size);

#endif
