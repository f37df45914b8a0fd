/*
 * test_checks.c - what the checks read by hand: targets and status lists,
 * the [[checks]] entries check-config refuses, X.509 certificates from PEM
 * (UTCTime and GeneralizedTime, subjectAltName and CN, against openssl's
 * own reading of certificates it makes, and every truncation of one),
 * Redis INFO fields, and a listener's owner guessed by its user in a
 * made-up /proc.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/checks.h"
#include "checks/checks_internal.h"
#include "checks/listeners.h"
#include "core/base64.h"
#include "core/config.h"
#include "core/state.h"
#include "core/util.h"
#include "storage/metrics.h"

/* notAfter Sep  1 07:05:57 2029 GMT; SAN www.example.org, example.org. */
static const char ec_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBzjCCAXSgAwIBAgIUY1OK6KACLpMlGJrcINd487ad9ZQwCgYIKoZIzj0EAwIw\n"
    "KDEQMA4GA1UECgwHRXhhbXBsZTEUMBIGA1UEAwwLZXhhbXBsZS5vcmcwHhcNMjYx\n"
    "MjA2MDcwNTU3WhcNMjkwOTAxMDcwNTU3WjAoMRAwDgYDVQQKDAdFeGFtcGxlMRQw\n"
    "EgYDVQQDDAtleGFtcGxlLm9yZzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABGcQ\n"
    "Q4944ECGGTCqkIZQnYwacGR6cWpg2FPpIEh/q1IDyTOm0rh+2vEBncZ/gv3a4sRb\n"
    "V6vsCHr8TVqRkiio7wijfDB6MB0GA1UdDgQWBBTP3XFXfF4Odnm2aarOEF4vbBWo\n"
    "mzAfBgNVHSMEGDAWgBTP3XFXfF4Odnm2aarOEF4vbBWomzAPBgNVHRMBAf8EBTAD\n"
    "AQH/MCcGA1UdEQQgMB6CD3d3dy5leGFtcGxlLm9yZ4ILZXhhbXBsZS5vcmcwCgYI\n"
    "KoZIzj0EAwIDSAAwRQIgX/nbs070kt01RdifYRduVXXoRJkblf0Mh0YpNIbicysC\n"
    "IQDMrZpUim//LTVcjs5NxEd1A64VJR51PHVXBs8AwdFJWQ==\n"
    "-----END CERTIFICATE-----\n";

/* notAfter Jun 12 07:05:57 2136 GMT (GeneralizedTime); CN only. */
static const char cn_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBhTCCASugAwIBAgIUWuk1EXEeiAI66jPDoFXXAOpI4EIwCgYIKoZIzj0EAwIw\n"
    "FzEVMBMGA1UEAwwMb25seS1jbi50ZXN0MCAXDTI2MTIwNjA3MDU1N1oYDzIxMzYw\n"
    "NjEyMDcwNTU3WjAXMRUwEwYDVQQDDAxvbmx5LWNuLnRlc3QwWTATBgcqhkjOPQIB\n"
    "BggqhkjOPQMBBwNCAATVg7aukw9g+vIEZXlAhC/HqxOMxgW91mHvPIN7fDqHWdsB\n"
    "Gd7z2yC75SP/IOw3VErjQ2SKVlFijGZqcrtcoXCMo1MwUTAdBgNVHQ4EFgQU/we6\n"
    "D0bhyTmnhqKeFdeXDifUK5kwHwYDVR0jBBgwFoAU/we6D0bhyTmnhqKeFdeXDifU\n"
    "K5kwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiBh/tAixp8nLFf/\n"
    "lJ9tZaXLjvJ5wmK2WC2C/4c1YlU13gIhAIsCAz4Dbv230UVZdjTkNkE+6LpHTusj\n"
    "tJx+vIe3aW8C\n"
    "-----END CERTIFICATE-----\n";

