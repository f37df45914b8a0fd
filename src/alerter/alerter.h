/*
 * alerter.h - the alerter's settings, its daemon module and its command.
 *
 * Producers only see alert.h; this header is for the core (config schema,
 * daemon module list, command table) and for the alerter's own files.
 */
#ifndef SYSOPS_ALERTER_H
#define SYSOPS_ALERTER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

extern const struct config_section alerting_section;
extern const struct config_section alerting_rate_limit_section;
extern const struct config_section alerting_console_section;
extern const struct config_section alerting_webhook_section;
extern const struct config_section alerting_slack_section;
extern const struct config_section alerting_discord_section;
extern const struct config_section alerting_telegram_section;
extern const struct config_section alerting_email_section;
extern const struct config_section alerting_alertmanager_section;
extern const struct config_section alerting_silence_section;

struct daemon_module;
extern const struct daemon_module alerter_module;

/* sysops-agent test-alert [-c FILE] [--channel NAME] */
int command_test_alert(int argc, char **argv);

#endif
