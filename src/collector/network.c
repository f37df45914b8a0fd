/*
 * network.c - per interface (/proc/net/dev): rx/tx bytes, packets, errors
 * and drops per second; link state from /sys/class/net/IF/{operstate,
 * carrier}, read again only after the kernel announced a link change on a
 * NETLINK_ROUTE socket (drained on each tick, never a wake-up); TCP health from
 * /proc/net/snmp and /proc/net/netstat (retransmits, resets, listen overflows
 * per second); sockets in use and TIME_WAIT from /proc/net/sockstat; conntrack
 * table use when present.
 *
 * Interfaces come and go (VPNs, containers): a new one starts with no rate
 * until its second reading, a vanished one has its series retired, and a
 * re-created one (counters back to zero) yields no sample for that tick.
 */
#include "collector/collect.h"

#include <errno.h>
#include <fnmatch.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "core/util.h"

#define MAX_INTERFACES 128

enum { I_RX_BYTES, I_RX_PACKETS, I_RX_ERRORS, I_RX_DROPS, I_TX_BYTES,
       I_TX_PACKETS, I_TX_ERRORS, I_TX_DROPS, I_COUNT };

static const char *const interface_names[I_COUNT] = {
	"net.rx_bytes_per_sec",   "net.rx_packets_per_sec",
	"net.rx_errors_per_sec",  "net.rx_drops_per_sec",
	"net.tx_bytes_per_sec",   "net.tx_packets_per_sec",
	"net.tx_errors_per_sec",  "net.tx_drops_per_sec",
};

/* Longer /proc/net/dev lines (counters in the 1e15s) are parsed afresh. */
#define LINE_KEPT 160

struct interface {
	struct entity head;          /* refs: I_* then the link state */
	struct counter counters[I_COUNT];
	bool watched;
	int up; /* link_up()'s last answer */
	/* Last tick's line and what it said, for a line that did not change
	 * (an idle link's): compared, not parsed again. */
	uint64_t values[I_COUNT];
	uint16_t line_length; /* 0: none kept */
	char line[LINE_KEPT];
};

#define REF_LINK_UP I_COUNT

/* TCP counters from snmp/netstat, by "Section:Field". */
enum { T_RETRANS, T_OUT_RSTS, T_ESTAB_RESETS, T_ATTEMPT_FAILS,
       T_LISTEN_OVERFLOWS, T_LISTEN_DROPS, T_IN_ERRS, T_COUNT };

static const struct {
	const char *section, *field, *metric;
} tcp_fields[T_COUNT] = {
	{ "Tcp", "RetransSegs", "net.tcp_retransmits_per_sec" },
	{ "Tcp", "OutRsts", "net.tcp_resets_sent_per_sec" },
	{ "Tcp", "EstabResets", "net.tcp_established_resets_per_sec" },
	{ "Tcp", "AttemptFails", "net.tcp_attempt_fails_per_sec" },
	{ "TcpExt", "ListenOverflows", "net.tcp_listen_overflows_per_sec" },
	{ "TcpExt", "ListenDrops", "net.tcp_listen_drops_per_sec" },
	{ "Tcp", "InErrs", "net.tcp_in_errors_per_sec" },
};

enum { S_SOCKETS, S_TCP_INUSE, S_TCP_ORPHAN, S_TCP_TW, S_TCP_ALLOC,
       S_UDP_INUSE, S_CT_ENTRIES, S_CT_PCT, S_COUNT };

struct network_state {
	struct tick_file dev, snmp, netstat, sockstat, ct_count, ct_max;
	struct entity_table interfaces;
	const struct network_collector_config *config;
	struct counter tcp[T_COUNT];
	metric_ref tcp_refs[T_COUNT];
	metric_ref socket_refs[S_COUNT];
	int link_fd;	  /* RTMGRP_LINK listener, or -1 */
	bool links_stale; /* read every link state this tick */
};

/*
 * Link changes as the kernel announces them, so that operstate and carrier
 * are read only when they can have changed. Only for the real /sys: under
 * another sys_root (a fixture) they are read on every tick, as they are
 * when the socket cannot be had.
 */
static int open_link_listener(struct collect_context *ctx)
{
	struct sockaddr_nl address = {.nl_family = AF_NETLINK,
				      .nl_groups = RTMGRP_LINK};
	int fd;

	if (strcmp(ctx->config->agent.sys_root, "/sys") != 0)
		return -1;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    NETLINK_ROUTE);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&address, sizeof(address)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Whether a link changed since the last tick: any announcement (or lost
 * ones, ENOBUFS) makes every link state be read again; they are rare.
 */
