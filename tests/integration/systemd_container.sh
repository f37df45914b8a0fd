#!/usr/bin/env bash
# systemd_container.sh - the .deb under a real systemd: systemd 25x boots as
# PID 1 in a container (systemd-nspawn) of a minbase root of this machine's
# Debian release, the package built from this tree is installed there and the
# packaged unit is checked as an operator meets it: active and READY, the
# capabilities of its process, `systemctl reload` with a good and a bad
# configuration, a bad configuration at start (failed, no restart loop), a
# second filesystem on /home seen and its read-only remount alerted, and a
# `logger` line reaching a journal rule.
#
# The root is made once with debootstrap (scripts/minbase-root, about 2 min)
# and kept in build/nspawn/SUITE/base; each run boots it with
# --volatile=overlay, so what the test changes lives in a tmpfs and the root
# stays clean. The .deb is kept in build/nspawn/deb-HASH for one source tree.
# Without a host systemd the container runs with --keep-unit --register=no
# and commands run in it through nsenter into its PID 1; where /run is not a
# tmpfs, one is mounted on /run/systemd/nspawn for nspawn (and unmounted).
# Needs root, systemd-nspawn (systemd-container), debootstrap, dpkg-dev,
# losetup and mkfs.ext4; skips with the reason where they are missing or
# nspawn cannot run. Two copies of the suite take turns (a lock).
. "$(dirname "$0")/lib.sh"

skip_all() {
	skip "$*"
	exit 0
}

[ "$(id -u)" -eq 0 ] || skip_all "booting a container needs root"
# shellcheck disable=SC1091
suite=$(. /etc/os-release && [ "${ID:-}" = debian ] && echo "${VERSION_CODENAME:-}")
[ -n "$suite" ] || skip_all "not a Debian release with a codename (debootstrap makes the root)"
for tool in systemd-nspawn:systemd-container debootstrap:debootstrap \
	dpkg-buildpackage:dpkg-dev dh:debhelper nsenter:util-linux \
	losetup:mount mkfs.ext4:e2fsprogs flock:util-linux; do
	command -v "${tool%%:*}" >/dev/null ||
		skip_all "${tool%%:*} not installed (${tool#*:}; scripts/install-deps test installs it)"
done
# A chroot: PID 1's root (where it is readable) is not ours.
pid1_root=$(stat -Lc %d:%i /proc/1/root/ 2>/dev/null)
if [ -n "$pid1_root" ] && [ "$pid1_root" != "$(stat -Lc %d:%i /)" ]; then
	skip_all "running in a chroot (scripts/distro-check): the host's make check boots the container"
fi

test_start=$SECONDS
phase_start=$SECONDS
# phase NAME: how long the step since the last phase took, for the report.
phase() {
	echo "# $1: $((SECONDS - phase_start)) s"
	phase_start=$SECONDS
}

work=build/nspawn
mkdir -p "$work"
# One container at a time on this machine (a second copy of the suite waits):
# the root, the .deb cache and /run/systemd/nspawn are shared.
exec 9>"$work/lock"
flock -w 900 9 || skip_all "another copy of this test held $work/lock for 15 min"

# --- the package, built once per source tree ---
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
arch=$(dpkg --print-architecture)
scripts/make-dist "$version" "$TEST_TMP/source.tar.gz" >/dev/null
hash=$(sha256sum "$TEST_TMP/source.tar.gz" | cut -c1-16)
deb_dir=$work/deb-$hash
deb=$deb_dir/sysops-agent_${version}-1_${arch}.deb
if [ ! -f "$deb" ]; then
	for old in "$work"/deb-*; do
		[ -d "$old" ] && rm -rf --one-file-system "$old"
	done
	scripts/build-deb "$TEST_TMP/source.tar.gz" "$deb_dir" >"$TEST_TMP/build-deb.log" 2>&1
	# lintian's verdict is deb_package.sh's; here only the package counts.
	if [ ! -f "$deb" ]; then
		not_ok "make deb's scripts build $(basename "$deb")"
		tail -n 15 "$TEST_TMP/build-deb.log" | sed 's/^/# /'
		exit 0
	fi
	phase "dpkg-buildpackage (no cached .deb for this tree)"
fi

