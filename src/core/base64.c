/*
 * base64.c - Base64 per RFC 4648 section 4: every 3 input octets become 4
 * characters of 6 bits each; a final group of 1 or 2 octets is zero-filled
 * and padded with "==" or "=". Decoding skips white space (PEM lines).
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

static int sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

ssize_t base64_decode(const char *in, size_t length, void *out, size_t out_size)
{
	uint8_t *at = out;
	uint32_t bits = 0;
	size_t held = 0, written = 0, padding = 0;

	for (size_t i = 0; i < length; i++) {
		unsigned char c = (unsigned char)in[i];
		int value;

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			padding++;
			continue;
		}
		value = sextet(c);
		if (value < 0 || padding > 0)
			return -EINVAL; /* not Base64, or data after '=' */
		bits = bits << 6 | (uint32_t)value;
		if (++held < 4)
			continue;
		if (written + 3 > out_size || written + 3 > SSIZE_MAX)
			return -ENOSPC;
		at[written++] = (uint8_t)(bits >> 16);
		at[written++] = (uint8_t)(bits >> 8);
		at[written++] = (uint8_t)bits;
		bits = 0;
		held = 0;
	}
	/* A last group of 2 or 3 characters holds 1 or 2 octets. */
	if (held == 1 || padding > 2 || (padding > 0 && held + padding != 4))
		return -EINVAL;
	if (held > 1) {
		if (written + held - 1 > out_size)
			return -ENOSPC;
		bits <<= 6 * (4 - held);
		at[written++] = (uint8_t)(bits >> 16);
		if (held == 3)
			at[written++] = (uint8_t)(bits >> 8);
	}
	return (ssize_t)written;
}
