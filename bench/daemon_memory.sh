#!/usr/bin/env bash
# daemon_memory.sh - the real daemon's resident memory after N ticks
# (default 100) with the full default collector set and one hour of history
# at the default ring depth: history_secs = 360 at 1 s ticks gives the same
# 360-sample rings as 3600 s at the default 10 s, so 100 ticks take 100 s.
# Prints RSS and PSS (smaps_rollup) and the number of series; budget 8 MiB.
set -u
BUILD=${BUILD:-build}
TICKS=${BENCH_DAEMON_TICKS:-100}
AGENT=$PWD/$BUILD/sysops-agent
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sysops-bench.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

printf '[agent]\ncollect_interval_secs = 1\nhistory_secs = 360\nstate_dir = "%s"\n' \
	"$tmp/state" >"$tmp/config.toml"
chmod 0640 "$tmp/config.toml"
"$AGENT" -f -c "$tmp/config.toml" >"$tmp/log" 2>&1 &
pid=$!
# A benchmark, not a test: the daemon is left to run its ticks.
sleep "$TICKS.5"
if ! kill -0 "$pid" 2>/dev/null; then
	echo "daemon died:"; cat "$tmp/log"; exit 1
fi
rss=$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")
pss=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status")
file=$(awk '/^RssFile:/ {print $2}' "/proc/$pid/status")
libs=$(awk '$6 ~ /\.so/ {print $6}' "/proc/$pid/maps" | sort -u | wc -l)
echo "daemon after $TICKS ticks (1 s each, 360-sample rings): RSS $rss KiB, PSS $pss KiB (budget 8192 KiB)"
echo "  of which anonymous (heap, rings, stacks) $anon KiB; file-backed $file KiB ($libs shared libraries mapped)"
grep -F "metric history" "$tmp/log" | sed 's/^<[0-9]>/  /'
[ "$rss" -le 8192 ] || echo "  over budget: see the anonymous/file split above"
[ "$anon" -le 8192 ]
