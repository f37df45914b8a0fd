/*
 * blobstore.h - where a producer keeps opaque per-series state across
 * restarts, without knowing who stores it. The analyzer owns its blob format
 * and saves through this; the history module (SQLite) provides it. Neither
 * includes the other: both include only this header.
 *
 * One blob per series (name + labels; registry ids change across restarts).
 * The provider sets its store at start and withdraws it at free, so it is
 * there for every producer's start, tick and stop (consumers start first and
 * stop last, see daemon.h). A store may batch saves until its own tick or
 * stop, which run after every producer's: save from tick or stop only.
 */
#ifndef SYSOPS_BLOBSTORE_H
#define SYSOPS_BLOBSTORE_H

#include <stddef.h>
#include <stdint.h>

struct blobstore {
	/*
	 * Keeps blob for the series, replacing an older one. 0, or -errno;
	 * -ENOTCONN: the store is away for now and has said so itself (the
	 * caller need not log it).
	 */
	int (*save)(void *context, const char *name, const char *labels,
		    const void *blob, size_t length);
	/*
	 * Copies the series' saved blob into out: its length, -ENOENT when
	 * there is none, -EMSGSIZE when it is larger than size, -ENOTCONN.
	 */
	int (*load)(void *context, const char *name, const char *labels,
		    void *out, size_t size);
	void *context;
	/*
	 * How often a client should save while running, in seconds: the
	 * store's write budget against how warm a restart is (0: only at
	 * stop). Clients always save once more at their stop.
	 */
	int64_t save_interval_secs;
	/*
	 * Bumped by the provider whenever blobs it had taken (save answered
	 * 0) may not be kept after all: a commit that failed, records
	 * dropped, a new database. A client that saves only what changed
	 * since its last round saves everything again when it moves.
	 */
	uint64_t losses;
};

/*
 * Installs store (kept by pointer: it stays valid, and the provider may
 * change its fields, until withdrawn) or, with NULL, withdraws it.
 */
void blobstore_set(const struct blobstore *store);
/* The store, or NULL: no provider (history off, built without SQLite). */
const struct blobstore *blobstore_get(void);

#endif
