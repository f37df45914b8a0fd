#!/usr/bin/env bash
# delivery_privsep.sh - network delivery runs in a process of its own: an
# operator with a webhook configured finds that process only while there is
# something to send, holding no capabilities, with no_new_privs and a seccomp
# filter (under the launcher's, which has one too); the daemon itself holds no INET/INET6 socket and cannot open one;
# killing the delivery process with SIGKILL in the middle of a send loses
# no alert.
. tests/integration/lib.sh

dir=$TEST_TMP
start_receiver "$dir" "privsep-hmac" || { not_ok "receiver started"; exit 1; }
# The receiver by name: curl's resolver threads run under the filter too.
write_alert_config "$dir/agent.toml" \
	'[agent]' "state_dir = \"$dir/state\"" 'log_level = "debug"' \
	'[alerting]' 'group_wait_secs = 0' 'retry_initial_secs = 1' \
	'retry_max_secs = 2' 'timeout_secs = 120' 'delivery_idle_secs = 3' \
	'[alerting.rate_limit]' 'min_interval_secs = 0' \
	'[alerting.webhook]' "url = \"http://localhost:${RECEIVER_URL##*:}/webhook/privsep\"" \
	'hmac_secret = "privsep-hmac"'

start_feed "$dir/daemon1.log" "$dir/agent.toml"
check "the daemon started its delivery launcher" wait_for 10 launcher_of "$DAEMON_PID"
# launcher_is_helper PID: the helper binary beside alert_feed, not a copy
# of the daemon: it maps none of the daemon's libraries (what it maps
# besides libc and the loader is the sanitizer runtime in a SAN build).
launcher_is_helper() {
	[ "$(readlink "/proc/$1/exe")" = "$(dirname "$ALERT_FEED")/sysops-launch" ] &&
		! awk '$6 ~ /\.so/ {print $6}' "/proc/$1/maps" | grep -q \
			-e '/libsystemd' -e '/libsqlite3' -e '/libpcre2' -e '/libjson-c' \
			-e '/libseccomp' -e '/libcap' -e '/libcurl' -e '/libz\.'
}
check "the launcher is the small helper binary, none of the daemon's libraries" \
	wait_for 10 launcher_is_helper "$LAUNCHER"
check "named sysops-launch" test "$(cat "/proc/$LAUNCHER/comm")" = sysops-launch
check "launcher: CapEff 0, NoNewPrivs 1" test \
	"$(status_field "$LAUNCHER" CapEff)$(status_field "$LAUNCHER" NoNewPrivs)" = 00000000000000001
check "launcher: a seccomp filter (Seccomp 2)" \
	test "$(status_field "$LAUNCHER" Seccomp)" = 2
# Its own, not only what a container or this shell runs under (the count
# is in /proc since Linux 5.9).
if [ -n "$(status_field $$ Seccomp_filters)" ]; then
	check "launcher: one filter more than this shell has" \
		test "$(status_field "$LAUNCHER" Seccomp_filters)" = \
		"$(($(status_field $$ Seccomp_filters) + 1))"
else
	skip "no Seccomp_filters in /proc/PID/status before Linux 5.9"
fi
check "nothing to send: no delivery process" no_delivery_process
check "daemon: a seccomp filter (the network seal)" \
	test "$(status_field "$DAEMON_PID" Seccomp)" = 2
check "daemon: no INET/INET6 socket" test "$(inet_sockets "$DAEMON_PID")" = 0
# Start-up work only (src/core/dynlib.c): once the seal is loaded and the
# privileges dropped, neither library is mapped any more, unless it was
# linked to stay (DF_1_NODELETE: Debian 11's and RHEL 8's libcap-ng 0.7.9),
# which dlclose() cannot unmap.
no_startup_library() {
	local file
	for file in $(awk '$6 ~ /\/lib(seccomp|cap-ng)[.]so/ {print $6}' \
		"/proc/$1/maps" | sort -u); do
		if readelf -d "$file" | grep -q 'Flags:.*NODELETE'; then
			echo "# $file stays mapped: linked with -z nodelete"
		else
			echo "# $file still mapped"
			return 1
		fi
	done
}
check "daemon: libseccomp and libcap-ng no longer mapped" \
	no_startup_library "$DAEMON_PID"

echo "hang" >"$dir/control"
feed "fire first warning - First problem"
check "a send is in flight (the receiver hangs)" \
	wait_for 10 requests_at_least "$dir" 1
check "the delivery process runs" delivery_process
check "named sysops-deliver" test "$(cat "/proc/$DELIVERY/comm")" = sysops-deliver
echo "# delivery process $DELIVERY: $(grep -E '^(CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' "/proc/$DELIVERY/status" | tr -s '\t\n' '  ')"
check "delivery process: CapEff 0" test "$(status_field "$DELIVERY" CapEff)" = 0000000000000000
check "delivery process: CapAmb 0" test "$(status_field "$DELIVERY" CapAmb)" = 0000000000000000
check "delivery process: NoNewPrivs 1" test "$(status_field "$DELIVERY" NoNewPrivs)" = 1
check "delivery process: Seccomp 2 (filter)" test "$(status_field "$DELIVERY" Seccomp)" = 2
check "delivery process: libseccomp and libcap-ng no longer mapped" \
	no_startup_library "$DELIVERY"
