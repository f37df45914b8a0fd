#!/usr/bin/env bash
# alert_alertmanager.sh - a fleet routes through Prometheus Alertmanager:
# the real one from Debian's prometheus-alertmanager runs on loopback; an
# alert fired here shows up in GET /api/v2/alerts with its labels, is
# re-posted while firing, and is resolved when it clears.
. tests/integration/lib.sh

AM=$(command -v prometheus-alertmanager || echo /usr/bin/prometheus-alertmanager)
if [ ! -x "$AM" ]; then
	echo "# prometheus-alertmanager not installed (scripts/install-deps)"
	not_ok "prometheus-alertmanager available"
	exit 1
fi
dir=$TEST_TMP
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$dir/am.yml" <<YML
route:
  receiver: "null"
  group_wait: 1s
receivers:
  - name: "null"
YML
"$AM" --config.file="$dir/am.yml" --storage.path="$dir/am-data" \
	--web.listen-address="127.0.0.1:$port" --cluster.listen-address= \
	>"$dir/am.log" 2>&1 &
TEST_PIDS+=($!)
AM_URL=http://127.0.0.1:$port
am_ready() { curl -fsS "$AM_URL/-/ready" >/dev/null 2>&1; }
check "alertmanager is up" wait_for 30 am_ready

write_config "$dir/agent.toml" "${NO_HOST_LOGS[@]}" \
	'[agent]' "state_dir = \"$dir/state\"" 'hostname = "web-01"' \
	'[alerting]' 'group_wait_secs = 0' \
	'[alerting.alertmanager]' "url = \"$AM_URL\"" 'repost_interval_secs = 10'
"$AGENT" test-alert -c "$dir/agent.toml" --channel alertmanager \
	>"$dir/test-alert.out" 2>&1
check "test-alert reaches alertmanager" grep -q "^alertmanager: ok (200)" \
	"$dir/test-alert.out"
test_alert_is() { # test_alert_is PYTHON-CONDITION on the labels `l` of one
	curl -fsS "$AM_URL/api/v2/alerts?filter=alertname%3D%22test_alert%22" \
		>"$dir/test-alerts.json" 2>/dev/null &&
		python3 -c "import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if any(($1) for l in [x['labels'] for x in a]) else 1)" "$dir/test-alerts.json"
}
check "the test alert is labelled test=\"true\", severity info (pages nobody)" \
	wait_for 20 test_alert_is 'l.get("test") == "true" and l.get("severity") == "info"'
"$AGENT" test-alert -c "$dir/agent.toml" --channel alertmanager \
	--severity critical >"$dir/test-alert.out" 2>&1
check "--severity critical makes it critical, still labelled a test" \
	wait_for 20 test_alert_is 'l.get("test") == "true" and l.get("severity") == "critical"'
"$AGENT" test-alert -c "$dir/agent.toml" --severity loud >/dev/null 2>&1
check "an unknown --severity is a usage error" test $? -eq 2

start_feed "$dir/daemon.log" "$dir/agent.toml"
feed "fire disk_full critical mount=/var Disk /var is 97% full"
am_alert() { # am_alert PYTHON-CONDITION on the alert list `a`
	curl -fsS "$AM_URL/api/v2/alerts?filter=alertname%3D%22disk_full%22" \
		>"$dir/alerts.json" 2>/dev/null &&
		python3 -c "import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$dir/alerts.json"
}
check "the alert is in GET /api/v2/alerts" wait_for 20 am_alert 'len(a) == 1'
check "labels: alertname, instance, severity, job, series, mount" am_alert \
	'a[0]["labels"] == {"alertname": "disk_full", "instance": "web-01", "severity": "critical", "job": "sysops-agent", "series": "test.metric", "mount": "/var"}'
check "it is active, with the summary annotation" am_alert \
	'a[0]["status"]["state"] == "active" and a[0]["annotations"]["summary"] == "Disk /var is 97% full"'
ends1=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["endsAt"])' "$dir/alerts.json")
check "re-posted while firing (endsAt moves forward)" wait_for 20 am_alert \
	"a[0]['endsAt'] > '$ends1'"

feed "clear disk_full critical mount=/var Disk /var is fine"
check "resolved: gone from the active alerts" wait_for 20 am_alert 'len(a) == 0'
check "spool drained" wait_for 10 stat_is "$dir/state" spool_pending 0
echo "# alertmanager: $(stat_of "$dir/state" sent) messages, $(stat_of "$dir/state" reposts) re-posts"
stop_pid "$DAEMON_PID"