static void test_targets(void **state)
{
	char host[64];
	uint16_t port;

	(void)state;
	assert_int_equal(
	    checks_parse_target("db.example:5432", host, sizeof(host), &port),
	    0);
	assert_string_equal(host, "db.example");
	assert_int_equal(port, 5432);
	assert_int_equal(
	    checks_parse_target("[::1]:6379", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 6379);
	assert_int_equal(checks_parse_target("*:22", host, sizeof(host), &port),
			 0);
	assert_string_equal(host, "");
	assert_int_equal(checks_parse_target(":22", host, sizeof(host), &port),
			 0);
	assert_string_equal(host, "");
	assert_int_equal(
	    checks_parse_target("::1:80", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(checks_parse_target("host", host, sizeof(host), &port),
			 -EINVAL);
	assert_int_equal(
	    checks_parse_target("host:0", host, sizeof(host), &port), -EINVAL);
	assert_int_equal(
	    checks_parse_target("host:65536", host, sizeof(host), &port),
	    -EINVAL);
	assert_int_equal(
	    checks_parse_target("host:80x", host, sizeof(host), &port),
	    -EINVAL);
	assert_int_equal(
	    checks_parse_target("[::1]80", host, sizeof(host), &port), -EINVAL);
}

static void test_statuses(void **state)
{
	struct checks_status_range r[CHECKS_STATUS_RANGES_MAX];
	size_t n;

	(void)state;
	assert_int_equal(checks_parse_status("200-299, 301,418", r, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].low, 200);
	assert_int_equal(r[0].high, 299);
	assert_int_equal(r[1].low, 301);
	assert_int_equal(r[1].high, 301);
	assert_int_equal(r[2].low, 418);
	assert_int_equal(checks_parse_status("", r, &n), -EINVAL);
	assert_int_equal(checks_parse_status("299-200", r, &n), -EINVAL);
	assert_int_equal(checks_parse_status("99", r, &n), -EINVAL);
	assert_int_equal(checks_parse_status("200,", r, &n), 0);
	assert_int_equal(checks_parse_status("2xx", r, &n), -EINVAL);
	assert_int_equal(checks_parse_status("1,2,3,4,5,6,7,8,9", r, &n),
			 -EINVAL);
}

static int load(const char *text)
{
	struct config *config = NULL;
	int r = config_load_text("test.toml", text, strlen(text), &config);

	config_free(config);
	return r;
}

static void test_config_entries(void **state)
{
	(void)state;
	assert_int_equal(
	    load("[[checks]]\nname = \"web\"\ntype = \"http\"\n"
		 "url = \"https://example.org/healthz\"\n"
		 "status = \"200-299,301\"\nbody = \"ok|OK\"\n"
		 "labels = { team = \"web\", env = \"prod\" }\n"
		 "[[checks]]\nname = \"nginx\"\ntype = \"process\"\n"
		 "process = \"/nginx: master/\"\nmax = 1\n"
		 "[[checks]]\nname = \"ssh\"\ntype = \"listen\"\n"
		 "target = \"*:22\"\nprocess = \"sshd\"\n"),
	    0);
	/* Keys a type needs, keys another type uses, names used twice. */
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"http\"\n"),
			 -EINVAL);
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"tcp\"\n"
			      "target = \"h:1\"\nurl = \"http://h/\"\n"),
			 -EINVAL);
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"tcp\"\n"
			      "target = \"h:1\"\n[[checks]]\nname = \"a\"\n"
			      "type = \"tcp\"\ntarget = \"h:2\"\n"),
			 -EINVAL);
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"tcp\"\n"
			      "target = \"*:1\"\n"),
			 -EINVAL);
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"tls\"\n"
			      "target = \"h:443\"\nfiles = [\"/x.pem\"]\n"),
			 -EINVAL);
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"tls\"\n"
			      "target = \"h:443\"\nwarning_days = 5\n"),
			 -EINVAL);
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"command\"\n"
			      "command = [\"check_disk\"]\n"),
			 -EINVAL);
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"command\"\n"
			      "command = [\"a\", \"b\"]\nshell = true\n"),
			 -EINVAL);
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"process\"\n"
			      "process = \"/[/\"\n"),
			 -EINVAL);
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"process\"\n"
			      "process = \"x\"\nlabels = { check = \"b\" }\n"),
			 -EINVAL);
	assert_int_equal(load("[[checks]]\nname = \"a b\"\ntype = \"unit\"\n"
			      "unit = \"x.service\"\n"),
			 -EINVAL);
	/* Labels: a table of strings, also as a sub-table of the entry. */
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"unit\"\n"
			      "unit = \"x.service\"\n[checks.labels]\n"
			      "team = \"db\"\n"),
			 0);
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"unit\"\n"
			      "unit = \"x.service\"\nlabels = { team = 1 }\n"),
			 -EINVAL);
	assert_int_equal(load("[[checks]]\nname = \"a\"\ntype = \"unit\"\n"
			      "unit = \"x.service\"\nlabels = [\"team=db\"]\n"),
			 -EINVAL);
	assert_int_equal(
	    load("[[checks]]\nname = \"a\"\ntype = \"unit\"\n"
		 "unit = \"x.service\"\nlabels = { Team = \"x\" }\n"),
	    -EINVAL);
	assert_int_equal(load("[listeners]\nallow = [\"sshd\"]\n"), -EINVAL);
	assert_int_equal(load("[listeners]\nallow = [\"sshd:22\", \"*:*\"]\n"),
			 0);
}

