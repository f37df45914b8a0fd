/*
 * test_launcher.c - the launcher's hand-written seccomp filter
 * (src/launcher/launcher_filter.c): run in a small interpreter, it allows
 * the launcher's calls and every call of the delivery filter, refuses a
 * foreign architecture, x32, write-mode opens, other socket families and
 * namespaces; loaded into a forked child, the kernel kills that child on a
 * refused call and lets the allowed ones through.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "core/sandbox.h"
#include "launcher/launcher.h"

#ifndef HAVE_SECCOMP
#define HAVE_SECCOMP 0
#endif
#if HAVE_SECCOMP
#include <seccomp.h>
#endif

#define DENY 0x00000000U /* SECCOMP_RET_KILL_THREAD: any recognisable value */

static struct sock_filter code[LAUNCHER_FILTER_MAX];
static int length;
static uint32_t native_arch;

/* The subset of classic BPF the builder emits, as the kernel runs it. */
static uint32_t run(const struct seccomp_data *data)
{
	uint32_t a = 0;

	for (int pc = 0; pc < length; pc++) {
		const struct sock_filter *i = &code[pc];
		uint32_t word;

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(i->k + 4 <= sizeof(*data));
			memcpy(&word, (const char *)data + i->k, 4);
			a = word;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & i->k) ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			fail_msg("instruction %d: code %#x", pc, i->code);
		}
	}
	fail_msg("ran off the end of the program");
	return DENY;
}

static uint32_t call(long nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct seccomp_data data = {.nr = (int)nr, .arch = native_arch};

	/* As the kernel hands an int argument: in the low 32 bits. */
	data.args[0] = a0;
	data.args[1] = a1;
	data.args[2] = a2;
	return run(&data);
}

static int setup(void **state)
{
	(void)state;
	length = launcher_filter_build(code, LAUNCHER_FILTER_MAX, DENY);
	if (length == -EOPNOTSUPP)
		return 0;
	/* The first instructions compare the arch with a constant. */
	native_arch = code[1].k;
	return length > 0 ? 0 : -1;
}

static void test_build_bounds(void **state)
{
	(void)state;
	if (length == -EOPNOTSUPP)
		skip();
	assert_true(length <= LAUNCHER_FILTER_MAX);
	/* A BPF program is at most 4096 instructions; a short buffer is
	 * refused, not overrun. */
	assert_true(length < 4096);
	assert_int_equal(launcher_filter_build(code, 10, DENY), -E2BIG);
	assert_int_equal(launcher_filter_build(code, LAUNCHER_FILTER_MAX, DENY),
			 length);
}

static void test_foreign_arch_and_x32_refused(void **state)
{
	struct seccomp_data data = {.nr = __NR_getpid, .arch = native_arch};

	(void)state;
	if (length == -EOPNOTSUPP)
		skip();
	assert_int_equal(run(&data), SECCOMP_RET_ALLOW);
	data.arch = native_arch ^ 0x40000000U; /* 64-bit flag flipped */
	assert_int_equal(run(&data), DENY);
	data.arch = AUDIT_ARCH_I386 == native_arch ? AUDIT_ARCH_X86_64
						   : AUDIT_ARCH_I386;
	assert_int_equal(run(&data), DENY);
#ifdef __X32_SYSCALL_BIT
	data.arch = native_arch;
	data.nr = __NR_getpid | __X32_SYSCALL_BIT;
	assert_int_equal(run(&data), DENY);
#endif
}

/* What `strace -f` of a delivery run shows the launcher calling, from its
 * loop to the exec of a delivery process. */
