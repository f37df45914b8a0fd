/*
 * test_analyzer.c - the per-tick evaluation over the metric registry: which
 * detectors a series gets (thresholds by name, anomaly by glob, overrides),
 * the alert it produces (rule, sentence, firing then resolved), series not
 * updated this tick are left alone, a reused slot starts from scratch, and
 * detector state goes to and comes back from the blob store by series name.
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
#include <unistd.h>

#include "analyzer/analyzer.h"
#include "core/blobstore.h"
#include "core/event.h"
#include "core/log.h"
#include "storage/metrics.h"
#include "stderr_capture.h"

#define SEC 1000000LL
#define T0 (1700000000LL * SEC)

struct captured {
	int count;
	struct {
		char rule[48], series[64], labels[64], summary[512];
		char detail[512];
		uint64_t time_usec, since_usec;
		bool firing;
		enum alert_severity severity;
		double value, score;
		uint32_t history_count;
		double history[ALERT_EVENT_HISTORY_MAX];
	} e[16];
};

static int capture(const struct alert_event *event, void *context)
{
	struct captured *c = context;

	if (c->count < 16) {
		snprintf(c->e[c->count].rule, 48, "%s", event->rule);
		snprintf(c->e[c->count].series, 64, "%s", event->series);
		snprintf(c->e[c->count].labels, 64, "%s", event->labels);
		snprintf(c->e[c->count].summary, 512, "%s", event->summary);
		c->e[c->count].firing = event->firing;
		c->e[c->count].time_usec = event->time_usec;
		c->e[c->count].since_usec = event->since_usec;
		c->e[c->count].value = event->value;
		c->e[c->count].score = event->score;
		c->e[c->count].severity = event->severity;
		snprintf(c->e[c->count].detail, 512, "%s",
			 event->detail ? event->detail : "");
		c->e[c->count].history_count = event->history_count;
		if (event->history_count > 0)
			memcpy(c->e[c->count].history, event->history,
			       event->history_count * sizeof(double));
	}
	c->count++;
	return 0;
}

static struct config *load(const char *text)
{
	char path[] = "/tmp/test_analyzer_XXXXXX";
	int fd = mkstemp(path);
	struct config *config = NULL;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(config_load(path, true, &config), 0);
	unlink(path);
	return config;
}

static void test_threshold_alert_fires_and_resolves(void **state)
{
	struct config *config = config_defaults();
	struct metric_registry *r = metrics_new(4, 8);
	struct analyzer *a = analyzer_new(config, 4);
	struct captured c = { 0 };
	int id = metrics_register(r, "cpu.usage_percent", "");

	(void)state;
	analyzer_set_sink(a, capture, &c);
	for (int i = 0; i < 30; i++) {
		int64_t now = T0 + i * 10 * SEC;
		/* 10 minutes calm, 2 minutes at 97%, then calm again. */
		double v = i >= 12 && i < 24 ? 97 : 20 + (i % 3);

		metrics_push(r, id, now, v);
		analyzer_evaluate(a, r, now);
	}
	assert_int_equal(c.count, 2);
	assert_string_equal(c.e[0].rule, "cpu_percent");
	assert_true(c.e[0].firing);
	assert_non_null(strstr(c.e[0].summary, "CPU usage is 97%, above the "
					       "90% limit for at least 1m"));
	/* Since the breach began (tick 12), a minute before it fired. */
	assert_int_equal(c.e[0].since_usec, T0 + 12 * 10 * SEC);
	assert_int_equal(c.e[0].time_usec - c.e[0].since_usec, 60 * SEC);
	assert_false(c.e[1].firing);
	assert_non_null(strstr(c.e[1].summary, "back to"));
	analyzer_free(a);
	metrics_free(r);
	config_free(config);
}

/* Feeds a spike at tick 400 to every series in the registry. */
static void spike_all(struct analyzer *a, struct metric_registry *r,
		      const int *ids, size_t n)
{
	for (int i = 0; i < 500; i++) {
		int64_t now = T0 + i * 10 * SEC;

		for (size_t k = 0; k < n; k++)
			metrics_push(r, ids[k], now,
				     i == 400 ? 1e6 : 100 + (i * 7 % 5));
		analyzer_evaluate(a, r, now);
	}
}

static void test_override_turns_anomaly_off_by_glob(void **state)
{
	struct config *config = load(
		"[analyzer]\n"
		"anomaly_series = [\"*\"]\n"
		"[[analyzer.override]]\n"
		"series = \"net.*\"\n"
		"anomaly = false\n"
		"[[analyzer.override]]\n"
		"series = \"app.latency{route=/slow*}\"\n"
		"z_alert = 50.0\n"
		"min_deviation = 7.5\n");
	struct metric_registry *r = metrics_new(4, 8);
	struct analyzer *a = analyzer_new(config, 4);
	struct captured c = { 0 };
	int ids[3];
	struct anomaly_params p;

	(void)state;
	ids[0] = metrics_register(r, "net.rx_bytes_per_sec", "interface=eth0");
	ids[1] = metrics_register(r, "app.latency", "route=/api");
	ids[2] = metrics_register(r, "app.latency", "route=/slow/report");
	assert_true(analyzer_anomaly_params(&config->analyzer, "app.latency",
					    "route=/slow/report", &p));
	assert_true(p.z_alert == 50.0);
	assert_true(p.min_deviation == 7.5);
	assert_true(analyzer_anomaly_params(&config->analyzer, "app.latency",
					    "route=/api", &p));
	assert_true(p.min_deviation == 0);
	assert_false(analyzer_anomaly_params(&config->analyzer, "net.rx",
					     "", &p));
	analyzer_set_sink(a, capture, &c);
	log_set_level(LOG_ERR);
	spike_all(a, r, ids, 3);
	/* Both app.latency series alert once (the spike is enormous); the
	 * network series, turned off, never does. */
	{
		int fires = 0;

		for (int i = 0; i < c.count && i < 16; i++) {
			assert_string_equal(c.e[i].rule, "anomaly");
			assert_string_equal(c.e[i].series, "app.latency");
			fires += c.e[i].firing;
		}
		assert_int_equal(fires, 2);
	}
	assert_non_null(strstr(c.e[0].summary, "higher than anything seen"));
	assert_true(c.e[0].value == 1e6);
	assert_true(c.e[0].score >= 0.5 && c.e[0].score <= 1);
	analyzer_free(a);
	metrics_free(r);
	config_free(config);
}

