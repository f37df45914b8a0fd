/*
 * sha256.c - SHA-256 as specified in FIPS 180-4 (sections 4.1.2, 4.2.2,
 * 5.1.1, 5.3.3, 6.2) and HMAC over it as in RFC 2104. Written for clarity,
 * not speed: it signs one webhook body per delivery.
 */
#include <string.h>

#include "core/sha256.h"

/* First 32 bits of the fractional parts of the cube roots of the first 64
 * primes (FIPS 180-4 4.2.2). */
static const uint32_t round_constants[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* First 32 bits of the fractional parts of the square roots of the first 8
 * primes (FIPS 180-4 5.3.3). */
static const uint32_t initial_state[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static inline uint32_t rotate_right(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static inline uint32_t load_big_endian(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline void store_big_endian(uint8_t *p, uint32_t x)
{
	p[0] = (uint8_t)(x >> 24);
	p[1] = (uint8_t)(x >> 16);
	p[2] = (uint8_t)(x >> 8);
	p[3] = (uint8_t)x;
}

/* One 512-bit block through the compression function (FIPS 180-4 6.2.2). */
static void compress(uint32_t state[8], const uint8_t block[64])
{
	uint32_t schedule[64], a, b, c, d, e, f, g, h;

	for (int t = 0; t < 16; t++)
		schedule[t] = load_big_endian(block + 4 * t);
	for (int t = 16; t < 64; t++) {
		uint32_t w15 = schedule[t - 15], w2 = schedule[t - 2];
		uint32_t sigma0 = rotate_right(w15, 7) ^
				  rotate_right(w15, 18) ^ (w15 >> 3);
		uint32_t sigma1 = rotate_right(w2, 17) ^
				  rotate_right(w2, 19) ^ (w2 >> 10);

		schedule[t] = sigma1 + schedule[t - 7] + sigma0 +
			      schedule[t - 16];
	}
	a = state[0];
	b = state[1];
	c = state[2];
	d = state[3];
	e = state[4];
	f = state[5];
	g = state[6];
	h = state[7];
	for (int t = 0; t < 64; t++) {
		uint32_t big_sigma1 = rotate_right(e, 6) ^ rotate_right(e, 11) ^
				      rotate_right(e, 25);
		uint32_t choose = (e & f) ^ (~e & g);
		uint32_t big_sigma0 = rotate_right(a, 2) ^ rotate_right(a, 13) ^
				      rotate_right(a, 22);
		uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
		uint32_t t1 = h + big_sigma1 + choose + round_constants[t] +
			      schedule[t];
		uint32_t t2 = big_sigma0 + majority;

		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	state[0] += a;
	state[1] += b;
	state[2] += c;
	state[3] += d;
	state[4] += e;
	state[5] += f;
	state[6] += g;
	state[7] += h;
	explicit_bzero(schedule, sizeof(schedule));
}

void sha256_init(struct sha256 *context)
{
	memcpy(context->state, initial_state, sizeof(initial_state));
	context->length = 0;
	context->used = 0;
}

void sha256_update(struct sha256 *context, const void *data, size_t length)
{
	const uint8_t *p = data;

	if (length == 0)
		return;  /* data may then be NULL */
	context->length += length;
	if (context->used > 0) {
		size_t take = SHA256_BLOCK_SIZE - context->used;

		if (take > length)
			take = length;
		memcpy(context->block + context->used, p, take);
		context->used += take;
		p += take;
		length -= take;
		if (context->used < SHA256_BLOCK_SIZE)
			return;
		compress(context->state, context->block);
		context->used = 0;
	}
	for (; length >= SHA256_BLOCK_SIZE; length -= SHA256_BLOCK_SIZE) {
		compress(context->state, p);
		p += SHA256_BLOCK_SIZE;
	}
	if (length > 0) {
		memcpy(context->block, p, length);
		context->used = length;
	}
}

/* Padding (FIPS 180-4 5.1.1): a 1 bit, zeros up to 56 mod 64 bytes, then
 * the message length in bits as a 64-bit big-endian number. */
void sha256_final(struct sha256 *context,
		  uint8_t digest[SHA256_DIGEST_SIZE])
{
	uint64_t bits = context->length * 8;

	context->block[context->used++] = 0x80;
	if (context->used > SHA256_BLOCK_SIZE - 8) {
		memset(context->block + context->used, 0,
		       SHA256_BLOCK_SIZE - context->used);
		compress(context->state, context->block);
		context->used = 0;
	}
	memset(context->block + context->used, 0,
	       SHA256_BLOCK_SIZE - 8 - context->used);
	store_big_endian(context->block + 56, (uint32_t)(bits >> 32));
	store_big_endian(context->block + 60, (uint32_t)bits);
	compress(context->state, context->block);
	for (int i = 0; i < 8; i++)
		store_big_endian(digest + 4 * i, context->state[i]);
	explicit_bzero(context, sizeof(*context));
}

void sha256(const void *data, size_t length,
	    uint8_t digest[SHA256_DIGEST_SIZE])
{
	struct sha256 context;

	sha256_init(&context);
	sha256_update(&context, data, length);
	sha256_final(&context, digest);
}

void hmac_sha256_init(struct hmac_sha256 *context, const void *key,
		      size_t key_length)
{
	uint8_t block_key[SHA256_BLOCK_SIZE] = { 0 }, pad[SHA256_BLOCK_SIZE];

	if (key_length > SHA256_BLOCK_SIZE)
		sha256(key, key_length, block_key);
	else if (key_length > 0)
		memcpy(block_key, key, key_length);
	for (int i = 0; i < SHA256_BLOCK_SIZE; i++)
		pad[i] = block_key[i] ^ 0x36;
	sha256_init(&context->inner);
	sha256_update(&context->inner, pad, sizeof(pad));
	for (int i = 0; i < SHA256_BLOCK_SIZE; i++)
		pad[i] = block_key[i] ^ 0x5c;
	sha256_init(&context->outer);
	sha256_update(&context->outer, pad, sizeof(pad));
	explicit_bzero(block_key, sizeof(block_key));
	explicit_bzero(pad, sizeof(pad));
}

void hmac_sha256_update(struct hmac_sha256 *context, const void *data,
			size_t length)
{
	sha256_update(&context->inner, data, length);
}

void hmac_sha256_final(struct hmac_sha256 *context,
		       uint8_t mac[SHA256_DIGEST_SIZE])
{
	uint8_t inner_digest[SHA256_DIGEST_SIZE];

	sha256_final(&context->inner, inner_digest);
	sha256_update(&context->outer, inner_digest, sizeof(inner_digest));
	sha256_final(&context->outer, mac);
	explicit_bzero(inner_digest, sizeof(inner_digest));
}

void hmac_sha256(const void *key, size_t key_length, const void *data,
		 size_t data_length, uint8_t mac[SHA256_DIGEST_SIZE])
{
	struct hmac_sha256 context;

	hmac_sha256_init(&context, key, key_length);
	hmac_sha256_update(&context, data, data_length);
	hmac_sha256_final(&context, mac);
}
