/*
 * surge.c - per-source counts of the lines no rule claims, by class, their
 * series, and the surge detector on the error and critical counts: one
 * alert per surge (count, baseline, masked samples), resolved when the
 * count falls back, never one alert per line.
 */
#include "logscan/surge.h"

#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/event.h"
#include "core/log.h"
#include "core/numeric.h"
#include "core/state.h"
#include "core/util.h"
#include "logscan/mask.h"
#include "logscan/rules.h"
#include "storage/metrics.h"

#define SOURCE_NAME_MAX 128
#define SAMPLE_BYTES	160
#define SAMPLES_MAX	10
#define WATCHED		2 /* error and critical */
#define USEC		((int64_t)USEC_PER_SEC)

/* Classes published as series (none is not counted). */
static const enum logscan_class published[] = {
    LOGSCAN_CLASS_WARNING,
    LOGSCAN_CLASS_ERROR,
    LOGSCAN_CLASS_CRITICAL,
};
#define PUBLISHED (sizeof(published) / sizeof(published[0]))

struct sample_ring {
	char text[SAMPLES_MAX][SAMPLE_BYTES];
	unsigned next, used;
};

struct surge_source {
	bool active;
	char name[SOURCE_NAME_MAX]; /* the source label */
	bool glob; /* a glob of files: samples name their file */
	struct surge_params params;
	uint64_t counts[LOGSCAN_CLASS_COUNT];
	uint64_t pushed[LOGSCAN_CLASS_COUNT]; /* counts at the last push */
	int64_t pushed_usec;
	int series[PUBLISHED]; /* metric ids, -1: none */
	/* [0] error, [1] critical: detector->total is the count itself. */
	struct surge_detector detectors[WATCHED];
	struct sample_ring samples[WATCHED];
};

struct logscan_surge {
	struct surge_source *sources; /* kmsg, journal, then files entries */
	size_t count;
	struct metric_registry *metrics;
	struct masker *masker;
	unsigned samples;
	int64_t now_sec; /* of the last tick: lines older than a window are
			    history read from a file's start, not counted */
};

void logscan_surge_params(const struct logscan_config *config,
			  const char *source, struct surge_params *out)
{
	*out = (struct surge_params){
	    .enabled = config->surge,
	    .window_secs = config->surge_window_secs,
	    .warmup_secs = config->surge_warmup_secs,
	    .baseline_secs = config->surge_baseline_secs,
	    .min_lines = (double)config->surge_min_lines,
	    .factor = config->surge_factor,
	    .cold_lines = (double)config->surge_cold_lines,
	};
	for (size_t i = 0; i < config->surge_count; i++) {
		const struct logscan_surge_config *o = &config->surges[i];

		if (o->source == NULL || (strcmp(o->source, source) != 0 &&
					  fnmatch(o->source, source, 0) != 0))
			continue;
		out->enabled = config->surge && o->enabled;
		if (o->min_lines >= 0)
			out->min_lines = (double)o->min_lines;
		if (o->factor >= 0)
			out->factor = o->factor;
		if (o->cold_lines >= 0)
			out->cold_lines = (double)o->cold_lines;
		break;
	}
}

static void ring_note(struct surge_detector *d, const struct surge_params *p,
		      int64_t now_usec)
{
	/* Boundaries at least window/(SURGE_RING - 4) apart: the ring always
	 * reaches a full window back, whatever the tick. */
	int64_t spacing = p->window_secs * USEC / (SURGE_RING - 4);
	unsigned newest = (d->ring_next + SURGE_RING - 1) % SURGE_RING;

	if (d->ring_used > 0 && now_usec - d->ring[newest].usec < spacing)
		return;
	d->ring[d->ring_next].usec = now_usec;
	d->ring[d->ring_next].total = d->total;
	d->ring_next = (d->ring_next + 1) % SURGE_RING;
	if (d->ring_used < SURGE_RING)
		d->ring_used++;
}

