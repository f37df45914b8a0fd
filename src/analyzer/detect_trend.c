/*
 * detect_trend.c - where a percent-of-limit series is heading: an
 * exponentially weighted least-squares line over the current regime (time
 * constant span_secs, restarted when the samples leave the line) gives a
 * slope, its standard error and the time from the newest sample to the limit.
 *
 * The sums are kept with the newest sample at t = 0 (they are shifted on each
 * update), so they never lose precision however long the daemon runs.
 */
#include "analyzer/detect.h"

#include <math.h>
#include <string.h>

#include "core/numeric.h"

/*
 * CUSUM on standardised residuals: allowance K (a slow wiggle within a
 * spread does not add up), decision level H, each sample's step clipped at CLIP
 * so one or two outliers (a temporary file) never restart the fit and four in a
 * row do.
 */
#define CUSUM_K	   1.0
#define CUSUM_H	   10.0
#define CUSUM_CLIP 4.0
/* Points a fit needs before it forecasts or judges residuals. */
#define MIN_POINTS 12
/* A forecast fires only when the slope is this many standard errors. */
#define MIN_T 4.0
/*
 * The rate of a real fill wanders: whatever the fit says, the future rate
 * is not promised better than this fraction (one standard error), so the
 * stated range stays honest on a perfectly straight past.
 */
#define RATE_SPREAD 0.05
/* No update for ETAs this short: the last minute is not worth messages. */
#define UPDATE_MIN_SECS 60.0

void trend_init(struct trend_state *state)
{
	memset(state, 0, sizeof(*state));
}

/* A new fit, seeded with one sample. */
static void restart(struct trend_state *state, int64_t time_usec, double value)
{
	bool firing = state->firing;
	double announced = state->announced_eta;

	memset(state, 0, sizeof(*state));
	state->firing = firing;
	state->announced_eta = announced;
	state->first_usec = state->origin_usec = state->last_usec = time_usec;
	state->sw = state->sw2 = 1;
	state->sx = value;
	state->sxx = value * value;
	state->last_value = value;
}

struct fit {
	double slope, level, sigma, slope_err, level_err, r2, rho;
};

/* The line through the weighted sums (t = 0 at the newest sample). */
static bool fit_line(const struct trend_state *state, struct fit *f)
{
	double t_mean, x_mean, stt, stx, sxx, ssr, n_eff, sigma2, inflate;

	memset(f, 0, sizeof(*f));
	if (state->sw < 3)
		return false;
	t_mean = state->st / state->sw;
	x_mean = state->sx / state->sw;
	stt = state->stt - state->st * t_mean;
	stx = state->stx - state->st * x_mean;
	sxx = state->sxx - state->sx * x_mean;
	if (stt <= 0)
		return false;
	f->slope = stx / stt;
	f->level = x_mean - f->slope * t_mean;
	ssr = numeric_max(0, sxx - f->slope * stx);
	f->r2 = sxx > 0 ? 1 - ssr / sxx : 1;
	/* Effective sample count of the weights (Kish). */
	n_eff = state->sw * state->sw / state->sw2;
	sigma2 = n_eff > 2 ? ssr / state->sw * n_eff / (n_eff - 2) : 0;
	/*
	 * Residuals of a real fill are not independent (a burst of writes
	 * lifts several samples): the Durbin-Watson ratio of their successive
	 * differences gives the lag-1 autocorrelation, and the variance of the
	 * slope grows by (1 + rho) / (1 - rho).
	 */
	if (state->sp > 0 && ssr > 0) {
		double mssd = (state->sdd - 2 * f->slope * state->sdu +
			       f->slope * f->slope * state->suu) /
			      state->sp;

		f->rho = numeric_min(
		    0.95, numeric_max(0, 1 - mssd / (2 * ssr / state->sw)));
	}
	inflate = (1 + f->rho) / (1 - f->rho);
	f->sigma = sqrt(sigma2);
	f->slope_err = sqrt(sigma2 * inflate / stt);
	f->level_err =
	    sqrt(sigma2 * inflate * (1 / n_eff + t_mean * t_mean / stt));
	return true;
}

void trend_update(struct trend_state *state, const struct trend_params *params,
		  int64_t time_usec, double value)
{
	double dt, decay, step;
	struct fit f;

	if (!isfinite(value))
		return;
	if (state->sw == 0 || time_usec < state->last_usec) {
		restart(state, time_usec, value);
		return;
	}
	if (time_usec == state->last_usec)
		return;
	dt = (double)(time_usec - state->origin_usec) / 1e6;
	/* Does the new sample still follow the line? */
	if (state->sw >= MIN_POINTS && fit_line(state, &f)) {
		double sigma = numeric_max(f.sigma, params->noise_floor);
		double miss = value - (f.level + f.slope * dt);
		double z = miss / sigma;

		z = numeric_max(-CUSUM_CLIP, numeric_min(CUSUM_CLIP, z));
		state->cusum_high =
		    numeric_max(0, state->cusum_high + z - CUSUM_K);
		state->cusum_low =
		    numeric_max(0, state->cusum_low - z - CUSUM_K);
		if (state->cusum_high > CUSUM_H || state->cusum_low > CUSUM_H) {
			/* Below where the line stood (by ten noise
			 * floors), not merely slower: the disk was
			 * cleaned, the forecast is void. */
			bool fell = state->cusum_low > CUSUM_H &&
				    value < f.level - 10 * params->noise_floor;
			int64_t before_usec = state->last_usec;
			double before = state->last_value;

			/* The sample before the trip is already the new
			 * regime's more often than not. */
			restart(state, before_usec, before);
			state->fell = fell;
			dt = (double)(time_usec - state->origin_usec) / 1e6;
		}
	}
	decay = numeric_exp(-dt / params->span_secs);
	/* Shift the origin to now: t' = t - dt for every past sample. */
	state->stt =
	    decay * (state->stt - 2 * dt * state->st + dt * dt * state->sw);
	state->stx = decay * (state->stx - dt * state->sx);
	state->st = decay * (state->st - dt * state->sw);
	state->sw = decay * state->sw;
	state->sx *= decay;
	state->sxx *= decay;
	state->sw2 = decay * decay * state->sw2;
	step = value - state->last_value;
	state->sp = decay * state->sp + 1;
	state->sdd = decay * state->sdd + step * step;
	state->sdu = decay * state->sdu + step * dt;
	state->suu = decay * state->suu + dt * dt;
	state->origin_usec = time_usec;
	state->sw += 1;
	state->sw2 += 1;
	state->sx += value;
	state->sxx += value * value;
	state->last_usec = time_usec;
	state->last_value = value;
}

