#!/usr/bin/env bash
# alert_masking.sh - an operator's signed webhook is gone: the endpoint
# answers 404 and echoes the URL it was called with, raw, JSON-escaped,
# percent-encoded, upper-cased, and its secret path segment alone (plus the
# HMAC secret). test-alert and the daemon must still report the failure, but
# no secret, in any of those encodings or letter cases, may appear in a log
# line, test-alert's output or any file of the state directory - also after
# a reload to a new URL.
. tests/integration/lib.sh

dir=$TEST_TMP
hmac=hm4c-Very-Secret-77
segment=Sg7kq2PzX9wLmT4vHk
segment2=Qm2Lx8RtZ4vNp7Wy
start_receiver "$dir" "$hmac" || { not_ok "receiver started"; exit 1; }
hook_config() { # hook_config SEGMENT
	write_config "$dir/agent.toml" \
		'[agent]' "state_dir = \"$dir/state\"" 'hostname = "web-01"' \
		'collect_interval_secs = 1' 'log_level = "debug"' \
		'[alerting]' 'group_wait_secs = 0' \
		'[alerting.rate_limit]' 'min_interval_secs = 0' \
		'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/$1\"" \
		"hmac_secret = \"$hmac\"" \
		'[logscan]' 'kmsg = false' 'journal = false'
}
hook_config "$segment"
echo "404echo" >"$dir/control"

# The body as the agent shows it: every echo masked, the rest kept.
masked='HTTP 404: {"error":"no such hook","raw":"***","json":"***","unicode":"***","percent":"***","upper":"***","segment":"***","key":"***"}'

"$AGENT" test-alert -c "$dir/agent.toml" --channel webhook \
	>"$dir/test-alert.out" 2>&1
check "test-alert fails on the 404" test $? -eq 1
check "test-alert reports the 404 and the body, every echo masked" \
	grep -qxF "webhook: FAILED: $masked (permanent)" "$dir/test-alert.out"

start_feed "$dir/daemon.log" "$dir/agent.toml"
feed "fire disk_full critical mount=/ Disk / is 97% full"
check "the daemon posted the alert" \
	wait_for 15 requests_at_least "$dir" 2 'r["kind"] == "webhook"'
refusals_at_least() {
	[ "$(grep -cF "refused, not retried: $masked" "$dir/daemon.log")" -ge "$1" ]
}
check "the daemon logs the refusal with the masked body" \
	wait_for 10 refusals_at_least 1

# A reload to a new secret URL: the new secret is masked at once.
hook_config "$segment2"
kill -HUP "$DAEMON_PID"
check "the configuration is reloaded" \
	wait_for 10 file_contains "$dir/daemon.log" "configuration reloaded"
feed "fire load_high warning - Load 12 on 4 CPUs"
check "after the reload the daemon posts to the new URL" \
	wait_for 15 requests_at_least "$dir" 1 "'$segment2' in r['path']"
check "and logs that refusal masked too" wait_for 10 refusals_at_least 2
stop_pid "$DAEMON_PID"
check "the receiver did see the secrets (the checks below can fail)" \
	test "$(requests_count "$dir" "'$segment' in r['path']")" -ge 2

# leaks FILE...: the files holding a secret in any encoding or letter case.
# Each file is read as bytes (SQLite pages and all) and also decoded as JSON
# and URLs would be, then compared case-insensitively.
leaks() {
	python3 - "$segment" "$segment2" "$hmac" -- "$@" <<'PY'
import re, sys, urllib.parse
args = sys.argv[1:]
cut = args.index("--")
secrets, files = [s.lower() for s in args[:cut]], args[cut + 1:]
def unjson(t):
    t = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), t)
    return re.sub(r'\\(["\\/])', r"\1", t)
for name in files:
    try:
        text = open(name, "rb").read().decode("latin-1")
    except OSError:
        continue
    views = [text, unjson(text), urllib.parse.unquote_plus(text),
             urllib.parse.unquote_plus(unjson(text))]
    if any(s in v.lower() for s in secrets for v in views):
        print(name)
PY
}
no_leak() { [ -z "$(leaks "$@")" ]; }
state_files() { find "$dir/state" -type f "$@"; }

check "no secret in the daemon's log" no_leak "$dir/daemon.log"
check "no secret in test-alert's output" no_leak "$dir/test-alert.out"
check "no secret in the spool" no_leak "$dir/state/alert-spool"
check "no secret in the alerter's stats" no_leak "$dir/state/alerter-stats.json"
# History records: masked by the history writers (the alert-history.jsonl
# writer in src/alerter and the history module's observer), which are not
# part of this change. If one of the next two fails, a writer is missing
# its secret_mask() call.
check "HISTORY RECORDS: no secret in alert-history.jsonl" \
	no_leak "$dir/state/alert-history.jsonl"
if [ -f "$dir/state/history.db" ]; then
	sqlite3 "$dir/state/history.db" .dump >"$dir/history.dump" 2>/dev/null ||
		strings "$dir/state/history.db" >"$dir/history.dump"
	check "HISTORY RECORDS: no secret in history.db (dump and raw pages)" \
		no_leak "$dir/history.dump" "$dir"/state/history.db*
else
	ok "HISTORY RECORDS: no history.db in this build # SKIP built without SQLite"
fi
check "no secret in any file of the state directory" \
	no_leak $(state_files)
check "the leak check finds a secret when there is one" \
	test -n "$(leaks "$dir/requests.jsonl")"
