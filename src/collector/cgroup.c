/*
 * cgroup.c - services and containers through their cgroups under
 * sys_root/fs/cgroup: memory use against its limit, OOM and OOM-kill events,
 * CPU use and pids against their limit. This is how systemd services and
 * Docker/Podman containers are watched without any container API.
 *
 * cgroup v2: memory.current / memory.max, memory.events (oom, oom_kill),
 * cpu.stat usage_usec, pids.current / pids.max, all in one hierarchy.
 * cgroup v1 and hybrid hosts (RHEL 8, Ubuntu 20.04: the controllers on v1,
 * at most an empty v2 tree beside them): one hierarchy per controller, the
 * same cgroup path in each: memory.usage_in_bytes / memory.limit_in_bytes
 * (a huge number for "no limit"), memory.oom_control's oom_kill (no count of
 * OOM events there), cpuacct.usage (ns), pids.current / pids.max. A cgroup
 * whose unit has no accounting in a controller has no directory there, and
 * so no series from it.
 *
 * Watched cgroups are the *.service ones and container scopes (docker-,
 * libpod-, crio-, containerd- *.scope, and 64-hex ids under docker/), found
 * by a shallow walk each tick with getdents64 into a stack buffer: of the v2
 * hierarchy, or on v1 of systemd's own (name=systemd, where every unit has
 * its cgroup), else of the memory controller's.
 */
#include "collector/collect.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/dir_walk.h"
#include "core/log.h"
#include "core/util.h"

#define WALK_DEPTH 3
#define PATH_MAX_CGROUP 112

enum { G_MEMORY, G_MEMORY_MAX, G_MEMORY_PCT, G_OOM, G_OOM_KILL, G_CPU,
       G_PIDS, G_PIDS_PCT };

struct cgroup {
	struct entity head;
	struct counter cpu_usec, oom, oom_kill;
};

/* memory.limit_in_bytes of an unlimited v1 cgroup is PAGE_COUNTER_MAX pages
 * in bytes (2^63 rounded down to a page); anything this large is none. */
#define V1_NO_LIMIT ((uint64_t)1 << 62)

struct cgroup_state {
	struct entity_table cgroups;
	int root_fd;			/* the hierarchy walked */
	int memory_fd, cpu_fd, pids_fd; /* per controller; root_fd on v2 */
	bool v1;
};

static bool cgroup_enabled(const struct config *config)
{
	return config->collectors.cgroup.enabled;
}

/* Whether the v2 hierarchy at path has the memory controller. */
static bool has_memory_controller(struct collect_context *ctx,
				  const char *path)
{
	char file[64], text[512];

	snprintf(file, sizeof(file), "%s/cgroup.controllers", path);
	if (collect_read_small_file(ctx->sys_fd, file, text, sizeof(text)) < 0)
		return false;
	for (char *save = NULL, *word = strtok_r(text, " \n", &save); word;
	     word = strtok_r(NULL, " \n", &save))
		if (strcmp(word, "memory") == 0)
			return true;
	return false;
}

/* The first of the directories under sys_root that opens, or -1. */
static int open_first(struct collect_context *ctx, const char *const *paths,
		      size_t count, const char **opened)
{
	for (size_t i = 0; i < count; i++) {
		int fd = openat(ctx->sys_fd, paths[i],
				O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0) {
			if (opened != NULL)
				*opened = paths[i];
			return fd;
		}
	}
	return -1;
}

/* Every descriptor opened (on v2 the controllers share root_fd). */
static void close_hierarchies(struct cgroup_state *s)
{
	if (s->v1) {
		if (s->memory_fd >= 0)
			close(s->memory_fd);
		if (s->cpu_fd >= 0)
			close(s->cpu_fd);
		if (s->pids_fd >= 0)
			close(s->pids_fd);
	}
	if (s->root_fd >= 0)
		close(s->root_fd);
	s->root_fd = s->memory_fd = s->cpu_fd = s->pids_fd = -1;
}

