#!/usr/bin/env bash
# collector_daemon.sh - the daemon's first module, storage+collectors: it
# reserves the metric history at start-up, collects before READY, survives
# a reload that changes collector settings, and stops cleanly.
. "$(dirname "$0")/lib.sh"

config=$TEST_TMP/config.toml
log=$TEST_TMP/daemon.log
write_config "$config" '[agent]' 'collect_interval_secs = 1' \
	"state_dir = \"$TEST_TMP/state\"" '[storage]' 'max_series = 500'
start_daemon "$log" -f -c "$config"

check "history is reserved for max_series at start-up" \
	wait_for 5 file_contains "$log" "metric history: 500 series x 3600 samples"
check "the first collection happens before ready" \
	wait_for 5 file_contains "$log" "first collection done; ready"

write_config "$config" '[agent]' 'collect_interval_secs = 1' \
	"state_dir = \"$TEST_TMP/state\"" '[storage]' 'max_series = 500' \
	'[collectors.process]' 'enabled = false'
kill -HUP "$DAEMON_PID"
check "a reload with new collector settings is applied" \
	wait_for 5 file_contains "$log" "configuration reloaded"
check "the daemon is still running after the reload" process_alive "$DAEMON_PID"
check "the process series, no longer collected, are retired after the reload" \
	wait_for 10 grep -qE "retired [0-9]+ series whose subject went away" "$log"
kill -TERM "$DAEMON_PID"
check "it stops on SIGTERM" wait_for 5 file_contains "$log" "stopped after"
check "no collector reported an error" \
	bash -c "! grep -q 'further errors are counted' '$log'"
