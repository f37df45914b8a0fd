/*
 * collector_config.c - the [collectors.<name>] sections: each collector can
 * be switched off, and a few take options (filesystem types, interfaces to
 * skip, how many processes to rank and watch).
 */
#include <stddef.h>

#include "collector/collector.h"
#include "core/config.h"
#include "core/util.h"

#define SECTION_OFFSET(member) \
	(offsetof(struct config, collectors) + \
	 offsetof(struct collectors_config, member))

#define ENABLED_KEY(section_type, default_value, what)                      \
	{ .name = "enabled", .type = CONFIG_BOOLEAN,                        \
	  .offset = offsetof(section_type, enabled),                        \
	  .default_text = default_value, .description = what }

#define SWITCH_SECTION(var, member, what, key_what)                          \
	static const struct config_key var##_keys[] = {                     \
		ENABLED_KEY(struct collector_switch_config, "true",         \
			    key_what),                                      \
	};                                                                  \
	const struct config_section var = {                                 \
		.name = "collectors." #member,                              \
		.description = what,                                        \
		.keys = var##_keys,                                         \
		.key_count = ARRAY_SIZE(var##_keys),                        \
		.offset = SECTION_OFFSET(member),                           \
	}

static const struct config_key cpu_keys[] = {
	ENABLED_KEY(struct cpu_collector_config, "true",
		    "Collect /proc/stat: CPU usage and its split, context "
		    "switches, forks, running and blocked processes."),
	{ .name = "per_core", .type = CONFIG_BOOLEAN,
	  .offset = offsetof(struct cpu_collector_config, per_core),
	  .default_text = "true",
	  .description = "Also record the usage of each core "
			 "(cpu.core_usage_percent{cpu=N})." },
};

const struct config_section collector_cpu_section = {
	.name = "collectors.cpu",
	.description = "CPU usage from /proc/stat.",
	.keys = cpu_keys,
	.key_count = ARRAY_SIZE(cpu_keys),
	.offset = SECTION_OFFSET(cpu),
};

SWITCH_SECTION(collector_memory_section, memory,
	       "Memory and swap from /proc/meminfo and /proc/vmstat.",
	       "Collect memory, swap, dirty, slab, hugepages, paging and "
	       "OOM kills.");
SWITCH_SECTION(collector_load_section, load,
	       "Load average and pressure stall information.",
	       "Collect /proc/loadavg and /proc/pressure/{cpu,memory,io}.");
SWITCH_SECTION(collector_fd_section, fd,
	       "System-wide file handles.",
	       "Collect /proc/sys/fs/file-nr: handles in use against "
	       "file-max.");
SWITCH_SECTION(collector_host_section, host,
	       "The host itself: uptime, reboots, kernel, clock, taint.",
	       "Collect uptime, boot id, kernel version, clock "
	       "synchronisation (adjtimex) and the kernel taint flags.");

static const struct config_key systemd_keys[] = {
	ENABLED_KEY(struct collector_switch_config, "true",
		    "Ask systemd over D-Bus (read-only) for failed units and "
		    "service restart counts."),
};

const struct config_section collector_systemd_section = {
	.name = "collectors.systemd",
	.description = "systemd units through sd-bus.",
	.keys = systemd_keys,
	.key_count = ARRAY_SIZE(systemd_keys),
	.offset = SECTION_OFFSET(systemd),
};

static const struct config_key disk_keys[] = {
	ENABLED_KEY(struct disk_collector_config, "true",
		    "Collect filesystem usage (mountinfo + statvfs) and block "
		    "device I/O (/proc/diskstats)."),
	{ .name = "fstypes", .type = CONFIG_STRING_LIST,
	  .offset = offsetof(struct disk_collector_config, fstypes),
	  .default_text = "[\"ext2\", \"ext3\", \"ext4\", \"xfs\", \"btrfs\", "
			  "\"zfs\", \"f2fs\", \"jfs\", \"reiserfs\", "
			  "\"bcachefs\", \"vfat\", \"exfat\", \"ntfs3\"]",
	  .description = "Filesystem types watched; add \"tmpfs\" or "
			 "\"overlay\" to watch those. Network filesystems are "
			 "left out by default because statvfs on a hung "
			 "server blocks." },
	{ .name = "exclude_mounts", .type = CONFIG_STRING_LIST,
	  .offset = offsetof(struct disk_collector_config, exclude_mounts),
	  .default_text = "[\"/snap/*\", \"/var/lib/docker/*\"]",
	  .description = "Mount points skipped (shell patterns)." },
	{ .name = "exclude_devices", .type = CONFIG_STRING_LIST,
	  .offset = offsetof(struct disk_collector_config, exclude_devices),
	  .default_text = "[\"loop*\", \"ram*\", \"fd*\", \"sr*\"]",
	  .description = "Block devices skipped in the I/O figures (shell "
			 "patterns); partitions are always skipped, whole "
			 "disks are counted." },
};

const struct config_section collector_disk_section = {
	.name = "collectors.disk",
	.description = "Filesystems and block devices.",
	.keys = disk_keys,
	.key_count = ARRAY_SIZE(disk_keys),
	.offset = SECTION_OFFSET(disk),
};

static const struct config_key network_keys[] = {
	ENABLED_KEY(struct network_collector_config, "true",
		    "Collect interface traffic, link state, TCP health, "
		    "sockets and conntrack use."),
	{ .name = "exclude_interfaces", .type = CONFIG_STRING_LIST,
	  .offset = offsetof(struct network_collector_config,
			     exclude_interfaces),
	  .default_text = "[\"lo\", \"veth*\"]",
	  .description = "Interfaces skipped (shell patterns); container "
			 "veth pairs come and go too fast to be useful." },
};

const struct config_section collector_network_section = {
	.name = "collectors.network",
	.description = "Network interfaces and the TCP stack.",
	.keys = network_keys,
	.key_count = ARRAY_SIZE(network_keys),
	.offset = SECTION_OFFSET(network),
};

static const struct config_key process_keys[] = {
	ENABLED_KEY(struct process_collector_config, "true",
		    "Walk /proc/[pid]: process, zombie and thread counts, the "
		    "top processes, and long-running ones watched for leaks."),
	{ .name = "top_count", .type = CONFIG_INTEGER,
	  .offset = offsetof(struct process_collector_config, top_count),
	  .default_text = "5", .minimum = 0, .maximum = 50,
	  .description = "How many processes are reported as the top by CPU "
			 "and by resident memory." },
	{ .name = "watch_count", .type = CONFIG_INTEGER,
	  .offset = offsetof(struct process_collector_config, watch_count),
	  .default_text = "20", .minimum = 0, .maximum = 200,
	  .description = "How many long-running processes (largest RSS "
			 "first) get their own RSS, descriptor and thread "
			 "series for leak detection. A process more than "
			 "twice the size of the smallest watched one takes "
			 "its slot." },
	{ .name = "long_running_secs", .type = CONFIG_INTEGER,
	  .offset = offsetof(struct process_collector_config,
			     long_running_secs),
	  .default_text = "120", .minimum = 0, .maximum = 30 * 86400,
	  .description = "Age from which a process counts as long-running "
			 "(start-up is over): with the 2-minute fast leak "
			 "fit, a leak that exhausts memory within the hour is "
			 "reported within 5 minutes of the process's start." },
	{ .name = "max_processes", .type = CONFIG_INTEGER,
	  .offset = offsetof(struct process_collector_config, max_processes),
	  .default_text = "8192", .minimum = 64, .maximum = 1048576,
	  .description = "Processes whose CPU time is remembered between "
			 "ticks (memory is reserved for them at start-up); "
			 "beyond it the rest are still counted." },
};

const struct config_section collector_process_section = {
	.name = "collectors.process",
	.description = "Processes from /proc/[pid].",
	.keys = process_keys,
	.key_count = ARRAY_SIZE(process_keys),
	.offset = SECTION_OFFSET(process),
};

static const struct config_key cgroup_keys[] = {
	ENABLED_KEY(struct cgroup_collector_config, "true",
		    "Watch services and containers through cgroup v2, or the "
		    "v1 controllers (memory, cpuacct, pids) on v1 and hybrid "
		    "hosts: memory against its limit, OOM kills, CPU, pids "
		    "against their limit."),
	{ .name = "max_cgroups", .type = CONFIG_INTEGER,
	  .offset = offsetof(struct cgroup_collector_config, max_cgroups),
	  .default_text = "200", .minimum = 1, .maximum = 10000,
	  .description = "Most cgroups (services, containers) watched." },
};

const struct config_section collector_cgroup_section = {
	.name = "collectors.cgroup",
	.description = "Services and containers through cgroup v2 or v1.",
	.keys = cgroup_keys,
	.key_count = ARRAY_SIZE(cgroup_keys),
	.offset = SECTION_OFFSET(cgroup),
};

static const struct config_key docker_keys[] = {
	ENABLED_KEY(struct docker_collector_config, "false",
		    "Ask the Docker Engine API for containers, state, "
		    "restarts, health and OOMKilled."),
	{ .name = "socket_path", .type = CONFIG_STRING,
	  .offset = offsetof(struct docker_collector_config, socket_path),
	  .default_text = "\"/run/docker.sock\"",
	  .description = "The Docker Engine's unix socket." },
};

const struct config_section collector_docker_section = {
	.name = "collectors.docker",
	.description = "Docker containers through the Engine API (off by "
		       "default; cgroup already watches containers).",
	.keys = docker_keys,
	.key_count = ARRAY_SIZE(docker_keys),
	.offset = SECTION_OFFSET(docker),
};
