/*
 * delivery.h - sends formatted requests with libcurl's multi interface from
 * inside the sd-event loop: curl's sockets become sd-event io sources and
 * its timeout an sd-event timer, so no request ever blocks the loop.
 */
#ifndef SYSOPS_ALERTER_DELIVERY_H
#define SYSOPS_ALERTER_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "alerter/channel.h"

enum delivery_outcome {
	DELIVERY_OK,
	DELIVERY_RETRY,      /* network error, timeout, 408, 429, 5xx */
	DELIVERY_PERMANENT,  /* other 4xx, malformed URL: retrying is futile */
};

struct delivery_result {
	enum delivery_outcome outcome;
	long status;               /* HTTP or SMTP reply code, 0 if none */
	double retry_after_secs;   /* asked by the service, or -1 */
	char error[256];           /* curl's words, secrets masked */
	char body[512];            /* start of the response, secrets masked */
};

typedef void delivery_done_fn(void *userdata,
			      const struct delivery_result *result);

struct delivery;

struct delivery *delivery_new(sd_event *event);
/* Aborts what is in flight (its callbacks are not called). */
void delivery_free(struct delivery *delivery);

/*
 * Starts one request; takes ownership of *out (cleared). done is called
 * exactly once, from the loop, unless delivery_free comes first.
 */
int delivery_send(struct delivery *delivery, struct outgoing *out,
		  long connect_timeout_secs, long timeout_secs,
		  delivery_done_fn *done, void *userdata);

size_t delivery_in_flight(const struct delivery *delivery);

/* The outcome for a finished transfer (exposed for unit tests). */
enum delivery_outcome delivery_classify(int curl_code, long status,
					bool smtp);

#endif
