/*
 * rule_pack.c - the built-in rules, written against the exact message
 * formats of the kernel and the daemons (tests/unit/test_rule_pack.c holds a
 * real line and a near miss for each), and the merge of the pack with the
 * [[logscan.rules]] and disable_rules of the configuration.
 *
 * Every pattern keeps a literal of 4+ bytes in each top-level alternative so
 * the prefilter can skip it on unrelated lines; rules that repeat (I/O
 * errors, lockups) are grouped and stay quiet for window_secs after alerting.
 */
#include "logscan/rules.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define C ALERT_CRITICAL
#define W ALERT_WARNING
#define I ALERT_INFO

const struct rule_definition rule_pack[] = {
	/* Memory */
	{ .name = "oom_kill", .severity = C,
	  .noun = "OOM kill",
	  .pattern = "Out of memory: Kill(?:ed)? process (?<pid>\\d+) "
		     "\\((?<process>[^)]*)\\)(?:.*?anon-rss:(?<rss>\\d+)kB)?",
	  .message = "OOM killer killed {process} (pid {pid}, anon-rss "
		     "{rss} kB)",
	  .description = "the kernel OOM killer killed a process" },
	{ .name = "oom_killer_invoked", .severity = I,
	  .noun = "OOM killer invocation",
	  .pattern = "(?<process>\\S+) invoked oom-killer: ",
	  .message = "{process} invoked the OOM killer",
	  .group_by = "process", .window_secs = 60,
	  .description = "an allocation failed and woke the OOM killer" },
	{ .name = "cgroup_oom", .severity = W,
	  .noun = "cgroup OOM kill",
	  .pattern = "Memory cgroup out of memory: Kill(?:ed)? process "
		     "(?<pid>\\d+) \\((?<process>[^)]*)\\)"
		     "(?:.*?anon-rss:(?<rss>\\d+)kB)?",
	  .message = "{process} (pid {pid}) killed at its cgroup memory "
		     "limit (anon-rss {rss} kB)",
	  .group_by = "process", .window_secs = 300,
	  .description = "a process was killed at its cgroup memory limit" },
	/* User-space crashes */
	{ .name = "segfault", .severity = W,
	  .noun = "segfault",
	  .pattern = "(?<process>\\S+)\\[(?<pid>\\d+)\\]: segfault at "
		     "(?<address>[0-9a-f]+) ip (?<ip>[0-9a-f]+) sp [0-9a-f]+ "
		     "error (?<error>\\d+)",
	  .message = "{process} (pid {pid}) crashed: segfault at {address}, "
		     "ip {ip}, error {error}",
	  .group_by = "process", .window_secs = 300,
	  .description = "a user process died of a segmentation fault" },
	{ .name = "general_protection", .severity = W,
	  .noun = "general protection fault",
	  .pattern = "traps: (?<process>\\S+)\\[(?<pid>\\d+)\\] general "
		     "protection(?: fault)? ip:(?<ip>[0-9a-f]+) sp:[0-9a-f]+ "
		     "error:(?<error>[0-9a-f]+)",
	  .message = "{process} (pid {pid}) crashed: general protection "
		     "fault at ip {ip}",
	  .group_by = "process", .window_secs = 300,
	  .description = "a user process died of a general protection fault" },
	{ .name = "user_trap", .severity = W,
	  .noun = "CPU trap",
	  .pattern = "traps: (?<process>\\S+)\\[(?<pid>\\d+)\\] trap "
		     "(?<trap>[a-z ]+?) ip:(?<ip>[0-9a-f]+)",
	  .message = "{process} (pid {pid}) crashed: trap {trap} at ip {ip}",
	  .group_by = "process", .window_secs = 300,
	  .description = "a user process died of a CPU trap (invalid "
			 "opcode, divide error, ...)" },
	/* Kernel failures */
	{ .name = "kernel_bug", .severity = C,
	  .noun = "kernel BUG",
	  .pattern = "kernel BUG at (?<where>[^!\\s]+)|"
		     "(?<![A-Za-z])BUG: (?!soft lockup)(?<where>.{1,160})",
	  .message = "kernel BUG: {where}", .window_secs = 300,
	  .description = "kernel BUG() or BUG: report" },
	{ .name = "kernel_oops", .severity = C,
	  .noun = "kernel Oops|kernel Oopses",
	  .pattern = "Oops: (?<what>.{0,160}?) ?\\[#\\d+\\]",
	  .message = "kernel Oops: {what}", .window_secs = 300,
	  .description = "kernel Oops" },
	{ .name = "kernel_gpf", .severity = C,
	  .noun = "kernel general protection fault",
	  .pattern = "(?<!Oops: )general protection fault(?:, [^:]*)?: "
		     "[0-9a-f]{4} "
		     "\\[#\\d+\\]",
	  .message = "kernel general protection fault", .window_secs = 300,
	  .description = "general protection fault inside the kernel" },
	{ .name = "kernel_panic", .severity = C,
	  .noun = "kernel panic",
	  .pattern = "Kernel panic - not syncing: (?<reason>.{0,160})",
	  .message = "kernel panic: {reason}",
	  .description = "kernel panic" },
	{ .name = "kernel_warning", .severity = W,
	  .noun = "kernel warning",
	  .pattern = "WARNING: CPU: (?<cpu>\\d+) PID: (?<pid>\\d+) at "
		     "(?<where>\\S+)",
	  .message = "kernel warning with call trace at {where}",
	  .group_by = "where", .window_secs = 3600,
	  .description = "kernel WARN() with a call trace" },
	{ .name = "soft_lockup", .severity = C,
	  .noun = "soft lockup",
	  .pattern = "BUG: soft lockup - CPU#(?<cpu>\\d+) stuck for "
		     "(?<secs>\\d+)s!",
	  .message = "soft lockup: CPU {cpu} stuck for {secs}s",
	  .group_by = "cpu", .window_secs = 300,
	  .description = "a CPU looped in kernel mode without scheduling" },
	{ .name = "hard_lockup", .severity = C,
	  .noun = "hard lockup",
	  .pattern = "Watchdog detected hard LOCKUP on cpu (?<cpu>\\d+)",
	  .message = "hard lockup on CPU {cpu}",
	  .group_by = "cpu", .window_secs = 300,
	  .description = "a CPU stopped taking interrupts" },
	{ .name = "hung_task", .severity = W,
	  .noun = "hung task",
	  .pattern = "INFO: task (?<process>.+?):(?<pid>\\d+) blocked for "
		     "more than (?<secs>\\d+) seconds",
	  .message = "task {process} (pid {pid}) blocked for more than "
		     "{secs} seconds",
	  .group_by = "process", .window_secs = 600,
	  .description = "a task stuck in uninterruptible sleep (often "
			 "storage)" },
	{ .name = "rcu_stall", .severity = C,
	  .noun = "RCU stall",
	  .pattern = "INFO: (?<flavor>rcu_\\w+) (?:self-)?detected stall",
	  .message = "RCU stall detected ({flavor})", .window_secs = 300,
	  .description = "RCU grace period stalled" },
	/* Hardware */
	{ .name = "machine_check", .severity = W,
	  .noun = "machine check",
	  .pattern = "mce: \\[Hardware Error\\]: (?:Machine check events "
		     "logged|CPU (?<cpu>\\d+): Machine Check)",
	  .message = "machine check (hardware error) reported",
	  .window_secs = 3600,
	  .description = "machine check exception / hardware error" },
	{ .name = "edac_uncorrected", .severity = C,
	  .noun = "uncorrected memory error",
	  .pattern = "EDAC (?<controller>MC\\d+): (?<count>\\d+) UE "
		     "(?<what>.{0,160})",
	  .message = "uncorrected memory error on {controller}: {what}",
	  .group_by = "controller", .window_secs = 300,
	  .description = "uncorrectable ECC memory error" },
	{ .name = "edac_corrected", .severity = W,
	  .noun = "corrected memory error report",
	  .pattern = "EDAC (?<controller>MC\\d+): (?<count>\\d+) CE "
		     "(?<what>.{0,160})",
	  .message = "corrected memory errors on {controller}: {what}",
	  .group_by = "controller", .window_secs = 3600,
	  .description = "correctable ECC memory errors (a DIMM going bad)" },
	/* Storage */
	{ .name = "block_io_error", .severity = C,
	  .noun = "I/O error",
	  .pattern = "(?<kind>I/O|critical target|critical nexus|timeout|"
		     "recoverable transport|critical space allocation|"
		     "critical protection) error, dev (?<device>[\\w-]+), "
		     "sector (?<sector>\\d+)|"
		     "Buffer I/O error on dev(?:ice)? (?<device>[\\w-]+), "
		     "logical block (?<sector>\\d+)",
	  .message = "I/O error on {device} (sector {sector})",
	  .group_by = "device", .window_secs = 300,
	  .description = "block device I/O errors" },
	{ .name = "medium_error", .severity = C,
	  .noun = "medium error",
	  .pattern = "critical medium error, dev (?<device>[\\w-]+), sector "
		     "(?<sector>\\d+)|"
		     "(?<device>\\[\\w+\\]) (?:tag#\\d+ )?Sense Key : Medium "
		     "Error|"
		     "(?<device>ata\\d+\\.\\d+): error: \\{ UNC \\}",
	  .message = "medium error (unreadable sector) on {device}",
	  .group_by = "device", .window_secs = 300,
	  .description = "disk medium errors (bad sectors)" },
	{ .name = "scsi_timeout_reset", .severity = W,
	  .noun = "disk timeout or reset|disk timeouts or resets",
	  .pattern = "(?<device>\\[\\w+\\]) (?:tag#\\d+ )?timing out "
		     "command, waited (?<secs>\\d+)s|"
		     "(?<device>\\d+:\\d+:\\d+:\\d+): Device offlined - not "
		     "ready after error recovery|"
		     "(?<device>ata\\d+(?:\\.\\d+)?): exception Emask|"
		     "(?<device>ata\\d+(?:\\.\\d+)?): hard resetting link",
	  .message = "disk {device}: command timeout or reset",
	  .group_by = "device", .window_secs = 300,
	  .description = "SCSI/ATA command timeouts, resets, offlined "
			 "devices" },
	{ .name = "nvme_timeout_reset", .severity = C,
	  .noun = "NVMe timeout or reset|NVMe timeouts or resets",
	  .pattern = "nvme (?<device>nvme\\d+): I/O .{0,80}?QID \\d+ timeout|"
		     "nvme (?<device>nvme\\d+): controller is down; will "
		     "reset|"
		     "nvme (?<device>nvme\\d+): Device not ready; aborting|"
		     "nvme (?<device>nvme\\d+): Removing after probe failure",
	  .message = "NVMe {device}: timeout or controller reset",
	  .group_by = "device", .window_secs = 300,
	  .description = "NVMe command timeouts and controller resets" },
	{ .name = "ext4_error", .severity = C,
	  .noun = "ext4 error",
	  .pattern = "EXT[234]-fs error \\(device (?<device>[^)]+)\\): "
		     "(?<what>.{0,160})",
	  .message = "ext4 error on {device}: {what}",
	  .group_by = "device", .window_secs = 300,
	  .description = "ext2/3/4 file system errors" },
	{ .name = "xfs_error", .severity = C,
	  .noun = "XFS error",
	  .pattern = "XFS \\((?<device>[^)]+)\\): (?<what>(?:Internal error|"
		     "Corruption (?:detected|of in-memory data)|Metadata "
		     "corruption detected|metadata I/O error|log I/O error|"
		     "Filesystem has been shut down|xfs_do_force_shutdown)"
		     ".{0,120})",
	  .message = "XFS error on {device}: {what}",
	  .group_by = "device", .window_secs = 300,
	  .description = "XFS corruption, I/O errors and shutdowns" },
	{ .name = "btrfs_error", .severity = C,
	  .noun = "btrfs error",
	  .pattern = "BTRFS(?: error| critical|: error) \\(device "
		     "(?<device>[^) ]+)[^)]*\\):? (?<what>.{0,160})",
	  .message = "btrfs error on {device}: {what}",
	  .group_by = "device", .window_secs = 300,
	  .description = "btrfs errors and corruption" },
	{ .name = "fs_read_only", .severity = C,
	  .noun = "read-only remount",
	  .pattern = "EXT[234]-fs \\((?<device>[^)]+)\\): Remounting "
		     "filesystem read-only|"
		     "BTRFS \\w+ \\(device (?<device>[^) ]+)[^)]*\\): forced "
		     "readonly",
	  .message = "file system on {device} was remounted read-only",
	  .group_by = "device", .window_secs = 3600,
	  .description = "a file system went read-only after errors" },
	/* Network */
	{ .name = "nic_link_down", .severity = W,
	  .noun = "link loss|link losses",
	  .pattern = "(?<interface>[\\w.-]+):? (?:NIC )?Link is [Dd]own|"
		     "\\(slave (?<interface>[\\w.-]+)\\): link status "
		     "definitely down|"
		     "link status definitely down for interface "
		     "(?<interface>[\\w.-]+)",
	  .message = "network link down on {interface}",
	  .group_by = "interface", .window_secs = 300,
	  .description = "a NIC lost its link" },
	{ .name = "nic_tx_timeout", .severity = C,
	  .noun = "transmit timeout",
	  .pattern = "NETDEV WATCHDOG: (?<interface>\\S+) \\([^)]*\\): "
		     "transmit queue (?<queue>\\d+) timed out|"
		     "(?<interface>[\\w.-]+): Detected Hardware Unit Hang",
	  .message = "transmit timeout on {interface}",
	  .group_by = "interface", .window_secs = 300,
	  .description = "NIC transmit queue timeouts / hangs" },
	{ .name = "nfs_not_responding", .severity = W,
	  .noun = "NFS server timeout",
	  .pattern = "nfs: server (?<server>\\S+) not responding",
	  .message = "NFS server {server} not responding",
	  .group_by = "server", .window_secs = 300,
	  .description = "an NFS server stopped answering" },
	{ .name = "conntrack_full", .severity = C,
	  .noun = "conntrack table overflow",
	  .pattern = "(?:nf|ip)_conntrack: table full, dropping packet",
	  .message = "connection tracking table full: packets dropped",
	  .window_secs = 300,
	  .description = "netfilter conntrack table full" },
	/* Resources */
	{ .name = "thermal_throttling", .severity = W,
	  .noun = "thermal throttling report",
	  .pattern = "CPU(?<cpu>\\d+): (?:Core|Package) temperature above "
		     "threshold, cpu clock throttled|"
		     "critical temperature reached",
	  .message = "CPU thermal throttling or critical temperature",
	  .window_secs = 900,
	  .description = "CPU throttled for heat, or critical temperature" },
	{ .name = "file_max", .severity = C,
	  .noun = "file-max limit report",
	  .pattern = "VFS: file-max limit (?<limit>\\d+) reached",
	  .message = "system-wide open file limit ({limit}) reached",
	  .window_secs = 300,
	  .description = "out of file descriptors (fs.file-max)" },
	/* Services and logins */
	{ .name = "systemd_unit_failed", .severity = W,
	  .noun = "unit failure",
	  .pattern = "(?<unit>[\\w@.:\\\\-]+\\.(?:service|socket|mount|timer|"
		     "path|swap|scope|target|automount|slice)): Failed with "
		     "result '(?<result>[^']+)'|"
		     "Unit (?<unit>\\S+) entered failed state",
	  .message = "{unit} failed ({result})",
	  .group_by = "unit", .window_secs = 300,
	  .description = "a systemd unit failed" },
	{ .name = "ssh_brute_force", .severity = W,
	  .noun = "failed SSH login",
	  .pattern = "sshd(?:-session)?\\[\\d+\\]: Failed (?:password|"
		     "publickey|keyboard-interactive/pam|none) for "
		     "(?!invalid user )(?<user>\\S+) from "
		     "(?<ip>[0-9A-Fa-f.:]+) port \\d+|"
		     "sshd(?:-session)?\\[\\d+\\]: Invalid user (?<user>.*?) "
		     "from (?<ip>[0-9A-Fa-f.:]+)|"
		     "sshd\\(pam_unix\\)\\[\\d+\\]: authentication failure;"
		     ".*? rhost=(?<ip>\\S+)",
	  .message = "SSH brute force from {ip}: {count} failed logins "
		     "within {window}s",
	  .group_by = "ip", .threshold = 10, .window_secs = 300,
	  .description = "repeated SSH authentication failures from one "
			 "address" },
	{ .name = "sudo_auth_failure", .severity = W,
	  .noun = "sudo failure",
	  .pattern = "sudo(?:\\[\\d+\\])?: +(?<user>\\S+) : (?<attempts>\\d+) "
		     "incorrect password attempts?|"
		     "sudo(?:\\[\\d+\\])?: +(?<user>\\S+) : user NOT in "
		     "sudoers",
	  .message = "sudo authentication failure by {user}",
	  .group_by = "user", .window_secs = 300,
	  .description = "sudo password failures and users not in sudoers" },
	{ .name = "root_login", .severity = I,
	  .noun = "root SSH login",
	  .pattern = "sshd(?:-session)?\\[\\d+\\]: Accepted (?<method>\\S+) "
		     "for root from (?<ip>[0-9A-Fa-f.:]+) port \\d+",
	  .message = "root logged in over SSH from {ip} ({method})",
	  .group_by = "ip", .window_secs = 3600,
	  .description = "a root login over SSH" },
};

