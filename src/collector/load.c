/*
 * load.c - /proc/loadavg and pressure stall information
 * (/proc/pressure/{cpu,memory,io}): some/full avg10 and avg60 and the stall
 * time per second from the total= counters.
 *
 * Kernels before 4.20, or booted with psi=0, have no usable pressure files:
 * that is said once at start-up and the load average is still collected.
 */
#include "collector/collect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"

enum { R_CPU, R_MEMORY, R_IO, R_COUNT };
enum { P_SOME, P_FULL, P_KIND_COUNT };
enum { PM_AVG10, PM_AVG60, PM_STALL, PM_COUNT };

static const char *const resource_names[R_COUNT] = { "cpu", "memory", "io" };

struct pressure_resource {
	struct tick_file file;
	struct counter total[P_KIND_COUNT];
	metric_ref refs[P_KIND_COUNT][PM_COUNT];
	char labels[24];
	bool present;
};

enum { L_AVG1, L_AVG5, L_AVG15, L_RUNNABLE, L_THREADS, L_PER_CORE, L_COUNT };

struct load_state {
	struct tick_file loadavg, cpus_online;
	metric_ref refs[L_COUNT];
	struct pressure_resource pressure[R_COUNT];
	bool have_pressure;
};

static bool load_enabled(const struct config *config)
{
	return config->collectors.load.enabled;
}

static int load_init(void *data, struct collect_context *ctx,
		     const char **reason)
{
	static const char *const paths[R_COUNT] = {
		"pressure/cpu", "pressure/memory", "pressure/io",
	};
	struct load_state *s = data;
	ssize_t n;

	collect_tick_file_init(&s->loadavg, ctx->proc_fd, "loadavg");
	collect_tick_file_init(&s->cpus_online, ctx->sys_fd,
			       "devices/system/cpu/online");
	n = collect_tick_file_read(&s->loadavg, ctx);
	if (n < 0) {
		*reason = "cannot read loadavg under proc_root";
		return (int)n;
	}
	for (int r = 0; r < R_COUNT; r++) {
		struct pressure_resource *res = &s->pressure[r];

		collect_tick_file_init(&res->file, ctx->proc_fd, paths[r]);
		snprintf(res->labels, sizeof(res->labels), "resource=%s",
			 resource_names[r]);
		n = collect_tick_file_read(&res->file, ctx);
		res->present = n > 0;
		if (res->present)
			s->have_pressure = true;
		else
			collect_tick_file_close(&res->file);
	}
	if (!s->have_pressure)
		collect_notice_once(ctx, 0, "no pressure stall information "
				    "(kernel older than 4.20 or psi=0); "
				    "collecting the load average only");
	return 0;
}

/* "0-3,6,8-9" -> 7; 0 when unreadable or malformed. */
static unsigned count_cpu_list(const char *p)
{
	unsigned count = 0;

	while (*p && *p != '\n') {
		uint64_t first, last;

		if (!collect_parse_u64(&p, &first))
			return 0;
		last = first;
		if (*p == '-') {
			p++;
			if (!collect_parse_u64(&p, &last) || last < first)
				return 0;
		}
		count += (unsigned)(last - first + 1);
		if (*p == ',')
			p++;
		else if (*p != '\n' && *p != '\0')
			return 0;
	}
	return count;
}

