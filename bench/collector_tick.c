/*
 * collector_tick.c - what one collection costs on this machine, against
 * the cost of the files themselves.
 *
 * 1. CPU µs per tick of the full default collector set (config defaults,
 *    real /proc and /sys), 300 ticks after a warm-up.
 * 2. The floor: the same files opened, read and parsed plainly (every
 *    number scanned with strtoull), statvfs on the same filesystems, the
 *    same /proc/PID walk, descriptor directories and limits for as many
 *    processes as are watched - no registry, no rates, no labels.
 * 3. Their ratio (budget <= 1.5).
 * 4. Memory as the daemon holds it: registry of max_series x 1 h rings at
 *    the default interval, RSS and PSS (smaps_rollup) after 100 ticks,
 *    after 1000 (rings full) and after 10,000 (issue 18's "flat from tick
 *    100 to tick 10,000"; ~28 simulated hours, ticks back to back), and the
 *    malloc heap in use at each (mallinfo2, or mallinfo before glibc 2.33):
 *    it must not grow.
 */
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#include "collector/collector.h"
#include "core/config.h"
#include "core/log.h"
#include "storage/metrics.h"

#define MEASURED_TICKS 300

/*
 * Bytes the malloc heap has handed out (arenas plus mmap'd blocks).
 * mallinfo2() is glibc >= 2.33; before it mallinfo()'s int fields are
 * exact below 2 GiB, far above what the bench allocates.
 */
static size_t heap_in_use(void)
{
#if __GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33)
	struct mallinfo2 info = mallinfo2();

	return info.uordblks + info.hblkhd;
#else
	struct mallinfo info = mallinfo();

	return (size_t)(unsigned)info.uordblks + (size_t)(unsigned)info.hblkhd;
#endif
}

/*
 * Every allocation of the process is counted: the program's own malloc
 * family interposes on libc's (glibc exports the real ones as __libc_*),
 * so "no allocation per tick in steady state" is measured, not assumed.
 */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
static unsigned long allocations;

void *malloc(size_t size)
{
	allocations++;
	return __libc_malloc(size);
}

void *calloc(size_t count, size_t size)
{
	allocations++;
	return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size)
{
	allocations++;
	return __libc_realloc(pointer, size);
}

void free(void *pointer)
{
	__libc_free(pointer);
}

static uint64_t cpu_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static char buffer[256 * 1024];
static volatile uint64_t sink;

/* Reads a file and scans every number in it: the plain way. */
static size_t read_and_parse(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
	ssize_t n, used = 0;

	if (fd < 0)
		return 0;
	while ((n = read(fd, buffer + used, sizeof(buffer) - 1 - (size_t)used))
	       > 0)
		used += n;
	close(fd);
	buffer[used] = '\0';
	for (char *p = buffer; *p;) {
		if (*p >= '0' && *p <= '9')
			sink += strtoull(p, &p, 10);
		else
			p++;
	}
	return (size_t)used;
}

static const char *const fixed_files[] = {
	"stat", "meminfo", "vmstat", "loadavg", "pressure/cpu",
	"pressure/memory", "pressure/io", "diskstats", "net/dev", "net/snmp",
	"net/netstat", "net/sockstat", "sys/net/netfilter/nf_conntrack_count",
	"sys/net/netfilter/nf_conntrack_max", "sys/fs/file-nr", "uptime",
	"sys/kernel/random/boot_id", "sys/kernel/tainted",
};

static bool watched_fstype(const struct config *config, const char *fstype)
{
	const struct config_string_list *list =
		&config->collectors.disk.fstypes;

	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i], fstype) == 0)
			return true;
	return false;
}

