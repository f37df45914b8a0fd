/*
 * test_listeners.c - the checks module on a fixture proc_root: listening
 * and bound sockets from /proc/net (connections and clients left out), their
 * owners from /proc/PID/fd, the series, the baseline learnt then kept in
 * the state directory across a restart, a new listener raised and resolved
 * once, the allow list and the ephemeral range; a process check and a
 * listen check on the same tree, a reload that keeps or drops checks, and
 * a certificate file that goes away (its alert resolved).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checks/checks.h"
#include "checks/listeners.h"
#include "core/config.h"
#include "core/event.h"
#include "core/state.h"
#include "storage/metrics.h"

#define TCP_HEADER                                                             \
	"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when "  \
	"retrnsmt   uid  timeout inode\n"
/* 0.0.0.0:22 LISTEN (sshd), and an established connection to it. */
#define TCP_SSH                                                                \
	"   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 "  \
	"00000000     0        0 1001 1 0000000000000000 100 0 0 10 0\n"       \
	"   1: 0100007F:0016 0100007F:D431 01 00000000:00000000 02:0000A1B3 "  \
	"00000000     0        0 1090 2 0000000000000000 20 4 30 10 -1\n"
/* 127.0.0.1:4444 LISTEN, uid 1000 (nc). */
#define TCP_NC                                                                 \
	"   2: 0100007F:115C 00000000:0000 0A 00000000:00000000 00:00000000 "  \
	"00000000  1000        0 1004 1 0000000000000000 100 0 0 10 0\n"
/* 127.0.0.1:40000 LISTEN (rpc.statd), then :45000: the ephemeral range. */
#define TCP_STATD(port_hex)                                                    \
	"   3: 0100007F:" port_hex " 00000000:0000 0A 00000000:00000000 "      \
	"00:00000000 00000000     0        0 1005 1 0000000000000000 100 0 0 " \
	"10 0\n"
/* [::1]:631 LISTEN (cupsd, uid 7). */
#define TCP6_CUPS                                                              \
	"   0: 00000000000000000000000001000000:0277 "                         \
	"00000000000000000000000000000000:0000 0A 00000000:00000000 "          \
	"00:00000000 00000000     7        0 1002 1 0000000000000000 100 0 0 " \
	"10 0\n"
/* 0.0.0.0:53 bound (dnsmasq), and a connected client socket. */
#define UDP_LINES                                                              \
	"   0: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 "  \
	"00000000     0        0 1003 2 0000000000000000 0\n"                  \
	"   1: 0100007F:A1B2 0100007F:0035 01 00000000:00000000 00:00000000 "  \
	"00000000     0        0 1091 2 0000000000000000 0\n"

struct fixture {
	char root[64], state[80];
	struct config *config;
	struct metric_registry *metrics;
	sd_event *event;
	struct checks *checks;
	int state_fd;
	int64_t now;
};

static struct captured {
	char rule[32], labels[160], summary[256];
	bool firing;
	enum alert_severity severity;
} events[32];
static size_t event_count;

static int accept_event(const struct alert_event *e, void *context)
{
	struct captured *c = &events[event_count % 32];

	(void)context;
	event_count++;
	snprintf(c->rule, sizeof(c->rule), "%s", e->rule);
	snprintf(c->labels, sizeof(c->labels), "%s", e->labels);
	snprintf(c->summary, sizeof(c->summary), "%s", e->summary);
	c->firing = e->firing;
	c->severity = e->severity;
	return 0;
}

static int sync_events(void *context)
{
	(void)context;
	return 0;
}

static const struct event_sink sink = {accept_event, sync_events, NULL};

static void write_file(struct fixture *f, const char *path, const char *text)
{
	char full[256];
	FILE *file;

	snprintf(full, sizeof(full), "%s/%s", f->root, path);
	file = fopen(full, "w");
	assert_non_null(file);
	fputs(text, file);
	fclose(file);
}

