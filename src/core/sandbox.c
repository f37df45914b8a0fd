/*
 * sandbox.c - seccomp filters with libseccomp 2.4+ (Debian 11 and RHEL 8
 * ship 2.5): the main process's network seal and the delivery process's
 * allow list. See sandbox.h; docs/DESIGN.md ("Process model") says why each
 * group of calls is there.
 */
#include "core/sandbox.h"

#include <errno.h>

#ifndef HAVE_SECCOMP
#define HAVE_SECCOMP 0
#endif

static bool sealed;

bool sandbox_network_sealed(void)
{
	return sealed;
}

#if HAVE_SECCOMP
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "core/log.h"
#include "core/util.h"

bool sandbox_available(void)
{
	return true;
}

static int load(scmp_filter_ctx ctx, const char *what)
{
	int r = seccomp_load(ctx);

	if (r < 0)
		log_error("cannot load the %s seccomp filter: %s", what,
			  strerror(-r));
	seccomp_release(ctx);
	return r;
}

int sandbox_seal_network(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	static const int families[] = {AF_INET, AF_INET6};
	int r = 0;

	if (ctx == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(families) && r == 0; i++)
		r = seccomp_rule_add(
		    ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
	if (r < 0) {
		seccomp_release(ctx);
		return r;
	}
	r = load(ctx, "network seal");
	sealed = r == 0;
	return r;
}

/*
 * Allowed without condition: memory, time, signals, polling (sd-event and
 * curl's multi interface), reading files (CA store, resolv.conf, hosts,
 * nsswitch), and socket I/O. Names the running architecture does not have
 * are skipped by libseccomp.
 */
static const int plain_calls[] = {
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(pread64),
    SCMP_SYS(close),
    SCMP_SYS(lseek),
    SCMP_SYS(fstat),
    SCMP_SYS(stat),
    SCMP_SYS(lstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(statx),
    SCMP_SYS(statfs),
    SCMP_SYS(fstatfs),
    SCMP_SYS(access),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(readlink),
    SCMP_SYS(readlinkat),
    SCMP_SYS(getdents64),
    SCMP_SYS(getcwd),
    SCMP_SYS(fcntl),
    SCMP_SYS(dup),
    SCMP_SYS(dup3),
    SCMP_SYS(pipe2),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(mremap),
    SCMP_SYS(madvise),
    SCMP_SYS(brk),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(getpid),
    SCMP_SYS(gettid),
    SCMP_SYS(getppid),
    SCMP_SYS(getuid),
    SCMP_SYS(geteuid),
    SCMP_SYS(getgid),
    SCMP_SYS(getegid),
    SCMP_SYS(getresuid),
    SCMP_SYS(getresgid),
    SCMP_SYS(uname),
    SCMP_SYS(sysinfo),
    SCMP_SYS(getrandom),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(time),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(get_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(set_tid_address),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(membarrier),
    SCMP_SYS(prlimit64),
    SCMP_SYS(getrlimit),
    /* sd-event and curl's multi interface */
    SCMP_SYS(epoll_create1),
    SCMP_SYS(epoll_ctl),
    SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_pwait2),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(select),
    SCMP_SYS(pselect6),
    SCMP_SYS(timerfd_create),
    SCMP_SYS(timerfd_settime),
    SCMP_SYS(timerfd_gettime),
    SCMP_SYS(signalfd4),
    SCMP_SYS(eventfd2),
    /* sockets once made */
    SCMP_SYS(connect),
    SCMP_SYS(bind),
    SCMP_SYS(sendto),
    SCMP_SYS(sendmsg),
    SCMP_SYS(sendmmsg),
    SCMP_SYS(recvfrom),
    SCMP_SYS(recvmsg),
    SCMP_SYS(recvmmsg),
    SCMP_SYS(getsockopt),
    SCMP_SYS(setsockopt),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(shutdown),
};

static int add_rules(scmp_filter_ctx ctx, bool launcher)
{
	static const int families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
	static const unsigned long ioctls[] = {FIONREAD, FIONBIO, TCGETS};
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(plain_calls) && r == 0; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain_calls[i], 0);
	for (size_t i = 0; i < ARRAY_SIZE(families) && r == 0; i++) {
		r = seccomp_rule_add(
		    ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
		if (r == 0)
			r = seccomp_rule_add(
			    ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
			    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
	}
	for (size_t i = 0; i < ARRAY_SIZE(ioctls) && r == 0; i++)
		r = seccomp_rule_add(
		    ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)ioctls[i]));
	/* Files: read-only, never created or truncated. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ,
					     O_ACCMODE | O_CREAT | O_TRUNC,
					     O_RDONLY));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
				     SCMP_A1(SCMP_CMP_MASKED_EQ,
					     O_ACCMODE | O_CREAT | O_TRUNC,
					     O_RDONLY));
	/* Threads (curl's resolver), never a new process: clone must ask
	 * for CLONE_THREAD. clone3's flags sit in memory a filter cannot
	 * read, so it answers ENOSYS and glibc falls back to clone. */
	if (r == 0)
		r = seccomp_rule_add(
		    ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				     SCMP_SYS(clone3), 0);
	/* abort() on a failed assertion signals itself. */
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 0);
	if (launcher) {
		/* fork() is clone without CLONE_THREAD; the launcher also
		 * reaps and names its children. */
		static const int more[] = {
		    SCMP_SYS(fork),	  SCMP_SYS(wait4), SCMP_SYS(waitid),
		    SCMP_SYS(prctl),	  SCMP_SYS(kill),  SCMP_SYS(seccomp),
		    SCMP_SYS(close_range)};

		if (r == 0)
			r = seccomp_rule_add(
			    ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
		for (size_t i = 0; i < ARRAY_SIZE(more) && r == 0; i++)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, more[i], 0);
	}
	return r;
}

int sandbox_confine_delivery(bool launcher)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int r;

	if (ctx == NULL)
		return -ENOMEM;
	r = add_rules(ctx, launcher);
	if (r < 0) {
		log_error("cannot build the delivery seccomp filter: %s",
			  strerror(-r));
		seccomp_release(ctx);
		return r;
	}
	return load(ctx, launcher ? "launcher" : "delivery");
}

#else /* !HAVE_SECCOMP */

bool sandbox_available(void)
{
	return false;
}

int sandbox_seal_network(void)
{
	return -EOPNOTSUPP;
}

int sandbox_confine_delivery(bool launcher)
{
	(void)launcher;
	return -EOPNOTSUPP;
}

#endif
