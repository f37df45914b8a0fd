/*
 * context.c - the context an alert carries: the recent values of its series
 * (read back from the ring, oldest first) and a few lines an operator can act
 * on, chosen by what the series measures. Only alerts that fire pay for it:
 * the process collector keeps its snapshot every tick anyway, everything
 * else comes out of the registry.
 */
#include "analyzer/context.h"

#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "collector/collector.h"
#include "core/numeric.h"
#include "core/util.h"
#include "storage/metrics.h"

#define USER_MAX      24
#define DEVICES_SHOWN 3

static bool has_prefix(const char *text, const char *prefix)
{
	return strncmp(text, prefix, strlen(prefix)) == 0;
}

static bool psi_resource(const char *name, const char *labels,
			 const char *resource)
{
	char wanted[32];

	snprintf(wanted, sizeof(wanted), "resource=%s", resource);
	return has_prefix(name, "psi.") && labels != NULL &&
	       strcmp(labels, wanted) == 0;
}

enum context_kind context_kind_of(const char *name, const char *labels)
{
	if (psi_resource(name, labels, "cpu"))
		return CONTEXT_CPU;
	if (psi_resource(name, labels, "memory"))
		return CONTEXT_MEMORY;
	if (psi_resource(name, labels, "io") ||
	    strcmp(name, "cpu.iowait_percent") == 0 ||
	    strcmp(name, "disk.await_ms") == 0 ||
	    strcmp(name, "disk.util_percent") == 0 ||
	    strcmp(name, "disk.io_in_progress") == 0)
		return CONTEXT_DISK_IO;
	if (strcmp(name, "disk.used_percent") == 0 ||
	    strcmp(name, "disk.used_bytes") == 0 ||
	    strcmp(name, "disk.free_bytes") == 0)
		return CONTEXT_DISK_SPACE;
	if (has_prefix(name, "cpu.") || has_prefix(name, "load.") ||
	    strcmp(name, "process.cpu_percent") == 0 ||
	    strcmp(name, "process.running") == 0 ||
	    strcmp(name, "cgroup.cpu_percent") == 0)
		return CONTEXT_CPU;
	if (has_prefix(name, "memory.") || has_prefix(name, "swap.") ||
	    strcmp(name, "process.rss_bytes") == 0 ||
	    strcmp(name, "cgroup.memory_bytes") == 0 ||
	    strcmp(name, "cgroup.memory_used_percent") == 0)
		return CONTEXT_MEMORY;
	if (has_prefix(name, "fd.") || strcmp(name, "process.fd_count") == 0 ||
	    strcmp(name, "process.fd_limit_used_percent") == 0)
		return CONTEXT_FD;
	return CONTEXT_NONE;
}

size_t context_history(const struct metric_registry *registry, int id,
		       double *out, size_t max)
{
	size_t count = metrics_count(registry, id), n;

	if (count > max)
		count = max;
	n = count;
	for (size_t back = 0; back < count; back++) {
		int64_t time_usec;
		double value;

		if (!metrics_value_back(registry, id, back, &time_usec, &value))
			break;
		out[count - 1 - back] = value;
	}
	return n;
}

int context_find_series(const struct metric_registry *registry,
			const char *name, const char *labels)
{
	return metrics_find(registry, name, labels);
}

/* Least-squares slope of n samples (t in seconds); false when flat in t. */
static bool slope_of(const double *t, const double *x, size_t n, double *slope)
{
	double st = 0, sx = 0, stt = 0, stx = 0, d;

	if (n < 2)
		return false;
	for (size_t i = 0; i < n; i++) {
		st += t[i];
		sx += x[i];
		stt += t[i] * t[i];
		stx += t[i] * x[i];
	}
	d = (double)n * stt - st * st;
	if (d <= 0)
		return false;
	*slope = ((double)n * stx - st * sx) / d;
	return true;
}

#define FILL_SAMPLES_MAX 1024

/*
 * The samples of series id within window_secs of its newest, newest first,
 * t in seconds before the newest (t <= 0); returns how many.
 */
