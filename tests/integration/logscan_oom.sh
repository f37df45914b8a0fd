#!/usr/bin/env bash
# logscan_oom.sh - an OOM kill is one alert: the kernel's lines (a FIFO as
# kmsg_path) name the victim and its cgroup, whose memory.max comes from a
# fixture sys_root; the /proc/vmstat oom_kill counter of a fixture
# proc_root goes up at the same time and is recorded, not alerted again;
# with the kernel's rules disabled, the counter alerts the next kill.
. "$(dirname "$0")/lib.sh"

dir=$TEST_TMP
proc=$dir/proc
cg=$dir/sys/fs/cgroup/system.slice/app.service
mkdir -p "$proc" "$cg" "$dir/state"
for f in stat meminfo loadavg uptime; do cat "/proc/$f" >"$proc/$f"; done
echo 536870912 >"$cg/memory.max"
# oom_kill at a fixed width, so a rewrite in place keeps the size.
vmstat_write() {
	printf 'pgpgin 1000\npgpgout 1000\npswpin 0\npswpout 0\npgmajfault 10\noom_kill %06d\n' \
		"$1" | dd of="$proc/vmstat" conv=notrunc status=none
}
vmstat_write 3
mkfifo "$dir/kmsg"
exec 3<>"$dir/kmsg"
start_receiver "$dir" "oom-hmac" || { not_ok "receiver started"; exit 1; }
write_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$dir/state\"" 'collect_interval_secs = 1' \
	"proc_root = \"$proc\"" "sys_root = \"$dir/sys\"" \
	'[logscan]' 'journal = false' "kmsg_path = \"$dir/kmsg\"" \
	'[alerting]' 'group_wait_secs = 0' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/oom\"" \
	'hmac_secret = "oom-hmac"'
start_daemon "$dir/agent.log" -f -v -c "$dir/agent.toml"
check "the daemon runs" \
	wait_for 20 file_contains "$dir/agent.log" "first collection done"
record() { printf '3,%d,%d,-;%s\n' "$1" $(($1 * 1000000)) "$2" >&3; }
record 1 'leaker invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0'
record 2 'oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/system.slice/app.service,task_memcg=/system.slice/app.service,task=leaker,pid=4242,uid=0'
record 3 'Memory cgroup out of memory: Killed process 4242 (leaker) total-vm:600000kB, anon-rss:520000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1100kB oom_score_adj:0'
vmstat_write 4
oom_alerts() { # firing alerts about the kill (not "invoked oom-killer")
	requests_count "$dir" "any(a['rule'] in ('oom_kill', 'cgroup_oom', 'cgroup_oom_kill') and a['state'] == 'firing' for a in r['body'].get('alerts', []))"
}
oom_alerted() { [ "$(oom_alerts)" -ge 1 ]; }
check "the kill is alerted" wait_for 20 oom_alerted
check "with the victim, its cgroup and the cgroup's limit" \
	requests_at_least "$dir" 1 "any(a['rule'] == 'cgroup_oom' and 'Victim: leaker (pid 4242)' in (a['detail'] or '') and 'Cgroup: /system.slice/app.service, memory.max 512 MiB' in a['detail'] for a in r['body'].get('alerts', []))"
# The counter went up with the lines: a few ticks for a second alert to
# show, were there one.
until=$(( $(date +%s) + 4 ))
wait_for 10 test "$(date +%s)" -ge "$until"
check "one alert for one kill" test "$(oom_alerts)" -eq 1

# With the kernel's OOM rules turned off, nothing claims the kill any more:
# the counter alerts it, so a kill is never silent.
write_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$dir/state\"" 'collect_interval_secs = 1' \
	"proc_root = \"$proc\"" "sys_root = \"$dir/sys\"" \
	'[logscan]' 'journal = false' "kmsg_path = \"$dir/kmsg\"" \
	'disable_rules = ["oom_kill", "cgroup_oom"]' \
	'[alerting]' 'group_wait_secs = 0' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/oom\"" \
	'hmac_secret = "oom-hmac"'
kill -HUP "$DAEMON_PID"
check "reloaded without the kernel's OOM rules" \
	wait_for 10 file_contains "$dir/agent.log" "configuration reloaded"
# A reload restarts the collectors: their counters need a first reading.
until=$(( $(date +%s) + 3 ))
wait_for 10 test "$(date +%s)" -ge "$until"
vmstat_write 5
counter_alerted() {
	requests_at_least "$dir" 1 "any(a['rule'] == 'oom_kill' and a['series'] == 'memory.oom_kills_delta' for a in r['body'].get('alerts', []))"
}
check "the next kill is alerted from the counter" wait_for 20 counter_alerted
kill -TERM "$DAEMON_PID"
check "the daemon stops cleanly" \
	wait_for 15 file_contains "$dir/agent.log" "stopped after"
echo "1..$TEST_NUMBER"
