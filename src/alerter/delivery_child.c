/*
 * delivery_child.c - the delivery process: the daemon's binary exec'ed by
 * the launcher (src/launcher: no libcurl, no config, no capabilities). It
 * loads libcurl, confines itself with its seccomp filter and sends what
 * the daemon's SEND frames ask, answering each with a RESULT frame, until
 * the daemon closes its socket.
 */
#include "alerter/delivery_internal.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alerter/channel.h"
#include "core/log.h"
#include "core/offload.h"
#include "core/privilege.h"
#include "core/sandbox.h"
#include "launcher/launcher.h"

/* What ps and the tests see. */
#define DELIVERY_PROCESS_NAME "sysops-deliver"

/* A request whose long body is still coming in BODY frames. */
struct assembly {
	struct outgoing out;
	struct request *request;
	long connect_timeout, timeout;
	size_t missing; /* 0: none in progress */
};

struct child {
	int fd;
	sd_event *event;
	struct delivery_curl *engine;
	struct delivery_frame frame;
	uint8_t *packet; /* DELIVERY_FRAME_MAX + 1 */
	struct assembly assembly;
};

/* A request's callback context: the daemon's id for it. */
struct request {
	struct child *child;
	uint32_t id;
};

static void on_result(void *userdata, const struct delivery_result *result)
{
	struct request *request = userdata;
	struct child *c = request->child;
	uint32_t id = request->id;

	free(request);
	if (delivery_frame_result_encode(&c->frame, id, result) < 0 ||
	    send(c->fd, c->frame.data, c->frame.length, MSG_NOSIGNAL) < 0)
		/* The daemon is gone or the frame cannot go: the daemon
		 * retries whatever it does not hear about. */
		sd_event_exit(c->event, EXIT_FAILURE);
}

static void start_request(struct child *c, struct request *request,
			  struct outgoing *out, long connect_timeout,
			  long timeout)
{
	if (delivery_curl_send(c->engine, out, connect_timeout, timeout,
			       on_result, request) < 0) {
		struct delivery_result result = {.outcome = DELIVERY_RETRY,
						 .retry_after_secs = -1};

		snprintf(result.error, sizeof(result.error),
			 "the delivery process cannot start a request");
		on_result(request, &result);
	}
}

/* A probe's answer, as a JOB_RESULT frame. */
static void on_job_answer(void *userdata, const void *answer, size_t length)
{
	struct request *request = userdata;
	struct child *c = request->child;
	uint32_t id = request->id;

	free(request);
	if (delivery_frame_job_encode(&c->frame, DELIVERY_FRAME_JOB_RESULT, id,
				      answer, length) < 0 ||
	    send(c->fd, c->frame.data, c->frame.length, MSG_NOSIGNAL) < 0)
		sd_event_exit(c->event, EXIT_FAILURE);
}

/* A JOB: a network check's probe (core/offload.h's server: checks.h),
 * answered when it is over. */
static int start_job(struct child *c, const uint8_t *payload, size_t length)
{
	struct request *request = calloc(1, sizeof(*request));
	const uint8_t *data;
	size_t n;
	int r;

	if (request == NULL)
		return -ENOMEM;
	request->child = c;
	r = delivery_frame_job_decode(payload, length, &request->id, &data, &n);
	if (r == 0)
		r = offload_serve(c->event, data, n, on_job_answer, request);
	if (r < 0)
		free(request);
	return r;
}

/* The next BODY frame of the request being assembled. */
static int take_body(struct child *c, int type, const uint8_t *payload,
		     size_t length)
{
	struct assembly *a = &c->assembly;
	const uint8_t *data;
	size_t n;
	uint32_t id;

	if (type != DELIVERY_FRAME_BODY ||
	    delivery_frame_body_decode(payload, length, &id, &data, &n) < 0 ||
	    id != a->request->id || n > a->missing)
		return -EBADMSG;
	memcpy(a->out.body + a->out.body_length - a->missing, data, n);
	a->missing -= n;
	if (a->missing == 0)
		start_request(c, a->request, &a->out, a->connect_timeout,
			      a->timeout);
	return 0;
}

