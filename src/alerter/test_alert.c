/*
 * test_alert.c - `sysops-agent test-alert [-c FILE] [--channel NAME]
 * [--severity NAME]`: sends one test message, labelled test="true" and of
 * severity info unless asked (a route that pages on critical must not page
 * for a test), through each configured channel (or the one named) with
 * the daemon's own formatters and delivery code, and reports per channel
 * "ok" or the exact error (every configured secret masked, in any encoding).
 * No retry, no spool: the point is to see the first answer.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-event.h>

#include "alerter/alerter.h"
#include "alerter/channel.h"
#include "alerter/delivery.h"
#include "alerter/text.h"
#include "core/cli.h"
#include "core/secret.h"
#include "core/util.h"

struct test_outcome {
	enum channel_id channel;
	bool started, finished;
	struct delivery_result result;
};

static void on_done(void *userdata, const struct delivery_result *result)
{
	struct test_outcome *o = userdata;

	o->finished = true;
	o->result = *result;
}

static void build_test_message(struct alert_message *m,
			       const struct config *config,
			       enum channel_id channel,
			       enum alert_severity severity)
{
	char agent_id[IDENTITY_ID_MAX];
	static const double history[] = { 3, 4, 4, 5, 7, 6, 8, 9, 12, 15 };
	struct alert_snapshot *a = &m->alerts[0];
	uint64_t now = now_realtime_usec();

	memset(m, 0, sizeof(*m));
	m->channel = channel;
	m->created_usec = now;
	identity_read(config->agent.state_dir, config->agent.id, agent_id,
		      sizeof(agent_id));
	message_set_origin(m, config->agent.hostname, agent_id, NULL);
	identity_labels_text(&config->agent.labels, m->agent_labels,
			     sizeof(m->agent_labels));
	m->alert_count = 1;
	string_copy(a->rule, "test_alert", sizeof(a->rule));
	string_copy(a->summary, "Test message from sysops-agent test-alert: "
		    "this channel works.", sizeof(a->summary));
	a->severity = severity;
	string_copy(a->labels, "test=true", sizeof(a->labels));
	a->kind = ALERT_KIND_TEST;
	a->firing = true;
	a->started_usec = now;
	a->value = 15;
	a->baseline = 5;
	a->threshold = NAN;
	a->score = NAN;
	a->eta_secs = -1;
	a->history_count = ARRAY_SIZE(history);
	memcpy(a->history, history, sizeof(history));
}

/*
 * The line is masked as a whole (core/secret.h), whatever part of the answer
 * echoes a secret and however it is encoded.
 */
static void report(const struct test_outcome *o)
{
	const char *name = channel_name(o->channel);
	char line[sizeof(o->result.error) + sizeof(o->result.body) + 64];

	if (!o->finished)
		snprintf(line, sizeof(line), "%s: FAILED: no answer in time",
			 name);
	else if (o->result.outcome == DELIVERY_OK)
		snprintf(line, sizeof(line), "%s: ok (%ld)", name,
			 o->result.status);
	else
		snprintf(line, sizeof(line), "%s: FAILED: %s%s%s%s", name,
			 o->result.error, o->result.body[0] ? ": " : "",
			 o->result.body,
			 o->result.outcome == DELIVERY_PERMANENT
			     ? " (permanent)"
			     : "");
	secret_mask(line);
	printf("%s\n", line);
}

