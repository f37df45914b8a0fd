/*
 * detect_anomaly.c - the generic detector every series gets: a robust z-score
 * (streaming median and MAD) for values that leave the normal band, and a
 * two-sided CUSUM for level shifts too small to stand out one sample at a time.
 *
 * Both read one sample and keep a handful of doubles. The score is in [0,1]
 * with 0.5 meaning "as far out as z_alert spreads"; anomaly_gate() turns the
 * score into alerts with a hold-off, which is what both the daemon and
 * `replay` report.
 */
#include "analyzer/detect.h"

#include <math.h>
#include <string.h>

#include "core/numeric.h"

/* 1.4826 * MAD estimates the standard deviation of a normal distribution. */
#define MAD_TO_SIGMA 1.4826
/* Values beyond this many spreads are clipped before they move the EWMA. */
#define WINSOR_SPREADS 4.0
/*
 * No sample moves a CUSUM by more than this share of its decision level: a
 * level shift is a level that stays, so at least this many samples beyond
 * the allowance must agree before one is declared. A burst of one or two
 * samples is a spike, judged as one against the series' range.
 */
#define SHIFT_STEP_SHARE (1.0 / 3.0)
/*
 * The envelope's memory in time: it forgets over envelope_samples samples or
 * this many days, whichever is shorter, so "seen lately" means the same on a
 * series sampled hourly (2000 samples: 83 days) as on one sampled every 5
 * minutes (7 days). The daemon's 10-s samples never reach it.
 */
#define ENVELOPE_MAX_DAYS 28.0
/*
 * A value beyond its recent range needs less deviation from the baseline the
 * further beyond it is: its score is the geometric mean of the two, with the
 * deviation scored against this many z_alert, but never more than its
 * novelty. At the envelope's margin that takes 5 spreads (z_alert 4), far
 * beyond it 2.9; Gaussian noise alerts as rarely as when both had to pass
 * on their own (16 against 15 alerts in 30 runs of 10,000 samples).
 */
#define NOVEL_DEVIATION_SCALE 1.25
/* Share of an hour's usual extremes kept when a new day's are folded in. */
#define ROUTINE_KEEP 0.5

bool anomaly_shortcut = true;

void anomaly_init(struct anomaly_state *state)
{
	memset(state, 0, sizeof(*state));
}

static double alpha_of_span(double span)
{
	return 2.0 / (span + 1.0);
}

static double spread_floor(const struct anomaly_state *state,
			   const struct anomaly_params *params)
{
	double floor = params->relative_floor * fabs(state->median);

	return floor > params->min_stddev ? floor : params->min_stddev;
}

/* The spread used to standardise: robust first, the EWMA as a backstop. */
static double spread_of(const struct anomaly_state *state,
			const struct anomaly_params *params)
{
	double robust = MAD_TO_SIGMA * state->mad;
	double classic = sqrt(state->variance);
	double spread = robust > classic ? robust : classic;
	double floor = spread_floor(state, params);

	if (spread < floor)
		spread = floor;
	return spread > 1e-12 ? spread : 1e-12;
}

/* Maps a non-negative deviation to [0,1), 0.5 at `half`. */
static double squash(double deviation, double half)
{
	double d2 = deviation * deviation;

	return d2 / (d2 + half * half);
}

static void learn(struct anomaly_state *state,
		  const struct anomaly_params *params, double value,
		  double spread)
{
	double span = params->baseline_samples;
	double alpha, deviation, clipped, delta;

	/* Warm-up: shorter spans so the first estimates come quickly. */
	if ((double)state->samples < span)
		span = (double)state->samples + 1.0;
	alpha = alpha_of_span(span);

	/*
	 * Streaming median: a step of fixed size towards the sample, so one
	 * outlier moves it no more than an ordinary sample does.
	 */
	deviation = value - state->median;
	if (deviation > 0)
		state->median += numeric_min(deviation, alpha * spread);
	else if (deviation < 0)
		state->median -= numeric_min(-deviation, alpha * spread);

	/* Streaming MAD: multiplicative steps balance at the median |dev|. */
	if (fabs(deviation) > state->mad)
		state->mad = state->mad > 0 ? state->mad * (1.0 + alpha)
					    : fabs(deviation) * alpha;
	else
		state->mad *= 1.0 - alpha;

	/* Winsorised EWMA mean/variance (West's incremental form). */
	clipped = value;
	if (state->samples > params->warmup_samples) {
		double limit = WINSOR_SPREADS * spread;

		clipped = numeric_max(numeric_min(value, state->mean + limit),
				      state->mean - limit);
	}
	delta = clipped - state->mean;
	state->mean += alpha * delta;
	state->variance = (1.0 - alpha) * (state->variance + alpha * delta * delta);
}