static void make_process(struct fixture *f, int pid, const char *comm, int fd,
			 int inode)
{
	char path[256], text[512];

	snprintf(path, sizeof(path), "%s/%d", f->root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/fd", f->root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%d/stat", pid);
	snprintf(text, sizeof(text),
		 "%d (%s) S 1 %d %d 0 -1 4194304 100 0 0 0 50 40 0 0 20 0 1 0 "
		 "%d 1000000 250 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 "
		 "17 0 0 0 0 0 0\n",
		 pid, comm, pid, pid, 1000 + pid);
	write_file(f, path, text);
	snprintf(path, sizeof(path), "%s/%d/fd/%d", f->root, pid, fd);
	snprintf(text, sizeof(text), "socket:[%d]", inode);
	assert_int_equal(symlink(text, path), 0);
}

static void remove_process(struct fixture *f, int pid, int fd)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%d/fd/%d", f->root, pid, fd);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%d/fd", f->root, pid);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/%d/stat", f->root, pid);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%d", f->root, pid);
	rmdir(path);
}

static void load_config(struct fixture *f, const char *extra)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "[agent]\nproc_root = \"%s\"\n[listeners]\nlearning_secs = 0\n"
		 "loopback_severity = \"info\"\n%s",
		 f->root, extra);
	config_free(f->config);
	f->config = NULL;
	assert_int_equal(
	    config_load_text("test.toml", text, strlen(text), &f->config), 0);
}

/* As the daemon does on SIGHUP: the running configuration stays alive
 * until checks_reload has moved every check to the new one. */
static void reload(struct fixture *f, const char *extra)
{
	struct config *old = f->config;

	f->config = NULL;
	load_config(f, extra);
	assert_int_equal(checks_reload(f->checks, f->config), 0);
	config_free(old);
}

static void start(struct fixture *f)
{
	assert_int_equal(checks_new(f->config, f->metrics, f->event,
				    f->state_fd, &f->checks),
			 0);
}

static void tick(struct fixture *f)
{
	f->now += 10 * 1000000LL;
	checks_tick(f->checks, f->now);
}

