/*
 * logscan.c - the log scanner as a daemon module: builds the rule engine
 * from the configuration, starts the sources that are turned on, turns each
 * rule event into a point event for event_submit(), saves cursors every
 * tick (behind event_sync()), and on reload restarts the sources with the
 * new settings (cursors make that lossless). It remembers its first start
 * in the state directory: what kmsg and the journal find from before it,
 * without a cursor, is summarised rather than alerted. A source that cannot
 * start (no /dev/kmsg permission, no journal) is reported and skipped; bad
 * rules stop start-up.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/blobstore.h"
#include "core/event.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"
#include "logscan/logscan.h"
#include "logscan/mask.h"
#include "logscan/oom.h"
#include "logscan/rules.h"
#include "logscan/sources.h"
#include "logscan/surge.h"

#define FIRST_START_FILE "logscan-first-start"

struct logscan_state {
	struct logscan_context context;
	struct masker *masker;
	struct file_source *files;
	struct kmsg_source *kmsg;
	struct journal_source *journal;
	uint64_t alerts, alerts_refused;
	uint64_t surge_saved_usec; /* last periodic save of the baselines */
	bool running;
	const char *sys_root; /* for a cgroup's memory.max */
	char detail[ALERT_EVENT_DETAIL_MAX];
};

static struct logscan_state scanner;

static void submit(const struct rule_event *event, void *data)
{
	struct logscan_state *state = data;
	const struct log_record *record = event->record;
	char labels[160] = "";
	struct alert_event alert = {
		.rule = event->rule,
		.series = record->origin,
		.labels = labels,
		.severity = event->severity,
		.firing = true,
		/* A log line happened once: no "resolved" follows. */
		.nature = ALERT_POINT,
		.time_usec = (uint64_t)record->time_sec * USEC_PER_SEC,
		.value = event->count,
		.baseline = NAN,
		.threshold = NAN,
		.score = 1.0,
		.eta_secs = -1,
		.summary = event->message,
		.detail = event->context ? event->context : event->line,
		.count = event->count,
	};

	if (oom_rule(event->rule) &&
	    oom_detail(state->sys_root, event, state->detail,
		       sizeof(state->detail)) > 0)
		alert.detail = state->detail;

	if (event->group[0] != '\0')
		snprintf(labels, sizeof(labels), "%s=%s", event->group_by,
			 event->group);
	log_debug("logscan: event %s from %s:%llu: %s", event->rule,
		  record->origin, (unsigned long long)record->line_number,
		  event->message);
	if (event_submit(&alert) < 0)
		state->alerts_refused++;
	else
		state->alerts++;
}

static int build_engine(struct logscan_state *state,
			const struct logscan_config *config)
{
	struct rule_definition rules[LOGSCAN_MAX_RULES];
	char error[256];
	int count;

	count = rule_set_from_config(config, rules, LOGSCAN_MAX_RULES, error,
				     sizeof(error));
	if (count < 0 ||
	    masker_new(&config->mask_patterns, &state->masker, error,
		       sizeof(error)) < 0 ||
	    rule_engine_new(rules, (size_t)count,
			    (size_t)config->max_groups_per_rule,
			    (size_t)config->max_line_bytes, state->masker,
			    &state->context.engine, error, sizeof(error)) < 0) {
		log_error("logscan: %s", error);
		masker_free(state->masker);
		state->masker = NULL;
		return -EINVAL;
	}
	log_info("logscan: %d rules in force", count);
	return 0;
}

static void start_sources(struct logscan_state *state)
{
	const struct logscan_config *config = state->context.config;
	int r;

	if (config->files.count > 0) {
		r = file_source_start(&state->context, &state->files);
		if (r < 0)
			log_warning_errno(r, "logscan: cannot follow files");
	}
	if (config->kmsg) {
		r = kmsg_source_start(&state->context, &state->kmsg);
		if (r < 0)
			log_warning_errno(r,
					  "logscan: cannot read %s: %m; kernel "
					  "messages are not scanned%s",
					  config->kmsg_path,
					  r == -EPERM || r == -EACCES
					      ? " (needs CAP_SYSLOG)"
					      : "");
	}
	if (config->journal) {
		r = journal_source_start(&state->context, state->kmsg != NULL,
					 &state->journal);
		if (r < 0)
			log_warning_errno(
			    r, "logscan: cannot open the journal%s%s",
			    config->journal_directory ? " in " : "",
			    config->journal_directory
				? config->journal_directory
				: "");
	}
}

/*
 * The kernel's own OOM lines name the victim; while they are read and their
 * rule is on, the collectors' bare OOM counters do not alert as well.
 */