const size_t rule_pack_count = ARRAY_SIZE(rule_pack);

static unsigned sources_from_list(const struct config_string_list *list)
{
	unsigned sources = 0;

	for (size_t i = 0; i < list->count; i++) {
		if (strcmp(list->items[i], "kmsg") == 0)
			sources |= LOGSCAN_SOURCE_KMSG;
		else if (strcmp(list->items[i], "journal") == 0)
			sources |= LOGSCAN_SOURCE_JOURNAL;
		else if (strcmp(list->items[i], "file") == 0)
			sources |= LOGSCAN_SOURCE_FILE;
	}
	return sources;
}

static bool listed(const struct config_string_list *list, const char *name)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i], name) == 0)
			return true;
	return false;
}

static bool user_rule_named(const struct logscan_config *config,
			    const char *name)
{
	for (size_t i = 0; i < config->rule_count; i++)
		if (config->rules[i].name != NULL &&
		    strcmp(config->rules[i].name, name) == 0)
			return true;
	return false;
}

int rule_set_from_config(const struct logscan_config *config,
			 struct rule_definition *out, size_t max,
			 char *error, size_t error_size)
{
	size_t count = 0;

	for (size_t i = 0; i < config->disable_rules.count; i++) {
		const char *name = config->disable_rules.items[i];
		bool known = false;

		for (size_t r = 0; r < rule_pack_count; r++)
			known = known || strcmp(rule_pack[r].name, name) == 0;
		if (!known) {
			snprintf(error, error_size, "disable_rules: '%s' is not "
				 "a built-in rule", name);
			return -EINVAL;
		}
	}
	for (size_t r = 0; r < rule_pack_count; r++) {
		if (listed(&config->disable_rules, rule_pack[r].name) ||
		    user_rule_named(config, rule_pack[r].name))
			continue;
		if (count >= max)
			goto too_many;
		out[count++] = rule_pack[r];
	}
	for (size_t i = 0; i < config->rule_count; i++) {
		const struct logscan_rule_config *rule = &config->rules[i];

		if (count >= max)
			goto too_many;
		out[count++] = (struct rule_definition){
			.name = rule->name,
			.pattern = rule->pattern,
			.exclude = rule->exclude,
			.message = rule->message,
			.group_by = rule->group_by,
			.severity = event_severity_from_name(rule->severity,
							      ALERT_WARNING),
			.sources = sources_from_list(&rule->sources),
			.threshold = (uint32_t)rule->threshold,
			.window_secs = (uint32_t)rule->window_secs,
			.description = "configured rule",
		};
	}
	return (int)count;
too_many:
	snprintf(error, error_size, "more than %d rules in force; disable "
		 "some built-in rules", LOGSCAN_MAX_RULES);
	return -EINVAL;
}
