/*
 * collector.c - the collector set: opens proc_root / sys_root once, starts
 * each enabled collector (an absent source is said once and left out), runs
 * them in order every tick and publishes their error counters as
 * agent.collector_errors{collector=NAME}.
 */
#include "collector/collect.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/event.h"
#include "core/log.h"
#include "core/util.h"
#include "storage/metrics.h"

/* Big enough for /proc/stat of a 512-core host or a busy mountinfo. */
#define READ_BUFFER_SIZE (256 * 1024)

static const struct collector_ops *const all_collectors[] = {
	&cpu_collector,     &memory_collector, &load_collector,
	&disk_collector,    &network_collector, &fd_collector,
	&process_collector, &cgroup_collector, &host_collector,
	&systemd_collector, &docker_collector,
};

#define COLLECTOR_COUNT ARRAY_SIZE(all_collectors)

struct collector_instance {
	const struct collector_ops *ops;
	void *state;
	bool active;
	unsigned long errors;
	bool error_logged;
	uint32_t notices_said;      /* bit per collect_notice_once key */
	metric_ref errors_ref;
	char errors_labels[48];
};

struct collector_set {
	struct collect_context ctx;
	struct collector_instance instances[COLLECTOR_COUNT];
};

/* One error counted; the first logged, the rest only at debug level. */
static void error_counted(struct collect_context *ctx, int error,
			  const char *format, va_list args)
	__attribute__((format(printf, 3, 0)));

static void error_counted(struct collect_context *ctx, int error,
			  const char *format, va_list args)
{
	struct collector_instance *instance = ctx->current;
	char message[256];

	if (instance == NULL)
		return;
	instance->errors++;
	if (instance->error_logged && !log_enabled(LOG_DEBUG))
		return;
	if (error != 0)
		log_format_errno(message, sizeof(message), error, format,
				 args);
	else
		vsnprintf(message, sizeof(message), format, args);
	if (!instance->error_logged)
		log_warning("collector %s: %s (further errors are counted in "
			    "agent.collector_errors)", instance->ops->name,
			    message);
	else
		log_debug("collector %s: %s", instance->ops->name, message);
	instance->error_logged = true;
}

void collect_error(struct collect_context *ctx, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	error_counted(ctx, 0, format, args);
	va_end(args);
}

void collect_error_errno(struct collect_context *ctx, int error,
			 const char *format, ...)
{
	va_list args;

	va_start(args, format);
	error_counted(ctx, error, format, args);
	va_end(args);
}

void collect_alert(struct collect_context *ctx, const char *rule,
		   const char *series, const char *labels,
		   enum alert_severity severity, enum alert_nature nature,
		   bool firing, double value, const char *format, ...)
{
	struct alert_event event;
	char summary[256];
	va_list args;

	if (ctx->alert_sink == NULL)
		return;
	va_start(args, format);
	vsnprintf(summary, sizeof(summary), format, args);
	va_end(args);
	event = (struct alert_event){
		.rule = rule,
		.series = series,
		.labels = labels,
		.severity = severity,
		.firing = firing || nature == ALERT_POINT,
		.nature = nature,
		.time_usec = (uint64_t)ctx->now_usec,
		.value = value,
		.baseline = NAN,
		.threshold = NAN,
		.score = 1.0,
		.eta_secs = -1,
		.summary = summary,
		.count = 1,
	};
	if (ctx->alert_sink(&event) < 0)
		log_warning("collector %s: could not hand the %s event to the "
			    "alerter", ctx->current ? ctx->current->ops->name
						    : "?", rule);
}

void collect_notice_once(struct collect_context *ctx, unsigned key,
			 const char *format, ...)
{
	struct collector_instance *instance = ctx->current;
	char message[256];
	va_list args;

	if (instance == NULL || key >= 32 ||
	    (instance->notices_said & (1u << key)))
		return;
	instance->notices_said |= 1u << key;
	va_start(args, format);
	vsnprintf(message, sizeof(message), format, args);
	va_end(args);
	log_notice("collector %s: %s", instance->ops->name, message);
}

