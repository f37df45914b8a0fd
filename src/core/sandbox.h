/*
 * sandbox.h - the daemon's seccomp filters (libseccomp): one that keeps the
 * main process off the network, and the delivery process's allow list.
 * Built without libseccomp (HAVE_SECCOMP=0) both return -EOPNOTSUPP and the
 * callers say so once; capabilities and no_new_privs still apply.
 */
#ifndef SYSOPS_SANDBOX_H
#define SYSOPS_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* Whether this binary was built with libseccomp. */
bool sandbox_available(void);

/*
 * For the main process once started: socket() of AF_INET or AF_INET6 fails
 * with EPERM (not a kill: a stray caller gets an error it already handles).
 * Unix and netlink sockets (sd_notify, the journal, sock_diag) stay allowed.
 * Inherited by every process forked afterwards. 0 or -errno.
 */
int sandbox_seal_network(void);
/* Whether sandbox_seal_network() succeeded in this process. */
bool sandbox_network_sealed(void);

/*
 * For the delivery process, after libcurl is loaded: only the system calls
 * that libcurl, its TLS library, the resolver and sd-event make; anything
 * else kills the process. Files open read-only only; sockets of AF_UNIX,
 * AF_INET, AF_INET6 and AF_NETLINK; threads but no new processes, no exec.
 * 0 or -errno.
 */
int sandbox_confine_delivery(void);

/*
 * The calls that filter allows whatever their arguments, by name (count
 * in *n; none without libseccomp). The launcher's own filter, inherited by
 * every delivery process, must allow each (tests/unit/test_launcher.c).
 */
const char *const *sandbox_delivery_calls(size_t *n);

#endif
