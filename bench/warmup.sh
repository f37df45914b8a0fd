#!/usr/bin/env bash
# Measures the anomaly warm-up end to end: one real daemon per warm-up length,
# all at once on this machine's /proc with the shipped configuration (console
# channel only, log scanner off, own state dir each), for DURATION seconds;
# then counts the anomaly alerts each raised. On a host doing nothing
# unusual every one of them is a false alarm.
#
#   bench/warmup.sh DIR [DURATION [SECS...]]
#   default DURATION 3600, SECS "0 300 600 900"; WARMUP_SAMPLES (default 6)
#   is the sample floor for those runs; one more daemon runs the shipped
#   defaults untouched ("shipped").
set -u
BUILD=${BUILD:-build}
dir=${1:?usage: bench/warmup.sh DIR [DURATION [SECS...]]}
duration=${2:-3600}
shift $(($# > 2 ? 2 : $#))
secs=("${@:-}")
[ -n "${secs[0]}" ] || secs=(0 300 600 900)
mkdir -p "$dir"
# A copy of the binary: rebuilding the tree must not change a running test.
cp "$BUILD/sysops-agent" "$dir/sysops-agent"
pids=()
names=()
stop_all() {
	local pid
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null
	done
}
trap stop_all EXIT
launch() {
	local name=$1; shift
	local config=$dir/$name.toml
	printf '%s\n' '[agent]' "state_dir = \"$dir/state-$name\"" \
		'[logscan]' 'enabled = false' '[alerting]' 'group_wait_secs = 0' \
		'[alerting.webhook]' 'enabled = false' "$@" >"$config"
	chmod 0640 "$config"
	"$dir/sysops-agent" -f -c "$config" >"$dir/$name.log" 2>&1 &
	pids+=("$!")
	names+=("$name")
	echo "$name: pid $!"
}
for s in "${secs[@]}"; do
	launch "warmup-$s" '[analyzer]' \
		"warmup_samples = ${WARMUP_SAMPLES:-6}" "warmup_secs = $s"
done
launch shipped
# An alert's time after start, to 10 s: noted when its line first shows.
fired() { grep -E '^<[0-9]>(WARNING|CRITICAL|INFO) anomaly \(' "$1"; }
started=$(date +%s)
declare -A seen
while [ $(($(date +%s) - started)) -lt "$duration" ]; do
	sleep 10
	for name in "${names[@]}"; do
		n=$(fired "$dir/$name.log" | wc -l)
		[ "$n" = "${seen[$name]:-0}" ] && continue
		seen[$name]=$n
		echo "$name $(($(date +%s) - started)) s: $n" >>"$dir/times.txt"
	done
done
stop_all
trap - EXIT
printf '%-14s %8s\n' daemon anomaly
for i in "${!names[@]}"; do
	log=$dir/${names[$i]}.log
	printf '%-14s %8s\n' "${names[$i]}" "$(fired "$log" | wc -l)"
	fired "$log" | cut -c1-160 | sed 's/^/    /'
done
echo "times (s after start: cumulative count):"
cat "$dir/times.txt" 2>/dev/null
