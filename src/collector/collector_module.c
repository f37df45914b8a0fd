/*
 * collector_module.c - "storage+collectors", first in the daemon's pipeline:
 * creates the metric registry (max_series rings of history_secs /
 * collect_interval_secs samples, all reserved at start-up) and runs every
 * enabled collector each tick, stamping every sample with the tick's time.
 */
#include "collector/collector.h"

#include <errno.h>
#include <string.h>

#include "core/event.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/util.h"
#include "storage/metrics.h"

static struct collector_set *collectors;

const struct collector_set *collector_running(void)
{
	return collectors;
}

/*
 * After a reload the new collectors know nothing of the old ones' series:
 * one whose subject vanished across the reload would never be retired. A
 * few ticks later (every collector, even the lagging D-Bus and Docker ones,
 * has written what still exists) the collector families' series not
 * written since the reload are retired.
 */
#define ORPHAN_SWEEP_TICKS 5

static const char *const collector_families[] = {
	"cpu.", "memory.", "load.", "psi.", "disk.", "net.", "fd.",
	"process.", "cgroup.", "host.", "systemd.", "docker.",
	"agent.collector_errors",
};

static unsigned orphan_sweep_countdown;
static int64_t reload_time_usec;

static bool collector_family(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(collector_families); i++)
		if (strncmp(name, collector_families[i],
			    strlen(collector_families[i])) == 0)
			return true;
	return false;
}

static void retire_orphans(struct metric_registry *metrics)
{
	size_t retired = 0;

	for (size_t id = 0; id < metrics_capacity(metrics); id++) {
		const struct metric_series *s = metrics_get(metrics, (int)id);

		if (s != NULL && s->last_time_usec < reload_time_usec &&
		    collector_family(s->name)) {
			metrics_retire(metrics, (int)id);
			retired++;
		}
	}
	if (retired > 0)
		log_info("retired %zu series whose subject went away across "
			 "the reload", retired);
}

static size_t ring_capacity(const struct config *config)
{
	int64_t capacity = config->agent.history_secs /
			   config->agent.collect_interval_secs;

	return capacity < 2 ? 2 : (size_t)capacity;
}

static int collector_module_start(struct daemon *d)
{
	size_t max_series = (size_t)d->config->storage.max_series;
	size_t capacity = ring_capacity(d->config);
	int r;

	d->metrics = metrics_new(max_series, capacity);
	if (d->metrics == NULL)
		return -ENOMEM;
	/* The block pool holds as many bytes as 8-byte samples would. */
	log_info("metric history: %zu series x %zu samples (%zu KiB reserved)",
		 max_series, capacity,
		 max_series * capacity * 8 / 1024);
	r = collector_set_new(d->config, d->metrics, &collectors);
	if (r < 0)
		return r;
	collector_set_use_state_dir(collectors, d->state_dir_fd);
	collector_set_alerts(collectors, event_submit);
	collector_set_use_event(collectors, d->event);
	return 0;
}

static void collector_module_tick(struct daemon *d, uint64_t now_usec)
{
	if (collectors != NULL)
		collector_set_collect(collectors, (int64_t)now_usec);
	if (orphan_sweep_countdown > 0 && --orphan_sweep_countdown == 0)
		retire_orphans(d->metrics);
}

/*
 * The collectors keep pointers into the configuration, which is about to be
 * freed: they are started afresh on the new one. Series keep their ids (the
 * registry finds them by name and labels); rates resume after one tick.
 */
static int collector_module_reload(struct daemon *d,
				   const struct config *old_config)
{
	struct collector_set *fresh = NULL;
	int r;

	(void)old_config;
	r = collector_set_new(d->config, d->metrics, &fresh);
	if (r < 0) {
		log_error_errno(r,
				"collectors: cannot restart on the new "
				"configuration: %m; collection stops until the "
				"next successful reload");
		collector_set_free(collectors);
		collectors = NULL;
		return r;
	}
	collector_set_use_state_dir(fresh, d->state_dir_fd);
	collector_set_alerts(fresh, event_submit);
	collector_set_free(collectors);
	collector_set_use_event(fresh, d->event);
	collectors = fresh;
	reload_time_usec = (int64_t)now_realtime_usec();
	orphan_sweep_countdown = ORPHAN_SWEEP_TICKS;
	return 0;
}

/* Freed only after every module stopped: the history reads the registry. */
static void collector_module_free(struct daemon *d)
{
	collector_set_free(collectors);
	collectors = NULL;
	metrics_free(d->metrics);
	d->metrics = NULL;
}

const struct daemon_module collector_module = {
	.name = "storage+collectors",
	.role = DAEMON_PRODUCER,
	.start = collector_module_start,
	.tick = collector_module_tick,
	.reload = collector_module_reload,
	.free = collector_module_free,
};
