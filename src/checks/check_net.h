/*
 * check_net.h - one TCP conversation of a check (private to src/checks):
 * resolve without blocking, connect to each address in turn, write a
 * request, read until the check's predicate says the answer is complete,
 * within the check's timeout. Used by tcp and redis checks.
 */
#ifndef SYSOPS_CHECKS_CHECK_NET_H
#define SYSOPS_CHECKS_CHECK_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "checks/checks_internal.h"

#define CONN_ADDRESSES_MAX 8

struct conn;
struct lookup;

/* True when data (NUL-terminated) holds the whole answer. */
typedef bool conn_complete_fn(struct conn *conn, const char *data,
			      size_t length);
/*
 * The end: error 0 (connected, sent, and complete said so), -ECONNRESET
 * (closed before complete), or another -errno with reason in words. The
 * answer stays in conn->in until the next checks_conn_start.
 */
typedef void conn_done_fn(struct conn *conn, int error, const char *reason);

struct conn {
	struct check *check;
	char target[128];
	char host[64];
	uint16_t port;
	struct sockaddr_storage addresses[CONN_ADDRESSES_MAX];
	socklen_t address_lengths[CONN_ADDRESSES_MAX];
	size_t address_count, address_next;
	int fd, last_error;
	bool busy, connecting;
	double connect_secs; /* -1 until connected */
	sd_event_source *io, *timer;
	struct lookup *lookup;
	char *out;
	size_t out_length, out_sent;
	char *in; /* the answer, NUL-terminated */
	size_t in_length, in_size;
	conn_complete_fn *complete;
	conn_done_fn *done;
};

/* target "host:port"; answer_max bytes kept of the answer (0: none read). */
int checks_conn_init(struct conn *conn, struct check *c, const char *target,
		     size_t answer_max);
/* request is copied; complete NULL: done once connected and sent. */
void checks_conn_start(struct conn *conn, const char *request, size_t length,
		       conn_complete_fn *complete, conn_done_fn *done);
/* Abandons the conversation: done is not called. */
void checks_conn_cancel(struct conn *conn);
void checks_conn_free(struct conn *conn);

#endif
