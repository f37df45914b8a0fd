/*
 * export_config.c - the keys of [export.remote_write]: where samples are
 * pushed, how the agent proves who it is, which series go, the labels that
 * say which host they are from, and how long an outage the disk queue
 * bridges.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/util.h"
#include "export/export.h"

#define RW_KEY(field) offsetof(struct remote_write_config, field)

/* "name=value" with a name Prometheus accepts as it is. */
static bool validate_labels(const void *field, char *reason, size_t size)
{
	const struct config_string_list *list = field;

	for (size_t i = 0; i < list->count; i++) {
		const char *item = list->items[i], *equals = strchr(item, '=');

		if (equals == NULL || equals == item ||
		    strspn(item, "abcdefghijklmnopqrstuvwxyz"
				 "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") !=
			(size_t)(equals - item) ||
		    (item[0] >= '0' && item[0] <= '9') ||
		    strncmp(item, "__", 2) == 0) {
			snprintf(reason, size,
				 "\"%.64s\" is not name=value "
				 "with a label name ([a-zA-Z_][a-zA-Z0-9_]*, "
				 "not starting with __)",
				 item);
			return false;
		}
	}
	return true;
}

static bool check_remote_write(const void *elements, size_t index,
			       char *reason, size_t size)
{
	const struct remote_write_config *c = elements;

	(void)index; /* a plain section */

	if (c->bearer_token != NULL && c->username != NULL) {
		snprintf(reason, size,
			 "set bearer_token or username and "
			 "password, not both");
		return false;
	}
	if (c->password != NULL && c->username == NULL) {
		snprintf(reason, size, "password is set without username");
		return false;
	}
	if (c->retry_initial_secs > c->retry_max_secs) {
		snprintf(reason, size,
			 "retry_initial_secs (%lld) is larger "
			 "than retry_max_secs (%lld)",
			 (long long)c->retry_initial_secs,
			 (long long)c->retry_max_secs);
		return false;
	}
	return true;
}

static const struct config_key remote_write_keys[] = {
    {.name = "enabled",
     .type = CONFIG_BOOLEAN,
     .offset = RW_KEY(enabled),
     .default_text = "true",
     .description = "Push once url is set; false keeps the settings but "
		    "sends nothing."},
    {.name = "url",
     .type = CONFIG_SECRET,
     .offset = RW_KEY(url),
     .validate = config_validate_http_url,
     .description = "Prometheus remote-write 1.0 endpoint (Prometheus "
		    "with --web.enable-remote-write-receiver: "
		    "http://HOST:9090/api/v1/write; VictoriaMetrics, "
		    "Grafana Mimir and Thanos Receive take the same); "
		    "unset: no export."},
    {.name = "username",
     .type = CONFIG_STRING,
     .offset = RW_KEY(username),
     .description = "Basic authentication user; unset: no basic "
		    "authentication."},
    {.name = "password",
     .type = CONFIG_SECRET,
     .offset = RW_KEY(password),
     .description = "Basic authentication password."},
    {.name = "bearer_token",
     .type = CONFIG_SECRET,
     .offset = RW_KEY(bearer_token),
     .description = "Sent as Authorization: Bearer (instead of basic "
		    "authentication)."},
    {.name = "ca_file",
     .type = CONFIG_STRING,
     .offset = RW_KEY(ca_file),
     .description = "PEM file of CA certificates to verify the receiver "
		    "with, instead of the system store (TLS "
		    "verification is always on)."},
    {.name = "include",
     .type = CONFIG_STRING_LIST,
     .offset = RW_KEY(include),
     .default_text = "[\"*\"]",
     .description = "Series sent: globs on the agent's name "
		    "(\"disk.*\") or on name{labels} when the glob has "
		    "a '{' (\"process.*{*name=nginx*}\")."},
    {.name = "exclude",
     .type = CONFIG_STRING_LIST,
     .offset = RW_KEY(exclude),
     .default_text = "[]",
     .description = "Series left out even when include matches them, "
		    "same globs."},
    {.name = "external_labels",
     .type = CONFIG_STRING_LIST,
     .offset = RW_KEY(external_labels),
     .default_text = "[\"job=sysops-agent\"]",
     .validate = validate_labels,
     .description = "\"name=value\" labels added to every series, after "
		    "instance (the host name); a series' own label of "
		    "the same name wins."},
    {.name = "timeout_secs",
     .type = CONFIG_INTEGER,
     .offset = RW_KEY(timeout_secs),
     .default_text = "30",
     .minimum = 1,
     .maximum = 300,
     .description = "Seconds one request may take before it is retried."},
    {.name = "retry_initial_secs",
     .type = CONFIG_INTEGER,
     .offset = RW_KEY(retry_initial_secs),
     .default_text = "1",
     .minimum = 1,
     .maximum = 3600,
     .description = "First wait after a failed request; it doubles (with "
		    "jitter) up to retry_max_secs. A 429's Retry-After "
		    "replaces it."},
    {.name = "retry_max_secs",
     .type = CONFIG_INTEGER,
     .offset = RW_KEY(retry_max_secs),
     .default_text = "30",
     .minimum = 1,
     .maximum = 3600,
     .description = "Longest wait between two attempts."},
    {.name = "queue_max_bytes",
     .type = CONFIG_INTEGER,
     .offset = RW_KEY(queue_max_bytes),
     .default_text = "16777216",
     .minimum = 65536,
     .maximum = 1073741824,
     .description = "Size of STATE_DIR/remote-write-queue, the batches "
		    "waiting for the receiver: an outage it can hold "
		    "leaves no gap; past it the oldest batches are "
		    "dropped, counted and logged."},
};

const struct config_section export_remote_write_section = {
    .name = "export.remote_write",
    .description = "Pushes every collected series to Prometheus-compatible "
		   "storage (remote write 1.0), one batch per tick.",
    .keys = remote_write_keys,
    .key_count = ARRAY_SIZE(remote_write_keys),
    .offset = offsetof(struct config, export.remote_write),
    .check = check_remote_write,
};