static void test_stale_series_skipped_and_reused_slot_reset(void **state)
{
	struct config *config = config_defaults();
	struct metric_registry *r = metrics_new(2, 8);
	struct analyzer *a = analyzer_new(config, 2);
	struct captured c = { 0 };
	int id = metrics_register(r, "disk.used_percent", "mount=/a"), id2;

	(void)state;
	analyzer_set_sink(a, capture, &c);
	metrics_push(r, id, T0, 95);
	for (int i = 1; i < 20; i++)
		/* The disk sample is from T0 only: not updated since. */
		analyzer_evaluate(a, r, T0 + i * 10 * SEC);
	assert_int_equal(c.count, 0);
	/* Breach for 60 s: fires. */
	for (int i = 0; i <= 6; i++) {
		metrics_push(r, id, T0 + (100 + i * 10) * SEC, 95);
		analyzer_evaluate(a, r, T0 + (100 + i * 10) * SEC);
	}
	assert_int_equal(c.count, 1);
	/* The mount goes away; a new one takes the slot, at 50%. */
	metrics_retire(r, id);
	analyzer_evaluate(a, r, T0 + 200 * SEC);
	id2 = metrics_register(r, "disk.used_percent", "mount=/b");
	assert_int_equal(id2, id);
	metrics_push(r, id2, T0 + 210 * SEC, 50);
	analyzer_evaluate(a, r, T0 + 210 * SEC);
	/* No "resolved" for /b: it never fired; its state is its own. */
	assert_int_equal(c.count, 1);
	analyzer_free(a);
	metrics_free(r);
	config_free(config);
}

/* Every metric alert carries its series' recent values, oldest first. */
static void test_alert_carries_history(void **state)
{
	struct config *config = config_defaults();
	struct metric_registry *r = metrics_new(4, 64);
	struct analyzer *a = analyzer_new(config, 4);
	struct captured c = {0};
	int id = metrics_register(r, "memory.used_percent", "");

	(void)state;
	analyzer_set_sink(a, capture, &c);
	for (int i = 0; i < 40; i++) {
		int64_t now = T0 + i * 10 * SEC;

		metrics_push(r, id, now, i < 20 ? 50 + i : 95);
		analyzer_evaluate(a, r, now);
	}
	assert_true(c.count >= 1);
	assert_true(c.e[0].firing);
	/* Fired at tick 26 (60 s after the breach began at tick 20): the
	 * 27 samples so far, oldest first. */
	assert_int_equal(c.e[0].history_count, 27);
	assert_true(c.e[0].history[26] == 95);
	assert_true(c.e[0].history[19] == 69);
	assert_true(c.e[0].history[0] == 50);
	analyzer_free(a);
	metrics_free(r);
	config_free(config);
}

/* /var alerts at its own 80 % while / keeps the default 90 %. */
static void test_override_per_mount(void **state)
{
	struct config *config = load("[[thresholds.override]]\n"
				     "metric = \"disk.used_percent\"\n"
				     "mount = \"/var\"\n"
				     "warning = 80.0\n"
				     "critical = 95.0\n");
	struct metric_registry *r = metrics_new(4, 16);
	struct analyzer *a = analyzer_new(config, 4);
	struct captured c = {0};
	int var =
	    metrics_register(r, "disk.used_percent", "device=sda2,mount=/var");
	int root =
	    metrics_register(r, "disk.used_percent", "device=sda1,mount=/");

	(void)state;
	analyzer_set_sink(a, capture, &c);
	for (int i = 0; i < 20; i++) {
		int64_t now = T0 + i * 10 * SEC;

		metrics_push(r, var, now, 85);
		metrics_push(r, root, now, i < 10 ? 85 : 91);
		analyzer_evaluate(a, r, now);
	}
	assert_int_equal(c.count, 2);
	assert_string_equal(c.e[0].labels, "device=sda2,mount=/var");
	assert_string_equal(c.e[0].rule, "disk_percent");
	assert_int_equal(c.e[0].severity, ALERT_WARNING);
	assert_non_null(strstr(c.e[0].summary, "above the 80% limit"));
	/* / only once it passed its 90 %, 60 s later. */
	assert_string_equal(c.e[1].labels, "device=sda1,mount=/");
	assert_non_null(strstr(c.e[1].summary, "above the 90% limit"));
	analyzer_free(a);
	metrics_free(r);
	config_free(config);
}

