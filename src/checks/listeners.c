/*
 * listeners.c - every listening TCP and bound UDP socket, read from
 * /proc/net/{tcp,tcp6,udp,udp6} under proc_root, with its owner, as series;
 * and a baseline of (protocol, port, owner) learnt after the first start,
 * kept in the state directory, against which a new listener is an alert.
 *
 * Owners: a socket's inode is found among /proc/PID/fd links where the agent
 * may read them (its own user's processes, or every process with
 * CAP_SYS_PTRACE, which the agent does not take); otherwise the socket's
 * uid is known and, when every process of that user has one name, so is the
 * process. Either way the answer is kept per inode, so /proc is walked only
 * when a listener appears, newest processes first (a new listener is mostly
 * a new process's), and so is the socket's text (address, labels, key):
 * formatted once, not every scan.
 */
#include "checks/listeners.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/checks_internal.h"
#include "collector/collector.h"
#include "core/dir_walk.h"
#include "core/log.h"
#include "core/state.h"
#include "core/util.h"

#define BASELINE_FILE "listeners.json"
#define SOCKETS_MAX   1024
#define OWNERS_MAX    1024
#define SERIES_MAX    512
#define KNOWN_MAX     2048
#define ALERTS_MAX    64
#define USERS_MAX     64
#define READ_CHUNK    65536
/* Of the chunk, for getdents64: /proc's listing, a process's fds. */
#define PIDS_CHUNK 8192
#define FDS_CHUNK  4096

struct owner {
	uint64_t inode;
	int32_t pid; /* 0: not found */
	uint32_t uid;
	char process[32]; /* "" unknown */
	uint64_t seen_scan;
	/* While guessing by user: how many processes, the first one. */
	uint32_t candidates;
	int32_t candidate_pid;
	bool ambiguous;
	/*
	 * The socket's text, kept while the inode lives (a socket's local
	 * address and port never change once it listens): the address from
	 * the raw bytes it was formatted from, the rest ("" not yet) once
	 * the owner above is known, which never changes either.
	 */
	bool udp;
	uint8_t family; /* of raw; 0: the text came from /proc/net */
	uint16_t port;
	uint8_t raw[16];
	char address[48];
	char endpoint[64]; /* "[::1]:8000" */
	char series_labels[METRIC_LABELS_MAX];
	char pair_key[128], pair_labels[METRIC_LABELS_MAX];
	uint32_t series_row; /* its listen.socket row + 1, 0: none */
	uint32_t series_generation;
};

struct socket_row {
	struct listener_socket s;
	struct owner *owner;
	/* AF_INET, AF_INET6: the address is still to format from raw. */
	uint8_t family;
	uint8_t raw[16];
};

/* A listen.socket series; ref is its id + 1, 0 for a free row (the
 * table's untouched pages are zero, so it needs no initialisation);
 * generation tells an owner's remembered row from a reused one. */
struct series_row {
	char labels[METRIC_LABELS_MAX];
	int ref;
	uint32_t generation;
	uint64_t seen_scan;
};

/* One (protocol, port, owner) present in this scan. */
struct pair {
	char key[128]; /* "tcp/8000/python3/nobody" */
	char labels[METRIC_LABELS_MAX];
	bool udp, loopback_only;
	uint16_t port;
	int32_t pid;
	char process[32], user[32];
	char addresses[96];
};

struct new_alert {
	struct check_alert alert;
	uint64_t seen_scan;
	char who[160]; /* "python3 (pid 42, user www-data)" */
	char what[32]; /* "8000/tcp" */
};

/*
 * A process of the last listing of /proc. One whose descriptors could not
 * be read (another user's, or one with capabilities the agent lacks), or
 * a kernel thread (which has none), is not searched again while it lives:
 * its /proc/PID inode tells it from a later process given the same pid.
 */
struct walked_pid {
	int32_t pid;
	bool passed;
	uint64_t ino;
};

struct user_name {
	uint32_t uid;
	char name[32];
};

struct listeners {
	struct checks *checks;
	bool needed; /* a listen check reads the table */
	uint64_t scan;
	struct socket_row *sockets;
	size_t socket_count;
	struct owner *owners;
	size_t owner_limit; /* owners at or beyond it were never used */
	struct series_row *series;
	uint32_t series_generation;
	size_t series_limit; /* rows at or beyond it were never used */
	struct pair *pairs;
	size_t pair_count;
	struct new_alert alerts[ALERTS_MAX];
	char **known; /* sorted keys of the baseline */
	size_t known_count;
	int64_t learning_since; /* Unix seconds; 0: not started */
	bool learnt, baseline_dirty, table_full_said;
	uint16_t ephemeral_low, ephemeral_high;
	struct user_name users[USERS_MAX];
	size_t user_count;
	/* READ_CHUNK bytes for /proc/net and netlink, then for the
	 * getdents64 listings of find_owners(). */
	char *chunk;
	/* find_owners()'s owners still to find: SOCKETS_MAX, resident as far
	 * as used. On the stack, it and the listings' buffers made a 19 KiB
	 * frame that set the stack's deepest page for the daemon's life. */
	struct owner **wanted;
	struct walked_pid *pids, *spare; /* this listing, the one before */
	size_t pid_count, spare_count, pid_allocated, spare_allocated;
	int diag_fd;	    /* NETLINK_SOCK_DIAG; -1: /proc/net */
	int series_refs[3]; /* listen.sockets{tcp,udp}, listen.new */
};

static const struct listeners_config *settings(const struct listeners *l)
{
	return &l->checks->config->checks.listeners;
}

/* ---- /proc/net ---- */

static int hex_value(const char **p, int digits, uint32_t *value)
{
	*value = 0;
	for (int i = 0; i < digits; i++) {
		int d = string_hex_digit((unsigned char)(*p)[i]);

		if (d < 0)
			return -EINVAL;
		*value = *value << 4 | (uint32_t)d;
	}
	*p += digits;
	return 0;
}

