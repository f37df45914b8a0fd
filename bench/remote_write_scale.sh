#!/usr/bin/env bash
# remote_write_scale.sh - the central side of remote write, measured so it
# can be extrapolated: N agents (distinct host names, small registries: cpu,
# memory, load, disk, fd, host) push every second to one real Prometheus on
# loopback, for a bounded time. Counted over a steady window: requests and
# samples Prometheus appended, bytes the agents sent, Prometheus's CPU and
# memory. Run with AGENTS=1 and AGENTS=50 (the default runs both); the figures
# and the extrapolation to 10,000 agents at 10 s are in docs/DESIGN.md.
set -u
BUILD=${BUILD:-build}
AGENT=$PWD/$BUILD/sysops-agent
WINDOW=${BENCH_SCALE_WINDOW:-60}
PROM=$(command -v prometheus || echo /usr/bin/prometheus)
[ -x "$PROM" ] || { echo "prometheus not installed: skipped"; exit 0; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sysops-scale.XXXXXX")
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# metric NAME: a value from Prometheus's own /metrics (sum over labels).
metric() {
	curl -fsS "http://127.0.0.1:$port/metrics" |
		awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $2} END {printf "%.0f\n", s}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() { # run AGENTS
	local agents=$1 dir=$tmp/run-$1 hz
	mkdir -p "$dir"
	hz=$(getconf CLK_TCK)
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	printf 'global:\n  scrape_interval: 1h\n' >"$dir/prom.yml"
	"$PROM" --config.file="$dir/prom.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$port" \
		--web.enable-remote-write-receiver >"$dir/prom.log" 2>&1 &
	local prom=$!
	pids+=("$prom")
	for _ in $(seq 300); do
		curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
		sleep 0.1
	done
	local first=${#pids[@]}
	for i in $(seq "$agents"); do
		mkdir -p "$dir/a$i"
		printf '%s\n' '[agent]' 'collect_interval_secs = 1' \
			"hostname = \"scale-$i\"" "state_dir = \"$dir/a$i/state\"" \
			'[logscan]' 'enabled = false' '[analyzer]' 'enabled = false' \
			'[storage.history]' 'enabled = false' \
			'[collectors.network]' 'enabled = false' \
			'[collectors.process]' 'enabled = false' \
			'[collectors.cgroup]' 'enabled = false' \
			'[collectors.systemd]' 'enabled = false' \
			'[export.remote_write]' \
			"url = \"http://127.0.0.1:$port/api/v1/write\"" \
			>"$dir/a$i/config.toml"
		chmod 0640 "$dir/a$i/config.toml"
		"$AGENT" -f -c "$dir/a$i/config.toml" >"$dir/a$i/log" 2>&1 &
		pids+=($!)
	done
	# Warm-up: every agent started, series created, first batches in.
	sleep 15
	local r0 s0 c0 r1 s1 c1
	writes() {
		curl -fsS "http://127.0.0.1:$port/metrics" |
			awk '/^prometheus_http_requests_total\{.*handler="\/api\/v1\/write"/ {s += $2} END {printf "%.0f", s}'
	}
	r0=$(writes)
	s0=$(metric prometheus_tsdb_head_samples_appended_total)
	c0=$(cpu_ticks "$prom")
	sleep "$WINDOW"
	r1=$(writes)
	s1=$(metric prometheus_tsdb_head_samples_appended_total)
	c1=$(cpu_ticks "$prom")
	local series rss
	series=$(metric prometheus_tsdb_head_series)
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$prom/status")
	# Agents stop and say what they sent.
	for pid in "${pids[@]:$first}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${pids[@]:$first}"; do wait "$pid" 2>/dev/null; done
	pids=("${pids[@]:0:$first}")
	local sent
	sent=$(cat "$dir"/a*/log | sed -n 's/.*remote write: \([0-9]*\) batches (\([0-9]*\) samples encoded, \([0-9]*\) bytes) sent, \([0-9]*\) retries.*/\1 \2 \3 \4/p' |
		awk '{b += $1; s += $2; y += $3; r += $4} END {printf "%d %d %d %d", b, s, y, r}')
	local batches samples bytes retries
	read -r batches samples bytes retries <<<"$sent"
	kill -TERM "$prom"; wait "$prom" 2>/dev/null
	pids=("${pids[@]:0:$((first - 1))}")
	awk -v a="$agents" -v w="$WINDOW" -v req=$((r1 - r0)) -v smp=$((s1 - s0)) \
		-v cpu=$((c1 - c0)) -v hz="$hz" -v series="$series" -v rss="$rss" \
		-v batches="$batches" -v samples="$samples" -v bytes="$bytes" -v retries="$retries" 'BEGIN {
		printf "%d agent(s) at 1 s, %d s window: %.1f requests/s, %.0f samples/s appended, %d head series\n", a, w, req / w, smp / w, series
		printf "  agents: %.0f samples a batch, %.1f bytes a sample, %.0f bytes a request (body), %d retries\n", samples / batches, bytes / samples, bytes / batches, retries
		printf "  prometheus: %.3f CPU s/s (%.1f us a request, %.2f us a sample), RSS %.0f MiB (%.1f KiB a head series)\n", cpu / hz / w, cpu / hz / req * 1e6, cpu / hz / smp * 1e6, rss / 1024, rss / series
	}'
}

for n in ${AGENTS:-1 50}; do run "$n"; done
