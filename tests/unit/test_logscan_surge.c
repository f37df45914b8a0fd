/*
 * test_logscan_surge.c - error-rate surges (src/logscan/classify.c and
 * src/logscan/surge.c): a line's class from its syslog PRI, journal
 * PRIORITY or kmsg level, else its level words, with the near misses that
 * must stay quiet; the detector on steady rates, bursts, quiet logs and new
 * sources; and the counters end to end: series, one alert, masked samples,
 * the resolve, the [[logscan.surge]] settings.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/event.h"
#include "core/state.h"
#include "core/util.h"
#include "logscan/classify.h"
#include "logscan/line_format.h"
#include "logscan/mask.h"
#include "logscan/prefilter.h"
#include "logscan/rules.h"
#include "logscan/surge.h"
#include "storage/metrics.h"

#define SEC ((int64_t)USEC_PER_SEC)
#define T0  (1765000000 * SEC)

/* The level words' 4-grams alone, as the rule engine's prefilter holds them. */
static struct prefilter level_filter;

/* logscan_classify, checked against the screened path the daemon takes
 * (the prefilter's word bit, "rr"): both must agree on every line. */
static enum logscan_class classify_both(const char *text, size_t length,
					unsigned level)
{
	enum logscan_class class = logscan_classify(text, length, level);
	bool gram = (prefilter_candidates(&level_filter, text, length) &
		     PREFILTER_WORD_BIT) != 0;

	assert_int_equal(logscan_classify_screened(text, length, level, gram),
			 class);
	return class;
}

static enum logscan_class words(const char *text)
{
	return classify_both(text, strlen(text), 0);
}

/* A line as a file source sees it: PRI or kmsg level when it has one. */
static enum logscan_class file_line(const char *line)
{
	struct syslog_clock clock;
	const char *text;
	size_t length;
	int64_t t;
	unsigned level;

	syslog_clock_init(&clock, 1765000000);
	line_subject_level(line, strlen(line), &clock, &text, &length, &t,
			   &level);
	return classify_both(text, length, level);
}