static void floor_mounts(const struct config *config, int proc_fd)
{
	char *save = NULL;

	read_and_parse(proc_fd, "self/mountinfo");
	/* read_and_parse consumed it; read it again as text for statvfs. */
	{
		int fd = openat(proc_fd, "self/mountinfo", O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buffer, sizeof(buffer) - 1) : 0;

		if (fd >= 0)
			close(fd);
		buffer[n > 0 ? n : 0] = '\0';
	}
	for (char *line = strtok_r(buffer, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char mount[512], fstype[64];
		struct statvfs st;
		char *dash = strstr(line, " - ");

		if (dash == NULL ||
		    sscanf(line, "%*s %*s %*s %*s %511s", mount) != 1 ||
		    sscanf(dash + 3, "%63s", fstype) != 1)
			continue;
		if (watched_fstype(config, fstype) && statvfs(mount, &st) == 0)
			sink += st.f_bfree;
	}
}

static void floor_interfaces(int sys_fd)
{
	char path[300];
	DIR *dir;
	struct dirent *entry;
	int fd = openat(sys_fd, "class/net", O_RDONLY | O_DIRECTORY);

	if (fd < 0 || (dir = fdopendir(fd)) == NULL)
		return;
	while ((entry = readdir(dir)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "class/net/%s/operstate",
			 entry->d_name);
		read_and_parse(sys_fd, path);
	}
	closedir(dir);
}

static void floor_processes(int proc_fd, long watch_count)
{
	char path[300], dents[4096];
	DIR *dir;
	struct dirent *entry;
	int fd = openat(proc_fd, ".", O_RDONLY | O_DIRECTORY);
	long watched = 0;

	if (fd < 0 || (dir = fdopendir(fd)) == NULL)
		return;
	read_and_parse(proc_fd, "uptime");
	while ((entry = readdir(dir)) != NULL) {
		int fd_dir;
		long n;

		if (entry->d_name[0] < '1' || entry->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/stat", entry->d_name);
		read_and_parse(proc_fd, path);
		if (watched >= watch_count)
			continue;
		watched++;
		snprintf(path, sizeof(path), "%s/fd", entry->d_name);
		fd_dir = openat(proc_fd, path, O_RDONLY | O_DIRECTORY);
		if (fd_dir >= 0) {
			while ((n = syscall(SYS_getdents64, fd_dir, dents,
					    sizeof(dents))) > 0)
				sink += (uint64_t)n;
			close(fd_dir);
		}
		snprintf(path, sizeof(path), "%s/limits", entry->d_name);
		read_and_parse(proc_fd, path);
	}
	closedir(dir);
}

static void floor_tick(const struct config *config, int proc_fd, int sys_fd)
{
	struct timex tx = { 0 };

	for (size_t i = 0; i < sizeof(fixed_files) / sizeof(fixed_files[0]);
	     i++)
		read_and_parse(proc_fd, fixed_files[i]);
	floor_mounts(config, proc_fd);
	floor_interfaces(sys_fd);
	if (config->collectors.process.enabled)
		floor_processes(proc_fd,
				(long)config->collectors.process.watch_count);
	sink += (uint64_t)adjtimex(&tx);
}

/* A "Key:   N kB" field of a /proc/self file, in KiB, or -1. */
static long proc_field_kib(const char *file, const char *key)
{
	FILE *f = fopen(file, "r");
	char line[256];
	long value = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			value = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return value;
}

/* RSS, PSS (smaps_rollup) and the anonymous part of RSS, in KiB. */
static void memory_kib(long *rss, long *pss, long *anon)
{
	*rss = proc_field_kib("/proc/self/smaps_rollup", "Rss:");
	*pss = proc_field_kib("/proc/self/smaps_rollup", "Pss:");
	*anon = proc_field_kib("/proc/self/status", "RssAnon:");
}

static size_t count_series(const struct metric_registry *metrics)
{
	size_t n = 0;

	for (size_t id = 0; id < metrics_capacity(metrics); id++)
		if (metrics_get(metrics, (int)id))
			n++;
	return n;
}

int main(void)
{
	struct config *config;
	struct metric_registry *metrics;
	struct collector_set *set;
	int64_t now = 1700000000LL * 1000000;
	uint64_t start, collectors_usec, floor_usec;
	size_t heap_100 = 0, heap_1000 = 0, heap_10000;
	unsigned long allocations_100 = 0, allocations_1000 = 0;
	long rss_100 = -1, pss_100 = -1, anon_100 = -1, rss_1000 = -1,
	     pss_1000 = -1, anon_1000 = -1, rss_10000, pss_10000, anon_10000;
	size_t capacity, series;
	int proc_fd, sys_fd, tick = 0;

	log_open(LOG_TARGET_PLAIN);
	log_set_level(LOG_WARNING);
	config = config_defaults();
	if (config == NULL)
		return 1;
	capacity = (size_t)(config->agent.history_secs /
			    config->agent.collect_interval_secs);
	metrics = metrics_new((size_t)config->storage.max_series, capacity);
	if (metrics == NULL || collector_set_new(config, metrics, &set) < 0)
		return 1;
	proc_fd = open(config->agent.proc_root, O_RDONLY | O_DIRECTORY);
	sys_fd = open(config->agent.sys_root, O_RDONLY | O_DIRECTORY);

	for (; tick < 20; tick++) {
		now += 10 * 1000000LL;
		collector_set_collect(set, now);
		floor_tick(config, proc_fd, sys_fd);
	}
	start = cpu_usec();
	for (int i = 0; i < MEASURED_TICKS; i++, tick++) {
		now += 10 * 1000000LL;
		collector_set_collect(set, now);
	}
	collectors_usec = cpu_usec() - start;
	start = cpu_usec();
	for (int i = 0; i < MEASURED_TICKS; i++)
		floor_tick(config, proc_fd, sys_fd);
	floor_usec = cpu_usec() - start;

	printf("collectors (full default set): %8.1f us CPU per tick\n",
	       (double)collectors_usec / MEASURED_TICKS);
	printf("floor (read + parse same files): %6.1f us CPU per tick\n",
	       (double)floor_usec / MEASURED_TICKS);
	printf("ratio collectors / floor:       %7.2f (budget <= 1.50)\n",
	       (double)collectors_usec / (double)floor_usec);

	/* Memory: the registry as the daemon sizes it, ticks 100, 1000 and
	 * 10,000. */
	collector_set_free(set);
	metrics_free(metrics);
	metrics = metrics_new((size_t)config->storage.max_series, capacity);
	if (metrics == NULL || collector_set_new(config, metrics, &set) < 0)
		return 1;
	for (tick = 1; tick <= 10000; tick++) {
		now += 10 * 1000000LL;
		collector_set_collect(set, now);
		if (tick == 100) {
			memory_kib(&rss_100, &pss_100, &anon_100);
			heap_100 = heap_in_use();
			allocations_100 = allocations;
		} else if (tick == 1000) {
			memory_kib(&rss_1000, &pss_1000, &anon_1000);
			heap_1000 = heap_in_use();
			allocations_1000 = allocations;
		}
	}
	allocations_100 = allocations_1000 - allocations_100;
	allocations_1000 = allocations - allocations_1000;
	memory_kib(&rss_10000, &pss_10000, &anon_10000);
	heap_10000 = heap_in_use();
	series = count_series(metrics);
	printf("series: %zu live of max_series %lld, ring %zu samples "
	       "(%llds history at %llds)\n", series,
	       (long long)config->storage.max_series, capacity,
	       (long long)config->agent.history_secs,
	       (long long)config->agent.collect_interval_secs);
	printf("after  100 ticks: RSS %ld KiB (anonymous %ld), PSS %ld KiB, "
	       "heap in use %zu bytes\n",
	       rss_100, anon_100, pss_100, heap_100);
	printf("after 1000 ticks: RSS %ld KiB (anonymous %ld), PSS %ld KiB, "
	       "heap in use %zu bytes (rings full)\n",
	       rss_1000, anon_1000, pss_1000, heap_1000);
	printf("after 10000 ticks: RSS %ld KiB (anonymous %ld), PSS %ld KiB, "
	       "heap in use %zu bytes\n",
	       rss_10000, anon_10000, pss_10000, heap_10000);
	printf("heap growth tick 100 -> 1000: %ld bytes, 1000 -> 10000: %ld "
	       "bytes (budget 0)\n",
	       (long)heap_1000 - (long)heap_100,
	       (long)heap_10000 - (long)heap_1000);
	printf("allocations (malloc/calloc/realloc) tick 100 -> 1000: %lu "
	       "(%.2f per tick), 1000 -> 10000: %lu (%.2f per tick)\n",
	       allocations_100, (double)allocations_100 / 900,
	       allocations_1000, (double)allocations_1000 / 9000);
	collector_set_free(set);
	metrics_free(metrics);
	config_free(config);
	close(proc_fd);
	close(sys_fd);
	return (double)collectors_usec / (double)floor_usec <= 1.5 &&
		       heap_1000 == heap_100 && heap_10000 == heap_100
		   ? 0
		   : 1;
}
