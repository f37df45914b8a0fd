/*
 * export_config.h - [export.remote_write], included by core/config.h inside
 * struct config (so it must not include config.h back: struct
 * config_string_list is already defined where this is included).
 */
#ifndef SYSOPS_EXPORT_CONFIG_H
#define SYSOPS_EXPORT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

struct remote_write_config {
	bool enabled;
	char *url;	    /* secret: receivers put tenants and tokens in it */
	char *username;	    /* basic auth when set */
	char *password;	    /* secret */
	char *bearer_token; /* secret */
	char *ca_file;
	struct config_string_list include, exclude;
	struct config_string_list external_labels; /* "name=value" */
	int64_t timeout_secs;
	int64_t retry_initial_secs, retry_max_secs;
	int64_t queue_max_bytes;
};

struct export_config {
	struct remote_write_config remote_write;
};

/* Its schema, for core/config_schema.c. */
struct config_section;
extern const struct config_section export_remote_write_section;

#endif
