/*
 * cli.h - what a command (check-config, once, replay, ...) needs from the
 * command line module: loading the configuration the same way the daemon does,
 * and a uniform usage error (exit status 2).
 */
#ifndef SYSOPS_CLI_H
#define SYSOPS_CLI_H

#include "core/config.h"

/* -c FILE, else $SYSOPS_AGENT_CONFIG, else the default path. */
int cli_load_config(const char *path_option, struct config **out);

/* Prints "sysops-agent COMMAND: MESSAGE" and a hint; returns 2. */
int cli_usage_error(const char *command, const char *message);

#endif
