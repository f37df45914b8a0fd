/*
 * delivery.c - the daemon's side of delivery: each request becomes a SEND
 * frame to the delivery process (started on demand through the launcher,
 * closed after an idle period) and its RESULT frame becomes the callback.
 * A delivery process that dies or speaks out of turn fails what it had in
 * flight as DELIVERY_RETRY: the spool still holds those messages and the
 * alerter sends them again through a new one. test-alert sends in-process.
 */
#include "alerter/delivery.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alerter/delivery_internal.h"
#include "core/base64.h"
#include "core/http.h"
#include "core/log.h"
#include "core/offload.h"
#include "core/sandbox.h"
#include "core/sd_compat.h"
#include "core/util.h"
#include "launcher/launcher.h"

/* How long the daemon waits for the launcher to say it forked. */
#define SPAWN_TIMEOUT_MSEC 5000
#ifndef SYSOPS_LIBEXECDIR
#define SYSOPS_LIBEXECDIR "/usr/local/libexec/sysops-agent"
#endif

extern char **environ;

/* A frame not yet taken by the delivery process's socket. */
struct queued {
	struct queued *next;
	size_t length;
	uint8_t data[];
};

struct pending {
	uint32_t id;
	bool job;		/* core/offload.h's: answered by JOB_RESULT */
	delivery_done_fn *done; /* a request's */
	offload_done_fn *job_done; /* a job's */
	void *userdata;
	struct pending *next;
};

struct delivery {
	sd_event *event;
	struct delivery_curl *local; /* test-alert: in this process */
	uint64_t idle_usec;
	/* the launcher: started once, before the daemon seals its network */
	int launcher_fd;
	pid_t launcher_pid;
	sd_event_source *launcher_exit;
	/* the delivery process, while one runs */
	int fd;
	pid_t pid;
	sd_event_source *io, *idle_timer;
	struct pending *pending;
	struct queued *queue, **queue_tail;
	size_t in_flight;
	uint32_t next_id;
	struct delivery_frame frame;
	uint8_t *packet; /* DELIVERY_FRAME_MAX + 1, while a process runs */
};

/* Whether a launcher runs (daemon.c seals the network only then). */
static bool launcher_running;

struct delivery *delivery_new(sd_event *event)
{
	struct delivery *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->event = sd_event_ref(event);
	d->fd = d->launcher_fd = -1;
	d->queue_tail = &d->queue;
	d->local = delivery_curl_new(event);
	if (d->local == NULL) {
		sd_event_unref(d->event);
		free(d);
		return NULL;
	}
	return d;
}

static void pending_fail(struct delivery *d, const char *why)
{
	struct delivery_result result = {.outcome = DELIVERY_RETRY,
					 .retry_after_secs = -1};

	snprintf(result.error, sizeof(result.error), "%s", why);
	while (d->pending != NULL) {
		struct pending *p = d->pending;

		d->pending = p->next;
		d->in_flight--;
		if (p->done != NULL)
			p->done(p->userdata, &result);
		if (p->job_done != NULL)
			p->job_done(p->userdata, -ECONNRESET, NULL, 0);
		free(p);
	}
}

/*
 * Ends the conversation with the delivery process: closing its socket
 * makes it exit; kill (malformed frames) does not wait for that.
 */
static void process_close(struct delivery *d, bool kill_it)
{
	if (d->fd < 0)
		return;
	if (kill_it && d->pid > 0)
		kill(d->pid, SIGKILL);
	d->io = sd_compat_event_source_disable_unref(d->io);
	d->idle_timer = sd_compat_event_source_disable_unref(d->idle_timer);
	close(d->fd);
	d->fd = -1;
	d->pid = 0;
	free(d->packet);
	d->packet = NULL;
	while (d->queue != NULL) {
		struct queued *q = d->queue;

		d->queue = q->next;
		free(q);
	}
	d->queue_tail = &d->queue;
}

static void process_lost(struct delivery *d, const char *why, bool kill_it)
{
	if (d->in_flight > 0)
		log_warning("delivery process %d %s; %zu request%s in flight "
			    "will be sent again",
			    (int)d->pid, why, d->in_flight,
			    d->in_flight == 1 ? "" : "s");
	else
		log_info("delivery process %d %s", (int)d->pid, why);
	process_close(d, kill_it);
	pending_fail(d, "the delivery process ended");
}

