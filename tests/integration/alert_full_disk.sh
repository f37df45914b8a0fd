#!/usr/bin/env bash
# alert_full_disk.sh - the state directory (a 256 KiB tmpfs) fills up while
# the endpoint is healthy: 25 alerts raised while it is full are all
# delivered (from memory), the log says which files could not be written,
# and once space is freed the files are written again and new alerts are
# delivered too. Nothing is lost and nothing is sent twice, across a
# restart as well.
. tests/integration/lib.sh

dir=$TEST_TMP
disk=$dir/disk
# The daemon creates the state directory on the small file system, as it
# would on /var/lib (and hands it to sysops-agent when that user exists).
state=$disk/state
mkdir -p "$disk"
if ! mount -t tmpfs -o size=256k,mode=0750 tmpfs "$disk" 2>"$dir/mount.err"; then
	ok "# SKIP cannot mount a tmpfs: $(head -n1 "$dir/mount.err")"
	exit 0
fi
# Unmount what we mounted (by path) before lib.sh cleans up; the daemons
# hold files on it, so they are stopped first.
cleanup_mount() {
	stop_leftovers
	umount "$disk" 2>/dev/null || umount -l "$disk"
	cleanup
}
trap cleanup_mount EXIT

start_receiver "$dir" "disk-secret" || { not_ok "receiver started"; exit 1; }
write_alert_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$state\"" \
	'[alerting]' 'group_wait_secs = 1' 'retry_initial_secs = 1' \
	'retry_max_secs = 2' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'max_alerts_per_hour = 1000' \
	'[alerting.console]' 'enabled = false' \
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/disk\"" \
	'hmac_secret = "disk-secret"'
# delivered RULE: n of each firing RULE alert the webhook got, one a line.
delivered() {
	webhook_alerts "$dir" 'a["labels"]["n"]' \
		"a['rule'] == '$1' and a['state'] == 'firing'"
}
delivered_at_least() { [ "$(delivered "$1" | sort -u | wc -l)" -ge "$2" ]; }
logged() { grep -qE -- "$1" "$dir"/daemon*.log; }

start_feed "$dir/daemon1.log" "$dir/agent.toml"
if ! wait_for 10 test -s "$state/alerter-stats.json"; then
	not_ok "alerter started on the tmpfs"
	exit 1
fi
ok "alerter started on the tmpfs"
feed "fire before_full warning n=0 An alert before the disk fills"
check "an alert before the disk fills is delivered" \
	wait_for 10 delivered_at_least before_full 1

# Something else fills the file system.
dd if=/dev/zero of="$disk/fill" bs=4k 2>"$dir/dd.err"
check "the state directory is full" grep -q "No space left" "$dir/dd.err"
for burst in 0 1 2 3 4; do
	for i in 1 2 3 4 5; do
		feed "fire while_full warning n=$((burst * 5 + i)) Alert $((burst * 5 + i)) while the disk is full"
	done
	wait_for 10 delivered_at_least while_full $((burst * 5 + 5))
done
check "25 of 25 raised while full are delivered while full" \
	test "$(delivered while_full | sort -u | wc -l)" -eq 25
check "the log says the spool cannot be written, messages kept in memory" \
	logged "alert spool: cannot append to alert-spool; messages are kept in memory.*: No space left on device"
check "the log says the journal cannot be written" \
	logged "alert journal: cannot append to alert-journal; .*: No space left on device"
check "the log says the alerter's state cannot be saved" \
	logged "alerter: cannot save alert-state.json; .*: No space left on device"
check "the log says alert-history.jsonl misses alerts" \
	logged "alert history: cannot write alert-history.jsonl; .*: No space left on device"
check "each failure said once, not per write" \
	test "$(grep -cE 'alert (spool|journal|history): cannot|alerter: cannot save' "$dir/daemon1.log")" -eq 4

rm "$disk/fill"
for i in 26 27 28 29 30; do
	feed "fire after_free warning n=$i Alert $i after space was freed"
done
check "5 alerts raised after space was freed are delivered" \
	wait_for 15 delivered_at_least after_free 5
check "the log says the spool is writable again" \
	wait_for 10 logged "alert spool: alert-spool is writable again"
check "the log says the journal is writable again" \
	wait_for 10 logged "alert journal: alert-journal is writable again"
check "the log says the state is saved again" \
	wait_for 10 logged "alerter: alert-state.json saved again"
check "the log says the history is written again, and how many lines it lost" \
	wait_for 10 logged "alert history: alert-history.jsonl is writable again \([0-9]+ lines lost\)"
check "nothing waits in memory any more" \
	wait_for 10 stat_is "$state" spool_in_memory 0
check "nothing waits at all" wait_for 10 stat_is "$state" spool_pending 0
spool_errors=$(stat_of "$state" spool_write_errors)
history_errors=$(stat_of "$state" history_errors)
check "write errors were counted" test "$spool_errors" -gt 0 -a "$history_errors" -gt 0
stop_pid "$DAEMON_PID"
exec 3>&-

# A restart sends nothing again.
requests_before=$(requests_count "$dir")
start_feed "$dir/daemon2.log" "$dir/agent.toml"
feed "fire after_restart warning n=31 Alert after the restart"
check "the restarted daemon delivers" wait_for 15 delivered_at_least after_restart 1
check "and repeats nothing" \
	test "$(requests_count "$dir")" -eq $((requests_before + 1))
stop_pid "$DAEMON_PID"
exec 3>&-
check "every alert delivered exactly once" \
	test "$( (delivered before_full; delivered while_full; delivered after_free; delivered after_restart) | sort -n | uniq -c | awk '$1 != 1' | wc -l)" -eq 0
echo "# full disk: $(delivered while_full | sort -u | wc -l) of 25 raised while full delivered, $(delivered after_free | sort -u | wc -l) of 5 after; $spool_errors spool and $history_errors history write errors; $(requests_count "$dir") messages"
