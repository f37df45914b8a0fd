#!/usr/bin/env bash
# delivery_network.sh - everything the agent sends or asks over the network
# goes through its delivery process. An operator configures a webhook
# channel, heartbeat pings, remote write and http/tcp checks against a
# loopback receiver: pings, batches, the checks' requests and their alerts
# all arrive, while the main process is sealed and holds no INET/INET6
# socket; the delivery process holds no capability and has no_new_privs;
# once the operator turns the pings, export and checks off it goes after
# delivery_idle_secs; a kill -9 of it in the middle of a send loses no
# alert and costs no check a false alarm.
. tests/integration/lib.sh

dir=$TEST_TMP
start_receiver "$dir" "net-hmac" || { not_ok "receiver started"; exit 1; }
port=${RECEIVER_URL##*:}
closed=$(free_port)
everything=(
	'[heartbeat]' "url = \"$RECEIVER_URL/ping/agent-7\"" 'interval_secs = 2'
	'[export.remote_write]' 'enabled = true'
	"url = \"$RECEIVER_URL/api/v1/write\"" 'bearer_token = "rw-secret"'
	'[[checks]]' 'name = "receiver-health"' 'type = "http"'
	"url = \"$RECEIVER_URL/health\"" 'body = "healthy"' 'interval_secs = 1'
	# By name: the resolver's threads run under the delivery filter.
	'[[checks]]' 'name = "receiver-port"' 'type = "tcp"'
	"target = \"localhost:$port\"" 'interval_secs = 1'
	'[[checks]]' 'name = "shop"' 'type = "http"'
	"url = \"http://127.0.0.1:$closed/\"" 'interval_secs = 1'
)
# write_agent_config LINES...: the agent with a webhook and LINES.
write_agent_config() {
	write_config "$dir/agent.toml" \
		'[agent]' "state_dir = \"$dir/state\"" 'collect_interval_secs = 1' \
		'[logscan]' 'enabled = false' '[analyzer]' 'enabled = false' \
		'[alerting]' 'group_wait_secs = 0' 'retry_initial_secs = 1' \
		'retry_max_secs = 2' 'timeout_secs = 120' 'delivery_idle_secs = 3' \
		'[alerting.rate_limit]' 'min_interval_secs = 0' \
		'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/net\"" \
		'hmac_secret = "net-hmac"' "$@"
}
# The first alert (shop is down) hangs at the receiver.
echo "hang" >"$dir/control"
write_agent_config "${everything[@]}"
start_daemon "$dir/daemon.log" -f -c "$dir/agent.toml"

check "heartbeat pings arrive" wait_for 15 requests_at_least "$dir" 2 \
	'r["kind"] == "ping"'
check "remote write batches arrive, with their bearer token" \
	wait_for 15 requests_at_least "$dir" 1 \
	'r["kind"] == "remote_write" and r["length"] > 0 and r["authorization"] == "Bearer rw-secret"'
check "the http check asks the receiver for /health" \
	wait_for 15 requests_at_least "$dir" 2 'r["kind"] == "get" and r["path"] == "/health"'
check "shop's alert is being sent (the receiver hangs)" \
	wait_for 20 requests_at_least "$dir" 1 'r["kind"] == "webhook"'
check "the daemon runs its delivery launcher" launcher_of "$DAEMON_PID"
check "and a delivery process" delivery_process
echo "# delivery process $DELIVERY: $(grep -E '^(CapEff|CapAmb|NoNewPrivs|Seccomp):' "/proc/$DELIVERY/status" | tr -s '\t\n' '  ')"
check "delivery process: CapEff 0" test "$(status_field "$DELIVERY" CapEff)" = 0000000000000000
check "delivery process: NoNewPrivs 1" test "$(status_field "$DELIVERY" NoNewPrivs)" = 1
check "delivery process: Seccomp 2 (its filter)" test "$(status_field "$DELIVERY" Seccomp)" = 2
check "delivery process: the INET socket of the hanging send" \
	test "$(inet_sockets "$DELIVERY")" -ge 1
check "main process: sealed (Seccomp 2)" test "$(status_field "$DAEMON_PID" Seccomp)" = 2
check "main process: no INET/INET6 socket" test "$(inet_sockets "$DAEMON_PID")" = 0
check "the log does not say the network stays" \
	eval '! grep -q "keeps its network" "$dir/daemon.log"'

# kill -9 in the middle of the send: the alert is sent again by a new
# delivery process, once; the checks lose one run at most, no verdict.
killed=$DELIVERY
kill -KILL "$killed"
check "the daemon noticed the delivery process died" \
	wait_for 10 file_contains "$dir/daemon.log" "delivery process $killed ended"
echo "ok" >"$dir/control"
check "shop's alert arrives through a new delivery process" \
	wait_for 30 webhook_alerts_at_least "$dir" 1 \
	'a["rule"] == "check_failed" and a["labels"].get("check") == "shop" and "refused" in a["summary"]'
health='r["kind"] == "get" and r["path"] == "/health"'
gets=$(requests_count "$dir" "$health")
check "the checks go on after the kill" \
	wait_for 10 requests_at_least "$dir" $((gets + 2)) "$health"
check "nothing lost, nothing repeated, no false alarm" python3 - "$dir/requests.jsonl" <<'PY'
import json, sys, collections
rs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in rs if r.get("kind") == "webhook" and r.get("mode") == "ok"
      and r.get("valid")]
alerts = collections.Counter((a["rule"], a["labels"].get("check", ""), a["state"])
                             for r in ok for a in r["body"]["alerts"])
print("# alerts delivered: %s" % dict(alerts))
want = {("check_failed", "shop", "firing"): 1}
sys.exit(0 if dict(alerts) == want else 1)
PY
check "main process: still no INET/INET6 socket" test "$(inet_sockets "$DAEMON_PID")" = 0

# The operator turns pings, export and checks off: nothing is left to send.
write_agent_config
kill -HUP "$DAEMON_PID"
check "reloaded" wait_for 10 file_contains "$dir/daemon.log" "configuration reloaded"
check "after delivery_idle_secs (3) the delivery process is gone" \
	wait_for 20 no_delivery_process
check "the launcher stays for the next alert" process_alive "$LAUNCHER"
stop_pid "$DAEMON_PID"
check "no secret in the log" eval '! grep -q "rw-secret" "$dir/daemon.log"'
stop_pid "$RECEIVER_PID"
echo "1..$TEST_NUMBER"
