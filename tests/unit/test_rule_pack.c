/*
 * test_rule_pack.c - every built-in rule (src/logscan/rule_pack.c) against a
 * real line in the exact format its kernel or daemon writes, which must
 * alert with the right details, and a near miss from the same subsystem,
 * which must not. A rule without both kinds of example fails the suite.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logscan/mask.h"
#include "logscan/rules.h"

struct example {
	const char *rule;
	const char *text;     /* what rules see: kmsg message or "tag: msg" */
	const char *expected; /* in the alert message; NULL: must not fire */
};

static const struct example examples[] = {
	/* mm/oom_kill.c, 5.x and later, and the older two-line form */
	{ "oom_kill", "Out of memory: Killed process 2158 (stress) "
	  "total-vm:1052280kB, anon-rss:1016232kB, file-rss:228kB, "
	  "shmem-rss:0kB, UID:0 pgtables:2040kB oom_score_adj:0",
	  "stress (pid 2158, anon-rss 1016232 kB)" },
	{ "oom_kill", "Out of memory: Kill process 1234 (mysqld) score 901 or "
	  "sacrifice child", "mysqld (pid 1234" },
	{ "oom_kill", "Memory cgroup out of memory: Killed process 2158 "
	  "(stress) total-vm:1052280kB, anon-rss:1016232kB, file-rss:228kB",
	  NULL },
	{ "oom_killer_invoked", "stress invoked oom-killer: "
	  "gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, "
	  "oom_score_adj=0", "stress invoked the OOM killer" },
	{ "oom_killer_invoked", "oom_reaper: reaped process 2158 (stress), now "
	  "anon-rss:0kB, file-rss:0kB, shmem-rss:0kB", NULL },
	{ "cgroup_oom", "Memory cgroup out of memory: Killed process 4242 "
	  "(java) total-vm:4194304kB, anon-rss:2097152kB, file-rss:1024kB, "
	  "shmem-rss:0kB, UID:1000 pgtables:4400kB oom_score_adj:0",
	  "java (pid 4242) killed at its cgroup memory limit (anon-rss "
	  "2097152 kB)" },
	{ "cgroup_oom", "memory: usage 524288kB, limit 524288kB, failcnt 1432",
	  NULL },
	/* arch/x86/mm/fault.c show_signal_msg(), traps.c */
	{ "segfault", "nginx[12345]: segfault at 0 ip 00007f3b2c4a1b2d sp "
	  "00007ffd7e0b1c30 error 4 in libc.so.6[7f3b2c400000+195000]",
	  "nginx (pid 12345) crashed: segfault at 0" },
	{ "segfault", "systemd-coredump[1240]: Process 12345 (nginx) of user 0 "
	  "dumped core.", NULL },
	{ "general_protection", "traps: chrome[5678] general protection fault "
	  "ip:55d0c8a1b2c3 sp:7ffc12345678 error:0 in "
	  "chrome[55d0c4000000+8c5b000]", "chrome (pid 5678) crashed" },
	{ "general_protection", "traps: chrome[5678] trap invalid opcode "
	  "ip:55d0c8a1b2c3 sp:7ffc12345678 error:0", NULL },
	{ "user_trap", "traps: python3[4321] trap invalid opcode "
	  "ip:7f8e9a0b1c2d sp:7ffe3b4c5d6e error:0 in "
	  "libfoo.so[7f8e9a000000+10000]", "trap invalid opcode at ip" },
	{ "user_trap", "traps: app[99] trap divide error ip:401136 "
	  "sp:7ffd5ed0 error:0 in app[401000+1000]", "trap divide error" },
	{ "user_trap", "x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating "
	  "point registers'", NULL },
	/* lib/bug.c, arch/x86/mm/fault.c, kernel/panic.c */
	{ "kernel_bug", "kernel BUG at mm/slub.c:3878!",
	  "kernel BUG: mm/slub.c:3878" },
	{ "kernel_bug", "BUG: kernel NULL pointer dereference, address: "
	  "0000000000000008", "NULL pointer dereference" },
	{ "kernel_bug", "BUG: unable to handle page fault for address: "
	  "ffffffffc0a01000", "unable to handle page fault" },
	{ "kernel_bug", "watchdog: BUG: soft lockup - CPU#2 stuck for 23s! "
	  "[kworker/2:1:123]", NULL },
	{ "kernel_bug", "app[12]: DEBUG: flushing cache", NULL },
	{ "kernel_oops", "Oops: 0002 [#1] SMP PTI", "kernel Oops: 0002" },
	{ "kernel_oops", "Oops: general protection fault, probably for "
	  "non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP "
	  "NOPTI", "general protection fault" },
	{ "kernel_oops", "Internal error: Oops: 96000004 [#1] PREEMPT SMP",
	  "96000004" },
	{ "kernel_oops", "Oops: something went wrong in my app", NULL },
	{ "kernel_gpf", "general protection fault: 0000 [#1] SMP PTI",
	  "kernel general protection fault" },
	{ "kernel_gpf", "Oops: general protection fault, probably for "
	  "non-canonical address 0xdead000000000100: 0000 [#1] SMP", NULL },
	{ "kernel_panic", "Kernel panic - not syncing: Fatal exception in "
	  "interrupt", "kernel panic: Fatal exception in interrupt" },
	{ "kernel_panic", "Kernel command line: BOOT_IMAGE=/vmlinuz ro quiet "
	  "panic=10", NULL },
	{ "kernel_warning", "WARNING: CPU: 1 PID: 0 at "
	  "net/sched/sch_generic.c:477 dev_watchdog+0x21c/0x230",
	  "at net/sched/sch_generic.c:477" },
	{ "kernel_warning", "WARNING: The 'iptables' command is deprecated",
	  NULL },
	/* kernel/watchdog.c, kernel/hung_task.c, kernel/rcu/tree_stall.h */
	{ "soft_lockup", "watchdog: BUG: soft lockup - CPU#2 stuck for 23s! "
	  "[kworker/2:1:123]", "CPU 2 stuck for 23s" },
	{ "soft_lockup", "NMI watchdog: Enabled. Permanently consumes one "
	  "hw-PMU counter.", NULL },
	{ "hard_lockup", "NMI watchdog: Watchdog detected hard LOCKUP on cpu "
	  "3", "hard lockup on CPU 3" },
	{ "hard_lockup", "watchdog: Watchdog detected hard LOCKUP "
	  "detector disabled", NULL },
	{ "hung_task", "INFO: task jbd2/sda1-8:312 blocked for more than 120 "
	  "seconds.", "task jbd2/sda1-8 (pid 312) blocked for more than 120" },
	{ "hung_task", "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" "
	  "disables this message.", NULL },
	{ "rcu_stall", "rcu: INFO: rcu_sched self-detected stall on CPU",
	  "RCU stall detected (rcu_sched)" },
	{ "rcu_stall", "INFO: rcu_preempt detected stalls on CPUs/tasks:",
	  "rcu_preempt" },
	{ "rcu_stall", "rcu: Hierarchical RCU implementation.", NULL },
	/* arch/x86/kernel/cpu/mce, drivers/edac */
	{ "machine_check", "mce: [Hardware Error]: Machine check events "
	  "logged", "machine check" },
	{ "machine_check", "mce: [Hardware Error]: CPU 3: Machine Check: 0 "
	  "Bank 5: be00000000800400", "machine check" },
	{ "machine_check", "mce: CPU0: Thermal monitoring enabled (TM2)",
	  NULL },
	{ "edac_uncorrected", "EDAC MC0: 1 UE memory read error on "
	  "CPU_SrcID#0_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0x12345 "
	  "offset:0x0 grain:32 syndrome:0x0)", "on MC0: memory read error" },
	{ "edac_uncorrected", "EDAC MC0: Giving out device to module "
	  "skx_edac controller Skylake Socket#0 IMC#0: DEV 0000:3a:0a.0 "
	  "(INTERRUPT)", NULL },
	{ "edac_corrected", "EDAC MC1: 3 CE memory read error on "
	  "CPU_SrcID#1_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x5f2a1 "
	  "offset:0x0 grain:32 syndrome:0x0)", "on MC1" },
	{ "edac_corrected", "EDAC MC: Ver: 3.0.0", NULL },
	/* block/blk-core.c blk_print_req_error(), fs/buffer.c */
	{ "block_io_error", "blk_update_request: I/O error, dev sda, sector "
	  "123456 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0",
	  "I/O error on sda (sector 123456)" },
	{ "block_io_error", "I/O error, dev nvme0n1, sector 2048 op "
	  "0x1:(WRITE) flags 0x800 phys_seg 1 prio class 2",
	  "on nvme0n1" },
	{ "block_io_error", "Buffer I/O error on dev sdb1, logical block 0, "
	  "async page read", "on sdb1" },
	{ "block_io_error", "sd 0:0:0:0: [sda] Attached SCSI disk", NULL },
	{ "medium_error", "critical medium error, dev sdb, sector 1953508992 "
	  "op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0",
	  "medium error (unreadable sector) on sdb" },
	{ "medium_error", "sd 2:0:0:0: [sdb] tag#5 Sense Key : Medium Error "
	  "[current]", "on [sdb]" },
	{ "medium_error", "ata3.00: error: { UNC }", "on ata3.00" },
	{ "medium_error", "sd 2:0:0:0: [sdb] tag#5 Sense Key : Not Ready "
	  "[current]", NULL },
	{ "scsi_timeout_reset", "sd 0:0:0:0: [sda] tag#12 timing out command, "
	  "waited 180s", "disk [sda]: command timeout" },
	{ "scsi_timeout_reset", "ata1.00: exception Emask 0x0 SAct 0x0 SErr "
	  "0x0 action 0x6 frozen", "disk ata1.00" },
	{ "scsi_timeout_reset", "ata1: hard resetting link", "disk ata1" },
	{ "scsi_timeout_reset", "sd 6:0:0:0: Device offlined - not ready "
	  "after error recovery", "disk 6:0:0:0" },
	{ "scsi_timeout_reset", "ata1: SATA link up 6.0 Gbps (SStatus 133 "
	  "SControl 300)", NULL },
	{ "nvme_timeout_reset", "nvme nvme0: I/O 123 QID 4 timeout, aborting",
	  "NVMe nvme0" },
	{ "nvme_timeout_reset", "nvme nvme1: I/O tag 512 (a200) opcode 0x2 "
	  "(Read) QID 2 timeout, reset controller", "NVMe nvme1" },
	{ "nvme_timeout_reset", "nvme nvme0: controller is down; will reset: "
	  "CSTS=0x3, PCI_STATUS=0x10", "NVMe nvme0" },
	{ "nvme_timeout_reset", "nvme nvme0: 8/0/0 default/read/poll queues",
	  NULL },
	/* fs/ext4/super.c, fs/xfs, fs/btrfs */
	{ "ext4_error", "EXT4-fs error (device sda1): ext4_find_entry:1455: "
	  "inode #2: comm ls: reading directory lblock 0",
	  "ext4 error on sda1: ext4_find_entry" },
	{ "ext4_error", "EXT4-fs (sda1): mounted filesystem with ordered data "
	  "mode. Opts: (null)", NULL },
	{ "xfs_error", "XFS (sdb1): Corruption detected. Unmount and run "
	  "xfs_repair", "XFS error on sdb1: Corruption detected" },
	{ "xfs_error", "XFS (dm-0): metadata I/O error in "
	  "\"xfs_trans_read_buf_map\" at daddr 0x2 len 1 error 74",
	  "on dm-0: metadata I/O error" },
	{ "xfs_error", "XFS (sdb1): Mounting V5 Filesystem", NULL },
	{ "btrfs_error", "BTRFS error (device sda1): bdev /dev/sda1 errs: wr "
	  "0, rd 1, flush 0, corrupt 0, gen 0", "btrfs error on sda1" },
	{ "btrfs_error", "BTRFS: error (device dm-0) in "
	  "btrfs_run_delayed_refs:2150: errno=-5 IO failure", "on dm-0" },
	{ "btrfs_error", "BTRFS critical (device sdb state EA): corrupt leaf: "
	  "root=1 block=123 slot=4", "on sdb" },
	{ "btrfs_error", "BTRFS info (device sda1): disk space caching is "
	  "enabled", NULL },
	{ "fs_read_only", "EXT4-fs (sda1): Remounting filesystem read-only",
	  "sda1 was remounted read-only" },
	{ "fs_read_only", "BTRFS info (device sdc): forced readonly",
	  "sdc was remounted" },
	{ "fs_read_only", "EXT4-fs (sda1): re-mounted. Opts: "
	  "errors=remount-ro", NULL },
	/* network drivers, net/sched/sch_generic.c, bonding, NFS */
	{ "nic_link_down", "e1000e 0000:00:19.0 eth0: NIC Link is Down",
	  "link down on eth0" },
	{ "nic_link_down", "igb 0000:03:00.0 eno1: igb: eno1 NIC Link is "
	  "Down", "on eno1" },
	{ "nic_link_down", "r8169 0000:03:00.0 enp3s0: Link is Down",
	  "on enp3s0" },
	{ "nic_link_down", "bond0: (slave eth1): link status definitely down, "
	  "disabling slave", "on eth1" },
	{ "nic_link_down", "e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps "
	  "Full Duplex, Flow Control: Rx/Tx", NULL },
	{ "nic_tx_timeout", "NETDEV WATCHDOG: eth0 (e1000e): transmit queue 0 "
	  "timed out 5232 ms", "transmit timeout on eth0" },
	{ "nic_tx_timeout", "e1000e 0000:00:19.0 eth0: Detected Hardware Unit "
	  "Hang:", "on eth0" },
	{ "nic_tx_timeout", "e1000e 0000:00:19.0 eth0: Reset adapter "
	  "unexpectedly", NULL },
	{ "nfs_not_responding", "nfs: server nfs01.example.com not "
	  "responding, still trying", "NFS server nfs01.example.com" },
	{ "nfs_not_responding", "nfs: server nfs01.example.com OK", NULL },
	{ "conntrack_full", "nf_conntrack: nf_conntrack: table full, dropping "
	  "packet", "connection tracking table full" },
	{ "conntrack_full", "ip_conntrack: table full, dropping packet.",
	  "table full" },
	{ "conntrack_full", "nf_conntrack: default automatic helper "
	  "assignment has been turned off for security reasons", NULL },
	/* drivers/thermal, arch/x86/kernel/cpu/mce/therm_throt.c, fs/file_table.c */
	{ "thermal_throttling", "CPU2: Core temperature above threshold, cpu "
	  "clock throttled (total events = 1)", "thermal throttling" },
	{ "thermal_throttling", "CPU0: Package temperature above threshold, "
	  "cpu clock throttled (total events = 12)", "thermal" },
	{ "thermal_throttling", "thermal thermal_zone0: critical temperature "
	  "reached (105 C), shutting down", "critical temperature" },
	{ "thermal_throttling", "CPU2: Core temperature/speed normal", NULL },
	{ "file_max", "VFS: file-max limit 65536 reached",
	  "open file limit (65536) reached" },
	{ "file_max", "VFS: Disk quotas dquot_6.5.1", NULL },
	/* systemd, OpenSSH, sudo, PAM */
	{ "systemd_unit_failed", "systemd[1]: nginx.service: Failed with "
	  "result 'exit-code'.", "nginx.service failed (exit-code)" },
	{ "systemd_unit_failed", "systemd[1]: "
	  "systemd-fsck@dev-disk-by\\x2duuid-1234.service: Failed with "
	  "result 'timeout'.", "failed (timeout)" },
	{ "systemd_unit_failed", "systemd[1]: Unit httpd.service entered "
	  "failed state.", "httpd.service failed" },
	{ "systemd_unit_failed", "systemd[1]: nginx.service: Deactivated "
	  "successfully.", NULL },
	{ "ssh_brute_force", "sshd[2231]: Failed password for root from "
	  "203.0.113.9 port 51234 ssh2", "brute force from 203.0.113.9" },
	{ "ssh_brute_force", "sshd[2231]: Invalid user admin from "
	  "203.0.113.10 port 51234", "from 203.0.113.10" },
	{ "ssh_brute_force", "sshd-session[2231]: Failed publickey for alice "
	  "from 2001:db8::7 port 51234 ssh2: ED25519 SHA256:abc",
	  "from 2001:db8::7" },
	{ "ssh_brute_force", "sshd(pam_unix)[19939]: authentication failure; "
	  "logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ",
	  "brute force from 218.188.2.4" },
	{ "ssh_brute_force", "sshd[2231]: Failed password for invalid user "
	  "admin from 203.0.113.11 port 51234 ssh2", NULL },
	{ "ssh_brute_force", "sshd[2231]: Accepted password for alice from "
	  "10.0.0.1 port 5555 ssh2", NULL },
	{ "ssh_brute_force", "sshd(pam_unix)[19937]: check pass; user "
	  "unknown", NULL },
	{ "sudo_auth_failure", "sudo:    alice : 3 incorrect password "
	  "attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
	  "COMMAND=/usr/bin/ls", "sudo authentication failure by alice" },
	{ "sudo_auth_failure", "sudo[812]:      bob : user NOT in sudoers ; "
	  "TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/sh",
	  "failure by bob" },
	{ "sudo_auth_failure", "sudo:    alice : TTY=pts/0 ; PWD=/home/alice "
	  "; USER=root ; COMMAND=/usr/bin/apt update", NULL },
	{ "root_login", "sshd[3001]: Accepted publickey for root from "
	  "192.0.2.5 port 40022 ssh2: RSA SHA256:xyz",
	  "root logged in over SSH from 192.0.2.5 (publickey)" },
	{ "root_login", "sshd[3001]: Accepted publickey for deploy from "
	  "192.0.2.5 port 40022 ssh2", NULL },
};