static int on_launcher_exit(sd_event_source *source, const siginfo_t *info,
			    void *userdata)
{
	struct delivery *d = userdata;

	(void)source;
	log_error("delivery launcher %d ended (%s %d)", (int)info->si_pid,
		  info->si_code == CLD_EXITED ? "status" : "signal",
		  info->si_status);
	d->launcher_exit = sd_event_source_unref(d->launcher_exit);
	close(d->launcher_fd);
	d->launcher_fd = -1;
	d->launcher_pid = 0;
	launcher_running = false;
	if (!sandbox_network_sealed())
		return 0; /* the next request starts another */
	/* Sealed, the daemon cannot start another that could reach the
	 * network: stop so that systemd restarts it (Restart=on-failure);
	 * the spool keeps every message. */
	return sd_event_exit(d->event, EXIT_FAILURE);
}

/*
 * The helper binary sysops-launch beside this binary (a build tree), else
 * in LIBEXECDIR/sysops-agent (an installation); NULL if neither exists.
 */
static char *launcher_helper(void)
{
	char self[PATH_MAX], *slash, *path = NULL;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			slash[1] = '\0';
			if (asprintf(&path, "%s%s", self,
				     LAUNCHER_HELPER_NAME) < 0)
				path = NULL;
		}
	}
	if (path != NULL && access(path, X_OK) == 0)
		return path;
	free(path);
	if (access(SYSOPS_LIBEXECDIR "/" LAUNCHER_HELPER_NAME, X_OK) == 0)
		return strdup(SYSOPS_LIBEXECDIR "/" LAUNCHER_HELPER_NAME);
	return NULL;
}

/* fd onto target, FD_CLOEXEC cleared; after fork, before exec. */
static int place_fd(int fd, int target)
{
	return fd == target ? fcntl(target, F_SETFD, 0) : dup2(fd, target);
}

/*
 * The launcher: the small helper binary (libc alone: its resident memory
 * is what it costs for the daemon's whole life), or, if it is not
 * installed, this binary exec'ed afresh as the same launcher. Either way
 * no heap, config or libcurl of the daemon's, and (unlike a fork made
 * later) outside the network seal. It gets this binary, opened O_PATH,
 * to exec each delivery process from.
 */
static int launcher_start(struct delivery *d)
{
	char level[16], *helper = launcher_helper();
	int pair[2], exe, r;
	sigset_t chld, old;
	pid_t pid;

	if (helper == NULL)
		log_notice("delivery: %s not found beside the daemon or in "
			   "%s; the daemon's own binary is the launcher",
			   LAUNCHER_HELPER_NAME, SYSOPS_LIBEXECDIR);
	exe = open("/proc/self/exe", O_PATH | O_CLOEXEC);
	if (exe < 0) {
		free(helper);
		return log_error_errno(-errno,
				       "cannot open the daemon's binary");
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0) {
		r = -errno;
		close(exe);
		free(helper);
		return log_error_errno(r, "cannot make the launcher socket");
	}
	snprintf(level, sizeof(level), "%d", log_get_level());
	/* sd-event reaps through a signalfd: SIGCHLD must be blocked. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &old);
	pid = fork();
	if (pid == 0) {
		char *argv[] = {(char *)"sysops-agent",
				(char *)DELIVERY_LAUNCHER_COMMAND, level, NULL};
		/* Out of the way of 3 and 4 first, then onto them. */
		int control = fcntl(pair[1], F_DUPFD_CLOEXEC, 10);
		int binary = fcntl(exe, F_DUPFD_CLOEXEC, 10);

		if (control < 0 || binary < 0 ||
		    place_fd(control, LAUNCHER_CONTROL_FD) < 0 ||
		    place_fd(binary, LAUNCHER_EXE_FD) < 0)
			_exit(EXIT_FAILURE);
		/* What the daemon's own parent left open stays out too. */
		util_close_from(LAUNCHER_EXE_FD + 1);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (helper != NULL) {
			argv[0] = (char *)LAUNCHER_HELPER_NAME;
			argv[1] = level;
			argv[2] = NULL;
			execv(helper, argv);
		} else {
			fexecve(LAUNCHER_EXE_FD, argv, environ);
		}
		_exit(127);
	}
	r = -errno;
	close(pair[1]);
	close(exe);
	free(helper);
	if (pid < 0) {
		close(pair[0]);
		return log_error_errno(r, "cannot start the delivery launcher");
	}
	d->launcher_fd = pair[0];
	d->launcher_pid = pid;
	r = sd_event_add_child(d->event, &d->launcher_exit, pid, WEXITED,
			       on_launcher_exit, d);
	if (r < 0)
		log_warning_errno(r, "cannot watch the delivery launcher");
	launcher_running = true;
	log_debug("delivery launcher started (pid %d)", (int)pid);
	return 0;
}

