#!/usr/bin/env bash
# alert_storm.sh - 1,000 anomalies arrive within seconds. With
# min_interval_secs = 5 and max_alerts_per_hour = 60 the webhook gets a
# handful of messages, each saying how many alerts it held back; every
# anomaly is accounted for (detailed or summarised) and the history file
# keeps all 1,000.
. tests/integration/lib.sh

dir=$TEST_TMP
start_receiver "$dir" "storm-secret" || { not_ok "receiver started"; exit 1; }
write_config "$dir/agent.toml" "${NO_HOST_LOGS[@]}" \
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
# Everything detailed or summarised: sum(alerts) + sum(suppressed) = 1000.
accounted() {
	python3 - "$dir/requests.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
n = sum(len(r["body"]["alerts"]) + r["body"]["suppressed"]["count"] for r in rs)
sys.exit(0 if n == 1000 else 1)
PY
}
check "every anomaly is in a message, detailed or summarised" \
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
check "each later message summarises what it held back" python3 - "$dir/requests.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
ok = all(r["body"]["suppressed"]["count"] > 0 and
         "storm_rule" in r["body"]["suppressed"]["alerts"] for r in rs)
sys.exit(0 if ok and len(rs) >= 2 else 1)
PY
check "all bodies valid and signed" \
	test "$(requests_count "$dir" 'r["valid"] and r.get("signature") == "verified"')" -eq "$messages"
stop_pid "$DAEMON_PID"
