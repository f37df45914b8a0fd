# history.sh - the history as an operator meets it: `history` and `alerts`
# after a run, a restart that keeps the analyzer warm and the history
# continuous, a real node_exporter serving the textfile, and the faults (the
# database deleted, made read-only, the disk full) that must never stop
# collection or alerting.
#
# tests/tools/history_driver runs the daemon's own analyzer and history
# modules over synthetic series on a fast synthetic clock (tick i at
# EPOCH + 10 s * i), standing in for the collectors.
. "$(dirname "$0")/lib.sh"

DRIVER=$PWD/$BUILD/tests/tools/history_driver
state=$TEST_TMP/state
textdir=$TEST_TMP/textfile
cfg=$TEST_TMP/config.toml
mkdir -p "$textdir"
MOUNTS=()

# Unmount what we mounted (by path, ours only) before lib.sh cleans up.
cleanup_mounts() {
	for m in "${MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	cleanup
}
trap cleanup_mounts EXIT

config_for() { # config_for FILE STATE_DIR [extra lines...]
	local file=$1 dir=$2; shift 2
	# The driver's spike is on cpu.usage_percent, which the anomaly
	# detector leaves to [thresholds] by default: watch it here.
	write_config "$file" '[agent]' "state_dir = \"$dir\"" \
		'[analyzer]' 'anomaly_series = ["cpu.usage_percent"]' \
		'[storage.history]' "textfile = \"$textdir/sysops.prom\"" "$@"
}
config_for "$cfg" "$state"

with_sqlite=1
"$AGENT" history -c "$cfg" >"$TEST_TMP/probe.out" 2>&1
grep -q "built without SQLite" "$TEST_TMP/probe.out" && with_sqlite=0

epoch=$(( $(date +%s) - 3 * 3600 ))
run1=$TEST_TMP/run1.log
"$DRIVER" -c "$cfg" --epoch "$epoch" --ticks 540 --spike-at 400 >"$run1" 2>&1
check "the driver runs 540 ticks (90 min) through analyzer and history" \
	grep -q '^tick 539$' "$run1"

# ---- the textfile, read by a real node_exporter ----
prom=$textdir/sysops.prom
check "the textfile is written" test -s "$prom"
check "the textfile has one TYPE line per family" \
	test "$(grep -c '^# TYPE sysops_test_series gauge$' "$prom")" = 1
check "no temporary file is left next to it" \
	test "$(find "$textdir" -name '.*tmp' | wc -l)" = 0

exporter=$(command -v prometheus-node-exporter || command -v node_exporter)
if [ -n "$exporter" ] && command -v curl >/dev/null; then
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	"$exporter" --web.listen-address="127.0.0.1:$port" \
		--collector.disable-defaults --collector.textfile \
		--collector.textfile.directory="$textdir" \
		>"$TEST_TMP/exporter.log" 2>&1 &
	exporter_pid=$!
	TEST_PIDS+=("$exporter_pid")
	scrape() { curl -sf "http://127.0.0.1:$port/metrics" >"$TEST_TMP/scrape.txt"; }
	check "node_exporter answers on 127.0.0.1" wait_for 10 scrape
	check "node_exporter read the file without error" \
		grep -q '^node_textfile_scrape_error 0$' "$TEST_TMP/scrape.txt"
	check "a gauge keeps its name and type" \
		grep -q '^# TYPE sysops_cpu_usage_percent gauge$' "$TEST_TMP/scrape.txt"
	check "labels come through quoted" \
		grep -q '^sysops_disk_used_percent{mount="/"} 40$' "$TEST_TMP/scrape.txt"
	check "every series of the file is served" \
		test "$(grep -c '^sysops_test_series{n="[0-9]*"}' "$TEST_TMP/scrape.txt")" = 4
	check "the file's mtime is exported (staleness is visible)" \
		grep -q 'node_textfile_mtime_seconds{file=".*sysops.prom"}' "$TEST_TMP/scrape.txt"
	kill "$exporter_pid"
	wait "$exporter_pid" 2>/dev/null
else
	ok "# SKIP prometheus-node-exporter or curl not installed"
fi

if [ "$with_sqlite" = 0 ]; then
	check "without SQLite, history says why and fails" \
		grep -q "built without SQLite" "$TEST_TMP/probe.out"
	check "without SQLite, the driver ran in memory" grep -q "^tick 539$" "$run1"
	check "without SQLite, the daemon says history is off" \
		grep -q "built without SQLite; no history" "$run1"
	ok "# SKIP built without SQLite: database, restart and fault tests"
	exit 0
