/*
 * counter.c - deltas and rates from kernel counters, with wrap and reset
 * handling (see counter.h).
 */
#include "storage/counter.h"

bool counter_delta(struct counter *counter, uint64_t value, int64_t now_usec,
		   unsigned width, uint64_t *delta)
{
	bool had = counter->primed;
	uint64_t last = counter->value;
	int64_t last_time = counter->time_usec;

	counter->value = value;
	counter->time_usec = now_usec;
	counter->primed = true;
	if (!had || now_usec <= last_time)
		return false;
	if (value >= last) {
		*delta = value - last;
		return true;
	}
	if (width == 32 && last > 0xC0000000ULL && last <= 0xFFFFFFFFULL &&
	    value < 0x40000000ULL) {
		*delta = value + (0x100000000ULL - last);
		return true;
	}
	return false;
}

bool counter_rate(struct counter *counter, uint64_t value, int64_t now_usec,
		  double *per_sec)
{
	int64_t last_time = counter->time_usec;
	uint64_t delta;

	if (!counter_delta(counter, value, now_usec, 64, &delta))
		return false;
	*per_sec = (double)delta * 1e6 / (double)(now_usec - last_time);
	return true;
}

void counter_reset(struct counter *counter)
{
	*counter = (struct counter){ 0 };
}
