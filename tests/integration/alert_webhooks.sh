#!/usr/bin/env bash
# alert_webhooks.sh - an operator runs several [[alerting.webhook]] instances
# against one loopback receiver: a signed JSON webhook for everything, a
# PagerDuty one (shipped template) for criticals only, a Teams one for disk
# rules only and a signed DingTalk robot. Each gets what its min_severity and
# matchers let through; PagerDuty's trigger and resolve share a dedup key;
# DingTalk's sign checks out; a reload removes an instance, a restart keeps
# the others' queues apart; no secret shows in any output.
. tests/integration/lib.sh

dir=$TEST_TMP
templates=$PWD/etc/templates
start_receiver "$dir" "hmac-key-5678" || { not_ok "receiver started"; exit 1; }
instances() { # instances [EXTRA CONFIG LINES...]
	write_alert_config "$dir/agent.toml" \
		'[agent]' "state_dir = \"$dir/state\"" 'hostname = "web-01"' \
		'collect_interval_secs = 1' \
		'[alerting]' 'group_wait_secs = 1' \
		'[alerting.rate_limit]' 'min_interval_secs = 0' \
		'[[alerting.webhook]]' 'name = "all"' \
		"url = \"$RECEIVER_URL/webhook/SECRETHOOK\"" \
		'hmac_secret = "hmac-key-5678"' \
		'[[alerting.webhook]]' 'name = "pager"' \
		"url = \"$RECEIVER_URL/other/pagerduty\"" \
		"template_file = \"$templates/pagerduty.json.tmpl\"" \
		'token = "R0UTINGKEYSECRET"' 'min_severity = "critical"' \
		'max_alerts_per_message = 1' \
		'[[alerting.webhook]]' 'name = "ding"' \
		"url = \"$RECEIVER_URL/other/robot/send?access_token=DINGTOKENSECRET\"" \
		"template_file = \"$templates/dingtalk.json.tmpl\"" \
		'dingtalk_secret = "SECdingdingSECRET42"' 'min_severity = "warning"' \
		"$@"
}
teams=('[[alerting.webhook]]' 'name = "teams"'
	"url = \"$RECEIVER_URL/other/teams\""
	"template_file = \"$templates/teams.json.tmpl\""
	'matchers = ["rule=disk_*", "severity!=info"]')
instances "${teams[@]}"

"$AGENT" check-config -c "$dir/agent.toml" >"$dir/check.out" 2>&1
check "the configuration with 4 instances is valid" test $? -eq 0

start_feed "$dir/daemon.log" "$dir/agent.toml"
check "daemon is ready" wait_for 15 file_contains "$dir/daemon.log" "ready"
feed "fire disk_full critical mount=/ Disk / is 97% full" \
	"fire load_high warning - Load 12 on 4 CPUs" \
	"fire mem_low info - Memory low"
on() { echo "r[\"path\"].startswith(\"/$1\")"; }
check "the signed webhook got the 3 alerts in one message" \
	wait_for 15 requests_at_least "$dir" 1 \
	"$(on webhook) and len(r['body']['alerts']) == 3 and r.get('signature') == 'verified'"
check "PagerDuty (critical only) got one trigger" \
	wait_for 15 requests_at_least "$dir" 1 \
	"$(on other/pagerduty) and r['body']['event_action'] == 'trigger'"
check "DingTalk (warning and up) got disk_full and load_high" \
	wait_for 15 requests_at_least "$dir" 1 \
	"$(on other/robot) and 'disk_full' in r['body']['markdown']['text'] and 'load_high' in r['body']['markdown']['text']"
check "Teams (rule=disk_*) got its card" \
	wait_for 15 requests_at_least "$dir" 1 "$(on other/teams)"
check "PagerDuty got nothing below critical" \
	test "$(requests_count "$dir" "$(on other/pagerduty)")" -eq 1
check "PagerDuty's routing key came from token" \
	test "$(requests_count "$dir" "$(on other/pagerduty) and r['body']['routing_key'] == 'R0UTINGKEYSECRET'")" -eq 1
check "DingTalk left out the info alert" \
	test "$(requests_count "$dir" "$(on other/robot) and 'mem_low' in str(r['body'])")" -eq 0