struct collected {
	char rules[8][64];
	char messages[8][1024];
	size_t count;
};

static void collect(const struct rule_event *event, void *data)
{
	struct collected *c = data;

	if (c->count >= 8)
		return;
	snprintf(c->rules[c->count], sizeof(c->rules[0]), "%s", event->rule);
	snprintf(c->messages[c->count], sizeof(c->messages[0]), "%s",
		 event->message);
	c->count++;
}

struct pack {
	struct masker *masker;
	struct rule_engine *engine;
};

static int setup(void **state)
{
	struct pack *pack = calloc(1, sizeof(*pack));
	char error[256] = "";

	assert_non_null(pack);
	assert_int_equal(masker_new(NULL, &pack->masker, error, sizeof(error)),
			 0);
	if (rule_engine_new(rule_pack, rule_pack_count, 64, 8192, pack->masker,
			    &pack->engine, error, sizeof(error)) != 0)
		fail_msg("pack does not compile: %s", error);
	*state = pack;
	return 0;
}

static int teardown(void **state)
{
	struct pack *pack = *state;

	rule_engine_free(pack->engine);
	masker_free(pack->masker);
	free(pack);
	return 0;
}

static const struct rule_definition *pack_rule(const char *name)
{
	for (size_t i = 0; i < rule_pack_count; i++)
		if (strcmp(rule_pack[i].name, name) == 0)
			return &rule_pack[i];
	return NULL;
}