static void claim_kernel_events(struct logscan_state *state)
{
	static const struct {
		const char *rule, *event;
	} claims[] = {
	    {"oom_kill", "oom_kill"},
	    {"cgroup_oom", "cgroup_oom_kill"},
	};
	bool kernel = state->running &&
		      (state->kmsg != NULL || state->journal != NULL);

	for (size_t i = 0; i < ARRAY_SIZE(claims); i++) {
		bool enabled = false;

		for (size_t k = 0; kernel && !enabled &&
				   k < rule_engine_count(state->context.engine);
		     k++)
			enabled = strcmp(rule_engine_rule(state->context.engine,
							  k)->name,
					 claims[i].rule) == 0;
		if (event_claim(claims[i].event, enabled) < 0)
			log_warning("logscan: cannot claim %s; the collectors "
				    "report it as well", claims[i].event);
	}
}

static void log_stats(const char *name, const struct source_stats *stats)
{
	log_info("logscan: %s: %llu lines, %llu cut at max_line_bytes, %llu "
		 "malformed, %llu lost, %llu rotations, %llu cursor saves put "
		 "off (alerts not on disk), %llu cursor writes failed",
		 name, (unsigned long long)stats->lines,
		 (unsigned long long)stats->truncated,
		 (unsigned long long)stats->malformed,
		 (unsigned long long)stats->lost,
		 (unsigned long long)stats->rotations,
		 (unsigned long long)stats->cursor_held,
		 (unsigned long long)stats->cursor_failed);
}

static void stop_sources(struct logscan_state *state)
{
	struct source_stats stats;

	if (state->files != NULL) {
		file_source_stop(state->files, &stats);
		log_stats("files", &stats);
	}
	if (state->kmsg != NULL) {
		kmsg_source_stop(state->kmsg, &stats);
		log_stats("kmsg", &stats);
	}
	if (state->journal != NULL) {
		journal_source_stop(state->journal, &stats);
		log_stats("journal", &stats);
	}
	state->files = NULL;
	state->kmsg = NULL;
	state->journal = NULL;
}

/*
 * The scanner's first start on this state directory, recorded the first
 * time. Without a state directory, or when it cannot be written (tried
 * again at the next start), this start stands in for it.
 */
static int64_t first_start(int state_dir_fd)
{
	int64_t now = (int64_t)(now_realtime_usec() / USEC_PER_SEC), saved;
	char *text, line[32];
	size_t length;
	int n, r;

	if (state_dir_fd < 0)
		return now;
	r = state_read(state_dir_fd, FIRST_START_FILE, 64, &text, &length);
	if (r == 0) {
		n = sscanf(text, "%" SCNd64, &saved);
		free(text);
		if (n == 1 && saved > 0)
			return saved;
		log_warning("logscan: %s is malformed; this start counts as "
			    "the first",
			    FIRST_START_FILE);
	} else if (r != -ENOENT) {
		log_warning_errno(r, "logscan: cannot read %s",
				  FIRST_START_FILE);
	}
	n = snprintf(line, sizeof(line), "%" PRId64 "\n", now);
	r = state_write_atomic(state_dir_fd, FIRST_START_FILE, line, (size_t)n);
	if (r < 0)
		log_warning_errno(r,
				  "logscan: cannot record the first start in "
				  "%s",
				  FIRST_START_FILE);
	return now;
}

static int logscan_start(struct daemon *d)
{
	struct logscan_state *state = &scanner;
	int r;

	memset(state, 0, sizeof(*state));
	if (!d->config->logscan.enabled) {
		log_info("logscan: disabled");
		return 0;
	}
	state->context = (struct logscan_context){
		.event = d->event,
		.state_dir_fd = d->state_dir_fd,
		.config = &d->config->logscan,
		.proc_root = d->config->agent.proc_root,
		.sink = submit,
		.sink_data = state,
		.first_start_sec = first_start(d->state_dir_fd),
	};
	state->sys_root = d->config->agent.sys_root;
	r = build_engine(state, &d->config->logscan);
	if (r < 0)
		return r;
	r = logscan_surge_new(&d->config->logscan, d->metrics, state->masker,
			      NULL, &state->context.surge);
	if (r < 0) {
		log_error_errno(r, "logscan: cannot count lines for surges");
		return r;
	}
	logscan_surge_restore(state->context.surge, d->state_dir_fd);
	start_sources(state);
	state->running = true;
	claim_kernel_events(state);
	return 0;
}

