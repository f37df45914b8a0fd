/*
 * privilege.c - drops root (or whatever else it was given) down to the two
 * capabilities the sources need, with libcap-ng, once at start-up.
 *
 * Under systemd the unit already starts the daemon as sysops-agent with
 * exactly these capabilities, so this file then changes nothing and only
 * reports; started by hand it makes the same state itself.
 */
#include "core/privilege.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/dynlib.h"
#include "core/log.h"
#include "core/util.h"

/* Highest capability number the kernel may report in a 64-bit mask. */
#define CAPABILITY_MAX 63

/*
 * libcap-ng 0.8 knows the ambient set (CAPNG_SELECT_ALL, CAPNG_CLEAR_AMBIENT);
 * 0.7.9 (Debian 11, Ubuntu 20.04 and 22.04) knows capabilities and bounding
 * set only. Both are enum constants, so the Makefile probes the header and
 * says which with HAVE_CAPNG_AMBIENT; without it prctl() clears the ambient
 * set and the bounding set is dropped here (drop_bounding_set()).
 */
#ifndef HAVE_CAPNG_AMBIENT
#define HAVE_CAPNG_AMBIENT 0
#endif
#if HAVE_CAPNG_AMBIENT
#define SELECT_EVERY_SET CAPNG_SELECT_ALL
#else
#define SELECT_EVERY_SET CAPNG_SELECT_BOTH
#endif

static const unsigned int kept_capabilities[] = {
	CAP_DAC_READ_SEARCH, /* other users' /proc/PID/fd, log files, journal */
	CAP_SYSLOG,          /* /dev/kmsg under kernel.dmesg_restrict=1 */
};

/* Groups whose members may read the system journal (journald's ACLs). */
static const char *const journal_groups[] = {
	PRIVILEGE_JOURNAL_GROUP, "adm", "wheel",
};

/*
 * libcap-ng, opened for each public function below and closed when it
 * returns: only start-up (and the delivery process's) drops capabilities,
 * so it is not mapped after. Its state (the sets capng_clear() and
 * capng_update() build) lives only while it is open, which is within one
 * call. Packages name it, as they cannot see a dlopen().
 */
static struct {
	__typeof__(&capng_apply) apply;
	__typeof__(&capng_capability_to_name) capability_to_name;
	__typeof__(&capng_change_id) change_id;
	__typeof__(&capng_clear) clear;
	__typeof__(&capng_get_caps_process) get_caps_process;
	__typeof__(&capng_have_capabilities) have_capabilities;
	__typeof__(&capng_have_capability) have_capability;
	__typeof__(&capng_update) update;
} capng;

static const struct dynlib_symbol capng_symbols[] = {
    DYNLIB_SYMBOL(capng, apply, "capng_"),
    DYNLIB_SYMBOL(capng, capability_to_name, "capng_"),
    DYNLIB_SYMBOL(capng, change_id, "capng_"),
    DYNLIB_SYMBOL(capng, clear, "capng_"),
    DYNLIB_SYMBOL(capng, get_caps_process, "capng_"),
    DYNLIB_SYMBOL(capng, have_capabilities, "capng_"),
    DYNLIB_SYMBOL(capng, have_capability, "capng_"),
    DYNLIB_SYMBOL(capng, update, "capng_"),
};

static struct dynlib libcapng = {
    .soname = "libcap-ng.so.0",
    .package = "libcap-ng0 (Debian) or libcap-ng (RPM)",
    .symbols = capng_symbols,
    .count = ARRAY_SIZE(capng_symbols),
};

static bool is_kept(unsigned int capability)
{
	for (size_t i = 0; i < ARRAY_SIZE(kept_capabilities); i++)
		if (kept_capabilities[i] == capability)
			return true;
	return false;
}

/* "dac_read_search, syslog" for the kept capabilities present in type. */
static void kept_names(capng_type_t type, char *buffer, size_t size)
{
	size_t used = 0;

	buffer[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(kept_capabilities); i++) {
		const char *name;
		int n;

		if (capng.have_capability(type, kept_capabilities[i]) != 1)
			continue;
		name = capng.capability_to_name(kept_capabilities[i]);
		n = snprintf(buffer + used, size - used, "%scap_%s",
			     used ? ", " : "", name ? name : "?");
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
	if (used == 0)
		string_copy(buffer, "none", size);
}

static bool has_capability_beyond_kept(capng_type_t type)
{
	for (unsigned int c = 0; c <= CAPABILITY_MAX; c++)
		if (!is_kept(c) && capng.have_capability(type, c) == 1)
			return true;
	return false;
}

static int set_no_new_privs(void)
{
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1)
		return 0;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		int r = -errno;

		log_error_errno(errno, "cannot set no_new_privs");
		return r;
	}
	return 0;
}

