# lib.sh - shared by the integration tests: TAP output, a private temporary
# directory, daemons started in the background and always stopped by PID, and
# waiting on conditions (never on fixed sleeps).
set -u
BUILD=${BUILD:-build}
AGENT=${AGENT:-$PWD/$BUILD/sysops-agent}
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sysops-test.XXXXXX")
# Where the service user exists (the package is installed), the daemon drops
# to it: it must still reach the state and log directories made here.
chmod 0755 "$TEST_TMP"
TEST_NUMBER=0
TEST_PIDS=()

# own_child PID: true while PID is a child of this shell. A test's process
# that has ended and been reaped leaves its PID free for any process on the
# machine (PIDs wrap at 32768 on a busy host), so signals go by this check.
own_child() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	set -- ${stat##*) } # after "pid (comm) ": state ppid ...
	[ "$2" = "$BASHPID" ]
}

# stop_leftovers: SIGKILL for what the test started and did not stop.
stop_leftovers() {
	local pid
	for pid in "${TEST_PIDS[@]}"; do
		own_child "$pid" || continue
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	TEST_PIDS=()
}

cleanup() {
	stop_leftovers
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TEST_TMP"
}
trap cleanup EXIT

ok() { TEST_NUMBER=$((TEST_NUMBER + 1)); echo "ok $TEST_NUMBER - $*"; }
not_ok() { TEST_NUMBER=$((TEST_NUMBER + 1)); echo "not ok $TEST_NUMBER - $*"; }
# skip WHY: a check that cannot run here, counted as skipped with its reason.
skip() { TEST_NUMBER=$((TEST_NUMBER + 1)); echo "ok $TEST_NUMBER - # SKIP $*"; }

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

# exec_done PID: the background child PID runs its program, no longer a
# copy of this shell (or has already ended). Until it has exec'd, a signal
# meant for the daemon reaches that copy, which still holds this shell's
# EXIT trap: it would run cleanup and delete TEST_TMP under the test.
exec_done() {
	local exe
	exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 0
	[ "$exe" != "$(readlink "/proc/$$/exe")" ]
}

# start_daemon LOG args...: starts the agent in the background, sets
# DAEMON_PID, and returns once the agent runs (a signal sent next reaches it).
start_daemon() {
	local log=$1; shift
	"$AGENT" "$@" >"$log" 2>&1 &
	DAEMON_PID=$!
	TEST_PIDS+=("$DAEMON_PID")
	wait_for 10 exec_done "$DAEMON_PID"
}

process_alive() { kill -0 "$1" 2>/dev/null; }
# show_tail FILE [LINES]: the file's last lines as TAP comments, for the
# log of a check that failed (the run keeps nothing else of it).
show_tail() {
	echo "# --- last lines of ${1##*/}:"
	tail -n "${2:-20}" "$1" 2>/dev/null | cut -c1-300 | sed 's/^/# /'
}
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

