/*
 * corpus_score.c - scores the built-in rules on tests/corpus: each corpus line
 * is scanned alone by the real rule engine (counting, no aggregation) and
 * compared with the rule and severity it is labelled with; background logs
 * are then scanned whole, as the daemon would, and every alert counted.
 *
 *   corpus_score CORPUS.tsv [--misses] [--background FILE]...
 *
 * Corpus lines: class, expected rule ('-' when the line must raise nothing),
 * expected severity, line, source URL, separated by tabs; '#' starts a
 * comment. Classes 'benign' and 'context' (the lines around a failure that
 * another line already reports) count false alarms; every other class counts
 * recall. Exit status 0 unless a file cannot be read.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logscan/line_format.h"
#include "logscan/line_reader.h"
#include "logscan/mask.h"
#include "logscan/rules.h"

#define MAX_CLASSES 48
#define LINE_BYTES  8192

struct class_score {
	char name[32];
	unsigned lines;
	unsigned hits;		 /* the expected rule fired */
	unsigned right_severity; /* ... with the expected severity */
	unsigned any;		 /* some rule fired */
	unsigned false_alarms;	 /* benign/context: some rule fired */
};

struct line_result {
	const char *expected;
	const char *severity;
	bool hit, right_severity, any;
	char fired[256];
};

static struct class_score classes[MAX_CLASSES];
static size_t class_count;

static struct class_score *class_named(const char *name)
{
	for (size_t i = 0; i < class_count; i++)
		if (strcmp(classes[i].name, name) == 0)
			return &classes[i];
	if (class_count == MAX_CLASSES) {
		fprintf(stderr, "corpus_score: more than %d classes\n",
			MAX_CLASSES);
		exit(2);
	}
	snprintf(classes[class_count].name, sizeof(classes[0].name), "%s",
		 name);
	return &classes[class_count++];
}

static bool benign(const char *name)
{
	return strcmp(name, "benign") == 0 || strcmp(name, "context") == 0;
}

static void on_tally(const struct rule_event *event, void *data)
{
	struct line_result *result = data;
	size_t used = strlen(result->fired);

	result->any = true;
	if (strcmp(event->rule, result->expected) == 0) {
		result->hit = true;
		result->right_severity =
		    strcmp(event_severity_name(event->severity),
			   result->severity) == 0;
	}
	snprintf(result->fired + used, sizeof(result->fired) - used, "%s%s/%s",
		 used ? "," : "", event->rule,
		 event_severity_name(event->severity));
}

/* Splits a tab-separated line in place; returns the number of fields. */
static size_t split(char *line, char **fields, size_t max)
{
	size_t n = 0;

	while (n < max) {
		char *tab = strchr(line, '\t');

		fields[n++] = line;
		if (tab == NULL)
			break;
		*tab = '\0';
		line = tab + 1;
	}
	return n;
}

static int score_corpus(struct rule_engine *engine, const char *path,
			bool misses)
{
	struct syslog_clock clock;
	char buffer[LINE_BYTES];
	unsigned number = 0;
	FILE *file = fopen(path, "r");

	if (file == NULL) {
		perror(path);
		return -1;
	}
	syslog_clock_init(&clock, 0);
	while (fgets(buffer, sizeof(buffer), file) != NULL) {
		char *fields[5];
		struct line_result result = {0};
		struct log_record record = {
		    .source = LOGSCAN_SOURCE_FILE,
		    .origin = path,
		};
		struct class_score *score;

		number++;
		buffer[strcspn(buffer, "\n")] = '\0';
		if (buffer[0] == '#' || buffer[0] == '\0')
			continue;
		if (split(buffer, fields, 5) != 5) {
			fprintf(stderr, "%s:%u: expected 5 fields\n", path,
				number);
			continue;
		}
		result.expected = fields[1];
		result.severity = fields[2];
		record.line_number = number;
		line_subject(fields[3], strlen(fields[3]), &clock, &record.text,
			     &record.length, &record.time_sec);
		rule_engine_tally(engine, &record, on_tally, &result);
		score = class_named(fields[0]);
		score->lines++;
		if (benign(fields[0])) {
			score->false_alarms += result.any;
			if (misses && result.any)
				printf("FALSE ALARM %s [%s]: %s\n", fields[0],
				       result.fired, fields[3]);
			continue;
		}
		score->hits += result.hit;
		score->right_severity += result.right_severity;
		score->any += result.any;
		if (misses && !(result.hit && result.right_severity))
			printf("MISS %s want %s/%s got [%s]: %s\n", fields[0],
			       fields[1], fields[2], result.fired, fields[3]);
	}
	fclose(file);
	return 0;
}

