/*
 * checks.h - service checks ([[checks]]: processes, units, ports, HTTP,
 * certificates, commands, Redis, expected listeners) and the watch of
 * listening sockets ([listeners]), as a producer module of the daemon.
 *
 * Every result is a series in the metric registry (check.up{check=NAME},
 * check.latency_seconds, check.cert_expiry_days, redis.*, listen.*), and
 * every failure fires and resolves an ALERT_STATE event through
 * event_submit() with its reason in words. Nothing blocks a tick: sockets
 * connect in the event loop, HTTP goes through libcurl's multi interface,
 * commands are reaped by sd-event child sources, D-Bus calls are
 * asynchronous. The agent still listens on nothing and binds nothing.
 */
#ifndef SYSOPS_CHECKS_H
#define SYSOPS_CHECKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "core/config.h"

struct metric_registry;
struct checks;
struct offload_server;

extern const struct config_section checks_section, listeners_section;

/* The daemon module "checks" (after the collectors, before the analyzer). */
struct daemon_module;
extern const struct daemon_module checks_module;

/*
 * Checks of config writing into metrics, run from event (the daemon's loop,
 * or a test's); state_fd is the state directory (firing alerts and the
 * listener baseline survive restarts), or -1. Returns 0 or -errno.
 */
int checks_new(const struct config *config, struct metric_registry *metrics,
	       sd_event *event, int state_fd, struct checks **out);

/*
 * One tick at now_usec (CLOCK_REALTIME): writes what the runs finished
 * since the last tick, scans listeners, starts every check that is due.
 */
void checks_tick(struct checks *checks, int64_t now_usec);

/*
 * Moves to a new configuration (the old one is freed after this returns):
 * a check keeps its state when its name and type stay; the others are
 * stopped, their alerts resolved and their series retired.
 */
int checks_reload(struct checks *checks, const struct config *config);

/* Abandons runs in flight (children killed and reaped), saves the state. */
void checks_stop(struct checks *checks);
void checks_free(struct checks *checks);

/* Runs in flight or waiting for a command slot (tests and the bench). */
size_t checks_busy(const struct checks *checks);

/*
 * core/offload.h's server for the delivery process (alerter/delivery.h):
 * the daemon's network checks hold their conversations there, unprivileged,
 * and send back only what they found. main.c installs it before the
 * delivery launcher runs.
 */
extern const struct offload_server checks_probe_server;

/* ---- parsers, public for their tests ---- */

/* What the agent reads of an X.509 certificate. */
struct checks_certificate {
	int64_t not_after; /* Unix seconds */
	char subject[128]; /* first DNS name, else the subject CN */
};

/*
 * The first certificate of a PEM text (DER read by hand: notAfter, subject
 * CN and the first subjectAltName DNS entry). 0, or -EINVAL / -ENOENT (no
 * certificate in the text).
 */
int checks_certificate_from_pem(const char *pem, size_t length,
				struct checks_certificate *out);
int checks_certificate_from_der(const unsigned char *der, size_t length,
				struct checks_certificate *out);

/* The value of key in a Redis INFO text; 0, or -ENOENT. */
int checks_redis_info_field(const char *info, const char *key, char *value,
			    size_t size);

#endif
