#!/usr/bin/env bash
# logscan_journal.sh - journal files written by systemd-journal-remote from
# the export format are read through sd-journal: filters on PRIORITY and
# SYSLOG_IDENTIFIER apply, the journal cursor survives a restart (nothing
# repeated, nothing skipped), and an SSH brute force in the journal alerts.
# backlog_summary is off for that part (these entries are dated before the
# daemon starts); the next part turns it on: on a fresh state directory the
# entries logged before the first start become one info summary. The last
# part forges kernel messages into the journal: only an entry journald read
# from /dev/kmsg at the kernel's facility matches the kernel's rules.
. "$(dirname "$0")/lib.sh"

REMOTE=/lib/systemd/systemd-journal-remote
if [ ! -x "$REMOTE" ]; then
	not_ok "systemd-journal-remote is installed (scripts/install-deps)"
	exit 1
fi
JOURNAL=$TEST_TMP/journal
mkdir -p "$JOURNAL" "$TEST_TMP/state"
write_config "$TEST_TMP/c.toml" \
	'[agent]' "state_dir = \"$TEST_TMP/state\"" 'collect_interval_secs = 1' \
	'hostname = "test-host"' '[alerting]' 'group_wait_secs = 0' \
	'[logscan]' 'kmsg = false' "journal_directory = \"$JOURNAL\"" \
	'start_position = "beginning"' 'journal_max_priority = 6' \
	'journal_identifiers = ["app", "sshd"]' 'backlog_summary = false' \
	'[[logscan.rules]]' 'name = "seen"' 'pattern = "jseq=(?<n>\\d+)"' \
	'sources = ["journal"]' 'message = "seen {n}"'

BOOT=0123456789abcdef0123456789abcdef
clock=1795302385000000
# entry IDENTIFIER PRIORITY MESSAGE: one entry in journal export format.
entry() {
	clock=$((clock + 1000000))
	printf '__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n' \
		"$clock" $((clock / 1000 % 100000000)) "$BOOT"
	printf 'SYSLOG_IDENTIFIER=%s\nPRIORITY=%d\n_PID=%d\nMESSAGE=%s\n\n' \
		"$1" "$2" $((RANDOM + 1)) "$3"
}
batch() { # batch NAME FROM TO: app entries jseq=FROM..TO, plus noise
	local s
	for ((s = $2; s <= $3; s++)); do
		entry app 6 "work item jseq=$s"
	done
	entry app 7 "debug chatter jseq=9999"
	entry noise 3 "other identifier jseq=8888"
}
# Entries are generated in this shell (not a pipeline's subshell) so the
# clock keeps moving forward from one file to the next, as in a real journal.
write_journal() {
	"$REMOTE" -o "$JOURNAL/$1.journal" - <"$TEST_TMP/export" 2>>"$TEST_TMP/remote.err"
}
seen() { cat "$TEST_TMP"/daemon*.log | grep -c "logscan: event seen from journal"; }
seen_upto() { [ "$(seen)" -ge "$1" ]; }

batch a 1 5 >"$TEST_TMP/export"; write_journal a
check "systemd-journal-remote wrote a journal file" [ -s "$JOURNAL/a.journal" ]
start_daemon "$TEST_TMP/daemon1.log" -f -v -c "$TEST_TMP/c.toml"
check "entries already in the directory are read" wait_for 10 seen_upto 5
batch b 6 10 >"$TEST_TMP/export"; write_journal b
check "a journal file added later is followed" wait_for 10 seen_upto 10
for i in $(seq 1 10); do
	entry sshd 6 "Failed password for root from 203.0.113.50 port $((40000 + i)) ssh2"
done >"$TEST_TMP/export"
write_journal brute
check "an SSH brute force in the journal alerts" \
	wait_for 10 file_contains "$TEST_TMP/daemon1.log" "ssh_brute_force (journal{ip=203.0.113.50}) on test-host: SSH brute force from 203.0.113.50: 10 failed logins within 300s"
check "the alert carries the address as its label" \
	file_contains "$TEST_TMP/daemon1.log" "SYSOPS_LABELS=ip=203.0.113.50"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
check "the journal cursor was saved" [ -s "$TEST_TMP/state/logscan-journal.cursor" ]

# Written while the daemon is down, then a restart.
batch c 11 15 >"$TEST_TMP/export"; write_journal c
start_daemon "$TEST_TMP/daemon2.log" -f -v -c "$TEST_TMP/c.toml"
check "restart resumes after the cursor" wait_for 10 seen_upto 15
check "and says so" file_contains "$TEST_TMP/daemon2.log" "journal resumes after the saved cursor"
batch d 16 17 >"$TEST_TMP/export"; write_journal d
check "and follows new entries" wait_for 10 seen_upto 17
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"

cat "$TEST_TMP"/daemon*.log | sed -n 's/.*logscan: event seen from journal:[0-9]*: seen \([0-9]*\)$/\1/p' | sort -n >"$TEST_TMP/seen"
check "entries 1-17 each seen exactly once" \
	[ "$(tr '\n' ' ' <"$TEST_TMP/seen")" = "$(seq -s ' ' 1 17) " ]
