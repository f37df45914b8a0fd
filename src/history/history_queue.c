/*
 * history_queue.c - the two in-memory buffers between the daemon and the
 * history database: alerts recorded between ticks (a fixed ring, so the
 * alerter never waits on SQLite) and the blobs loaded at start, looked up by
 * series name + labels as a producer (the analyzer) meets each series.
 */
#include "history/history_internal.h"

#if WITH_SQLITE

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "core/log.h"
#include "core/util.h"

static struct history_queued_alert queue[HISTORY_ALERT_QUEUE];
static size_t queue_head, queue_count;
static uint64_t queue_dropped;
static uint64_t episode_dropped; /* since the queue was last full */
static bool queue_enabled;

void history_queue_enable(bool enabled)
{
	queue_enabled = enabled;
}

size_t history_queue_pending(void)
{
	return queue_count;
}

const struct history_queued_alert *history_queue_peek(void)
{
	return queue_count ? &queue[queue_head] : NULL;
}

void history_queue_pop(void)
{
	if (queue_count == 0)
		return;
	queue_head = (queue_head + 1) % HISTORY_ALERT_QUEUE;
	queue_count--;
}

void history_queue_rewind(size_t pending_before)
{
	/* Popped entries are still in place: step the head back over them. */
	while (queue_count < pending_before) {
		queue_head = (queue_head + HISTORY_ALERT_QUEUE - 1) %
			     HISTORY_ALERT_QUEUE;
		queue_count++;
	}
}

uint64_t history_queue_dropped(void)
{
	return queue_dropped;
}

int history_record_alert(const struct alert_event *event, const char *outcome)
{
	struct history_queued_alert *q;

	if (!queue_enabled)
		return -ENOTCONN;
	/* Counted (alerts_dropped in the stats) and said once per episode,
	 * with the episode's count once there is room again. Only
	 * history.db's record is missing: the alerter sent them all. */
	if (queue_count == HISTORY_ALERT_QUEUE) {
		queue_dropped++;
		if (episode_dropped++ == 0)
			log_warning("history: alert queue full (%d waiting for "
				    "the database); alerts are not recorded "
				    "in history.db until it has room",
				    HISTORY_ALERT_QUEUE);
		return -ENOBUFS;
	}
	if (episode_dropped > 0) {
		log_notice("history: alert queue has room again; %llu "
			   "alert(s) were not recorded in history.db (%llu "
			   "since start)",
			   (unsigned long long)episode_dropped,
			   (unsigned long long)queue_dropped);
		episode_dropped = 0;
	}
	q = &queue[(queue_head + queue_count) % HISTORY_ALERT_QUEUE];
	memset(q, 0, sizeof(*q));
	q->time_usec = (int64_t)event->time_usec;
	string_copy(q->rule, event->rule ? event->rule : "", sizeof(q->rule));
	string_copy(q->series, event->series ? event->series : "",
		    sizeof(q->series));
	string_copy(q->labels, event->labels ? event->labels : "",
		    sizeof(q->labels));
	string_copy(q->severity, event_severity_name(event->severity),
		    sizeof(q->severity));
	string_copy(q->summary, event->summary ? event->summary : "",
		    sizeof(q->summary));
	string_copy(q->outcome, outcome ? outcome : "", sizeof(q->outcome));
	q->firing = event->firing;
	q->value = event->value;
	q->baseline = event->baseline;
	q->threshold = event->threshold;
	q->score = event->score;
	queue_count++;
	return 0;
}

/* ---- blobs read at start ---- */

struct blob {
	char *key;   /* "name\x1flabels" */
	void *data;
	size_t length;
};

static struct blob *blobs;
static size_t blob_count, blob_allocated, blobs_restored;

void history_forget_blobs(void)
{
	for (size_t i = 0; i < blob_count; i++) {
		free(blobs[i].key);
		free(blobs[i].data);
	}
	free(blobs);
	blobs = NULL;
	blob_count = blob_allocated = 0;
}

static char *blob_key(const char *name, const char *labels)
{
	size_t n = strlen(name), m = strlen(labels);
	char *key = malloc(n + m + 2);

	if (key == NULL)
		return NULL;
	memcpy(key, name, n);
	key[n] = '\x1f';
	memcpy(key + n + 1, labels, m + 1);
	return key;
}

int history_blob_add(const char *name, const char *labels, const void *data,
		     size_t length)
{
	struct blob *b;

	if (length == 0 || length > HISTORY_BLOB_MAX)
		return -EINVAL;
	if (blob_count == blob_allocated) {
		size_t n = blob_allocated ? blob_allocated * 2 : 256;

		b = realloc(blobs, n * sizeof(*b));
		if (b == NULL)
			return -ENOMEM;
		blobs = b;
		blob_allocated = n;
	}
	b = &blobs[blob_count];
	b->key = blob_key(name, labels);
	b->data = malloc(length);
	if (b->key == NULL || b->data == NULL) {
		free(b->key);
		free(b->data);
		return -ENOMEM;
	}
	memcpy(b->data, data, length);
	b->length = length;
	blob_count++;
	return 0;
}

static int compare_blobs(const void *a, const void *b)
{
	return strcmp(((const struct blob *)a)->key,
		      ((const struct blob *)b)->key);
}

int history_blob_find(const char *name, const char *labels, void *out,
		      size_t size)
{
	char *key;
	struct blob wanted, *found;

	if (blob_count == 0)
		return -ENOENT;
	key = blob_key(name, labels);
	if (key == NULL)
		return -ENOMEM;
	wanted = (struct blob){ .key = key };
	found = bsearch(&wanted, blobs, blob_count, sizeof(*blobs),
			compare_blobs);
	free(key);
	if (found == NULL)
		return -ENOENT;
	if (found->length > size)
		return -EMSGSIZE;
	memcpy(out, found->data, found->length);
	blobs_restored++;
	return (int)found->length;
}

void history_blobs_ready(void)
{
	if (blob_count > 1)
		qsort(blobs, blob_count, sizeof(*blobs), compare_blobs);
	blobs_restored = 0;
}

size_t history_blobs_restored(void)
{
	return blobs_restored;
}

#endif /* WITH_SQLITE */