fi

# ---- history and alerts ----
check "history.db is created in the state dir" test -s "$state/history.db"
"$AGENT" history -c "$cfg" >"$TEST_TMP/history.out" 2>&1
check "history lists every series" \
	test "$(grep -c '^test.series{n=' "$TEST_TMP/history.out")" = 4
check "history shows min/avg/max: the steady disk is 40% 40% 40%" \
	grep -Eq '^disk.used_percent\{mount=/\} +40% +40% +40% ' "$TEST_TMP/history.out"
check "history draws a sparkline" grep -q '▁' "$TEST_TMP/history.out"
check "history prints bytes for people: 2.528e10 is 23.5 GiB" \
	grep -Eq '^disk.used_bytes\{mount=/\} +23.5 GiB +23.5 GiB +23.5 GiB ' "$TEST_TMP/history.out"
check "and a byte rate per second" \
	grep -Eq '^net.rx_bytes_per_sec\{interface=eth0\} +1.[0-9]+ MiB/s ' "$TEST_TMP/history.out"
"$AGENT" history -c "$cfg" --metric 'disk.used_bytes' --json >"$TEST_TMP/bytes.json"
check "--json keeps the bytes a number" \
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["series"][0]; assert s["max"] == 2.528e10' "$TEST_TMP/bytes.json"
"$AGENT" history -c "$cfg" --metric 'cpu.*' --since 4h >"$TEST_TMP/cpu.out" 2>&1
check "--metric selects by glob" \
	test "$(grep -vc -e '^SERIES' -e '^sysops-agent: reading' "$TEST_TMP/cpu.out")" = 1
check "history says which database it reads" \
	grep -qx "sysops-agent: reading $state/history.db" "$TEST_TMP/cpu.out"
"$AGENT" history -c "$cfg" --state-dir "$TEST_TMP/elsewhere" >"$TEST_TMP/elsewhere.out" 2>&1
check "--state-dir names another one, and without a database it exits 1" test $? -eq 1
check "saying where to look" \
	file_contains "$TEST_TMP/elsewhere.out" "no history in $TEST_TMP/elsewhere"
write_config "$TEST_TMP/plain.toml" '[agent]'
"$AGENT" alerts --state-dir "$state" -c "$TEST_TMP/plain.toml" >"$TEST_TMP/alerts-dir.out" 2>&1
check "alerts takes --state-dir over the config's state_dir" \
	grep -qx "sysops-agent: reading $state/history.db" "$TEST_TMP/alerts-dir.out"
check "the spike shows as the maximum" \
	grep -Eq '^cpu.usage_percent +[0-9.]+% +[0-9.]+% +99% ' "$TEST_TMP/cpu.out"
"$AGENT" history -c "$cfg" --metric 'cpu.*' --json >"$TEST_TMP/cpu.json"
contiguous() { # every minute from the first to the last is there
	python3 - "$1" <<'EOF'
import json, sys
series = json.load(open(sys.argv[1]))["series"][0]
times = [p[0] for p in series["points"]]
sys.exit(0 if times == list(range(times[0], times[-1] + 60, 60)) else 1)
EOF
}
check "--json is valid JSON with 1-minute points" contiguous "$TEST_TMP/cpu.json"
check "history rejects a bad --since" \
	test "$("$AGENT" history -c "$cfg" --since soon >/dev/null 2>&1; echo $?)" = 2
"$AGENT" alerts -c "$cfg" >"$TEST_TMP/alerts.out" 2>&1
check "alerts shows the spike firing, with its outcome" \
	grep -Eq 'firing +warning +anomaly +cpu.usage_percent +- +sent: journal' "$TEST_TMP/alerts.out"
check "alerts shows its resolution with a duration" \
	grep -Eq 'resolved +warning +anomaly +cpu.usage_percent +[0-9]+[sm] ' "$TEST_TMP/alerts.out"
"$AGENT" alerts -c "$cfg" --json >"$TEST_TMP/alerts.json"
check "alerts --json is valid JSON" \
	python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); assert len(a) == 2 and a[1]["duration_secs"] > 0' "$TEST_TMP/alerts.json"