static size_t window_samples(const struct metric_registry *registry, int id,
			     double window_secs, double *t, double *x)
{
	int64_t newest_usec, time_usec;
	size_t n = 0;
	double value;

	if (!metrics_value_back(registry, id, 0, &newest_usec, &value))
		return 0;
	for (size_t back = 0;
	     n < FILL_SAMPLES_MAX &&
	     metrics_value_back(registry, id, back, &time_usec, &value);
	     back++) {
		double age = (double)(newest_usec - time_usec) / 1e6;

		if (age > window_secs)
			break;
		t[n] = -age;
		x[n++] = value;
	}
	return n;
}

bool context_disk_fill_rate(const struct metric_registry *registry,
			    const char *labels, double window_secs,
			    double *bytes_per_sec)
{
	int id = context_find_series(registry, "disk.used_bytes", labels);
	double t[FILL_SAMPLES_MAX], x[FILL_SAMPLES_MAX], all, recent;
	size_t n, k;

	if (id < 0)
		return false;
	n = window_samples(registry, id, window_secs, t, x);
	if (!slope_of(t, x, n, &all))
		return false;
	/*
	 * The pace now, not the window's average: when the newest quarter
	 * of the window (4 samples at least) disagrees with the whole by more
	 * than a quarter, the fill changed pace (it began, sped up, slowed)
	 * and the newest part is what the ETA must follow.
	 */
	for (k = 0; k < n && t[k] >= 0.25 * t[n - 1]; k++)
		;
	if (k < 4)
		k = n < 4 ? n : 4;
	if (slope_of(t, x, k, &recent) &&
	    fabs(recent - all) > 0.25 * fabs(recent))
		all = recent;
	*bytes_per_sec = all;
	return true;
}

static bool newest_of(const struct metric_registry *registry, const char *name,
		      const char *labels, double *value)
{
	int id = context_find_series(registry, name, labels);
	int64_t t;

	return id >= 0 && metrics_value_back(registry, id, 0, &t, value);
}

/* Mount points in mountinfo escape blanks as octal (\040). */
static void unescape_mount(char *path)
{
	char *out = path;

	for (char *in = path; *in != '\0'; out++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' &&
		    in[2] >= '0' && in[2] <= '7' && in[3] >= '0' &&
		    in[3] <= '7') {
			*out = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 +
				      (in[3] - '0'));
			in += 4;
		} else {
			*out = *in++;
		}
	}
	*out = '\0';
}

static struct context_tmpfs *tmpfs_entry(struct context_tmpfs_watch *watch,
					 uint64_t dev)
{
	for (size_t i = 0; i < watch->count; i++)
		if (watch->mounts[i].dev == dev)
			return &watch->mounts[i];
	if (watch->count == CONTEXT_TMPFS_MAX)
		return NULL;
	memset(&watch->mounts[watch->count], 0, sizeof(watch->mounts[0]));
	watch->mounts[watch->count].dev = dev;
	watch->mounts[watch->count].used = -1;
	return &watch->mounts[watch->count++];
}

/* One pass over the tmpfs mounts (each superblock once, by device). */
static void tmpfs_scan(struct context_tmpfs_watch *watch, int64_t now_usec)
{
	double secs = (double)(now_usec - watch->scan_usec) / 1e6;
	char line[1024];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned major, minor;
		char mount[512], *dash = strstr(line, " - ");
		struct context_tmpfs *m;
		struct statvfs st;
		double used;

		/* "36 35 0:29 / /run rw,nosuid - tmpfs tmpfs rw,size=..." */
		if (dash == NULL || strncmp(dash, " - tmpfs ", 9) != 0 ||
		    sscanf(line, "%*d %*d %u:%u %*s %511s", &major, &minor,
			   mount) != 3)
			continue;
		unescape_mount(mount);
		m = tmpfs_entry(watch, makedev(major, minor));
		if (m == NULL || statvfs(mount, &st) != 0 || st.f_blocks == 0)
			continue;
		used = (double)(st.f_blocks - st.f_bfree) * (double)st.f_frsize;
		if (m->used >= 0 && used > m->used && secs > 0) {
			m->rate = (used - m->used) / secs;
			m->grown_usec = now_usec;
		}
		m->used = used;
		m->free = (double)st.f_bavail * (double)st.f_frsize;
	}
	fclose(f);
	watch->scan_usec = now_usec;
	watch->scans++;
}

