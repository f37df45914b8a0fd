/*
 * offload.h - work a module hands to an unprivileged helper process: the
 * network checks' conversations go to the delivery process (alerter/
 * delivery.h registers itself here), so that the main process, which holds
 * capabilities, never parses what a network peer sent. Requests and answers
 * are opaque bytes to the transport; their owner encodes and checks them.
 */
#ifndef SYSOPS_CORE_OFFLOAD_H
#define SYSOPS_CORE_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

/*
 * The answer to one request: error 0 with the answer's bytes, or -errno
 * (the helper ended, or could not be started) with none. A negative return
 * says the answer is malformed: the transport then ends that helper.
 */
typedef int offload_done_fn(void *userdata, int error, const uint8_t *answer,
			    size_t length);

struct offload_transport {
	/* Copies request; done is called exactly once from the loop,
	 * unless forget(userdata) comes first. 0 or -errno. */
	int (*submit)(void *context, const void *request, size_t length,
		      offload_done_fn *done, void *userdata);
	void (*forget)(void *context, void *userdata);
};

void offload_set_transport(const struct offload_transport *transport,
			   void *context);
/* Whether a helper process takes requests now. */
bool offload_available(void);
/* -ENOTCONN without a transport. */
int offload_submit(const void *request, size_t length, offload_done_fn *done,
		   void *userdata);
/* Its done is not called; nothing without a transport. */
void offload_forget(void *userdata);

/*
 * The other end, in the helper process: whoever answers the requests
 * (checks.h's probes), set by main.c before the helper runs, so that the
 * helper's code need not know its owners. serve runs one request in event
 * and calls answer exactly once (perhaps before it returns); 0, or -EBADMSG
 * for a malformed request. stop abandons what is in flight.
 */
typedef void offload_answer_fn(void *userdata, const void *answer,
			       size_t length);
struct offload_server {
	int (*serve)(sd_event *event, const uint8_t *request, size_t length,
		     offload_answer_fn *answer, void *userdata);
	void (*stop)(void);
};

void offload_set_server(const struct offload_server *server);
/* -EOPNOTSUPP without a server. */
int offload_serve(sd_event *event, const uint8_t *request, size_t length,
		  offload_answer_fn *answer, void *userdata);
void offload_stop(void);

#endif
