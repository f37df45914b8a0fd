#!/usr/bin/env bash
# logscan_kmsg_trust.sh - a record written into the real /dev/kmsg from user
# space as root ("<3>XFS (...): log mount failed", facility 0 asked for) gets
# facility LOG_USER from the kernel: the running daemon reads it, labels it
# kmsg:user (a configured rule on its unique token proves it was scanned)
# and raises no kernel alert for it. The forged text is one that main's
# rules do not match either, so other daemons reading this host's kernel log
# stay quiet.
. "$(dirname "$0")/lib.sh"

if [ ! -w /dev/kmsg ]; then
	ok "# SKIP /dev/kmsg is not writable here (needs root on the host)"
	exit 0
fi
token="sysops-trust-$$-$RANDOM"
mkdir -p "$TEST_TMP/state"
write_config "$TEST_TMP/c.toml" \
	'[agent]' "state_dir = \"$TEST_TMP/state\"" 'collect_interval_secs = 1' \
	'hostname = "test-host"' '[alerting]' 'group_wait_secs = 0' \
	'[logscan]' 'journal = false' \
	'[[logscan.rules]]' 'name = "trust_probe"' "pattern = \"$token\"" \
	'sources = ["kmsg"]' 'message = "probe seen"'

start_daemon "$TEST_TMP/daemon.log" -f -v -c "$TEST_TMP/c.toml"
check "daemon reads the host's kernel log" \
	wait_for 10 file_contains "$TEST_TMP/daemon.log" "first collection done"
# What a root shell can do: ask for facility 0 (kernel) at level 3.
if ! printf '<3>XFS (%s): log mount failed\n' "$token" >/dev/kmsg 2>"$TEST_TMP/write.err"; then
	skip "writing /dev/kmsg failed: $(head -n1 "$TEST_TMP/write.err")"
	kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
	exit 0
fi
check "the forged record is scanned, labelled as user space" \
	wait_for 10 file_contains "$TEST_TMP/daemon.log" "logscan: event trust_probe from kmsg:user:"
check "the kernel gave it a user facility" \
	bash -c "dd if=/dev/kmsg iflag=nonblock bs=8192 2>/dev/null | grep -F '$token' | grep -qv '^[0-7],'"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
check "it raised no kernel alert" \
	bash -c "! grep -F '$token' '$TEST_TMP/daemon.log' | grep -q 'xfs_error'"
check "and no alert from any kernel rule at all" \
	bash -c "! grep -E 'event [a-z_]+ from kmsg:user' '$TEST_TMP/daemon.log' | grep -qv 'event trust_probe '"
