/*
 * test_replay.c - the offline replay: its CSV reader (NAB timestamps, ISO
 * 8601, Unix seconds; junk refused) and the whole stream: one output row per
 * sample row, header first, bad lines skipped, and alert=1 exactly where the
 * generic path fires.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/analyzer.h"
#include "core/log.h"

static int parse(const char *line, double *t, double *v)
{
	return replay_parse_line(line, strlen(line), t, v);
}

static void test_parse_formats(void **state)
{
	double t, v;

	(void)state;
	assert_int_equal(parse("2014-04-01 00:05:00,20.5", &t, &v), 0);
	assert_true(t == 1396310700.0 && v == 20.5);
	assert_int_equal(parse("2014-04-01T00:05:00Z,-3e2\r", &t, &v), 0);
	assert_true(t == 1396310700.0 && v == -300);
	assert_int_equal(parse("2011-07-01 00:00:01.500000,0.08", &t, &v), 0);
	assert_true(fabs(t - 1309478401.5) < 1e-6);
	assert_int_equal(parse("1396310700, 7", &t, &v), 0);
	assert_true(t == 1396310700.0 && v == 7);
	assert_int_equal(parse("\"2014-04-01 00:05:00\",\"1\"", &t, &v), 0);
}

static void test_parse_rejects_junk(void **state)
{
	static const char *const bad[] = {
		"timestamp,value", "", ",", "2014-04-01 00:05:00,",
		"2014-04-01 00:05:00,abc", "2014-13-01 00:00:00,1",
		"2014-04-01 00:05:00,1,2", "2014-04-01,1", "1e400,1",
		"2014-04-01 00:05:00,nan", "2014-04-01 00:05:00,1e999",
		"\xff\xfe,1",
	};
	double t, v;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(bad[i], &t, &v), -EINVAL);
}

static struct anomaly_params defaults(void)
{
	struct config *config = config_defaults();
	struct anomaly_params p;

	analyzer_anomaly_params(&config->analyzer, "replay", "", &p);
	config_free(config);
	return p;
}

static void test_stream_one_row_per_sample(void **state)
{
	struct anomaly_params p = defaults();
	FILE *in = tmpfile(), *out = tmpfile();
	char line[256];
	int rows = 0, alerts = 0, alert_row = -1;

	(void)state;
	assert_non_null(in);
	assert_non_null(out);
	fprintf(in, "timestamp,value\n");
	for (int i = 0; i < 1500; i++) {
		/* A duplicate timestamp and a junk line on the way. */
		int minute = i == 700 ? 699 * 5 : i * 5;

		fprintf(in, "2014-04-%02d %02d:%02d:00,%g\n",
			1 + minute / 1440, minute / 60 % 24, minute % 60,
			i == 1000 ? 500.0 : 10.0 + (i % 7) * 0.3);
		if (i == 800)
			fprintf(in, "garbage\n");
	}
	rewind(in);
	log_set_level(LOG_ERR);
	assert_int_equal(analyzer_replay(in, "test.csv", &p, out), 0);
	rewind(out);
	assert_non_null(fgets(line, sizeof(line), out));
	assert_string_equal(line, "timestamp,value,anomaly_score,alert\n");
	while (fgets(line, sizeof(line), out) != NULL) {
		char *last = strrchr(line, ',');
		double score;

		assert_non_null(last);
		assert_int_equal(sscanf(strchr(line, ',') + 1, "%*[^,],%lf",
					&score), 1);
		assert_true(score >= 0 && score <= 1);
		if (atoi(last + 1) == 1) {
			alerts++;
			alert_row = rows;
		}
		rows++;
	}
	assert_int_equal(rows, 1500);
	assert_int_equal(alerts, 1);
	assert_int_equal(alert_row, 1000);
	fclose(in);
	fclose(out);
}

static void test_huge_line_is_skipped(void **state)
{
	struct anomaly_params p = defaults();
	FILE *in = tmpfile(), *out = tmpfile();
	char line[256];
	int rows = 0;

	(void)state;
	fprintf(in, "timestamp,value\n2014-04-01 00:00:00,1\n");
	for (int i = 0; i < 10000; i++)
		fputc('9', in);
	fprintf(in, "\n2014-04-01 00:10:00,2\n");
	rewind(in);
	assert_int_equal(analyzer_replay(in, "huge.csv", &p, out), 0);
	rewind(out);
	while (fgets(line, sizeof(line), out) != NULL)
		rows++;
	assert_int_equal(rows, 3); /* header + 2 samples */
	fclose(in);
	fclose(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_formats),
		cmocka_unit_test(test_parse_rejects_junk),
		cmocka_unit_test(test_stream_one_row_per_sample),
		cmocka_unit_test(test_huge_line_is_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
