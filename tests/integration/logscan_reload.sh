#!/usr/bin/env bash
# logscan_reload.sh - an operator adds a rule and reloads (SIGHUP): the new
# rule applies to lines written afterwards, no line is lost or read twice
# across the reload, and a rule set that cannot be built is refused while
# the running one keeps working.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TEST_TMP/state"
APP=$TEST_TMP/app.log
: >"$APP"
base=('[agent]' "state_dir = \"$TEST_TMP/state\"" 'collect_interval_secs = 1'
	'hostname = "test-host"' '[alerting]' 'group_wait_secs = 0'
	'[logscan]' 'kmsg = false' 'journal = false' "files = [\"$APP\"]"
	'[[logscan.rules]]' 'name = "seen"' 'pattern = "seq=(?<n>\\d+) "'
	'message = "seen {n}"')
write_config "$TEST_TMP/c.toml" "${base[@]}"
start_daemon "$TEST_TMP/daemon.log" -f -v -c "$TEST_TMP/c.toml"
wait_for 10 file_contains "$TEST_TMP/daemon.log" "first collection done"
seen() { grep -c 'logscan: event seen from' "$TEST_TMP/daemon.log"; }
seen_upto() { [ "$(seen)" -ge "$1" ]; }

for i in 1 2 3; do echo "line seq=$i payment failed" >>"$APP"; done
check "lines before the reload are seen" wait_for 10 seen_upto 3
check "no payment rule yet" bash -c "! grep -q 'event payment' '$TEST_TMP/daemon.log'"

write_config "$TEST_TMP/c.toml" "${base[@]}" \
	'[[logscan.rules]]' 'name = "payment"' 'pattern = "payment failed"' \
	'severity = "critical"' 'message = "a payment failed"'
kill -HUP "$DAEMON_PID"
check "the reload is done" wait_for 10 file_contains "$TEST_TMP/daemon.log" "configuration reloaded"
for i in 4 5; do echo "line seq=$i payment failed" >>"$APP"; done
check "lines after the reload are seen" wait_for 10 seen_upto 5
check "the new rule applies" \
	wait_for 10 file_contains "$TEST_TMP/daemon.log" "payment ($APP) on test-host: a payment failed"
check "nothing was read twice across the reload" \
	[ "$(grep -c 'logscan: event seen' "$TEST_TMP/daemon.log")" -eq 5 ]

# group_by names no capture: the config loads but the rules cannot be built.
write_config "$TEST_TMP/c.toml" "${base[@]}" \
	'[[logscan.rules]]' 'name = "broken"' 'pattern = "x"' 'group_by = "ip"'
kill -HUP "$DAEMON_PID"
check "a rule set that cannot be built is refused" \
	wait_for 10 file_contains "$TEST_TMP/daemon.log" "group_by 'ip' is not a named capture"
check "and the module says it kept its settings" \
	wait_for 10 file_contains "$TEST_TMP/daemon.log" "logscan: kept part of its previous settings"
echo "line seq=6 payment failed" >>"$APP"
check "the running rules keep working" wait_for 10 seen_upto 6
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
check "exit after reloads is clean" file_contains "$TEST_TMP/daemon.log" "stopped after"
