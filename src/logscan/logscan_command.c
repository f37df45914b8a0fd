/*
 * logscan_command.c - `sysops-agent logscan`: runs the configured rules over
 * files or stdin and prints one line (or JSON object) per event, with
 * aggregation driven by the timestamps in the lines. It shares the rule
 * engine, masking and line parsing with the daemon, so what it prints is
 * what the daemon would alert on.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/log.h"
#include "logscan/line_format.h"
#include "logscan/line_reader.h"
#include "logscan/logscan.h"
#include "logscan/mask.h"
#include "logscan/rules.h"

struct command_run {
	struct rule_engine *engine;
	struct syslog_clock clock;
	const char *origin;
	uint64_t line_number;
	uint64_t lines, events;
	int64_t now;
	bool json;
};

static void print_event(const struct rule_event *event, void *data)
{
	struct command_run *run = data;
	const struct log_record *record = event->record;

	run->events++;
	if (run->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "file",
				       json_object_new_string(record->origin));
		json_object_object_add(o, "line", json_object_new_int64(
			(int64_t)record->line_number));
		json_object_object_add(o, "rule",
				       json_object_new_string(event->rule));
		json_object_object_add(o, "severity", json_object_new_string(
			event_severity_name(event->severity)));
		json_object_object_add(o, "group",
				       json_object_new_string(event->group));
		json_object_object_add(o, "message",
				       json_object_new_string(event->message));
		json_object_object_add(o, "count",
				       json_object_new_int64(event->count));
		printf("%s\n", json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		return;
	}
	printf("%s:%llu: %s %s", record->origin,
	       (unsigned long long)record->line_number,
	       event_severity_name(event->severity), event->rule);
	if (event->group[0] != '\0')
		printf(" %s=%s", event->group_by, event->group);
	if (event->count > 1)
		printf(" (%u events)", event->count);
	printf(": %s\n", event->message);
}

static void scan_line(const char *line, size_t length, void *data)
{
	struct command_run *run = data;
	struct log_record record = {
		.source = LOGSCAN_SOURCE_FILE,
		.origin = run->origin,
		.line_number = ++run->line_number,
	};

	line_subject(line, length, &run->clock, &record.text, &record.length,
		     &record.time_sec);
	if (record.time_sec == 0)
		record.time_sec = run->now;
	run->lines++;
	rule_engine_scan(run->engine, &record, print_event, run);
}

static int scan_input(struct command_run *run, struct line_reader *reader,
		      const char *path)
{
	char chunk[65536];
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO :
		 open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t n;

	if (fd < 0) {
		log_error_errno(errno, "%s", path);
		return -errno;
	}
	run->origin = fd == STDIN_FILENO ? "-" : path;
	run->line_number = 0;
	line_reader_reset(reader, 0);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			log_error_errno(errno, "%s", path);
			if (fd != STDIN_FILENO)
				close(fd);
			return r;
		}
		line_reader_feed(reader, chunk, (size_t)n, scan_line, run);
	}
	line_reader_finish(reader, scan_line, run);
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}

static void print_rules(const struct rule_engine *engine)
{
	for (size_t i = 0; i < rule_engine_count(engine); i++) {
		const struct rule_definition *rule = rule_engine_rule(engine, i);

		printf("%-22s %-8s", rule->name,
		       event_severity_name(rule->severity));
		if (rule->threshold > 1)
			printf(" %u in %us", rule->threshold, rule->window_secs);
		else if (rule->window_secs > 0)
			printf(" quiet %us", rule->window_secs);
		if (rule->group_by != NULL)
			printf(" by %s", rule->group_by);
		if (!rule_engine_rule_prefiltered(engine, i))
			printf(" (runs on every line)");
		printf(": %s\n", rule->description ? rule->description : "");
	}
}

int logscan_command(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "rules-only", no_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct rule_definition rules[LOGSCAN_MAX_RULES];
	struct command_run run = { .now = (int64_t)time(NULL) };
	const char *path = NULL;
	bool rules_only = false;
	struct line_reader reader;
	struct config *config;
	struct masker *masker = NULL;
	struct rule_engine_stats stats;
	char error[256];
	int c, count, status = 0;

	while ((c = getopt_long(argc, argv, "c:", options, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'r')
			rules_only = true;
		else if (c == 'j')
			run.json = true;
		else
			return cli_usage_error("logscan", "unknown option");
	}
	if (!rules_only && optind == argc)
		return cli_usage_error("logscan", "expected FILE... or - for "
				       "standard input");
	if (cli_load_config(path, &config) < 0)
		return 1;
	count = rule_set_from_config(&config->logscan, rules,
				     LOGSCAN_MAX_RULES, error, sizeof(error));
	if (count < 0 ||
	    masker_new(&config->logscan.mask_patterns, &masker, error,
		       sizeof(error)) < 0 ||
	    rule_engine_new(rules, (size_t)count,
			    (size_t)config->logscan.max_groups_per_rule,
			    (size_t)config->logscan.max_line_bytes, masker,
			    &run.engine, error, sizeof(error)) < 0 ||
	    line_reader_init(&reader, (size_t)config->logscan.max_line_bytes) <
		    0) {
		log_error("logscan: %s", error);
		masker_free(masker);
		rule_engine_free(run.engine);
		config_free(config);
		return 1;
	}
	if (rules_only) {
		print_rules(run.engine);
	} else {
		syslog_clock_init(&run.clock, (time_t)run.now);
		for (int i = optind; i < argc; i++)
			if (scan_input(&run, &reader, argv[i]) < 0)
				status = 1;
		rule_engine_get_stats(run.engine, &stats);
		fflush(stdout);
		fprintf(stderr, "sysops-agent logscan: %llu lines, %llu events, "
			"%llu lines cut at %lld bytes\n",
			(unsigned long long)run.lines,
			(unsigned long long)run.events,
			(unsigned long long)reader.truncated,
			(long long)config->logscan.max_line_bytes);
	}
	line_reader_free(&reader);
	rule_engine_free(run.engine);
	masker_free(masker);
	config_free(config);
	return status;
}
