/*
 * storage_config.c - the [storage] section: how many series the registry
 * admits. Ring depth comes from [agent] history_secs / collect_interval_secs.
 */
#include <stddef.h>

#include "core/config.h"
#include "core/util.h"
#include "storage/metrics.h"

static const struct config_key storage_keys[] = {
	{ .name = "max_series", .type = CONFIG_INTEGER,
	  .offset = offsetof(struct storage_config, max_series),
	  .default_text = "2000", .minimum = 16, .maximum = 100000,
	  .description = "Most series (metric name + labels) kept at once; "
			 "new ones beyond it are refused with one warning. "
			 "Memory is reserved for all of them at start-up." },
};

const struct config_section storage_section = {
	.name = "storage",
	.description = "The in-memory metric history.",
	.keys = storage_keys,
	.key_count = ARRAY_SIZE(storage_keys),
	.offset = offsetof(struct config, storage),
};