/* A value just past its limit never reads the same as the limit: "11 MiB,
 * above the 11 MiB limit" would hide what crossed it. */
static void test_close_value_and_limit_read_apart(void **state)
{
	struct config *config = load("[[thresholds.override]]\n"
				     "metric = \"memory.used_bytes\"\n"
				     "warning = 11534336.0\n"
				     "for_secs = 10\n");
	struct metric_registry *r = metrics_new(4, 16);
	struct analyzer *a = analyzer_new(config, 4);
	struct captured c = {0};
	int id = metrics_register(r, "memory.used_bytes", "");

	(void)state;
	analyzer_set_sink(a, capture, &c);
	for (int i = 0; i < 5; i++) {
		int64_t now = T0 + i * 10 * SEC;

		metrics_push(r, id, now, 11534336.0 + 20000);
		analyzer_evaluate(a, r, now);
	}
	assert_int_equal(c.count, 1);
	assert_true(c.e[0].firing);
	assert_non_null(strstr(c.e[0].summary,
			       "is 11.02 MiB, above the 11 MiB limit"));
	analyzer_free(a);
	metrics_free(r);
	config_free(config);
}

/* A below limit: warning, then critical, then resolved past clear. */
static void test_override_below(void **state)
{
	struct config *config = load("[[thresholds.override]]\n"
				     "metric = \"memory.available_bytes\"\n"
				     "direction = \"below\"\n"
				     "warning = 1000.0\n"
				     "critical = 500.0\n"
				     "clear = 1500.0\n"
				     "for_secs = 20\n");
	struct metric_registry *r = metrics_new(4, 16);
	struct analyzer *a = analyzer_new(config, 4);
	struct captured c = {0};
	int id = metrics_register(r, "memory.available_bytes", "");

	(void)state;
	analyzer_set_sink(a, capture, &c);
	for (int i = 0; i < 30; i++) {
		int64_t now = T0 + i * 10 * SEC;
		double v = i < 5    ? 4000
			   : i < 10 ? 800
			   : i < 15 ? 300
			   : i < 20 ? 1200
				    : 2000;

		metrics_push(r, id, now, v);
		analyzer_evaluate(a, r, now);
	}
	assert_int_equal(c.count, 4);
	assert_string_equal(c.e[0].rule, "threshold");
	assert_true(c.e[0].firing);
	assert_int_equal(c.e[0].severity, ALERT_WARNING);
	assert_non_null(strstr(c.e[0].summary, "below the 0.98 KiB limit"));
	assert_true(c.e[1].firing);
	assert_int_equal(c.e[1].severity, ALERT_CRITICAL);
	/* 1200: back above critical's clear level, still short of clear
	 * (1500): a warning again; 2000 resolves it. */
	assert_true(c.e[2].firing);
	assert_int_equal(c.e[2].severity, ALERT_WARNING);
	assert_false(c.e[3].firing);
	assert_true(c.e[3].value == 2000);
	analyzer_free(a);
	metrics_free(r);
	config_free(config);
}

/* Niced work is left out of "CPU busy": a host saturated by it is quiet. */
static void test_cpu_net_of_niced_work(void **state)
{
	struct config *config = config_defaults();
	struct metric_registry *r = metrics_new(8, 16);
	struct analyzer *a = analyzer_new(config, 8);
	struct captured c = {0};
	int usage = metrics_register(r, "cpu.usage_percent", "");
	int nice = metrics_register(r, "cpu.nice_percent", "");
	int psi = metrics_register(r, "psi.some_avg60_percent", "resource=cpu");

	(void)state;
	analyzer_set_sink(a, capture, &c);
	for (int i = 0; i < 40; i++) {
		int64_t now = T0 + i * 10 * SEC;
		bool niced = i < 20;

		metrics_push(r, usage, now, 100);
		metrics_push(r, nice, now, niced ? 98 : 0);
		metrics_push(r, psi, now, niced ? 70 : 10);
		analyzer_evaluate(a, r, now);
	}
	/* Un-niced from tick 20: a warning only, PSI is low. */
	assert_int_equal(c.count, 1);
	assert_string_equal(c.e[0].rule, "cpu_percent");
	assert_int_equal(c.e[0].severity, ALERT_WARNING);
	analyzer_free(a);
	metrics_free(r);
	config_free(config);
}

static void test_bad_override_is_a_config_error(void **state)
{
	static const char *const bad[] = {
	    "[[thresholds.override]]\nmetric = \"x\"\n",
	    "[[thresholds.override]]\nmetric = \"x\"\nwarning = 90.0\n"
	    "critical = 80.0\n",
	    "[[thresholds.override]]\nmetric = \"x\"\nwarning = 10.0\n"
	    "direction = \"below\"\nclear = 5.0\n",
	    "[[thresholds.override]]\nmetric = \"x\"\nwarning = 10.0\n"
	    "direction = \"sideways\"\n",
	    "[[thresholds.override]]\nwarning = 10.0\n",
	};
	struct config *config = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    config_load_text("t.toml", bad[i], strlen(bad[i]), &config),
		    -EINVAL);
}

static void test_shipped_example_matches_defaults(void **state)
{
	struct config *example = NULL, *defaults = config_defaults();
	struct anomaly_params a, b;

	(void)state;
	assert_int_equal(config_load("etc/sysops-agent.toml", true, &example),
			 0);
	analyzer_anomaly_params(&example->analyzer, "x", "", &a);
	analyzer_anomaly_params(&defaults->analyzer, "x", "", &b);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_equal(&example->analyzer.thresholds,
			    &defaults->analyzer.thresholds,
			    sizeof(struct thresholds_config));
	config_free(example);
	config_free(defaults);
}

