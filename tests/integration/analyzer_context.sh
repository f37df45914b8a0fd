#!/usr/bin/env bash
# analyzer_context.sh - alerts carry what an operator needs to act, checked
# in the JSON a loopback webhook receives from the real daemon:
#  - a CPU burner: the CPU alert names it among the top processes;
#  - a leaking process (tests/tools/leaker): the leak alert names it, with
#    the top processes by RSS;
#  - a tmpfs filling: used / free / total bytes, fill rate and ETA; a
#    per-mount `below` limit on its free bytes fires; its per-mount limit on
#    used_percent is changed by a reload and re-matched;
#  - a log alert carries the lines just before the match;
#  - every metric alert has at least 8 recent values in history.
. "$(dirname "$0")/lib.sh"

dir=$TEST_TMP
mnt=$dir/mnt
mkdir -p "$mnt" "$dir/log"
if ! mount -t tmpfs -o size=16m sysops-ctx "$mnt" 2>/dev/null; then
	echo "1..0 # SKIP cannot mount a tmpfs here"
	exit 0
fi
cleanup_mount() { umount "$mnt" 2>/dev/null; cleanup; }
trap cleanup_mount EXIT
start_receiver "$dir" "ctx-hmac" || { not_ok "receiver started"; exit 1; }

# disk_limit LEVEL: the config, with LEVEL as the tmpfs' used_percent limit.
write_agent_config() {
	write_config "$dir/agent.toml" \
		'[agent]' "state_dir = \"$dir/state\"" 'collect_interval_secs = 1' \
		'[storage]' 'max_series = 6000' \
		'[collectors.disk]' 'fstypes = ["tmpfs"]' \
		'[collectors.process]' 'long_running_secs = 0' 'watch_count = 200' \
		'[logscan]' 'kmsg = false' 'journal = false' \
		"files = [\"$dir/log/*.log\"]" \
		'[[logscan.rules]]' 'name = "ctx_failure"' \
		'pattern = "payment FAILED"' 'severity = "warning"' \
		'[alerting]' 'group_wait_secs = 0' \
		'[alerting.rate_limit]' 'min_interval_secs = 0' \
		'max_alerts_per_hour = 1000' \
		'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/ctx\"" \
		'hmac_secret = "ctx-hmac"' \
		'[analyzer]' 'leak_min_duration_secs = 10' \
		'leak_min_growth_bytes = 4194304' \
		'[thresholds]' 'cpu_percent = 40' 'for_secs = 8' \
		'[[thresholds.override]]' 'metric = "disk.used_percent"' \
		"mount = \"$mnt\"" "warning = $1" \
		'[[thresholds.override]]' 'metric = "disk.free_bytes"' \
		"mount = \"$mnt\"" 'direction = "below"' 'warning = 11534336' \
		'for_secs = 2'
}
# The burners and the leaker run before the daemon starts, so that its
# first look at them already has their names.
cp /bin/sh "$dir/ctxburner"
for _ in $(seq "$(nproc)"); do
	"$dir/ctxburner" -c 'while :; do :; done' &
	TEST_PIDS+=("$!")
done
"$PWD/$BUILD/tests/tools/leaker" ctxleaker 1024 45 120 &
leaker=$!
TEST_PIDS+=("$leaker")
wait_for 5 grep -qx ctxleaker "/proc/$leaker/comm"
: >"$dir/log/app.log"
write_agent_config 90
start_daemon "$dir/agent.log" -f -c "$dir/agent.toml"
check "the daemon runs" \
	wait_for 20 file_contains "$dir/agent.log" "first collection done"

# alert_where PYTHON-CONDITION-ON-a: a firing alert in some webhook message.
alert_where() {
	requests_at_least "$dir" 1 \
		"r['kind'] == 'webhook' and any(a['state'] == 'firing' and ($1) for a in r['body'].get('alerts', []))"
}
no_alert_where() { ! alert_where "$1"; }
show_alert() { # show_alert RULE: its summary and detail, as TAP comments
	python3 - "$dir/requests.jsonl" "$1" <<'PY' | sed 's/^/# /'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    for a in r.get("body", {}).get("alerts", []):
        if a["rule"] == sys.argv[2] and a["state"] == "firing":
            print(a["summary"])
            print((a.get("detail") or "").replace("\n", "\n  | "))
            print("history: %d values" % len(a.get("history") or []))
            sys.exit(0)
PY
}

