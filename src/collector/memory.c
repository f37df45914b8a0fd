/*
 * memory.c - /proc/meminfo (total, available, used %, swap, dirty, slab
 * unreclaimable as a leak signal, hugepages) and /proc/vmstat (page-ins and
 * outs, swap-ins and outs per second, OOM kills: a delta above zero means
 * the kernel killed something since the last tick).
 *
 * "Used" is total - available, as free(1) of procps 4 computes it; kernels
 * before 3.14 have no MemAvailable and get free + buffers + cached instead.
 */
#include "collector/collect.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"

enum meminfo_key {
	K_TOTAL, K_FREE, K_AVAILABLE, K_BUFFERS, K_CACHED, K_SWAP_TOTAL,
	K_SWAP_FREE, K_DIRTY, K_WRITEBACK, K_SUNRECLAIM, K_SHMEM,
	K_HUGE_TOTAL, K_HUGE_FREE, K_HUGE_SIZE, K_COUNT
};

static const char *const meminfo_names[K_COUNT] = {
	[K_TOTAL] = "MemTotal", [K_FREE] = "MemFree",
	[K_AVAILABLE] = "MemAvailable", [K_BUFFERS] = "Buffers",
	[K_CACHED] = "Cached", [K_SWAP_TOTAL] = "SwapTotal",
	[K_SWAP_FREE] = "SwapFree", [K_DIRTY] = "Dirty",
	[K_WRITEBACK] = "Writeback", [K_SUNRECLAIM] = "SUnreclaim",
	[K_SHMEM] = "Shmem", [K_HUGE_TOTAL] = "HugePages_Total",
	[K_HUGE_FREE] = "HugePages_Free", [K_HUGE_SIZE] = "Hugepagesize",
};

enum {
	M_TOTAL, M_AVAILABLE, M_USED, M_USED_PCT, M_FREE, M_CACHED,
	M_SWAP_TOTAL, M_SWAP_USED, M_SWAP_PCT, M_DIRTY, M_WRITEBACK,
	M_SUNRECLAIM, M_SHMEM, M_HUGE_TOTAL, M_HUGE_FREE, M_HUGE_USED_BYTES,
	M_PGIN, M_PGOUT, M_SWPIN, M_SWPOUT, M_MAJFAULT, M_OOM, M_OOM_TOTAL,
	M_COUNT
};

enum vmstat_key { V_PGPGIN, V_PGPGOUT, V_PSWPIN, V_PSWPOUT, V_PGMAJFAULT,
		  V_OOM_KILL, V_COUNT };

static const char *const vmstat_names[V_COUNT] = {
	"pgpgin", "pgpgout", "pswpin", "pswpout", "pgmajfault", "oom_kill",
};

struct memory_state {
	struct tick_file meminfo, vmstat;
	struct counter vm[V_COUNT];
	metric_ref refs[M_COUNT];
	long page_size;
};

static bool memory_enabled(const struct config *config)
{
	return config->collectors.memory.enabled;
}

static int memory_init(void *data, struct collect_context *ctx,
		       const char **reason)
{
	struct memory_state *s = data;
	ssize_t n;

	collect_tick_file_init(&s->meminfo, ctx->proc_fd, "meminfo");
	collect_tick_file_init(&s->vmstat, ctx->proc_fd, "vmstat");
	s->page_size = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;
	n = collect_tick_file_read(&s->meminfo, ctx);
	if (n < 0) {
		*reason = "cannot read meminfo under proc_root";
		return (int)n;
	}
	return 0;
}

/* Values of the keys present; *seen has bit k set for each one found. */
static unsigned parse_meminfo(const char *text, uint64_t *values,
			      unsigned *malformed)
{
	unsigned seen = 0;

	for (const char *p = text; *p; p = collect_next_line(p)) {
		const char *colon = strchr(p, ':');
		const char *newline = strchr(p, '\n');
		size_t length;

		if (colon == NULL || (newline != NULL && colon > newline)) {
			if (*p != '\n')
				(*malformed)++;
			continue;
		}
		length = (size_t)(colon - p);
		for (unsigned k = 0; k < K_COUNT; k++) {
			const char *q = colon + 1;
			uint64_t v;

			/* The first byte rules out nearly every key before
			 * a strlen: ~50 lines times the keys, every tick. */
			if (meminfo_names[k][0] != p[0] ||
			    strlen(meminfo_names[k]) != length ||
			    memcmp(meminfo_names[k], p, length) != 0)
				continue;
			if (!collect_parse_u64(&q, &v)) {
				(*malformed)++;
				break;
			}
			collect_skip_spaces(&q);
			if (q[0] == 'k' && q[1] == 'B')
				v *= 1024;
			values[k] = v;
			seen |= 1u << k;
			break;
		}
	}
	return seen;
}