/* Widens the envelope to the value, or lets it shrink towards the median. */
static void envelope_update(double *high, double *low, double value,
			    double center, double forget)
{
	*high -= (*high - center) * forget;
	*low += (center - *low) * forget;
	if (value > *high)
		*high = value;
	if (value < *low)
		*low = value;
}

static double excess(double value, double high, double low)
{
	return numeric_max(0, numeric_max(value - high, low - value));
}

enum {
	SIGNIFICANT_SPIKE = 1, /* the value itself may alert */
	SIGNIFICANT_LEVEL = 2, /* a level shift may alert */
};

/*
 * The operational gates, against the baseline before this sample is learnt.
 * The floor applies to the smoothed level, not the raw value: a lone blip
 * must be about smooth_samples / 2 times the floor to count, a sustained
 * change only just over it, so what matters is size times duration.
 */
static unsigned significance(const struct anomaly_state *state,
			     const struct anomaly_params *params, double value)
{
	double level = state->recent - state->median;
	unsigned allowed = SIGNIFICANT_SPIKE | SIGNIFICANT_LEVEL;

	if (params->rise_only) {
		if (value <= state->median)
			allowed &= ~(unsigned)SIGNIFICANT_SPIKE;
		if (level <= 0)
			allowed &= ~(unsigned)SIGNIFICANT_LEVEL;
	} else {
		level = fabs(level);
	}
	if (params->min_deviation > 0 && level < params->min_deviation)
		allowed = 0;
	return allowed;
}

/*
 * Whether the state has settled on exactly this value (an idle interface's
 * error rate, 0 since it was first read): every estimate equals it, both
 * spreads and CUSUMs are 0 (from the second sample on, warm-up or not).
 * The full update would then move nothing but the counters and score 0 (a
 * zero deviation steps no estimate, scales a zero spread by 1 - alpha,
 * leaves the envelopes where they are and scores 0 on every count), so
 * anomaly_settled_step() does just that, for a fraction of the
 * instructions. tests/unit/test_detect_anomaly.c feeds flat runs both ways
 * and compares every verdict and the final state.
 */
static bool anomaly_settled(const struct anomaly_state *state,
			    const struct anomaly_params *params, double value)
{
	return anomaly_shortcut && anomaly_settled_on(state, params, value);
}

bool anomaly_settled_on(const struct anomaly_state *state,
			const struct anomaly_params *params, double value)
{
	return isfinite(value) && state->samples > 0 &&
	       value == state->median && value == state->mean &&
	       value == state->recent && value == state->high &&
	       value == state->low && value == state->recent_high &&
	       value == state->recent_low && state->mad == 0 &&
	       state->variance == 0 && state->cusum_high == 0 &&
	       state->cusum_low == 0 && params->cusum_drift >= 0;
}

static double anomaly_settled_step(struct anomaly_state *state,
				   const struct anomaly_params *params,
				   double value)
{
	/* (value - median) / spread: a zero of the same sign. */
	state->z = value - state->median;
	state->before = state->median;
	state->samples++;
	/* Warming up, the full update leaves the last cause as it was. */
	if (state->samples > params->warmup_samples)
		state->cause = ANOMALY_CAUSE_NONE;
	state->score = 0;
	return 0;
}