static void launcher_stop(struct delivery *d)
{
	if (d->launcher_fd < 0)
		return;
	d->launcher_exit =
	    sd_compat_event_source_disable_unref(d->launcher_exit);
	close(d->launcher_fd); /* it exits on EOF */
	d->launcher_fd = -1;
	/* Within the stop budget: a launcher that has not gone after 1 s
	 * (stuck, or a runtime's exit hook denied by its filter) is killed,
	 * so the daemon's stop never hangs on it. */
	for (int i = 0; d->launcher_pid > 0 && i < 100; i++) {
		if (waitpid(d->launcher_pid, NULL, WNOHANG) != 0) {
			d->launcher_pid = 0;
			break;
		}
		usleep(10 * 1000);
	}
	if (d->launcher_pid > 0) {
		log_warning("delivery launcher %d did not end; killed",
			    (int)d->launcher_pid);
		kill(d->launcher_pid, SIGKILL);
		waitpid(d->launcher_pid, NULL, 0);
	}
	d->launcher_pid = 0;
	launcher_running = false;
}

bool delivery_separated(void)
{
	return launcher_running;
}

/* Whether any channel but the console would send over the network. */
static bool network_channels(const struct alerting_config *alerting)
{
	for (int id = CHANNEL_CONSOLE + 1; id < CHANNEL_COUNT; id++) {
		const struct alerting_channel_config *config =
		    channel_config(alerting, (enum channel_id)id);
		const char *missing;

		if (config != NULL && config->enabled &&
		    channel_configured((enum channel_id)id, config, &missing))
			return true;
	}
	return false;
}

static const struct http_transport http_transport;
static const struct offload_transport job_transport;

void delivery_configure(struct delivery *d,
			const struct alerting_config *alerting,
			bool network_users)
{
	d->idle_usec = (uint64_t)alerting->delivery_idle_secs * USEC_PER_SEC;
	/* The daemon's own requests (heartbeat, remote write) and its
	 * network checks' conversations happen in the delivery process too. */
	http_set_transport(&http_transport, d);
	offload_set_transport(&job_transport, d);
	/* Started at once when something needs it, so that it exists before
	 * the daemon seals its network; otherwise by the first request. */
	if (d->launcher_fd < 0 && (network_users || network_channels(alerting)))
		launcher_start(d);
}

static int on_idle(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct delivery *d = userdata;

	(void)source;
	(void)usec;
	if (d->in_flight == 0) {
		log_debug("delivery process %d idle; closing it", (int)d->pid);
		process_close(d, false);
	}
	return 0;
}

static void idle_arm(struct delivery *d)
{
	uint64_t at = now_monotonic_usec() + d->idle_usec;

	if (d->fd < 0 || d->in_flight > 0)
		return;
	if (d->idle_timer != NULL) {
		sd_event_source_set_time(d->idle_timer, at);
		sd_event_source_set_enabled(d->idle_timer, SD_EVENT_ONESHOT);
		return;
	}
	if (sd_event_add_time(d->event, &d->idle_timer, CLOCK_MONOTONIC, at,
			      USEC_PER_SEC, on_idle, d) < 0)
		process_close(d, false); /* no timer: no idle process either */
}

