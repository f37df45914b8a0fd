#!/usr/bin/env bash
# logscan_follow.sh - following files between ticks: with hourly ticks every
# line must come through inotify's wake-ups alone. A wake-up whose events are
# writes only reads the written files without a stat of their paths; any
# other event (rename, creation, deletion) checks every path. So rotation by
# rename, copytruncate (shorter and longer than what was read), deletion and
# re-creation are all noticed without a tick; a busy neighbour in the same
# directory does not hide our file's lines; a kill -9 loses none. A busy
# file (paced, its writes unwatched) still sees a rename rotation, a
# copytruncate and a neighbour's first line.
. "$(dirname "$0")/lib.sh"

DIR=$TEST_TMP/log
mkdir -p "$DIR" "$TEST_TMP/state"
APP=$DIR/app.log
: >"$APP"
write_config "$TEST_TMP/c.toml" \
	'[agent]' "state_dir = \"$TEST_TMP/state\"" 'collect_interval_secs = 3600' \
	'[logscan]' 'kmsg = false' 'journal = false' \
	"files = [\"$APP\"]" \
	'[[logscan.rules]]' 'name = "seen"' 'pattern = "seq=(?<n>\\d+) "' \
	'severity = "info"' 'message = "seen {n}"'

seq_start 1
seq_emit "$APP" 10
check "appended lines are seen between ticks" wait_for 10 seq_seen_upto 10

# A neighbour written steadily in the same directory: its events wake the
# source, our file is read only when an event names it.
( for i in $(seq 400); do echo "noise $i" >>"$DIR/other.txt"; sleep 0.01; done ) &
noise=$!
seq_emit "$APP" 5
check "lines are seen while a neighbour is written" wait_for 10 seq_seen_upto 15
wait "$noise"

# Rename rotation: the writer adds to the old file once more.
mv "$APP" "$DIR/app.log.1"
seq_emit "$DIR/app.log.1" 3
seq_emit "$APP" 4
check "rename rotation without a tick: old tail and new file seen" \
	wait_for 10 seq_seen_upto 22
check "the rotation was noticed" \
	grep -qE "app.log (was rotated \(renamed\)|was renamed or deleted)" "$TEST_TMP/daemon1.log"

# copytruncate, then fewer bytes than were read: only a write event comes,
# the empty read asks fstat.
: >"$APP"
seq_emit "$APP" 1
check "copytruncate noticed without a tick" \
	wait_for 10 file_contains "$TEST_TMP/daemon1.log" "was truncated"
check "the line after copytruncate is seen" wait_for 10 seq_seen_upto 23
seq_emit "$APP" 6
check "lines after it are seen" wait_for 10 seq_seen_upto 29

# A partial line waits for its end.
printf 'Nov 22 00:00:00 host app[7]: event seq=%d ' "$next" >>"$APP"
printf 'done\n' >>"$APP"
next=$((next + 1))
check "a line written in two parts is seen once whole" wait_for 10 seq_seen_upto 30

# Deletion, then the file comes back.
rm "$APP"
check "deletion noticed without a tick" \
	wait_for 10 file_contains "$TEST_TMP/daemon1.log" "renamed or deleted"
seq_emit "$APP" 3
check "a re-created file is read from its start" wait_for 10 seq_seen_upto 33

# kill -9, lines written while down, restart: none lost (the cursor saved
# at start may read some again; at-least-once).
own_child "$DAEMON_PID" && kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null
seq_emit "$APP" 4
seq_start 2
seq_emit "$APP" 2
last=$((next - 1))
check "after kill -9 the last line is seen" \
	wait_for 10 file_contains "$TEST_TMP/daemon2.log" "seen $last"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"

seq_logs | sed -n 's/.*logscan: event seen from .*: seen \([0-9]*\)$/\1/p' | sort -n | uniq >"$TEST_TMP/seen"
check "every line seen ($last lines)" \
	bash -c "[ \"\$(wc -l <'$TEST_TMP/seen')\" -eq $last ] && \
		 [ \"\$(head -n1 '$TEST_TMP/seen')\" -eq 1 ] && \
		 [ \"\$(tail -n1 '$TEST_TMP/seen')\" -eq $last ]"
check "no line seen twice before the kill" \
	bash -c "[ \"\$(grep -c 'logscan: event seen from' '$TEST_TMP/daemon1.log')\" -eq 33 ]"

# A busy file: a line every 20 ms is paced, and once every followed file
# is busy its writes go unwatched (each period reads it). A rename rotation
# in the stream is still seen at once by its name events and loses no
# line; a copytruncate is found by the period's empty read (lines written
# before it and not yet read are lost, as in any copytruncate, so only
# those after it are counted); a file that comes into being beside it is
# followed and its line seen while the stream goes on (and, quiet, ends the
# unwatched writes).
BUSY=$DIR/busy.log
: >"$BUSY"
write_config "$TEST_TMP/c.toml" \
	'[agent]' "state_dir = \"$TEST_TMP/state3\"" 'collect_interval_secs = 3600' \
	'[logscan]' 'kmsg = false' 'journal = false' \
	"files = [\"$DIR/busy*.log\"]" \
	'[[logscan.rules]]' 'name = "seen"' 'pattern = "seq=(?<n>\\d+) "' \
	'severity = "info"' 'message = "seen {n}"'
mkdir -p "$TEST_TMP/state3"
next=1
seq_start 3
busy() { local k; for ((k = 0; k < $1; k++)); do seq_emit "$BUSY" 1; sleep 0.02; done; }
busy 100
check "a busy file's writes go unwatched" \
	wait_for 5 file_contains "$TEST_TMP/daemon3.log" "busy: writes unwatched"
mv "$BUSY" "$DIR/busy.log.1"
busy 60
check "busy: rename rotation seen, no line lost" \
	wait_for 10 bash -c "[ \$(grep -c 'logscan: event seen from' '$TEST_TMP/daemon3.log') -ge $((next - 1)) ]"
check "busy: the rotation was noticed" \
	file_contains "$TEST_TMP/daemon3.log" "busy.log was r"
busy 60
: >"$BUSY"
first=$next
busy 60
check "busy: copytruncate noticed" \
	wait_for 10 file_contains "$TEST_TMP/daemon3.log" "busy.log was truncated"
check "busy: every line after the truncation seen" \
	wait_for 10 bash -c "for n in \$(seq $first $((next - 1))); do grep -q \"seen \$n\\\$\" '$TEST_TMP/daemon3.log' || exit 1; done"
seq_emit "$DIR/busy2.log" 1
first=$next
busy 60
check "busy: a new neighbour's line is seen" \
	wait_for 10 file_contains "$TEST_TMP/daemon3.log" "seen $((first - 1))"
check "busy: quiet again, writes watched" \
	wait_for 10 file_contains "$TEST_TMP/daemon3.log" "quiet again: writes watched"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
