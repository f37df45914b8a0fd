/*
 * daemon.h - the daemon's life: one sd-event loop that owns the collect timer,
 * the signals (TERM/INT stop, HUP reload), the watchdog and every I/O source
 * the modules attach.
 *
 * Modules join through struct daemon_module. Each says whether it consumes
 * events (alerter, history) or produces them (collectors, analyzer, log
 * scanner, checks); no module needs a position in the list:
 *
 *   start   consumers, then producers   (nothing emitted while a producer
 *                                        starts finds the sink missing)
 *   tick    producers, then consumers   (the pipeline's order)
 *   stop    producers, then consumers   (producers drain into live sinks)
 *   free    reverse of start            (after every module has stopped)
 */
#ifndef SYSOPS_DAEMON_H
#define SYSOPS_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "core/config.h"
#include "core/identity.h"

struct metric_registry;

#define DAEMON_MODULES_MAX 16

struct daemon {
	sd_event *event;
	struct metric_registry *metrics; /* created by the storage module */
	sd_event_source *collect_timer;
	struct config *config;
	const char *config_path;
	bool config_must_exist;
	int log_level_override; /* -1: the config's log_level decides */
	int state_dir_fd;
	char agent_id[IDENTITY_ID_MAX]; /* read at start, kept on reload */
	uint64_t next_tick_usec; /* CLOCK_MONOTONIC */
	uint64_t tick_count;
	uint64_t ticks_late;     /* ticks skipped because one ran too long */
	unsigned reloads_done, reloads_failed;
	bool ready_sent;
	bool trim_due; /* one-off work done: give its pages back after the
			  next tick (core/residency.h) */
	uint64_t heap_trimmed_usec; /* last residency_trim_heap() */
	bool stopping;
	bool stopped;            /* every started module's stop has run */
	bool network_sealed;     /* no AF_INET/AF_INET6 sockets (sandbox.h) */
	/* Start order (consumers first) and how many have started. */
	const struct daemon_module *order[DAEMON_MODULES_MAX];
	size_t module_count, modules_started;
};

enum daemon_role {
	DAEMON_CONSUMER,
	DAEMON_PRODUCER,
};


struct daemon_module {
	const char *name;
	enum daemon_role role;
	/* Attach sources to d->event; a negative return aborts start-up. */
	int (*start)(struct daemon *d);
	/* One collection tick, now_usec on CLOCK_REALTIME. */
	void (*tick)(struct daemon *d, uint64_t now_usec);
	/* After d->config was replaced by a valid new one. */
	int (*reload)(struct daemon *d, const struct config *old_config);
	/* Drain and flush: final events, cursors, state. Every module is still
	 * allocated. Must finish well within the 2 s stop budget. */
	void (*stop)(struct daemon *d);
	/* Release everything; no other module calls in after this. */
	void (*free)(struct daemon *d);
};

int daemon_init(struct daemon *d, struct config *config, const char *path,
		bool path_must_exist, int log_level_override);
/* Runs until SIGTERM/SIGINT; returns the process exit status. */
int daemon_run(struct daemon *d);
void daemon_free(struct daemon *d);

/* Whether anything but the alert channels reaches the network: the
 * heartbeat's pings, remote write, checks that connect (tcp, http, tls
 * with a target, redis). The delivery process carries all of it. */
bool daemon_uses_network(const struct config *config);

/* Applies log_level from the config unless -v/-q overrode it. */
void daemon_apply_log_level(const struct config *config, int override);

#endif