check "debug priority and other identifiers are filtered out" \
	bash -c "! grep -qE 'seen (9999|8888)' '$TEST_TMP'/daemon*.log"
check "the brute force alerted once" \
	[ "$(cat "$TEST_TMP"/daemon*.log | grep -c 'ssh_brute_force (journal{ip=203.0.113.50}) on test-host')" -eq 1 ]

# A fresh state directory (the first start) on a journal that already holds
# 3 work items and 10 failed logins from one address, logged an hour ago.
OLD=$TEST_TMP/old-journal
mkdir -p "$OLD" "$TEST_TMP/state2"
clock=$(( ($(date +%s) - 3600) * 1000000 ))
{
	batch x 101 103
	for i in $(seq 1 10); do
		entry sshd 6 "Failed password for root from 198.51.100.7 port $((50000 + i)) ssh2"
	done
} >"$TEST_TMP/export"
"$REMOTE" -o "$OLD/old.journal" - <"$TEST_TMP/export" 2>>"$TEST_TMP/remote.err"
write_config "$TEST_TMP/c2.toml" \
	'[agent]' "state_dir = \"$TEST_TMP/state2\"" 'collect_interval_secs = 1' \
	'hostname = "test-host"' '[alerting]' 'group_wait_secs = 0' \
	'[logscan]' 'kmsg = false' "journal_directory = \"$OLD\"" \
	'start_position = "beginning"' 'journal_identifiers = ["app", "sshd"]' \
	'[[logscan.rules]]' 'name = "seen"' 'pattern = "jseq=(?<n>\\d+)"' \
	'sources = ["journal"]' 'message = "seen {n}"'
start_daemon "$TEST_TMP/first.log" -f -v -c "$TEST_TMP/c2.toml"
check "first start: the old entries become one info summary" \
	wait_for 10 file_contains "$TEST_TMP/first.log" "INFO logscan_backlog (journal) on test-host: in the journal before the first start: 10 failed SSH logins (ip 198.51.100.7), 3 matches of seen"
check "first start: none of them alerts on its own" \
	bash -c "! grep -qE 'event (seen|ssh_brute_force) from journal' '$TEST_TMP/first.log'"
entry app 6 "work item jseq=104" >"$TEST_TMP/export"
"$REMOTE" -o "$OLD/new.journal" - <"$TEST_TMP/export" 2>>"$TEST_TMP/remote.err"
check "after the backlog, an entry alerts as usual" \
	wait_for 10 file_contains "$TEST_TMP/first.log" "logscan: event seen from journal"
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
check "the summary was sent once" \
	[ "$(grep -c 'INFO logscan_backlog (journal)' "$TEST_TMP/first.log")" -eq 1 ]

# Kernel text from user space: `logger -t kernel` (syslog transport), a
# service's stdout, and a root write to /dev/kmsg (kernel transport, facility
# user). None is the kernel's; a systemd message from user space still counts,
# and so does the kernel's own record, written last.
TRUST=$TEST_TMP/trust-journal
mkdir -p "$TRUST" "$TEST_TMP/state3"
write_config "$TEST_TMP/c3.toml" \
	'[agent]' "state_dir = \"$TEST_TMP/state3\"" 'collect_interval_secs = 1' \
	'hostname = "test-host"' '[alerting]' 'group_wait_secs = 0' \
	'[logscan]' 'kmsg = false' "journal_directory = \"$TRUST\"" \
	'start_position = "beginning"' 'backlog_summary = false'
start_daemon "$TEST_TMP/trust.log" -f -v -c "$TEST_TMP/c3.toml"
check "trust: the daemon follows an empty journal directory" \
	wait_for 10 file_contains "$TEST_TMP/trust.log" "first collection done"
clock=$(( $(date +%s) * 1000000 ))
# trusted TRANSPORT FACILITY IDENTIFIER PRIORITY MESSAGE ("-": no facility)
trusted() {
	clock=$((clock + 1000))
	printf '__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=%s\n' \
		"$clock" $((clock / 1000 % 100000000)) "$BOOT"
	printf '_TRANSPORT=%s\n' "$1"
	[ "$2" = - ] || printf 'SYSLOG_FACILITY=%s\n' "$2"
	printf 'SYSLOG_IDENTIFIER=%s\nPRIORITY=%d\nMESSAGE=%s\n\n' "$3" "$4" "$5"
}
{
	trusted syslog 1 kernel 2 "Out of memory: Killed process 4242 (java) total-vm:4194304kB, anon-rss:2097152kB, file-rss:0kB"
	trusted stdout - app 6 "BUG: unable to handle kernel NULL pointer dereference at 0000000000000000"
	trusted kernel 1 kernel 3 "EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm ls: reading directory lblock 0"
	trusted journal 3 systemd 3 "nginx.service: Failed with result 'exit-code'."
	trusted kernel 0 kernel 2 "kernel BUG at mm/slub.c:3901!"
} >"$TEST_TMP/export"
"$REMOTE" -o "$TRUST/trust.journal" - <"$TEST_TMP/export" 2>>"$TEST_TMP/remote.err"
check "trust: the kernel's own record (transport kernel, facility 0) alerts" \
	wait_for 10 file_contains "$TEST_TMP/trust.log" "logscan: event kernel_bug from journal"
