/*
 * checks_bench.c - what 50 mixed checks at a 10-s interval cost per tick:
 * process (name and /regex/), tcp, http, tls (endpoint and files), command,
 * listen and redis checks against servers this program starts on loopback
 * (python3's http.server, openssl s_server, redis-server when installed),
 * plus the listening-socket watch. Ticks run back to back (each one runs
 * every check, as a 10-s interval does at a 10-s collection); CPU is the
 * agent's own (its threads included: libcurl's and getaddrinfo_a's) from
 * the tick until every run has finished, and, apart, the commands' children.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "checks/checks.h"
#include "core/config.h"
#include "core/event.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"
#include "storage/metrics.h"

#define WARMUP_TICKS   3
#define MEASURED_TICKS 20

static unsigned long events;

static int count_event(const struct alert_event *event, void *context)
{
	(void)context;
	if (getenv("CHECKS_BENCH_VERBOSE"))
		fprintf(stderr, "event: %s %s %s\n", event->rule, event->labels,
			event->summary);
	events++;
	return 0;
}

static int no_sync(void *context)
{
	(void)context;
	return 0;
}

static uint64_t cpu_usec(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t children_usec(void)
{
	struct rusage usage;

	getrusage(RUSAGE_CHILDREN, &usage);
	return (uint64_t)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) *
		   1000000 +
	       (uint64_t)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t length = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &length) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static pid_t spawn(const char *command)
{
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", command, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static bool port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool open;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	open = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return open;
}

static bool wait_port(int port)
{
	for (int i = 0; i < 500; i++) {
		if (port_open(port))
			return true;
		usleep(20 * 1000);
	}
	return false;
}

/* Appends one [[checks]] table; n numbers the names. */
static size_t add(char *text, size_t used, size_t size, const char *type, int n,
		  const char *keys)
{
	return used + (size_t)snprintf(text + used, size - used,
				       "[[checks]]\nname = \"%s-%d\"\ntype = "
				       "\"%s\"\n%s\n",
				       type, n, type, keys);
}

/*
 * How many checks of each type (process, tcp, http, tls endpoint, tls file,
 * command, listen, redis): the mix, or with an argument 50 of one type.
 */
static void choose_mix(const char *only, bool redis, int counts[8])
{
	static const char *const names[8] = {"process", "tcp",	   "http",
					     "tls",	"tlsfile", "command",
					     "listen",	"redis"};
	static const int mix[8] = {8, 8, 8, 4, 4, 6, 6, 6};

	for (int i = 0; i < 8; i++)
		counts[i] = only == NULL		  ? mix[i]
			    : strcmp(only, names[i]) == 0 ? 50
							  : 0;
	if (!redis) { /* no server: tcp checks stand in */
		counts[1] += counts[7];
		counts[7] = 0;
	}
}

