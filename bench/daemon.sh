#!/usr/bin/env bash
# daemon.sh - what the whole daemon costs on this machine, against a floor.
#
# The real daemon (default config, 10 s ticks, its own state dir) runs twice
# side by side: under callgrind for instructions (noise-free: collectors,
# analyzer, history, alerter, the event loop, everything between two ticks)
# and natively for CPU time (/proc/PID/schedstat), wake-ups (context switches
# in /proc/PID/status) and memory (smaps_rollup). bench/floor reads the same
# files with the cheapest parse; the ratio daemon / floor is the overhead.
# Then the slopes: per extra interface (two daemons in network namespaces
# of their own, one with dummy or ifb links: root and unshare), per extra
# process (two daemons in PID namespaces of their own, one with sleeping
# processes: root, unshare and nsenter), per extra series; log following per line at 100 and 1000
# lines/s; RSS/PSS of the default and the all-channels config, and of
# collectd (cpu, memory, load, disk, df, interface, csv) if installed.
#
# BENCH_WINDOW_SECS (300: 30 ticks, holding whatever the window's phase
# exactly one save of the baselines, snapshot_interval_secs, and five minute
# closes of the history, with every series packing its ring three or four
# times, see metrics.c; an 80-s window held a minute close or two and a
# save or none, and its per-tick figures moved by their share) is each
# measured window; BENCH_IFACES (50) and
# BENCH_PROCS (100) the extra interfaces and processes; BENCH_SETTLE_SECS
# (310) the wait after the process daemons start (the interface daemons'
# windows are placed by their saves: LINKS_SETTLE below), past the
# first minute their new series close (creating a series in the history is a one-off,
# not the slope) and past their first baseline save at 300 s, which saves
# every analyzer slot once in a daemon's life (later rounds save a settled
# slot in its turn, hourly): with 70 s the window held that first save and
# read ~150-300 instructions more per interface than a steady tick costs.
# BENCH_KEEP=DIR keeps callgrind's profile of each window there
# (window.out the default config's, links-0.out and links-50.out of the
# two interface daemons: callgrind_annotate them to see where a tick goes);
# BENCH_QUICK=1 stops after the per-tick figures.
# BENCH_PART=follow measures log following alone; BENCH_FOLLOW_SECS (20) is
# each of its windows, BENCH_FOLLOW_RUNS (3) how many windows a rate's CPU
# figure is the median of. BENCH_PART=links measures the slope per interface
# alone, BENCH_PART=procs the slope per process alone.
set -u
BUILD=${BUILD:-build}
WINDOW=${BENCH_WINDOW_SECS:-300}
IFACES=${BENCH_IFACES:-50}
PROCS=${BENCH_PROCS:-100}
SETTLE=${BENCH_SETTLE_SECS:-310}
# The interface daemons' windows (links_part), placed by their baseline
# saves (every 300 s from a daemon's first tick, snapshot_interval_secs)
# and as long as the periodic work's common period: 240 s holds exactly
# four minute closes and three packings of every ring (eight samples a
# packing, 80 s), whatever the phase. The tick window from 320 s to 560 s
# after both daemons were ready holds no save (the saves at 300 and 600 s
# stay outside while their first ticks are less than 40 s apart); the save
# window from 560 to 800 s holds the one at 600 s of each and the same
# closes and packings, so the difference of the two is the save. A 300-s
# window held one save or none or two by where its edges fell, and a
# 200-s one three or four closes and two or three packings: the slope
# moved by ~300 instructions an interface between runs.
LINKS_SETTLE=${BENCH_LINKS_SETTLE_SECS:-320}
LINKS_WINDOW=${BENCH_LINKS_WINDOW_SECS:-240}
SAVE_WINDOW=${BENCH_SAVE_WINDOW_SECS:-240}
AGENT=$PWD/$BUILD/sysops-agent
FLOOR=$PWD/$BUILD/bench/floor
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sysops-bench.XXXXXX")
pids=()
cleanup() {
	# A PID namespace's unshare ignores SIGTERM: its child is told too.
	for pid in "${pids[@]}"; do
		pkill -TERM -P "$pid" 2>/dev/null
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! command -v valgrind >/dev/null; then
	echo "valgrind is missing: scripts/install-deps bench"
	exit 1
fi

processes() { find /proc -maxdepth 1 -name '[0-9]*' 2>/dev/null | wc -l; }
echo "machine: $(nproc) CPUs, $(processes) processes, $(find /sys/class/net -mindepth 1 -maxdepth 1 | wc -l) interfaces"

# start NAME RUNNER... -- EXTRA-CONFIG-LINES...: a daemon of its own.
start() {
	local name=$1 runner=() ; shift
	while [ "$1" != -- ]; do runner+=("$1"); shift; done
	shift
	mkdir -p "$tmp/$name"
	printf '%s\n' '[agent]' "collect_interval_secs = ${INTERVAL:-10}" \
		"state_dir = \"$tmp/$name/state\"" "$@" >"$tmp/$name/config.toml"
	chmod 0640 "$tmp/$name/config.toml"
	[ -n "${OWNER:-}" ] && chown -R "$OWNER" "$tmp/$name"
	"${runner[@]}" "$AGENT" -f -c "$tmp/$name/config.toml" \
		>"$tmp/$name/log" 2>&1 &
	pids+=($!)
	eval "PID_${name//-/_}=$!"
}

# await_ready NAME: the first tick is done.
await_ready() {
	for _ in $(seq 600); do
		grep -qs "first collection done" "$tmp/$1/log" && return 0
		sleep 0.1
	done
	echo "$1 did not start:"; cat "$tmp/$1/log"; exit 1
}

# Counters of a process: instructions so far (callgrind), CPU ns so far,
# context switches so far.
instructions() {
	callgrind_control --vgdb-prefix="$tmp/vgdb" -e Ir "$1" 2>/dev/null |
		awk '$1 == "Th" {gsub(",", "", $3); n += $3} END {print n + 0}'
}
# profile zero|keep: callgrind's counters dumped (and so zeroed) at a
# window's start; at its end the dump that holds just the window is kept
# (window.out, then window-2.out ...).
profile() {
	callgrind_control --vgdb-prefix="$tmp/vgdb" -d "$1" "$PID_callgrind" \
		>/dev/null 2>&1
	if [ "$1" = keep ]; then
		mkdir -p "$BENCH_KEEP"
		kept=$((${kept:-1} + 1))
		cp "$(ls -t "$tmp"/callgrind.out.* | head -1)" \
			"$BENCH_KEEP/window$([ "$kept" -gt 2 ] && echo "-$((kept - 1))").out"
	fi
}
cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; }
switches() {
	awk '/^(non)?voluntary_ctxt_switches:/ {n += $2} END {print n}' \
		"/proc/$1/status"
}
kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/smaps_rollup"; }

