#!/usr/bin/env bash
# alert_storm.sh - 1,000 anomalies arrive within seconds. With
# min_interval_secs = 5 and max_alerts_per_hour = 60 the webhook gets a
# handful of messages, each detailing what it carries and saying exactly how
# many alerts still wait; every anomaly is accounted for (sent in full, or
# still owed to the channel, across a restart too) and the history file
# keeps all 1,000.
. tests/integration/lib.sh

dir=$TEST_TMP
start_receiver "$dir" "storm-secret" || { not_ok "receiver started"; exit 1; }
write_alert_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$dir/state\"" \
	'[alerting]' 'group_wait_secs = 2' \
	'[alerting.rate_limit]' 'min_interval_secs = 5' 'max_alerts_per_hour = 60' \
	'[alerting.console]' 'enabled = false' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/storm\"" \
	'hmac_secret = "storm-secret"'

start_feed "$dir/daemon.log" "$dir/agent.toml"
start=$(date +%s)
for batch in $(seq 0 9); do
	lines=()
	for i in $(seq 1 100); do
		lines+=("fire storm_rule warning pid=$((batch * 100 + i)) Process $((batch * 100 + i)) misbehaves")
	done
	feed "${lines[@]}"
	sleep 0.5 # spreads the storm over ~5 s, two rate-limit windows
done
check "all 1000 events reached the alerter" \
	wait_for 30 stat_is "$dir/state" events 1000
check "history keeps all 1000" \
	test "$(grep -c '"event":"firing"' "$dir/state/alert-history.jsonl")" -eq 1000
# Everything sent in full or still owed: sum(alerts) + owed = 1000.
accounted() {
	python3 - "$dir/requests.jsonl" "$(owed_of "$dir/state")" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
n = sum(len(r["body"]["alerts"]) for r in rs) + int(sys.argv[2])
sys.exit(0 if n == 1000 and rs and rs[-1]["body"]["deferred"] == int(sys.argv[2]) else 1)
PY
}
check "every anomaly is sent in full or owed, and the last message says how many wait" \
	wait_for 30 accounted
elapsed=$(( $(date +%s) - start ))
messages=$(requests_count "$dir")
echo "# $messages webhook messages for 1000 anomalies in ${elapsed}s"
check "at most one message per 5 s window" \
	test "$messages" -le $(( elapsed / 5 + 1 ))
check "at most 60 alerts detailed" python3 - "$dir/requests.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if sum(len(r["body"]["alerts"]) for r in rs) <= 60 else 1)
PY
check "every message says how many alerts still wait" python3 - "$dir/requests.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if len(rs) >= 2 and all(r["body"]["deferred"] > 0 for r in rs) else 1)
PY
check "all bodies valid and signed" \
	test "$(requests_count "$dir" 'r["valid"] and r.get("signature") == "verified"')" -eq "$messages"
owed=$(owed_of "$dir/state")
stop_pid "$DAEMON_PID"
# A restart on the same state dir owes exactly the same alerts.
start_feed "$dir/daemon2.log" "$dir/agent.toml"
check "after a restart the channel still owes the same $owed alerts" \
	wait_for 15 eval '[ "$(owed_of "$dir/state")" = "$owed" ]'
stop_pid "$DAEMON_PID"
