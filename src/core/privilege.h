/*
 * privilege.h - least privilege at start-up: the daemon keeps only the two
 * capabilities it uses and never runs as root.
 *
 * daemon_init() calls privilege_drop() once, after the state directory exists
 * and before any module starts, so every source is opened with the privileges
 * it will keep. docs/DESIGN.md ("Security and operations") says why each
 * capability is needed.
 */
#ifndef SYSOPS_PRIVILEGE_H
#define SYSOPS_PRIVILEGE_H

#include <stdbool.h>
#include <stddef.h>

/* The service account (etc/sysusers.d/sysops-agent.conf creates it). */
#define PRIVILEGE_USER "sysops-agent"
/* Supplementary group that may read every journal file. */
#define PRIVILEGE_JOURNAL_GROUP "systemd-journal"

/*
 * Started as root: hands the state directory to PRIVILEGE_USER when this run
 * created it, switches to that user with supplementary group
 * PRIVILEGE_JOURNAL_GROUP, keeping exactly CAP_DAC_READ_SEARCH and CAP_SYSLOG
 * (bounding and ambient sets cleared), sets no_new_privs, checks that root
 * cannot be regained and logs what it kept. Without that account it stays
 * uid 0 with the same two capabilities and says so.
 *
 * Started as anyone else: drops capabilities beyond those two, sets
 * no_new_privs and says once which sources are degraded.
 *
 * Either way the state directory must end up writable. Returns 0 or -errno;
 * on failure the process must not go on (it may hold partial privileges).
 */
int privilege_drop(int state_dir_fd, const char *state_dir,
		   bool state_dir_created);

/*
 * For a process that must hold nothing (the delivery process): empties the
 * effective, permitted, inheritable and ambient sets, the bounding set too
 * while CAP_SETPCAP allows it, and sets no_new_privs. 0 or -errno (logged).
 */
int privilege_drop_all(void);

/* What the process can read, as far as the sources are concerned. */
struct privilege_access {
	bool dac_read_search;  /* CAP_DAC_READ_SEARCH effective */
	bool syslog;           /* CAP_SYSLOG effective */
	bool journal_group;    /* member of systemd-journal, adm or wheel */
	bool dmesg_restricted; /* kernel.dmesg_restrict = 1 */
};

/* The access of the calling process, read from the kernel. */
void privilege_access_read(struct privilege_access *access);

/*
 * Writes "source: consequence; ..." for every source the given access
 * degrades into buffer (always terminated). Returns how many there are.
 */
size_t privilege_describe_degraded(const struct privilege_access *access,
				   char *buffer, size_t size);

#endif