static void collect_meminfo(struct memory_state *s,
			    struct collect_context *ctx)
{
	uint64_t v[K_COUNT] = { 0 };
	unsigned malformed = 0, seen;
	metric_ref *m = s->refs;
	double available, used, swap_used;
	ssize_t n = collect_tick_file_read(&s->meminfo, ctx);

	if (n < 0) {
		collect_error_errno(ctx, (int)n, "cannot read meminfo");
		if (n != -EFBIG)
			return;
	}
	seen = parse_meminfo(ctx->buffer, v, &malformed);
	if (malformed)
		collect_error(ctx, "meminfo: %u malformed line(s)", malformed);
	if (!(seen & (1u << K_TOTAL)) || !(seen & (1u << K_FREE)) ||
	    v[K_TOTAL] == 0) {
		collect_error(ctx, "meminfo: no MemTotal/MemFree");
		return;
	}
	if (seen & (1u << K_AVAILABLE))
		available = (double)v[K_AVAILABLE];
	else
		available = (double)(v[K_FREE] + v[K_BUFFERS] + v[K_CACHED]);
	if (available > (double)v[K_TOTAL])
		available = (double)v[K_TOTAL];
	used = (double)v[K_TOTAL] - available;
	collect_emit(ctx, &m[M_TOTAL], "memory.total_bytes", "",
		     (double)v[K_TOTAL]);
	collect_emit(ctx, &m[M_AVAILABLE], "memory.available_bytes", "",
		     available);
	collect_emit(ctx, &m[M_USED], "memory.used_bytes", "", used);
	collect_emit(ctx, &m[M_USED_PCT], "memory.used_percent", "",
		     collect_percent_of(used, (double)v[K_TOTAL]));
	collect_emit(ctx, &m[M_FREE], "memory.free_bytes", "",
		     (double)v[K_FREE]);
	collect_emit(ctx, &m[M_CACHED], "memory.cached_bytes", "",
		     (double)(v[K_CACHED] + v[K_BUFFERS]));
	swap_used = v[K_SWAP_TOTAL] >= v[K_SWAP_FREE]
			    ? (double)(v[K_SWAP_TOTAL] - v[K_SWAP_FREE])
			    : 0;
	collect_emit(ctx, &m[M_SWAP_TOTAL], "memory.swap_total_bytes", "",
		     (double)v[K_SWAP_TOTAL]);
	collect_emit(ctx, &m[M_SWAP_USED], "memory.swap_used_bytes", "",
		     swap_used);
	collect_emit(ctx, &m[M_SWAP_PCT], "memory.swap_used_percent", "",
		     collect_percent_of(swap_used, (double)v[K_SWAP_TOTAL]));
	collect_emit(ctx, &m[M_DIRTY], "memory.dirty_bytes", "",
		     (double)v[K_DIRTY]);
	collect_emit(ctx, &m[M_WRITEBACK], "memory.writeback_bytes", "",
		     (double)v[K_WRITEBACK]);
	if (seen & (1u << K_SUNRECLAIM))
		collect_emit(ctx, &m[M_SUNRECLAIM],
			     "memory.slab_unreclaimable_bytes", "",
			     (double)v[K_SUNRECLAIM]);
	collect_emit(ctx, &m[M_SHMEM], "memory.shmem_bytes", "",
		     (double)v[K_SHMEM]);
	if (seen & (1u << K_HUGE_TOTAL)) {
		/* HugePages_* are page counts; Hugepagesize is in kB. */
		collect_emit(ctx, &m[M_HUGE_TOTAL], "memory.hugepages_total",
			     "", (double)v[K_HUGE_TOTAL]);
		collect_emit(ctx, &m[M_HUGE_FREE], "memory.hugepages_free", "",
			     (double)v[K_HUGE_FREE]);
		if (v[K_HUGE_TOTAL] >= v[K_HUGE_FREE])
			collect_emit(
			    ctx, &m[M_HUGE_USED_BYTES],
			    "memory.hugepages_used_bytes", "",
			    (double)((v[K_HUGE_TOTAL] - v[K_HUGE_FREE]) *
				     v[K_HUGE_SIZE]));
	}
}

