/*
 * offload.c - the one transport for work done in a helper process (see
 * offload.h): set by the delivery while it can take requests.
 */
#include "core/offload.h"

#include <errno.h>

static const struct offload_transport *transport;
static void *transport_context;
static const struct offload_server *server;

void offload_set_transport(const struct offload_transport *t, void *context)
{
	transport = t;
	transport_context = context;
}

bool offload_available(void)
{
	return transport != NULL;
}

int offload_submit(const void *request, size_t length, offload_done_fn *done,
		   void *userdata)
{
	if (transport == NULL)
		return -ENOTCONN;
	return transport->submit(transport_context, request, length, done,
				 userdata);
}

void offload_forget(void *userdata)
{
	if (transport != NULL)
		transport->forget(transport_context, userdata);
}

void offload_set_server(const struct offload_server *s)
{
	server = s;
}

int offload_serve(sd_event *event, const uint8_t *request, size_t length,
		  offload_answer_fn *answer, void *userdata)
{
	if (server == NULL)
		return -EOPNOTSUPP;
	return server->serve(event, request, length, answer, userdata);
}

void offload_stop(void)
{
	if (server != NULL)
		server->stop();
}
