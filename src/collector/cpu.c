/*
 * cpu.c - /proc/stat: total and per-core usage %, the split between user,
 * system, iowait, steal and irq time, context switches and forks per second,
 * running and blocked processes.
 *
 * Percentages come from jiffy deltas between two ticks (not from wall time),
 * so they add up to 100 whatever USER_HZ is; a core that goes offline simply
 * has no sample until it is back.
 */
#include "collector/collect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

enum cpu_field {
	CPU_USER, CPU_NICE, CPU_SYSTEM, CPU_IDLE, CPU_IOWAIT, CPU_IRQ,
	CPU_SOFTIRQ, CPU_STEAL, CPU_FIELD_COUNT
};

struct cpu_times {
	uint64_t field[CPU_FIELD_COUNT];
	bool valid;
};

enum {
	M_USAGE, M_USER, M_SYSTEM, M_IOWAIT, M_STEAL, M_IRQ, M_IDLE, M_NICE,
	M_CTXT, M_FORKS, M_RUNNING, M_BLOCKED, M_CORES, M_COUNT
};

struct core {
	struct cpu_times last;
	metric_ref usage;
	bool seen;
};

struct cpu_state {
	struct tick_file stat;
	struct cpu_times total;
	struct counter context_switches, forks;
	metric_ref refs[M_COUNT];
	struct core *cores;
	size_t core_capacity;
	bool per_core;
};

static bool cpu_enabled(const struct config *config)
{
	return config->collectors.cpu.enabled;
}

/* "cpu  1 2 3 4 ..." after the name: at least user nice system idle. */
static bool parse_times(const char **p, struct cpu_times *times)
{
	size_t n = 0;

	memset(times, 0, sizeof(*times));
	while (n < CPU_FIELD_COUNT && collect_parse_u64(p, &times->field[n]))
		n++;
	times->valid = n >= 4;
	return times->valid;
}

static uint64_t times_total(const struct cpu_times *t)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < CPU_FIELD_COUNT; i++)
		sum += t->field[i];
	return sum;
}

/* Delta of field i, 0 when it went back (hotplug, counter glitch). */
static double delta(const struct cpu_times *now, const struct cpu_times *then,
		    size_t i)
{
	return now->field[i] >= then->field[i]
		       ? (double)(now->field[i] - then->field[i])
		       : 0;
}

static bool times_delta_total(const struct cpu_times *now,
			      const struct cpu_times *then, double *total)
{
	uint64_t a = times_total(now), b = times_total(then);

	if (!then->valid || a <= b)
		return false;
	*total = (double)(a - b);
	return true;
}

static int cpu_init(void *data, struct collect_context *ctx,
		    const char **reason)
{
	struct cpu_state *s = data;
	ssize_t n;
	size_t highest = 0;

	collect_tick_file_init(&s->stat, ctx->proc_fd, "stat");
	s->per_core = ctx->config->collectors.cpu.per_core;
	n = collect_tick_file_read(&s->stat, ctx);
	if (n < 0 && n != -EFBIG) {
		*reason = "cannot read stat under proc_root";
		return (int)n;
	}
	/* Cores are counted once: room for every core present at start-up. */
	for (const char *p = ctx->buffer; *p; p = collect_next_line(p)) {
		unsigned long index;

		if (strncmp(p, "cpu", 3) == 0 && p[3] >= '0' && p[3] <= '9') {
			index = strtoul(p + 3, NULL, 10);
			if (index < 65536 && index + 1 > highest)
				highest = index + 1;
		}
	}
	s->core_capacity = highest ? highest : 1;
	s->cores = calloc(s->core_capacity, sizeof(*s->cores));
	if (s->cores == NULL)
		return -ENOMEM;
	return 0;
}

static void emit_core(struct cpu_state *s, struct collect_context *ctx,
		      unsigned long index, const struct cpu_times *now)
{
	struct core *core;
	char labels[32];
	double total;

	if (index >= s->core_capacity) {
		collect_notice_once(ctx, 0, "core %lu appeared after start-up; "
				    "per-core figures cover the first %zu",
				    index, s->core_capacity);
		return;
	}
	core = &s->cores[index];
	core->seen = true;
	if (times_delta_total(now, &core->last, &total)) {
		snprintf(labels, sizeof(labels), "cpu=%lu", index);
		collect_emit(
		    ctx, &core->usage, "cpu.core_usage_percent", labels,
		    100.0 - collect_percent_of(
				delta(now, &core->last, CPU_IDLE) +
				    delta(now, &core->last, CPU_IOWAIT),
				total));
	}
	core->last = *now;
}