static void collect_vmstat(struct memory_state *s,
			   struct collect_context *ctx)
{
	static const char *const rate_names[V_COUNT] = {
		"memory.page_in_bytes_per_sec", "memory.page_out_bytes_per_sec",
		"memory.swap_in_bytes_per_sec", "memory.swap_out_bytes_per_sec",
		"memory.major_faults_per_sec", NULL,
	};
	static const int rate_refs[V_COUNT] = { M_PGIN, M_PGOUT, M_SWPIN,
						M_SWPOUT, M_MAJFAULT, M_OOM };
	uint64_t v[V_COUNT];
	unsigned seen = 0;
	ssize_t n = collect_tick_file_read(&s->vmstat, ctx);

	if (n < 0) {
		collect_error_errno(ctx, (int)n, "cannot read vmstat");
		if (n != -EFBIG)
			return;
	}
	for (const char *p = ctx->buffer; *p; p = collect_next_line(p)) {
		/* Every key we want starts with 'p' or 'o'. */
		if (*p != 'p' && *p != 'o')
			continue;
		for (unsigned k = 0; k < V_COUNT; k++) {
			const char *q;

			/* Bytes 1 and 2 tell the keys from the ~40 other
			 * "pg..." lines (p[1] is not NUL when it matches). */
			if (vmstat_names[k][1] != p[1] ||
			    vmstat_names[k][2] != p[2] ||
			    !collect_line_starts_with(p, vmstat_names[k]))
				continue;
			q = p + strlen(vmstat_names[k]);
			if (collect_parse_u64(&q, &v[k]))
				seen |= 1u << k;
			else
				collect_error(ctx, "vmstat: bad %s",
					      vmstat_names[k]);
			break;
		}
	}
	for (unsigned k = 0; k < V_COUNT; k++) {
		uint64_t value, delta;
		int64_t last_time = s->vm[k].time_usec;
		double seconds;

		if (!(seen & (1u << k)))
			continue;
		/* pgpgin/out count KiB, pswpin/out count pages. */
		value = v[k];
		if (k == V_PGPGIN || k == V_PGPGOUT)
			value *= 1024;
		else if (k == V_PSWPIN || k == V_PSWPOUT)
			value *= (uint64_t)s->page_size;
		if (k == V_OOM_KILL) {
			collect_emit(ctx, &s->refs[M_OOM_TOTAL],
				     "memory.oom_kills_total", "",
				     (double)v[k]);
			if (!counter_delta(&s->vm[k], value, ctx->now_usec, 64,
					   &delta))
				continue;
			collect_emit(ctx, &s->refs[M_OOM],
				     "memory.oom_kills_delta", "",
				     (double)delta);
			/* A point event: it happened, nothing resolves it;
			 * the kernel log line (with the victim) alerts it
			 * when the log scanner reads the kernel log. */
			if (event_claimed("oom_kill"))
				delta = 0;
			if (delta > 0)
				collect_alert(ctx, "oom_kill",
					      "memory.oom_kills_delta", "",
					      ALERT_WARNING, ALERT_POINT, true,
					      (double)delta,
					      "the kernel's OOM killer killed "
					      "%llu process(es) since the last "
					      "collection",
					      (unsigned long long)delta);
			continue;
		}
		if (!counter_delta(&s->vm[k], value, ctx->now_usec, 64, &delta))
			continue;
		seconds = (double)(ctx->now_usec - last_time) / 1e6;
		collect_emit(ctx, &s->refs[rate_refs[k]], rate_names[k], "",
			     (double)delta / seconds);
	}
}

static void memory_collect(void *data, struct collect_context *ctx)
{
	struct memory_state *s = data;

	collect_meminfo(s, ctx);
	collect_vmstat(s, ctx);
}

static void memory_fini(void *data, struct collect_context *ctx)
{
	struct memory_state *s = data;

	(void)ctx;
	collect_tick_file_close(&s->meminfo);
	collect_tick_file_close(&s->vmstat);
}

const struct collector_ops memory_collector = {
	.name = "memory",
	.state_size = sizeof(struct memory_state),
	.enabled = memory_enabled,
	.init = memory_init,
	.collect = memory_collect,
	.fini = memory_fini,
};