bool context_tmpfs_bound(struct context_tmpfs_watch *watch, int64_t now_usec,
			 double window_secs, double *rate, double *room)
{
	if (watch->scans == 0 || now_usec - watch->scan_usec >= 10000000)
		tmpfs_scan(watch, now_usec);
	*rate = *room = 0;
	if (watch->scans < 2)
		return false;
	for (size_t i = 0; i < watch->count; i++) {
		const struct context_tmpfs *m = &watch->mounts[i];

		if (m->grown_usec == 0 ||
		    (double)(now_usec - m->grown_usec) / 1e6 > window_secs)
			continue;
		*rate += m->rate;
		*room += m->free;
	}
	return true;
}

/* The least-squares slope of series id over the newest window_secs. */
static bool series_slope(const struct metric_registry *registry, int id,
			 double window_secs, double *slope)
{
	double t[FILL_SAMPLES_MAX], x[FILL_SAMPLES_MAX];
	size_t n = window_samples(registry, id, window_secs, t, x);

	return slope_of(t, x, n, slope);
}

void context_cgroup_bound(const struct metric_registry *registry,
			  struct context_cgroup_cache *cache, int64_t now_usec,
			  double window_secs, double *rate, double *room)
{
	size_t capacity = metrics_id_limit(registry);

	if (cache->usec != 0 && now_usec - cache->usec < 10000000) {
		*rate = cache->rate;
		*room = cache->room;
		return;
	}
	*rate = *room = 0;
	for (size_t id = 0; id < capacity; id++) {
		const struct metric_series *s = metrics_get(registry, (int)id);
		double slope, used, max;
		int64_t t;

		/* Every series is looked at, most of them not a cgroup's:
		 * the first byte turns those away without a call (~20
		 * instructions a series, hundreds of series a scan). */
		if (s == NULL || !s->in_use || s->name[0] != 'c' ||
		    strcmp(s->name, "cgroup.memory_bytes") != 0 ||
		    !newest_of(registry, "cgroup.memory_max_bytes", s->labels,
			       &max) ||
		    !metrics_value_back(registry, (int)id, 0, &t, &used) ||
		    !series_slope(registry, (int)id, window_secs, &slope))
			continue;
		/* Grown by a MiB at least over the window: a real fill. */
		if (slope * window_secs < 1048576)
			continue;
		*rate += slope;
		*room += numeric_max(0, max - used);
	}
	cache->usec = now_usec;
	cache->rate = *rate;
	cache->room = *room;
}

/* A cgroup file holding one number; "max" (v2) or a v1 "no limit" (close
 * to 2^63) is infinite. */
static double cgroup_number(const char *path)
{
	char text[64];
	ssize_t n = read_file_into(AT_FDCWD, path, text, sizeof(text));
	uint64_t v = 0;
	const char *p = text;

	if (n <= 0)
		return NAN;
	if (strncmp(text, "max", 3) == 0)
		return INFINITY;
	/* Whole bytes: read as such (strtod was ~670 instructions). */
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p < '0' || *p > '9')
		return strtod(text, NULL); /* not a plain number: as before */
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > UINT64_MAX / 10)
			return INFINITY;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return (double)v >= 9e18 ? INFINITY : (double)v;
}

/*
 * The memory cgroup of a process from its /proc/PID/cgroup text into
 * group ("" when the text names none): a v1 memory hierarchy wins over the
 * v2 "0::" line. False when there is none.
 */
static bool memory_group(char *text, char *group, size_t size, bool *v1)
{
	bool found = false;

	*v1 = false;
	for (char *line = text; line != NULL && *line != '\0';) {
		char *next = strchr(line, '\n'), *first, *second;

		if (next != NULL)
			*next++ = '\0';
		first = strchr(line, ':');
		second = first ? strchr(first + 1, ':') : NULL;
		if (second != NULL) {
			*second = '\0';
			if (strstr(first + 1, "memory") != NULL) {
				string_copy(group, second + 1, size);
				found = *v1 = true;
			} else if (!*v1 && first == line + 1 &&
				   line[0] == '0' && second == first + 1) {
				/* "0::/path": hierarchy 0, no controller
				 * named (read before the cut above, which
				 * leaves "0:" of the line). */
				string_copy(group, second + 1, size);
				found = true;
			}
		}
		line = next;
	}
	return found;
}

