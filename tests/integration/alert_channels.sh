#!/usr/bin/env bash
# alert_channels.sh - an operator wires Slack, Discord, Telegram and a signed
# webhook (all played by a loopback server that validates each body against
# the service's format and verifies the HMAC), runs test-alert, then lets the
# daemon send real alerts. No secret may appear in any output.
. tests/integration/lib.sh

dir=$TEST_TMP
start_receiver "$dir" "hmac-key-1234" || { not_ok "receiver started"; exit 1; }
write_alert_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$dir/state\"" 'hostname = "web-01"' \
	'collect_interval_secs = 1' \
	'[alerting]' 'group_wait_secs = 1' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/SECRETHOOK\"" \
	'hmac_secret = "hmac-key-1234"' 'headers = ["X-Team: ops"]' \
	'[alerting.slack]' "webhook_url = \"$RECEIVER_URL/slack/T0/B0/SECRETSLACK\"" \
	'min_severity = "info"' \
	'[alerting.discord]' "webhook_url = \"$RECEIVER_URL/discord/api/webhooks/1/SECRETDISCORD\"" \
	'[alerting.telegram]' 'bot_token = "123:SECRETTELEGRAM"' 'chat_id = "-100"' \
	"api_url = \"$RECEIVER_URL\""

"$AGENT" test-alert -c "$dir/agent.toml" >"$dir/test-alert.out" 2>&1
check "test-alert succeeds on every channel" test $? -eq 0
for c in console webhook slack discord telegram; do
	check "test-alert reports $c ok" grep -q "^$c: ok" "$dir/test-alert.out"
done
check "4 valid test requests received" \
	test "$(requests_count "$dir" 'r["valid"]')" -eq 4
check "the webhook signature verified" \
	test "$(requests_count "$dir" 'r.get("signature") == "verified"')" -eq 1

echo "404 x1" >"$dir/control"
"$AGENT" test-alert -c "$dir/agent.toml" --channel discord >"$dir/test-404.out" 2>&1
check "test-alert fails on a 404" test $? -eq 1
check "test-alert gives the exact error" \
	grep -q '^discord: FAILED: HTTP 404: {"error":"failed for \*\*\*"} (permanent)' \
	"$dir/test-404.out"
"$AGENT" test-alert -c "$dir/agent.toml" --channel email >"$dir/test-email.out" 2>&1
check "test-alert names what is missing" \
	grep -q "^email: FAILED: not configured ('url' is missing)" "$dir/test-email.out"

# libcurl (and the TLS library behind it) is opened by the first HTTP
# request: a daemon with channels configured but nothing to say maps none.
curl_mapped() { grep -q libcurl "/proc/$1/maps"; }
start_daemon "$dir/idle.log" -f -c "$dir/agent.toml"
check "daemon with HTTP channels is ready" \
	wait_for 15 file_contains "$dir/idle.log" "ready"
check "libcurl is not mapped before the first request" \
	test -r "/proc/$DAEMON_PID/maps" -a "$(grep -c libcurl "/proc/$DAEMON_PID/maps")" -eq 0
stop_pid "$DAEMON_PID"

: >"$dir/requests.jsonl"
start_feed "$dir/daemon.log" "$dir/agent.toml"
feed "fire disk_full critical mount=/ Disk / is 97% full" \
	"fire load_high warning - Load <b>&\"high\"</b> 12 on 4 CPUs" \
	"fire mem_low info - Memory low"
# One grouped message per channel with the 3 problems.
check "grouped message reaches all 4 channels" \
	wait_for 15 requests_at_least "$dir" 4 'r["valid"]'
# Sent by the delivery process (delivery_privsep.sh): the daemon never maps it.
check "libcurl is not mapped in the daemon after alerts were sent" \
	eval '! curl_mapped "$DAEMON_PID"'
check "webhook carries the 3 alerts in one message" \
	test "$(requests_count "$dir" 'r["kind"] == "webhook" and len(r["body"]["alerts"]) == 3')" -eq 1
check "slack colour is critical" \
	test "$(requests_count "$dir" 'r["kind"] == "slack" and r["body"]["attachments"][0]["color"] == "#e01e5a"')" -eq 1
check "discord (min_severity warning) got 2 embeds" \
	test "$(requests_count "$dir" 'r["kind"] == "discord" and len(r["body"]["embeds"]) == 2')" -eq 1
check "telegram escaped the markup" \
	test "$(requests_count "$dir" 'r["kind"] == "telegram" and "&lt;b&gt;&amp;" in r["body"]["text"]')" -eq 1
feed "clear disk_full critical mount=/ Disk / is fine"
check "resolved message sent" \
	wait_for 15 requests_at_least "$dir" 1 \
	'r["kind"] == "webhook" and r["body"]["status"] == "resolved"'
check "resolved says how long it lasted" \
	test "$(requests_count "$dir" 'r["kind"] == "slack" and "Lasted" in str(r["body"])')" -ge 1
check "every request was valid" test "$(requests_count "$dir" 'not r["valid"]')" -eq 0
check "history recorded every event" \
	test "$(grep -c '"event":"firing"' "$dir/state/alert-history.jsonl")" -eq 3
# The webhook's resolved message can come before the other channels' (a
# loaded host): the spool empties once every channel has had its own.
check "spool empty after delivery" \
	wait_for 15 stat_is "$dir/state" spool_pending 0
stop_pid "$DAEMON_PID"
check "no duplicate: 2 webhook deliveries (firing, resolved)" \
	test "$(requests_count "$dir" 'r["kind"] == "webhook"')" -eq 2
secrets_leaked=0
for s in SECRETHOOK SECRETSLACK SECRETDISCORD SECRETTELEGRAM hmac-key-1234; do
	grep -q "$s" "$dir/daemon.log" "$dir/test-alert.out" "$dir/test-404.out" \
		"$dir/state/alert-history.jsonl" && secrets_leaked=1
done
check "no secret in any log or output" test $secrets_leaked -eq 0
