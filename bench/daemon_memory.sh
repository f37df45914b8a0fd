#!/usr/bin/env bash
# daemon_memory.sh - the real daemon's resident memory with the full default
# collector set and one hour of history at the default ring depth:
# history_secs = 360 at 1 s ticks gives the same 360-sample rings as 3600 s
# at the default 10 s. Read after 100 ticks (the budget's point) and after
# 360 (every ring full). Prints RSS and PSS (smaps_rollup); budget 8 MiB.
#
# Run as root, two daemons run side by side: one as the shipped unit runs it
# (the service user, or nobody if it does not exist, in systemd-journal, with
# only CAP_DAC_READ_SEARCH and CAP_SYSLOG; the budget applies to this one), and one
# as plain root, where looking up a missing service user loads an extra NSS
# module. Run as anyone else, that user's daemon alone.
set -u
BUILD=${BUILD:-build}
TICKS=${BENCH_DAEMON_TICKS:-100}
FULL_TICKS=${BENCH_DAEMON_FULL_TICKS:-360}
AGENT=$PWD/$BUILD/sysops-agent
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sysops-bench.XXXXXX")
pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME [RUNNER...]: one daemon with its own state dir and config.
start() {
	local name=$1; shift
	mkdir -p "$tmp/$name"
	printf '[agent]\ncollect_interval_secs = 1\nhistory_secs = 360\nstate_dir = "%s"\n' \
		"$tmp/$name/state" >"$tmp/$name/config.toml"
	chmod 0640 "$tmp/$name/config.toml"
	[ -n "${OWNER:-}" ] && chown -R "$OWNER" "$tmp/$name"
	"$@" "$AGENT" -f -c "$tmp/$name/config.toml" >"$tmp/$name/log" 2>&1 &
	pids+=($!)
	names+=("$name")
}

# report NAME PID TICKS
report() {
	local name=$1 pid=$2 ticks=$3 rss pss anon file libs
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "$name daemon died:"; cat "$tmp/$name/log"; return 1
	fi
	rss=$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")
	pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
	anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status")
	file=$(awk '/^RssFile:/ {print $2}' "/proc/$pid/status")
	libs=$(awk '$6 ~ /\.so/ {print $6}' "/proc/$pid/maps" | sort -u | wc -l)
	echo "daemon ($name) after $ticks ticks: RSS $rss KiB, PSS $pss KiB (budget 8192 KiB; issue 18: 5120)"
	echo "  anonymous (heap, rings, tables, stacks) $anon KiB; file-backed $file KiB ($libs shared libraries)"
	[ "$rss" -le 8192 ] || echo "  over budget"
	RSS_OF[$name]=$rss
}

declare -A RSS_OF
names=()
. bench/lib/as-unit.bash
if as_unit; then
	OWNER=$UNIT_OWNER start "as-unit:$UNIT_USER" "${UNIT_RUNNER[@]}"
	start as-root
else
	start "as-$(id -un)"
fi

# A benchmark, not a test: the daemons are left to run their ticks.
sleep "$TICKS.5"
for i in "${!pids[@]}"; do report "${names[$i]}" "${pids[$i]}" "$TICKS" || exit 1; done
grep -F "metric history" "$tmp/${names[0]}/log" | sed 's/^<[0-9]>/  /'
sleep "$((FULL_TICKS - TICKS))"
for i in "${!pids[@]}"; do
	report "${names[$i]}" "${pids[$i]}" "$FULL_TICKS (rings full)" || exit 1
done
[ "${RSS_OF[${names[0]}]}" -le 8192 ]