/*
 * The least room the memory cgroup group and its ancestors up to the root
 * leave (limit - usage); INFINITY without a limit. The path is built once
 * and cut back a level at a time, each file name put at its end.
 */
static double group_room(const char *root, const char *group, bool v1)
{
	static const char *const files[2][2] = {
	    {"/memory.max", "/memory.current"},
	    {"/memory.limit_in_bytes", "/memory.usage_in_bytes"},
	};
	char path[640];
	size_t base = strlen(root), end;
	double best = INFINITY;

	if (base + (v1 ? 7 : 0) + strlen(group) + 24 > sizeof(path))
		return NAN;
	memcpy(path, root, base);
	if (v1) {
		memcpy(path + base, "/memory", 7);
		base += 7;
	}
	end = base + strlen(group);
	memcpy(path + base, group, end - base);
	for (;;) {
		double limit, usage;
		char *slash;

		memcpy(path + end, files[v1][0], strlen(files[v1][0]) + 1);
		limit = cgroup_number(path);
		memcpy(path + end, files[v1][1], strlen(files[v1][1]) + 1);
		usage = cgroup_number(path);
		if (isfinite(limit) && isfinite(usage))
			best = numeric_min(best, numeric_max(0, limit - usage));
		path[end] = '\0';
		slash = strrchr(path + base, '/');
		if (slash == NULL || end == base)
			break;
		end = (size_t)(slash - path);
	}
	return best;
}

/*
 * The least room any memory cgroup from the process's up to the root
 * leaves; INFINITY without a limit, NAN when unreadable. Kept for the tick
 * by pid and by cgroup: the growing processes of one build share their
 * cgroup, and a leaking process has several series; the next tick reads
 * again, so a changed limit or a reused pid is seen then.
 */
static double cgroup_room(struct context_room_cache *cache, int64_t now_usec,
			  int32_t pid)
{
	char path[64], text[2048], group[400];
	const char *root =
	    cache->cgroup_root ? cache->cgroup_root : "/sys/fs/cgroup";
	struct context_room_group *g;
	bool v1;
	double room;
	size_t used;

	if (cache->usec != now_usec) {
		cache->usec = now_usec;
		cache->pid_count = cache->group_count = 0;
	}
	for (size_t i = 0; i < cache->pid_count; i++)
		if (cache->pids[i].pid == pid)
			return cache->pids[i].room;
	used = string_append_str(path, sizeof(path), 0,
				 cache->proc_root ? cache->proc_root : "/proc");
	used = string_append_str(path, sizeof(path), used, "/");
	used = string_append_u64(path, sizeof(path), used, (uint64_t)pid);
	string_append_str(path, sizeof(path), used, "/cgroup");
	if (read_file_into(AT_FDCWD, path, text, sizeof(text)) <= 0 ||
	    !memory_group(text, group, sizeof(group), &v1)) {
		room = NAN;
	} else {
		g = NULL;
		for (size_t i = 0; i < cache->group_count && g == NULL; i++)
			if (cache->groups[i].v1 == v1 &&
			    strcmp(cache->groups[i].group, group) == 0)
				g = &cache->groups[i];
		if (g == NULL) {
			room = group_room(root, group, v1);
			/* A path longer than an entry's is not kept. */
			if (strlen(group) < sizeof(g->group) &&
			    cache->group_count < CONTEXT_ROOM_CACHE_MAX) {
				g = &cache->groups[cache->group_count++];
				g->v1 = v1;
				string_copy(g->group, group, sizeof(g->group));
				g->room = room;
			}
		} else {
			room = g->room;
		}
	}
	if (cache->pid_count < CONTEXT_ROOM_CACHE_MAX) {
		cache->pids[cache->pid_count].pid = pid;
		cache->pids[cache->pid_count++].room = room;
	}
	return room;
}

