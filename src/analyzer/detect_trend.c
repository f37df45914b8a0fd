/*
 * detect_trend.c - where a percent-of-limit series is heading: an
 * exponentially weighted least-squares line (time constant span_secs) gives a
 * slope, its standard error and the time until the limit. Long spans keep a
 * nightly clean-up from faking a fill-up; the error keeps noise from faking a
 * forecast.
 *
 * The sums are kept with the newest sample at t = 0 (they are shifted on each
 * update), so they never lose precision however long the daemon runs.
 */
#include "analyzer/detect.h"

#include <math.h>
#include <string.h>

void trend_init(struct trend_state *state)
{
	memset(state, 0, sizeof(*state));
}

void trend_update(struct trend_state *state, const struct trend_params *params,
		  int64_t time_usec, double value)
{
	double dt, decay;

	if (!isfinite(value))
		return;
	if (state->sw == 0 || time_usec <= state->origin_usec) {
		if (state->sw == 0) {
			state->first_usec = time_usec;
			state->origin_usec = time_usec;
		}
		dt = 0;
	} else {
		dt = (double)(time_usec - state->origin_usec) / 1e6;
	}
	decay = exp(-dt / params->span_secs);
	/* Shift the origin to now: t' = t - dt for every past sample. */
	state->stt = decay * (state->stt - 2 * dt * state->st +
			      dt * dt * state->sw);
	state->stx = decay * (state->stx - dt * state->sx);
	state->st = decay * (state->st - dt * state->sw);
	state->sw = decay * state->sw;
	state->sx *= decay;
	state->sxx *= decay;
	state->sw2 = decay * decay * state->sw2;
	if (dt > 0)
		state->origin_usec = time_usec;
	state->sw += 1;
	state->sw2 += 1;
	state->sx += value;
	state->sxx += value * value;
	state->last_usec = time_usec;
	state->last_value = value;
}

bool trend_forecast(const struct trend_state *state,
		    const struct trend_params *params, struct trend_forecast *out)
{
	double t_mean, x_mean, stt, stx, sxx, ssr, n_eff, sigma2;

	memset(out, 0, sizeof(*out));
	out->eta_secs = out->eta_low = out->eta_high = -1;
	if (state->sw < 3 ||
	    (double)(state->last_usec - state->first_usec) / 1e6 <
		    params->min_span_secs)
		return false;
	t_mean = state->st / state->sw;
	x_mean = state->sx / state->sw;
	stt = state->stt - state->st * t_mean;
	stx = state->stx - state->st * x_mean;
	sxx = state->sxx - state->sx * x_mean;
	if (stt <= 0)
		return false;
	out->slope = stx / stt;
	out->level = x_mean - out->slope * t_mean;
	ssr = fmax(0, sxx - out->slope * stx);
	out->r2 = sxx > 0 ? 1 - ssr / sxx : 1;
	/* Effective sample count of the weights (Kish). */
	n_eff = state->sw * state->sw / state->sw2;
	sigma2 = n_eff > 2 ? ssr / state->sw * n_eff / (n_eff - 2) : 0;
	out->slope_err = sqrt(sigma2 / stt);
	if (out->slope > 0 && out->level < params->limit) {
		double fast = out->slope + 2 * out->slope_err;
		double slow = out->slope - 2 * out->slope_err;

		out->eta_secs = (params->limit - out->level) / out->slope;
		out->eta_low = (params->limit - out->level) / fast;
		out->eta_high = slow > 0 ? (params->limit - out->level) / slow
					 : -1;
	} else if (out->level >= params->limit) {
		out->eta_secs = out->eta_low = out->eta_high = 0;
	}
	return true;
}

enum detect_transition trend_gate(struct trend_state *state,
				  const struct trend_params *params,
				  struct trend_forecast *out)
{
	bool ok = trend_forecast(state, params, out);
	/*
	 * Fire only on a growth that is clearly not noise (slope above twice
	 * its error); clear with margin so an ETA near the horizon does not
	 * flap.
	 */
	bool soon = ok && out->eta_secs >= 0 &&
		    out->eta_secs < params->horizon_secs &&
		    out->slope > 2 * out->slope_err;
	bool far = !ok || out->eta_secs < 0 ||
		   out->eta_secs > 1.5 * params->horizon_secs;

	if (!state->firing && soon) {
		state->firing = true;
		return DETECT_FIRE;
	}
	if (state->firing && far) {
		state->firing = false;
		return DETECT_RESOLVE;
	}
	return DETECT_NONE;
}
