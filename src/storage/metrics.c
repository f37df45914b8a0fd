/*
 * metrics.c - the metric registry and its rings.
 *
 * All memory is taken in metrics_new(): the series table, one block of
 * samples (max_series * ring_capacity), a free-slot stack and an
 * open-addressing index from name + labels to id. Nothing grows afterwards,
 * so the daemon's footprint is known at start-up whatever the host looks like.
 *
 * The big tables are anonymous mappings, not calloc: their pages stay
 * untouched (not resident) until a series uses them, whatever malloc's
 * mmap threshold has become, so resident memory follows the series present
 * (slots are handed out lowest first) rather than max_series.
 */
#include "storage/metrics.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/util.h"

#define INDEX_EMPTY -1
#define INDEX_TOMBSTONE -2

/*
 * 8 bytes, half of a double and a 64-bit time: rings are most of the
 * agent's memory once full. The time is the low 32 bits of the Unix time in
 * milliseconds, widened again against the series' full newest time (rings
 * span at most a week, far below the 49 days 32 bits of milliseconds hold).
 */
struct metric_sample {
	uint32_t time_msec;
	float value;
};

struct metric_ring {
	uint32_t head;  /* next write position */
	uint32_t count;
};

struct metric_registry {
	size_t max_series, ring_capacity;
	struct metric_series *series;
	struct metric_ring *rings;
	struct metric_sample *samples;  /* max_series * ring_capacity */
	uint64_t *free_bits;            /* a set bit: that slot is unused */
	size_t free_count;
	int *index;                     /* hash -> id, INDEX_EMPTY/TOMBSTONE */
	size_t index_size;              /* power of two >= 2 * max_series */
	size_t tombstones;
	uint32_t generation;            /* the last one handed out */
	size_t id_limit; /* ids >= this are unused */
	bool refused_warned;
};

static uint64_t series_hash(const char *name, const char *labels)
{
	uint64_t hash = 1469598103934665603ULL; /* FNV-1a */

	for (const char *p = name; *p; p++)
		hash = (hash ^ (unsigned char)*p) * 1099511628211ULL;
	hash = (hash ^ 0xff) * 1099511628211ULL;
	for (const char *p = labels; *p; p++)
		hash = (hash ^ (unsigned char)*p) * 1099511628211ULL;
	return hash;
}

struct metric_registry *metrics_new(size_t max_series, size_t ring_capacity)
{
	struct metric_registry *r;

	if (max_series == 0 || ring_capacity == 0 || max_series > INT32_MAX / 4)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->max_series = max_series;
	r->ring_capacity = ring_capacity;
	r->index_size = 16;
	while (r->index_size < 2 * max_series)
		r->index_size *= 2;
	r->series = zeroed_pages_alloc(max_series, sizeof(*r->series));
	r->rings = zeroed_pages_alloc(max_series, sizeof(*r->rings));
	r->samples = zeroed_pages_alloc(max_series * ring_capacity,
				  sizeof(*r->samples));
	r->free_bits = calloc((max_series + 63) / 64, sizeof(*r->free_bits));
	r->index = malloc(r->index_size * sizeof(*r->index));
	if (!r->series || !r->rings || !r->samples || !r->free_bits ||
	    !r->index) {
		metrics_free(r);
		return NULL;
	}
	for (size_t i = 0; i < r->index_size; i++)
		r->index[i] = INDEX_EMPTY;
	for (size_t i = 0; i < max_series; i++)
		r->free_bits[i / 64] |= 1ULL << (i % 64);
	r->free_count = max_series;
	return r;
}

void metrics_free(struct metric_registry *registry)
{
	if (registry == NULL)
		return;
	zeroed_pages_free(registry->series, registry->max_series,
		      sizeof(*registry->series));
	zeroed_pages_free(registry->rings, registry->max_series,
		      sizeof(*registry->rings));
	zeroed_pages_free(registry->samples,
		      registry->max_series * registry->ring_capacity,
		      sizeof(*registry->samples));
	free(registry->free_bits);
	free(registry->index);
	free(registry);
}

/* Index position holding the series, or -1; *insert_at gets a free spot. */
static long index_find(const struct metric_registry *r, const char *name,
		       const char *labels, size_t *insert_at)
{
	size_t mask = r->index_size - 1;
	size_t position = (size_t)series_hash(name, labels) & mask;
	bool have_insert = false;

	for (size_t probe = 0; probe < r->index_size; probe++) {
		int id = r->index[position];

		if (id == INDEX_EMPTY) {
			if (!have_insert && insert_at != NULL)
				*insert_at = position;
			return -1;
		}
		if (id == INDEX_TOMBSTONE) {
			if (!have_insert && insert_at != NULL) {
				*insert_at = position;
				have_insert = true;
			}
		} else if (strcmp(r->series[id].name, name) == 0 &&
			   strcmp(r->series[id].labels, labels) == 0) {
			return (long)position;
		}
		position = (position + 1) & mask;
	}
	return -1;
}

