/*
 * fuzz_replay_csv.c - libFuzzer target for the replay CSV reader: every line
 * of the input goes through replay_parse_line(), and the whole input through
 * analyzer_replay(), so the line splitter, the timestamp and number parsers
 * and the detectors all see hostile bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "core/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct anomaly_params params = {
		.warmup_samples = 3, .baseline_samples = 20,
		.relative_floor = 0.01, .z_alert = 4, .cusum_drift = 2,
		.cusum_limit = 20, .novelty_alert = 1, .novelty_range = 0.17,
		.envelope_samples = 100, .smooth_samples = 4,
		.raise_score = 0.5, .clear_score = 0.3, .clear_samples = 2,
		.holdoff_secs = 60,
	};
	const char *p = (const char *)data, *end = p + size;
	FILE *in, *out;

	log_set_level(LOG_CRIT);
	while (p < end) {
		const char *newline = memchr(p, '\n', (size_t)(end - p));
		size_t length = newline ? (size_t)(newline - p)
					: (size_t)(end - p);
		double t, v;

		if (replay_parse_line(p, length, &t, &v) == 0 &&
		    (!(t == t) || !(v == v)))
			abort(); /* a parsed sample is always a number */
		p += length + 1;
	}
	in = fmemopen((void *)data, size ? size : 1, "r");
	out = fopen("/dev/null", "w");
	if (in != NULL && out != NULL)
		(void)analyzer_replay(in, "fuzz", &params, out);
	if (in != NULL)
		fclose(in);
	if (out != NULL)
		fclose(out);
	return 0;
}