/*
 * v1 (or hybrid): the memory controller's hierarchy is required, cpuacct
 * (mounted alone or with cpu, under either order of the names) and pids
 * are used when mounted.
 */
static int init_v1(struct cgroup_state *s, struct collect_context *ctx,
		   const char **reason)
{
	static const char *const memory[] = {"fs/cgroup/memory"};
	static const char *const cpu[] = {"fs/cgroup/cpuacct",
					  "fs/cgroup/cpu,cpuacct",
					  "fs/cgroup/cpuacct,cpu"};
	static const char *const pids[] = {"fs/cgroup/pids"};
	static const char *const walked[] = {
	    "fs/cgroup/systemd", "fs/cgroup/unified", "fs/cgroup/memory"};
	const char *walk_root = NULL;

	s->v1 = true;
	s->memory_fd = open_first(ctx, memory, ARRAY_SIZE(memory), NULL);
	if (s->memory_fd < 0 ||
	    faccessat(s->memory_fd, "memory.usage_in_bytes", R_OK, 0) < 0) {
		*reason = "no cgroup v2 hierarchy with the memory controller "
			  "and no cgroup v1 memory controller under "
			  "sys_root/fs/cgroup";
		close_hierarchies(s);
		return -ENODEV;
	}
	s->cpu_fd = open_first(ctx, cpu, ARRAY_SIZE(cpu), NULL);
	s->pids_fd = open_first(ctx, pids, ARRAY_SIZE(pids), NULL);
	s->root_fd = open_first(ctx, walked, ARRAY_SIZE(walked), &walk_root);
	if (s->root_fd < 0) {
		*reason = "cannot open a cgroup v1 hierarchy to walk";
		close_hierarchies(s);
		return -ENOENT;
	}
	log_info("collector cgroup: cgroup v1 controllers: memory%s%s; "
		 "cgroups found in %s",
		 s->cpu_fd >= 0 ? ", cpuacct" : "",
		 s->pids_fd >= 0 ? ", pids" : "", walk_root + 3);
	return 0;
}

static int cgroup_init(void *data, struct collect_context *ctx,
		       const char **reason)
{
	struct cgroup_state *s = data;
	const char *root = NULL;
	int r;

	s->root_fd = s->memory_fd = s->cpu_fd = s->pids_fd = -1;
	if (has_memory_controller(ctx, "fs/cgroup"))
		root = "fs/cgroup";
	else if (has_memory_controller(ctx, "fs/cgroup/unified"))
		root = "fs/cgroup/unified";
	if (root != NULL) {
		s->root_fd = openat(ctx->sys_fd, root,
				    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s->root_fd < 0) {
			*reason = "cannot open the cgroup v2 hierarchy";
			return -errno;
		}
		s->memory_fd = s->cpu_fd = s->pids_fd = s->root_fd;
	} else {
		r = init_v1(s, ctx, reason);
		if (r < 0)
			return r;
	}
	r = collect_entity_table_init(
	    &s->cgroups, sizeof(struct cgroup),
	    (size_t)ctx->config->collectors.cgroup.max_cgroups);
	if (r < 0)
		close_hierarchies(s);
	return r;
}

static bool all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[n] == '\0';
}

static bool is_watched(const char *parent, const char *name)
{
	static const char *const container_prefixes[] = {
		"docker-", "libpod-", "crio-", "cri-containerd-",
		"containerd-",
	};

	if (string_ends_with(name, ".service"))
		return true;
	if (string_ends_with(name, ".scope")) {
		for (size_t i = 0; i < ARRAY_SIZE(container_prefixes); i++)
			if (strncmp(name, container_prefixes[i],
				    strlen(container_prefixes[i])) == 0)
				return true;
		return false;
	}
	/* Docker's cgroupfs driver: docker/<64 hex>. */
	return strcmp(parent, "docker") == 0 && strlen(name) == 64 &&
	       all_hex(name, 64);
}

