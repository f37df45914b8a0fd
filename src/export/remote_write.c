/*
 * remote_write.c - the bytes of Prometheus remote write 1.0: a protobuf
 * WriteRequest written field by field into one growing buffer (no message
 * tree, no generated code), and its snappy block compression. Why these are
 * in-tree rather than libprotobuf-c and libsnappy is measured in DESIGN.md
 * ("Remote write").
 *
 *   WriteRequest { repeated TimeSeries timeseries = 1; }
 *   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
 *   Label        { string name = 1; string value = 2; }
 *   Sample       { double value = 1; int64 timestamp = 2; }  (milliseconds)
 */
#include "export/export.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/identity.h"
#include "core/util.h"
#include "storage/metrics.h"

/* Wire types: 0 varint, 1 fixed64, 2 length-delimited. */
#define TAG(field, wire) ((uint8_t)((field) << 3 | (wire)))

#define LABELS_MAX (32 + EXPORT_HOST_LABELS_MAX + 1)

struct pair {
	const char *name, *value;
	size_t name_length, value_length;
};

static size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* A length-delimited field: tag, length, bytes. */
static size_t field_size(size_t length)
{
	return 1 + varint_size(length) + length;
}

static uint8_t *put_bytes(uint8_t *p, uint8_t tag, const void *data,
			  size_t length)
{
	*p++ = tag;
	p = put_varint(p, length);
	memcpy(p, data, length);
	return p + length;
}

static int reserve(struct export_batch *batch, size_t more)
{
	size_t capacity = batch->capacity ? batch->capacity : 4096;
	uint8_t *grown;

	if (batch->length + more <= batch->capacity)
		return 0;
	while (capacity < batch->length + more)
		capacity *= 2;
	grown = realloc(batch->data, capacity);
	if (grown == NULL)
		return -ENOMEM;
	batch->data = grown;
	batch->capacity = capacity;
	return 0;
}

void export_batch_reset(struct export_batch *batch)
{
	batch->length = 0;
	batch->series = 0;
}

void export_batch_free(struct export_batch *batch)
{
	free(batch->data);
	*batch = (struct export_batch){0};
}

static int compare_pairs(const struct pair *a, const struct pair *b)
{
	size_t n =
	    a->name_length < b->name_length ? a->name_length : b->name_length;
	int c = memcmp(a->name, b->name, n);

	if (c != 0)
		return c;
	return a->name_length < b->name_length	 ? -1
	       : a->name_length > b->name_length ? 1
						 : 0;
}

static bool has_label(const struct pair *pairs, size_t count, const char *name)
{
	size_t length = strlen(name);

	for (size_t i = 0; i < count; i++)
		if (pairs[i].name_length == length &&
		    memcmp(pairs[i].name, name, length) == 0)
			return true;
	return false;
}

/* Insertion sort (a few dozen labels), then the first of equal names kept. */
static size_t sort_pairs(struct pair *pairs, size_t count)
{
	size_t kept = 0;

	for (size_t i = 1; i < count; i++) {
		struct pair p = pairs[i];
		size_t j = i;

		while (j > 0 && compare_pairs(&pairs[j - 1], &p) > 0) {
			pairs[j] = pairs[j - 1];
			j--;
		}
		pairs[j] = p;
	}
	for (size_t i = 0; i < count; i++)
		if (kept == 0 ||
		    compare_pairs(&pairs[kept - 1], &pairs[i]) != 0)
			pairs[kept++] = pairs[i];
	return kept;
}

