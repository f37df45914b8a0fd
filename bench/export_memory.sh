#!/usr/bin/env bash
# export_memory.sh - what remote write costs in resident memory. Three
# daemons side by side with the same ~500 series (process top lists and
# watched processes widened), 360-sample rings, 1 s ticks:
#   base       no HTTP at all (the 8 MiB budget's case);
#   http       a heartbeat URL only: libcurl and TLS are loaded, as for any
#              HTTP channel;
#   export     remote write on, to a local sink that answers 204.
# export - http is the export path itself (buffers, queue, filter cache);
# http - base is libcurl's price, paid by the first HTTP request of any kind.
set -u
BUILD=${BUILD:-build}
TICKS=${BENCH_EXPORT_TICKS:-120}
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

python3 - "$tmp/port" <<'PY' &
import http.server, os, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(204); self.end_headers()
    do_GET = do_POST
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.serve_forever()
PY
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.1; done
sink=http://127.0.0.1:$(cat "$tmp/port")

start() { # start NAME EXTRA-LINES...
	local name=$1; shift
	mkdir -p "$tmp/$name"
	printf '%s\n' '[agent]' 'collect_interval_secs = 1' 'history_secs = 360' \
		"state_dir = \"$tmp/$name/state\"" \
		'[collectors.process]' 'top_count = 50' 'watch_count = 200' \
		'long_running_secs = 0' "$@" >"$tmp/$name/config.toml"
	chmod 0640 "$tmp/$name/config.toml"
	"$AGENT" -f -c "$tmp/$name/config.toml" >"$tmp/$name/log" 2>&1 &
	pids+=($!)
}
start base
start http '[heartbeat]' "url = \"$sink/ping\"" 'interval_secs = 5'
start export '[export.remote_write]' "url = \"$sink/api/v1/write\""

sleep "$TICKS.5"
declare -A RSS PSS ANON
i=1
for name in base http export; do
	pid=${pids[$i]}; i=$((i + 1))
	kill -0 "$pid" 2>/dev/null || { echo "$name died"; cat "$tmp/$name/log"; exit 1; }
	RSS[$name]=$(awk '/^Rss:/ {print $2}' "/proc/$pid/smaps_rollup")
	PSS[$name]=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
	ANON[$name]=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status")
	echo "$name after $TICKS ticks: RSS ${RSS[$name]} KiB, PSS ${PSS[$name]} KiB, anonymous ${ANON[$name]} KiB"
done
kill -TERM "${pids[3]}" && wait "${pids[3]}" 2>/dev/null
series=$(sed -n 's/.*remote write: \([0-9]*\) batches (\([0-9]*\) samples encoded, \([0-9]*\) bytes) sent.*/\2 \1 \3/p' "$tmp/export/log")
read -r samples batches bytes <<<"$series"
echo "export: $batches batches, $((samples / batches)) series a batch, $((bytes / batches)) bytes a batch ($(awk "BEGIN {printf \"%.1f\", $bytes / $samples}") bytes a sample)"
echo "libcurl and TLS (http - base): RSS +$((RSS[http] - RSS[base])) KiB, PSS +$((PSS[http] - PSS[base])) KiB"
echo "the export path (export - http): RSS +$((RSS[export] - RSS[http])) KiB, PSS +$((PSS[export] - PSS[http])) KiB, anonymous +$((ANON[export] - ANON[http])) KiB"