/*
 * Sends what is queued, never blocking: the socket takes a few frames at a
 * time (net.unix.max_dgram_qlen); the rest waits for EPOLLOUT. Frames of
 * one request stay in order. -errno when the process is gone (handled).
 */
static int queue_flush(struct delivery *d)
{
	while (d->queue != NULL) {
		struct queued *q = d->queue;

		if (send(d->fd, q->data, q->length,
			 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			int r = -errno;

			if (r == -EAGAIN || r == -EINTR)
				return sd_event_source_set_io_events(
				    d->io, EPOLLIN | EPOLLOUT);
			process_lost(d, "stopped taking requests", r != -EPIPE);
			return r;
		}
		d->queue = q->next;
		if (d->queue == NULL)
			d->queue_tail = &d->queue;
		free(q);
	}
	return sd_event_source_set_io_events(d->io, EPOLLIN);
}

static int queue_add(struct delivery *d, const struct delivery_frame *f)
{
	struct queued *q = malloc(sizeof(*q) + f->length);

	if (q == NULL)
		return -ENOMEM;
	q->next = NULL;
	q->length = f->length;
	memcpy(q->data, f->data, f->length);
	*d->queue_tail = q;
	d->queue_tail = &q->next;
	return 0;
}

/* A request's frames: SEND, then BODY frames for a long body. */
static int queue_request(struct delivery *d, uint32_t id,
			 const struct outgoing *out, long connect_timeout,
			 long timeout)
{
	struct queued **tail = d->queue_tail;
	int r = delivery_frame_send_encode(&d->frame, id, out, connect_timeout,
					   timeout);

	if (r == 0)
		r = queue_add(d, &d->frame);
	for (size_t at = 0; r == 0 && out->body_length > DELIVERY_BODY_INLINE &&
			    at < out->body_length;
	     at += DELIVERY_BODY_INLINE) {
		size_t n = out->body_length - at;

		r = delivery_frame_body_encode(
		    &d->frame, id, out->body + at,
		    n < DELIVERY_BODY_INLINE ? n : DELIVERY_BODY_INLINE);
		if (r == 0)
			r = queue_add(d, &d->frame);
	}
	if (r < 0) { /* none of it, or the other end would be confused */
		while (*tail != NULL) {
			struct queued *q = *tail;

			*tail = q->next;
			free(q);
		}
		d->queue_tail = tail;
	}
	return r;
}

/*
 * The pending entry answered by id, unlinked; NULL (and the process killed)
 * when there is none of that kind: it answered what it was not asked.
 */
static struct pending *pending_take(struct delivery *d, uint32_t id, bool job)
{
	struct pending **at, *p;

	for (at = &d->pending; *at != NULL && (*at)->id != id;
	     at = &(*at)->next)
		;
	if (*at == NULL || (*at)->job != job) {
		process_lost(d, "answered a request it was not given; killed",
			     true);
		return NULL;
	}
	p = *at;
	*at = p->next;
	d->in_flight--;
	return p;
}

static void on_result(struct delivery *d, const uint8_t *payload, size_t length)
{
	struct delivery_result result;
	struct pending *p;
	uint32_t id;

	if (delivery_frame_result_decode(payload, length, &id, &result) < 0) {
		process_lost(d, "sent a malformed result; killed", true);
		return;
	}
	p = pending_take(d, id, false);
	if (p == NULL)
		return;
	/* The callback may send again (and so must find us consistent). */
	if (p->done != NULL)
		p->done(p->userdata, &result);
	free(p);
	idle_arm(d);
}

static void on_job_result(struct delivery *d, const uint8_t *payload,
			  size_t length)
{
	const uint8_t *data;
	struct pending *p;
	size_t n;
	uint32_t id;
	int r = 0;

	if (delivery_frame_job_decode(payload, length, &id, &data, &n) < 0) {
		process_lost(d, "sent a malformed answer; killed", true);
		return;
	}
	p = pending_take(d, id, true);
	if (p == NULL)
		return;
	if (p->job_done != NULL)
		r = p->job_done(p->userdata, 0, data, n);
	free(p);
	if (r < 0) {
		process_lost(d, "sent an answer its owner refused; killed",
			     true);
		return;
	}
	idle_arm(d);
}

static int on_frame(sd_event_source *source, int fd, uint32_t revents,
		    void *userdata)
{
	struct delivery *d = userdata;
	const uint8_t *payload;
	size_t length;
	ssize_t n;
	int type;

	(void)source;
	if ((revents & EPOLLOUT) && queue_flush(d) < 0)
		return 0;
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return 0;
	n = recv(fd, d->packet, DELIVERY_FRAME_MAX + 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		process_lost(d, "ended", false);
		return 0;
	}
	type = delivery_frame_check(d->packet, (size_t)n, &payload, &length);
	if (type == DELIVERY_FRAME_RESULT)
		on_result(d, payload, length);
	else if (type == DELIVERY_FRAME_JOB_RESULT)
		on_job_result(d, payload, length);
	else
		process_lost(d, "sent a malformed frame; killed", true);
	return 0;
}

/*
 * Asks the launcher for a delivery process on a fresh socketpair: *fd is
 * the daemon's end, *pid the new process. Logs its failures.
 */
static int spawn_process(struct delivery *d, int *fd, pid_t *pid)
{
	uint8_t reply[DELIVERY_FRAME_HEADER + 8];
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(int))];
	} control = {0};
	struct iovec iov;
	struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cmsg;
	struct delivery_frame spawn = {0};
	const uint8_t *payload;
	size_t length;
	int pair[2], r;
	ssize_t n;

	if (d->launcher_fd < 0) {
		r = launcher_start(d);
		if (r < 0)
			return r;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		return log_error_errno(-errno,
				       "cannot start a delivery process");
	/* Not d->frame: it holds the request waiting for this process. */
	delivery_frame_begin(&spawn, DELIVERY_FRAME_SPAWN);
	r = delivery_frame_end(&spawn);
	if (r < 0)
		goto fail_pair;
	iov = (struct iovec){spawn.data, spawn.length};
	message.msg_control = &control;
	message.msg_controllen = sizeof(control);
	cmsg = CMSG_FIRSTHDR(&message);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &pair[1], sizeof(int));
	r = sendmsg(d->launcher_fd, &message, MSG_NOSIGNAL) < 0 ? -errno : 0;
	delivery_frame_release(&spawn);
	if (r < 0)
		goto fail_pair;
	close(pair[1]);
	pair[1] = -1;
	/* The launcher only forks: its answer is a matter of milliseconds. */
	do
		r = poll(&(struct pollfd){d->launcher_fd, POLLIN, 0}, 1,
			 SPAWN_TIMEOUT_MSEC);
	while (r < 0 && errno == EINTR);
	n = r > 0 ? recv(d->launcher_fd, reply, sizeof(reply), MSG_DONTWAIT)
		  : -1;
	if (n <= 0 ||
	    delivery_frame_check(reply, (size_t)n, &payload, &length) !=
		DELIVERY_FRAME_SPAWNED ||
	    delivery_frame_pid_decode(payload, length, pid) < 0) {
		r = -EPROTO;
		goto fail_pair;
	}
	*fd = pair[0];
	return 0;
