#!/usr/bin/env bash
# logscan_command.sh - an operator runs `sysops-agent logscan` over real
# logs: the Loghub Linux syslog sample, stdin in kmsg and plain formats, and
# bad input; and reads the rule list.
. "$(dirname "$0")/lib.sh"
SHARED=${SHARED:-../shared}
LOG=$SHARED/data/logs/loghub-linux/Linux_2k.log
write_config "$TEST_TMP/defaults.toml" '# built-in defaults'
export SYSOPS_AGENT_CONFIG=$TEST_TMP/defaults.toml

"$AGENT" logscan "$LOG" >"$TEST_TMP/out" 2>"$TEST_TMP/err"
check "logscan over Linux_2k.log succeeds" [ $? -eq 0 ]
check "every alert on the sample is an SSH brute force" \
	[ "$(grep -vc ' warning ssh_brute_force ip=' "$TEST_TMP/out")" -eq 0 ]
check "28 brute-force alerts (27 sources, one twice)" \
	[ "$(wc -l <"$TEST_TMP/out")" -eq 28 ]
check "the first names its source and line" \
	grep -q "^$LOG:13: warning ssh_brute_force ip=220-135-151-1.hinet-ip.hinet.net (10 events): SSH brute force from 220-135-151-1.hinet-ip.hinet.net: 10 failed logins within 300s$" "$TEST_TMP/out"
check "summary counts lines and events" \
	grep -q "2000 lines, 28 events" "$TEST_TMP/err"

"$AGENT" logscan --json "$LOG" >"$TEST_TMP/json" 2>/dev/null
check "--json prints one object per event with every field" \
	python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 28
for r in rows:
    assert set(r) == {"file", "line", "rule", "severity", "group", "message", "count"}, r
assert rows[1]["group"] == "218.188.2.4" and rows[1]["count"] == 10
assert rows[1]["line"] == 38
' "$TEST_TMP/json"

printf '%s\n' \
	'6,100,5000000,-;e1000e 0000:00:19.0 eth0: NIC Link is Down' \
	' SUBSYSTEM=net' \
	'3,101,5100000,-;EXT4-fs error (device sda1): ext4_lookup:1234: inode #2: comm ls: deleted inode referenced: 99' \
	'myapp: connecting with password=hunter2 Kernel panic - not syncing: nope' \
	| "$AGENT" logscan - >"$TEST_TMP/stdin" 2>/dev/null
check "kmsg records on stdin are recognised" \
	grep -q '^-:1: warning nic_link_down interface=eth0: network link down on eth0$' "$TEST_TMP/stdin"
check "dictionary lines are not messages" \
	[ "$(grep -c ':2:' "$TEST_TMP/stdin")" -eq 0 ]
check "an ext4 error from kmsg" grep -q '^-:3: critical ext4_error device=sda1' "$TEST_TMP/stdin"
check "plain lines are scanned too" grep -q '^-:4: critical kernel_panic: kernel panic: nope$' "$TEST_TMP/stdin"

printf 'Nov  1 10:00:00 h app: token=abcdef123456 BUG: kernel NULL pointer dereference\n' |
	"$AGENT" logscan - >"$TEST_TMP/masked" 2>/dev/null
check "secrets never reach the output" bash -c "! grep -q abcdef123456 '$TEST_TMP/masked' && grep -q 'kernel_bug' '$TEST_TMP/masked'"

head -c 200000 /dev/urandom >"$TEST_TMP/junk"
"$AGENT" logscan "$TEST_TMP/junk" >/dev/null 2>"$TEST_TMP/junk.err"
check "binary junk is scanned without harm" [ $? -eq 0 ]

"$AGENT" logscan "$TEST_TMP/missing.log" 2>"$TEST_TMP/missing.err"
check "an unreadable file exits 1 and says why" \
	bash -c "[ $? -eq 1 ] && grep -q 'missing.log: No such file' '$TEST_TMP/missing.err'"
"$AGENT" logscan 2>/dev/null
check "no input is a usage error" [ $? -eq 2 ]

"$AGENT" logscan --rules-only >"$TEST_TMP/rules" 2>/dev/null
check "--rules-only lists the built-in pack" \
	bash -c "[ \$(wc -l <'$TEST_TMP/rules') -ge 30 ] && grep -q '^ssh_brute_force *warning  10 in 300s by ip' '$TEST_TMP/rules'"

write_config "$TEST_TMP/c.toml" '[logscan]' 'disable_rules = ["ssh_brute_force"]' \
	'[[logscan.rules]]' 'name = "ftp_connection"' \
	'pattern = "ftpd\\[\\d+\\]: connection from (?<ip>[\\d.]+)"' \
	'group_by = "ip"' 'threshold = 3' 'window_secs = 3600' \
	'message = "{count} FTP connections from {ip}"'
"$AGENT" logscan -c "$TEST_TMP/c.toml" "$LOG" >"$TEST_TMP/custom" 2>/dev/null
check "a disabled built-in rule stays quiet" bash -c "! grep -q ssh_brute_force '$TEST_TMP/custom'"
check "a configured rule aggregates by its capture" \
	grep -q 'warning ftp_connection ip=[0-9.]* (3 events): 3 FTP connections from' "$TEST_TMP/custom"
write_config "$TEST_TMP/bad.toml" '[logscan]' 'disable_rules = ["no_such_rule"]'
"$AGENT" logscan -c "$TEST_TMP/bad.toml" "$LOG" >/dev/null 2>"$TEST_TMP/bad.err"
check "an unknown rule name is a clear error" \
	bash -c "[ $? -eq 1 ] && grep -q \"'no_such_rule' is not a built-in rule\" '$TEST_TMP/bad.err'"
