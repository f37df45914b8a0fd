/*
 * sysops_launch.c - main() of the helper binary sysops-launch: the daemon
 * starts it once with its control socket on 3 and its own binary on 4
 * (launcher.h). Not a command for people.
 */
#include <stdlib.h>
#include <unistd.h>

#include "launcher/launcher.h"

int main(int argc, char **argv)
{
	/* argv: the name, then the daemon's log level. No exit hooks:
	 * nothing here is buffered. */
	_exit(launcher_run(argc == 2 ? atoi(argv[1]) : 6));
}