/* anomaly_update() for a series sampled every interval seconds (0: unknown). */
static double anomaly_update_every(struct anomaly_state *state,
				   const struct anomaly_params *params,
				   double value, double interval)
{
	double spread, z, spike, novel, shift, cusum = 0, k = params->cusum_drift;
	unsigned significant;
	double smooth_alpha, forget;

	if (!isfinite(value))
		return state->score;
	if (anomaly_settled(state, params, value))
		return anomaly_settled_step(state, params, value);
	smooth_alpha = alpha_of_span(params->smooth_samples);
	forget = numeric_max(1.0 / params->envelope_samples,
			     interval / (ENVELOPE_MAX_DAYS * 86400.0));
	if (state->samples == 0) {
		state->median = state->mean = state->recent = value;
		state->high = state->low = value;
		state->recent_high = state->recent_low = value;
		state->samples = 1;
		state->score = 0;
		return 0;
	}
	spread = spread_of(state, params);
	z = (value - state->median) / spread;
	state->z = z;
	state->recent += smooth_alpha * (value - state->recent);

	/*
	 * CUSUM on the standardised deviation, clamped per sample
	 * (SHIFT_STEP_SHARE) so a short burst counts as a few large steps,
	 * not an instant level shift.
	 */
	if (params->cusum_limit > 0) {
		double sd = numeric_max(sqrt(state->variance),
					spread_floor(state, params));
		double zc = (value - state->mean) / numeric_max(sd, 1e-12);
		double clamp = params->cusum_limit * SHIFT_STEP_SHARE;
		double step = numeric_max(numeric_min(zc, clamp), -clamp);

		state->cusum_high =
		    numeric_max(0, state->cusum_high + step - k);
		state->cusum_low = numeric_max(0, state->cusum_low - step - k);
		cusum = squash(numeric_max(state->cusum_high, state->cusum_low),
			       params->cusum_limit);
	}
	/*
	 * Novelty: how far the value, and the smoothed level, leave the
	 * range they have covered lately. A daily cycle or a regular burst
	 * stays inside its own envelope; a new extreme or a level no longer
	 * seen does not. The smoothed level's spread is the spread of an
	 * EWMA of independent noise, sqrt(a / (2 - a)) of the raw one.
	 */
	spike = squash(fabs(z), NOVEL_DEVIATION_SCALE * params->z_alert);
	{
		double scale = sqrt(smooth_alpha / (2 - smooth_alpha));
		double margin = numeric_max(params->novelty_alert * spread,
					    params->novelty_range *
						(state->high - state->low));
		double margin_smooth =
		    numeric_max(params->novelty_alert * spread * scale,
				params->novelty_range *
				    (state->recent_high - state->recent_low));

		novel = squash(excess(value, state->high, state->low) /
				   numeric_max(margin, 1e-12),
			       1.0);
		shift = squash(excess(state->recent, state->recent_high,
				      state->recent_low) /
				   numeric_max(margin_smooth, 1e-12),
			       1.0);
		/* And the level itself must be far from the baseline. */
		shift = numeric_min(shift,
				    squash(fabs(state->recent - state->median) /
					       (spread * scale),
					   params->z_alert));
	}
	significant = significance(state, params, value);
	state->before = state->median;
	learn(state, params, value, spread);
	/*
	 * A CUSUM past its decision level has found a level shift: restart
	 * it from the new level (the classic CUSUM restart), so the score
	 * says "changed here" once instead of staying high until the slow
	 * baseline has crawled over. The range of levels held lately belongs
	 * to the old level and restarts with it: the next change is judged
	 * against the levels held since.
	 */
	if (cusum >= 0.5) {
		state->cusum_high = state->cusum_low = 0;
		state->mean = state->median = state->recent;
		state->recent_high = state->recent_low = state->recent;
	}
	envelope_update(&state->high, &state->low, value, state->median,
			forget);
	envelope_update(&state->recent_high, &state->recent_low,
			state->recent, state->median, forget);
	/*
	 * The smoothed level starts at the first sample and needs its own
	 * span to forget it: until then its range says where the series
	 * started (a spike, a peak), not what levels it usually holds.
	 */
	if ((double)state->samples < params->smooth_samples)
		state->recent_high = state->recent_low = state->recent;
	state->samples++;

	if (state->samples <= params->warmup_samples) {
		state->cusum_high = state->cusum_low = 0;
		state->score = 0;
		return 0;
	}
	novel = numeric_min(novel, sqrt(novel * spike));
	if (!(significant & SIGNIFICANT_SPIKE))
		novel = 0;
	if (!(significant & SIGNIFICANT_LEVEL))
		shift = cusum = 0;
	state->cause = novel >= numeric_max(shift, cusum) ? ANOMALY_CAUSE_SPIKE
							  : ANOMALY_CAUSE_SHIFT;
	state->score = numeric_max(novel, numeric_max(shift, cusum));
	if (state->score < 0.01)
		state->cause = ANOMALY_CAUSE_NONE;
	return state->score;
}