/*
 * Empties the ambient set and, with drop_bounds, the bounding set (needs
 * CAP_SETPCAP, which root holds until its capabilities are applied): the
 * work libcap-ng >= 0.8 does in capng.change_id()/capng.apply(), done by
 * hand for 0.7.9. Capabilities the running kernel does not know end it.
 */
static int clear_inheritable_sets(bool drop_bounds)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL) {
		int r = -errno;

		log_error_errno(errno, "cannot clear the ambient capabilities");
		return r;
	}
	for (unsigned int c = 0; drop_bounds && c <= CAPABILITY_MAX; c++) {
		if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) <= 0)
			continue; /* not in the set, or beyond the kernel's */
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) {
			int r = -errno;

			log_error_errno(
			    errno,
			    "cannot drop capability %u from the bounding "
			    "set",
			    c);
			return r;
		}
	}
	return 0;
}

static bool in_group(gid_t gid)
{
	gid_t groups[256];
	int count;

	if (getegid() == gid)
		return true;
	count = getgroups((int)ARRAY_SIZE(groups), groups);
	for (int i = 0; i < count; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static void read_capabilities(struct privilege_access *access)
{
	if (capng.get_caps_process() == 0) {
		access->dac_read_search =
		    capng.have_capability(CAPNG_EFFECTIVE,
					  CAP_DAC_READ_SEARCH) == 1;
		access->syslog =
		    capng.have_capability(CAPNG_EFFECTIVE, CAP_SYSLOG) == 1;
	}
}

void privilege_access_read(struct privilege_access *access)
{
	char text[16];

	*access = (struct privilege_access){ 0 };
	/* Without libcap-ng (the log says so) no capability counts. */
	if (dynlib_open(&libcapng) == 0) {
		read_capabilities(access);
		dynlib_close(&libcapng);
	}
	/* Stops at the first match: a lookup of a group this system lacks
	 * ("wheel" on Debian) loads the next NSS module for nothing. */
	for (size_t i = 0; i < ARRAY_SIZE(journal_groups) &&
			   !access->journal_group; i++) {
		const struct group *group = getgrnam(journal_groups[i]);

		if (group != NULL && in_group(group->gr_gid))
			access->journal_group = true;
	}
	/* Unreadable means we cannot tell; assume the restrictive default. */
	access->dmesg_restricted = true;
	if (read_file_into(AT_FDCWD, "/proc/sys/kernel/dmesg_restrict", text,
			   sizeof(text)) > 0)
		access->dmesg_restricted = text[0] != '0';
}

static void append(char *buffer, size_t size, size_t *used, const char *text)
{
	int n;

	if (*used >= size)
		return;
	n = snprintf(buffer + *used, size - *used, "%s%s", *used ? "; " : "",
		     text);
	if (n > 0)
		*used += (size_t)n < size - *used ? (size_t)n : size - *used - 1;
}

size_t privilege_describe_degraded(const struct privilege_access *access,
				   char *buffer, size_t size)
{
	size_t count = 0, used = 0;

	if (size == 0)
		return 0;
	buffer[0] = '\0';
	if (!access->dac_read_search) {
		append(buffer, size, &used,
		       "processes: open files of other users' processes are "
		       "not counted (/proc/PID/fd needs CAP_DAC_READ_SEARCH)");
		append(buffer, size, &used,
		       "log files: files this user may not read are skipped "
		       "(CAP_DAC_READ_SEARCH)");
		count += 2;
	}
	if (!access->syslog && access->dmesg_restricted) {
		append(buffer, size, &used,
		       "kernel log: /dev/kmsg is unreadable while "
		       "kernel.dmesg_restrict=1 (CAP_SYSLOG)");
		count++;
	}
	if (!access->journal_group && !access->dac_read_search) {
		append(buffer, size, &used,
		       "journal: only this user's own journal is readable "
		       "(group " PRIVILEGE_JOURNAL_GROUP ")");
		count++;
	}
	return count;
}

/*
 * Reads the capabilities back from the kernel: effective and permitted must
 * hold the kept ones and nothing else, and with clear_bounding the bounding
 * set must be empty, so no later execve() can gain anything.
 */
static int verify_capabilities(bool clear_bounding)
{
	if (capng.get_caps_process() != 0) {
		log_error("cannot read back the capabilities");
		return -EIO;
	}
	if (has_capability_beyond_kept(CAPNG_EFFECTIVE) ||
	    has_capability_beyond_kept(CAPNG_PERMITTED)) {
		log_error("capabilities beyond cap_dac_read_search and "
			  "cap_syslog are still held");
		return -EPERM;
	}
	if (clear_bounding &&
	    capng.have_capabilities(CAPNG_SELECT_BOUNDS) != CAPNG_NONE) {
		log_error("the capability bounding set is not empty");
		return -EPERM;
	}
	return 0;
}

/* After leaving uid 0 it must be impossible to get it back. */
static int verify_root_is_gone(uid_t uid, gid_t gid)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) < 0 ||
	    getresgid(&rgid, &egid, &sgid) < 0)
		return -errno;
	if (ruid != uid || euid != uid || suid != uid || rgid != gid ||
	    egid != gid || sgid != gid) {
		log_error("user switch incomplete (uid %d/%d/%d, gid %d/%d/%d)",
			  (int)ruid, (int)euid, (int)suid, (int)rgid,
			  (int)egid, (int)sgid);
		return -EPERM;
	}
	if (setuid(0) == 0 || setgid(0) == 0) {
		log_error("root could be regained after the switch; stopping");
		return -EPERM;
	}
	return 0;
}