/* ---- warm restarts through the blob store ---- */

/* A store in memory: up to 4 series, by name + labels. */
struct memory_store {
	int saves, loads, fail_with;
	int fail_after; /* with fail_with: the saves that still succeed */
	size_t count;
	struct {
		char key[96];
		unsigned char blob[ANALYZER_STATE_MAX];
		size_t length;
	} entry[4];
};

static int memory_save(void *context, const char *name, const char *labels,
		       const void *blob, size_t length)
{
	struct memory_store *m = context;
	char key[96];
	size_t i;

	m->saves++;
	if (m->fail_with && m->saves > m->fail_after)
		return -m->fail_with;
	snprintf(key, sizeof(key), "%s{%s}", name, labels);
	for (i = 0; i < m->count && strcmp(m->entry[i].key, key) != 0; i++)
		;
	assert_true(i < 4 && length <= ANALYZER_STATE_MAX);
	if (i == m->count)
		m->count++;
	snprintf(m->entry[i].key, sizeof(m->entry[i].key), "%s", key);
	memcpy(m->entry[i].blob, blob, length);
	m->entry[i].length = length;
	return 0;
}

static int memory_load(void *context, const char *name, const char *labels,
		       void *out, size_t size)
{
	struct memory_store *m = context;
	char key[96];

	m->loads++;
	snprintf(key, sizeof(key), "%s{%s}", name, labels);
	for (size_t i = 0; i < m->count; i++) {
		if (strcmp(m->entry[i].key, key) != 0)
			continue;
		if (m->entry[i].length > size)
			return -EMSGSIZE;
		memcpy(out, m->entry[i].blob, m->entry[i].length);
		return (int)m->entry[i].length;
	}
	return -ENOENT;
}

static void feed_wave(struct analyzer *a, struct metric_registry *r, int id,
		      int from, int to)
{
	for (int i = from; i < to; i++) {
		int64_t now = T0 + i * 10 * SEC;

		metrics_push(r, id, now, 50 + 10 * sin(i / 7.0) + (i % 5));
		analyzer_evaluate(a, r, now);
	}
}

static void test_state_goes_through_the_blob_store(void **state)
{
	struct config *config = load("[analyzer]\n"
				     "anomaly_series = [\"app.latency_ms\"]\n");
	struct memory_store m = { 0 };
	struct blobstore store = { memory_save, memory_load, &m, 300, 0 };
	struct metric_registry *r1 = metrics_new(4, 64);
	struct metric_registry *r2 = metrics_new(4, 64);
	struct metric_registry *r3 = metrics_new(4, 64);
	struct analyzer *before = analyzer_new(config, 4);
	struct analyzer *after = analyzer_new(config, 4);
	struct analyzer *cold = analyzer_new(config, 4);
	unsigned char x[ANALYZER_STATE_MAX], y[ANALYZER_STATE_MAX];
	int id1 = metrics_register(r1, "app.latency_ms", "");
	int id2, id3, n;
	struct captured c = { 0 };

	(void)state;
	analyzer_set_sink(before, capture, &c);
	analyzer_set_sink(after, capture, &c);
	analyzer_set_sink(cold, capture, &c);
	feed_wave(before, r1, id1, 0, 200);
	assert_int_equal(analyzer_save_states(before, r1, &store), 1);
	assert_int_equal(m.count, 1);
	/* Another process: other ids, the same series; it asks at bind. */
	metrics_register(r2, "other.series", "");
	id2 = metrics_register(r2, "app.latency_ms", "");
	id3 = metrics_register(r3, "app.latency_ms", "");
	blobstore_set(&store);
	feed_wave(after, r2, id2, 200, 201);
	blobstore_set(NULL);
	feed_wave(cold, r3, id3, 200, 201);
	feed_wave(before, r1, id1, 200, 201);
	assert_int_equal(m.loads, 1);
	n = analyzer_state_export(before, r1, id1, x, sizeof(x));
	/* The daily profile travels with the rest. */
	assert_true(n > SEASON_STATE_BYTES);
	assert_int_equal(analyzer_state_export(after, r2, id2, y, sizeof(y)),
			 n);
	assert_memory_equal(x, y, (size_t)n);
	/* Without the store it starts cold: another state. */
	assert_int_equal(analyzer_state_export(cold, r3, id3, y, sizeof(y)), n);
	assert_memory_not_equal(x, y, (size_t)n);
	/* A failing store: said by the return, the rest not tried. */
	m.fail_with = EIO;
	m.saves = 0;
	assert_int_equal(analyzer_save_states(before, r1, &store), -EIO);
	assert_int_equal(m.saves, 1);
	analyzer_free(before);
	analyzer_free(after);
	analyzer_free(cold);
	metrics_free(r1);
	metrics_free(r2);
	metrics_free(r3);
	config_free(config);
}

static double wave_b(int i)
{
	return 80 + 5 * cos(i / 3.0) + (i % 3);
}

/*
 * Daily profiles are packed (taken lowest first, given back when a series
 * goes), not indexed by series id: with watched series among unwatched
 * ones and a retired one's profile taken by a newcomer, each series' state
 * is still exactly what it would be alone.
 */