static void collect_loadavg(struct load_state *s, struct collect_context *ctx)
{
	static const char *const names[3] = { "load.avg1", "load.avg5",
					      "load.avg15" };
	const char *p = ctx->buffer;
	double avg[3];
	uint64_t runnable, threads;
	ssize_t n = collect_tick_file_read(&s->loadavg, ctx);

	if (n < 0) {
		collect_error_errno(ctx, (int)n, "cannot read loadavg");
		return;
	}
	p = ctx->buffer;
	for (int i = 0; i < 3; i++) {
		if (!collect_parse_decimal(&p, &avg[i])) {
			collect_error(ctx, "loadavg: malformed");
			return;
		}
	}
	for (int i = 0; i < 3; i++)
		collect_emit(ctx, &s->refs[L_AVG1 + i], names[i], "", avg[i]);
	if (collect_parse_u64(&p, &runnable) && *p == '/') {
		p++;
		if (collect_parse_u64(&p, &threads)) {
			collect_emit(ctx, &s->refs[L_RUNNABLE], "load.runnable",
				     "", (double)runnable);
			collect_emit(ctx, &s->refs[L_THREADS], "load.threads",
				     "", (double)threads);
		}
	}
	/* Read last: it reuses the buffer p points into. */
	/* The number that means something on any host: load per core. */
	if (collect_tick_file_read(&s->cpus_online, ctx) > 0) {
		unsigned cores = count_cpu_list(ctx->buffer);

		if (cores > 0)
			collect_emit(ctx, &s->refs[L_PER_CORE], "load.per_core",
				     "", avg[0] / cores);
		else
			collect_error(ctx, "devices/system/cpu/online: "
				      "malformed");
	}
}

/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=0" */
static bool parse_pressure_line(const char *p, double *avg10, double *avg60,
				uint64_t *total)
{
	const char *q;

	q = strstr(p, "avg10=");
	if (q == NULL)
		return false;
	q += 6;
	if (!collect_parse_decimal(&q, avg10))
		return false;
	q = strstr(q, "avg60=");
	if (q == NULL)
		return false;
	q += 6;
	if (!collect_parse_decimal(&q, avg60))
		return false;
	q = strstr(q, "total=");
	if (q == NULL)
		return false;
	q += 6;
	return collect_parse_u64(&q, total);
}

static void collect_pressure(struct pressure_resource *res,
			     struct collect_context *ctx)
{
	static const char *const names[P_KIND_COUNT][PM_COUNT] = {
		{ "psi.some_avg10_percent", "psi.some_avg60_percent",
		  "psi.some_stall_usec_per_sec" },
		{ "psi.full_avg10_percent", "psi.full_avg60_percent",
		  "psi.full_stall_usec_per_sec" },
	};
	ssize_t n = collect_tick_file_read(&res->file, ctx);
	bool any = false;

	if (n < 0) {
		collect_error_errno(ctx, (int)n, "cannot read pressure/%s",
				    res->labels + 9);
		return;
	}
	for (const char *p = ctx->buffer; *p; p = collect_next_line(p)) {
		int kind;
		double avg10, avg60;
		uint64_t total;

		if (collect_line_starts_with(p, "some"))
			kind = P_SOME;
		else if (collect_line_starts_with(p, "full"))
			kind = P_FULL;
		else
			continue;
		if (!parse_pressure_line(p, &avg10, &avg60, &total)) {
			collect_error(ctx, "pressure/%s: malformed line",
				      res->labels + 9);
			continue;
		}
		any = true;
		collect_emit(ctx, &res->refs[kind][PM_AVG10],
			     names[kind][PM_AVG10], res->labels, avg10);
		collect_emit(ctx, &res->refs[kind][PM_AVG60],
			     names[kind][PM_AVG60], res->labels, avg60);
		collect_emit_rate(ctx, &res->refs[kind][PM_STALL],
				  names[kind][PM_STALL], res->labels,
				  &res->total[kind], total);
	}
	if (!any)
		collect_error(ctx, "pressure/%s: no some/full line",
			      res->labels + 9);
}

static void load_collect(void *data, struct collect_context *ctx)
{
	struct load_state *s = data;

	collect_loadavg(s, ctx);
	for (int r = 0; r < R_COUNT; r++)
		if (s->pressure[r].present)
			collect_pressure(&s->pressure[r], ctx);
}

static void load_fini(void *data, struct collect_context *ctx)
{
	struct load_state *s = data;

	(void)ctx;
	collect_tick_file_close(&s->loadavg);
	collect_tick_file_close(&s->cpus_online);
	for (int r = 0; r < R_COUNT; r++)
		collect_tick_file_close(&s->pressure[r].file);
}

const struct collector_ops load_collector = {
	.name = "load",
	.state_size = sizeof(struct load_state),
	.enabled = load_enabled,
	.init = load_init,
	.collect = load_collect,
	.fini = load_fini,
};