fail_pair:
	delivery_frame_release(&spawn);
	close(pair[0]);
	if (pair[1] >= 0)
		close(pair[1]);
	return log_error_errno(r, "cannot start a delivery process");
}

/* The delivery process of the loop, started on demand. */
static int process_start(struct delivery *d)
{
	int r;

	d->packet = malloc(DELIVERY_FRAME_MAX + 1);
	if (d->packet == NULL)
		return -ENOMEM;
	r = spawn_process(d, &d->fd, &d->pid);
	if (r < 0) {
		free(d->packet);
		d->packet = NULL;
		return r;
	}
	r = sd_event_add_io(d->event, &d->io, d->fd, EPOLLIN, on_frame, d);
	if (r < 0) {
		process_close(d, true);
		return r;
	}
	log_debug("delivery process %d started", (int)d->pid);
	return 0;
}

static void on_http_done(void *userdata, const struct delivery_result *result);

void delivery_free(struct delivery *d)
{
	if (d == NULL)
		return;
	if (d->idle_usec > 0) {
		http_set_transport(NULL, NULL);
		offload_set_transport(NULL, NULL);
	}
	delivery_curl_free(d->local);
	/* Callbacks are not called (delivery.h): the alerter is going. */
	while (d->pending != NULL) {
		struct pending *p = d->pending;

		d->pending = p->next;
		if (p->done == on_http_done)
			free(p->userdata);
		free(p);
	}
	process_close(d, false);
	launcher_stop(d);
	delivery_frame_release(&d->frame);
	sd_event_unref(d->event);
	free(d);
}