static int open_root(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0) {
		int saved = errno;

		log_error_errno(saved, "cannot open %s", path);
		return -saved;
	}
	return fd;
}

/*
 * A collector's state: a big one (the disk collector's device and mount
 * tables, ~28 KiB sized to their limits) on zeroed pages of its own,
 * resident only as far as it is used; a small one on the heap, where a
 * page of its own would cost more than it saves.
 */
#define STATE_PAGES_MIN (8 * 1024)

static void *state_alloc(size_t size)
{
	return size >= STATE_PAGES_MIN ? zeroed_pages_alloc(1, size)
				       : calloc(1, size);
}

static void state_free(void *state, size_t size)
{
	if (size >= STATE_PAGES_MIN)
		zeroed_pages_free(state, 1, size);
	else
		free(state);
}

int collector_set_new(const struct config *config,
		      struct metric_registry *metrics,
		      struct collector_set **out)
{
	struct collector_set *set;
	int r;

	set = calloc(1, sizeof(*set));
	if (set == NULL)
		return -ENOMEM;
	set->ctx.metrics = metrics;
	set->ctx.config = config;
	set->ctx.proc_fd = set->ctx.sys_fd = set->ctx.state_fd = -1;
	set->ctx.buffer_size = READ_BUFFER_SIZE;
	set->ctx.buffer = malloc(READ_BUFFER_SIZE);
	if (set->ctx.buffer == NULL) {
		collector_set_free(set);
		return -ENOMEM;
	}
	r = open_root(config->agent.proc_root);
	if (r < 0) {
		collector_set_free(set);
		return r;
	}
	set->ctx.proc_fd = r;
	r = open_root(config->agent.sys_root);
	if (r < 0) {
		collector_set_free(set);
		return r;
	}
	set->ctx.sys_fd = r;
	for (size_t i = 0; i < COLLECTOR_COUNT; i++) {
		struct collector_instance *instance = &set->instances[i];
		const struct collector_ops *ops = all_collectors[i];
		const char *reason = NULL;

		instance->ops = ops;
		snprintf(instance->errors_labels,
			 sizeof(instance->errors_labels), "collector=%s",
			 ops->name);
		if (!ops->enabled(config))
			continue;
		instance->state = state_alloc(ops->state_size);
		if (instance->state == NULL) {
			collector_set_free(set);
			return -ENOMEM;
		}
		set->ctx.current = instance;
		r = ops->init(instance->state, &set->ctx, &reason);
		set->ctx.current = NULL;
		if (r < 0) {
			if (reason != NULL)
				log_notice("collector %s unavailable: %s",
					   ops->name, reason);
			else
				log_notice_errno(r, "collector %s unavailable",
						 ops->name);
			state_free(instance->state, ops->state_size);
			instance->state = NULL;
			continue;
		}
		instance->active = true;
		log_debug("collector %s started", ops->name);
	}
	*out = set;
	return 0;
}

void collector_set_collect(struct collector_set *set, int64_t now_usec)
{
	struct collect_context *ctx = &set->ctx;

	ctx->now_usec = now_usec;
	ctx->tick++;
	for (size_t i = 0; i < COLLECTOR_COUNT; i++) {
		struct collector_instance *instance = &set->instances[i];

		if (!instance->active)
			continue;
		ctx->current = instance;
		instance->ops->collect(instance->state, ctx);
		collect_emit(ctx, &instance->errors_ref,
			     "agent.collector_errors", instance->errors_labels,
			     (double)instance->errors);
	}
	ctx->current = NULL;
}

