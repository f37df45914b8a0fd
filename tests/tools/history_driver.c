/*
 * history_driver.c - runs the daemon's analyzer and history modules (the
 * very module structs daemon.c lists) over synthetic series on a synthetic
 * clock, so the integration tests can put hours of history, a restart or a
 * fault into a few seconds. It stands in for the collectors, and publishes
 * each alert's outcome on the event bus the way the alerter does (the
 * history observes it there).
 *
 *   history_driver -c CONFIG --epoch SECS [--start N] [--ticks N]
 *                  [--interval-ms MS] [--series N] [--spike-at TICK]
 *
 * Tick i is at epoch + i * collect_interval_secs. SIGTERM stops it cleanly,
 * in the daemon's order: started consumer first, ticked and stopped
 * producers first (the analyzer saves its baselines into the history's blob
 * store at its stop, the history commits them at its own), freed in
 * reverse of start.
 */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/analyzer.h"
#include "core/config.h"
#include "core/daemon.h"
#include "core/event.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"
#include "history/history.h"
#include "storage/metrics.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int signo)
{
	(void)signo;
	stop_requested = 1;
}

/* The journal "channel" of a stand-in alerter: the event is logged, and
 * what became of it published for the observers. */
static int record_sink(const struct alert_event *event, void *context)
{
	int r = event_submit(event);

	(void)context;
	event_publish(event->time_usec, r == 0 ? "sent" : "failed", event,
		      r == 0 ? "journal" : NULL);
	return r;
}

struct series {
	const char *name, *labels;
	int id;
};

static double value_at(int which, long tick, long spike_at)
{
	double jitter = (double)((tick * 7919 + which * 104729) % 17) / 8.0;

	switch (which) {
	case 0: /* cpu: a slow wave, and the spike */
		if (spike_at > 0 && tick >= spike_at && tick < spike_at + 3)
			return 99.0;
		return 20 + 5 * sin((double)tick / 30.0) + jitter;
	case 1:
		return 61.0 + jitter / 4;
	case 2: /* disk: steady */
		return 40.0;
	case 3:
		return 1.5e6 + 1e5 * sin((double)tick / 20.0) + jitter * 1e4;
	case 4: /* disk bytes: steady, 23.5 GiB */
		return 2.528e10;
	default:
		return (double)which + jitter;
	}
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "epoch", required_argument, NULL, 'e' },
		{ "start", required_argument, NULL, 's' },
		{ "ticks", required_argument, NULL, 't' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "series", required_argument, NULL, 'n' },
		{ "spike-at", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	/* Start order (consumer first); the pushes below stand in for the
	 * collectors. Ticks and stops run producers first, as daemon.c does. */
	static const struct daemon_module *const modules[] = {
		&history_module, &analyzer_module,
	};
	static const struct daemon_module *const pipeline[] = {
		&analyzer_module, &history_module,
	};
	struct series fixed[] = {
	    {"cpu.usage_percent", "", 0},
	    {"memory.used_percent", "", 0},
	    {"disk.used_percent", "mount=/", 0},
	    {"net.rx_bytes_per_sec", "interface=eth0", 0},
	    {"disk.used_bytes", "mount=/", 0},
	};
	const char *config_path = NULL;
	long epoch = 0, start = 0, ticks = 60, interval_ms = 0, extra = 4;
	long spike_at = 0;
	struct daemon d = { .state_dir_fd = -1 };
	struct config *config;
	struct timespec pause;
	bool sink_set = false;
	int c, *extra_ids;

	while ((c = getopt_long(argc, argv, "c:", options, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 'e': epoch = atol(optarg); break;
		case 's': start = atol(optarg); break;
		case 't': ticks = atol(optarg); break;
		case 'i': interval_ms = atol(optarg); break;
		case 'n': extra = atol(optarg); break;
		case 'k': spike_at = atol(optarg); break;
		default: return 2;
		}
	}
	if (config_path == NULL || epoch <= 0 || extra < 0 || extra > 10000) {
		fprintf(stderr, "usage: history_driver -c CONFIG --epoch SECS "
			"[--start N] [--ticks N] [--interval-ms MS] "
			"[--series N] [--spike-at TICK]\n");
		return 2;
	}
	log_open(LOG_TARGET_STDERR);
	if (config_load(config_path, true, &config) < 0)
		return 1;
	daemon_apply_log_level(config, -1);
	d.config = config;
	d.state_dir_fd = state_dir_open(config->agent.state_dir);
	if (d.state_dir_fd < 0)
		return 1;
	d.metrics = metrics_new(ARRAY_SIZE(fixed) + (size_t)extra,
				(size_t)(config->agent.history_secs /
					 config->agent.collect_interval_secs));
	extra_ids = calloc((size_t)extra + 1, sizeof(*extra_ids));
	if (d.metrics == NULL || extra_ids == NULL)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
		fixed[i].id = metrics_register(d.metrics, fixed[i].name,
					       fixed[i].labels);
	for (long i = 0; i < extra; i++) {
		char labels[32];

		snprintf(labels, sizeof(labels), "n=%ld", i);
		extra_ids[i] = metrics_register(d.metrics, "test.series",
						labels);
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (size_t m = 0; m < ARRAY_SIZE(modules); m++)
		if (modules[m]->start(&d) < 0)
			return 1;
	pause = (struct timespec){ interval_ms / 1000,
				   (interval_ms % 1000) * 1000000L };
	for (long tick = start; tick < start + ticks && !stop_requested;
	     tick++) {
		uint64_t now = (uint64_t)(epoch + tick *
					  config->agent.collect_interval_secs) *
			       USEC_PER_SEC;

		for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
			metrics_push(d.metrics, fixed[i].id, (int64_t)now,
				     value_at((int)i, tick, spike_at));
		for (long i = 0; i < extra; i++)
			metrics_push(d.metrics, extra_ids[i], (int64_t)now,
				     value_at(5 + (int)i, tick, 0));
		for (size_t m = 0; m < ARRAY_SIZE(pipeline); m++)
			pipeline[m]->tick(&d, now);
		if (!sink_set && analyzer_running() != NULL) {
			analyzer_set_sink(analyzer_running(), record_sink, NULL);
			sink_set = true;
		}
		printf("tick %ld\n", tick);
		fflush(stdout);
		if (interval_ms > 0)
			nanosleep(&pause, NULL);
	}
	/* Like the daemon: stops in pipeline order, frees in reverse. */
	for (size_t m = 0; m < ARRAY_SIZE(pipeline); m++)
		if (pipeline[m]->stop != NULL)
			pipeline[m]->stop(&d);
	for (size_t m = ARRAY_SIZE(modules); m-- > 0;)
		if (modules[m]->free != NULL)
			modules[m]->free(&d);
	metrics_free(d.metrics);
	free(extra_ids);
	close(d.state_dir_fd);
	config_free(config);
	return 0;
}
