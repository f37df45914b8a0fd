# privilege.sh - least privilege as an operator meets it: started by hand as
# root the agent becomes sysops-agent with exactly CAP_DAC_READ_SEARCH and
# CAP_SYSLOG (bounding set empty, no_new_privs), reloads its config from a
# root-only directory, holds no listening or bound socket, and refuses a state
# directory it may not write; started as an ordinary user it runs with what it
# has and says once what is degraded. Needs root (skipped otherwise).
. "$(dirname "$0")/lib.sh"


if [ "$(id -u)" -ne 0 ]; then
	skip "privilege tests need root (run make check as root)"
	exit 0
fi

USER_NAME=sysops-agent
# CAP_DAC_READ_SEARCH is 2, CAP_SYSLOG is 34.
KEPT_MASK=0000000400000004
NONE_MASK=0000000000000000
user_created=0

remove_test_user() {
	if [ "$user_created" -eq 1 ]; then
		userdel "$USER_NAME" 2>/dev/null
		getent group "$USER_NAME" >/dev/null && groupdel "$USER_NAME" 2>/dev/null
	fi
	return 0
}
trap 'remove_test_user; cleanup' EXIT

# status_field PID Name: the value of one /proc/PID/status line.
status_field() {
	awk -v key="$2:" '$1 == key { $1 = ""; sub(/^ +/, ""); print; exit }' \
		"/proc/$1/status"
}

