/*
 * spool.h - the on-disk queue of messages not yet delivered, one entry per
 * (channel, message). Append-only and fsync'd: an entry is added before any
 * attempt and marked done after the channel accepted it, so a crash can only
 * cause a repeat of the last message in flight, never a loss. Entries are
 * attempted only once the alerter's saved state covers them (its
 * "spool_through" id): at start, entries past that id are forgotten, since
 * the journal replay makes them again (else each would go out twice). When the disk
 * refuses a write (full, I/O error) the entry is kept in memory, delivered
 * from there, and written out as soon as spool_retry() succeeds.
 */
#ifndef SYSOPS_ALERTER_SPOOL_H
#define SYSOPS_ALERTER_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alerter/message.h"

#define SPOOL_FILE "alert-spool"
#define SPOOL_ENTRIES_MAX 4096

struct spool_entry {
	uint64_t id;
	enum channel_id channel;
	enum alert_severity severity;
	uint64_t offset;         /* of the JSON text in the file */
	uint32_t length;
	uint32_t attempts;
	uint64_t next_attempt_usec; /* CLOCK_MONOTONIC; 0: now */
	char *memory;            /* the JSON while not on disk, else NULL */
};

struct spool_stats {
	uint64_t pending;
	uint64_t appended;
	uint64_t completed;
	uint64_t dropped;        /* pushed out by spool_max_bytes */
	uint64_t corrupt;        /* unreadable lines skipped at load */
	uint64_t orphaned;       /* for a channel no longer configured */
	uint64_t file_bytes;
	uint64_t in_memory;      /* pending entries not on disk */
	uint64_t write_errors;   /* failed appends, completions, compactions */
};

struct spool;

/* Opens (and replays) the spool in the state directory. */
int spool_open(int state_dir_fd, uint64_t max_bytes, struct spool **out);
void spool_close(struct spool *spool);
void spool_set_max_bytes(struct spool *spool, uint64_t max_bytes);

/* Assigns message->id and appends it durably; -errno on failure. */
int spool_append(struct spool *spool, struct alert_message *message);
/* The id the last appended entry got (0: none since the file began). */
uint64_t spool_last_id(const struct spool *spool);
/*
 * Forgets, durably, the entries appended after id `through` (the last one a
 * saved state covers); later ids never reuse theirs. Returns how many.
 */
size_t spool_forget_after(struct spool *spool, uint64_t through);
/* Marks an entry delivered (or given up), durably. */
int spool_complete(struct spool *spool, uint64_t id);

/* Writes entries held in memory to disk, if any; 0 when none is left. */
int spool_retry(struct spool *spool);

/* The oldest pending entry of a channel, or NULL. */
struct spool_entry *spool_next(struct spool *spool, enum channel_id channel);
int spool_load(struct spool *spool, const struct spool_entry *entry,
	       struct alert_message *message);

const struct spool_stats *spool_stats(const struct spool *spool);

#endif
