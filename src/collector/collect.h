/*
 * collect.h - what every collector file shares (private to src/collector):
 * the per-tick context, the collector table entry, fixed-buffer file reads,
 * cached metric ids, entity tables for things that come and go (mounts,
 * interfaces, processes) and the hand parsers.
 */
#ifndef SYSOPS_COLLECT_H
#define SYSOPS_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/event.h"
#include "collector/collector.h"
#include "storage/counter.h"
#include "storage/metrics.h"

struct collector_instance;

struct collect_context {
	struct metric_registry *metrics;
	const struct config *config;
	int proc_fd, sys_fd;        /* proc_root, sys_root */
	int state_fd;               /* the daemon's state directory, or -1 */
	struct sd_event *event;     /* the daemon's loop, NULL in `once` */
	/*
	 * `once` may wait (boundedly) for answers from D-Bus or Docker; the
	 * daemon never does: it sends a request in one tick and reads the
	 * answer from the event loop or in a later tick.
	 */
	bool may_wait;
	collector_alert_sink alert_sink;  /* NULL: events are not sent */
	int64_t now_usec;
	uint64_t tick;              /* 1 for the first collection */
	char *buffer;               /* shared read buffer, one file at a time */
	size_t buffer_size;
	struct collector_instance *current;
};

struct collector_ops {
	const char *name;
	size_t state_size;
	bool (*enabled)(const struct config *config);
	/*
	 * 0, or a negative errno when the source is unavailable: *reason then
	 * says why in words, logged once by the caller.
	 */
	int (*init)(void *state, struct collect_context *ctx,
		    const char **reason);
	void (*collect)(void *state, struct collect_context *ctx);
	void (*fini)(void *state, struct collect_context *ctx);
	/* Optional: ctx->event was set (the daemon's loop). */
	void (*attach_event)(void *state, struct collect_context *ctx);
};

extern const struct collector_ops cpu_collector, memory_collector,
	load_collector, disk_collector, network_collector, fd_collector,
	process_collector, cgroup_collector, host_collector, systemd_collector,
	docker_collector;

/* The process collector's alert context (see collector.h). */
void process_top_snapshot(const void *state, struct collector_top *out);
size_t process_top_fds(const void *state, int proc_fd,
		       struct collector_process *out, size_t max);

/* Counts a parse error against the running collector; logs the first. */
void collect_error(struct collect_context *ctx, const char *format, ...)
	__attribute__((format(printf, 2, 3)));
