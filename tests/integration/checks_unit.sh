#!/usr/bin/env bash
# checks_unit.sh - unit checks over a real D-Bus daemon (a private bus in the
# test directory, never the host's) and a stand-in for systemd
# (tests/tools/fake_systemd): an active unit is up, one that fails fires
# with its state, a restart by systemd is said once, the unit back active
# resolves, and a unit systemd cannot load is down "not loaded".
. "$(dirname "$0")/lib.sh"

FAKE=$PWD/$BUILD/tests/tools/fake_systemd
if ! command -v dbus-daemon >/dev/null; then
	ok "# SKIP dbus-daemon is not installed"
	exit 0
fi
dir=$TEST_TMP
bus=$dir/bus
# Any user may connect: started as root where the sysops-agent account
# exists, the agent runs as that user.
chmod o+x "$dir"
cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile \
	>"$dir/dbus.log" 2>&1 &
TEST_PIDS+=("$!")
check "a private D-Bus daemon is listening" wait_for 5 test -S "$bus"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$bus"
units=$dir/units
# The stand-in re-reads the file on every call: replaced whole (rename), so
# it never reads it truncated (no unit: "not loaded") between two states.
set_units() { printf '%s\n' "$@" >"$units.new" && mv "$units.new" "$units"; }
set_units 'nginx.service active running 0'
"$FAKE" "$units" >"$dir/fake.log" 2>&1 &
TEST_PIDS+=("$!")
check "the stand-in systemd owns its name" \
	wait_for 5 file_contains "$dir/fake.log" ready

start_receiver "$dir" "checks-hmac" || { not_ok "receiver started"; exit 1; }
write_checks_config "$dir/agent.toml" "$dir/state" \
	'[listeners]' 'enabled = false' '[collectors.systemd]' 'enabled = false' \
	'[[checks]]' 'name = "web-unit"' 'type = "unit"' 'unit = "nginx.service"' \
	'[[checks]]' 'name = "ghost"' 'type = "unit"' 'unit = "ghost.service"' \
	'severity = "warning"'
start_daemon "$dir/daemon.log" -f -c "$dir/agent.toml"
firing() { webhook_alerts_at_least "$dir" 1 "a['state'] == 'firing' and $1"; }
resolved() { webhook_alerts_at_least "$dir" 1 "a['state'] == 'resolved' and $1"; }
web="a['rule'] == 'check_failed' and a['labels'].get('check') == 'web-unit'"

check "a unit systemd cannot load is down, at the check's severity" \
	wait_for 20 firing "a['labels'].get('check') == 'ghost' and a['severity'] == 'warning' and 'ghost.service is not loaded (not-found)' in a['summary']"
check "the active unit raised nothing" test "$(webhook_alert_count "$dir" "$web")" -eq 0
set_units 'nginx.service failed failed 0'
check "the unit failing fires, with its state" \
	wait_for 20 firing "$web and 'nginx.service is failed (failed)' in a['summary']"
set_units 'nginx.service active running 1'
check "active again: resolved" \
	wait_for 20 resolved "$web and 'nginx.service is active (running)' in a['summary']"
check "systemd's restart is said once" \
	wait_for 20 firing "a['rule'] == 'unit_restarted' and 'was restarted by systemd (NRestarts 1)' in a['summary']"
check "the daemon stopped with status 0" stop_pid "$DAEMON_PID"
check "no error was logged" eval '! grep -h "^<[0-3]>" "$dir/daemon.log" | grep -qv SYSOPS_RULE='
