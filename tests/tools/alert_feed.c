/*
 * alert_feed.c - the real daemon (every module, the real alerter, spool and
 * delivery) with alert events read from stdin, so integration tests can play
 * the analyzer and the log scanner. One event per line:
 *
 *     fire  RULE SEVERITY LABELS SUMMARY...    (LABELS "-" for none)
 *     clear RULE SEVERITY LABELS SUMMARY...
 *
 * Runs until SIGTERM like the daemon; stdin reaching its end changes nothing.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alerter/delivery.h"
#include "launcher/launcher.h"
#include "core/event.h"
#include "core/config.h"
#include "core/daemon.h"
#include "core/log.h"
#include "core/util.h"

static char pending[65536];
static size_t pending_length;
static unsigned long accepted, refused;

static void submit_line(char *line)
{
	static const double history[] = { 10, 12, 11, 15, 20, 30, 45, 70 };
	char *save = NULL, *verb, *rule, *severity, *labels, *summary;
	struct alert_event e = {
		.value = 93.5, .baseline = 40, .threshold = 90, .score = 0.8,
		.eta_secs = -1, .count = 1, .history = history,
		.history_count = ARRAY_SIZE(history),
	};

	verb = strtok_r(line, " ", &save);
	rule = strtok_r(NULL, " ", &save);
	severity = strtok_r(NULL, " ", &save);
	labels = strtok_r(NULL, " ", &save);
	summary = strtok_r(NULL, "", &save);
	if (verb == NULL || rule == NULL || severity == NULL ||
	    labels == NULL || summary == NULL) {
		refused++;
		return;
	}
	e.rule = rule;
	e.series = "test.metric";
	e.labels = strcmp(labels, "-") == 0 ? "" : labels;
	e.severity = strcmp(severity, "critical") == 0	 ? ALERT_CRITICAL
		     : strcmp(severity, "warning") == 0 ? ALERT_WARNING
							 : ALERT_INFO;
	e.firing = strcmp(verb, "fire") == 0;
	e.time_usec = now_realtime_usec();
	e.summary = summary;
	if (event_submit(&e) == 0)
		accepted++;
	else
		refused++;
}

static int on_stdin(sd_event_source *source, int fd, uint32_t events,
		    void *data)
{
	ssize_t n;

	(void)events, (void)data;
	n = read(fd, pending + pending_length,
		 sizeof(pending) - 1 - pending_length);
	if (n <= 0) {
		sd_event_source_set_enabled(source, SD_EVENT_OFF);
		return 0;
	}
	pending_length += (size_t)n;
	for (;;) {
		char *newline = memchr(pending, '\n', pending_length);
		size_t used;

		if (newline == NULL)
			break;
		*newline = '\0';
		submit_line(pending);
		used = (size_t)(newline - pending) + 1;
		memmove(pending, newline + 1, pending_length - used);
		pending_length -= used;
	}
	if (pending_length == sizeof(pending) - 1)
		pending_length = 0; /* a line too long: dropped */
	return 0;
}

int main(int argc, char **argv)
{
	struct config *config;
	struct daemon daemon;
	int status;

	/* The delivery processes are this binary exec'ed again (and the
	 * launcher too, where the helper binary is not beside it). */
	if (argc >= 2 && strcmp(argv[1], DELIVERY_LAUNCHER_COMMAND) == 0)
		return delivery_launcher_command(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], LAUNCHER_DELIVERY_COMMAND) == 0)
		return delivery_process_command(argc - 1, argv + 1);
	if (argc != 3 || strcmp(argv[1], "-c") != 0) {
		fprintf(stderr, "usage: alert_feed -c CONFIG < events\n");
		return 2;
	}
	log_open(LOG_TARGET_STDERR);
	if (config_load(argv[2], true, &config) < 0)
		return 1;
	daemon_apply_log_level(config, -1);
	if (daemon_init(&daemon, config, argv[2], true, -1) < 0) {
		daemon_free(&daemon);
		return 1;
	}
	if (sd_event_add_io(daemon.event, NULL, STDIN_FILENO, EPOLLIN,
			    on_stdin, NULL) < 0)
		log_warning("stdin cannot be watched; no events will be fed");
	status = daemon_run(&daemon);
	log_info("alert_feed: %lu events accepted, %lu refused", accepted,
		 refused);
	daemon_free(&daemon);
	return status;
}