"$AGENT" export -c "$cfg" --prometheus "$TEST_TMP/export.prom" 2>"$TEST_TMP/export.err"
check "export --prometheus writes the newest minute" \
	grep -q '^sysops_disk_used_percent{mount="/"} 40$' "$TEST_TMP/export.prom"
check "export says how many series it wrote" \
	grep -q '9 series written' "$TEST_TMP/export.err"

# ---- restart: warm baselines, continuous history ----
run2=$TEST_TMP/run2.log
"$DRIVER" -c "$cfg" --epoch "$epoch" --start 540 --ticks 120 >"$run2" 2>&1
# Every series a detector watches saved its state (the others have none:
# net.rx_bytes_per_sec and test.series here), and every one comes back.
check "after a restart every baseline is restored" \
	grep -Eq 'restored the baselines of ([3-9]) of \1 series' "$run2"
check "a warm analyzer raises no false alarm after the restart" \
	test "$(grep -c 'ALERT' "$run2")" = 0
"$AGENT" history -c "$cfg" --metric 'cpu.*' --json >"$TEST_TMP/cpu2.json"
check "history is continuous across the restart" contiguous "$TEST_TMP/cpu2.json"

# The same restart without the snapshots: the detector has to learn again.
cold=$TEST_TMP/cold
config_for "$TEST_TMP/cold.toml" "$cold"
"$DRIVER" -c "$TEST_TMP/cold.toml" --epoch "$epoch" --ticks 540 >/dev/null 2>&1
sqlite3_delete() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM analyzer_state"); c.commit()' "$1"; }
sqlite3_delete "$cold/history.db"
"$DRIVER" -c "$TEST_TMP/cold.toml" --epoch "$epoch" --start 540 --ticks 3 >"$TEST_TMP/cold.log" 2>&1
check "(control) without snapshots nothing is restored" \
	grep -q '0 saved analyzer baselines' "$TEST_TMP/cold.log"

# ---- the real daemon, with its collectors ----
dstate=$TEST_TMP/daemon-state
write_config "$TEST_TMP/daemon.toml" '[agent]' 'collect_interval_secs = 1' \
	"state_dir = \"$dstate\"" '[logscan]' 'enabled = false' \
	'[storage.history]' "textfile = \"$TEST_TMP/daemon.prom\""
start_daemon "$TEST_TMP/daemon.log" -f -c "$TEST_TMP/daemon.toml"
check "the daemon opens history.db at start" \
	wait_for 10 file_contains "$TEST_TMP/daemon.log" "history.db open"
check "the daemon writes the textfile from its collectors" \
	wait_for 10 grep -q '^sysops_cpu_usage_percent ' "$TEST_TMP/daemon.prom"
# After the first tick the analyzer has bound (and holds state for) them.
wait_for 10 file_contains "$TEST_TMP/daemon.log" "first collection done"
kill -TERM "$DAEMON_PID"
check "and stops cleanly" wait_for 5 file_contains "$TEST_TMP/daemon.log" "stopped after"
check "the state files are not world-readable" \
	test "$(stat -c %a "$dstate/history.db")" = 640
"$AGENT" history -c "$TEST_TMP/daemon.toml" --since 10m >"$TEST_TMP/daemon-history.out"
check "the minute in progress was written at stop" \
	grep -q '^cpu.usage_percent ' "$TEST_TMP/daemon-history.out"
start_daemon "$TEST_TMP/daemon2.log" -f -c "$TEST_TMP/daemon.toml"
check "after a restart the daemon restores the saved baselines" \
	wait_for 10 grep -Eq 'restored the baselines of [1-9][0-9]* of' "$TEST_TMP/daemon2.log"
kill -TERM "$DAEMON_PID"
wait_for 5 file_contains "$TEST_TMP/daemon2.log" "stopped after"

# ---- faults ----
# fault_run NAME STATE_DIR: the driver in the background, 20 ms a tick,
# a spike at tick 250 so that an alert comes after the fault.
fault_run() {
	config_for "$TEST_TMP/$1.toml" "$2"
	"$DRIVER" -c "$TEST_TMP/$1.toml" --epoch "$epoch" --ticks 400 \
		--interval-ms 20 --spike-at 250 >"$TEST_TMP/$1.log" 2>&1 &
	FAULT_PID=$!
	TEST_PIDS+=("$FAULT_PID")
	wait_for 10 file_contains "$TEST_TMP/$1.log" "tick 30"
}
finished() { ! process_alive "$1"; }