int export_batch_add(struct export_batch *batch, const char *name,
		     const char *labels, const struct export_label *host,
		     size_t host_count, int64_t time_msec, double value)
{
	char metric[METRIC_NAME_MAX + sizeof(METRICS_PROMETHEUS_PREFIX)];
	char names[32][METRIC_LABELS_MAX], values[32][METRIC_LABELS_MAX];
	struct pair pairs[LABELS_MAX];
	struct metrics_label label;
	const char *cursor = labels ? labels : "";
	size_t count = 0, own, labels_size = 0, sample_size, series_size;
	uint64_t bits;
	uint8_t *p;

	if (!metrics_prometheus_name(name, metric, sizeof(metric)))
		return -EINVAL;
	pairs[count++] = (struct pair){"__name__", metric, 8, strlen(metric)};
	while (count <= 32 && metrics_label_next(&cursor, &label)) {
		char *n = names[count - 1], *v = values[count - 1];
		size_t nl = metrics_prometheus_label_name(
		    label.key, label.key_length, n, sizeof(names[0]));

		if (nl == 0)
			continue;
		pairs[count++] = (struct pair){
		    n,
		    v,
		    nl,
		    metrics_prometheus_label_value(
			label.value, label.value_length, v, sizeof(values[0])),
		};
	}
	/* The series' own label of a host label's name wins. */
	own = count;
	for (size_t i = 0; i < host_count && count < LABELS_MAX; i++)
		if (!has_label(pairs, own, host[i].name))
			pairs[count++] = (struct pair){
			    host[i].name, host[i].value, strlen(host[i].name),
			    strlen(host[i].value)};
	count = sort_pairs(pairs, count);

	for (size_t i = 0; i < count; i++)
		labels_size += field_size(field_size(pairs[i].name_length) +
					  field_size(pairs[i].value_length));
	sample_size = 9 + 1 + varint_size((uint64_t)time_msec);
	series_size = labels_size + field_size(sample_size);
	if (reserve(batch, field_size(series_size)) < 0)
		return -ENOMEM;

	p = batch->data + batch->length;
	*p++ = TAG(1, 2); /* WriteRequest.timeseries */
	p = put_varint(p, series_size);
	for (size_t i = 0; i < count; i++) {
		*p++ = TAG(1, 2); /* TimeSeries.labels */
		p = put_varint(p, field_size(pairs[i].name_length) +
				      field_size(pairs[i].value_length));
		p = put_bytes(p, TAG(1, 2), pairs[i].name,
			      pairs[i].name_length);
		p = put_bytes(p, TAG(2, 2), pairs[i].value,
			      pairs[i].value_length);
	}
	*p++ = TAG(2, 2); /* TimeSeries.samples */
	p = put_varint(p, sample_size);
	*p++ = TAG(1, 1); /* Sample.value, little-endian IEEE 754 */
	memcpy(&bits, &value, sizeof(bits));
	for (int i = 0; i < 8; i++)
		*p++ = (uint8_t)(bits >> (8 * i));
	*p++ = TAG(2, 0); /* Sample.timestamp */
	p = put_varint(p, (uint64_t)time_msec);
	batch->length = (size_t)(p - batch->data);
	batch->series++;
	return 0;
}

static int compare_host_labels(const void *a, const void *b)
{
	return strcmp(((const struct export_label *)a)->name,
		      ((const struct export_label *)b)->name);
}

/* Adds name=value, or replaces the value of a label of that name. */
static size_t add_host_label(struct export_label *out, size_t count,
			     const char *name, size_t name_length,
			     const char *value)
{
	struct export_label l;
	size_t at = count;

	if (metrics_prometheus_label_name(name, name_length, l.name,
					  sizeof(l.name)) == 0)
		return count;
	metrics_prometheus_label_value(value, strlen(value), l.value,
				       sizeof(l.value));
	for (size_t j = 0; j < count; j++)
		if (strcmp(out[j].name, l.name) == 0)
			at = j;
	if (at == count && count == EXPORT_HOST_LABELS_MAX)
		return count;
	out[at] = l;
	return at == count ? count + 1 : count;
}

size_t export_host_labels(const char *hostname, const char *agent_id,
			  const char *agent_labels,
			  const struct config_string_list *external,
			  struct export_label *out)
{
	char name[IDENTITY_LABEL_NAME_MAX + 1],
	    value[IDENTITY_LABEL_VALUE_MAX + 1];
	const char *cursor = agent_labels ? agent_labels : "";
	size_t count = 0;