static bool links_changed(struct network_state *s)
{
	char buffer[8192];
	bool changed = false;
	ssize_t n;

	if (s->link_fd < 0)
		return true;
	while ((n = recv(s->link_fd, buffer, sizeof(buffer), 0)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != ENOBUFS)
			break; /* EAGAIN: drained */
		changed = true;
	}
	return changed;
}

static bool network_enabled(const struct config *config)
{
	return config->collectors.network.enabled;
}

static int network_init(void *data, struct collect_context *ctx,
			const char **reason)
{
	struct network_state *s = data;

	s->config = &ctx->config->collectors.network;
	s->link_fd = open_link_listener(ctx);
	collect_tick_file_init(&s->dev, ctx->proc_fd, "net/dev");
	collect_tick_file_init(&s->snmp, ctx->proc_fd, "net/snmp");
	collect_tick_file_init(&s->netstat, ctx->proc_fd, "net/netstat");
	collect_tick_file_init(&s->sockstat, ctx->proc_fd, "net/sockstat");
	collect_tick_file_init(&s->ct_count, ctx->proc_fd,
			       "sys/net/netfilter/nf_conntrack_count");
	collect_tick_file_init(&s->ct_max, ctx->proc_fd,
			       "sys/net/netfilter/nf_conntrack_max");
	if (faccessat(ctx->proc_fd, "net/dev", R_OK, 0) < 0) {
		*reason = "cannot read net/dev under proc_root";
		return -errno;
	}
	return collect_entity_table_init(
	    &s->interfaces, sizeof(struct interface), MAX_INTERFACES);
}

/* 1 when the link is usable: operstate up, or unknown with carrier. */
static int link_up(struct collect_context *ctx, const char *name)
{
	char path[ENTITY_KEY_MAX + 32], state[32], carrier[8];

	snprintf(path, sizeof(path), "class/net/%s/operstate", name);
	if (collect_read_small_file(ctx->sys_fd, path, state, sizeof(state)) <=
	    0)
		return -1;
	if (strncmp(state, "up", 2) == 0)
		return 1;
	if (strncmp(state, "unknown", 7) != 0)
		return 0;
	/* Tunnels and loopback say "unknown": the carrier decides. */
	snprintf(path, sizeof(path), "class/net/%s/carrier", name);
	if (collect_read_small_file(ctx->sys_fd, path, carrier,
				    sizeof(carrier)) <= 0)
		return 0;
	return carrier[0] == '1';
}

/* The entity of a parsed line's interface (a new one set up), or NULL. */
static struct interface *interface_get(struct network_state *s,
				       struct collect_context *ctx,
				       const char *name, bool *is_new)
{
	struct entity *e =
	    collect_entity_get(ctx, &s->interfaces, name, is_new);
	struct interface *iface = (struct interface *)e;

	if (e != NULL && *is_new) {
		char safe[64];

		iface->watched = true;
		for (size_t i = 0; i < s->config->exclude_interfaces.count; i++)
			if (fnmatch(s->config->exclude_interfaces.items[i],
				    name, 0) == 0)
				iface->watched = false;
		collect_label_value_copy(safe, name, sizeof(safe));
		snprintf(e->labels, sizeof(e->labels), "interface=%s", safe);
	}
	return iface;
}

/*
 * The rates of an interface; same: its line is last tick's, so every
 * counter is where it was and its rate is 0 (what counter_rate() gives
 * for a delta of 0 over the time since the last reading).
 */
static void emit_interface(struct network_state *s, struct collect_context *ctx,
			   struct interface *iface, const uint64_t *v,
			   bool same, bool is_new)
{
	struct entity *e = &iface->head;

	if (!iface->watched)
		return;
	for (int i = 0; i < I_COUNT; i++) {
		struct counter *c = &iface->counters[i];

		if (same && counter_same(c, ctx->now_usec)) {
			collect_emit(ctx, &e->refs[i], interface_names[i],
				     e->labels, 0.0);
		} else {
			collect_emit_rate(ctx, &e->refs[i], interface_names[i],
					  e->labels, c, v[i]);
		}
	}
	if (is_new || s->links_stale)
		iface->up = link_up(ctx, e->key);
	if (iface->up >= 0)
		collect_emit(ctx, &e->refs[REF_LINK_UP], "net.link_up",
			     e->labels, iface->up);
}

/*
 * The interface whose line this is when it is byte for byte last tick's
 * (then so are its name and counters): the expected entity, compared.
 */
static struct interface *same_line(struct network_state *s, const char *line,
				   size_t length)
{
	struct interface *iface =
	    (struct interface *)collect_entity_expected(&s->interfaces);

	if (iface == NULL || length == 0 || iface->line_length != length ||
	    memcmp(iface->line, line, length) != 0)
		return NULL;
	return iface;
}

/*
 * "  eth0: rx_bytes packets errs drop fifo frame compressed multicast
 *   tx_bytes packets errs drop fifo colls carrier compressed"
 */
