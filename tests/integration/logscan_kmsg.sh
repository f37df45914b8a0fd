#!/usr/bin/env bash
# logscan_kmsg.sh - kernel records reach the rules. The daemon cannot be
# fed through the real /dev/kmsg in a test, so kmsg_path names a FIFO that
# carries the same record format: on a restart the "ring" is replayed from
# its oldest record, as /dev/kmsg does, and only records not seen before
# (same boot) may count.
. "$(dirname "$0")/lib.sh"

FIFO=$TEST_TMP/kmsg
mkfifo "$FIFO"
mkdir -p "$TEST_TMP/state"
write_config "$TEST_TMP/c.toml" \
	'[agent]' "state_dir = \"$TEST_TMP/state\"" 'collect_interval_secs = 1' \
	'hostname = "test-host"' '[alerting]' 'group_wait_secs = 0' \
	'[logscan]' 'journal = false' "kmsg_path = \"$FIFO\"" \
	'[[logscan.rules]]' 'name = "seen"' 'pattern = "kseq=(?<n>\\d+)"' \
	'sources = ["kmsg"]' 'message = "seen {n}"'
# Held open for writing so records can wait in the pipe while the daemon
# is down (the FIFO plays the kernel's ring).
exec 3<>"$FIFO"

record() { # record SEQ MESSAGE
	printf '6,%d,%d,-;%s\n' "$1" $(($1 * 1000000)) "$2" >&3
}
ring() { # ring FROM TO: records FROM..TO, each with its dictionary line
	local s
	for ((s = $1; s <= $2; s++)); do
		record "$s" "test kseq=$s"
		printf ' SUBSYSTEM=test\n' >&3
	done
}
seen() { cat "$TEST_TMP"/daemon*.log | grep -c "logscan: event seen from kmsg:"; }
seen_upto() { [ "$(seen)" -ge "$1" ]; }

start_daemon "$TEST_TMP/daemon1.log" -f -v -c "$TEST_TMP/c.toml"
check "daemon starts with a FIFO as kmsg" \
	wait_for 10 file_contains "$TEST_TMP/daemon1.log" "first collection done"
ring 1 5
record 6 'Out of memory: Killed process 4242 (java) total-vm:4194304kB, anon-rss:2097152kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4400kB oom_score_adj:0'
printf 'this is not a kmsg record\n' >&3
check "records are scanned" wait_for 10 seen_upto 5
check "an OOM kill from kmsg alerts with the victim" \
	wait_for 10 file_contains "$TEST_TMP/daemon1.log" "CRITICAL oom_kill (kmsg) on test-host: OOM killer killed java (pid 4242, anon-rss 2097152 kB)"
check "the alert names kmsg as its source" \
	file_contains "$TEST_TMP/daemon1.log" "SYSOPS_SERIES=kmsg"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
check "a malformed record is counted, not fatal" \
	grep -q 'logscan: kmsg: 6 lines, 0 cut at max_line_bytes, 1 malformed' "$TEST_TMP/daemon1.log"
check "the sequence is saved with the boot id" \
	grep -qx "$(cat /proc/sys/kernel/random/boot_id) 6" "$TEST_TMP/state/logscan-kmsg.cursor"

# While the daemon is down the kernel logs 7..9; on reopen the ring starts
# at its oldest record again.
ring 1 9
start_daemon "$TEST_TMP/daemon2.log" -f -v -c "$TEST_TMP/c.toml"
check "restart catches up on what came while down" wait_for 10 seen_upto 8
ring 10 10
check "and goes on with new records" wait_for 10 seen_upto 9
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
grep -ho 'seen [0-9]*$' "$TEST_TMP"/daemon*.log | sort | uniq -d >"$TEST_TMP/dups"
check "no record handled twice" [ ! -s "$TEST_TMP/dups" ]
check "records 1-5 and 7-10 each seen once" \
	[ "$(grep -ho 'seen [0-9]*$' "$TEST_TMP"/daemon*.log | sort -u | wc -l)" -eq 9 ]
check "the OOM record was not alerted again" \
	bash -c "! grep -q 'oom_kill (kmsg) on' '$TEST_TMP/daemon2.log'"

# Another boot: the saved sequence means nothing, the whole ring is new.
printf 'some-other-boot 10\n' >"$TEST_TMP/state/logscan-kmsg.cursor"
ring 1 2
start_daemon "$TEST_TMP/daemon3.log" -f -v -c "$TEST_TMP/c.toml"
check "after a reboot the ring is read from its start" \
	wait_for 10 file_contains "$TEST_TMP/daemon3.log" "logscan: event seen from kmsg:1: seen 1"
check "and the reboot is reported" file_contains "$TEST_TMP/daemon3.log" "new boot"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
exec 3>&-