static int on_frame(sd_event_source *source, int fd, uint32_t revents,
		    void *userdata)
{
	struct child *c = userdata;
	struct assembly *a = &c->assembly;
	const uint8_t *payload;
	size_t length;
	ssize_t n;
	int type;

	(void)source;
	(void)revents;
	n = recv(fd, c->packet, DELIVERY_FRAME_MAX + 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) /* the daemon closed it: idle, or stopping */
		return sd_event_exit(c->event, EXIT_SUCCESS);
	type = delivery_frame_check(c->packet, (size_t)n, &payload, &length);
	if (a->missing > 0) {
		if (take_body(c, type, payload, length) < 0)
			goto malformed;
		return 0;
	}
	if (type == DELIVERY_FRAME_JOB) {
		if (start_job(c, payload, length) < 0)
			goto malformed;
		return 0;
	}
	a->request = calloc(1, sizeof(*a->request));
	if (a->request == NULL)
		return sd_event_exit(c->event, EXIT_FAILURE);
	a->request->child = c;
	if (type != DELIVERY_FRAME_SEND ||
	    delivery_frame_send_decode(payload, length, &a->request->id,
				       &a->out, &a->connect_timeout,
				       &a->timeout, &a->missing) < 0) {
		free(a->request);
		a->request = NULL;
		goto malformed;
	}
	if (a->missing == 0)
		start_request(c, a->request, &a->out, a->connect_timeout,
			      a->timeout);
	return 0;
malformed:
	log_error("delivery: malformed frame from the daemon; exiting");
	return sd_event_exit(c->event, EXIT_FAILURE);
}

/* The delivery process: confined, then serving until EOF. */
static int child_run(int fd)
{
	struct child c = {.fd = fd};
	int r;

	prctl(PR_SET_NAME, DELIVERY_PROCESS_NAME, 0, 0, 0);
	/* libcurl and its TLS library are mapped before the filter, so the
	 * filter need not allow what loading them takes beyond reading. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return EXIT_FAILURE;
	r = sandbox_confine_delivery();
	if (r == -EOPNOTSUPP)
		log_notice("delivery: built without libseccomp; the delivery "
			   "process runs without a seccomp filter");
	if (r < 0 && r != -EOPNOTSUPP)
		return EXIT_FAILURE;
	c.packet = malloc(DELIVERY_FRAME_MAX + 1);
	if (c.packet == NULL || sd_event_new(&c.event) < 0)
		return EXIT_FAILURE;
	c.engine = delivery_curl_new(c.event);
	if (c.engine == NULL ||
	    sd_event_add_io(c.event, NULL, fd, EPOLLIN, on_frame, &c) < 0)
		return EXIT_FAILURE;
	r = sd_event_loop(c.event);
	/* Transfers still in flight are abandoned: the daemon has already
	 * counted them as not sent. */
	delivery_curl_free(c.engine);
	offload_stop();
	delivery_frame_release(&c.frame);
	sd_event_unref(c.event);
	free(c.packet);
	return r < 0 ? EXIT_FAILURE : r;
}

int delivery_launcher_command(int argc, char **argv)
{
	/* argv: the command's name, then the daemon's log level. The
	 * helper's code (launcher.h), for when the helper is not installed.
	 * No exit hooks: nothing here is buffered. */
	_exit(launcher_run(argc == 2 ? atoi(argv[1]) : LOG_INFO));
}

int delivery_process_command(int argc, char **argv)
{
	/* argv: the command's name, then the daemon's log level. */
	log_open(LOG_TARGET_AUTO);
	if (argc == 2)
		log_set_level(atoi(argv[1]));
	/* The launcher gone, nothing here has a purpose (its own parent
	 * death signal does not survive the exec of this binary). */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1)
		_exit(EXIT_FAILURE);
	/* The launcher dropped them already: this says so, or refuses. */
	if (privilege_drop_all() < 0)
		_exit(EXIT_FAILURE);
	/* No exit hooks: under its filter a hook could hang the process (a
	 * sanitizer's leak check at exit clones a tracer that the filter
	 * kills at ptrace, then waits for it forever). */
	_exit(child_run(LAUNCHER_CONTROL_FD));
}