bool context_leak_room(const struct metric_registry *registry,
		       struct context_room_cache *cache, int64_t now_usec,
		       const char *name, const char *labels, double value,
		       double *room, const char **what)
{
	size_t length = strlen(name);
	char pid[24];
	double available;

	if (strcmp(name, "process.fd_count") == 0) {
		double used_percent;

		if (!newest_of(registry, "process.fd_limit_used_percent",
			       labels, &used_percent) ||
		    used_percent <= 0)
			return false;
		*room = value * (100 / used_percent - 1);
		*what = "fd limit";
		return true;
	}
	if (length < 6 || strcmp(name + length - 6, "_bytes") != 0 ||
	    !newest_of(registry, "memory.available_bytes", "", &available))
		return false;
	*room = available;
	*what = "available memory";
	if (labels_value(labels, "pid", pid, sizeof(pid))) {
		char *end;
		long number = strtol(pid, &end, 10);
		double cgroup =
		    number > 0 && number <= INT32_MAX && *end == '\0'
			? cgroup_room(cache, now_usec, (int32_t)number)
			: NAN;

		if (cgroup < available) {
			*room = cgroup;
			*what = "cgroup limit";
		}
	}
	return true;
}

void context_format_duration(double secs, char *buffer, size_t size)
{
	/* The one duration format of every output (core/util.h). */
	if (secs < 0)
		snprintf(buffer, size, "never");
	else
		format_duration((uint64_t)(secs + 0.5), buffer, size);
}

/* Appends a whole line, or nothing when it would not fit. */
__attribute__((format(printf, 4, 5))) static void
add_line(char *buffer, size_t size, size_t *used, const char *format, ...)
{
	char line[256];
	va_list args;
	int n;

	va_start(args, format);
	n = vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = (int)sizeof(line) - 1;
	if (*used + (size_t)n + 2 > size)
		return;
	memcpy(buffer + *used, line, (size_t)n);
	*used += (size_t)n;
	buffer[(*used)++] = '\n';
	buffer[*used] = '\0';
}

/*
 * User names straight from /etc/passwd (one pass for every uid): never
 * through NSS, which may ask a directory server and block the tick.
 */
static void user_names(const struct collector_process *list, size_t count,
		       char names[][USER_MAX])
{
	bool resolved[COLLECTOR_TOP_MAX] = {false};
	size_t missing = 0;
	char line[512];
	FILE *f;

	for (size_t i = 0; i < count; i++) {
		if (list[i].uid == UINT32_MAX) {
			snprintf(names[i], USER_MAX, "?");
			resolved[i] = true;
		} else {
			snprintf(names[i], USER_MAX, "uid %u",
				 (unsigned)list[i].uid);
			missing++;
		}
	}
	if (missing == 0)
		return;
	f = fopen("/etc/passwd", "re");
	if (f == NULL)
		return;
	while (missing > 0 && fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':'), *uid_field;
		unsigned long uid;

		if (colon == NULL)
			continue;
		*colon = '\0';
		uid_field = strchr(colon + 1, ':');
		if (uid_field == NULL)
			continue;
		uid = strtoul(uid_field + 1, NULL, 10);
		for (size_t i = 0; i < count; i++)
			if (!resolved[i] && list[i].uid == uid) {
				snprintf(names[i], USER_MAX, "%.*s",
					 USER_MAX - 1, line);
				resolved[i] = true;
				missing--;
			}
	}
	fclose(f);
}

static void format_cpu(const struct metric_registry *registry,
		       const struct collector_top *top, char *buffer,
		       size_t size, size_t *used)
{
	char users[COLLECTOR_TOP_MAX][USER_MAX], interval[24];
	int nice_id = context_find_series(registry, "cpu.nice_percent", "");
	int64_t t;
	double nice;

	if (nice_id >= 0 &&
	    metrics_value_back(registry, nice_id, 0, &t, &nice) && nice >= 1)
		add_line(buffer, size, used,
			 "Niced (background) work: %.0f%% of all CPU", nice);
	if (top == NULL || top->cpu_count == 0)
		return;
	user_names(top->cpu, top->cpu_count, users);
	context_format_duration(top->interval_secs, interval, sizeof(interval));
	add_line(buffer, size, used, "Top CPU over the last %s:", interval);
	for (size_t i = 0; i < top->cpu_count; i++) {
		const struct collector_process *p = &top->cpu[i];

		add_line(buffer, size, used, "%s (pid %d, %s): %.1f%%", p->comm,
			 (int)p->pid, users[i], p->cpu_percent);
	}
}

