#!/usr/bin/env bash
# alert_crash.sh - the daemon is killed with SIGKILL while a delivery hangs
# and another message waits in the spool; after a restart nothing is lost
# and at most one message is repeated per channel.
. tests/integration/lib.sh

dir=$TEST_TMP
start_receiver "$dir" "unused-secret" || { not_ok "receiver started"; exit 1; }
write_config "$dir/agent.toml" "${NO_HOST_LOGS[@]}" \
	'[agent]' "state_dir = \"$dir/state\"" \
	'[alerting]' 'group_wait_secs = 0' 'retry_initial_secs = 1' \
	'timeout_secs = 120' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'[alerting.slack]' "webhook_url = \"$RECEIVER_URL/slack/T/B/x\""

echo "hang" >"$dir/control"
start_feed "$dir/daemon1.log" "$dir/agent.toml"
feed "fire first warning - First problem"
check "first message is in flight (endpoint hangs)" \
	wait_for 10 requests_at_least "$dir" 1
feed "fire second critical - Second problem" "fire third warning - Third problem"
check "two more wait in the spool" wait_for 10 stat_is "$dir/state" spool_pending 3
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
exec 3>&-
check "spool file survived" test -s "$dir/state/alert-spool"

echo "ok" >"$dir/control"
start_feed "$dir/daemon2.log" "$dir/agent.toml"
check "after restart every message is delivered" \
	wait_for 20 requests_at_least "$dir" 4
check "spool drained" wait_for 10 stat_is "$dir/state" spool_pending 0
check "nothing lost, at most one duplicate" python3 - "$dir/requests.jsonl" <<'PY'
import json, sys, collections
rs = [json.loads(l) for l in open(sys.argv[1])]
titles = collections.Counter(r["body"]["text"] for r in rs)
names = sorted(t.split()[1] for t in titles)
dups = sum(c - 1 for c in titles.values())
print("# deliveries: %d, distinct: %d, duplicates: %d" % (len(rs), len(titles), dups))
sys.exit(0 if names == ["first", "second", "third"] and dups <= 1 else 1)
PY
stop_pid "$DAEMON_PID"
exec 3>&-

# SIGTERM while a group still waits (group_wait_secs = 30): the group goes
# to the spool at stop and out after the next start.
sed -i 's/^group_wait_secs = 0$/group_wait_secs = 30/' "$dir/agent.toml"
: >"$dir/requests.jsonl"
start_feed "$dir/daemon3.log" "$dir/agent.toml"
feed "fire waiting warning - Waiting in the group"
check "event accepted" wait_for 10 stat_is "$dir/state" events 1
stop_pid "$DAEMON_PID"
exec 3>&-
check "nothing was sent before the stop" test "$(requests_count "$dir")" -eq 0
check "the group was spooled at stop" grep -q '"rule":"waiting"' "$dir/state/alert-spool"
start_feed "$dir/daemon4.log" "$dir/agent.toml"
check "and delivered after the restart" \
	wait_for 20 requests_at_least "$dir" 1 '"waiting" in r["body"]["text"]'
stop_pid "$DAEMON_PID"
