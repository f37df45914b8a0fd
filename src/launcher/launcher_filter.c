/*
 * launcher_filter.c - the launcher's seccomp filter, a classic BPF program
 * written by hand (libseccomp would double the helper's size): the
 * architecture, then an allow list by system call number, the rest killed.
 * docs/DESIGN.md ("Process model", "Filters") says why each call is here.
 */
#include "launcher/launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

/*
 * The architecture this file is compiled for, as seccomp_data.arch names
 * it. Anything else (x32, big-endian arm and aarch64, ppc64 big-endian,
 * mips, ...) builds no filter: launcher_filter_build() says -EOPNOTSUPP.
 */
#if defined(__x86_64__) && !defined(__ILP32__) && defined(AUDIT_ARCH_X86_64)
#define FILTER_ARCH AUDIT_ARCH_X86_64
#elif defined(__i386__) && defined(AUDIT_ARCH_I386)
#define FILTER_ARCH AUDIT_ARCH_I386
#elif defined(__aarch64__) && !defined(__AARCH64EB__) &&                       \
    defined(AUDIT_ARCH_AARCH64)
#define FILTER_ARCH AUDIT_ARCH_AARCH64
#elif defined(__arm__) && !defined(__ARMEB__) && defined(__ARM_EABI__) &&      \
    defined(AUDIT_ARCH_ARM)
#define FILTER_ARCH AUDIT_ARCH_ARM
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ &&   \
    defined(AUDIT_ARCH_PPC64LE)
#define FILTER_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__) && defined(AUDIT_ARCH_S390X)
#define FILTER_ARCH AUDIT_ARCH_S390X
#elif defined(__riscv) && __riscv_xlen == 64 && defined(AUDIT_ARCH_RISCV64)
#define FILTER_ARCH AUDIT_ARCH_RISCV64
#endif

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef SECCOMP_RET_KILL_THREAD
#define SECCOMP_RET_KILL_THREAD 0U
#endif
#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL 2
#endif

#ifdef FILTER_ARCH

/*
 * Calls newer than the oldest headers a package is built on (RHEL 8's
 * 4.18, Debian 11's 5.10) but known to the libseccomp and libc it runs
 * with: from 5.1 on a new call has one number on every architecture of the
 * table above, so it is named here when the headers do not. Left out, the
 * launcher's filter would kill a call the delivery process's own filter
 * allows (Debian 11: epoll_pwait2).
 */
#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_faccessat2
#define __NR_faccessat2 439
#endif
#ifndef __NR_epoll_pwait2
#define __NR_epoll_pwait2 441
#endif

/*
 * Allowed whatever the arguments. The filter is inherited by every
 * delivery process the launcher execs and stays in force under that
 * process's own filter (all stacked filters run, the strictest answer
 * wins), so this list is the launcher's own calls and, besides, every
 * call the delivery process makes before and after it loads its own
 * (src/core/sandbox.c's plain_calls; tests/unit/test_launcher.c checks
 * that none is missing). A call a kernel or architecture lacks is left
 * out at compile time.
 */
