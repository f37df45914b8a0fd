/*
 * fuzz_proc.c - libFuzzer target for every /proc, /sys and cgroup parser of
 * the collectors, driven the way the daemon drives them.
 *
 * A fixture tree (tests/fixtures/linux-6.18-kvm plus cgroup-v2) is copied
 * once; each input's first byte picks a file, the rest becomes its content
 * (rewritten in place, as procfs would present it) and one full collection
 * runs. ASan/UBSan catch overreads and undefined behaviour; the registry is
 * small so admission and retirement churn too. Run from the project root.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/event.h"
#include "collector/collector.h"
#include "core/config.h"
#include "core/log.h"
#include "storage/metrics.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const targets[] = {
	"proc/stat",
	"proc/meminfo",
	"proc/vmstat",
	"proc/loadavg",
	"proc/pressure/cpu",
	"proc/pressure/io",
	"proc/self/mountinfo",
	"proc/diskstats",
	"proc/net/dev",
	"proc/net/snmp",
	"proc/net/netstat",
	"proc/net/sockstat",
	"proc/sys/fs/file-nr",
	"proc/sys/net/netfilter/nf_conntrack_count",
	"proc/4242/stat",
	"proc/4242/limits",
	"proc/uptime",
	"proc/sys/kernel/random/boot_id",
	"proc/sys/kernel/tainted",
	"sys/fs/cgroup/system.slice/nginx.service/memory.current",
	"sys/fs/cgroup/system.slice/nginx.service/memory.events",
	"sys/fs/cgroup/system.slice/nginx.service/cpu.stat",
	"sys/fs/cgroup/system.slice/nginx.service/pids.max",
	"sys/class/net/eth0/operstate",
};

#define TARGET_COUNT (sizeof(targets) / sizeof(targets[0]))

static char root[256];
static struct config *config;
static struct metric_registry *metrics;
static struct collector_set *set;
static int64_t now = 1700000000LL * 1000000;

/* Events are built (summaries formatted) but go nowhere. */
static int discard_alert(const struct alert_event *event)
{
	return event->summary != NULL ? 0 : -1;
}

static void replace(char **field, const char *value)
{
	free(*field);
	*field = strdup(value);
}

static void remove_tree(void)
{
	char command[300];

	snprintf(command, sizeof(command), "rm -rf '%s'", root);
	if (system(command) != 0)
		fprintf(stderr, "fuzz_proc: cannot remove %s\n", root);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char command[1024], path[512];

	(void)argc, (void)argv;
	snprintf(root, sizeof(root), "/tmp/fuzz-proc.XXXXXX");
	if (mkdtemp(root) == NULL)
		abort();
	snprintf(command, sizeof(command),
		 "cp -R tests/fixtures/linux-6.18-kvm/. '%s/' && "
		 "cp -R tests/fixtures/cgroup-v2/sys/fs/cgroup/. "
		 "'%s/sys/fs/cgroup/' && rm -rf '%s/sys/fs/cgroup/unified'",
		 root, root, root);
	if (system(command) != 0) {
		fprintf(stderr, "fuzz_proc: run from the project root\n");
		abort();
	}
	atexit(remove_tree);
	log_open(LOG_TARGET_PLAIN);
	log_set_level(LOG_ERR);
	config = config_defaults();
	config->collectors.systemd.enabled = false;
	config->collectors.docker.enabled = false;
	config->collectors.process.long_running_secs = 0;
	snprintf(path, sizeof(path), "%s/proc", root);
	replace(&config->agent.proc_root, path);
	snprintf(path, sizeof(path), "%s/sys", root);
	replace(&config->agent.sys_root, path);
	metrics = metrics_new(256, 4);
	if (collector_set_new(config, metrics, &set) < 0)
		abort();
	collector_set_alerts(set, discard_alert);
	collector_set_collect(set, now);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[512];
	int fd;

	if (size < 1)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", root,
		 targets[data[0] % TARGET_COUNT]);
	fd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return 0;
	if (size > 1 && write(fd, data + 1, size - 1) < 0)
		abort();
	close(fd);
	now += 10 * 1000000LL;
	collector_set_collect(set, now);
	return 0;
}
