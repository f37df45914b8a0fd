#!/usr/bin/env bash
# history_pending.sh - the daemon between imports, as an operator meets it:
# SQLite not mapped while it runs, minutes in STATE_DIR/history.pending that
# `history` already shows, and a SIGKILL that loses none of them: the next
# start imports them, ignoring (and saying) a record torn by the kill.
. tests/integration/lib.sh

if "$AGENT" --version | grep -q 'sqlite history: no'; then
	ok "# SKIP built without SQLite"
	exit 0
fi
dir=$TEST_TMP
state=$dir/state
cfg=$dir/agent.toml
write_config "$cfg" '[agent]' "state_dir = \"$state\"" \
	'collect_interval_secs = 1' '[logscan]' 'enabled = false'
pending=$state/history.pending

size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
pending_has_minutes() { [ "$(size_of "$pending")" -gt 0 ]; }
ready() { grep -q "first collection done" "$1"; }
sqlite_mapped() { grep -q libsqlite3 "/proc/$1/maps"; }
db_minutes() {
	if command -v sqlite3 >/dev/null; then
		sqlite3 -readonly "$state/history.db" \
			'SELECT count(*) FROM minute_blob' 2>/dev/null
	fi
}
shows_cpu() {
	"$AGENT" history -c "$cfg" --metric 'cpu.usage_percent' 2>/dev/null |
		grep -q '^cpu.usage_percent'
}

start_daemon "$dir/run1.log" -f -c "$cfg"
check "the daemon starts" wait_for 20 ready "$dir/run1.log"
check "libsqlite3 is not a needed library of the binary" \
	eval "! readelf -d '$AGENT' 2>/dev/null | grep -q 'libsqlite3'"
# The first minute closes at the next minute boundary.
check "a minute is appended to history.pending" wait_for 75 pending_has_minutes
check "SQLite is not mapped in the running daemon between imports" \
	eval "! sqlite_mapped $DAEMON_PID"
if command -v sqlite3 >/dev/null; then
	check "history.db has none of those minutes yet" \
		test "$(db_minutes)" = 0
else
	skip "sqlite3 not installed"
fi
check "history shows the minutes not yet imported" shows_cpu

# A SIGKILL mid-interval, then half a record as a kill mid-write leaves it.
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
before=$(size_of "$pending")
check "the minutes wait in history.pending after the SIGKILL" test "$before" -gt 0
printf '\x40\x00\x00\x00\x02\x00\x00\x00torn' >>"$pending"

start_daemon "$dir/run2.log" -f -c "$cfg"
check "the daemon starts again" wait_for 20 ready "$dir/run2.log"
check "the torn record is ignored, with a log line" \
	grep -q 'history.pending ends in a torn record' "$dir/run2.log"
if command -v sqlite3 >/dev/null; then
	check "the minutes written before the kill are in history.db" \
		test "$(db_minutes)" -ge 1
else
	skip "sqlite3 not installed"
fi
check "history.pending was emptied by the import" \
	test "$(size_of "$pending")" -lt "$before"
check "SQLite is unloaded after the start's import" \
	eval "! sqlite_mapped $DAEMON_PID"
check "history still shows them" shows_cpu
stop_pid "$DAEMON_PID"
check "a stop imports what is pending" test "$(size_of "$pending")" = 0
check "no error was logged" \
	eval "! grep -E '^<[0-3]>.*history' '$dir/run1.log' '$dir/run2.log'"