double anomaly_update(struct anomaly_state *state,
		      const struct anomaly_params *params, double value)
{
	return anomaly_update_every(state, params, value, 0);
}

void anomaly_hold(struct anomaly_state *state)
{
	state->cusum_high = state->cusum_low = 0;
	state->score = 0;
	state->cause = ANOMALY_CAUSE_NONE;
}

enum detect_transition anomaly_gate(struct anomaly_state *state,
				    const struct anomaly_params *params,
				    int64_t time_usec)
{
	if (state->firing) {
		double off = state->recent - state->fire_baseline;
		bool still_off = params->min_deviation > 0 &&
				 (params->rise_only ? off : fabs(off)) >=
					 params->min_deviation;

		if (state->score >= params->clear_score || still_off) {
			state->calm_samples = 0;
			return DETECT_NONE;
		}
		if (++state->calm_samples < params->clear_samples)
			return DETECT_NONE;
		state->firing = false;
		return DETECT_RESOLVE;
	}
	if (state->score < params->raise_score)
		return DETECT_NONE;
	if (state->last_fire_usec != 0 &&
	    time_usec - state->last_fire_usec <
		    params->holdoff_secs * (int64_t)1000000)
		return DETECT_NONE;
	state->firing = true;
	state->fire_baseline = state->before;
	state->calm_samples = 0;
	state->last_fire_usec = time_usec;
	return DETECT_FIRE;
}

double anomaly_baseline(const struct anomaly_state *state)
{
	return state->median;
}

double anomaly_band(const struct anomaly_state *state,
		    const struct anomaly_params *params)
{
	return params->z_alert * spread_of(state, params);
}

/* ---- the daily profile ---- */

#define USEC_PER_DAY (86400 * (int64_t)1000000)

void season_init(struct season_state *season)
{
	memset(season, 0, sizeof(*season));
	for (int h = 0; h < 24; h++) {
		season->routine_high[h] = season->routine_low[h] = NAN;
		season->today_high[h] = season->today_low[h] = NAN;
	}
}

static int64_t season_day(int64_t time_usec)
{
	return time_usec >= 0 ? time_usec / USEC_PER_DAY
			      : -((-time_usec - 1) / USEC_PER_DAY) - 1;
}

/*
 * A new UTC day: each hour's usual extremes move half way to the day's in
 * that hour and the hours beside it (a job that runs every night keeps them
 * where it reaches, whether it started at 3:55 or 4:05; one odd day is
 * mostly forgotten two days later), an hour the day did not see drifts half
 * way to the mean, and the new day starts empty.
 */
static void season_fold_day(struct season_state *season)
{
	const double keep = ROUTINE_KEEP;
	float day_high[24], day_low[24];

	/* The day's extremes of each hour and the hours beside it. */
	for (int h = 0; h < 24; h++) {
		day_high[h] = day_low[h] = NAN;
		for (int d = -1; d <= 1; d++) {
			int n = (h + d + 24) % 24;

			if (isnan(season->today_high[n]))
				continue;
			day_high[h] = isnan(day_high[h])
					  ? season->today_high[n]
					  : numeric_maxf(day_high[h],
							 season->today_high[n]);
			day_low[h] = isnan(day_low[h])
					 ? season->today_low[n]
					 : numeric_minf(day_low[h],
							season->today_low[n]);
		}
	}
	for (int h = 0; h < 24; h++) {
		float *high = &season->routine_high[h];
		float *low = &season->routine_low[h];

		if (isnan(day_high[h])) {
			if (!isnan(*high)) {
				*high = (float)(season->mean +
						(*high - season->mean) * keep);
				*low = (float)(season->mean +
					       (*low - season->mean) * keep);
			}
		} else if (isnan(*high)) {
			*high = day_high[h];
			*low = day_low[h];
		} else {
			*high += (float)((1 - keep) * (day_high[h] - *high));
			*low += (float)((1 - keep) * (day_low[h] - *low));
		}
	}
	for (int h = 0; h < 24; h++)
		season->today_high[h] = season->today_low[h] = NAN;
}