static const int plain_calls[] = {
/* The launcher's loop: poll (ppoll where there is no poll), the SPAWN
 * frames (recvmsg) and the SPAWNED answers (sendto), SIGCHLD through the
 * signalfd (read) and the reaping (wait4), its log lines on stderr. */
#ifdef __NR_poll
    __NR_poll,
#endif
    __NR_ppoll,
    __NR_recvmsg,
    __NR_sendto,
    __NR_read,
    __NR_write,
    __NR_close,
    __NR_wait4,
    /* Between fork and exec: the child's signal mask, parent death signal and
     * its socket onto descriptor 3; fexecve() is execveat(AT_EMPTY_PATH), or
     * execve() of /proc/self/fd/N where execveat is missing. */
    __NR_rt_sigprocmask,
    __NR_prctl,
#ifdef __NR_dup2
    __NR_dup2,
#endif
    __NR_dup3,
    __NR_execve,
#ifdef __NR_execveat
    __NR_execveat,
#endif
/* The delivery process before its own filter: the loader (arch_prctl or
 * set_thread_area for the thread pointer), privilege_drop_all() (capget,
 * capset, prctl), libseccomp loading its filter (seccomp, also asked which
 * actions this kernel has), log_open()'s isatty (ioctl below). */
#ifdef __NR_arch_prctl
    __NR_arch_prctl,
#endif
#ifdef __NR_set_thread_area
    __NR_set_thread_area,
#endif
    __NR_capget,
    __NR_capset,
#ifdef __NR_seccomp
    __NR_seccomp,
#endif
    /* The delivery process's own list (src/core/sandbox.c), by group. I/O and
     * files: */
    __NR_readv,
    __NR_writev,
    __NR_pread64,
    __NR_lseek,
#ifdef __NR__llseek
    __NR__llseek,
#endif
#ifdef __NR_fstat
    __NR_fstat,
#endif
#ifdef __NR_fstat64
    __NR_fstat64,
#endif
#ifdef __NR_stat
    __NR_stat,
#endif
#ifdef __NR_stat64
    __NR_stat64,
#endif
#ifdef __NR_lstat
    __NR_lstat,
#endif
#ifdef __NR_lstat64
    __NR_lstat64,
#endif
#ifdef __NR_newfstatat
    __NR_newfstatat,
#endif
#ifdef __NR_fstatat64
    __NR_fstatat64,
#endif
#ifdef __NR_statx
    __NR_statx,
#endif
    __NR_statfs,
    __NR_fstatfs,
#ifdef __NR_access
    __NR_access,
#endif
    __NR_faccessat,
#ifdef __NR_faccessat2
    __NR_faccessat2,
#endif
#ifdef __NR_readlink
    __NR_readlink,
#endif
    __NR_readlinkat,
    __NR_getdents64,
    __NR_getcwd,
    __NR_fcntl,
#ifdef __NR_fcntl64
    __NR_fcntl64,
#endif
    __NR_dup,
    __NR_pipe2,
/* memory: */
#ifdef __NR_mmap
    __NR_mmap,
#endif
#ifdef __NR_mmap2
    __NR_mmap2,
#endif
    __NR_munmap,
    __NR_mprotect,
    __NR_mremap,
    __NR_madvise,
    __NR_brk,
    /* signals, ids, time: */
    __NR_rt_sigaction,
    __NR_rt_sigreturn,
#ifdef __NR_sigreturn
    __NR_sigreturn,
#endif
    __NR_sigaltstack,
    __NR_getpid,
    __NR_gettid,
    __NR_getppid,
    __NR_getuid,
    __NR_geteuid,
    __NR_getgid,
    __NR_getegid,
    __NR_getresuid,
    __NR_getresgid,
#ifdef __NR_getuid32 /* i386 and arm: glibc's 32-bit ids */
    __NR_getuid32,
    __NR_geteuid32,
    __NR_getgid32,
    __NR_getegid32,
    __NR_getresuid32,
    __NR_getresgid32,
#endif
    __NR_uname,
    __NR_sysinfo,
    __NR_getrandom,
    __NR_clock_gettime,
    __NR_clock_getres,
    __NR_gettimeofday,
#ifdef __NR_time
    __NR_time,
#endif
    __NR_nanosleep,
    __NR_clock_nanosleep,
    __NR_sched_yield,
    __NR_sched_getaffinity,
    __NR_prlimit64,
#ifdef __NR_getrlimit
    __NR_getrlimit,
#endif
#ifdef __NR_ugetrlimit
    __NR_ugetrlimit,
#endif
    __NR_restart_syscall,
    __NR_exit,
    __NR_exit_group,
    __NR_tgkill,
/* 32-bit architectures' 64-bit time calls (glibc 2.34 and later): */
#ifdef __NR_clock_gettime64
    __NR_clock_gettime64,
#endif
#ifdef __NR_clock_getres_time64
    __NR_clock_getres_time64,
#endif
#ifdef __NR_clock_nanosleep_time64
    __NR_clock_nanosleep_time64,
#endif
#ifdef __NR_futex_time64
    __NR_futex_time64,
#endif
#ifdef __NR_ppoll_time64
    __NR_ppoll_time64,
#endif
#ifdef __NR_pselect6_time64
    __NR_pselect6_time64,
#endif
#ifdef __NR_recvmmsg_time64
    __NR_recvmmsg_time64,
#endif
#ifdef __NR_timerfd_settime64
    __NR_timerfd_settime64,
#endif
#ifdef __NR_timerfd_gettime64
    __NR_timerfd_gettime64,
#endif
    /* threads (curl's threaded resolver): */
    __NR_futex,
    __NR_set_robust_list,
    __NR_get_robust_list,
#ifdef __NR_rseq
    __NR_rseq,
#endif
    __NR_set_tid_address,
#ifdef __NR_membarrier
    __NR_membarrier,
#endif
    /* the event loops: */
    __NR_epoll_create1,
    __NR_epoll_ctl,
#ifdef __NR_epoll_wait
    __NR_epoll_wait,
#endif
    __NR_epoll_pwait,
#ifdef __NR_epoll_pwait2
    __NR_epoll_pwait2,
#endif
#ifdef __NR_select
    __NR_select,
#endif
#ifdef __NR__newselect
    __NR__newselect,
#endif
    __NR_pselect6,
    __NR_timerfd_create,
    __NR_timerfd_settime,
    __NR_timerfd_gettime,
    __NR_signalfd4,
    __NR_eventfd2,
/* sockets once made (socket() itself below): */
#ifdef __NR_socketcall
    __NR_socketcall, /* i386's multiplexer: its arguments are in memory */
#endif
    __NR_connect,
    __NR_bind,
#ifdef __NR_send
    __NR_send,
#endif
#ifdef __NR_recv
    __NR_recv,
#endif
    __NR_sendmsg,
    __NR_sendmmsg,
    __NR_recvfrom,
    __NR_recvmmsg,
    __NR_getsockopt,
    __NR_setsockopt,
    __NR_getsockname,
    __NR_getpeername,
    __NR_shutdown,
};

