/*
 * check_net.c - TCP conversations inside the event loop, for tcp and redis
 * checks: a name is resolved without blocking (glibc's getaddrinfo_a, from
 * libanl opened on the first name: addresses need no thread at all), each
 * address is connected to with a non-blocking connect, then a request is
 * written and the answer read until the check says it is complete, all
 * bounded by the check's timeout.
 */
#include "checks/check_net.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "core/sd_compat.h"
#include "core/util.h"

#define LIBANL_SONAME "libanl.so.1"
#define POLL_USEC     (10 * 1000)

/* ---- resolving names ---- */

struct lookup {
	struct gaicb request;
	struct gaicb *list[1];
	struct addrinfo hints;
	char host[256], service[8];
	struct conn *conn; /* NULL once abandoned */
	struct lookup *next;
};

struct checks_resolver {
	int (*getaddrinfo_a)(int, struct gaicb **, int, struct sigevent *);
	int (*gai_error)(struct gaicb *);
	int (*gai_cancel)(struct gaicb *);
	struct lookup *pending;
	sd_event_source *timer;
};

static void connect_next(struct conn *conn);
static void conn_finish(struct conn *conn, int error, const char *reason);

static void lookup_free(struct lookup *lookup)
{
	if (lookup->request.ar_result != NULL)
		freeaddrinfo(lookup->request.ar_result);
	free(lookup);
}

static void take_addresses(struct conn *conn, const struct addrinfo *list)
{
	conn->address_count = 0;
	for (const struct addrinfo *a = list;
	     a != NULL && conn->address_count < CONN_ADDRESSES_MAX;
	     a = a->ai_next) {
		if (a->ai_addrlen > sizeof(conn->addresses[0]))
			continue;
		memcpy(&conn->addresses[conn->address_count], a->ai_addr,
		       a->ai_addrlen);
		conn->address_lengths[conn->address_count++] =
		    (socklen_t)a->ai_addrlen;
	}
}

/* Polled while lookups are pending: their threads finish on their own. */
static int on_lookup_timer(sd_event_source *source, uint64_t usec, void *data)
{
	struct checks_resolver *r = data;
	struct lookup **at = &r->pending;

	(void)usec;
	while (*at != NULL) {
		struct lookup *lookup = *at;
		int status = r->gai_error(&lookup->request);

		if (status == EAI_INPROGRESS) {
			at = &lookup->next;
			continue;
		}
		*at = lookup->next;
		if (lookup->conn != NULL) {
			struct conn *conn = lookup->conn;

			conn->lookup = NULL;
			if (status != 0) {
				char reason[CHECK_REASON_MAX];

				snprintf(reason, sizeof(reason),
					 "cannot resolve %.64s: %s",
					 lookup->host, gai_strerror(status));
				conn_finish(conn, -EHOSTUNREACH, reason);
			} else {
				take_addresses(conn, lookup->request.ar_result);
				connect_next(conn);
			}
		}
		lookup_free(lookup);
	}
	if (r->pending == NULL)
		return sd_event_source_set_enabled(source, SD_EVENT_OFF);
	sd_event_source_set_time(source, now_monotonic_usec() + POLL_USEC);
	return sd_event_source_set_enabled(source, SD_EVENT_ONESHOT);
}

