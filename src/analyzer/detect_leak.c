/*
 * detect_leak.c - sustained growth of a process's memory, fds or threads.
 * The fit covers the current growth run only: a drop back towards where the
 * run started, or a long plateau, starts a new run, so a process that warms
 * its caches and then stays flat is never reported, while one that keeps
 * growing steadily is, once slope, r², duration and absolute growth all pass.
 */
#include "analyzer/detect.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

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
	double t, run_secs, flat_secs;

	if (!isfinite(value))
		return;
	if (state->n == 0 || time_usec < state->last_usec)
		run_start(state, time_usec, value);
	run_secs = (double)(time_usec - state->start_usec) / 1e6;
	flat_secs = (double)(time_usec - state->peak_usec) / 1e6;
	/*
	 * Freed memory (back below the middle of the run) or no new peak for
	 * a quarter of the run and of the minimum duration: this run is over.
	 */
	if (value < state->start_value ||
	    value < state->peak_value -
			    0.5 * (state->peak_value - state->start_value) ||
	    (flat_secs > 0.25 * run_secs &&
	     flat_secs > 0.25 * params->min_duration_secs))
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

	memset(out, 0, sizeof(*out));
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
	return slope > 0 && out->r2 >= params->min_r2 &&
	       out->duration_secs >= params->min_duration_secs &&
	       out->growth >= params->min_growth &&
	       out->growth >= params->min_relative * fabs(state->start_value);
}

enum detect_transition leak_gate(struct leak_state *state,
				 const struct leak_params *params,
				 struct leak_report *out)
{
	bool leaking = leak_check(state, params, out);

	if (!state->firing && leaking) {
		state->firing = true;
		return DETECT_FIRE;
	}
	/* Resolved when the run that fired is over (memory freed, plateau). */
	if (state->firing && !leaking &&
	    out->duration_secs < params->min_duration_secs) {
		state->firing = false;
		return DETECT_RESOLVE;
	}
	return DETECT_NONE;
}
