/*
 * metrics.h - the metric registry: name + labels -> dense id, one fixed-size
 * ring of samples per series, all memory allocated at start-up.
 *
 * Collectors write (metrics_register, metrics_push); the analyzer reads each
 * tick (metrics_get, metrics_value_back) and keys its own O(1) state by id,
 * resetting it when a slot's generation changes (a retired series' slot was
 * reused by another one).
 */
#ifndef SYSOPS_METRICS_H
#define SYSOPS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRIC_NAME_MAX 64    /* "disk.used_percent" */
#define METRIC_LABELS_MAX 160 /* canonical "device=sda,mount=/" (sorted) */
/* "name{labels}" */
#define METRIC_FULL_MAX (METRIC_NAME_MAX + METRIC_LABELS_MAX + 2)

struct metric_registry;

/* [storage] */
struct storage_config {
	int64_t max_series;
};

struct config_section;
extern const struct config_section storage_section;

struct metric_series {
	char name[METRIC_NAME_MAX];
	char labels[METRIC_LABELS_MAX];
	uint32_t generation;      /* new (registry-wide) each time the slot is
				     (re)used; never 0 while in use */
	int64_t last_time_usec;   /* time of the newest sample: collectors stamp
				     every sample of a tick with the tick's
				     now_usec, so "updated this tick" is
				     last_time_usec == now_usec */
	double last_value;        /* the newest sample, at full precision */
	int64_t same_since_usec;  /* time of the first of the latest pushes,
				     in time order, of exactly last_value:
				     every sample at or after it has that
				     value (INT64_MAX: not known) */
	bool in_use;
};

/* max_series slots, each with a ring of ring_capacity samples. */
struct metric_registry *metrics_new(size_t max_series, size_t ring_capacity);
void metrics_free(struct metric_registry *registry);

/*
 * Older samples are packed into a shared pool of 64-byte blocks (2 bits a
 * sample for a flat series, about 3 bytes for one changing every tick).
 * metrics_new sizes it as plain 8-byte rings would be; this one takes
 * pool_blocks (0: that default), for tests. A series that needs a block when
 * the pool is empty gives up its own oldest one: it keeps fewer old samples,
 * never more memory.
 */
struct metric_registry *
metrics_new_pool(size_t max_series, size_t ring_capacity, size_t pool_blocks);

/*
 * Tests: off (on by default) packs the registry's batches of one repeated
 * value through the general packer too (the shortcut must give the same
 * bits).
 */
void metrics_set_repeat_shortcut(struct metric_registry *registry, bool on);

/* Blocks free in the pool. */
size_t metrics_pool_free(const struct metric_registry *registry);

/*
 * One past the highest id ever handed out: ids are given lowest first, so
 * a loop over the series stops here instead of at max_series.
 */
size_t metrics_id_limit(const struct metric_registry *registry);

/* Id of the live series name + labels (NULL: none), or -1: a hash lookup. */
int metrics_find(const struct metric_registry *registry, const char *name,
		 const char *labels);

/*
 * Id of the series, registering it if new. -ENOSPC when max_series are in
 * use (one warning is logged for the first refusal, not one per tick).
 */
int metrics_register(struct metric_registry *registry, const char *name,
		     const char *labels);

/* Appends a sample in O(1); the oldest is overwritten when the ring is full. */
void metrics_push(struct metric_registry *registry, int id, int64_t time_usec,
		  double value);

/* Frees the slot of a series that disappeared (unmounted disk, exited pid). */
void metrics_retire(struct metric_registry *registry, int id);

/* Slot count, for iterating ids 0..capacity-1. */
size_t metrics_capacity(const struct metric_registry *registry);

/* The series in a slot, or NULL when the slot is free. */
const struct metric_series *metrics_get(const struct metric_registry *registry,
					int id);

/*
 * Every slot below metrics_id_limit() as one array, free ones included
 * (in_use false): what a loop over all series reads without a call per
 * series.
 */
const struct metric_series *
metrics_series_table(const struct metric_registry *registry);

/* Samples held by the series (at most ring_capacity). */
size_t metrics_count(const struct metric_registry *registry, int id);

/*
 * The sample `back` steps before the newest (0 = newest), without copying;
 * false when the ring holds fewer samples. The newest is exact; older ones
 * keep the value as a float (7 significant digits) and the time to the
 * millisecond. The newest 8 are read in O(1); older ones decode the block
 * holding them (the last block decoded is kept, so a reader stepping back
 * decodes each block once).
 */
bool metrics_value_back(const struct metric_registry *registry, int id,
			size_t back, int64_t *time_usec, double *value);

/*
 * The newest samples at or after since_usec, newest first, as
 * metrics_value_back gives them one by one, at most max of them: what the
 * history reads of every series each minute in one call. Returns how many.
 */
size_t metrics_values_since(const struct metric_registry *registry, int id,
			    int64_t since_usec, size_t max, int64_t *time_usec,
			    double *value);

/*
 * How many samples the ring holds at or after since_usec and before
 * before_usec, their times as metrics_value_back gives them.
 */
size_t metrics_count_between(const struct metric_registry *registry, int id,
			     int64_t since_usec, int64_t before_usec);

/*
 * Glob match (fnmatch) of a series against a pattern: on the name alone, or
 * on "name{labels}" when the pattern has a '{'. The analyzer's overrides and
 * the history's --metric both select series this way.
 */
bool metrics_series_match(const char *pattern, const char *name,
			  const char *labels);

/* ---- Prometheus names: one spelling for the textfile and remote write ---- */

#define METRICS_PROMETHEUS_PREFIX "sysops_"

/* "disk.used_percent" -> "sysops_disk_used_percent"; false if empty or if
 * it does not fit. */
bool metrics_prometheus_name(const char *name, char *buffer, size_t size);

/* One label of a canonical "key=value,key=value" string. */
struct metrics_label {
	const char *key, *value;
	size_t key_length, value_length;
};

/* Walks the labels from *cursor (start with the labels string); false at the
 * end. Entries without '=' or with an empty key are skipped. */
bool metrics_label_next(const char **cursor, struct metrics_label *label);

/* A label name as Prometheus accepts it ([a-zA-Z_][a-zA-Z0-9_]*): other
 * bytes become '_', a leading digit gets a '_' before it. Returns its
 * length, or 0 when it is empty or does not fit. */
size_t metrics_prometheus_label_name(const char *key, size_t length,
				     char *buffer, size_t size);

/* A label value with every byte that is not valid UTF-8 replaced by '?' (a
 * process name can hold anything; receivers refuse invalid UTF-8). Returns
 * its length; the value is cut to size - 1 bytes on a character boundary. */
size_t metrics_prometheus_label_value(const char *value, size_t length,
				      char *buffer, size_t size);

#endif
