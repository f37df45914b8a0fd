/*
 * detect.h - the detectors: small fixed-size state machines fed one sample at
 * a time. Each keeps O(1) state per series (no history is copied) so the
 * analyzer can afford one of each on every series the registry holds.
 *
 * The analyzer (analyzer.c) and the offline replay (replay.c) drive the same
 * functions, so what `replay` reports is what the daemon would send.
 */
#ifndef SYSOPS_ANALYZER_DETECT_H
#define SYSOPS_ANALYZER_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- threshold: raise/clear hysteresis held for for_secs ---- */

struct threshold_params {
	double raise;       /* breach when value >= raise (or <= when below) */
	double clear;       /* back to normal when value < clear */
	int64_t for_secs;   /* breach must hold this long before it fires */
	bool below;         /* fire on low values (free space) instead */
};

struct threshold_state {
	int64_t breach_since_usec; /* valid while breaching */
	bool breaching;
	bool firing;
};

enum detect_transition {
	DETECT_NONE,
	DETECT_FIRE,    /* a new alert starts */
	DETECT_RESOLVE, /* the alert's condition has cleared */
	DETECT_UPDATE,  /* still firing, with news worth a new message (a
			   forecast whose ETA halved) */
};

enum detect_transition threshold_update(struct threshold_state *state,
					const struct threshold_params *params,
					int64_t time_usec, double value);

/* ---- generic anomaly: robust z-score + EWMA + CUSUM, one score ---- */

struct anomaly_params {
	int64_t warmup_samples;    /* samples learnt before the first verdict */
	double baseline_samples;   /* EWMA span of the baseline (mean, MAD) */
	double min_stddev;         /* absolute floor of the spread */
	double relative_floor;     /* floor as a fraction of |median| */
	double z_alert;            /* robust |z| that maps to score 0.5 */
	double cusum_drift;        /* CUSUM allowance k, in spreads */
	double cusum_limit;        /* CUSUM decision level h, in spreads;
				      0 leaves CUSUM out of the score */
	double novelty_alert;      /* excess beyond the envelope of past
				      values, in spreads, that scores 0.5 */
	double novelty_range;      /* or this fraction of the envelope's
				      width, whichever is larger */
	double envelope_samples;   /* span over which the envelope forgets */
	double smooth_samples;     /* EWMA span of the level-shift detector */
	double raise_score;        /* the alert fires at score >= this */
	double clear_score;        /* and clears below this ... */
	int64_t clear_samples;     /* ... for this many samples */
	int64_t holdoff_secs;      /* no new alert this soon after the last */
	/*
	 * Operational gates (0 / false leave them out, as replay does): no
	 * verdict before warmup_secs of wall time, the smoothed level must be
	 * min_deviation away from the baseline (in the series' unit), and a
	 * rise_only series (errors, latency) never alerts on a fall.
	 */
	int64_t warmup_secs;
	double min_deviation;
	bool rise_only;
	/*
	 * The daily profile (struct season_state): how many days of history
	 * a series needs before its profile may judge it, how many days the
	 * profile remembers, and the share of the variance the profile must
	 * explain for the series to count as seasonal (0 never judges).
	 */
	double season_min_days;
	double season_days;
	double season_explained;
};

/*
 * About 140 bytes: the whole per-series cost of the generic path. Doubles
 * rather than floats because byte counters reach 1e9 and the EWMA of their
 * squares would lose every digit in a float.
 */
struct anomaly_state {
	int64_t samples;
	double median;       /* streaming median (sign steps scaled by MAD) */
	double mad;          /* streaming median absolute deviation */
	double mean;         /* EWMA mean of winsorised values */
	double variance;     /* EWMA variance of winsorised values */
	double cusum_high;   /* one-sided CUSUMs on the standardised value */
	double cusum_low;
	double recent;       /* short EWMA: where the level is now */
	double high, low;    /* envelope of past values, slowly forgotten */
	double recent_high, recent_low; /* the same for the smoothed level */
	double score;        /* last combined score in [0,1] */
	double z;            /* last signed deviation in spreads */
	double before;          /* the baseline before the last sample */
	double fire_baseline;   /* the baseline when the alert fired */
	int64_t first_usec;     /* time of the first sample (warmup_secs) */
	int64_t last_fire_usec;
	int64_t calm_samples;   /* consecutive samples below clear_score */
	bool firing;
	uint8_t cause;          /* enum anomaly_cause of the last high score */
};

