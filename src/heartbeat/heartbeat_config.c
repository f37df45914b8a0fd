/*
 * heartbeat_config.c - the keys of [heartbeat]: the ping URL
 * (healthchecks.io-compatible), its pace, and the always-firing
 * agent_heartbeat alert for Alertmanager's dead man's switch.
 */
#include <stddef.h>

#include "core/config.h"
#include "core/util.h"
#include "heartbeat/heartbeat.h"

#define HEARTBEAT_KEY(field) offsetof(struct heartbeat_config, field)

static const char *const methods[] = {"POST", "GET", NULL};

static const struct config_key heartbeat_keys[] = {
    {.name = "url",
     .type = CONFIG_SECRET,
     .offset = HEARTBEAT_KEY(url),
     .validate = config_validate_http_url,
     .description = "Ping URL (healthchecks.io and compatible): pinged "
		    "every interval_secs, URL/start at start-up, URL/fail "
		    "while a self-check fails, and once more at stop; "
		    "unset: no pings."},
    {.name = "interval_secs",
     .type = CONFIG_INTEGER,
     .offset = HEARTBEAT_KEY(interval_secs),
     .default_text = "60",
     .minimum = 1,
     .maximum = 86400,
     .description = "Seconds between two pings (and two agent_heartbeat "
		    "submissions); the service's period should be "
		    "longer, with some grace."},
    {.name = "method",
     .type = CONFIG_STRING,
     .offset = HEARTBEAT_KEY(method),
     .default_text = "\"POST\"",
     .choices = methods,
     .description = "POST carries a one-line status (what failed) as the "
		    "body; GET sends nothing."},
    {.name = "alert",
     .type = CONFIG_BOOLEAN,
     .offset = HEARTBEAT_KEY(alert),
     .default_text = "false",
     .description = "Also keep an info alert agent_heartbeat firing "
		    "while the agent runs, for Alertmanager's dead man's "
		    "switch (see etc/alertmanager-heartbeat.yml)."},
    {.name = "ca_file",
     .type = CONFIG_STRING,
     .offset = HEARTBEAT_KEY(ca_file),
     .description = "PEM file of CA certificates to verify the ping "
		    "service with, instead of the system store."},
    {.name = "timeout_secs",
     .type = CONFIG_INTEGER,
     .offset = HEARTBEAT_KEY(timeout_secs),
     .default_text = "10",
     .minimum = 1,
     .maximum = 60,
     .description = "Seconds one ping may take; a late or failed ping "
		    "is not retried (the next one follows)."},
};

const struct config_section heartbeat_section = {
    .name = "heartbeat",
    .description = "Proof of life: pings to a dead man's switch service "
		   "and an always-firing alert.",
    .keys = heartbeat_keys,
    .key_count = ARRAY_SIZE(heartbeat_keys),
    .offset = offsetof(struct config, heartbeat),
};