	count = add_host_label(out, count, "instance", 8, hostname);
	if (agent_id != NULL && agent_id[0] != '\0')
		count = add_host_label(out, count, "agent_id", 8, agent_id);
	while (identity_labels_next(&cursor, name, sizeof(name), value,
				    sizeof(value)))
		count = add_host_label(out, count, name, strlen(name), value);
	for (size_t i = 0; external != NULL && i < external->count; i++) {
		const char *item = external->items[i];
		const char *equals = strchr(item, '=');

		if (equals != NULL)
			count =
			    add_host_label(out, count, item,
					   (size_t)(equals - item), equals + 1);
	}
	qsort(out, count, sizeof(*out), compare_host_labels);
	return count;
}

/* ---- snappy ---- */

#define BLOCK_SIZE (64 * 1024)
#define HASH_BITS  13

size_t export_snappy_bound(size_t length)
{
	return 32 + length + length / 6;
}

static uint32_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint8_t *emit_literal(uint8_t *op, const uint8_t *literal, size_t length)
{
	size_t n = length - 1;

	if (n < 60) {
		*op++ = (uint8_t)(n << 2);
	} else {
		/* Tag 60..63: the length follows in 1..4 little-endian bytes.
		 */
		int bytes = n < 0x100	    ? 1
			    : n < 0x10000   ? 2
			    : n < 0x1000000 ? 3
					    : 4;

		*op++ = (uint8_t)((59 + bytes) << 2);
		for (int i = 0; i < bytes; i++)
			*op++ = (uint8_t)(n >> (8 * i));
	}
	memcpy(op, literal, length);
	return op + length;
}

/* A copy with a 2-byte offset: length 1..64. */
static uint8_t *emit_copy2(uint8_t *op, size_t offset, size_t length)
{
	*op++ = (uint8_t)(2 | (length - 1) << 2);
	*op++ = (uint8_t)offset;
	*op++ = (uint8_t)(offset >> 8);
	return op;
}

/* length >= 4; offset < 64 KiB (matches stay inside one block). */
static uint8_t *emit_copy(uint8_t *op, size_t offset, size_t length)
{
	/* Pieces of 64, leaving at least 4 for the last one. */
	while (length >= 68) {
		op = emit_copy2(op, offset, 64);
		length -= 64;
	}
	if (length > 64) {
		op = emit_copy2(op, offset, 60);
		length -= 60;
	}
	if (length < 12 && offset < 2048) {
		/* 1-byte offset form: length 4..11, offset 0..2047. */
		*op++ = (uint8_t)(1 | (length - 4) << 2 | (offset >> 8) << 5);
		*op++ = (uint8_t)offset;
		return op;
	}
	return emit_copy2(op, offset, length);
}

static uint8_t *compress_block(const uint8_t *base, size_t length, uint8_t *op,
			       uint16_t *table)
{
	size_t ip = 0, literal = 0, misses = 0;

	memset(table, 0, sizeof(uint16_t) << HASH_BITS);
	while (length >= 4 && ip <= length - 4) {
		uint32_t bytes = load32(base + ip);
		uint32_t hash = (bytes * 0x1e35a7bdU) >> (32 - HASH_BITS);
		size_t candidate = table[hash], match = 4;

		table[hash] = (uint16_t)ip;
		if (candidate >= ip || load32(base + candidate) != bytes) {
			/* Incompressible stretches are skipped faster. */
			ip += 1 + (misses++ >> 5);
			continue;
		}
		misses = 0;
		while (ip + match < length &&
		       base[candidate + match] == base[ip + match])
			match++;
		if (ip > literal)
			op = emit_literal(op, base + literal, ip - literal);
		op = emit_copy(op, ip - candidate, match);
		ip += match;
		literal = ip;
	}
	if (length > literal)
		op = emit_literal(op, base + literal, length - literal);
	return op;
}

size_t export_snappy_compress(const uint8_t *input, size_t length, uint8_t *out)
{
	static uint16_t table[1 << HASH_BITS];
	uint8_t *op = put_varint(out, length);

	for (size_t at = 0; at < length; at += BLOCK_SIZE) {
		size_t block =
		    length - at < BLOCK_SIZE ? length - at : BLOCK_SIZE;

		op = compress_block(input + at, block, op, table);
	}
	return (size_t)(op - out);
}
