#!/usr/bin/env bash
# alert_silence.sh - an operator reloads a new webhook URL and a silence
# window with SIGHUP, then uses the maintenance file: silenced alerts are
# recorded, not sent, and what still fires after maintenance is sent.
. tests/integration/lib.sh

dir=$TEST_TMP
start_receiver "$dir" "s" || { not_ok "receiver started"; exit 1; }
base=( "${NO_HOST_LOGS[@]}" '[agent]' "state_dir = \"$dir/state\"" '[alerting]' 'group_wait_secs = 0'
	'[alerting.rate_limit]' 'min_interval_secs = 0' '[alerting.webhook]'
	'hmac_secret = "s"' )
write_config "$dir/agent.toml" "${base[@]}" "url = \"$RECEIVER_URL/webhook/a\""
start_feed "$dir/daemon.log" "$dir/agent.toml"
feed "fire first warning - First"
check "sent to the first URL" \
	wait_for 10 requests_at_least "$dir" 1 'r["path"] == "/webhook/a"'

write_config "$dir/agent.toml" "${base[@]}" "url = \"$RECEIVER_URL/webhook/b\"" \
	'[[alerting.silence]]' 'name = "known noisy"' 'rule = "noisy"'
kill -HUP "$DAEMON_PID"
check "reloaded" wait_for 10 file_contains "$dir/daemon.log" "configuration reloaded"
feed "fire noisy critical - Noisy" "fire second warning - Second"
check "the next alert goes to the new URL" \
	wait_for 10 requests_at_least "$dir" 1 'r["path"] == "/webhook/b"'
check "the silenced rule was recorded" \
	wait_for 5 file_contains "$dir/state/alert-history.jsonl" '"event":"silenced","rule":"noisy"'
check "and not sent" test "$(requests_count "$dir" '"noisy" in str(r["body"])')" -eq 0

touch "$dir/state/maintenance"
check "maintenance mode noticed" wait_for 5 stat_is "$dir/state" maintenance 1
feed "fire during_maintenance critical - Disk failing"
check "recorded during maintenance" wait_for 5 \
	file_contains "$dir/state/alert-history.jsonl" '"event":"silenced","rule":"during_maintenance"'
check "with the reason" \
	file_contains "$dir/state/alert-history.jsonl" '"summary":"Disk failing","value":93.5,"note":"maintenance"'
check "not sent during maintenance" \
	test "$(requests_count "$dir" '"during_maintenance" in str(r["body"])')" -eq 0
rm "$dir/state/maintenance"
check "still firing after maintenance: sent" \
	wait_for 10 requests_at_least "$dir" 1 '"during_maintenance" in str(r["body"])'
check "all requests valid" test "$(requests_count "$dir" 'not r["valid"]')" -eq 0
stop_pid "$DAEMON_PID"
