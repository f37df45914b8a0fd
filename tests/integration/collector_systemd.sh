#!/usr/bin/env bash
# collector_systemd.sh - the systemd collector against a real D-Bus daemon
# (a private bus on a socket in the test directory, never the host's) and a
# stand-in for systemd's Manager API (tests/tools/fake_systemd): failed
# units, restart counts, a unit entering failed in the daemon, and a host
# without a system bus said once.
. "$(dirname "$0")/lib.sh"

FAKE=$PWD/$BUILD/tests/tools/fake_systemd
if ! command -v dbus-daemon >/dev/null; then
	ok "# SKIP dbus-daemon is not installed"
	exit 0
fi
bus=$TEST_TMP/bus
dbus-daemon --session --nofork --nopidfile --address="unix:path=$bus" \
	>"$TEST_TMP/dbus.log" 2>&1 &
TEST_PIDS+=("$!")
check "a private D-Bus daemon is listening" wait_for 5 test -S "$bus"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$bus"

units=$TEST_TMP/units
printf '%s\n' 'nginx.service active running 0' \
	'backup.service failed failed 3' 'data.mount active mounted 0' \
	'cron.service active running 2' >"$units"
"$FAKE" "$units" >"$TEST_TMP/fake.log" 2>&1 &
TEST_PIDS+=("$!")
check "the stand-in systemd owns its name" \
	wait_for 5 file_contains "$TEST_TMP/fake.log" ready

config=$TEST_TMP/config.toml
write_config "$config" '[agent]' 'collect_interval_secs = 1' \
	"state_dir = \"$TEST_TMP/state\"" '[collectors.process]' \
	'enabled = false' '[alerting]' 'group_wait_secs = 0'
json=$TEST_TMP/once.json
"$AGENT" once -c "$config" --json >"$json" 2>"$TEST_TMP/once.err"
value() { # value GROUP NAME [LABEL=VALUE]: prints the value or "none"
	python3 - "$json" "$@" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["metrics"].get(sys.argv[2], {})
v = m.get(sys.argv[3])
if len(sys.argv) > 4:
    k, want = sys.argv[4].split("=", 1)
    v = next((e["value"] for e in (v or []) if e.get(k) == want), None)
print("none" if v is None else v)
PY
}
check "one unit is failed" test "$(value systemd units_failed)" = 1
check "the failed unit has its series" \
	test "$(value systemd unit_failed unit=backup.service)" = 1
check "restart counts come from NRestarts" \
	test "$(value systemd service_restarts_total unit=cron.service)" = 2
check "a service never restarted has no restart series" \
	test "$(value systemd service_restarts_total unit=nginx.service)" = none
check "all listed units are counted" test "$(value systemd units)" = 4

# The daemon notices a unit entering the failed state.
log=$TEST_TMP/daemon.log
start_daemon "$log" -f -c "$config"
check "the daemon starts with the systemd collector" \
	wait_for 5 file_contains "$log" "first collection done"
sleep_ticks() { wait_for 5 file_contains "$log" "$1"; }
# The alerter's console record: "SEVERITY rule (series{labels}) on host: summary".
log_matches() { grep -qE "$1" "$log"; }
alert_line() { echo "(WARNING|CRITICAL) systemd_unit_failed \\([^)]*\\) on [^:]+: $1"; }
sed -i 's/^nginx.service active running 0$/nginx.service failed failed 1/' "$units"
check "a unit entering failed is logged once as an event" \
	sleep_ticks "unit nginx.service entered the failed state"
check "and raised as an alert" \
	wait_for 5 log_matches "$(alert_line 'unit nginx.service is in the failed state')"
check "a unit failed at start-up is an alert too" \
	log_matches "$(alert_line 'unit backup.service')"
sed -i 's/^nginx.service failed failed 1$/nginx.service active running 2/' "$units"
check "the alert resolves when the unit is running again" \
	wait_for 5 log_matches "RESOLVED systemd_unit_failed \\([^)]*nginx.service[^)]*\\) on "
kill -TERM "$DAEMON_PID"
check "the daemon stops" wait_for 5 file_contains "$log" "stopped after"
check "the event was logged exactly once" \
	test "$(grep -c 'nginx.service entered the failed state' "$log")" = 1
check "the alert was raised exactly once" \
	test "$(grep -cE "$(alert_line 'unit nginx.service')" "$log")" = 1

# No system bus at all: said once, everything else still collected.
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$TEST_TMP/nonexistent" \
	"$AGENT" once -c "$config" >"$TEST_TMP/nobus.out" 2>"$TEST_TMP/nobus.err"
check "without a bus once still succeeds" grep -q '^memory.total_bytes' "$TEST_TMP/nobus.out"
check "without a bus the collector says so once" \
	test "$(grep -c 'collector systemd unavailable' "$TEST_TMP/nobus.err")" = 1
