#!/usr/bin/env bash
# alert_identity.sh - who sent an alert, checked on the real daemon: the
# agent id made once in the state dir (stable across a restart) and the
# [agent] labels reach a loopback webhook (agent_id, labels) and a real
# Alertmanager (labels); a reload changes the labels, never the id; bad
# labels are refused at their file:line.
. "$(dirname "$0")/lib.sh"

dir=$TEST_TMP
start_receiver "$dir" "id-hmac" || { not_ok "receiver started"; exit 1; }
am=yes
start_alertmanager "$dir" || am=

# agent_config TEAM: memory.used_percent >= 0.5 % fires at once.
agent_config() {
	write_config "$dir/agent.toml" \
		'[agent]' "state_dir = \"$dir/state\"" 'hostname = "web-01"' \
		'collect_interval_secs = 1' \
		'[agent.labels]' 'env = "prod"' "team = \"$1\"" \
		'[logscan]' 'enabled = false' \
		'[thresholds]' 'for_secs = 0' \
		'[[thresholds.override]]' 'metric = "memory.used_percent"' \
		'warning = 0.5' \
		'[alerting]' 'group_wait_secs = 0' \
		'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/identity\"" \
		'hmac_secret = "id-hmac"' \
		'[alerting.alertmanager]' "enabled = $([ -n "$am" ] && echo true || echo false)" \
		"url = \"${AM_URL:-http://127.0.0.1:9}\"" \
		'repost_interval_secs = 10'
}
agent_config web
start_daemon "$dir/daemon.log" -f -c "$dir/agent.toml"
check "the agent id is made once in the state dir" \
	wait_for 10 test -s "$dir/state/agent-id"
id=$(cat "$dir/state/agent-id")
check "it is a random UUID ($id)" \
	grep -Eqx '[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}' \
	"$dir/state/agent-id"
check "the start is logged with it" \
	wait_for 5 file_contains "$dir/daemon.log" "agent id $id"
body_has() { # body_has PYTHON-CONDITION on the webhook body `r["body"]`
	[ "$(requests_count "$dir" "r['valid'] and ($1)")" -ge 1 ]
}
check "the memory alert reaches the webhook" wait_for 30 body_has \
	"any(a['rule'] == 'memory_high' or a['series'] == 'memory.used_percent' for a in r['body']['alerts'])"
check "webhook JSON: agent_id is the state dir's id" body_has \
	"r['body'].get('agent_id') == '$id'"
check "webhook JSON: labels are the [agent] labels" body_has \
	"r['body'].get('labels') == {'env': 'prod', 'team': 'web'}"

am_has() { # am_has PYTHON-CONDITION on the labels `l` of any alert
	curl -fsS "$AM_URL/api/v2/alerts" >"$dir/am.json" 2>/dev/null &&
		python3 -c "import json,sys; a=json.load(open(sys.argv[1])); sys.exit(0 if any(($1) for l in [x['labels'] for x in a]) else 1)" "$dir/am.json"
}
if [ -n "$am" ]; then
	check "Alertmanager labels: agent_id, env, team beside instance and job" \
		wait_for 30 am_has \
		"l.get('agent_id') == '$id' and l.get('env') == 'prod' and l.get('team') == 'web' and l.get('instance') == 'web-01' and l.get('job') == 'sysops-agent'"
else
	skip "Alertmanager labels (prometheus-alertmanager not installed)"
fi

# A reload takes new labels; the id stays.
agent_config db
kill -HUP "$DAEMON_PID"
check "reloaded" wait_for 10 file_contains "$dir/daemon.log" \
	"configuration reloaded"
if [ -n "$am" ]; then
	check "after the reload Alertmanager gets team=db, the same agent_id" \
		wait_for 30 am_has \
		"l.get('team') == 'db' and l.get('agent_id') == '$id'"
else
	skip "labels after a reload in Alertmanager (not installed)"
fi
stop_pid "$DAEMON_PID"

start_daemon "$dir/daemon2.log" -f -c "$dir/agent.toml"
check "a restart keeps the id" \
	wait_for 10 file_contains "$dir/daemon2.log" "agent id $id"
check "and the file" test -n "$id" -a "$(cat "$dir/state/agent-id")" = "$id"
stop_pid "$DAEMON_PID"

# Bad labels: every one refused at its own line.
write_config "$dir/bad.toml" '[agent]' "state_dir = \"$dir/state\"" \
	'[agent.labels]' 'env = "prod"' '"team-x" = "web"' '__x = "y"' \
	'instance = "z"' 'ok = "a,b"'
"$AGENT" check-config -c "$dir/bad.toml" >"$dir/bad.out" 2>&1
check "check-config refuses bad labels" test $? -ne 0
check "a name that is not a Prometheus name, at its line" \
	grep -q "bad.toml:5: \[agent\] labels: label name 'team-x'" "$dir/bad.out"
check "a reserved __ name, at its line" \
	grep -q "bad.toml:6: .*'__x'.*reserved" "$dir/bad.out"
check "a name every alert sets already, at its line" \
	grep -q "bad.toml:7: .*'instance'" "$dir/bad.out"
check "a value with ',', at its line" \
	grep -q "bad.toml:8: .*label 'ok': value" "$dir/bad.out"
echo "# agent id $id; $(requests_count "$dir") webhook requests"