/* Lines since the newest boundary at least a window old (else the oldest). */
static uint64_t window_lines(const struct surge_detector *d,
			     const struct surge_params *p, int64_t now_usec)
{
	int64_t start = now_usec - p->window_secs * USEC;
	unsigned oldest =
	    (d->ring_next + SURGE_RING - d->ring_used) % SURGE_RING;
	uint64_t base = d->ring[oldest].total;

	for (unsigned k = 0; k < d->ring_used; k++) {
		unsigned i = (oldest + k) % SURGE_RING;

		if (d->ring[i].usec > start)
			break;
		base = d->ring[i].total;
	}
	return d->total - base;
}

enum surge_verdict logscan_surge_step(struct surge_detector *d,
				      const struct surge_params *p,
				      int64_t now_usec,
				      struct surge_reading *out)
{
	double dt, alpha, expected, clear;

	memset(out, 0, sizeof(*out));
	if (d->first_usec == 0) {
		d->first_usec = now_usec - d->warm_credit_usec;
		d->last_usec = now_usec;
		d->last_total = d->total;
		ring_note(d, p, now_usec);
		return SURGE_QUIET;
	}
	dt = (double)(now_usec - d->last_usec) / USEC;
	if (dt <= 0)
		return SURGE_QUIET;
	out->rate = (double)(d->total - d->last_total) / dt;
	d->last_total = d->total;
	d->last_usec = now_usec;
	ring_note(d, p, now_usec);
	out->lines = window_lines(d, p, now_usec);

	/* A running mean until baseline_secs have been seen, an EWMA after:
	 * a new source has a usable baseline once it is warm. */
	d->learnt_secs += dt;
	alpha = dt / numeric_min((double)p->baseline_secs, d->learnt_secs);
	expected = out->rate * (double)p->window_secs;
	d->baseline += numeric_min(alpha, 1.0) * (expected - d->baseline);

	out->baseline = d->baseline;
	out->warm = now_usec - d->first_usec >= p->warmup_secs * USEC;
	out->threshold =
	    out->warm ? numeric_max(p->min_lines, p->factor * d->baseline)
		      : numeric_max(p->min_lines, p->cold_lines);
	if (d->firing)
		out->surge_lines = d->total - d->surge_base;
	if (!p->enabled) {
		if (!d->firing)
			return SURGE_QUIET;
		d->firing = false;
		return SURGE_RESOLVE;
	}
	if (!d->firing && (double)out->lines >= out->threshold) {
		d->firing = true;
		d->since_usec = now_usec;
		d->surge_base = d->total - out->lines;
		return SURGE_FIRE;
	}
	clear = out->threshold / 2;
	if (d->firing && (double)out->lines < clear) {
		d->firing = false;
		return SURGE_RESOLVE;
	}
	return SURGE_QUIET;
}

/* "kmsg", "journal" or the files entry, fit for a label value. */
static void source_name(char *out, const char *name)
{
	string_copy(out, name, SOURCE_NAME_MAX);
	for (char *p = out; *p != '\0'; p++)
		if (*p == ',' || *p == '=')
			*p = '_';
}

static void register_series(struct logscan_surge *surge,
			    struct surge_source *source)
{
	char labels[METRIC_LABELS_MAX];

	for (size_t k = 0; k < PUBLISHED; k++) {
		source->series[k] = -1;
		if (surge->metrics == NULL)
			continue;
		snprintf(labels, sizeof(labels), "severity=%s,source=%s",
			 logscan_class_name(published[k]), source->name);
		source->series[k] =
		    metrics_register(surge->metrics, SURGE_SERIES, labels);
	}
}

