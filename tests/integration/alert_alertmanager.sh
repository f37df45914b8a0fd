#!/usr/bin/env bash
# alert_alertmanager.sh - a fleet routes through Prometheus Alertmanager:
# the real one from Debian's prometheus-alertmanager runs on loopback; an
# alert fired here shows up in GET /api/v2/alerts with its labels, is
# re-posted while firing, and is resolved when it clears.
. tests/integration/lib.sh

dir=$TEST_TMP
start_alertmanager "$dir" || { not_ok "alertmanager is up"; exit 1; }

write_alert_config "$dir/agent.toml" \
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
check "labels: alertname, instance, severity, job, agent_id, series, mount" am_alert \
	"a[0]['labels'] == {'alertname': 'disk_full', 'instance': 'web-01', 'severity': 'critical', 'job': 'sysops-agent', 'agent_id': '$(cat "$dir/state/agent-id")', 'series': 'test.metric', 'mount': '/var'}"
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