/*
 * "max" -> 0 (no limit), else the number. False when absent (controller not
 * enabled there, cgroup gone) or malformed (counted as an error).
 */
static bool read_limit(struct collect_context *ctx, int fd, const char *path,
		       const char *file, uint64_t *value)
{
	char full[PATH_MAX_CGROUP + 32], text[64];
	const char *p = text;

	snprintf(full, sizeof(full), "%s/%s", path, file);
	if (collect_read_small_file(fd, full, text, sizeof(text)) < 0)
		return false;
	if (strncmp(text, "max", 3) == 0) {
		*value = 0;
		return true;
	}
	if (collect_parse_u64(&p, value))
		return true;
	collect_error(ctx, "%s: malformed", full);
	return false;
}

/* "key value" lines (memory.events, cpu.stat, v1 memory.oom_control). */
static bool read_keyed(int fd, const char *path, const char *file,
		       const char *key, uint64_t *value)
{
	char full[PATH_MAX_CGROUP + 32], text[1024];

	snprintf(full, sizeof(full), "%s/%s", path, file);
	if (collect_read_small_file(fd, full, text, sizeof(text)) <= 0)
		return false;
	for (const char *p = text; *p; p = collect_next_line(p)) {
		const char *q = p + strlen(key);

		if (collect_line_starts_with(p, key))
			return collect_parse_u64(&q, value);
	}
	return false;
}

/* Memory in use and its limit (0: none), in either version's files. */
static bool read_memory(struct cgroup_state *s, struct collect_context *ctx,
			const char *path, uint64_t *current, uint64_t *max)
{
	if (!read_limit(ctx, s->memory_fd, path,
			s->v1 ? "memory.usage_in_bytes" : "memory.current",
			current))
		return false;
	if (!read_limit(ctx, s->memory_fd, path,
			s->v1 ? "memory.limit_in_bytes" : "memory.max", max) ||
	    *max >= V1_NO_LIMIT)
		*max = 0;
	return true;
}

/* CPU time used, in microseconds (v1 counts nanoseconds). */
static bool read_cpu_usec(struct cgroup_state *s, struct collect_context *ctx,
			  const char *path, uint64_t *usec)
{
	if (!s->v1)
		return read_keyed(s->cpu_fd, path, "cpu.stat", "usage_usec",
				  usec);
	if (!read_limit(ctx, s->cpu_fd, path, "cpuacct.usage", usec))
		return false;
	*usec /= 1000;
	return true;
}