static void test_every_rule_has_a_match_and_a_near_miss(void **state)
{
	(void)state;
	for (size_t r = 0; r < rule_pack_count; r++) {
		bool match = false, miss = false;

		for (size_t e = 0; e < sizeof(examples) / sizeof(examples[0]);
		     e++) {
			if (strcmp(examples[e].rule, rule_pack[r].name) != 0)
				continue;
			match = match || examples[e].expected != NULL;
			miss = miss || examples[e].expected == NULL;
		}
		if (!match || !miss)
			fail_msg("rule %s lacks a%s example", rule_pack[r].name,
				 match ? " near-miss" : " matching");
	}
}

static void test_examples(void **state)
{
	struct pack *pack = *state;
	int64_t clock = 1000000;

	for (size_t e = 0; e < sizeof(examples) / sizeof(examples[0]); e++) {
		const struct example *example = &examples[e];
		const struct rule_definition *rule = pack_rule(example->rule);
		struct collected seen = { .count = 0 };
		uint32_t repeat;
		bool fired = false;

		if (rule == NULL)
			fail_msg("example for unknown rule %s", example->rule);
		/* Far apart in time so no quiet period carries over. */
		clock += 100000;
		repeat = rule->threshold > 1 ? rule->threshold : 1;
		for (uint32_t i = 0; i < repeat; i++) {
			struct log_record record = {
				.source = LOGSCAN_SOURCE_FILE,
				.origin = "test",
				.line_number = e + 1,
				.text = example->text,
				.length = strlen(example->text),
				.time_sec = clock,
			};

			seen.count = 0;
			rule_engine_scan(pack->engine, &record, collect, &seen);
		}
		for (size_t i = 0; i < seen.count; i++) {
			if (strcmp(seen.rules[i], example->rule) != 0)
				continue;
			fired = true;
			if (example->expected != NULL &&
			    strstr(seen.messages[i], example->expected) == NULL)
				fail_msg("%s: message \"%s\" lacks \"%s\"",
					 example->rule, seen.messages[i],
					 example->expected);
		}
		if (example->expected != NULL && !fired)
			fail_msg("%s did not fire on: %s", example->rule,
				 example->text);
		if (example->expected == NULL && fired)
			fail_msg("%s fired on its near miss: %s", example->rule,
				 example->text);
	}
}