static void format_memory(const struct collector_top *top, char *buffer,
			  size_t size, size_t *used)
{
	char users[COLLECTOR_TOP_MAX][USER_MAX];

	if (top == NULL || top->rss_count == 0)
		return;
	user_names(top->rss, top->rss_count, users);
	add_line(buffer, size, used, "Top memory (RSS, growth):");
	for (size_t i = 0; i < top->rss_count; i++) {
		const struct collector_process *p = &top->rss[i];
		char rss[24], growth[24], over[24];

		format_bytes((double)p->rss_bytes, rss, sizeof(rss));
		if (p->first_seen_usec > 0 &&
		    top->time_usec > p->first_seen_usec &&
		    p->rss_growth_bytes != 0) {
			format_bytes((double)p->rss_growth_bytes, growth,
				     sizeof(growth));
			context_format_duration(
			    (double)(top->time_usec - p->first_seen_usec) / 1e6,
			    over, sizeof(over));
			add_line(buffer, size, used,
				 "%s (pid %d, %s): %s, %s%s in %s", p->comm,
				 (int)p->pid, users[i], rss,
				 p->rss_growth_bytes > 0 ? "+" : "", growth,
				 over);
		} else {
			add_line(buffer, size, used, "%s (pid %d, %s): %s",
				 p->comm, (int)p->pid, users[i], rss);
		}
	}
}

static void format_fds(const struct collector_process *fds, size_t count,
		       char *buffer, size_t size, size_t *used)
{
	char users[COLLECTOR_TOP_MAX][USER_MAX];

	if (count == 0)
		return;
	if (count > COLLECTOR_TOP_MAX)
		count = COLLECTOR_TOP_MAX;
	user_names(fds, count, users);
	add_line(buffer, size, used, "Top open descriptors:");
	for (size_t i = 0; i < count; i++)
		add_line(buffer, size, used, "%s (pid %d, %s): %llu",
			 fds[i].comm, (int)fds[i].pid, users[i],
			 (unsigned long long)fds[i].fd_count);
}

static void format_disk_space(const struct metric_registry *registry,
			      const struct metric_series *series, char *buffer,
			      size_t size, size_t *used)
{
	char used_text[24], total_text[24], free_text[24], rate[32], eta[24];
	double used_bytes, total, free_bytes, per_sec;

	if (!newest_of(registry, "disk.used_bytes", series->labels,
		       &used_bytes) ||
	    !newest_of(registry, "disk.total_bytes", series->labels, &total) ||
	    !newest_of(registry, "disk.free_bytes", series->labels,
		       &free_bytes))
		return;
	format_bytes(used_bytes, used_text, sizeof(used_text));
	format_bytes(total, total_text, sizeof(total_text));
	format_bytes(free_bytes, free_text, sizeof(free_text));
	add_line(buffer, size, used, "Used %s of %s, %s free", used_text,
		 total_text, free_text);
	add_line(buffer, size, used, "Bytes: %.0f used, %.0f free, %.0f total",
		 used_bytes, free_bytes, total);
	/* Over the last 10 minutes (or what the ring holds). */
	if (!context_disk_fill_rate(registry, series->labels, 600, &per_sec))
		return;
	rate[0] = per_sec > 0 ? '+' : '\0';
	format_rate(per_sec, NULL, rate + (per_sec > 0), sizeof(rate) - 1);
	/* A rate that would take over a year (rounding noise, a few bytes
	 * an hour) gives no ETA worth reading. */
	if (per_sec > 0 && free_bytes / per_sec < 365.0 * 86400) {
		context_format_duration(free_bytes / per_sec, eta, sizeof(eta));
		add_line(buffer, size, used, "Filling at %s: full in ~%s", rate,
			 eta);
	} else if (per_sec > 0) {
		add_line(buffer, size, used,
			 "Filling at %s: not full within a year", rate);
	} else {
		add_line(buffer, size, used, "Not filling now (%s)", rate);
	}
}

