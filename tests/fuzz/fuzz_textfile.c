/*
 * fuzz_textfile.c - libFuzzer target for what the history turns into text
 * other programs parse: a series name and labels (label values come from
 * process names and mount points, so from anyone) through
 * history_textfile_sample(), whose output must stay valid Prometheus
 * exposition, and the --since duration parser.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history/history.h"
#include "storage/metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       c == ':' || (!first && c >= '0' && c <= '9');
}

/* name{key="value",...} value, as node_exporter's parser wants it. */
static void check_sample(const char *line)
{
	const char *p = line;

	if (!name_char(*p, true))
		abort();
	while (name_char(*p, false))
		p++;
	if (*p == '{') {
		p++;
		while (*p != '}') {
			if (!name_char(*p, true))
				abort();
			while (name_char(*p, false))
				p++;
			if (p[0] != '=' || p[1] != '"')
				abort();
			for (p += 2; *p != '"'; p++) {
				if (*p == '\0' || *p == '\n')
					abort();
				if (*p == '\\' && (p[1] == '\\' || p[1] == '"' ||
						   p[1] == 'n'))
					p++;
				else if (*p == '\\')
					abort();
			}
			p++;
			if (*p == ',')
				p++;
			else if (*p != '}')
				abort();
		}
		p++;
	}
	if (*p != ' ')
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[METRIC_NAME_MAX], labels[METRIC_LABELS_MAX], family[64] = "";
	char *text = NULL, *line, *next, duration[32];
	size_t split = size / 3, text_size = 0, n;
	int64_t secs;
	FILE *out;

	n = split < sizeof(name) - 1 ? split : sizeof(name) - 1;
	memcpy(name, data, n);
	name[n] = '\0';
	n = size - split < sizeof(labels) - 1 ? size - split
					      : sizeof(labels) - 1;
	memcpy(labels, data + split, n);
	labels[n] = '\0';
	n = size < sizeof(duration) - 1 ? size : sizeof(duration) - 1;
	memcpy(duration, data, n);
	duration[n] = '\0';
	if (history_parse_duration(duration, &secs) == 0 && secs <= 0)
		abort();

	out = open_memstream(&text, &text_size);
	if (out == NULL)
		return 0;
	history_textfile_sample(out, name, labels, (double)size, family,
				sizeof(family));
	fclose(out);
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next == NULL)
			abort(); /* every line is terminated */
		*next++ = '\0';
		if (strncmp(line, "# HELP ", 7) == 0 ||
		    strncmp(line, "# TYPE ", 7) == 0)
			continue;
		check_sample(line);
	}
	free(text);
	return 0;
}
