/*
 * replay.c - `sysops-agent replay [-c FILE] FILE.csv`: runs the daemon's
 * generic-metric path (anomaly_update + anomaly_gate, configured exactly as
 * for a live series) over a "timestamp,value" CSV and prints
 * "timestamp,value,anomaly_score,alert" per input row.
 *
 * This is the benchmark harness (NAB) and an operator's way to see what the
 * defaults would have said about a series exported from elsewhere.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer/analyzer.h"
#include "core/cli.h"
#include "core/log.h"

#define REPLAY_LINE_MAX 4096

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '"'))
		p++;
	return p;
}

/* Reads exactly `digits` decimal digits. */
static bool read_digits(const char **p, const char *end, int digits, int *out)
{
	int v = 0;

	for (int i = 0; i < digits; i++) {
		if (*p >= end || (**p < '0' || **p > '9'))
			return false;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return true;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

/* "YYYY-MM-DD[ T]HH:MM[:SS[.frac]]" as UTC; advances *p. */
static bool parse_datetime(const char **p, const char *end, double *secs)
{
	struct tm tm = { 0 };
	int year, month, day, hour, minute, second = 0;
	double fraction = 0;
	time_t t;

	if (!read_digits(p, end, 4, &year) || !expect(p, end, '-') ||
	    !read_digits(p, end, 2, &month) || !expect(p, end, '-') ||
	    !read_digits(p, end, 2, &day))
		return false;
	if (*p >= end || (**p != ' ' && **p != 'T'))
		return false;
	(*p)++;
	if (!read_digits(p, end, 2, &hour) || !expect(p, end, ':') ||
	    !read_digits(p, end, 2, &minute))
		return false;
	if (*p < end && **p == ':') {
		(*p)++;
		if (!read_digits(p, end, 2, &second))
			return false;
		if (*p < end && **p == '.') {
			double scale = 0.1;

			for ((*p)++; *p < end && **p >= '0' && **p <= '9';
			     (*p)++, scale /= 10)
				fraction += (**p - '0') * scale;
		}
	}
	if (*p < end && **p == 'Z')
		(*p)++;
	if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
	    minute > 59 || second > 60)
		return false;
	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = minute;
	tm.tm_sec = second;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*secs = (double)t + fraction;
	return true;
}

/* A number with strtod's syntax inside [p, end); advances *p. */
static bool parse_number(const char **p, const char *end, double *out)
{
	char buffer[64];
	size_t length = 0;
	char *stop;

	while (*p + length < end && length < sizeof(buffer) - 1 &&
	       strchr("0123456789+-.eE", (*p)[length]) != NULL)
		length++;
	if (length == 0 || length == sizeof(buffer) - 1)
		return false;
	memcpy(buffer, *p, length);
	buffer[length] = '\0';
	errno = 0;
	*out = strtod(buffer, &stop);
	if (stop != buffer + length || errno == ERANGE || !isfinite(*out))
		return false;
	*p += length;
	return true;
}

int replay_parse_line(const char *line, size_t length, double *time_secs,
		      double *value)
{
	const char *p = line, *end = line + length;

	while (end > p && (end[-1] == '\r' || end[-1] == ' ' ||
			   end[-1] == '\t'))
		end--;
	p = skip_blanks(p, end);
	if (!parse_datetime(&p, end, time_secs)) {
		p = skip_blanks(line, end);
		if (!parse_number(&p, end, time_secs) || *time_secs < 0 ||
		    *time_secs > 1e11)
			return -EINVAL;
	}
	p = skip_blanks(p, end);
	if (!expect(&p, end, ','))
		return -EINVAL;
	p = skip_blanks(p, end);
	if (!parse_number(&p, end, value))
		return -EINVAL;
	p = skip_blanks(p, end);
	return p == end ? 0 : -EINVAL;
}

/* The timestamp as written, up to the first comma, for the output row. */
static int timestamp_width(const char *line, size_t length)
{
	const char *comma = memchr(line, ',', length);

	return (int)(comma ? (size_t)(comma - line) : length);
}

int analyzer_replay(FILE *in, const char *name,
			 const struct anomaly_params *params, FILE *out)
{
	struct anomaly_state state;
	char line[REPLAY_LINE_MAX];
	unsigned long line_number = 0, skipped = 0, rows = 0, alerts = 0;
	double last_time = 0;

	anomaly_init(&state);
	fprintf(out, "timestamp,value,anomaly_score,alert\n");
	while (fgets(line, sizeof(line), in) != NULL) {
		size_t length = strlen(line);
		double time_secs, value, score;
		bool alert = false;

		line_number++;
		if (length == sizeof(line) - 1 && line[length - 1] != '\n') {
			int c;

			while ((c = fgetc(in)) != EOF && c != '\n')
				;
			skipped++;
			log_warning("%s:%lu: line too long; skipped", name,
				    line_number);
			continue;
		}
		if (length > 0 && line[length - 1] == '\n')
			line[--length] = '\0';
		if (replay_parse_line(line, length, &time_secs, &value) < 0) {
			if (line_number == 1 || length == 0)
				continue; /* the header, a blank line */
			skipped++;
			log_warning("%s:%lu: not a \"timestamp,value\" row; "
				    "skipped", name, line_number);
			continue;
		}
		/*
		 * Time never runs backwards for the gate: a duplicate or an
		 * out-of-order row is scored at the latest time seen.
		 */
		if (time_secs < last_time)
			time_secs = last_time;
		last_time = time_secs;
		alert = analyzer_generic_step(&state, params,
					      (int64_t)(time_secs * 1e6),
					      value, &score) == DETECT_FIRE;
		alerts += alert;
		rows++;
		fprintf(out, "%.*s,%.17g,%.6f,%d\n",
			timestamp_width(line, length), line, value, score,
			alert ? 1 : 0);
	}
	if (ferror(in)) {
		log_error("%s: read error", name);
		return -EIO;
	}
	log_info("%s: %lu rows, %lu alerts, %lu lines skipped", name, rows,
		 alerts, skipped);
	return 0;
}

int analyzer_command_replay(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "series", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL, *series = "replay";
	struct anomaly_params params;
	struct config *config;
	FILE *in;
	int c, r;

	while ((c = getopt_long(argc, argv, "c:s:", options, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 's')
			series = optarg;
		else
			return cli_usage_error("replay", "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage_error("replay", "expected one CSV file");
	if (cli_load_config(path, &config) < 0)
		return 1;
	/*
	 * The series name selects overrides as it would in the daemon; the
	 * generic detector runs even if anomaly_series would not match it.
	 */
	(void)analyzer_anomaly_params(&config->analyzer, series, "", &params);
	if (strcmp(argv[optind], "-") == 0)
		in = stdin;
	else
		in = fopen(argv[optind], "re");
	if (in == NULL) {
		log_error_errno(errno, "%s", argv[optind]);
		config_free(config);
		return 1;
	}
	r = analyzer_replay(in, argv[optind], &params, stdout);
	if (in != stdin)
		fclose(in);
	config_free(config);
	if (fflush(stdout) != 0)
		return 1;
	return r < 0 ? 1 : 0;
}