static void capabilities_to_keep(void)
{
	capng.clear(SELECT_EVERY_SET);
	for (size_t i = 0; i < ARRAY_SIZE(kept_capabilities); i++)
		capng.update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED,
			     kept_capabilities[i]);
}

/*
 * Hands a state directory this run created to the service user; anything
 * else (a system directory named by mistake) is never chowned, the
 * writability check after the switch reports it instead.
 */
static int hand_over_state_dir(int state_dir_fd, const char *state_dir,
			       bool created, uid_t uid, gid_t gid)
{
	struct stat st;

	if (!created || fstat(state_dir_fd, &st) < 0 || st.st_uid == uid)
		return 0;
	if (fchown(state_dir_fd, uid, gid) < 0) {
		int r = -errno;

		log_error_errno(errno,
				"state directory %s: cannot give it to %s",
				state_dir, PRIVILEGE_USER);
		return r;
	}
	return 0;
}

static int check_state_dir_writable(int state_dir_fd, const char *state_dir)
{
	struct stat st;
	char owner[32] = "?";

	/* A syscall filter may refuse faccessat2 (EPERM): then we cannot tell. */
	if (faccessat(state_dir_fd, ".", W_OK | X_OK, AT_EACCESS) == 0 ||
	    (errno != EACCES && errno != EROFS))
		return 0;
	if (fstat(state_dir_fd, &st) == 0) {
		const struct passwd *pw = getpwuid(st.st_uid);

		if (pw != NULL)
			string_copy(owner, pw->pw_name, sizeof(owner));
		else
			snprintf(owner, sizeof(owner), "%u",
				 (unsigned)st.st_uid);
	}
	log_error("state directory %s (owner %s, mode %04o) is not writable by "
		  "uid %d; run 'chown %s: %s' or choose another state_dir",
		  state_dir, owner, (unsigned)(st.st_mode & 07777),
		  (int)geteuid(), PRIVILEGE_USER, state_dir);
	return -EACCES;
}

static void log_kept(const char *who)
{
	char effective[64], bounding[80];

	kept_names(CAPNG_EFFECTIVE, effective, sizeof(effective));
	if (capng.have_capabilities(CAPNG_SELECT_BOUNDS) == CAPNG_NONE) {
		string_copy(bounding, "cleared", sizeof(bounding));
	} else if (!has_capability_beyond_kept(CAPNG_BOUNDING_SET)) {
		char names[64];

		kept_names(CAPNG_BOUNDING_SET, names, sizeof(names));
		snprintf(bounding, sizeof(bounding), "%s", names);
	} else {
		/* Clearing it needs CAP_SETPCAP; no_new_privs makes it moot. */
		string_copy(bounding, "as inherited", sizeof(bounding));
	}
	log_info("running as %s; capabilities kept: %s; bounding set %s; "
		 "no_new_privs set", who, effective, bounding);
}