static void test_certificates(void **state)
{
	struct checks_certificate cert;

	(void)state;
	assert_int_equal(
	    checks_certificate_from_pem(ec_pem, strlen(ec_pem), &cert), 0);
	assert_int_equal(cert.not_after, 1882940757);
	assert_string_equal(cert.subject, "www.example.org");
	assert_int_equal(
	    checks_certificate_from_pem(cn_pem, strlen(cn_pem), &cert), 0);
	assert_int_equal(cert.not_after, 5252540757);
	assert_string_equal(cert.subject, "only-cn.test");
	/* A key file, an empty file, a truncated PEM. */
	static const char key_pem[] = "-----BEGIN PRIVATE KEY-----\n";

	assert_int_equal(
	    checks_certificate_from_pem(key_pem, strlen(key_pem), &cert),
	    -ENOENT);
	assert_int_equal(checks_certificate_from_pem("", 0, &cert), -ENOENT);
	assert_int_equal(checks_certificate_from_pem(ec_pem, 200, &cert),
			 -EINVAL);
}

/* Every prefix and every single-byte change of a DER: no crash, no read
 * past its end (valgrind/ASan), and never a wrong success from a prefix. */
static void test_certificate_damage(void **state)
{
	unsigned char der[1024], copy[1024];
	const char *body = strchr(ec_pem, '\n') + 1;
	const char *end = strstr(ec_pem, "-----END");
	ssize_t n = base64_decode(body, (size_t)(end - body), der, sizeof(der));
	struct checks_certificate cert;

	(void)state;
	assert_true(n > 100);
	for (ssize_t length = 0; length < n; length++) {
		unsigned char *exact = malloc((size_t)length + 1);

		memcpy(exact, der, (size_t)length);
		assert_int_equal(
		    checks_certificate_from_der(exact, (size_t)length, &cert),
		    -EINVAL);
		free(exact);
	}
	for (ssize_t i = 0; i < n; i++) {
		memcpy(copy, der, (size_t)n);
		copy[i] ^= 0xff;
		(void)checks_certificate_from_der(copy, (size_t)n, &cert);
	}
}

/* Certificates openssl makes now, read by us and by openssl. */
static void test_against_openssl(void **state)
{
	static const char *const kinds[] = {
	    "-newkey rsa:2048 -days 5 -subj /CN=five.test",
	    "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 400 "
	    "-subj /O=x/CN=cn.test -addext subjectAltName=DNS:san.test",
	    "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -days 30000 "
	    "-subj /CN=far.test -addext subjectAltName=IP:127.0.0.1",
	};
	static const char *const subjects[] = {"five.test", "san.test",
					       "127.0.0.1"};
	char directory[] = "/tmp/sysops-cert.XXXXXX", command[512];

	(void)state;
	if (system("openssl version >/dev/null 2>&1") != 0)
		skip();
	assert_non_null(mkdtemp(directory));
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct checks_certificate cert;
		char pem[8192], line[64];
		long long expected = 0;
		FILE *file;
		size_t length;

		snprintf(command, sizeof(command),
			 "openssl req -x509 -nodes %s -keyout /dev/null "
			 "-out %s/c.pem 2>/dev/null && date -d \"$(openssl "
			 "x509 -in %s/c.pem -noout -enddate | cut -d= -f2)\" "
			 "+%%s",
			 kinds[i], directory, directory);
		file = popen(command, "r");
		assert_non_null(file);
		if (fgets(line, sizeof(line), file) != NULL)
			expected = atoll(line);
		assert_int_equal(pclose(file), 0);
		snprintf(command, sizeof(command), "%s/c.pem", directory);
		file = fopen(command, "r");
		assert_non_null(file);
		length = fread(pem, 1, sizeof(pem) - 1, file);
		fclose(file);
		assert_int_equal(
		    checks_certificate_from_pem(pem, length, &cert), 0);
		assert_int_equal(cert.not_after, expected);
		assert_string_equal(cert.subject, subjects[i]);
		unlink(command);
	}
	rmdir(directory);
}

