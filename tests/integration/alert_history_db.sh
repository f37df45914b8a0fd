#!/usr/bin/env bash
# alert_history_db.sh - every alert the alerter handles also lands in the
# SQLite history, where `sysops-agent alerts` shows it with what became of it.
. tests/integration/lib.sh

if "$AGENT" --version | grep -q 'sqlite history: no'; then
	ok "# SKIP built without SQLite"
	exit 0
fi
dir=$TEST_TMP
write_config "$dir/agent.toml" "${NO_HOST_LOGS[@]}" \
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
stop_pid "$DAEMON_PID"
exec 3>&-
check "the readable view lists it" \
	bash -c "'$AGENT' alerts -c '$dir/agent.toml' | grep -q disk_full"