static void test_packed_profiles_stay_with_their_series(void **state)
{
	struct config *config = load("[analyzer]\n"
				     "anomaly_series = [\"app.*\"]\n");
	struct metric_registry *r = metrics_new(8, 64);
	struct metric_registry *rb = metrics_new(2, 64);
	struct metric_registry *rc = metrics_new(2, 64);
	struct analyzer *a = analyzer_new(config, 8);
	struct analyzer *alone_b = analyzer_new(config, 2);
	struct analyzer *alone_c = analyzer_new(config, 2);
	unsigned char x[ANALYZER_STATE_MAX], y[ANALYZER_STATE_MAX];
	int other1 = metrics_register(r, "other.x", "");
	int id_a = metrics_register(r, "app.a", "");
	int other2 = metrics_register(r, "other.y", "");
	int id_b = metrics_register(r, "app.b", "");
	int b1 = metrics_register(rb, "app.b", ""), id_c = -1, c1 = -1, n;
	struct captured c = {0};

	(void)state;
	analyzer_set_sink(a, capture, &c);
	analyzer_set_sink(alone_b, capture, &c);
	analyzer_set_sink(alone_c, capture, &c);
	for (int i = 0; i < 200; i++) {
		int64_t now = T0 + i * 10 * SEC;
		double value = 50 + 10 * sin(i / 7.0) + (i % 5);

		if (i == 100) {
			/* app.a goes; app.c takes its id and its profile. */
			metrics_retire(r, id_a);
			analyzer_evaluate(a, r, now - SEC);
			id_c = metrics_register(r, "app.c", "");
			assert_int_equal(id_c, id_a);
			c1 = metrics_register(rc, "app.c", "");
		}
		metrics_push(r, other1, now, i);
		metrics_push(r, other2, now, 2 * i);
		metrics_push(r, i < 100 ? id_a : id_c, now, value);
		metrics_push(r, id_b, now, wave_b(i));
		analyzer_evaluate(a, r, now);
		metrics_push(rb, b1, now, wave_b(i));
		analyzer_evaluate(alone_b, rb, now);
		if (i >= 100) {
			metrics_push(rc, c1, now, value);
			analyzer_evaluate(alone_c, rc, now);
		}
	}
	n = analyzer_state_export(a, r, id_b, x, sizeof(x));
	assert_true(n > SEASON_STATE_BYTES);
	assert_int_equal(analyzer_state_export(alone_b, rb, b1, y, sizeof(y)),
			 n);
	assert_memory_equal(x, y, (size_t)n);
	n = analyzer_state_export(a, r, id_c, x, sizeof(x));
	assert_true(n > SEASON_STATE_BYTES);
	assert_int_equal(analyzer_state_export(alone_c, rc, c1, y, sizeof(y)),
			 n);
	assert_memory_equal(x, y, (size_t)n);
	/* The unwatched series have no slot, so no state to export. */
	assert_int_equal(analyzer_state_export(a, r, other1, x, sizeof(x)),
			 -ENOENT);
	analyzer_free(a);
	analyzer_free(alone_b);
	analyzer_free(alone_c);
	metrics_free(r);
	metrics_free(rb);
	metrics_free(rc);
	config_free(config);
}

/*
 * A blob of the format before the daily profile (the version-1 part alone,
 * as an older build saved it) still loads: the detectors come back warm,
 * the profile starts cold.
 */
static void test_state_without_a_profile_still_loads(void **state)
{
	struct config *config = load("[analyzer]\n"
				     "anomaly_series = [\"app.latency_ms\"]\n");
	struct memory_store m = { 0 };
	struct blobstore store = { memory_save, memory_load, &m, 300, 0 };
	struct metric_registry *r1 = metrics_new(4, 64);
	struct metric_registry *r2 = metrics_new(4, 64);
	struct analyzer *before = analyzer_new(config, 4);
	struct analyzer *after = analyzer_new(config, 4);
	unsigned char x[ANALYZER_STATE_MAX], y[ANALYZER_STATE_MAX];
	int id1 = metrics_register(r1, "app.latency_ms", "");
	int id2 = metrics_register(r2, "app.latency_ms", "");
	/* The profile section: magic, size, the profile. */
	size_t section = 8 + SEASON_STATE_BYTES, v1;
	int n;
	struct captured c = { 0 };

	(void)state;
	analyzer_set_sink(before, capture, &c);
	analyzer_set_sink(after, capture, &c);
	feed_wave(before, r1, id1, 0, 200);
	assert_int_equal(analyzer_save_states(before, r1, &store), 1);
	assert_true(m.entry[0].length > section);
	v1 = m.entry[0].length - section;
	m.entry[0].length = v1; /* what the older build wrote */
	blobstore_set(&store);
	feed_wave(after, r2, id2, 200, 201);
	blobstore_set(NULL);
	feed_wave(before, r1, id1, 200, 201);
	assert_int_equal(m.loads, 1);
	n = analyzer_state_export(before, r1, id1, x, sizeof(x));
	assert_int_equal(analyzer_state_export(after, r2, id2, y, sizeof(y)),
			 n);
	/* The detectors are the same; only the profile is new. */
	assert_memory_equal(x, y, v1);
	assert_memory_not_equal(x + v1, y + v1, section);
	/* A blob of another length (a future format) is not misread. */
	m.entry[0].length = v1 + 4;
	{
		struct metric_registry *r3 = metrics_new(4, 64);
		struct analyzer *cold = analyzer_new(config, 4);
		struct analyzer *fresh = analyzer_new(config, 4);
		int id3 = metrics_register(r3, "app.latency_ms", "");

		analyzer_set_sink(cold, capture, &c);
		analyzer_set_sink(fresh, capture, &c);
		blobstore_set(&store);
		feed_wave(cold, r3, id3, 200, 201);
		blobstore_set(NULL);
		n = analyzer_state_export(cold, r3, id3, x, sizeof(x));
		feed_wave(fresh, r3, id3, 200, 201);
		assert_int_equal(
		    analyzer_state_export(fresh, r3, id3, y, sizeof(y)), n);
		assert_memory_equal(x, y, (size_t)n);
		analyzer_free(cold);
		analyzer_free(fresh);
		metrics_free(r3);
	}
	analyzer_free(before);
	analyzer_free(after);
	metrics_free(r1);
	metrics_free(r2);
	config_free(config);
}