/* The devices with the highest utilisation, then who waits on I/O. */
static void format_disk_io(const struct metric_registry *registry,
			   const struct collector_top *top, char *buffer,
			   size_t size, size_t *used)
{
	int best[DEVICES_SHOWN];
	double best_util[DEVICES_SHOWN];
	size_t shown = 0, capacity = metrics_id_limit(registry);

	for (size_t id = 0; id < capacity; id++) {
		const struct metric_series *s = metrics_get(registry, (int)id);
		size_t i;

		if (s == NULL || !s->in_use ||
		    strcmp(s->name, "disk.util_percent") != 0)
			continue;
		if (shown == DEVICES_SHOWN &&
		    s->last_value <= best_util[shown - 1])
			continue;
		if (shown == DEVICES_SHOWN)
			shown--;
		for (i = shown; i > 0 && best_util[i - 1] < s->last_value;
		     i--) {
			best[i] = best[i - 1];
			best_util[i] = best_util[i - 1];
		}
		best[i] = (int)id;
		best_util[i] = s->last_value;
		shown++;
	}
	if (shown > 0)
		add_line(buffer, size, used, "Busiest devices:");
	for (size_t i = 0; i < shown; i++) {
		const struct metric_series *s = metrics_get(registry, best[i]);
		double await_ms = NAN, reads = 0, writes = 0;
		char device[METRIC_LABELS_MAX];
		const char *d = strstr(s->labels, "device=");

		snprintf(device, sizeof(device), "%s",
			 d ? d + strlen("device=") : s->labels);
		device[strcspn(device, ",")] = '\0';
		newest_of(registry, "disk.await_ms", s->labels, &await_ms);
		newest_of(registry, "disk.reads_per_sec", s->labels, &reads);
		newest_of(registry, "disk.writes_per_sec", s->labels, &writes);
		if (isnan(await_ms))
			add_line(buffer, size, used,
				 "%s: %.0f%% busy, %.0f IO/s", device,
				 best_util[i], reads + writes);
		else
			add_line(buffer, size, used,
				 "%s: %.0f%% busy, await %.1f ms, %.0f IO/s",
				 device, best_util[i], await_ms,
				 reads + writes);
	}
	if (top != NULL && top->blocked_count > 0) {
		char users[COLLECTOR_TOP_MAX][USER_MAX];

		user_names(top->blocked, top->blocked_count, users);
		add_line(buffer, size, used, "Waiting on I/O (state D):");
		for (size_t i = 0; i < top->blocked_count; i++)
			add_line(buffer, size, used, "%s (pid %d, %s)",
				 top->blocked[i].comm, (int)top->blocked[i].pid,
				 users[i]);
	}
}

size_t context_format(enum context_kind kind,
		      const struct metric_registry *registry,
		      const struct metric_series *series,
		      const struct collector_top *top,
		      const struct collector_process *fds, size_t fd_count,
		      char *buffer, size_t size)
{
	size_t used = 0;

	if (size == 0)
		return 0;
	buffer[0] = '\0';
	switch (kind) {
	case CONTEXT_CPU:
		format_cpu(registry, top, buffer, size, &used);
		break;
	case CONTEXT_MEMORY:
		format_memory(top, buffer, size, &used);
		break;
	case CONTEXT_FD:
		format_fds(fds, fd_count, buffer, size, &used);
		break;
	case CONTEXT_DISK_SPACE:
		format_disk_space(registry, series, buffer, size, &used);
		break;
	case CONTEXT_DISK_IO:
		format_disk_io(registry, top, buffer, size, &used);
		break;
	case CONTEXT_NONE:
		break;
	}
	/* No trailing newline: the last line ends the text. */
	if (used > 0 && buffer[used - 1] == '\n')
		buffer[--used] = '\0';
	return used;
}