enum anomaly_cause {
	ANOMALY_CAUSE_NONE,
	ANOMALY_CAUSE_SPIKE, /* one value far outside the band */
	ANOMALY_CAUSE_SHIFT, /* the level moved and stayed (CUSUM) */
	ANOMALY_CAUSE_SHAPE, /* off the series' usual daily shape */
};

/*
 * The daily profile beside the generic state: the level of each 5-minute
 * bucket of the day (UTC), an average over the last season_days days, and
 * how well it predicts the series. A series whose profile explains at least
 * season_explained of its variance is seasonal: a value far from its
 * bucket's usual level (a missing or flattened daily peak) is an anomaly
 * even inside the range the series covers every day, while the ordinary
 * daily peak, which the profile expects, stays quiet.
 *
 * It also remembers, per hour of the day, how high and low the hour
 * usually reaches on recent days (routine_high/low: each day's extremes in
 * the hour and the hours beside it, folded in when the next UTC day begins,
 * weigh half) and the current day's so far (today_high/low): a nightly job's
 * spike that comes at 3:05 one day and 3:35 the next is routine for that hour,
 * and stays an anomaly at any other hour.
 *
 * SEASON_STATE_BYTES (asserted): 288 buckets x (4-byte float level + 2-byte
 * count) + 24 hourly spreads + 4 x 24 hourly extremes (floats) + 80 bytes of
 * scalars = 2288 bytes per series, whatever its history. Floats suffice: a
 * bucket's level is an average, not a sum.
 */
#define SEASON_BUCKET_SECS 300
#define SEASON_BUCKETS	   (86400 / SEASON_BUCKET_SECS)
#define SEASON_STATE_BYTES 2288

struct season_state {
	int64_t first_usec; /* first sample: days of history */
	int64_t last_usec;
	double interval;       /* EWMA of the sampling interval, seconds */
	double mean, variance; /* EWMA of the values, over season_days */
	double residual_var;   /* EWMA of the squared smoothed residual,
				  winsorised once judging: the spread */
	double error_var;      /* EWMA of the squared residual against the
				  hour's average level, unclipped as
				  variance is */
	double residual;       /* smoothed residual (smooth_samples) */
	double explained;      /* 1 - error_var / variance, last sample */
	int64_t judged;	       /* samples judged by the profile */
	float hour_var[24];    /* residual_var per hour of the day */
	float routine_high[24], routine_low[24]; /* earlier days' extremes
						    per hour (NAN: none) */
	float today_high[24], today_low[24];	 /* this day's so far */
	float level[SEASON_BUCKETS];	/* per-bucket average */
	uint16_t count[SEASON_BUCKETS]; /* samples in it, saturating */
};

_Static_assert(sizeof(struct season_state) == SEASON_STATE_BYTES,
	       "struct season_state changed size: update SEASON_STATE_BYTES, "
	       "docs/DESIGN.md and the saved-state format");

void season_init(struct season_state *season);

/*
 * anomaly_update() plus the daily profile when season is not NULL: the
 * score is the larger of the two, and state->cause says SHAPE when the
 * profile's verdict carried it. A sample beyond the normal band that is no
 * further out than what the same hour of the day (or the hours beside it)
 * reached on earlier days is routine: its score is capped at how far it
 * leaves that range. The profile learns every sample.
 */
double anomaly_update_seasonal(struct anomaly_state *state,
			       struct season_state *season,
			       const struct anomaly_params *params,
			       int64_t time_usec, double value);

/* The profile's expected value now, or NAN while it has no say. */
double season_expected(const struct season_state *season,
		       const struct anomaly_params *params, int64_t time_usec);

void anomaly_init(struct anomaly_state *state);

/*
 * true (the default): a series settled on exactly its value (an idle
 * interface's error rate) takes a short update with the same result.
 * Tests set it false to compare every verdict with the full update.
 */