/* Root, and the service user exists: become it. */
static int switch_to_service_user(const struct passwd *pw, int state_dir_fd,
				  const char *state_dir, bool created)
{
	const struct group *journal = getgrnam(PRIVILEGE_JOURNAL_GROUP);
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid, groups[1];
	char who[128];
	int r;

	if (uid == 0) {
		log_error("user %s has uid 0; refusing to run as root",
			  PRIVILEGE_USER);
		return -EPERM;
	}
	r = hand_over_state_dir(state_dir_fd, state_dir, created, uid, gid);
	if (r < 0)
		return r;
	/* Only the journal group: none of root's, none from /etc/group. */
	if (journal != NULL)
		groups[0] = journal->gr_gid;
	if (setgroups(journal != NULL ? 1 : 0, groups) < 0) {
		r = -errno;
		log_error_errno(errno, "cannot set supplementary groups");
		return r;
	}
	capabilities_to_keep();
#if HAVE_CAPNG_AMBIENT
	r = capng.change_id((int)uid, (int)gid,
			    CAPNG_CLEAR_BOUNDING | CAPNG_CLEAR_AMBIENT);
#else
	/* Still root with every capability: CAP_SETPCAP drops the bounds. */
	r = clear_inheritable_sets(true);
	if (r < 0)
		return r;
	r = capng.change_id((int)uid, (int)gid, CAPNG_NO_FLAG);
#endif
	if (r < 0) {
		log_error("cannot switch to user %s (libcap-ng step %d)",
			  PRIVILEGE_USER, -r);
		return -EPERM;
	}
	r = set_no_new_privs();
	if (r == 0)
		r = verify_root_is_gone(uid, gid);
	if (r == 0)
		r = verify_capabilities(true);
	if (r < 0)
		return r;
	snprintf(who, sizeof(who), "%s (uid %d, gid %d, groups %s)",
		 PRIVILEGE_USER, (int)uid, (int)gid,
		 journal != NULL ? PRIVILEGE_JOURNAL_GROUP : "none");
	log_kept(who);
	if (journal == NULL)
		log_notice("group %s does not exist; the journal is read with "
			   "cap_dac_read_search", PRIVILEGE_JOURNAL_GROUP);
	return check_state_dir_writable(state_dir_fd, state_dir);
}

/* Root, but no service account: keep uid 0, shed everything else. */
static int restrict_root(int state_dir_fd, const char *state_dir)
{
	int r;

	capabilities_to_keep();
	/* Bounds before capabilities: dropping them needs CAP_SETPCAP. */
	r = HAVE_CAPNG_AMBIENT ? 0 : clear_inheritable_sets(true);
	if (r < 0)
		return r;
	if (capng.apply(SELECT_EVERY_SET) < 0) {
		log_error("cannot drop capabilities");
		return -EPERM;
	}
	r = set_no_new_privs();
	if (r == 0)
		r = verify_capabilities(true);
	if (r < 0)
		return r;
	log_kept("uid 0");
	log_warning("user %s does not exist, so the agent stays uid 0 (with "
		    "only the capabilities above); create it with "
		    "'systemd-sysusers sysops-agent.conf' or install the "
		    "package", PRIVILEGE_USER);
	return check_state_dir_writable(state_dir_fd, state_dir);
}

/*
 * Anyone else keeps what it was given of the two and loses the rest. Under
 * the shipped unit there is nothing to drop, so capset(), which the unit's
 * syscall filter refuses, is never called.
 */