static void test_priorities(void **state)
{
	(void)state;
	/* Syslog <PRI>: facility * 8 + level; the level decides alone. */
	assert_int_equal(file_line("<11>Jun 14 15:16:01 host app[1]: all good"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(file_line("<10>Jun 14 15:16:01 host app[1]: hm"),
			 LOGSCAN_CLASS_CRITICAL);
	assert_int_equal(file_line("<12>Jun 14 15:16:01 host app[1]: hm"),
			 LOGSCAN_CLASS_WARNING);
	assert_int_equal(
	    file_line("<14>Jun 14 15:16:01 host app[1]: ERROR in words only"),
	    LOGSCAN_CLASS_NONE);
	/* A kmsg record's level (err = 3, crit = 2, info = 6). */
	assert_int_equal(file_line("3,100,5000000,-;ata1: link reset"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(file_line("2,101,5000000,-;thing broke"),
			 LOGSCAN_CLASS_CRITICAL);
	assert_int_equal(file_line("6,102,5000000,-;ERROR but info level"),
			 LOGSCAN_CLASS_NONE);
	/* Without a PRI the words decide. */
	assert_int_equal(
	    file_line("Jun 14 15:16:01 host app[1]: ERROR: payment failed"),
	    LOGSCAN_CLASS_ERROR);
	/* The journal hands PRIORITY 0-4 as level + 1, nothing above. */
	assert_int_equal(logscan_classify("app: fine", 9, 4),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(logscan_classify("app: fine", 9, 1),
			 LOGSCAN_CLASS_CRITICAL);
	assert_int_equal(logscan_classify("app: fine", 9, 5),
			 LOGSCAN_CLASS_WARNING);
	assert_int_equal(logscan_classify("app: fine", 9, 7),
			 LOGSCAN_CLASS_NONE);
}

static void test_words(void **state)
{
	(void)state;
	assert_int_equal(words("ERROR: payment failed for order 17"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("2026-12-06 12:00:01 [ERROR] db down"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("app[12]: Error opening /srv/data"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("time=1 level=error msg=\"boom\""),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("{\"level\":\"error\",\"msg\":\"x\"}"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("error: cannot open file"), LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("git: fatal: not a git repository"),
			 LOGSCAN_CLASS_CRITICAL);
	assert_int_equal(words("<err> something"), LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("E 12:00 ERR connection reset"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("FATAL: the database system is shutting down"),
			 LOGSCAN_CLASS_CRITICAL);
	assert_int_equal(words("panic: runtime error: index out of range"),
			 LOGSCAN_CLASS_CRITICAL);
	assert_int_equal(words("Kernel PANIC - not syncing"),
			 LOGSCAN_CLASS_CRITICAL);
	assert_int_equal(words("[CRIT] disk array degraded"),
			 LOGSCAN_CLASS_CRITICAL);
	assert_int_equal(words("Traceback (most recent call last):"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("ValueError: invalid literal for int()"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("Exception in thread \"main\" "
			       "java.lang.NullPointerException"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("at java.lang.IllegalStateException: x"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("SEVERE: Servlet.service() threw"),
			 LOGSCAN_CLASS_ERROR);
	assert_int_equal(words("WARN low disk"), LOGSCAN_CLASS_WARNING);
	assert_int_equal(words("[warning] cache miss ratio high"),
			 LOGSCAN_CLASS_WARNING);
	/* The most severe word wins. */
	assert_int_equal(words("WARNING: retrying after ERROR; FATAL soon"),
			 LOGSCAN_CLASS_CRITICAL);
}

static void test_near_misses(void **state)
{
	static const char *const quiet[] = {
	    "backup done: 0 errors, 0 warnings",
	    "no errors found",
	    "php: ERROR_REPORTING=off",
	    "nginx: open() /var/log/nginx/error_log ok",
	    "rotated /var/log/nginx/error.log",
	    "error_count=0 retries=3",
	    "ERROR=0 WARN=0",
	    "loaded module on-error-retry",
	    "{\"error\":null,\"status\":\"ok\"}",
	    "the last error was cleared",
	    "terror in the errands",
	    "Errors: none",
	    "exceptional results",
	    "lastError is nil",
	    "GET /api/errors 200",
	    "GET /static/fatal.png 200",
	    "user critical_path=true",
	    "debug: traceback disabled",
	    "",
	    "e",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		enum logscan_class c = words(quiet[i]);

		if (c != LOGSCAN_CLASS_NONE)
			fail_msg("'%s' was classed %s", quiet[i],
				 logscan_class_name(c));
	}
}

static const struct surge_params defaults = {
    .enabled = true,
    .window_secs = 60,
    .warmup_secs = 900,
    .baseline_secs = 3600,
    .min_lines = 30,
    .factor = 5,
    .cold_lines = 300,
};

/* Feeds `per_tick` lines a tick for `ticks` ticks of 1 s from *now;
 * returns how many fired and resolved. */
static void run(struct surge_detector *d, const struct surge_params *p,
		int64_t *now, int ticks, unsigned per_tick, int *fired,
		int *resolved)
{
	struct surge_reading r;

	for (int i = 0; i < ticks; i++) {
		d->total += per_tick;
		*now += SEC;
		switch (logscan_surge_step(d, p, *now, &r)) {
		case SURGE_FIRE:
			(*fired)++;
			break;
		case SURGE_RESOLVE:
			(*resolved)++;
			break;
		default:
			break;
		}
	}
}

/*
 * The screen never hides a level word: each word and class name, in three
 * spellings, at the start, the end and inside lines of every length around
 * the 8-byte windows, beside every byte that can bound a word; and lines
 * with none of them cost no word walk.
 */
static void test_screen(void **state)
{
	static const char *const found[] = {
	    "err",	 "crit",      "warn",	   "error",   "fatal",
	    "panic",	 "emerg",     "severe",	   "warning", "critical",
	    "exception", "traceback", "emergency", "IOError", "KeyException",
	};
	char line[96], word[16];

	(void)state;
	/* "err" where a level stands, its "rr" at every offset of the screen's
	 * 16- and 8-byte steps, across them too. */
	for (size_t pad = 0; pad < 48; pad++) {
		static const char *const levels[] = {
		    " level=err and a tail past the next block",
		    " [err] and a tail past the next block",
		    " err: and a tail past the next block"};

		for (size_t k = 0; k < 3; k++) {
			size_t n = strlen(levels[k]);

			memset(line, 'x', pad);
			memcpy(line + pad, levels[k], n);
			assert_int_equal(classify_both(line, pad + n, 0),
					 LOGSCAN_CLASS_ERROR);
		}
	}
	for (size_t w = 0; w < sizeof(found) / sizeof(found[0]); w++) {
		for (int spelling = 0; spelling < 3; spelling++) {
			size_t n = strlen(found[w]);

			for (size_t i = 0; i < n; i++) {
				char c = found[w][i];

				if (spelling == 1 || (spelling == 2 && i == 0))
					c = (char)(c & ~0x20);
				word[i] = c;
			}
			word[n] = '\0';
			for (int b = 1; b < 256; b++) {
				for (size_t pad = 0; pad < 40; pad++) {
					size_t at = 0;

					memset(line, 'x', pad);
					at = pad;
					line[at++] = (char)b;
					memcpy(line + at, word, n);
					at += n;
					line[at++] = (char)b;
					classify_both(line, at, 0);
					classify_both(line + pad, at - pad, 0);
					classify_both(line + pad + 1,
						      at - pad - 1, 0);
					classify_both(line + pad + 1, n, 0);
				}
			}
		}
	}
	/* The bench's line: no level word, no walk, still NONE. */
	assert_int_equal(words("app[42]: GET /index.html 200 0.004 request 7 "
			       "served"),
			 LOGSCAN_CLASS_NONE);
	assert_false(
	    prefilter_candidates(&level_filter, "app[42]: GET / 200", 18) &
	    PREFILTER_WORD_BIT);
}

static void test_detector(void **state)
{
	struct surge_detector d;
	int64_t now = T0;
	int fired = 0, resolved = 0;

	(void)state;
	/* A steady 1 error/s from the start: never a surge, cold or warm. */
	memset(&d, 0, sizeof(d));
	run(&d, &defaults, &now, 3600, 1, &fired, &resolved);
	assert_int_equal(fired, 0);
	assert_true(fabs(d.baseline - 60) < 1);

	/* 500 in 60 s on top of it, once warm: one alert... */
	run(&d, &defaults, &now, 60, 9, &fired, &resolved);
	assert_int_equal(fired, 1);
	assert_int_equal(resolved, 0);
	/* ...which resolves once the rate is back, and nothing more. */
	run(&d, &defaults, &now, 300, 1, &fired, &resolved);
	assert_int_equal(fired, 1);
	assert_int_equal(resolved, 1);

	/* A quiet log with 3 errors in a burst: below min_lines. */
	memset(&d, 0, sizeof(d));
	fired = resolved = 0;
	run(&d, &defaults, &now, 1200, 0, &fired, &resolved);
	d.total += 3;
	run(&d, &defaults, &now, 60, 0, &fired, &resolved);
	assert_int_equal(fired, 0);
	/* The same log, 40 errors in a minute: relative and absolute. */
	run(&d, &defaults, &now, 40, 1, &fired, &resolved);
	assert_int_equal(fired, 1);
	run(&d, &defaults, &now, 120, 0, &fired, &resolved);
	assert_int_equal(resolved, 1);
}

static void test_cold_source(void **state)
{
	struct surge_detector d;
	int64_t now = T0;
	int fired = 0, resolved = 0;
	struct surge_reading r;

	(void)state;
	/* New source: 100 lines a minute is no surge yet (cold limit 300)... */
	memset(&d, 0, sizeof(d));
	run(&d, &defaults, &now, 120, 2, &fired, &resolved);
	assert_int_equal(fired, 0);
	/* ...500 in 60 s is. */
	memset(&d, 0, sizeof(d));
	run(&d, &defaults, &now, 5, 0, &fired, &resolved);
	run(&d, &defaults, &now, 60, 9, &fired, &resolved);
	assert_int_equal(fired, 1);
	logscan_surge_step(&d, &defaults, now + SEC, &r);
	assert_false(r.warm);
	assert_true(r.threshold == 300);
	/* A source that always logs 10/s alerts once while cold, and the
	 * alert resolves once the warm baseline has learnt its normal. */
	memset(&d, 0, sizeof(d));
	fired = resolved = 0;
	run(&d, &defaults, &now, 1200, 10, &fired, &resolved);
	assert_int_equal(fired, 1);
	assert_int_equal(resolved, 1);
	run(&d, &defaults, &now, 3600, 10, &fired, &resolved);
	assert_int_equal(fired, 1);
}

static void test_slow_ticks(void **state)
{
	struct surge_detector d;
	struct surge_reading r;
	int64_t now = T0;

	(void)state;
	/* 10-second ticks: the window still spans 60 s. */
	memset(&d, 0, sizeof(d));
	logscan_surge_step(&d, &defaults, now, &r);
	for (int i = 0; i < 20; i++) {
		d.total += 10;
		now += 10 * SEC;
		logscan_surge_step(&d, &defaults, now, &r);
	}
	assert_true(r.lines >= 60 && r.lines <= 70);
	assert_true(fabs(r.rate - 1) < 1e-9);
}

/* ---- the counters end to end ---- */

static struct alert_event events[8];
static char summaries[8][512], details[8][512], labels[8][160];
static size_t event_count;

static int accept(const struct alert_event *event, void *context)
{
	(void)context;
	if (event_count < 8) {
		events[event_count] = *event;
		string_copy(summaries[event_count], event->summary, 512);
		string_copy(details[event_count],
			    event->detail ? event->detail : "", 512);
		string_copy(labels[event_count], event->labels, 160);
	}
	event_count++;
	return 0;
}

static int sync_events(void *context)
{
	(void)context;
	return 0;
}

/* The configuration from toml, and a masker of its mask_patterns. */
static void load(const char *toml, struct config **config,
		 struct masker **masker)
{
	char error[256];

	assert_int_equal(config_load_text("test", toml, strlen(toml), config),
			 0);
	assert_int_equal(masker_new(&(*config)->logscan.mask_patterns, masker,
				    error, sizeof(error)),
			 0);
}

static void feed(struct logscan_surge *surge, uint8_t pattern, int64_t usec,
		 const char *text)
{
	struct log_record record = {
	    .source = LOGSCAN_SOURCE_FILE,
	    .origin = "/var/log/app.log",
	    .text = text,
	    .length = strlen(text),
	    .time_sec = usec / SEC,
	    .pattern = pattern,
	};

	logscan_surge_count(surge, &record, true);
}

static void test_counters(void **state)
{
	static const char toml[] =
	    "[logscan]\n"
	    "kmsg = false\n"
	    "files = [\"/var/log/app.log\", \"/var/log/quiet/*.log\"]\n"
	    "[[logscan.surge]]\n"
	    "source = \"/var/log/quiet/*\"\n"
	    "enabled = false\n";
	const struct event_sink sink = {accept, sync_events, NULL};
	struct config *config;
	struct metric_registry *metrics = metrics_new(64, 16);
	struct masker *masker;
	struct logscan_surge *surge, *reloaded;
	struct surge_params params;
	char line[128];
	int64_t now = (int64_t)now_realtime_usec();
	int id;
	double value;
	int64_t t;

	(void)state;
	load(toml, &config, &masker);
	logscan_surge_params(&config->logscan, "/var/log/quiet/*.log", &params);
	assert_false(params.enabled);
	logscan_surge_params(&config->logscan, "journal", &params);
	assert_true(params.enabled && params.window_secs == 60 &&
		    params.min_lines == 30 && params.factor == 5 &&
		    params.cold_lines == 300 && params.warmup_secs == 900);
	assert_int_equal(
	    logscan_surge_new(&config->logscan, metrics, masker, NULL, &surge),
	    0);
	/* Three series per source: journal and two files entries. */
	id = metrics_register(metrics, SURGE_SERIES,
			      "severity=error,source=/var/log/app.log");
	assert_true(id >= 0);
	assert_true(metrics_register(metrics, SURGE_SERIES,
				     "severity=critical,source=journal") >= 0);
	event_set_sink(&sink);
	event_count = 0;
	logscan_surge_tick(surge, now);
	for (int s = 1; s <= 60; s++) {
		for (int k = 0; k < 9; k++) {
			snprintf(line, sizeof(line),
				 "ERROR: payment failed for order %d "
				 "password=hunter2",
				 s * 10 + k);
			feed(surge, 0, now + s * SEC, line);
			feed(surge, 1, now + s * SEC,
			     line); /* surge off here */
		}
		feed(surge, 0, now + s * SEC, "INFO all fine");
		logscan_surge_tick(surge, now + s * SEC);
	}
	assert_int_equal(event_count, 1);
	assert_true(events[0].firing);
	assert_int_equal(events[0].nature, ALERT_METRIC);
	assert_int_equal(events[0].severity, ALERT_WARNING);
	assert_string_equal(events[0].rule, "log_surge");
	assert_string_equal(labels[0],
			    "severity=error,source=/var/log/app.log");
	assert_true(events[0].count >= 300);
	assert_non_null(strstr(summaries[0], "/var/log/app.log"));
	/* Three samples, masked. */
	assert_non_null(
	    strstr(details[0], "  ERROR: payment failed for order"));
	assert_null(strstr(details[0], "hunter2"));
	assert_int_equal(strlen(details[0]) > 0, 1);
	assert_true(metrics_value_back(metrics, id, 0, &t, &value));
	assert_true(fabs(value - 9) < 1e-9);

	/* A reload keeps the firing surge; the quiet one stops. */
	assert_int_equal(logscan_surge_new(&config->logscan, metrics, masker,
					   surge, &reloaded),
			 0);
	logscan_surge_free(surge);
	surge = reloaded;
	for (int s = 61; s <= 200 && event_count < 2; s++)
		logscan_surge_tick(surge, now + s * SEC);
	assert_int_equal(event_count, 2);
	assert_false(events[1].firing);
	assert_non_null(strstr(summaries[1], "back to normal"));

	/* Lines older than a window (a file read from its start) are not
	 * counted. */
	{
		struct log_record old = {
		    .source = LOGSCAN_SOURCE_FILE,
		    .text = "ERROR old",
		    .length = 9,
		    .time_sec = 1000,
		};
		for (int k = 0; k < 1000; k++)
			logscan_surge_count(surge, &old, true);
		logscan_surge_tick(surge, now + 201 * SEC);
		assert_int_equal(event_count, 2);
	}
	event_set_sink(NULL);
	logscan_surge_free(surge);
	masker_free(masker);
	metrics_free(metrics);
	config_free(config);
}

/* A glob of files is one source; its samples name their file. */
static void test_glob_samples(void **state)
{
	static const char toml[] = "[logscan]\n"
				   "kmsg = false\n"
				   "journal = false\n"
				   "files = [\"/srv/*/app.log\"]\n"
				   "surge_samples = 2\n";
	const struct event_sink sink = {accept, sync_events, NULL};
	struct config *config;
	struct masker *masker;
	struct logscan_surge *surge;
	int64_t now = (int64_t)now_realtime_usec();

	(void)state;
	load(toml, &config, &masker);
	assert_int_equal(
	    logscan_surge_new(&config->logscan, NULL, masker, NULL, &surge), 0);
	event_set_sink(&sink);
	event_count = 0;
	logscan_surge_tick(surge, now);
	for (int s = 1; s <= 60 && event_count == 0; s++) {
		struct log_record record = {
		    .source = LOGSCAN_SOURCE_FILE,
		    .origin = "/srv/shop/app.log",
		    .text = "FATAL: out of stock",
		    .length = 19,
		    .time_sec = (now + s * SEC) / SEC,
		};

		for (int k = 0; k < 20; k++)
			logscan_surge_count(surge, &record, true);
		logscan_surge_tick(surge, now + s * SEC);
	}
	assert_int_equal(event_count, 1);
	assert_int_equal(events[0].severity, ALERT_CRITICAL);
	assert_string_equal(labels[0],
			    "severity=critical,source=/srv/*/app.log");
	assert_string_equal(details[0], "  app.log: FATAL: out of stock\n"
					"  app.log: FATAL: out of stock");
	event_set_sink(NULL);
	logscan_surge_free(surge);
	masker_free(masker);
	config_free(config);
}

/* A source that always logs 10 errors a second: after a restart with its
 * saved baseline it stays quiet; without it, cold, it alerts once. */
static void test_restart(void **state)
{
	static const char toml[] = "[logscan]\n"
				   "kmsg = false\n"
				   "journal = false\n"
				   "files = [\"/var/log/busy.log\"]\n";
	const struct event_sink sink = {accept, sync_events, NULL};
	char dir[] = "/tmp/test_logscan_surge.XXXXXX";
	struct config *config;
	struct masker *masker;
	struct logscan_surge *surge;
	int64_t now = (int64_t)now_realtime_usec();
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	fd = state_dir_open(dir);
	assert_true(fd >= 0);
	load(toml, &config, &masker);
	event_set_sink(&sink);
	for (int round = 0; round < 3; round++) {
		/* 0: cold, learns; 1: restored, warm; 2: file gone, cold. */
		int seconds = round == 0 ? 1000 : 120;

		assert_int_equal(logscan_surge_new(&config->logscan, NULL,
						   masker, NULL, &surge),
				 0);
		if (round == 2)
			unlinkat(fd, SURGE_STATE_FILE, 0);
		logscan_surge_restore(surge, fd);
		event_count = 0;
		logscan_surge_tick(surge, now);
		for (int s = 1; s <= seconds; s++) {
			for (int k = 0; k < 10; k++)
				feed(surge, 0, now + s * SEC, "ERROR: busy");
			logscan_surge_tick(surge, now + s * SEC);
		}
		now += (seconds + 10) * SEC;
		if (round == 1)
			assert_int_equal(event_count, 0);
		else
			assert_true(event_count >= 1 && events[0].firing);
		assert_int_equal(logscan_surge_save(surge, fd), 0);
		logscan_surge_free(surge);
	}
	event_set_sink(NULL);
	unlinkat(fd, SURGE_STATE_FILE, 0);
	close(fd);
	rmdir(dir);
	masker_free(masker);
	config_free(config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_priorities),
	    cmocka_unit_test(test_words),
	    cmocka_unit_test(test_near_misses),
	    cmocka_unit_test(test_screen),
	    cmocka_unit_test(test_detector),
	    cmocka_unit_test(test_cold_source),
	    cmocka_unit_test(test_slow_ticks),
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_glob_samples),
	    cmocka_unit_test(test_restart),
	};

	prefilter_init(&level_filter);
	for (size_t i = 0; i < LOGSCAN_LEVEL_GRAMS; i++)
		prefilter_add_word_gram(&level_filter, logscan_level_grams[i]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
