/*
 * daemon.c - the event loop and the daemon's lifecycle.
 *
 * Start-up opens the state directory, starts every module and runs the first
 * tick at once, so READY=1 means "a collection has happened". SIGHUP loads the
 * file again and swaps only if it is valid; SIGTERM flushes and leaves.
 */
#include "core/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "checks/checks.h"
#include "collector/collector.h"
#include "alerter/alerter.h"
#include "alerter/delivery.h"
#include "core/http.h"
#include "core/identity.h"
#include "core/log.h"
#include "core/offload.h"
#include "core/privilege.h"
#include "core/residency.h"
#include "core/sandbox.h"
#include "core/secret.h"
#include "core/state.h"
#include "core/util.h"
#include "analyzer/analyzer.h"
#include "export/export.h"
#include "heartbeat/heartbeat.h"
#include "history/history.h"
#include "logscan/logscan.h"

/*
 * Every module, in pipeline order within its role; NULL ends it. The role,
 * not the position, decides when a module starts and stops (daemon.h).
 */
static const struct daemon_module *const modules[] = {
	&collector_module,
	&checks_module,
	&logscan_module,
	&analyzer_module,
	&heartbeat_module,
	&alerter_module,
	&history_module,
	&export_module,
	NULL,
};

/* Start order: consumers first, each role in list order. */
static void order_modules(struct daemon *d)
{
	static const enum daemon_role roles[] = { DAEMON_CONSUMER,
						  DAEMON_PRODUCER };

	d->module_count = 0;
	for (size_t r = 0; r < ARRAY_SIZE(roles); r++)
		for (size_t i = 0; modules[i] != NULL; i++)
			if (modules[i]->role == roles[r] &&
			    d->module_count < DAEMON_MODULES_MAX)
				d->order[d->module_count++] = modules[i];
}