/* No example line may set off a rule it was not written for, except the
 * pairs that describe one event twice on purpose. */
static void test_examples_fire_only_their_rule(void **state)
{
	struct pack *pack = *state;
	int64_t clock = 900000000;

	for (size_t e = 0; e < sizeof(examples) / sizeof(examples[0]); e++) {
		struct collected seen = { .count = 0 };
		struct log_record record = {
			.source = LOGSCAN_SOURCE_KMSG,
			.origin = "kmsg",
			.text = examples[e].text,
			.length = strlen(examples[e].text),
			.time_sec = clock += 100000,
		};

		rule_engine_scan(pack->engine, &record, collect, &seen);
		for (size_t i = 0; i < seen.count; i++) {
			bool expected_rule =
				strcmp(seen.rules[i], examples[e].rule) == 0;
			bool near_miss_of_other = examples[e].expected == NULL;

			if (!expected_rule && !near_miss_of_other)
				fail_msg("\"%s\" also fired %s", examples[e].text,
					 seen.rules[i]);
		}
	}
}

static void test_every_rule_is_prefiltered(void **state)
{
	struct pack *pack = *state;

	for (size_t i = 0; i < rule_engine_count(pack->engine); i++)
		if (!rule_engine_rule_prefiltered(pack->engine, i))
			fail_msg("rule %s has no literal: it would run on every "
				 "line", rule_engine_rule(pack->engine, i)->name);
}