/* socket() and socketpair(): the delivery process's families. */
static const uint32_t families[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};
/* ioctl(): isatty()'s TCGETS and the two socket requests libcurl makes. */
static const uint32_t ioctls[] = {TCGETS, FIONREAD, FIONBIO};
/* clone(): a process or a thread, never in new namespaces (a user
 * namespace would hand a process without capabilities a full set). */
#define CLONE_NAMESPACES                                                       \
	(CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |         \
	 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
/* s390 passes the stack first, the flags second. */
#ifdef __s390x__
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif
/* open() and openat(): read-only, never created or truncated. */
#define OPEN_WRITING (O_ACCMODE | O_CREAT | O_TRUNC)

/* The low 32 bits of argument i: every value checked here is an int or
 * fits in one (flags, families, requests). */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ARG_LOW(i) (offsetof(struct seccomp_data, args[i]) + 4)
#else
#define ARG_LOW(i) offsetof(struct seccomp_data, args[i])
#endif

struct program {
	struct sock_filter *code;
	size_t length, size;
};

static void emit(struct program *p, struct sock_filter insn)
{
	if (p->length < p->size)
		p->code[p->length] = insn;
	p->length++;
}

static void load(struct program *p, uint32_t offset)
{
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offset));
}

static void answer(struct program *p, uint32_t action)
{
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action));
}

/* Jumps over the next `skip` instructions unless the number is nr. */
static void unless_call(struct program *p, int nr, uint8_t skip)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					     (uint32_t)nr, 0, skip));
}

