/*
 * alerter.c - what the alerter costs: pipeline decisions per event (a storm
 * of distinct alerts and a steady stream of repeats), formatting a full
 * 32-alert message per channel, and the spool's durable append + complete
 * (two fdatasyncs) in a temporary directory. Figures only; no thresholds.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "alerter/channel.h"
#include "alerter/pipeline.h"
#include "alerter/spool.h"
#include "alerter/text.h"
#include "core/log.h"
#include "core/util.h"

static uint64_t messages;

static void count_message(void *context, struct alert_message *m)
{
	(void)context, (void)m;
	messages++;
}

static void bench_pipeline(void)
{
	static const double history[32] = { 1, 2, 3 };
	struct pipeline_settings s = {
		.host = "bench", .send_resolved = true,
		.repeat_usec = 4 * 3600 * USEC_PER_SEC,
		.group_wait_usec = 30 * USEC_PER_SEC,
		.flap_window_usec = 900 * USEC_PER_SEC, .flap_max_toggles = 4,
		.min_interval_usec = 60 * USEC_PER_SEC,
		.max_alerts_per_hour = 60,
	};
	struct pipeline *p;
	uint64_t start, t = 1700000000ULL * USEC_PER_SEC;
	const int events = 1000000;
	char labels[32];

	for (int c = 0; c < CHANNEL_COUNT; c++)
		s.channel_active[c] = c != CHANNEL_CONSOLE;
	p = pipeline_new(512, count_message, NULL, NULL);
	pipeline_configure(p, &s);
	start = now_monotonic_usec();
	for (int i = 0; i < events; i++) {
		struct alert_event e = {
			.rule = "bench_rule", .series = "bench.metric",
			.labels = labels, .severity = ALERT_WARNING,
			.firing = (i / 400) % 2 == 0, .value = i,
			.baseline = NAN, .threshold = NAN, .eta_secs = -1,
			.summary = "benchmark alert", .history = history,
			.history_count = 32,
		};

		snprintf(labels, sizeof(labels), "id=%d", i % 400);
		t += 1000; /* 1000 events per simulated second */
		pipeline_submit(p, &e, t);
		if (i % 1000 == 0)
			pipeline_tick(p, t);
	}
	printf("pipeline: %d events (400 alerts, toggling) in %.3f s: "
	       "%.0f ns/event, %llu messages emitted\n", events,
	       (double)(now_monotonic_usec() - start) / 1e6,
	       (double)(now_monotonic_usec() - start) * 1000.0 / events,
	       (unsigned long long)messages);
	printf("pipeline: alert table of 512 = %zu KiB, allocated once\n",
	       512 * sizeof(struct alert_snapshot) / 1024 + 1);
	pipeline_free(p);
}

static void bench_formatters(void)
{
	static char *to[] = { "ops@example.org" };
	struct alerting_channel_config config = {
		.url = "https://example.org/hook", .secret = "secret",
		.chat_id = "1", .from = "a@b", .to = { to, 1 },
		.repost_interval_secs = 60,
	};
	struct alert_message *m = calloc(1, sizeof(*m));
	const int rounds = 2000;

	string_copy(m->host, "bench-01", sizeof(m->host));
	m->alert_count = MESSAGE_ALERTS_MAX;
	for (size_t i = 0; i < m->alert_count; i++) {
		struct alert_snapshot *a = &m->alerts[i];

		snprintf(a->rule, sizeof(a->rule), "rule_%zu", i);
		string_copy(a->series, "disk.used_percent", sizeof(a->series));
		string_copy(a->labels, "mount=/var", sizeof(a->labels));
		string_copy(a->summary, "Disk /var is 97% full",
			    sizeof(a->summary));
		memset(a->detail, 'x', 300);
		a->severity = ALERT_WARNING;
		a->firing = true;
		a->started_usec = 1700000000ULL * USEC_PER_SEC;
		a->value = 97;
		a->baseline = 60;
		a->threshold = 90;
		a->eta_secs = 3600;
		a->history_count = 32;
		for (int h = 0; h < 32; h++)
			a->history[h] = h * h;
	}
	for (int c = CHANNEL_WEBHOOK; c < CHANNEL_COUNT; c++) {
		uint64_t start = now_monotonic_usec();
		size_t bytes = 0;

		for (int r = 0; r < rounds; r++) {
			struct outgoing out = { 0 };

			channel_formatter((enum channel_id)c)(
				&config, m, 1700000300ULL * USEC_PER_SEC, &out);
			bytes = out.body_length;
			outgoing_free(&out);
		}
		printf("format %-12s 32 alerts: %6.1f us, %6zu bytes\n",
		       channel_name((enum channel_id)c),
		       (double)(now_monotonic_usec() - start) / rounds, bytes);
	}
	free(m);
}

static void bench_spool(void)
{
	char directory[] = "/tmp/sysops-bench-spool.XXXXXX", command[96];
	struct alert_message m = { .alert_count = 1 };
	struct spool *s;
	const int rounds = 200;
	uint64_t start;
	int fd;

	if (mkdtemp(directory) == NULL)
		return;
	fd = open(directory, O_RDONLY | O_DIRECTORY);
	if (fd >= 0 && spool_open(fd, 4 << 20, &s) == 0) {
		m.channel = CHANNEL_SLACK;
		string_copy(m.alerts[0].rule, "bench", sizeof(m.alerts[0].rule));
		start = now_monotonic_usec();
		for (int i = 0; i < rounds; i++) {
			spool_append(s, &m);
			spool_complete(s, m.id);
		}
		printf("spool: append + complete (2 x fdatasync) %.2f ms per "
		       "message on %s\n",
		       (double)(now_monotonic_usec() - start) / 1000.0 / rounds,
		       directory);
		spool_close(s);
	}
	if (fd >= 0)
		close(fd);
	snprintf(command, sizeof(command), "rm -rf %s", directory);
	if (system(command) != 0)
		fprintf(stderr, "cannot remove %s\n", directory);
}

int main(void)
{
	struct rusage usage;

	log_open(LOG_TARGET_PLAIN);
	log_set_level(LOG_ERR);
	bench_pipeline();
	bench_formatters();
	bench_spool();
	getrusage(RUSAGE_SELF, &usage);
	printf("max RSS of this benchmark: %ld KiB\n", usage.ru_maxrss);
	return 0;
}