# --- the root: minbase, systemd, and what the package depends on ---
# deb_depends DEB: one package per Depends entry, the alternative installed
# here (the package was built against it), else the first.
deb_depends() {
	local entry alternatives name chosen
	dpkg-deb -f "$1" Depends | tr ',' '\n' | while IFS= read -r entry; do
		IFS='|' read -ra alternatives <<<"$entry"
		chosen=""
		for name in "${alternatives[@]}"; do
			name=$(sed 's/(.*//; s/[[:space:]]//g' <<<"$name")
			[ -n "$chosen" ] || chosen=$name
			if dpkg-query -W -f='${Status}' "$name" 2>/dev/null | grep -q 'ok installed'; then
				chosen=$name
				break
			fi
		done
		echo "$chosen"
	done
}
mapfile -t packages < <(deb_depends "$deb")
root=$work/$suite/base
if ! scripts/minbase-root --cache-dir "$work/$suite/archives" \
	--log "$work/$suite/debootstrap.log" "$suite" "$root" \
	systemd-sysv dbus "${packages[@]}" 2>"$TEST_TMP/minbase.err"; then
	sed 's/^/# /' "$TEST_TMP/minbase.err"
	skip_all "debootstrap could not make a $suite root (no mirror or network?)"
fi
phase "minbase root ($root)"

