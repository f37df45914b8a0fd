/*
 * context.h - what an alert carries besides its sentence (private to
 * src/analyzer): the recent values of its series, read from the ring, and a
 * few lines of root-cause context (top processes, bytes and fill rate of a
 * disk, the busiest devices) formatted when the alert fires.
 */
#ifndef SYSOPS_ANALYZER_CONTEXT_H
#define SYSOPS_ANALYZER_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct metric_registry;
struct metric_series;
struct collector_top;
struct collector_process;

enum context_kind {
	CONTEXT_NONE,
	CONTEXT_CPU,	    /* top processes by CPU */
	CONTEXT_MEMORY,	    /* top processes by RSS and their growth */
	CONTEXT_FD,	    /* top processes by open descriptors */
	CONTEXT_DISK_SPACE, /* used / free / total bytes, fill rate, ETA */
	CONTEXT_DISK_IO,    /* busiest devices, processes waiting on I/O */
};

/* Which context suits an alert on this series. */
enum context_kind context_kind_of(const char *name, const char *labels);

/*
 * Up to max recent values of series id, oldest first, into out (no
 * allocation); returns how many.
 */
size_t context_history(const struct metric_registry *registry, int id,
		       double *out, size_t max);

/* The id of the series name{labels}, or -1 (a scan: at alert time only). */
int context_find_series(const struct metric_registry *registry,
			const char *name, const char *labels);

/*
 * Fill rate of a filesystem, in bytes per second, from its
 * disk.used_bytes ring: a least-squares slope over at most window_secs, or
 * over its newest quarter when the pace changed; false when unknown.
 */
bool context_disk_fill_rate(const struct metric_registry *registry,
			    const char *labels, double window_secs,
			    double *bytes_per_sec);

/*
 * The context lines for an alert of this kind on series into buffer
 * (always NUL-terminated, whole lines only); returns the length, 0 for
 * none. top may be NULL (no process collector).
 */
size_t context_format(enum context_kind kind,
		      const struct metric_registry *registry,
		      const struct metric_series *series,
		      const struct collector_top *top,
		      const struct collector_process *fds, size_t fd_count,
		      char *buffer, size_t size);

/*
 * The tmpfs mounts, rescanned (mountinfo + statvfs) at most every 10 s, for
 * the bound on a memory forecast: what a filling tmpfs adds to memory stops
 * at its size.
 */
#define CONTEXT_TMPFS_MAX 32

struct context_tmpfs {
	uint64_t dev;
	double used, free;  /* bytes */
	double rate;	    /* bytes/s at its last growth */
	int64_t grown_usec; /* when it last grew, 0: never seen growing */
};

struct context_tmpfs_watch {
	struct context_tmpfs mounts[CONTEXT_TMPFS_MAX];
	size_t count;
	int64_t scan_usec;
	unsigned scans;
};

/*
 * The tmpfs that grew within the last window_secs: their summed growth rate
 * and free bytes. False until two scans have been compared (the caller
 * waits rather than forecast without the bound).
 */
bool context_tmpfs_bound(struct context_tmpfs_watch *watch, int64_t now_usec,
			 double window_secs, double *rate, double *room);

/*
 * The same for memory cgroups with a limit (cgroup.memory_max_bytes) whose
 * usage grew over window_secs: their summed growth rate (least squares
 * over the ring) and room to their limits, from the registry, recomputed
 * at most every 10 s. A cgroup cannot take the host past its limit.
 */
struct context_cgroup_cache {
	int64_t usec;
	double rate, room;
};

void context_cgroup_bound(const struct metric_registry *registry,
			  struct context_cgroup_cache *cache, int64_t now_usec,
			  double window_secs, double *rate, double *room);

/*
 * The rooms of memory cgroups looked up within one tick (now_usec), by pid
 * and by cgroup path: several series of a process, and the processes of a
 * cgroup, read its files once a tick. A new tick starts afresh, so a limit
 * changed or a pid reused is seen at the next tick. proc_root and
 * cgroup_root are NULL on the host (/proc, /sys/fs/cgroup; a test's
 * fixture otherwise). Zeroed, it is empty.
 */
#define CONTEXT_ROOM_CACHE_MAX 16
#define CONTEXT_GROUP_MAX      256

struct context_room_group {
	bool v1;
	char group[CONTEXT_GROUP_MAX]; /* "/system.slice/x.service" */
	double room;
};

struct context_room_cache {
	const char *proc_root, *cgroup_root;
	int64_t usec;
	size_t pid_count, group_count;
	struct {
		int32_t pid;
		double room;
	} pids[CONTEXT_ROOM_CACHE_MAX];
	struct context_room_group groups[CONTEXT_ROOM_CACHE_MAX];
};

/*
 * What is left before a leaking series exhausts its resource: available
 * memory, or less when the process's memory cgroup (v2 memory.max, v1
 * memory.limit_in_bytes, the tightest of its ancestors) leaves less; for an
 * fd count, its fd limit. Writes the bound's name ("available memory",
 * "cgroup limit", "fd limit") to what. False when unknown. cache keeps
 * the cgroup rooms of the tick now_usec.
 */
bool context_leak_room(const struct metric_registry *registry,
		       struct context_room_cache *cache, int64_t now_usec,
		       const char *name, const char *labels, double value,
		       double *room, const char **what);

/* Helpers shared with the analyzer's sentences. */
/* format_duration() of core/util.h, "never" when negative. */
void context_format_duration(double secs, char *buffer, size_t size);

#endif
