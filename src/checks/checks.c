/*
 * checks.c - the checks module: schedules each check on the tick grid, turns
 * what a run reports into registry samples (written at the next tick, with
 * the tick's time, so the analyzer sees them like any collector's) and into
 * firing/resolved events, keeps firing alerts across restarts, and carries
 * checks across a reload.
 */
#include "checks/checks_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/listeners.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/secret.h"
#include "core/state.h"
#include "core/util.h"
#include "logscan/mask.h"

#define STATE_FILE	"checks-state.json"
#define STATE_MAX_BYTES (256 * 1024)
#define RESTORED_MAX	512
/* Check series not written for this long lost their subject (a file). */
#define STALE_SERIES_USEC (600 * USEC_PER_SEC)
#define SWEEP_EVERY_TICKS 60

static const struct check_kind *const kinds[CHECK_TYPE_COUNT] = {
    [CHECK_PROCESS] = &check_process_kind,
    [CHECK_UNIT] = &check_unit_kind,
    [CHECK_TCP] = &check_tcp_kind,
    [CHECK_HTTP] = &check_http_kind,
    [CHECK_TLS] = &check_tls_kind,
    [CHECK_COMMAND] = &check_command_kind,
    [CHECK_REDIS] = &check_redis_kind,
    [CHECK_LISTEN] = &check_listen_kind,
};

void checks_errno_words(int error, char *out, size_t size)
{
	if (error < 0)
		error = -error;
	string_copy(out, strerror(error), size);
	if (out[0] >= 'A' && out[0] <= 'Z' && !(out[1] >= 'A' && out[1] <= 'Z'))
		out[0] = (char)(out[0] - 'A' + 'a');
}

double check_elapsed_secs(const struct check *c)
{
	return (double)(now_monotonic_usec() - c->started_usec) / 1e6;
}

/* ---- labels ---- */

void checks_label_value(char *out, const char *value, size_t size)
{
	size_t i = 0;

	/* Paths and process names may hold what a label cannot. */
	for (; value[i] != '\0' && i + 1 < size; i++) {
		unsigned char c = (unsigned char)value[i];

		out[i] = c == ',' || c == '=' || c == '{' || c == '}' ||
				 c == '"' || c < 0x20
			     ? '_'
			     : (char)c;
	}
	if (size > 0)
		out[i] = '\0';
}

struct label {
	const char *text; /* "key=value" */
	size_t length;
};

static int compare_labels(const void *a, const void *b)
{
	const struct label *x = a, *y = b;
	size_t kx = strcspn(x->text, "="), ky = strcspn(y->text, "=");
	int r = strncmp(x->text, y->text, kx < ky ? kx : ky);

	return r != 0 ? r : (kx > ky) - (kx < ky);
}

/* Sorted "k=v,k=v" from pairs; false when it does not fit. */
static bool join_labels(struct label *labels, size_t count, char *out,
			size_t size)
{
	size_t used = 0;

	qsort(labels, count, sizeof(*labels), compare_labels);
	out[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		if (used + labels[i].length + 2 > size)
			return false;
		if (i > 0)
			out[used++] = ',';
		memcpy(out + used, labels[i].text, labels[i].length);
		used += labels[i].length;
		out[used] = '\0';
	}
	return true;
}

void check_labels_with(const struct check *c, const char *key,
		       const char *value, char *out, size_t size)
{
	struct label labels[CHECKS_LABELS_MAX + 2];
	char extra[160];
	size_t count = 0;

	for (const char *p = c->labels;
	     *p != '\0' && count < CHECKS_LABELS_MAX + 1;) {
		size_t length = strcspn(p, ",");

		labels[count++] = (struct label){p, length};
		p += length;
		if (*p == ',')
			p++;
	}
	if (key != NULL) {
		size_t used =
		    (size_t)snprintf(extra, sizeof(extra), "%s=", key);

		checks_label_value(extra + used, value, sizeof(extra) - used);
		labels[count++] = (struct label){extra, strlen(extra)};
	}
	if (!join_labels(labels, count, out, size))
		out[0] = '\0';
}