static void season_note_extremes(struct season_state *season, int hour,
				 double value)
{
	float *high = &season->today_high[hour];
	float *low = &season->today_low[hour];

	if (isnan(*high) || value > *high)
		*high = (float)value;
	if (isnan(*low) || value < *low)
		*low = (float)value;
}

static int season_bucket(int64_t time_usec)
{
	int64_t of_day = time_usec % USEC_PER_DAY;

	if (of_day < 0)
		of_day += USEC_PER_DAY;
	return (int)(of_day / (SEASON_BUCKET_SECS * (int64_t)1000000));
}

/*
 * How far the value leaves the range its hour of the day (with the hours
 * beside it, see season_fold_day) reached on recent days, scored like the
 * envelope's novelty (0.5 at the margin); 1 while no earlier day is known.
 */
static double season_routine_score(const struct season_state *season,
				   const struct anomaly_params *params,
				   int64_t time_usec, double value,
				   double spread)
{
	int hour = season_bucket(time_usec) / (SEASON_BUCKETS / 24);
	double high = season->routine_high[hour];
	double low = season->routine_low[hour], margin;

	if (isnan(high))
		return 1;
	margin = numeric_max(params->novelty_alert * spread,
			     params->novelty_range * (high - low));
	return squash(excess(value, high, low) / numeric_max(margin, 1e-12),
		      1.0);
}

/* Samples a bucket receives per day at the observed sampling interval. */
static double season_per_day(const struct season_state *season)
{
	double interval =
	    season->interval > 0 ? season->interval : SEASON_BUCKET_SECS;

	return numeric_max(1.0, SEASON_BUCKET_SECS / interval);
}

static double season_history_days(const struct season_state *season,
				  int64_t time_usec)
{
	return (double)(time_usec - season->first_usec) / (double)USEC_PER_DAY;
}

/*
 * Whether the profile judges this bucket: the series has the history, its
 * profile explains enough of its variance, and the bucket has been seen on
 * more than one day.
 */
static bool season_has_say(const struct season_state *season,
			   const struct anomaly_params *params,
			   int64_t time_usec, int bucket)
{
	return params->season_explained > 0 &&
	       season_history_days(season, time_usec) >=
		   params->season_min_days &&
	       season->explained >= params->season_explained &&
	       season->count[bucket] >= 2 * season_per_day(season);
}

double season_expected(const struct season_state *season,
		       const struct anomaly_params *params, int64_t time_usec)
{
	int bucket = season_bucket(time_usec);

	if (season == NULL ||
	    !season_has_say(season, params, time_usec, bucket))
		return NAN;
	return season->level[bucket];
}

/*
 * The profile averaged over the hour around the bucket: whether a series
 * is seasonal is judged at this resolution, so a nightly job's spike that
 * comes at 3:05 one day and 3:30 the next does not make its 3:05 bucket
 * look predictable.
 */
static double season_hour_level(const struct season_state *season, int hour)
{
	int per_hour = SEASON_BUCKETS / 24, n = 0;
	double sum = 0;

	for (int b = hour * per_hour; b < (hour + 1) * per_hour; b++)
		if (season->count[b] > 0) {
			sum += season->level[b];
			n++;
		}
	return n > 0 ? sum / n : season->mean;
}

/*
 * Whether the profile has settled on exactly this value (see
 * anomaly_settled): its mean and the bucket's and hour's levels are the
 * value, every variance and the smoothed residual are 0. Its update then
 * changes nothing but the clock, the day's extremes and the counts: the
 * residuals are 0, a 0 variance stays 0 and the level moves by 0.
 */
