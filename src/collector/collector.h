/*
 * collector.h - the collectors: one source file each under src/collector,
 * read through [agent] proc_root / sys_root, written into the metric
 * registry every tick with the tick's time.
 *
 * The daemon runs them through collector_module (first in the pipeline);
 * `sysops-agent once` runs them twice one interval apart and prints the lot.
 */
#ifndef SYSOPS_COLLECTOR_H
#define SYSOPS_COLLECTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

struct metric_registry;
struct collector_set;

/*
 * Opens proc_root / sys_root and starts every enabled collector; a source
 * that is absent (no /proc/pressure, no cgroup v2) is reported once and left
 * out. Returns 0 or -errno.
 */
int collector_set_new(const struct config *config,
		      struct metric_registry *metrics,
		      struct collector_set **out);

/* One collection: every sample is stamped with now_usec. */
void collector_set_collect(struct collector_set *set, int64_t now_usec);

void collector_set_free(struct collector_set *set);

/*
 * The daemon's state directory (fd), where the host collector remembers the
 * boot id so a reboot is noticed across restarts; -1 (the default) for none.
 */
void collector_set_use_state_dir(struct collector_set *set, int dirfd);

/*
 * The daemon's sd-event loop (an sd_event *): the systemd and docker
 * collectors read their answers from it between ticks.
 */
void collector_set_use_event(struct collector_set *set, void *event);

/*
 * Lets collectors that ask another process (systemd, Docker) wait up to a
 * couple of seconds for the answer within a tick: for `once`, never for
 * the daemon.
 */
void collector_set_allow_waiting(struct collector_set *set);

/*
 * Where collectors send the events they detect themselves (a filesystem
 * remounted read-only, an unsynchronised clock, a reboot, an OOM kill, a
 * unit entering the failed state): alert_submit for the daemon, a capture
 * function in tests, NULL (the default, and `once`) for none.
 */
struct alert_event;
typedef int (*collector_alert_sink)(const struct alert_event *event);
void collector_set_alerts(struct collector_set *set, collector_alert_sink sink);

/* Parse errors so far in a collector (by name), for tests; -1 if unknown. */
long collector_set_errors(const struct collector_set *set, const char *name);

/* Whether a collector is running (enabled and its source present). */
bool collector_set_active(const struct collector_set *set, const char *name);

/*
 * Context for alerts, kept by the process collector each tick (cheap: it
 * comes out of the walk over /proc the collector makes anyway): the top
 * processes by CPU over the last interval, by resident memory (with their
 * growth since they entered that top) and the processes in uninterruptible
 * sleep (waiting on I/O). The analyzer formats it when an alert fires.
 */
#define COLLECTOR_TOP_MAX  5
#define COLLECTOR_COMM_MAX 32

struct collector_process {
	int32_t pid;
	uint32_t uid; /* owner of /proc/PID; UINT32_MAX unknown */
	char comm[COLLECTOR_COMM_MAX];
	double cpu_percent; /* of one core over the interval; < 0 unknown */
	uint64_t rss_bytes;
	int64_t rss_growth_bytes; /* since first_seen_usec */
	int64_t first_seen_usec;  /* when it entered the top by RSS */
	uint64_t fd_count;	  /* collector_set_top_fds only */
};

struct collector_top {
	int64_t time_usec;    /* the tick it was taken in; 0: none yet */
	double interval_secs; /* what cpu_percent is measured over */
	size_t cpu_count, rss_count, blocked_count;
	struct collector_process cpu[COLLECTOR_TOP_MAX];
	struct collector_process rss[COLLECTOR_TOP_MAX];
	struct collector_process blocked[COLLECTOR_TOP_MAX];
};

/* The last tick's snapshot; false when the process collector is off. */
bool collector_set_top_processes(const struct collector_set *set,
				 struct collector_top *out);

/*
 * Counts the open descriptors of every process now (readable ones only
 * without CAP_DAC_READ_SEARCH) and keeps the max highest into out, highest
 * first; returns how many. A walk over /proc/PID/fd: for an alert that
 * fired, never on every tick.
 */
size_t collector_set_top_fds(const struct collector_set *set,
			     struct collector_process *out, size_t max);

/* The daemon's collectors (NULL outside the daemon or before start). */
const struct collector_set *collector_running(void);

extern const struct config_section collector_cpu_section,
	collector_memory_section, collector_load_section,
	collector_disk_section, collector_network_section,
	collector_fd_section, collector_process_section,
	collector_cgroup_section, collector_host_section,
	collector_systemd_section, collector_docker_section;

/*
 * One /proc/PID/stat line, as the process collector reads it; the checks
 * read the same (process checks, listening sockets' owners).
 */
struct collector_pid_stat {
	char comm[32];
	char state;	    /* R, S, D, Z, ... */
	uint64_t cpu_ticks; /* utime + stime, in clock ticks */
	uint64_t threads;
	uint64_t start_ticks; /* since boot, in clock ticks */
	uint64_t rss_pages;
};

/* False when the line is not a stat line (comm may hold spaces and ')'). */
bool collector_parse_pid_stat(const char *text, struct collector_pid_stat *out);

/*
 * "PID" + suffix ("/fd", "/stat", "") under /proc, cut to size: built per
 * process and tick, so without snprintf's machinery.
 */
void collector_pid_path(char *path, size_t size, int32_t pid,
			const char *suffix);

/* The daemon module "storage+collectors" (first in modules[]). */
struct daemon_module;
extern const struct daemon_module collector_module;

/* `sysops-agent once [-c FILE] [--json]` */
int collector_command_once(int argc, char **argv);

#endif