static void build_labels(struct check *c)
{
	struct label labels[CHECKS_LABELS_MAX + 1];
	char own[80];
	size_t count = 0;

	snprintf(own, sizeof(own), "check=%s", c->name);
	labels[count++] = (struct label){own, strlen(own)};
	for (size_t i = 0;
	     i < c->config->labels.count && count < CHECKS_LABELS_MAX + 1; i++)
		labels[count++] =
		    (struct label){c->config->labels.items[i],
				   strlen(c->config->labels.items[i])};
	/* The schema bounds their length: this always fits. */
	if (!join_labels(labels, count, c->labels, sizeof(c->labels)))
		snprintf(c->labels, sizeof(c->labels), "%s", own);
}

/* ---- samples ---- */

void check_sample_labelled(struct check *c, const char *name,
			   const char *extra_key, const char *extra_value,
			   double value)
{
	struct check_sample *s;

	if (c->sample_count == CHECK_SAMPLES_MAX || !isfinite(value))
		return;
	s = &c->samples[c->sample_count++];
	s->name = name;
	s->extra_key = extra_key;
	string_copy(s->extra_value, extra_key ? extra_value : "",
		    sizeof(s->extra_value));
	s->value = value;
}

void check_sample(struct check *c, const char *name, double value)
{
	check_sample_labelled(c, name, NULL, NULL, value);
}

static void write_samples(struct checks *checks, struct check *c)
{
	char labels[METRIC_LABELS_MAX];

	for (size_t i = 0; i < c->sample_count; i++) {
		const struct check_sample *s = &c->samples[i];
		int id;

		if (s->extra_key != NULL)
			check_labels_with(c, s->extra_key, s->extra_value,
					  labels, sizeof(labels));
		else
			string_copy(labels, c->labels, sizeof(labels));
		id = metrics_register(checks->metrics, s->name, labels);
		if (id >= 0)
			metrics_push(checks->metrics, id, checks->now_usec,
				     s->value);
	}
	c->sample_count = 0;
	c->samples_ready = false;
}

/* ---- alerts ---- */

void checks_submit(struct checks *checks, const struct check_alert *a,
		   bool firing, enum alert_nature nature, double value,
		   double threshold, const char *summary, const char *detail)
{
	struct alert_event event = {
	    .rule = a->rule,
	    .series = a->series,
	    .labels = a->labels,
	    .severity = a->severity,
	    .firing = firing,
	    .nature = nature,
	    .time_usec = now_realtime_usec(),
	    .value = value,
	    .baseline = NAN,
	    .threshold = threshold,
	    .score = 1.0,
	    .eta_secs = -1,
	    .summary = summary,
	    .detail = detail,
	    .count = 1,
	};
	int r = event_submit(&event);

	if (r < 0 && checks->submit_failures++ == 0)
		log_warning_errno(r,
				  "checks: could not hand a %s event to the "
				  "alerter",
				  a->rule);
	if (nature != ALERT_POINT)
		checks->state_dirty = true;
}

static bool same_alert(const struct check_alert *a, const char *rule,
		       const char *series, const char *labels)
{
	return strcmp(a->rule, rule) == 0 && strcmp(a->series, series) == 0 &&
	       strcmp(a->labels, labels) == 0;
}

bool checks_take_restored(struct checks *checks, struct check_alert *slot)
{
	for (size_t i = 0; i < checks->restored_count; i++) {
		struct check_alert *r = &checks->restored[i];

		if (!r->used ||
		    !same_alert(r, slot->rule, slot->series, slot->labels))
			continue;
		slot->firing = true;
		slot->restored = true;
		slot->severity = r->severity;
		r->used = false;
		return true;
	}
	return false;
}

