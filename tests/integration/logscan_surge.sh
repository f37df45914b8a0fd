#!/usr/bin/env bash
# logscan_surge.sh - error-rate surges in watched files, no rule written,
# shipped surge settings, the real daemon and a webhook receiver. Three
# files are followed at once for 60 s: one gets 500 "ERROR: payment failed
# for order N" lines (exactly one alert, with the count and masked sample
# lines, resolved once the burst is over), one a steady error a second and
# one only 3 errors (no alert for either). The baselines are saved while
# the daemon runs and at stop.
. "$(dirname "$0")/lib.sh"

DIR=$TEST_TMP/log
mkdir -p "$DIR" "$TEST_TMP/state"
SURGE=$DIR/payments.log
STEADY=$DIR/steady.log
QUIET=$DIR/quiet.log
: >"$SURGE"
: >"$STEADY"
: >"$QUIET"
start_receiver "$TEST_TMP" "surge-hmac" || { not_ok "receiver started"; exit 1; }
write_config "$TEST_TMP/c.toml" \
	'[agent]' "state_dir = \"$TEST_TMP/state\"" 'collect_interval_secs = 1' \
	'[analyzer]' 'enabled = false' \
	'[storage.history]' 'snapshot_interval_secs = 60' \
	'[alerting]' 'group_wait_secs = 0' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/surge\"" \
	'hmac_secret = "surge-hmac"' \
	'[logscan]' 'kmsg = false' 'journal = false' \
	"files = [\"$SURGE\", \"$STEADY\", \"$QUIET\"]"

# surge_alerts FILE [STATE]: alert entries of log_surge for FILE's source.
surge_alerts() {
	webhook_alert_count "$TEST_TMP" \
		"a['rule'] == 'log_surge' and a['labels'].get('source') == '$1' and '${2:-}' in ('', a['state'])"
}
surge_alerts_at_least() { [ "$(surge_alerts "$1" "$2")" -ge "$3" ]; }

start_daemon "$TEST_TMP/daemon.log" -f -c "$TEST_TMP/c.toml"
check "daemon is running" \
	wait_for 10 file_contains "$TEST_TMP/daemon.log" "first collection done"

# 60 seconds: 500 errors in one file (9 a second for the first 20 s, then
# 8), one a second in the next, 3 in all in the last. The pace is the
# writer's: each second's lines go out at the start of that second.
started=$(date +%s%N)
order=0
for ((s = 0; s < 60; s++)); do
	per=$((s < 20 ? 9 : 8))
	for ((k = 0; k < per; k++)); do
		order=$((order + 1))
		printf 'ERROR: payment failed for order %d (password=hunter2)\n' \
			"$order" >>"$SURGE"
	done
	printf 'app[7]: ERROR: cache refresh failed, retrying (%d)\n' "$s" >>"$STEADY"
	((s % 20 == 0)) && printf 'ERROR: one-off failure %d\n' "$s" >>"$QUIET"
	printf 'INFO: request %d served\n' "$s" >>"$QUIET"
	next=$((started + (s + 1) * 1000000000))
	now=$(date +%s%N)
	[ "$now" -lt "$next" ] && sleep "$(printf '0.%09d' $((next - now)))"
done
written=$(( ($(date +%s%N) - started) / 1000000 ))
# Under load the writer may run late: 500 lines in up to 90 s is still
# more than 300 in any 60 s of it.
check "500 error lines were written in about 60 s (${written} ms)" \
	[ "$order" -eq 500 ] && [ "$written" -lt 90000 ]

check "the surge raises an alert" \
	wait_for 30 surge_alerts_at_least "$SURGE" firing 1
check "the alert resolves once the surge is over" \
	wait_for 90 surge_alerts_at_least "$SURGE" resolved 1
# Saved while running (every snapshot_interval_secs), not only at stop: a
# kill -9 now would keep what was learnt.
check "the baselines were saved while it ran" \
	wait_for 30 grep -q " $STEADY\$" "$TEST_TMP/state/logscan-surge.state"
# The receiver has everything the daemon sent by now: stop it cleanly.
kill -TERM "$DAEMON_PID"
check "the daemon stops cleanly" wait_for 10 file_contains "$TEST_TMP/daemon.log" "stopped after"
wait "$DAEMON_PID"
stop_pid "$RECEIVER_PID"

check "the baselines are kept for the next start" \
	grep -q " $STEADY\$" "$TEST_TMP/state/logscan-surge.state"

firing=$(surge_alerts "$SURGE" firing)
check "exactly one alert for the surge (got $firing)" [ "$firing" -eq 1 ]
alert() { # alert EXPR: EXPR over the surge's firing alert entry
	webhook_alerts "$TEST_TMP" "$1" \
		"a['rule'] == 'log_surge' and a['labels'].get('source') == '$SURGE' and a['state'] == 'firing'" | head -n1
}
count=$(alert "a['count']")
check "it states the count ($count lines in its window)" \
	[ "${count:-0}" -ge 300 ] && [ "${count:-0}" -le 500 ]
check "its summary names the file and the count" \
	bash -c "[[ \"\$1\" == *'error lines in $SURGE: $count in the last 1m'* ]]" _ "$(alert "a['summary']")"
check "it is a warning on log.lines_per_sec{severity=error}" \
	[ "$(alert "a['severity'] + ' ' + a['series'] + ' ' + a['labels']['severity']")" = "warning log.lines_per_sec error" ]
detail=$(alert "repr(a['detail'])")
check "it carries sample lines" \
	bash -c "[ \"\$(grep -o 'ERROR: payment failed for order' <<<\"\$1\" | wc -l)\" -eq 3 ]" _ "$detail"
check "the samples are masked" \
	bash -c "[[ \"\$1\" != *hunter2* && \"\$1\" == *'password=***'* ]]" _ "$detail"
check "a steady error a second raises nothing" [ "$(surge_alerts "$STEADY")" -eq 0 ]
check "a quiet log with 3 errors raises nothing" [ "$(surge_alerts "$QUIET")" -eq 0 ]
check "no other surge alert was sent" \
	[ "$(webhook_alert_count "$TEST_TMP" "a['rule'] == 'log_surge'")" -eq 2 ]
total=$(webhook_alerts "$TEST_TMP" "a['count']" \
	"a['rule'] == 'log_surge' and a['labels'].get('source') == '$SURGE' and a['state'] == 'resolved'" | head -n1)
check "the resolved alert counts the whole surge ($total lines)" \
	[ "${total:-0}" -eq 500 ]
check "the daemon logged the surge and its end" \
	bash -c "grep -q 'logscan: Surge of error lines in $SURGE' '$TEST_TMP/daemon.log' && grep -q 'logscan: Error lines in $SURGE back to normal' '$TEST_TMP/daemon.log'"
