#!/usr/bin/env bash
# export_prometheus.sh - remote write into a real Prometheus (Debian's, with
# its remote-write receiver on, on loopback, storage in a temporary dir): the
# agent's CPU and disk series arrive with the host's labels and the values
# `once` reads; a receiver outage leaves no gap once it is back (every
# collection step is there, from the queue, in order). The issue's 2-minute
# outage is OUTAGE_SECS=120; the default keeps `make check` short.
. tests/integration/lib.sh

PROM=$(command -v prometheus || echo /usr/bin/prometheus)
if [ ! -x "$PROM" ]; then
	echo "# prometheus not installed (scripts/install-deps)"
	not_ok "prometheus available"
	exit 1
fi
# The receiver is a flag from Prometheus 2.33, a feature flag from 2.25;
# older ones (Debian 11 ships 2.24) cannot receive remote writes at all.
if "$PROM" --help 2>&1 | grep -q -- '--web.enable-remote-write-receiver'; then
	RECEIVER_FLAG=--web.enable-remote-write-receiver
elif "$PROM" --help 2>&1 | grep -q -- '--enable-feature'; then
	RECEIVER_FLAG=--enable-feature=remote-write-receiver
else
	skip "$("$PROM" --version 2>&1 | head -n 1) has no remote-write receiver (Prometheus 2.25 or later)"
	exit 0
fi
OUTAGE_SECS=${OUTAGE_SECS:-40}
dir=$TEST_TMP
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PROM_URL=http://127.0.0.1:$port
printf 'global:\n  scrape_interval: 1h\n' >"$dir/prom.yml"

start_prometheus() {
	"$PROM" --config.file="$dir/prom.yml" --storage.tsdb.path="$dir/prom-data" \
		--web.listen-address="127.0.0.1:$port" \
		"$RECEIVER_FLAG" >>"$dir/prom.log" 2>&1 &
	PROM_PID=$!
	TEST_PIDS+=("$PROM_PID")
}
prom_ready() { curl -fsS "$PROM_URL/-/ready" >/dev/null 2>&1; }

# query PROMQL [TIME]: the JSON answer of /api/v1/query into $dir/q.json.
query() {
	curl -fsS "$PROM_URL/api/v1/query" --data-urlencode "query=$1" \
		${2:+--data-urlencode "time=$2"} >"$dir/q.json" 2>/dev/null
}
# has_result PROMQL: for wait_for.
has_result() {
	query "$1" && python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["data"]["result"] else 1)' "$dir/q.json"
}

start_prometheus
check "prometheus is up" wait_for 60 prom_ready

write_config "$dir/agent.toml" '[agent]' 'collect_interval_secs = 2' \
	'hostname = "rw-test-01"' "state_dir = \"$dir/state\"" \
	'[logscan]' 'enabled = false' '[analyzer]' 'enabled = false' \
	'[export.remote_write]' "url = \"$PROM_URL/api/v1/write\"" \
	'external_labels = ["job=sysops-agent", "env=test"]' \
	'exclude = ["process.*"]' 'retry_max_secs = 4'
