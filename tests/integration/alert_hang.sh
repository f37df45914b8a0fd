#!/usr/bin/env bash
# alert_hang.sh - a channel endpoint accepts the connection and never
# answers: deliveries wait in curl's multi handle, the event loop keeps
# running, and the collection ticks keep their 1 s grid (measured).
. tests/integration/lib.sh

dir=$TEST_TMP
start_receiver "$dir" "unused-secret" || { not_ok "receiver started"; exit 1; }
write_config "$dir/agent.toml" "${NO_HOST_LOGS[@]}" \
	'[agent]' "state_dir = \"$dir/state\"" 'collect_interval_secs = 1' \
	'[alerting]' 'group_wait_secs = 0' 'timeout_secs = 600' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/h\"" \
	'hmac_secret = "unused-secret"' \
	'[alerting.discord]' "webhook_url = \"$RECEIVER_URL/discord/d\""

echo "hang" >"$dir/control"
start_feed "$dir/daemon.log" "$dir/agent.toml"
for i in $(seq 1 20); do feed "fire hang_$i warning - Problem $i"; done
check "both channels are stuck on a hanging request" \
	wait_for 10 requests_at_least "$dir" 2
ticks0=$(stat_of "$dir/state" ticks)
check "collections go on: 8 more ticks" \
	wait_for 20 stat_at_least "$dir/state" ticks $((ticks0 + 8))
delay=$(stat_of "$dir/state" tick_delay_max_usec)
loop=$(stat_of "$dir/state" loop_delay_max_usec)
echo "# collect tick delay max ${delay} us, alerter timer delay max ${loop} us"
check "no tick was late by more than 250 ms" test "$delay" -lt 250000
check "the loop never stalled more than 250 ms" test "$loop" -lt 250000
check "nothing was delivered twice or lost: 20 messages per channel queued" \
	stat_at_least "$dir/state" spool_pending 38
stop_pid "$DAEMON_PID"
check "stopped promptly with requests hanging" test $? -eq 0
