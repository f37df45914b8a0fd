/*
 * sha256.h - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), streaming and
 * one-shot. In-tree so the daemon needs no libcrypto for the webhook
 * signature (docs/DESIGN.md, "Channels").
 */
#ifndef SYSOPS_SHA256_H
#define SYSOPS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE 64

struct sha256 {
	uint32_t state[8];
	uint64_t length;                   /* bytes hashed so far */
	uint8_t block[SHA256_BLOCK_SIZE];  /* a partial block waiting */
	size_t used;                       /* bytes in block */
};

/* Input may be fed in pieces split anywhere; final wipes the context. */
void sha256_init(struct sha256 *context);
void sha256_update(struct sha256 *context, const void *data, size_t length);
void sha256_final(struct sha256 *context,
		  uint8_t digest[SHA256_DIGEST_SIZE]);
void sha256(const void *data, size_t length,
	    uint8_t digest[SHA256_DIGEST_SIZE]);

struct hmac_sha256 {
	struct sha256 inner;
	struct sha256 outer;  /* already fed key ^ opad */
};

/*
 * A key longer than the block size is hashed first (RFC 2104 section 2).
 * The contexts hold key-derived state: final wipes them.
 */
void hmac_sha256_init(struct hmac_sha256 *context, const void *key,
		      size_t key_length);
void hmac_sha256_update(struct hmac_sha256 *context, const void *data,
			size_t length);
void hmac_sha256_final(struct hmac_sha256 *context,
		       uint8_t mac[SHA256_DIGEST_SIZE]);
void hmac_sha256(const void *key, size_t key_length, const void *data,
		 size_t data_length, uint8_t mac[SHA256_DIGEST_SIZE]);

#endif
