/*
 * detect_threshold.c - fixed limits ([thresholds]) with hysteresis: a breach
 * must hold for for_secs before it fires, and the alert clears only below the
 * lower clear level, so a value hovering at the line fires once, not on every
 * crossing.
 */
#include "analyzer/detect.h"

#include <math.h>

static bool breached(const struct threshold_params *params, double value)
{
	return params->below ? value <= params->raise : value >= params->raise;
}

static bool cleared(const struct threshold_params *params, double value)
{
	return params->below ? value > params->clear : value < params->clear;
}

enum detect_transition threshold_update(struct threshold_state *state,
					const struct threshold_params *params,
					int64_t time_usec, double value)
{
	if (!isfinite(value))
		return DETECT_NONE;
	if (state->firing) {
		if (!cleared(params, value))
			return DETECT_NONE;
		state->firing = false;
		state->breaching = false;
		return DETECT_RESOLVE;
	}
	if (!breached(params, value)) {
		state->breaching = false;
		return DETECT_NONE;
	}
	if (!state->breaching) {
		state->breaching = true;
		state->breach_since_usec = time_usec;
	}
	if (time_usec - state->breach_since_usec <
	    params->for_secs * (int64_t)1000000)
		return DETECT_NONE;
	state->firing = true;
	return DETECT_FIRE;
}
