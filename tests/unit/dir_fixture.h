/*
 * dir_fixture.h - a private temporary directory for a cmocka group (the
 * state directory of the module under test): dir_fd and directory are set
 * by dir_setup and removed with everything in it by dir_teardown.
 */
#ifndef SYSOPS_TEST_DIR_FIXTURE_H
#define SYSOPS_TEST_DIR_FIXTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int dir_fd = -1;
static char directory[64];

static int dir_setup(void **state)
{
	(void)state;
	strcpy(directory, "/tmp/sysops-unit.XXXXXX");
	if (mkdtemp(directory) == NULL)
		return -1;
	dir_fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dir_fd < 0 ? -1 : 0;
}

static int dir_teardown(void **state)
{
	char command[128];

	(void)state;
	close(dir_fd);
	snprintf(command, sizeof(command), "rm -rf %s", directory);
	return system(command) == 0 ? 0 : -1;
}

#endif