/*
 * A blob with the profile of the build before the hours' usual extremes
 * ("SSN1", 1,904 bytes): the detectors load warm, the profile is dropped
 * with a log line and relearnt; nothing is misread.
 */
static void test_older_profile_is_dropped_with_a_log_line(void **state)
{
	struct config *config = load("[analyzer]\n"
				     "anomaly_series = [\"app.latency_ms\"]\n");
	struct memory_store m = { 0 };
	struct blobstore store = { memory_save, memory_load, &m, 300, 0 };
	struct metric_registry *r1 = metrics_new(4, 64);
	struct metric_registry *r2 = metrics_new(4, 64);
	struct analyzer *before = analyzer_new(config, 4);
	struct analyzer *after = analyzer_new(config, 4);
	unsigned char x[ANALYZER_STATE_MAX], y[ANALYZER_STATE_MAX];
	int id1 = metrics_register(r1, "app.latency_ms", "");
	int id2 = metrics_register(r2, "app.latency_ms", "");
	size_t section = 8 + SEASON_STATE_BYTES, v1;
	const uint32_t old_magic = 0x314e5353u; /* "SSN1" */
	const uint32_t old_size = 1904;
	struct stderr_capture err;
	char logged[4096];
	int n, level;
	struct captured c = { 0 };

	(void)state;
	analyzer_set_sink(before, capture, &c);
	analyzer_set_sink(after, capture, &c);
	feed_wave(before, r1, id1, 0, 200);
	assert_int_equal(analyzer_save_states(before, r1, &store), 1);
	v1 = m.entry[0].length - section;
	/* What the older build wrote: its magic, its size, 1,904 bytes. */
	memcpy(m.entry[0].blob + v1, &old_magic, 4);
	memcpy(m.entry[0].blob + v1 + 4, &old_size, 4);
	m.entry[0].length = v1 + 8 + old_size;
	blobstore_set(&store);
	level = log_get_level();
	log_set_level(LOG_INFO);
	stderr_capture_begin(&err);
	feed_wave(after, r2, id2, 200, 201);
	stderr_capture_end(&err, logged, sizeof(logged));
	log_set_level(level);
	blobstore_set(NULL);
	feed_wave(before, r1, id1, 200, 201);
	assert_non_null(strstr(logged, "app.latency_ms: saved daily profile "
				       "has an older format; relearning it"));
	n = analyzer_state_export(before, r1, id1, x, sizeof(x));
	assert_int_equal(analyzer_state_export(after, r2, id2, y, sizeof(y)),
			 n);
	/* The detectors came back warm ... */
	assert_memory_equal(x, y, v1);
	/* ... and the profile started over at the first sample after it. */
	{
		struct season_state relearnt;

		memcpy(&relearnt, y + v1 + 8, sizeof(relearnt));
		assert_true(relearnt.first_usec == T0 + 200 * 10 * SEC);
		memcpy(&relearnt, x + v1 + 8, sizeof(relearnt));
		assert_true(relearnt.first_usec < T0 + 200 * 10 * SEC);
	}
	analyzer_free(before);
	analyzer_free(after);
	metrics_free(r1);
	metrics_free(r2);
	config_free(config);
}

/*
 * Idle interfaces' error rates: 0 for a day and more with ticks the
 * collector missed and a reload, a burst, 0 again, a level. Sleeping
 * series (skipped while their value stays) give every alert and every
 * saved byte that the full path gives (anomaly_shortcut off: no sleep).
 */
static double idle_rate(int i)
{
	if (i >= 9000 && i < 9010)
		return 400;
	if (i >= 14000)
		return 3;
	return 0;
}