double trend_capped_eta(double gap, double slope, double capped_slope,
			double capped_room)
{
	double free_slope, capped_secs;

	if (gap <= 0)
		return 0;
	if (slope <= 0)
		return -1;
	capped_slope = numeric_min(numeric_max(capped_slope, 0), slope);
	if (capped_slope <= 0 || capped_room < 0)
		return gap / slope;
	/* Both parts grow until the capped part is full ... */
	capped_secs = capped_room / capped_slope;
	if (slope * capped_secs >= gap)
		return gap / slope;
	/* ... then only the rest does. */
	free_slope = slope - capped_slope;
	if (free_slope <= 0)
		return -1;
	return capped_secs + (gap - slope * capped_secs) / free_slope;
}

bool trend_forecast(const struct trend_state *state,
		    const struct trend_params *params,
		    struct trend_forecast *out)
{
	double gap, spread, fast, slow, share, k;
	struct fit f;

	memset(out, 0, sizeof(*out));
	out->eta_secs = out->eta_low = out->eta_high = -1;
	out->fit_secs = (double)(state->last_usec - state->first_usec) / 1e6;
	if (state->sw < MIN_POINTS || out->fit_secs < params->min_span_secs ||
	    !fit_line(state, &f))
		return false;
	out->slope = f.slope;
	out->slope_err = f.slope_err;
	out->level = f.level;
	out->level_err = f.level_err;
	out->r2 = f.r2;
	out->rho = f.rho;
	gap = params->limit - f.level;
	if (gap <= 0) {
		out->eta_secs = out->eta_low = out->eta_high = 0;
		return true;
	}
	if (f.slope <= 0)
		return true;
	/* The bounded part keeps its share of the slope at either end. */
	share = params->capped_slope > 0
		    ? numeric_min(1, params->capped_slope / f.slope)
		    : 0;
	/* About the 97.5% point of Student's t: few points, wider range. */
	k = 2 + 3 / numeric_max(1, state->sw * state->sw / state->sw2 - 2);
	spread = sqrt(f.slope_err * f.slope_err +
		      RATE_SPREAD * RATE_SPREAD * f.slope * f.slope);
	fast = f.slope + k * spread;
	slow = f.slope - k * spread;
	out->eta_secs = trend_capped_eta(gap, f.slope, share * f.slope,
					 params->capped_room);
	if (out->eta_secs < 0)
		return true;
	out->eta_low =
	    trend_capped_eta(numeric_max(0, gap - k * f.level_err), fast,
			     share * fast, params->capped_room);
	out->eta_high =
	    slow > 0 ? trend_capped_eta(gap + k * f.level_err, slow,
					share * slow, params->capped_room)
		     : -1;
	return true;
}

enum detect_transition trend_gate(struct trend_state *state,
				  const struct trend_params *params,
				  struct trend_forecast *out)
{
	bool ok = trend_forecast(state, params, out);
	/*
	 * Fire only on a growth that is clearly not noise; clear with margin
	 * so an ETA near the horizon does not flap. A fit still warming up
	 * after a restart holds what was said, unless the restart was a drop
	 * (the disk was cleaned). A series already at the limit is the
	 * threshold's to report: it neither fires nor clears a forecast.
	 */
	bool soon = ok && out->eta_secs > 0 &&
		    out->eta_secs < params->horizon_secs && out->slope > 0 &&
		    out->slope >= MIN_T * out->slope_err;
	bool far = ok && (out->eta_secs < 0 ||
			  out->eta_secs > 1.5 * params->horizon_secs);

	if (!state->firing && soon) {
		state->firing = true;
		state->fell = false;
		state->announced_eta = out->eta_secs;
		return DETECT_FIRE;
	}
	if (state->firing && (far || state->fell)) {
		state->firing = false;
		state->fell = false;
		return DETECT_RESOLVE;
	}
	state->fell = false;
	if (state->firing && soon && out->eta_secs >= UPDATE_MIN_SECS &&
	    out->eta_secs <= 0.5 * state->announced_eta) {
		state->announced_eta = out->eta_secs;
		return DETECT_UPDATE;
	}
	return DETECT_NONE;
}
