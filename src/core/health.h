/*
 * health.h - self-checks modules report about themselves ("remote write: 12
 * batches queued, receiver failing for 10m"), read by whoever tells the
 * outside world that the agent is healthy (the heartbeat). A module sets a
 * problem when it sees one and clears it when it is over; nobody needs to
 * include another module's header for it. A fixed table: never allocates.
 */
#ifndef SYSOPS_HEALTH_H
#define SYSOPS_HEALTH_H

#include <stddef.h>

#define HEALTH_CHECKS_MAX  16
#define HEALTH_PROBLEM_MAX 200

/*
 * Sets (problem != NULL) or clears (NULL) the problem of one check, named by
 * the module ("remote_write"). Past HEALTH_CHECKS_MAX checks a new name is
 * ignored (-ENOSPC).
 */
int health_set(const char *check, const char *problem);

/*
 * Writes "check: problem; check: problem" for every current problem into
 * buffer (cut to size) and returns how many there are (0: healthy).
 */
size_t health_problems(char *buffer, size_t size);

/* Forgets every check (tests; a daemon that starts again). */
void health_reset(void);

#endif