# fill_tmpfs NAME COUNT BLOCK PAUSE: COUNT files of BLOCK in the tmpfs, one
# each PAUSE seconds (run it in the background).
fill_tmpfs() {
	local i
	for i in $(seq "$2"); do
		dd if=/dev/zero of="$mnt/$1.$i" bs="$3" count=1 status=none
		sleep "$4"
	done
}

# --- a filling tmpfs, a failing payment ---
fill_tmpfs fill 10 512K 1 &
filler=$!
TEST_PIDS+=("$filler")
printf '%s\n' "checkout: cart 4411 opened" \
	"checkout: card token=tok_live_SECRET99 sent to gateway" \
	"checkout: gateway answered 402" >>"$dir/log/app.log"
echo "checkout: payment FAILED for cart 4411" >>"$dir/log/app.log"

check "a log alert arrives" wait_for 20 alert_where "a['rule'] == 'ctx_failure'"
check "it carries the lines before the match" \
	alert_where "a['rule'] == 'ctx_failure' and 'gateway answered 402' in (a['detail'] or '') and 'cart 4411 opened' in (a['detail'] or '') and '> checkout: payment FAILED' in (a['detail'] or '')"
check "its neighbours are masked like the line" \
	bash -c "! grep -q tok_live_SECRET99 '$dir/requests.jsonl'"
show_alert ctx_failure

check "the CPU burner raises a CPU alert" \
	wait_for 60 alert_where "a['rule'] == 'cpu_percent'"
check "the CPU alert names the burner among the top processes" \
	alert_where "a['rule'] == 'cpu_percent' and 'ctxburner (pid ' in (a['detail'] or '') and 'Top CPU' in a['detail']"
show_alert cpu_percent
for pid in "${TEST_PIDS[@]}"; do
	[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = ctxburner ] && kill "$pid"
done

check "the tmpfs' free bytes fall below their per-mount limit" \
	wait_for 60 alert_where "a['rule'] == 'threshold' and a['series'] == 'disk.free_bytes' and a['labels'].get('mount') == '$mnt'"
show_alert threshold
wait "$filler"
# Only this mount: other filesystems of a shared machine (a second test
# suite's small tmpfs filling up) may rightly alert meanwhile.
check "at 31% full the tmpfs is under its 90% limit: no alert" \
	no_alert_where "a['rule'] == 'disk_percent' and a['labels'].get('mount') == '$mnt'"
# The same mount's limit lowered to 30% by a reload: re-matched at once.
write_agent_config 30
kill -HUP "$DAEMON_PID"
# Still filling when it alerts (64 KiB every half second, 4 MiB at most),
# so the alert has a fill rate and an ETA to give.
fill_tmpfs fill.more 64 64K 0.5 &
refill=$!
TEST_PIDS+=("$refill")
check "after the reload the tmpfs alerts at its new 30% limit" \
	wait_for 30 alert_where "a['rule'] == 'disk_percent' and a['labels'].get('mount') == '$mnt'"
check "the disk alert gives used, free and total bytes" \
	alert_where "a['rule'] == 'disk_percent' and 'Bytes: ' in (a['detail'] or '') and ' total' in a['detail'] and ' free' in a['detail']"
check "and the fill rate and ETA" \
	alert_where "a['rule'] == 'disk_percent' and 'Filling at +' in (a['detail'] or '') and 'full in ~' in a['detail'] and a['eta_secs'] is not None and a['eta_secs'] > 0"
show_alert disk_percent
kill "$refill" 2>/dev/null
wait "$refill" 2>/dev/null

check "the leaking process raises a leak alert naming it" \
	wait_for 90 alert_where "a['rule'] == 'memory_leak' and 'ctxleaker' in a['summary']"
check "the leak alert lists the top processes by RSS" \
	alert_where "a['rule'] == 'memory_leak' and 'Top memory' in (a['detail'] or '')"
show_alert memory_leak

check "every metric alert carries at least 8 recent values" \
	test "$(requests_count "$dir" "any(a['rule'] in ('cpu_percent', 'disk_percent', 'threshold', 'memory_leak') and len(a.get('history') or []) < 8 for a in r.get('body', {}).get('alerts', []))")" -eq 0
check "and there were such alerts" \
	requests_at_least "$dir" 3 "any(a['rule'] in ('cpu_percent', 'disk_percent', 'threshold', 'memory_leak') for a in r.get('body', {}).get('alerts', []))"
kill -TERM "$DAEMON_PID"
check "the daemon stops cleanly" \
	wait_for 15 file_contains "$dir/agent.log" "stopped after"
echo "1..$TEST_NUMBER"