static void test_launcher_calls_allowed(void **state)
{
	static const long calls[] = {
	/* the loop, in the order a SPAWN brings them */
#ifdef __NR_poll
	    __NR_poll,
#else
	    __NR_ppoll,
#endif
	    __NR_recvmsg,
	    __NR_close,
	    __NR_sendto,
	    __NR_read,
	    __NR_wait4,
	    __NR_restart_syscall,
	    __NR_write,
	    __NR_exit_group,
	    /* the child from fork to exec */
	    __NR_rt_sigprocmask,
	    __NR_prctl,
#ifdef __NR_dup2
	    __NR_dup2,
#else
	    __NR_dup3,
#endif
#ifdef __NR_execveat
	    __NR_execveat,
#else
	    __NR_execve,
#endif
	/* the delivery process until its own filter */
#ifdef __NR_arch_prctl
	    __NR_arch_prctl,
#endif
#ifdef __NR_seccomp
	    __NR_seccomp,
#endif
	    __NR_capget,
	    __NR_capset,
	    __NR_brk,
	};

	(void)state;
	if (length == -EOPNOTSUPP)
		skip();
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (call(calls[i], 0, 0, 0) != SECCOMP_RET_ALLOW)
			fail_msg("call %ld refused", calls[i]);
	/* fork() is clone() with SIGCHLD; a thread asks for CLONE_THREAD. */
	assert_int_equal(call(__NR_clone, SIGCHLD, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(
	    call(__NR_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0, 0),
	    SECCOMP_RET_ALLOW);
}

/* Each call the delivery process's own filter allows: the launcher's
 * filter stays in force under it, so a missing one would kill it. */
static void test_delivery_calls_covered(void **state)
{
	size_t n;
	const char *const *names = sandbox_delivery_calls(&n);

	(void)state;
	(void)names;
	if (length == -EOPNOTSUPP || n == 0)
		skip();
#if HAVE_SECCOMP
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);

		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue; /* not a call of this architecture */
		if (call(nr, 0, 0, 0) != SECCOMP_RET_ALLOW)
			fail_msg("%s (%d) refused", names[i], nr);
	}
#endif
	assert_int_equal(call(__NR_tgkill, 1, 1, SIGABRT), SECCOMP_RET_ALLOW);
	assert_int_equal(call(__NR_socket, AF_INET6, SOCK_STREAM, 0),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(call(__NR_socket, AF_NETLINK, SOCK_RAW, 0),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(call(__NR_socketpair, AF_UNIX, SOCK_STREAM, 0),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(call(__NR_ioctl, 2, TCGETS, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(call(__NR_ioctl, 5, FIONREAD, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(call(__NR_openat, (uint64_t)AT_FDCWD, 0,
			      O_RDONLY | O_CLOEXEC | O_NONBLOCK),
			 SECCOMP_RET_ALLOW);
}

static void test_arguments_checked(void **state)
{
	(void)state;
	if (length == -EOPNOTSUPP)
		skip();
	assert_int_equal(call(__NR_socket, AF_PACKET, SOCK_RAW, 0), DENY);
	assert_int_equal(call(__NR_socketpair, AF_INET, SOCK_STREAM, 0),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(call(__NR_socketpair, AF_PACKET, SOCK_STREAM, 0),
			 DENY);
	assert_int_equal(call(__NR_ioctl, 0, TIOCSTI, 0), DENY);
	assert_int_equal(call(__NR_openat, (uint64_t)AT_FDCWD, 0, O_WRONLY),
			 DENY);
	assert_int_equal(call(__NR_openat, (uint64_t)AT_FDCWD, 0, O_RDWR),
			 DENY);
	assert_int_equal(
	    call(__NR_openat, (uint64_t)AT_FDCWD, 0, O_RDONLY | O_CREAT), DENY);
	assert_int_equal(
	    call(__NR_openat, (uint64_t)AT_FDCWD, 0, O_RDONLY | O_TRUNC), DENY);
#ifdef __NR_open
	assert_int_equal(call(__NR_open, 0, O_WRONLY | O_APPEND, 0), DENY);
	assert_int_equal(call(__NR_open, 0, O_RDONLY, 0), SECCOMP_RET_ALLOW);
#endif
	assert_int_equal(call(__NR_clone, CLONE_NEWUSER | SIGCHLD, 0, 0), DENY);
	assert_int_equal(call(__NR_clone, CLONE_NEWNET | SIGCHLD, 0, 0), DENY);
#ifdef __NR_clone3
	assert_int_equal(call(__NR_clone3, 0, 0, 0),
			 SECCOMP_RET_ERRNO | ENOSYS);
#endif
	/* Nothing the launcher or a delivery process has a use for. */
	assert_int_equal(call(__NR_kill, 1, SIGTERM, 0), DENY);
	assert_int_equal(call(__NR_ptrace, 0, 0, 0), DENY);
	assert_int_equal(call(__NR_unshare, CLONE_NEWUSER, 0, 0), DENY);
	assert_int_equal(call(__NR_unlinkat, 0, 0, 0), DENY);
	assert_int_equal(call(__NR_mount, 0, 0, 0), DENY);
	assert_int_equal(call(__NR_setuid, 0, 0, 0), DENY);
	assert_int_equal(call(__NR_ftruncate, 0, 0, 0), DENY);
#ifdef __NR_fork
	assert_int_equal(call(__NR_fork, 0, 0, 0), DENY);
#endif
}

/*
 * Runs what(): in a forked child, after no_new_privs and the real filter.
 * Returns the child's wait status.
 */
static int confined(int (*what)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = {0, 0};

		setrlimit(RLIMIT_CORE, &no_core); /* SIGSYS dumps core */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    launcher_filter_install() < 0)
			_exit(100);
		_exit(what());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int allowed_calls(void)
{
	int pipe_fds[2];
	char byte = 'x';

	if (pipe2(pipe_fds, O_CLOEXEC) < 0 ||
	    write(pipe_fds[1], &byte, 1) != 1 ||
	    read(pipe_fds[0], &byte, 1) != 1 || getppid() <= 0)
		return 1;
		/* clone3 answers ENOSYS, not death: glibc then uses clone. */
#ifdef __NR_clone3
	if (syscall(__NR_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 2;
#endif
	return 0;
}

static int shadow_for_writing(void)
{
	/* O_WRONLY: killed before the kernel looks at the path. */
	int fd = open("/etc/shadow", O_WRONLY | O_APPEND);

	return fd < 0 ? 3 : 4;
}

static int packet_socket(void)
{
	return socket(AF_PACKET, SOCK_RAW, 0) < 0 ? 5 : 6;
}

static int signal_parent(void)
{
	return kill(getppid(), 0) < 0 ? 7 : 8;
}

static int user_namespace(void)
{
	return unshare(CLONE_NEWUSER) < 0 ? 9 : 10;
}

static void test_kernel_enforces_it(void **state)
{
	int (*const refused[])(void) = {shadow_for_writing, packet_socket,
					signal_parent, user_namespace};
	int status;

	(void)state;
	if (length == -EOPNOTSUPP)
		skip();
	status = confined(allowed_calls);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		status = confined(refused[i]);
		if (!WIFSIGNALED(status))
			fail_msg("refused call %zu: exit %d, not a signal", i,
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		assert_int_equal(WTERMSIG(status), SIGSYS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_bounds),
	    cmocka_unit_test(test_foreign_arch_and_x32_refused),
	    cmocka_unit_test(test_launcher_calls_allowed),
	    cmocka_unit_test(test_delivery_calls_covered),
	    cmocka_unit_test(test_arguments_checked),
	    cmocka_unit_test(test_kernel_enforces_it),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