int metrics_find(const struct metric_registry *registry, const char *name,
		 const char *labels)
{
	long found = index_find(registry, name, labels ? labels : "", NULL);

	return found >= 0 ? registry->index[found] : -1;
}

/*
 * The lowest unused slot (free_count > 0): series keep to the start of the
 * tables, so after a burst of short-lived series (processes, units) the
 * survivors do not stay spread over pages the burst made resident.
 */
static int lowest_free(const struct metric_registry *r)
{
	size_t word = 0;

	while (r->free_bits[word] == 0)
		word++;
	return (int)(word * 64 + (size_t)__builtin_ctzll(r->free_bits[word]));
}

static bool slot_unused(const void *context, size_t id)
{
	const struct metric_registry *r = context;

	return (r->free_bits[id / 64] >> (id % 64)) & 1;
}

int metrics_register(struct metric_registry *registry, const char *name,
		     const char *labels)
{
	struct metric_series *series;
	size_t insert_at = 0;
	long found;
	int id;

	if (labels == NULL)
		labels = "";
	if (strlen(name) >= METRIC_NAME_MAX || strlen(labels) >= METRIC_LABELS_MAX)
		return -ENAMETOOLONG;
	found = index_find(registry, name, labels, &insert_at);
	if (found >= 0)
		return registry->index[found];
	if (registry->free_count == 0) {
		if (!registry->refused_warned)
			log_warning("metric registry full (%zu series): refusing "
				    "%s{%s} and any further new series; raise "
				    "[storage] max_series", registry->max_series,
				    name, labels);
		registry->refused_warned = true;
		return -ENOSPC;
	}
	if (registry->index[insert_at] == INDEX_TOMBSTONE)
		registry->tombstones--;
	id = lowest_free(registry);
	registry->free_bits[id / 64] &= ~(1ULL << (id % 64));
	registry->free_count--;
	series = &registry->series[id];
	memcpy(series->name, name, strlen(name) + 1);
	memcpy(series->labels, labels, strlen(labels) + 1);
	/* Unique across slots, never 0: a slot whose page went back reads 0,
	 * and no reader can take its next series for one it knew. */
	if (++registry->generation == 0)
		registry->generation = 1;
	series->generation = registry->generation;
	series->in_use = true;
	series->last_time_usec = 0;
	series->last_value = 0;
	series->same_since_usec = INT64_MAX;
	registry->rings[id] = (struct metric_ring){ 0 };
	registry->index[insert_at] = id;
	if ((size_t)id >= registry->id_limit)
		registry->id_limit = (size_t)id + 1;
	return id;
}

static bool valid_id(const struct metric_registry *registry, int id)
{
	return id >= 0 && (size_t)id < registry->max_series &&
	       registry->series[id].in_use;
}

void metrics_push(struct metric_registry *registry, int id, int64_t time_usec,
		  double value)
{
	struct metric_ring *ring;
	struct metric_sample *slot;
	struct metric_series *series;

	if (!valid_id(registry, id))
		return;
	ring = &registry->rings[id];
	slot = &registry->samples[(size_t)id * registry->ring_capacity +
				  ring->head];
	slot->time_msec = (uint32_t)(uint64_t)(time_usec / 1000);
	slot->value = (float)value;
	ring->head = (uint32_t)((ring->head + 1) % registry->ring_capacity);
	series = &registry->series[id];
	/* A run of one value goes on while time goes forward (a clock
	 * stepped back leaves later samples behind: not known then). */
	if (time_usec <= series->last_time_usec && ring->count > 0)
		series->same_since_usec = INT64_MAX;
	else if (ring->count == 0 ||
		 memcmp(&value, &series->last_value, sizeof(value)) != 0)
		series->same_since_usec = time_usec;
	if (ring->count < registry->ring_capacity)
		ring->count++;
	series->last_time_usec = time_usec;
	series->last_value = value;
}

/* ceil(x / 1000) for any sign (C division truncates towards 0). */
static int64_t ceil_msec(int64_t usec)
{
	return usec / 1000 + (usec % 1000 > 0);
}

