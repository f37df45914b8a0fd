/*
 * listeners.h - the watch of listening sockets (private to src/checks):
 * every listening TCP and bound UDP socket from /proc/net with its owner,
 * as series; a baseline learnt after the first start and kept in the state
 * directory; an alert for a (protocol, port, process) not in it.
 */
#ifndef SYSOPS_CHECKS_LISTENERS_H
#define SYSOPS_CHECKS_LISTENERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct checks;
struct check_alert;
struct listeners;

int listeners_new(struct checks *checks, struct listeners **out);
/* One scan at the tick (CLOCK_REALTIME); nothing when not needed. */
void listeners_scan(struct listeners *l, int64_t now_usec);
/* [listeners] settings may have changed (checks->config is the new one). */
void listeners_reload(struct listeners *l);
/* Saves the baseline. */
void listeners_stop(struct listeners *l);
void listeners_free(struct listeners *l);

/* The firing new-listener alerts, for the state file. */
void listeners_each_firing(struct listeners *l,
			   void (*fn)(void *context,
				      const struct check_alert *alert),
			   void *context);

/* A listener as a listen check sees it. */
struct listener_view {
	bool udp;
	char address[48];
	uint16_t port;
	int32_t pid;	  /* 0 when unknown */
	char process[32]; /* "" when unknown */
	char user[32];
};

/*
 * Whether a listen check reads the table: then it is scanned even when
 * [listeners] is off (without series or alerts).
 */
void listeners_need(struct listeners *l, bool needed);

/*
 * Listeners on port (udp or tcp) bound to host ("" any; a wildcard socket
 * serves every host), at most max of them into out; returns how many.
 */
size_t listeners_find(const struct listeners *l, bool udp, const char *host,
		      uint16_t port, struct listener_view *out, size_t max);

/* ---- parsing, public for the tests ---- */

struct listener_socket {
	uint64_t inode;
	uint32_t uid;
	uint16_t port;
	bool udp, loopback, wildcard;
	char address[48]; /* "127.0.0.1", "::" */
};

/*
 * One line of /proc/net/{tcp,tcp6,udp,udp6}: 1 when it is a listening TCP
 * socket or a bound, unconnected UDP socket (filled in), 0 when it is
 * another kind (connection, header), -EINVAL when it is not a socket line.
 */
int listeners_parse_line(const char *line, bool ipv6, bool udp,
			 struct listener_socket *out);

#endif