/* nr allowed when argument arg is one of values[0..n). The accumulator
 * holds the call number before and after (the block returns). */
static void allow_values(struct program *p, int nr, int arg,
			 const uint32_t *values, uint8_t n, uint32_t deny)
{
	unless_call(p, nr, (uint8_t)(n + 3));
	load(p, ARG_LOW(arg));
	for (uint8_t i = 0; i < n; i++) /* a match jumps to the ALLOW */
		emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						     values[i],
						     (uint8_t)(n - i), 0));
	answer(p, deny);
	answer(p, SECCOMP_RET_ALLOW);
}

/* nr allowed when argument arg has none of the bits of mask. */
static void allow_clear(struct program *p, int nr, int arg, uint32_t mask,
			uint32_t deny)
{
	unless_call(p, nr, 4);
	load(p, ARG_LOW(arg));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, mask,
					     0, 1));
	answer(p, deny);
	answer(p, SECCOMP_RET_ALLOW);
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

int launcher_filter_build(struct sock_filter *code, size_t size, uint32_t deny)
{
	struct program p = {code, 0, size};

	load(&p, offsetof(struct seccomp_data, arch));
	emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					      FILTER_ARCH, 1, 0));
	answer(&p, deny);
	load(&p, offsetof(struct seccomp_data, nr));
#ifdef __X32_SYSCALL_BIT
	/* x32's calls share the arch and carry this bit: none is allowed. */
	emit(&p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
					      __X32_SYSCALL_BIT, 0, 1));
	answer(&p, deny);
#endif
	for (size_t i = 0; i < N_OF(plain_calls); i++) {
		unless_call(&p, plain_calls[i], 1);
		answer(&p, SECCOMP_RET_ALLOW);
	}
	allow_values(&p, __NR_socket, 0, families, N_OF(families), deny);
	allow_values(&p, __NR_socketpair, 0, families, N_OF(families), deny);
	allow_values(&p, __NR_ioctl, 1, ioctls, N_OF(ioctls), deny);
	allow_clear(&p, __NR_openat, 2, OPEN_WRITING, deny);
#ifdef __NR_open
	allow_clear(&p, __NR_open, 1, OPEN_WRITING, deny);
#endif
	allow_clear(&p, __NR_clone, CLONE_FLAGS_ARG, CLONE_NAMESPACES, deny);
#ifdef __NR_clone3
	/* Its flags are in memory a filter cannot read; glibc falls back
	 * to clone() on ENOSYS (the delivery filter answers the same). */
	unless_call(&p, __NR_clone3, 1);
	answer(&p, SECCOMP_RET_ERRNO | ENOSYS);
#endif
	answer(&p, deny);
	return p.length <= size ? (int)p.length : -E2BIG;
}

int launcher_filter_install(void)
{
	static struct sock_filter code[LAUNCHER_FILTER_MAX];
	/* Killing the whole process needs 4.14; older kernels kill the
	 * thread, which for the single-threaded launcher is the same. */
	uint32_t deny = SECCOMP_RET_KILL_PROCESS;
	struct sock_fprog program = {.filter = code};
	int n;

#ifdef __NR_seccomp
	if (syscall(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &deny) < 0)
		deny = SECCOMP_RET_KILL_THREAD;
#else
	deny = SECCOMP_RET_KILL_THREAD;
#endif
	n = launcher_filter_build(code, LAUNCHER_FILTER_MAX, deny);
	if (n < 0)
		return n;
	program.len = (unsigned short)n;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) < 0)
		return -errno;
	return 0;
}

#else /* no FILTER_ARCH */

int launcher_filter_build(struct sock_filter *code, size_t size, uint32_t deny)
{
	(void)code;
	(void)size;
	(void)deny;
	return -EOPNOTSUPP;
}

int launcher_filter_install(void)
{
	return -EOPNOTSUPP;
}

#endif