static struct check_alert *alert_slot(struct check *c, const char *rule,
				      const char *series, const char *labels)
{
	struct check_alert *free_slot = NULL;

	for (size_t i = 0; i < c->alert_capacity; i++) {
		struct check_alert *a = &c->alerts[i];

		if (a->used && same_alert(a, rule, series, labels))
			return a;
		if (!a->used && free_slot == NULL)
			free_slot = a;
	}
	if (free_slot == NULL) {
		/* Conditions come and go (files): reuse one long unseen. */
		for (size_t i = 0; i < c->alert_capacity; i++)
			if (!c->alerts[i].firing &&
			    c->alerts[i].seen_tick + 2 < c->owner->tick)
				free_slot = &c->alerts[i];
		if (free_slot == NULL)
			return NULL;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->used = true;
	free_slot->rule = rule;
	free_slot->series = series;
	string_copy(free_slot->labels, labels, sizeof(free_slot->labels));
	checks_take_restored(c->owner, free_slot);
	return free_slot;
}

void check_condition(struct check *c, const struct check_verdict *v,
		     const char *format, ...)
{
	char labels[METRIC_LABELS_MAX], summary[512], detail[CHECK_OUTPUT_MAX];
	enum alert_nature nature = v->nature ? v->nature : ALERT_STATE;
	struct check_alert *a;
	va_list args;
	size_t used;

	used = (size_t)snprintf(summary, sizeof(summary), "%s: ", c->name);
	va_start(args, format);
	vsnprintf(summary + (used < sizeof(summary) ? used : 0),
		  sizeof(summary) - (used < sizeof(summary) ? used : 0), format,
		  args);
	va_end(args);
	secret_mask(summary);
	if (v->detail != NULL) {
		string_copy(detail, v->detail, sizeof(detail));
		secret_mask_cut(detail);
	}
	if (v->extra_key != NULL)
		check_labels_with(c, v->extra_key, v->extra_value, labels,
				  sizeof(labels));
	else
		string_copy(labels, c->labels, sizeof(labels));
	if (nature == ALERT_POINT) {
		struct check_alert point = {.rule = v->rule,
					    .series = v->series,
					    .severity = v->severity};

		string_copy(point.labels, labels, sizeof(point.labels));
		if (v->bad)
			checks_submit(c->owner, &point, true, nature, v->value,
				      v->threshold, summary,
				      v->detail ? detail : NULL);
		return;
	}
	a = alert_slot(c, v->rule, v->series, labels);
	if (a == NULL)
		return;
	a->seen_tick = c->owner->tick;
	if (!v->bad) {
		a->bad_runs = 0;
		if (a->firing) {
			a->firing = a->restored = false;
			checks_submit(c->owner, a, false, nature, v->value,
				      v->threshold, summary, NULL);
		}
		return;
	}
	a->bad_runs++;
	if (!a->firing &&
	    a->bad_runs < (unsigned)c->config->failures_before_alert)
		return;
	/* New, changed severity, or firing before a restart: said again
	 * (the alerter tells a repeat from news). */
	if (a->firing && !a->restored && a->severity == v->severity)
		return;
	a->firing = true;
	a->restored = false;
	a->severity = v->severity;
	checks_submit(c->owner, a, true, nature, v->value, v->threshold,
		      summary, v->detail ? detail : NULL);
}

void check_up(struct check *c, bool up, const char *detail, const char *format,
	      ...)
{
	struct check_verdict verdict = {
	    .rule = "check_failed",
	    .series = "check.up",
	    .bad = !up,
	    .severity = c->severity,
	    .value = up ? 1 : 0,
	    .threshold = NAN,
	    .detail = detail,
	};
	char text[CHECK_REASON_MAX + 64];
	va_list args;

	va_start(args, format);
	vsnprintf(text, sizeof(text), format, args);
	va_end(args);
	check_sample(c, "check.up", up ? 1 : 0);
	c->run_up = up;
	check_condition(c, &verdict, "%s", text);
	if (!up)
		log_debug("check %s: %s", c->name, text);
}

void check_cannot_start(struct check *c, const char *what, int error,
			const char *words)
{
	char text[96];

	if (words == NULL) {
		checks_errno_words(error, text, sizeof(text));
		words = text;
	}
	if (c->probe != NULL) { /* in the probe process: said by the daemon */
		struct check_probe_result r = {.cannot_start = true,
					       .error = error};

		snprintf(r.words, sizeof(r.words), "cannot start %s: %s", what,
			 words);
		check_gathered(c, &r);
		return;
	}
	check_up(c, false, NULL, "cannot start %s: %s", what, words);
	check_run_done(c);
}

/*
 * A condition a good run no longer reports is over: the certificate file
 * is gone, the server is no longer a replica. (When the check is down its
 * other conditions could not be judged and stay as they were.)
 */
static void resolve_unreported(struct check *c)
{
	char summary[256];

	for (size_t i = 0; c->run_up && i < c->alert_capacity; i++) {
		struct check_alert *a = &c->alerts[i];

		if (!a->used || !a->firing || a->seen_tick == c->owner->tick)
			continue;
		snprintf(summary, sizeof(summary),
			 "%s: %s is no longer "
			 "reported",
			 c->name, a->labels);
		a->firing = a->restored = false;
		a->bad_runs = 0;
		checks_submit(c->owner, a, false, ALERT_STATE, NAN, NAN,
			      summary, NULL);
	}
}

void check_run_done(struct check *c)
{
	resolve_unreported(c);
	c->running = false;
	c->samples_ready = true;
}

/* Alerts of a check that goes away (removed, renamed, retyped). */
static void resolve_all(struct check *c, const char *why)
{
	char summary[256];

	snprintf(summary, sizeof(summary), "%s: %s", c->name, why);
	for (size_t i = 0; i < c->alert_capacity; i++) {
		struct check_alert *a = &c->alerts[i];

		if (a->used && a->firing) {
			a->firing = false;
			checks_submit(c->owner, a, false, ALERT_STATE, NAN, NAN,
				      summary, NULL);
		}
	}
}

/* ---- state across restarts ---- */

static void load_state(struct checks *checks)
{
	json_object *root, *firing, *item, *field;
	char *text = NULL;
	size_t length;
	int r;

	if (checks->state_fd < 0)
		return;
	r = state_read(checks->state_fd, STATE_FILE, STATE_MAX_BYTES, &text,
		       &length);
	if (r < 0) {
		if (r != -ENOENT)
			log_warning_errno(r, "checks: cannot read %s",
					  STATE_FILE);
		return;
	}
	root = json_tokener_parse(text);
	free(text);
	if (root == NULL ||
	    !json_object_object_get_ex(root, "firing", &firing) ||
	    !json_object_is_type(firing, json_type_array)) {
		log_warning("checks: %s is not what this version writes; "
			    "ignored",
			    STATE_FILE);
		json_object_put(root);
		return;
	}
	for (size_t i = 0; i < json_object_array_length(firing) &&
			   checks->restored_count < RESTORED_MAX;
	     i++) {
		struct check_alert *a =
		    &checks->restored[checks->restored_count];
		static const char *const rules[] = {
		    "check_failed",
		    "certificate_expiry",
		    "redis_master_link_down",
		    "redis_bgsave_failed",
		    "redis_memory_near_limit",
		    "redis_rejected_connections",
		    "new_listener",
		};
		static const char *const series[] = {
		    "check.up",
		    "check.cert_expiry_days",
		    "redis.master_link_up",
		    "redis.last_bgsave_ok",
		    "redis.memory_used_percent",
		    "redis.rejected_connections_per_sec",
		    "listen.socket",
		};
		const char *rule, *series_name, *labels, *severity;

		item = json_object_array_get_idx(firing, i);
		if (!json_object_object_get_ex(item, "rule", &field))
			continue;
		rule = json_object_get_string(field);
		series_name = json_object_object_get_ex(item, "series", &field)
				  ? json_object_get_string(field)
				  : "";
		labels = json_object_object_get_ex(item, "labels", &field)
			     ? json_object_get_string(field)
			     : "";
		severity = json_object_object_get_ex(item, "severity", &field)
			       ? json_object_get_string(field)
			       : "";
		/* Rules and series are static strings in the slots. */
		for (size_t k = 0; k < ARRAY_SIZE(rules); k++)
			if (rule != NULL && strcmp(rules[k], rule) == 0 &&
			    series_name != NULL &&
			    strcmp(series[k], series_name) == 0) {
				a->used = a->firing = true;
				a->rule = rules[k];
				a->series = series[k];
				string_copy(a->labels, labels ? labels : "",
					    sizeof(a->labels));
				a->severity = event_severity_from_name(
				    severity, ALERT_WARNING);
				checks->restored_count++;
				break;
			}
	}
	json_object_put(root);
	if (checks->restored_count > 0)
		log_info("checks: %zu alert(s) were firing at the last stop",
			 checks->restored_count);
}

static void add_firing(void *context, const struct check_alert *a)
{
	json_object *array = context;
	json_object *item = json_object_new_object();

	json_object_object_add(item, "rule", json_object_new_string(a->rule));
	json_object_object_add(item, "series",
			       json_object_new_string(a->series));
	json_object_object_add(item, "labels",
			       json_object_new_string(a->labels));
	json_object_object_add(
	    item, "severity",
	    json_object_new_string(event_severity_name(a->severity)));
	json_object_array_add(array, item);
}

static void save_state(struct checks *checks)
{
	json_object *root, *firing;
	const char *text;
	int r;

	if (checks->state_fd < 0 || !checks->state_dirty)
		return;
	root = json_object_new_object();
	firing = json_object_new_array();
	json_object_object_add(root, "version", json_object_new_int(1));
	for (size_t i = 0; i < checks->count; i++) {
		struct check *c = checks->checks[i];

		for (size_t k = 0; k < c->alert_capacity; k++)
			if (c->alerts[k].used && c->alerts[k].firing)
				add_firing(firing, &c->alerts[k]);
	}
	for (size_t i = 0; i < checks->restored_count; i++)
		if (checks->restored[i].used)
			add_firing(firing, &checks->restored[i]);
	listeners_each_firing(checks->listeners, add_firing, firing);
	json_object_object_add(root, "firing", firing);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN);
	r = state_write_atomic(checks->state_fd, STATE_FILE, text,
			       strlen(text));
	json_object_put(root);
	if (r < 0) {
		log_warning_errno(r, "checks: cannot save %s", STATE_FILE);
		return;
	}
	checks->state_dirty = false;
}