static void skip_blanks(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

static int skip_field(const char **p)
{
	skip_blanks(p);
	if (**p == '\0' || **p == '\n')
		return -EINVAL;
	while (**p != '\0' && **p != ' ' && **p != '\n')
		(*p)++;
	return 0;
}

static int read_unsigned(const char **p, uint64_t *value)
{
	char *end;

	skip_blanks(p);
	if (**p < '0' || **p > '9')
		return -EINVAL;
	*value = strtoull(*p, &end, 10);
	*p = end;
	return 0;
}

/*
 * "ADDR:PORT": the kernel prints each 32-bit word of the address as a host
 * integer in hex, so reading it back into the same word restores the bytes
 * in network order on either endianness.
 */
static int read_endpoint(const char **p, bool ipv6, struct in6_addr *a6,
			 struct in_addr *a4, uint16_t *port)
{
	uint32_t word, port_value;

	skip_blanks(p);
	if (ipv6) {
		for (int i = 0; i < 4; i++) {
			if (hex_value(p, 8, &word) < 0)
				return -EINVAL;
			memcpy(&a6->s6_addr[4 * i], &word, 4);
		}
	} else {
		if (hex_value(p, 8, &word) < 0)
			return -EINVAL;
		a4->s_addr = word;
	}
	if (**p != ':')
		return -EINVAL;
	(*p)++;
	if (hex_value(p, 4, &port_value) < 0)
		return -EINVAL;
	*port = (uint16_t)port_value;
	return 0;
}

int listeners_parse_line(const char *line, bool ipv6, bool udp,
			 struct listener_socket *out)
{
	const char *p = line;
	struct in6_addr local6 = {0}, remote6 = {0};
	struct in_addr local4 = {0}, remote4 = {0};
	uint16_t local_port, remote_port;
	uint32_t state;
	uint64_t uid, inode;

	skip_blanks(&p);
	if (*p < '0' || *p > '9')
		return strncmp(p, "sl", 2) == 0 ? 0 : -EINVAL; /* header */
	if (skip_field(&p) < 0 ||
	    read_endpoint(&p, ipv6, &local6, &local4, &local_port) < 0 ||
	    read_endpoint(&p, ipv6, &remote6, &remote4, &remote_port) < 0)
		return -EINVAL;
	skip_blanks(&p);
	if (hex_value(&p, 2, &state) < 0)
		return -EINVAL;
	/* tx:rx queues, timer, retransmits, then uid, timeout, inode. */
	for (int i = 0; i < 3; i++)
		if (skip_field(&p) < 0)
			return -EINVAL;
	if (read_unsigned(&p, &uid) < 0 || skip_field(&p) < 0 ||
	    read_unsigned(&p, &inode) < 0)
		return -EINVAL;
	/* TCP_LISTEN; for UDP an unconnected socket (TCP_CLOSE) on a port:
	 * a connected one is a client's. */
	if (udp ? state != 7 || remote_port != 0 || local_port == 0
		: state != 0x0A)
		return 0;
	memset(out, 0, sizeof(*out));
	out->inode = inode;
	out->uid = (uint32_t)uid;
	out->port = local_port;
	out->udp = udp;
	if (ipv6 && IN6_IS_ADDR_V4MAPPED(&local6)) {
		memcpy(&local4, &local6.s6_addr[12], 4);
		ipv6 = false;
	}
	if (ipv6) {
		inet_ntop(AF_INET6, &local6, out->address,
			  sizeof(out->address));
		out->loopback = IN6_IS_ADDR_LOOPBACK(&local6);
		out->wildcard = IN6_IS_ADDR_UNSPECIFIED(&local6);
	} else {
		inet_ntop(AF_INET, &local4, out->address, sizeof(out->address));
		out->loopback = (ntohl(local4.s_addr) >> 24) == 127;
		out->wildcard = local4.s_addr == 0;
	}
	return 1;
}

/* Reads one /proc/net file line by line through a fixed chunk. */
static void read_table(struct listeners *l, const char *path, bool ipv6,
		       bool udp)
{
	size_t held = 0;
	ssize_t n;
	int fd = openat(l->checks->proc_fd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return; /* no IPv6, or a fixture without it */
	while ((n = read(fd, l->chunk + held, READ_CHUNK - 1 - held)) > 0) {
		char *line = l->chunk, *newline;

		held += (size_t)n;
		l->chunk[held] = '\0';
		while ((newline = strchr(line, '\n')) != NULL) {
			struct listener_socket s;

			*newline = '\0';
			if (listeners_parse_line(line, ipv6, udp, &s) == 1) {
				if (l->socket_count < SOCKETS_MAX) {
					l->sockets[l->socket_count++].s = s;
				} else if (!l->table_full_said) {
					log_notice("listeners: more than %d "
						   "sockets; the rest are not "
						   "watched",
						   SOCKETS_MAX);
					l->table_full_said = true;
				}
			}
			line = newline + 1;
		}
		held -= (size_t)(line - l->chunk);
		memmove(l->chunk, line, held);
		if (held == READ_CHUNK - 1)
			held = 0; /* a line that long is not a socket's */
	}
	close(fd);
}

/*
 * The same from the kernel's socket diagnostics: the state filter is
 * applied in the kernel, so a listener dump never walks the established
 * hash table, which /proc/net/tcp reads whole (14 ms a scan on a host whose
 * table has 262144 buckets, however few connections it holds).
 */
static void diag_socket(struct listeners *l, const struct inet_diag_msg *m,
			bool udp)
{
	struct socket_row *row;
	struct listener_socket *s;
	struct in_addr a4;

	if (l->socket_count >= SOCKETS_MAX || (udp && m->id.idiag_sport == 0))
		return;
	row = &l->sockets[l->socket_count++];
	s = &row->s;
	memset(s, 0, sizeof(*s));
	s->inode = m->idiag_inode;
	s->uid = m->idiag_uid;
	s->port = ntohs(m->id.idiag_sport);
	s->udp = udp;
	/* The text is formatted in find_owners(), once per inode. */
	memset(row->raw, 0, sizeof(row->raw));
	if (m->idiag_family == AF_INET6 &&
	    !IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)m->id.idiag_src)) {
		const struct in6_addr *a6 =
		    (const struct in6_addr *)m->id.idiag_src;

		row->family = AF_INET6;
		memcpy(row->raw, a6, 16);
		s->loopback = IN6_IS_ADDR_LOOPBACK(a6);
		s->wildcard = IN6_IS_ADDR_UNSPECIFIED(a6);
		return;
	}
	memcpy(&a4,
	       m->idiag_family == AF_INET6 ? &m->id.idiag_src[3]
					   : &m->id.idiag_src[0],
	       sizeof(a4));
	row->family = AF_INET;
	memcpy(row->raw, &a4, sizeof(a4));
	s->loopback = (ntohl(a4.s_addr) >> 24) == 127;
	s->wildcard = a4.s_addr == 0;
}

/* The address text of a row from netlink (IPv4 by hand: inet_ntop's
 * ~1,700 instructions were a new socket's largest cost after its labels). */
static void format_address(struct socket_row *row)
{
	if (row->family == AF_INET) {
		size_t used = 0;

		for (int i = 0; i < 4; i++) {
			if (i > 0)
				used = string_append(row->s.address,
						     sizeof(row->s.address),
						     used, ".", 1);
			used = string_append_u64(row->s.address,
						 sizeof(row->s.address), used,
						 row->raw[i]);
		}
	} else if (row->family != 0) {
		inet_ntop(row->family, row->raw, row->s.address,
			  sizeof(row->s.address));
	}
	row->family = 0;
}