static void emit_total(struct cpu_state *s, struct collect_context *ctx,
		       const struct cpu_times *now)
{
	const struct cpu_times *then = &s->total;
	metric_ref *m = s->refs;
	double total, idle;

	if (times_delta_total(now, then, &total)) {
		idle = delta(now, then, CPU_IDLE) + delta(now, then, CPU_IOWAIT);
		collect_emit(ctx, &m[M_USAGE], "cpu.usage_percent", "",
			     100.0 - collect_percent_of(idle, total));
		collect_emit(ctx, &m[M_USER], "cpu.user_percent", "",
			     collect_percent_of(delta(now, then, CPU_USER) +
						    delta(now, then, CPU_NICE),
						total));
		collect_emit(
		    ctx, &m[M_SYSTEM], "cpu.system_percent", "",
		    collect_percent_of(delta(now, then, CPU_SYSTEM), total));
		collect_emit(
		    ctx, &m[M_IOWAIT], "cpu.iowait_percent", "",
		    collect_percent_of(delta(now, then, CPU_IOWAIT), total));
		collect_emit(
		    ctx, &m[M_STEAL], "cpu.steal_percent", "",
		    collect_percent_of(delta(now, then, CPU_STEAL), total));
		collect_emit(
		    ctx, &m[M_IRQ], "cpu.irq_percent", "",
		    collect_percent_of(delta(now, then, CPU_IRQ) +
					   delta(now, then, CPU_SOFTIRQ),
				       total));
		collect_emit(
		    ctx, &m[M_IDLE], "cpu.idle_percent", "",
		    collect_percent_of(delta(now, then, CPU_IDLE), total));
		/* Niced (background) work, part of user: the analyzer
		 * leaves it out of "CPU busy". */
		collect_emit(
		    ctx, &m[M_NICE], "cpu.nice_percent", "",
		    collect_percent_of(delta(now, then, CPU_NICE), total));
	}
	s->total = *now;
}

static void cpu_collect(void *data, struct collect_context *ctx)
{
	struct cpu_state *s = data;
	ssize_t n = collect_tick_file_read(&s->stat, ctx);
	bool have_total = false;
	uint64_t value, cores = 0;

	if (n < 0) {
		collect_error_errno(ctx, (int)n, "cannot read stat");
		if (n != -EFBIG)
			return;
	}
	for (size_t i = 0; i < s->core_capacity; i++)
		s->cores[i].seen = false;
	for (const char *p = ctx->buffer; *p; p = collect_next_line(p)) {
		struct cpu_times times;
		const char *q = p;

		if (strncmp(p, "cpu", 3) == 0) {
			unsigned long index = 0;
			bool is_core = p[3] >= '0' && p[3] <= '9';
			uint64_t parsed;

			q = p + 3;
			if (is_core) {
				if (!collect_parse_u64(&q, &parsed))
					continue;
				index = (unsigned long)parsed;
			} else if (*q != ' ') {
				continue;
			}
			if (!parse_times(&q, &times)) {
				collect_error(ctx, "stat: short cpu line");
				continue;
			}
			if (!is_core) {
				emit_total(s, ctx, &times);
				have_total = true;
			} else {
				cores++;
				if (s->per_core)
					emit_core(s, ctx, index, &times);
			}
		} else if (collect_line_starts_with(p, "ctxt")) {
			q += 4;
			if (collect_parse_u64(&q, &value))
				collect_emit_rate(
				    ctx, &s->refs[M_CTXT],
				    "cpu.context_switches_per_sec", "",
				    &s->context_switches, value);
		} else if (collect_line_starts_with(p, "processes")) {
			q += 9;
			if (collect_parse_u64(&q, &value))
				collect_emit_rate(ctx, &s->refs[M_FORKS],
						  "cpu.forks_per_sec", "",
						  &s->forks, value);
		} else if (collect_line_starts_with(p, "procs_running")) {
			q += 13;
			if (collect_parse_u64(&q, &value))
				collect_emit(ctx, &s->refs[M_RUNNING],
					     "cpu.procs_running", "",
					     (double)value);
		} else if (collect_line_starts_with(p, "procs_blocked")) {
			q += 13;
			if (collect_parse_u64(&q, &value))
				collect_emit(ctx, &s->refs[M_BLOCKED],
					     "cpu.procs_blocked", "",
					     (double)value);
		}
	}
	if (!have_total) {
		collect_error(ctx, "stat: no aggregate cpu line");
		return;
	}
	collect_emit(ctx, &s->refs[M_CORES], "cpu.cores_online", "",
		     (double)cores);
	/* A core gone offline loses its baseline: no bogus delta on return. */
	for (size_t i = 0; i < s->core_capacity; i++)
		if (!s->cores[i].seen)
			s->cores[i].last.valid = false;
}

static void cpu_fini(void *data, struct collect_context *ctx)
{
	struct cpu_state *s = data;

	(void)ctx;
	collect_tick_file_close(&s->stat);
	free(s->cores);
}

const struct collector_ops cpu_collector = {
	.name = "cpu",
	.state_size = sizeof(struct cpu_state),
	.enabled = cpu_enabled,
	.init = cpu_init,
	.collect = cpu_collect,
	.fini = cpu_fini,
};
