#!/usr/bin/env bash
# analyzer_busy_host.sh - a host busy with niced background work stays quiet:
#  1. on a fixture proc_root whose two CPUs are saturated by niced work (the
#     run queue and the CPU pressure that come with it), no CPU alert fires;
#     the same fixture saturated by un-niced work under pressure is critical;
#  2. on this machine, a `nice -n 19` busy loop per core for BUSY_SECS (60;
#     900 for the measurement in docs/DESIGN.md) under the default settings,
#     alerts to a loopback webhook: no critical alert. Every message sent is
#     printed (as TAP comments).
. "$(dirname "$0")/lib.sh"

BUSY_SECS=${BUSY_SECS:-60}

# --- 1. fixture: niced saturation vs un-niced saturation ---
proc=$TEST_TMP/proc
mkdir -p "$proc/pressure" "$TEST_TMP/sys"
for f in meminfo vmstat uptime; do cat "/proc/$f" >"$proc/$f"; done
# The writer advances /proc/stat by 2 cores x 100 ticks a second, all in
# the field named by $1 (user or nice), with PSI cpu some at $2 %. Files are
# rewritten in place at a fixed size: the collectors keep them open.
start_cpu_writer() {
	rm -f "$proc/stat" "$proc/loadavg" "$proc/pressure/cpu"
	python3 - "$proc" "$1" "$2" <<'PY' &
import os, sys, time
proc, field, psi = sys.argv[1], sys.argv[2], float(sys.argv[3])
ticks = 0
def write(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    os.pwrite(fd, text.encode(), 0)
    os.close(fd)
start = time.time()
while True:
    ticks = int((time.time() - start) * 100)
    user = ticks if field == "user" else 0
    nice = ticks if field == "nice" else 0
    lines = ["cpu  %012d %012d 100 1000 0 0 0 0 0 0" % (2 * user, 2 * nice)]
    for c in range(2):
        lines.append("cpu%d %012d %012d 50 500 0 0 0 0 0 0" % (c, user, nice))
    lines += ["ctxt 1000", "btime 1700000000", "processes 100",
              "procs_running 3", "procs_blocked 0"]
    write(proc + "/stat", "\n".join(lines) + "\n")
    write(proc + "/loadavg", "2.10 2.00 1.90 3/200 12345\n")
    write(proc + "/pressure/cpu",
          "some avg10=%.2f avg60=%.2f avg300=%.2f total=%d\n"
          "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
          % (psi, psi, psi, 10**11 + ticks * 1000))
    time.sleep(0.2)
PY
	WRITER_PID=$!
	TEST_PIDS+=("$WRITER_PID")
}

run_fixture() { # run_fixture NAME FIELD PSI: daemon log in $TEST_TMP/NAME.log
	local name=$1 config=$TEST_TMP/$1.toml
	start_cpu_writer "$2" "$3"
	wait_for 10 test -s "$proc/pressure/cpu" || return 1
	write_config "$config" '[agent]' 'collect_interval_secs = 1' \
		"state_dir = \"$TEST_TMP/state-$name\"" "proc_root = \"$proc\"" \
		"sys_root = \"$TEST_TMP/sys\"" '[logscan]' 'enabled = false' \
		'[alerting]' 'group_wait_secs = 0' \
		'[thresholds]' 'for_secs = 3'
	start_daemon "$TEST_TMP/$name.log" -f -c "$config"
}

run_fixture niced nice 40
check "the niced fixture daemon runs" \
	wait_for 30 file_contains "$TEST_TMP/niced.log" "analyzer: enabled"
# Absence needs a window: 3 s to breach, 15 s of saturation in all.
until=$(( $(date +%s) + 15 ))
wait_for 30 test "$(date +%s)" -ge "$until"
stop_pid "$DAEMON_PID"
stop_pid "$WRITER_PID"
check "saturation by niced work raises no CPU alert" \
	bash -c "! grep -E 'cpu_percent|load_per_core|psi_some_percent' '$TEST_TMP/niced.log'"

run_fixture busy user 70
check "saturation by un-niced work under pressure is critical" \
	wait_for 60 grep -q "CRITICAL cpu_percent" "$TEST_TMP/busy.log"
grep "cpu_percent" "$TEST_TMP/busy.log" | head -2 | sed 's/^/# /' | cut -c1-240
stop_pid "$DAEMON_PID"
stop_pid "$WRITER_PID"

# --- 2. this machine, niced busy loops on every core ---
dir=$TEST_TMP/real
mkdir -p "$dir"
start_receiver "$dir" "busy-hmac" || { not_ok "receiver started"; exit 1; }
write_config "$dir/agent.toml" '[agent]' "state_dir = \"$dir/state\"" \
	'[logscan]' 'enabled = false' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/busy\"" \
	'hmac_secret = "busy-hmac"' 'min_severity = "info"'
cpu_line() { head -1 /proc/stat; }
before=$(cpu_line)
start_daemon "$dir/agent.log" -f -c "$dir/agent.toml"
loops=()
for _ in $(seq "$(nproc)"); do
	nice -n 19 sh -c 'while :; do :; done' &
	loops+=("$!")
	TEST_PIDS+=("$!")
done
started=$(date +%s)
wait_for $((BUSY_SECS + 10)) test "$(date +%s)" -ge $((started + BUSY_SECS))
for pid in "${loops[@]}"; do stop_pid "$pid"; done
after=$(cpu_line)
kill -TERM "$DAEMON_PID"
check "the daemon stops cleanly" \
	wait_for 15 file_contains "$dir/agent.log" "stopped after"
# Un-niced share of the CPU over the run, from /proc/stat: other work on a
# shared machine may saturate it for real, and then a critical is right.
read -r busy_unniced nice_share <<EOF
$(python3 - "$before" "$after" <<'PY'
import sys
a = [int(x) for x in sys.argv[1].split()[1:]]
b = [int(x) for x in sys.argv[2].split()[1:]]
d = [y - x for x, y in zip(a, b)]
total = sum(d[:8]) or 1
print("%.0f %.0f" % (100.0 * (d[0] + d[2] + d[5] + d[6]) / total,
                     100.0 * d[1] / total))
PY
)
EOF
echo "# ${BUSY_SECS}s: niced work took ${nice_share}% of the CPU, un-niced ${busy_unniced}%"
python3 - "$dir/requests.jsonl" <<'PY' | sed 's/^/# /'
import json, sys
try:
    lines = open(sys.argv[1]).read().splitlines()
except FileNotFoundError:
    lines = []
print("%d webhook message(s)" % len(lines))
for line in lines:
    r = json.loads(line)
    for a in r.get("body", {}).get("alerts", []):
        print("%s %s %s %s: %s" % (a["severity"].upper(), a["state"],
                                   a["rule"], a["series"], a["summary"]))
PY
criticals=$(requests_count "$dir" \
	'any(a["severity"] == "critical" for a in r.get("body", {}).get("alerts", []))')
if [ "$busy_unniced" -ge 80 ]; then
	ok "no critical from niced work # SKIP other work kept the CPU ${busy_unniced}% busy un-niced"
else
	check "niced busy loops on every core raise no critical alert" \
		test "$criticals" -eq 0
fi
echo "1..$TEST_NUMBER"