extern bool anomaly_shortcut;

/*
 * Whether a sample of value would take the settled shortcut (whatever
 * anomaly_shortcut says): every estimate is the value, spreads and CUSUMs
 * are 0. The analyzer lets such a series sleep (see analyzer.c).
 */
bool anomaly_settled_on(const struct anomaly_state *state,
			const struct anomaly_params *params, double value);

/* The same for the daily profile, which took its sample at time_usec. */
bool anomaly_season_settled_on(const struct season_state *season,
			       int64_t time_usec, double value);
/*
 * Before a sample at time_usec of value: whether the profile takes it as a
 * settled step (counts, interval, clock alone: the same day, its hour's
 * extremes of today already the value, the bucket settled on it).
 */
bool anomaly_season_settled_in(const struct season_state *season,
			       int64_t time_usec, double value);

/* Start of the profile's bucket (SEASON_BUCKET_SECS) holding time_usec. */
int64_t anomaly_season_bucket_start(int64_t time_usec);

/*
 * The profile's part of a replay depends on the times, the profile's
 * interval and clock and season_days alone, not on the series: slots that
 * slept through the same ticks with the same interval (series created
 * together, woken together) share it. The last one worked out is kept
 * here (a caller that keeps none passes NULL), so a wake of hundreds of
 * slots walks the times once, not once per slot.
 */
struct anomaly_replay_memo {
	const int64_t *times;
	size_t count;
	double days, interval; /* the key: before the replay */
	int64_t last_usec;
	double interval_after; /* what the walk gives */
	int64_t last_after;
	/* min over step i of (cap_i - i): a count below it takes every step */
	double slack;
	/* max over the steps of cap_i: a count at or above it takes none
	 * (a bucket full after season_days) */
	double ceiling;
	bool valid;
};

/*
 * What anomaly_update_seasonal() does to a settled state and profile fed
 * value at each of times (ascending, all in the bucket of the profile's
 * last sample): the same bytes, for a fraction of the instructions. No
 * score, no verdict: the caller knows the gate stays shut (not firing, a
 * score of 0 under raise_score).
 */
void anomaly_settled_replay(struct anomaly_state *state,
			    struct season_state *season,
			    const struct anomaly_params *params,
			    const int64_t *times, size_t count, double value,
			    struct anomaly_replay_memo *memo);

/* Feeds one sample; returns the score in [0,1] (0 while warming up). */
double anomaly_update(struct anomaly_state *state,
		      const struct anomaly_params *params, double value);

/*
 * Still inside the wall-time warm-up: the sample has been learnt, but the
 * score and the CUSUMs are dropped so the first verdict starts clean.
 */
void anomaly_hold(struct anomaly_state *state);

/*
 * The alert decision on top of the score, the part the daemon and replay
 * share: fire on a rising score unless inside the hold-off, resolve after
 * clear_samples calm samples. With min_deviation, a sample is calm only
 * once the smoothed level is back within it of the baseline the alert
 * fired on: the baseline adapts to a surge, the surge is still a problem.
 */
enum detect_transition anomaly_gate(struct anomaly_state *state,
				    const struct anomaly_params *params,
				    int64_t time_usec);

/* Baseline and half-width of the normal band, for messages. */
double anomaly_baseline(const struct anomaly_state *state);
double anomaly_band(const struct anomaly_state *state,
		    const struct anomaly_params *params);

/* ---- trend: weighted least squares over the recent fit -> time to a limit ---- */

struct trend_params {
	double span_secs;      /* time constant of the regression weights */
	double min_span_secs;  /* the fit must cover at least this long */
	double limit;          /* value at which the resource is exhausted */
	double horizon_secs;   /* alert when the limit is closer than this */
	double noise_floor;    /* smallest residual spread assumed (units) */
	/*
	 * A bound that applies before the limit: capped_slope of the slope
	 * (units per second, a tmpfs filling inside memory) stops once it has
	 * grown capped_room more units. 0 / 0: no bound.
	 */
	double capped_slope;
	double capped_room;
};

/*
 * The fit covers the current regime only: when the samples leave the line
 * (a CUSUM on the standardised residuals), it restarts from the sample
 * before, so a flat past does not dilute a fill-up that just began.
 */
