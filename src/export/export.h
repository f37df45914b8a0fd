/*
 * export.h - the export module: every collected series pushed to
 * Prometheus-compatible storage with remote write 1.0 (protobuf WriteRequest,
 * snappy block compression), one batch per tick, through a bounded queue in
 * the state directory that bridges receiver outages.
 *
 * A consumer (core/daemon.h): it ticks after the producers, so each tick's
 * batch holds that tick's samples, and it reads the registry until its free.
 * It raises no alerts; its health goes to core/health.h. Depends on storage
 * and core only.
 */
#ifndef SYSOPS_EXPORT_H
#define SYSOPS_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h" /* brings export_config.h */

struct daemon_module;
extern const struct daemon_module export_module;

#define EXPORT_QUEUE_NAME "remote-write-queue"

/* ---- WriteRequest encoding (remote write 1.0) ---- */

/* A label of the host's set (instance, external_labels), name sorted. */
struct export_label {
	char name[64];
	char value[256];
};

/* instance, agent_id, 16 [agent] labels and external labels */
#define EXPORT_HOST_LABELS_MAX 48

struct export_batch {
	uint8_t *data; /* the WriteRequest, growing */
	size_t length, capacity;
	size_t series;
};

/* Empties the batch (keeps its buffer). */
void export_batch_reset(struct export_batch *batch);
void export_batch_free(struct export_batch *batch);

/*
 * Appends one TimeSeries with one sample: __name__ = the textfile's name
 * (sysops_ + name, '.' as '_'), the series' own labels (names sanitised,
 * values made valid UTF-8), then each host label the series lacks, all
 * sorted by name as the protocol requires. -EINVAL for a name that cannot be
 * a Prometheus name, -ENOMEM.
 */
int export_batch_add(struct export_batch *batch, const char *name,
		     const char *labels, const struct export_label *host,
		     size_t host_count, int64_t time_msec, double value);

/*
 * Builds the host's label set: instance = hostname, agent_id (when not
 * empty), the [agent] labels (their text form, core/identity.h), then
 * "name=value" external labels (a later one of the same name replaces an
 * earlier one), sorted by name. Returns how many (at most
 * EXPORT_HOST_LABELS_MAX).
 */
size_t export_host_labels(const char *hostname, const char *agent_id,
			  const char *agent_labels,
			  const struct config_string_list *external,
			  struct export_label *out);

/* ---- snappy (block format, no framing: what remote write sends) ---- */

/* Worst case of export_snappy_compress for length input bytes. */
size_t export_snappy_bound(size_t length);

/*
 * Compresses input into out (export_snappy_bound(length) bytes); returns
 * the compressed length. Greedy 4-byte hash matching within 64 KiB blocks,
 * literals and copies as the format defines them.
 */
size_t export_snappy_compress(const uint8_t *input, size_t length,
			      uint8_t *out);

/* ---- the queue in the state directory ---- */

struct export_queue;

struct export_queue_stats {
	size_t batches;	     /* waiting, the one in flight included */
	uint64_t bytes;	     /* their bytes on disk */
	int64_t oldest_msec; /* tick time of the oldest, 0 when empty */
	uint64_t dropped;    /* oldest batches dropped for room, ever */
};

/*
 * Opens (creating) name in dirfd holding at most max_bytes of batches. A
 * torn or corrupt tail (a crash mid-write) is cut off, and said once.
 */
int export_queue_open(int dirfd, const char *name, uint64_t max_bytes,
		      struct export_queue **out);
/* Makes what is queued durable and closes it. */
void export_queue_close(struct export_queue *queue);
void export_queue_set_max(struct export_queue *queue, uint64_t max_bytes);

/*
 * Appends one batch (a compressed WriteRequest) of the tick at time_msec.
 * When it would not fit, the oldest batches are dropped first (*dropped
 * says how many). -EFBIG when the batch alone is larger than the queue.
 */
int export_queue_push(struct export_queue *queue, const void *data,
		      size_t length, int64_t time_msec, size_t *dropped);

/*
 * The oldest batch, read into the queue's buffer (valid until the next
 * call); *position identifies it for export_queue_done. -ENOENT: empty.
 */
int export_queue_peek(struct export_queue *queue, const void **data,
		      size_t *length, uint64_t *position);

/*
 * The batch at position was delivered (or refused for good): it leaves the
 * queue, unless it was dropped for room meanwhile. An empty queue is cut
 * back to its header.
 */
int export_queue_done(struct export_queue *queue, uint64_t position);

void export_queue_stats(const struct export_queue *queue,
			struct export_queue_stats *out);

#endif
