/*
 * base64.h - Base64 encoding (RFC 4648 section 4: standard alphabet, '='
 * padding, no line breaks), for RFC 2047 encoded words in e-mail subjects.
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

#endif
