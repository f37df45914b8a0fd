/*
 * collector_config.h - the [collectors.<name>] settings. Included by
 * core/config.h after struct config_string_list; include core/config.h (or
 * collector/collector.h), not this file, elsewhere.
 */
#ifndef SYSOPS_COLLECTOR_CONFIG_H
#define SYSOPS_COLLECTOR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

/* [collectors.cpu], [collectors.memory], ... that only switch on/off. */
struct collector_switch_config {
	bool enabled;
};

struct cpu_collector_config {
	bool enabled;
	bool per_core;
};

struct disk_collector_config {
	bool enabled;
	struct config_string_list fstypes;        /* filesystems watched */
	struct config_string_list exclude_mounts; /* fnmatch patterns */
	struct config_string_list exclude_devices;
};

struct network_collector_config {
	bool enabled;
	struct config_string_list exclude_interfaces; /* fnmatch patterns */
};

struct process_collector_config {
	bool enabled;
	int64_t top_count;          /* top N by CPU and by RSS */
	int64_t watch_count;        /* long-running processes watched */
	int64_t long_running_secs;
	int64_t max_processes;      /* pids tracked for CPU deltas */
};

struct cgroup_collector_config {
	bool enabled;
	int64_t max_cgroups;
};

struct docker_collector_config {
	bool enabled;
	char *socket_path;
};

/* Every [collectors.<name>] section. */
struct collectors_config {
	struct cpu_collector_config cpu;
	struct collector_switch_config memory;
	struct collector_switch_config load;
	struct disk_collector_config disk;
	struct network_collector_config network;
	struct collector_switch_config fd;
	struct process_collector_config process;
	struct cgroup_collector_config cgroup;
	struct collector_switch_config host;
	struct collector_switch_config systemd;
	struct docker_collector_config docker;
};

#endif