/* The first-start summary counts matches in words: "3 I/O errors". */
static void test_every_rule_has_a_noun(void **state)
{
	(void)state;
	for (size_t i = 0; i < rule_pack_count; i++) {
		const char *noun = rule_pack[i].noun, *bar;

		if (noun == NULL || noun[0] == '\0')
			fail_msg("rule %s has no noun", rule_pack[i].name);
		bar = strchr(noun, '|');
		if (bar != NULL && (bar == noun || bar[1] == '\0' ||
				    strchr(bar + 1, '|') != NULL))
			fail_msg("rule %s: noun '%s' is not singular|plural",
				 rule_pack[i].name, noun);
	}
}

static void test_brute_force_needs_threshold_per_address(void **state)
{
	struct pack *pack = *state;
	char line[160];
	unsigned events = 0;

	/* 9 from each of two addresses: no alert; the 10th from one: alert. */
	for (int i = 0; i < 19; i++) {
		struct collected seen = { .count = 0 };
		struct log_record record = {
			.source = LOGSCAN_SOURCE_JOURNAL,
			.origin = "journal",
			.text = line,
			.time_sec = 2000000000 + i,
		};

		snprintf(line, sizeof(line), "sshd[%d]: Failed password for root "
			 "from 198.51.100.%d port 4000%d ssh2", 100 + i,
			 i < 18 ? i % 2 : 0, i % 10);
		record.length = strlen(line);
		events += rule_engine_scan(pack->engine, &record, collect, &seen);
		if (i < 18)
			assert_int_equal(seen.count, 0);
		else
			assert_string_equal(seen.messages[0],
					    "SSH brute force from 198.51.100.0: "
					    "10 failed logins within 300s");
	}
	assert_int_equal(events, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_rule_has_a_match_and_a_near_miss),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_examples_fire_only_their_rule),
		cmocka_unit_test(test_every_rule_is_prefiltered),
		cmocka_unit_test(test_every_rule_has_a_noun),
		cmocka_unit_test(test_brute_force_needs_threshold_per_address),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
