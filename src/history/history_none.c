/*
 * history_none.c - the history API in a build without SQLite (WITH_SQLITE=0):
 * every call says so and the daemon runs in memory, so callers (the module,
 * the commands, the tests) compile and behave the same way in both builds.
 */
#include "history/history_internal.h"

#if !WITH_SQLITE

#include <errno.h>
#include <stddef.h>

#define WITHOUT_SQLITE "built without SQLite"

bool history_available(void)
{
	return false;
}

const char *history_last_error(void)
{
	return WITHOUT_SQLITE;
}

void history_queue_enable(bool enabled)
{
	(void)enabled;
}

size_t history_queue_pending(void)
{
	return 0;
}

size_t history_blobs_restored(void)
{
	return 0;
}

struct history *history_open(int state_dir_fd,
			     const struct history_config *config)
{
	(void)state_dir_fd, (void)config;
	return NULL;
}

struct history *history_open_readonly(int state_dir_fd)
{
	(void)state_dir_fd;
	return NULL;
}

void history_close(struct history *history)
{
	(void)history;
}

int history_detach(struct history *history)
{
	(void)history;
	return -ENOTSUP;
}

uint64_t history_blobs_lost(const struct history *history)
{
	(void)history;
	return 0;
}

bool history_detached(const struct history *history)
{
	(void)history;
	return false;
}

int history_import(struct history *history, int64_t now_usec)
{
	(void)history, (void)now_usec;
	return -ENOTSUP;
}

void history_set_config(struct history *history,
			const struct history_config *config)
{
	(void)history, (void)config;
}

int history_tick(struct history *history,
		 const struct metric_registry *registry, int64_t now_usec)
{
	(void)history, (void)registry, (void)now_usec;
	return -ENOTSUP;
}

int history_flush(struct history *history,
		  const struct metric_registry *registry, int64_t now_usec)
{
	(void)history, (void)registry, (void)now_usec;
	return -ENOTSUP;
}

int history_blob_save(void *history, const char *name, const char *labels,
		      const void *blob, size_t length)
{
	(void)history, (void)name, (void)labels, (void)blob, (void)length;
	return -ENOTSUP;
}

int history_blob_load(void *history, const char *name, const char *labels,
		      void *out, size_t size)
{
	(void)history, (void)name, (void)labels, (void)out, (void)size;
	return -ENOTSUP;
}

int history_commit_blobs(struct history *history)
{
	(void)history;
	return -ENOTSUP;
}

int history_load_blobs(struct history *history)
{
	(void)history;
	return -ENOTSUP;
}

void history_forget_blobs(void)
{
}

int history_record_alert(const struct alert_event *event, const char *outcome)
{
	(void)event, (void)outcome;
	return -ENOTSUP;
}

int history_flush_alerts(struct history *history)
{
	(void)history;
	return -ENOTSUP;
}

int history_stats(struct history *history, struct history_stats *out)
{
	(void)history;
	*out = (struct history_stats){ 0 };
	return -ENOTSUP;
}

int history_query(struct history *history, const char *glob,
		  int64_t since_secs, history_series_fn fn, void *context)
{
	(void)history, (void)glob, (void)since_secs, (void)fn, (void)context;
	return -ENOTSUP;
}

int history_query_alerts(struct history *history, int64_t since_secs,
			 history_alert_fn fn, void *context)
{
	(void)history, (void)since_secs, (void)fn, (void)context;
	return -ENOTSUP;
}

int history_query_latest(struct history *history, history_series_fn fn,
			 void *context)
{
	(void)history, (void)fn, (void)context;
	return -ENOTSUP;
}

#endif /* !WITH_SQLITE */
