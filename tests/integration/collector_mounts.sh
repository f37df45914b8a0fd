#!/usr/bin/env bash
# collector_mounts.sh - the disk collector follows the mount table while the
# daemon runs, though it parses mountinfo only when the kernel says it
# changed (POLLPRI) or statvfs shows a filesystem turned read-only: a tmpfs
# mounted after start gets its series, a remount read-only shows in
# disk.read_only and raises filesystem_read_only, and an unmount retires the
# series.
. "$(dirname "$0")/lib.sh"

mnt=$TEST_TMP/mnt
mkdir -p "$mnt"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=1m sysops-probe "$mnt" \
	2>/dev/null; then
	skip "needs root to mount a tmpfs"
	exit 0
fi
umount "$mnt"
cleanup_mount() {
	stop_leftovers
	umount "$mnt" 2>/dev/null
	cleanup
}
trap cleanup_mount EXIT

prom=$TEST_TMP/sysops.prom
write_config "$TEST_TMP/agent.toml" '[agent]' 'collect_interval_secs = 1' \
	"state_dir = \"$TEST_TMP/state\"" '[storage.history]' \
	"textfile = \"$prom\"" '[collectors.disk]' 'fstypes = ["tmpfs"]' \
	'[logscan]' 'enabled = false'
start_daemon "$TEST_TMP/agent.log" -f -c "$TEST_TMP/agent.toml"
check "the daemon collects" \
	wait_for 10 file_contains "$TEST_TMP/agent.log" "first collection done"
# series VALUE: the textfile has disk.read_only of the tmpfs at VALUE.
series() {
	grep -qE "^sysops_disk_read_only\{.*mount=\"$mnt\".*\} $1\$" "$prom" \
		2>/dev/null
}
no_series() { test -s "$prom" && ! grep -qF "mount=\"$mnt\"" "$prom"; }
check "the tmpfs has no series before it is mounted" wait_for 10 no_series

mount -t tmpfs -o size=1m sysops-probe "$mnt"
check "a tmpfs mounted after start gets its series" wait_for 10 series 0
mount -o remount,ro "$mnt"
check "its remount read-only shows in disk.read_only" wait_for 10 series 1
check "and is said in the log" wait_for 10 file_contains \
	"$TEST_TMP/agent.log" "filesystem $mnt is now read-only"
umount "$mnt"
check "an unmount retires its series" wait_for 10 no_series
kill -TERM "$DAEMON_PID"
check "the daemon stops" wait_for 10 file_contains "$TEST_TMP/agent.log" \
	"stopped after"
check "no collector reported an error" \
	bash -c "! grep -q 'further errors are counted' '$TEST_TMP/agent.log'"