/* Firing before the restart, and no check says so any more. */
static void resolve_leftovers(struct checks *checks)
{
	for (size_t i = 0; i < checks->restored_count; i++) {
		struct check_alert *a = &checks->restored[i];
		char summary[256];

		if (!a->used)
			continue;
		snprintf(summary, sizeof(summary), "%s is no longer checked",
			 a->labels);
		a->used = false;
		checks_submit(checks, a, false, ALERT_STATE, NAN, NAN, summary,
			      NULL);
	}
	checks->restored_count = 0;
}

/* ---- checks from the configuration ---- */

static struct check *check_new(struct checks *checks,
			       const struct check_config *config)
{
	int type = checks_type_from_name(config->type);
	struct check *c;
	int r;

	if (type < 0)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->owner = checks;
	c->kind = kinds[type];
	c->config = config;
	string_copy(c->name, config->name, sizeof(c->name));
	build_labels(c);
	c->alert_capacity =
	    c->kind->alert_capacity ? c->kind->alert_capacity(config) : 1;
	c->alerts = calloc(c->alert_capacity, sizeof(*c->alerts));
	c->state = c->kind->state_size ? calloc(1, c->kind->state_size) : NULL;
	if (c->alerts == NULL || (c->kind->state_size && c->state == NULL)) {
		free(c->alerts);
		free(c->state);
		free(c);
		return NULL;
	}
	r = c->kind->setup ? c->kind->setup(c) : 0;
	if (r < 0) {
		log_error_errno(r, "check %s: cannot set up", c->name);
		if (c->kind->teardown)
			c->kind->teardown(c);
		free(c->alerts);
		free(c->state);
		free(c);
		return NULL;
	}
	return c;
}