# --- host side: /run for nspawn, a filesystem for /home ---
nspawn_pid="" leader="" run_mounted=0 run_made=0 home_mounted=0 loop=""
home=$TEST_TMP/home
teardown() {
	local i
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		# SIGTERM: nspawn asks the container's systemd to power off.
		kill -TERM "$nspawn_pid" 2>/dev/null
		for ((i = 0; i < 150; i++)); do
			kill -0 "$nspawn_pid" 2>/dev/null || break
			sleep 0.2
		done
		if kill -0 "$nspawn_pid" 2>/dev/null; then
			echo "# the container did not power off in 30 s: SIGKILL"
			[ -n "$leader" ] && kill -KILL "$leader" 2>/dev/null
			kill -KILL "$nspawn_pid" 2>/dev/null
		fi
		wait "$nspawn_pid" 2>/dev/null
	fi
	if [ "$home_mounted" -eq 1 ]; then
		umount "$home" 2>/dev/null || umount --lazy "$home" 2>/dev/null
		home_mounted=0
	fi
	[ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
	loop=""
	if [ "$run_mounted" -eq 1 ]; then
		umount /run/systemd/nspawn 2>/dev/null ||
			umount --lazy /run/systemd/nspawn 2>/dev/null
		run_mounted=0
	fi
	[ "$run_made" -eq 1 ] && rmdir /run/systemd/nspawn 2>/dev/null
	run_made=0
	# Never delete across a filesystem: keep the directory if it is still
	# mounted.
	if mountpoint -q "$home" 2>/dev/null; then
		echo "# $home is still mounted; $TEST_TMP is kept"
		# shellcheck disable=SC2034 # read by lib.sh's cleanup
		KEEP_TMP=1
	fi
	return 0
}
trap 'teardown; cleanup' EXIT

if [ "$(stat -f -c %T /run)" != tmpfs ] && ! mountpoint -q /run/systemd/nspawn; then
	[ -d /run/systemd/nspawn ] || { mkdir -p /run/systemd/nspawn && run_made=1; }
	mount -t tmpfs -o mode=0755,size=16m tmpfs /run/systemd/nspawn && run_mounted=1
fi
truncate -s 64M "$TEST_TMP/home.img"
mkfs.ext4 -q -F -L sysops-home "$TEST_TMP/home.img"
mkdir "$home"
if loop=$(losetup --find --show "$TEST_TMP/home.img" 2>"$TEST_TMP/losetup.err") &&
	mount "$loop" "$home"; then
	home_mounted=1
else
	skip_all "no loop device for a /home filesystem: $(cat "$TEST_TMP/losetup.err")"
fi

# --- boot ---
machine=sysops-test-$$
log=$TEST_TMP/nspawn.log
setsid systemd-nspawn --quiet --keep-unit --register=no --machine="$machine" \
	--capability=CAP_SYSLOG --directory="$root" --volatile=overlay --bind="$home:/home" --boot \
	>"$log" 2>&1 </dev/null &
nspawn_pid=$!

# The container's PID 1: nspawn's child whose PID in its namespace is 1.
find_leader() {
	local child
	for child in $(cat "/proc/$nspawn_pid/task/$nspawn_pid/children" 2>/dev/null); do
		if grep -qE '^NSpid:[[:space:]]+[0-9]+[[:space:]]+1$' "/proc/$child/status" 2>/dev/null; then
			leader=$child
			return 0
		fi
	done
	return 1
}
nspawn_gone() { ! kill -0 "$nspawn_pid" 2>/dev/null; }
wait_for 30 eval 'find_leader || nspawn_gone'
if [ -z "$leader" ]; then
	tail -n 5 "$log" | sed 's/^/# /'
	skip_all "systemd-nspawn cannot run here: $(grep -v '^$' "$log" | tail -n 1)"
fi

# in_ct COMMAND...: run in the container (all its namespaces), bounded.
in_ct() {
	timeout --kill-after=5 60 nsenter --target "$leader" --mount --uts --ipc \
		--net --pid --cgroup -- /usr/bin/env -i LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
booted() {
	local state
	state=$(in_ct systemctl is-system-running 2>/dev/null)
	[ "$state" = running ] || [ "$state" = degraded ]
}
check "systemd boots as PID 1 in the container (systemd-nspawn, $suite)" \
	wait_for 90 booted
echo "# $(in_ct systemctl --version | head -n 1), system $(in_ct systemctl is-system-running)"
phase "boot"
booted || { tail -n 20 "$log" | sed 's/^/# /'; exit 0; }

unit=sysops-agent.service
prop() { in_ct systemctl show -P "$1" "$unit"; }
journal() { in_ct journalctl -q -o cat "$@"; }
unit_log_has() { journal -u "$unit" | grep -qF -- "$1"; }
state_is() { [ "$(prop ActiveState)" = "$1" ]; }

# --- install: the postinst starts the unit ---
in_ct sh -c 'cat >/tmp/sysops-agent.deb' <"$deb"
in_ct dpkg -i /tmp/sysops-agent.deb >"$TEST_TMP/dpkg.log" 2>&1
status=$?
check "dpkg -i installs $(basename "$deb") in the container" test "$status" -eq 0
[ "$status" -eq 0 ] || { sed 's/^/# /' "$TEST_TMP/dpkg.log"; exit 0; }
check "the postinst started the unit: active (running)" \
	wait_for 30 eval '[ "$(prop ActiveState)/$(prop SubState)" = active/running ]'
# Type=notify: systemd logs "Started" only once the daemon sent READY=1.
check "READY=1 reached systemd (Type=notify: \"Started\", status \"$(prop StatusText)\")" \
	eval 'unit_log_has "first collection done; ready" &&
		journal -u "$unit" | grep -q "Started sysops-agent.service"'
pid=$(prop MainPID)
proc_status=$(in_ct cat "/proc/$pid/status")
field() { awk -v k="$1:" '$1 == k { print $2 }' <<<"$proc_status"; }
echo "# MainPID $pid: uid $(field Uid), CapEff $(field CapEff), CapPrm $(field CapPrm), CapAmb $(field CapAmb), CapBnd $(field CapBnd), NoNewPrivs $(field NoNewPrivs)"
echo "# unit: AmbientCapabilities=$(prop AmbientCapabilities), CapabilityBoundingSet=$(prop CapabilityBoundingSet)"
check "it runs as the sysops-agent user" \
	test "$(field Uid)" = "$(in_ct id -u sysops-agent)"
# CAP_DAC_READ_SEARCH is bit 2, CAP_SYSLOG bit 34.
check "the unit names cap_dac_read_search cap_syslog" \
	test "$(prop AmbientCapabilities)" = "cap_dac_read_search cap_syslog"
check "CapEff and CapPrm are exactly those two (0000000400000004)" \
	test "$(field CapEff)/$(field CapPrm)" = 0000000400000004/0000000400000004
# systemd hands them over as ambient capabilities; the daemon then empties
# its ambient set (src/core/privilege.c: nothing passes to a child).
check "CapAmb is empty once the daemon has started (it clears it)" \
	test "$(field CapAmb)" = 0000000000000000
check "the daemon says what it kept" \
	unit_log_has "capabilities kept: cap_dac_read_search, cap_syslog"
check "CapBnd is the unit's bounding set (the same two)" \
	test "$(field CapBnd)" = 0000000400000004
check "no_new_privs is set" test "$(field NoNewPrivs)" = 1

# --- reload with a new configuration ---
config=/etc/sysops-agent/config.toml
cat >"$TEST_TMP/config.toml" <<'EOF'
[agent]
collect_interval_secs = 1
[storage.history]
textfile = "/var/lib/sysops-agent/metrics.prom"
[alerting]
group_wait_secs = 0
[[logscan.rules]]
name = "container_probe"
pattern = "sysops-container-probe (?<n>\\d+)"
sources = ["journal"]
message = "probe {n} seen"
EOF
put_config() { # put_config FILE: the configuration, with the package's modes
	in_ct sh -c "cat >$config.new && chown root:sysops-agent $config.new &&
		chmod 0640 $config.new && mv $config.new $config" <"$1"
}
reloads() { journal -u "$unit" | grep -c "configuration reloaded"; }
put_config "$TEST_TMP/config.toml"
in_ct systemctl reload "$unit" >"$TEST_TMP/reload.out" 2>&1
status=$?
check "systemctl reload exits 0 on a valid configuration" test "$status" -eq 0
[ "$status" -eq 0 ] || { sed 's/^/# /' "$TEST_TMP/reload.out"; journal -u "$unit" | tail -n 5 | sed 's/^/# /'; }
check "the daemon reloaded it (\"configuration reloaded\"), same process" \
	eval 'wait_for 10 unit_log_has "configuration reloaded" && [ "$(prop MainPID)" = "$pid" ]'
check "the new configuration is in force (its textfile is written)" \
	wait_for 30 in_ct test -s /var/lib/sysops-agent/metrics.prom

# --- /home: a second filesystem, seen under ProtectHome=read-only ---
home_series() { in_ct grep -qE "^sysops_disk_used_percent\{.*mount=\"/home\"" /var/lib/sysops-agent/metrics.prom 2>/dev/null; }
check "the /home filesystem has its disk series" wait_for 30 home_series
in_ct grep -E "^sysops_disk_(used_percent|total_bytes)\{.*mount=\"/home\"" \
	/var/lib/sysops-agent/metrics.prom | sed 's/^/# /'

home_read_only() { in_ct grep -qE "^sysops_disk_read_only\{.*mount=\"/home\".* 0$" /var/lib/sysops-agent/metrics.prom 2>/dev/null; }
check "and reads as writable (the sandbox's read-only mount is not the filesystem's state)" \
	wait_for 10 home_read_only

# --- its own cgroup (v2, or v1/hybrid) ---
check "the cgroup collector is active ($(journal -u "$unit" | grep -m1 -oE 'cgroup v1 controllers: [^;]*' || echo v2))" \
	eval '! unit_log_has "collector cgroup unavailable"'
# nspawn on a cgroup v1 host mounts the controllers read-only: the
# container's systemd cannot give its units a memory cgroup of their own.
own_memcg=""
for file in /sys/fs/cgroup/system.slice/$unit/memory.current \
	/sys/fs/cgroup/memory/system.slice/$unit/memory.usage_in_bytes; do
	in_ct test -e "$file" && own_memcg=$file
done
own_cgroup() { in_ct grep -qE "^sysops_cgroup_memory_bytes\{cgroup=\"system.slice/$unit\"\}" /var/lib/sysops-agent/metrics.prom 2>/dev/null; }
if [ -n "$own_memcg" ]; then
	check "the cgroup collector reports the service's own memory ($own_memcg)" \
		wait_for 30 own_cgroup
	in_ct grep -E "^sysops_cgroup_[a-z_]+\{cgroup=\"system.slice/$unit\"" \
		/var/lib/sysops-agent/metrics.prom | sed 's/^/# /'
else
	skip "the service has no memory cgroup of its own here (nspawn on a cgroup v1 host delegates no controller); tests/unit/test_cgroup.c covers v1 and hybrid trees"
fi

# --- a journal rule ---
in_ct logger -t probe "sysops-container-probe 42"
probe_alert() { journal SYSOPS_RULE=container_probe | grep -q "probe 42 seen"; }
check "a logger line reaches the journal rule (its alert is in the journal)" \
	wait_for 30 probe_alert
echo "# $(journal SYSOPS_RULE=container_probe | head -n 1 | cut -c1-110)"

# --- a reload with an invalid configuration ---
# shellcheck disable=SC2034 # read in the eval below
before=$(reloads)
printf '[agent]\ncollect_interval_secs = "often"\n' >"$TEST_TMP/bad.toml"
put_config "$TEST_TMP/bad.toml"
in_ct systemctl reload "$unit" >"$TEST_TMP/bad-reload.out" 2>&1
status=$?
check "systemctl reload fails (exit $status) on an invalid configuration" test "$status" -ne 0
check "the daemon keeps running, same process, its configuration not replaced" \
	eval 'state_is active && [ "$(prop MainPID)" = "$pid" ] && [ "$(reloads)" = "$before" ]'
in_ct systemctl status --no-pager -n 0 "$unit" >"$TEST_TMP/status.out" 2>&1
journal -u "$unit" | grep -m1 -F 'expected an integer' | sed 's/^/# reload refused: /'
put_config "$TEST_TMP/config.toml"

# --- /home remounted read-only ---
in_ct mount -o remount,ro /home
ro_alert() { journal SYSOPS_RULE=filesystem_read_only | grep -q '/home'; }
check "/home remounted read-only raises filesystem_read_only (in the journal)" \
	wait_for 30 ro_alert
echo "# $(journal SYSOPS_RULE=filesystem_read_only | head -n 1)"
in_ct mount -o remount,rw /home

# --- an invalid configuration at start ---
in_ct systemctl stop "$unit"
put_config "$TEST_TMP/bad.toml"
in_ct systemctl start "$unit" >"$TEST_TMP/start.out" 2>&1
status=$?
check "systemctl start fails (exit $status) on an invalid configuration" test "$status" -ne 0
check "the unit ends failed" wait_for 10 state_is failed
# Restart=on-failure would put it in "activating (auto-restart)"; a unit
# left failed with no restart counted is not retried.
echo "# Result=$(prop Result) ExecMainStatus=$(prop ExecMainStatus) NRestarts=$(prop NRestarts) SubState=$(prop SubState)"
check "exit status 78 (EX_CONFIG), no restart scheduled (NRestarts=0)" \
	test "$(prop ExecMainStatus)/$(prop NRestarts)/$(prop SubState)" = 78/0/failed
in_ct systemctl status --no-pager -n 5 "$unit" >"$TEST_TMP/status.out" 2>&1
check "the error is in systemctl status" grep -q 'collect_interval_secs' "$TEST_TMP/status.out"
grep -m1 'collect_interval_secs' "$TEST_TMP/status.out" | sed 's/^ */# status: /'

# --- what a sandbox hides is said once at start ---
check "under the packaged unit no local filesystem is hidden (nothing said)" \
	eval '! journal -u "$unit" | grep -q "cannot be seen from this mount namespace"'
put_config "$TEST_TMP/config.toml"
in_ct mkdir -p "/etc/systemd/system/$unit.d"
printf '[Service]\nProtectHome=yes\n' |
	in_ct sh -c "cat >/etc/systemd/system/$unit.d/hide-home.conf"
in_ct systemctl daemon-reload
in_ct systemctl reset-failed "$unit"
in_ct rm -f /var/lib/sysops-agent/metrics.prom
in_ct systemctl start "$unit"
hidden_said() { journal -u "$unit" | grep -F "cannot be seen from this mount namespace" | grep -qF "/home (ext4 $loop"; }
check "with ProtectHome=yes the daemon says at start that /home is hidden" \
	wait_for 30 hidden_said
journal -u "$unit" | grep -m1 -F "cannot be seen" | sed 's/^/# /'
check "said once" test "$(journal -u "$unit" | grep -c "cannot be seen")" -eq 1
check "and gives /home no (wrong) figures" \
	eval 'wait_for 30 in_ct test -s /var/lib/sysops-agent/metrics.prom &&
		! home_series'
in_ct systemctl stop "$unit"

phase "checks in the container"
echo "# systemd_container.sh: $((SECONDS - test_start)) s in all"