static void emit_cgroup(struct cgroup_state *s, struct collect_context *ctx,
			const char *path)
{
	struct cgroup *cg;
	struct entity *e;
	uint64_t current, max, usage, events, pids, pids_max, delta;
	int64_t last_time;
	bool is_new;

	e = collect_entity_get(ctx, &s->cgroups, path, &is_new);
	if (e == NULL)
		return;
	cg = (struct cgroup *)e;
	if (is_new) {
		char safe[PATH_MAX_CGROUP];

		collect_label_value_copy(safe, path, sizeof(safe));
		snprintf(e->labels, sizeof(e->labels), "cgroup=%s", safe);
	}
	if (read_memory(s, ctx, path, &current, &max)) {
		collect_emit(ctx, &e->refs[G_MEMORY], "cgroup.memory_bytes",
			     e->labels, (double)current);
		if (max > 0) {
			collect_emit(ctx, &e->refs[G_MEMORY_MAX],
				     "cgroup.memory_max_bytes", e->labels,
				     (double)max);
			collect_emit(
			    ctx, &e->refs[G_MEMORY_PCT],
			    "cgroup.memory_used_percent", e->labels,
			    collect_percent_of((double)current, (double)max));
		}
	}
	/* v1 counts OOM kills (Linux 4.13+) but not OOM events. */
	if (!s->v1 &&
	    read_keyed(s->memory_fd, path, "memory.events", "oom", &events) &&
	    counter_delta(&cg->oom, events, ctx->now_usec, 64, &delta))
		collect_emit(ctx, &e->refs[G_OOM], "cgroup.oom_events_delta",
			     e->labels, (double)delta);
	if (read_keyed(s->memory_fd, path,
		       s->v1 ? "memory.oom_control" : "memory.events",
		       "oom_kill", &events) &&
	    counter_delta(&cg->oom_kill, events, ctx->now_usec, 64, &delta)) {
		collect_emit(ctx, &e->refs[G_OOM_KILL],
			     "cgroup.oom_kills_delta", e->labels,
			     (double)delta);
		/* A point event: it happened, nothing resolves it. The
		 * kernel log's line says it with the victim (logscan). */
		if (event_claimed("cgroup_oom_kill"))
			delta = 0;
		if (delta > 0)
			collect_alert(ctx, "cgroup_oom_kill",
				      "cgroup.oom_kills_delta", e->labels,
				      ALERT_WARNING, ALERT_POINT, true,
				      (double)delta,
				      "%s hit its memory limit: %llu "
				      "process(es) OOM-killed",
				      path, (unsigned long long)delta);
	}
	last_time = cg->cpu_usec.time_usec;
	if (read_cpu_usec(s, ctx, path, &usage) &&
	    counter_delta(&cg->cpu_usec, usage, ctx->now_usec, 64, &delta))
		collect_emit(
		    ctx, &e->refs[G_CPU], "cgroup.cpu_percent", e->labels,
		    collect_percent_of((double)delta,
				       (double)(ctx->now_usec - last_time)));
	if (read_limit(ctx, s->pids_fd, path, "pids.current", &pids)) {
		collect_emit(ctx, &e->refs[G_PIDS], "cgroup.pids", e->labels,
			     (double)pids);
		if (read_limit(ctx, s->pids_fd, path, "pids.max", &pids_max) &&
		    pids_max > 0)
			collect_emit(
			    ctx, &e->refs[G_PIDS_PCT],
			    "cgroup.pids_used_percent", e->labels,
			    collect_percent_of((double)pids, (double)pids_max));
	}
}

/* Walks directories below path (relative to the root), depth-limited. */
static void walk(struct cgroup_state *s, struct collect_context *ctx,
		 const char *path, const char *parent_name, int depth)
{
	_Alignas(struct dirent64) char buffer[4096];
	char child[PATH_MAX_CGROUP];
	const struct dirent64 *entry;
	struct dir_walk listing;
	int fd;

	fd = openat(s->root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	dir_walk_start(&listing, fd, false, buffer, sizeof(buffer));
	while ((entry = dir_walk_next(&listing)) != NULL) {
		const char *name = entry->d_name;
		int length;

		if ((entry->d_type != DT_DIR && entry->d_type != DT_UNKNOWN) ||
		    name[0] == '.')
			continue;
		length = snprintf(child, sizeof(child), "%s%s%s",
				  strcmp(path, ".") ? path : "",
				  strcmp(path, ".") ? "/" : "", name);
		if (length < 0 || (size_t)length >= sizeof(child))
			continue; /* too deep a path for a label */
		if (is_watched(parent_name, name))
			emit_cgroup(s, ctx, child);
		else if (depth + 1 < WALK_DEPTH)
			walk(s, ctx, child, name, depth + 1);
	}
	close(fd);
}

static void cgroup_collect(void *data, struct collect_context *ctx)
{
	struct cgroup_state *s = data;

	walk(s, ctx, ".", "", 0);
	collect_entity_sweep(ctx, &s->cgroups);
}

static void cgroup_fini(void *data, struct collect_context *ctx)
{
	struct cgroup_state *s = data;

	(void)ctx;
	close_hierarchies(s);
	collect_entity_table_free(&s->cgroups);
}

const struct collector_ops cgroup_collector = {
	.name = "cgroup",
	.state_size = sizeof(struct cgroup_state),
	.enabled = cgroup_enabled,
	.init = cgroup_init,
	.collect = cgroup_collect,
	.fini = cgroup_fini,
};
