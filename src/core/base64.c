/*
 * base64.c - Base64 encoding per RFC 4648 section 4: every 3 input octets
 * become 4 characters of 6 bits each; a final group of 1 or 2 octets is
 * zero-filled and padded with "==" or "=".
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>

#include "core/base64.h"

static const char alphabet[64] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

ssize_t base64_encode(const void *in, size_t length, char *out,
		      size_t out_size)
{
	const uint8_t *p = in;
	size_t groups = length / 3 + (length % 3 != 0);
	char *at = out;

	/* The first test keeps 4 * groups + 1 from overflowing. */
	if (groups > (SIZE_MAX - 1) / 4 || out_size < 4 * groups + 1 ||
	    4 * groups > SSIZE_MAX) {
		if (out_size > 0)
			out[0] = '\0';
		return -ENOSPC;
	}
	for (; length >= 3; length -= 3, p += 3) {
		uint32_t bits = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 |
				p[2];

		*at++ = alphabet[bits >> 18];
		*at++ = alphabet[(bits >> 12) & 0x3f];
		*at++ = alphabet[(bits >> 6) & 0x3f];
		*at++ = alphabet[bits & 0x3f];
	}
	if (length > 0) {
		uint32_t bits = (uint32_t)p[0] << 16;

		if (length == 2)
			bits |= (uint32_t)p[1] << 8;
		*at++ = alphabet[bits >> 18];
		*at++ = alphabet[(bits >> 12) & 0x3f];
		*at++ = length == 2 ? alphabet[(bits >> 6) & 0x3f] : '=';
		*at++ = '=';
	}
	*at = '\0';
	return at - out;
}