check "trust: a systemd failure logged by user space alerts" \
	file_contains "$TEST_TMP/trust.log" "logscan: event systemd_unit_failed from journal"
check "trust: kernel text from logger, stdout or a kmsg write at facility user does not" \
	bash -c "! grep -qE 'logscan: event (oom_kill|ext4_error) from journal' '$TEST_TMP/trust.log' &&
		[ \$(grep -c 'logscan: event kernel_bug from journal' '$TEST_TMP/trust.log') -eq 1 ]"

# Crashes: a segfault the kernel logs and systemd-coredump then reports is
# one crash (one alert); a SIGABRT, which the kernel does not log, is told
# by systemd-coredump alone (its "processing..." and "dumped core." lines:
# one alert, the second counted in its window).
{
	trusted kernel 0 kernel 6 "app[4321]: segfault at 0 ip 000055d1c0a1b2c3 sp 00007ffd4e5f6a70 error 4 in app[55d1c0a00000+1a000]"
	trusted journal 3 systemd-coredump 2 "Process 4321 (app) of user 0 dumped core."
	trusted journal 3 systemd-coredump 6 "Process 4400 (worker) of user 1000 terminated abnormally with signal 6/ABRT, processing..."
	trusted journal 3 systemd-coredump 2 "Process 4400 (worker) of user 1000 dumped core."
} >"$TEST_TMP/export"
"$REMOTE" -o "$TRUST/crash.journal" - <"$TEST_TMP/export" 2>>"$TEST_TMP/remote.err"
check "crash: a SIGABRT told only by systemd-coredump alerts" \
	wait_for 10 file_contains "$TEST_TMP/trust.log" "worker (pid 4400) crashed: terminated abnormally with signal 6/ABRT"
check "crash: the segfault alerts once, from whichever report came first" \
	[ "$(grep -cE 'logscan: event (segfault|process_crash) from journal.*app \(pid 4321\)' "$TEST_TMP/trust.log")" -eq 1 ]
check "crash: the worker's two lines are one alert" \
	[ "$(grep -c 'logscan: event process_crash from journal.*worker' "$TEST_TMP/trust.log")" -eq 1 ]
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
check "crash: the other report of the segfault is counted as told" \
	file_contains "$TEST_TMP/trust.log" "(1 matches told by their family's alert"

# Coalescing, with hourly ticks so that only wake-ups read: entries written
# one by one (systemd-journal-remote fed slowly, as journald appends) are
# read a period at a time, not one wake-up each, and all of them arrive; the
# first entry after a quiet spell is read at once.
PACED=$TEST_TMP/paced-journal
mkdir -p "$PACED" "$TEST_TMP/state4"
write_config "$TEST_TMP/c4.toml" \
	'[agent]' "state_dir = \"$TEST_TMP/state4\"" 'collect_interval_secs = 3600' \
	'hostname = "test-host"' '[alerting]' 'group_wait_secs = 0' \
	'[logscan]' 'kmsg = false' "journal_directory = \"$PACED\"" \
	'start_position = "beginning"' 'backlog_summary = false' \
	'journal_identifiers = ["app"]' \
	'[[logscan.rules]]' 'name = "seen"' 'pattern = "jseq=(?<n>\\d+)"' \
	'sources = ["journal"]' 'message = "seen {n}"'
start_daemon "$TEST_TMP/paced.log" -f -v -c "$TEST_TMP/c4.toml"
check "paced: the daemon follows an empty journal directory" \
	wait_for 10 file_contains "$TEST_TMP/paced.log" "first collection done"
clock=$(( $(date +%s) * 1000000 ))
paced_seen() { [ "$(grep -c 'logscan: event seen from journal' "$TEST_TMP/paced.log")" -ge "$1" ]; }
passes() { grep -c 'logscan: journal: [0-9]* entries in one pass' "$TEST_TMP/paced.log"; }
sizes() { sed -n 's/.*logscan: journal: \([0-9]*\) entries in one pass/\1/p' "$TEST_TMP/paced.log" | tr '\n' ' '; }
entry app 6 "work item jseq=301" >"$TEST_TMP/export"
"$REMOTE" -o "$PACED/first.journal" - <"$TEST_TMP/export" 2>>"$TEST_TMP/remote.err"
check "paced: an entry after a quiet spell is read by a wake-up, not a tick" \
	wait_for 5 paced_seen 1
# 40 entries over about two seconds, each written as it comes.
for i in $(seq 302 341); do
	entry app 6 "work item jseq=$i"
	sleep 0.05 # the writer's pace, not a wait for the daemon
done | "$REMOTE" -o "$PACED/paced.journal" - 2>>"$TEST_TMP/remote.err"
check "paced: every entry written one by one is read" wait_for 10 paced_seen 41
check "paced: they are read in a few passes, not one wake-up each (entries a pass: $(sizes))" \
	[ "$(passes)" -le 15 ]
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