# Its own filter under the launcher's, inherited across the exec.
if [ -n "$(status_field "$DELIVERY" Seccomp_filters)" ]; then
	check "delivery process: the launcher's filter and its own" \
		test "$(status_field "$DELIVERY" Seccomp_filters)" -ge \
		"$(($(status_field "$LAUNCHER" Seccomp_filters) + 1))"
else
	skip "no Seccomp_filters in /proc/PID/status before Linux 5.9"
fi
check "delivery process: the INET socket of the send" \
	test "$(inet_sockets "$DELIVERY")" -ge 1
check "daemon: still no INET/INET6 socket while it sends" \
	test "$(inet_sockets "$DAEMON_PID")" = 0

# SIGKILL mid-send, four more alerts waiting behind the one in flight.
feed "fire second critical - Second problem" "fire third warning - Third problem" \
	"fire fourth warning - Fourth problem" "fire fifth critical - Fifth problem"
check "four more wait in the spool" wait_for 10 stat_is "$dir/state" spool_pending 5
killed=$DELIVERY
kill -KILL "$killed"
check "the daemon noticed the delivery process died" \
	wait_for 10 file_contains "$dir/daemon1.log" "delivery process $killed ended; 1 request in flight will be sent again"
echo "ok" >"$dir/control"
check "every alert arrives through a new delivery process" \
	wait_for 30 webhook_alerts_at_least "$dir" 5 True
check "spool drained" wait_for 10 stat_is "$dir/state" spool_pending 0
check "nothing lost, at most the one in flight repeated" python3 - "$dir/requests.jsonl" <<'PY'
import json, sys, collections
rs = [json.loads(l) for l in open(sys.argv[1])]
ok = [r for r in rs if r.get("mode") == "ok" and r.get("valid")]
names = collections.Counter(a["rule"] for r in ok for a in r["body"]["alerts"])
print("# requests: %d (%d answered ok), alerts delivered: %s" %
      (len(rs), len(ok), dict(sorted(names.items()))))
want = {"first", "second", "third", "fourth", "fifth"}
sys.exit(0 if set(names) == want and all(c == 1 for c in names.values()) else 1)
PY
check "a new delivery process took over (not the killed one)" \
	eval 'grep -o "delivery process [0-9]* started" "$dir/daemon1.log" | grep -vqw "$killed"'
check "after delivery_idle_secs (3) the delivery process is gone" \
	wait_for 15 no_delivery_process
check "the launcher stays" process_alive "$LAUNCHER"
check "and the daemon still has no INET/INET6 socket" \
	test "$(inet_sockets "$DAEMON_PID")" = 0
launcher=$LAUNCHER
stop_pid "$DAEMON_PID"
exec 3>&-
check "the launcher ended with the daemon" wait_for 10 eval '! process_alive "$launcher"'

# The real daemon (its own binary as the launcher), collecting: sealed too.
write_config "$dir/daemon.toml" \
	'[agent]' "state_dir = \"$dir/state2\"" 'collect_interval_secs = 1' \
	'[alerting.webhook]' "url = \"http://localhost:${RECEIVER_URL##*:}/webhook/privsep\"" \
	'hmac_secret = "privsep-hmac"'
start_daemon "$dir/daemon2.log" -f -c "$dir/daemon.toml"
check "sysops-agent: delivery launcher started" wait_for 10 launcher_of "$DAEMON_PID"
check "sysops-agent: sealed (Seccomp 2)" \
	wait_for 10 eval 'test "$(status_field "$DAEMON_PID" Seccomp)" = 2'
check "sysops-agent: no INET/INET6 socket" test "$(inet_sockets "$DAEMON_PID")" = 0
stop_pid "$DAEMON_PID"

# Remote write leaves through the delivery process too: still sealed.
write_config "$dir/export.toml" \
	'[agent]' "state_dir = \"$dir/state3\"" 'collect_interval_secs = 1' \
	'[alerting]' 'delivery_idle_secs = 3' \
	'[alerting.webhook]' "url = \"http://localhost:${RECEIVER_URL##*:}/webhook/privsep\"" \
	'hmac_secret = "privsep-hmac"' \
	'[export.remote_write]' 'enabled = true' \
	"url = \"$RECEIVER_URL/api/v1/write\""
start_daemon "$dir/daemon3.log" -f -c "$dir/export.toml"
check "with remote write: batches reach the receiver" \
	wait_for 20 requests_at_least "$dir" 1 'r["kind"] == "remote_write" and r["length"] > 0'
check "with remote write: sealed (Seccomp 2)" \
	test "$(status_field "$DAEMON_PID" Seccomp)" = 2
check "with remote write: the daemon has no INET/INET6 socket" \
	test "$(inet_sockets "$DAEMON_PID")" = 0
stop_pid "$DAEMON_PID"
stop_pid "$RECEIVER_PID"
echo "1..$TEST_NUMBER"
