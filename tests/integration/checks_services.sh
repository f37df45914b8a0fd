#!/usr/bin/env bash
# checks_services.sh - tls, http and redis checks against real servers from
# Debian's packages on loopback, each on a random port and stopped by PID:
# nginx with self-signed certificates valid 5 days (critical) and 15 days
# (warning), a location that starts answering 503 (an alert with the
# status and the latency) and then 200 again (resolved); redis-server whose
# INFO becomes series, with maxmemory filled (memory near its limit), and a
# password that reaches no output.
. tests/integration/lib.sh

for tool in nginx redis-server openssl; do
	if ! command -v "$tool" >/dev/null && ! [ -x "/usr/sbin/$tool" ]; then
		echo "# $tool not installed (scripts/install-deps)"
		not_ok "$tool available"
		exit 1
	fi
done
nginx=$(command -v nginx || echo /usr/sbin/nginx)
dir=$TEST_TMP
# nginx's workers (nobody) look for the "down" file; the agent reads the
# certificates and password here also when it runs as sysops-agent (started
# as root where that account exists).
chmod 0755 "$dir"
start_receiver "$dir" "checks-hmac" || { not_ok "receiver started"; exit 1; }

certificate() { # certificate NAME DAYS
	openssl req -x509 -newkey rsa:2048 -nodes -days "$2" \
		-subj "/CN=localhost" \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		-keyout "$dir/$1.key" -out "$dir/$1.pem" >/dev/null 2>&1
}
certificate five 5
certificate fifteen 15
# start_servers: nginx and redis-server on four fresh ports, listening and
# alive (a port taken by a suite running beside this one between the choice
# and the bind makes nginx or redis exit; new ports are tried then).
redis_password=r3dis-Secret-pw
start_servers() {
	read -r tls5 tls15 http redis <<<"$(free_ports 4 | tr '\n' ' ')"
	mkdir -p "$dir/nginx"
cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx/nginx.pid;
error_log $dir/nginx/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $dir/nginx/body;
	proxy_temp_path $dir/nginx/proxy;
	fastcgi_temp_path $dir/nginx/fastcgi;
	uwsgi_temp_path $dir/nginx/uwsgi;
	scgi_temp_path $dir/nginx/scgi;
	server {
		listen 127.0.0.1:$tls5 ssl;
		ssl_certificate $dir/five.pem;
		ssl_certificate_key $dir/five.key;
		location / { return 200 "five\n"; }
	}
	server {
		listen 127.0.0.1:$tls15 ssl;
		ssl_certificate $dir/fifteen.pem;
		ssl_certificate_key $dir/fifteen.key;
		location / { return 200 "fifteen\n"; }
	}
	server {
		listen 127.0.0.1:$http;
		location /health {
			if (-f $dir/down) { return 503 "down\n"; }
			return 200 "ok\n";
		}
	}
}
EOF
	"$nginx" -c "$dir/nginx.conf" -p "$dir/nginx" 2>"$dir/nginx.err" &
	nginx_pid=$!
	TEST_PIDS+=("$nginx_pid")
	redis-server --port "$redis" --bind 127.0.0.1 --save '' \
		--appendonly no --maxmemory 2mb --maxmemory-policy noeviction \
		--requirepass "$redis_password" --daemonize no \
		>"$dir/redis.log" 2>&1 &
	redis_pid=$!
	TEST_PIDS+=("$redis_pid")
	# Not dead yet reaped: a server that lost its port exits at once.
	running() { grep -q '^State:[[:space:]]*[^Z]' "/proc/$1/status" 2>/dev/null; }
	wait_for 20 eval "port_open $tls5 && port_open $tls15 &&
		port_open $http && port_open $redis &&
		running $nginx_pid && running $redis_pid" && return
	stop_pid "$nginx_pid"
	stop_pid "$redis_pid"
	return 1
}
check "nginx and redis-server listen on their random ports" \
	eval 'start_servers || start_servers || start_servers'

printf '%s\n' "$redis_password" >"$dir/redis-password"
write_checks_config "$dir/agent.toml" "$dir/state" \
	'[listeners]' 'enabled = false' \
	'[[checks]]' 'name = "shop-tls"' 'type = "tls"' \
	"target = \"127.0.0.1:$tls5\"" "ca_file = \"$dir/five.pem\"" \
	'labels = { team = "web" }' \
	'[[checks]]' 'name = "api-tls"' 'type = "tls"' \
	"target = \"127.0.0.1:$tls15\"" 'server_name = "localhost"' \
	"ca_file = \"$dir/fifteen.pem\"" \
	'[[checks]]' 'name = "cert-files"' 'type = "tls"' \
	"files = [\"$dir/f*.pem\"]" \
	'[[checks]]' 'name = "health"' 'type = "http"' \
	"url = \"http://127.0.0.1:$http/health\"" 'body = "^ok"' \
	'[[checks]]' 'name = "cache"' 'type = "redis"' \
	"target = \"127.0.0.1:$redis\"" "password_file = \"$dir/redis-password\""
"$AGENT" check-config -c "$dir/agent.toml" >"$dir/check-config.out" 2>&1
check "check-config accepts the checks" test $? -eq 0

start_daemon "$dir/daemon.log" -f -c "$dir/agent.toml"
firing() { webhook_alerts_at_least "$dir" 1 "a['state'] == 'firing' and $1"; }
resolved() { webhook_alerts_at_least "$dir" 1 "a['state'] == 'resolved' and $1"; }
check "a certificate valid 5 more days is critical, with the days and the name" \
	wait_for 20 firing "a['rule'] == 'certificate_expiry' and a['labels'].get('check') == 'shop-tls' and a['severity'] == 'critical' and 'certificate for localhost' in a['summary'] and 'expires in 5 days' in a['summary']"
