#!/usr/bin/env bash
# checks_local.sh - process, command and tcp checks, with the daemon as the
# unit runs it (an unprivileged user holding CAP_DAC_READ_SEARCH and
# CAP_SYSLOG as ambient capabilities, a bounding set of those two,
# no_new_privs; see sandbox.sh): a process that is killed alerts within two
# intervals and resolves when it is back; a command exiting 2 alerts with
# its output, masked; the command's CapEff is 0 while the daemon keeps its
# own; a closed port alerts, and resolves once something listens on it.
. tests/integration/lib.sh

skip() { TEST_NUMBER=$((TEST_NUMBER + 1)); echo "ok $TEST_NUMBER - # SKIP $*"; }
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
	skip "running the daemon as the service user needs root and setpriv"
	exit 0
fi
dir=$TEST_TMP
chmod o+x "$dir"
home=$dir/service
mkdir "$home"
chown nobody "$home"
start_receiver "$dir" "checks-hmac" || { not_ok "receiver started"; exit 1; }

# A process of a name no other on this host has.
name=chk-sl-$RANDOM
cp "$(command -v sleep)" "$dir/$name"
start_sleeper() {
	"$dir/$name" 600 &
	SLEEPER_PID=$!
	TEST_PIDS+=("$SLEEPER_PID")
}
start_sleeper
cat >"$dir/report.sh" <<'EOF'
#!/bin/sh
# What a careless health script prints: a credential and a configured secret.
echo "db down: password=hunter2-secret token checks-hmac"
grep '^Cap' /proc/self/status
exit 2
EOF
chmod 0755 "$dir/report.sh"
port=$(free_port)

write_checks_config "$home/config.toml" "$home/state" \
	'[listeners]' 'enabled = false' \
	'[[checks]]' 'name = "sleeper"' 'type = "process"' \
	"process = \"$name\"" 'interval_secs = 2' 'labels = { team = "ops" }' \
	'[[checks]]' 'name = "report"' 'type = "command"' \
	"command = [\"$dir/report.sh\", \"--verbose\"]" 'interval_secs = 2' \
	'[[checks]]' 'name = "closed-port"' 'type = "tcp"' \
	"target = \"127.0.0.1:$port\""
chmod 0644 "$home/config.toml"
as_service=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups
	--inh-caps=-all,+dac_read_search,+syslog
	--ambient-caps=-all,+dac_read_search,+syslog
	--bounding-set=-all,+dac_read_search,+syslog --no-new-privs)
"${as_service[@]}" "$AGENT" -f -c "$home/config.toml" >"$dir/daemon.log" 2>&1 &
DAEMON_PID=$!
TEST_PIDS+=("$DAEMON_PID")
check "the daemon runs as the service user" \
	wait_for 10 file_contains "$dir/daemon.log" "first collection done; ready"

firing() { webhook_alerts_at_least "$dir" 1 "a['state'] == 'firing' and $1"; }
resolved() { webhook_alerts_at_least "$dir" 1 "a['state'] == 'resolved' and $1"; }
sleeper="a['rule'] == 'check_failed' and a['labels'].get('check') == 'sleeper'"
report="a['rule'] == 'check_failed' and a['labels'].get('check') == 'report'"
port_alert="a['rule'] == 'check_failed' and a['labels'].get('check') == 'closed-port'"

check "a command exiting 2 fires, saying so and what it printed" \
	wait_for 20 firing "$report and 'report.sh exited with status 2: db down:' in a['summary']"
detail=$(python3 - "$dir/requests.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    for a in r["body"].get("alerts", []) if r.get("kind") == "webhook" else []:
        if a["labels"].get("check") == "report" and a["state"] == "firing":
            print(a["detail"])
            sys.exit(0)
PY
)
echo "$detail" | sed 's/^/# detail: /'
check "its output is masked: a credential and a configured secret" \
	eval 'echo "$detail" | grep -q "password=\*\*\* token \*\*\*" &&
		! grep -rq -e hunter2-secret -e "token checks-hmac" "$dir/requests.jsonl" \
			"$dir/daemon.log" "$home/state"'
check "the command ran with no capability: CapEff, CapPrm, CapInh, CapAmb all 0" \
	eval 'for set in CapEff CapPrm CapInh CapAmb; do
		echo "$detail" | grep -q "^$set:[[:space:]]*0000000000000000$" || exit 1; done'
check "while the daemon keeps its own two (CAP_DAC_READ_SEARCH, CAP_SYSLOG)" \
	grep -q "^CapEff:[[:space:]]*0000000400000004$" "/proc/$DAEMON_PID/status"
check "and the command's bounding set holds nothing more than the daemon's" \
	eval 'echo "$detail" | grep -Eq "^CapBnd:[[:space:]]*(0000000400000004|0000000000000000)$"'

check "a tcp check against a closed port fires: connection refused" \
	wait_for 20 firing "$port_alert and 'connection refused (127.0.0.1:$port)' in a['summary']"
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
time.sleep(600)' "$port" &
listener=$!
TEST_PIDS+=("$listener")
check "something listens on it: resolved" \
	wait_for 20 resolved "$port_alert and 'accepted a connection' in a['summary']"

check "the running process raised nothing" \
	test "$(webhook_alert_count "$dir" "$sleeper")" -eq 0
killed_at=$(date +%s.%N)
kill -KILL "$SLEEPER_PID"
wait "$SLEEPER_PID" 2>/dev/null
check "the killed process fires, naming it" \
	wait_for 20 firing "$sleeper and '$name is not running' in a['summary'] and a['labels'].get('team') == 'ops'"
check "within two intervals (2 s each) of the kill" python3 - "$dir/requests.jsonl" "$killed_at" <<'PY'
import datetime, json, sys
killed = float(sys.argv[2])
for line in open(sys.argv[1]):
    r = json.loads(line)
    for a in r["body"].get("alerts", []) if r.get("kind") == "webhook" else []:
        if a["labels"].get("check") == "sleeper" and a["state"] == "firing":
            started = datetime.datetime.fromisoformat(
                a["starts_at"].replace("Z", "+00:00")).timestamp()
            print("# fired %.2f s after the kill" % (started - killed))
            sys.exit(0 if started - killed <= 4.0 else 1)
sys.exit(1)
PY
start_sleeper
check "back: resolved" wait_for 20 resolved "$sleeper and '1 process match $name' in a['summary']"

kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "the daemon stops cleanly" test $? -eq 0
check "no error was logged" eval '! grep -h "^<[0-3]>" "$dir/daemon.log" | grep -qv SYSOPS_RULE='
stop_pid "$listener"
stop_pid "$SLEEPER_PID"
check "no command is left running" eval '! pgrep -f "$dir/report.sh" >/dev/null'