int main(int argc, char **argv)
{
	char directory[] = "/tmp/sysops-checks-bench.XXXXXX", command[1024];
	char keys[512], *text;
	size_t used = 0, size = 64 * 1024;
	int http_port = free_port(), tls_port = free_port(),
	    redis_port = free_port(), n = 0, counts[8] = {0};
	pid_t servers[3] = {0};
	bool redis = system("command -v redis-server >/dev/null 2>&1") == 0;
	struct event_sink sink = {count_event, no_sync, NULL};
	struct metric_registry *metrics;
	struct config *config = NULL;
	struct checks *checks;
	sd_event *event;
	uint64_t cpu = 0, children = 0, wall = 0, worst = 0;
	int state_fd, r;

	log_set_level(LOG_ERR);
	if (mkdtemp(directory) == NULL)
		return 1;
	snprintf(
	    command, sizeof(command),
	    "cd %s && openssl req -x509 -newkey ec -pkeyopt "
	    "ec_paramgen_curve:prime256v1 -nodes -days 30 -subj "
	    "/CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout "
	    "key.pem -out cert.pem >/dev/null 2>&1 && mkdir www && echo ok "
	    ">www/health",
	    directory);
	if (system(command) != 0) {
		fprintf(stderr, "checks_bench: openssl is needed\n");
		return 1;
	}
	snprintf(command, sizeof(command),
		 "cd %s/www && exec python3 -c 'import http.server as h\n"
		 "class S(h.ThreadingHTTPServer): request_queue_size = 512\n"
		 "S((\"127.0.0.1\", %d), h.SimpleHTTPRequestHandler)"
		 ".serve_forever()' >/dev/null 2>&1",
		 directory, http_port);
	servers[0] = spawn(command);
	snprintf(command, sizeof(command),
		 "exec openssl s_server -quiet -accept 127.0.0.1:%d -cert "
		 "%s/cert.pem -key %s/key.pem -naccept 1000000 </dev/null "
		 ">/dev/null 2>&1",
		 tls_port, directory, directory);
	servers[1] = spawn(command);
	if (redis) {
		snprintf(command, sizeof(command),
			 "exec redis-server --port %d --bind 127.0.0.1 --save "
			 "'' --appendonly no >/dev/null 2>&1",
			 redis_port);
		servers[2] = spawn(command);
	}
	if (!wait_port(http_port) || !wait_port(tls_port) ||
	    (redis && !wait_port(redis_port))) {
		fprintf(stderr, "checks_bench: the servers did not start\n");
		return 1;
	}

	text = malloc(size);
	used = (size_t)snprintf(text, size,
				"[agent]\ncollect_interval_secs = 10\n"
				"proc_root = \"/proc\"\n"
				"[listeners]\nlearning_secs = 0\n");
	choose_mix(argc > 1 ? argv[1] : NULL, redis, counts);
	for (int i = 0; i < counts[0]; i++, n++) {
		snprintf(keys, sizeof(keys), "process = \"%s\"",
			 i % 2 ? "/http\\\\.server/" : "python3");
		used = add(text, used, size, "process", n, keys);
	}
	for (int i = 0; i < counts[1]; i++, n++) {
		snprintf(keys, sizeof(keys), "target = \"127.0.0.1:%d\"",
			 http_port);
		used = add(text, used, size, "tcp", n, keys);
	}
	for (int i = 0; i < counts[2]; i++, n++) {
		snprintf(keys, sizeof(keys),
			 "url = \"http://127.0.0.1:%d/health\"\nbody = \"ok\"",
			 http_port);
		used = add(text, used, size, "http", n, keys);
	}
	for (int i = 0; i < counts[3]; i++, n++) {
		snprintf(keys, sizeof(keys),
			 "target = \"127.0.0.1:%d\"\nca_file = \"%s/cert.pem\"",
			 tls_port, directory);
		used = add(text, used, size, "tls", n, keys);
	}
	for (int i = 0; i < counts[4]; i++, n++) {
		snprintf(keys, sizeof(keys), "files = [\"%s/cert.pem\"]",
			 directory);
		used = add(text, used, size, "tls", n, keys);
	}
	for (int i = 0; i < counts[5]; i++, n++)
		used = add(text, used, size, "command", n,
			   "command = [\"/bin/true\"]");
	for (int i = 0; i < counts[6]; i++, n++) {
		snprintf(keys, sizeof(keys), "target = \"127.0.0.1:%d\"",
			 http_port);
		used = add(text, used, size, "listen", n, keys);
	}
	for (int i = 0; i < counts[7]; i++, n++) {
		snprintf(keys, sizeof(keys), "target = \"127.0.0.1:%d\"",
			 redis_port);
		used = add(text, used, size, "redis", n, keys);
	}
	r = config_load_text("bench", text, used, &config);
	free(text);
	if (r < 0)
		return 1;
	snprintf(command, sizeof(command), "%s/state", directory);
	state_fd = state_dir_open(command);
	metrics = metrics_new(2000, 360);
	sd_event_new(&event);
	event_set_sink(&sink);
	r = checks_new(config, metrics, event, state_fd, &checks);
	if (r < 0)
		return 1;
	for (int tick = 0; tick < WARMUP_TICKS + MEASURED_TICKS; tick++) {
		uint64_t start_wall = now_monotonic_usec();
		uint64_t start_cpu = cpu_usec(CLOCK_PROCESS_CPUTIME_ID);
		uint64_t start_children = children_usec();
		uint64_t tick_wall;

		checks_tick(checks, (int64_t)now_realtime_usec());
		while (checks_busy(checks) > 0 &&
		       now_monotonic_usec() - start_wall < 10 * USEC_PER_SEC)
			sd_event_run(event, 100 * 1000);
		tick_wall = now_monotonic_usec() - start_wall;
		if (tick < WARMUP_TICKS)
			continue;
		cpu += cpu_usec(CLOCK_PROCESS_CPUTIME_ID) - start_cpu;
		children += children_usec() - start_children;
		wall += tick_wall;
		if (tick_wall > worst)
			worst = tick_wall;
	}
	printf("checks: %d at a 10-s interval (%d process, %d tcp, %d http, "
	       "%d tls endpoint, %d tls file, %d command, %d listen, %d redis) "
	       "+ the listener watch\n",
	       n, counts[0], counts[1], counts[2], counts[3], counts[4],
	       counts[5], counts[6], counts[7]);
	printf("checks: CPU per tick %.2f ms in the agent (its threads "
	       "included), %.2f ms in the commands it ran; %.3f%% of a core at "
	       "10 s\n",
	       (double)cpu / MEASURED_TICKS / 1000,
	       (double)children / MEASURED_TICKS / 1000,
	       (double)(cpu + children) / MEASURED_TICKS / 1e7 * 100);
	printf("checks: every run done %.1f ms after the tick on average, "
	       "%.1f ms at worst (the loop never waits on them); %lu alert "
	       "events (new listeners elsewhere on this host, if any)\n",
	       (double)wall / MEASURED_TICKS / 1000, (double)worst / 1000,
	       events);
	checks_stop(checks);
	checks_free(checks);
	event_set_sink(NULL);
	sd_event_unref(event);
	metrics_free(metrics);
	config_free(config);
	close(state_fd);
	for (size_t i = 0; i < 3; i++)
		if (servers[i] > 0) {
			kill(-servers[i], SIGTERM);
			waitpid(servers[i], NULL, 0);
		}
	snprintf(command, sizeof(command), "rm -rf %s", directory);
	return system(command) == 0 ? 0 : 1;
}