fault_run deleted "$TEST_TMP/deleted"
rm -f "$TEST_TMP/deleted/history.db"
check "deleted: the daemon says so" \
	wait_for 10 file_contains "$TEST_TMP/deleted.log" "history.db was removed; starting a new database"
check "deleted: a new database is created" wait_for 10 test -s "$TEST_TMP/deleted/history.db"
check "deleted: collection goes on" wait_for 20 file_contains "$TEST_TMP/deleted.log" "tick 399"
check "deleted: the alert after the fault is sent" grep -q "ALERT anomaly: cpu" "$TEST_TMP/deleted.log"
check "deleted: and recorded in the new database" \
	sh -c "'$AGENT' alerts -c '$TEST_TMP/deleted.toml' | grep -q 'firing .*cpu.usage_percent'"

mountpoint=$TEST_TMP/mnt
mkdir -p "$mountpoint"
if mount -t tmpfs -o size=1m,mode=0750 sysops-test "$mountpoint" 2>/dev/null; then
	MOUNTS+=("$mountpoint")
	# A file system that turned read-only (no writer may hold it open
	# for the remount, so it happens between two runs).
	config_for "$TEST_TMP/readonly.toml" "$mountpoint/state"
	"$DRIVER" -c "$TEST_TMP/readonly.toml" --epoch "$epoch" --ticks 30 >/dev/null 2>&1
	mount -o remount,ro "$mountpoint"
	"$DRIVER" -c "$TEST_TMP/readonly.toml" --epoch "$epoch" --start 30 \
		--ticks 300 --interval-ms 20 --spike-at 250 \
		>"$TEST_TMP/readonly.log" 2>&1 &
	FAULT_PID=$!
	TEST_PIDS+=("$FAULT_PID")
	check "read-only: the failure is reported" \
		wait_for 10 file_contains "$TEST_TMP/readonly.log" "history: cannot"
	check "read-only: it says history stays in memory" \
		grep -q "kept in memory only" "$TEST_TMP/readonly.log"
	wait_for 10 file_contains "$TEST_TMP/readonly.log" "tick 150"
	mount -o remount,rw "$mountpoint"
	check "read-only: once writable again it says so and writes" \
		wait_for 20 file_contains "$TEST_TMP/readonly.log" "history.db is writable again"
	check "read-only: collection goes on" wait_for 20 file_contains "$TEST_TMP/readonly.log" "tick 329"
	check "read-only: the alert after the fault is sent" \
		grep -q "ALERT anomaly: cpu" "$TEST_TMP/readonly.log"
	check "read-only: reported once, not every retry" \
		test "$(grep -c 'history: cannot' "$TEST_TMP/readonly.log")" = 1
	wait "$FAULT_PID"
	check "read-only: the process exits normally" test $? = 0
	check "read-only: the alert made it to history.db" \
		sh -c "'$AGENT' alerts -c '$TEST_TMP/readonly.toml' | grep -q 'firing .*cpu.usage_percent'"
	umount "$mountpoint"

	mount -t tmpfs -o size=600k,mode=0750 sysops-test "$mountpoint"
	config_for "$TEST_TMP/full.toml" "$mountpoint/state"
	fault_run full "$mountpoint/state"
	# Take every free block: the next minute's write finds the disk full.
	dd if=/dev/zero of="$mountpoint/filler" bs=4k 2>/dev/null
	check "full disk: the failure is reported" \
		wait_for 10 file_contains "$TEST_TMP/full.log" "disk is full"
	check "full disk: collection goes on" wait_for 20 file_contains "$TEST_TMP/full.log" "tick 399"
	check "full disk: the alert after the fault is sent" \
		grep -q "ALERT anomaly: cpu" "$TEST_TMP/full.log"
	wait "$FAULT_PID"
	check "full disk: the process exits normally" test $? = 0
	rm -f "$mountpoint/filler"
	"$DRIVER" -c "$TEST_TMP/full.toml" --epoch "$epoch" --start 400 \
		--ticks 20 >"$TEST_TMP/full2.log" 2>&1
	check "full disk: with room again, history goes on" \
		sh -c "'$AGENT' history -c '$TEST_TMP/full.toml' | grep -q '^cpu.usage_percent'"
	umount "$mountpoint"
else
	ok "# SKIP cannot mount a tmpfs here (read-only test)"
	ok "# SKIP cannot mount a tmpfs here (full disk test)"
fi
