/*
 * fuzz_config.c - libFuzzer target: arbitrary bytes through the TOML parser
 * and the schema walk, as a config file the operator got wrong would go.
 */
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *config = NULL;

	log_open(LOG_TARGET_PLAIN);
	log_set_level(LOG_ERR);
	if (config_load_text("fuzz.toml", (const char *)data, size, &config) == 0)
		config_free(config);
	return 0;
}
