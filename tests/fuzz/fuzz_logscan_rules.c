/*
 * fuzz_logscan_rules.c - libFuzzer target for the rule engine: every line
 * of the input runs through the whole built-in pack (prefilter, PCRE2,
 * aggregation with a tiny group table so eviction happens, templates and
 * masking) with times taken from the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "logscan/mask.h"
#include "logscan/rules.h"

static struct rule_engine *engine;
static struct masker *masker;

static void on_event(const struct rule_event *event, void *data)
{
	(void)data;
	if (strlen(event->message) >= 1024 || strlen(event->line) > 512)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	char error[256];
	int64_t t = 1000;

	if (engine == NULL) {
		if (masker_new(NULL, &masker, error, sizeof(error)) < 0 ||
		    rule_engine_new(rule_pack, rule_pack_count, 8, 512, masker,
				    &engine, error, sizeof(error)) < 0)
			abort();
	}
	while (p < end) {
		const char *newline = memchr(p, '\n', (size_t)(end - p));
		size_t length = newline ? (size_t)(newline - p) :
					  (size_t)(end - p);
		struct log_record record = {
			.source = (enum logscan_source)(1u << (t % 3)),
			.origin = "fuzz",
			.text = p,
			.length = length > 512 ? 512 : length,
			.time_sec = t,
		};

		if (length > 0)
			t += (unsigned char)p[0] % 7;
		rule_engine_scan(engine, &record, on_event, NULL);
		p += length + 1;
	}
	return 0;
}