socket_inodes() {
	local fd target
	for fd in /proc/"$1"/fd/*; do
		target=$(readlink "$fd" 2>/dev/null) || continue
		case $target in socket:\[*\]) target=${target#socket:[}; echo "${target%]}" ;; esac
	done
}

# bound_sockets PID: one line per socket of PID that listens or is bound to
# an address, found by matching its socket inodes against the kernel's
# tables: TCP in LISTEN (st 0A), any UDP/UDP-Lite/raw entry (present only
# once bound), any unix socket with a name or the listening flag.
bound_sockets() {
	local inodes tables=() t
	inodes=" $(socket_inodes "$1" | tr '\n' ' ')"
	for t in tcp tcp6 udp udp6 udplite udplite6 raw raw6 unix; do
		[ -r "/proc/$1/net/$t" ] && tables+=("/proc/$1/net/$t")
	done
	awk -v inodes="$inodes" '
	FNR == 1 { family = FILENAME; sub(/.*\//, "", family); next }
	family == "unix" {
		if (index(inodes, " " $7 " ") && ($8 != "" || $4 == "00010000"))
			print family, $7, "bound", $8
		next
	}
	index(inodes, " " $10 " ") {
		if (family !~ /^tcp/) print family, $10, "bound", $2
		else if ($4 == "0A") print family, $10, "listening", $2
	}' "${tables[@]}"
}

cfg=$TEST_TMP/config.toml
state=$TEST_TMP/state
log=$TEST_TMP/daemon.log
write_config "$cfg" '[agent]' 'collect_interval_secs = 1' "state_dir = \"$state\""

# The checker must see what it is looking for, or its silence proves nothing.
listener_ready=$TEST_TMP/listener.ready
python3 - "$TEST_TMP/listener.sock" "$listener_ready" <<'EOF' &
import socket, sys, time
tcp = socket.socket(); tcp.bind(("127.0.0.1", 0)); tcp.listen()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("127.0.0.1", 0))
unix = socket.socket(socket.AF_UNIX); unix.bind(sys.argv[1]); unix.listen()
client = socket.socket(socket.AF_UNIX); client.connect(sys.argv[1])
open(sys.argv[2], "w").close()
time.sleep(60)
EOF
listener=$!
TEST_PIDS+=("$listener")
wait_for 5 test -e "$listener_ready"
found=$(bound_sockets "$listener")
echo "# a process that listens, as the checker sees it:"; sed 's/^/#   /' <<<"$found"
check "the socket checker finds a listening TCP socket" grep -q '^tcp .* listening' <<<"$found"
check "the socket checker finds a bound UDP socket" grep -q '^udp .* bound' <<<"$found"
check "the socket checker finds a bound unix socket" grep -q "^unix .* bound $TEST_TMP/listener.sock" <<<"$found"
check "the socket checker ignores a connected unix client" \
	test "$(grep -c "^unix" <<<"$found")" -eq 1
kill "$listener"

# Root on a machine without the service account: uid 0 stays, the rest goes.
if getent passwd "$USER_NAME" >/dev/null; then
	skip "user $USER_NAME exists here, the no-account case cannot be shown"
else
	start_daemon "$log.noaccount" -f -c "$cfg"
	pid=$DAEMON_PID
	wait_for 5 file_contains "$log.noaccount" "ready"
	check "without the account, root keeps only the two capabilities" \
		test "$(status_field "$pid" CapEff)" = "$KEPT_MASK"
	check "without the account, the bounding set is empty" \
		test "$(status_field "$pid" CapBnd)" = "$NONE_MASK"
	check "without the account, no_new_privs is set" \
		test "$(status_field "$pid" NoNewPrivs)" = 1
	check "without the account, it warns how to create it" \
		file_contains "$log.noaccount" "user $USER_NAME does not exist"
	kill -TERM "$pid"; wait "$pid"
	rm -rf "$state"
fi

# The account as the packages create it, from the shipped sysusers.d snippet.
if ! getent passwd "$USER_NAME" >/dev/null; then
	if command -v systemd-sysusers >/dev/null; then
		systemd-sysusers "$PWD/etc/sysusers.d/sysops-agent.conf" >/dev/null
	else
		useradd --system --user-group --no-create-home \
			--shell /usr/sbin/nologin "$USER_NAME"
	fi
	user_created=1
fi
check "the sysusers.d snippet creates the $USER_NAME account" \
	getent passwd "$USER_NAME"
uid=$(id -u "$USER_NAME")
gid=$(id -g "$USER_NAME")
journal_gid=$(getent group systemd-journal | cut -d: -f3)

start_daemon "$log" -f -c "$cfg"
pid=$DAEMON_PID
check "started as root, the daemon becomes ready" wait_for 5 file_contains "$log" "ready"
echo "# /proc/$pid/status after start-up:"
grep -E '^(Uid|Gid|Groups|Cap[A-Za-z]+|NoNewPrivs):' "/proc/$pid/status" | sed 's/^/#   /'
check "real, effective, saved and fs uid are $USER_NAME ($uid)" \
	test "$(status_field "$pid" Uid)" = "$uid $uid $uid $uid"
check "real, effective, saved and fs gid are $USER_NAME ($gid)" \
	test "$(status_field "$pid" Gid)" = "$gid $gid $gid $gid"
if [ -n "$journal_gid" ]; then
	check "the only supplementary group is systemd-journal" \
		test "$(status_field "$pid" Groups)" = "$journal_gid"
else
	check "no supplementary groups (no systemd-journal group here)" \
		test -z "$(status_field "$pid" Groups)"
fi
check "CapEff is exactly CAP_DAC_READ_SEARCH + CAP_SYSLOG" \
	test "$(status_field "$pid" CapEff)" = "$KEPT_MASK"
check "CapPrm is exactly CAP_DAC_READ_SEARCH + CAP_SYSLOG" \
	test "$(status_field "$pid" CapPrm)" = "$KEPT_MASK"
check "CapInh and CapAmb are empty (nothing passes to a child)" \
	test "$(status_field "$pid" CapInh)$(status_field "$pid" CapAmb)" = "$NONE_MASK$NONE_MASK"
check "CapBnd is empty" test "$(status_field "$pid" CapBnd)" = "$NONE_MASK"
check "NoNewPrivs is 1" test "$(status_field "$pid" NoNewPrivs)" = 1
check "it logs what it kept" file_contains "$log" \
	"running as $USER_NAME (uid $uid, gid $gid"
check "the log names both capabilities and the cleared bounding set" \
	grep -q 'capabilities kept: cap_dac_read_search, cap_syslog; bounding set cleared; no_new_privs set' "$log"
check "the state directory it created belongs to $USER_NAME" \
	test "$(stat -c %U:%a "$state")" = "$USER_NAME:750"

sockets=$(socket_inodes "$pid" | wc -l)
bound=$(bound_sockets "$pid")
echo "# the daemon holds $sockets socket(s); bound or listening: ${bound:-none}"
check "the daemon has no listening or bound socket of any family" test -z "$bound"

# The config sits in a root-only (0700) directory: reading it again after the
# switch works through CAP_DAC_READ_SEARCH alone.
write_config "$cfg" '[agent]' 'collect_interval_secs = 2' "state_dir = \"$state\""
kill -HUP "$pid"
check "after dropping root, SIGHUP still reloads the config" \
	wait_for 5 file_contains "$log" "configuration reloaded"
kill -TERM "$pid"
wait "$pid"
check "it stops cleanly (exit 0)" test $? -eq 0

# A state directory it did not create and may not write is never chowned.
mkdir "$TEST_TMP/rootowned"
write_config "$cfg.2" '[agent]' "state_dir = \"$TEST_TMP/rootowned\""
timeout 10 "$AGENT" -f -c "$cfg.2" >"$log.2" 2>&1
check "a root-owned state directory stops start-up with exit 1" test $? -eq 1
check "the error says whose it is and how to fix it" grep -q \
	"state directory $TEST_TMP/rootowned (owner root, mode 0755) is not writable by uid $uid; run 'chown $USER_NAME: $TEST_TMP/rootowned'" "$log.2"
check "the directory was left to root" test "$(stat -c %U "$TEST_TMP/rootowned")" = root

# An ordinary user: no capabilities at all, then some it does not need.
if ! command -v setpriv >/dev/null; then
	skip "setpriv (util-linux) not installed"
	exit 0
fi
nobody_gid=$(id -g nobody)
home=$TEST_TMP/nobody
mkdir "$home"
chown nobody "$home"
chmod o+x "$TEST_TMP"
write_config "$home/config.toml" '[agent]' "state_dir = \"$home/state\""
chmod 0644 "$home/config.toml"

setpriv --reuid=nobody --regid="$nobody_gid" --clear-groups \
	"$AGENT" -f -c "$home/config.toml" >"$log.user" 2>&1 &
pid=$!
TEST_PIDS+=("$pid")
check "as an ordinary user it starts" wait_for 5 file_contains "$log.user" "ready"
check "as an ordinary user NoNewPrivs is 1" test "$(status_field "$pid" NoNewPrivs)" = 1
check "as an ordinary user it holds no capability" \
	test "$(status_field "$pid" CapEff)" = "$NONE_MASK"
check "it says once which sources are degraded" \
	test "$(grep -c 'degraded:' "$log.user")" -eq 1
check "the degraded list names the process and journal sources" \
	grep -q 'degraded: processes: .*journal: only this user' "$log.user"
kill -TERM "$pid"; wait "$pid"

setpriv --reuid=nobody --regid="$nobody_gid" --clear-groups \
	--inh-caps=+dac_read_search,+net_admin \
	--ambient-caps=+dac_read_search,+net_admin \
	"$AGENT" -f -c "$home/config.toml" >"$log.extra" 2>&1 &
pid=$!
TEST_PIDS+=("$pid")
wait_for 5 file_contains "$log.extra" "ready"
check "given CAP_NET_ADMIN too, it keeps only CAP_DAC_READ_SEARCH" \
	test "$(status_field "$pid" CapEff)/$(status_field "$pid" CapPrm)" = \
	"0000000000000004/0000000000000004"
check "its ambient set is cleared" test "$(status_field "$pid" CapAmb)" = "$NONE_MASK"
if [ "$(cat /proc/sys/kernel/dmesg_restrict)" = 1 ]; then
	check "without CAP_SYSLOG under dmesg_restrict=1 the kernel log is degraded" \
		grep -q 'degraded: kernel log: /dev/kmsg' "$log.extra"
else
	check "with dmesg_restrict=0 nothing is degraded" \
		test "$(grep -c 'degraded' "$log.extra")" -eq 0
fi
kill -TERM "$pid"; wait "$pid"
