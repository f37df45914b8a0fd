/*
 * check_command.c - command checks: the program runs as the daemon's user
 * in its own process group, with no capability left in any set (bounding
 * as far as the kernel lets it go, see DESIGN) and no_new_privs, stdin
 * from /dev/null, stdout and stderr into one pipe read by the loop (1 KiB
 * kept, masked before it goes into an alert). It is reaped through an
 * sd-event child source; on timeout its whole process group is killed.
 * At most CHECKS_COMMANDS_AT_ONCE run at a time; others wait their turn.
 */
#include "checks/checks_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sd_compat.h"
#include "core/secret.h"
#include "core/util.h"
#include "logscan/mask.h"

#define CHILD_PATH                                                             \
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"              \
	"/sbin:/bin"

/* One child; outlives its check when abandoned, until it is reaped. */
struct child {
	struct checks *owner;
	struct check *check; /* NULL once abandoned */
	pid_t pid;
	int out_fd;
	sd_event_source *exit_source, *io, *timer;
	char output[CHECK_OUTPUT_MAX + 1];
	size_t output_length, dropped;
	bool exited, timed_out;
	int code, status; /* siginfo si_code, si_status */
	struct child *next_abandoned;
};

struct command_state {
	struct child *child;
};

/* ---- in the child: async-signal-safe calls only ---- */

static void child_say(const char *text, int error)
{
	char number[16];
	size_t n = sizeof(number);

	if (write(STDERR_FILENO, text, strlen(text)) < 0)
		return;
	if (error == 0)
		return;
	number[--n] = '\n';
	do
		number[--n] = (char)('0' + error % 10);
	while ((error /= 10) > 0 && n > 0);
	if (write(STDERR_FILENO, " (errno ", 8) < 0 ||
	    write(STDERR_FILENO, number + n, sizeof(number) - n) < 0)
		return;
}

/*
 * Every capability set emptied before exec: the bounding set first (it
 * needs CAP_SETPCAP, which the agent lacks: then it stays as the daemon's
 * and, with no_new_privs and nothing permitted, can never be used), the
 * ambient set, then permitted, effective and inheritable in one capset.
 */
static int drop_capabilities(void)
{
	struct __user_cap_header_struct header = {
	    .version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
			break; /* past the kernel's last capability */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 &&
	    errno != EINVAL)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &header, data) < 0)
		return -errno;
	return 0;
}

static void child_main(int out_fd, char *const argv[], char *const envp[])
{
	sigset_t none;
	int null_fd;

	setpgid(0, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	null_fd = open("/dev/null", O_RDONLY);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)
		_exit(126);
	util_close_from(3);
	if (drop_capabilities() < 0) {
		child_say("sysops-agent: cannot drop capabilities before exec "
			  "(capset refused: the unit's SystemCallFilter= must "
			  "allow capset)",
			  errno);
		_exit(126);
	}
	if (chdir("/") < 0)
		_exit(126);
	execve(argv[0], argv, envp);
	child_say("sysops-agent: cannot execute ", 0);
	child_say(argv[0], errno);
	_exit(127);
}

/* ---- in the daemon ---- */

static void child_close(struct child *child)
{
	child->io = sd_compat_event_source_disable_unref(child->io);
	child->timer = sd_compat_event_source_disable_unref(child->timer);
	child->exit_source =
	    sd_compat_event_source_disable_unref(child->exit_source);
	if (child->out_fd >= 0)
		close(child->out_fd);
	child->out_fd = -1;
}

static void drain(struct child *child)
{
	char discard[4096];
	ssize_t n;

	while (child->out_fd >= 0) {
		size_t room = CHECK_OUTPUT_MAX - child->output_length;
		char *into =
		    room ? child->output + child->output_length : discard;

		n = read(child->out_fd, into, room ? room : sizeof(discard));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0 || errno != EAGAIN) {
				child->io =
				    sd_compat_event_source_disable_unref(
					child->io);
				close(child->out_fd);
				child->out_fd = -1;
			}
			return;
		}
		if (room)
			child->output_length += (size_t)n;
		else
			child->dropped += (size_t)n;
	}
}

