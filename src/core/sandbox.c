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

#include "core/dynlib.h"
#include "core/log.h"
#include "core/util.h"

/*
 * libseccomp, opened for as long as a filter is built and loaded: the
 * kernel keeps the filter, so the library is not mapped after start-up
 * (~70 KiB resident). Packages name it, as they cannot see a dlopen().
 */
static struct {
	__typeof__(&seccomp_init) init;
	__typeof__(&seccomp_load) load;
	__typeof__(&seccomp_release) release;
	__typeof__(&seccomp_rule_add) rule_add;
	__typeof__(&seccomp_syscall_resolve_name) syscall_resolve_name;
} scmp;

static const struct dynlib_symbol scmp_symbols[] = {
    DYNLIB_SYMBOL(scmp, init, "seccomp_"),
    DYNLIB_SYMBOL(scmp, load, "seccomp_"),
    DYNLIB_SYMBOL(scmp, release, "seccomp_"),
    DYNLIB_SYMBOL(scmp, rule_add, "seccomp_"),
    DYNLIB_SYMBOL(scmp, syscall_resolve_name, "seccomp_"),
};

static struct dynlib libseccomp = {
    .soname = "libseccomp.so.2",
    .package = "libseccomp2 (Debian) or libseccomp (RPM)",
    .symbols = scmp_symbols,
    .count = ARRAY_SIZE(scmp_symbols),
};

bool sandbox_available(void)
{
	return true;
}

static int load(scmp_filter_ctx ctx, const char *what)
{
	int r = scmp.load(ctx);

	if (r < 0)
		log_error("cannot load the %s seccomp filter: %s", what,
			  strerror(-r));
	scmp.release(ctx);
	return r;
}

static int load_network_seal(void)
{
	scmp_filter_ctx ctx = scmp.init(SCMP_ACT_ALLOW);
	static const int families[] = {AF_INET, AF_INET6};
	int r = 0;

	if (ctx == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(families) && r == 0; i++)
		r = scmp.rule_add(
		    ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
	if (r < 0) {
		scmp.release(ctx);
		return r;
	}
	r = load(ctx, "network seal");
	sealed = r == 0;
	return r;
}

/* One filter built and loaded with libseccomp open for just that. */
static int with_libseccomp(int (*build_and_load)(void))
{
	int r = dynlib_open(&libseccomp);

	if (r < 0)
		return r;
	r = build_and_load();
	dynlib_close(&libseccomp);
	return r;
}

int sandbox_seal_network(void)
{
	return with_libseccomp(load_network_seal);
}

/*
 * Allowed without condition: memory, time, signals, polling (sd-event and
 * curl's multi interface), reading files (CA store, resolv.conf, hosts,
 * nsswitch), and socket I/O. By name, resolved at run time: a call that
 * this libseccomp (Debian 11 has 2.5.1) or architecture does not know is
 * skipped, where a compile-time SCMP_SYS() would not build.
 */
static const char *const plain_calls[] = {
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "close",
    "lseek",
    "fstat",
    "stat",
    "lstat",
    "newfstatat",
    "statx",
    "statfs",
    "fstatfs",
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "getdents64",
    "getcwd",
    "fcntl",
    "dup",
    "dup3",
    "pipe2",
    "mmap",
    "munmap",
    "mprotect",
    "mremap",
    "madvise",
    "brk",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "sigaltstack",
    "getpid",
    "gettid",
    "getppid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getresuid",
    "getresgid",
    "uname",
    "sysinfo",
    "getrandom",
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "nanosleep",
    "clock_nanosleep",
    "sched_yield",
    "sched_getaffinity",
    "futex",
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "set_tid_address",
    "exit",
    "exit_group",
    "restart_syscall",
    "membarrier",
    "prlimit64",
    "getrlimit",
    /* sd-event and curl's multi interface */
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "timerfd_create",
    "timerfd_settime",
    "timerfd_gettime",
    "signalfd4",
    "eventfd2",
    /* sockets once made */
    "connect",
    "bind",
    "sendto",
    "sendmsg",
    "sendmmsg",
    "recvfrom",
    "recvmsg",
    "recvmmsg",
    "getsockopt",
    "setsockopt",
    "getsockname",
    "getpeername",
    "shutdown",
};

const char *const *sandbox_delivery_calls(size_t *n)
{
	*n = ARRAY_SIZE(plain_calls);
	return plain_calls;
}

static int allow_by_name(scmp_filter_ctx ctx, const char *name)
{
	int nr = scmp.syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0;
	return scmp.rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int add_rules(scmp_filter_ctx ctx)
{
	static const int families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
	static const unsigned long ioctls[] = {FIONREAD, FIONBIO, TCGETS};
	int r = 0, nr;

	for (size_t i = 0; i < ARRAY_SIZE(plain_calls) && r == 0; i++)
		r = allow_by_name(ctx, plain_calls[i]);
	for (size_t i = 0; i < ARRAY_SIZE(families) && r == 0; i++) {
		r = scmp.rule_add(
		    ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
		    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
		if (r == 0)
			r = scmp.rule_add(
			    ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
			    SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
	}
	for (size_t i = 0; i < ARRAY_SIZE(ioctls) && r == 0; i++)
		r = scmp.rule_add(
		    ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
		    SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)ioctls[i]));
	/* Files: read-only, never created or truncated. */
	if (r == 0)
		r = scmp.rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				  SCMP_A2(SCMP_CMP_MASKED_EQ,
					  O_ACCMODE | O_CREAT | O_TRUNC,
					  O_RDONLY));
	if (r == 0)
		r = scmp.rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
				  SCMP_A1(SCMP_CMP_MASKED_EQ,
					  O_ACCMODE | O_CREAT | O_TRUNC,
					  O_RDONLY));
	/* Threads (curl's resolver), never a new process: clone must ask
	 * for CLONE_THREAD. clone3's flags sit in memory a filter cannot
	 * read, so it answers ENOSYS and glibc falls back to clone. */
	if (r == 0)
		r = scmp.rule_add(
		    ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
		    SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	nr = scmp.syscall_resolve_name("clone3");
	if (r == 0 && nr != __NR_SCMP_ERROR)
		r = scmp.rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
	/* abort() on a failed assertion signals itself. */
	if (r == 0)
		r = scmp.rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 0);
	return r;
}

static int load_delivery_filter(void)
{
	/* Kill the process (4.14+); the thread alone on older kernels. */
	scmp_filter_ctx ctx = scmp.init(SCMP_ACT_KILL_PROCESS);
	int r;

	if (ctx == NULL)
		ctx = scmp.init(SCMP_ACT_KILL);
	if (ctx == NULL)
		return -ENOMEM;
	r = add_rules(ctx);
	if (r < 0) {
		log_error("cannot build the delivery seccomp filter: %s",
			  strerror(-r));
		scmp.release(ctx);
		return r;
	}
	return load(ctx, "delivery");
}

int sandbox_confine_delivery(void)
{
	return with_libseccomp(load_delivery_filter);
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

int sandbox_confine_delivery(void)
{
	return -EOPNOTSUPP;
}

const char *const *sandbox_delivery_calls(size_t *n)
{
	*n = 0;
	return NULL;
}

#endif