size_t delivery_in_flight(const struct delivery *d)
{
	return d->in_flight + delivery_curl_in_flight(d->local);
}

/* p, its frames queued under d->next_id, now waits for its answer. */
static void pending_add(struct delivery *d, struct pending *p)
{
	p->id = d->next_id++;
	p->next = d->pending;
	d->pending = p;
	d->in_flight++;
	if (d->idle_timer != NULL)
		sd_event_source_set_enabled(d->idle_timer, SD_EVENT_OFF);
	/* Sent from the loop (EPOLLOUT): a failure then fails p like any
	 * other, and never calls back before this returns. */
	sd_event_source_set_io_events(d->io, EPOLLIN | EPOLLOUT);
}

int delivery_send(struct delivery *d, struct outgoing *out,
		  long connect_timeout_secs, long timeout_secs,
		  delivery_done_fn *done, void *userdata)
{
	struct pending *p;
	int r;

	if (d->idle_usec == 0) /* not configured: test-alert */
		return delivery_curl_send(d->local, out, connect_timeout_secs,
					  timeout_secs, done, userdata);
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		outgoing_free(out);
		return -ENOMEM;
	}
	r = d->fd < 0 ? process_start(d) : 0;
	if (r == 0)
		r = queue_request(d, d->next_id, out, connect_timeout_secs,
				  timeout_secs);
	outgoing_free(out);
	if (r < 0) {
		free(p);
		return r;
	}
	p->done = done;
	p->userdata = userdata;
	pending_add(d, p);
	return 0;
}

/* ---- the daemon's own HTTP requests (core/http.h's transport) ---- */

/* Whom to tell about an http_client request; freed with its answer. */
struct http_waiter {
	http_done_fn *done;
	void *userdata;
};

static void http_result_from(const struct delivery_result *in,
			     struct http_result *out)
{
	static const enum http_outcome outcomes[] = {
	    [DELIVERY_OK] = HTTP_OK,
	    [DELIVERY_RETRY] = HTTP_RETRY,
	    [DELIVERY_PERMANENT] = HTTP_PERMANENT,
	};

	*out = (struct http_result){.outcome = outcomes[in->outcome],
				    .status = in->status,
				    .retry_after_secs = in->retry_after_secs};
	string_copy(out->error, in->error, sizeof(out->error));
	string_copy(out->body, in->body, sizeof(out->body));
}

static void on_http_done(void *userdata, const struct delivery_result *result)
{
	struct http_waiter *w = userdata;
	struct http_result answer;

	http_result_from(result, &answer);
	if (w->done != NULL)
		w->done(w->userdata, &answer);
	free(w);
}

static int add_header(struct outgoing *out, const char *prefix,
		      const char *value)
{
	int n;

	if (out->header_count == OUTGOING_HEADERS_MAX)
		return -E2BIG;
	n = asprintf(&out->headers[out->header_count], "%s%s", prefix, value);
	if (n < 0) {
		out->headers[out->header_count] = NULL;
		return -ENOMEM;
	}
	out->header_count++;
	return 0;
}

static int add_secret(struct outgoing *out, const char *secret)
{
	if (secret == NULL || secret[0] == '\0')
		return 0;
	if (out->secret_count == ARRAY_SIZE(out->secrets))
		return -E2BIG;
	out->secrets[out->secret_count] = strdup(secret);
	if (out->secrets[out->secret_count] == NULL)
		return -ENOMEM;
	out->secret_count++;
	return 0;
}

/*
 * An http_request as the delivery process takes it: credentials become
 * Authorization headers (curl would make the same), and every secret is
 * masked there as http.c masks it here.
 */