void collector_set_free(struct collector_set *set)
{
	if (set == NULL)
		return;
	for (size_t i = 0; i < COLLECTOR_COUNT; i++) {
		struct collector_instance *instance = &set->instances[i];

		if (instance->state == NULL)
			continue;
		set->ctx.current = instance;
		if (instance->active && instance->ops->fini != NULL)
			instance->ops->fini(instance->state, &set->ctx);
		state_free(instance->state, instance->ops->state_size);
	}
	if (set->ctx.proc_fd >= 0)
		close(set->ctx.proc_fd);
	if (set->ctx.sys_fd >= 0)
		close(set->ctx.sys_fd);
	free(set->ctx.buffer);
	free(set);
}

void collector_set_use_state_dir(struct collector_set *set, int dirfd)
{
	set->ctx.state_fd = dirfd;
}

void collector_set_use_event(struct collector_set *set, void *event)
{
	set->ctx.event = event;
	for (size_t i = 0; i < COLLECTOR_COUNT; i++) {
		struct collector_instance *instance = &set->instances[i];

		if (!instance->active || instance->ops->attach_event == NULL)
			continue;
		set->ctx.current = instance;
		instance->ops->attach_event(instance->state, &set->ctx);
	}
	set->ctx.current = NULL;
}

void collector_set_alerts(struct collector_set *set, collector_alert_sink sink)
{
	set->ctx.alert_sink = sink;
}

void collector_set_allow_waiting(struct collector_set *set)
{
	set->ctx.may_wait = true;
}

static const struct collector_instance *
find_instance(const struct collector_set *set, const char *name)
{
	for (size_t i = 0; i < COLLECTOR_COUNT; i++)
		if (strcmp(set->instances[i].ops->name, name) == 0)
			return &set->instances[i];
	return NULL;
}

long collector_set_errors(const struct collector_set *set, const char *name)
{
	const struct collector_instance *instance = find_instance(set, name);

	return instance ? (long)instance->errors : -1;
}

bool collector_set_active(const struct collector_set *set, const char *name)
{
	const struct collector_instance *instance = find_instance(set, name);

	return instance != NULL && instance->active;
}

bool collector_set_top_processes(const struct collector_set *set,
				 struct collector_top *out)
{
	const struct collector_instance *instance;

	memset(out, 0, sizeof(*out));
	if (set == NULL)
		return false;
	instance = find_instance(set, "process");
	if (instance == NULL || !instance->active)
		return false;
	process_top_snapshot(instance->state, out);
	return out->time_usec != 0;
}

size_t collector_set_top_fds(const struct collector_set *set,
			     struct collector_process *out, size_t max)
{
	const struct collector_instance *instance;

	if (set == NULL)
		return 0;
	instance = find_instance(set, "process");
	if (instance == NULL || !instance->active)
		return 0;
	return process_top_fds(instance->state, set->ctx.proc_fd, out, max);
}

/* ---- files ---- */

void collect_tick_file_init(struct tick_file *file, int dirfd, const char *path)
{
	file->fd = -1;
	file->dirfd = dirfd;
	file->path = path;
}