struct trend_state {
	int64_t origin_usec; /* times are seconds since this, for precision */
	int64_t first_usec, last_usec; /* the current fit's first and newest */
	double sw, sw2, st, sx, stt, stx, sxx; /* weighted sums, t in s */
	double sp, sdd, sdu, suu; /* successive differences: pairs, dx², dx·dt,
				     dt² (for the residuals' autocorrelation) */
	double cusum_high, cusum_low;
	double last_value;
	double announced_eta; /* ETA last said (fire or update), s */
	bool fell;            /* the fit restarted on a drop */
	bool firing;
};

struct trend_forecast {
	double slope;      /* units per second */
	double slope_err;  /* standard error of the slope, autocorrelation
			      included */
	double level;      /* fitted value at the newest sample */
	double level_err;
	double r2;
	double rho;        /* lag-1 autocorrelation of the residuals */
	double fit_secs;   /* how long the fit covers */
	double eta_secs;   /* from the newest sample to the limit, or -1 */
	double eta_low, eta_high; /* the ETA's ~95% range (high -1: no end) */
};

void trend_init(struct trend_state *state);
void trend_update(struct trend_state *state, const struct trend_params *params,
		  int64_t time_usec, double value);
/* False until the fit has enough points over min_span_secs. */
bool trend_forecast(const struct trend_state *state,
		    const struct trend_params *params, struct trend_forecast *out);
/*
 * Fires when the limit is closer than the horizon with a good enough fit
 * (slope at least 4 standard errors); DETECT_UPDATE when the ETA has halved
 * since it was last said; resolves when the series fell or the fit shows the
 * limit out of reach.
 */
enum detect_transition trend_gate(struct trend_state *state,
				  const struct trend_params *params,
				  struct trend_forecast *out);
/*
 * Seconds until gap more units are covered at slope, of which capped_slope
 * stops after capped_room units; -1 when never.
 */
double trend_capped_eta(double gap, double slope, double capped_slope,
			double capped_room);

/* ---- leak: sustained linear growth, urgent when it exhausts soon ---- */

struct leak_params {
	double min_duration_secs; /* growth observed at least this long */
	double min_r2;            /* goodness of the linear fit */
	double min_growth;        /* absolute growth over the fit (bytes, fds) */
	double min_relative;      /* growth as a fraction of the start value */
	/*
	 * The fast path: growth that exhausts room (what is left: available
	 * memory, the cgroup's limit, the fd limit; NAN when unknown) sooner
	 * than fast_horizon_secs is reported once it has lasted
	 * fast_min_duration_secs, whatever the slow criteria say.
	 */
	double fast_horizon_secs;
	double fast_min_duration_secs;
	double room;
};

/*
 * Plain least squares since the series started growing; a plateau or a drop
 * restarts it (the window is the current growth run, never the ring).
 */
struct leak_state {
	int64_t origin_usec;
	double n, st, sx, stt, stx, sxx; /* x relative to start_value */
	double start_value, peak_value;
	int64_t start_usec, last_usec, peak_usec;
	/* From here on the fields survive a new run. */
	bool firing;
	bool fast;              /* the firing alert is an urgent one */
	int64_t fired_run_usec; /* start of the run that fired */
	double room;            /* the analyzer's last look at the room */
	int64_t room_usec;
};

struct leak_report {
	double rate_per_sec;
	double r2;
	double duration_secs;
	double growth;
	double start_value, value;
	double exhaust_secs;  /* room / rate, or -1 when unknown or never */
	bool fast;            /* exhaustion within fast_horizon_secs */
};

void leak_init(struct leak_state *state);
void leak_update(struct leak_state *state, const struct leak_params *params,
		 int64_t time_usec, double value);
bool leak_check(const struct leak_state *state,
		const struct leak_params *params, struct leak_report *out);
/*
 * Fires on a leak (fast or slow), DETECT_UPDATE when a slow one turns fast,
 * resolves when the growth run that fired is over (memory freed, plateau).
 */
enum detect_transition leak_gate(struct leak_state *state,
				 const struct leak_params *params,
				 struct leak_report *out);

#endif