static void submit(struct logscan_surge *surge, struct surge_source *source,
		   size_t watched, enum surge_verdict verdict,
		   const struct surge_reading *r, int64_t now_usec)
{
	enum logscan_class class =
	    watched == 0 ? LOGSCAN_CLASS_ERROR : LOGSCAN_CLASS_CRITICAL;
	const char *name = logscan_class_name(class);
	const struct surge_detector *d = &source->detectors[watched];
	const struct sample_ring *ring = &source->samples[watched];
	char labels[METRIC_LABELS_MAX], summary[512], window[32], usual[32];
	char detail[ALERT_EVENT_DETAIL_MAX] = "";
	size_t used = 0;
	struct alert_event alert;
	/* Firing: the window's count; resolved: the whole surge's. */
	uint64_t count = verdict == SURGE_FIRE ? r->lines : r->surge_lines;

	snprintf(labels, sizeof(labels), "severity=%s,source=%s", name,
		 source->name);
	format_duration((uint64_t)source->params.window_secs, window,
			sizeof(window));
	format_number(r->baseline, usual, sizeof(usual));
	if (verdict == SURGE_FIRE && r->warm)
		snprintf(
		    summary, sizeof(summary),
		    "Surge of %s lines in %s: %llu in the last %s, usually "
		    "about %s",
		    name, source->name, (unsigned long long)r->lines, window,
		    usual);
	else if (verdict == SURGE_FIRE)
		snprintf(summary, sizeof(summary),
			 "Surge of %s lines in %s: %llu in the last %s (no "
			 "baseline yet: a new source alerts from %.0f)",
			 name, source->name, (unsigned long long)r->lines,
			 window, r->threshold);
	else
		snprintf(summary, sizeof(summary),
			 "%s lines in %s back to normal: %llu in the last "
			 "%s%s%s%s, %llu since the surge began",
			 class == LOGSCAN_CLASS_ERROR ? "Error" : "Critical",
			 source->name, (unsigned long long)r->lines, window,
			 r->warm ? " (usually about " : "",
			 r->warm ? usual : "", r->warm ? ")" : "",
			 (unsigned long long)r->surge_lines);
	/* Samples, oldest first, masked, each on its own line. */
	for (unsigned k =
		 surge->samples < ring->used ? ring->used - surge->samples : 0;
	     verdict == SURGE_FIRE && k < ring->used; k++) {
		unsigned i =
		    (ring->next + SAMPLES_MAX - ring->used + k) % SAMPLES_MAX;
		char masked[SAMPLE_BYTES];
		size_t n =
		    masker_apply(surge->masker, ring->text[i],
				 strlen(ring->text[i]), masked, sizeof(masked));

		if (used + n + 4 > sizeof(detail))
			break;
		used +=
		    (size_t)snprintf(detail + used, sizeof(detail) - used,
				     "%s  %s", used > 0 ? "\n" : "", masked);
	}
	alert = (struct alert_event){
	    .rule = "log_surge",
	    .series = SURGE_SERIES,
	    .labels = labels,
	    .severity = class == LOGSCAN_CLASS_CRITICAL ? ALERT_CRITICAL
							: ALERT_WARNING,
	    .firing = verdict == SURGE_FIRE,
	    .nature = ALERT_METRIC,
	    .time_usec = (uint64_t)now_usec,
	    .since_usec = (uint64_t)d->since_usec,
	    .value = (double)r->lines,
	    .baseline = r->baseline,
	    .threshold = r->threshold,
	    .score = 1.0,
	    .eta_secs = -1,
	    .summary = summary,
	    .detail = used > 0 ? detail : NULL,
	    .count = count > UINT32_MAX ? UINT32_MAX : (uint32_t)count,
	};
	log_info("logscan: %s", summary);
	if (event_submit(&alert) < 0)
		log_warning("logscan: the alerter refused the surge alert of "
			    "%s",
			    source->name);
}

static void add_source(struct logscan_surge *surge,
		       const struct logscan_config *config, size_t slot,
		       const char *name, struct logscan_surge *old)
{
	struct surge_source *source = &surge->sources[slot];

	source_name(source->name, name);
	for (size_t i = 0; old != NULL && i < old->count; i++)
		if (old->sources[i].active &&
		    strcmp(old->sources[i].name, source->name) == 0) {
			*source = old->sources[i];
			old->sources[i].active = false; /* carried */
			break;
		}
	source->active = true;
	source->glob = strpbrk(name, "*?[") != NULL;
	logscan_surge_params(config, name, &source->params);
	register_series(surge, source);
}

int logscan_surge_new(const struct logscan_config *config,
		      struct metric_registry *metrics, struct masker *masker,
		      struct logscan_surge *old, struct logscan_surge **out)
{
	struct logscan_surge *surge = calloc(1, sizeof(*surge));
	int64_t now_usec = (int64_t)now_realtime_usec();

