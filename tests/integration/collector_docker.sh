#!/usr/bin/env bash
# collector_docker.sh - the docker collector against a stand-in Docker Engine
# API served on a unix socket in the test directory (Python's http.server):
# containers, running state, restart counts, OOMKilled and health; off by
# default; an absent socket disables it with one line.
. "$(dirname "$0")/lib.sh"

socket=$TEST_TMP/docker.sock
python3 - "$socket" >"$TEST_TMP/engine.log" 2>&1 <<'PY' &
import json, socketserver, sys
from http.server import BaseHTTPRequestHandler

containers = [
    {"Id": "a" * 64, "Names": ["/web"], "State": "running"},
    {"Id": "b" * 64, "Names": ["/worker"], "State": "exited"},
]
inspect = {
    "a" * 64: {"Id": "a" * 64, "RestartCount": 4, "State": {"Status": "running", "OOMKilled": False,
               "Health": {"Status": "unhealthy"}}},
    "b" * 64: {"Id": "b" * 64, "RestartCount": 0, "State": {"Status": "exited", "OOMKilled": True}},
}

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/containers/json"):
            body = containers
        else:
            body = inspect.get(self.path.split("/")[2])
        if body is None:
            self.send_response(404); self.end_headers(); return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    def address_string(self):
        return "unix"

class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

print("ready", flush=True)
Server(sys.argv[1], Handler).serve_forever()
PY
TEST_PIDS+=("$!")
check "the stand-in engine listens" wait_for 5 test -S "$socket"

config=$TEST_TMP/config.toml
write_config "$config" '[agent]' 'collect_interval_secs = 1' \
	"state_dir = \"$TEST_TMP/state\"" '[collectors.process]' \
	'enabled = false' '[collectors.docker]' 'enabled = true' \
	"socket_path = \"$socket\""
"$AGENT" once -c "$config" >"$TEST_TMP/once.out" 2>"$TEST_TMP/once.err"
has() { grep -qE "^$1 +$2\$" "$TEST_TMP/once.out"; }
check "both containers are counted" has 'docker\.containers' 2
check "one is running" has 'docker\.containers_running' 1
check "web is running" has 'docker\.container_running\{container=web\}' 1
check "worker is not" has 'docker\.container_running\{container=worker\}' 0
check "restart count from the inspection" \
	has 'docker\.container_restarts_total\{container=web\}' 4
check "an OOM kill is reported" \
	has 'docker\.container_oom_killed\{container=worker\}' 1
check "an unhealthy container is reported" \
	has 'docker\.container_healthy\{container=web\}' 0
check "no healthcheck, no health series" \
	bash -c "! grep -q 'container_healthy{container=worker}' '$TEST_TMP/once.out'"

write_config "$config" '[agent]' 'collect_interval_secs = 1' \
	"state_dir = \"$TEST_TMP/state\"" '[collectors.process]' \
	'enabled = false' '[collectors.docker]' 'enabled = true' \
	"socket_path = \"$TEST_TMP/absent.sock\""
"$AGENT" once -c "$config" >"$TEST_TMP/absent.out" 2>"$TEST_TMP/absent.err"
check "an absent socket is said once" \
	test "$(grep -c 'collector docker unavailable' "$TEST_TMP/absent.err")" = 1
check "and the rest is still collected" grep -q '^cpu.cores_online' "$TEST_TMP/absent.out"
write_config "$config" '[agent]' 'collect_interval_secs = 1' \
	"state_dir = \"$TEST_TMP/state\""
"$AGENT" once -c "$config" >"$TEST_TMP/default.out" 2>&1
check "docker is off by default" bash -c "! grep -q '^docker\.' '$TEST_TMP/default.out'"
