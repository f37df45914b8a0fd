/*
 * delivery_header.h - the header of every frame between the daemon, its
 * launcher and its delivery processes, and its check. Dependency-free
 * (libc alone): the launcher helper links delivery_header.c too, so that
 * there is one copy of the check.
 */
#ifndef SYSOPS_ALERTER_DELIVERY_HEADER_H
#define SYSOPS_ALERTER_DELIVERY_HEADER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Header: version (1 byte), type (1 byte), flags (2 bytes, zero), payload
 * length (4 bytes, host order: both ends are the same binary on one host).
 * A packet is exactly header + payload; anything else is malformed.
 */
#define DELIVERY_FRAME_VERSION 1
#define DELIVERY_FRAME_HEADER  8
/*
 * A unix SEQPACKET socket carries up to its send buffer less 32 bytes:
 * 416 KiB with the default net.core.wmem_max (212992, doubled). 384 KiB
 * leaves room; the largest message a channel formats is far smaller.
 */
#define DELIVERY_FRAME_MAX (384 * 1024)

enum delivery_frame_type {
	DELIVERY_FRAME_SEND = 1,    /* daemon -> delivery: one request */
	DELIVERY_FRAME_RESULT = 2,  /* delivery -> daemon: its outcome */
	DELIVERY_FRAME_SPAWN = 3,   /* daemon -> launcher: start one (+ fd) */
	DELIVERY_FRAME_SPAWNED = 4, /* launcher -> daemon: its pid */
	DELIVERY_FRAME_BODY = 5,    /* daemon -> delivery: more of a body */
	DELIVERY_FRAME_JOB = 6,	    /* daemon -> delivery: a check's probe */
	DELIVERY_FRAME_JOB_RESULT = 7, /* delivery -> daemon: what it found */
};

/* Writes the DELIVERY_FRAME_HEADER bytes of a frame of type whose payload
 * is length bytes long. */
void delivery_frame_header(uint8_t *header, enum delivery_frame_type type,
			   uint32_t length);

/*
 * Checks a received packet of n bytes: header, version, flags, a known
 * type, and a length that matches n. Returns the type with *payload and
 * *payload_length set, or -EBADMSG (short, wrong length), -EPROTO (version,
 * flags, type) or -EMSGSIZE (over DELIVERY_FRAME_MAX).
 */
int delivery_frame_check(const uint8_t *packet, size_t n,
			 const uint8_t **payload, size_t *payload_length);

#endif