	if (surge == NULL)
		return -ENOMEM;
	surge->count = 2 + config->files.count;
	surge->sources = calloc(surge->count, sizeof(*surge->sources));
	if (surge->sources == NULL) {
		free(surge);
		return -ENOMEM;
	}
	surge->metrics = metrics;
	surge->masker = masker;
	surge->samples = (unsigned)config->surge_samples;
	surge->now_sec = now_usec / USEC;
	if (config->kmsg)
		add_source(surge, config, 0, "kmsg", old);
	if (config->journal)
		add_source(surge, config, 1, "journal", old);
	for (size_t i = 0; i < config->files.count; i++)
		add_source(surge, config, 2 + i, config->files.items[i], old);
	/* What the new configuration no longer watches: its surge is over. */
	for (size_t i = 0; old != NULL && i < old->count; i++) {
		struct surge_source *gone = &old->sources[i];

		if (!gone->active)
			continue;
		for (size_t w = 0; w < WATCHED; w++) {
			struct surge_reading r = {0};

			if (gone->detectors[w].firing)
				submit(surge, gone, w, SURGE_RESOLVE, &r,
				       now_usec);
			gone->detectors[w].firing = false;
		}
		for (size_t k = 0; metrics != NULL && k < PUBLISHED; k++)
			if (gone->series[k] >= 0)
				metrics_retire(metrics, gone->series[k]);
		gone->active = false;
	}
	*out = surge;
	return 0;
}

void logscan_surge_free(struct logscan_surge *surge)
{
	if (surge == NULL)
		return;
	free(surge->sources);
	free(surge);
}

void logscan_surge_set_masker(struct logscan_surge *surge,
			      struct masker *masker)
{
	surge->masker = masker;
}

void logscan_surge_count(struct logscan_surge *surge,
			 const struct log_record *record, bool level_gram)
{
	struct surge_source *source;
	enum logscan_class class;
	size_t slot;

	switch (record->source) {
	case LOGSCAN_SOURCE_KMSG:
		slot = 0;
		break;
	case LOGSCAN_SOURCE_JOURNAL:
		slot = 1;
		break;
	default:
		slot = 2 + (size_t)record->pattern;
		break;
	}
	if (slot >= surge->count || !surge->sources[slot].active)
		return;
	source = &surge->sources[slot];
	class = logscan_classify_screened(record->text, record->length,
					  record->level, level_gram);
	if (class == LOGSCAN_CLASS_NONE ||
	    record->time_sec < surge->now_sec - source->params.window_secs)
		return;
	source->counts[class]++;
	if (class >= LOGSCAN_CLASS_ERROR) {
		size_t w = class == LOGSCAN_CLASS_ERROR ? 0 : 1;
		struct sample_ring *ring = &source->samples[w];
		char *sample = ring->text[ring->next];
		const char *file;
		int used = 0;

		source->detectors[w].total++;
		if (surge->samples == 0)
			return;
		if (source->glob && record->origin != NULL) {
			file = strrchr(record->origin, '/');
			used =
			    snprintf(sample, SAMPLE_BYTES,
				     "%s: ", file ? file + 1 : record->origin);
			used = used < SAMPLE_BYTES ? used : SAMPLE_BYTES - 1;
		}
		snprintf(sample + used, SAMPLE_BYTES - (size_t)used, "%.*s",
			 (int)(record->length < SAMPLE_BYTES ? record->length
							     : SAMPLE_BYTES),
			 record->text);
		ring->next = (ring->next + 1) % SAMPLES_MAX;
		if (ring->used < SAMPLES_MAX)
			ring->used++;
	}
}

