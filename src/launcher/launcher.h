/*
 * launcher.h - the delivery launcher: a process that only forks and execs
 * delivery processes when the daemon asks. Built twice: as the small
 * helper binary sysops-launch (libc only, sysops_launch.c), and inside the
 * daemon for when that helper is not installed. docs/DESIGN.md ("Process
 * model", "Memory") says why it exists and why it is small.
 */
#ifndef SYSOPS_LAUNCHER_LAUNCHER_H
#define SYSOPS_LAUNCHER_LAUNCHER_H

#include <stddef.h>
#include <stdint.h>

struct sock_filter;

/* The descriptors the launcher finds: its control socket (SPAWN frames in,
 * SPAWNED frames out) and the daemon's own binary, opened O_PATH. */
#define LAUNCHER_CONTROL_FD 3
#define LAUNCHER_EXE_FD	    4
/* The helper's file name: next to the daemon's binary (a build tree) or
 * in LIBEXECDIR/sysops-agent (an installation). */
#define LAUNCHER_HELPER_NAME "sysops-launch"
/* The daemon binary's hidden command that becomes a delivery process,
 * its socket on descriptor 3 (main.c dispatches it). */
#define LAUNCHER_DELIVERY_COMMAND "__delivery-process"

/*
 * Drops every capability, sets no_new_privs, then serves SPAWN frames on
 * LAUNCHER_CONTROL_FD until the daemon closes it: each forks a child that
 * execs the binary on LAUNCHER_EXE_FD as LAUNCHER_DELIVERY_COMMAND with
 * the frame's descriptor on 3 and log_level as its argument; the child's
 * pid goes back in a SPAWNED frame. Logs "<N>" records on stderr up to
 * log_level. Returns the process's exit status; uses libc alone.
 */
int launcher_run(int log_level);

/*
 * The launcher's seccomp filter (launcher_filter.c), a classic BPF program
 * for the architecture this is compiled for: the launcher's own calls and
 * every call a delivery process makes (it inherits the filter across exec,
 * under its own), other sockets than AF_UNIX, AF_INET, AF_INET6 and
 * AF_NETLINK, files opened for writing and clones into new namespaces
 * answered with deny, clone3 with ENOSYS. Writes at most size instructions
 * to code; returns how many, -E2BIG when size is short, or -EOPNOTSUPP on
 * an architecture it has no table for.
 */
#define LAUNCHER_FILTER_MAX 512
int launcher_filter_build(struct sock_filter *code, size_t size, uint32_t deny);
/*
 * Loads that filter into the calling process (no_new_privs must be set),
 * killing the process on anything else (the thread before Linux 4.14).
 * 0, -EOPNOTSUPP (no table for this architecture) or -errno.
 */
int launcher_filter_install(void);

#endif
