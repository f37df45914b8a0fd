#!/usr/bin/env bash
# alert_alertmanager_all.sh - 40 alerts in one burst reach the real
# Alertmanager (Debian's prometheus-alertmanager on loopback) all of them,
# beyond one message's 32; every one of them is re-posted each period, so
# none expires while it fires; and all 40 resolve when they clear.
. tests/integration/lib.sh

dir=$TEST_TMP
start_alertmanager "$dir" || { not_ok "alertmanager is up"; exit 1; }

REPOST=10
write_alert_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$dir/state\"" 'hostname = "web-01"' \
	'[alerting]' 'group_wait_secs = 2' \
	'[alerting.console]' 'enabled = false' \
	'[alerting.alertmanager]' "url = \"$AM_URL\"" \
	"repost_interval_secs = $REPOST"
# am_alerts PYTHON-CONDITION: true when the condition holds on `a`, the
# agent's unit_down alerts in GET /api/v2/alerts as {unit: (state, endsAt
# in seconds)}, and `first`, the same as first seen (alerts-first.json).
am_alerts() {
	curl -fsS "$AM_URL/api/v2/alerts?filter=alertname%3D%22unit_down%22" \
		>"$dir/alerts.json" 2>/dev/null &&
		python3 - "$dir" "$1" <<'PY'
import calendar, json, os, re, sys, time
def seconds(text):
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?", text)
    return calendar.timegm(time.strptime(m[1], "%Y-%m-%dT%H:%M:%S")) + \
        float(m[2] or 0)
def alerts(name):
    path = os.path.join(sys.argv[1], name)
    if not os.path.exists(path):
        return {}
    return {x["labels"]["unit"]: (x["status"]["state"], seconds(x["endsAt"]))
            for x in json.load(open(path))
            if x["labels"].get("instance") == "web-01"}
a, first = alerts("alerts.json"), alerts("alerts-first.json")
sys.exit(0 if eval(sys.argv[2]) else 1)
PY
}

start_feed "$dir/daemon.log" "$dir/agent.toml"
lines=()
for i in $(seq 1 40); do
	lines+=("fire unit_down warning unit=app$i.service Unit app$i.service failed")
done
feed "${lines[@]}"
fed_at=$(date +%s)
check "all 40 are active in GET /api/v2/alerts" wait_for 20 am_alerts \
	'len(a) == 40 and all(s == "active" for s, _ in a.values())'
cp "$dir/alerts.json" "$dir/alerts-first.json"
check "each with endsAt 4 periods ahead" am_alerts \
	"all(e - time.time() > 3 * $REPOST for _, e in a.values())"
# Without re-posts every alert would expire at its first endsAt; wait until
# that is past (4 periods), then all 40 must still be active.
check "the first endsAt is past (3 re-post periods and more)" \
	wait_for $((4 * REPOST + 10)) am_alerts \
	'time.time() > max(e for _, e in first.values()) + 1'
check "all 40 still active, every one re-posted (endsAt moved on)" am_alerts \
	"len(a) == 40 and all(s == 'active' and e >= first[u][1] + 2 * $REPOST for u, (s, e) in a.items())"
messages=$(stat_of "$dir/state" sent)
check "the burst went out in one group: 2 messages (32 + 8)" test "$messages" -eq 2
# (alerter-stats.json is rewritten at least every 10 s)
check "re-posts go out in batches that cover all 40 (2 each period)" \
	wait_for 15 stat_at_least "$dir/state" reposts 6
echo "# alertmanager: 40 alerts in $messages message(s), $(stat_of "$dir/state" reposts) re-post batches in $(( $(date +%s) - fed_at ))s"

lines=()
for i in $(seq 1 40); do
	lines+=("clear unit_down warning unit=app$i.service Unit app$i.service is running again")
done
feed "${lines[@]}"
check "all 40 resolved: none active any more" wait_for 20 am_alerts \
	'not any(s == "active" for s, _ in a.values())'
check "spool drained" wait_for 10 stat_is "$dir/state" spool_pending 0
stop_pid "$DAEMON_PID"