size_t metrics_count_between(const struct metric_registry *registry, int id,
			     int64_t since_usec, int64_t before_usec)
{
	const struct metric_ring *ring;
	const struct metric_sample *samples;
	size_t n, position, capacity = registry->ring_capacity;
	int64_t newest_msec, since_age, before_age;
	uint32_t newest32;

	if (!valid_id(registry, id))
		return 0;
	ring = &registry->rings[id];
	if (ring->count == 0 ||
	    registry->series[id].last_time_usec < since_usec)
		return 0;
	n = registry->series[id].last_time_usec < before_usec;
	/*
	 * An older sample's time is (newest_msec - age) * 1000 with age =
	 * newest_msec - time_msec in 32 bits (metrics_value_back): it is
	 * before X exactly when age > newest_msec - ceil(X / 1000).
	 */
	newest_msec = registry->series[id].last_time_usec / 1000;
	newest32 = (uint32_t)(uint64_t)newest_msec;
	since_age = newest_msec - ceil_msec(since_usec);
	before_age = newest_msec - ceil_msec(before_usec);
	samples = &registry->samples[(size_t)id * capacity];
	position = (ring->head + capacity - 1) % capacity;
	for (size_t back = 1; back < ring->count; back++) {
		int64_t age;

		position = (position == 0 ? capacity : position) - 1;
		age =
		    (int64_t)(uint32_t)(newest32 - samples[position].time_msec);
		if (age > since_age)
			break;
		n += age > before_age;
	}
	return n;
}

/*
 * Retired series leave tombstones that lengthen every probe; when they reach a
 * quarter of the index it is rebuilt in place from the live series (no
 * allocation, O(index) once in a while).
 */
static void index_rebuild(struct metric_registry *r)
{
	size_t mask = r->index_size - 1;

	for (size_t i = 0; i < r->index_size; i++)
		r->index[i] = INDEX_EMPTY;
	for (size_t id = 0; id < r->max_series; id++) {
		size_t position;

		if (!r->series[id].in_use)
			continue;
		position = (size_t)series_hash(r->series[id].name,
					       r->series[id].labels) & mask;
		while (r->index[position] != INDEX_EMPTY)
			position = (position + 1) & mask;
		r->index[position] = (int)id;
	}
	r->tombstones = 0;
}

void metrics_retire(struct metric_registry *registry, int id)
{
	struct metric_series *series;
	long position;

	if (!valid_id(registry, id))
		return;
	series = &registry->series[id];
	position = index_find(registry, series->name, series->labels, NULL);
	if (position >= 0) {
		registry->index[position] = INDEX_TOMBSTONE;
		registry->tombstones++;
	}
	series->in_use = false;
	registry->free_bits[id / 64] |= 1ULL << (id % 64);
	registry->free_count++;
	/* Its name and samples are dead (the slot is rewritten when taken
	 * again): pages that only unused slots share go back. */
	zeroed_pages_release(registry->series, registry->max_series,
			     sizeof(*registry->series), (size_t)id, slot_unused,
			     registry);
	zeroed_pages_release(registry->samples, registry->max_series,
			     registry->ring_capacity *
				 sizeof(*registry->samples),
			     (size_t)id, slot_unused, registry);
	/* Loops over the series stop at the highest one left. */
	while (registry->id_limit > 0 &&
	       slot_unused(registry, registry->id_limit - 1))
		registry->id_limit--;
	/* A slot freed makes room again: warn anew if it fills up again. */
	registry->refused_warned = false;
	if (registry->tombstones > registry->index_size / 4)
		index_rebuild(registry);
}

size_t metrics_capacity(const struct metric_registry *registry)
{
	return registry->max_series;
}

size_t metrics_id_limit(const struct metric_registry *registry)
{
	return registry->id_limit;
}

const struct metric_series *metrics_get(const struct metric_registry *registry,
					int id)
{
	return valid_id(registry, id) ? &registry->series[id] : NULL;
}

const struct metric_series *
metrics_series_table(const struct metric_registry *registry)
{
	return registry->series;
}

size_t metrics_count(const struct metric_registry *registry, int id)
{
	return valid_id(registry, id) ? registry->rings[id].count : 0;
}

bool metrics_value_back(const struct metric_registry *registry, int id,
			size_t back, int64_t *time_usec, double *value)
{
	const struct metric_ring *ring;
	const struct metric_sample *sample;
	size_t position;

	if (!valid_id(registry, id))
		return false;
	ring = &registry->rings[id];
	if (back >= ring->count)
		return false;
	position = (ring->head + registry->ring_capacity - 1 - back) %
		   registry->ring_capacity;
	if (back == 0) {
		const struct metric_series *series = &registry->series[id];

		if (time_usec != NULL)
			*time_usec = series->last_time_usec;
		if (value != NULL)
			*value = series->last_value;
		return true;
	}
	sample = &registry->samples[(size_t)id * registry->ring_capacity +
				    position];
	if (time_usec != NULL) {
		int64_t newest_msec = registry->series[id].last_time_usec / 1000;
		uint32_t age_msec = (uint32_t)(uint64_t)newest_msec -
				    sample->time_msec;

		*time_usec = (newest_msec - (int64_t)age_msec) * 1000;
	}
	if (value != NULL)
		*value = sample->value;
	return true;
}

