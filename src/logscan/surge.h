/*
 * surge.h - error-rate surges in any log: the lines no rule claims are
 * classified (classify.h) and counted per configured source (kmsg, journal,
 * each [logscan] files entry), published every tick as the series
 * log.lines_per_sec{severity,source}, and the error and critical counts
 * watched for a surge: one alert while the count over surge_window_secs is
 * both above an absolute floor and a multiple of the learnt baseline, with
 * the count and a few masked sample lines; it resolves when the count falls
 * back. The detector is a pure function of its state (unit-testable).
 */
#ifndef SYSOPS_LOGSCAN_SURGE_H
#define SYSOPS_LOGSCAN_SURGE_H

#include <stdbool.h>
#include <stdint.h>

#include "logscan/classify.h"
#include "core/config.h"

struct log_record;
struct masker;
struct metric_registry;

#define SURGE_SERIES "log.lines_per_sec"
#define SURGE_RING   64 /* window boundaries kept per detector */

struct surge_params {
	bool enabled;
	int64_t window_secs;   /* lines are counted over this window */
	int64_t warmup_secs;   /* before: only cold_lines applies */
	int64_t baseline_secs; /* time constant of the learnt baseline */
	double min_lines;      /* never a surge below this many in a window */
	double factor;	       /* times the baseline, once warm */
	double cold_lines;     /* the limit until warm */
};

/* One source's count of one class, and what it has learnt. */
struct surge_detector {
	struct {
		int64_t usec;
		uint64_t total;
	} ring[SURGE_RING];
	unsigned ring_next, ring_used;
	uint64_t total;	     /* lines counted so far (the line path) */
	uint64_t last_total; /* at the previous step */
	int64_t last_usec;
	int64_t first_usec; /* first step: warm-up starts */
	double baseline;    /* learnt lines per window */
	double learnt_secs;
	int64_t since_usec;	  /* when the firing surge began */
	uint64_t surge_base;	  /* total before the window that fired */
	int64_t warm_credit_usec; /* restored: warm-up already served */
	bool firing;
};

enum surge_verdict {
	SURGE_QUIET,
	SURGE_FIRE,
	SURGE_RESOLVE,
};

struct surge_reading {
	uint64_t lines;	      /* in the last window */
	uint64_t surge_lines; /* lines since the window that fired */
	double rate;	      /* lines per second since the previous step */
	double baseline;      /* learnt lines per window */
	double threshold;     /* lines per window that make a surge now */
	bool warm;
};

/* Params of a source: [logscan] surge_* and the first matching
 * [[logscan.surge]] entry. */
void logscan_surge_params(const struct logscan_config *config,
			  const char *source, struct surge_params *out);

/*
 * One step at now_usec (a tick): the window count from the lines counted
 * into detector->total, the baseline learnt (a running mean at first, an
 * EWMA over baseline_secs after), and the verdict: fire once when the
 * count reaches the threshold, resolve when it falls below half of it.
 */
enum surge_verdict logscan_surge_step(struct surge_detector *detector,
				      const struct surge_params *params,
				      int64_t now_usec,
				      struct surge_reading *out);

struct logscan_surge;

/*
 * The counters of config's sources; metrics (may be NULL: no series) gets
 * three series per source, registered now; masker is borrowed. With old
 * (a reload), sources of the same name keep their counts and baselines,
 * and a firing surge of a source that is gone is resolved. Returns 0 or
 * -ENOMEM.
 */
int logscan_surge_new(const struct logscan_config *config,
		      struct metric_registry *metrics, struct masker *masker,
		      struct logscan_surge *old, struct logscan_surge **out);
void logscan_surge_free(struct logscan_surge *surge);
/* The line path: a record no rule claimed. level_gram: whether its text
 * holds one of logscan_level_grams (rule_engine_level_gram; true when not
 * known), so a line without a level word costs no word walk. */
void logscan_surge_count(struct logscan_surge *surge,
			 const struct log_record *record, bool level_gram);
/* Every tick: series pushed, detectors stepped, events submitted. */
void logscan_surge_tick(struct logscan_surge *surge, int64_t now_usec);
/*
 * The baselines across restarts: saved while running (as often as the
 * analyzer's, else every LOGSCAN_SURGE_SAVE_SECS) and at stop in the state directory (SURGE_STATE_FILE), restored at start for the sources of the same name
 * when at most SURGE_STATE_MAX_AGE old; a source restored warm is warm at
 * once. Save returns 0 or -errno (logged); a missing or unreadable file
 * restores nothing.
 */
#define SURGE_STATE_FILE    "logscan-surge.state"
#define SURGE_STATE_MAX_AGE (7 * 86400)
#define LOGSCAN_SURGE_SAVE_SECS 300
int logscan_surge_save(const struct logscan_surge *surge, int state_dir_fd);
void logscan_surge_restore(struct logscan_surge *surge, int state_dir_fd);
/* A masker of the new engine (reload). */
void logscan_surge_set_masker(struct logscan_surge *surge,
			      struct masker *masker);

#endif