static int resolver_open(struct checks *checks)
{
	struct checks_resolver *r;
	void *handle;

	if (checks->resolver != NULL)
		return 0;
	/* glibc >= 2.34 has these in libc; libanl.so.1 still opens and its
	 * lookups reach libc's. */
	handle = dlopen(LIBANL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		log_error("checks: cannot load %s (%s): names in targets "
			  "cannot be resolved; use addresses",
			  LIBANL_SONAME, dlerror());
		return -ENOENT;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	*(void **)&r->getaddrinfo_a = dlsym(handle, "getaddrinfo_a");
	*(void **)&r->gai_error = dlsym(handle, "gai_error");
	*(void **)&r->gai_cancel = dlsym(handle, "gai_cancel");
	if (r->getaddrinfo_a == NULL || r->gai_error == NULL ||
	    r->gai_cancel == NULL ||
	    sd_event_add_time(checks->event, &r->timer, CLOCK_MONOTONIC,
			      UINT64_MAX, 0, on_lookup_timer, r) < 0) {
		free(r);
		log_error("checks: %s lacks getaddrinfo_a", LIBANL_SONAME);
		return -ENOENT;
	}
	sd_event_source_set_enabled(r->timer, SD_EVENT_OFF);
	checks->resolver = r;
	return 0;
}

void checks_resolver_free(struct checks_resolver *r)
{
	if (r == NULL)
		return;
	while (r->pending != NULL) {
		struct lookup *lookup = r->pending;

		r->pending = lookup->next;
		/* A lookup its thread still runs must outlive us. */
		if (r->gai_cancel(&lookup->request) != EAI_NOTCANCELED)
			lookup_free(lookup);
	}
	sd_compat_event_source_disable_unref(r->timer);
	free(r);
}

static int resolve(struct conn *conn)
{
	struct checks *checks = conn->check->owner;
	struct checks_resolver *r;
	struct lookup *lookup;
	struct sigevent none = {.sigev_notify = SIGEV_NONE};
	int status, e = resolver_open(checks);

	if (e < 0)
		return e;
	r = checks->resolver;
	lookup = calloc(1, sizeof(*lookup));
	if (lookup == NULL)
		return -ENOMEM;
	string_copy(lookup->host, conn->host, sizeof(lookup->host));
	snprintf(lookup->service, sizeof(lookup->service), "%u", conn->port);
	lookup->hints.ai_socktype = SOCK_STREAM;
	lookup->hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG;
	lookup->request.ar_name = lookup->host;
	lookup->request.ar_service = lookup->service;
	lookup->request.ar_request = &lookup->hints;
	lookup->list[0] = &lookup->request;
	status = r->getaddrinfo_a(GAI_NOWAIT, lookup->list, 1, &none);
	if (status != 0) {
		free(lookup);
		return -EAGAIN;
	}
	lookup->conn = conn;
	conn->lookup = lookup;
	lookup->next = r->pending;
	r->pending = lookup;
	sd_event_source_set_time(r->timer, now_monotonic_usec() + POLL_USEC);
	sd_event_source_set_enabled(r->timer, SD_EVENT_ONESHOT);
	return 0;
}

/* ---- a conversation ---- */

static void conn_close(struct conn *conn)
{
	conn->io = sd_compat_event_source_disable_unref(conn->io);
	conn->timer = sd_compat_event_source_disable_unref(conn->timer);
	if (conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
	if (conn->lookup != NULL) {
		conn->lookup->conn = NULL; /* freed when its thread is done */
		conn->lookup = NULL;
	}
}

static void conn_finish(struct conn *conn, int error, const char *reason)
{
	conn_close(conn);
	conn->busy = false;
	conn->done(conn, error, reason);
}

/* "connection refused (127.0.0.1:6379)" */
static void fail_errno(struct conn *conn, int error)
{
	char words[96], reason[CHECK_REASON_MAX];

	checks_errno_words(error, words, sizeof(words));
	snprintf(reason, sizeof(reason), "%s (%s)", words, conn->target);
	conn_finish(conn, -abs(error), reason);
}

static int on_io(sd_event_source *source, int fd, uint32_t events, void *data);

static void talk(struct conn *conn)
{
	uint32_t events = conn->out_sent < conn->out_length ? EPOLLOUT : 0;

	if (conn->complete == NULL && events == 0) {
		conn_finish(conn, 0, NULL); /* connected is all it asked */
		return;
	}
	if (conn->complete != NULL)
		events |= EPOLLIN;
	sd_event_source_set_io_events(conn->io, events);
}

static void connect_next(struct conn *conn)
{
	struct checks *checks = conn->check->owner;
	const struct sockaddr *address;
	int r;

	while (conn->address_next < conn->address_count) {
		size_t i = conn->address_next++;

		address = (const struct sockaddr *)&conn->addresses[i];
		conn->io = sd_compat_event_source_disable_unref(conn->io);
		if (conn->fd >= 0)
			close(conn->fd);
		conn->fd =
		    socket(address->sa_family,
			   SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (conn->fd < 0) {
			conn->last_error = errno;
			continue;
		}
		r = connect(conn->fd, address, conn->address_lengths[i]);
		if (r < 0 && errno != EINPROGRESS) {
			conn->last_error = errno;
			continue;
		}
		if (sd_event_add_io(checks->event, &conn->io, conn->fd,
				    EPOLLOUT, on_io, conn) < 0) {
			conn->last_error = ENOMEM;
			continue;
		}
		conn->connecting = true;
		return;
	}
	fail_errno(conn, conn->last_error ? conn->last_error : EHOSTUNREACH);
}

static void on_connected(struct conn *conn)
{
	int error = 0;
	socklen_t length = sizeof(error);

	if (getsockopt(conn->fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0)
		error = errno;
	if (error != 0) {
		conn->last_error = error;
		connect_next(conn); /* the next address, if any */
		return;
	}
	conn->connecting = false;
	conn->connect_secs = check_elapsed_secs(conn->check);
	talk(conn);
}

static void on_readable(struct conn *conn)
{
	ssize_t n;

	for (;;) {
		if (conn->in_length + 1 >= conn->in_size) {
			conn_finish(conn, -EMSGSIZE,
				    "the answer is larger "
				    "than expected");
			return;
		}
		n = read(conn->fd, conn->in + conn->in_length,
			 conn->in_size - 1 - conn->in_length);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			fail_errno(conn, errno);
			return;
		}
		conn->in_length += (size_t)n;
		conn->in[conn->in_length] = '\0';
		if (conn->complete(conn, conn->in, conn->in_length)) {
			conn_finish(conn, 0, NULL);
			return;
		}
		if (n == 0) {
			conn_finish(conn, -ECONNRESET, NULL);
			return;
		}
	}
}

static int on_io(sd_event_source *source, int fd, uint32_t events, void *data)
{
	struct conn *conn = data;

	(void)source, (void)fd;
	if (conn->connecting) {
		on_connected(conn);
		return 0;
	}
	if ((events & EPOLLOUT) && conn->out_sent < conn->out_length) {
		ssize_t n =
		    send(conn->fd, conn->out + conn->out_sent,
			 conn->out_length - conn->out_sent, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fail_errno(conn, errno);
			return 0;
		}
		if (n > 0)
			conn->out_sent += (size_t)n;
		talk(conn);
		return 0;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		on_readable(conn);
	return 0;
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *data)
{
	struct conn *conn = data;
	char reason[CHECK_REASON_MAX];
	const char *what;

	(void)source, (void)usec;
	if (conn->lookup != NULL)
		what = "no address resolved";
	else if (conn->connecting)
		what = "no connection";
	else
		what = "no complete answer";
	snprintf(reason, sizeof(reason), "%s within %.0f s (%s)", what,
		 (double)conn->check->timeout_usec / 1e6, conn->target);
	conn_finish(conn, -ETIMEDOUT, reason);
	return 0;
}

/* An address literal needs no lookup (nor a thread). */
static bool literal_address(struct conn *conn)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)&conn->addresses[0];
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&conn->addresses[0];

	memset(&conn->addresses[0], 0, sizeof(conn->addresses[0]));
	if (inet_pton(AF_INET, conn->host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(conn->port);
		conn->address_lengths[0] = sizeof(*v4);
	} else if (inet_pton(AF_INET6, conn->host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(conn->port);
		conn->address_lengths[0] = sizeof(*v6);
	} else {
		return false;
	}
	conn->address_count = 1;
	return true;
}

int checks_conn_init(struct conn *conn, struct check *c, const char *target,
		     size_t answer_max)
{
	memset(conn, 0, sizeof(*conn));
	conn->check = c;
	conn->fd = -1;
	string_copy(conn->target, target, sizeof(conn->target));
	if (checks_parse_target(target, conn->host, sizeof(conn->host),
				&conn->port) < 0)
		return -EINVAL;
	conn->in_size = answer_max + 1;
	conn->in = answer_max ? malloc(conn->in_size) : NULL;
	return answer_max && conn->in == NULL ? -ENOMEM : 0;
}

void checks_conn_start(struct conn *conn, const char *request, size_t length,
		       conn_complete_fn *complete, conn_done_fn *done)
{
	struct checks *checks = conn->check->owner;
	int r;

	conn->busy = true;
	/* A copy: a reload may free the configuration it came from. */
	free(conn->out);
	conn->out = length ? malloc(length) : NULL;
	if (length && conn->out == NULL) {
		conn_finish(conn, -ENOMEM, "out of memory");
		return;
	}
	if (length)
		memcpy(conn->out, request, length);
	conn->out_length = length;
	conn->out_sent = 0;
	conn->in_length = 0;
	if (conn->in != NULL)
		conn->in[0] = '\0';
	conn->complete = complete;
	conn->done = done;
	conn->address_next = 0;
	conn->last_error = 0;
	conn->connect_secs = -1;
	r = sd_event_add_time(checks->event, &conn->timer, CLOCK_MONOTONIC,
			      now_monotonic_usec() + conn->check->timeout_usec,
			      0, on_timeout, conn);
	if (r < 0) {
		fail_errno(conn, -r);
		return;
	}
	if (literal_address(conn)) {
		connect_next(conn);
		return;
	}
	r = resolve(conn);
	if (r < 0) {
		char reason[CHECK_REASON_MAX];

		snprintf(reason, sizeof(reason), "cannot resolve %s now",
			 conn->host);
		conn_finish(conn, r, reason);
	}
}

void checks_conn_cancel(struct conn *conn)
{
	conn_close(conn);
	conn->busy = false;
}

void checks_conn_free(struct conn *conn)
{
	conn_close(conn);
	free(conn->in);
	free(conn->out);
	conn->in = conn->out = NULL;
}

/* ---- tcp checks ---- */

struct tcp_state {
	struct conn conn;
};

static bool tcp_complete(struct conn *conn, const char *data, size_t length)
{
	(void)length;
	return strstr(data, conn->check->config->expect) != NULL;
}

static void tcp_done(struct conn *conn, int error, const char *reason)
{
	struct check_probe_result r = {.error = error,
				       .connect_secs = conn->connect_secs,
				       .latency =
					   check_elapsed_secs(conn->check)};

	if (reason != NULL)
		string_copy(r.words, reason, sizeof(r.words));
	if (error == -ECONNRESET && conn->in != NULL)
		string_copy(r.answer, conn->in, sizeof(r.answer));
	check_gathered(conn->check, &r);
}

static void tcp_judge(struct check *c, const struct check_probe_result *r)
{
	const char *expect = c->config->expect, *target = c->config->target;

	if (r->connect_secs >= 0)
		check_sample(c, "check.latency_seconds", r->connect_secs);
	if (r->error == 0 && expect != NULL)
		check_up(c, true, NULL, "%s answered with \"%s\" in %.3f s",
			 target, expect, r->latency);
	else if (r->error == 0)
		check_up(c, true, NULL, "%s accepted a connection in %.3f s",
			 target, r->connect_secs);
	else if (r->error == -ECONNRESET)
		check_up(c, false, r->answer,
			 "%s closed the connection without "
			 "\"%s\" in its answer",
			 target, expect);
	else
		check_up(c, false, NULL, "%s", r->words);
	check_run_done(c);
}

static int tcp_setup(struct check *c)
{
	struct tcp_state *s = c->state;

	return checks_conn_init(&s->conn, c, c->config->target,
				c->config->expect ? 4096 : 0);
}

static void tcp_run(struct check *c)
{
	struct tcp_state *s = c->state;
	const char *send = c->config->send;

	checks_conn_start(&s->conn, send, send ? strlen(send) : 0,
			  c->config->expect ? tcp_complete : NULL, tcp_done);
}

static void tcp_cancel(struct check *c)
{
	struct tcp_state *s = c->state;

	checks_conn_cancel(&s->conn);
}

static void tcp_teardown(struct check *c)
{
	struct tcp_state *s = c->state;

	checks_conn_free(&s->conn);
}

const struct check_kind check_tcp_kind = {
    .type = CHECK_TCP,
    .state_size = sizeof(struct tcp_state),
    .setup = tcp_setup,
    .run = tcp_run,
    .cancel = tcp_cancel,
    .teardown = tcp_teardown,
    .judge = tcp_judge,
};
