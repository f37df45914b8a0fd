/*
 * cli.c - shared by every command: the configuration is found and loaded the
 * same way the daemon does it (its secrets masked in everything the command
 * logs), and usage errors look alike.
 */
#include "core/cli.h"

#include <errno.h>
#include <stdio.h>

#include "core/secret.h"

int cli_load_config(const char *path_option, struct config **out)
{
	bool must_exist;
	const char *path = config_resolve_path(path_option, &must_exist);

	if (config_load(path, must_exist, out) < 0)
		return -EINVAL;
	/* What the command logs or prints is masked like the daemon's. */
	secret_configure(*out);
	return 0;
}

int cli_usage_error(const char *command, const char *message)
{
	fprintf(stderr, "sysops-agent %s: %s\nTry 'sysops-agent --help'.\n",
		command, message);
	return 2;
}