void logscan_surge_tick(struct logscan_surge *surge, int64_t now_usec)
{
	surge->now_sec = now_usec / USEC;
	for (size_t i = 0; i < surge->count; i++) {
		struct surge_source *source = &surge->sources[i];
		double dt;

		if (!source->active)
			continue;
		dt = (double)(now_usec - source->pushed_usec) / USEC;
		for (size_t k = 0;
		     source->pushed_usec > 0 && dt > 0 && k < PUBLISHED; k++) {
			enum logscan_class class = published[k];

			if (source->series[k] >= 0 && surge->metrics != NULL)
				metrics_push(surge->metrics, source->series[k],
					     now_usec,
					     (double)(source->counts[class] -
						      source->pushed[class]) /
						 dt);
		}
		memcpy(source->pushed, source->counts, sizeof(source->pushed));
		source->pushed_usec = now_usec;
		for (size_t w = 0; w < WATCHED; w++) {
			struct surge_reading r;
			enum surge_verdict v =
			    logscan_surge_step(&source->detectors[w],
					       &source->params, now_usec, &r);

			if (v != SURGE_QUIET)
				submit(surge, source, w, v, &r, now_usec);
		}
	}
}

int logscan_surge_save(const struct logscan_surge *surge, int state_dir_fd)
{
	size_t size = 64 + surge->count * WATCHED * (SOURCE_NAME_MAX + 80);
	char *text = malloc(size);
	int64_t now = (int64_t)(now_realtime_usec() / USEC_PER_SEC);
	size_t used;
	int r;

	if (text == NULL)
		return -ENOMEM;
	/* One line a detector: class, baseline, seconds learnt, warm, name. */
	used = (size_t)snprintf(text, size, "surge 1 %lld\n", (long long)now);
	for (size_t i = 0; i < surge->count; i++) {
		const struct surge_source *source = &surge->sources[i];

		for (size_t w = 0; source->active && w < WATCHED; w++) {
			const struct surge_detector *d = &source->detectors[w];
			bool warm = d->first_usec > 0 &&
				    d->last_usec - d->first_usec >=
					source->params.warmup_secs * USEC;

			if (d->learnt_secs <= 0)
				continue;
			used += (size_t)snprintf(
			    text + used, size - used, "%zu %.6g %.0f %d %s\n",
			    w, d->baseline, d->learnt_secs, warm, source->name);
		}
	}
	r = state_write_atomic(state_dir_fd, SURGE_STATE_FILE, text, used);
	free(text);
	if (r < 0)
		log_warning_errno(
		    r,
		    "logscan: cannot save the surge baselines "
		    "in %s (%m); they are learnt again after a restart",
		    SURGE_STATE_FILE);
	return r;
}

static void restore_line(struct logscan_surge *surge, const char *line)
{
	unsigned w;
	double baseline, learnt;
	int warm, name_at = 0;

	if (sscanf(line, "%u %lf %lf %d %n", &w, &baseline, &learnt, &warm,
		   &name_at) != 4 ||
	    name_at == 0 || w >= WATCHED || !isfinite(baseline) ||
	    baseline < 0 || !isfinite(learnt) || learnt <= 0)
		return;
	for (size_t i = 0; i < surge->count; i++) {
		struct surge_source *source = &surge->sources[i];
		struct surge_detector *d = &source->detectors[w];

		if (!source->active ||
		    strcmp(source->name, line + name_at) != 0)
			continue;
		d->baseline = baseline;
		d->learnt_secs = learnt;
		if (warm)
			d->warm_credit_usec = source->params.warmup_secs * USEC;
		return;
	}
}

void logscan_surge_restore(struct logscan_surge *surge, int state_dir_fd)
{
	char *text, *line, *next;
	size_t length;
	long long saved;
	int64_t now = (int64_t)(now_realtime_usec() / USEC_PER_SEC);

	if (state_dir_fd < 0 || state_read(state_dir_fd, SURGE_STATE_FILE,
					   1 << 20, &text, &length) < 0)
		return;
	if (sscanf(text, "surge 1 %lld", &saved) != 1 ||
	    now - saved > SURGE_STATE_MAX_AGE || saved > now + 86400) {
		log_info("logscan: %s is stale or malformed; surge baselines "
			 "are learnt again",
			 SURGE_STATE_FILE);
		free(text);
		return;
	}
	line = strchr(text, '\n');
	while (line != NULL && *++line != '\0') {
		next = strchr(line, '\n');
		if (next == NULL)
			break; /* a cut last line: left out */
		*next = '\0';
		restore_line(surge, line);
		line = next;
	}
	free(text);
}
