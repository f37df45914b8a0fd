/*
 * history_cli.c - the commands that read the history database while the
 * daemon writes it (WAL lets both go on): `history` (min/avg/max and a
 * sparkline per series), `alerts` (what fired, for how long, what became of
 * it) and `export --prometheus` (the newest minute of every series).
 */
#include "history/history.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/log.h"
#include "core/numeric.h"
#include "core/util.h"
#include "history/history_internal.h"
#include "storage/metrics.h"

#define SPARK_WIDTH 32

int history_parse_duration(const char *text, int64_t *secs)
{
	static const struct {
		char unit;
		int64_t secs;
	} units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 7 * 86400 },
	};
	char *end;
	long long n;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno != 0 || end == text || n <= 0 || n > 100000000LL)
		return -EINVAL;
	if (*end == '\0') {
		*secs = n;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (end[0] == units[i].unit && end[1] == '\0') {
			*secs = n * units[i].secs;
			return 0;
		}
	return -EINVAL;
}

/*
 * Says on stderr which database it reads (stdout stays the data), and where
 * to look when there is none: `make run` keeps its state in build/state.
 */
static struct history *open_for_reading(const struct config *config)
{
	const char *dir = config->agent.state_dir;
	struct history *h;
	int fd;

	if (!history_available()) {
		fprintf(stderr, "sysops-agent: built without SQLite: no "
			"history is kept (rebuild with WITH_SQLITE=1)\n");
		return NULL;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && faccessat(fd, HISTORY_DB_NAME, F_OK, 0) < 0 &&
	    errno == ENOENT) {
		close(fd);
		fd = -1;
		errno = ENOENT;
	}
	if (fd < 0) {
		fprintf(stderr,
			"sysops-agent: error: no history in %s (%s): "
			"the daemon keeps %s in its state_dir; name another "
			"with --state-dir DIR (after `make run`: --state-dir "
			"build/state)\n",
			dir, strerror(errno), HISTORY_DB_NAME);
		return NULL;
	}
	fprintf(stderr, "sysops-agent: reading %s/%s\n", dir, HISTORY_DB_NAME);
	h = history_open_readonly(fd);
	if (h == NULL)
		fprintf(stderr, "sysops-agent: cannot read %s/%s: %s\n", dir,
			HISTORY_DB_NAME, history_last_error());
	/* SQLite resolved the path through the fd; it may be closed now. */
	close(fd);
	return h;
}

/*
 * What history, alerts and export start with: the config, --state-dir
 * over its state_dir (and $STATE_DIRECTORY), then the database.
 */
static struct history *open_for_command(const char *path, const char *state_dir)
{
	struct config *config;
	struct history *h = NULL;

	if (cli_load_config(path, &config) < 0)
		return NULL;
	if (state_dir != NULL) {
		char *copy = strdup(state_dir);

		if (copy == NULL) {
			fprintf(stderr, "sysops-agent: out of memory\n");
			config_free(config);
			return NULL;
		}
		free(config->agent.state_dir);
		config->agent.state_dir = copy;
	}
	h = open_for_reading(config);
	config_free(config);
	return h;
}

static void format_time(int64_t secs, char *buffer, size_t size)
{
	time_t t = (time_t)secs;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buffer, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buffer, size, "%lld", (long long)secs);
}

/* ---- history ---- */

struct summary {
	double min, avg, max, last;
	int64_t samples;
	int64_t first, latest;
	char spark[SPARK_WIDTH * 3 + 1];
};

/* Averages in SPARK_WIDTH time buckets (an empty one is a gap), drawn by
 * format_sparkline. */
static void sparkline(const struct history_point *points, size_t count,
		      int64_t from, int64_t to, char *out, size_t size)
{
	double sums[SPARK_WIDTH] = { 0 };
	int64_t counts[SPARK_WIDTH] = { 0 };
	double span = (double)(to - from) + 1;

	for (size_t i = 0; i < count; i++) {
		size_t b = (size_t)((double)(points[i].time_secs - from) /
				    span * SPARK_WIDTH);

		if (b >= SPARK_WIDTH)
			b = SPARK_WIDTH - 1;
		sums[b] += points[i].avg;
		counts[b]++;
	}
	for (size_t b = 0; b < SPARK_WIDTH; b++)
		sums[b] = counts[b] > 0 ? sums[b] / (double)counts[b] : NAN;
	format_sparkline(sums, SPARK_WIDTH, out, size);
}

static void summarize(const struct history_point *points, size_t count,
		      int64_t since, struct summary *s)
{
	double weighted = 0;

	*s = (struct summary){ .min = INFINITY, .max = -INFINITY };
	for (size_t i = 0; i < count; i++) {
		s->min = numeric_min(s->min, points[i].min);
		s->max = numeric_max(s->max, points[i].max);
		weighted += points[i].avg * (double)points[i].count;
		s->samples += points[i].count;
	}
	s->avg = s->samples ? weighted / (double)s->samples : NAN;
	s->last = points[count - 1].avg;
	s->first = points[0].time_secs;
	s->latest = points[count - 1].time_secs;
	sparkline(points, count, since, (int64_t)time(NULL), s->spark,
		  sizeof(s->spark));
}

