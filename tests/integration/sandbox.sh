# sandbox.sh - the daemon in the conditions the unit gives it, as far as
# they can be made without systemd as PID 1: an unprivileged user holding
# CAP_DAC_READ_SEARCH and CAP_SYSLOG as ambient capabilities, a bounding set
# of those two, no_new_privs, and writable+executable memory refused by the
# kernel (MemoryDenyWriteExecute). It must start, collect, reload and stop
# there without complaint, and every system call it makes (strace) must be
# one the unit's SystemCallFilter= allows; its config has a check of each
# kind that needs no server, so a command's fork, capset and exec, resolver
# threads and libcurl are traced too. Needs root, setpriv and strace.
. "$(dirname "$0")/lib.sh"


if [ "$(id -u)" -ne 0 ]; then
	skip "setting up the sandbox needs root"
	exit 0
fi
if ! command -v setpriv >/dev/null; then
	skip "setpriv (util-linux) not installed"
	exit 0
fi

mdwe=$BUILD/tests/tools/mdwe_exec
home=$TEST_TMP/service
mkdir "$home"
chown nobody "$home"
chmod o+x "$TEST_TMP"
# Checks of every kind that runs here without a server: a command (fork,
# capset, exec), connects refused by address and by name (getaddrinfo_a's
# threads), curl for http and a TLS handshake, certificate files, /proc,
# and the listening sockets with their owners.
checks=('[[checks]]' 'name = "cmd"' 'type = "command"' 'command = ["/bin/true"]'
	'[[checks]]' 'name = "port"' 'type = "tcp"' 'target = "127.0.0.1:1"'
	'[[checks]]' 'name = "named"' 'type = "tcp"' 'target = "localhost:1"'
	'[[checks]]' 'name = "web"' 'type = "http"' 'url = "http://127.0.0.1:1/"'
	'[[checks]]' 'name = "tls"' 'type = "tls"' 'target = "127.0.0.1:1"'
	'[[checks]]' 'name = "certs"' 'type = "tls"' 'files = ["/etc/ssl/certs/*.pem"]'
	'[[checks]]' 'name = "self"' 'type = "process"' 'process = "sysops-agent"'
	'[[checks]]' 'name = "nothing"' 'type = "listen"' 'target = "*:1"')
# The failing checks' alerts go to a webhook: the delivery launcher and a
# delivery process (libcurl, its resolver and TLS) are traced as well.
start_receiver "$TEST_TMP" "sandbox-hmac" || { not_ok "receiver started"; exit 1; }
channel=('[alerting]' 'group_wait_secs = 0' '[alerting.rate_limit]'
	'min_interval_secs = 0' '[alerting.console]' 'enabled = false'
	'[alerting.webhook]' "url = \"$RECEIVER_URL/webhook/sandbox\""
	'hmac_secret = "sandbox-hmac"')
write_config "$home/config.toml" '[agent]' 'collect_interval_secs = 1' \
	"state_dir = \"$home/state\"" "${channel[@]}" "${checks[@]}"
# nobody reads it; no one else may (it holds the webhook's HMAC secret).
chown nobody "$home/config.toml"

# The unit's identity and capabilities; nobody stands in for sysops-agent.
as_service=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups
	--inh-caps=-all,+dac_read_search,+syslog
	--ambient-caps=-all,+dac_read_search,+syslog
	--bounding-set=-all,+dac_read_search,+syslog --no-new-privs)

"$mdwe" true 2>/dev/null
if [ $? -eq 77 ]; then
	skip "this kernel has no PR_SET_MDWE (Linux 6.3+)"
	wrapper=()
else
	wrapper=("$mdwe")
fi

tracer=()
if [ -n "${SAN:-}" ] && [ "$SAN" = 1 ]; then
	skip "system calls are not compared under SAN=1 (the sanitizer runtime makes its own)"
elif command -v strace >/dev/null && command -v systemd-analyze >/dev/null; then
	tracer=(strace -f -qq -o "$TEST_TMP/trace")
else
	skip "strace or systemd-analyze not installed"
fi

log=$TEST_TMP/daemon.log
"${tracer[@]}" "${wrapper[@]}" "${as_service[@]}" "$AGENT" -f -c "$home/config.toml" \
	>"$log" 2>&1 &
pid=$!
TEST_PIDS+=("$pid")
check "in the sandbox the daemon starts and collects" \
	wait_for 10 file_contains "$log" "first collection done; ready"
check "it keeps both capabilities and reports nothing degraded" eval \
	'grep -q "capabilities kept: cap_dac_read_search, cap_syslog" "$log" &&
	 ! grep -q degraded "$log"'
