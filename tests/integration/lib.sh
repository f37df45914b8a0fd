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
	rm -rf "$TEST_TMP"
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