# The disk the values are compared on: "/", or where the root is not a
# mount of its own (a chroot, as distro-check runs us in) the first the
# agent reads.
"$AGENT" once --json -c "$dir/agent.toml" >"$dir/once.json" 2>/dev/null
mount=$(python3 -c 'import json,sys
disks = json.load(open(sys.argv[1]))["metrics"]["disk"]["total_bytes"]
mounts = [d["mount"] for d in disks]
print("/" if "/" in mounts else mounts[0])' "$dir/once.json")
echo "# disk series compared on mount=$mount"
start_daemon "$dir/daemon.log" -f -c "$dir/agent.toml"
sel='instance="rw-test-01",job="sysops-agent",env="test"'
check "the agent's series reach Prometheus" \
	wait_for 30 has_result "sysops_disk_total_bytes{$sel,mount=\"$mount\"}"
# A rate needs two readings: the second tick's batch has it.
check "CPU series with the host labels" \
	wait_for 20 has_result "sysops_cpu_usage_percent{$sel}"
query "count({$sel})"
echo "# $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["result"][0]["value"][1])' "$dir/q.json") series in Prometheus"
no_result() { ! has_result "$1"; }
check "excluded series stay home" no_result 'sysops_process_count'
check "the export's own counters arrive too" wait_for 20 \
	has_result "sysops_agent_remote_write_sent_batches_total{$sel} > 0"

# The values agree with what `once` reads (stable ones exactly, the rest
# within what a few seconds can change).
"$AGENT" once --json -c "$dir/agent.toml" >"$dir/once.json" 2>/dev/null
compare() { # compare FAMILY NAME PROMQL TOLERANCE [LABEL=VALUE]
	query "$3" && python3 - "$dir/once.json" "$dir/q.json" "$1" "$2" "$4" "${5:-}" <<'PY'
import json, sys
once = json.load(open(sys.argv[1]))["metrics"][sys.argv[3]][sys.argv[4]]
if isinstance(once, list):
    key, value = sys.argv[6].split("=", 1)
    once = [e["value"] for e in once if e.get(key) == value][0]
prom = float(json.load(open(sys.argv[2]))["data"]["result"][0]["value"][1])
print("# %s.%s: once %s, Prometheus %s" % (sys.argv[3], sys.argv[4], once, prom))
sys.exit(0 if abs(prom - once) <= float(sys.argv[5]) else 1)
PY
}
check "cpu.cores_online agrees with once" \
	compare cpu cores_online "sysops_cpu_cores_online{$sel}" 0
check "disk.total_bytes{mount=$mount} agrees with once" \
	compare disk total_bytes "sysops_disk_total_bytes{$sel,mount=\"$mount\"}" 0 "mount=$mount"
check "disk.used_percent{mount=$mount} agrees with once (1 point)" \
	compare disk used_percent "sysops_disk_used_percent{$sel,mount=\"$mount\"}" 1 "mount=$mount"
check "memory.total_bytes agrees with once" \
	compare memory total_bytes "sysops_memory_total_bytes{$sel}" 0
check "cpu.usage_percent is a percentage" \
	has_result "sysops_cpu_usage_percent{$sel} >= 0 <= 100"

# Outage: the receiver goes away, the queue holds the batches, and after
# it comes back every 2-second step is there.
queue_bytes() { stat -c %s "$dir/state/remote-write-queue" 2>/dev/null || echo 0; }
queue_holds() { [ "$(queue_bytes)" -gt "$1" ]; }
queue_empty() { [ "$(queue_bytes)" -eq 16 ]; }
check "in steady state the queue is empty" wait_for 10 queue_empty
outage_start=$(date +%s)
stop_pid "$PROM_PID"
check "the agent notices the outage" \
	wait_for 20 file_contains "$dir/daemon.log" "remote write: cannot send"
check "batches wait in the queue" wait_for 20 queue_holds 10000
deadline=$((outage_start + OUTAGE_SECS))
wait_until_deadline() { [ "$(date +%s)" -ge "$deadline" ]; }
wait_for $((OUTAGE_SECS + 5)) wait_until_deadline
echo "# queue after ${OUTAGE_SECS}s without a receiver: $(queue_bytes) bytes"
start_prometheus
check "prometheus is back" wait_for 60 prom_ready
check "the agent says the receiver accepts again" wait_for 30 \
	file_contains "$dir/daemon.log" "remote write: the receiver accepts again"
check "the queue drains" wait_for 30 queue_empty
sleep_until=$(( $(date +%s) + 4 ))
wait_for 10 bash -c "[ \$(date +%s) -ge $sleep_until ]"
end=$(date +%s)
span=$((end - outage_start + 20))
query "sysops_cpu_cores_online{$sel}[${span}s]" "$end"
gaps() {
	python3 - "$dir/q.json" "$outage_start" "$end" <<'PY'
import json, sys
values = json.load(open(sys.argv[1]))["data"]["result"][0]["values"]
times = [float(t) for t, _ in values]
start, end = float(sys.argv[2]) - 10, float(sys.argv[3])
inside = [t for t in times if start <= t <= end]
worst = max(b - a for a, b in zip(inside, inside[1:]))
print("# %d samples from %d s before the outage to now, largest step %.3f s"
      % (len(inside), 10, worst))
sys.exit(0 if worst <= 3.0 and len(inside) >= (end - start) / 2 - 3 else 1)
PY
}
check "no gap: every 2-second step across the outage is in Prometheus" gaps
check "nothing was dropped or refused" \
	has_result "sysops_agent_remote_write_dropped_batches_total{$sel} == 0"
has_result "sysops_agent_remote_write_refused_batches_total{$sel} > 0" &&
	echo "# note: $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["result"][0]["value"][1])' "$dir/q.json") batch(es) refused (a resend Prometheus already had)"
check "Prometheus logged no out-of-order samples" \
	bash -c "! grep -q 'out of order' '$dir/prom.log'"
stop_pid "$DAEMON_PID"
check "the daemon logs its totals at stop" \
	file_contains "$dir/daemon.log" "remote write: "
grep "remote write: [0-9]* batches" "$dir/daemon.log" | sed 's/^/# /'
stop_pid "$PROM_PID"
quietly() { "$@" >"$dir/tool.out" 2>&1; }
check "the shipped fleet rules load in Prometheus" \
	quietly "$(dirname "$PROM")/promtool" check rules etc/prometheus-sysops-rules.yml
