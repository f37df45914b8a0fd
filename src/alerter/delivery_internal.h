/*
 * delivery_internal.h - the parts of delivery the alerter does not see: the
 * libcurl engine (delivery_curl.c), the framed messages between the daemon
 * and its delivery process (delivery_frame.c) and that process's own life
 * (delivery_child.c). docs/DESIGN.md ("Process model") draws the picture.
 */
#ifndef SYSOPS_ALERTER_DELIVERY_INTERNAL_H
#define SYSOPS_ALERTER_DELIVERY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "alerter/delivery.h"
#include "alerter/delivery_header.h"

/* --- the libcurl engine, run in whichever process sends --- */

struct delivery_curl;

struct delivery_curl *delivery_curl_new(sd_event *event);
void delivery_curl_free(struct delivery_curl *d);
int delivery_curl_send(struct delivery_curl *d, struct outgoing *out,
		       long connect_timeout_secs, long timeout_secs,
		       delivery_done_fn *done, void *userdata);
size_t delivery_curl_in_flight(const struct delivery_curl *d);

/* --- framed messages on SOCK_SEQPACKET: one frame per packet, each
 * opening with delivery_header.h's header --- */

/*
 * A body longer than DELIVERY_BODY_INLINE does not ride in its SEND frame:
 * the SEND frame gives its length, and BODY frames (request id, then up to
 * DELIVERY_BODY_INLINE bytes) follow at once, in order, until it is whole.
 * No channel formats more than DELIVERY_BODY_MAX.
 */
#define DELIVERY_BODY_INLINE (256 * 1024)
#define DELIVERY_BODY_MAX    (16 * 1024 * 1024)

/* A growing frame; its data is malloc'ed. */
struct delivery_frame {
	uint8_t *data;
	size_t length, capacity;
	int error; /* first failure of a put (-ENOMEM, -EMSGSIZE) */
};

/* Starts a frame of type; finish with delivery_frame_end. */
void delivery_frame_begin(struct delivery_frame *f,
			  enum delivery_frame_type type);
/* Writes the payload length; returns 0 or the first put's error. */
int delivery_frame_end(struct delivery_frame *f);
void delivery_frame_release(struct delivery_frame *f);

/* A request: id, timeouts and every field of out (a long body: its length
 * only; delivery_frame_body_encode then makes the BODY frames). */
int delivery_frame_send_encode(struct delivery_frame *f, uint32_t id,
			       const struct outgoing *out,
			       long connect_timeout_secs, long timeout_secs);
/*
 * Fills *out (owned by the caller, outgoing_free) from a SEND payload;
 * -EBADMSG when anything is out of bounds or unknown. *body_missing is how
 * many body bytes BODY frames must still bring (out->body is allocated for
 * all of out->body_length, and terminated).
 */
int delivery_frame_send_decode(const uint8_t *payload, size_t length,
			       uint32_t *id, struct outgoing *out,
			       long *connect_timeout_secs, long *timeout_secs,
			       size_t *body_missing);
/* A BODY frame: id and n bytes (at most DELIVERY_BODY_INLINE). */
int delivery_frame_body_encode(struct delivery_frame *f, uint32_t id,
			       const void *data, size_t n);
/* *data and *n point into payload. */
int delivery_frame_body_decode(const uint8_t *payload, size_t length,
			       uint32_t *id, const uint8_t **data, size_t *n);

/*
 * JOB and JOB_RESULT: id, then the bytes of core/offload.h's request or
 * answer (at most DELIVERY_JOB_MAX; their owner checks them).
 */
#define DELIVERY_JOB_MAX (64 * 1024)
int delivery_frame_job_encode(struct delivery_frame *f,
			      enum delivery_frame_type type, uint32_t id,
			      const void *data, size_t n);
/* *data and *n point into payload. */
int delivery_frame_job_decode(const uint8_t *payload, size_t length,
			      uint32_t *id, const uint8_t **data, size_t *n);

int delivery_frame_result_encode(struct delivery_frame *f, uint32_t id,
				 const struct delivery_result *result);
int delivery_frame_result_decode(const uint8_t *payload, size_t length,
				 uint32_t *id, struct delivery_result *result);

/* SPAWNED: the new delivery process's pid. */
int delivery_frame_pid_encode(struct delivery_frame *f, pid_t pid);
int delivery_frame_pid_decode(const uint8_t *payload, size_t length,
			      pid_t *pid);

#endif