check "a failing check's alert went out through the delivery process" \
	wait_for 30 requests_at_least "$TEST_TMP" 1 'r["valid"]'
write_config "$home/config.toml" '[agent]' 'collect_interval_secs = 2' \
	"state_dir = \"$home/state\"" "${channel[@]}" "${checks[@]}"
chown nobody "$home/config.toml"
# Under strace the daemon is strace's child; otherwise the exec chain
# (mdwe_exec, setpriv, daemon) kept one pid.
daemon_pid=$pid
[ ${#tracer[@]} -gt 0 ] && daemon_pid=$(pgrep -P "$pid")
kill -HUP "$daemon_pid"
check "it reloads in the sandbox" wait_for 10 file_contains "$log" "configuration reloaded"
kill -TERM "$daemon_pid"
wait "$pid"
check "it stops cleanly in the sandbox" test $? -eq 0
# Alerts about the host (the console channel's records, SYSOPS_RULE=...) are
# not failures: with a fresh state the kmsg source reads the whole ring, and
# a crash another program left there is rightly reported.
check "nothing failed along the way (no error or warning logged)" \
	eval '! grep "^<[0-4]>" "$log" | grep -qv " SYSOPS_RULE="'
grep "^<[0-4]>" "$log" | grep -v " SYSOPS_RULE=" | sed 's/^<[0-4]>/# /'

[ ${#tracer[@]} -gt 0 ] || exit 0

# Allowed: @system-service minus @privileged and @resources, plus capset
# and seccomp (the unit's third and fourth SystemCallFilter= lines, for
# command checks and the daemon's own filters), groups
# expanded from this machine's own systemd-analyze (so the list matches its
# systemd).
systemd-analyze syscall-filter 2>/dev/null | python3 -c '
import sys
groups, current = {}, None
for line in sys.stdin:
    if line.startswith("@"):
        current = line.split()[0]
        groups[current] = []
    elif current and line.strip() and not line.strip().startswith("#"):
        groups[current].append(line.split()[0])
def expand(name, seen=None):
    seen = set() if seen is None else seen
    if not name.startswith("@"):
        return {name}
    if name in seen:
        return set()
    seen.add(name)
    out = set()
    for member in groups.get(name, []):
        out |= expand(member, seen)
    return out
allowed = expand("@system-service") - expand("@privileged") - expand("@resources")
for call in sorted(allowed | {"capset", "seccomp"}):
    print(call)
' >"$TEST_TMP/allowed"
check "the unit's filter allows a known set of calls" \
	test "$(wc -l <"$TEST_TMP/allowed")" -gt 100

# The daemon's own calls: from its execve on, in every thread and child.
daemon_tid=$(awk -v agent="$AGENT" 'index($0, "execve(\"" agent "\"") { print $1; exit }' \
	"$TEST_TMP/trace")
awk -v start="$daemon_tid" -v agent="$AGENT" '
$1 == start && index($0, "execve(\"" agent "\"") { on = 1 }
on && match($2, /^[a-z_0-9]+\(/) { print substr($2, 1, RLENGTH - 1) }
on && $2 == "<..." { print $3 }' "$TEST_TMP/trace" | sort -u >"$TEST_TMP/used"
echo "# system calls made: $(wc -l <"$TEST_TMP/used"): $(tr '\n' ' ' <"$TEST_TMP/used")"
check "strace saw the daemon's system calls" test -s "$TEST_TMP/used"
# One refusal is known and handled: the host collector reads the clock's
# synchronisation state with adjtimex (clock_adjtime), which ProtectClock=yes
# denies; the collector then says once that clock sync is not watched.
refused=$(comm -23 "$TEST_TMP/used" "$TEST_TMP/allowed" | grep -vx clock_adjtime | tr '\n' ' ')
check "every system call it makes is allowed by the unit's filter${refused:+ (refused: $refused)}" \
	test -z "$refused"

# The comparison can fail: setpriv's calls before the daemon's execve (it
# switched uid and groups) are ones the filter refuses.
awk 'match($2, /^[a-z_0-9]+\(/) { print substr($2, 1, RLENGTH - 1) }' \
	"$TEST_TMP/trace" | sort -u >"$TEST_TMP/used-by-all"
check "the same comparison refuses setpriv's setresuid and setgroups" eval \
	'comm -23 "$TEST_TMP/used-by-all" "$TEST_TMP/allowed" | grep -qx setresuid &&
	 comm -23 "$TEST_TMP/used-by-all" "$TEST_TMP/allowed" | grep -qx setgroups'
