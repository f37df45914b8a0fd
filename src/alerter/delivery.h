/*
 * delivery.h - sends formatted requests without blocking the loop. In the
 * daemon they go to a separate delivery process (no capabilities,
 * no_new_privs, its own seccomp filter; started on demand, gone when idle)
 * over a socketpair; that process alone loads libcurl. Without
 * delivery_configure (test-alert) they are sent in this process.
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

/* The hidden command that runs the launcher in this binary (main.c
 * dispatches it). */
#define DELIVERY_LAUNCHER_COMMAND "__delivery-launcher"

struct delivery *delivery_new(sd_event *event);
/*
 * Sends through delivery processes from now on, each closed after
 * [alerting] delivery_idle_secs without a request, and carries the
 * daemon's other network work too: http_client's requests (core/http.h's
 * transport: the heartbeat, remote write) and the network checks'
 * conversations (core/offload.h's jobs, answered by its server in the
 * delivery process: checks.h's checks_probe_server). Starts the launcher
 * at once when a network channel is configured or network_users (again on
 * reload), so that it exists before the daemon seals its network.
 */
void delivery_configure(struct delivery *delivery,
			const struct alerting_config *alerting,
			bool network_users);
/* Whether a launcher runs: network delivery happens outside this process,
 * which may then seal its own network (core/sandbox.h). */
bool delivery_separated(void);
/* Runs the launcher (launcher.h) in this binary, when the helper binary
 * sysops-launch is not installed; does not return. */
int delivery_launcher_command(int argc, char **argv);
/* The hidden command LAUNCHER_DELIVERY_COMMAND (launcher.h): a delivery
 * process, its socket on descriptor 3; does not return. */
int delivery_process_command(int argc, char **argv);
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
