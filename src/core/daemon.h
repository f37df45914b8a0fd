/*
 * daemon.h - the daemon's life: one sd-event loop that owns the collect timer,
 * the signals (TERM/INT stop, HUP reload), the watchdog and every I/O source
 * the modules attach.
 *
 * Modules join through struct daemon_module (daemon.c lists them in order:
 * collectors, then analyzer, then alerter), so a tick runs the pipeline in
 * that order, and a stop too: the alerter flushes last.
 */
#ifndef SYSOPS_DAEMON_H
#define SYSOPS_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "core/config.h"

struct metric_registry;

struct daemon {
	sd_event *event;
	struct metric_registry *metrics; /* created by the storage module */
	sd_event_source *collect_timer;
	struct config *config;
	const char *config_path;
	bool config_must_exist;
	int log_level_override; /* -1: the config's log_level decides */
	int state_dir_fd;
	uint64_t next_tick_usec; /* CLOCK_MONOTONIC */
	uint64_t tick_count;
	uint64_t ticks_late;     /* ticks skipped because one ran too long */
	unsigned reloads_done, reloads_failed;
	bool ready_sent;
	bool stopping;
};

struct daemon_module {
	const char *name;
	/* Attach sources to d->event; a negative return aborts start-up. */
	int (*start)(struct daemon *d);
	/* One collection tick, now_usec on CLOCK_REALTIME. */
	void (*tick)(struct daemon *d, uint64_t now_usec);
	/* After d->config was replaced by a valid new one. */
	int (*reload)(struct daemon *d, const struct config *old_config);
	/* Flush state; must finish well within the 2 s stop budget. */
	void (*stop)(struct daemon *d);
};

int daemon_init(struct daemon *d, struct config *config, const char *path,
		bool path_must_exist, int log_level_override);
/* Runs until SIGTERM/SIGINT; returns the process exit status. */
int daemon_run(struct daemon *d);
void daemon_free(struct daemon *d);

/* Applies log_level from the config unless -v/-q overrode it. */
void daemon_apply_log_level(const struct config *config, int override);

#endif