static void collect_dev(struct network_state *s, struct collect_context *ctx)
{
	ssize_t n = collect_tick_file_read(&s->dev, ctx);
	const char *p, *next;

	if (n < 0) {
		collect_error_errno(ctx, (int)n, "cannot read net/dev");
		if (n != -EFBIG)
			return;
	}
	s->links_stale = links_changed(s);
	for (p = ctx->buffer; *p; p = next) {
		const char *end = strchr(p, '\n'), *colon;
		const char *q, *start = p;
		struct interface *iface;
		char name[64];
		uint64_t f[12], v[I_COUNT];
		size_t length, line_length;
		bool is_new;
		int count = 0;

		if (end == NULL)
			end = p + strlen(p);
		next = *end ? end + 1 : end;
		line_length = (size_t)(end - p);
		iface = same_line(s, p, line_length);
		if (iface != NULL) {
			/* The expected entity, its key not compared again. */
			collect_entity_take(ctx, &s->interfaces, &iface->head);
			emit_interface(s, ctx, iface, iface->values, true,
				       false);
			continue;
		}
		colon = memchr(p, ':', line_length);
		if (colon == NULL)
			continue; /* the two header lines */
		collect_skip_spaces(&start);
		length = (size_t)(colon - start);
		if (length == 0 || length >= sizeof(name)) {
			collect_error(ctx, "net/dev: bad interface name");
			continue;
		}
		memcpy(name, start, length);
		name[length] = '\0';
		q = colon + 1;
		/* Up to tx drops: fifo, colls, carrier, compressed unread. */
		while (count < 12 && collect_parse_u64(&q, &f[count]))
			count++;
		if (count < 12) {
			collect_error(ctx, "net/dev: short line for %s", name);
			continue;
		}
		v[I_RX_BYTES] = f[0];
		v[I_RX_PACKETS] = f[1];
		v[I_RX_ERRORS] = f[2];
		v[I_RX_DROPS] = f[3];
		v[I_TX_BYTES] = f[8];
		v[I_TX_PACKETS] = f[9];
		v[I_TX_ERRORS] = f[10];
		v[I_TX_DROPS] = f[11];
		iface = interface_get(s, ctx, name, &is_new);
		if (iface == NULL)
			continue;
		emit_interface(s, ctx, iface, v, false, is_new);
		memcpy(iface->values, v, sizeof(v));
		iface->line_length = 0;
		if (line_length < LINE_KEPT) {
			memcpy(iface->line, p, line_length);
			iface->line_length = (uint16_t)line_length;
		}
	}
	collect_entity_sweep(ctx, &s->interfaces);
}

/*
 * snmp and netstat come as pairs of lines: "Tcp: Name Name ..." then
 * "Tcp: 1 2 ...". Both lines are walked once, word by word in step, and a
 * wanted field's value is taken where its name stands in the header.
 */
static void parse_snmp_pairs(struct network_state *s,
			     struct collect_context *ctx, const char *text,
			     uint64_t *values, unsigned *seen)
{
	for (const char *header = text; *header;) {
		const char *data = collect_next_line(header);
		size_t section_length = strcspn(header, ":\n");
		const char *h = header + section_length + 1;
		const char *v = data + section_length + 1;
		unsigned wanted = 0;

		if (header[section_length] != ':' || *data == '\0' ||
		    strncmp(header, data, section_length + 1) != 0) {
			header = data;
			continue;
		}
		for (int t = 0; t < T_COUNT; t++)
			if (strlen(tcp_fields[t].section) == section_length &&
			    strncmp(tcp_fields[t].section, header,
				    section_length) == 0)
				wanted |= 1u << t;
		while (wanted != 0) {
			size_t name_length, value_length;

			while (*h == ' ')
				h++;
			while (*v == ' ')
				v++;
			if (*h == '\0' || *h == '\n')
				break;
			name_length = strcspn(h, " \n");
			value_length = strcspn(v, " \n");
			for (int t = 0; t < T_COUNT; t++) {
				const char *value = v;

				/* ~120 TcpExt fields: the first byte
				 * rules most out before a strlen. */
				if (!(wanted & (1u << t)) ||
				    tcp_fields[t].field[0] != h[0] ||
				    strlen(tcp_fields[t].field) !=
					name_length ||
				    strncmp(h, tcp_fields[t].field,
					    name_length) != 0)
					continue;
				wanted &= ~(1u << t);
				if (value_length == 0 ||
				    !collect_parse_u64(&value, &values[t])) {
					collect_error(ctx, "%s:%s unreadable",
						      tcp_fields[t].section,
						      tcp_fields[t].field);
					continue;
				}
				*seen |= 1u << t;
			}
			h += name_length;
			v += value_length;
		}
		header = collect_next_line(data);
	}
	(void)s;
}

