/*
 * counter.h - rates and deltas from monotonic kernel counters (bytes, packets,
 * jiffies, page faults) read once per tick.
 *
 * A counter that goes backwards was reset (reboot, interface re-created,
 * module reloaded): that reading yields no sample and becomes the new
 * baseline, so a rate is never negative or absurd.
 */
#ifndef SYSOPS_COUNTER_H
#define SYSOPS_COUNTER_H

#include <stdbool.h>
#include <stdint.h>

struct counter {
	uint64_t value;
	int64_t time_usec;
	bool primed;    /* a previous reading exists */
};

/*
 * Feeds a reading taken at now_usec; true with *delta when a previous reading
 * exists and the counter did not go back. A 32-bit counter (width 32) that
 * went from the top quarter of its range to the bottom quarter wrapped, and
 * the delta across the wrap is returned; any other decrease is a reset.
 */
bool counter_delta(struct counter *counter, uint64_t value, int64_t now_usec,
		   unsigned width, uint64_t *delta);

/* The same as a per-second rate over the time between the two readings. */
bool counter_rate(struct counter *counter, uint64_t value, int64_t now_usec,
		  double *per_sec);

/*
 * The counter read its last value again at now_usec (its source's text did
 * not change since): what counter_rate() of that value does, without the
 * arithmetic. True, a rate of 0, when a previous reading exists and time
 * moved on; otherwise nothing changes and the caller reads it as usual.
 */
static inline bool counter_same(struct counter *counter, int64_t now_usec)
{
	/* Inline: an idle link's every counter takes it each tick. */
	if (!counter->primed || now_usec <= counter->time_usec)
		return false;
	counter->time_usec = now_usec;
	return true;
}

/* Forgets the baseline (the source vanished): the next reading only primes. */
void counter_reset(struct counter *counter);

#endif
