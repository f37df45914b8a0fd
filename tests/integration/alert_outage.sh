#!/usr/bin/env bash
# alert_outage.sh - 400 distinct alerts while the webhook is down; the
# daemon is killed with SIGKILL during the outage, restarted, and killed
# again right after the webhook's first answer once it is back. After the
# last restart every alert has been delivered, and each kill repeated at
# most one message. Three runs with group_wait_secs 30, three with 1.
. tests/integration/lib.sh

ALERTS=400

# outcome DIR: "messages lost most_repeats_per_kill repeats repeated_alerts
# resent refused" over the webhook's 200 answers in DIR, where a repeat is a
# message carrying an alert (key and state) an earlier message delivered,
# counted against the last kill before it (DIR/kills: their times), and
# resent counts the repeats that are an earlier message sent again whole
# (from the spool; the others were composed anew).
outcome() {
	python3 - "$1" "$ALERTS" <<'PY'
import bisect, collections, json, os, sys
kills = []
if os.path.exists(sys.argv[1] + "/kills"):
    kills = [float(t) for t in open(sys.argv[1] + "/kills")]
per_kill = collections.Counter()
seen, bodies, messages, repeats, repeated, resent, failed = set(), set(), 0, 0, 0, 0, 0
for line in open(sys.argv[1] + "/requests.jsonl"):
    if not line.endswith("\n"):
        continue # still being written
    r = json.loads(line)
    if r["mode"] != "ok":
        failed += 1
        continue
    messages += 1
    entries = {(a["key"], a["state"]) for a in r["body"]["alerts"]}
    body = (r["body"]["message_id"], frozenset(entries))
    if entries & seen:
        per_kill[bisect.bisect(kills, r["time"])] += 1
        repeats += 1
        repeated += len(entries & seen)
        resent += body in bodies
    seen |= entries
    bodies.add(body)
keys = {k for k, state in seen if state == "firing" and k.startswith("svc_down|")}
print(messages, int(sys.argv[2]) - len(keys), max(per_kill.values(), default=0),
      repeats, repeated, resent, failed)
PY
}
all_delivered() { [ "$(outcome "$1" | cut -d' ' -f2)" -eq 0 ]; }
# kill_at DIR: kill_daemon, its time noted in DIR/kills.
kill_at() {
	kill_daemon
	date +%s.%N >>"$1/kills"
}
failures_more_than() {
	[ "$(requests_count "$1" 'r["mode"] != "ok"')" -gt "$2" ]
}
settled() {
	stat_is "$1" spool_pending 0 && [ "$(owed_of "$1")" = 0 ]
}

# run GROUP_WAIT N: one operator session, in its own directory.
run() {
	local wait=$1 n=$2 d=$TEST_TMP/gw$1-run$2 i lines=() before
	local name="group_wait_secs $wait, run $n"
	mkdir -p "$d"
	echo "500" >"$d/control" # the webhook is down from the start
	start_receiver "$d" "outage-secret" || { not_ok "$name: receiver"; return; }
	write_alert_config "$d/agent.toml" \
		'[agent]' "state_dir = \"$d/state\"" \
		'[alerting]' "group_wait_secs = $wait" 'retry_initial_secs = 1' \
		'retry_max_secs = 2' 'connect_timeout_secs = 2' 'timeout_secs = 5' \
		'[alerting.rate_limit]' 'min_interval_secs = 0' \
		'max_alerts_per_hour = 100000' \
		'[alerting.console]' 'enabled = false' \
		'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/outage\"" \
		'hmac_secret = "outage-secret"'
	start_feed "$d/daemon1.log" "$d/agent.toml"
	for i in $(seq 1 $ALERTS); do
		lines+=("fire svc_down warning unit=svc$i.service Unit svc$i.service failed")
	done
	feed "${lines[@]}"
	check "$name: $ALERTS events accepted" \
		wait_for 20 stat_is "$d/state" events $ALERTS
	check "$name: the webhook refuses the first message" \
		wait_for $((wait + 20)) failures_more_than "$d" 0
	# Some messages wait in the spool, the rest are still owed.
	check "$name: 4 messages wait in the spool" \
		wait_for 20 stat_at_least "$d/state" spool_pending 4
	kill_at "$d" # during the outage

	before=$(requests_count "$d")
	start_feed "$d/daemon2.log" "$d/agent.toml"
	check "$name: restarted, still retrying" \
		wait_for 20 failures_more_than "$d" "$before"
	echo "ok" >"$d/control" # the webhook is back
	# grep, not python: the kill must follow the answer closely.
	check "$name: the webhook answers again" \
		wait_for 20 file_contains "$d/requests.jsonl" '"mode": "ok"'
	kill_at "$d" # right after its first answer

	start_feed "$d/daemon3.log" "$d/agent.toml"
	check "$name: after the last restart all $ALERTS are delivered" \
		wait_for 60 all_delivered "$d"
	check "$name: nothing left in the spool or owed" \
		wait_for 20 settled "$d/state"
	stop_pid "$DAEMON_PID"
	exec 3>&-
	stop_pid "$RECEIVER_PID"
	read -r messages lost most repeats repeated resent failed < <(outcome "$d")
	echo "# group_wait_secs $wait run $n: $((ALERTS - lost)) of $ALERTS delivered in $messages messages ($failed refused during the outage); 2 kills, $repeats repeated message(s) ($resent sent again whole) carrying $repeated alert(s) again, at most $most per kill"
	check "$name: 0 lost" test "$lost" -eq 0
	check "$name: at most one repeated message per kill" test "$most" -le 1
	check "$name: every body valid and signed" \
		test "$(requests_count "$d" 'not r["valid"]')" -eq 0
}

# side_by_side WAIT: the three runs of one setting at once, as three hosts
# would go through it (one after the other would take minutes): each in a
# subshell that stops its own processes; their TAP lines are relayed in order.
side_by_side() {
	local wait=$1 n line pids=()
	for n in 1 2 3; do
		(
			TEST_PIDS=()
			trap stop_leftovers EXIT
			ok() { echo "ok - $*"; }
			not_ok() { echo "not ok - $*"; }
			run "$wait" "$n"
		) >"$TEST_TMP/gw$wait-run$n.tap" 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}"
	for n in 1 2 3; do
		while IFS= read -r line; do
			case $line in
			"ok - "*) ok "${line#ok - }" ;;
			"not ok - "*) not_ok "${line#not ok - }" ;;
			"#"*) echo "$line" ;;
			*) echo "# $line" ;;
			esac
		done <"$TEST_TMP/gw$wait-run$n.tap"
	done
}

side_by_side 30
side_by_side 1