static void describe_exit(const struct child *child, const struct check *c,
			  char *out, size_t size)
{
	if (child->timed_out)
		snprintf(out, size,
			 "timed out after %.0f s (its process "
			 "group was killed)",
			 (double)c->timeout_usec / 1e6);
	else if (child->code == CLD_EXITED)
		snprintf(out, size, "exited with status %d", child->status);
	else
		snprintf(out, size, "killed by signal %d (%s)", child->status,
			 strsignal(child->status));
}

/* The output as it may leave the host: credentials and secrets masked. */
static void masked_output(struct checks *checks, struct child *child, char *out,
			  size_t size)
{
	child->output[child->output_length] = '\0';
	if (checks->masker != NULL)
		masker_apply(checks->masker, child->output,
			     child->output_length, out, size);
	else
		string_copy(out, child->output, size);
	secret_mask(out);
	string_trim_end(out);
	if (child->dropped > 0) {
		size_t used = strlen(out);

		snprintf(out + used, size - used, "\n[%zu more bytes not kept]",
			 child->dropped);
	}
}

static void finish(struct child *child)
{
	struct check *c = child->check;
	struct checks *checks = c->owner;
	struct command_state *s = c->state;
	char what[128], output[CHECK_OUTPUT_MAX + 64], first[128];
	bool up = !child->timed_out && child->code == CLD_EXITED &&
		  child->status == 0;

	drain(child);
	masked_output(checks, child, output, sizeof(output));
	/* Whatever it left behind in its group goes with it. */
	kill(-child->pid, SIGKILL);
	child_close(child);
	s->child = NULL;
	checks->commands_running--;
	describe_exit(child, c, what, sizeof(what));
	string_copy(first, output, sizeof(first));
	first[strcspn(first, "\n")] = '\0';
	check_sample(c, "check.exit_status",
		     child->code == CLD_EXITED ? child->status
					       : 128 + child->status);
	check_sample(c, "check.latency_seconds", check_elapsed_secs(c));
	if (first[0] != '\0')
		check_up(c, up, output[0] ? output : NULL, "%s %s: %s",
			 c->config->command.items[0], what, first);
	else
		check_up(c, up, NULL, "%s %s", c->config->command.items[0],
			 what);
	free(child);
	check_run_done(c);
	check_command_start_waiting(checks);
}

static int on_exit_event(sd_event_source *source, const siginfo_t *info,
			 void *data)
{
	struct child *child = data;

	(void)source;
	child->exited = true;
	child->code = info->si_code;
	child->status = info->si_status;
	if (child->check == NULL) { /* abandoned: only reaped */
		struct checks *checks = child->owner;

		for (struct child **at = &checks->abandoned; *at != NULL;
		     at = &(*at)->next_abandoned)
			if (*at == child) {
				*at = child->next_abandoned;
				break;
			}
		kill(-child->pid, SIGKILL);
		child_close(child);
		free(child);
		return 0;
	}
	finish(child);
	return 0;
}

static int on_output(sd_event_source *source, int fd, uint32_t events,
		     void *data)
{
	struct child *child = data;

	(void)source, (void)fd, (void)events;
	drain(child);
	return 0;
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *data)
{
	struct child *child = data;

	(void)source, (void)usec;
	child->timed_out = true;
	kill(-child->pid, SIGKILL); /* the exit source reports it */
	return 0;
}

/* argv for execve: the command, or /bin/sh -c with its one string. */
static char **build_argv(const struct check_config *config)
{
	size_t count = config->shell ? 3 : config->command.count;
	char **argv = calloc(count + 1, sizeof(char *));

	if (argv == NULL)
		return NULL;
	if (config->shell) {
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = config->command.items[0];
	} else {
		for (size_t i = 0; i < count; i++)
			argv[i] = config->command.items[i];
	}
	return argv;
}