static bool season_settled(const struct season_state *season, int bucket,
			   double value)
{
	int hour = bucket / (SEASON_BUCKETS / 24);

	if (!(value == season->mean && season->variance == 0 &&
	      season->error_var == 0 && season->residual == 0 &&
	      season->residual_var == 0 && season->hour_var[hour] == 0 &&
	      season->count[bucket] > 0 &&
	      (double)season->level[bucket] == value))
		return false;
	/*
	 * season_hour_level() == value: so it is when every level it averages
	 * is the value (a float: up to 12 of them add up exactly), or when
	 * none is and it falls back to the mean. Anything else takes the
	 * full update, right either way.
	 */
	for (int b = hour * (SEASON_BUCKETS / 24);
	     b < (hour + 1) * (SEASON_BUCKETS / 24); b++)
		if (season->count[b] > 0 && (double)season->level[b] != value)
			return false;
	return true;
}

/* What the full update leaves of a settled profile (see season_settled). */
static void season_settled_count(struct season_state *season,
				 const struct anomaly_params *params,
				 int bucket, double per_day)
{
	double cap = numeric_min(
	    65535.0, numeric_max(1.0, params->season_days) * per_day);

	season->judged++;
	season->explained = 0;
	if (season->count[bucket] < cap)
		season->count[bucket]++;
}

/*
 * One sample into the profile; returns the seasonal score, or -1 while the
 * profile has no say. The residual is taken against the bucket's level
 * before this sample is learnt: a one-step-ahead prediction error.
 */
static double season_update(struct season_state *season,
			    const struct anomaly_params *params,
			    int64_t samples, int64_t time_usec, double value)
{
	int bucket = season_bucket(time_usec);
	double per_day, span, alpha, smooth_alpha, spread, floor, cap;
	double score = -1;

	/*
	 * A profile starts with its first sample, which need not be the
	 * series' first: a warm detector whose saved profile was dropped.
	 */
	bool fresh =
	    samples <= 1 || (season->first_usec == 0 && season->last_usec == 0);

	if (!fresh && season_day(time_usec) > season_day(season->last_usec))
		season_fold_day(season);
	season_note_extremes(season, bucket / (SEASON_BUCKETS / 24), value);
	if (fresh) {
		season->first_usec = season->last_usec = time_usec;
		season->mean = value;
	} else if (time_usec > season->last_usec) {
		double dt = (double)(time_usec - season->last_usec) / 1e6;

		season->interval =
		    season->interval > 0
			? season->interval + 0.05 * (dt - season->interval)
			: dt;
		season->last_usec = time_usec;
	}
	per_day = season_per_day(season);
	if (anomaly_shortcut && !fresh &&
	    season_settled(season, bucket, value)) {
		score =
		    season_has_say(season, params, time_usec, bucket) ? 0 : -1;
		season_settled_count(season, params, bucket, per_day);
		return score;
	}
	/* Both variances remember season_days days of samples. */
	span = numeric_max(params->season_days, 1.0) * 86400.0 /
	       (season->interval > 0 ? season->interval : SEASON_BUCKET_SECS);
	if ((double)samples < span)
		span = (double)samples + 1.0;
	alpha = alpha_of_span(span);
	{
		double delta = value - season->mean;

		season->mean += alpha * delta;
		season->variance =
		    (1.0 - alpha) * (season->variance + alpha * delta * delta);
	}
	floor =
	    numeric_max(numeric_max(params->relative_floor * fabs(season->mean),
				    params->min_stddev),
			1e-12);
	smooth_alpha = alpha_of_span(params->smooth_samples);
	if (season->count[bucket] > 0) {
		int hour = bucket / (SEASON_BUCKETS / 24);
		double residual = value - season->level[bucket];
		double rate = alpha_of_span(
		    numeric_min(span, (double)season->judged + 1 + per_day));
		double coarse = value - season_hour_level(season, hour);
		double off, smooth, clipped;

		season->error_var +=
		    rate * (coarse * coarse - season->error_var);
		season->residual +=
		    smooth_alpha * (residual - season->residual);
		smooth = season->residual;
		/*
		 * The spread of the smoothed residual itself, per hour of the
		 * day: residuals of one day are correlated (a day whose peak
		 * runs high runs high for hours), and the peak hours vary
		 * more from day to day than the night does.
		 */
		spread = numeric_max(numeric_max(sqrt(season->hour_var[hour]),
						 sqrt(season->residual_var)),
				     floor);
		off = params->rise_only ? smooth : fabs(smooth);
		if (season_has_say(season, params, time_usec, bucket))
			score = 0;
		if (score == 0 && off > 0 &&
		    (params->min_deviation <= 0 ||
		     off >= params->min_deviation))
			score = squash(off / spread, params->z_alert);
		/* Once judging, an anomaly must not teach the spread fast. */
		clipped = smooth;
		if (season->judged > 0)
			clipped = numeric_max(
			    numeric_min(smooth, WINSOR_SPREADS * spread),
			    -WINSOR_SPREADS * spread);
		season->residual_var +=
		    rate * (clipped * clipped - season->residual_var);
		if (season->hour_var[hour] <= 0)
			season->hour_var[hour] = (float)(clipped * clipped);
		else
			season->hour_var[hour] +=
			    (float)(numeric_min(0.5, 24 * rate) *
				    (clipped * clipped -
				     season->hour_var[hour]));
		season->judged++;
	}
	season->explained = season->variance > 0
				? 1.0 - season->error_var / season->variance
				: 0;
	/* The bucket's level: an average over about season_days days. */
	cap = numeric_min(65535.0,
			  numeric_max(1.0, params->season_days) * per_day);
	if (season->count[bucket] < cap)
		season->count[bucket]++;
	season->level[bucket] +=
	    (float)((value - season->level[bucket]) / season->count[bucket]);
	return score;
}

