/*
 * history_queue.c - the two in-memory buffers between the daemon and the
 * history database: alerts recorded between ticks (a fixed ring, so the
 * alerter never waits on SQLite) and the analyzer snapshots loaded at start,
 * looked up by series name + labels as the analyzer meets each series.
 */
#include "history/history_internal.h"

#if WITH_SQLITE

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "analyzer/analyzer.h"
#include "core/log.h"
#include "core/util.h"

static struct queued_alert queue[HISTORY_ALERT_QUEUE];
static size_t queue_head, queue_count;
static uint64_t queue_dropped;
static bool queue_enabled;

void history_queue_enable(bool enabled)
{
	queue_enabled = enabled;
}

size_t history_queue_pending(void)
{
	return queue_count;
}

const struct queued_alert *history_queue_peek(void)
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
	struct queued_alert *q;

	if (!queue_enabled)
		return -ENOTCONN;
	if (queue_count == HISTORY_ALERT_QUEUE) {
		if (queue_dropped++ == 0)
			log_warning("history: alert queue full (%d waiting for "
				    "the database); further alerts are not "
				    "recorded in history.db",
				    HISTORY_ALERT_QUEUE);
		return -ENOBUFS;
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

/* ---- snapshots ---- */

struct snapshot {
	char *key;   /* "name\x1flabels" */
	void *blob;
	size_t length;
};

static struct snapshot *snapshots;
static size_t snapshot_count, snapshot_allocated, snapshots_restored;

void history_snapshots_reset(void)
{
	analyzer_set_state_loader(NULL);
	for (size_t i = 0; i < snapshot_count; i++) {
		free(snapshots[i].key);
		free(snapshots[i].blob);
	}
	free(snapshots);
	snapshots = NULL;
	snapshot_count = snapshot_allocated = 0;
}

static char *snapshot_key(const char *name, const char *labels)
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

int history_snapshot_add(const char *name, const char *labels,
			 const void *blob, size_t length)
{
	struct snapshot *s;

	if (length == 0 || length > ANALYZER_STATE_MAX)
		return -EINVAL;
	if (snapshot_count == snapshot_allocated) {
		size_t n = snapshot_allocated ? snapshot_allocated * 2 : 256;

		s = realloc(snapshots, n * sizeof(*s));
		if (s == NULL)
			return -ENOMEM;
		snapshots = s;
		snapshot_allocated = n;
	}
	s = &snapshots[snapshot_count];
	s->key = snapshot_key(name, labels);
	s->blob = malloc(length);
	if (s->key == NULL || s->blob == NULL) {
		free(s->key);
		free(s->blob);
		return -ENOMEM;
	}
	memcpy(s->blob, blob, length);
	s->length = length;
	snapshot_count++;
	return 0;
}

static int compare_snapshots(const void *a, const void *b)
{
	return strcmp(((const struct snapshot *)a)->key,
		      ((const struct snapshot *)b)->key);
}

static bool load_state(const char *name, const char *labels, const void **blob,
		       size_t *length)
{
	char *key = snapshot_key(name, labels);
	struct snapshot wanted = { .key = key }, *found;

	if (key == NULL)
		return false;
	found = bsearch(&wanted, snapshots, snapshot_count, sizeof(*snapshots),
			compare_snapshots);
	free(key);
	if (found == NULL)
		return false;
	*blob = found->blob;
	*length = found->length;
	snapshots_restored++;
	return true;
}

void history_snapshots_ready(void)
{
	if (snapshot_count > 1)
		qsort(snapshots, snapshot_count, sizeof(*snapshots),
		      compare_snapshots);
	snapshots_restored = 0;
	analyzer_set_state_loader(snapshot_count ? load_state : NULL);
}

size_t history_snapshots_restored(void)
{
	return snapshots_restored;
}

void history_forget_snapshots(void)
{
	history_snapshots_reset();
}

#endif /* WITH_SQLITE */
