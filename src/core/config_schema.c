/*
 * config_schema.c - every section and key the configuration accepts.
 *
 * This table is the single source of truth: the loader checks against it,
 * `check-config` prints it, and tests compare it with etc/sysops-agent.toml and
 * man/sysops-agent.toml.5 so the documentation cannot drift. Modules add their
 * sections to config_sections[] below.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "collector/collector.h"
#include "alerter/alerter.h"
#include "core/config.h"
#include "core/identity.h"
#include "core/util.h"
#include "analyzer/analyzer.h"
#include "logscan/logscan.h"
#include "checks/checks.h"

#define AGENT_KEY(field) offsetof(struct agent_config, field)

static const char *const log_levels[] = { "error", "warning", "notice", "info",
					  "debug", NULL };

static bool validate_absolute_path(const void *field, char *reason, size_t size)
{
	if (*(const char *const *)field == NULL) {
		snprintf(reason, size,
			 "expected an absolute path (starting with '/')");
		return false;
	}
	return config_validate_optional_path(field, reason, size);
}

bool config_validate_optional_path(const void *field, char *reason,
				   size_t size)
{
	const char *path = *(const char *const *)field;

	if (path == NULL || path[0] == '/')
		return true;
	snprintf(reason, size, "expected an absolute path (starting with '/')");
	return false;
}

bool config_validate_http_url(const void *field, char *reason, size_t size)
{
	const char *text = *(const char *const *)field;

	if (text == NULL || strncmp(text, "https://", 8) == 0 ||
	    strncmp(text, "http://", 7) == 0)
		return true;
	/* Never echo the value: it may carry a token. */
	snprintf(reason, size, "expected an http:// or https:// URL");
	return false;
}

static bool validate_agent_id(const void *field, char *reason, size_t size)
{
	const char *id = *(const char *const *)field;

	if (id == NULL || id[0] == '\0' || identity_id_valid(id))
		return true;
	snprintf(reason, size, "expected 1 to %d of the characters "
		 "A-Z a-z 0-9 . _ : -", IDENTITY_ID_MAX - 1);
	return false;
}

static bool validate_agent_label(const char *name, const char *value,
				 char *reason, size_t size)
{
	char why[160];

	if (!identity_label_name_valid(name, reason, size))
		return false;
	if (identity_label_value_valid(value, why, sizeof(why)))
		return true;
	snprintf(reason, size, "label '%s': value must have %s", name, why);
	return false;
}

static const struct config_key agent_keys[] = {
	{ .name = "hostname", .type = CONFIG_STRING,
	  .offset = AGENT_KEY(hostname),
	  .description = "Name of this host in every alert; unset or empty "
			 "means the system's host name." },
	{ .name = "id", .type = CONFIG_STRING, .offset = AGENT_KEY(id),
	  .validate = validate_agent_id,
	  .description = "Identity of this agent in every alert (agent_id) "
			 "and exported series; unset means the random id made "
			 "once in the state directory's agent-id file, which "
			 "stays across restarts, upgrades and host renames. "
			 "Read at start only." },
	{ .name = "labels", .type = CONFIG_STRING_TABLE,
	  .offset = AGENT_KEY(labels), .default_text = "{}",
	  .maximum = IDENTITY_LABELS_MAX,
	  .validate_entry = validate_agent_label,
	  .description = "Labels of this host (env = \"prod\", team = "
			 "\"web\") on every alert of every channel and every "
			 "exported series, matched by silences' label: at most "
			 "16; names as in Prometheus, at most 32 characters; "
			 "values 1 to 128 bytes without control characters or "
			 "','." },
	{ .name = "collect_interval_secs", .type = CONFIG_INTEGER,
	  .offset = AGENT_KEY(collect_interval_secs), .default_text = "10",
	  .minimum = 1, .maximum = 3600,
	  .description = "Seconds between two collections of every metric." },
	{ .name = "log_level", .type = CONFIG_STRING,
	  .offset = AGENT_KEY(log_level), .default_text = "\"info\"",
	  .choices = log_levels,
	  .description = "Lowest priority logged: error, warning, notice, info "
			 "or debug; -v and -q on the command line override "
			 "it." },
	{ .name = "state_dir", .type = CONFIG_STRING,
	  .offset = AGENT_KEY(state_dir),
	  .default_text = "\"/var/lib/sysops-agent\"",
	  .validate = validate_absolute_path,
	  .description = "Directory for cursors, spool and history, created "
			 "0750; $STATE_DIRECTORY from systemd wins. The "
			 "daemon writes nowhere else." },
	{ .name = "proc_root", .type = CONFIG_STRING,
	  .offset = AGENT_KEY(proc_root), .default_text = "\"/proc\"",
	  .validate = validate_absolute_path,
	  .description = "Where procfs is mounted; tests point it at fixture "
			 "trees." },
	{ .name = "sys_root", .type = CONFIG_STRING,
	  .offset = AGENT_KEY(sys_root), .default_text = "\"/sys\"",
	  .validate = validate_absolute_path,
	  .description = "Where sysfs is mounted; tests point it at fixture "
			 "trees." },
	{ .name = "history_secs", .type = CONFIG_INTEGER,
	  .offset = AGENT_KEY(history_secs), .default_text = "3600",
	  .minimum = 60, .maximum = 7 * 86400,
	  .description = "Seconds of samples kept in memory per metric; with "
			 "collect_interval_secs it sizes every ring buffer." },
};

static const struct config_section agent_section = {
	.name = "agent",
	.description = "The daemon itself: identity, pace, logging, paths.",
	.keys = agent_keys,
	.key_count = ARRAY_SIZE(agent_keys),
	.offset = offsetof(struct config, agent),
};

const struct config_section *const config_sections[] = {
	&agent_section,
	&storage_section,
	&history_section,
	&collector_cpu_section,
	&collector_memory_section,
	&collector_load_section,
	&collector_disk_section,
	&collector_network_section,
	&collector_fd_section,
	&collector_process_section,
	&collector_cgroup_section,
	&collector_host_section,
	&collector_systemd_section,
	&collector_docker_section,
	&analyzer_section,
	&analyzer_override_section,
	&thresholds_section,
	&thresholds_override_section,
	&alerting_section,
	&alerting_rate_limit_section,
	&alerting_console_section,
	&alerting_webhook_section,
	&alerting_slack_section,
	&alerting_discord_section,
	&alerting_telegram_section,
	&alerting_email_section,
	&alerting_alertmanager_section,
	&alerting_silence_section,
	&logscan_section,
	&logscan_rules_section,
	&logscan_surge_section,
	&export_remote_write_section,
	&heartbeat_section,
	&checks_section,
	&listeners_section,
};

const size_t config_section_count = ARRAY_SIZE(config_sections);
