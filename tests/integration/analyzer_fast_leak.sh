#!/usr/bin/env bash
# analyzer_fast_leak.sh - a fast leak is reported fast by the real daemon:
# a process (tests/tools/leaker) in a memory cgroup limited to 192 MiB grows
# 256 KiB/s, so it would exhaust its limit in ~12 minutes. With the shipped
# leak settings and process age it is reported within 5 minutes of its
# start (watched at 120 s, 2 minutes of fit), critical, with
# the time to exhaustion in the message; killed, its alert resolves.
. "$(dirname "$0")/lib.sh"

dir=$TEST_TMP
limit=$((192 * 1024 * 1024))
# A memory cgroup of our own, under the one this shell runs in.
own=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
if [ -n "$own" ] && [ -d /sys/fs/cgroup/memory ]; then
	group=/sys/fs/cgroup/memory${own%/}/sysops-leak-$$
	limit_file=memory.limit_in_bytes
else
	own=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
	group=/sys/fs/cgroup${own%/}/sysops-leak-$$
	limit_file=memory.max
	grep -qw memory "/sys/fs/cgroup${own%/}/cgroup.subtree_control" \
		2>/dev/null || group=
fi
if [ -z "$group" ] || ! mkdir "$group" 2>/dev/null; then
	echo "1..0 # SKIP no memory cgroup of our own here"
	exit 0
fi
if ! echo "$limit" >"$group/$limit_file"; then
	rmdir "$group"
	echo "1..0 # SKIP cannot set a memory limit here"
	exit 0
fi
cleanup_group() {
	cleanup
	rmdir "$group" 2>/dev/null
}
trap cleanup_group EXIT
start_receiver "$dir" "leak-hmac" || { not_ok "receiver started"; exit 1; }

# The shipped leak settings and process age (long_running_secs = 120); more
# watch slots than the default 20, since on a shared test host twenty other
# processes may well be larger than the leaker for its first minutes.
write_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$dir/state\"" 'collect_interval_secs = 2' \
	'[storage]' 'max_series = 6000' \
	'[collectors.process]' 'watch_count = 200' \
	'[logscan]' 'enabled = false' \
	'[alerting]' 'group_wait_secs = 0' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'max_alerts_per_hour = 1000' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/leak\"" \
	'hmac_secret = "leak-hmac"'
start_daemon "$dir/agent.log" -f -c "$dir/agent.toml"
check "the daemon runs" \
	wait_for 20 file_contains "$dir/agent.log" "first collection done"

# The leaker enters the cgroup before it execs: all its memory counts.
started=$(date +%s.%N)
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" fastleaker 256 400 400' \
	sh "$group" "$PWD/$BUILD/tests/tools/leaker" &
leaker=$!
TEST_PIDS+=("$leaker")

leak_alert() { # leak_alert STATE: a memory_leak alert on the leaker
	requests_at_least "$dir" 1 "r['kind'] == 'webhook' and any(a['rule'] == 'memory_leak' and a['labels'].get('pid') == '$leaker' and a['state'] == '$1' for a in r['body'].get('alerts', []))"
}
check "the fast leak is reported within 5 minutes of its start" \
	wait_for 300 leak_alert firing
python3 - "$dir/requests.jsonl" "$leaker" "$started" >"$dir/leak" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    for a in r.get("body", {}).get("alerts", []) if r.get("kind") == "webhook" else []:
        if a["rule"] == "memory_leak" and a["labels"].get("pid") == sys.argv[2]:
            print("%.0f" % (r["time"] - float(sys.argv[3])), a["severity"],
                  a["eta_secs"], a["summary"])
            sys.exit(0)
PY
sed 's/^/# after (s), severity, eta, summary: /' "$dir/leak"
check "it is critical" grep -q '^[0-9]* critical ' "$dir/leak"
check "its message gives the time to the cgroup limit's exhaustion" \
	grep -q 'cgroup limit exhausted in ~' "$dir/leak"
check "and eta_secs says under an hour" \
	awk '{ exit !($3 > 0 && $3 < 3600) }' "$dir/leak"

kill -KILL "$leaker"
wait "$leaker" 2>/dev/null
check "killed, its leak alert resolves" wait_for 30 leak_alert resolved
kill -TERM "$DAEMON_PID"
check "the daemon stops cleanly" \
	wait_for 15 file_contains "$dir/agent.log" "stopped after"
echo "1..$TEST_NUMBER"