static void test_sleeping_series_change_nothing(void **state)
{
	struct config *config = config_defaults();
	struct metric_registry *r[2] = {metrics_new(8, 64), metrics_new(8, 64)};
	struct analyzer *a[2] = {analyzer_new(config, 8),
				 analyzer_new(config, 8)};
	struct captured c[2] = {{0}, {0}};
	unsigned char x[ANALYZER_STATE_MAX], y[ANALYZER_STATE_MAX];
	/* Saves of every slot in one round: the sleeping ones created
	 * together share their replay's profile walk (a memo). */
	struct memory_store m[2] = {{0}, {0}};
	struct blobstore stores[2] = {
	    {memory_save, memory_load, &m[0], 300, 0},
	    {memory_save, memory_load, &m[1], 300, 0}};
	int ids[2][4], level = 0;
	size_t slept = 0;
	struct stderr_capture err;
	char logged[4096];

	(void)state;
	for (int k = 0; k < 2; k++) {
		analyzer_set_sink(a[k], capture, &c[k]);
		ids[k][0] = metrics_register(r[k], "net.rx_errors_per_sec",
					     "interface=a");
		ids[k][1] = metrics_register(r[k], "net.tx_drops_per_sec",
					     "interface=a");
		/* Two more idle ones, asleep and woken with the first. */
		ids[k][2] = metrics_register(r[k], "net.rx_errors_per_sec",
					     "interface=b");
		ids[k][3] = metrics_register(r[k], "net.rx_drops_per_sec",
					     "interface=b");
	}
	for (int i = 0; i < 15000; i++) {
		int64_t now = T0 + (int64_t)i * 10 * SEC + (i % 7) * 1000;

		if (i == 0) {
			level = log_get_level();
			log_set_level(LOG_INFO);
			stderr_capture_begin(&err);
		}
		if (i == 121) {
			/* Asleep from the start, it still says when its
			 * baseline is learnt at the same tick (samples). */
			const char *line = "baselines learnt (121 samples";

			stderr_capture_end(&err, logged, sizeof(logged));
			log_set_level(level);
			assert_non_null(strstr(logged, line));
			assert_non_null(strstr(strstr(logged, line) + 1, line));
			assert_true(slept > 50);
		}

		for (int k = 0; k < 2; k++) {
			/* Missed ticks: the series is not updated. */
			if (i < 3000 || i > 3005)
				metrics_push(r[k], ids[k][0], now,
					     idle_rate(i));
			/* Later: it would say "learnt" 50 ticks later. */
			if (i >= 50)
				metrics_push(r[k], ids[k][1], now,
					     i < 500 ? i % 3 : 0);
			if (i < 3000 || i > 3005) {
				metrics_push(r[k], ids[k][2], now,
					     idle_rate(i));
				metrics_push(r[k], ids[k][3], now,
					     i < 12000 ? 0 : idle_rate(i));
			}
			if (i == 5000)
				analyzer_set_config(a[k], config);
			anomaly_shortcut = k == 0;
			analyzer_evaluate(a[k], r[k], now);
		}
		anomaly_shortcut = true;
		assert_int_equal(analyzer_sleeping(a[1]), 0);
		if (i == 2999 || i == 4999 || i == 8999)
			assert_int_equal(analyzer_sleeping(a[0]), 3);
		if (i == 3000 || i == 9000)
			/* Woken the tick it missed, the tick its value
			 * changed (a reload wakes it too, at 5000); at 9000
			 * b's drops stay 0 and asleep. */
			assert_int_equal(analyzer_sleeping(a[0]),
					 i == 9000 ? 1 : 0);
		slept += analyzer_sleeping(a[0]);
		assert_int_equal(c[0].count, c[1].count);
		if (i % 997 != 996 && i != 5000 && i != 14999)
			continue;
		/* A save while asleep holds what the full path holds. */
		for (int k = 0; k < 2; k++)
			assert_int_equal(
			    analyzer_save_states(a[k], r[k], &stores[k]), 4);
		assert_int_equal(m[0].count, 4);
		assert_int_equal(m[1].count, 4);
		for (size_t e = 0; e < 4; e++) {
			assert_string_equal(m[0].entry[e].key,
					    m[1].entry[e].key);
			assert_int_equal(m[0].entry[e].length,
					 m[1].entry[e].length);
			assert_memory_equal(m[0].entry[e].blob,
					    m[1].entry[e].blob,
					    m[0].entry[e].length);
		}
		for (int s = 0; s < 4; s++) {
			int n = analyzer_state_export(a[0], r[0], ids[0][s], x,
						      sizeof(x));

			assert_int_equal(analyzer_state_export(a[1], r[1],
							       ids[1][s], y,
							       sizeof(y)),
					 n);
			assert_true(n > 0);
			assert_memory_equal(x, y, (size_t)n);
		}
	}
	/* The idle series slept through most of its first 9000 ticks; the
	 * other one, noisy at first, keeps a spread that decays for days. */
	assert_true(slept > 8000);
	assert_true(c[0].count >= 1);
	for (int e = 0; e < c[0].count && e < 16; e++) {
		assert_string_equal(c[0].e[e].summary, c[1].e[e].summary);
		assert_int_equal(c[0].e[e].time_usec, c[1].e[e].time_usec);
		assert_int_equal(c[0].e[e].firing, c[1].e[e].firing);
		assert_true(c[0].e[e].score == c[1].e[e].score);
	}
	for (int k = 0; k < 2; k++) {
		analyzer_free(a[k]);
		metrics_free(r[k]);
	}
	config_free(config);
}

/*
 * The periodic save leaves a series settled since a round that saved it
 * (an idle interface's error rate: 0, asleep) but in its turn, once every
 * refresh_rounds rounds; a series that moves, a round that failed, a
 * store that lost blobs, a reload: saved again. The stop save saves all.
 */
static void feed_two(struct analyzer *a, struct metric_registry *r,
		     const int *ids, int from, int to, double idle)
{
	for (int i = from; i < to; i++) {
		int64_t now = T0 + (int64_t)i * 10 * SEC;

		metrics_push(r, ids[0], now, idle);
		metrics_push(r, ids[1], now, 50 + 10 * sin(i / 7.0) + (i % 5));
		analyzer_evaluate(a, r, now);
	}
}

