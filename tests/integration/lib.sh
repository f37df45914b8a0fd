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
# They feed their own events: the host's kernel log and journal (a crash
# another program left in the ring, say) must not add alerts of their own.
# With a fresh state dir the kmsg source reads the whole ring.
NO_HOST_LOGS=('[logscan]' 'enabled = false')
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