static void setup_fixture(struct fixture *f, const char *extra)
{
	char path[256];

	memset(f, 0, sizeof(*f));
	snprintf(f->root, sizeof(f->root), "/tmp/sysops-listeners.XXXXXX");
	assert_non_null(mkdtemp(f->root));
	snprintf(path, sizeof(path), "%s/net", f->root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys", f->root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/net", f->root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/sys/net/ipv4", f->root);
	mkdir(path, 0755);
	write_file(f, "sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
	write_file(f, "net/tcp", TCP_HEADER TCP_SSH TCP_STATD("9C40"));
	write_file(f, "net/tcp6", TCP_HEADER TCP6_CUPS);
	write_file(f, "net/udp", TCP_HEADER UDP_LINES);
	make_process(f, 100, "sshd", 3, 1001);
	make_process(f, 200, "cupsd", 4, 1002);
	make_process(f, 300, "dnsmasq", 5, 1003);
	make_process(f, 500, "rpc.statd", 6, 1005);
	snprintf(f->state, sizeof(f->state), "%s/state", f->root);
	f->state_fd = state_dir_open(f->state);
	assert_true(f->state_fd >= 0);
	f->metrics = metrics_new(200, 8);
	assert_int_equal(sd_event_new(&f->event), 0);
	f->now = 1700000000LL * 1000000;
	load_config(f, extra);
	event_set_sink(&sink);
	event_count = 0;
}

static void teardown_fixture(struct fixture *f)
{
	char command[128];

	checks_stop(f->checks);
	checks_free(f->checks);
	event_set_sink(NULL);
	config_free(f->config);
	metrics_free(f->metrics);
	sd_event_unref(f->event);
	close(f->state_fd);
	snprintf(command, sizeof(command), "rm -rf %s", f->root);
	assert_int_equal(system(command), 0);
}

static bool value_of(struct fixture *f, const char *name, const char *labels,
		     double *value)
{
	for (size_t id = 0; id < metrics_capacity(f->metrics); id++) {
		const struct metric_series *s =
		    metrics_get(f->metrics, (int)id);

		if (s != NULL && strcmp(s->name, name) == 0 &&
		    strcmp(s->labels, labels) == 0 &&
		    s->last_time_usec == f->now) {
			*value = s->last_value;
			return true;
		}
	}
	return false;
}

static size_t count_events(const char *rule, bool firing)
{
	size_t n = 0;

	for (size_t i = 0; i < event_count && i < 32; i++)
		n += strcmp(events[i].rule, rule) == 0 &&
		     events[i].firing == firing;
	return n;
}

static void test_parse_lines(void **state)
{
	struct listener_socket s;

	(void)state;
	assert_int_equal(listeners_parse_line(TCP_HEADER, false, false, &s), 0);
	assert_int_equal(listeners_parse_line(TCP_SSH, false, false, &s), 1);
	assert_string_equal(s.address, "0.0.0.0");
	assert_int_equal(s.port, 22);
	assert_int_equal(s.inode, 1001);
	assert_true(s.wildcard);
	assert_false(s.loopback);
	assert_int_equal(
	    listeners_parse_line(strchr(TCP_SSH, '\n') + 1, false, false, &s),
	    0); /* established */
	assert_int_equal(listeners_parse_line(TCP6_CUPS, true, false, &s), 1);
	assert_string_equal(s.address, "::1");
	assert_int_equal(s.port, 631);
	assert_int_equal(s.uid, 7);
	assert_true(s.loopback);
	assert_int_equal(listeners_parse_line(UDP_LINES, false, true, &s), 1);
	assert_int_equal(s.port, 53);
	assert_true(s.udp);
	assert_int_equal(
	    listeners_parse_line(strchr(UDP_LINES, '\n') + 1, false, true, &s),
	    0); /* a connected client */
	assert_int_equal(listeners_parse_line("   0: zz", false, false, &s),
			 -EINVAL);
	assert_int_equal(
	    listeners_parse_line("   0: 0100007F:0016", false, false, &s),
	    -EINVAL);
	/* ::ffff:127.0.0.1 is an IPv4 loopback address. */
	assert_int_equal(
	    listeners_parse_line("   0: 0000000000000000FFFF00000100007F:"
				 "1F90 00000000000000000000000000000000:"
				 "0000 0A 00000000:00000000 00:00000000 "
				 "00000000     0        0 77 1\n",
				 true, false, &s),
	    1);
	assert_string_equal(s.address, "127.0.0.1");
	assert_true(s.loopback);
}

static void test_learn_alert_resolve_restart(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	setup_fixture(&f, "");
	start(&f);
	tick(&f);
	assert_int_equal(count_events("new_listener", true), 0);
	assert_true(
	    value_of(&f, "listen.socket",
		     "address=0.0.0.0,port=22,process=sshd,protocol=tcp,"
		     "user=root",
		     &v));
	assert_float_equal(v, 1, 0);
	assert_true(value_of(&f, "listen.socket",
			     "address=0.0.0.0,port=53,process=dnsmasq,"
			     "protocol=udp,user=root",
			     &v));
	assert_true(value_of(&f, "listen.sockets", "protocol=tcp", &v));
	assert_float_equal(v, 3, 0);
	assert_true(value_of(&f, "listen.sockets", "protocol=udp", &v));
	assert_float_equal(v, 1, 0); /* the client is not counted */

	/* A new one: nc on 127.0.0.1:4444. */
	make_process(&f, 400, "nc", 3, 1004);
	write_file(&f, "net/tcp", TCP_HEADER TCP_SSH TCP_STATD("9C40") TCP_NC);
	tick(&f);
	tick(&f);
	assert_int_equal(count_events("new_listener", true), 1);
	assert_non_null(strstr(events[0].labels, "port=4444,process=nc,"
						 "protocol=tcp"));
	assert_non_null(strstr(events[0].summary, "nc (pid 400, user "));
	assert_non_null(strstr(events[0].summary, "127.0.0.1:4444/tcp"));
	assert_int_equal(events[0].severity, ALERT_INFO); /* loopback */
	assert_true(value_of(&f, "listen.new_listeners", "", &v));
	assert_float_equal(v, 1, 0);

	/* statd moves within the ephemeral range: nothing new. */
	write_file(&f, "net/tcp", TCP_HEADER TCP_SSH TCP_STATD("AFC8"));
	remove_process(&f, 400, 3);
	tick(&f);
	assert_int_equal(count_events("new_listener", true), 1);
	assert_int_equal(count_events("new_listener", false), 1);
	assert_non_null(strstr(events[1].summary, "no longer listens on port "
						  "4444/tcp"));

	/* Restart: the baseline is read back; nc is new again, sshd not. */
	checks_stop(f.checks);
	checks_free(f.checks);
	start(&f);
	make_process(&f, 400, "nc", 3, 1004);
	write_file(&f, "net/tcp", TCP_HEADER TCP_SSH TCP_STATD("9C40") TCP_NC);
	tick(&f);
	assert_int_equal(count_events("new_listener", true), 2);
	assert_non_null(strstr(events[2].labels, "port=4444"));
	teardown_fixture(&f);
}

static void test_allow_list(void **state)
{
	struct fixture f;

	(void)state;
	setup_fixture(&f, "allow = [\"nc:4444\"]\n");
	start(&f);
	tick(&f);
	make_process(&f, 400, "nc", 3, 1004);
	write_file(&f, "net/tcp", TCP_HEADER TCP_SSH TCP_NC);
	tick(&f);
	assert_int_equal(count_events("new_listener", true), 0);
	teardown_fixture(&f);
}

static void test_process_and_listen_checks(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	setup_fixture(&f, "[[checks]]\nname = \"ssh\"\ntype = \"process\"\n"
			  "process = \"sshd\"\nlabels = { team = \"ops\" }\n"
			  "[[checks]]\nname = \"ssh-port\"\ntype = \"listen\"\n"
			  "target = \"*:22\"\nprocess = \"sshd\"\n"
			  "[[checks]]\nname = \"dns\"\ntype = \"listen\"\n"
			  "target = \"127.0.0.1:53\"\nprotocol = \"udp\"\n"
			  "process = \"/^bind/\"\n");
	start(&f);
	tick(&f);
	assert_true(value_of(&f, "check.up", "check=ssh,team=ops", &v));
	assert_float_equal(v, 1, 0);
	assert_true(
	    value_of(&f, "check.process_count", "check=ssh,team=ops", &v));
	assert_float_equal(v, 1, 0);
	assert_true(value_of(&f, "check.up", "check=ssh-port", &v));
	assert_float_equal(v, 1, 0);
	/* The wildcard socket serves 127.0.0.1, but dnsmasq holds it. */
	assert_true(value_of(&f, "check.up", "check=dns", &v));
	assert_float_equal(v, 0, 0);
	assert_int_equal(count_events("check_failed", true), 1);
	assert_non_null(strstr(events[0].summary, "dns: 127.0.0.1:53/udp is "
						  "held by dnsmasq"));

	/* sshd gone: both ssh checks fail, with their reasons. */
	remove_process(&f, 100, 3);
	write_file(&f, "net/tcp", TCP_HEADER);
	tick(&f);
	assert_int_equal(count_events("check_failed", true), 3);
	assert_non_null(strstr(events[1].summary, "ssh: sshd is not running"));
	assert_string_equal(events[1].labels, "check=ssh,team=ops");
	assert_non_null(strstr(events[2].summary, "ssh-port: nothing listens "
						  "on *:22/tcp"));

	/* A reload that drops one check resolves its alert. */
	reload(&f, "[[checks]]\nname = \"ssh\"\ntype = \"process\"\n"
		   "process = \"sshd\"\nlabels = { team = \"ops\" }\n");
	assert_int_equal(count_events("check_failed", false), 2);
	make_process(&f, 100, "sshd", 3, 1001);
	tick(&f);
	assert_int_equal(count_events("check_failed", false), 3);
	teardown_fixture(&f);
}

static void test_certificate_file_gone(void **state)
{
	struct fixture f;
	char extra[512], command[512];

	(void)state;
	if (system("openssl version >/dev/null 2>&1") != 0)
		skip();
	setup_fixture(&f, "");
	snprintf(command, sizeof(command),
		 "mkdir %s/certs && openssl req -x509 -nodes -newkey ec "
		 "-pkeyopt ec_paramgen_curve:prime256v1 -days 3 -subj "
		 "/CN=c0.test -keyout /dev/null -out %s/certs/c0.pem "
		 ">/dev/null 2>&1 && cp %s/certs/c0.pem %s/certs/c1.pem",
		 f.root, f.root, f.root, f.root);
	assert_int_equal(system(command), 0);
	snprintf(extra, sizeof(extra),
		 "[[checks]]\nname = \"certs\"\ntype = \"tls\"\n"
		 "files = [\"%s/certs/*.pem\"]\n",
		 f.root);
	load_config(&f, extra);
	start(&f);
	tick(&f);
	assert_int_equal(count_events("certificate_expiry", true), 2);
	assert_int_equal(events[0].severity, ALERT_CRITICAL);
	assert_non_null(strstr(events[0].summary, "certificate for c0.test ("));
	assert_non_null(strstr(events[0].summary, "expires in 3 days"));
	snprintf(command, sizeof(command), "%s/certs/c1.pem", f.root);
	unlink(command);
	tick(&f);
	assert_int_equal(count_events("certificate_expiry", true), 2);
	assert_int_equal(count_events("certificate_expiry", false), 1);
	assert_non_null(strstr(events[2].labels, "c1.pem"));
	assert_non_null(strstr(events[2].summary, "is no longer reported"));
	teardown_fixture(&f);
}

/* value_of() for the series whose labels begin with prefix (uid 1000's
 * name is the host's). */
static bool value_of_prefix(struct fixture *f, const char *name,
			    const char *prefix, double *value)
{
	for (size_t id = 0; id < metrics_capacity(f->metrics); id++) {
		const struct metric_series *s =
		    metrics_get(f->metrics, (int)id);

		if (s != NULL && strcmp(s->name, name) == 0 &&
		    strncmp(s->labels, prefix, strlen(prefix)) == 0 &&
		    s->last_time_usec == f->now) {
			*value = s->last_value;
			return true;
		}
	}
	return false;
}

/* pid's stat names ppid as its parent. */
static void set_parent(struct fixture *f, int pid, const char *comm, int ppid)
{
	char path[32], text[512];

	snprintf(path, sizeof(path), "%d/stat", pid);
	snprintf(text, sizeof(text),
		 "%d (%s) S %d %d %d 0 -1 4194304 100 0 0 0 50 40 0 0 20 0 1 "
		 "0 %d 1000000 250 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 "
		 "0 17 0 0 0 0 0 0\n",
		 pid, comm, ppid, pid, pid, 1000 + pid);
	write_file(f, path, text);
}

/*
 * The owner search walks the newest processes first: a socket a worker
 * inherited is still its parent's (the furthest ancestor holding it, as a
 * walk in pid order would have found); the answer and the socket's text
 * stay with the inode when the owner exits, and a socket whose owner is
 * gone before it is searched for has none.
 */
static void test_owner_search(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	setup_fixture(&f, "");
	start(&f);
	tick(&f);
	make_process(&f, 400, "nc", 3, 1004);
	make_process(&f, 450, "nc-worker", 4, 1004);
	set_parent(&f, 450, "nc-worker", 400);
	make_process(&f, 460, "other", 3, 1090); /* the newest: not it */
	write_file(&f, "net/tcp", TCP_HEADER TCP_SSH TCP_STATD("9C40") TCP_NC);
	tick(&f);
	assert_int_equal(count_events("new_listener", true), 1);
	assert_non_null(strstr(events[0].summary, "nc (pid 400, user "));
	assert_non_null(strstr(events[0].summary, "127.0.0.1:4444/tcp"));

	/* Both exit, the socket stays (passed on): known, nothing walked
	 * anew, its series written every tick under the same labels. */
	remove_process(&f, 450, 4);
	remove_process(&f, 400, 3);
	tick(&f);
	tick(&f);
	assert_true(value_of_prefix(&f, "listen.socket",
				    "address=127.0.0.1,port=4444,process=nc,"
				    "protocol=tcp,user=",
				    &v));
	assert_int_equal(count_events("new_listener", true), 1);

	/* Gone for a scan, then back with the same inode: its series row
	 * was retired in between, so the one remembered is not used. */
	write_file(&f, "net/tcp", TCP_HEADER TCP_SSH TCP_STATD("9C40"));
	tick(&f);
	assert_false(value_of_prefix(&f, "listen.socket",
				     "address=127.0.0.1,port=4444,process=nc,"
				     "protocol=tcp,user=",
				     &v));
	write_file(&f, "net/tcp", TCP_HEADER TCP_SSH TCP_STATD("9C40") TCP_NC);
	tick(&f);
	assert_true(value_of_prefix(&f, "listen.socket",
				    "address=127.0.0.1,port=4444,process=nc,"
				    "protocol=tcp,user=",
				    &v));
	assert_float_equal(v, 1, 0);

	/* A new inode on the same port whose owner exited before the scan:
	 * no process holds it, so its owner is unknown. */
	write_file(&f, "net/tcp",
		   TCP_HEADER TCP_SSH TCP_STATD(
		       "9C40") "   2: 0100007F:115C 00000000:0000 0A "
			       "00000000:00000000 "
			       "00:00000000 00000000  1000        0 1007 1 "
			       "0000000000000000 100 0 0 10 0\n");
	tick(&f);
	assert_true(value_of_prefix(&f, "listen.socket",
				    "address=127.0.0.1,port=4444,process=?,"
				    "protocol=tcp,user=",
				    &v));
	teardown_fixture(&f);
}

/* 127.0.0.1:port LISTEN, uid 0, inode. */
#define TCP_ROOT(port_hex, inode)                                              \
	"   4: 0100007F:" port_hex " 00000000:0000 0A 00000000:00000000 "      \
	"00:00000000 00000000     0        0 " inode " 1 0000000000000000 "    \
	"100 0 0 10 0\n"

/*
 * Descriptors of pid that cannot be read, as another user's are to the
 * agent: mode 000, and (as root) without the capabilities that pass by it.
 */
static void fds_readable(struct fixture *f, int pid, bool readable)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%d/fd", f->root, pid);
	assert_int_equal(chmod(path, readable ? 0755 : 0), 0);
	if (geteuid() != 0)
		return;
	assert_int_equal(capng_get_caps_process(), 0);
	capng_update(readable ? CAPNG_ADD : CAPNG_DROP, CAPNG_EFFECTIVE,
		     CAP_DAC_OVERRIDE);
	capng_update(readable ? CAPNG_ADD : CAPNG_DROP, CAPNG_EFFECTIVE,
		     CAP_DAC_READ_SEARCH);
	assert_int_equal(capng_apply(CAPNG_SELECT_CAPS), 0);
}

/*
 * A process whose descriptors could not be read is passed over by later
 * searches while it lives; another process given its pid is read.
 */
static void test_unreadable_process(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	setup_fixture(&f, "");
	start(&f);
	tick(&f);
	make_process(&f, 600, "secret", 3, 1008);
	fds_readable(&f, 600, false);
	write_file(&f, "net/tcp",
		   TCP_HEADER TCP_SSH TCP_STATD("9C40")
		       TCP_ROOT("1B58", "1008"));
	tick(&f);
	fds_readable(&f, 600, true);
	assert_true(value_of_prefix(
	    &f, "listen.socket", "address=127.0.0.1,port=7000,process=?,", &v));
	/* Readable now, but the same process: not tried again. */
	write_file(&f, "net/tcp",
		   TCP_HEADER TCP_SSH TCP_STATD("9C40") TCP_ROOT("1B58", "1008")
		       TCP_ROOT("1B59", "1009"));
	make_process(&f, 600, "secret", 4, 1009);
	tick(&f);
	assert_true(value_of_prefix(
	    &f, "listen.socket", "address=127.0.0.1,port=7001,process=?,", &v));
	/* It exits and its pid is given to a new process: that one is
	 * read. */
	{
		char from[256], to[256];

		/* Made beside the old one, so its inode is another. */
		make_process(&f, 9600, "fresh", 5, 1010);
		remove_process(&f, 600, 4);
		remove_process(&f, 600, 3);
		snprintf(from, sizeof(from), "%s/9600", f.root);
		snprintf(to, sizeof(to), "%s/600", f.root);
		assert_int_equal(rename(from, to), 0);
	}
	write_file(&f, "net/tcp",
		   TCP_HEADER TCP_SSH TCP_STATD("9C40")
		       TCP_ROOT("1B5A", "1010"));
	tick(&f);
	assert_true(
	    value_of_prefix(&f, "listen.socket",
			    "address=127.0.0.1,port=7002,process=fresh,", &v));
	teardown_fixture(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_certificate_file_gone),
	    cmocka_unit_test(test_parse_lines),
	    cmocka_unit_test(test_learn_alert_resolve_restart),
	    cmocka_unit_test(test_allow_list),
	    cmocka_unit_test(test_owner_search),
	    cmocka_unit_test(test_unreadable_process),
	    cmocka_unit_test(test_process_and_listen_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
