/*
 * checks_config.h - the configuration of service checks ([[checks]]) and of
 * the listening-socket watch ([listeners]), included by core/config.h inside
 * struct config (so it must not include config.h back: struct
 * config_string_list is already defined where this is included).
 */
#ifndef SYSOPS_CHECKS_CONFIG_H
#define SYSOPS_CHECKS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fixed limits: what the checks hold is known at start-up. */
#define CHECKS_MAX	   64
#define CHECKS_LABELS_MAX  8 /* extra "key=value" labels per check */
#define CHECKS_HEADERS_MAX 16

/* One [[checks]] entry; which keys apply depends on type. */
struct check_config {
	char *name;
	char *type;
	int64_t interval_secs; /* 0: [agent] collect_interval_secs */
	int64_t timeout_secs;
	char *severity;
	struct config_string_list labels;
	int64_t failures_before_alert;
	/* process, listen */
	char *process;
	/* process */
	char *pidfile;
	int64_t min;
	int64_t max; /* 0: no upper bound */
	/* unit */
	char *unit;
	/* tcp, tls, redis, listen */
	char *target;
	/* tcp */
	char *send;
	char *expect;
	/* http */
	char *url;
	char *method;
	char *status;
	char *body;
	double max_latency_secs; /* 0: only timeout_secs */
	struct config_string_list headers;
	char *username;
	char *password; /* http basic auth, redis AUTH */
	char *bearer_token;
	bool follow_redirects;
	/* http, tls */
	char *ca_file;
	/* tls */
	char *server_name;
	struct config_string_list files;
	int64_t warning_days;
	int64_t critical_days;
	/* command */
	struct config_string_list command;
	bool shell;
	/* redis */
	double memory_warning_percent;
	/* listen */
	char *protocol;
};

/* [listeners] */
struct listeners_config {
	bool enabled;
	int64_t learning_secs;
	char *severity;
	char *loopback_severity;
	struct config_string_list allow;
};

struct checks_config {
	struct check_config items[CHECKS_MAX];
	size_t count;
	struct listeners_config listeners;
};

#endif