static int restrict_unprivileged(int state_dir_fd, const char *state_dir)
{
	struct privilege_access access;
	const struct passwd *pw = getpwuid(geteuid());
	char who[96], degraded[768];
	bool needs_apply = false;
	int r;

	if (capng.get_caps_process() != 0) {
		log_error("cannot read the process capabilities");
		return -EIO;
	}
	needs_apply = has_capability_beyond_kept(CAPNG_PERMITTED) ||
		      has_capability_beyond_kept(CAPNG_EFFECTIVE);
	for (size_t i = 0; i < ARRAY_SIZE(kept_capabilities); i++)
		if (capng.have_capability(CAPNG_PERMITTED,
					  kept_capabilities[i]) !=
		    capng.have_capability(CAPNG_EFFECTIVE,
					  kept_capabilities[i]))
			needs_apply = true;
	if (needs_apply) {
		bool had[ARRAY_SIZE(kept_capabilities)];

		for (size_t i = 0; i < ARRAY_SIZE(kept_capabilities); i++)
			had[i] =
			    capng.have_capability(CAPNG_PERMITTED,
						  kept_capabilities[i]) == 1;
		capng.clear(CAPNG_SELECT_CAPS);
		for (size_t i = 0; i < ARRAY_SIZE(kept_capabilities); i++)
			if (had[i])
				capng.update(CAPNG_ADD,
					     CAPNG_EFFECTIVE | CAPNG_PERMITTED,
					     kept_capabilities[i]);
		if (capng.apply(CAPNG_SELECT_CAPS) < 0) {
			log_error("cannot drop the capabilities it does not "
				  "need");
			return -EPERM;
		}
	}
	/* Ambient capabilities would pass to a child; there is none. */
	r = clear_inheritable_sets(false);
	if (r == 0)
		r = set_no_new_privs();
	if (r == 0)
		r = verify_capabilities(false);
	if (r < 0)
		return r;
	if (pw != NULL)
		snprintf(who, sizeof(who), "%s (uid %d)", pw->pw_name,
			 (int)geteuid());
	else
		snprintf(who, sizeof(who), "uid %d", (int)geteuid());
	log_kept(who);
	privilege_access_read(&access);
	if (privilege_describe_degraded(&access, degraded, sizeof(degraded)))
		log_warning("running without full read access, degraded: %s",
			    degraded);
	return check_state_dir_writable(state_dir_fd, state_dir);
}

static int drop_privileges(int state_dir_fd, const char *state_dir,
			   bool state_dir_created)
{
	const struct passwd *pw;

	if (geteuid() != 0)
		return restrict_unprivileged(state_dir_fd, state_dir);
	errno = 0;
	pw = getpwnam(PRIVILEGE_USER);
	if (pw != NULL)
		return switch_to_service_user(pw, state_dir_fd, state_dir,
					      state_dir_created);
	/* getpwnam(3): these errno values also mean "no such user". */
	if (errno != 0 && errno != ENOENT && errno != ESRCH &&
	    errno != EBADF && errno != EPERM) {
		int r = -errno;

		/* Never fall back to root because a lookup failed. */
		log_error_errno(errno, "cannot look up user %s",
				PRIVILEGE_USER);
		return r;
	}
	return restrict_root(state_dir_fd, state_dir);
}

int privilege_drop(int state_dir_fd, const char *state_dir,
		   bool state_dir_created)
{
	int r = dynlib_open(&libcapng);

	if (r < 0)
		return r;
	r = drop_privileges(state_dir_fd, state_dir, state_dir_created);
	dynlib_close(&libcapng);
	return r;
}

static int drop_every_capability(void)
{
	/* The bounding set goes only while CAP_SETPCAP is still held (the
	 * daemon started as root without the service account); otherwise
	 * it already holds nothing beyond the two kept capabilities, and
	 * no_new_privs keeps an execve from using them. */
	bool drop_bounds = prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) == 1 &&
			   capng.get_caps_process() == 0 &&
			   capng.have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	int r = clear_inheritable_sets(drop_bounds);

	if (r < 0)
		return r;
	/* Every set emptied by capset(2) itself: libcap-ng 0.8's apply
	 * refuses here (the bounding set, handled above, cannot be applied
	 * without CAP_SETPCAP), 0.7.9's does not; the syscall is the same on
	 * every release. */
	{
		struct __user_cap_header_struct header = {
		    .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
		struct __user_cap_data_struct data[2];

		memset(data, 0, sizeof(data));
		if (syscall(SYS_capset, &header, data) < 0)
			return log_error_errno(errno,
					       "cannot drop every capability");
	}
	r = set_no_new_privs();
	if (r < 0)
		return r;
	if (capng.get_caps_process() != 0 ||
	    capng.have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		log_error("capabilities are still held after dropping them all");
		return -EPERM;
	}
	return 0;
}

int privilege_drop_all(void)
{
	int r = dynlib_open(&libcapng);

	if (r < 0)
		return r;
	r = drop_every_capability();
	dynlib_close(&libcapng);
	return r;
}