static int outgoing_from_http(const struct http_request *request,
			      struct outgoing *out)
{
	char basic[1024], encoded[BASE64_ENCODED_SIZE(sizeof(basic))];
	int r = 0, n;

	*out = (struct outgoing){.channel = CHANNEL_WEBHOOK,
				 .http_get = !request->post};
	out->url = strdup(request->url);
	if (out->url == NULL)
		return -ENOMEM;
	if (request->post) {
		/* Never NULL: curl would read a POST's body from stdin. */
		out->body = malloc(request->body_length + 1);
		if (out->body == NULL)
			return -ENOMEM;
		if (request->body_length > 0)
			memcpy(out->body, request->body, request->body_length);
		out->body[request->body_length] = '\0';
		out->body_length = request->body_length;
	}
	for (size_t i = 0; i < request->header_count && r == 0; i++)
		r = add_header(out, "", request->headers[i]);
	if (r == 0 && request->bearer_token != NULL)
		r = add_header(out, "Authorization: Bearer ",
			       request->bearer_token);
	if (r == 0 && request->username != NULL) {
		n = snprintf(basic, sizeof(basic), "%s:%s", request->username,
			     request->password ? request->password : "");
		if (n < 0 || (size_t)n >= sizeof(basic) ||
		    base64_encode(basic, (size_t)n, encoded, sizeof(encoded)) <
			0)
			r = -E2BIG;
		else
			r = add_header(out, "Authorization: Basic ", encoded);
		if (r == 0)
			r = add_secret(out, encoded);
		explicit_bzero(basic, sizeof(basic));
		explicit_bzero(encoded, sizeof(encoded));
	}
	if (r == 0 && request->ca_file != NULL) {
		out->ca_file = strdup(request->ca_file);
		if (out->ca_file == NULL)
			r = -ENOMEM;
	}
	if (r == 0)
		r = add_secret(out, request->url);
	if (r == 0)
		r = add_secret(out, request->password);
	if (r == 0)
		r = add_secret(out, request->bearer_token);
	return r;
}

static int transport_send(void *context, const struct http_request *request,
			  http_done_fn *done, void *userdata)
{
	struct delivery *d = context;
	struct http_waiter *w = malloc(sizeof(*w));
	struct outgoing out;
	int r;

	if (w == NULL)
		return -ENOMEM;
	*w = (struct http_waiter){done, userdata};
	r = outgoing_from_http(request, &out);
	if (r < 0) {
		outgoing_free(&out);
		free(w);
		return r;
	}
	r = delivery_send(d, &out, request->connect_timeout_secs,
			  request->timeout_secs, on_http_done, w);
	if (r < 0)
		free(w);
	return r;
}

static void transport_forget(void *context, void *userdata)
{
	struct delivery *d = context;

	for (struct pending *p = d->pending; p != NULL; p = p->next) {
		struct http_waiter *w = p->userdata;

		if (p->done == on_http_done && w->userdata == userdata) {
			/* Its answer still comes: freed then. */
			w->done = NULL;
			return;
		}
	}
}

/* Sends a whole frame, waiting for room until deadline. */
static int send_until(int fd, const struct delivery_frame *f, uint64_t deadline)
{
	for (;;) {
		uint64_t now = now_monotonic_usec();

		if (send(fd, f->data, f->length, MSG_NOSIGNAL | MSG_DONTWAIT) >=
		    0)
			return 0;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
		if (now >= deadline)
			return -ETIMEDOUT;
		poll(&(struct pollfd){fd, POLLOUT, 0}, 1,
		     (int)((deadline - now) / 1000 + 1));
	}
}

/*
 * One request in a delivery process of its own, waited for here: for a
 * module's stop, when the loop runs no more (the heartbeat's last ping).
 * Its own process, so no answer of the loop's process gets in between.
 */
static int send_now(struct delivery *d, struct outgoing *out,
		    long connect_timeout, long timeout, long timeout_ms,
		    struct delivery_result *result)
{
	uint64_t deadline = now_monotonic_usec() + (uint64_t)timeout_ms * 1000;
	struct delivery_frame f = {0};
	uint8_t *packet = NULL;
	const uint8_t *payload;
	size_t length;
	uint32_t id;
	int fd = -1, r;
	pid_t pid;