double anomaly_update_seasonal(struct anomaly_state *state,
			       struct season_state *season,
			       const struct anomaly_params *params,
			       int64_t time_usec, double value)
{
	/* What spread_of() reads, before the update: the spread is needed
	 * only for a score above 0 (never on a settled series). */
	const struct anomaly_state before = {
	    .median = state->median,
	    .mad = state->mad,
	    .variance = state->variance,
	};
	double score, shape;

	score = anomaly_update_every(state, params, value,
				     season != NULL ? season->interval : 0);
	if (season == NULL || !isfinite(value))
		return score;
	/*
	 * Judged before this sample joins the day's extremes. Only a value
	 * outside the normal band is capped: a level shift is judged by the
	 * generic detector once its values are back inside the band.
	 */
	if (params->season_explained > 0 && score > 0 &&
	    fabs(state->z) >= params->z_alert) {
		double routine =
		    season_routine_score(season, params, time_usec, value,
					 spread_of(&before, params));

		if (routine < score) {
			state->score = score = routine;
			if (score < 0.01)
				state->cause = ANOMALY_CAUSE_NONE;
		}
	}
	shape = season_update(season, params, state->samples, time_usec, value);
	if (state->samples <= params->warmup_samples || shape <= score)
		return score;
	state->score = shape;
	state->cause = ANOMALY_CAUSE_SHAPE;
	return shape;
}

bool anomaly_season_settled_on(const struct season_state *season,
			       int64_t time_usec, double value)
{
	return season->last_usec == time_usec &&
	       season_settled(season, season_bucket(time_usec), value);
}

bool anomaly_season_settled_in(const struct season_state *season,
			       int64_t time_usec, double value)
{
	int hour = season_bucket(time_usec) / (SEASON_BUCKETS / 24);

	return season_day(time_usec) == season_day(season->last_usec) &&
	       (double)season->today_high[hour] == value &&
	       (double)season->today_low[hour] == value &&
	       season_settled(season, season_bucket(time_usec), value);
}

int64_t anomaly_season_bucket_start(int64_t time_usec)
{
	int64_t bucket_usec = SEASON_BUCKET_SECS * (int64_t)1000000;
	int64_t start = time_usec - time_usec % bucket_usec;

	return time_usec % bucket_usec < 0 ? start - bucket_usec : start;
}