# floor_instructions [FUNCTION [RUNNER...]]: callgrind's count of
# floor_tick (or of one of its parts: floor_links, floor_processes), per
# tick; RUNNER (netns_run N, pidns_run N) runs it in a namespace.
floor_instructions() {
	local fn=${1:-floor_tick}
	[ $# -gt 0 ] && shift
	("$@" valgrind --tool=callgrind --toggle-collect="$fn" \
		--callgrind-out-file="$tmp/floor.out" "$FLOOR" 10 2>&1) |
		awk '/Collected/ {print int($4 / 11)}'
}
floor_cpu() { "$FLOOR" 300 | awk '{print $2}'; }

# wakeups PID: how often the daemon returned from epoll_wait over WINDOW
# seconds (strace, traced calls only), in the background into $tmp/wakeups.
wakeups() {
	if command -v strace >/dev/null; then
		timeout "$WINDOW" strace -qq -p "$1" -e trace=epoll_wait,epoll_pwait \
			-o "$tmp/strace" 2>/dev/null
		grep -c 'epoll_p\?wait(.*= [1-9]' "$tmp/strace" >"$tmp/wakeups"
	else
		echo "?" >"$tmp/wakeups"
	fi
}

# window: sleeps WINDOW seconds; sets D_INSTR (per tick, callgrind daemon),
# D_CPU (µs per tick, native daemon), D_WAKE (its context switches per
# minute: wake-ups, and any sleep inside a tick) and D_WAKE_QUIET (epoll
# wake-ups per minute of a daemon with the log scanner off, which the
# host's own logging cannot wake).
window() {
	local i0 c0 s0 i1 c1 s1 ticks p0 tracer
	p0=$(processes)
	wakeups "$PID_quiet" &
	tracer=$!
	[ -n "${BENCH_KEEP:-}" ] && kill -0 "$PID_callgrind" 2>/dev/null &&
		profile zero
	i0=$(instructions "$PID_callgrind"); c0=$(cpu_ns "$PID_default")
	s0=$(switches "$PID_default")
	sleep "$WINDOW"
	i1=$(instructions "$PID_callgrind"); c1=$(cpu_ns "$PID_default")
	s1=$(switches "$PID_default")
	[ -n "${BENCH_KEEP:-}" ] && kill -0 "$PID_callgrind" 2>/dev/null &&
		profile keep
	wait "$tracer"
	D_PROCS=$(((p0 + $(processes)) / 2))
	ticks=$((WINDOW / 10))
	D_INSTR=$(((i1 - i0) / ticks))
	D_CPU=$(((c1 - c0) / 1000 / ticks))
	D_WAKE=$(awk -v n=$((s1 - s0)) -v w="$WINDOW" 'BEGIN {printf "%.1f", n * 60 / w}')
	D_WAKE_QUIET=$(awk -v n="$(cat "$tmp/wakeups")" -v w="$WINDOW" 'BEGIN {printf "%.1f", n * 60 / w}')
}

# stored_series NAME: series daemon NAME has stored so far, through the
# history command: between imports they are in history.pending, not yet in
# history.db.
stored_series() {
	"$AGENT" history -c "$tmp/$1/config.toml" --json 2>/dev/null |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["series"]))' \
			2>/dev/null || echo 0
}
series() { stored_series default; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

# write_lines FILE RATE SECONDS: lines appended one write each on a steady
# schedule, stamped with the current second.
write_lines() {
	python3 - "$1" "$2" "$3" <<'PY'
import os, sys, time
path, rate, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
fd = os.open(path, os.O_WRONLY | os.O_APPEND)
start = time.monotonic()
for i in range(int(rate * secs)):
    delay = start + i / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    # The stamp is the wall clock's second, as a syslog daemon's is: lines
    # of one second share it, the next second's do not.
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S").encode()
    os.write(fd, b"%s web-01 app[42]: GET /index.html 200 0.004 request %d served\n" % (stamp, i))
PY
}

# per_line COUNTER PID FILE [RUNS]: "RATE PER-LINE MIN MAX" at 100 and 1000
# lines/s, the counter (cpu_ns, instructions) of PID above its idle, FILE
# written; with RUNS windows a rate (alternating, so load beside the bench
# falls on both), PER-LINE is their median and MIN-MAX their spread. CPU
# time on a shared VM moves by +-20 % between windows (another process's
# burst, the host's), instructions do not: one window is enough for those.
per_line() {
	local counter=$1 pid=$2 file=$3 runs=${4:-1} secs=${BENCH_FOLLOW_SECS:-20}
	local c0 c1 idle rate run
	c0=$("$counter" "$pid"); sleep "$secs"; c1=$("$counter" "$pid")
	idle=$((c1 - c0))
	for run in $(seq "$runs"); do
		for rate in 100 1000; do
			c0=$("$counter" "$pid")
			write_lines "$file" "$rate" "$secs"
			sleep 2 # the last period's lines are read
			c1=$("$counter" "$pid")
			echo "$rate $(((c1 - c0 - idle * (secs + 2) / secs) / (rate * secs)))"
		done
	done | awk '{v[$1, ++n[$1]] = $2}
	END {
		for (r = 100; r <= 1000; r *= 10) {
			k = n[r]
			for (i = 1; i <= k; i++)	# insertion sort: a few runs
				for (j = i; j > 1 && v[r, j - 1] > v[r, j]; j--) {
					t = v[r, j]; v[r, j] = v[r, j - 1]; v[r, j - 1] = t
				}
			m = k % 2 ? v[r, (k + 1) / 2] : (v[r, k / 2] + v[r, k / 2 + 1]) / 2
			print r, m, v[r, 1], v[r, k]
		}
	}'
}

# follow_part: log following, a file written line by line at a steady rate
# by a daemon whose collection ticks (hourly) do not blur the figure. CPU
# per line above the idle daemon's (schedstat, native); system calls per
# wake-up at 100 lines/s (strace -c: every call over the epoll_wait
# returns); instructions per line above idle (a second daemon under
# callgrind, after the native one is measured).
follow_part() {
	local secs=${BENCH_FOLLOW_SECS:-20} calls waits
	: >"$tmp/follow.log"
	INTERVAL=3600 start follow -- '[logscan]' "files = [\"$tmp/follow.log\"]"
	await_ready follow
	# One-off costs of the first lines (symbol binding, the time zone,
	# PCRE2's first runs) are not a line's.
	write_lines "$tmp/follow.log" 100 1; sleep 3
	per_line cpu_ns "$PID_follow" "$tmp/follow.log" "${BENCH_FOLLOW_RUNS:-3}" |
		awk -v runs="${BENCH_FOLLOW_RUNS:-3}" '{printf "log following at %d lines/s: %.2f us CPU per line, median of %d windows (%.2f-%.2f) (target <= 1 at 100 lines/s)\n", $1, $2 / 1000, runs, $3 / 1000, $4 / 1000}'
	if command -v strace >/dev/null; then
		strace -f -qq -c -o "$tmp/follow.strace" -p "$PID_follow" &
		local tracer=$!
		sleep 1
		write_lines "$tmp/follow.log" 100 "$secs"
		kill -INT "$tracer"; wait "$tracer" 2>/dev/null
		# strace -c: "% time, seconds, usecs/call, calls, [errors,] name".
		calls=$(awk '$1 ~ /^[0-9.]+$/ && $NF != "total" {n += $4} END {print n + 0}' "$tmp/follow.strace")
		waits=$(awk '$NF ~ /^epoll_p?wait$/ {n += $4} END {print n + 0}' "$tmp/follow.strace")
		echo "log following at 100 lines/s: $waits wake-ups in $secs s, $(ratio "$calls" "$waits") system calls per wake-up ($(awk '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" {printf "%s%s %s", sep, $NF, $4; sep = ", "}' "$tmp/follow.strace"))"
	fi
	: >"$tmp/follow-cg.log"
	INTERVAL=3600 start follow_cg valgrind --tool=callgrind --vgdb=yes \
		--vgdb-prefix="$tmp/vgdb" --callgrind-out-file="$tmp/follow.out" \
		-- '[logscan]' "files = [\"$tmp/follow-cg.log\"]"
	await_ready follow_cg
	write_lines "$tmp/follow-cg.log" 100 1; sleep 3
	per_line instructions "$PID_follow_cg" "$tmp/follow-cg.log" |
		awk '{printf "log following at %d lines/s: %d instructions per line (callgrind)\n", $1, $2}'
	kill -TERM "$PID_follow_cg" "$PID_follow" 2>/dev/null
}

# netns_run LINKS COMMAND...: COMMAND (exec'd: the caller's pid is its) in
# a network namespace of its own with lo and LINKS $link_type links, and
# sysfs mounted again so that /sys/class/net is the namespace's (the cgroup
# tree moved over from the host's). Its links go with it.
netns_run() {
	local links=$1
	shift
	mkdir -p "$tmp/cgroup"
	exec unshare -n -m bash -c '
		mount --rbind /sys/fs/cgroup "$3" &&
			mount -t sysfs sysfs /sys &&
			mount --move "$3" /sys/fs/cgroup &&
			ip link set lo up || exit 1
		# IPv6 off in the namespace, before the links exist so that
		# they inherit it: an ifb link counts each IPv6 router
		# solicitation and MLD report it is handed as an rx drop, so
		# one series per link (net.rx_drops_per_sec) would never
		# settle. An artifact of ifb: a real quiet link drops nothing.
		sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
		for i in $(seq 1 "$1"); do
			ip link add "l$i" type "$2" && ip link set "l$i" up || exit 1
		done
		shift 3
		exec "$@"' netns "$links" "$link_type" "$tmp/cgroup" "$@"
}

# links_part: the slope per interface alone. Two daemons under callgrind
# side by side, each in a network namespace of its own (netns_run), one
# with lo alone and one with IFACES more links (dummy, or ifb where the
# module is missing: links that carry no traffic): both see the same
# processes and the same churn, which cancel out of the difference of
# their ticks. The floor's floor_links in the same two namespaces. After
# BENCH_SETTLE_SECS past the first minute the new series close, over
# WINDOW. BENCH_KEEP keeps both windows' profiles (links-0.out,
# links-N.out).
links_part() {
	local n a0 a1 a2 as b0 b1 b2 bs fa fb d_slope f_slope save series0 series1
	link_type=
	for type in dummy ifb; do
		if [ "$(id -u)" -eq 0 ] &&
			unshare -n ip link add probe0 type "$type" 2>/dev/null; then
			link_type=$type
			break
		fi
	done
	if [ -z "$link_type" ]; then
		echo "per extra interface: skipped (needs root, unshare and dummy or ifb links)"
		return
	fi
	for n in 0 "$IFACES"; do
		start "links$n" netns_run "$n" valgrind --tool=callgrind \
			--vgdb=yes --vgdb-prefix="$tmp/vgdb" \
			--callgrind-out-file="$tmp/links$n.out" --
	done
	await_ready links0
	await_ready "links$IFACES"
	sleep "$LINKS_SETTLE"
	eval "b=\$PID_links$IFACES"
	for pid in "$PID_links0" "$b"; do
		callgrind_control --vgdb-prefix="$tmp/vgdb" -d zero "$pid" \
			>/dev/null 2>&1
	done
	a0=$(instructions "$PID_links0") b0=$(instructions "$b")
	sleep "$LINKS_WINDOW"
	a1=$(instructions "$PID_links0") b1=$(instructions "$b")
	if [ -n "${BENCH_KEEP:-}" ]; then
		mkdir -p "$BENCH_KEEP"
		for n in 0 "$IFACES"; do
			eval "pid=\$PID_links$n"
			callgrind_control --vgdb-prefix="$tmp/vgdb" -d keep \
				"$pid" >/dev/null 2>&1
			cp "$(ls -t "$tmp/links$n.out".* | head -1)" \
				"$BENCH_KEEP/links-$n.out"
		done
	fi
	# The save window from here (the dump above zeroed the counters).
	as=$(instructions "$PID_links0") bs=$(instructions "$b")
	a2=$as b2=$bs
	if [ "$SAVE_WINDOW" -gt 0 ]; then
		sleep "$SAVE_WINDOW"
		a2=$(instructions "$PID_links0") b2=$(instructions "$b")
	fi
	series0=$(stored_series links0)
	series1=$(stored_series "links$IFACES")
	kill -TERM "$PID_links0" "$b" 2>/dev/null
	fa=$(floor_instructions floor_links netns_run 0)
	fb=$(floor_instructions floor_links netns_run "$IFACES")
	d_slope=$((((b1 - b0) - (a1 - a0)) / (LINKS_WINDOW / 10) / IFACES))
	f_slope=$(((fb - fa) / IFACES))
	echo "per extra interface ($IFACES $link_type links, network namespaces; ticks between baseline saves): daemon $d_slope instructions, floor $f_slope, ratio $(ratio "$d_slope" "$f_slope") (target <= 3)"
	if [ "$SAVE_WINDOW" -gt 0 ]; then
		# The save window's ticks less as many steady ones: the save.
		save=$((((b2 - bs) - (a2 - as)) / IFACES - d_slope * (SAVE_WINDOW / 10)))
		echo "a baseline save per extra interface: $save instructions (every snapshot_interval_secs, 300, while the first day fills the daily profiles; hourly a settled series after): $((d_slope + save / 30)) a tick with a save every 300 s, ratio $(ratio $((d_slope + save / 30)) "$f_slope"); with one an hour $((d_slope + save / 360)), ratio $(ratio $((d_slope + save / 360)) "$f_slope")"
	fi
	if [ "$series1" -gt "$series0" ]; then
		echo "per extra series ($((series1 - series0)) more): $((((b1 - b0) - (a1 - a0)) / (LINKS_WINDOW / 10) / (series1 - series0))) instructions a tick"
	fi
}

# pidns_run SLEEPERS COMMAND...: COMMAND exec'd as the first process of a
# PID namespace of its own with /proc mounted again (it sees the
# namespace's processes alone), after SLEEPERS `sleep`s were started in it.
# They die with it, and it with the caller (--kill-child).
pidns_run() {
	local sleepers=$1
	shift
	exec unshare -p -m --mount-proc --kill-child bash -c '
		for _ in $(seq 1 "$1"); do sleep 100000 & done
		shift
		exec "$@"' pidns "$sleepers" "$@"
}

# ns_instructions NAME: instructions so far of the daemon NAME, the first
# process of a PID namespace of its own (vgdb runs inside it: there the
# daemon is pid 1, outside pid 1 is the host's init).
ns_instructions() {
	local child
	eval "child=\$(pgrep -P \$PID_$1 | head -1)"
	nsenter -t "$child" -p -m callgrind_control \
		--vgdb-prefix="$tmp/vgdb-$1" -e Ir 1 2>/dev/null |
		awk '$1 == "Th" {gsub(",", "", $3); n += $3} END {print n + 0}'
}

# ns_stop NAME: stops the daemon NAME (pidns_run's unshare ignores SIGTERM
# while it waits: the daemon is told, unshare and the sleepers follow).
ns_stop() {
	local outer child
	eval "outer=\$PID_$1"
	child=$(pgrep -P "$outer" | head -1)
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null
	wait "$outer" 2>/dev/null
}

# procs_part: the slope per process alone, as links_part does it for
# links. Two daemons under callgrind side by side, each the first process
# of a PID namespace of its own (pidns_run): one alone, one with PROCS
# sleeping processes. The host's own processes, which come and go by the
# dozen while a build runs beside the bench, are in neither, so the
# difference of their ticks is the PROCS processes' alone. The floor's
# floor_processes in the same two namespaces.
procs_part() {
	local n a0 a1 b0 b1 fa fb d_slope f_slope
	if [ "$(id -u)" -ne 0 ] || ! command -v nsenter >/dev/null ||
		! unshare -p -f -m --mount-proc true 2>/dev/null; then
		echo "per extra process: skipped (needs root, unshare and nsenter)"
		return
	fi
	for n in 0 "$PROCS"; do
		start "procs$n" pidns_run "$n" valgrind --tool=callgrind \
			--vgdb=yes --vgdb-prefix="$tmp/vgdb-procs$n" \
			--callgrind-out-file="$tmp/procs$n.out" --
	done
	await_ready procs0
	await_ready "procs$PROCS"
	sleep "$SETTLE"
	a0=$(ns_instructions procs0) b0=$(ns_instructions "procs$PROCS")
	sleep "$WINDOW"
	a1=$(ns_instructions procs0) b1=$(ns_instructions "procs$PROCS")
	ns_stop procs0
	ns_stop "procs$PROCS"
	fa=$(floor_instructions floor_processes pidns_run 0)
	fb=$(floor_instructions floor_processes pidns_run "$PROCS")
	d_slope=$((((b1 - b0) - (a1 - a0)) / (WINDOW / 10) / PROCS))
	f_slope=$(((fb - fa) / PROCS))
	echo "per extra process ($PROCS sleeps, PID namespaces): daemon $d_slope instructions, floor $f_slope, ratio $(ratio "$d_slope" "$f_slope")"
}

# BENCH_PART=follow: log following alone (a minute or three), not the rest.
if [ "${BENCH_PART:-all}" = follow ]; then
	follow_part
	exit 0
fi
# BENCH_PART=links: the slope per interface alone (about sixteen minutes).
if [ "${BENCH_PART:-all}" = links ]; then
	links_part
	exit 0
fi
# BENCH_PART=procs: the slope per process alone (four minutes).
if [ "${BENCH_PART:-all}" = procs ]; then
	procs_part
	exit 0
fi

start callgrind valgrind --tool=callgrind --vgdb=yes \
	--vgdb-prefix="$tmp/vgdb" --callgrind-out-file="$tmp/callgrind.out" --
start default --
# The default config again, as the shipped unit runs it (service user, two
# capabilities): what an installed host has resident. Root without the
# service user also loads nss-systemd (and with it libm) looking it up.
. bench/lib/as-unit.bash
as_unit && OWNER=$UNIT_OWNER start unit "${UNIT_RUNNER[@]}" --
start quiet -- '[logscan]' 'enabled = false'
await_ready default
[ -n "${PID_unit:-}" ] && await_ready unit
await_ready quiet
await_ready callgrind

# collectd in the same run, for its memory.
if command -v collectd >/dev/null && [ -d /usr/lib/collectd ]; then
	mkdir -p "$tmp/collectd"
	cat >"$tmp/collectd/collectd.conf" <<EOF
Interval 10
BaseDir "$tmp/collectd"
PIDFile "$tmp/collectd/pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin cpu
LoadPlugin memory
LoadPlugin load
LoadPlugin disk
LoadPlugin df
LoadPlugin interface
LoadPlugin csv
<Plugin csv>
  DataDir "$tmp/collectd/csv"
</Plugin>
EOF
	collectd -f -C "$tmp/collectd/collectd.conf" >"$tmp/collectd/log" 2>&1 &
	pids+=($!)
	PID_collectd=$!
fi

# Warm-up past the first minute the history closes (series created and
# stored, caches warm, baselines loaded) and past the 16th tick, when the
# rings' plain heads are full and packing has begun (8 samples of every
# series each 8th tick): what is left is the steady state.
sleep 170
window
base_instr=$D_INSTR base_cpu=$D_CPU base_wake=$D_WAKE
base_wake_quiet=$D_WAKE_QUIET
base_series=$(series)
floor_i=$(floor_instructions) floor_c=$(floor_cpu)
floor_links_i=$(floor_instructions floor_links)
echo "whole daemon per 10 s tick: $base_instr instructions, $base_cpu us CPU ($base_series series)"
echo "floor per tick:             $floor_i instructions, $floor_c us CPU"
echo "ratio daemon / floor:       $(ratio "$base_instr" "$floor_i") instructions, $(ratio "$base_cpu" "$floor_c") CPU (target <= 1.3 instructions)"
# Memory while idle, before the slopes add (and retire) series.
echo "default config after $(($(date +%s) - $(stat -c %Y "$tmp/default/config.toml"))) s: RSS $(kib "$PID_default" Rss) KiB, PSS $(kib "$PID_default" Pss) KiB, anonymous $(kib "$PID_default" Anonymous) KiB"
[ -n "${PID_unit:-}" ] &&
	echo "  as the unit runs it ($UNIT_USER, 2 capabilities): RSS $(kib "$PID_unit" Rss) KiB, PSS $(kib "$PID_unit" Pss) KiB, anonymous $(kib "$PID_unit" Anonymous) KiB (target <= 5120 RSS)"
if [ -n "${PID_collectd:-}" ] && kill -0 "$PID_collectd" 2>/dev/null; then
	echo "collectd (cpu memory load disk df interface csv): RSS $(kib "$PID_collectd" Rss) KiB, PSS $(kib "$PID_collectd" Pss) KiB, anonymous $(kib "$PID_collectd" Anonymous) KiB"
else
	echo "collectd: not installed (apt-get install collectd-core)"
fi
echo "idle wake-ups:              $base_wake_quiet per minute (epoll, log scanner off; target <= 12); default config: $base_wake context switches per minute"
[ -n "${BENCH_QUICK:-}" ] && exit 0

# Per interface and per process: links_part and procs_part (namespaces of
# their own: the host's links, processes and churn left out).
links_part

procs_part

kill -TERM "$PID_callgrind" 2>/dev/null

# Every channel configured (nothing listens on port 9), idle.
url=http://127.0.0.1:9
start channels -- '[alerting.webhook]' "url = \"$url/hook\"" \
	'[alerting.slack]' "webhook_url = \"$url/slack\"" \
	'[alerting.discord]' "webhook_url = \"$url/discord\"" \
	'[alerting.telegram]' 'bot_token = "1:x"' 'chat_id = "1"' \
	"api_url = \"$url\"" \
	'[alerting.email]' "url = \"smtp://127.0.0.1:9\"" \
	'from = "a@example.com"' 'to = ["b@example.com"]' \
	'[alerting.alertmanager]' "url = \"$url/am\""
await_ready channels
sleep 30
echo "all channels configured, idle, after 30 s: RSS $(kib "$PID_channels" Rss) KiB, PSS $(kib "$PID_channels" Pss) KiB, anonymous $(kib "$PID_channels" Anonymous) KiB"
for launcher in $(pgrep -P "$PID_channels"); do
	echo "  its launcher ($(cat "/proc/$launcher/comm")): RSS $(kib "$launcher" Rss) KiB, PSS $(kib "$launcher" Pss) KiB, anonymous $(kib "$launcher" Anonymous) KiB; no delivery process while idle: $([ -z "$(pgrep -P "$launcher")" ] && echo yes || echo no)"
done

follow_part
echo "machine: $(processes) processes at the end"
