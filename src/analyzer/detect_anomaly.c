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

/* 1.4826 * MAD estimates the standard deviation of a normal distribution. */
#define MAD_TO_SIGMA 1.4826
/* Values beyond this many spreads are clipped before they move the EWMA. */
#define WINSOR_SPREADS 4.0
/* Span of the "recent level" the baseline jumps to after a level shift. */
#define RECENT_SPAN 8.0

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
		state->median += fmin(deviation, alpha * spread);
	else if (deviation < 0)
		state->median -= fmin(-deviation, alpha * spread);

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

		clipped = fmax(fmin(value, state->mean + limit),
			       state->mean - limit);
	}
	delta = clipped - state->mean;
	state->mean += alpha * delta;
	state->variance = (1.0 - alpha) * (state->variance + alpha * delta * delta);
}

double anomaly_update(struct anomaly_state *state,
		      const struct anomaly_params *params, double value)
{
	double spread, z, spike, shift, k = params->cusum_drift;

	if (!isfinite(value))
		return state->score;
	if (state->samples == 0) {
		state->median = state->mean = state->recent = value;
		state->samples = 1;
		state->score = 0;
		return 0;
	}
	spread = spread_of(state, params);
	z = (value - state->median) / spread;
	state->z = z;
	state->recent += alpha_of_span(RECENT_SPAN) * (value - state->recent);

	/*
	 * CUSUM on the standardised deviation, clamped per sample so a lone
	 * spike counts as one large step, not an instant level shift.
	 */
	{
		double step = fmax(fmin(z, params->cusum_limit), -params->cusum_limit);

		state->cusum_high = fmax(0, state->cusum_high + step - k);
		state->cusum_low = fmax(0, state->cusum_low - step - k);
	}
	learn(state, params, value, spread);
	state->samples++;

	if (state->samples <= params->warmup_samples) {
		state->cusum_high = state->cusum_low = 0;
		state->score = 0;
		return 0;
	}
	spike = squash(fabs(z), params->z_alert);
	shift = squash(fmax(state->cusum_high, state->cusum_low),
		       params->cusum_limit);
	state->cause = spike >= shift ? ANOMALY_CAUSE_SPIKE : ANOMALY_CAUSE_SHIFT;
	state->score = fmax(spike, shift);
	if (state->score < 0.01)
		state->cause = ANOMALY_CAUSE_NONE;
	return state->score;
}

enum detect_transition anomaly_gate(struct anomaly_state *state,
				    const struct anomaly_params *params,
				    int64_t time_usec)
{
	if (state->firing) {
		if (state->score >= params->clear_score) {
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
	state->calm_samples = 0;
	state->last_fire_usec = time_usec;
	/*
	 * A confirmed level shift becomes the new normal: restart the CUSUM
	 * and move the baseline to the recent level, or the detector would
	 * keep reporting the same shift until the median crawled over.
	 */
	if (state->cause == ANOMALY_CAUSE_SHIFT) {
		state->median = state->mean = state->recent;
		state->cusum_high = state->cusum_low = 0;
	}
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
