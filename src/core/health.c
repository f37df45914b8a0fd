/*
 * health.c - the table of self-check results (see health.h): one slot per
 * check name, holding its current problem or nothing.
 */
#include "core/health.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

static struct {
	char name[32];
	char problem[HEALTH_PROBLEM_MAX];
} checks[HEALTH_CHECKS_MAX];

int health_set(const char *check, const char *problem)
{
	size_t free_slot = HEALTH_CHECKS_MAX;

	for (size_t i = 0; i < HEALTH_CHECKS_MAX; i++) {
		if (checks[i].name[0] == '\0') {
			if (free_slot == HEALTH_CHECKS_MAX)
				free_slot = i;
			continue;
		}
		if (strcmp(checks[i].name, check) == 0) {
			string_copy(checks[i].problem, problem ? problem : "",
				    sizeof(checks[i].problem));
			return 0;
		}
	}
	if (problem == NULL)
		return 0;
	if (free_slot == HEALTH_CHECKS_MAX)
		return -ENOSPC;
	string_copy(checks[free_slot].name, check,
		    sizeof(checks[free_slot].name));
	string_copy(checks[free_slot].problem, problem,
		    sizeof(checks[free_slot].problem));
	return 0;
}

size_t health_problems(char *buffer, size_t size)
{
	size_t count = 0, used = 0;

	if (size > 0)
		buffer[0] = '\0';
	for (size_t i = 0; i < HEALTH_CHECKS_MAX; i++) {
		if (checks[i].name[0] == '\0' || checks[i].problem[0] == '\0')
			continue;
		if (used < size) {
			int n = snprintf(buffer + used, size - used, "%s%s: %s",
					 count ? "; " : "", checks[i].name,
					 checks[i].problem);

			used += n > 0 ? (size_t)n : 0;
		}
		count++;
	}
	return count;
}

void health_reset(void)
{
	memset(checks, 0, sizeof(checks));
}
