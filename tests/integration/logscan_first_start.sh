#!/usr/bin/env bash
# logscan_first_start.sh - a fresh install on a host that has been up for a
# while: the kernel ring already holds I/O errors, an OOM kill and crashes.
# The first start must not page for them: one info summary with exact
# counts instead. After a stop, kernel errors logged while the daemon was
# down, and later ones, page one by one as usual. With backlog_summary off
# the old records page as before. kmsg_path names a FIFO playing the ring
# (as in logscan_kmsg.sh): each start replays it from its oldest record.
. "$(dirname "$0")/lib.sh"

FIFO=$TEST_TMP/kmsg
mkfifo "$FIFO"
mkdir -p "$TEST_TMP/state"
config() { # config FILE STATE_DIR [EXTRA...]
	local file=$1 state=$2; shift 2
	write_config "$file" \
		'[agent]' "state_dir = \"$state\"" 'collect_interval_secs = 1' \
		'hostname = "test-host"' '[alerting]' 'group_wait_secs = 0' \
		'[logscan]' 'journal = false' "kmsg_path = \"$FIFO\"" "$@"
}
config "$TEST_TMP/c.toml" "$TEST_TMP/state"
exec 3<>"$FIFO"

# record SEQ MESSAGE: logged SEQ ms after boot, long before any start.
record() { printf '3,%d,%d,-;%s\n' "$1" $(($1 * 1000)) "$2" >&3; }
io_error() { record "$1" "blk_update_request: I/O error, dev $2, sector $3 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0"; }
old_ring() { # what the ring held before the first start
	io_error 1 sda 1024
	record 2 'usb 1-1: new high-speed USB device number 2 using xhci_hcd'
	io_error 3 sda 2048
	record 4 'nginx[1201]: segfault at 0 ip 000055d1c0a1b2c3 sp 00007ffd4e5f6a70 error 4 in nginx[55d1c0a00000+1a000]'
	io_error 5 sda 4096
	record 6 'Out of memory: Killed process 4242 (java) total-vm:4194304kB, anon-rss:2097152kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:4400kB oom_score_adj:0'
	record 7 'nginx[1202]: segfault at 0 ip 000055d1c0a1b2c3 sp 00007ffd4e5f6a70 error 4 in nginx[55d1c0a00000+1a000]'
}
new_records() { # logged while the daemon was down
	io_error 8 sdc 512
	record 9 'Out of memory: Killed process 5151 (postgres) total-vm:8388608kB, anon-rss:4194304kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:8800kB oom_score_adj:0'
}
pages() { grep -E '^<[0-9]>(WARNING|CRITICAL) ' "$1"; }
no_pages() { ! pages "$1" >/dev/null; }
SUMMARY="INFO logscan_backlog (kmsg) on test-host: since boot: 3 I/O errors on sda, 1 OOM kill, 2 segfaults (process nginx)"

# --- first start: fresh state directory, errors already in the ring ---
old_ring
start_daemon "$TEST_TMP/daemon1.log" -f -v -c "$TEST_TMP/c.toml"
check "first start: one info summary with exact counts, most severe first" \
	wait_for 10 file_contains "$TEST_TMP/daemon1.log" "$SUMMARY"
check "its detail lists the count per rule and device" \
	file_contains "$TEST_TMP/daemon1.log" "critical block_io_error: 3; device sda: 3; last: blk_update_request: I/O error, dev sda, sector 4096"
check "the kmsg cursor is saved once the summary is accepted" \
	wait_for 10 test -s "$TEST_TMP/state/logscan-kmsg.cursor"
check "the first start is recorded" test -s "$TEST_TMP/state/logscan-first-start"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
check "no warning or critical alert for the old records" \
	no_pages "$TEST_TMP/daemon1.log"
check "the summary was sent once" \
	[ "$(grep -c 'INFO logscan_backlog' "$TEST_TMP/daemon1.log")" -eq 1 ]
check "the cursor stands after the last record" \
	grep -qx "$(cat /proc/sys/kernel/random/boot_id) 7" "$TEST_TMP/state/logscan-kmsg.cursor"

# --- restart: what the kernel logged while the daemon was down pages ---
old_ring; new_records
start_daemon "$TEST_TMP/daemon2.log" -f -v -c "$TEST_TMP/c.toml"
check "restart: the I/O error logged while down pages on its own" \
	wait_for 10 file_contains "$TEST_TMP/daemon2.log" "CRITICAL block_io_error (kmsg{device=sdc}) on test-host: I/O error on sdc (sector 512)"
check "restart: so does the OOM kill" \
	wait_for 10 file_contains "$TEST_TMP/daemon2.log" "CRITICAL oom_kill (kmsg) on test-host: OOM killer killed postgres (pid 5151, anon-rss 4194304 kB)"
record 10 'EXT4-fs error (device sdc1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0'
check "and a new record after the restart pages too" \
	wait_for 10 file_contains "$TEST_TMP/daemon2.log" "CRITICAL ext4_error (kmsg{device=sdc1}) on test-host"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
check "restart: no second summary" \
	bash -c "! grep -q 'logscan_backlog' '$TEST_TMP/daemon2.log'"
check "restart: the old records did not page" \
	bash -c "! grep -qE 'device=sda|killed java' '$TEST_TMP/daemon2.log'"
check "restart: exactly the three new records paged" \
	[ "$(pages "$TEST_TMP/daemon2.log" | wc -l)" -eq 3 ]

# --- backlog_summary = false: old records page one by one, as before ---
mkdir -p "$TEST_TMP/state3"
config "$TEST_TMP/c3.toml" "$TEST_TMP/state3" 'backlog_summary = false'
old_ring
start_daemon "$TEST_TMP/daemon3.log" -f -v -c "$TEST_TMP/c3.toml"
check "backlog_summary off: the old OOM kill pages" \
	wait_for 10 file_contains "$TEST_TMP/daemon3.log" "CRITICAL oom_kill (kmsg) on test-host: OOM killer killed java"
check "backlog_summary off: the old I/O errors page" \
	wait_for 10 file_contains "$TEST_TMP/daemon3.log" "CRITICAL block_io_error (kmsg{device=sda}) on test-host"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
check "backlog_summary off: no summary" \
	bash -c "! grep -q 'logscan_backlog' '$TEST_TMP/daemon3.log'"
exec 3>&-
