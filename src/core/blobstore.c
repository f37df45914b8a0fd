/*
 * blobstore.c - the one slot through which a provider (the history) offers
 * its blob store to producers (the analyzer). See blobstore.h.
 */
#include "core/blobstore.h"

static const struct blobstore *current;

void blobstore_set(const struct blobstore *store)
{
	current = store;
}

const struct blobstore *blobstore_get(void)
{
	return current;
}