static void test_settled_series_saved_in_turn(void **state)
{
	struct config *config = config_defaults();
	struct metric_registry *r = metrics_new(4, 64);
	struct analyzer *a = analyzer_new(config, 4);
	struct memory_store m = {0};
	struct blobstore store = {memory_save, memory_load, &m, 300, 0};
	unsigned char kept[ANALYZER_STATE_MAX];
	size_t unchanged, kept_length;
	int ids[2], i = 0, idle_saves = 0;

	(void)state;
	ids[0] = metrics_register(r, "net.rx_errors_per_sec", "interface=a");
	ids[1] = metrics_register(r, "net.rx_errors_per_sec", "interface=b");
	/* Nearly a day and a half (midnight at ticks 640 and 9280, the hours
	 * start at 280 mod 360): every profile bucket has its level. */
	feed_two(a, r, ids, 0, 9100, 0);
	i = 9100;
	assert_int_equal(analyzer_sleeping(a), 1);
	/* Round 0 (turn 0): both, never saved. */
	assert_int_equal(analyzer_save_changed(a, r, &store, 12, &unchanged),
			 2);
	assert_int_equal(unchanged, 0);
	assert_int_equal(m.count, 2);
	assert_string_equal(m.entry[0].key, "net.rx_errors_per_sec{interface=a}");
	memcpy(kept, m.entry[0].blob, m.entry[0].length);
	kept_length = m.entry[0].length;
	/* Round 1, five minutes on (a new profile bucket woke it, in the
	 * same hour: still only settled steps): the moving one alone; the
	 * store keeps the idle one's blob of round 0. */
	feed_two(a, r, ids, i, i + 30, 0);
	i += 30;
	m.saves = 0;
	assert_int_equal(analyzer_save_changed(a, r, &store, 12, &unchanged),
			 1);
	assert_int_equal(unchanged, 1);
	assert_int_equal(m.saves, 1);
	assert_int_equal(m.entry[0].length, kept_length);
	assert_memory_equal(m.entry[0].blob, kept, kept_length);
	/* Rounds 2 to 12: saved in its turn (12: turn 0, its slot's) and at
	 * the first round of a new hour (7, past 9280: today's extremes of
	 * that hour take the value, which is more than counters). */
	for (int round = 2; round <= 12; round++) {
		feed_two(a, r, ids, i, i + 30, 0);
		i += 30;
		m.saves = 0;
		idle_saves +=
		    analyzer_save_changed(a, r, &store, 12, &unchanged) - 1;
		assert_int_equal(unchanged + (size_t)m.saves, 2);
	}
	assert_int_equal(idle_saves, 2);
	/* Rounds 13 to 15, in the same hour: a store that lost blobs gets
	 * both, the next round the moving one alone, after a reload both. */
	for (int round = 13; round <= 15; round++) {
		feed_two(a, r, ids, i, i + 30, 0);
		i += 30;
		if (round == 13)
			analyzer_saves_forget(a);
		if (round == 15)
			analyzer_set_config(a, config);
		assert_int_equal(
		    analyzer_save_changed(a, r, &store, 12, &unchanged),
		    round == 14 ? 1 : 2);
		assert_int_equal(unchanged, round == 14 ? 1 : 0);
	}
	/* The stop save saves every series. */
	m.saves = 0;
	assert_int_equal(analyzer_save_states(a, r, &store), 2);
	assert_int_equal(m.saves, 2);
	/* It moves once (and stays unsettled for long: its spread decays
	 * slowly): saved at the next round, which fails after its save (the
	 * other one's fails): that round marks nothing, the next saves it. */
	feed_two(a, r, ids, i, i + 1, 7);
	feed_two(a, r, ids, i + 1, i + 30, 0);
	i += 30;
	m.fail_with = EIO;
	m.fail_after = m.saves + 1;
	assert_int_equal(analyzer_save_changed(a, r, &store, 12, &unchanged),
			 -EIO);
	assert_int_equal(m.saves, m.fail_after + 1);
	m.fail_with = 0;
	m.saves = 0;
	assert_int_equal(analyzer_save_changed(a, r, &store, 12, &unchanged),
			 2);
	assert_int_equal(unchanged, 0);
	analyzer_free(a);
	metrics_free(r);
	config_free(config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_threshold_alert_fires_and_resolves),
	    cmocka_unit_test(test_override_turns_anomaly_off_by_glob),
	    cmocka_unit_test(test_stale_series_skipped_and_reused_slot_reset),
	    cmocka_unit_test(test_alert_carries_history),
	    cmocka_unit_test(test_override_per_mount),
	    cmocka_unit_test(test_override_below),
	    cmocka_unit_test(test_close_value_and_limit_read_apart),
	    cmocka_unit_test(test_cpu_net_of_niced_work),
	    cmocka_unit_test(test_bad_override_is_a_config_error),
	    cmocka_unit_test(test_shipped_example_matches_defaults),
	    cmocka_unit_test(test_state_goes_through_the_blob_store),
	    cmocka_unit_test(test_settled_series_saved_in_turn),
	    cmocka_unit_test(test_packed_profiles_stay_with_their_series),
	    cmocka_unit_test(test_state_without_a_profile_still_loads),
	    cmocka_unit_test(test_older_profile_is_dropped_with_a_log_line),
	    cmocka_unit_test(test_sleeping_series_change_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