/*
 * Settings that may change on a reload without a new check. Checks run on
 * the tick grid: every interval_ticks ticks (intervals round up to ticks).
 */
static void apply_settings(struct check *c, const struct config *config)
{
	int64_t tick = config->agent.collect_interval_secs;

	c->interval_ticks =
	    (uint64_t)((c->config->interval_secs + tick - 1) / tick);
	if (c->interval_ticks == 0)
		c->interval_ticks = 1;
	c->timeout_usec = (uint64_t)c->config->timeout_secs * USEC_PER_SEC;
	c->severity =
	    event_severity_from_name(c->config->severity, ALERT_CRITICAL);
}

static void unqueue(struct checks *checks, struct check *c)
{
	for (struct check **at = &checks->waiting_head; *at != NULL;
	     at = &(*at)->next_waiting)
		if (*at == c) {
			*at = c->next_waiting;
			break;
		}
	checks->waiting_tail = NULL;
	for (struct check *w = checks->waiting_head; w != NULL;
	     w = w->next_waiting)
		checks->waiting_tail = w;
	c->waiting = false;
	c->next_waiting = NULL;
}

/* A run in flight abandoned, here or in the probe process. */
static void check_cancel(struct check *c)
{
	if (c->probing)
		check_probe_cancel(c);
	else if (c->kind->cancel)
		c->kind->cancel(c);
}