struct history_output {
	bool json;
	int64_t since;
	size_t series;
	json_object *array;
};

static void print_series(const char *name, const char *labels,
			 const struct history_point *points, size_t count,
			 void *context)
{
	struct history_output *out = context;
	char full[METRIC_NAME_MAX + METRIC_LABELS_MAX + 2];
	char min[32], avg[32], max[32];
	struct summary s;

	summarize(points, count, out->since, &s);
	out->series++;
	if (!out->json) {
		if (labels[0])
			snprintf(full, sizeof(full), "%s{%s}", name, labels);
		else
			snprintf(full, sizeof(full), "%s", name);
		format_series_value(name, s.min, min, sizeof(min));
		format_series_value(name, s.avg, avg, sizeof(avg));
		format_series_value(name, s.max, max, sizeof(max));
		printf("%-44s %10s %10s %10s  %s\n", full, min, avg, max,
		       s.spark);
		return;
	}
	json_object *o = json_object_new_object(), *list;

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "labels", json_object_new_string(labels));
	json_object_object_add(o, "min", json_object_new_double(s.min));
	json_object_object_add(o, "avg", json_object_new_double(s.avg));
	json_object_object_add(o, "max", json_object_new_double(s.max));
	json_object_object_add(o, "last", json_object_new_double(s.last));
	json_object_object_add(o, "samples", json_object_new_int64(s.samples));
	json_object_object_add(o, "first", json_object_new_int64(s.first));
	json_object_object_add(o, "latest", json_object_new_int64(s.latest));
	json_object_object_add(o, "sparkline", json_object_new_string(s.spark));
	list = json_object_new_array();
	for (size_t i = 0; i < count; i++) {
		json_object *p = json_object_new_array();

		json_object_array_add(p, json_object_new_int64(
						 points[i].time_secs));
		json_object_array_add(p, json_object_new_double(points[i].min));
		json_object_array_add(p, json_object_new_double(points[i].avg));
		json_object_array_add(p, json_object_new_double(points[i].max));
		json_object_array_add(list, p);
	}
	json_object_object_add(o, "points", list);
	json_object_array_add(out->array, o);
}

