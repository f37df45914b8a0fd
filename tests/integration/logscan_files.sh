#!/usr/bin/env bash
# logscan_files.sh - the daemon follows a log file while it is written,
# rotated by rename and by copytruncate, deleted and created again, and
# while the daemon itself is restarted (also across a rotation that happens
# while it is down). Every line carries a sequence number; at the end each
# number must have been seen exactly once.
. "$(dirname "$0")/lib.sh"

DIR=$TEST_TMP/log
mkdir -p "$DIR" "$TEST_TMP/state"
APP=$DIR/app.log
write_config "$TEST_TMP/c.toml" \
	'[agent]' "state_dir = \"$TEST_TMP/state\"" 'collect_interval_secs = 1' \
	'[logscan]' 'kmsg = false' 'journal = false' \
	"files = [\"$DIR/*.log\", \"$DIR/late/other.log\"]" \
	'max_line_bytes = 256' \
	'[[logscan.rules]]' 'name = "seen"' 'pattern = "seq=(?<n>\\d+) "' \
	'severity = "info"' 'message = "seen {n}"'
stop() {
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID"
}

# Existing content is skipped (start_position = "end")...
seq_emit "$APP" 5
old_lines=$((next - 1))
seq_start 1
check "daemon is running" process_alive "$DAEMON_PID"
# ...and only new lines count.
seq_emit "$APP" 20
check "appended lines are seen" wait_for 10 seq_seen_upto 20
check "lines present before the first start were skipped" \
	bash -c "! grep -q 'seen 1\$' '$TEST_TMP/daemon1.log'"

# Rotation by rename: the writer still adds to the old file once.
mv "$APP" "$DIR/app.log.1"
seq_emit "$DIR/app.log.1" 3
seq_emit "$APP" 10
check "rename rotation: old tail and new file seen" wait_for 10 seq_seen_upto 33
check "the rotation was noticed" \
	grep -qE "app.log (was rotated \(renamed\)|was renamed or deleted)" "$TEST_TMP/daemon1.log"

# Rotation by copytruncate.
cp "$APP" "$DIR/app.log.2"
: >"$APP"
check "copytruncate noticed" wait_for 10 file_contains "$TEST_TMP/daemon1.log" "was truncated"
seq_emit "$APP" 10
check "lines after copytruncate are seen" wait_for 10 seq_seen_upto 43

# A line longer than max_line_bytes, invalid UTF-8 and NUL bytes.
{ printf 'seq=%d ' "$next"; head -c 1000 /dev/zero | tr '\0' 'x'; printf '\n'; } >>"$APP"
next=$((next + 1))
printf 'garbage \xff\xfe\x00\x01 seq=%d \n' "$next" >>"$APP"
next=$((next + 1))
check "long and binary lines are handled" wait_for 10 seq_seen_upto 45

# A file created later in a watched directory is read from its start.
seq_emit "$DIR/new.log" 4
check "a new file matching the glob is read" wait_for 10 seq_seen_upto 49
mkdir -p "$DIR/late"
seq_emit "$DIR/late/other.log" 2
check "a file in a directory created later is found" wait_for 15 seq_seen_upto 51

# Restart mid-stream: lines written while stopped, and a rotation.
stop
check "stopped cleanly" file_contains "$TEST_TMP/daemon1.log" "stopped after"
check "the long line was counted as cut" \
	grep -q 'logscan: files: .* 1 cut at max_line_bytes' "$TEST_TMP/daemon1.log"
seq_emit "$APP" 5
mv "$APP" "$DIR/app.log.3"
seq_emit "$APP" 5
seq_emit "$DIR/new.log" 2
seq_start 2
check "restart catches up without repeats" wait_for 10 seq_seen_upto 63
check "the rotation while stopped was followed" \
	file_contains "$TEST_TMP/daemon2.log" "was rotated while stopped"

# Deletion, then the file comes back.
rm "$APP"
check "deletion noticed" wait_for 10 file_contains "$TEST_TMP/daemon2.log" "renamed or deleted"
seq_emit "$APP" 3
check "a re-created file is read from its start" wait_for 10 seq_seen_upto 66
stop

# Exactly once: every number written after the first start, no duplicates.
expected=$((next - 1 - old_lines))
seq_logs | sed -n 's/.*logscan: event seen from .*: seen \([0-9]*\)$/\1/p' | sort -n >"$TEST_TMP/seen"
check "every line seen exactly once ($expected lines)" \
	bash -c "[ \"\$(uniq '$TEST_TMP/seen' | wc -l)\" -eq $expected ] && \
		 [ \"\$(wc -l <'$TEST_TMP/seen')\" -eq $expected ] && \
		 [ \"\$(head -n1 '$TEST_TMP/seen')\" -eq $((old_lines + 1)) ] && \
		 [ \"\$(tail -n1 '$TEST_TMP/seen')\" -eq $((next - 1)) ]"
check "cursors are kept in the state directory" \
	grep -q " $DIR/app.log\$" "$TEST_TMP/state/logscan-files.cursor"
