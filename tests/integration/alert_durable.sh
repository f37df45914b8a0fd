#!/usr/bin/env bash
# alert_durable.sh - an alert accepted is an alert delivered, whatever
# happens to the daemon. Lines written to a followed log file while the
# daemon is stopped are all delivered after it starts again (and land in the
# history), and alerts waiting in a 30 s group survive a kill -9.
. tests/integration/lib.sh

dir=$TEST_TMP
start_receiver "$dir" "durable-secret" || { not_ok "receiver started"; exit 1; }

# --- the log backlog: the real daemon following a file ---
mkdir -p "$dir/log"
APP=$dir/log/app.log
: >"$APP"
write_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$dir/state\"" 'collect_interval_secs = 1' \
	'[alerting]' 'group_wait_secs = 1' 'retry_initial_secs = 1' \
	'retry_max_secs = 2' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'max_alerts_per_hour = 1000' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/durable\"" \
	'hmac_secret = "durable-secret"' \
	'[logscan]' 'kmsg = false' 'journal = false' "files = [\"$APP\"]" \
	'[[logscan.rules]]' 'name = "job_failed"' \
	'pattern = "job (?<job>\\d+) failed"' 'group_by = "job"' \
	'severity = "warning"' 'message = "job {job} failed"' \
	'[analyzer]' 'enabled = false'
# job_keys: the job of each job_failed alert the webhook got, one a line.
job_keys() {
	webhook_alerts "$dir" 'a["labels"]["job"]' \
		'a["rule"] == "job_failed" and a["state"] == "firing"'
}
jobs_delivered() { [ "$(job_keys | sort -u | wc -l)" -ge "$1" ]; }
start() {
	start_daemon "$dir/daemon$1.log" -f -c "$dir/agent.toml"
	wait_for 20 file_contains "$dir/daemon$1.log" "first collection done"
}

check "the daemon follows the file" start 1
echo "Dec  6 06:00:00 web-01 batch[7]: job 0 failed" >>"$APP"
check "a line written while it runs is delivered" wait_for 20 jobs_delivered 1
stop_pid "$DAEMON_PID"

# 50 failures while the daemon is down (an upgrade, a reboot).
for i in $(seq 1 50); do
	printf 'Dec  6 06:01:%02d web-01 batch[7]: job %d failed\n' "$i" "$i"
done >>"$APP"
check "it starts again" start 2
check "after the restart all 50 are delivered" wait_for 30 jobs_delivered 51
delivered=$(job_keys | sort -u | grep -cxE '[1-9]|[1-4][0-9]|50')
echo "# log backlog: $delivered of 50 delivered, $(requests_count "$dir") webhook messages"
check "each of the 50 exactly" test "$delivered" -eq 50
check "no job delivered twice" test "$(job_keys | sort | uniq -d | wc -l)" -eq 0
stop_pid "$DAEMON_PID"
check "all 50 in alert-history.jsonl" python3 - "$dir/state/alert-history.jsonl" <<'PY'
import json, sys
jobs = set()
for line in open(sys.argv[1]):
    h = json.loads(line)
    if h["rule"] == "job_failed" and h["event"] == "firing":
        jobs.add(h["labels"])
sys.exit(0 if {"job=%d" % i for i in range(1, 51)} <= jobs else 1)
PY
if "$AGENT" --version | grep -q 'sqlite history: no'; then
	ok "# SKIP built without SQLite: no history.db"
else
	check "all 50 in history.db" python3 - "$dir/state/history.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
jobs = {row[0] for row in db.execute(
    "SELECT labels FROM alert WHERE rule = 'job_failed' AND firing = 1")}
sys.exit(0 if {"job=%d" % i for i in range(1, 51)} <= jobs else 1)
PY
fi

# --- kill -9 while 10 alerts wait in a 30 s group ---
# Killed twice: the instant the alerts are accepted (they are in the
# journal), and again once the alerter's state holds them.
: >"$dir/requests.jsonl"
write_alert_config "$dir/feed.toml" \
	'[agent]' "state_dir = \"$dir/feed-state\"" \
	'[alerting]' 'group_wait_secs = 30' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'[alerting.console]' 'enabled = false' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/durable\"" \
	'hmac_secret = "durable-secret"'
journalled() { [ "$(grep -c queue_stuck "$dir/feed-state/alert-journal" 2>/dev/null)" -ge 10 ]; }
accepted() { journalled || stat_is "$dir/feed-state" events 10; }
start_feed "$dir/feed1.log" "$dir/feed.toml"
for i in $(seq 1 10); do
	feed "fire queue_stuck warning queue=q$i Queue q$i is not draining"
done
check "10 alerts accepted" wait_for 10 accepted
kill_daemon
in_journal=$(grep -c queue_stuck "$dir/feed-state/alert-journal")
start_feed "$dir/feed2.log" "$dir/feed.toml"
restarted_at=$(date +%s)
# in_state: the 10 wait in the group in the alerter's saved table.
in_state() {
	python3 - "$dir/feed-state/alert-state.json" <<'PY' 2>/dev/null
import json, sys
alerts = json.load(open(sys.argv[1]))["alerts"]
sys.exit(0 if sum(a["snap"]["rule"] == "queue_stuck" and a.get("pending", False)
                  for a in alerts) == 10 else 1)
PY
}
check "restarted: the 10 wait in the group in the saved state" wait_for 10 in_state
kill_daemon
check "nothing was sent before the kills" test "$(requests_count "$dir")" -eq 0
queues() { webhook_alerts "$dir" 'a["labels"]["queue"]'; }
queues_delivered() { [ "$(queues | sort -u | wc -l)" -ge 10 ]; }
start_feed "$dir/feed3.log" "$dir/feed.toml"
check "after the second restart the 10 are delivered" wait_for 45 queues_delivered
echo "# 30 s group: $(queues | sort -u | wc -l) of 10 delivered (first kill with $in_journal in the journal) $(( $(date +%s) - restarted_at ))s after the first restart, in $(requests_count "$dir") message(s), $(queues | sort | uniq -d | wc -l) repeated"
check "once each" test "$(queues | wc -l)" -eq 10
stop_pid "$DAEMON_PID"