check "the check's own labels are on its alert" \
	firing "a['labels'].get('check') == 'shop-tls' and a['labels'].get('team') == 'web'"
check "a certificate valid 15 more days is a warning (SNI and name verified)" \
	wait_for 20 firing "a['rule'] == 'certificate_expiry' and a['labels'].get('check') == 'api-tls' and a['severity'] == 'warning' and 'expires in 15 days' in a['summary']"
check "the same certificates as local PEM files, one alert per file" \
	wait_for 20 eval "firing \"a['labels'].get('file') == '$dir/five.pem' and a['severity'] == 'critical'\" &&
		firing \"a['labels'].get('file') == '$dir/fifteen.pem' and a['severity'] == 'warning'\""
check "the trusted endpoints themselves are not down" \
	test "$(webhook_alert_count "$dir" "a['rule'] == 'check_failed' and a['labels'].get('check') in ('shop-tls', 'api-tls', 'cert-files', 'health')")" -eq 0
# What failed, when it did: the check's own words.
webhook_alerts "$dir" "'# ' + a['state'] + ': ' + a['summary']" \
	"a['rule'] == 'check_failed'"

touch "$dir/down"
check "the location answering 503 fires, with the status and the latency" \
	wait_for 20 firing "a['rule'] == 'check_failed' and a['labels'].get('check') == 'health' and a['summary'].startswith('health: HTTP 503 after ') and a['summary'].split(' after ')[1].split(' s')[0].replace('.', '', 1).replace('e-', '', 1).isdigit()"
rm -f "$dir/down"
check "back to 200, it is resolved" \
	wait_for 20 resolved "a['rule'] == 'check_failed' and a['labels'].get('check') == 'health' and 'HTTP 200' in a['summary']"

series() { grep -q "^sysops_$1" "$dir/state/metrics.prom" 2>/dev/null; }
# Fill maxmemory (noeviction: writes fail once it is reached).
python3 - "$redis" "$redis_password" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
password = sys.argv[2].encode()
s.sendall(b"*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n" % (len(password), password))
s.recv(100)
value = b"x" * 10000
for i in range(2000):
    key = b"key%d" % i
    s.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" %
              (len(key), key, len(value), value))
    if s.recv(200).startswith(b"-OOM"):
        break
PY
check "maxmemory filled: an alert about memory near the limit" \
	wait_for 20 firing "a['rule'] == 'redis_memory_near_limit' and a['labels'].get('check') == 'cache' and 'near its limit' in a['summary'] and 'maxmemory 2 MiB' in a['summary']"
check "redis answered INFO after AUTH all along (never down)" \
	test "$(webhook_alert_count "$dir" "a['rule'] == 'check_failed' and a['labels'].get('check') == 'cache'")" -eq 0

# The series, as node_exporter would read them (the history textfile).
stop_pid "$DAEMON_PID"
write_checks_config "$dir/agent.toml" "$dir/state" \
	'[listeners]' 'enabled = false' \
	'[storage.history]' "textfile = \"$dir/state/metrics.prom\"" \
	'[[checks]]' 'name = "cache"' 'type = "redis"' \
	"target = \"127.0.0.1:$redis\"" "password_file = \"$dir/redis-password\"" \
	'[[checks]]' 'name = "shop-tls"' 'type = "tls"' \
	"target = \"127.0.0.1:$tls5\"" "ca_file = \"$dir/five.pem\"" \
	'labels = { team = "web" }' \
	'[[checks]]' 'name = "health"' 'type = "http"' \
	"url = \"http://127.0.0.1:$http/health\""
start_daemon "$dir/daemon2.log" -f -c "$dir/agent.toml"
check "redis INFO is in the registry: clients, memory, rates, bgsave" \
	wait_for 20 eval 'series "redis_connected_clients{check=\"cache\"}" &&
		series "redis_used_memory_bytes{check=\"cache\"}" &&
		series "redis_maxmemory_bytes{check=\"cache\"} 2097152" &&
		series "redis_memory_used_percent{check=\"cache\"}" &&
		series "redis_rejected_connections_per_sec{check=\"cache\"}" &&
		series "redis_evicted_keys_per_sec{check=\"cache\"}" &&
		series "redis_last_bgsave_ok{check=\"cache\"} 1"'
check "check series: up, latency, status, days left (with the check's labels)" \
	eval 'series "check_up{check=\"cache\"} 1" &&
		series "check_latency_seconds{check=\"health\"}" &&
		series "check_http_status{check=\"health\"} 200" &&
		series "check_cert_expiry_days{check=\"shop-tls\",team=\"web\"} 4\.9"'
stop_pid "$DAEMON_PID"
# The console channel logs the alerts themselves at their priority.
check "no error was logged" eval '! grep -h "^<[0-3]>" "$dir/daemon.log" \
	"$dir/daemon2.log" | grep -qv SYSOPS_RULE='
grep -rq -e "$redis_password" "$dir/daemon.log" "$dir/daemon2.log" \
	"$dir/requests.jsonl" "$dir/check-config.out" "$dir/state"
check "the redis password appears in no log, alert or state file" test $? -ne 0
kill -TERM "$nginx_pid" "$redis_pid"
wait "$nginx_pid" "$redis_pid" 2>/dev/null
check "nginx and redis-server stopped by PID" \
	eval '! process_alive "$nginx_pid" && ! process_alive "$redis_pid"'
