/*
 * heartbeat_config.h - [heartbeat], included by core/config.h inside struct
 * config (so it must not include config.h back).
 */
#ifndef SYSOPS_HEARTBEAT_CONFIG_H
#define SYSOPS_HEARTBEAT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

struct heartbeat_config {
	char *url; /* secret: a healthchecks.io ping URL is its own token */
	int64_t interval_secs;
	char *method;
	bool alert;
	char *ca_file;
	int64_t timeout_secs;
};

/* Its schema, for core/config_schema.c. */
struct config_section;
extern const struct config_section heartbeat_section;

#endif