/* The same for a failed call: error (-errno or errno) as log_errno says it. */
void collect_error_errno(struct collect_context *ctx, int error,
			 const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * An event the collector saw (see collector_set_alerts): rule, series and
 * labels identify it. ALERT_STATE fires and later resolves (firing false
 * says it is over); ALERT_POINT happened once and is never resolved (firing
 * is always true). Summary is a printf format for one sentence. Does nothing
 * when no sink is set.
 */
void collect_alert(struct collect_context *ctx, const char *rule,
		   const char *series, const char *labels,
		   enum alert_severity severity, enum alert_nature nature,
		   bool firing, double value, const char *format, ...)
	__attribute__((format(printf, 9, 10)));

/* Says something once per collector (a permission missing, a table full). */
void collect_notice_once(struct collect_context *ctx, unsigned key,
			 const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A file read again every tick through one descriptor kept open (pread at
 * offset 0 makes procfs and sysfs generate it afresh), into ctx->buffer.
 */
struct tick_file {
	int fd;
	int dirfd;
	const char *path;           /* relative to dirfd */
};

void collect_tick_file_init(struct tick_file *file, int dirfd,
			    const char *path);
/* Bytes read (NUL-terminated in ctx->buffer) or -errno; -EFBIG if cut. */
ssize_t collect_tick_file_read(struct tick_file *file,
			       struct collect_context *ctx);
void collect_tick_file_close(struct tick_file *file);

/* A one-off read of a small file into buf; bytes or -errno. */
ssize_t collect_read_small_file(int dirfd, const char *path, char *buf,
				size_t size);

/*
 * A metric id cached by its owner: 0 = not registered yet, else id + 1. The
 * registry is asked once; a refusal (registry full) is asked again next tick.
 */
typedef int metric_ref;

/* collect_emit() of a series not registered yet (or refused last time). */
void collect_emit_first(struct collect_context *ctx, metric_ref *ref,
			const char *name, const char *labels, double value);

/* A sample of the tick; inline, as most ticks push hundreds of them. */
static inline void collect_emit(struct collect_context *ctx, metric_ref *ref,
				const char *name, const char *labels,
				double value)
{
	if (*ref > 0)
		metrics_push(ctx->metrics, *ref - 1, ctx->now_usec, value);
	else
		collect_emit_first(ctx, ref, name, labels, value);
}

void collect_emit_retire(struct collect_context *ctx, metric_ref *ref);

/* Rate of a counter emitted as a sample, nothing on the first or a reset. */
void collect_emit_rate(struct collect_context *ctx, metric_ref *ref,
		       const char *name, const char *labels,
		       struct counter *counter, uint64_t value);

/*
 * Entities: things with a key and their own series that appear and vanish.
 * A collector's entity struct starts with struct entity; a table is a fixed
 * array of them, allocated at start-up.
 */
#define ENTITY_KEY_MAX 128
#define ENTITY_METRICS_MAX 16

struct entity {
	char key[ENTITY_KEY_MAX];
	char labels[ENTITY_KEY_MAX + 32];
	uint64_t seen_tick;
	bool used;
	metric_ref refs[ENTITY_METRICS_MAX];
};

struct entity_table {
	void *items;
	size_t item_size, capacity;
	size_t limit;               /* slots at or beyond it were never used */
	size_t hint;		    /* the slot after the last one found */
	bool full_warned;
};

int collect_entity_table_init(struct entity_table *table, size_t item_size,
			      size_t capacity);
void collect_entity_table_free(struct entity_table *table);
struct entity *collect_entity_at(const struct entity_table *table, size_t i);
/*
 * The entity for key, marked seen this tick; a new one is zeroed beyond the
 * header (*is_new set). NULL when the table is full (said once).
 */
struct entity *collect_entity_get(struct collect_context *ctx,
				  struct entity_table *table, const char *key,
				  bool *is_new);
/*
 * The entity collect_entity_get() tries first for the next key (the one
 * after the last found: sources list their entities in the same order
 * every tick), or NULL. Not marked seen: a caller that recognises it by
 * more than its key (the same line as last tick) then gets it by its key.
 */
struct entity *collect_entity_expected(const struct entity_table *table);
/*
 * What collect_entity_get() does for the key of the entity
 * collect_entity_expected() gave, without comparing the key again: marks
 * it seen and moves on past it.
 */
void collect_entity_take(struct collect_context *ctx,
			 struct entity_table *table, struct entity *entity);
/* Retires the series of entities not seen this tick and frees their slots. */
void collect_entity_sweep(struct collect_context *ctx,
			  struct entity_table *table);

/* Label value made safe for "key=value,key=value": ',' '=' '\n' -> '_'. */
void collect_label_value_copy(char *dst, const char *src, size_t size);

/* Hand parsers over NUL-terminated text; each advances *p. */
void collect_skip_spaces(const char **p);
bool collect_parse_u64(const char **p, uint64_t *value);
bool collect_parse_i64(const char **p, int64_t *value);
/* A decimal like "0.52" (load, pressure), no exponent. */
bool collect_parse_decimal(const char **p, double *value);
/* Copies the next whitespace-delimited word; false when none. */
bool collect_parse_word(const char **p, char *out, size_t size);
const char *collect_next_line(const char *p);
/* True when the line at p starts with word followed by a space or ':'. */
bool collect_line_starts_with(const char *p, const char *word);

double collect_percent_of(double part, double whole);

#endif
