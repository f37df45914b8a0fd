# daemon_lifecycle.sh - the daemon as an operator meets it: it starts, tells
# systemd it is ready, keeps running on a broken config after SIGHUP, picks up
# a good one, pings the watchdog, and stops cleanly on SIGTERM within 2 s.
. "$(dirname "$0")/lib.sh"

cfg=$TEST_TMP/config.toml
log=$TEST_TMP/daemon.log
state=$TEST_TMP/state
notify=$TEST_TMP/notify.sock
messages=$TEST_TMP/notify.log

python3 "$(dirname "$0")/notify_listener.py" "$notify" "$messages" &
TEST_PIDS+=($!)
wait_for 5 test -e "$messages.ready"

write_config "$cfg" '[agent]' 'collect_interval_secs = 1' "state_dir = \"$state\""
NOTIFY_SOCKET=$notify WATCHDOG_USEC=400000 start_daemon "$log" -f -c "$cfg"
pid=$DAEMON_PID

check "the daemon logs its start" wait_for 5 file_contains "$log" "started on"
check "the start is logged with a <6> (info) priority prefix" \
	grep -q '^<6>sysops-agent .* started on' "$log"
check "READY=1 is sent after the first collection" wait_for 5 file_contains "$messages" "READY=1"
check "STATUS= tells what it is doing" wait_for 5 file_contains "$messages" "STATUS=collecting every 1s"
check "WATCHDOG=1 is sent when WATCHDOG_USEC is set" wait_for 5 file_contains "$messages" "WATCHDOG=1"
check "the state directory is created" test -d "$state"
check "the state directory is mode 0750" test "$(stat -c %a "$state")" = 750

# An operator breaks the file and reloads: the old config must keep running.
write_config "$cfg" '[agent]' 'collect_interval_secs = "often"'
kill -HUP "$pid"
check "a broken config on SIGHUP is reported with file:line" \
	wait_for 5 file_contains "$log" "$cfg:2: [agent] collect_interval_secs"
check "the daemon says it keeps the running config" \
	wait_for 5 file_contains "$log" "reload failed; keeping the running configuration"
check "the daemon survives the broken reload" process_alive "$pid"
# The newest tick count the daemon reported in STATUS=.
last_tick() { grep -o '[0-9]* ticks' "$messages" | tail -n 1 | cut -d' ' -f1; }
ticks_after() { [ "$(last_tick)" -gt "$1" ]; }
ticks_before=$(last_tick)
check "it keeps collecting after the failed reload" wait_for 5 ticks_after "$ticks_before"

# A good file is picked up.
write_config "$cfg" '[agent]' 'collect_interval_secs = 2' 'log_level = "debug"' "state_dir = \"$state\""
kill -HUP "$pid"
check "a valid config is reloaded" wait_for 5 file_contains "$log" "configuration reloaded"
check "RELOADING=1 then READY=1 are sent around the reload" \
	wait_for 5 grep -q 'RELOADING=1' "$messages"
check "the new interval is in effect" wait_for 5 file_contains "$messages" "STATUS=collecting every 2s"

# SIGTERM: stop within 2 s, exit 0.
start_ns=$(date +%s%N)
kill -TERM "$pid"
wait "$pid"
status=$?
elapsed_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
echo "# SIGTERM to exit: ${elapsed_ms} ms"
check "SIGTERM exits 0" test "$status" -eq 0
check "SIGTERM stops within 2 s" test "$elapsed_ms" -lt 2000
check "STOPPING=1 is sent" file_contains "$messages" "STOPPING=1"
check "the stop is logged" file_contains "$log" "stopped after"

# SIGINT works the same way (Ctrl-C under make run).
write_config "$cfg" '[agent]' "state_dir = \"$state\""
start_daemon "$log.2" -f -c "$cfg"
wait_for 5 file_contains "$log.2" "ready"
kill -INT "$DAEMON_PID"
wait "$DAEMON_PID"
check "SIGINT exits 0" test $? -eq 0

# -q silences info; -v shows debug.
# A fresh state dir: its creation shows the start-up has run.
write_config "$cfg" '[agent]' "state_dir = \"$state.q\""
start_daemon "$log.3" -f -q -c "$cfg"
wait_for 5 test -d "$state.q"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
check "-q hides info messages" test "$(grep -c '^<6>' "$log.3")" -eq 0

# A config that does not load stops start-up with exit 78 (EX_CONFIG), the
# status the unit does not restart on.
write_config "$cfg" '[agent]' 'nope = 1'
"$AGENT" -f -c "$cfg" >"$log.4" 2>&1
check "an invalid config at start-up exits 78 (EX_CONFIG)" test $? -eq 78

# On a terminal (a pty from script(1)) errors read "sysops-agent: error:
# ...", never with a raw "<3>" priority prefix.
if command -v script >/dev/null; then
	script -qec "'$AGENT' -f -c '$cfg'" /dev/null >"$log.tty" 2>&1
	check "on a terminal an error carries the program name" \
		grep -q "^sysops-agent: error: $cfg:2: \[agent\] unknown key 'nope'" "$log.tty"
	check "and no <N> prefix" eval '! grep -q "^<[0-7]>" "$log.tty"'
else
	ok "# SKIP script(1) not installed (util-linux)"
	ok "# SKIP script(1) not installed (util-linux)"
fi

# Without -f (and not under systemd) it detaches, after saying its PID and
# where it logs.
write_config "$cfg" '[agent]' 'collect_interval_secs = 1' "state_dir = \"$state\""
env -u INVOCATION_ID -u NOTIFY_SOCKET "$AGENT" -c "$cfg" >"$log.5" 2>&1
check "without -f it detaches and the command exits 0" test $? -eq 0
bg_pid=$(sed -n 's/^sysops-agent: running in the background as PID \([0-9]*\); .*/\1/p' "$log.5")
[ -n "$bg_pid" ] && TEST_PIDS+=("$bg_pid")
check "it says its PID first" test -n "$bg_pid"
check "and where it logs" grep -qE 'journalctl -t sysops-agent|no journal here' "$log.5"
check "that PID is the running daemon" process_alive "${bg_pid:-0}"
[ -n "$bg_pid" ] && kill -TERM "$bg_pid"
check "it stops on SIGTERM" wait_for 10 eval '! process_alive "${bg_pid:-0}"'