/*
 * The interval and the bucket's capped count through the steps at times:
 * the arithmetic of season_update() and season_settled_count(), with
 * fmax/fmin as comparisons (no NaN among these operands but the
 * configuration's, where both give the same). The caps do not depend on
 * the count: memo keeps the interval and clock after the walk, the least
 * cap_i - i, under which a count takes every step (n0 + i < cap_i for
 * each i; exact in doubles: the caps stay below 65536), and the greatest
 * cap, at or above which it takes none (a full bucket).
 */
static unsigned replay_counts(struct season_state *season, double days,
			      const int64_t *times, size_t count, unsigned n,
			      struct anomaly_replay_memo *memo)
{
	double interval = season->interval, slack = INFINITY, ceiling = 0;
	int64_t last = season->last_usec;

	if (memo != NULL && memo->valid && memo->times == times &&
	    memo->count == count && memo->days == days &&
	    memcmp(&memo->interval, &interval, sizeof(interval)) == 0 &&
	    memo->last_usec == last &&
	    ((double)n < memo->slack || (double)n >= memo->ceiling)) {
		season->interval = memo->interval_after;
		season->last_usec = memo->last_after;
		return (double)n < memo->slack ? n + (unsigned)count : n;
	}
	for (size_t i = 0; i < count; i++) {
		double per_day, cap;

		if (times[i] > last) {
			double dt = (double)(times[i] - last) / 1e6;

			interval = interval > 0
				       ? interval + 0.05 * (dt - interval)
				       : dt;
			last = times[i];
		}
		per_day = SEASON_BUCKET_SECS /
			  (interval > 0 ? interval : SEASON_BUCKET_SECS);
		per_day = per_day > 1.0 ? per_day : 1.0;
		cap = days * per_day;
		cap = cap < 65535.0 ? cap : 65535.0;
		if (n < cap)
			n++;
		if (cap - (double)i < slack)
			slack = cap - (double)i;
		if (cap > ceiling)
			ceiling = cap;
	}
	if (memo != NULL) {
		*memo = (struct anomaly_replay_memo){
		    .times = times,
		    .count = count,
		    .days = days,
		    .interval = season->interval,
		    .last_usec = season->last_usec,
		    .interval_after = interval,
		    .last_after = last,
		    .slack = slack,
		    .ceiling = ceiling,
		    .valid = true,
		};
	}
	season->interval = interval;
	season->last_usec = last;
	return n;
}

/*
 * The samples a settled series skipped, as the full path would have taken
 * them one by one: anomaly_update_every() takes anomaly_settled_step() on a
 * settled state and leaves it settled, anomaly_update_seasonal() adds no
 * score to a 0, and season_update(), inside the bucket the profile settled
 * in (no new day to fold, the same hour's extremes already hold the value),
 * moves the clock, the interval and the counts alone; inside the
 * wall-time warm-up the sample is held as analyzer_series_step() holds it.
 */
void anomaly_settled_replay(struct anomaly_state *state,
			    struct season_state *season,
			    const struct anomaly_params *params,
			    const int64_t *times, size_t count, double value,
			    struct anomaly_replay_memo *memo)
{
	double days;
	int bucket;

	if (count == 0)
		return;
	/*
	 * Every settled step writes the same but for the count, and sets
	 * the cause to none once past warmup_samples (the last step is the
	 * furthest past) or inside the wall-time warm-up (the first step is
	 * the deepest in), as analyzer_series_step() holds it (the CUSUMs
	 * and the score are 0 already).
	 */
	state->samples += (int64_t)count - 1;
	anomaly_settled_step(state, params, value);
	if (params->warmup_secs > 0 &&
	    times[0] - state->first_usec <
		params->warmup_secs * (int64_t)1000000)
		anomaly_hold(state);
	if (season == NULL)
		return;
	/* One bucket, one hour: the day's extremes take the value once. */
	bucket = season_bucket(times[0]);
	season_note_extremes(season, bucket / (SEASON_BUCKETS / 24), value);
	days = params->season_days > 1.0 ? params->season_days : 1.0;
	season->count[bucket] = (uint16_t)replay_counts(
	    season, days, times, count, season->count[bucket], memo);
	season->judged += (int64_t)count;
	season->explained = 0;
}
