/*
 * logscan.h - the log scanner: kernel ring (/dev/kmsg), the journal and
 * plain log files, read as they grow, matched against a rule set, and
 * turned into alert events. This header is what the rest of the agent sees:
 * the [logscan] sections, the daemon module and the `logscan` command (the
 * settings themselves are in logscan_config.h).
 */
#ifndef SYSOPS_LOGSCAN_H
#define SYSOPS_LOGSCAN_H

#include "core/config.h"
#include "logscan/logscan_config.h"

extern const struct config_section logscan_section;
extern const struct config_section logscan_rules_section;

struct daemon_module;
extern const struct daemon_module logscan_module;

/* `sysops-agent logscan [-c FILE] [--rules-only] [--json] FILE...|-` */
int logscan_command(int argc, char **argv);


#endif