static int launch(struct check *c)
{
	struct command_state *s = c->state;
	struct checks *checks = c->owner;
	static char path[] = CHILD_PATH, lang[] = "LANG=C";
	char *envp[] = {path, lang, NULL};
	struct child *child;
	char **argv;
	int pipe_fds[2], r;
	sigset_t chld;

	/* sd-event reaps through a signalfd: SIGCHLD must be blocked. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	child = calloc(1, sizeof(*child));
	argv = build_argv(c->config);
	if (child == NULL || argv == NULL || pipe2(pipe_fds, O_CLOEXEC) < 0) {
		free(child);
		free(argv);
		return -ENOMEM;
	}
	child->out_fd = pipe_fds[0];
	child->pid = fork();
	if (child->pid == 0)
		child_main(pipe_fds[1], argv, envp);
	r = child->pid < 0 ? -errno : 0;
	close(pipe_fds[1]);
	free(argv);
	if (r < 0) {
		close(child->out_fd);
		free(child);
		return r;
	}
	/* Also here: a timeout before the child's own call kills the group. */
	setpgid(child->pid, child->pid);
	child->check = c;
	child->owner = checks;
	s->child = child;
	checks->commands_running++;
	fcntl(child->out_fd, F_SETFL, O_NONBLOCK);
	r = sd_event_add_child(checks->event, &child->exit_source, child->pid,
			       WEXITED, on_exit_event, child);
	if (r >= 0)
		r = sd_event_add_io(checks->event, &child->io, child->out_fd,
				    EPOLLIN, on_output, child);
	if (r >= 0)
		r = sd_event_add_time(checks->event, &child->timer,
				      CLOCK_MONOTONIC,
				      now_monotonic_usec() + c->timeout_usec, 0,
				      on_timeout, child);
	if (r < 0 && child->exit_source == NULL) {
		/* Nothing will reap it: do it here (it dies at once). */
		kill(-child->pid, SIGKILL);
		waitpid(child->pid, NULL, 0);
		child_close(child);
		s->child = NULL;
		checks->commands_running--;
		free(child);
		return r;
	}
	return 0; /* a missing io or timer source only costs output/timeout */
}

static void start(struct check *c)
{
	int r;

	c->started_usec = now_monotonic_usec(); /* the wait is not its time */
	r = launch(c);
	if (r < 0)
		check_cannot_start(c, c->config->command.items[0], r, NULL);
}

void check_command_start_waiting(struct checks *checks)
{
	while (checks->waiting_head != NULL &&
	       checks->commands_running < CHECKS_COMMANDS_AT_ONCE) {
		struct check *c = checks->waiting_head;

		checks->waiting_head = c->next_waiting;
		if (checks->waiting_head == NULL)
			checks->waiting_tail = NULL;
		c->next_waiting = NULL;
		c->waiting = false;
		start(c);
	}
}

static void command_run(struct check *c)
{
	struct checks *checks = c->owner;

	if (checks->commands_running < CHECKS_COMMANDS_AT_ONCE) {
		start(c);
		return;
	}
	c->waiting = true;
	if (checks->waiting_tail != NULL)
		checks->waiting_tail->next_waiting = c;
	else
		checks->waiting_head = c;
	checks->waiting_tail = c;
}

/* The child is killed; its exit source stays to reap it, then frees it. */
static void command_cancel(struct check *c)
{
	struct command_state *s = c->state;
	struct child *child = s->child;

	if (child == NULL)
		return;
	kill(-child->pid, SIGKILL);
	child->check = NULL;
	child->io = sd_compat_event_source_disable_unref(child->io);
	child->timer = sd_compat_event_source_disable_unref(child->timer);
	if (child->out_fd >= 0)
		close(child->out_fd);
	child->out_fd = -1;
	child->next_abandoned = c->owner->abandoned;
	c->owner->abandoned = child;
	s->child = NULL;
	c->owner->commands_running--;
}

void check_command_reap_abandoned(struct checks *checks)
{
	while (checks->abandoned != NULL) {
		struct child *child = checks->abandoned;

		checks->abandoned = child->next_abandoned;
		/* Killed already: the wait is that of its exit, bounded
		 * (a child stuck in the kernel must not hold up a stop). */
		kill(-child->pid, SIGKILL);
		for (int i = 0; i < 100; i++) {
			if (waitpid(child->pid, NULL, WNOHANG) != 0)
				break;
			usleep(10 * 1000);
		}
		child_close(child);
		free(child);
	}
}

static int command_setup(struct check *c)
{
	struct checks *checks = c->owner;
	char error[256];
	int r;

	if (checks->masker != NULL)
		return 0;
	r = masker_new(NULL, &checks->masker, error, sizeof(error));
	if (r < 0)
		log_warning("checks: command output is masked only for "
			    "configured secrets: %s",
			    error);
	return 0;
}

const struct check_kind check_command_kind = {
    .type = CHECK_COMMAND,
    .state_size = sizeof(struct command_state),
    .setup = command_setup,
    .run = command_run,
    .cancel = command_cancel,
    .teardown = command_cancel,
};