/* One dump (family, protocol); -errno when netlink cannot answer it. */
static int diag_dump(struct listeners *l, int family, bool udp)
{
	struct {
		struct nlmsghdr header;
		struct inet_diag_req_v2 request;
	} query = {
	    .header = {.nlmsg_len = sizeof(query),
		       .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .request = {.sdiag_family = (uint8_t)family,
			.sdiag_protocol = udp ? IPPROTO_UDP : IPPROTO_TCP,
			/* Listening, or (UDP) bound and unconnected. */
			.idiag_states =
			    udp ? 1u << TCP_CLOSE : 1u << TCP_LISTEN},
	};
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

	if (sendto(l->diag_fd, &query, sizeof(query), 0,
		   (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(l->diag_fd, l->chunk, READ_CHUNK, 0);
		const struct nlmsghdr *h = (const struct nlmsghdr *)l->chunk;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -EPROTO;
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
			    h->nlmsg_len >=
				NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				diag_socket(l, NLMSG_DATA(h), udp);
		}
	}
}

static void read_sockets(struct listeners *l)
{
	static const struct {
		const char *path;
		int family;
		bool udp;
	} tables[] = {
	    {"net/tcp", AF_INET, false},
	    {"net/tcp6", AF_INET6, false},
	    {"net/udp", AF_INET, true},
	    {"net/udp6", AF_INET6, true},
	};

	for (size_t i = 0; l->diag_fd >= 0 && i < ARRAY_SIZE(tables); i++) {
		int r = diag_dump(l, tables[i].family, tables[i].udp);

		/* A kernel without IPv6 answers ENOENT for its family. */
		if (r < 0 && r != -ENOENT) {
			log_notice_errno(r,
					 "listeners: socket diagnostics "
					 "failed; reading /proc/net instead");
			close(l->diag_fd);
			l->diag_fd = -1;
			l->socket_count = 0;
		}
	}
	if (l->diag_fd >= 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		read_table(l, tables[i].path, tables[i].family == AF_INET6,
			   tables[i].udp);
	for (size_t i = 0; i < l->socket_count; i++)
		l->sockets[i].family = 0; /* the text is there */
}

/* ---- owners ---- */

static struct owner *owner_of(struct listeners *l, uint64_t inode)
{
	for (size_t i = 0; i < l->owner_limit; i++)
		if (l->owners[i].inode == inode)
			return &l->owners[i];
	return NULL;
}

static struct owner *owner_new(struct listeners *l, uint64_t inode)
{
	struct owner *slot = NULL;

	for (size_t i = 0; i < l->owner_limit; i++)
		if (l->owners[i].inode == 0 ||
		    l->owners[i].seen_scan + 1 < l->scan) {
			slot = &l->owners[i];
			break;
		}
	if (slot == NULL && l->owner_limit < OWNERS_MAX)
		slot = &l->owners[l->owner_limit++];
	if (slot == NULL)
		return NULL;
	memset(slot, 0, sizeof(*slot));
	slot->inode = inode;
	slot->seen_scan = l->scan;
	return slot;
}

/*
 * The row's address text from its owner's, formatted only when the owner
 * has none for these bytes yet (a new inode); the owner's other text goes
 * with a changed address.
 */
static void owner_address(struct owner *o, struct socket_row *row)
{
	bool same = o->udp == row->s.udp && o->port == row->s.port &&
		    o->family == row->family && o->address[0] != '\0';

	if (same && row->family != 0)
		same = memcmp(o->raw, row->raw, sizeof(o->raw)) == 0;
	else if (same)
		same = strcmp(o->address, row->s.address) == 0;
	if (!same) {
		o->udp = row->s.udp;
		o->port = row->s.port;
		o->family = row->family;
		memcpy(o->raw, row->raw, sizeof(o->raw));
		format_address(row);
		string_copy(o->address, row->s.address, sizeof(o->address));
		o->endpoint[0] = o->series_labels[0] = '\0';
		o->pair_key[0] = o->pair_labels[0] = '\0';
		o->series_row = 0;
		return;
	}
	if (row->family != 0)
		memcpy(row->s.address, o->address, sizeof(row->s.address));
	row->family = 0;
}

/*
 * The number the decimal digits at text spell, up to end (or to stop, a
 * character that may follow them): false for anything else. Cheaper than
 * strtol, which the walks below would call for every process and socket.
 */
static bool decimal(const char *text, char stop, uint64_t max, uint64_t *value)
{
	uint64_t n = 0;

	if (*text < '0' || *text > '9')
		return false;
	for (; *text >= '0' && *text <= '9'; text++) {
		n = n * 10 + (uint64_t)(*text - '0');
		if (n > max)
			return false;
	}
	*value = n;
	return *text == '\0' || *text == stop;
}

static bool pid_name(const char *name, int32_t *pid)
{
	uint64_t value;

	if (name[0] == '0' || !decimal(name, '\0', INT32_MAX, &value))
		return false;
	*pid = (int32_t)value;
	return true;
}

static void read_comm(struct listeners *l, int32_t pid, char *out, size_t size)
{
	struct collector_pid_stat stat;
	char path[32], text[1024];

	collector_pid_path(path, sizeof(path), pid, "/stat");
	out[0] = '\0';
	if (read_file_into(l->checks->proc_fd, path, text, sizeof(text)) > 0 &&
	    collector_parse_pid_stat(text, &stat))
		checks_label_value(out, stat.comm, size);
}

/*
 * A number of /proc/PID/stat, counted from the state after "(comm) "
 * (1: the parent's pid, 6: the flags); false when unreadable.
 */
static bool stat_number(struct listeners *l, int32_t pid, int field,
			uint64_t *value)
{
	char path[32], text[1024];
	const char *p;

	collector_pid_path(path, sizeof(path), pid, "/stat");
	if (read_file_into(l->checks->proc_fd, path, text, sizeof(text)) <= 0)
		return false;
	p = strrchr(text, ')');
	if (p == NULL || p[1] != ' ')
		return false;
	for (p += 2; field > 0; field--) {
		p = strchr(p, ' ');
		if (p == NULL)
			return false;
		p++;
	}
	return decimal(p, ' ', UINT64_MAX / 10, value);
}

/* The parent's pid, or 0. */
static int32_t parent_of(struct listeners *l, int32_t pid)
{
	uint64_t value;

	return stat_number(l, pid, 1, &value) && value <= INT32_MAX
		   ? (int32_t)value
		   : 0;
}

/* PF_KTHREAD in the flags: a kernel thread, which holds no descriptor. */
static bool kernel_thread(struct listeners *l, int32_t pid)
{
	uint64_t flags;

	return stat_number(l, pid, 6, &flags) && (flags & 0x00200000) != 0;
}

/*
 * Sockets of pid among the wanted owners still without one (its fd links,
 * when readable): their pid is set; stops once open of them are found.
 * passed: pid need not be searched again (unreadable, a kernel thread).
 */
static size_t match_fds(struct listeners *l, int32_t pid, struct owner **wanted,
			size_t wanted_count, size_t open, bool *passed)
{
	const struct dirent64 *entry;
	struct dir_walk walk;
	char path[32], link[64];
	size_t found = 0;
	bool any = false;
	int fd;

	collector_pid_path(path, sizeof(path), pid, "/fd");
	fd = openat(l->checks->proc_fd, path,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*passed = fd < 0 && (errno == EACCES || errno == EPERM);
	if (fd < 0)
		return 0;
	dir_walk_start(&walk, fd, false, l->chunk, FDS_CHUNK);
	while (found < open && (entry = dir_walk_next(&walk)) != NULL) {
		ssize_t length;
		uint64_t inode;

		if (entry->d_name[0] == '.')
			continue;
		any = true;
		length = readlinkat(fd, entry->d_name, link, sizeof(link) - 1);
		if (length < 0 && (errno == EACCES || errno == EPERM)) {
			*passed = true; /* none of them readable */
			goto done;
		}
		if (length < 9 || strncmp(link, "socket:[", 8) != 0)
			continue;
		link[length] = '\0';
		if (!decimal(link + 8, ']', UINT64_MAX / 10, &inode))
			continue;
		for (size_t i = 0; i < wanted_count; i++)
			if (wanted[i]->inode == inode && wanted[i]->pid == 0) {
				wanted[i]->pid = pid;
				found++;
			}
	}
	/* No descriptor at all: a kernel thread's is always empty. */
	if (!any)
		*passed = kernel_thread(l, pid);
done:
	close(fd);
	return found;
}

/*
 * A socket a process inherited is its parent's too (a pre-fork server's
 * workers, a service started by its socket's holder): the owner is the
 * furthest ancestor that still holds it, the process a walk in pid order
 * would have met first, found without walking the older processes.
 */
static void owner_ancestor(struct listeners *l, struct owner *o)
{
	for (int depth = 0; depth < 64; depth++) {
		struct owner probe = {.inode = o->inode};
		struct owner *one = &probe;
		int32_t parent = parent_of(l, o->pid);
		bool passed;

		if (parent <= 0 || parent == o->pid ||
		    match_fds(l, parent, &one, 1, 1, &passed) == 0)
			break;
		o->pid = parent;
	}
}

/* Effective uid from /proc/PID/status, or -1. */
static int64_t process_uid(struct listeners *l, int32_t pid)
{
	char path[32], text[2048];
	const char *uid;
	uint64_t value;

	collector_pid_path(path, sizeof(path), pid, "/status");
	if (read_file_into(l->checks->proc_fd, path, text, sizeof(text)) <= 0)
		return -1;
	uid = strstr(text, "\nUid:");
	if (uid == NULL)
		return -1;
	uid += 5;
	/* Real, then effective. */
	if (read_unsigned(&uid, &value) < 0 || read_unsigned(&uid, &value) < 0)
		return -1;
	return (int64_t)value;
}

/*
 * Owners the fd links did not give: named when every process of the
 * socket's user has the same name (a service user: redis, postgres,
 * www-data); otherwise only the user is known.
 */
static void guess_by_user(struct listeners *l, const struct walked_pid *pids,
			  size_t pid_count, struct owner **wanted,
			  size_t wanted_count)
{
	/* Owners still to decide: once every one has two names (root's
	 * sockets, on any host), the other processes cannot change that. */
	size_t open = wanted_count;
	int32_t self = getpid();

	for (size_t i = 0; i < wanted_count; i++) {
		wanted[i]->process[0] = '\0';
		wanted[i]->candidates = 0;
		wanted[i]->ambiguous = false;
	}
	for (size_t k = 0; k < pid_count && open > 0; k++) {
		char comm[32] = "";
		int32_t pid = pids[k].pid;
		int64_t uid;

		if (pid == self)
			continue;
		uid = process_uid(l, pid);
		if (uid < 0)
			continue;
		for (size_t i = 0; i < wanted_count; i++) {
			struct owner *o = wanted[i];

			if (o->ambiguous || o->uid != (uint32_t)uid)
				continue;
			if (comm[0] == '\0')
				read_comm(l, pid, comm, sizeof(comm));
			if (o->candidates++ == 0) {
				string_copy(o->process, comm,
					    sizeof(o->process));
				o->candidate_pid = pid;
			} else if (strcmp(o->process, comm) != 0) {
				o->process[0] = '\0'; /* several names */
				o->ambiguous = true;
				open--;
			}
		}
	}
	/* The user's only process: that is the one. */
	for (size_t i = 0; i < wanted_count; i++)
		if (wanted[i]->candidates == 1)
			wanted[i]->pid = wanted[i]->candidate_pid;
}

static int compare_pids(const void *a, const void *b)
{
	int32_t x = ((const struct walked_pid *)a)->pid,
		y = ((const struct walked_pid *)b)->pid;

	return (x > y) - (x < y);
}

/*
 * Every process, ascending by pid, into l->pids; those the listing before
 * found unreadable stay so while their /proc inode is the same (both
 * lists are sorted: one pass).
 */
static void list_pids(struct listeners *l)
{
	struct walked_pid *swap = l->spare;
	size_t swap_allocated = l->spare_allocated, count = 0, k = 0;
	bool sorted = true;
	const struct dirent64 *entry;
	struct dir_walk walk;
	int fd;

	l->spare = l->pids;
	l->spare_allocated = l->pid_allocated;
	l->spare_count = l->pid_count;
	l->pids = swap;
	l->pid_allocated = swap_allocated;
	l->pid_count = 0;
	/* getdents64 into the chunk: readdir's DIR cost ~40 instructions an
	 * entry. */
	fd =
	    openat(l->checks->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	dir_walk_start(&walk, fd, false, l->chunk, PIDS_CHUNK);
	while ((entry = dir_walk_next(&walk)) != NULL) {
		int32_t pid;

		if (!pid_name(entry->d_name, &pid))
			continue;
		if (count == l->pid_allocated) {
			size_t more = count ? count * 2 : 512;
			struct walked_pid *p =
			    realloc(l->pids, more * sizeof(*p));

			if (p == NULL)
				break; /* the walks see fewer */
			l->pids = p;
			l->pid_allocated = more;
		}
		sorted &= count == 0 || l->pids[count - 1].pid < pid;
		l->pids[count++] =
		    (struct walked_pid){.pid = pid, .ino = entry->d_ino};
	}
	close(fd);
	/* /proc lists in pid order; a fixture directory may not. */
	if (!sorted)
		qsort(l->pids, count, sizeof(*l->pids), compare_pids);
	for (size_t i = 0; i < count; i++) {
		while (k < l->spare_count && l->spare[k].pid < l->pids[i].pid)
			k++;
		if (k < l->spare_count && l->spare[k].pid == l->pids[i].pid &&
		    l->spare[k].ino == l->pids[i].ino)
			l->pids[i].passed = l->spare[k].passed;
	}
	l->pid_count = count;
}

/*
 * Where the newest process is in l->pids: pids are handed out upwards and
 * wrap at pid_max, so the newest are those just below the last one given
 * (ns_last_pid), then the highest ones; a fixture without the file: the
 * highest pid.
 */
static size_t newest_index(struct listeners *l, size_t pid_count)
{
	char text[32];
	uint64_t last;
	size_t k = pid_count;

	if (pid_count == 0)
		return 0;
	if (read_file_into(l->checks->proc_fd, "sys/kernel/ns_last_pid", text,
			   sizeof(text)) <= 0 ||
	    !decimal(text, '\n', INT32_MAX, &last))
		return pid_count - 1;
	while (k > 0 && l->pids[k - 1].pid > (int32_t)last)
		k--;
	/* None at or below it: the walk starts at the highest. */
	return k > 0 ? k - 1 : pid_count - 1;
}

static void find_owners(struct listeners *l)
{
	struct owner **wanted = l->wanted;
	size_t wanted_count = 0, found = 0, pid_count, newest;

	for (size_t i = 0; i < l->socket_count; i++) {
		struct socket_row *row = &l->sockets[i];
		struct owner *o = owner_of(l, row->s.inode);

		if (o == NULL) {
			o = owner_new(l, row->s.inode);
			if (o == NULL) {
				format_address(row);
				continue;
			}
			o->uid = row->s.uid;
			wanted[wanted_count++] = o;
		}
		owner_address(o, row);
		o->seen_scan = l->scan;
		row->owner = o;
	}
	if (wanted_count == 0)
		return;
	/*
	 * Newest processes first: a new listener is mostly a new process's,
	 * found among the last few instead of after every older process's
	 * descriptors; processes found unreadable before, and kernel threads,
	 * are passed over.
	 * The listing serves the guess by user too.
	 */
	list_pids(l);
	pid_count = l->pid_count;
	newest = newest_index(l, pid_count);
	for (size_t n = 0; n < pid_count && found < wanted_count; n++) {
		struct walked_pid *p =
		    &l->pids[(newest + pid_count - n) % pid_count];

		if (!p->passed)
			found += match_fds(l, p->pid, wanted, wanted_count,
					   wanted_count - found, &p->passed);
	}
	for (size_t i = 0; i < wanted_count; i++)
		if (wanted[i]->pid != 0) {
			owner_ancestor(l, wanted[i]);
			read_comm(l, wanted[i]->pid, wanted[i]->process,
				  sizeof(wanted[i]->process));
		}
	if (found < wanted_count) {
		size_t left_count = 0;

		/* Those left, moved to the front (never past their place). */
		for (size_t i = 0; i < wanted_count; i++)
			if (wanted[i]->pid == 0)
				wanted[left_count++] = wanted[i];
		guess_by_user(l, l->pids, pid_count, wanted, left_count);
	}
}

/* User names from /etc/passwd itself: NSS could wait on a network. */
static const char *user_name(struct listeners *l, uint32_t uid, char *scratch,
			     size_t size)
{
	char *text = NULL, *line;
	size_t length;

	for (size_t i = 0; i < l->user_count; i++)
		if (l->users[i].uid == uid)
			return l->users[i].name;
	snprintf(scratch, size, "uid %u", uid);
	if (read_file_at(AT_FDCWD, "/etc/passwd", 1 << 20, &text, &length) < 0)
		return scratch;
	for (line = text; line != NULL && *line != '\0';) {
		char *next = strchr(line, '\n'), *colon = strchr(line, ':');
		const char *field = colon;

		if (next != NULL)
			*next++ = '\0';
		/* name:password:uid:... */
		if (colon != NULL && (field = strchr(colon + 1, ':')) != NULL &&
		    strtoul(field + 1, NULL, 10) == uid) {
			*colon = '\0';
			checks_label_value(scratch, line, size);
			break;
		}
		line = next;
	}
	free(text);
	if (l->user_count < USERS_MAX) {
		l->users[l->user_count].uid = uid;
		string_copy(l->users[l->user_count].name, scratch,
			    sizeof(l->users[0].name));
		return l->users[l->user_count++].name;
	}
	return scratch;
}

/* ---- baseline ---- */

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool known(const struct listeners *l, const char *key)
{
	return l->known_count > 0 &&
	       bsearch(&key, l->known, l->known_count, sizeof(char *),
		       compare_keys) != NULL;
}

static void learn(struct listeners *l, const char *key)
{
	char *copy;

	if (known(l, key) || l->known_count >= KNOWN_MAX)
		return;
	copy = strdup(key);
	if (copy == NULL)
		return;
	l->known[l->known_count++] = copy;
	qsort(l->known, l->known_count, sizeof(char *), compare_keys);
	l->baseline_dirty = true;
}

static void load_baseline(struct listeners *l)
{
	json_object *root, *field;
	char *text = NULL;
	size_t length;
	int r;

	if (l->checks->state_fd < 0)
		return;
	r = state_read(l->checks->state_fd, BASELINE_FILE, 4 << 20, &text,
		       &length);
	if (r < 0) {
		if (r != -ENOENT)
			log_warning_errno(r,
					  "listeners: cannot read %s; "
					  "learning again",
					  BASELINE_FILE);
		return;
	}
	root = json_tokener_parse(text);
	free(text);
	if (root == NULL) {
		log_warning("listeners: %s is not JSON; learning again",
			    BASELINE_FILE);
		return;
	}
	if (json_object_object_get_ex(root, "learning_since", &field))
		l->learning_since = json_object_get_int64(field);
	if (json_object_object_get_ex(root, "learnt", &field))
		l->learnt = json_object_get_boolean(field);
	if (json_object_object_get_ex(root, "known", &field) &&
	    json_object_is_type(field, json_type_array))
		for (size_t i = 0; i < json_object_array_length(field); i++)
			learn(l, json_object_get_string(
				     json_object_array_get_idx(field, i)));
	json_object_put(root);
	l->baseline_dirty = false;
	log_info("listeners: baseline of %zu listener(s)%s", l->known_count,
		 l->learnt ? "" : ", still learning");
}

static void save_baseline(struct listeners *l)
{
	json_object *root, *list;
	const char *text;
	int r;

	if (l->checks->state_fd < 0 || !l->baseline_dirty)
		return;
	root = json_object_new_object();
	list = json_object_new_array();
	json_object_object_add(root, "version", json_object_new_int(1));
	json_object_object_add(root, "learning_since",
			       json_object_new_int64(l->learning_since));
	json_object_object_add(root, "learnt",
			       json_object_new_boolean(l->learnt));
	for (size_t i = 0; i < l->known_count; i++)
		json_object_array_add(list,
				      json_object_new_string(l->known[i]));
	json_object_object_add(root, "known", list);
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY);
	r = state_write_atomic(l->checks->state_fd, BASELINE_FILE, text,
			       strlen(text));
	json_object_put(root);
	if (r < 0)
		log_warning_errno(r, "listeners: cannot save %s",
				  BASELINE_FILE);
	else
		l->baseline_dirty = false;
}

/* "process:port", either side "*". */
static bool allowed(const struct listeners *l, const struct pair *p)
{
	const struct config_string_list *allow = &settings(l)->allow;

	for (size_t i = 0; i < allow->count; i++) {
		const char *item = allow->items[i], *colon = strrchr(item, ':');
		size_t name_length = (size_t)(colon - item);
		bool name_ok, port_ok;

		name_ok = (name_length == 1 && item[0] == '*') ||
			  (strlen(p->process) == name_length &&
			   strncmp(p->process, item, name_length) == 0);
		port_ok = strcmp(colon + 1, "*") == 0 ||
			  strtoul(colon + 1, NULL, 10) == p->port;
		if (name_ok && port_ok)
			return true;
	}
	return false;
}

/* ---- a scan ---- */

static bool ephemeral(const struct listeners *l, uint16_t port)
{
	return l->ephemeral_low != 0 && port >= l->ephemeral_low &&
	       port <= l->ephemeral_high;
}

/* "tcp/8000/python3/nobody" and "port=8000,process=python3,..." */
static void pair_text(struct listeners *l, const struct socket_row *row,
		      char *key, size_t key_size, char *labels,
		      size_t labels_size)
{
	const struct owner *o = row->owner;
	char scratch[32], port[16];
	const char *user = user_name(l, row->s.uid, scratch, sizeof(scratch));
	const char *process = o && o->process[0] ? o->process : "?";

	const char *protocol = row->s.udp ? "udp" : "tcp";
	size_t used;

	/* A port from the ephemeral range is picked afresh at each start
	 * (RPC services, debuggers): the owner is what is learnt. */
	if (ephemeral(l, row->s.port))
		string_copy(port, "ephemeral", sizeof(port));
	else
		string_append_u64(port, sizeof(port), 0, row->s.port);
	/* "tcp/8000/python3/nobody", as snprintf would, without it. */
	used = string_append_str(key, key_size, 0, protocol);
	used = string_append_str(key, key_size, used, "/");
	used = string_append_str(key, key_size, used, port);
	used = string_append_str(key, key_size, used, "/");
	used = string_append_str(key, key_size, used, process);
	used = string_append_str(key, key_size, used, "/");
	string_append_str(key, key_size, used, user);
	used = string_append_str(labels, labels_size, 0, "port=");
	used = string_append_str(labels, labels_size, used, port);
	used = string_append_str(labels, labels_size, used, ",process=");
	used = string_append_str(labels, labels_size, used, process);
	used = string_append_str(labels, labels_size, used, ",protocol=");
	used = string_append_str(labels, labels_size, used, protocol);
	used = string_append_str(labels, labels_size, used, ",user=");
	string_append_str(labels, labels_size, used, user);
}

static struct pair *pair_for(struct listeners *l, const struct socket_row *row)
{
	struct owner *o = row->owner;
	char scratch[32], key_buffer[128], labels_buffer[METRIC_LABELS_MAX];
	const char *user = user_name(l, row->s.uid, scratch, sizeof(scratch));
	const char *process = o && o->process[0] ? o->process : "?";
	const char *key = key_buffer, *labels = labels_buffer;
	struct pair *p;

	for (size_t i = 0; i < l->pair_count; i++) {
		p = &l->pairs[i];
		if (p->udp == row->s.udp && strcmp(p->process, process) == 0 &&
		    strcmp(p->user, user) == 0 &&
		    (p->port == row->s.port ||
		     (ephemeral(l, p->port) && ephemeral(l, row->s.port))))
			return p;
	}
	if (l->pair_count == SOCKETS_MAX)
		return NULL;
	if (o == NULL) {
		pair_text(l, row, key_buffer, sizeof(key_buffer), labels_buffer,
			  sizeof(labels_buffer));
	} else {
		if (o->pair_key[0] == '\0')
			pair_text(l, row, o->pair_key, sizeof(o->pair_key),
				  o->pair_labels, sizeof(o->pair_labels));
		key = o->pair_key;
		labels = o->pair_labels;
	}
	p = &l->pairs[l->pair_count++];
	memset(p, 0, sizeof(*p));
	p->udp = row->s.udp;
	p->port = row->s.port;
	p->loopback_only = true;
	p->pid = o ? o->pid : 0;
	string_copy(p->process, process, sizeof(p->process));
	string_copy(p->user, user, sizeof(p->user));
	string_copy(p->key, key, sizeof(p->key));
	string_copy(p->labels, labels, sizeof(p->labels));
	return p;
}

static void add_address(struct pair *p, const struct socket_row *row)
{
	size_t used = strlen(p->addresses);
	bool v6 = strchr(row->s.address, ':') != NULL;
	char buffer[64];
	const char *one = buffer;

	p->loopback_only &= row->s.loopback;
	if (row->owner != NULL && row->owner->endpoint[0] != '\0') {
		one = row->owner->endpoint;
	} else {
		size_t n =
		    string_append_str(buffer, sizeof(buffer), 0, v6 ? "[" : "");

		n = string_append_str(buffer, sizeof(buffer), n,
				      row->s.address);
		n = string_append_str(buffer, sizeof(buffer), n,
				      v6 ? "]:" : ":");
		string_append_u64(buffer, sizeof(buffer), n, row->s.port);
		if (row->owner != NULL)
			string_copy(row->owner->endpoint, buffer,
				    sizeof(row->owner->endpoint));
	}
	if (strstr(p->addresses, one) != NULL)
		return;
	snprintf(p->addresses + used, sizeof(p->addresses) - used, "%s%s",
		 used ? ", " : "", one);
}

/* "address=...,port=...,process=...,protocol=...,user=..." */
static void series_text(struct listeners *l, const struct socket_row *row,
			char *labels, size_t size)
{
	const struct owner *o = row->owner;
	char scratch[32];
	size_t used;

	used = string_append_str(labels, size, 0, "address=");
	used = string_append_str(labels, size, used, row->s.address);
	used = string_append_str(labels, size, used, ",port=");
	used = string_append_u64(labels, size, used, row->s.port);
	used = string_append_str(labels, size, used, ",process=");
	used = string_append_str(labels, size, used,
				 o && o->process[0] ? o->process : "?");
	used = string_append_str(labels, size, used, ",protocol=");
	used =
	    string_append_str(labels, size, used, row->s.udp ? "udp" : "tcp");
	used = string_append_str(labels, size, used, ",user=");
	string_append_str(labels, size, used,
			  user_name(l, row->s.uid, scratch, sizeof(scratch)));
}

/* The row of listen.socket{labels}, taken (and registered) when new. */
static struct series_row *series_row_for(struct listeners *l,
					 const char *labels)
{
	struct series_row *slot = NULL, *free_slot = NULL;

	for (size_t k = 0; k < l->series_limit && slot == NULL; k++) {
		if (l->series[k].ref == 0 && free_slot == NULL)
			free_slot = &l->series[k];
		else if (l->series[k].ref != 0 &&
			 strcmp(l->series[k].labels, labels) == 0)
			slot = &l->series[k];
	}
	if (slot == NULL && free_slot == NULL && l->series_limit < SERIES_MAX)
		free_slot = &l->series[l->series_limit++];
	if (slot == NULL && free_slot != NULL) {
		int id = metrics_register(l->checks->metrics, "listen.socket",
					  labels);

		if (id < 0)
			return NULL;
		slot = free_slot;
		slot->ref = id + 1;
		slot->generation = ++l->series_generation;
		string_copy(slot->labels, labels, sizeof(slot->labels));
	}
	return slot;
}

static void write_series(struct listeners *l)
{
	struct metric_registry *m = l->checks->metrics;
	int64_t now = l->checks->now_usec;
	size_t tcp = 0, udp = 0;

	for (size_t i = 0; i < l->socket_count; i++) {
		const struct socket_row *row = &l->sockets[i];
		struct owner *o = row->owner;
		struct series_row *slot = NULL;

		if (row->s.udp)
			udp++;
		else
			tcp++;
		/* The row the socket's owner remembers, while it is still
		 * that series's; else found by its labels. */
		if (o != NULL && o->series_row != 0 &&
		    l->series[o->series_row - 1].ref != 0 &&
		    l->series[o->series_row - 1].generation ==
			o->series_generation) {
			slot = &l->series[o->series_row - 1];
		} else if (o != NULL) {
			if (o->series_labels[0] == '\0')
				series_text(l, row, o->series_labels,
					    sizeof(o->series_labels));
			slot = series_row_for(l, o->series_labels);
			if (slot != NULL) {
				o->series_row =
				    (uint32_t)(slot - l->series) + 1;
				o->series_generation = slot->generation;
			}
		} else {
			char labels[METRIC_LABELS_MAX];

			series_text(l, row, labels, sizeof(labels));
			slot = series_row_for(l, labels);
		}
		if (slot == NULL || slot->seen_scan == l->scan)
			continue; /* one sample per series, however many */
		slot->seen_scan = l->scan;
		metrics_push(m, slot->ref - 1, now, 1);
	}
	for (size_t k = 0; k < l->series_limit; k++)
		if (l->series[k].ref != 0 &&
		    l->series[k].seen_scan != l->scan) {
			metrics_retire(m, l->series[k].ref - 1);
			l->series[k].ref = 0;
		}
	if (l->series_refs[0] < 0)
		l->series_refs[0] =
		    metrics_register(m, "listen.sockets", "protocol=tcp");
	if (l->series_refs[1] < 0)
		l->series_refs[1] =
		    metrics_register(m, "listen.sockets", "protocol=udp");
	if (l->series_refs[0] >= 0)
		metrics_push(m, l->series_refs[0], now, (double)tcp);
	if (l->series_refs[1] >= 0)
		metrics_push(m, l->series_refs[1], now, (double)udp);
}

static struct new_alert *alert_for(struct listeners *l, const struct pair *p)
{
	struct new_alert *free_slot = NULL;

	for (size_t i = 0; i < ALERTS_MAX; i++) {
		struct new_alert *a = &l->alerts[i];

		if (a->alert.used && strcmp(a->alert.labels, p->labels) == 0)
			return a;
		if (!a->alert.used && free_slot == NULL)
			free_slot = a;
	}
	if (free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->alert.used = true;
	free_slot->alert.rule = "new_listener";
	free_slot->alert.series = "listen.socket";
	string_copy(free_slot->alert.labels, p->labels,
		    sizeof(free_slot->alert.labels));
	checks_take_restored(l->checks, &free_slot->alert);
	return free_slot;
}

static void report_new(struct listeners *l, const struct pair *p)
{
	const struct listeners_config *c = settings(l);
	struct new_alert *a = alert_for(l, p);
	char summary[512], who[160];
	enum alert_severity severity;

	if (a == NULL)
		return;
	a->seen_scan = l->scan;
	severity = event_severity_from_name(
	    p->loopback_only ? c->loopback_severity : c->severity,
	    ALERT_WARNING);
	if (a->alert.firing && !a->alert.restored &&
	    a->alert.severity == severity)
		return;
	if (strcmp(p->process, "?") == 0)
		snprintf(who, sizeof(who),
			 "a process of user %s (which one "
			 "cannot be read without CAP_SYS_PTRACE)",
			 p->user);
	else if (p->pid > 0)
		snprintf(who, sizeof(who), "%s (pid %d, user %s)", p->process,
			 (int)p->pid, p->user);
	else
		snprintf(who, sizeof(who), "%s (user %s)", p->process, p->user);
	snprintf(summary, sizeof(summary),
		 "new listener: %s listens on %s/%s, "
		 "not seen before on this host",
		 who, p->addresses, p->udp ? "udp" : "tcp");
	string_copy(a->who, who, sizeof(a->who));
	snprintf(a->what, sizeof(a->what), "%u/%s", p->port,
		 p->udp ? "udp" : "tcp");
	a->alert.firing = true;
	a->alert.restored = false;
	a->alert.severity = severity;
	checks_submit(l->checks, &a->alert, true, ALERT_STATE, p->port, NAN,
		      summary, NULL);
	log_warning("%s", summary);
}

static void resolve_gone(struct listeners *l)
{
	for (size_t i = 0; i < ALERTS_MAX; i++) {
		struct new_alert *a = &l->alerts[i];
		char summary[256];

		if (!a->alert.used || a->seen_scan == l->scan)
			continue;
		if (a->alert.firing) {
			snprintf(summary, sizeof(summary),
				 "%s no longer listens on port %s", a->who,
				 a->what);
			a->alert.firing = false;
			checks_submit(l->checks, &a->alert, false, ALERT_STATE,
				      NAN, NAN, summary, NULL);
		}
		a->alert.used = false;
	}
}

static void judge(struct listeners *l, int64_t now_usec)
{
	const struct listeners_config *c = settings(l);
	int64_t now = now_usec / (int64_t)USEC_PER_SEC;
	size_t unexpected = 0;

	if (l->learning_since == 0) {
		l->learning_since = now;
		l->baseline_dirty = true;
		log_info("listeners: learning the listeners of this host for "
			 "%lld s",
			 (long long)c->learning_secs);
	}
	for (size_t i = 0; i < l->pair_count; i++) {
		struct pair *p = &l->pairs[i];

		if (!l->learnt) {
			learn(l, p->key);
			continue;
		}
		if (known(l, p->key) || allowed(l, p))
			continue;
		unexpected++;
		report_new(l, p);
	}
	if (!l->learnt && now >= l->learning_since + c->learning_secs) {
		l->learnt = true;
		l->baseline_dirty = true;
		log_info("listeners: learnt %zu listener(s); a new one is "
			 "reported from now on",
			 l->known_count);
	}
	resolve_gone(l);
	if (l->series_refs[2] < 0)
		l->series_refs[2] = metrics_register(
		    l->checks->metrics, "listen.new_listeners", "");
	if (l->series_refs[2] >= 0)
		metrics_push(l->checks->metrics, l->series_refs[2],
			     l->checks->now_usec, (double)unexpected);
}

void listeners_scan(struct listeners *l, int64_t now_usec)
{
	bool enabled = settings(l)->enabled;

	if (!enabled && !l->needed)
		return;
	l->scan++;
	l->socket_count = 0;
	l->pair_count = 0;
	read_sockets(l);
	find_owners(l);
	for (size_t i = 0; i < l->socket_count; i++) {
		struct pair *p = pair_for(l, &l->sockets[i]);

		if (p != NULL)
			add_address(p, &l->sockets[i]);
	}
	if (!enabled)
		return;
	write_series(l);
	judge(l, now_usec);
	save_baseline(l);
}

void listeners_need(struct listeners *l, bool needed)
{
	l->needed = needed;
}

size_t listeners_find(const struct listeners *l, bool udp, const char *host,
		      uint16_t port, struct listener_view *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < l->socket_count && n < max; i++) {
		const struct socket_row *row = &l->sockets[i];
		struct listener_view *v = &out[n];

		if (row->s.udp != udp || row->s.port != port ||
		    (host[0] != '\0' && !row->s.wildcard &&
		     strcmp(host, row->s.address) != 0))
			continue;
		memset(v, 0, sizeof(*v));
		v->udp = udp;
		v->port = port;
		string_copy(v->address, row->s.address, sizeof(v->address));
		if (row->owner != NULL) {
			v->pid = row->owner->pid;
			string_copy(v->process, row->owner->process,
				    sizeof(v->process));
		}
		n++;
	}
	return n;
}

void listeners_each_firing(struct listeners *l,
			   void (*fn)(void *context,
				      const struct check_alert *alert),
			   void *context)
{
	for (size_t i = 0; l != NULL && i < ALERTS_MAX; i++)
		if (l->alerts[i].alert.used && l->alerts[i].alert.firing)
			fn(context, &l->alerts[i].alert);
}

static void read_ephemeral_range(struct listeners *l)
{
	char text[64];
	const char *p = text;
	uint64_t low, high;

	if (read_file_into(l->checks->proc_fd,
			   "sys/net/ipv4/ip_local_port_range", text,
			   sizeof(text)) <= 0 ||
	    read_unsigned(&p, &low) < 0 || read_unsigned(&p, &high) < 0 ||
	    low == 0 || high > 65535 || low > high)
		return;
	l->ephemeral_low = (uint16_t)low;
	l->ephemeral_high = (uint16_t)high;
}

int listeners_new(struct checks *checks, struct listeners **out)
{
	/* 30 KiB, mostly alert slots: resident as far as they are used. */
	struct listeners *l = zeroed_pages_alloc(1, sizeof(*l));

	if (l == NULL)
		return -ENOMEM;
	l->checks = checks;
	l->diag_fd = -1;
	/* Pages of these become resident only as far as they are used. */
	l->sockets = zeroed_pages_alloc(SOCKETS_MAX, sizeof(*l->sockets));
	l->owners = zeroed_pages_alloc(OWNERS_MAX, sizeof(*l->owners));
	l->series = zeroed_pages_alloc(SERIES_MAX, sizeof(*l->series));
	l->pairs = zeroed_pages_alloc(SOCKETS_MAX, sizeof(*l->pairs));
	l->known = zeroed_pages_alloc(KNOWN_MAX, sizeof(char *));
	l->chunk = zeroed_pages_alloc(READ_CHUNK, 1);
	l->wanted = zeroed_pages_alloc(SOCKETS_MAX, sizeof(*l->wanted));
	if (!l->sockets || !l->owners || !l->series || !l->pairs || !l->known ||
	    !l->chunk || !l->wanted) {
		listeners_free(l);
		return -ENOMEM;
	}
	for (size_t k = 0; k < ARRAY_SIZE(l->series_refs); k++)
		l->series_refs[k] = -1;
	/* The host's own sockets come from netlink; a proc_root elsewhere is
	 * a fixture, read as files. */
	if (strcmp(checks->config->agent.proc_root, "/proc") == 0)
		l->diag_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
				    NETLINK_SOCK_DIAG);
	read_ephemeral_range(l);
	if (settings(l)->enabled)
		load_baseline(l);
	*out = l;
	return 0;
}

void listeners_reload(struct listeners *l)
{
	if (settings(l)->enabled && l->learning_since == 0 &&
	    l->known_count == 0)
		load_baseline(l);
	if (!settings(l)->enabled) {
		/* Off: its alerts are over and its series go. */
		l->scan++;
		resolve_gone(l);
		for (size_t k = 0; k < l->series_limit; k++)
			if (l->series[k].ref != 0) {
				metrics_retire(l->checks->metrics,
					       l->series[k].ref - 1);
				l->series[k].ref = 0;
			}
		for (size_t k = 0; k < ARRAY_SIZE(l->series_refs); k++)
			if (l->series_refs[k] >= 0) {
				metrics_retire(l->checks->metrics,
					       l->series_refs[k]);
				l->series_refs[k] = -1;
			}
	}
}

void listeners_stop(struct listeners *l)
{
	if (l != NULL)
		save_baseline(l);
}

void listeners_free(struct listeners *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->known_count; i++)
		free(l->known[i]);
	zeroed_pages_free(l->known, KNOWN_MAX, sizeof(char *));
	zeroed_pages_free(l->sockets, SOCKETS_MAX, sizeof(*l->sockets));
	zeroed_pages_free(l->owners, OWNERS_MAX, sizeof(*l->owners));
	zeroed_pages_free(l->series, SERIES_MAX, sizeof(*l->series));
	zeroed_pages_free(l->pairs, SOCKETS_MAX, sizeof(*l->pairs));
	if (l->diag_fd >= 0)
		close(l->diag_fd);
	zeroed_pages_free(l->chunk, READ_CHUNK, 1);
	zeroed_pages_free(l->wanted, SOCKETS_MAX, sizeof(*l->wanted));
	free(l->pids);
	free(l->spare);
	zeroed_pages_free(l, 1, sizeof(*l));
}