size_t metrics_values_since(const struct metric_registry *registry, int id,
			    int64_t since_usec, size_t max, int64_t *time_usec,
			    double *value)
{
	const struct metric_ring *ring;
	const struct metric_sample *samples;
	size_t n = 0, position;
	int64_t newest_msec;

	if (!valid_id(registry, id) || max == 0)
		return 0;
	ring = &registry->rings[id];
	if (ring->count == 0 ||
	    registry->series[id].last_time_usec < since_usec)
		return 0;
	/* The newest at full precision, as metrics_value_back has it. */
	time_usec[n] = registry->series[id].last_time_usec;
	value[n++] = registry->series[id].last_value;
	newest_msec = registry->series[id].last_time_usec / 1000;
	samples = &registry->samples[(size_t)id * registry->ring_capacity];
	position = (ring->head + registry->ring_capacity - 1) %
		   registry->ring_capacity;
	while (n < max && n < ring->count) {
		const struct metric_sample *sample;
		uint32_t age_msec;
		int64_t t;

		position =
		    position == 0 ? registry->ring_capacity - 1 : position - 1;
		sample = &samples[position];
		age_msec = (uint32_t)(uint64_t)newest_msec - sample->time_msec;
		t = (newest_msec - (int64_t)age_msec) * 1000;
		if (t < since_usec)
			break;
		time_usec[n] = t;
		value[n++] = sample->value;
	}
	return n;
}

/*
 * fnmatch(pattern, text, 0) for a pattern of plain bytes and '*' (every
 * default pattern): without FNM_PATHNAME or FNM_PERIOD a '*' matches any
 * bytes, so the greedy walk that backs up to the last '*' is exact, at a
 * fraction of fnmatch's cost (the analyzer asks for each new series).
 */
static bool star_match(const char *pattern, const char *text)
{
	const char *star = NULL, *resume = NULL;

	while (*text) {
		if (*pattern == '*') {
			star = ++pattern;
			resume = text;
		} else if (*pattern == *text) {
			pattern++;
			text++;
		} else if (star != NULL) {
			pattern = star;
			text = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

static bool glob_match(const char *pattern, const char *text)
{
	if (strpbrk(pattern, "?[\\") == NULL)
		return star_match(pattern, text);
	return fnmatch(pattern, text, 0) == 0;
}

bool metrics_series_match(const char *pattern, const char *name,
			  const char *labels)
{
	char full[METRIC_FULL_MAX];

	if (strchr(pattern, '{') == NULL)
		return glob_match(pattern, name);
	snprintf(full, sizeof(full), "%s{%s}", name, labels ? labels : "");
	return glob_match(pattern, full);
}

bool metrics_prometheus_name(const char *name, char *buffer, size_t size)
{
	size_t n = string_copy(buffer, METRICS_PROMETHEUS_PREFIX, size);

	if (name[0] == '\0' || n >= size)
		return false;
	for (const char *p = name; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') ||
			  (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '_';

		if (n + 1 >= size)
			return false;
		/* "disk.used_percent" -> "disk_used_percent" */
		buffer[n++] = ok ? *p : '_';
	}
	buffer[n] = '\0';
	return true;
}

bool metrics_label_next(const char **cursor, struct metrics_label *label)
{
	const char *p = *cursor;

	while (*p) {
		const char *comma = strchr(p, ',');
		const char *end = comma ? comma : p + strlen(p);
		const char *equals = memchr(p, '=', (size_t)(end - p));

		*cursor = comma ? comma + 1 : end;
		if (equals != NULL && equals > p) {
			label->key = p;
			label->key_length = (size_t)(equals - p);
			label->value = equals + 1;
			label->value_length = (size_t)(end - equals - 1);
			return true;
		}
		p = *cursor;
	}
	return false;
}

size_t metrics_prometheus_label_name(const char *key, size_t length,
				     char *buffer, size_t size)
{
	size_t n = 0;

	if (length == 0 || size == 0)
		return 0;
	if (key[0] >= '0' && key[0] <= '9')
		buffer[n++] = '_';
	for (size_t i = 0; i < length; i++) {
		char c = key[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_';

		if (n + 1 >= size)
			return 0;
		buffer[n++] = ok ? c : '_';
	}
	buffer[n] = '\0';
	return n;
}

size_t metrics_prometheus_label_value(const char *value, size_t length,
				      char *buffer, size_t size)
{
	const unsigned char *p = (const unsigned char *)value;
	size_t n = 0;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < length;) {
		size_t step = utf8_sequence_length(p + i, length - i);

		if (step == 0) {
			if (n + 1 >= size)
				break;
			buffer[n++] = '?';
			i++;
			continue;
		}
		if (n + step >= size)
			break;
		memcpy(buffer + n, p + i, step);
		n += step;
		i += step;
	}
	buffer[n] = '\0';
	return n;
}
