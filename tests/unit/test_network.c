/*
 * test_network.c - interfaces, TCP and sockets: exact rates, an interface
 * that appears (no rate until its second reading), one re-created with
 * counters reset (no sample that tick), one that vanishes (retired),
 * excluded patterns, link state, snmp/netstat and sockstat fields,
 * conntrack use, and garbage.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>

#include "collector_fixture.h"

#define DEV_HEADER                                                           \
	"Inter-|   Receive                                                |  " \
	"Transmit\n face |bytes    packets errs drop fifo frame compressed "   \
	"multicast|bytes    packets errs drop fifo colls carrier "              \
	"compressed\n"

static void test_interfaces_come_and_go(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "network");
	fixture_write(&f, "proc/net/dev", DEV_HEADER
		      "    lo: 100 1 0 0 0 0 0 0 100 1 0 0 0 0 0 0\n"
		      "  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "net.link_up", "interface=eth0", &v));
	assert_float_equal(v, 1, 1e-9);
	fixture_write(&f, "proc/net/dev", DEV_HEADER
		      "    lo: 200 2 0 0 0 0 0 0 200 2 0 0 0 0 0 0\n"
		      "  eth0: 11000 20 1 2 0 0 0 0 7000 25 0 3 0 0 0 0\n"
		      "  wg0: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n");
	fixture_tick(&f);
	assert_true(fixture_value(&f, "net.rx_bytes_per_sec",
				  "interface=eth0", &v));
	assert_float_equal(v, 1000, 1e-9);
	assert_true(fixture_value(&f, "net.tx_bytes_per_sec",
				  "interface=eth0", &v));
	assert_float_equal(v, 500, 1e-9);
	assert_true(fixture_value(&f, "net.rx_drops_per_sec",
				  "interface=eth0", &v));
	assert_float_equal(v, 0.2, 1e-9);
	assert_true(fixture_value(&f, "net.tx_drops_per_sec",
				  "interface=eth0", &v));
	assert_float_equal(v, 0.3, 1e-9);
	/* lo is excluded by default; wg0 appeared: no rate yet. */
	assert_int_equal(fixture_find(&f, "net.rx_bytes_per_sec",
				      "interface=lo"), -1);
	assert_false(fixture_value(&f, "net.rx_bytes_per_sec",
				   "interface=wg0", &v));
	/* eth0 re-created (counters reset), wg0 steady; then wg0 is gone. */
	fixture_write(&f, "proc/net/dev", DEV_HEADER
		      "  eth0: 50 1 0 0 0 0 0 0 60 1 0 0 0 0 0 0\n"
		      "  wg0: 105 2 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n");
	fixture_tick(&f);
	assert_false(fixture_value(&f, "net.rx_bytes_per_sec",
				   "interface=eth0", &v));
	assert_true(fixture_value(&f, "net.rx_bytes_per_sec",
				  "interface=wg0", &v));
	assert_float_equal(v, 10, 1e-9);
	fixture_write(&f, "proc/net/dev", DEV_HEADER
		      "  eth0: 1050 2 0 0 0 0 0 0 60 1 0 0 0 0 0 0\n");
	fixture_tick(&f);
	assert_true(fixture_value(&f, "net.rx_bytes_per_sec",
				  "interface=eth0", &v));
	assert_float_equal(v, 100, 1e-9);
	assert_int_equal(fixture_find(&f, "net.rx_bytes_per_sec",
				      "interface=wg0"), -1);
	assert_int_equal(collector_set_errors(f.set, "network"), 0);
	fixture_close(&f);
}

/*
 * A line byte for byte last tick's is not parsed again (network.c keeps
 * it): its rates are 0, and a line that moved (another order), changed or
 * came back after its interface vanished is read afresh.
 */
static void write_dev(const struct fixture *f, const char *a, const char *b)
{
	char text[1024];

	snprintf(text, sizeof(text), "%s%s%s", DEV_HEADER, a, b);
	fixture_write(f, "proc/net/dev", text);
}