int command_test_alert(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "channel", required_argument, NULL, 'C' },
		{ "severity", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	enum alert_severity severity = ALERT_INFO;
	struct test_outcome outcomes[CHANNEL_COUNT] = { 0 };
	const char *path = NULL, *only = NULL;
	struct delivery *delivery = NULL;
	struct alert_message *m = NULL;
	struct config *config = NULL;
	sd_event *event = NULL;
	int c, wanted = -1, failures = 0, tried = 0;
	uint64_t deadline;

	while ((c = getopt_long(argc, argv, "c:C:S:", options, NULL)) != -1) {
		if (c == 'c')
			path = optarg;
		else if (c == 'C')
			only = optarg;
		else if (c == 'S') {
			severity = event_severity_from_name(optarg, ALERT_INFO);
			/* Unknown names fall back: the name must come back. */
			if (strcmp(event_severity_name(severity), optarg) != 0)
				return cli_usage_error("test-alert",
						       "--severity takes info, "
						       "warning or critical");
		} else
			return cli_usage_error("test-alert", "unknown option");
	}
	if (optind != argc)
		return cli_usage_error("test-alert", "unexpected argument");
	if (cli_load_config(path, &config) < 0) {
		fprintf(stderr, "sysops-agent: configuration is invalid\n");
		return 1;
	}
	/* Webhook instances are channels by their configured names. */
	channel_webhooks_assign(&config->alerting,
				(enum channel_id[CHANNEL_WEBHOOKS_MAX]){0});
	if (only != NULL && (wanted = channel_from_name(only)) < 0) {
		config_free(config);
		return cli_usage_error("test-alert",
				       "unknown channel (console, "
				       "webhook, webhook.NAME, slack, discord, "
				       "telegram, email, alertmanager)");
	}
	m = malloc(sizeof(*m));
	if (m == NULL || sd_event_new(&event) < 0 ||
	    (delivery = delivery_new(event)) == NULL) {
		fprintf(stderr, "sysops-agent test-alert: out of memory\n");
		failures = 1;
		goto done;
	}
	for (int i = 0; i < CHANNEL_COUNT; i++) {
		const struct alerting_channel_config *settings =
			channel_config(&config->alerting, (enum channel_id)i);
		struct test_outcome *o = &outcomes[i];
		struct outgoing out = { 0 };
		const char *missing;
		int r;

		o->channel = (enum channel_id)i;
		if (wanted >= 0 && wanted != i)
			continue;
		if (!channel_configured(o->channel, settings, &missing)) {
			if (wanted >= 0) {
				printf("%s: FAILED: not configured ('%s' is "
				       "missing)\n", channel_name(o->channel),
				       missing);
				failures++;
			}
			continue;
		}
		if (!settings->enabled) {
			printf("%s: skipped (enabled = false)\n",
			       channel_name(o->channel));
			continue;
		}
		tried++;
		build_test_message(m, config, o->channel, severity);
		if (i == CHANNEL_CONSOLE) {
			channel_console_write(m, m->created_usec);
			printf("console: ok (logged)\n");
			continue;
		}
		r = channel_formatter(o->channel)(settings, m, m->created_usec,
						  &out);
		if (r == 0)
			r = delivery_send(delivery, &out,
					  (long)config->alerting.connect_timeout_secs,
					  (long)config->alerting.timeout_secs,
					  on_done, o);
		else
			outgoing_free(&out);
		if (r < 0) {
			printf("%s: FAILED: %s\n", channel_name(o->channel),
			       strerror(-r));
			failures++;
			continue;
		}
		o->started = true;
	}
	deadline = now_monotonic_usec() +
		   (uint64_t)(config->alerting.timeout_secs + 2) * USEC_PER_SEC;
	while (delivery_in_flight(delivery) > 0 &&
	       now_monotonic_usec() < deadline)
		sd_event_run(event, 200 * 1000);
	for (int i = 0; i < CHANNEL_COUNT; i++) {
		if (!outcomes[i].started)
			continue;
		report(&outcomes[i]);
		if (!outcomes[i].finished ||
		    outcomes[i].result.outcome != DELIVERY_OK)
			failures++;
	}
	if (tried == 0 && wanted < 0)
		printf("no channel is configured\n");
done:
	delivery_free(delivery);
	sd_event_unref(event);
	free(m);
	config_free(config);
	return failures > 0 ? 1 : 0;
}