static void logscan_tick(struct daemon *d, uint64_t now_usec)
{
	struct logscan_state *state = &scanner;
	const struct blobstore *store = blobstore_get();
	uint64_t every_secs = LOGSCAN_SURGE_SAVE_SECS;

	if (!state->running)
		return;
	if (state->files != NULL)
		file_source_tick(state->files);
	if (state->kmsg != NULL)
		kmsg_source_tick(state->kmsg);
	if (state->journal != NULL)
		journal_source_tick(state->journal);
	logscan_surge_tick(state->context.surge, (int64_t)now_usec);
	/* Also saved while running, on the baselines' cadence (the store's,
	 * [storage.history] snapshot_interval_secs, else LOGSCAN_SURGE_SAVE_SECS): a
	 * crash or kill -9 loses at most that much learning. One small
	 * atomic file a save. */
	if (state->surge_saved_usec == 0)
		state->surge_saved_usec = now_usec;
	if (store != NULL && store->save_interval_secs > 0)
		every_secs = (uint64_t)store->save_interval_secs;
	if (d->state_dir_fd >= 0 && state->context.surge != NULL &&
	    now_usec - state->surge_saved_usec >= every_secs * USEC_PER_SEC) {
		logscan_surge_save(state->context.surge, d->state_dir_fd);
		state->surge_saved_usec = now_usec;
	}
}

static void logscan_stop(struct daemon *d)
{
	struct logscan_state *state = &scanner;
	struct rule_engine_stats stats;

	if (!state->running)
		return;
	stop_sources(state);
	rule_engine_get_stats(state->context.engine, &stats);
	log_info("logscan: %llu lines scanned, %llu matches, %llu alerts "
		 "(%llu matches told by their family's alert, %llu refused by "
		 "the alerter)",
		 (unsigned long long)stats.lines,
		 (unsigned long long)stats.matches,
		 (unsigned long long)state->alerts,
		 (unsigned long long)stats.covered,
		 (unsigned long long)state->alerts_refused);
	rule_engine_free(state->context.engine);
	masker_free(state->masker);
	if (d->state_dir_fd >= 0)
		logscan_surge_save(state->context.surge, d->state_dir_fd);
	logscan_surge_free(state->context.surge);
	state->context.engine = NULL;
	state->context.surge = NULL;
	state->masker = NULL;
	state->running = false;
	claim_kernel_events(state);
}

/* Sources of the same name keep their counts and baselines. */
static void reload_surge(struct logscan_state *state, struct daemon *d)
{
	struct logscan_surge *fresh;
	int r = logscan_surge_new(&d->config->logscan, d->metrics,
				  state->masker, state->context.surge, &fresh);

	if (r < 0) {
		/* The old counters stay, on the masker now in force. */
		log_warning_errno(r, "logscan: surge settings not reloaded");
		if (state->context.surge != NULL)
			logscan_surge_set_masker(state->context.surge,
						 state->masker);
		return;
	}
	/* Enabled again after a reload turned it off: what was saved. */
	if (state->context.surge == NULL)
		logscan_surge_restore(fresh, d->state_dir_fd);
	logscan_surge_free(state->context.surge);
	state->context.surge = fresh;
}

/*
 * The new rules are compiled first. Sources always restart on the new
 * settings (the old configuration is freed after a reload, and cursors make
 * the restart lossless); if the new rules cannot be built, the running
 * engine, which owns copies of its strings, stays in force.
 */
static int logscan_reload(struct daemon *d, const struct config *old_config)
{
	struct logscan_state *state = &scanner, fresh;
	const struct logscan_config *config = &d->config->logscan;
	bool rebuilt = false;

	(void)old_config;
	memset(&fresh, 0, sizeof(fresh));
	if (config->enabled)
		rebuilt = build_engine(&fresh, config) == 0;
	if (state->running)
		stop_sources(state);
	if (rebuilt || !config->enabled) {
		rule_engine_free(state->context.engine);
		masker_free(state->masker);
		state->context.engine = fresh.context.engine;
		state->masker = fresh.masker;
	}
	state->running = config->enabled && state->context.engine != NULL;
	if (state->running) {
		reload_surge(state, d);
	} else if (state->context.surge != NULL) {
		if (d->state_dir_fd >= 0)
			logscan_surge_save(state->context.surge,
					   d->state_dir_fd);
		logscan_surge_free(state->context.surge);
		state->context.surge = NULL;
	}
	if (!state->running) {
		claim_kernel_events(state);
		log_info("logscan: %s", config->enabled ? "no usable rules; "
			 "stopped" : "disabled");
		return config->enabled ? -EINVAL : 0;
	}
	state->context.event = d->event;
	state->context.state_dir_fd = d->state_dir_fd;
	state->context.config = config;
	state->context.proc_root = d->config->agent.proc_root;
	state->sys_root = d->config->agent.sys_root;
	state->context.sink = submit;
	state->context.sink_data = state;
	if (state->context.first_start_sec == 0)
		state->context.first_start_sec = first_start(d->state_dir_fd);
	start_sources(state);
	claim_kernel_events(state);
	return rebuilt ? 0 : -EINVAL;
}

const struct daemon_module logscan_module = {
	.name = "logscan",
	.role = DAEMON_PRODUCER,
	.start = logscan_start,
	.tick = logscan_tick,
	.reload = logscan_reload,
	.stop = logscan_stop,
};