stop_pid() {
	own_child "$1" && kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

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
# kill_daemon: SIGKILL for the fed daemon (a crash, a power cut for the
# process); its feed is closed.
kill_daemon() {
	own_child "$DAEMON_PID" && kill -KILL "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	exec 3>&-
}

# stat_of STATE_DIR KEY: a number from alerter-stats.json.
stat_of() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/alerter-stats.json")); print(d[sys.argv[2]])' "$1" "$2" 2>/dev/null || echo -1
}
# owed_of STATE_DIR [CHANNEL]: alerts the channel (webhook) is still owed.
owed_of() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]+"/alerter-stats.json")); print(d["channels"][sys.argv[2]]["owed"])' "$1" "${2:-webhook}" 2>/dev/null || echo -1
}
requests_count() { # requests_count DIR [jq-like python filter]
	python3 - "$1/requests.jsonl" "${2:-True}" <<'PY'
import json, sys
n = 0
try:
    for line in open(sys.argv[1]):
        if not line.endswith("\n"):
            continue # still being written
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
# webhook_alerts DIR EXPR [CONDITION]: one line per alert entry of the valid
# bodies the receiver in DIR answered with 200: EXPR, in Python over `a`
# (the entry) and `r` (the logged request), for entries where CONDITION holds.
webhook_alerts() {
	python3 - "$1/requests.jsonl" "$2" "${3:-True}" <<'PY'
import json, sys
try:
    lines = open(sys.argv[1]).readlines()
except FileNotFoundError:
    lines = []
for line in lines:
    if not line.endswith("\n"):
        continue # still being written
    r = json.loads(line)
    if not r["valid"] or r["mode"] != "ok":
        continue
    for a in r["body"].get("alerts", []):
        if eval(sys.argv[3], {}, {"a": a, "r": r}):
            print(eval(sys.argv[2], {}, {"a": a, "r": r}))
PY
}

# start_alertmanager DIR: Debian's prometheus-alertmanager on a free loopback
# port with its storage in DIR; sets AM_URL once it is ready, or says why not.
AM=$(command -v prometheus-alertmanager || echo /usr/bin/prometheus-alertmanager)
start_alertmanager() {
	local dir=$1 port
	if [ ! -x "$AM" ]; then
		echo "# prometheus-alertmanager not installed (scripts/install-deps)"
		return 1
	fi
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
	wait_for 30 am_ready
}
am_ready() { curl -fsS "$AM_URL/-/ready" >/dev/null 2>&1; }

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

# webhook_alert_count DIR FILTER: how many alerts in the webhook messages the receiver
# got for which the Python expression FILTER, on one alert `a`, holds.
webhook_alert_count() {
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
webhook_alerts_at_least() { [ "$(webhook_alert_count "$1" "$3")" -ge "$2" ]; }

# free_ports N [LOW HIGH]: N distinct TCP ports nothing listens on at
# 127.0.0.1 (from the kernel's ephemeral range unless a range is given), one
# a line. All N are held bound until the last is found, so two never come out
# the same; a server started on them may still lose one to another suite
# running beside this one, so servers check they really listen.
free_ports() {
	python3 - "$1" "${2:-0}" "${3:-0}" <<'PY'
import random, socket, sys
count, low, high = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
held = []
for _ in range(200 * count):
    if len(held) == count:
        break
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randint(low, high) if high else 0))
        held.append(s)
    except OSError:
        s.close()
for s in held:
    print(s.getsockname()[1])
    s.close()
PY
}
# free_port [LOW HIGH]: one such port.
free_port() { free_ports 1 "$@"; }

# port_open PORT: something accepts connections on 127.0.0.1:PORT.
port_open() {
	python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" \
		2>/dev/null
}

# --- the delivery process (tests/integration/delivery_*.sh) ---

# child_of PID: a child process of PID (pgrep lists, nothing is signalled
# by name).
child_of() { pgrep -P "$1" | head -n 1; }
launcher_of() { LAUNCHER=$(child_of "$1"); [ -n "$LAUNCHER" ]; }
delivery_process() { DELIVERY=$(child_of "$LAUNCHER"); [ -n "$DELIVERY" ]; }
no_delivery_process() { [ -z "$(child_of "$LAUNCHER")" ]; }
status_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# inet_sockets PID: how many of PID's descriptors are TCP or UDP sockets of
# either family (their inodes in the namespace's tables).
inet_sockets() {
	python3 - "$1" <<'PY'
import os, sys
pid = sys.argv[1]
inodes = set()
for table in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6"):
    try:
        for line in open("/proc/%s/net/%s" % (pid, table)).readlines()[1:]:
            inodes.add(line.split()[9])
    except FileNotFoundError:
        pass
n = 0
for fd in os.listdir("/proc/%s/fd" % pid):
    try:
        target = os.readlink("/proc/%s/fd/%s" % (pid, fd))
    except OSError:
        continue
    if target.startswith("socket:[") and target[8:-1] in inodes:
        n += 1
print(n)
PY
}

# --- log file tests (logscan_files.sh, logscan_follow.sh) ---
# Lines carry a sequence number (next: the next one's); the daemons log to
# $TEST_TMP/daemonN.log with -v, and a rule "seen" logs each number.
next=1
# seq_emit FILE COUNT: appends COUNT numbered syslog lines to FILE, one
# write each.
seq_emit() {
	local file=$1 count=$2 i
	for ((i = 0; i < count; i++)); do
		printf 'Nov 22 00:%02d:00 host app[7]: event seq=%d done\n' \
			$((next % 60)) "$next" >>"$file"
		next=$((next + 1))
	done
}
seq_logs() { cat "$TEST_TMP"/daemon*.log 2>/dev/null; }
seq_seen_upto() { [ "$(seq_logs | grep -c 'logscan: event seen from')" -ge "$1" ]; }
# seq_start N: the daemon of $TEST_TMP/c.toml, logging to daemonN.log.
seq_start() {
	start_daemon "$TEST_TMP/daemon$1.log" -f -v -c "$TEST_TMP/c.toml"
	wait_for 10 file_contains "$TEST_TMP/daemon$1.log" "first collection done"
}