int history_command_history(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "metric", required_argument, NULL, 'm' },
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *state_dir = NULL, *glob = NULL,
		   *since_text = "6h";
	struct history_output out = { 0 };
	int64_t since = 6 * 3600;
	struct history *h;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:d:m:s:j", options, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'd')
			state_dir = optarg;
		else if (c == 'm')
			glob = optarg;
		else if (c == 's' && history_parse_duration(optarg, &since) < 0)
			return cli_usage_error("history", "--since takes a "
					       "duration such as 90m, 6h, 7d");
		else if (c == 's')
			since_text = optarg;
		else if (c == 'j')
			out.json = true;
		else
			return cli_usage_error("history", "unknown option");
	}
	if (optind != argc)
		return cli_usage_error("history", "unexpected argument");
	h = open_for_command(path, state_dir);
	if (h == NULL)
		return 1;
	out.since = (int64_t)time(NULL) - since;
	if (out.json)
		out.array = json_object_new_array();
	else
		printf("%-44s %10s %10s %10s  last %s\n", "SERIES", "MIN",
		       "AVG", "MAX", since_text);
	r = history_query(h, glob, out.since, print_series, &out);
	history_close(h);
	if (r < 0) {
		fprintf(stderr, "sysops-agent history: %s\n",
			history_last_error());
		json_object_put(out.array);
		return 1;
	}
	if (out.json) {
		json_object *root = json_object_new_object();

		json_object_object_add(root, "since",
				       json_object_new_int64(out.since));
		json_object_object_add(root, "series", out.array);
		printf("%s\n", json_object_to_json_string_ext(
				       root, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	} else if (out.series == 0) {
		printf("(no series%s%s in this period)\n", glob ? " matching " : "",
		       glob ? glob : "");
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- alerts ---- */

struct alerts_output {
	bool json;
	size_t count;
	json_object *array;
};

static void print_alert(const struct history_alert *a, void *context)
{
	struct alerts_output *out = context;
	char when[32], duration[24], series[METRIC_NAME_MAX +
					      METRIC_LABELS_MAX + 2];

	out->count++;
	if (out->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "time_usec",
				       json_object_new_int64(a->time_usec));
		json_object_object_add(o, "state", json_object_new_string(
						       a->firing ? "firing"
								 : "resolved"));
		json_object_object_add(o, "severity",
				       json_object_new_string(a->severity));
		json_object_object_add(o, "rule",
				       json_object_new_string(a->rule));
		json_object_object_add(o, "series",
				       json_object_new_string(a->series));
		json_object_object_add(o, "labels",
				       json_object_new_string(a->labels));
		json_object_object_add(o, "value", isfinite(a->value)
				       ? json_object_new_double(a->value)
				       : NULL);
		json_object_object_add(o, "duration_secs",
				       a->duration_secs >= 0
				       ? json_object_new_int64(a->duration_secs)
				       : NULL);
		json_object_object_add(o, "outcome",
				       json_object_new_string(a->outcome));
		json_object_object_add(o, "summary",
				       json_object_new_string(a->summary));
		json_object_array_add(out->array, o);
		return;
	}
	format_time(a->time_usec / (int64_t)USEC_PER_SEC, when, sizeof(when));
	if (a->duration_secs < 0)
		snprintf(duration, sizeof(duration), "-");
	else
		format_duration((uint64_t)a->duration_secs, duration,
				sizeof(duration));
	if (a->labels[0])
		snprintf(series, sizeof(series), "%s{%s}", a->series,
			 a->labels);
	else
		snprintf(series, sizeof(series), "%s", a->series);
	printf("%s  %-8s %-8s %-22s %-32s %6s  %s\n    %s\n", when,
	       a->firing ? "firing" : "resolved", a->severity, a->rule,
	       series, duration, a->outcome[0] ? a->outcome : "-",
	       a->summary);
}

int history_command_alerts(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "since", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *state_dir = NULL;
	struct alerts_output out = { 0 };
	int64_t since = 24 * 3600;
	struct history *h;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:d:s:j", options, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'd')
			state_dir = optarg;
		else if (c == 's' && history_parse_duration(optarg, &since) < 0)
			return cli_usage_error("alerts", "--since takes a "
					       "duration such as 90m, 24h, 7d");
		else if (c == 'j')
			out.json = true;
		else if (c != 's')
			return cli_usage_error("alerts", "unknown option");
	}
	if (optind != argc)
		return cli_usage_error("alerts", "unexpected argument");
	h = open_for_command(path, state_dir);
	if (h == NULL)
		return 1;
	if (out.json)
		out.array = json_object_new_array();
	else
		printf("%-19s  %-8s %-8s %-22s %-32s %6s  %s\n", "TIME (UTC)",
		       "STATE", "SEVERITY", "RULE", "SERIES", "FOR", "OUTCOME");
	r = history_query_alerts(h, (int64_t)time(NULL) - since, print_alert,
				 &out);
	history_close(h);
	if (r < 0) {
		fprintf(stderr, "sysops-agent alerts: %s\n",
			history_last_error());
		json_object_put(out.array);
		return 1;
	}
	if (out.json) {
		printf("%s\n", json_object_to_json_string_ext(
				       out.array, JSON_C_TO_STRING_PLAIN |
						  JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(out.array);
	} else if (out.count == 0) {
		printf("(no alerts in this period)\n");
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- export ---- */

struct export_state {
	FILE *stream;
	char family[METRIC_NAME_MAX];
	size_t count;
};

static void export_series(const char *name, const char *labels,
			  const struct history_point *points, size_t count,
			  void *context)
{
	struct export_state *e = context;

	if (count == 0)
		return;
	history_textfile_sample(e->stream, name, labels, points[count - 1].avg,
				e->family, sizeof(e->family));
	e->count++;
}

struct export_source {
	struct history *history;
	size_t count;
	int error;
};

static int format_export(FILE *stream, void *context)
{
	struct export_source *source = context;
	struct export_state e = { .stream = stream };
	int r = history_query_latest(source->history, export_series, &e);

	source->count = e.count;
	source->error = r;
	return r < 0 ? r : ferror(stream) ? -EIO : 0;
}

int history_command_export(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "prometheus", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *state_dir = NULL, *target = NULL;
	struct export_source source = {0};
	int c, r;

	while ((c = getopt_long(argc, argv, "c:d:p:", options, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'd')
			state_dir = optarg;
		else if (c == 'p')
			target = optarg;
		else
			return cli_usage_error("export", "unknown option");
	}
	if (optind != argc || target == NULL)
		return cli_usage_error("export", "expected --prometheus FILE "
				       "(- for standard output)");
	source.history = open_for_command(path, state_dir);
	if (source.history == NULL)
		return 1;
	if (strcmp(target, "-") == 0) {
		r = format_export(stdout, &source);
		if (fflush(stdout) != 0 && r == 0)
			r = -errno;
	} else {
		char absolute[4096];

		/* history_textfile_replace wants a directory part. */
		if (target[0] != '/' && strchr(target, '/') == NULL)
			snprintf(absolute, sizeof(absolute), "./%s", target);
		else
			snprintf(absolute, sizeof(absolute), "%s", target);
		r = history_textfile_replace(absolute, format_export, &source);
	}
	history_close(source.history);
	if (r < 0) {
		fprintf(stderr, "sysops-agent export: %s: %s\n", target,
			source.error < 0 ? history_last_error()
					 : strerror(-r));
		return 1;
	}
	if (strcmp(target, "-") != 0)
		fprintf(stderr, "sysops-agent export: %zu series written to "
			"%s\n", source.count, target);
	return 0;
}
