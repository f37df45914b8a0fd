/*
 * mdwe_exec.c - runs a command with writable-and-executable memory
 * forbidden by the kernel (PR_SET_MDWE, Linux 6.3+; kept across fork and
 * execve), the policy MemoryDenyWriteExecute=yes gives the unit. Used by
 * tests/integration/sandbox.sh. Exits 77 when the kernel cannot do it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: mdwe_exec COMMAND [ARGUMENT...]\n");
		return 2;
	}
	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0) {
		fprintf(stderr, "mdwe_exec: PR_SET_MDWE: %s\n", strerror(errno));
		return 77;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "mdwe_exec: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