struct background {
	struct rule_engine *engine;
	struct syslog_clock clock;
	const char *origin;
	uint64_t line_number;
	unsigned lines, alerts;
	unsigned per_rule[LOGSCAN_MAX_RULES];
};

static void on_alert(const struct rule_event *event, void *data)
{
	struct background *run = data;

	run->alerts++;
	for (size_t i = 0; i < rule_engine_count(run->engine); i++)
		if (strcmp(rule_engine_rule(run->engine, i)->name,
			   event->rule) == 0)
			run->per_rule[i]++;
}

static void background_line(const char *line, size_t length, void *data)
{
	struct background *run = data;
	struct log_record record = {
	    .source = LOGSCAN_SOURCE_FILE,
	    .origin = run->origin,
	    .line_number = ++run->line_number,
	};

	line_subject(line, length, &run->clock, &record.text, &record.length,
		     &record.time_sec);
	run->lines++;
	rule_engine_scan(run->engine, &record, on_alert, run);
}

static int score_background(struct rule_engine *engine, const char *path)
{
	struct background run = {.engine = engine, .origin = path};
	struct line_reader reader;
	char chunk[65536];
	size_t n;
	FILE *file = fopen(path, "r");

	if (file == NULL) {
		perror(path);
		return -1;
	}
	/* A fixed reference year: the sample's timestamps carry none. */
	syslog_clock_init(&run.clock, 1120000000);
	line_reader_init(&reader, LINE_BYTES);
	while ((n = fread(chunk, 1, sizeof(chunk), file)) > 0)
		line_reader_feed(&reader, chunk, n, background_line, &run);
	line_reader_finish(&reader, background_line, &run);
	line_reader_free(&reader);
	fclose(file);
	printf("\nbackground %s: %u lines, %u alerts\n", path, run.lines,
	       run.alerts);
	for (size_t i = 0; i < rule_engine_count(engine); i++)
		if (run.per_rule[i] > 0)
			printf("  %-22s %u\n",
			       rule_engine_rule(engine, i)->name,
			       run.per_rule[i]);
	return 0;
}

static void print_table(void)
{
	struct class_score total = {.name = "all failures"};
	struct class_score quiet = {.name = "all benign"};

	printf("%-14s %5s %7s %7s %8s %6s\n", "class", "lines", "recall",
	       "sev-ok", "any-rule", "false");
	for (size_t i = 0; i < class_count; i++) {
		const struct class_score *c = &classes[i];
		struct class_score *sum = benign(c->name) ? &quiet : &total;

		sum->lines += c->lines;
		sum->hits += c->hits;
		sum->right_severity += c->right_severity;
		sum->any += c->any;
		sum->false_alarms += c->false_alarms;
		if (benign(c->name))
			printf("%-14s %5u %7s %7s %8s %6u\n", c->name, c->lines,
			       "-", "-", "-", c->false_alarms);
		else
			printf("%-14s %5u %6.0f%% %6.0f%% %7.0f%% %6s\n",
			       c->name, c->lines, 100.0 * c->hits / c->lines,
			       100.0 * c->right_severity / c->lines,
			       100.0 * c->any / c->lines, "-");
	}
	printf("%-14s %5u %6.1f%% %6.1f%% %7.1f%% %6s\n", total.name,
	       total.lines, 100.0 * total.hits / total.lines,
	       100.0 * total.right_severity / total.lines,
	       100.0 * total.any / total.lines, "-");
	printf("%-14s %5u %7s %7s %8s %6u\n", quiet.name, quiet.lines, "-", "-",
	       "-", quiet.false_alarms);
}

int main(int argc, char **argv)
{
	struct rule_engine *engine = NULL;
	struct masker *masker = NULL;
	const char *corpus = NULL;
	bool misses = false;
	char error[256];
	int status = 0;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--misses") == 0)
			misses = true;
		else if (strcmp(argv[i], "--background") == 0)
			i++;
		else
			corpus = argv[i];
	if (corpus == NULL) {
		fprintf(stderr, "usage: corpus_score CORPUS.tsv [--misses] "
				"[--background FILE]...\n");
		return 2;
	}
	if (masker_new(NULL, &masker, error, sizeof(error)) < 0 ||
	    rule_engine_new(rule_pack, rule_pack_count, 256, LINE_BYTES, masker,
			    &engine, error, sizeof(error)) < 0) {
		fprintf(stderr, "corpus_score: %s\n", error);
		return 2;
	}
	if (score_corpus(engine, corpus, misses) < 0)
		status = 1;
	print_table();
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--background") == 0 && i + 1 < argc &&
		    score_background(engine, argv[++i]) < 0)
			status = 1;
	rule_engine_free(engine);
	masker_free(masker);
	return status;
}