/* Producers, then consumers: the pipeline's order (ticks and stops). */
#define FOR_EACH_MODULE_PIPELINE(d, m)                                      \
	for (size_t m##_pass = 0; m##_pass < 2; m##_pass++)                 \
		for (size_t m##_i = 0; m##_i < (d)->modules_started; m##_i++) \
			for (const struct daemon_module *m =                \
				     (d)->order[m##_i];                     \
			     m != NULL &&                                   \
			     m->role == (m##_pass == 0 ? DAEMON_PRODUCER    \
						       : DAEMON_CONSUMER);   \
			     m = NULL)

void daemon_apply_log_level(const struct config *config, int override)
{
	int level = override;

	if (level < 0)
		level = log_level_from_name(config->agent.log_level);
	log_set_level(level < 0 ? LOG_INFO : level);
}

static uint64_t interval_usec(const struct daemon *d)
{
	return (uint64_t)d->config->agent.collect_interval_secs * USEC_PER_SEC;
}

static void notify_status(struct daemon *d)
{
	sd_notifyf(0, "STATUS=collecting every %llds, %llu ticks, %u reloads"
		   "%s", (long long)d->config->agent.collect_interval_secs,
		   (unsigned long long)d->tick_count, d->reloads_done,
		   d->reloads_failed ? " (last reload failed)" : "");
}

#define HEAP_TRIM_USEC (60 * USEC_PER_SEC) /* a few thousand instructions */

static void run_tick(struct daemon *d)
{
	uint64_t now = now_realtime_usec();

	FOR_EACH_MODULE_PIPELINE(d, module)
		if (module->tick != NULL)
			module->tick(d, now);
	d->tick_count++;
	if (!d->ready_sent) {
		sd_notify(0, "READY=1");
		d->ready_sent = true;
		log_info("first collection done; ready");
		/* Start-up's code and constants (options, config, rule
		 * compilation, the history session) are not the ticks'. */
		d->trim_due = true;
	}
	if (d->trim_due) {
		long kib = residency_trim();

		d->trim_due = false;
		d->heap_trimmed_usec = now;
		if (kib >= 0)
			log_debug("one-off pages given back: %ld KiB", kib);
	}
	/* The periodic work (a baseline save, the history's writes) frees
	 * what it allocated in the middle of the heap, where free() does not
	 * give it back: ~140 KiB after a save, until the next trim. */
	if (now - d->heap_trimmed_usec >= HEAP_TRIM_USEC) {
		residency_trim_heap();
		d->heap_trimmed_usec = now;
	}
	notify_status(d);
}

/*
 * Ticks stay on a fixed grid (start + k * interval) so the series have even
 * spacing; if a tick overran a whole interval, the missed slots are skipped
 * rather than run back to back.
 */
static int on_collect_timer(sd_event_source *source, uint64_t usec, void *data)
{
	struct daemon *d = data;
	uint64_t interval = interval_usec(d), now;

	(void)usec;
	run_tick(d);
	now = now_monotonic_usec();
	d->next_tick_usec += interval;
	if (d->next_tick_usec <= now) {
		uint64_t behind = (now - d->next_tick_usec) / interval + 1;

		d->ticks_late += behind;
		d->next_tick_usec += behind * interval;
		log_warning("collection fell behind by %llu tick(s)",
			    (unsigned long long)behind);
	}
	sd_event_source_set_time(source, d->next_tick_usec);
	return sd_event_source_set_enabled(source, SD_EVENT_ON);
}

/* Producers drain into the still-running consumers, which flush last. */
static void daemon_stop_modules(struct daemon *d)
{
	if (d->stopped)
		return;
	d->stopped = true;
	FOR_EACH_MODULE_PIPELINE(d, module)
		if (module->stop != NULL)
			module->stop(d);
}

static int on_stop_signal(sd_event_source *source,
			  const struct signalfd_siginfo *info, void *data)
{
	struct daemon *d = data;

	(void)source;
	if (d->stopping)
		return 0;
	d->stopping = true;
	log_info("received %s; stopping", strsignal((int)info->ssi_signo));
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	daemon_stop_modules(d);
	return sd_event_exit(d->event, 0);
}

static void reschedule_after_reload(struct daemon *d, int64_t old_interval)
{
	if (d->config->agent.collect_interval_secs == old_interval)
		return;
	d->next_tick_usec = now_monotonic_usec() + interval_usec(d);
	sd_event_source_set_time(d->collect_timer, d->next_tick_usec);
	log_info("collect interval is now %llds",
		 (long long)d->config->agent.collect_interval_secs);
}

/* A check that holds a network conversation (check_probe.c). */
static bool check_connects(const struct check_config *check)
{
	static const char *const connecting[] = {"tcp", "http", "redis"};

	if (check->type == NULL)
		return false;
	for (size_t t = 0; t < ARRAY_SIZE(connecting); t++)
		if (strcmp(check->type, connecting[t]) == 0)
			return true;
	return strcmp(check->type, "tls") == 0 && check->target != NULL &&
	       check->files.count == 0;
}

bool daemon_uses_network(const struct config *config)
{
	if ((config->export.remote_write.enabled &&
	     config->export.remote_write.url != NULL) ||
	    config->heartbeat.url != NULL)
		return true;
	for (size_t i = 0; i < config->checks.count; i++)
		if (check_connects(&config->checks.items[i]))
			return true;
	return false;
}

/*
 * What still opens network sockets in this process besides the delivery
 * process (which carries the alerts, the heartbeat's and remote write's
 * requests through core/http.h's transport and the network checks'
 * conversations through core/offload.h): those without it, and command
 * checks (a seal would be inherited by their commands). NULL when nothing
 * does.
 */
static const char *network_user(const struct config *config)
{
	if (!http_transported() && config->export.remote_write.enabled &&
	    config->export.remote_write.url != NULL)
		return "[export.remote_write]";
	if (!http_transported() && config->heartbeat.url != NULL)
		return "[heartbeat] url";
	for (size_t i = 0; i < config->checks.count; i++) {
		const struct check_config *check = &config->checks.items[i];

		if (check->type != NULL && strcmp(check->type, "command") == 0)
			return "a [[checks]] entry that runs a command";
		if (!offload_available() && check_connects(check))
			return "a [[checks]] entry that connects";
	}
	return NULL;
}

/*
 * Once every module runs: with channels delivered by the delivery process
 * and nothing else here that connects, this process can never again open
 * an AF_INET/AF_INET6 socket (an EPERM, not a kill). The seal cannot be
 * lifted, so a reload that adds such a user needs a restart.
 */
static void seal_network(struct daemon *d)
{
	const char *user;
	int r;

	if (!delivery_separated())
		return;
	user = network_user(d->config);
	if (user != NULL) {
		log_info("network delivery runs in its own process; the main "
			 "process keeps its network for %s",
			 user);
		return;
	}
	r = sandbox_seal_network();
	if (r == -EOPNOTSUPP)
		log_warning("built without libseccomp: the main process's "
			    "network is not sealed");
	else if (r < 0)
		log_warning_errno(r, "cannot seal the main process's network");
	else
		d->network_sealed = true;
}

static void warn_restart_only(const struct config *old_config,
			      const struct config *new_config)
{
	const struct agent_config *a = &old_config->agent, *b = &new_config->agent;

	if (strcmp(a->state_dir, b->state_dir) != 0)
		log_warning("state_dir changed to %s; it takes effect on "
			    "restart (still using %s)", b->state_dir,
			    a->state_dir);
	if (a->history_secs != b->history_secs ||
	    a->collect_interval_secs != b->collect_interval_secs)
		log_notice("history_secs and collect_interval_secs size the "
			   "ring buffers; new sizes apply on restart");
	/* The id names this agent to receivers: it never changes under them. */
	if (strcmp(a->id ? a->id : "", b->id ? b->id : "") != 0)
		log_warning("[agent] id changed; it takes effect on restart");
}

static int on_reload_signal(sd_event_source *source,
			    const struct signalfd_siginfo *info, void *data)
{
	struct daemon *d = data;
	struct config *fresh = NULL, *old;
	int64_t old_interval;

	(void)source, (void)info;
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
		   (unsigned long long)now_monotonic_usec());
	log_info("received SIGHUP; reloading %s", d->config_path);
	if (config_load(d->config_path, d->config_must_exist, &fresh) < 0) {
		d->reloads_failed++;
		log_error("reload failed; keeping the running configuration");
		sd_notify(0, "READY=1");
		notify_status(d);
		return 0;
	}
	old = d->config;
	old_interval = old->agent.collect_interval_secs;
	/* Before anything logs about the new settings. */
	secret_configure(fresh);
	warn_restart_only(old, fresh);
	if (d->network_sealed && network_user(fresh) != NULL)
		log_warning("%s needs the network, which this process gave "
			    "up at start; it takes effect on restart",
			    network_user(fresh));
	d->config = fresh;
	daemon_apply_log_level(d->config, d->log_level_override);
	reschedule_after_reload(d, old_interval);
	FOR_EACH_MODULE_PIPELINE(d, module)
		if (module->reload != NULL && module->reload(d, old) < 0)
			log_warning("%s: kept part of its previous settings",
				    module->name);
	config_free(old);
	d->reloads_done++;
	d->reloads_failed = 0;
	d->trim_due = true; /* the parse and rule compilation's pages */
	log_info("configuration reloaded");
	sd_notify(0, "READY=1");
	notify_status(d);
	return 0;
}

static int attach_signals(struct daemon *d)
{
	static const int handled[] = { SIGTERM, SIGINT, SIGHUP };
	sigset_t mask;
	int r;

	/* sd-event reads signals from a signalfd: they must be blocked. */
	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(handled); i++)
		sigaddset(&mask, handled[i]);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	r = sd_event_add_signal(d->event, NULL, SIGTERM, on_stop_signal, d);
	if (r >= 0)
		r = sd_event_add_signal(d->event, NULL, SIGINT, on_stop_signal, d);
	if (r >= 0)
		r = sd_event_add_signal(d->event, NULL, SIGHUP, on_reload_signal,
					d);
	return r;
}

int daemon_init(struct daemon *d, struct config *config, const char *path,
		bool path_must_exist, int log_level_override)
{
	bool created;
	int r;

	*d = (struct daemon){
		.config = config,
		.config_path = path,
		.config_must_exist = path_must_exist,
		.log_level_override = log_level_override,
		.state_dir_fd = -1,
	};
	/* Every record from here on is masked with this configuration's. */
	secret_configure(config);
	created = access(config->agent.state_dir, F_OK) != 0;
	d->state_dir_fd = state_dir_open(config->agent.state_dir);
	if (d->state_dir_fd < 0)
		return d->state_dir_fd;
	/* Before any module opens a source: they run as they will stay. */
	r = privilege_drop(d->state_dir_fd, config->agent.state_dir, created);
	if (r < 0)
		return r;
	/* After the drop: the agent-id file is the daemon user's. */
	r = identity_load(d->state_dir_fd, config->agent.id, d->agent_id,
			  sizeof(d->agent_id));
	if (r < 0)
		return r;
	r = sd_event_new(&d->event);
	if (r < 0) {
		log_error_errno(r, "cannot create the event loop");
		return r;
	}
	r = attach_signals(d);
	if (r < 0) {
		log_error_errno(r, "cannot watch signals");
		return r;
	}
	/* Pings WATCHDOG=1 at half of WATCHDOG_USEC when systemd asks for it. */
	r = sd_event_set_watchdog(d->event, 1);
	if (r < 0)
		log_warning_errno(r, "watchdog unavailable");
	d->next_tick_usec = now_monotonic_usec();
	r = sd_event_add_time(d->event, &d->collect_timer, CLOCK_MONOTONIC,
			      d->next_tick_usec, 1000, on_collect_timer, d);
	if (r < 0) {
		log_error_errno(r, "cannot arm the collect timer");
		return r;
	}
	order_modules(d);
	for (size_t i = 0; i < d->module_count; i++) {
		const struct daemon_module *module = d->order[i];

		r = module->start != NULL ? module->start(d) : 0;
		if (r < 0) {
			log_error_errno(r, "%s: cannot start", module->name);
			/* Its own start cleaned up; the others stop and are
			 * freed by daemon_free. */
			return r;
		}
		d->modules_started = i + 1;
	}
	seal_network(d);
	return 0;
}

int daemon_run(struct daemon *d)
{
	int r;

	log_info("sysops-agent %s started on %s (agent id %s, pid %d, config "
		 "%s, state %s, every %llds)",
		 SYSOPS_VERSION, d->config->agent.hostname, d->agent_id,
		 (int)getpid(), d->config->path ? d->config->path : "built-in",
		 d->config->agent.state_dir,
		 (long long)d->config->agent.collect_interval_secs);
	r = sd_event_loop(d->event);
	if (r < 0) {
		log_error_errno(r, "event loop failed");
		return EXIT_FAILURE;
	}
	log_info("stopped after %llu ticks",
		 (unsigned long long)d->tick_count);
	return EXIT_SUCCESS;
}

void daemon_free(struct daemon *d)
{
	daemon_stop_modules(d);
	for (size_t i = d->modules_started; i-- > 0;)
		if (d->order[i]->free != NULL)
			d->order[i]->free(d);
	d->modules_started = 0;
	d->collect_timer = sd_event_source_unref(d->collect_timer);
	d->event = sd_event_unref(d->event);
	if (d->state_dir_fd >= 0)
		close(d->state_dir_fd);
	d->state_dir_fd = -1;
	config_free(d->config);
	d->config = NULL;
}
