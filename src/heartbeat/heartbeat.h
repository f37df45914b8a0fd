/*
 * heartbeat.h - proof of life for a dead man's switch: pings to a
 * healthchecks.io-compatible URL every interval (URL/start at start-up,
 * URL/fail while a self-check fails, a last one at stop) and, optionally,
 * an always-firing info alert agent_heartbeat for Alertmanager's "Watchdog"
 * pattern. Silence from the agent then means it, or its host, is gone.
 *
 * A producer (core/daemon.h): it submits its alert through event_submit, so
 * it starts after the alerter and stops before it. The self-checks read only
 * public interfaces: the daemon's late-tick counter, a write into the state
 * directory, event_sync() and the modules' reports in core/health.h.
 */
#ifndef SYSOPS_HEARTBEAT_H
#define SYSOPS_HEARTBEAT_H

#include <stddef.h>
#include <stdint.h>

#include "core/config.h" /* brings heartbeat_config.h */

struct daemon_module;
extern const struct daemon_module heartbeat_module;

#define HEARTBEAT_RULE	     "agent_heartbeat"
#define HEARTBEAT_PROBE_FILE "heartbeat"

/*
 * The ping URL with a healthchecks.io suffix ("/start", "/fail", or "" for
 * a plain ping) put before any query string. Returns 0, or -ENAMETOOLONG.
 */
int heartbeat_url(const char *url, const char *suffix, char *buffer,
		  size_t size);

#endif