static void test_redis_info(void **state)
{
	static const char info[] =
	    "# Server\r\nredis_version:7.0.15\r\n"
	    "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n"
	    "maxmemory:2097152\r\n"
	    "# Replication\r\nrole:slave\r\nmaster_link_status:down\r\n";
	char value[32];

	(void)state;
	assert_int_equal(
	    checks_redis_info_field(info, "used_memory", value, sizeof(value)),
	    0);
	assert_string_equal(value, "1048576");
	assert_int_equal(checks_redis_info_field(info, "master_link_status",
						 value, sizeof(value)),
			 0);
	assert_string_equal(value, "down");
	assert_int_equal(
	    checks_redis_info_field(info, "role", value, sizeof(value)), 0);
	assert_string_equal(value, "slave");
	/* A prefix of a key is not the key. */
	assert_int_equal(
	    checks_redis_info_field(info, "used", value, sizeof(value)),
	    -ENOENT);
	assert_int_equal(
	    checks_redis_info_field(info, "redis_version", value, 4), 0);
	assert_string_equal(value, "7.0");
}

/* A process of the made-up /proc: no fd directory, so only its user. */
static void fake_process(const char *proc, int pid, int uid, const char *comm)
{
	char dir[256], text[256];
	int fd;

	snprintf(dir, sizeof(dir), "%s/%d", proc, pid);
	fd = state_dir_open(dir);
	assert_true(fd >= 0);
	snprintf(text, sizeof(text),
		 "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\n"
		 "Uid:\t%d\t%d\t%d\t%d\n",
		 comm, uid, uid, uid, uid);
	assert_int_equal(state_write_atomic(fd, "status", text, strlen(text)),
			 0);
	snprintf(text, sizeof(text),
		 "%d (%s) S 1 %d %d 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 1 0 "
		 "100 1000000 200 18446744073709551615\n",
		 pid, comm, pid, pid);
	assert_int_equal(state_write_atomic(fd, "stat", text, strlen(text)), 0);
	close(fd);
}

/*
 * Owners no fd link names: the user's only process name is the owner (its
 * pid too when it is the only process); a user with several names leaves
 * the owner unknown, however many processes follow.
 */
static void test_listener_owner_by_user(void **state)
{
	/* 127.0.0.1:8080 of uid 5001, *:8081 of uid 5002, both LISTEN. */
	static const char tcp[] =
	    "  sl  local_address rem_address   st tx_queue rx_queue tr "
	    "tm->when retrnsmt   uid  timeout inode\n"
	    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 "
	    "00:00000000 00000000  5001        0 1111 1 0 100 0 0 10 0\n"
	    "   1: 00000000:1F91 00000000:0000 0A 00000000:00000000 "
	    "00:00000000 00000000  5002        0 2222 1 0 100 0 0 10 0\n";
	char proc[] = "/tmp/sysops-listeners.XXXXXX", net[300], text[512];
	int fd;
	struct metric_registry *metrics = metrics_new(64, 8);
	struct listener_view view[2];
	struct checks *checks = NULL;
	struct config *config = NULL;

	(void)state;
	assert_non_null(mkdtemp(proc));
	snprintf(net, sizeof(net), "%s/net", proc);
	fd = state_dir_open(net);
	assert_true(fd >= 0);
	assert_int_equal(state_write_atomic(fd, "tcp", tcp, strlen(tcp)), 0);
	close(fd);
	fake_process(proc, 100, 5001, "redis-server");
	fake_process(proc, 101, 5002, "alpha");
	fake_process(proc, 102, 5002, "beta");
	for (int pid = 103; pid < 140; pid++)
		fake_process(proc, pid, 5002, "alpha");
	snprintf(text, sizeof(text), "[agent]\nproc_root = \"%s\"\n", proc);
	assert_int_equal(
	    config_load_text("test.toml", text, strlen(text), &config), 0);
	assert_int_equal(checks_new(config, metrics, NULL, -1, &checks), 0);
	listeners_scan(checks->listeners, 1000 * (int64_t)USEC_PER_SEC);

	assert_int_equal(
	    listeners_find(checks->listeners, false, "", 8080, view, 2), 1);
	assert_string_equal(view[0].process, "redis-server");
	assert_int_equal(view[0].pid, 100);
	assert_int_equal(
	    listeners_find(checks->listeners, false, "", 8081, view, 2), 1);
	assert_string_equal(view[0].process, "");
	assert_int_equal(view[0].pid, 0);

	checks_free(checks);
	config_free(config);
	metrics_free(metrics);
	snprintf(text, sizeof(text), "rm -rf '%s'", proc);
	assert_int_equal(system(text), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_targets),
	    cmocka_unit_test(test_statuses),
	    cmocka_unit_test(test_config_entries),
	    cmocka_unit_test(test_certificates),
	    cmocka_unit_test(test_certificate_damage),
	    cmocka_unit_test(test_against_openssl),
	    cmocka_unit_test(test_redis_info),
	    cmocka_unit_test(test_listener_owner_by_user),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