static void collect_tcp(struct network_state *s, struct collect_context *ctx)
{
	uint64_t values[T_COUNT] = { 0 };
	unsigned seen = 0;

	if (collect_tick_file_read(&s->snmp, ctx) >= 0)
		parse_snmp_pairs(s, ctx, ctx->buffer, values, &seen);
	if (collect_tick_file_read(&s->netstat, ctx) >= 0)
		parse_snmp_pairs(s, ctx, ctx->buffer, values, &seen);
	for (int t = 0; t < T_COUNT; t++)
		if (seen & (1u << t))
			collect_emit_rate(ctx, &s->tcp_refs[t],
					  tcp_fields[t].metric, "", &s->tcp[t],
					  values[t]);
}

/* "sockets: used 123" / "TCP: inuse 5 orphan 0 tw 2 alloc 8 mem 1" */
static bool find_number(const char *line, const char *key, uint64_t *value)
{
	const char *end = strchr(line, '\n');
	size_t n = strlen(key);

	for (const char *p = line; *p && (end == NULL || p < end); p++) {
		if (p[0] == ' ' && strncmp(p + 1, key, n) == 0 &&
		    p[n + 1] == ' ') {
			const char *q = p + n + 1;

			return collect_parse_u64(&q, value);
		}
	}
	return false;
}

static void collect_sockets(struct network_state *s,
			    struct collect_context *ctx)
{
	metric_ref *m = s->socket_refs;
	uint64_t v, count, max;
	char buffer[32];

	if (collect_tick_file_read(&s->sockstat, ctx) >= 0) {
		for (const char *p = ctx->buffer; *p;
		     p = collect_next_line(p)) {
			if (collect_line_starts_with(p, "sockets")) {
				if (find_number(p, "used", &v))
					collect_emit(ctx, &m[S_SOCKETS],
						     "net.sockets_used", "",
						     (double)v);
			} else if (collect_line_starts_with(p, "TCP")) {
				if (find_number(p, "inuse", &v))
					collect_emit(ctx, &m[S_TCP_INUSE],
						     "net.tcp_inuse", "",
						     (double)v);
				if (find_number(p, "orphan", &v))
					collect_emit(ctx, &m[S_TCP_ORPHAN],
						     "net.tcp_orphan", "",
						     (double)v);
				if (find_number(p, "tw", &v))
					collect_emit(ctx, &m[S_TCP_TW],
						     "net.tcp_time_wait", "",
						     (double)v);
				if (find_number(p, "alloc", &v))
					collect_emit(ctx, &m[S_TCP_ALLOC],
						     "net.tcp_alloc", "",
						     (double)v);
			} else if (collect_line_starts_with(p, "UDP")) {
				if (find_number(p, "inuse", &v))
					collect_emit(ctx, &m[S_UDP_INUSE],
						     "net.udp_inuse", "",
						     (double)v);
			}
		}
	}
	/* conntrack exists only while nf_conntrack is loaded. */
	if (collect_tick_file_read(&s->ct_count, ctx) < 0)
		return;
	string_copy(buffer, ctx->buffer, sizeof(buffer));
	if (collect_tick_file_read(&s->ct_max, ctx) < 0)
		return;
	{
		const char *a = buffer, *b = ctx->buffer;

		if (!collect_parse_u64(&a, &count) ||
		    !collect_parse_u64(&b, &max)) {
			collect_error(ctx, "nf_conntrack_count/max unreadable");
			return;
		}
	}
	collect_emit(ctx, &m[S_CT_ENTRIES], "net.conntrack_entries", "",
		     (double)count);
	if (max > 0)
		collect_emit(ctx, &m[S_CT_PCT], "net.conntrack_used_percent",
			     "",
			     collect_percent_of((double)count, (double)max));
}

static void network_collect(void *data, struct collect_context *ctx)
{
	struct network_state *s = data;

	collect_dev(s, ctx);
	collect_tcp(s, ctx);
	collect_sockets(s, ctx);
}

static void network_fini(void *data, struct collect_context *ctx)
{
	struct network_state *s = data;

	(void)ctx;
	if (s->link_fd >= 0)
		close(s->link_fd);
	collect_tick_file_close(&s->dev);
	collect_tick_file_close(&s->snmp);
	collect_tick_file_close(&s->netstat);
	collect_tick_file_close(&s->sockstat);
	collect_tick_file_close(&s->ct_count);
	collect_tick_file_close(&s->ct_max);
	collect_entity_table_free(&s->interfaces);
}

const struct collector_ops network_collector = {
	.name = "network",
	.state_size = sizeof(struct network_state),
	.enabled = network_enabled,
	.init = network_init,
	.collect = network_collect,
	.fini = network_fini,
};
