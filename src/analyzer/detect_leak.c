/*
 * detect_leak.c - sustained growth of a process's memory, fds or threads.
 * The fit covers the current growth run only: a drop back towards where the
 * run started, or a long plateau, starts a new run, so a process that warms
 * its caches and then stays flat is never reported, while one that keeps
 * growing steadily is, once slope, r², duration and absolute growth all pass.
 * Urgency comes from the time to exhaustion (room over rate): growth that
 * exhausts memory within fast_horizon_secs is reported after minutes, not
 * the hour a slow leak must last.
 */
#include "analyzer/detect.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "core/numeric.h"

void leak_init(struct leak_state *state)
{
	memset(state, 0, sizeof(*state));
}

static void run_start(struct leak_state *state, int64_t time_usec,
		      double value)
{
	memset(state, 0, offsetof(struct leak_state, firing));
	state->origin_usec = state->start_usec = state->peak_usec = time_usec;
	state->last_usec = time_usec;
	state->start_value = state->peak_value = value;
}

void leak_update(struct leak_state *state, const struct leak_params *params,
		 int64_t time_usec, double value)
{
	double t, run_secs, flat_secs, patience;

	if (!isfinite(value))
		return;
	if (state->n == 0 || time_usec < state->last_usec)
		run_start(state, time_usec, value);
	run_secs = (double)(time_usec - state->start_usec) / 1e6;
	flat_secs = (double)(time_usec - state->peak_usec) / 1e6;
	/* A fast leak that stops growing is over sooner than a slow one. */
	patience = state->firing && state->fast
		       ? numeric_max(60, 0.5 * params->fast_min_duration_secs)
		       : 0.25 * params->min_duration_secs;
	/*
	 * Freed memory (back below the middle of the run) or no new peak for
	 * a quarter of the run and the patience: this run is over.
	 */
	if (value < state->start_value ||
	    value < state->peak_value -
			    0.5 * (state->peak_value - state->start_value) ||
	    (flat_secs > 0.25 * run_secs && flat_secs > patience))
		run_start(state, time_usec, value);
	t = (double)(time_usec - state->origin_usec) / 1e6;
	state->n += 1;
	state->st += t;
	state->stt += t * t;
	state->sx += value - state->start_value;
	state->sxx += (value - state->start_value) * (value - state->start_value);
	state->stx += t * (value - state->start_value);
	state->last_usec = time_usec;
	/*
	 * A new peak counts only when it is real progress (2% of the growth so
	 * far), so noise on a plateau does not keep the run alive.
	 */
	if (value > state->peak_value +
			    0.02 * (state->peak_value - state->start_value)) {
		state->peak_value = value;
		state->peak_usec = time_usec;
	}
}

bool leak_check(const struct leak_state *state,
		const struct leak_params *params, struct leak_report *out)
{
	double stt, stx, sxx, slope;
	bool slow;

	memset(out, 0, sizeof(*out));
	out->exhaust_secs = -1;
	if (state->n < 5)
		return false;
	stt = state->stt - state->st * state->st / state->n;
	stx = state->stx - state->st * state->sx / state->n;
	sxx = state->sxx - state->sx * state->sx / state->n;
	if (stt <= 0 || sxx <= 0)
		return false;
	slope = stx / stt;
	out->rate_per_sec = slope;
	out->r2 = stx * stx / (stt * sxx);
	out->duration_secs = (double)(state->last_usec - state->start_usec) / 1e6;
	out->growth = slope * out->duration_secs;
	out->start_value = state->start_value;
	out->value = state->peak_value;
	if (slope <= 0 || out->r2 < params->min_r2)
		return false;
	if (isfinite(params->room))
		out->exhaust_secs = numeric_max(0, params->room) / slope;
	/*
	 * Fast: it lasted the short minimum and has eaten a visible part of
	 * the room (1%), so quantisation of a tiny series does not count.
	 */
	out->fast = out->exhaust_secs >= 0 &&
		    out->exhaust_secs <= params->fast_horizon_secs &&
		    out->duration_secs >= params->fast_min_duration_secs &&
		    out->growth >= 0.01 * params->room;
	slow = out->duration_secs >= params->min_duration_secs &&
	       out->growth >= params->min_growth &&
	       out->growth >= params->min_relative * fabs(state->start_value);
	return out->fast || slow;
}

enum detect_transition leak_gate(struct leak_state *state,
				 const struct leak_params *params,
				 struct leak_report *out)
{
	bool leaking = leak_check(state, params, out);

	if (!state->firing && leaking) {
		state->firing = true;
		state->fast = out->fast;
		state->fired_run_usec = state->start_usec;
		return DETECT_FIRE;
	}
	if (!state->firing)
		return DETECT_NONE;
	/* Resolved when the run that fired is over (memory freed, plateau). */
	if (state->start_usec != state->fired_run_usec) {
		state->firing = false;
		state->fast = false;
		return DETECT_RESOLVE;
	}
	if (leaking && out->fast && !state->fast) {
		state->fast = true;
		return DETECT_UPDATE;
	}
	return DETECT_NONE;
}
