#!/usr/bin/env bash
# checks_listeners.sh - the listening-socket watch on this host's real
# /proc/net: after the learning period, a new listener on 127.0.0.1
# (python3 -m http.server, run as a user of its own) is one security alert
# naming the process, its user, the address and the port; closed, it is
# resolved; after a restart the baseline is still there (no learning again,
# no alert for what it knows, a new listener alerts at once). A listen
# check's listener that goes away alerts too, and the agent itself listens
# on nothing.
. tests/integration/lib.sh

dir=$TEST_TMP
chmod o+x "$dir" # the web server's own user serves $dir/www
mkdir "$dir/www"
start_receiver "$dir" "checks-hmac" || { not_ok "receiver started"; exit 1; }
# Below the ephemeral range, which is learnt per process, not per port.
read -r web_port db_port <<<"$(free_ports 2 20000 30000 | tr '\n' ' ')"
uid=$((43000 + RANDOM % 1000))

listen_forever() { # listen_forever PORT: a plain TCP listener (as root)
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
time.sleep(600)' "$1" &
	DB_PID=$!
	TEST_PIDS+=("$DB_PID")
}
listen_forever "$db_port"
wait_for 10 port_open "$db_port" || not_ok "the expected listener is up"

config() {
	write_checks_config "$dir/agent.toml" "$dir/state" \
		'[listeners]' 'learning_secs = 3' \
		'[[checks]]' 'name = "db-port"' 'type = "listen"' \
		"target = \"127.0.0.1:$db_port\"" 'process = "python3"'
}
config
start_daemon "$dir/daemon.log" -f -c "$dir/agent.toml"
check "the daemon learns this host's listeners first" \
	wait_for 20 file_contains "$dir/daemon.log" "listeners: learnt"

firing() { webhook_alerts_at_least "$dir" 1 "a['state'] == 'firing' and $1"; }
resolved() { webhook_alerts_at_least "$dir" 1 "a['state'] == 'resolved' and $1"; }
web="a['rule'] == 'new_listener' and a['labels'].get('port') == '$web_port'"
db="a['rule'] == 'check_failed' and a['labels'].get('check') == 'db-port'"

(cd "$dir/www" && exec setpriv --reuid="$uid" --regid="$uid" --clear-groups \
	/usr/bin/python3 -m http.server --bind 127.0.0.1 "$web_port" \
	>/dev/null 2>&1) &
web_pid=$!
TEST_PIDS+=("$web_pid")
check "a new listener on 127.0.0.1 fires a security alert" \
	wait_for 20 firing "$web"
check "naming the process, its user, the address and the port" \
	firing "$web and a['labels'].get('process') == 'python3' and a['labels'].get('user') == 'uid $uid' and a['labels'].get('protocol') == 'tcp' and 'python3' in a['summary'] and '127.0.0.1:$web_port/tcp' in a['summary'] and 'uid $uid' in a['summary']"
kill -TERM "$web_pid"
wait "$web_pid" 2>/dev/null
check "closed, it is resolved" wait_for 20 resolved "$web"
check "one alert for it (and its resolution), not one per tick" \
	test "$(webhook_alert_count "$dir" "$web and a['state'] == 'firing'")" -eq 1

check "the listener a check expects is there: no alert" \
	test "$(webhook_alert_count "$dir" "$db")" -eq 0
kill -TERM "$DB_PID"
wait "$DB_PID" 2>/dev/null
check "it goes away: the listen check fires" \
	wait_for 20 firing "$db and 'nothing listens on 127.0.0.1:$db_port/tcp' in a['summary']"
listen_forever "$db_port"
check "back: resolved" wait_for 20 resolved "$db"

stop_pid "$DAEMON_PID"
check "the baseline is in the state directory" \
	grep -q "\"learnt\":true" "$dir/state/listeners.json"
start_daemon "$dir/daemon2.log" -f -c "$dir/agent.toml"
check "after a restart the baseline is loaded, not learnt again" \
	wait_for 20 eval 'file_contains "$dir/daemon2.log" "listeners: baseline of" &&
		! file_contains "$dir/daemon2.log" "listeners: learning"'
(cd "$dir/www" && exec setpriv --reuid="$uid" --regid="$uid" --clear-groups \
	/usr/bin/python3 -m http.server --bind 127.0.0.1 "$web_port" \
	>/dev/null 2>&1) &
web_pid=$!
TEST_PIDS+=("$web_pid")
check "a listener not in the baseline alerts at once (no new learning period)" \
	wait_for 20 eval '[ "$(webhook_alert_count "$dir" "$web and a['"'"'state'"'"'] == '"'"'firing'"'"'")" -ge 2 ]'
# Listeners present since the start were judged at the first scan, before it.
check "no alert for the listeners it knows (the expected one, the receiver's)" \
	test "$(webhook_alert_count "$dir" "a['rule'] == 'new_listener' and a['labels'].get('port') in ('$db_port', 'ephemeral')")" -eq 0
stop_pid "$web_pid"

# The agent's own sockets: none listening, none bound.
inodes=$(find "/proc/$DAEMON_PID/fd" -lname 'socket:*' -printf '%l\n' 2>/dev/null |
	sed 's/socket:\[\(.*\)\]/\1/')
bound=0
for inode in $inodes; do
	awk -v i="$inode" '$10 == i && ($4 == "0A" || $4 == "07")' \
		/proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 | grep -q . &&
		bound=$((bound + 1))
done
check "the agent itself listens on nothing and binds nothing" test "$bound" -eq 0
stop_pid "$DAEMON_PID"
stop_pid "$DB_PID"
check "no error was logged" eval '! grep -h "^<[0-3]>" "$dir/daemon.log" \
	"$dir/daemon2.log" | grep -qv SYSOPS_RULE='
