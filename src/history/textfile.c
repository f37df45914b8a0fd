/*
 * textfile.c - the node_exporter textfile: every fresh series as Prometheus
 * text exposition, rewritten each tick through a temporary file and rename(2)
 * so node_exporter never reads half a file. Push-only: the agent listens on
 * nothing, node_exporter (already on the host) serves the file.
 *
 * This file is the one write outside the state dir, by the operator's choice
 * of [storage.history] textfile.
 */
#include "history/history.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"
#include "storage/metrics.h"

/*
 * Text in HELP lines and label values: backslash and newline escaped (and
 * the double quote in values); bytes that are not UTF-8 (a process name
 * can hold anything) become '?', which node_exporter would reject.
 */
static void write_escaped(FILE *stream, const char *text, const char *end,
			  bool quote)
{
	char clean[METRIC_LABELS_MAX + METRIC_NAME_MAX];

	metrics_prometheus_label_value(text, (size_t)(end - text), clean,
				       sizeof(clean));
	for (const char *p = clean; *p; p++) {
		if (*p == '\\')
			fputs("\\\\", stream);
		else if (*p == '\n')
			fputs("\\n", stream);
		else if (*p == '"' && quote)
			fputs("\\\"", stream);
		else
			fputc(*p, stream);
	}
}

/* `device=sda,mount=/` -> `device="sda",mount="/"`, escaped. */
static void write_labels(FILE *stream, const char *labels)
{
	const char *cursor = labels;
	struct metrics_label label;
	char key[METRIC_LABELS_MAX];
	bool first = true;

	while (metrics_label_next(&cursor, &label)) {
		if (metrics_prometheus_label_name(label.key, label.key_length,
						  key, sizeof(key)) == 0)
			continue;
		fputs(first ? "{" : ",", stream);
		first = false;
		fprintf(stream, "%s=\"", key);
		write_escaped(stream, label.value,
			      label.value + label.value_length, true);
		fputc('"', stream);
	}
	if (!first)
		fputc('}', stream);
}

static const struct metric_registry *sort_registry;

static int compare_ids(const void *a, const void *b)
{
	const struct metric_series *x = metrics_get(sort_registry,
						    *(const int *)a);
	const struct metric_series *y = metrics_get(sort_registry,
						    *(const int *)b);
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->labels, y->labels);
}

/* Counters by the Prometheus naming convention, gauges otherwise. */
static const char *metric_type(const char *name)
{
	return string_ends_with(name, "_total") ? "counter" : "gauge";
}

void history_textfile_sample(FILE *stream, const char *name, const char *labels,
			     double value, char *family, size_t family_size)
{
	char metric[METRIC_NAME_MAX + sizeof(METRICS_PROMETHEUS_PREFIX)];

	if (!metrics_prometheus_name(name, metric, sizeof(metric)))
		return;
	if (strcmp(family, name) != 0) {
		fprintf(stream, "# HELP %s sysops-agent metric ", metric);
		write_escaped(stream, name, name + strlen(name), false);
		fprintf(stream, "\n# TYPE %s %s\n", metric, metric_type(name));
		string_copy(family, name, family_size);
	}
	fputs(metric, stream);
	write_labels(stream, labels);
	if (isnan(value))
		fputs(" NaN\n", stream);
	else if (isinf(value))
		fputs(value > 0 ? " +Inf\n" : " -Inf\n", stream);
	else
		fprintf(stream, " %.17g\n", value);
}

int history_textfile_format(const struct metric_registry *registry,
			    int64_t now_usec, int64_t max_age_usec,
			    FILE *stream)
{
	size_t capacity = metrics_capacity(registry), count = 0;
	char family[METRIC_NAME_MAX] = "";
	int *ids = malloc((capacity ? capacity : 1) * sizeof(*ids));

	if (ids == NULL)
		return -ENOMEM;
	for (size_t id = 0; id < capacity; id++) {
		const struct metric_series *s = metrics_get(registry, (int)id);

		if (s != NULL && s->in_use && metrics_count(registry, (int)id) &&
		    now_usec - s->last_time_usec <= max_age_usec)
			ids[count++] = (int)id;
	}
	/* A family's samples must be contiguous, under one TYPE line. */
	sort_registry = registry;
	qsort(ids, count, sizeof(*ids), compare_ids);
	for (size_t i = 0; i < count; i++) {
		const struct metric_series *s = metrics_get(registry, ids[i]);
		int64_t time_usec;
		double value;

		if (metrics_value_back(registry, ids[i], 0, &time_usec, &value))
			history_textfile_sample(stream, s->name, s->labels,
						value, family, sizeof(family));
	}
	free(ids);
	return ferror(stream) ? -EIO : 0;
}

struct registry_source {
	const struct metric_registry *registry;
	int64_t now_usec, max_age_usec;
};

static int format_registry(FILE *stream, void *context)
{
	const struct registry_source *source = context;

	return history_textfile_format(source->registry, source->now_usec,
				       source->max_age_usec, stream);
}

int history_textfile_write(const char *path,
			   const struct metric_registry *registry,
			   int64_t now_usec, int64_t max_age_usec)
{
	struct registry_source source = { registry, now_usec, max_age_usec };

	return history_textfile_replace(path, format_registry, &source);
}

int history_textfile_replace(const char *path, int (*format)(FILE *, void *),
			     void *context)
{
	char directory[PATH_MAX], temporary[PATH_MAX + 32];
	const char *slash = strrchr(path, '/');
	FILE *stream;
	int fd, r;

	if (slash == NULL || (size_t)(slash - path) >= sizeof(directory))
		return -EINVAL;
	memcpy(directory, path, (size_t)(slash - path));
	directory[slash - path] = '\0';
	/* A dot file in the same directory: node_exporter skips it. */
	snprintf(temporary, sizeof(temporary), "%s/.%s.%d.tmp",
		 directory[0] ? directory : "", slash + 1, (int)getpid());
	fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
				     O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	/* node_exporter runs as its own user: readable whatever the umask. */
	fchmod(fd, 0644);
	stream = fdopen(fd, "w");
	if (stream == NULL) {
		r = -errno;
		close(fd);
		unlink(temporary);
		return r;
	}
	r = format(stream, context);
	if (fclose(stream) != 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(temporary, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(temporary);
	return r;
}