static void check_free(struct check *c)
{
	if (c == NULL)
		return;
	if (c->waiting)
		unqueue(c->owner, c);
	if (c->running)
		check_cancel(c);
	c->running = false;
	if (c->kind->teardown)
		c->kind->teardown(c);
	free(c->alerts);
	free(c->state);
	free(c);
}

/* A listen check reads the listener table even when [listeners] is off. */
static void tell_listeners(struct checks *checks)
{
	bool needed = false;

	for (size_t i = 0; i < checks->count; i++)
		needed |= checks->checks[i]->kind == &check_listen_kind;
	listeners_need(checks->listeners, needed);
}

int checks_new(const struct config *config, struct metric_registry *metrics,
	       sd_event *event, int state_fd, struct checks **out)
{
	struct checks *checks = calloc(1, sizeof(*checks));
	int r;

	if (checks == NULL)
		return -ENOMEM;
	checks->event = sd_event_ref(event);
	checks->metrics = metrics;
	checks->config = config;
	checks->state_fd = state_fd;
	checks->proc_fd =
	    open(config->agent.proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (checks->proc_fd < 0) {
		r = log_error_errno(errno, "checks: cannot open %s",
				    config->agent.proc_root);
		checks_free(checks);
		return r;
	}
	checks->restored =
	    zeroed_pages_alloc(RESTORED_MAX, sizeof(*checks->restored));
	if (checks->restored == NULL) {
		checks_free(checks);
		return -ENOMEM;
	}
	load_state(checks);
	r = listeners_new(checks, &checks->listeners);
	if (r < 0) {
		checks_free(checks);
		return r;
	}
	for (size_t i = 0; i < config->checks.count; i++) {
		struct check *c = check_new(checks, &config->checks.items[i]);

		if (c == NULL)
			continue; /* said; the others still run */
		apply_settings(c, config);
		checks->checks[checks->count++] = c;
	}
	tell_listeners(checks);
	if (checks->count > 0)
		log_info("checks: %zu configured", checks->count);
	*out = checks;
	return 0;
}

static void start_run(struct checks *checks, struct check *c,
		      uint64_t monotonic)
{
	if (c->running || c->waiting) {
		c->overruns++;
		if (!c->overrun_said)
			log_warning("check %s: the previous run is still going "
				    "after %.0f s; this run is skipped (said "
				    "once)",
				    c->name, check_elapsed_secs(c));
		c->overrun_said = true;
		return;
	}
	c->running = true;
	c->runs++;
	c->started_usec = monotonic;
	c->sample_count = 0;
	c->samples_ready = false;
	if (check_probe_wanted(c))
		check_probe_start(c);
	else
		c->kind->run(c);
	(void)checks;
}

/* Series of checks that no longer exist, or of subjects that went away. */
static void sweep_series(struct checks *checks)
{
	struct metric_registry *m = checks->metrics;

	for (size_t id = 0; id < metrics_id_limit(m); id++) {
		const struct metric_series *s = metrics_get(m, (int)id);
		const char *own;
		bool known = false;
		size_t length;

		if (s == NULL || (strncmp(s->name, "check.", 6) != 0 &&
				  strncmp(s->name, "redis.", 6) != 0))
			continue;
		own = strncmp(s->labels, "check=", 6) == 0
			  ? s->labels
			  : strstr(s->labels, ",check=");
		if (own == NULL)
			continue;
		own = strchr(own, '=') + 1;
		length = strcspn(own, ",");
		for (size_t i = 0; i < checks->count && !known; i++)
			known =
			    strlen(checks->checks[i]->name) == length &&
			    strncmp(checks->checks[i]->name, own, length) == 0;
		if (!known || s->last_time_usec + (int64_t)STALE_SERIES_USEC <
				  checks->now_usec)
			metrics_retire(m, (int)id);
	}
}

static uint64_t longest_interval(const struct checks *checks)
{
	uint64_t longest = 1;

	for (size_t i = 0; i < checks->count; i++)
		if (checks->checks[i]->interval_ticks > longest)
			longest = checks->checks[i]->interval_ticks;
	return longest;
}

void checks_tick(struct checks *checks, int64_t now_usec)
{
	uint64_t monotonic = now_monotonic_usec();

	checks->tick++;
	checks->now_usec = now_usec;
	/* Every check has run twice by then: what was firing before the
	 * restart and was not seen again is over. */
	if (checks->tick == 1)
		checks->restored_deadline_tick =
		    2 + 2 * longest_interval(checks);
	listeners_scan(checks->listeners, now_usec);
	for (size_t i = 0; i < checks->count; i++) {
		struct check *c = checks->checks[i];

		if (c->samples_ready)
			write_samples(checks, c);
		if (checks->tick < c->next_due_tick)
			continue;
		start_run(checks, c, monotonic);
		c->next_due_tick = checks->tick + c->interval_ticks;
		/* Reading /proc answers at once: written this same tick. */
		if (c->samples_ready)
			write_samples(checks, c);
	}
	if (checks->restored_count > 0 &&
	    checks->tick >= checks->restored_deadline_tick)
		resolve_leftovers(checks);
	if (checks->tick % SWEEP_EVERY_TICKS == 0)
		sweep_series(checks);
	save_state(checks);
}

static bool same_field(const struct config_key *key, const void *a,
		       const void *b)
{
	const struct config_string_list *x = a, *y = b;
	const char *s = *(const char *const *)a, *t = *(const char *const *)b;

	switch (key->type) {
	case CONFIG_BOOLEAN:
		return *(const bool *)a == *(const bool *)b;
	case CONFIG_INTEGER:
		return *(const int64_t *)a == *(const int64_t *)b;
	case CONFIG_FLOAT:
		return *(const double *)a == *(const double *)b;
	case CONFIG_STRING:
	case CONFIG_SECRET:
		return (s == NULL && t == NULL) ||
		       (s != NULL && t != NULL && strcmp(s, t) == 0);
	case CONFIG_STRING_LIST:
	case CONFIG_STRING_TABLE:
		if (x->count != y->count)
			return false;
		for (size_t i = 0; i < x->count; i++)
			if (strcmp(x->items[i], y->items[i]) != 0)
				return false;
		return true;
	}
	return false;
}

/* Every key, by the schema: a check whose settings did not change. */
static bool same_check(const struct check_config *a,
		       const struct check_config *b)
{
	for (size_t k = 0; k < checks_section.key_count; k++) {
		const struct config_key *key = &checks_section.keys[k];

		if (!same_field(key, (const char *)a + key->offset,
				(const char *)b + key->offset))
			return false;
	}
	return true;
}

static struct check *take_old(struct check **old, size_t old_count,
			      const char *name)
{
	for (size_t i = 0; i < old_count; i++)
		if (old[i] != NULL && strcmp(old[i]->name, name) == 0) {
			struct check *c = old[i];

			old[i] = NULL;
			return c;
		}
	return NULL;
}

/* Alerts of a replaced check that still mean the same go to its successor. */
static void hand_over_alerts(struct check *from, struct check *to)
{
	for (size_t i = 0; i < from->alert_capacity; i++) {
		struct check_alert *a = &from->alerts[i];
		struct check_alert *b;

		/* With other labels its conditions have other identities:
		 * the old ones are resolved with the old check. */
		if (!a->used || !a->firing || to->kind != from->kind ||
		    strcmp(from->labels, to->labels) != 0)
			continue;
		b = alert_slot(to, a->rule, a->series, a->labels);
		if (b == NULL)
			continue;
		*b = *a;
		a->firing = false;
	}
}

int checks_reload(struct checks *checks, const struct config *config)
{
	struct check *old[CHECKS_MAX];
	size_t old_count = checks->count;

	memcpy(old, checks->checks, sizeof(old));
	checks->config = config;
	checks->count = 0;
	for (size_t i = 0; i < config->checks.count; i++) {
		const struct check_config *entry = &config->checks.items[i];
		struct check *c = take_old(old, old_count, entry->name);

		if (c != NULL && same_check(c->config, entry)) {
			c->config = entry; /* nothing kept points elsewhere */
		} else {
			struct check *fresh = check_new(checks, entry);

			if (c != NULL) {
				if (fresh != NULL)
					hand_over_alerts(c, fresh);
				resolve_all(c, "the check was changed");
				check_free(c);
			}
			c = fresh;
		}
		if (c == NULL)
			continue;
		apply_settings(c, config);
		checks->checks[checks->count++] = c;
	}
	for (size_t i = 0; i < old_count; i++)
		if (old[i] != NULL) {
			resolve_all(old[i], "the check was removed");
			check_free(old[i]);
		}
	listeners_reload(checks->listeners);
	tell_listeners(checks);
	/* Slots of commands that were stopped may go to waiting ones. */
	check_command_start_waiting(checks);
	save_state(checks);
	return 0;
}

size_t checks_busy(const struct checks *checks)
{
	size_t busy = 0;

	for (size_t i = 0; i < checks->count; i++)
		busy +=
		    checks->checks[i]->running || checks->checks[i]->waiting;
	return busy;
}

void checks_stop(struct checks *checks)
{
	if (checks == NULL)
		return;
	for (size_t i = 0; i < checks->count; i++) {
		struct check *c = checks->checks[i];

		if (c->waiting)
			unqueue(checks, c);
		if (c->running)
			check_cancel(c);
		c->running = false;
	}
	listeners_stop(checks->listeners);
	save_state(checks);
}

void checks_free(struct checks *checks)
{
	if (checks == NULL)
		return;
	for (size_t i = 0; i < checks->count; i++)
		check_free(checks->checks[i]);
	check_command_reap_abandoned(checks);
	listeners_free(checks->listeners);
	checks_processes_free(checks->processes);
	checks_http_free(checks->http);
	checks_resolver_free(checks->resolver);
	if (checks->bus != NULL) {
		sd_bus_detach_event(checks->bus);
		sd_bus_flush_close_unref(checks->bus);
	}
	masker_free(checks->masker);
	zeroed_pages_free(checks->restored, RESTORED_MAX,
			  sizeof(*checks->restored));
	if (checks->proc_fd >= 0)
		close(checks->proc_fd);
	sd_event_unref(checks->event);
	free(checks);
}

int checks_bus(struct checks *checks, sd_bus **out)
{
	int r;

	/* A lost connection (systemd re-executed) is opened again. */
	if (checks->bus != NULL && sd_bus_is_open(checks->bus) <= 0) {
		sd_bus_detach_event(checks->bus);
		checks->bus = sd_bus_flush_close_unref(checks->bus);
	}
	if (checks->bus == NULL) {
		r = sd_bus_open_system(&checks->bus);
		if (r < 0)
			return r;
		r = sd_bus_attach_event(checks->bus, checks->event,
					SD_EVENT_PRIORITY_NORMAL);
		if (r < 0) {
			checks->bus = sd_bus_flush_close_unref(checks->bus);
			return r;
		}
	}
	*out = checks->bus;
	return 0;
}

/* ---- the daemon module ---- */

static struct checks *module_checks;

static int module_start(struct daemon *d)
{
	return checks_new(d->config, d->metrics, d->event, d->state_dir_fd,
			  &module_checks);
}

static void module_tick(struct daemon *d, uint64_t now_usec)
{
	(void)d;
	if (module_checks != NULL)
		checks_tick(module_checks, (int64_t)now_usec);
}

static int module_reload(struct daemon *d, const struct config *old_config)
{
	(void)old_config;
	return module_checks ? checks_reload(module_checks, d->config) : 0;
}

static void module_stop(struct daemon *d)
{
	(void)d;
	checks_stop(module_checks);
}

static void module_free(struct daemon *d)
{
	(void)d;
	checks_free(module_checks);
	module_checks = NULL;
}

const struct daemon_module checks_module = {
    .name = "checks",
    .role = DAEMON_PRODUCER,
    .start = module_start,
    .tick = module_tick,
    .reload = module_reload,
    .stop = module_stop,
    .free = module_free,
};
