#!/usr/bin/env bash
# alert_history_db.sh - every alert the alerter handles also lands in the
# SQLite history, where `sysops-agent alerts` shows it with what became of it.
. tests/integration/lib.sh

if "$AGENT" --version | grep -q 'sqlite history: no'; then
	ok "# SKIP built without SQLite"
	exit 0
fi
dir=$TEST_TMP
write_alert_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$dir/state\"" 'collect_interval_secs = 1' \
	'[alerting]' 'group_wait_secs = 0'
start_feed "$dir/daemon.log" "$dir/agent.toml"
feed "fire disk_full critical mount=/srv The disk /srv is full"
in_database() {
	"$AGENT" alerts -c "$dir/agent.toml" --json 2>/dev/null | grep -q "$1"
}
check "the alert is in the database" wait_for 15 in_database '"disk_full"'
check "with its labels" in_database 'mount=/srv'
feed "clear disk_full critical mount=/srv The disk /srv has room again"
check "its resolution too" wait_for 15 in_database 'has room again'

# A burst of 400 events within a tick (the queue in front of the database
# holds 128): written out early, every one recorded, nothing dropped.
burst=()
for i in $(seq 1 400); do
	burst+=("fire burst_$i warning n=$i Burst event $i")
done
feed "${burst[@]}"
burst_count() {
	[ "$("$AGENT" alerts -c "$dir/agent.toml" --json 2>/dev/null |
		grep -o '"rule":"burst_[0-9]*"' | sort -u | wc -l)" -eq 400 ]
}
check "a burst of 400 alerts is in the database, every one" \
	wait_for 30 burst_count
check "and the queue in front of it never dropped one" \
	eval '! grep -q "alert queue full" "$dir/daemon.log"'
stop_pid "$DAEMON_PID"
exec 3>&-
check "the readable view lists it" \
	bash -c "'$AGENT' alerts -c '$dir/agent.toml' | grep -q disk_full"