static ssize_t pread_all(int fd, char *buffer, size_t size)
{
	size_t used = 0;

	while (used < size - 1) {
		ssize_t n = pread(fd, buffer + used, size - 1 - used,
				  (off_t)used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buffer[used] = '\0';
	if (used == size - 1)
		return -EFBIG;
	return (ssize_t)used;
}

ssize_t collect_tick_file_read(struct tick_file *file,
			       struct collect_context *ctx)
{
	ssize_t n;

	if (file->fd < 0) {
		file->fd = openat(file->dirfd, file->path,
				  O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (file->fd < 0) {
			ctx->buffer[0] = '\0';
			return -errno;
		}
	}
	n = pread_all(file->fd, ctx->buffer, ctx->buffer_size);
	if (n < 0 && n != -EFBIG) {
		/* Stale descriptor (file re-created): open afresh next tick. */
		close(file->fd);
		file->fd = -1;
	}
	return n;
}

void collect_tick_file_close(struct tick_file *file)
{
	if (file->fd >= 0)
		close(file->fd);
	file->fd = -1;
}

ssize_t collect_read_small_file(int dirfd, const char *path, char *buf,
				size_t size)
{
	int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0) {
		buf[0] = '\0';
		return -errno;
	}
	n = pread_all(fd, buf, size);
	close(fd);
	return n;
}

/* ---- metrics ---- */

void collect_emit_first(struct collect_context *ctx, metric_ref *ref,
			const char *name, const char *labels, double value)
{
	int id = metrics_register(ctx->metrics, name, labels);

	if (id < 0)
		return;
	*ref = id + 1;
	metrics_push(ctx->metrics, id, ctx->now_usec, value);
}

void collect_emit_retire(struct collect_context *ctx, metric_ref *ref)
{
	if (*ref > 0)
		metrics_retire(ctx->metrics, *ref - 1);
	*ref = 0;
}

void collect_emit_rate(struct collect_context *ctx, metric_ref *ref,
		       const char *name, const char *labels,
		       struct counter *counter, uint64_t value)
{
	double rate;

	if (counter_rate(counter, value, ctx->now_usec, &rate))
		collect_emit(ctx, ref, name, labels, rate);
}

/* ---- entities ---- */

int collect_entity_table_init(struct entity_table *table, size_t item_size,
			      size_t capacity)
{
	table->items = zeroed_pages_alloc(capacity, item_size);
	table->item_size = item_size;
	table->capacity = capacity;
	table->limit = 0;
	table->hint = 0;
	table->full_warned = false;
	return table->items ? 0 : -ENOMEM;
}

void collect_entity_table_free(struct entity_table *table)
{
	zeroed_pages_free(table->items, table->capacity, table->item_size);
	table->items = NULL;
	table->capacity = 0;
}

struct entity *collect_entity_at(const struct entity_table *table, size_t i)
{
	return (struct entity *)((char *)table->items + i * table->item_size);
}

struct entity *collect_entity_get(struct collect_context *ctx,
				  struct entity_table *table, const char *key,
				  bool *is_new)
{
	struct entity *free_slot = NULL;
	size_t free_index = 0;

	*is_new = false;
	/*
	 * A source lists its entities in the same order every tick: the slot
	 * after the last one found is nearly always the next one asked for,
	 * which spares a scan per entity (a tick's lookups in O(n), not
	 * O(n^2), with hundreds of interfaces or cgroups).
	 */
	if (table->hint < table->limit) {
		struct entity *e = collect_entity_at(table, table->hint);

		if (e->used && strcmp(e->key, key) == 0) {
			e->seen_tick = ctx->tick;
			table->hint++;
			return e;
		}
	}
	/* Only the slots used so far are searched: tables fill from 0. */
	for (size_t i = 0; i < table->limit; i++) {
		struct entity *e = collect_entity_at(table, i);

		if (!e->used) {
			if (free_slot == NULL) {
				free_slot = e;
				free_index = i;
			}
			continue;
		}
		if (strcmp(e->key, key) == 0) {
			e->seen_tick = ctx->tick;
			table->hint = i + 1;
			return e;
		}
	}
	if (free_slot == NULL && table->limit < table->capacity) {
		free_index = table->limit++;
		free_slot = collect_entity_at(table, free_index);
	}
	if (free_slot == NULL) {
		if (!table->full_warned)
			log_warning("collector %s: more than %zu entities; "
				    "ignoring %s and any further ones",
				    ctx->current ? ctx->current->ops->name : "?",
				    table->capacity, key);
		table->full_warned = true;
		return NULL;
	}
	memset(free_slot, 0, table->item_size);
	string_copy(free_slot->key, key, sizeof(free_slot->key));
	free_slot->used = true;
	free_slot->seen_tick = ctx->tick;
	table->hint = free_index + 1;
	*is_new = true;
	return free_slot;
}

struct entity *collect_entity_expected(const struct entity_table *table)
{
	struct entity *e;

	if (table->hint >= table->limit)
		return NULL;
	e = collect_entity_at(table, table->hint);
	return e->used ? e : NULL;
}

void collect_entity_take(struct collect_context *ctx,
			 struct entity_table *table, struct entity *entity)
{
	entity->seen_tick = ctx->tick;
	table->hint++;
}

void collect_entity_sweep(struct collect_context *ctx,
			  struct entity_table *table)
{
	for (size_t i = 0; i < table->limit; i++) {
		struct entity *e = collect_entity_at(table, i);

		if (!e->used || e->seen_tick == ctx->tick)
			continue;
		for (size_t k = 0; k < ENTITY_METRICS_MAX; k++)
			collect_emit_retire(ctx, &e->refs[k]);
		e->used = false;
		table->full_warned = false;
	}
}

void collect_label_value_copy(char *dst, const char *src, size_t size)
{
	size_t i = 0;

	for (; src[i] != '\0' && i + 1 < size; i++) {
		char c = src[i];

		dst[i] = (c == ',' || c == '=' || c == '\n' || c == '{' ||
			  c == '}' || c == '"' || (unsigned char)c < 0x20)
				 ? '_'
				 : c;
	}
	dst[i] = '\0';
}

/* ---- parsers ---- */

void collect_skip_spaces(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

bool collect_parse_u64(const char **p, uint64_t *value)
{
	const char *s = *p, *start;
	uint64_t v = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	/* 19 digits cannot overflow: the check is for the 20th and on. */
	for (start = s; (unsigned)(*s - '0') <= 9 && s - start < 19; s++)
		v = v * 10 + (unsigned)(*s - '0');
	if (s == start)
		return false;
	for (; (unsigned)(*s - '0') <= 9; s++) {
		unsigned digit = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*value = v;
	*p = s;
	return true;
}

bool collect_parse_i64(const char **p, int64_t *value)
{
	const char *s = *p;
	bool negative = false;
	uint64_t v;

	collect_skip_spaces(&s);
	if (*s == '-') {
		negative = true;
		s++;
	}
	if (!collect_parse_u64(&s, &v) || v > (uint64_t)INT64_MAX)
		return false;
	*value = negative ? -(int64_t)v : (int64_t)v;
	*p = s;
	return true;
}

bool collect_parse_decimal(const char **p, double *value)
{
	const char *s = *p;
	uint64_t whole, fraction = 0, scale = 1;

	if (!collect_parse_u64(&s, &whole))
		return false;
	if (*s == '.') {
		s++;
		/* Digits beyond 18 cannot change a double; skip them. */
		for (; *s >= '0' && *s <= '9'; s++) {
			if (scale < 1000000000000000000ULL) {
				fraction = fraction * 10 + (uint64_t)(*s - '0');
				scale *= 10;
			}
		}
	}
	*value = (double)whole + (double)fraction / (double)scale;
	*p = s;
	return true;
}

bool collect_parse_word(const char **p, char *out, size_t size)
{
	const char *s = *p;
	size_t n = 0;

	collect_skip_spaces(&s);
	while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n') {
		if (n + 1 < size)
			out[n++] = *s;
		s++;
	}
	if (size > 0)
		out[n] = '\0';
	*p = s;
	return n > 0;
}

const char *collect_next_line(const char *p)
{
	const char *newline = strchr(p, '\n');

	return newline ? newline + 1 : p + strlen(p);
}

bool collect_line_starts_with(const char *p, const char *word)
{
	size_t n = strlen(word);

	return strncmp(p, word, n) == 0 &&
	       (p[n] == ' ' || p[n] == ':' || p[n] == '\t');
}

double collect_percent_of(double part, double whole)
{
	if (whole <= 0)
		return 0;
	return part * 100.0 / whole;
}
