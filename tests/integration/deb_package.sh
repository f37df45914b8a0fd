# deb_package.sh - the Debian package as an operator meets it: `make deb`'s
# scripts build it from the `make dist` tarball with no lintian error or
# warning; `dpkg -i` installs it on this machine with the binary, man pages,
# unit (enabled), sysusers/tmpfiles snippets, the sysops-agent user and the
# configuration (a conffile, 0640 root:sysops-agent) in place; the installed
# binary accepts the installed configuration and the installed daemon drops
# to its user; `dpkg --purge` removes it all again. Needs root and dpkg-dev.
. "$(dirname "$0")/lib.sh"

quietly() { "$@" >/dev/null 2>&1; }

if [ "$(id -u)" -ne 0 ]; then
	skip "installing a package needs root"
	exit 0
fi
for tool in dpkg-buildpackage dh dpkg; do
	if ! command -v "$tool" >/dev/null; then
		skip "$tool not installed (scripts/install-deps installs it)"
		exit 0
	fi
done
if dpkg-query -W -f='${Status}' sysops-agent 2>/dev/null | grep -q 'ok installed'; then
	skip "the sysops-agent package is installed here; not replacing it"
	exit 0
fi

version=$(sed -n 's/^VERSION *:= *//p' Makefile)
arch=$(dpkg --print-architecture)
deb=$TEST_TMP/deb/sysops-agent_${version}-1_${arch}.deb
user_existed=0
getent passwd sysops-agent >/dev/null && user_existed=1
installed=0

# Leaves the machine as it was, whatever happened above.
restore() {
	if [ "$installed" -eq 1 ]; then
		dpkg --purge sysops-agent >/dev/null 2>&1
	fi
	if [ "$user_existed" -eq 0 ] && getent passwd sysops-agent >/dev/null; then
		# -f: a daemon another test started as root while the user
		# existed runs as it now, and plain userdel would refuse,
		# leaving every later root daemon to drop to this user.
		userdel -f sysops-agent 2>/dev/null
		getent group sysops-agent >/dev/null && groupdel sysops-agent 2>/dev/null
	fi
	return 0
}
trap 'restore; cleanup' EXIT

# dpkg waits for nobody: retry while another installation holds its lock.
run_dpkg() {
	local deadline=$((SECONDS + 120))
	until dpkg "$@" >"$TEST_TMP/dpkg.log" 2>&1; do
		grep -q 'lock' "$TEST_TMP/dpkg.log" || return 1
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 1
	done
}

check "debian/changelog has the Makefile's version ($version)" \
	grep -q "^sysops-agent ($version-" debian/changelog
scripts/make-dist "$version" "$TEST_TMP/sysops-agent-$version.tar.gz" >/dev/null
start=$SECONDS
scripts/build-deb "$TEST_TMP/sysops-agent-$version.tar.gz" "$TEST_TMP/deb" \
	>"$TEST_TMP/build.log" 2>&1
status=$?
echo "# dpkg-buildpackage -us -uc -b and lintian: $((SECONDS - start)) s"
check "dpkg-buildpackage builds the package and lintian passes" test "$status" -eq 0
if [ "$status" -ne 0 ]; then
	tail -n 20 "$TEST_TMP/build.log" | sed 's/^/# /'
	exit 0
fi
grep -E '^[EWIXPON]: ' "$TEST_TMP/build.log" | sed 's/^/# lintian: /'
if command -v lintian >/dev/null; then
	check "lintian reports no error and no warning" \
		eval '! grep -qE "^[EW]: " "$TEST_TMP/build.log"'
else
	skip "lintian not installed"
fi
check "the package is $(basename "$deb")" test -f "$deb"
check "its Depends come from the shared libraries it links" \
	eval 'dpkg-deb -f "$deb" Depends | grep -q "libcap-ng0.*libsystemd0\|libsystemd0.*libcap-ng0"'

run_dpkg -i "$deb"
status=$?
[ "$status" -eq 0 ] && installed=1
check "dpkg -i installs it" test "$status" -eq 0
[ "$status" -eq 0 ] || { sed 's/^/# /' "$TEST_TMP/dpkg.log"; exit 0; }

