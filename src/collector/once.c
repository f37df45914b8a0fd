/*
 * once.c - `sysops-agent once [-c FILE] [--json] [--interval SECS]`: two
 * collections one interval apart (so rates exist), then every fresh metric,
 * as a table for people or one JSON document grouped by metric family
 * (cpu, memory, disk, net, ...) for scripts.
 */
#include "collector/collector.h"

#include <errno.h>
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
#include "core/util.h"
#include "storage/metrics.h"

struct fresh_series {
	const struct metric_series *series;
	double value;
};

static int compare_series(const void *a, const void *b)
{
	const struct fresh_series *x = a, *y = b;
	int c = strcmp(x->series->name, y->series->name);

	return c ? c : strcmp(x->series->labels, y->series->labels);
}

static size_t gather(const struct metric_registry *metrics, int64_t when,
		     struct fresh_series *out)
{
	size_t count = 0;

	for (size_t id = 0; id < metrics_capacity(metrics); id++) {
		const struct metric_series *series = metrics_get(metrics,
								 (int)id);
		double value;

		if (series == NULL || series->last_time_usec != when ||
		    !metrics_value_back(metrics, (int)id, 0, NULL, &value))
			continue;
		out[count].series = series;
		out[count].value = value;
		count++;
	}
	qsort(out, count, sizeof(*out), compare_series);
	return count;
}

static void format_value(char *buffer, size_t size, double value)
{
	if (value == (double)(int64_t)value && value < 1e18 && value > -1e18)
		snprintf(buffer, size, "%lld", (long long)value);
	else
		snprintf(buffer, size, "%.3f", value);
}

static void print_table(const struct fresh_series *rows, size_t count)
{
	char name[METRIC_NAME_MAX + METRIC_LABELS_MAX + 4], value[48];

	for (size_t i = 0; i < count; i++) {
		const struct metric_series *s = rows[i].series;

		if (s->labels[0])
			snprintf(name, sizeof(name), "%s{%s}", s->name,
				 s->labels);
		else
			snprintf(name, sizeof(name), "%s", s->name);
		format_value(value, sizeof(value), rows[i].value);
		printf("%-60s %s\n", name, value);
	}
}

/* "a=1,b=2" -> {"a": "1", "b": "2"} */
static json_object *labels_object(const char *labels)
{
	json_object *object = json_object_new_object();
	char copy[METRIC_LABELS_MAX], *save = NULL;

	string_copy(copy, labels, sizeof(copy));
	for (char *pair = strtok_r(copy, ",", &save); pair;
	     pair = strtok_r(NULL, ",", &save)) {
		char *equals = strchr(pair, '=');

		if (equals == NULL)
			continue;
		*equals = '\0';
		json_object_object_add(object, pair,
				       json_object_new_string(equals + 1));
	}
	return object;
}

static json_object *number(double value)
{
	if (!isfinite(value))
		return NULL;    /* JSON has no NaN or infinity: null */
	if (value == (double)(int64_t)value && value < 9e15 && value > -9e15)
		return json_object_new_int64((int64_t)value);
	return json_object_new_double(value);
}

static void print_json(const struct fresh_series *rows, size_t count,
		       const char *host, int64_t when, int64_t interval)
{
	json_object *root = json_object_new_object();
	json_object *groups = json_object_new_object();
	char timestamp[32];
	time_t seconds = (time_t)(when / 1000000);
	struct tm tm;

	gmtime_r(&seconds, &tm);
	strftime(timestamp, sizeof(timestamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_object_object_add(root, "host", json_object_new_string(host));
	json_object_object_add(root, "timestamp",
			       json_object_new_string(timestamp));
	json_object_object_add(root, "timestamp_usec",
			       json_object_new_int64(when));
	json_object_object_add(root, "interval_secs",
			       json_object_new_int64(interval));
	for (size_t i = 0; i < count; i++) {
		const struct metric_series *s = rows[i].series;
		const char *dot = strchr(s->name, '.');
		char group_name[METRIC_NAME_MAX];
		const char *short_name = dot ? dot + 1 : s->name;
		json_object *group, *entry, *list;

		string_copy(group_name, s->name, sizeof(group_name));
		if (dot)
			group_name[dot - s->name] = '\0';
		if (!json_object_object_get_ex(groups, group_name, &group)) {
			group = json_object_new_object();
			json_object_object_add(groups, group_name, group);
		}
		if (s->labels[0] == '\0') {
			json_object_object_add(group, short_name,
					       number(rows[i].value));
			continue;
		}
		/* Labelled series: a list of {label..., "value": v}. */
		if (!json_object_object_get_ex(group, short_name, &list) ||
		    !json_object_is_type(list, json_type_array)) {
			list = json_object_new_array();
			json_object_object_add(group, short_name, list);
		}
		entry = labels_object(s->labels);
		json_object_object_add(entry, "value", number(rows[i].value));
		json_object_array_add(list, entry);
	}
	json_object_object_add(root, "metrics", groups);
	puts(json_object_to_json_string_ext(
		root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}

static void sleep_usec(uint64_t usec)
{
	struct timespec ts = { .tv_sec = (time_t)(usec / USEC_PER_SEC),
			       .tv_nsec = (long)(usec % USEC_PER_SEC) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int collector_command_once(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool json = false;
	long interval = -1;
	struct config *config;
	struct metric_registry *metrics;
	struct collector_set *set;
	struct fresh_series *rows;
	char host[256];
	int64_t second;
	size_t count;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:ji:", options, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'i':
			interval = strtol(optarg, &end, 10);
			if (*end != '\0' || interval < 1 || interval > 3600)
				return cli_usage_error("once", "--interval "
						       "takes 1..3600 "
						       "seconds");
			break;
		default:
			return cli_usage_error("once", "unknown option");
		}
	}
	if (optind != argc)
		return cli_usage_error("once", "unexpected argument");
	if (cli_load_config(path, &config) < 0) {
		fprintf(stderr, "sysops-agent: configuration is invalid\n");
		return 1;
	}
	if (interval < 0)
		interval = (long)config->agent.collect_interval_secs;
	metrics = metrics_new((size_t)config->storage.max_series, 2);
	rows = calloc((size_t)config->storage.max_series, sizeof(*rows));
	if (metrics == NULL || rows == NULL) {
		log_error("out of memory");
		r = 1;
		goto out;
	}
	r = collector_set_new(config, metrics, &set);
	if (r < 0) {
		r = 1;
		goto out;
	}
	collector_set_allow_waiting(set);
	collector_set_collect(set, (int64_t)now_realtime_usec());
	sleep_usec((uint64_t)interval * USEC_PER_SEC);
	second = (int64_t)now_realtime_usec();
	collector_set_collect(set, second);
	count = gather(metrics, second, rows);
	if (config->agent.hostname && config->agent.hostname[0])
		string_copy(host, config->agent.hostname, sizeof(host));
	else if (gethostname(host, sizeof(host)) < 0)
		string_copy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	if (json)
		print_json(rows, count, host, second, interval);
	else
		print_table(rows, count);
	collector_set_free(set);
	r = 0;
out:
	free(rows);
	metrics_free(metrics);
	config_free(config);
	return r;
}