	r = spawn_process(d, &fd, &pid);
	if (r == 0)
		r = delivery_frame_send_encode(&f, 0, out, connect_timeout,
					       timeout);
	if (r == 0)
		r = send_until(fd, &f, deadline);
	for (size_t at = 0; r == 0 && out->body_length > DELIVERY_BODY_INLINE &&
			    at < out->body_length;
	     at += DELIVERY_BODY_INLINE) {
		size_t n = out->body_length - at;

		r = delivery_frame_body_encode(
		    &f, 0, out->body + at,
		    n < DELIVERY_BODY_INLINE ? n : DELIVERY_BODY_INLINE);
		if (r == 0)
			r = send_until(fd, &f, deadline);
	}
	if (r == 0 && (packet = malloc(DELIVERY_FRAME_MAX + 1)) == NULL)
		r = -ENOMEM;
	while (r == 0) {
		uint64_t now = now_monotonic_usec();
		ssize_t n;

		if (now >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		if (poll(&(struct pollfd){fd, POLLIN, 0}, 1,
			 (int)((deadline - now) / 1000 + 1)) <= 0)
			continue;
		n = recv(fd, packet, DELIVERY_FRAME_MAX + 1, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0 ||
		    delivery_frame_check(packet, (size_t)n, &payload,
					 &length) != DELIVERY_FRAME_RESULT ||
		    delivery_frame_result_decode(payload, length, &id, result) <
			0 ||
		    id != 0)
			r = -EPROTO;
		break;
	}
	free(packet);
	delivery_frame_release(&f);
	if (fd >= 0)
		close(fd); /* it exits on EOF, whatever it was doing */
	return r;
}

static int transport_send_now(void *context, const struct http_request *request,
			      long timeout_ms, struct http_result *result)
{
	struct delivery_result answer = {.outcome = DELIVERY_RETRY,
					 .retry_after_secs = -1};
	struct http_request bounded = *request;
	struct outgoing out;
	int r;

	bounded.timeout_secs = (timeout_ms + 999) / 1000;
	if (bounded.connect_timeout_secs > bounded.timeout_secs)
		bounded.connect_timeout_secs = bounded.timeout_secs;
	r = outgoing_from_http(&bounded, &out);
	if (r == 0)
		r = send_now(context, &out, bounded.connect_timeout_secs,
			     bounded.timeout_secs, timeout_ms, &answer);
	outgoing_free(&out);
	if (r == -ETIMEDOUT) {
		snprintf(answer.error, sizeof(answer.error),
			 "no answer within %ld ms", timeout_ms);
		r = 0;
	}
	if (r < 0)
		return r;
	http_result_from(&answer, result);
	return 0;
}

static const struct http_transport http_transport = {
    .send = transport_send,
    .forget = transport_forget,
    .send_now = transport_send_now,
};

/* ---- core/offload.h's jobs: the network checks' probes ---- */

static int job_submit(void *context, const void *request, size_t length,
		      offload_done_fn *done, void *userdata)
{
	struct delivery *d = context;
	struct pending *p = calloc(1, sizeof(*p));
	int r;

	if (p == NULL)
		return -ENOMEM;
	r = d->fd < 0 ? process_start(d) : 0;
	if (r == 0)
		r = delivery_frame_job_encode(&d->frame, DELIVERY_FRAME_JOB,
					      d->next_id, request, length);
	if (r == 0)
		r = queue_add(d, &d->frame);
	if (r < 0) {
		free(p);
		return r;
	}
	p->job = true;
	p->job_done = done;
	p->userdata = userdata;
	pending_add(d, p);
	return 0;
}

static void job_forget(void *context, void *userdata)
{
	struct delivery *d = context;

	for (struct pending *p = d->pending; p != NULL; p = p->next)
		if (p->job && p->userdata == userdata)
			p->job_done = NULL; /* its answer is dropped */
}

static const struct offload_transport job_transport = {
    .submit = job_submit,
    .forget = job_forget,
};
