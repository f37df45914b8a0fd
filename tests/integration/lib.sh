# lib.sh - shared by the integration tests: TAP output, a private temporary
# directory, daemons started in the background and always stopped by PID, and
# waiting on conditions (never on fixed sleeps).
set -u
BUILD=${BUILD:-build}
AGENT=${AGENT:-$PWD/$BUILD/sysops-agent}
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sysops-test.XXXXXX")
TEST_NUMBER=0
TEST_PIDS=()

cleanup() {
	for pid in "${TEST_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TEST_TMP"
}
trap cleanup EXIT

ok() { TEST_NUMBER=$((TEST_NUMBER + 1)); echo "ok $TEST_NUMBER - $*"; }
not_ok() { TEST_NUMBER=$((TEST_NUMBER + 1)); echo "not ok $TEST_NUMBER - $*"; }

# check "description" command...: ok when the command succeeds.
check() {
	local description=$1; shift
	if "$@"; then ok "$description"; else not_ok "$description"; fi
}

# wait_for SECONDS command...: polls every 20 ms until the command succeeds.
wait_for() {
	local deadline=$(( $(date +%s%N) + $1 * 1000000000 )); shift
	until "$@"; do
		[ "$(date +%s%N)" -ge "$deadline" ] && return 1
		sleep 0.02
	done
}

# A config file with the right mode (the agent refuses group/world-writable).
write_config() {
	local path=$1; shift
	printf '%s\n' "$@" >"$path"
	chmod 0640 "$path"
}

# write_alert_config PATH LINES...: a config for the alerter's tests, in
# which the test plays the producers (tests/tools/alert_feed): the daemon's
# own log scanner and analyzer are off, so the host's kernel log and load
# cannot add alerts to what a test counts.
write_alert_config() {
	write_config "$@" '[logscan]' 'enabled = false' '[analyzer]' \
		'enabled = false'
}

# start_daemon LOG args...: starts the agent in the background, sets DAEMON_PID.
start_daemon() {
	local log=$1; shift
	"$AGENT" "$@" >"$log" 2>&1 &
	DAEMON_PID=$!
	TEST_PIDS+=("$DAEMON_PID")
}

process_alive() { kill -0 "$1" 2>/dev/null; }
file_contains() { grep -qF -- "$2" "$1" 2>/dev/null; }

# --- alerter tests (tests/integration/alert_*.sh) ---
ALERT_FEED=${ALERT_FEED:-$PWD/$BUILD/tests/tools/alert_feed}
RECEIVER=$PWD/tests/integration/alert_receiver.py

# start_receiver DIR SECRET [PORT]: the mock Slack/Discord/Telegram/webhook
# server; sets RECEIVER_PID and RECEIVER_URL.
start_receiver() {
	local dir=$1 secret=$2 port=${3:-0}
	rm -f "$dir/port"
	RECEIVER_PORT=$port python3 "$RECEIVER" "$dir/port" "$dir/requests.jsonl" \
		"$dir/control" "$secret" 2>"$dir/receiver.err" &
	RECEIVER_PID=$!
	TEST_PIDS+=("$RECEIVER_PID")
	wait_for 10 test -s "$dir/port" || return 1
	RECEIVER_URL=http://127.0.0.1:$(cat "$dir/port")
}

stop_pid() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# start_feed LOG CONFIG: the daemon fed with events through fd 3 (a FIFO);
# sets DAEMON_PID. `feed LINE...` writes events.
start_feed() {
	local log=$1 config=$2 fifo
	fifo=$TEST_TMP/feed.$RANDOM
	mkfifo "$fifo"
	"$ALERT_FEED" -c "$config" <"$fifo" >"$log" 2>&1 &
	DAEMON_PID=$!
	TEST_PIDS+=("$DAEMON_PID")
	exec 3>"$fifo"
}
feed() { printf '%s\n' "$@" >&3; }

# stat_of STATE_DIR KEY: a number from alerter-stats.json.
stat_of() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/alerter-stats.json")); print(d[sys.argv[2]])' "$1" "$2" 2>/dev/null || echo -1
}
requests_count() { # requests_count DIR [jq-like python filter]
	python3 - "$1/requests.jsonl" "${2:-True}" <<'PY'
import json, sys
n = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if eval(sys.argv[2], {}, {"r": r}):
            n += 1
except FileNotFoundError:
    pass
print(n)
PY
}
# requests_at_least DIR N [FILTER]: for wait_for.
requests_at_least() { [ "$(requests_count "$1" "${3:-True}")" -ge "$2" ]; }
# stat_is DIR KEY VALUE / stat_at_least DIR KEY VALUE: for wait_for.
stat_is() { [ "$(stat_of "$1" "$2")" = "$3" ]; }
stat_at_least() { [ "$(stat_of "$1" "$2")" -ge "$3" ]; }

# --- checks tests (tests/integration/checks_*.sh) ---

# write_checks_config PATH STATE_DIR LINES...: the daemon collecting every
# second with its own log scanner and analyzer off (so only the checks
# raise alerts), alerts going out at once to the receiver's webhook
# (start_receiver first, with the secret "checks-hmac").
write_checks_config() {
	local path=$1 state=$2; shift 2
	write_config "$path" '[agent]' 'collect_interval_secs = 1' \
		"state_dir = \"$state\"" '[logscan]' 'enabled = false' \
		'[analyzer]' 'enabled = false' '[alerting]' 'group_wait_secs = 1' \
		'[alerting.rate_limit]' 'min_interval_secs = 0' \
		'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/checks\"" \
		'hmac_secret = "checks-hmac"' "$@"
}

# webhook_alerts DIR FILTER: alerts in the webhook messages the receiver
# got for which the Python expression FILTER, on one alert `a`, holds.
webhook_alerts() {
	python3 - "$1/requests.jsonl" "$2" <<'PY'
import json, sys
n = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line)
        if r.get("kind") != "webhook" or not isinstance(r.get("body"), dict):
            continue
        for a in r["body"].get("alerts", []):
            if eval(sys.argv[2], {}, {"a": a}):
                n += 1
except FileNotFoundError:
    pass
print(n)
PY
}
# webhook_alerts_at_least DIR N FILTER: for wait_for.
webhook_alerts_at_least() { [ "$(webhook_alerts "$1" "$3")" -ge "$2" ]; }

# free_port [LOW HIGH]: a TCP port nothing listens on at 127.0.0.1 (from
# the kernel's ephemeral range unless a range is given).
free_port() {
	python3 - "${1:-0}" "${2:-0}" <<'PY'
import random, socket, sys
low, high = int(sys.argv[1]), int(sys.argv[2])
for _ in range(200):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randint(low, high) if high else 0))
        print(s.getsockname()[1])
        break
    except OSError:
        pass
    finally:
        s.close()
PY
}

# port_open PORT: something accepts connections on 127.0.0.1:PORT.
port_open() {
	python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" \
		2>/dev/null
}
