#!/usr/bin/env bash
# alert_retry.sh - deliveries survive what endpoints do: 500s, closed
# connections, 429 with Retry-After (header, and Telegram's JSON), and an
# endpoint that is down for a while and comes back: every message arrives
# exactly once per channel.
. tests/integration/lib.sh

dir=$TEST_TMP
start_receiver "$dir" "k3y-for-hmac" || { not_ok "receiver started"; exit 1; }
port=$(cat "$dir/port")
write_config "$dir/agent.toml" "${NO_HOST_LOGS[@]}" \
	'[agent]' "state_dir = \"$dir/state\"" 'hostname = "db-02"' \
	'[alerting]' 'group_wait_secs = 0' 'retry_initial_secs = 1' \
	'retry_max_secs = 2' 'connect_timeout_secs = 2' 'timeout_secs = 5' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/TOKENWEBHOOK\"" \
	'hmac_secret = "k3y-for-hmac"' \
	'[alerting.telegram]' 'bot_token = "99:TOKENTELEGRAM"' 'chat_id = "7"' \
	"api_url = \"$RECEIVER_URL\""
webhooks() { requests_count "$dir" "r['kind'] == 'webhook' $1"; }

echo "500 x2" >"$dir/control"
start_feed "$dir/daemon.log" "$dir/agent.toml"
feed "fire cpu_hot warning - CPU hot"
# 2 failures shared by the channels, then both succeed.
check "delivered after two 500s" wait_for 20 requests_at_least "$dir" 4
check "two attempts failed with 500" \
	test "$(requests_count "$dir" 'r["mode"] == "500"')" -eq 2
check "retries counted" wait_for 5 stat_is "$dir/state" retries 2

: >"$dir/requests.jsonl"
echo "close x1" >"$dir/control"
feed "fire disk_slow warning - Disk slow"
check "delivered after a closed connection" \
	wait_for 20 requests_at_least "$dir" 2 'r["mode"] == "ok"'

: >"$dir/requests.jsonl"
echo "429 2 x1" >"$dir/control"
feed "fire net_drop critical - Packets dropped"
check "delivered after a 429" wait_for 20 requests_at_least "$dir" 3
check "Retry-After: 2 honoured" python3 - "$dir/requests.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
first = [r for r in rs if r["mode"] == "429"][0]
again = [r for r in rs if r["kind"] == first["kind"] and r["mode"] == "ok"][0]
sys.exit(0 if again["time"] - first["time"] >= 1.9 else 1)
PY

: >"$dir/requests.jsonl"
echo "429body 2 x1" >"$dir/control"
feed "fire swap_full critical - Swap full"
check "delivered after a 429 with retry_after in JSON" \
	wait_for 20 requests_at_least "$dir" 3
check "retry_after JSON honoured" python3 - "$dir/requests.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
first = [r for r in rs if r["mode"] == "429body"][0]
again = [r for r in rs if r["kind"] == first["kind"] and r["mode"] == "ok"][0]
sys.exit(0 if again["time"] - first["time"] >= 1.9 else 1)
PY

# The endpoint goes away: messages queue up in the spool.
: >"$dir/requests.jsonl"
stop_pid "$RECEIVER_PID"
for i in 1 2 3 4 5; do feed "fire outage_$i warning - Problem $i during the outage"; done
check "spool holds the 10 messages while the endpoint is down" \
	wait_for 10 stat_is "$dir/state" spool_pending 10
down_since=$(date +%s)
sleep 8 # the outage itself, not a synchronisation
start_receiver "$dir" "k3y-for-hmac" "$port" || not_ok "receiver restarted"
check "all 10 messages delivered when it is back" \
	wait_for 30 requests_at_least "$dir" 10
sleep 2 # would-be duplicates get time to show up
check "each message exactly once per channel" python3 - "$dir/requests.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
hooks = [r["body"]["alerts"][0]["rule"] for r in rs if r["kind"] == "webhook"]
tg = [r for r in rs if r["kind"] == "telegram"]
ok = sorted(hooks) == ["outage_%d" % i for i in range(1, 6)] and len(tg) == 5
sys.exit(0 if ok else 1)
PY
check "order kept per channel" python3 - "$dir/requests.jsonl" <<'PY'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1])]
hooks = [r["body"]["alerts"][0]["rule"] for r in rs if r["kind"] == "webhook"]
sys.exit(0 if hooks == sorted(hooks) else 1)
PY
check "spool drained" wait_for 10 stat_is "$dir/state" spool_pending 0
check "no invalid body" test "$(requests_count "$dir" 'not r["valid"]')" -eq 0
grep -q -e TOKENWEBHOOK -e TOKENTELEGRAM -e k3y-for-hmac "$dir/daemon.log"
check "no secret in the daemon's log" test $? -ne 0
echo "# retries: $(stat_of "$dir/state" retries), sent: $(stat_of "$dir/state" sent), outage $(( $(date +%s) - down_since ))s"
stop_pid "$DAEMON_PID"
