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

/* What systemd names a unit: name.type (unit_name_is_valid()). */
#define UNIT "[\\w@.:\\\\-]+\\.(?:service|socket|mount|timer|path|swap|" \
	     "scope|target|automount|slice)"
/* Only the kernel prints it (see rules.h: .kernel). */
#define K .kernel = true

const struct rule_definition rule_pack[] = {
	/* Memory: mm/oom_kill.c (4.18: "Kill process ... or sacrifice child"
	 * then "Killed process"; 5.1+: one "Killed process" line), and the
	 * oom_kill_allocating_task variant of the message prefix. */
	{ .name = "oom_kill", .severity = C, K,
	  .noun = "OOM kill",
	  .pattern = "Out of memory(?: \\(oom_kill_allocating_task\\))?: "
		     "Kill(?:ed)? process (?<pid>\\d+) "
		     "\\((?<process>[^)]*)\\)(?:.*?anon-rss:(?<rss>\\d+)kB)?",
	  .message = "OOM killer killed {process} (pid {pid}, anon-rss "
		     "{rss} kB)",
	  .description = "the kernel OOM killer killed a process" },
	/* dump_header(): "%s invoked oom-killer: gfp_mask=..." where %s is
	 * the task's comm (up to 15 bytes, may hold spaces: "CPU 2/KVM"). */
	{ .name = "oom_killer_invoked", .severity = I, K,
	  .noun = "OOM killer invocation",
	  .pattern = "(?:^|: |\\] )(?<process>[^\\s:][^:]{0,14}?) invoked "
		     "oom-killer: ",
	  .message = "{process} invoked the OOM killer",
	  .group_by = "process", .window_secs = 60,
	  .description = "an allocation failed and woke the OOM killer" },
	{ .name = "cgroup_oom", .severity = W, K,
	  .noun = "cgroup OOM kill",
	  .pattern = "Memory cgroup out of memory: Kill(?:ed)? process "
		     "(?<pid>\\d+) \\((?<process>[^)]*)\\)"
		     "(?:.*?anon-rss:(?<rss>\\d+)kB)?",
	  .message = "{process} (pid {pid}) killed at its cgroup memory "
		     "limit (anon-rss {rss} kB)",
	  .group_by = "process", .window_secs = 300,
	  .description = "a process was killed at its cgroup memory limit" },
	/* mm/page_alloc.c warn_alloc(): "%s: page allocation failure:
	 * order:%u, mode:%#x(%pGg), nodemask=%*pbl" (4.12+; 3.x-4.11
	 * warn_alloc_failed() "%s: page allocation failure: order:%u,
	 * mode:0x%x"), %s the task's comm; CPUs printing at once can split
	 * the comm from the rest. */
	{ .name = "page_alloc_failure", .severity = W, K,
	  .noun = "page allocation failure",
	  .pattern = "(?:(?:^|: |\\] )(?<process>[^\\s:][^:]{0,14}?): )?page "
		     "allocation failure: order:(?<order>\\d+), "
		     "mode:(?<mode>0x[0-9a-f]+(?:\\([^)]*\\))?)",
	  .message = "kernel page allocation failed: order {order}, mode "
		     "{mode} ({process})",
	  .window_secs = 3600,
	  .description = "a kernel memory allocation failed (low or "
			 "fragmented memory)" },
	/* User-space crashes */
	{ .name = "segfault", .severity = W, K,
	  .noun = "segfault",
	  .pattern = "(?<process>\\S+)\\[(?<pid>\\d+)\\]: segfault at "
		     "(?<address>[0-9a-f]+) ip (?<ip>[0-9a-f]+) sp [0-9a-f]+ "
		     "error (?<error>\\d+)",
	  .message = "{process} (pid {pid}) crashed: segfault at {address}, "
		     "ip {ip}, error {error}",
	  .group_by = "process", .window_secs = 300, .family = "crash",
	  .description = "a user process died of a segmentation fault" },
	{ .name = "general_protection", .severity = W, K,
	  .noun = "general protection fault",
	  .pattern = "traps: (?<process>\\S+)\\[(?<pid>\\d+)\\] general "
		     "protection(?: fault)? ip:(?<ip>[0-9a-f]+) sp:[0-9a-f]+ "
		     "error:(?<error>[0-9a-f]+)",
	  .message = "{process} (pid {pid}) crashed: general protection "
		     "fault at ip {ip}",
	  .group_by = "process", .window_secs = 300, .family = "crash",
	  .description = "a user process died of a general protection fault" },
	{ .name = "user_trap", .severity = W, K,
	  .noun = "CPU trap",
	  .pattern = "traps: (?<process>\\S+)\\[(?<pid>\\d+)\\] trap "
		     "(?<trap>[a-z ]+?) ip:(?<ip>[0-9a-f]+)",
	  .message = "{process} (pid {pid}) crashed: trap {trap} at ip {ip}",
	  .group_by = "process", .window_secs = 300, .family = "crash",
	  .description = "a user process died of a CPU trap (invalid "
			 "opcode, divide error, ...)" },
	/* The crash handlers the kernel pipes a core to (core_pattern), as
	 * they log it. systemd-coredump (src/coredump/coredump.c): "Process
	 * %s (%s) of user %s dumped core." (every version; the stack trace
	 * follows in the journal entry), "... terminated abnormally without
	 * generating a coredump." (core size limit 0), since v256 first
	 * "... terminated abnormally with signal %s/%s, processing...";
	 * Fedora puts a link glyph before "Process". ABRT's abrt-hook-ccpp
	 * (RHEL, Fedora): "Process %d (%s) of user %d killed by SIG%s -
	 * dumping core" or "- ignoring (repeated crash)" and the like. The
	 * kernel logs nothing for SIGABRT, SIGBUS, SIGQUIT or SIGSYS, so this
	 * is the only word of such a crash; for a segfault or a trap it is
	 * the kernel's report in other words, hence one family: whichever
	 * line comes first alerts, the other is counted as covered. "(%s)" is
	 * the comm: 15 bytes at most, may hold spaces or parentheses. */
	{ .name = "process_crash", .severity = W,
	  .noun = "crash report",
	  .pattern = "Process (?<pid>\\d+) \\((?<process>.{1,32}?)\\)"
		     "(?: of user (?<uid>\\d+))? (?<how>dumped core|"
		     "terminated abnormally (?:with signal \\d+/\\w+|without "
		     "generating a coredump)|killed by (?:SIG\\w+|signal \\d+))",
	  .message = "{process} (pid {pid}) crashed: {how}",
	  .group_by = "process", .window_secs = 300, .family = "crash",
	  .description = "a user process died of a signal that dumps core "
			 "(systemd-coredump or ABRT; the only report of "
			 "SIGABRT, SIGBUS, ... which the kernel does not log)" },
	/* PID 1 itself (src/core/crash-handler.c, main.c before v254):
	 * "Caught <%s>, dumped core as pid %d.", "..., not dumping core.",
	 * "..., cannot fork for core dump: %m", "Caught <%s> from PID %d."
	 * and then "Freezing execution." (or a reboot when CrashReboot=yes):
	 * the service manager is gone, no unit starts or restarts. Matched
	 * without the "systemd[1]: " tag: a console or a trimmed report has
	 * only the message, and no other program writes "Caught <SIG>". */
	{ .name = "pid1_crash", .severity = C,
	  .noun = "service manager crash",
	  .pattern = "Caught <(?<signal>[A-Z0-9+]{2,8})>(?<what>, (?:dumped "
		     "core|not dumping core|cannot fork|core dump failed)"
		     "[^\\n]{0,80}?(?=\\.?$)| from PID -?\\d+)",
	  .message = "systemd (PID 1) crashed on SIG{signal}{what}: the "
		     "service manager has stopped (it freezes, or reboots "
		     "the host)",
	  .window_secs = 3600,
	  .description = "the service manager (systemd, PID 1) crashed" },
	/* Kernel failures: lib/bug.c, arch/x86/mm/fault.c (x86 "BUG: ..."),
	 * arch/arm64/mm/fault.c and arch/arm/mm/fault.c ("Unable to handle
	 * kernel ... at virtual address"), arch/x86/kernel/dumpstack.c
	 * __die_header() ("%s: %04lx [#%d]", "Oops: " in front since 6.10). */
	{ .name = "kernel_bug", .severity = C, K,
	  .noun = "kernel BUG",
	  .pattern = "kernel BUG at (?<where>[^!\\s]+)|"
		     "(?<![A-Za-z])BUG: (?!soft lockup)(?<where>.{1,160})|"
		     "Unable to handle kernel (?<where>NULL pointer "
		     "dereference|paging request) at virtual address",
	  .message = "kernel BUG: {where}", .window_secs = 300,
	  .description = "kernel BUG() or BUG: report" },
	{ .name = "kernel_oops", .severity = C, K,
	  .noun = "kernel Oops|kernel Oopses",
	  .pattern = "Oops: (?<what>.{0,160}?) ?\\[#\\d+\\]|"
		     "(?=(?<what>invalid opcode))invalid opcode: [0-9a-f]{4} "
		     "\\[#\\d+\\]|"
		     "(?=(?<what>stack segment))stack segment: [0-9a-f]{4} "
		     "\\[#\\d+\\]|"
		     "(?=(?<what>double fault))double fault: [0-9a-f]{4} "
		     "\\[#\\d+\\]|"
		     "(?=(?<what>divide error))divide error: [0-9a-f]{4} "
		     "\\[#\\d+\\]",
	  .message = "kernel Oops: {what}", .window_secs = 300,
	  .description = "kernel Oops" },
	{ .name = "kernel_gpf", .severity = C, K,
	  .noun = "kernel general protection fault",
	  .pattern = "(?<!Oops: )general protection fault(?:, [^:]*)?: "
		     "[0-9a-f]{4} "
		     "\\[#\\d+\\]",
	  .message = "kernel general protection fault", .window_secs = 300,
	  .description = "general protection fault inside the kernel" },
	{ .name = "kernel_panic", .severity = C, K,
	  .noun = "kernel panic",
	  .pattern = "Kernel panic - not syncing: (?<reason>.{0,160})",
	  .message = "kernel panic: {reason}",
	  .description = "kernel panic" },
	/* The WARN()s that carry NETDEV WATCHDOG (sch_generic.c) and the
	 * 3.x hard lockup (watchdog.c) are told by their own rules. */
	{ .name = "kernel_warning", .severity = W, K,
	  .noun = "kernel warning",
	  .pattern = "WARNING: CPU: (?<cpu>\\d+) PID: (?<pid>\\d+) at "
		     "(?<where>\\S+)",
	  .exclude = "WARNING: CPU: \\d+ PID: \\d+ at \\S*(?:net/sched/"
		     "sch_generic|kernel/watchdog(?:_hld)?)\\.c:\\d+ ",
	  .message = "kernel warning with call trace at {where}",
	  .group_by = "where", .window_secs = 3600,
	  .description = "kernel WARN() with a call trace" },
	{ .name = "soft_lockup", .severity = C, K,
	  .noun = "soft lockup",
	  .pattern = "BUG: soft lockup - CPU#(?<cpu>\\d+) stuck for "
		     "(?<secs>\\d+)s!",
	  .message = "soft lockup: CPU {cpu} stuck for {secs}s",
	  .group_by = "cpu", .window_secs = 300,
	  .description = "a CPU looped in kernel mode without scheduling" },
	/* kernel/watchdog_hld.c (4.18-6.5), kernel/watchdog.c (6.6+),
	 * arch/powerpc/kernel/watchdog.c (4.15: "Watchdog CPU:%d Hard
	 * LOCKUP"; later "CPU %d self-detected hard LOCKUP @ %pS", "CPU %d
	 * detected hard LOCKUP on other CPUs %*pbl"). */
	{ .name = "hard_lockup", .severity = C, K,
	  .noun = "hard lockup",
	  .pattern = "Watchdog detected hard LOCKUP on cpu (?<cpu>\\d+)|"
		     "Watchdog CPU:(?<cpu>\\d+) Hard LOCKUP|"
		     "CPU (?<cpu>\\d+) (?:self-)?detected hard LOCKUP",
	  .message = "hard lockup on CPU {cpu}",
	  .group_by = "cpu", .window_secs = 300,
	  .description = "a CPU stopped taking interrupts" },
	{ .name = "hung_task", .severity = W, K,
	  .noun = "hung task",
	  .pattern = "INFO: task (?<process>.+?):(?<pid>\\d+) blocked for "
		     "more than (?<secs>\\d+) seconds",
	  .message = "task {process} (pid {pid}) blocked for more than "
		     "{secs} seconds",
	  .group_by = "process", .window_secs = 600,
	  .description = "a task stuck in uninterruptible sleep (often "
			 "storage)" },
	/* kernel/rcu/tree_stall.h (tree.c before 5.1): "INFO: %s
	 * self-detected stall on CPU", "INFO: %s detected stalls on
	 * CPUs/tasks:"; tree_exp.h: "INFO: %s detected expedited stalls on
	 * CPUs/tasks: {". */
	{ .name = "rcu_stall", .severity = C, K,
	  .noun = "RCU stall",
	  .pattern = "INFO: (?<flavor>rcu_\\w+) (?:self-)?detected "
		     "(?:expedited )?stall",
	  .message = "RCU stall detected ({flavor})", .window_secs = 300,
	  .description = "RCU grace period stalled" },
	/* Hardware: arch/x86/kernel/cpu/mce/core.c print_mce() ("CPU %d:
	 * Machine Check%s: ..." with " Exception" when raised as #MC, i.e.
	 * uncorrected) and mce_panic() ("Machine check: %s"); the AMD decoder
	 * drivers/edac/mce_amd.c decode_error_status(); APEI/GHES CPER
	 * records (drivers/firmware/efi/cper.c "event severity: %s"). */
	{ .name = "machine_check", .severity = W, K,
	  .noun = "machine check",
	  .pattern = "mce: \\[Hardware Error\\]: (?:Machine check events "
		     "logged|CPU (?<cpu>\\d+): Machine Check(?! Exception))|"
		     "\\[Hardware Error\\]: (?:Corrected|Deferred) error, no "
		     "action required|"
		     "\\[Hardware Error\\]: event severity: corrected",
	  .message = "corrected machine check (hardware error) reported",
	  .window_secs = 3600,
	  .description = "corrected machine check / hardware error" },
	{ .name = "machine_check_uncorrected", .severity = C, K,
	  .noun = "uncorrected machine check",
	  .pattern = "mce: \\[Hardware Error\\]: CPU (?<cpu>\\d+): Machine "
		     "Check Exception|"
		     "mce: \\[Hardware Error\\]: Machine check: "
		     "(?<reason>.{1,120})|"
		     "\\[Hardware Error\\]: (?:Uncorrected, software "
		     "(?:containable|restartable)|System Fatal) error|"
		     "\\[Hardware Error\\]: event severity: "
		     "(?<reason>recoverable|fatal)",
	  .message = "uncorrected machine check (hardware error) ({reason})",
	  .window_secs = 300,
	  .description = "uncorrected machine check / fatal hardware error" },
	{ .name = "edac_uncorrected", .severity = C, K,
	  .noun = "uncorrected memory error",
	  .pattern = "EDAC (?<controller>MC\\d+): (?<count>\\d+) UE "
		     "(?<what>.{0,160})",
	  .message = "uncorrected memory error on {controller}: {what}",
	  .group_by = "controller", .window_secs = 300,
	  .description = "uncorrectable ECC memory error" },
	{ .name = "edac_corrected", .severity = W, K,
	  .noun = "corrected memory error report",
	  .pattern = "EDAC (?<controller>MC\\d+): (?<count>\\d+) CE "
		     "(?<what>.{0,160})",
	  .message = "corrected memory errors on {controller}: {what}",
	  .group_by = "controller", .window_secs = 3600,
	  .description = "correctable ECC memory errors (a DIMM going bad)" },
	/* mm/memory-failure.c, what the kernel did with a page an uncorrected
	 * error hit: action_result() "Memory failure: %#lx: recovery action
	 * for %s: %s" (Ignored, Failed, Delayed, Recovered), kill_proc()
	 * "... Killing %s:%d due to hardware memory corruption" (to 5.1),
	 * "... Sending SIGBUS to %s:%d due to ..." (5.2+);
	 * arch/x86/kernel/cpu/mce/core.c "Uncorrected hardware memory error
	 * in user-access at %llx" and "Memory error not recovered". Other
	 * "Memory failure:" lines ("already hardware poisoned", "unhandlable
	 * page") come with one of these. */
	{ .name = "memory_failure", .severity = C, K,
	  .noun = "hardware memory corruption report",
	  .pattern = "Memory failure: (?<what>0x[0-9a-f]+: recovery action "
		     "for [^:]{1,60}: (?:Ignored|Failed|Delayed|Recovered))|"
		     "Memory failure: (?<what>0x[0-9a-f]+: (?:Killing|Sending "
		     "SIGBUS to) \\S+:\\d+) due to hardware memory corruption|"
		     "mce: (?<what>Uncorrected hardware memory error in "
		     "user-access at [0-9a-f]+|Memory error not recovered)",
	  .message = "uncorrected memory error hit a page: {what}",
	  .window_secs = 300,
	  .description = "an uncorrected memory error reached a page in use "
			 "(page offlined, process signalled)" },
	/* drivers/pci/pcie/aer.c aer_print_error(): "PCIe Bus Error:
	 * severity=%s, type=%s, ..." printed by the erring device (5.x adds
	 * "AER: " in front; 6.9+ says "Correctable"/"Uncorrectable"),
	 * aer_isr_one_error() "AER: [Multiple ]%s error received: %s" (6.9+
	 * "... error message received from %s"), pcie_do_recovery() "AER:
	 * device recovery failed". */
	{ .name = "pcie_aer_uncorrected", .severity = C, K,
	  .noun = "uncorrected PCIe error",
	  .pattern = "(?<device>(?:[0-9a-f]{4,}:)?[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]"
		     "): (?:AER: )?PCIe Bus Error: severity=(?<what>"
		     "Uncorrect(?:ed|able) \\((?:Non-)?Fatal\\))|"
		     "AER: (?:Multiple )?(?<what>Uncorrect(?:ed|able) "
		     "\\((?:Non-)?Fatal\\)) error (?:message )?received(?: "
		     "from|:) (?:id=)?(?<device>[0-9a-f:.]+)|"
		     "(?<device>(?:[0-9a-f]{4,}:)?[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]"
		     "): AER: (?<what>device recovery failed)",
	  .message = "PCIe uncorrected error on {device}: {what}",
	  .group_by = "device", .window_secs = 300,
	  .description = "uncorrected PCIe (AER) errors and failed device "
			 "recovery" },
	/* Corrected errors flood on some links (one "PCIe Bus Error" per
	 * event): a warning once 5 arrive from one device within the hour. */
	{ .name = "pcie_aer_corrected", .severity = W, K,
	  .noun = "corrected PCIe error",
	  .pattern = "(?<device>(?:[0-9a-f]{4,}:)?[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]"
		     "): (?:AER: )?PCIe Bus Error: severity=Correct(?:ed|able), "
		     "type=(?<type>[^,]+)",
	  .message = "{count} corrected PCIe errors ({type}) on {device} "
		     "within {window}s",
	  .group_by = "device", .threshold = 5, .window_secs = 3600,
	  .description = "repeated corrected PCIe (AER) errors from one "
			 "device (a degrading link)" },
	/* Storage */
	{ .name = "block_io_error", .severity = C, K,
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
	/* drivers/scsi/scsi_logging.c scsi_print_sense(): "Sense Key : %s",
	 * "Add. Sense: %s" (ASC 0x11 "Unrecovered read error"). */
	{ .name = "medium_error", .severity = C, K,
	  .noun = "medium error",
	  .pattern = "critical medium error, dev (?<device>[\\w-]+), sector "
		     "(?<sector>\\d+)|"
		     "(?<device>\\[\\w+\\]) (?:tag#\\d+ )?Sense Key : Medium "
		     "Error|"
		     "(?<device>\\[\\w+\\]) (?:tag#\\d+ )?Add\\. Sense: "
		     "Unrecovered read error|"
		     "(?<device>ata\\d+\\.\\d+): error: \\{ UNC \\}",
	  .message = "medium error (unreadable sector) on {device}",
	  .group_by = "device", .window_secs = 300,
	  .description = "disk medium errors (bad sectors)" },
	/* drivers/scsi/scsi_lib.c ("timing out command, waited %lus"),
	 * scsi_logging.c ("FAILED Result: hostbyte=DID_TIME_OUT"),
	 * scsi_error.c, drivers/usb/storage/uas.c uas_eh_abort_handler(),
	 * drivers/ata/libata-eh.c ("exception Emask", "hard resetting link",
	 * "reset failed, giving up"), libata-core.c ata_dev_disable()
	 * ("ata%u.%02u: disabled": the disk is gone). */
	{ .name = "scsi_timeout_reset", .severity = W, K,
	  .noun = "disk timeout or reset|disk timeouts or resets",
	  .pattern = "(?<device>\\[\\w+\\]) (?:tag#\\d+ )?timing out "
		     "command, waited (?<secs>\\d+)s|"
		     "(?<device>\\[\\w+\\]) (?:tag#\\d+ )?FAILED Result: "
		     "hostbyte=DID_TIME_OUT|"
		     "(?<device>\\[\\w+\\]) (?:tag#\\d+ )?uas_eh_abort_handler|"
		     "(?<device>\\d+:\\d+:\\d+:\\d+): Device offlined - not "
		     "ready after error recovery|"
		     "(?<device>\\d+:\\d+:\\d+:\\d+): rejecting I/O to offline "
		     "device|"
		     "(?<device>ata\\d+(?:\\.\\d+)?): exception Emask|"
		     "(?<device>ata\\d+(?:\\.\\d+)?): hard resetting link|"
		     "(?<device>ata\\d+): reset failed, giving up|"
		     "(?<device>ata\\d+\\.\\d+): disabled(?![ \\w])",
	  .message = "disk {device}: command timeout or reset",
	  .group_by = "device", .window_secs = 300,
	  .description = "SCSI/ATA command timeouts, resets, offlined "
			 "devices" },
	/* drivers/nvme/host/pci.c nvme_timeout(): 4.18 "I/O %d QID %d
	 * timeout, aborting|reset controller|disable controller|completion
	 * polled", 6.x "I/O tag %d (%04x) opcode %#x (%s) QID %d timeout,
	 * ..."; nvme_should_reset() "controller is down; will reset". */
	{ .name = "nvme_timeout_reset", .severity = C, K,
	  .noun = "NVMe timeout or reset|NVMe timeouts or resets",
	  .pattern = "nvme (?<device>nvme\\d+): I/O .{0,80}?QID \\d+ "
		     "timeout, (?!completion polled)|"
		     "(?<device>nvme\\d+): controller is down; will reset|"
		     "nvme (?<device>nvme\\d+): Device not ready; aborting|"
		     "nvme (?<device>nvme\\d+): Removing after probe failure",
	  .message = "NVMe {device}: timeout or controller reset",
	  .group_by = "device", .window_secs = 300,
	  .description = "NVMe command timeouts and controller resets" },
	{ .name = "nvme_completion_polled", .severity = W, K,
	  .noun = "NVMe lost interrupt",
	  .pattern = "nvme (?<device>nvme\\d+): I/O .{0,80}?QID \\d+ "
		     "timeout, completion polled",
	  .message = "NVMe {device}: a command completed only when polled "
		     "(lost interrupt)",
	  .group_by = "device", .window_secs = 3600,
	  .description = "NVMe commands that timed out but had completed "
			 "(interrupt lost, often power saving)" },
	/* fs/ext4/super.c __ext4_error() ("(device %s): %s:%d: ..."),
	 * __ext4_std_error() ("(device %s) in %s:%d: %s", e.g. "Journal has
	 * aborted"), ext4_commit_super() ("I/O error while writing
	 * superblock"); fs/jbd2 ("Aborting journal on device %s.",
	 * "JBD2: Detected IO errors while flushing file data on %s",
	 * "JBD2: Error %d detected when updating journal superblock for");
	 * fs/ext2/super.c ext2_error() puts the device first: "EXT2-fs (%s):
	 * error: %s: %pV". */
	{ .name = "ext4_error", .severity = C, K,
	  .noun = "ext4 error",
	  .pattern = "EXT[234]-fs error \\(device (?<device>[^)]+)\\)(?::| "
		     "in) (?<what>.{0,160})|"
		     "EXT[234]-fs \\((?<device>[^)]+)\\): (?<what>I/O error "
		     "while writing superblock)|"
		     "EXT[234]-fs \\((?<device>[^)]+)\\): error: "
		     "(?<what>.{1,160})|"
		     "(?<what>Aborting journal) on device (?<device>[\\w-]+)|"
		     "JBD2: (?<what>Detected IO errors while flushing file "
		     "data|Error -?\\d+ detected when updating journal "
		     "superblock) (?:on|for) (?<device>[\\w-]+)",
	  .message = "ext4 error on {device}: {what}",
	  .group_by = "device", .window_secs = 300,
	  .description = "ext2/3/4 file system and journal errors" },
	/* fs/xfs: xfs_error_report() "Internal error %s at line %d of file
	 * %s", xfs_do_force_shutdown() (4.18: "... Error Detected. Shutting
	 * down filesystem"; 5.15+: "%s (0x%x) detected at %pS ... Shutting
	 * down filesystem."), xlog "log I/O error %d" and "Filesystem has
	 * been shut down due to log error", xfs_log_mount() "log
	 * mount/recovery failed: error %d", xfs_mountfs() "log mount
	 * failed", verifiers "Metadata CRC error detected", 4.x
	 * "xfs_log_force: error %d returned", xfs_dir_ino_validate()
	 * "Invalid inode number 0x%llx" (a directory entry pointing nowhere).
	 * An admin's forced unmount is not an error. */
	{ .name = "xfs_error", .severity = C, K,
	  .noun = "XFS error",
	  .pattern = "XFS \\((?<device>[^)]+)\\): (?<what>(?:Internal error|"
		     "Corruption (?:detected|of )|Metadata (?:corruption|CRC "
		     "error) detected|[Mm]etadata I/O [Ee]rror|[Ll]og I/O "
		     "[Ee]rror|I/O Error Detected|Filesystem has been shut "
		     "down|xfs_do_force_shutdown|xfs_log_force: error|log "
		     "mount(?:/recovery)? failed|Invalid inode number).{0,120})|"
		     "XFS: (?<what>Internal error .{0,120})",
	  .exclude = "XFS \\([^)]+\\): Forced unmount",
	  .message = "XFS error on {device}: {what}",
	  .group_by = "device", .window_secs = 300,
	  .description = "XFS corruption, I/O errors, shutdowns and failed "
			 "log recovery" },
	{ .name = "btrfs_error", .severity = C, K,
	  .noun = "btrfs error",
	  .pattern = "BTRFS(?: error| critical|: error) \\(device "
		     "(?<device>[^): ]+)[^)]*\\):? (?<what>.{0,160})",
	  .message = "btrfs error on {device}: {what}",
	  .group_by = "device", .window_secs = 300,
	  .description = "btrfs errors and corruption" },
	{ .name = "fs_read_only", .severity = C, K,
	  .noun = "read-only remount",
	  .pattern = "EXT[234]-fs \\((?<device>[^)]+)\\): Remounting "
		     "filesystem read-only|"
		     "BTRFS \\w+ \\(device (?<device>[^): ]+)[^)]*\\): forced "
		     "readonly",
	  .message = "file system on {device} was remounted read-only",
	  .group_by = "device", .window_secs = 3600,
	  .description = "a file system went read-only after errors" },
	/* drivers/md: raid1.c/raid10.c/raid5.c *_error() "md/raid%s:%s: Disk
	 * failure on %s, disabling device." with "... Operation continuing on
	 * %d devices." (one record, two lines), raid5 "Cannot continue
	 * operation (%d/%d failed)." and "read error not correctable (sector
	 * %llu on %s).", raid1/raid10 "%s: unrecoverable I/O read error for
	 * block %llu"; at assembly raid5 "not enough operational devices
	 * (%d/%d failed)", raid10 "not enough operational mirrors.". */
	{ .name = "md_raid_failure", .severity = C, K,
	  .noun = "software RAID failure",
	  .pattern = "md/raid\\d*:(?<array>[\\w-]+): (?<what>Disk failure on "
		     "[^,\\s]+), disabling device|"
		     "md/raid\\d*:(?<array>[\\w-]+): (?<what>Operation "
		     "continuing on \\d+ devices|Cannot continue operation "
		     "\\(\\d+/\\d+ failed\\)|not enough operational (?:devices "
		     "\\(\\d+/\\d+ failed\\)|mirrors))|"
		     "md/raid\\d*:(?<array>[\\w-]+): (?<what>read error not "
		     "correctable \\(sector \\d+ on [^)\\s]+\\))|"
		     "md/raid\\d*:(?<array>[\\w-]+): (?<what>\\S+: unrecoverable "
		     "I/O read error) for block",
	  .message = "software RAID {array}: {what}",
	  .group_by = "array", .window_secs = 300,
	  .description = "an md RAID member failed, or the array lost data "
			 "or stopped" },
	/* raid1.c "md/raid1:%s: active with %d out of %d mirrors", raid10.c
	 * "... active with %d out of %d devices", raid5.c "md/raid:%s: raid
	 * level %d active with %d out of %d devices, algorithm %d": fewer
	 * than all is an array assembled degraded. md.c md_do_sync() "md:
	 * %s: %s interrupted." for a rebuild onto a spare (recovery) or a
	 * reshape; a check or resync stopped at shutdown is not news. */
	{ .name = "md_raid_degraded", .severity = W, K,
	  .noun = "degraded software RAID report",
	  .pattern = "md/raid\\d*:(?<array>[\\w-]+): (?:raid level \\d+ )?"
		     "(?<what>active with (?<up>\\d+) out of (?!\\k<up> )"
		     "\\d+ (?:mirrors|devices))|"
		     "md: (?<array>[\\w-]+): (?<what>(?:recovery|reshape) "
		     "interrupted)",
	  .message = "software RAID {array} degraded: {what}",
	  .group_by = "array", .window_secs = 3600,
	  .description = "an md RAID array started without all its members, "
			 "or its rebuild stopped" },
	/* drivers/md/dm-mpath.c fail_path(), DMWARN: "device-mapper:
	 * multipath: Failing path %s." (4.18 to 5.x: the path's dev_t alone;
	 * later kernels name the map's dev_t first, "... multipath: 253:12:
	 * Failing path 69:64."), printed whether the kernel saw the path's I/O
	 * fail or multipathd's checker failed it; "Reinstating path" is the
	 * way back. The map still has other paths: a warning per map. */
	{ .name = "multipath_path_failed", .severity = W, K,
	  .noun = "multipath path failure",
	  .pattern = "device-mapper: multipath: (?:(?<map>\\d+:\\d+): )?"
		     "Failing path (?<path>\\d+:\\d+)\\.",
	  .message = "storage path {path} of a multipath device failed "
		     "({map})",
	  .group_by = "map", .window_secs = 300,
	  .description = "a path of a dm-multipath device failed (SAN link, "
			 "HBA or array port)" },
	/* multipath-tools libmultipath/structs_vec.c (multipathd/main.c
	 * before 0.7) update_queue_mode_del_path(): "%s: remaining active
	 * paths: %d" with the map's alias or WWID, after every path it fails.
	 * 0 is the whole device gone: I/O queues (queue_if_no_path) or
	 * fails. */
	{ .name = "multipath_all_paths_down", .severity = C,
	  .noun = "multipath device without paths",
	  .pattern = "multipathd(?:\\[\\d+\\])?: (?<map>[\\w.:-]+): remaining "
		     "active paths: 0$",
	  .message = "multipath device {map} lost all its paths: its I/O "
		     "queues or fails",
	  .group_by = "map", .window_secs = 300,
	  .description = "every path of a dm-multipath device is down "
			 "(multipathd)" },
	/* Hardware RAID controllers that stopped: megaraid_sas (fusion)
	 * megasas_wait_for_outstanding_fusion() "FW in FAULT state Fault
	 * code:0x%x subcode:0x%x func:%s" (5.x; 4.18 "Found FW in FAULT
	 * state, will reset adapter scsi%d."), megasas_reset_fusion() "Reset
	 * failed, killing adapter scsi%d."; hpsa controller_lockup_detected()
	 * "Controller lockup detected: 0x%08x after %d" (the per-command
	 * "controller lockup detected: LUN:..." lines follow it). Every disk
	 * behind the controller is gone or about to be. */
	{ .name = "raid_controller_fault", .severity = C, K,
	  .noun = "RAID controller fault",
	  .pattern = "megaraid_sas (?<controller>[0-9a-f:.]+): "
		     "(?<what>(?:Found )?FW in FAULT state(?: Fault "
		     "code:0x[0-9a-f]+)?|Reset failed, killing adapter)|"
		     "hpsa (?<controller>[0-9a-f:.]+): (?<what>Controller "
		     "lockup detected: 0x[0-9a-f]+)",
	  .message = "RAID controller {controller} failed: {what}",
	  .group_by = "controller", .window_secs = 300,
	  .description = "a hardware RAID controller (megaraid_sas, hpsa) "
			 "faulted or locked up" },
	/* Network: netif_carrier_off() wordings of the drivers: e1000e, igb,
	 * ixgbe, i40e, ice, igc, bnx2x, vmxnet3 "NIC Link is Down", bnx2 "NIC
	 * Copper Link is Down", r8169 and phylib "Link is Down", tg3 "Link is
	 * down.", mlx5 "Link down", mlx4 "Link Down", r8168 "link down";
	 * bonding "link status definitely down". */
	{ .name = "nic_link_down", .severity = W, K,
	  .noun = "link loss|link losses",
	  .pattern = "(?<interface>[\\w.@-]+):? (?:NIC )?(?:Copper |Fiber "
		     "|SerDes )?Link is [Dd]own|"
		     "(?<interface>[\\w.@-]+): [Ll]ink [Dd]own\\b|"
		     "\\(slave (?<interface>[\\w.-]+)\\): link status "
		     "definitely down|"
		     "link status definitely down for interface "
		     "(?<interface>[\\w.-]+)",
	  .message = "network link down on {interface}",
	  .group_by = "interface", .window_secs = 300,
	  .description = "a NIC lost its link" },
	/* net/sched/sch_generic.c dev_watchdog(): "NETDEV WATCHDOG: %s (%s):
	 * transmit queue %u timed out" (6.2+ " %u ms"), 6.8+ netdev_crit()
	 * "NETDEV WATCHDOG: CPU: %d: transmit queue %u timed out %u ms". */
	{ .name = "nic_tx_timeout", .severity = C, K,
	  .noun = "transmit timeout",
	  .pattern = "NETDEV WATCHDOG: (?<interface>\\S+) \\([^)]*\\): "
		     "transmit queue (?<queue>\\d+) timed out|"
		     "(?<interface>[\\w.-]+): NETDEV WATCHDOG: CPU: \\d+: "
		     "transmit queue (?<queue>\\d+) timed out|"
		     "(?<interface>[\\w.-]+): Detected Hardware Unit Hang",
	  .message = "transmit timeout on {interface}",
	  .group_by = "interface", .window_secs = 300,
	  .description = "NIC transmit queue timeouts / hangs" },
	{ .name = "nfs_not_responding", .severity = W, K,
	  .noun = "NFS server timeout",
	  .pattern = "nfs: server (?<server>\\S+) not responding",
	  .message = "NFS server {server} not responding",
	  .group_by = "server", .window_secs = 300,
	  .description = "an NFS server stopped answering" },
	{ .name = "conntrack_full", .severity = C, K,
	  .noun = "conntrack table overflow",
	  .pattern = "(?:nf|ip)_conntrack: table full, dropping packet",
	  .message = "connection tracking table full: packets dropped",
	  .window_secs = 300,
	  .description = "netfilter conntrack table full" },
	/* net/ipv4/tcp.c tcp_check_oom() "TCP: out of memory -- consider
	 * tuning tcp_mem", "TCP: too many orphaned sockets"; tcp_input.c
	 * tcp_syn_flood_action() "%s: Possible SYN flooding on port %d. %s.
	 * Check SNMP counters." (%s "TCP" on 4.x, the request_sock slab name
	 * "request_sock_TCP" later; 5.10+ "port %pISpc", address and port).
	 * A listener on loopback overflows from a local client's connection
	 * storm (test harnesses binding port 0 do it all day), not from the
	 * network: skipped where the kernel names the address. */
	{ .name = "tcp_memory_exhausted", .severity = W, K,
	  .noun = "TCP memory exhaustion report",
	  .pattern = "TCP: (?<what>out of memory) -- consider tuning tcp_mem|"
		     "TCP: (?<what>too many orphaned sockets)",
	  .message = "TCP {what}: connections are being dropped (see "
		     "net.ipv4.tcp_mem, /proc/net/sockstat)",
	  .window_secs = 900,
	  .description = "the kernel ran out of TCP socket memory or "
			 "orphan sockets" },
	{ .name = "syn_flood", .severity = W, K,
	  .noun = "SYN flood report",
	  .pattern = "[Pp]ossible SYN flooding on port (?:(?<address>\\S+):)?"
		     "(?<port>\\d+)\\. (?<action>Sending cookies|Dropping "
		     "request)",
	  .exclude = "SYN flooding on port (?:127\\.[\\d.]+|\\[::1\\]|"
		     "\\[::ffff:127\\.[\\d.]+\\]):\\d+\\.",
	  .message = "listen queue of port {port} overflowed (possible SYN "
		     "flood): {action}",
	  .group_by = "port", .window_secs = 3600,
	  .description = "a listening port's SYN queue overflowed (flood, or "
			 "a service accepting too slowly)" },
	/* net/core/neighbour.c neigh_alloc(): "neighbour: %s: neighbor table
	 * overflow!" (net_info_ratelimited, %s the table: arp_cache,
	 * ndisc_cache): past gc_thresh3 entries no new neighbour is
	 * resolved, so traffic to new hosts on the link is dropped. Floods
	 * while it lasts: once per table within 15 minutes. */
	{ .name = "neighbour_table_overflow", .severity = W, K,
	  .noun = "neighbour table overflow",
	  .pattern = "neighbour: (?<table>\\w+): neighbor table overflow!",
	  .message = "neighbour table {table} full: addresses of new hosts "
		     "are not resolved (see net.ipv4/ipv6.neigh.default."
		     "gc_thresh3)",
	  .group_by = "table", .window_secs = 900,
	  .description = "the ARP or IPv6 neighbour table overflowed" },
	/* Resources: arch/x86/kernel/cpu/mce/therm_throt.c ("CPU%d: %s
	 * temperature above threshold, cpu clock throttled (total events =
	 * %lu)"; 5.5+ "... temperature is above threshold, cpu clock is
	 * throttled ..."), drivers/thermal ("critical temperature reached"). */
	{ .name = "thermal_throttling", .severity = W, K,
	  .noun = "thermal throttling report",
	  .pattern = "CPU(?<cpu>\\d+): (?:Core|Package) temperature (?:is )?"
		     "above threshold, cpu clock (?:is )?throttled|"
		     "critical temperature reached",
	  .message = "CPU thermal throttling or critical temperature",
	  .window_secs = 900,
	  .description = "CPU throttled for heat, or critical temperature" },
	{ .name = "file_max", .severity = C, K,
	  .noun = "file-max limit report",
	  .pattern = "VFS: file-max limit (?<limit>\\d+) reached",
	  .message = "system-wide open file limit ({limit}) reached",
	  .window_secs = 300,
	  .description = "out of file descriptors (fs.file-max)" },
	/* kernel/cgroup/pids.c pids_can_fork() (4.18-6.1), pids_event()
	 * (6.2+): "cgroup: fork rejected by pids controller in %s", the
	 * cgroup's path (pr_cont_cgroup_path), once per cgroup: the fork()s
	 * and thread creations that keep failing after it are not logged.
	 * systemd's TasksMax sets the limit of a service. */
	{ .name = "pids_limit", .severity = W, K,
	  .noun = "fork rejected at a pids limit|forks rejected at a pids "
		  "limit",
	  .pattern = "cgroup: fork rejected by pids controller in "
		     "(?<cgroup>/\\S*)",
	  .message = "{cgroup} reached its pids limit (TasksMax): it cannot "
		     "start processes or threads",
	  .group_by = "cgroup", .window_secs = 3600,
	  .description = "a cgroup (service, session, container) hit its "
			 "pids.max" },
	/* Services: systemd src/core (job.c "Failed to start %s." with the
	 * description, since v249 possibly "UNIT - description"; unit.c
	 * "Failed with result '%s'."; service.c "%s operation timed out.
	 * Terminating." and "Start request repeated too quickly."; v219-v228
	 * "Unit %s entered failed state." / "%s failed.", v229-v232
	 * "Unit entered failed state."). */
	{ .name = "systemd_unit_failed", .severity = W,
	  .noun = "unit failure",
	  .pattern = "(?<unit>" UNIT "): Failed with result "
		     "'(?<result>[^']+)'|"
		     "Unit (?<unit>\\S+) entered failed state|"
		     "(?<unit>" UNIT "): Unit entered failed state|"
		     "systemd\\[\\d+\\]: Failed to start (?:(?<unit>" UNIT ") "
		     "- .*?|(?<unit>.{1,160}?))\\.?$|"
		     "(?<unit>" UNIT "):? (?=(?<result>[Ss]tart(?:-pre|-post)? "
		     "operation timed out))\\S+ operation timed out|"
		     "systemd\\[\\d+\\]: (?<unit>" UNIT ") failed\\.$|"
		     "(?<unit>" UNIT "): Start request repeated too quickly|"
		     "start request repeated too quickly for (?<unit>" UNIT ")",
	  .message = "{unit} failed ({result})",
	  .group_by = "unit", .window_secs = 300,
	  .description = "a systemd unit failed to start, failed or timed "
			 "out" },
	/* OpenSSH auth.c auth_log(): "Failed %s for %s%.100s from %.200s port
	 * %d ssh2" for every method, "none" included, and valid or invalid
	 * ("invalid user ") accounts; auth2.c "Invalid user %.100s from
	 * %.100s port %d". rsyslog folds repeats into "message repeated N
	 * times: [ ... ]". */
	{ .name = "ssh_brute_force", .severity = W,
	  .noun = "failed SSH login",
	  .pattern = "sshd(?:-session)?\\[\\d+\\]: (?:message repeated \\d+ "
		     "times: \\[ )?Failed (?:password|publickey|"
		     "keyboard-interactive/pam|none|hostbased|gssapi-with-mic) "
		     "for (?:invalid user )?(?<user>.*?) from "
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
	/* sudo plugins/sudoers/logging.c ("%u incorrect password attempts",
	 * "user NOT in sudoers", "command not allowed"); pam_unix
	 * ("authentication failure; logname=%s uid=%d euid=%d tty=%s
	 * ruser=%s rhost=%s user=%s") under the sudo service. */
	{ .name = "sudo_auth_failure", .severity = W,
	  .noun = "sudo failure",
	  .pattern = "sudo(?:\\[\\d+\\])?: +(?<user>\\S+) : (?<attempts>\\d+) "
		     "incorrect password attempts?|"
		     "sudo(?:\\[\\d+\\])?: +(?<user>\\S+) : (?:user NOT in "
		     "sudoers|command not allowed)|"
		     "sudo(?:\\[\\d+\\])?: pam_unix\\(sudo(?:-i)?:auth\\): "
		     "authentication failure;.*? ruser=(?<user>\\S+)",
	  .message = "sudo authentication failure by {user}",
	  .group_by = "user", .window_secs = 300,
	  .description = "sudo password failures and users not in sudoers" },
	/* util-linux login-utils/su-common.c "FAILED SU (to %s) %s on %s",
	 * shadow-utils src/su.c "FAILED su for %s by %s", pam_unix under the
	 * su and su-l services. */
	{ .name = "su_auth_failure", .severity = W,
	  .noun = "su failure",
	  .pattern = "su(?:\\[\\d+\\])?: FAILED SU \\(to (?<target>[^)]+)\\) "
		     "(?<user>\\S+)|"
		     "su(?:\\[\\d+\\])?: FAILED su for (?<target>\\S+) by "
		     "(?<user>\\S+)|"
		     "su(?:\\[\\d+\\])?: pam_unix\\(su(?:-l)?:auth\\): "
		     "authentication failure;.*? ruser=(?<user>\\S*) "
		     "rhost=\\S* +user=(?<target>\\S+)",
	  .message = "su authentication failure by {user} (to {target})",
	  .group_by = "user", .window_secs = 300,
	  .description = "failed su to another account" },
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