unit_dir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
unit_dir=${unit_dir:-/lib/systemd/system}
check "the binary is /usr/sbin/sysops-agent" test -x /usr/sbin/sysops-agent
check "the unit is $unit_dir/sysops-agent.service" test -f "$unit_dir/sysops-agent.service"
check "the unit is enabled for multi-user.target" \
	test -L /etc/systemd/system/multi-user.target.wants/sysops-agent.service
check "sysops-agent(8) is installed" test -f /usr/share/man/man8/sysops-agent.8.gz
check "sysops-agent.toml(5) is installed" test -f /usr/share/man/man5/sysops-agent.toml.5.gz
check "the sysusers.d snippet is installed" test -f /usr/lib/sysusers.d/sysops-agent.conf
check "the tmpfiles.d snippet is installed" test -f /usr/lib/tmpfiles.d/sysops-agent.conf
check "the user sysops-agent was created, with no login shell" \
	eval 'getent passwd sysops-agent | grep -q ":/usr/sbin/nologin$"'
check "sysops-agent is a member of systemd-journal" \
	eval 'id -nG sysops-agent | grep -qw systemd-journal'
check "the state directory belongs to sysops-agent, mode 750" \
	test "$(stat -c %U:%G:%a /var/lib/sysops-agent)" = sysops-agent:sysops-agent:750
check "the configuration is a conffile" \
	eval 'dpkg-query -W -f="\${Conffiles}" sysops-agent | grep -q "/etc/sysops-agent/config.toml"'
check "the configuration is root:sysops-agent, mode 640" \
	test "$(stat -c %U:%G:%a /etc/sysops-agent/config.toml)" = root:sysops-agent:640
check "its directory is root:sysops-agent, mode 750" \
	test "$(stat -c %U:%G:%a /etc/sysops-agent)" = root:sysops-agent:750
/usr/sbin/sysops-agent check-config --print -c /etc/sysops-agent/config.toml \
	>"$TEST_TMP/check.out" 2>&1
check "sysops-agent check-config accepts the installed configuration" test $? -eq 0
check "check-config prints the effective configuration" \
	grep -qx 'state_dir = "/var/lib/sysops-agent"' "$TEST_TMP/check.out"
if command -v setpriv >/dev/null; then
	check "the sysops-agent user can read it without any capability" \
		quietly setpriv --reuid=sysops-agent --regid=sysops-agent \
		--init-groups /usr/sbin/sysops-agent check-config
fi

# Where systemd runs the machine, the postinst started the real unit.
if [ -d /run/systemd/system ]; then
	check "under systemd the service is active" \
		wait_for 15 systemctl is-active --quiet sysops-agent
	main_pid=$(systemctl show -P MainPID sysops-agent)
	check "the service runs as sysops-agent" \
		test "$(stat -c %U "/proc/$main_pid")" = sysops-agent
	check "with exactly CAP_DAC_READ_SEARCH and CAP_SYSLOG" \
		grep -qx 'CapEff:[[:space:]]*0000000400000004' "/proc/$main_pid/status"
	check "and no_new_privs" grep -qx 'NoNewPrivs:[[:space:]]*1' "/proc/$main_pid/status"
else
	skip "systemd is not PID 1 here, so the postinst did not start the unit (sandbox.sh rebuilds its conditions)"
fi

# The installed daemon, started by hand as root, drops to its user and
# writes its state where the package made room for it.
AGENT=/usr/sbin/sysops-agent start_daemon "$TEST_TMP/daemon.log" -f
check "the installed daemon starts on the installed configuration" \
	wait_for 10 file_contains "$TEST_TMP/daemon.log" "ready"
check "and runs as sysops-agent" \
	file_contains "$TEST_TMP/daemon.log" "running as sysops-agent (uid $(id -u sysops-agent)"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
check "and stops cleanly" test $? -eq 0

run_dpkg --purge sysops-agent
status=$?
[ "$status" -eq 0 ] && installed=0
check "dpkg --purge removes it" test "$status" -eq 0
check "the package is gone" eval '! dpkg-query -W -f="\${Status}" sysops-agent 2>/dev/null | grep -q "ok installed"'
check "the binary is gone" test ! -e /usr/sbin/sysops-agent
check "the unit is gone" test ! -e "$unit_dir/sysops-agent.service"
check "the enablement symlink is gone" \
	test ! -L /etc/systemd/system/multi-user.target.wants/sysops-agent.service
check "the configuration is gone" test ! -e /etc/sysops-agent
check "the state directory is gone" test ! -e /var/lib/sysops-agent