check "Teams got disk_full and nothing else" \
	test "$(requests_count "$dir" "$(on other/teams) and 'disk_full' in str(r['body']) and 'load_high' not in str(r['body']) and 'mem_low' not in str(r['body'])")" -eq 1
# DingTalk's documented signature, recomputed here from the logged URL.
ding_signed() {
	python3 - "$dir/requests.jsonl" <<'PY'
import base64, hashlib, hmac, json, sys, time, urllib.parse
secret = "SECdingdingSECRET42"
ok = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if not r["path"].startswith("/other/robot"):
        continue
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r["path"]).query)
    ts = q["timestamp"][0]
    mac = hmac.new(secret.encode(), (ts + "\n" + secret).encode(),
                   hashlib.sha256).digest()
    assert q["sign"][0] == base64.b64encode(mac).decode(), "bad sign"
    assert abs(time.time() * 1000 - int(ts)) < 3600 * 1000, "stale"
    assert q["access_token"][0] == "DINGTOKENSECRET"
    ok += 1
print(ok)
PY
}
check "DingTalk's timestamp and sign verify" test "$(ding_signed)" -ge 1

feed "clear disk_full critical mount=/ Disk / is fine"
check "PagerDuty got the resolve" \
	wait_for 15 requests_at_least "$dir" 1 \
	"$(on other/pagerduty) and r['body']['event_action'] == 'resolve'"
dedup_keys() {
	python3 -c 'import json,sys
print(len({json.loads(l)["body"]["dedup_key"] for l in open(sys.argv[1]) if json.loads(l)["path"].startswith("/other/pagerduty")}))' "$dir/requests.jsonl"
}
check "trigger and resolve share one dedup key" test "$(dedup_keys)" -eq 1
check "every instance has its statistics" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["channels"]
assert all(c["webhook." + n]["sent"] >= 1 for n in ("all", "pager", "ding", "teams")), c
' "$dir/state/alerter-stats.json"

# A reload without the Teams instance drops it (said by name); the others go on.
echo "500" >"$dir/control"
feed "fire disk_slow warning mount=/ Disk / is slow"
check "Teams owes disk_slow while the receiver fails" \
	wait_for 15 requests_at_least "$dir" 1 "$(on other/teams) and r['mode'] == '500'"
instances
kill -HUP "$DAEMON_PID"
check "reloaded" wait_for 10 file_contains "$dir/daemon.log" "configuration reloaded"
check "the removed instance is dropped by name" \
	wait_for 10 file_contains "$dir/daemon.log" "webhook.teams removed"
no_teams_stats() {
	python3 -c 'import json, sys
assert "webhook.teams" not in json.load(open(sys.argv[1]))["channels"]' \
		"$dir/state/alerter-stats.json" 2>/dev/null
}
check "its statistics are gone" wait_for 10 no_teams_stats

# A restart while the others still owe: each queue comes back to its own.
stop_pid "$DAEMON_PID"
exec 3>&-
: >"$dir/control"
: >"$dir/requests.jsonl"
start_feed "$dir/daemon2.log" "$dir/agent.toml"
check "after a restart the signed webhook gets its queued message" \
	wait_for 30 requests_at_least "$dir" 1 \
	"$(on webhook) and 'disk_slow' in str(r['body']) and r.get('signature') == 'verified'"
check "and DingTalk its own" \
	wait_for 30 requests_at_least "$dir" 1 \
	"$(on other/robot) and 'disk_slow' in str(r['body'])"
check "nothing went to the removed instance" \
	test "$(requests_count "$dir" "$(on other/teams)")" -eq 0
check "every request was valid" test "$(requests_count "$dir" 'not r["valid"]')" -eq 0
stop_pid "$DAEMON_PID"
exec 3>&-

for secret in hmac-key-5678 R0UTINGKEYSECRET DINGTOKENSECRET SECdingdingSECRET42; do
	check "no output shows $secret" \
		sh -c "! grep -rq -- '$secret' '$dir'/daemon*.log '$dir/check.out' '$dir/state/alert-history.jsonl'"
done
