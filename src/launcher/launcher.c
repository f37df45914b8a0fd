/*
 * launcher.c - forks and execs delivery processes on the daemon's request.
 * libc alone, so that the helper binary built from it (sysops-launch) maps
 * no library but libc: it lives as long as the daemon, a delivery process
 * only while there is something to send.
 */
#include "launcher/launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alerter/delivery_header.h"

extern char **environ;

static int level;

/* One "<N>" record on stderr, as the daemon's own (log.c) are written. */
__attribute__((format(printf, 2, 3))) static void say(int priority,
						      const char *format, ...)
{
	char line[512];
	va_list args;
	int n;

	if (priority > level)
		return;
	n = snprintf(line, sizeof(line), "<%d>", priority);
	va_start(args, format);
	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, format, args);
	va_end(args);
	n = (int)strlen(line);
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return; /* nowhere left to say it */
}

static int capabilities(struct __user_cap_data_struct data[2], bool set)
{
	struct __user_cap_header_struct header = {
	    .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};

	return (int)syscall(set ? SYS_capset : SYS_capget, &header, data);
}

/*
 * Every capability set emptied (ambient, bounding while CAP_SETPCAP is
 * held, then permitted, effective and inheritable) and no_new_privs: an
 * execve gains nothing back, whatever the uid.
 */
static int drop_privileges(void)
{
	struct __user_cap_data_struct data[2];

	if (capabilities(data, false) < 0)
		return -errno;
	/* EINVAL: a kernel before 4.3, which has no ambient set. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -errno;
	if (data[0].effective & (1U << CAP_SETPCAP))
		for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0;
		     cap++)
			if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
				return -errno;
	memset(data, 0, 2 * sizeof(*data));
	if (capabilities(data, true) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    capabilities(data, false) < 0)
		return -errno;
	for (int i = 0; i < 2; i++)
		if (data[i].effective | data[i].permitted | data[i].inheritable)
			return -EPERM;
	return 0;
}

/* Reaps delivery processes; says how one that did not exit cleanly ended
 * (SIGSYS: it made a call its seccomp filter does not allow). */
static void reap(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (WIFSIGNALED(status))
			say(4, "delivery process %d killed by signal %d (%s)",
			    (int)pid, WTERMSIG(status),
			    strsignal(WTERMSIG(status)));
		else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
			say(4, "delivery process %d exited with %d", (int)pid,
			    WEXITSTATUS(status));
	}
}

/* One SPAWN frame carrying one descriptor: 1; EOF: 0; else -errno. */
static int receive_spawn(int *fd)
{
	/* One byte more than SPAWN's header: a longer frame is seen as such
	 * (MSG_TRUNC), not cut down to a valid one. */
	uint8_t packet[DELIVERY_FRAME_HEADER + 1];
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control;
	struct iovec iov = {packet, sizeof(packet)};
	struct msghdr message = {.msg_iov = &iov,
				 .msg_iovlen = 1,
				 .msg_control = &control,
				 .msg_controllen = sizeof(control)};
	struct cmsghdr *cmsg;
	const uint8_t *payload;
	size_t length;
	ssize_t n;

	*fd = -1;
	n = recvmsg(LAUNCHER_CONTROL_FD, &message, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n == 0 ? 0 : -errno;
	cmsg = CMSG_FIRSTHDR(&message);
	if (cmsg != NULL && cmsg->cmsg_level == SOL_SOCKET &&
	    cmsg->cmsg_type == SCM_RIGHTS &&
	    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	/* SPAWN has no payload. */
	if (*fd < 0 || (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    delivery_frame_check(packet, (size_t)n, &payload, &length) !=
		DELIVERY_FRAME_SPAWN ||
	    length != 0) {
		if (*fd >= 0)
			close(*fd);
		return -EBADMSG;
	}
	return 1;
}

static void send_spawned(pid_t pid)
{
	uint8_t frame[DELIVERY_FRAME_HEADER + sizeof(uint32_t)];
	uint32_t value = (uint32_t)pid;

	delivery_frame_header(frame, DELIVERY_FRAME_SPAWNED, sizeof(value));
	memcpy(frame + DELIVERY_FRAME_HEADER, &value, sizeof(value));
	/* Lost, the daemon times the spawn out and kills nothing: the
	 * delivery process it cannot name still ends on its socket's EOF. */
	send(LAUNCHER_CONTROL_FD, frame, sizeof(frame), MSG_NOSIGNAL);
}

/* The forked child: the delivery process's binary, its socket on 3. */
static void exec_delivery(int fd, const sigset_t *chld)
{
	char argument[16];
	char *argv[] = {(char *)"sysops-agent",
			(char *)LAUNCHER_DELIVERY_COMMAND, argument, NULL};

	snprintf(argument, sizeof(argument), "%d", level);
	sigprocmask(SIG_UNBLOCK, chld, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Onto the control socket's number: this copy of it goes; dup2
	 * clears FD_CLOEXEC on the new one. */
	if (dup2(fd, LAUNCHER_CONTROL_FD) < 0)
		_exit(126);
	fexecve(LAUNCHER_EXE_FD, argv, environ);
	_exit(127);
}

int launcher_run(int log_level)
{
	sigset_t chld;
	int signal_fd, r;

	level = log_level;
	prctl(PR_SET_NAME, "sysops-launch", 0, 0, 0);
	/* The daemon gone, nothing here has a purpose. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() == 1)
		return 1;
	r = drop_privileges();
	if (r < 0) {
		say(3, "delivery launcher: cannot drop its privileges: %s",
		    strerror(-r));
		return 1;
	}
	/* Neither descriptor goes further than the exec of a child. */
	if (fcntl(LAUNCHER_CONTROL_FD, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(LAUNCHER_EXE_FD, F_SETFD, FD_CLOEXEC) < 0)
		return 1;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	signal_fd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (signal_fd < 0)
		return 1;
	/* Last, once nothing but the loop is left to run. */
	r = launcher_filter_install();
	if (r == -EOPNOTSUPP)
		say(5, "delivery launcher: no seccomp filter for this "
		       "architecture; it runs without one");
	else if (r < 0) {
		say(3, "delivery launcher: cannot load its seccomp filter: %s",
		    strerror(-r));
		return 1;
	}
	for (;;) {
		struct pollfd fds[2] = {{LAUNCHER_CONTROL_FD, POLLIN, 0},
					{signal_fd, POLLIN, 0}};
		struct signalfd_siginfo info;
		int fd;
		pid_t pid;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (fds[1].revents != 0) {
			while (read(signal_fd, &info, sizeof(info)) > 0)
				;
			reap();
		}
		if (fds[0].revents == 0)
			continue;
		r = receive_spawn(&fd);
		if (r == 0)
			return 0; /* the daemon stopped */
		if (r < 0) {
			say(3, "delivery launcher: malformed request; exiting");
			return 1;
		}
		pid = fork();
		if (pid == 0)
			exec_delivery(fd, &chld);
		close(fd);
		if (pid > 0)
			send_spawned(pid);
		/* pid < 0: the daemon sees the socket closed. */
	}
}
