#!/usr/bin/env bash
# alert_limits.sh - rate limits delay, they never hide. With
# min_interval_secs = 60, a threshold alert that fires and resolves after a
# first message opened the window reaches the webhook in full, firing and
# resolved, when the window ends. And behind 600 warnings the webhook is
# still paying off, a critical arrives in detail within group_wait_secs +
# min_interval_secs (this second host runs while the first one's 60 s
# window passes).
. tests/integration/lib.sh

# alerts_of DIR [CONDITION]: "time state severity key summary" of each
# alert entry the webhook in DIR got (CONDITION on `a`, the entry).
alerts_of() {
	webhook_alerts "$1" '"%.3f %s %s %s %s" % (r["time"], a["state"], a["severity"], a["key"], a["summary"])' "${2:-True}"
}
has_alert() { [ -n "$(alerts_of "$1" "$2")" ]; }
owed_at_least() { [ "$(owed_of "$1")" -ge "$2" ]; }

# --- host 1: min_interval_secs = 60, fired and resolved inside a window ---
one=$TEST_TMP/window
mkdir -p "$one"
start_receiver "$one" "limits-secret" || { not_ok "receiver started"; exit 1; }
write_alert_config "$one/agent.toml" \
	'[agent]' "state_dir = \"$one/state\"" \
	'[alerting]' 'group_wait_secs = 1' \
	'[alerting.rate_limit]' 'min_interval_secs = 60' \
	'[alerting.console]' 'enabled = false' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/limits\"" \
	'hmac_secret = "limits-secret"'
start_feed "$one/daemon.log" "$one/agent.toml"
window_pid=$DAEMON_PID
window_receiver=$RECEIVER_PID
feed "fire backup_late warning job=nightly The nightly backup is late"
check "a first message opens the 60 s window" wait_for 15 requests_at_least "$one" 1
first_at=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["time"])' "$one/requests.jsonl")
feed "fire cpu_busy warning cpu=total CPU usage 93.5% is above 90%"
# (alerter-stats.json is rewritten at least every 10 s)
check "the threshold alert is owed to the webhook (its group closed)" \
	wait_for 15 owed_at_least "$one/state" 1
feed "clear cpu_busy warning cpu=total CPU usage is back below 90%"
check "its resolution is accepted" wait_for 10 stat_is "$one/state" events 3
exec 3>&- # host 1 needs no more input; its window runs on meanwhile

# --- host 2: 600 warnings, then one critical ---
two=$TEST_TMP/storm
mkdir -p "$two"
start_receiver "$two" "limits-secret" || { not_ok "receiver started"; exit 1; }
write_alert_config "$two/agent.toml" \
	'[agent]' "state_dir = \"$two/state\"" \
	'[alerting]' 'group_wait_secs = 3' \
	'[alerting.rate_limit]' 'min_interval_secs = 10' 'max_alerts_per_hour = 60' \
	'[alerting.console]' 'enabled = false' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/limits\"" \
	'hmac_secret = "limits-secret"'
start_feed "$two/daemon.log" "$two/agent.toml"
lines=()
for i in $(seq 1 600); do
	lines+=("fire conn_refused warning peer=10.0.$((i / 256)).$((i % 256)) Connections refused from 10.0.$((i / 256)).$((i % 256))")
done
feed "${lines[@]}"
check "600 warnings accepted" wait_for 20 stat_is "$two/state" events 600
check "a first message arrives" wait_for 15 has_alert "$two" 'True'
check "it details 32 and says 568 still wait" python3 - "$two/requests.jsonl" <<'PY'
import json, sys
body = json.loads(open(sys.argv[1]).readline())["body"]
sys.exit(0 if len(body["alerts"]) == 32 and body["deferred"] == 568 else 1)
PY
# The critical comes right after a message: the interval has just begun.
fed_at=$(date +%s.%N)
feed "fire disk_failing critical device=sdb Disk sdb reports 12 reallocated sectors"
check "the critical is delivered in detail" wait_for 25 has_alert "$two" \
	'a["rule"] == "disk_failing" and a["state"] == "firing" and a["severity"] == "critical" and a["summary"] == "Disk sdb reports 12 reallocated sectors" and a["value"] == 93.5'
read -r arrived _ < <(alerts_of "$two" 'a["rule"] == "disk_failing"')
delay=$(python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) - float(sys.argv[2])))' "$arrived" "$fed_at")
echo "# critical behind 600 warnings: delivered ${delay}s after it was fed (group_wait_secs 3 + min_interval_secs 10)"
check "within group_wait_secs + min_interval_secs (+2 s)" \
	python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= 15 else 1)' "$delay"
check "first in its message (most severe first)" python3 - "$two/requests.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    alerts = json.loads(line)["body"]["alerts"]
    if any(a["rule"] == "disk_failing" for a in alerts):
        sys.exit(0 if alerts[0]["rule"] == "disk_failing" else 1)
sys.exit(1)
PY
check "no alert left the table" test "$(stat_of "$two/state" evicted)" -eq 0
accounted() {
	python3 - "$two/requests.jsonl" "$(owed_of "$two/state")" <<'PY'
import json, sys
keys = set()
for line in open(sys.argv[1]):
    keys |= {a["key"] for a in json.loads(line)["body"]["alerts"]
             if a["rule"] == "conn_refused"}
sys.exit(0 if len(keys) + int(sys.argv[2]) == 600 else 1)
PY
}
# (alerter-stats.json is rewritten at least every 10 s)
check "every warning is sent or still owed" wait_for 15 accounted
echo "# behind it: $(requests_count "$two") messages so far, $(owed_of "$two/state") warnings still owed (max_alerts_per_hour 60), $(stat_of "$two/state" evicted) evicted"
stop_pid "$DAEMON_PID"
exec 3>&-

# --- host 1 again: its window ends ---
check "the window's end brings the alert in full" wait_for 80 has_alert "$one" \
	'a["rule"] == "cpu_busy" and a["state"] == "resolved"'
alerts_of "$one" 'a["rule"] == "cpu_busy"' >"$one/cpu_busy"
while read -r at state severity key summary; do
	echo "# $key $state ($severity) $(python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) - float(sys.argv[2])))' "$at" "$first_at")s after the first message: $summary"
done <"$one/cpu_busy"
check "firing, then resolved, for the same key" python3 - "$one/requests.jsonl" <<'PY'
import json, sys
entries = [a for line in open(sys.argv[1])
           for a in json.loads(line)["body"]["alerts"] if a["rule"] == "cpu_busy"]
ok = [a["state"] for a in entries] == ["firing", "resolved"] and \
    entries[0]["key"] == entries[1]["key"] and \
    entries[0]["summary"] == "CPU usage 93.5% is above 90%" and \
    entries[0]["value"] == 93.5 and entries[0]["threshold"] == 90 and \
    entries[1]["summary"] == "CPU usage is back below 90%" and \
    entries[1]["ends_at"] is not None
sys.exit(0 if ok else 1)
PY
check "not before the 60 s window ended" python3 - "$one/cpu_busy" "$first_at" <<'PY'
import sys
first = float(sys.argv[2])
sys.exit(0 if all(float(l.split()[0]) - first >= 59 for l in open(sys.argv[1])) else 1)
PY
stop_pid "$window_pid"
check "two messages in all" test "$(requests_count "$one")" -eq 2