static void test_unchanged_lines(void **state)
{
	static const char eth0[] =
	    "  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n";
	static const char wg0[] = "  wg0: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n";
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "network");
	fixture_write(&f, "proc/net/dev", DEV_HEADER
		      "  eth0: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
		      "  wg0: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	write_dev(&f, eth0, wg0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "net.rx_bytes_per_sec",
				  "interface=eth0", &v));
	assert_float_equal(v, 100, 1e-9);
	/* The same lines: every rate 0. */
	fixture_tick(&f);
	assert_true(fixture_value(&f, "net.rx_bytes_per_sec",
				  "interface=eth0", &v));
	assert_float_equal(v, 0, 0);
	assert_true(fixture_value(&f, "net.tx_packets_per_sec",
				  "interface=wg0", &v));
	assert_float_equal(v, 0, 0);
	/* Another order, eth0 the same, wg0 not. */
	write_dev(&f, "  wg0: 15 2 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n", eth0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "net.rx_bytes_per_sec",
				  "interface=wg0", &v));
	assert_float_equal(v, 1, 1e-9);
	assert_true(fixture_value(&f, "net.rx_bytes_per_sec",
				  "interface=eth0", &v));
	assert_float_equal(v, 0, 0);
	/* eth0 vanishes, then comes back with the same line: new, no rate. */
	write_dev(&f, wg0, "");
	fixture_tick(&f);
	assert_int_equal(fixture_find(&f, "net.rx_bytes_per_sec",
				      "interface=eth0"), -1);
	write_dev(&f, eth0, wg0);
	fixture_tick(&f);
	assert_false(fixture_value(&f, "net.rx_bytes_per_sec",
				   "interface=eth0", &v));
	assert_int_equal(collector_set_errors(f.set, "network"), 0);
	fixture_close(&f);
}

static void test_tcp_sockets_conntrack(void **state)
{
	struct fixture f;
	double v;

	(void)state;
	fixture_open(&f, "linux-2.6.32-rhel6", "network");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "net.tcp_time_wait", "", &v));
	assert_float_equal(v, 1, 1e-9);
	assert_true(fixture_value(&f, "net.sockets_used", "", &v));
	assert_float_equal(v, 276, 1e-9);
	/* No nf_conntrack in this tree: nothing, and no error. */
	assert_int_equal(fixture_find(&f, "net.conntrack_entries", ""), -1);
	fixture_write(&f, "proc/net/snmp",
		      "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens "
		      "PassiveOpens AttemptFails EstabResets CurrEstab InSegs "
		      "OutSegs RetransSegs InErrs OutRsts\n"
		      "Tcp: 1 200 120000 -1 1311 13 6 24 2 58617 35125 233 0 "
		      "96\n");
	fixture_write(&f, "proc/net/netstat",
		      "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n"
		      "TcpExt: 0 50 50\n");
	fixture_tick(&f);
	assert_true(fixture_value(&f, "net.tcp_retransmits_per_sec", "", &v));
	assert_float_equal(v, 10, 1e-9);
	assert_true(fixture_value(&f, "net.tcp_resets_sent_per_sec", "", &v));
	assert_float_equal(v, 1, 1e-9);
	fixture_write(&f, "proc/net/netstat",
		      "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n"
		      "TcpExt: 0 70 70\n");
	fixture_tick(&f);
	assert_true(fixture_value(&f, "net.tcp_listen_overflows_per_sec", "",
				  &v));
	assert_float_equal(v, 2, 1e-9);
	assert_int_equal(collector_set_errors(f.set, "network"), 0);
	fixture_close(&f);

	fixture_open(&f, "linux-6.18-kvm", "network");
	fixture_write(&f, "proc/sys/net/netfilter/nf_conntrack_count", "300\n");
	fixture_write(&f, "proc/sys/net/netfilter/nf_conntrack_max", "1200\n");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	assert_true(fixture_value(&f, "net.conntrack_used_percent", "", &v));
	assert_float_equal(v, 25, 1e-9);
	fixture_close(&f);
}

static void test_garbage(void **state)
{
	struct fixture f;

	(void)state;
	fixture_open(&f, "linux-6.18-kvm", "network");
	assert_int_equal(fixture_start(&f), 0);
	fixture_tick(&f);
	fixture_write(&f, "proc/net/dev", DEV_HEADER "  eth0: 1 2 3\n"
		      ": 1 2\n\x01\x02\x03");
	fixture_write(&f, "proc/net/snmp", "Tcp: RetransSegs\nTcp: zz\n");
	fixture_write(&f, "proc/net/sockstat", "\xff\xff");
	fixture_tick(&f);
	assert_int_equal(collector_set_errors(f.set, "network"), 3);
	/* eth0 vanished from the (broken) file: retired, not stale. */
	assert_int_equal(fixture_find(&f, "net.rx_bytes_per_sec",
				      "interface=eth0"), -1);
	fixture_close(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interfaces_come_and_go),
		cmocka_unit_test(test_unchanged_lines),
		cmocka_unit_test(test_tcp_sockets_conntrack),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
